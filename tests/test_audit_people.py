"""Who asked, who approved, why: the audit trail of a promotion and a deployment made by three
different people (requester, merger, reviewer), in every format of ``history``."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess

from conftest import Reg, git
from test_deploy import _environments

pytest_plugins = ["registries"]

ALICE = {"GIT_AUTHOR_NAME": "Alice Asker", "GIT_AUTHOR_EMAIL": "alice@example.com"}
ALICE |= {"GIT_COMMITTER_NAME": "Alice Asker", "GIT_COMMITTER_EMAIL": "alice@example.com"}
CAROL = {"GIT_AUTHOR_NAME": "Carol Merger", "GIT_AUTHOR_EMAIL": "carol@example.com"}
CAROL |= {"GIT_COMMITTER_NAME": "Carol Merger", "GIT_COMMITTER_EMAIL": "carol@example.com"}


def _run(reg: Reg, people: dict[str, str], *argv: str) -> None:
    subprocess.run(list(argv), cwd=reg.path, env={**os.environ, **people}, check=True, capture_output=True)


def test_requester_approver_reviewers_and_reason(populated: Reg) -> None:
    reg = populated
    _environments(reg)
    # Alice asks: the promotion commit is hers, with her reason
    asked = reg.cli(
        "promote",
        "fraud@1.2.0",
        "--to",
        "production",
        "--no-push",
        "--reason",
        "beats 1.1.0 on the November holdout",
        env=ALICE,
    )
    assert asked.code == 0, asked.err
    # Carol merges it; Bob's review is recorded as a trailer of the merge
    message = (
        "Merge pull request #21 from acme/promote/fraud-1.2.0-production\n\n"
        "Reviewed-by: Bob Reviewer <bob@example.com>\n"
    )
    _run(reg, CAROL, "git", "merge", "-q", "--no-ff", "-m", message, "promote/fraud-1.2.0-production")
    data = json.loads(reg.cli("history", "fraud@1.2.0", "--format", "json").out)
    (moved,) = [e for e in data["events"] if e["kind"] == "stage_changed" and e["to"] == "production"]
    commit = moved["commit"]
    assert commit["requested_by"] == "Alice Asker <alice@example.com>"
    assert commit["approved_by"] == "Carol Merger <carol@example.com>"
    assert commit["reviewers"] == ["Bob Reviewer <bob@example.com>"]
    assert commit["pr"] == 21
    assert commit["reason"] == "beats 1.1.0 on the November holdout"
    table = reg.cli("history", "fraud@1.2.0").out
    row = next(line for line in table.splitlines() if "staging -> production" in line)
    assert "Alice Asker" in row and "Carol Merger, Bob Reviewer" in row and "#21" in row
    assert "beats 1.1.0 on the November holdout" in row
    rows = list(csv.DictReader(io.StringIO(reg.cli("history", "fraud@1.2.0", "--format", "csv").out)))
    (entry,) = [x for x in rows if x["to"] == "production"]
    assert entry["requested_by"].startswith("Alice") and entry["approved_by"].startswith("Carol")
    assert entry["reviewers"].startswith("Bob") and entry["reason"] == "beats 1.1.0 on the November holdout"


def test_trailers_that_contradict_the_diff_are_marked(populated: Reg) -> None:
    """A commit may say anything in its trailers; history follows the diff and marks the claim."""
    reg = populated
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: [1.2.0]\narchived: [1.0.0]\n")
    git("add", "-A", cwd=reg.path)
    message = (
        "promote fraud@1.0.0: archived -> production\n\n"
        "Modelreg-Model: fraud\nModelreg-Version: 1.0.0\nModelreg-From: archived\nModelreg-To: production\n"
    )
    git("commit", "-q", "-m", message, cwd=reg.path)
    events = json.loads(reg.cli("history", "fraud", "--format", "json").out)["events"]
    latest = [e for e in events if e["commit"]["subject"].startswith("promote fraud@1.0.0")]
    kinds = {(e["kind"], e.get("version"), e.get("rule")) for e in latest}
    assert ("stage_changed", "1.2.0", None) in kinds  # what the diff did
    (mark,) = [e for e in latest if e["kind"] == "violation"]
    assert mark["rule"] == "trailer" and "fraud@1.0.0: archived -> production" in mark["detail"]
    # a promotion whose trailers match its diff carries no mark
    assert reg.cli("promote", "fraud@1.2.0", "--to", "production", "--no-push").code == 0
    git("merge", "-q", "--ff-only", "promote/fraud-1.2.0-production", cwd=reg.path)
    events = json.loads(reg.cli("history", "fraud", "--format", "json").out)["events"]
    assert sum(1 for e in events if e.get("rule") == "trailer") == 1
