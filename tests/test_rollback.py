"""``modelreg rollback``: history names the previous holder; promote's flow puts it back."""

from __future__ import annotations

from conftest import Reg, git


def _promote_and_merge(reg: Reg, ref: str, stage: str, pr: int) -> None:
    result = reg.cli("promote", ref, "--to", stage, "--no-push")
    assert result.code == 0, result.err
    branch = result.out.split("branch ", 1)[1].split()[0]
    git("merge", "-q", "--no-ff", "-m", f"Merge pull request #{pr} from acme/{branch}", branch, cwd=reg.path)


def test_rollback_returns_the_previous_holder_and_check_accepts_it(populated: Reg) -> None:
    reg = populated
    _promote_and_merge(reg, "fraud@1.2.0", "staging", 7)
    _promote_and_merge(reg, "fraud@1.2.0", "production", 8)
    assert reg.cli("show", "fraud@production").out.startswith("fraud@1.2.0  (production)")
    assert reg.cli("show", "fraud@1.1.0", "--format", "json").out.count('"stage": "archived"') == 1

    result = reg.cli("rollback", "fraud", "--stage", "production", "--no-push", "--reason", "drift")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "roll back fraud production from 1.2.0 (PR #8) to 1.1.0"
    assert lines[1].startswith("considered: 1.1.0 (held production until ") and lines[1].endswith(
        "; archived now)"
    )
    assert lines[2] == "fraud@1.1.0: archived -> production"
    assert lines[3] == "fraud@1.2.0: production -> archived (displaced)"
    branch = "rollback/fraud-production-1.1.0"
    message = git("log", "-1", "--format=%B", branch, cwd=reg.path)
    assert message.startswith(
        "rollback fraud@1.1.0: archived -> production\n\nRolls back fraud@1.2.0 (PR #8) to 1.1.0"
    )
    assert "\ndrift\n" in message and "Modelreg-To: production" in message
    assert git("branch", "--show-current", cwd=reg.path).strip() == "main"

    checked = reg.cli("check", "--base", "main", "--head", branch)
    assert checked.code == 0, checked.out + checked.err
    git("merge", "-q", "--no-ff", "-m", "Merge pull request #9 from acme/rollback", branch, cwd=reg.path)
    assert reg.cli("show", "fraud@production").out.startswith("fraud@1.1.0  (production)")
    assert reg.cli("check", "--base", "HEAD~1").code == 0


def test_the_same_move_without_history_is_refused_by_check(populated: Reg) -> None:
    """churn@0.1.0 never held production: archived -> production stays a forbidden transition."""
    reg = populated
    reg.write("models/churn/stages.yaml", "archived: 0.1.0\n")
    reg.commit("archive churn")
    git("checkout", "-q", "-b", "sneaky", cwd=reg.path)
    reg.write("models/churn/stages.yaml", "production: 0.1.0\n")
    reg.commit("sneak churn into production")
    result = reg.cli("check", "--base", "main")
    assert result.code == 1
    assert "churn@0.1.0: archived -> production is not an allowed transition" in result.out


def test_rollback_with_nothing_before(populated: Reg) -> None:
    before = populated.state()
    result = populated.cli("rollback", "fraud", "--stage", "production", "--no-push")
    assert result.code == 1
    assert result.lines == [
        "modelreg: error: no version of fraud held production before 1.1.0; there is nothing to roll back to"
    ]
    assert populated.state() == before


def test_rollback_unknown_stage_and_model(populated: Reg) -> None:
    assert populated.cli("rollback", "fraud", "--stage", "qa", "--no-push").lines == [
        "modelreg: error: unknown stage 'qa'; registry.yaml defines: development, staging, production, deprecated, archived"
    ]
    assert populated.cli("rollback", "ghost", "--stage", "production", "--no-push").lines == [
        "modelreg: error: no model 'ghost' in the registry; `modelreg list` shows the models"
    ]
