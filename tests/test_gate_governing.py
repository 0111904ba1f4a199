"""Governing files are policy: .dvcignore, .gitignore and .gitattributes at the root or anywhere
under models/ are judged by ``check`` like registry.yaml (a pull request of their own), and
``register`` refuses when DVC would track fewer files than it copied. Each finding is a named
test against the real CLI, with a legitimate twin that must pass.

The findings: a pull request that only added ``*-1.bin`` to .dvcignore passed, after which
``register`` of a folder silently dropped part-1.bin; a ``models/NAME/.gitignore`` of
``[0-9]*.yaml`` passed too, and then every register of that model failed.
"""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import ROOT, Reg
from gate_attacks import Sandbox

from modelreg.domain.layout import VALIDATED_FILES, hook_files_pattern, is_governing

# --- register: DVC tracks every file it was given -----------------------------------------------


def test_finding_4_register_refuses_a_folder_a_dvcignore_would_cut(reg: Reg) -> None:
    reg.write(".dvcignore", "*-1.bin\n")
    reg.commit("ignore shards")
    folder = reg.scratch / "weights"
    folder.mkdir(parents=True)
    (folder / "part-0.bin").write_bytes(b"0")
    (folder / "part-1.bin").write_bytes(b"1")
    before = reg.state()
    result = reg.cli("register", "fraud", str(folder), "--version", "1.0.0", "--no-push")
    assert result.code == 1, result
    assert result.lines == [
        "modelreg: error: DVC would track 1 of the 2 files of weights: a .dvcignore leaves the others "
        "out; change the .dvcignore (by a pull request of its own) or rename the files"
    ], result.err
    assert reg.state() == before


def test_finding_4_register_refuses_a_file_a_dvcignore_would_drop(reg: Reg) -> None:
    reg.write(".dvcignore", "*-1.bin\n")
    reg.commit("ignore shards")
    before = reg.state()
    result = reg.cli("register", "fraud", str(reg.artifact("part-1.bin")), "--version", "1.0.0", "--no-push")
    assert result.code == 1 and len(result.lines) == 1 and "Traceback" not in result.err, result
    assert reg.state() == before


def test_twin_4_register_takes_the_whole_folder_when_nothing_is_ignored(reg: Reg) -> None:
    folder = reg.scratch / "weights"
    folder.mkdir(parents=True)
    (folder / "part-0.bin").write_bytes(b"0")
    (folder / "part-1.bin").write_bytes(b"1")
    result = reg.cli("register", "fraud", str(folder), "--version", "1.0.0", "--no-push")
    assert result.code == 0, result.err
    manifest = yaml.safe_load((reg.path / "models/fraud/1.0.0.yaml").read_text())
    assert manifest["artifacts"][0]["nfiles"] == 2


# --- check: a governing file changes only by a policy change -------------------------------------


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (".dvcignore", "*-1.bin\n"),
        (".gitignore", "*.tmp\n"),
        (".gitattributes", "*.yaml merge=ours\n"),
        ("models/fraud/.gitignore", "[0-9]*.yaml\n"),
        ("models/.dvcignore", "*-1.bin\n"),
        ("models/fraud/.gitattributes", "stages.yaml -diff\n"),
    ],
)
def test_finding_4_a_governing_file_with_a_model_change_is_refused(
    sandbox: Sandbox, path: str, text: str
) -> None:
    sandbox.branch()
    sandbox.write(path, text)
    sandbox.register("fraud", "3.0.0", pushed=True)
    sandbox.commit("a new version, and a file that decides what Git and DVC see")
    checked = sandbox.check()
    assert not checked.accepted
    assert checked.has("policy", path), checked.explain()


def test_finding_4_a_new_versions_gitignore_that_is_not_dvcs_is_refused(sandbox: Sandbox) -> None:
    sandbox.branch()
    sandbox.register("fraud", "3.0.0", pushed=True)
    sandbox.write("models/fraud/3.0.0/.gitignore", "/model.bin\n/../*.yaml\n")
    sandbox.commit("a new version with an ignore file of its own")
    checked = sandbox.check()
    assert checked.has("policy", "models/fraud/3.0.0/.gitignore"), checked.explain()


def test_twin_4_a_governing_file_changed_alone_is_a_policy_change(sandbox: Sandbox) -> None:
    sandbox.branch()
    sandbox.write(".dvcignore", sandbox.read(".dvcignore") + "*.tmp\n")
    sandbox.write("models/fraud/.gitattributes", "*.bin binary\n")
    sandbox.commit("policy: what DVC ignores, how Git diffs weights")
    checked = sandbox.check()
    assert checked.accepted, checked.explain()


def test_twin_4_a_new_version_with_dvcs_gitignore_passes(sandbox: Sandbox) -> None:
    sandbox.branch()
    sandbox.register("fraud", "3.0.0", pushed=True)
    assert sandbox.read("models/fraud/3.0.0/.gitignore") == "/model.bin\n"
    sandbox.commit("a new version")
    checked = sandbox.check()
    assert checked.accepted, checked.explain()


def test_governing_files_are_those_at_the_root_and_under_models() -> None:
    assert is_governing(".gitignore") and is_governing("models/.dvcignore")
    assert is_governing("models/fraud/1.0.0/sub/.gitattributes")
    assert not is_governing("docs/.gitignore") and not is_governing("models/fraud/gitignore")


# --- the hook runs on exactly what validate checks -------------------------------------------------


def test_finding_11_the_hook_runs_on_every_file_validate_reads() -> None:
    """The hook's ``files:`` is ``layout.hook_files_pattern()``, built from VALIDATED_FILES, the
    files validate reads (its documents' tree, and the DVC configuration it checks)."""
    from modelreg.documents.tree import REGISTRY_PATHS
    from modelreg.rules.dvcconfig import DVC_CONFIG, DVC_LOCAL_CONFIG

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    pattern = next(h for h in hooks if h["id"] == "modelreg-validate")["files"]
    assert pattern == hook_files_pattern()
    read = [*REGISTRY_PATHS, DVC_CONFIG, DVC_LOCAL_CONFIG]
    assert {p.rstrip("/") for p in VALIDATED_FILES} == set(read)
    for path in [*read, "models/fraud/1.0.0.yaml", "models/fraud/1.0.0/model.bin.dvc"]:
        assert re.search(pattern, path) or path == "models", path
    for path in ["README.md", "modelreg/cli/main.py", ".dvc/cache/files/md5/00/11", ".dvc/configx"]:
        assert not re.search(pattern, path), path
