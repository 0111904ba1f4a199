"""``modelreg check``: each rule's failing case is a file under check_cases/ (one test each)."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Reg, git

CASES = Path(__file__).parent / "check_cases"
BRANCH = "change"

pytest_plugins = ["github_server", "registries"]


def _cases(kind: str) -> list[Any]:
    return [pytest.param(p, id=p.stem) for p in sorted((CASES / kind).glob("*.yaml"))]


def apply_steps(reg: Reg, steps: list[dict[str, Any]]) -> None:
    """Carry out a case's steps on the current branch; ``base`` steps happen on main."""
    for step in steps:
        ((action, arg),) = step.items()
        if action == "base":
            git("checkout", "-q", "main", cwd=reg.path)
            apply_steps(reg, arg)
            _commit_if_dirty(reg, "base moves on")
            git("checkout", "-q", BRANCH, cwd=reg.path)
            git("clean", "-q", "-fdx", "--", "models", cwd=reg.path)  # artifacts DVC keeps out of Git
        else:
            STEPS[action](reg, arg)


def _write(reg: Reg, arg: dict[str, str]) -> None:
    reg.write(arg["path"], arg["text"])


def _append(reg: Reg, arg: dict[str, str]) -> None:
    """Append ``text``; ``{now}`` in it is the current UTC time (an evaluation is dated between
    its version's creation, when the test built the registry, and the commit that adds it)."""
    target = reg.path / arg["path"]
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    target.write_text(target.read_text() + arg["text"].replace("{now}", now))


def _replace(reg: Reg, arg: dict[str, str]) -> None:
    target = reg.path / arg["path"]
    text = target.read_text()
    assert arg["old"] in text, f"{arg['old']!r} not in {arg['path']}"
    target.write_text(text.replace(arg["old"], arg["new"]))


def _register(reg: Reg, arg: dict[str, Any]) -> None:
    reg.register("fraud", **arg)


def _codeowners(reg: Reg, arg: object) -> None:
    from modelreg.operations.codeowners import write

    write(reg.path)


def _commit_if_dirty(reg: Reg, message: str) -> None:
    if git("status", "--porcelain", cwd=reg.path).strip():
        reg.commit(message)


STEPS = {
    "write": _write,
    "append": _append,
    "replace": _replace,
    "delete": lambda reg, path: git("rm", "-q", path, cwd=reg.path),
    "rename": lambda reg, arg: git("mv", arg["from"], arg["to"], cwd=reg.path),
    "register": _register,
    "codeowners": _codeowners,
    "commit": _commit_if_dirty,
    "merge": lambda reg, branch: git("merge", "-q", "--no-ff", "-m", "merge", branch, cwd=reg.path),
}


def run_case(reg: Reg, case_file: Path) -> tuple[dict[str, Any], Any]:
    case = yaml.safe_load(case_file.read_text())
    git("checkout", "-q", "-b", BRANCH, cwd=reg.path)
    apply_steps(reg, case["steps"])
    _commit_if_dirty(reg, case["about"])
    return case, reg.cli("check", "--base", "main")


@pytest.mark.parametrize("case_file", _cases("valid"))
def test_valid_change_passes(strict: Reg, case_file: Path) -> None:
    case, r = run_case(strict, case_file)
    assert r.code == 0, r.out + r.err
    for line in case["output"]:
        assert line in r.out


@pytest.mark.parametrize("case_file", _cases("invalid"))
def test_invalid_change_fails_saying_why(strict: Reg, case_file: Path) -> None:
    case, r = run_case(strict, case_file)
    assert r.code == 1, r.out + r.err
    for message in case["expect"]:
        assert message in r.out, f"missing: {message}\n--- got:\n{r.out}"
    assert "Traceback" not in r.err


def test_every_failure_is_listed_not_just_the_first(strict: Reg) -> None:
    git("checkout", "-q", "-b", BRANCH, cwd=strict.path)
    git("rm", "-q", "models/fraud/1.6.0.yaml", cwd=strict.path)
    _replace(strict, {"path": "models/fraud/1.1.0.yaml", "old": "retrained", "new": "edited"})
    strict.write(
        "models/fraud/stages.yaml", "production: 1.3.0\nstaging: [1.2.0]\narchived: [1.0.0, 1.1.0]\n"
    )
    strict.commit("many wrongs")
    r = strict.cli("check", "--base", "main", "--format", "json")
    assert r.code == 1
    report = json.loads(r.out)
    rules = {p["rule"] for p in report["problems"]}
    assert {"write-once", "requirement", "artifact"} <= rules
    assert report["ok"] is False and report["base"] == "main"


def test_github_format_annotates_and_writes_the_step_summary(strict: Reg, tmp_path: Path) -> None:
    git("checkout", "-q", "-b", BRANCH, cwd=strict.path)
    stages = "production: 1.2.0\nstaging: [1.3.0, 1.4.0, 1.5.0, 1.7.0]\narchived: [1.0.0, 1.1.0]\n"
    strict.write("models/fraud/stages.yaml", stages)
    _replace(
        strict, {"path": "models/fraud/1.0.0.yaml", "old": "description: first", "new": "description: x"}
    )
    strict.commit("promote, and an illegal edit")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    r = strict.cli("check", "--base", "main", env=env)
    assert r.code == 1
    assert (
        "::error file=models/fraud/1.0.0.yaml,line=7,title=modelreg check (write-once)::"
        "registered version fraud@1.0.0 was modified (description)" in r.out
    )
    text = summary.read_text()
    assert text.startswith("earlier step\n## modelreg check: 1 problem")
    assert "**fraud@1.2.0**: staging → production, replacing fraud@1.1.0" in text
    assert "| auc | 0.95 | 0.92 | +0.03 (better) |" in text
    assert "| latency_ms | 20 | 30 | -10 (better) |" in text
    assert "- Lineage: fraud@1.1.0 (retrain)" in text
    assert "<details><summary>Lineage of fraud@1.2.0</summary>\n\n```mermaid\nflowchart TD\n" in text
    assert '-->|"retrain"|' in text
    assert "- Registered by Alice Example &lt;alice@example.com&gt;" in text
    assert "Also: fraud@1.1.0 production → archived" in text


def test_markdown_marks_worse_metrics(strict: Reg) -> None:
    git("checkout", "-q", "-b", BRANCH, cwd=strict.path)
    strict.write(
        "models/fraud/stages.yaml", "production: 1.3.0\nstaging: [1.2.0]\narchived: [1.0.0, 1.1.0]\n"
    )
    strict.commit("worse candidate")
    r = strict.cli("check", "--base", "main", "--format", "markdown")
    assert r.code == 1
    assert "| auc | 0.915 | 0.92 | -0.005 (worse) |" in r.out


def test_head_defaults_to_head_and_base_to_main(strict: Reg) -> None:
    r = strict.cli("check")
    assert r.code == 0, r.err
    assert r.out.startswith("check main (")


def test_check_refuses_unknown_revisions(strict: Reg) -> None:
    r = strict.cli("check", "--base", "nope")
    assert r.code == 1
    assert r.err.strip() == "modelreg: error: unknown revision 'nope': no commit, branch or tag has that name"
    r = strict.cli("check", "--base=-x")
    assert r.code == 1
    assert "a revision cannot start with '-'" in r.err


def test_concurrent_promotions_into_a_single_holder_stage(populated: Reg) -> None:
    """Two branches each promote a different version into production. Each passes check
    alone; the second cannot merge without a conflict, and forcing both in fails check."""
    reg = populated
    for ref in ("fraud@1.2.0", "fraud@1.3.0"):
        if ref == "fraud@1.3.0":
            reg.register("fraud", "1.3.0", description="v8")
        assert reg.cli("promote", ref, "--to", "staging", "--no-push").code == 0
        _merge(reg, f"promote/{ref.replace('@', '-')}-staging")
    for ref in ("fraud@1.2.0", "fraud@1.3.0"):
        r = reg.cli("promote", ref, "--to", "production", "--no-push")
        assert r.code == 0, r.err
    first, second = "promote/fraud-1.2.0-production", "promote/fraud-1.3.0-production"
    for branch in (first, second):
        r = reg.cli("check", "--base", "main", "--head", branch)
        assert r.code == 0, r.out
    _merge(reg, first)
    assert reg.cli("check", "--base", "HEAD~1").code == 0
    conflict = subprocess.run(
        ["git", "merge", "--no-ff", second], cwd=reg.path, capture_output=True, text=True
    )
    assert conflict.returncode == 1
    assert "CONFLICT (content): Merge conflict in models/fraud/stages.yaml" in conflict.stdout
    # Resolved carelessly, keeping both: check on main says why that is wrong.
    reg.write("models/fraud/stages.yaml", "production: [1.2.0, 1.3.0]\narchived: [1.0.0, 1.1.0]\n")
    reg.commit("merge the second promotion")
    r = reg.cli("check", "--base", "HEAD~1")
    assert r.code == 1
    assert "models/fraud/stages.yaml:1: production holds 2 versions, more than its max_versions of 1" in r.out


def _merge(reg: Reg, branch: str) -> None:
    git("merge", "-q", "--no-ff", "-m", f"Merge {branch}", branch, cwd=reg.path)


def test_the_change_that_introduces_the_registry_is_validated_not_judged(tmp_path: Path) -> None:
    """Before registry.yaml exists no stage rules are in force: adopting modelreg in an
    existing repository with versions already in production passes, if the files validate."""
    from modelreg.operations.scaffold import init

    path = tmp_path / "existing"
    path.mkdir()
    git("init", "-q", cwd=path)
    (path / "README.md").write_text("an existing project\n")
    git("add", "README.md", cwd=path)
    git("commit", "-q", "-m", "before modelreg", cwd=path)
    init(path, remote=str(tmp_path / "remote"), name="adopted")
    reg = Reg(path, tmp_path / "remote", tmp_path / "scratch")
    reg.register("fraud", "1.0.0", owner="@acme/risk", description="in production for a year")
    reg.write("models/fraud/stages.yaml", "production: 1.0.0\n")
    reg.commit("record what is in production")
    r = reg.cli("check", "--base", "HEAD~3")
    assert r.code == 0, r.out
    assert "fraud@1.0.0: development -> production" in r.out
    reg.write("models/fraud/stages.yaml", "production: 7.0.0\n")
    reg.commit("a broken stages.yaml is still refused")
    r = reg.cli("check", "--base", "HEAD~4")
    assert r.code == 1
    assert "production: version 7.0.0 of fraud is not registered" in r.out


def test_remote_option_proves_new_artifacts_were_pushed(populated: Reg) -> None:
    reg = populated
    git("checkout", "-q", "-b", BRANCH, cwd=reg.path)
    reg.register("fraud", "1.3.0", description="not pushed yet", push=False)
    assert reg.cli("check", "--base", "main").code == 0  # off by default: no remote needed
    r = reg.cli("check", "--base", "main", "--remote")
    assert r.code == 1
    assert "models/fraud/1.3.0/model.bin.dvc: fraud@1.3.0: models/fraud/1.3.0/model.bin (md5 " in r.out
    assert "push it with `dvc push models/fraud/1.3.0/model.bin.dvc`" in r.out
    from modelreg.adapters import dvc

    dvc.push(reg.path, ["models/fraud/1.3.0/model.bin.dvc"])
    assert reg.cli("check", "--base", "main", "--remote").code == 0


def test_registry_yaml_can_turn_the_remote_check_on(populated: Reg) -> None:
    reg = populated
    text = (reg.path / "registry.yaml").read_text()
    reg.write("registry.yaml", text + "check: {remote: true}\n")
    reg.commit("CI proves artifacts were pushed")
    git("checkout", "-q", "-b", BRANCH, cwd=reg.path)
    reg.register("fraud", "1.3.0", description="not pushed yet", push=False)
    r = reg.cli("check", "--base", "main")
    assert r.code == 1 and "is not in the" in r.out
    assert reg.cli("check", "--base", "main", "--no-remote").code == 0


def test_a_base_whose_registry_yaml_is_broken_judges_nothing(populated: Reg) -> None:
    """The rules in force are the base's: when they cannot be read, no change passes."""
    reg = populated
    reg.write("registry.yaml", "schema_version: 1\nname: broken\nstages: {}\n")
    reg.commit("break the policy on main")
    git("checkout", "-q", "-b", BRANCH, cwd=reg.path)
    reg.write("models/fraud/stages.yaml", "production: 1.2.0\narchived: [1.0.0, 1.1.0]\n")
    reg.commit("promote fraud@1.2.0 straight to production")
    r = reg.cli("check", "--base", "main")
    assert r.code == 1
    assert r.lines == [
        "modelreg: error: the base's registry.yaml is not valid, so no change can be judged against it; "
        "fix it on the base branch first (modelreg validate)"
    ]
