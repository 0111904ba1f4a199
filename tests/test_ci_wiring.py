"""CI wiring: the workflow (this repository's and the one `modelreg init` writes) and the
pre-commit hook."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, Reg

from modelreg.domain.layout import WORKFLOW_FILE
from modelreg.operations.scaffold import WORKFLOW


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
def test_workflow_is_valid_and_runs_check(reg: Reg, where: str) -> None:
    path = ROOT / WORKFLOW_FILE if where == "repository" else reg.path / WORKFLOW_FILE
    result = _check_workflow(path)
    assert result.returncode == 0, result.stdout + result.stderr
    workflow = yaml.safe_load(path.read_text())
    assert set(workflow[True]) == {"pull_request", "push"}  # YAML 1.1 reads `on` as True
    assert workflow[True]["push"] == {"branches": ["main"]}
    steps = workflow["jobs"]["check"]["steps"]
    assert steps[0]["with"] == {"fetch-depth": 0}
    by_name = {s.get("name"): s for s in steps}
    pr = by_name["modelreg check (pull request)"]
    assert pr["env"] == {"BASE_REF": "${{ github.base_ref }}"}
    assert pr["run"] == 'modelreg check --base "origin/$BASE_REF"'
    push = by_name["modelreg check (push to main)"]
    assert push["env"] == {"BEFORE": "${{ github.event.before }}"}
    assert 'modelreg check --base "$base"' in push["run"] and "HEAD~1" in push["run"]


def test_init_writes_the_workflow_and_this_repository_matches_it(reg: Reg) -> None:
    assert (reg.path / WORKFLOW_FILE).read_text() == WORKFLOW
    ours = (ROOT / WORKFLOW_FILE).read_text()
    body = WORKFLOW[WORKFLOW.index("name: modelreg") :]
    assert ours[ours.index("name: modelreg") :] == body.replace("pip install modelreg", "pip install .")


def test_the_workflow_validator_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.replace("    runs-on: ubuntu-latest\n", ""))
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
