"""CI wiring: the workflow (this repository's and the one `modelreg init` writes) and the
pre-commit hook."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, Reg

from modelreg.domain.layout import WORKFLOW_FILE
from modelreg.operations.scaffold import default_action, workflow

pytestmark = pytest.mark.slow  # pre-commit try-repo and the workflows checked


def _check_workflow(path: Path) -> subprocess.CompletedProcess[str]:
    argv = [
        sys.executable,
        "-m",
        "check_jsonschema",
        "--builtin-schema",
        "vendor.github-workflows",
        str(path),
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("where", ["repository", "init"])
def test_workflow_is_valid_and_runs_the_action(reg: Reg, where: str) -> None:
    path = ROOT / WORKFLOW_FILE if where == "repository" else reg.path / WORKFLOW_FILE
    result = _check_workflow(path)
    assert result.returncode == 0, result.stdout + result.stderr
    workflow = yaml.safe_load(path.read_text())
    assert set(workflow[True]) == {"pull_request", "push"}  # YAML 1.1 reads `on` as True
    assert workflow[True]["push"] == {"branches": ["main"]}
    checkout, check = workflow["jobs"]["check"]["steps"]
    assert checkout == {"uses": "actions/checkout@v5", "with": {"fetch-depth": 0}}
    assert check == {"uses": "./" if where == "repository" else default_action()}
    text = path.read_text()
    assert "# fetch-depth: 0 (the whole history)" in text
    for place in ("delivery", "pages"):  # where the example jobs go
        assert f"  # ==== {place}: " in text and f"  # ==== end of {place} ====" in text


def test_init_writes_the_workflow_and_this_repository_matches_it(reg: Reg) -> None:
    written = workflow(branch="main", action=default_action())
    assert (reg.path / WORKFLOW_FILE).read_text() == written
    ours = (ROOT / WORKFLOW_FILE).read_text()
    body = written[written.index("name: modelreg") :]
    assert ours[ours.index("name: modelreg") :] == body.replace(f"uses: {default_action()}", "uses: ./")


def test_the_default_action_is_this_projects_repository_at_its_version() -> None:
    from importlib import metadata

    assert default_action() == f"modelreg/modelreg@v{metadata.version('modelreg')}"


def test_the_workflow_validator_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    text = workflow(branch="main", action=default_action())
    broken.write_text(text.replace("    runs-on: ubuntu-latest\n", ""))
    assert _check_workflow(broken).returncode == 1


def test_pre_commit_hook_runs_modelreg_validate(populated: Reg) -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "modelreg-validate"
    assert hook["entry"] == "modelreg validate" and hook["language"] == "python"
    argv = hook["entry"].split()[1:]
    assert populated.cli(*argv).code == 0
    populated.write("models/fraud/stages.yaml", "production: 7.0.0\n")
    r = populated.cli(*argv)
    assert r.code == 1
    assert "models/fraud/stages.yaml:1: production: version 7.0.0 of fraud is not registered" in r.out


def _readme_rev() -> str:
    readme = (ROOT / "docs/workflows/ci.md").read_text()
    example = readme[readme.index("# .pre-commit-config.yaml") :]
    m = re.search(r"^    rev: (\S+)", example, re.M)
    assert m is not None
    return m.group(1)


def test_the_readme_pre_commit_rev_names_a_commit_of_this_repository_with_the_hook() -> None:
    rev = _readme_rev()
    assert re.fullmatch(r"[0-9a-f]{40}", rev), "a full commit id: no tag is published yet"
    hooks = subprocess.run(
        ["git", "show", f"{rev}:.pre-commit-hooks.yaml"], cwd=ROOT, capture_output=True, text=True
    )
    assert hooks.returncode == 0, hooks.stderr
    assert [h["id"] for h in yaml.safe_load(hooks.stdout)] == ["modelreg-validate"]


def test_pre_commit_try_repo_runs_the_hook_from_this_repository(populated: Reg, tmp_path: Path) -> None:
    """`pre-commit try-repo` against this repository at the `rev:` docs/workflows/ci.md shows. pre-commit builds
    the hook's environment (pip installs that commit of modelreg and its dependencies; once, so
    on a registry with a problem, which only the hook's `modelreg validate` can report: the
    passing run is the test above). Offline: pip sees no index, only the wheels .ci/setup put
    in .wheelhouse/ (.ci/wheelhouse.py), and any HTTP goes to a closed port on loopback."""
    wheelhouse = ROOT / ".wheelhouse"
    assert (wheelhouse / "pins.txt").is_file(), "no .wheelhouse/: run .ci/setup (it runs .ci/wheelhouse.py)"
    argv = [str(Path(sys.executable).parent / "pre-commit"), "try-repo", str(ROOT), "modelreg-validate"]
    argv += ["--ref", _readme_rev(), "--all-files"]
    nowhere = "http://127.0.0.1:9/"  # the discard port: nothing listens
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith("PIP_") and not k.lower().endswith("_proxy")
        },
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit"),
        "PIP_CONFIG_FILE": os.devnull,  # no pip.conf: no index or find-links of this machine
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INDEX": "1",
        "PIP_INDEX_URL": nowhere,
        "PIP_FIND_LINKS": str(wheelhouse),
        "VIRTUALENV_NO_PERIODIC_UPDATE": "1",  # virtualenv seeds pip from its own wheels
        "http_proxy": nowhere,
        "https_proxy": nowhere,
        "HTTP_PROXY": nowhere,
        "HTTPS_PROXY": nowhere,
    }
    populated.write("models/fraud/stages.yaml", "production: 7.0.0\n")
    populated.commit("a stage holder that is not registered")
    run = subprocess.run(argv, cwd=populated.path, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 1, run.stdout + run.stderr
    assert re.search(r"^modelreg validate\.+Failed$", run.stdout, re.M), run.stdout
    assert "- hook id: modelreg-validate" in run.stdout
    assert "models/fraud/stages.yaml:1: production: version 7.0.0 of fraud is not registered" in run.stdout
