"""What a newcomer following the README tripped over, one test each."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import ROOT, Reg, cli, git

pytestmark = pytest.mark.slow  # the README's newcomer paths end to end

if TYPE_CHECKING:
    from github_server import Origin

pytest_plugins = ["github_server"]


def test_a_mistyped_command_gets_the_closest_names(tmp_path: Path) -> None:
    r = cli("promot", "fraud@1.0.0", cwd=tmp_path)
    assert r.code == 2
    assert r.err.strip().splitlines()[-1] == "Error: No such command 'promot'. Did you mean 'promote'?"
    r = cli("histroy", cwd=tmp_path)
    assert "Did you mean 'history'?" in r.err
    r = cli("xyzzy", cwd=tmp_path)
    assert r.code == 2 and r.err.strip().splitlines()[-1] == "Error: No such command 'xyzzy'."


def test_validate_and_check_count_in_words(reg: Reg) -> None:
    r = reg.cli("validate")
    assert r.code == 0
    assert r.out.strip() == "validated 1 registry file: ok"
    reg.write("models/fraud/stages.yaml", "production: 7.0.0\n")
    r = reg.cli("validate")
    assert r.code == 1 and r.lines[-1] == "validated 2 registry files: 1 problem"
    reg.commit("broken stages")
    r = reg.cli("check", "--base", "HEAD~1")
    assert r.code == 1 and "checked 2 registry files: 1 problem" in r.out


def test_demo_setup_installs_only_what_the_demo_needs() -> None:
    """`bash .ci/demo`, the README's first command, sets up modelreg alone: no development
    tools, no S3 extra, no moto environment (those are .ci/setup's, which .ci/run calls)."""
    demo = (ROOT / ".ci/demo").read_text()
    assert "bash .ci/setup-demo" in demo and "bash .ci/setup\n" not in demo
    minimal = (ROOT / ".ci/setup-demo").read_text()
    commands = [line for line in minimal.splitlines() if not line.startswith("#")]
    assert "pip_install .venv/bin/python -e ." in commands
    for heavy in ("[dev", "s3", "moto"):
        assert not any(heavy in line for line in commands), heavy
    full = (ROOT / ".ci/setup").read_text()
    assert "bash .ci/setup-demo" in full and '".[dev,s3,docs]"' in full and "moto" in full
    assert "bash .ci/setup\n" in (ROOT / ".ci/run").read_text()


def test_compare_json_rounds_deltas_to_the_inputs_precision(reg: Reg) -> None:
    import json

    assert 0.912 - 0.9238 != -0.0118  # the float noise this is about
    reg.register("fraud", "1.0.0", metrics={"auc": 0.9238, "latency_ms": 3.7, "tiny": 1.5e-07})
    reg.register("fraud", "1.1.0", metrics={"auc": 0.912, "latency_ms": 4.1, "tiny": 2e-07})
    r = reg.cli("compare", "fraud@1.0.0", "fraud@1.1.0", "--format", "json")
    assert r.code == 0, r.err
    deltas = {m["metric"]: m["deltas"] for m in json.loads(r.out)["metrics"]}
    assert deltas == {"auc": [0.0, -0.0118], "latency_ms": [0.0, 0.4], "tiny": [0.0, 5e-08]}


def test_promote_builds_its_branch_from_origins_base(
    populated: Reg, add_origin: Callable[[Reg], Origin]
) -> None:
    """Local main 3 commits ahead of origin: the pull request's branch holds the one commit
    that edits stages.yaml, on top of origin/main, and main's unpushed commits stay out."""
    origin = add_origin(populated)
    pushed = git("rev-parse", "origin/main", cwd=populated.path).strip()
    for version in ("1.3.0", "1.4.0", "1.5.0"):
        populated.register("fraud", version)
    r = populated.cli("promote", "fraud@1.2.0", "--to", "staging")
    assert r.code == 0, r.err
    branch = "promote/fraud-1.2.0-staging"
    assert re.search(rf"^branch {branch} \([0-9a-f]{{12}}\) from origin/main$", r.out, re.M), r.out
    assert r.lines == [
        "note: 3 commits of main not on origin/main stay out of this branch; land them by their own pull request"
    ]
    assert git("rev-list", f"{branch}", "--not", "origin/main", cwd=populated.path).split() == [
        git("rev-parse", branch, cwd=populated.path).strip()
    ]
    assert git("rev-parse", f"{branch}~1", cwd=populated.path).strip() == pushed
    assert git("diff", "--name-only", f"{branch}~1", branch, cwd=populated.path).split() == [
        "models/fraud/stages.yaml"
    ]
    assert branch in origin.branches()


def test_promote_of_a_version_origin_lacks_names_the_commits_to_land(
    populated: Reg, add_origin: Callable[[Reg], Origin]
) -> None:
    origin = add_origin(populated)
    populated.register("fraud", "1.3.0", description="v8")
    populated.write("notes.txt", "unrelated\n")
    populated.commit("notes")
    before, remote_before = populated.state(), origin.branches()
    r = populated.cli("promote", "fraud@1.3.0", "--to", "staging")
    assert r.code == 1
    (line,) = r.lines
    commits = git("log", "--format=%h %s", "origin/main..main", cwd=populated.path).splitlines()
    assert commits[1].endswith("register fraud@1.3.0")
    assert line == (
        "modelreg: error: fraud@1.3.0 is not on origin/main, where the pull request goes; land these "
        "commits of main first (push them, or merge a pull request of them), then promote: "
        + "; ".join(commits)
    )
    assert (populated.state(), origin.branches()) == (before, remote_before)
    # --no-push keeps working on the local branch, as before
    assert populated.cli("promote", "fraud@1.3.0", "--to", "staging", "--no-push").code == 0


def _at(monkeypatch: pytest.MonkeyPatch, day: int) -> None:
    """Commits from now on are dated 2026-11-DAY (tenures are ordered by date)."""
    for key in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
        monkeypatch.setenv(key, f"2026-11-{day:02d}T12:00:00Z")


def test_rollback_of_a_stage_with_several_holders_takes_the_current_one_out(
    populated: Reg, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = populated
    _at(monkeypatch, 10)
    reg.register("fraud", "1.3.0", description="v8")
    reg.register("fraud", "1.4.0", description="v9")
    _at(monkeypatch, 11)
    reg.write("models/fraud/stages.yaml", "staging: [1.2.0, 1.3.0]\nproduction: 1.1.0\narchived: 1.0.0\n")
    reg.commit("1.2.0 and 1.3.0 to staging")
    _at(monkeypatch, 12)
    reg.write(
        "models/fraud/stages.yaml", "staging: [1.2.0, 1.4.0]\nproduction: 1.1.0\narchived: [1.0.0, 1.3.0]\n"
    )
    reg.commit("1.4.0 replaces 1.3.0 in staging")
    _at(monkeypatch, 13)
    r = reg.cli("rollback", "fraud", "--stage", "staging", "--no-push")
    assert r.code == 0, r.err
    assert "fraud@1.3.0: archived -> staging" in r.out
    assert "fraud@1.4.0: staging -> archived (displaced)" in r.out
    branch = "rollback/fraud-staging-1.3.0"
    stages = git("show", f"{branch}:models/fraud/stages.yaml", cwd=reg.path)
    assert stages.splitlines()[-3:] == [
        "staging: [1.2.0, 1.3.0]",
        "production: 1.1.0",
        "archived: [1.0.0, 1.4.0]",
    ]
    assert reg.cli("check", "--base", "main", "--head", branch).code == 0


def test_demote_moves_only_back_in_the_stage_order(populated: Reg) -> None:
    """registry.yaml's order: development, staging, production, deprecated, archived."""
    reg = populated
    reg.write(
        "registry.yaml",
        (reg.path / "registry.yaml")
        .read_text()
        .replace("production:\n    from: [staging]", "production:\n    from: [staging, development]"),
    )
    reg.commit("production accepts development")
    before = reg.state()
    r = reg.cli("demote", "fraud@1.2.0", "--to", "production", "--no-push")
    assert r.code == 1
    assert r.lines == [
        "modelreg: error: cannot demote fraud@1.2.0 from development to production: demote moves a version "
        "back in registry.yaml's stage order (development, staging, production, deprecated, archived); "
        "use `modelreg promote fraud@1.2.0 --to production`"
    ]
    assert reg.state() == before
    assert reg.cli("promote", "fraud@1.2.0", "--to", "production", "--no-push").code == 0
    r = reg.cli("demote", "fraud@1.0.0", "--to", "development", "--no-push")  # archived -> development
    assert r.code == 0, r.err


def test_demote_and_rollback_help_say_what_they_do() -> None:
    r = cli("rollback", "--help", cwd=ROOT)
    assert "Default: rollback/NAME-STAGE-VERSION." in " ".join(r.out.split())
    assert "promote/NAME" not in r.out
    demote = cli("demote", "--help", cwd=ROOT).out
    assert "modelreg demote fraud-detector@1.3.0 --to development" not in demote


def test_the_documented_demote_example_works_under_the_registry_it_names(populated: Reg) -> None:
    """The `demote` lines of the promotion page, run against the default lifecycle (plus the
    `from:` the page says the second one needs)."""
    readme = (ROOT / "docs/workflows/promotion.md").read_text()
    assert "modelreg demote fraud-detector@1.0.0 --to development" in readme
    assert "staging: {from: [development, production]}" in readme
    reg = populated
    assert reg.cli("demote", "fraud@1.0.0", "--to", "development", "--no-push").code == 0
    reg.write(
        "registry.yaml",
        (reg.path / "registry.yaml")
        .read_text()
        .replace(
            "staging: {from: [development], max_versions: 3}",
            "staging: {from: [development, production], max_versions: 3}",
        ),
    )
    reg.commit("staging accepts production's holder back")
    r = reg.cli("demote", "fraud@production", "--to", "staging", "--no-push", "--reason", "drift")
    assert r.code == 0, r.err


def test_registry_at_an_unknown_moment_speaks_python_not_cli(populated: Reg) -> None:
    from modelreg import Registry
    from modelreg.domain.errors import InvalidInputError

    with pytest.raises(InvalidInputError) as raised:
        Registry(populated.path).at("yesterday")
    assert str(raised.value).startswith("'yesterday' is neither a revision (commit, branch, tag) nor a date")
    assert "--at" not in str(raised.value)
    r = populated.cli("show", "fraud@1.0.0", "--at", "yesterday")  # the CLI names its option
    assert r.code == 1 and r.lines[0].startswith("modelreg: error: --at 'yesterday' is neither a revision")
