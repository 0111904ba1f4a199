"""Reporters for the audit trail and time travel: table, CSV, JSON, and the lines ``show --at``
adds. ``LAYOUT`` is how `modelreg history` prints a table: the rows it keeps
(``modelreg.history.rows``) are made with it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from modelreg.domain.escape import csv_cell, terminal
from modelreg.history.approval import approval_names, name_of
from modelreg.history.rows import Layout, TrailWriter
from modelreg.render.common import table

if TYPE_CHECKING:  # keeps `modelreg history` from importing the registry core (and pydantic)
    from modelreg.history.audit import AuditTrail
    from modelreg.history.engine import CommitInfo, Event
    from modelreg.history.tenures import Tenure
    from modelreg.history.timetravel import Moment

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
    "environment",
    "requested_by",
    "approved_by",
    "reviewers",
    "reason",
]


def when(moment: datetime) -> str:
    """A date as its time zone saw it: ``2026-03-01 10:00 +05:30``."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset is not None else 0
    hours, rest = divmod(abs(minutes), 60)
    return f"{moment:%Y-%m-%d %H:%M} {'-' if minutes < 0 else '+'}{hours:02d}:{rest:02d}"


def change_text(event: Event) -> str:
    if event.kind == "stage_changed":
        return f"{event.from_stage} -> {event.to_stage}" + _why(event)
    if event.kind == "deployed":
        was = f" (was {event.previous})" if event.previous and event.previous != event.version else ""
        return f"-> {event.environment}{was}" + (f" [{event.detail}]" if event.detail else "") + _why(event)
    if event.kind == "undeployed":
        return f"removed from {event.environment}" + _why(event)
    if event.kind == "violation":
        return f"[{event.rule}] {event.detail}"
    return event.detail


def _why(event: Event) -> str:
    """The first line of the reason the change's commit gives, if any."""
    reason = event.commit.audit.reason.strip().split("\n", 1)[0]
    return f": {reason}" if reason else ""


def approval_text(commit: CommitInfo) -> str:
    """Who merged the change, and who reviewed it where a trailer says so."""
    return approval_names(commit.audit)


def pr_text(commit: CommitInfo) -> str:
    pr = commit.audit.pr
    return f"#{pr}" if pr else "-"


def table_cells(event: Event) -> list[str]:
    """The cells `modelreg history` prints for one event (see ``HEADERS``),
    control characters escaped: names, subjects and details come from whoever committed."""
    c = event.commit
    audit = c.audit
    cells = [
        when(c.commit_date),
        event.kind,
        event.ref or "(registry)",
        pr_text(c),
        name_of(audit.requested_by),
        approval_names(audit),
    ]
    cells.append(c.short)
    return [terminal(x) for x in [*cells, change_text(event)]]


def render_table(result: AuditTrail, stream: TextIO) -> None:
    render_rows([table_cells(e) for e in result.events], stream)


def render_rows(rows: list[list[str]], stream: TextIO) -> None:
    """The table of ``table_cells`` rows (or that none match)."""
    if not rows:
        stream.write("no events match\n")
        return
    table(HEADERS, rows, stream)


def render_json(result: AuditTrail, stream: TextIO) -> None:
    write_json(result.model_copy(update={"events": []}), result.events, stream)


def write_json(header: AuditTrail, events: Iterable[Event], stream: TextIO) -> None:
    """The trail as ``AuditTrail.model_dump_json(indent=2)`` writes it, a batch of events at
    a time: the header (whose last field, ``events``, is empty) is split where the list
    opens; each batch is dumped by pydantic as a list, unwrapped and indented to its place."""
    from itertools import islice

    from pydantic import TypeAdapter

    from modelreg.history.engine import Event

    head = header.model_dump_json(by_alias=True, exclude_none=True, indent=2)
    stream.write(head.removesuffix(_EMPTY_END))
    dump = TypeAdapter(list[Event]).dump_json
    source = iter(events)
    written = False
    while batch := list(islice(source, _BATCH)):
        text = dump(batch, by_alias=True, exclude_none=True, indent=2).decode()
        items = text[2:-2]  # "[\n  {...},\n  {...}\n]" without its brackets
        stream.write(",\n" if written else "[\n")
        stream.write("  " + items.replace("\n", "\n  "))
        written = True
    stream.write("\n  ]\n}\n" if written else _EMPTY_END + "\n")


_EMPTY_END = "[]\n}"  # how pydantic ends a dump whose last field is an empty list
_BATCH = 2000  # events dumped at once: few calls into pydantic, a few MB of text


def render_csv(result: AuditTrail, stream: TextIO) -> None:
    write_csv(result.events, stream)


def trail_writer(fmt: str) -> TrailWriter:
    """What writes the trail as ``fmt`` (json or csv), header and events."""
    if fmt == "json":
        return write_json
    return lambda _header, events, stream: write_csv(events, stream)


def write_csv(events: Iterable[Event], stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in events:
        c = e.commit
        audit = c.audit
        cells = [
            c.commit_date.isoformat(),
            e.kind,
            e.model or "",
            e.version or "",
            e.from_stage or "",
            e.to_stage or "",
            e.rule or "",
            e.detail,
            audit.pr or "",
            c.sha,
            c.subject,
            c.author_name,
            c.author_email,
            c.author_date.isoformat(),
            c.committer_name,
            c.committer_email,
            "; ".join(f"{k}: {v}" for k, v in c.trailers.items()),
            e.environment or "",
            audit.requested_by,
            audit.approved_by or "",
            "; ".join(audit.reviewers),
            audit.reason,
        ]
        writer.writerow([csv_cell(str(x)) for x in cells])


def moment_line(moment: Moment) -> str:
    """What ``--at`` resolved to, for stderr."""
    return terminal(f"modelreg: {moment.describe()}" + (f"; {moment.note}" if moment.note else ""))


def since_text(tenure: Tenure) -> str:
    """``in production since DATE, PR #12, commit abcd1234 (SUBJECT); requested by NAME
    <EMAIL>, approved by NAME; reason: ...``."""
    c = tenure.entered
    audit = c.audit
    via = f"PR #{audit.pr}, " if audit.pr else ""
    text = f"in {tenure.stage} since {when(tenure.since)}, {via}commit {c.short} ({c.subject}); "
    text += f"requested by {audit.requested_by}"
    if audit.approved_by:
        text += f", approved by {approval_names(audit)}"
    return text + (f"; reason: {audit.reason.splitlines()[0]}" if audit.reason.strip() else "")


HEADERS = ["DATE", "EVENT", "REF", "PR", "BY", "APPROVED", "COMMIT", "CHANGE"]


def table_text(cells: list[list[str]]) -> str:
    """The table of ``table_cells`` rows as `modelreg history` prints it."""
    out = io.StringIO()
    render_rows(cells, out)
    return out.getvalue()


LAYOUT = Layout(cells=table_cells, table=table_text)
