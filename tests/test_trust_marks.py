"""Where the audit trail can't be trusted: a first-parent commit dated before its
parent, and a pull request's subject that contradicts its diff, are marked in `history` (every
format), and `--at` a date the backdating puts in doubt says so on stderr."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from datetime import datetime

from conftest import Reg, git

pytest_plugins = ["registries"]

BACKDATED = {"GIT_AUTHOR_DATE": "2020-01-01T12:00:00Z", "GIT_COMMITTER_DATE": "2020-01-01T12:00:00Z"}
MARKS = {"date", "subject", "trailer"}


def _commit(reg: Reg, message: str, env: dict[str, str] | None = None) -> str:
    git("add", "-A", cwd=reg.path)
    subprocess.run(
        ["git", "commit", "-q", "-m", message],
        cwd=reg.path,
        env={**os.environ, **(env or {})},
        check=True,
        capture_output=True,
    )
    return git("rev-parse", "HEAD", cwd=reg.path).strip()


def _marks(reg: Reg, *args: str) -> list[dict[str, str]]:
    r = reg.cli("history", *args, "--format", "json")
    assert r.code == 0, r.err
    return [e for e in json.loads(r.out)["events"] if e["kind"] == "violation" and e.get("rule") in MARKS]


def test_a_normal_history_has_no_marks_and_at_no_note(populated: Reg) -> None:
    reg = populated
    assert _marks(reg) == []
    today = git("log", "-1", "--format=%cs", cwd=reg.path).strip()
    r = reg.cli("list", "--at", today)
    assert r.code == 0, r.err
    assert len(r.lines) == 1 and "dated" not in r.err


def test_a_backdated_commit_is_marked_and_at_says_which_answers(populated: Reg) -> None:
    reg = populated
    parent = git("log", "-1", "--format=%cI", cwd=reg.path).strip()
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: [1.2.0]\narchived: [1.0.0]\n")
    sha = _commit(reg, "promote fraud@1.2.0 to staging", BACKDATED)
    (mark,) = _marks(reg)
    assert (mark["model"], mark.get("version"), mark["commit"]["sha"]) == ("fraud", None, sha)
    assert f"commit {sha[:8]} is dated 2020-01-01T12:00:00+00:00, before its parent" in mark["detail"]
    assert datetime.fromisoformat(mark["commit"]["parent_date"]) == datetime.fromisoformat(parent)
    # a model's history carries it; the table and the CSV too
    assert [m["rule"] for m in _marks(reg, "fraud")] == ["date"]
    table = reg.cli("history", "fraud").out
    assert any("[date]" in line and "before its parent" in line for line in table.splitlines())
    rows = list(csv.DictReader(io.StringIO(reg.cli("history", "--format", "csv").out)))
    assert [row["rule"] for row in rows if row["kind"] == "violation"] == ["date"]
    # `--at` a date between the two dates: git answers with the backdated commit (the present),
    # and says so
    for argv in (("list", "--at", "2021-06-01"), ("show", "fraud@production", "--at", "2021-06-01")):
        r = reg.cli(*argv)
        assert r.code == 0, r.err
        (line,) = r.lines
        assert line.startswith(f"modelreg: as of 2021-06-01: commit {sha[:8]} (2020-01-01T12:00:00+00:00); ")
        assert f"commit {sha[:8]} is dated 2020-01-01T12:00:00+00:00, before its parent" in line
        assert "answers `--at` a date between the two may be wrong" in line
    # a date after the parent's is not in doubt
    r = reg.cli("list", "--at", "2099-01-01")
    assert r.code == 0, r.err
    assert "before its parent" not in r.err
    # an incremental read of the kept history marks it the same way
    reg.write("models/fraud/model.yaml", (reg.path / "models/fraud/model.yaml").read_text() + "# x\n")
    _commit(reg, "edit fraud")
    assert [m["commit"]["sha"] for m in _marks(reg)] == [sha]


def test_a_backdated_merge_is_marked(populated: Reg) -> None:
    reg = populated
    git("checkout", "-q", "-b", "promote/fraud-1.2.0-staging", cwd=reg.path)
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: [1.2.0]\narchived: [1.0.0]\n")
    _commit(reg, "promote fraud@1.2.0: development -> staging")
    git("checkout", "-q", "main", cwd=reg.path)
    message = "Merge pull request #40 from acme/promote/fraud-1.2.0-staging"
    subprocess.run(
        ["git", "merge", "-q", "--no-ff", "-m", message, "promote/fraud-1.2.0-staging"],
        cwd=reg.path,
        env={**os.environ, **BACKDATED},
        check=True,
        capture_output=True,
    )
    merge = git("rev-parse", "HEAD", cwd=reg.path).strip()
    (mark,) = _marks(reg, "fraud")
    assert (mark["rule"], mark["commit"]["sha"], mark["commit"]["pr"]) == ("date", merge, 40)
    r = reg.cli("list", "--at", "2021-06-01")
    assert r.code == 0 and f"commit {merge[:8]} is dated" in r.err


def test_a_subject_that_contradicts_its_diff_is_marked(populated: Reg) -> None:
    reg = populated
    # a squash merge that says it promoted 1.0.0 but moved 1.2.0
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: [1.2.0]\narchived: [1.0.0]\n")
    lying = _commit(reg, "promote fraud@1.0.0: archived -> staging (#31)")
    # a squash merge that says it promoted, and moved nothing (it edits the model's facts)
    reg.write("models/fraud/model.yaml", (reg.path / "models/fraud/model.yaml").read_text() + "# x\n")
    empty = _commit(reg, "promote fraud@1.2.0: staging -> production (#32)")
    # an honest squash merge: no mark
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: [1.2.0]\narchived: [1.0.0]\n")
    reg.write("models/churn/stages.yaml", "staging: [0.1.0]\n")
    _commit(reg, "promote churn@0.1.0: development -> staging (#33)")
    # a merge of a promote branch whose diff moves another model
    git("checkout", "-q", "-b", "promote/fraud-1.2.0-production", cwd=reg.path)
    reg.write("models/churn/stages.yaml", "production: 0.1.0\n")
    _commit(reg, "move churn")
    git("checkout", "-q", "main", cwd=reg.path)
    message = "Merge pull request #34 from acme/promote/fraud-1.2.0-production"
    git("merge", "-q", "--no-ff", "-m", message, "promote/fraud-1.2.0-production", cwd=reg.path)
    merge = git("rev-parse", "HEAD", cwd=reg.path).strip()

    marks = {m["commit"]["sha"]: m for m in _marks(reg)}
    assert set(marks) == {lying, empty, merge}
    assert all(m["rule"] == "subject" for m in marks.values())
    assert marks[lying]["model"] == "fraud" and "fraud@1.0.0: archived -> staging" in marks[lying]["detail"]
    assert "fraud@1.2.0: staging -> production" in marks[empty]["detail"]
    assert "promote/fraud-1.2.0-production" in marks[merge]["detail"]
    assert marks[merge]["model"] == "churn"  # the branch names no model its diff touches
    table = reg.cli("history").out
    assert sum("[subject]" in line for line in table.splitlines()) == 3
    rows = list(csv.DictReader(io.StringIO(reg.cli("history", "--format", "csv").out)))
    assert sorted(r["pr"] for r in rows if r["rule"] == "subject") == ["31", "32", "34"]
