"""The GitHub Action (action.yml at the repository's root): its `run:` scripts run here with
bash against real registries, and actionlint finds nothing in it or in either workflow."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, Reg, git

from modelreg.domain.layout import WORKFLOW_FILE

pytestmark = pytest.mark.slow  # the Action's scripts in bash and actionlint

BIN = Path(sys.executable).parent
ACTIONLINT = str(BIN / "actionlint")


def _action() -> dict[str, object]:
    loaded = yaml.safe_load((ROOT / "action.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _step(name: str) -> dict[str, object]:
    runs = _action()["runs"]
    assert isinstance(runs, dict) and runs["using"] == "composite"
    (step,) = [s for s in runs["steps"] if s.get("name") == name]
    return step


def _run_step(
    name: str,
    *,
    cwd: Path,
    inputs: dict[str, str],
    github: dict[str, str],
    tmp: Path,
    extra_env: dict[str, str] | None = None,
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run the step's script as the runner would: `${{ inputs.X }}` and `${{ github.X }}` in its
    env replaced by ``inputs`` (else the input's default) and ``github``; bash -e, as `shell: bash`."""
    step = _step(name)
    declared = _action()["inputs"]
    assert isinstance(declared, dict)
    values = {k: inputs.get(k, str(v.get("default", ""))) for k, v in declared.items()}

    def substitute(text: str) -> str:
        def one(m: re.Match[str]) -> str:
            kind, key = m.group(1), m.group(2)
            return values[key] if kind == "inputs" else github[key]

        return re.sub(r"\$\{\{\s*(inputs|github)\.([A-Za-z0-9_.-]+)\s*\}\}", one, text)

    output, summary = tmp / "github_output", tmp / "step_summary"
    output.touch()
    summary.touch()
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",  # modelreg and python, as setup-python leaves them
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(tmp),
        **{k: substitute(str(v)) for k, v in dict(step.get("env", {})).items()},  # type: ignore[call-overload]
        **(extra_env or {}),
    }
    assert step["shell"] == "bash"
    script = str(step["run"])
    assert "${{" not in script, "values reach the script through env, never by template expansion"
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if line)
    return result, outputs


@pytest.fixture
def pull_request(populated: Reg) -> Reg:
    """A branch `pr` of the populated registry that moves fraud@1.2.0 into staging, with
    origin/main where a clone would have it."""
    git("update-ref", "refs/remotes/origin/main", "main", cwd=populated.path)
    git("checkout", "-q", "-b", "pr", cwd=populated.path)
    populated.write("models/fraud/stages.yaml", "staging: 1.2.0\nproduction: 1.1.0\narchived: 1.0.0\n")
    populated.commit("promote fraud@1.2.0 to staging")
    return populated


def test_action_check_step_on_a_pull_request(pull_request: Reg, tmp_path: Path) -> None:
    result, outputs = _run_step(
        "modelreg check",
        cwd=pull_request.path,
        inputs={},
        github={"base_ref": "main", "event.before": ""},
        tmp=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fraud@1.2.0: development -> staging" in result.stdout
    assert outputs["ok"] == "true"
    assert json.loads(outputs["moves"]) == [
        {"model": "fraud", "version": "1.2.0", "from": "development", "to": "staging"}
    ]
    assert json.loads(outputs["registered"]) == []
    report = json.loads(Path(outputs["report"]).read_text())
    assert report["ok"] is True and report["base"] == "origin/main"
    assert "fraud" in (tmp_path / "step_summary").read_text()  # the Markdown step summary


def test_action_check_step_fails_a_forbidden_move_with_annotations(pull_request: Reg, tmp_path: Path) -> None:
    pull_request.write("models/fraud/stages.yaml", "production: 1.2.0\narchived: [1.0.0, 1.1.0]\n")
    pull_request.commit("skip staging")
    result, outputs = _run_step(
        "modelreg check",
        cwd=pull_request.path,
        inputs={"remote": "false"},
        github={"base_ref": "main", "event.before": ""},
        tmp=tmp_path,
    )
    assert result.returncode == 1
    assert "::error file=models/fraud/stages.yaml" in result.stdout
    assert outputs["ok"] == "false"
    moves = {(m["version"], m["to"]) for m in json.loads(outputs["moves"])}
    assert ("1.2.0", "production") in moves


def test_action_check_step_after_a_push_judges_the_commit_before(pull_request: Reg, tmp_path: Path) -> None:
    before = git("rev-parse", "HEAD", cwd=pull_request.path).strip()
    pull_request.register("churn", "0.2.0", description="churn again")
    result, outputs = _run_step(
        "modelreg check",
        cwd=pull_request.path,
        inputs={},
        github={"base_ref": "", "event.before": before},
        tmp=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(outputs["registered"]) == ["churn@0.2.0"]
    assert json.loads(Path(outputs["report"]).read_text())["base"] == before
    # a push whose "before" this clone does not have (a force push): the previous commit
    result, outputs = _run_step(
        "modelreg check",
        cwd=pull_request.path,
        inputs={},
        github={"base_ref": "", "event.before": "0" * 40},
        tmp=tmp_path,
    )
    assert result.returncode == 0 and json.loads(Path(outputs["report"]).read_text())["base"] == "HEAD~1"


def test_action_check_step_refuses_an_unknown_remote_value(pull_request: Reg, tmp_path: Path) -> None:
    result, _ = _run_step(
        "modelreg check",
        cwd=pull_request.path,
        inputs={"remote": "yes"},
        github={"base_ref": "main", "event.before": ""},
        tmp=tmp_path,
    )
    assert result.returncode == 1
    assert 'the input remote is "true", "false" or empty' in result.stderr


def test_action_check_step_with_a_base_that_does_not_exist(pull_request: Reg, tmp_path: Path) -> None:
    result, outputs = _run_step(
        "modelreg check",
        cwd=pull_request.path,
        inputs={"base": "origin/nope"},
        github={"base_ref": "main", "event.before": ""},
        tmp=tmp_path,
    )
    assert result.returncode == 1
    assert "unknown revision 'origin/nope'" in result.stderr
    assert outputs["ok"] == "false" and outputs["moves"] == "[]"


@pytest.mark.parametrize("extras", ["", "s3"])
def test_action_install_step_installs_the_actions_own_source(tmp_path: Path, extras: str) -> None:
    """`pip install "$ACTION_PATH"`: run offline here (no index, no dependencies, the build
    backend from this environment), into a target folder."""
    target = tmp_path / "site"
    offline = {
        "PIP_NO_INDEX": "1",
        "PIP_NO_DEPS": "1",
        "PIP_NO_BUILD_ISOLATION": "0",  # pip's inverted spelling: build with this environment's setuptools
        "PIP_TARGET": str(target),
        "PIP_REPORT": str(tmp_path / "report.json"),  # what pip was asked to install
    }
    source = tmp_path / "action"  # the action's checkout: what the package build reads
    shutil.copytree(ROOT / "modelreg", source / "modelreg", ignore=shutil.ignore_patterns("__pycache__"))
    for rel in ("pyproject.toml", "README.md", "action.yml"):
        shutil.copy(ROOT / rel, source / rel)
    result, _ = _run_step(
        "Install modelreg",
        cwd=tmp_path,
        inputs={"extras": extras},
        github={"action_path": str(source)},
        tmp=tmp_path,
        extra_env=offline,
    )
    assert result.returncode == 0, result.stderr
    assert (target / "modelreg" / "cli" / "main.py").is_file()
    assert list(target.glob("modelreg-*.dist-info"))
    (installed,) = json.loads((tmp_path / "report.json").read_text())["install"]
    assert installed["metadata"]["name"] == "modelreg"
    assert installed.get("requested_extras", []) == ([extras] if extras else [])


def test_action_install_step_takes_the_install_input(tmp_path: Path) -> None:
    result, _ = _run_step(
        "Install modelreg",
        cwd=tmp_path,
        inputs={"install": str(tmp_path / "no-such-project")},
        github={"action_path": str(ROOT)},
        tmp=tmp_path,
        extra_env={"PIP_NO_INDEX": "1", "PIP_TARGET": str(tmp_path / "site")},
    )
    assert result.returncode != 0
    assert "no-such-project" in result.stderr


def _actionlint(*files: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ACTIONLINT, "-no-color", *map(str, files)], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_actionlint_finds_nothing_in_this_repositorys_workflows() -> None:
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert workflows
    result = _actionlint(*workflows, cwd=ROOT)  # `uses: ./` makes it read action.yml too
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_actionlint_finds_nothing_in_the_workflow_init_writes(reg: Reg) -> None:
    result = _actionlint(reg.path / WORKFLOW_FILE, cwd=reg.path)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_actionlint_flags_actions_that_run_on_node20(reg: Reg) -> None:
    """What the workflows used before: actionlint reports them (so the tests above can fail)."""
    path = reg.path / WORKFLOW_FILE
    path.write_text(path.read_text().replace("actions/checkout@v5", "actions/checkout@v4"))
    result = _actionlint(path, cwd=reg.path)
    assert result.returncode == 1
    assert 'runtime "node20" is deprecated' in result.stdout and "actions/checkout@v4" in result.stdout


def test_action_yml_is_valid_against_githubs_schema() -> None:
    argv = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-actions"]
    result = subprocess.run([*argv, str(ROOT / "action.yml")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    setup = _action()["runs"]["steps"][0]  # type: ignore[index]
    assert setup["uses"] == "actions/setup-python@v6"
    assert set(_action()["outputs"]) == {"ok", "moves", "registered", "report"}  # type: ignore[arg-type]


def _uncommented(text: str, block: str) -> str:
    """The workflow with the example job of ``# ==== BLOCK:`` made real: every line from the
    job's own ``  # NAME:`` line to the block's end loses its ``# ``."""
    lines, inside, job = [], False, False
    for line in text.splitlines():
        if line.startswith(f"  # ==== {block}:"):
            inside = True
        elif line.startswith(f"  # ==== end of {block}"):
            inside = job = False
        elif inside and re.fullmatch(r"  # [a-z-]+:", line):
            job = True
        if job and line.startswith("  # "):
            line = "  " + line[4:]
        lines.append(line)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("block", "job", "command"),
    [("delivery", "deploy", "modelreg events --base"), ("pages", "site", "modelreg site -o public")],
)
def test_each_example_job_init_writes_passes_actionlint_once_uncommented(
    reg: Reg, block: str, job: str, command: str
) -> None:
    path = reg.path / WORKFLOW_FILE
    live = _uncommented(path.read_text(), block)
    assert f"\n  {job}:\n" in live and command in live and "pip install " in live
    path.write_text(live)
    result = _actionlint(path, cwd=reg.path)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
