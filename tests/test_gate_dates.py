"""Nothing an author writes as a date decides anything: the latest evaluation is the one appended
last, and an evaluation dated after the commit that adds it (beyond dating.CLOCK_SKEW) or
before its version was created is refused, by check, promote and validate alike. Each finding
is a named test against the real CLI, with a legitimate twin that must pass.

The finding: a pull request appended an evaluation dated 2999-01-01 with auc 0.99; check
accepted it, and when the pipeline later recorded auc 0.5 the 2999 entry still "won" in
promote and check.

The base (gate_attacks): fraud 1.3.0 in staging, with a holdout evaluation of auc 0.94;
production requires holdout auc >= 0.9 and auc not worse than 1.2.0's 0.95 (1.3.0's
manifest auc is 0.93, so fraud 1.4.0, auc 0.97 with holdout 0.96, is the one that may go up
from staging). fraud 1.4.0 was never pushed: these tests run with check.remote off.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import yaml
from conftest import cli
from gate_attacks import Sandbox, git, promote_branch, run_cli

from modelreg.domain.dating import CLOCK_SKEW

MANIFEST = "models/fraud/1.4.0.yaml"


def stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def append(sandbox: Sandbox, rel: str, auc: float, when: str, *, dataset: str = "holdout") -> None:
    doc = yaml.safe_load(sandbox.read(rel))
    entry: dict[str, Any] = {
        "dataset": {"name": dataset, "version": "2026-10"},
        "metrics": {"auc": auc},
        "created_at": when,
    }
    doc["evaluations"] = [*(doc.get("evaluations") or []), entry]
    sandbox.write(rel, yaml.safe_dump(doc, sort_keys=False))


def stage_1_4_0(sandbox: Sandbox) -> None:
    """fraud 1.4.0 to staging, landed on main (a checked, allowed move)."""
    branch = promote_branch(sandbox.path, "fraud@1.4.0", "staging")
    assert sandbox.check("main", branch).accepted
    git("merge", "-q", "--ff-only", branch, cwd=sandbox.path)


def land_unchecked(sandbox: Sandbox, message: str) -> None:
    """Commit straight to main, as a registry that had no gate when the entry landed."""
    git("checkout", "-q", "main", cwd=sandbox.path)
    sandbox.commit(message)


def now() -> datetime:
    return datetime.now(timezone.utc)


def created(sandbox: Sandbox, rel: str = MANIFEST) -> datetime:
    """When the version was registered (the base was built minutes ago)."""
    value = yaml.safe_load(sandbox.read(rel))["created_at"]
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def promote(sandbox: Sandbox, ref: str, stage: str) -> tuple[int, str]:
    result = cli("promote", ref, "--to", stage, "--no-push", cwd=sandbox.path)
    return result.code, result.err


# --- check: the dates of appended evaluations -------------------------------------------------


def test_finding_1_check_refuses_an_evaluation_dated_far_after_its_commit(sandbox: Sandbox) -> None:
    sandbox.branch()
    append(sandbox, MANIFEST, 0.99, "2999-01-01T00:00:00Z")
    sandbox.commit("a great evaluation")
    checked = sandbox.check()
    assert not checked.accepted
    assert checked.has("evaluation-date", MANIFEST), checked.explain()
    message = next(p["message"] for p in checked.problems if p["rule"] == "evaluation-date")
    assert "2999-01-01T00:00:00Z" in message and "after the commit" in message, message


def test_finding_1_check_refuses_an_evaluation_dated_just_beyond_the_clock_skew(sandbox: Sandbox) -> None:
    sandbox.branch()
    append(sandbox, MANIFEST, 0.99, stamp(now() + CLOCK_SKEW + timedelta(minutes=5)))
    sandbox.commit("an evaluation from the near future")
    assert sandbox.check().has("evaluation-date", MANIFEST)


def test_finding_1_check_refuses_an_evaluation_dated_before_its_version(sandbox: Sandbox) -> None:
    sandbox.branch()
    append(sandbox, MANIFEST, 0.99, "2001-01-01T00:00:00Z")
    sandbox.commit("an evaluation from before the version existed")
    checked = sandbox.check()
    assert checked.has("evaluation-date", MANIFEST), checked.explain()
    assert any("before its version was created" in p["message"] for p in checked.problems)


def test_finding_1_check_refuses_a_new_version_carrying_a_future_evaluation(sandbox: Sandbox) -> None:
    sandbox.branch()
    sandbox.register("fraud", "3.0.0", pushed=True)
    append(sandbox, "models/fraud/3.0.0.yaml", 0.99, "2999-01-01T00:00:00Z")
    sandbox.commit("a new version, pre-evaluated")
    assert sandbox.check().has("evaluation-date", "models/fraud/3.0.0.yaml")


def test_twin_1_evaluations_dated_within_the_skew_and_in_the_past_pass(sandbox: Sandbox) -> None:
    sandbox.branch()
    append(sandbox, MANIFEST, 0.96, stamp(now() + CLOCK_SKEW - timedelta(minutes=2)))
    append(sandbox, MANIFEST, 0.96, stamp(created(sandbox)))  # older than the one before
    sandbox.commit("two evaluations")
    checked = sandbox.check()
    assert checked.accepted, checked.explain()


# --- the latest evaluation is the one appended last ---------------------------------------------


def test_finding_1_the_evaluation_appended_last_decides_promote_and_check(sandbox: Sandbox) -> None:
    """0.99 dated now, then 0.5 dated earlier (a re-run on drifted data, by a job that started
    before): the 0.5 counts. By date the 0.99 would win."""
    stage_1_4_0(sandbox)
    append(sandbox, MANIFEST, 0.99, stamp(now()))
    append(sandbox, MANIFEST, 0.5, stamp(created(sandbox)))
    land_unchecked(sandbox, "two evaluations")
    code, err = promote(sandbox, "fraud@1.4.0", "production")
    assert code == 1, err
    assert "auc 0.5 on holdout@2026-10 is below the minimum 0.9" in err and len(err.splitlines()) == 1, err
    sandbox.branch("sneak")
    sandbox.write(
        "models/fraud/stages.yaml", "production: 1.4.0\narchived: [1.0.0, 1.1.0, 1.2.0]\nstaging: 1.3.0\n"
    )
    sandbox.commit("fraud@1.4.0 to production")
    checked = sandbox.check()
    assert checked.has("requirement", "models/fraud/stages.yaml"), checked.explain()


def test_twin_1_a_later_appended_good_evaluation_supersedes_a_bad_one(sandbox: Sandbox) -> None:
    stage_1_4_0(sandbox)
    append(sandbox, MANIFEST, 0.5, stamp(now()))
    append(sandbox, MANIFEST, 0.96, stamp(created(sandbox)))
    land_unchecked(sandbox, "two evaluations")
    code, err = promote(sandbox, "fraud@1.4.0", "production")
    assert code == 0, err
    branch = git("branch", "--list", "promote/*", "--format=%(refname:short)", cwd=sandbox.path).split()[-1]
    checked = sandbox.check("main", branch)
    assert checked.accepted, checked.explain()


def test_finding_1_promote_refuses_a_version_whose_evaluation_is_misdated(sandbox: Sandbox) -> None:
    stage_1_4_0(sandbox)
    append(sandbox, MANIFEST, 0.99, "2999-01-01T00:00:00Z")
    land_unchecked(sandbox, "landed before the gate knew dates")
    code, err = promote(sandbox, "fraud@1.4.0", "production")
    assert code == 1, err
    assert "2999-01-01T00:00:00Z" in err and "after the commit" in err, err


def test_finding_1_validate_refuses_an_evaluation_dated_before_its_version(sandbox: Sandbox) -> None:
    append(sandbox, MANIFEST, 0.99, "2001-01-01T00:00:00Z")
    result = run_cli(sandbox.path, "validate", "--format", "json")
    assert result.exit_code == 1, result.output
    problems = json.loads(result.stdout)["problems"]
    assert any(p["rule"] == "evaluation-date" and p["file"] == MANIFEST for p in problems), problems


def test_finding_1_compare_show_and_card_follow_append_order(sandbox: Sandbox) -> None:
    """compare --dataset takes the entry appended last; show, card and the site list them in the
    order they were appended (the newest date is not moved to the end)."""
    append(sandbox, MANIFEST, 0.99, stamp(now()))
    append(sandbox, MANIFEST, 0.51, stamp(created(sandbox)))
    land_unchecked(sandbox, "two evaluations")
    compared = run_cli(
        sandbox.path,
        "compare",
        "fraud@1.4.0",
        "fraud@1.3.0",
        "--dataset",
        "holdout@2026-10",
        "--format",
        "json",
    )
    assert compared.exit_code == 0, compared.output
    assert "0.51" in compared.stdout and "0.99" not in compared.stdout, compared.stdout
    shown = run_cli(sandbox.path, "show", "fraud@1.4.0").stdout
    assert shown.index("auc=0.99") < shown.index("auc=0.51"), shown
    card = run_cli(sandbox.path, "card", "fraud@1.4.0").stdout
    assert card.index("auc=0.99") < card.index("auc=0.51"), card
