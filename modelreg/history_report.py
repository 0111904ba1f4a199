"""Reporters for the audit trail and time travel: table, CSV, JSON, and the lines ``show --at`` adds."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from modelreg.escape import csv_cell, terminal
from modelreg.report import table, to_json

if TYPE_CHECKING:  # keeps `modelreg history` from importing the registry core (and pydantic)
    from modelreg.audit import AuditTrail
    from modelreg.history import CommitInfo, Event
    from modelreg.models import ModelVersion
    from modelreg.tenures import Tenure
    from modelreg.timetravel import Moment, VersionAsOf

CSV_COLUMNS = [
    "commit_date",
    "kind",
    "model",
    "version",
    "from",
    "to",
    "rule",
    "detail",
    "pr",
    "commit",
    "subject",
    "author_name",
    "author_email",
    "author_date",
    "committer_name",
    "committer_email",
    "trailers",
]


def when(moment: datetime) -> str:
    """A date as its time zone saw it: ``2026-03-01 10:00 +05:30``."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset is not None else 0
    hours, rest = divmod(abs(minutes), 60)
    return f"{moment:%Y-%m-%d %H:%M} {'-' if minutes < 0 else '+'}{hours:02d}:{rest:02d}"


def change_text(event: Event) -> str:
    if event.kind == "stage_changed":
        return f"{event.from_stage} -> {event.to_stage}"
    if event.kind == "violation":
        return f"[{event.rule}] {event.detail}"
    return event.detail


def pr_text(commit: CommitInfo) -> str:
    return f"#{commit.pr}" if commit.pr else "-"


def table_cells(event: Event) -> list[str]:
    """The cells `modelreg history` prints for one event (see ``history_rows.HEADERS``),
    control characters escaped: names, subjects and details come from whoever committed."""
    c = event.commit
    cells = [when(c.commit_date), event.kind, event.ref or "(registry)", pr_text(c), c.author_name, c.short]
    return [terminal(x) for x in [*cells, change_text(event)]]


def render_table(result: AuditTrail, stream: TextIO) -> None:
    render_rows([table_cells(e) for e in result.events], stream)


def render_rows(rows: list[list[str]], stream: TextIO) -> None:
    """The table of ``table_cells`` rows (or that none match)."""
    from modelreg.history_rows import HEADERS

    if not rows:
        stream.write("no events match\n")
        return
    table(HEADERS, rows, stream)


def render_json(result: AuditTrail, stream: TextIO) -> None:
    # pydantic's own serializer: a year of history is thousands of events
    stream.write(result.model_dump_json(by_alias=True, exclude_none=True, indent=2) + "\n")


def render_csv(result: AuditTrail, stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in result.events:
        c = e.commit
        cells = [
            c.commit_date.isoformat(),
            e.kind,
            e.model or "",
            e.version or "",
            e.from_stage or "",
            e.to_stage or "",
            e.rule or "",
            e.detail,
            c.pr or "",
            c.sha,
            c.subject,
            c.author_name,
            c.author_email,
            c.author_date.isoformat(),
            c.committer_name,
            c.committer_email,
            "; ".join(f"{k}: {v}" for k, v in c.trailers.items()),
        ]
        writer.writerow([csv_cell(str(x)) for x in cells])


def moment_line(moment: Moment) -> str:
    """What ``--at`` resolved to, for stderr."""
    return terminal(f"modelreg: {moment.describe()}" + (f"; {moment.note}" if moment.note else ""))


def since_text(tenure: Tenure) -> str:
    """``in production since DATE, by NAME <EMAIL>, PR #12 (commit abcd1234)``."""
    c = tenure.entered
    via = f"PR #{c.pr}, " if c.pr else ""
    return (
        f"in {tenure.stage} since {when(tenure.since)}, by {c.author_name} <{c.author_email}>, "
        f"{via}commit {c.short} ({c.subject})"
    )


def render_version_as_of(
    result: VersionAsOf, fmt: str, stream: TextIO, *, text: Callable[[ModelVersion], str]
) -> None:
    """``show --at``: the version as it was, plus since when it held its stage and through whom."""
    if fmt == "text":
        stream.write(text(result.version))
        held = since_text(result.held) if result.held else f"in {result.version.stage} (no record of how)"
        stream.write(
            f"  as of:        {result.as_of.requested} (commit {result.as_of.commit[:8]}, "
            f"{when(result.as_of.commit_date)})\n"
        )
        stream.write(f"  held:         {terminal(held)}\n")
        return
    data = {
        **result.version.model_dump(mode="json", by_alias=True, exclude_none=True),
        "as_of": result.as_of.model_dump(mode="json", exclude_none=True),
        "held": result.held.model_dump(mode="json", exclude_none=True) if result.held else None,
    }
    if fmt == "json":
        to_json(data, stream)
    else:
        from modelreg import yamlio

        stream.write(yamlio.dump(data))
