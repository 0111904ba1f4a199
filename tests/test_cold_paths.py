"""The paths that start cold: a question about one model reads that model (and refuses its
broken files), check reads the models a change touches, and a shallow clone answers what needs
no history and says what to fetch for what does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import Reg, cli, git
from stored import keys

from modelreg import Registry
from modelreg.domain.errors import DocumentError

BROKEN = "name: churn\nversion: [not, a, version\n"  # not YAML


def _blob(reg: Reg, path: str) -> str:
    return git("rev-parse", f"HEAD:{path}", cwd=reg.path).strip()


def _break_churn(reg: Reg) -> None:
    reg.write("models/churn/0.1.0.yaml", BROKEN)
    reg.commit("break churn")


def test_a_read_about_one_model_reads_only_its_files(populated: Reg) -> None:
    shutil.rmtree(populated.path / ".git" / "modelreg", ignore_errors=True)  # as a fresh clone
    r = populated.cli("show", "fraud@production")
    assert r.code == 0, r.err
    kept = set(keys(populated.path, "manifest"))
    assert _blob(populated, "models/fraud/1.1.0.yaml") in kept
    assert _blob(populated, "models/churn/0.1.0.yaml") not in kept


@pytest.mark.parametrize(
    "args",
    [
        ["show", "fraud@production"],
        ["show", "fraud@1.2.0", "--format", "json"],
        ["list", "--model", "fraud"],
        ["list", "--model", "fraud", "--format", "json"],
    ],
)
def test_a_broken_other_model_does_not_stop_a_read(populated: Reg, args: list[str]) -> None:
    _break_churn(populated)
    r = populated.cli(*args)
    assert r.code == 0, r.err
    assert "fraud" in r.out and "churn" not in r.out


@pytest.mark.parametrize("args", [["show", "churn@0.1.0"], ["list", "--model", "churn"], ["list"]])
def test_a_read_refuses_the_broken_files_it_reads(populated: Reg, args: list[str]) -> None:
    _break_churn(populated)
    r = populated.cli(*args)
    assert r.code == 1 and r.out == ""
    assert len(r.lines) == 1 and r.lines[0].startswith("modelreg: error: models/churn/0.1.0.yaml:")


def test_the_python_api_reads_one_model(populated: Reg) -> None:
    _break_churn(populated)
    registry = Registry(populated.path)
    assert registry.get("fraud@production").version == "1.1.0"
    assert [v.version for v in registry.versions("fraud")] == ["1.0.0", "1.1.0", "1.2.0"]
    with pytest.raises(DocumentError, match="churn/0.1.0.yaml"):
        registry.get("churn@latest")
    with pytest.raises(DocumentError, match="churn/0.1.0.yaml"):
        registry.models()
    assert not registry.validate().ok  # validate still reads every model


def test_a_registry_yaml_that_does_not_parse_stops_a_read_about_one_model(populated: Reg) -> None:
    populated.write("registry.yaml", "stages: [\n")
    r = populated.cli("show", "fraud@production")
    assert r.code == 1 and r.lines[0].startswith("modelreg: error: registry.yaml:")


# --- check: the models a change touches ---------------------------------------------------------


def _branch(reg: Reg) -> None:
    git("checkout", "-q", "-b", "change", cwd=reg.path)


def test_check_judges_a_change_without_reading_untouched_models(populated: Reg) -> None:
    _break_churn(populated)  # on the base: validate reports it, a change to fraud is not its author's
    _branch(populated)
    populated.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: [1.2.0]\narchived: [1.0.0]\n")
    populated.commit("stage fraud@1.2.0")
    r = populated.cli("check", "--base", "main", "--format", "json")
    assert r.code == 0, r.out + r.err
    report = json.loads(r.out)
    assert report["ok"] and [c["model"] for c in report["changes"]] == ["fraud"]
    assert populated.cli("validate").code == 1


def test_check_still_refuses_a_touched_model_that_breaks_a_rule(populated: Reg) -> None:
    _branch(populated)
    populated.write("models/fraud/stages.yaml", "production: [1.1.0, 1.2.0]\narchived: [1.0.0]\n")
    populated.commit("two in production")
    r = populated.cli("check", "--base", "main")
    assert r.code == 1 and "models/fraud/stages.yaml" in r.out


def _name_parent(reg: Reg, ref: str, parent: str) -> None:
    """Make the (new, uncommitted-to-main) version ``ref`` name ``parent``, as a hand edit would."""
    name, version = ref.split("@")
    path = reg.path / f"models/{name}/{version}.yaml"
    data = yaml.safe_load(path.read_text())
    data["lineage"] = {"parents": [{"ref": parent, "relation": "distilled"}]}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    reg.commit(f"{ref} names {parent}")


def test_check_reads_the_models_a_new_version_names_as_parents(populated: Reg) -> None:
    _branch(populated)
    populated.register("fraud", "1.3.0")
    _name_parent(populated, "fraud@1.3.0", "churn@0.1.0")
    r = populated.cli("check", "--base", "main")
    assert r.code == 0, r.out + r.err
    _name_parent(populated, "fraud@1.3.0", "churn@0.9.0")
    r = populated.cli("check", "--base", "main")
    assert r.code == 1 and "parent churn@0.9.0 does not exist" in r.out


def test_check_finds_a_lineage_cycle_across_two_new_versions(populated: Reg) -> None:
    _branch(populated)
    populated.register("fraud", "1.3.0")
    populated.register("churn", "0.2.0", parents=[{"ref": "fraud@1.3.0", "relation": "distilled"}])
    _name_parent(populated, "fraud@1.3.0", "churn@0.2.0")
    r = populated.cli("check", "--base", "main")
    assert r.code == 1 and "lineage has a cycle" in r.out


# --- shallow clones -------------------------------------------------------------------------------


@pytest.fixture
def shallow(populated: Reg, tmp_path: Path) -> Path:
    """A `git clone --depth 1` of the populated registry, with a branch that stages fraud@1.2.0."""
    _branch(populated)
    populated.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: [1.2.0]\narchived: [1.0.0]\n")
    populated.commit("stage fraud@1.2.0")
    git("checkout", "-q", "main", cwd=populated.path)
    target = tmp_path / "shallow"
    git(
        "clone",
        "-q",
        "--depth",
        "1",
        "--no-single-branch",
        f"file://{populated.path}",
        str(target),
        cwd=tmp_path,
    )
    assert git("rev-parse", "--is-shallow-repository", cwd=target).strip() == "true"
    return target


def test_a_shallow_clone_answers_what_needs_no_history(shallow: Path) -> None:
    r = cli("show", "fraud@production", cwd=shallow)
    assert r.code == 0 and r.out.startswith("fraud@1.1.0  (production)")
    assert cli("list", "--model", "fraud", cwd=shallow).code == 0
    assert cli("validate", cwd=shallow).code == 0


@pytest.mark.parametrize(
    "args",
    [
        ["history", "fraud"],
        ["history", "--format", "json"],
        ["show", "fraud@production", "--at", "HEAD"],
        ["list", "--at", "2026-01-01"],
        ["check", "--base", "origin/main", "--head", "origin/change"],
    ],
)
def test_a_shallow_clone_says_what_to_fetch(shallow: Path, args: list[str]) -> None:
    r = cli(*args, cwd=shallow)
    assert r.code == 1 and r.out == "", r.out
    assert len(r.lines) == 1
    assert "shallow (1 commit(s) deep)" in r.err and "git fetch --unshallow" in r.err and "--fetch" in r.err
    assert git("rev-parse", "--is-shallow-repository", cwd=shallow).strip() == "true"  # nothing fetched


def test_history_fetches_what_it_needs_with_fetch(shallow: Path, populated: Reg) -> None:
    r = cli("history", "fraud", "--fetch", "--format", "json", cwd=shallow)
    assert r.code == 0, r.err
    assert git("rev-parse", "--is-shallow-repository", cwd=shallow).strip() == "false"
    assert r.out == cli("history", "fraud", "--format", "json", cwd=populated.path).out


def test_check_fetches_the_fork_point_with_fetch(shallow: Path) -> None:
    r = cli("check", "--base", "origin/main", "--head", "origin/change", "--fetch", cwd=shallow)
    assert r.code == 0, r.out + r.err
    assert "fraud@1.2.0: development -> staging" in r.out


def test_show_at_fetches_with_fetch(shallow: Path) -> None:
    r = cli("show", "fraud@1.1.0", "--at", "HEAD~1", "--fetch", cwd=shallow)
    assert r.code == 0, r.err
    assert r.out.startswith("fraud@1.1.0  (staging)")
