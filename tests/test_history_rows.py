"""The table rows kept beside the history cache: `modelreg history` prints from them what the
events would print, and stale or damaged rows are rebuilt."""

from __future__ import annotations

import io
import sqlite3

import pytest
from history_repo import Built
from stored import store_path

from modelreg.domain.dates import checked_date
from modelreg.history import audit
from modelreg.history import rows as history_rows
from modelreg.queries.catalog import target as resolve_target
from modelreg.render import history_report

QUERIES = [
    [],
    ["fraud"],
    ["fraud@1.1.0"],
    ["fraud@production"],
    ["--stage", "production"],
    ["fraud", "--stage", "archived"],
    ["--since", "2026-02-10", "--until", "2026-03-06"],
    ["churn", "--since", "2026-03-01"],
    ["--stage", "nowhere"],
]


def promote_directly(built: Built, text: str, message: str) -> str:
    (built.path / "models/fraud/stages.yaml").write_text(text)
    built.git("commit", "-q", "-am", message)
    return built.git("rev-parse", "HEAD").strip()


def from_events(built: Built, args: list[str]) -> str:
    """What the table is when made from typed events (the way JSON and the API read)."""
    target = next((a for a in args[:1] if not a.startswith("--")), None)
    options = dict(zip(args[1 if target else 0 :: 2], args[2 if target else 1 :: 2], strict=True))
    model, version = resolve_target(built.path, target) if target else (None, None)
    since, until = options.get("--since"), options.get("--until")
    trail = audit.trail(
        built.path,
        model=model,
        version=version,
        stage=options.get("--stage"),
        since=checked_date(since) if since else None,
        until=checked_date(until, end_of_day=True) if until else None,
    )
    out = io.StringIO()
    history_report.render_table(trail, out)
    return out.getvalue()


@pytest.mark.parametrize("args", QUERIES, ids=lambda a: " ".join(a) or "all")
def test_the_kept_rows_print_what_the_events_print(hist: Built, args: list[str]) -> None:
    first = hist.cli("history", *args)  # builds the history cache and the rows
    assert first.code == 0, first.err
    assert history_rows.read(hist.path) is not None
    warm = hist.cli("history", *args)
    assert (warm.code, warm.err) == (0, "")
    assert warm.out == first.out == from_events(hist, args)


def test_the_rows_are_what_a_warm_history_reads(hist: Built) -> None:
    hist.cli("history")
    head = hist.git("rev-parse", "HEAD").strip()
    found = history_rows.read(hist.path, head)
    assert found is not None
    rows = found[1]
    rows[0][-1] = "read from the kept rows"
    history_rows.write(hist.path, head, rows, history_report.LAYOUT)
    assert hist.cli("history").out.splitlines()[1].endswith("read from the kept rows")


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # torn
        lambda data: data.replace("fraud@1.1.0", "fraud@9.9.9", 1),  # edited: the checksum differs
        lambda data: "[]\n" + data.partition("\n")[2],  # not a header
        lambda data: "",
    ],
    ids=["torn", "edited", "no-header", "empty"],
)
def test_damaged_rows_are_ignored_and_rebuilt(hist: Built, damage: object) -> None:
    expected = hist.cli("history").out
    with sqlite3.connect(store_path(hist.path)) as db:  # behind the store's back: its checksum stays
        ((text,),) = db.execute("SELECT value FROM derived WHERE kind = ?", [history_rows.KIND])
        db.execute("UPDATE derived SET value = ? WHERE kind = ?", [damage(text), history_rows.KIND])  # type: ignore[operator]
    again = hist.cli("history")
    assert (again.code, again.err, again.out) == (0, "", expected)
    head = hist.git("rev-parse", "HEAD").strip()
    assert history_rows.read(hist.path, head) is not None


def test_a_new_commit_makes_new_rows(hist: Built) -> None:
    hist.cli("history")
    new = promote_directly(
        hist, "archived: [1.0.0, 1.1.0]\nproduction: 2.0.0\nstaging: [1.2.0]\n", "stage fraud@1.2.0"
    )
    r = hist.cli("history")
    assert r.code == 0
    assert new[:8] in r.out.splitlines()[1] and "fraud@1.2.0" in r.out.splitlines()[1]
    assert r.out == from_events(hist, [])


def test_control_characters_from_a_commit_are_escaped(hist: Built) -> None:
    (hist.path / "models/fraud/stages.yaml").write_text(
        "archived: [1.0.0, 1.1.0]\nproduction: 2.0.0\nstaging: [1.2.0]\n"
    )
    hist.git("commit", "-q", "-am", "stage it", "--author", "Mallory \x1b[31mRed <m@example.com>")
    r = hist.cli("history", "fraud", "--stage", "staging")
    assert r.code == 0
    assert "\x1b" not in r.out and "Mallory \\x1b[31mRed" in r.out.splitlines()[1]


def mark_oldest_row(built: Built, text: str) -> None:
    """Write the kept rows back with the oldest row's change cell replaced (digest and all)."""
    found = history_rows.read(built.path)
    assert found is not None
    head, rows = found
    rows[-1][-1] = text
    history_rows.write(built.path, head, rows, history_report.LAYOUT)


def test_new_commits_add_rows_to_the_kept_ones(hist: Built) -> None:
    hist.cli("history")
    mark_oldest_row(hist, "kept from before")
    new = promote_directly(
        hist, "archived: [1.0.0, 1.1.0]\nproduction: 2.0.0\nstaging: [1.2.0]\n", "stage fraud@1.2.0"
    )
    r = hist.cli("history")
    assert (r.code, r.err) == (0, "")
    lines = r.out.splitlines()
    assert new[:8] in lines[1] and lines[-1].endswith("kept from before")
    assert r.out.replace("kept from before", "created") == from_events(hist, [])


def test_a_rewritten_branch_rebuilds_the_rows(hist: Built) -> None:
    hist.cli("history")
    mark_oldest_row(hist, "kept from before")
    hist.git("reset", "-q", "--hard", hist.commits["pr14"])
    r = hist.cli("history")
    assert r.code == 0 and "was rewritten" in r.err
    assert "kept from before" not in r.out
    assert r.out == from_events(hist, [])
