"""Reporters for the audit trail and time travel: table, CSV, JSON, and the lines ``show --at`` adds;
and the table rows kept for `modelreg history`.

Kept rows:``history.json`` holds every commit record whole, which is what JSON, CSV, time travel and the
Python API need; turning 40,000 records into typed events only to print a table took a
second. This file holds, for the same head, each event newest first as the eight table cells
``history`` prints plus what its filters read (model, version, both stages, commit time), so
a warm `modelreg history` reads one file of strings and builds no event.

Written by `history` when HEAD has none: from the records, by the same ``table_cells`` the
event path renders with, plus the whole trail as printed (so a plain `history` prints one
value); rows of new commits are added to those of an older head on the same branch. One value
of the store (``modelreg.store``): rows kept for another head, or that do not read back, are
ignored.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from modelreg import store
from modelreg.adapters import git
from modelreg.domain import refs
from modelreg.domain.escape import csv_cell, terminal
from modelreg.history.approval import approval_names, name_of
from modelreg.history.query import Query, check_known
from modelreg.render.common import table, to_json

if TYPE_CHECKING:  # keeps `modelreg history` from importing the registry core (and pydantic)
    from modelreg.domain.models import ModelVersion
    from modelreg.history.audit import AuditTrail
    from modelreg.history.engine import CommitInfo, CommitRecord, Event, Warn
    from modelreg.history.tenures import Tenure
    from modelreg.history.timetravel import Moment, VersionAsOf

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


def write_trail(top: Path, query: Query, fmt: str, stream: TextIO) -> None:
    """``history --format json|csv``: written one event at a time into a temporary file, then
    copied to ``stream`` (so memory holds one event, and a kept line that does not read back,
    found half-way, rebuilds the records and starts again with nothing printed)."""
    import shutil
    import tempfile

    from pydantic import ValidationError

    from modelreg.history import audit

    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
        for fresh in (False, True):
            spool.seek(0)
            spool.truncate()
            try:
                header, events = audit.trail_stream(top, fresh=fresh, **query._asdict())
                if fmt == "json":
                    write_json(header, events, spool)
                else:
                    write_csv(events, spool)
                break
            except ValidationError:
                if fresh:
                    raise
        spool.seek(0)
        shutil.copyfileobj(spool, stream, 1 << 20)


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
        "audit": asdict(result.held.entered.audit) if result.held else None,
    }
    if fmt == "json":
        to_json(data, stream)
    else:
        from modelreg.documents import yamlio

        stream.write(yamlio.dump(data))


# --- the rows kept for `modelreg history` -------------------------------------------------

KIND = "history-rows"  # the store's kind of value
KEY = "rows"  # one value: the rows of the last head asked about
HEADERS = ["DATE", "EVENT", "REF", "PR", "BY", "APPROVED", "COMMIT", "CHANGE"]


def rows_of(records: list[CommitRecord]) -> list[list[Any]]:
    """Every event of ``records`` (oldest first) as a row, newest first: model, version, from,
    to, commit time (epoch seconds), then the table cells."""
    found = []
    for record in reversed(records):
        at = record.commit.commit_date.timestamp()
        for event in record.events():
            found.append(
                [event.model, event.version, event.from_stage, event.to_stage, at, *table_cells(event)]
            )
    return found


def _rows_in(body: str) -> list[list[Any]] | None:
    try:
        rows = json.loads(body.partition("\n")[0])
    except (ValueError, RecursionError):
        return None
    # The store's checksum says this is the text ``write`` wrote: the rows are what ``rows_of`` made.
    return rows if isinstance(rows, list) else None


def read(top: Path, head: str | None = None) -> tuple[str, list[list[Any]]] | None:
    """The head the rows were kept for and the rows (only for ``head`` when given), or None
    when there are none (or they do not read back)."""
    found = _kept(top)
    rows = _rows_in(found[1]) if found is not None else None
    if found is None or rows is None or (head is not None and found[0] != head):
        return None
    return found[0], rows


def _kept(top: Path) -> tuple[str, str] | None:
    """The head the rows were kept for and what was kept (the rows, then the table)."""
    value = store.store_for(top).get(KIND, KEY)
    head, _, body = (value or "").partition("\n")
    return (head, body) if len(head) == 40 and body else None


def write(top: Path, head: str, rows: list[list[Any]]) -> None:
    """Keep ``rows`` (``rows_of``) for ``head``: the rows as JSON (one line), then the table
    of them all as `modelreg history` prints it."""
    text = json.dumps(rows, separators=(",", ":")) + "\n" + _render(matching(rows, Query()))
    kept = store.store_for(top)
    kept.put(KIND, KEY, f"{head}\n{text}")
    kept.save()


def _render(cells: list[list[str]]) -> str:
    out = io.StringIO()
    render_rows(cells, out)
    return out.getvalue()


def matching(rows: list[list[Any]], query: Query) -> list[list[str]]:
    """The table cells of the rows ``query`` asks for, in their order."""
    if query == Query():
        return [row[5:] for row in rows]
    return [row[5:] for row in rows if query.keeps(row[0], row[1], (row[2], row[3]), row[4])]


def kept_table(top: Path, query: Query, *, warn: Warn | None = None) -> str:
    """``audit.trail(top, ...)`` as `modelreg history` prints it, from the rows kept for HEAD
    when there are some (no event is built then, nor pydantic imported); the whole trail is
    kept as printed, so asking for all of it reads one file and prints it."""
    if query.model is not None:
        refs.check_name(query.model)
    head = git.head_commit(top)
    found = _kept(top)
    if found is not None and found[0] == head and query == Query():
        return found[1].partition("\n")[2]
    rows = _rows(top, head, read(top), warn, model=query.model)
    if query.model is not None:
        check_known(query.model, query.version, [(r[0], r[1]) for r in rows])
    return _render(matching(rows, query))


def _rows(
    top: Path,
    head: str,
    found: tuple[str, list[list[Any]]] | None,
    warn: Warn | None,
    *,
    model: str | None = None,
) -> list[list[Any]]:
    """The rows of HEAD: ``found`` (the kept ones) when kept for it, or the kept ones and those
    of newer commits, or all made anew; a question about ``model`` in a long history with
    nothing kept makes only the rows of its commits (and keeps none: they are not the whole
    trail)."""
    if found is not None and found[0] == head:
        return found[1]
    from modelreg.history import records as history_cache

    warn = warn or history_cache.stderr_warning
    if found is None and model is not None and history_cache.reads_one_model(top, head):
        return rows_of(history_cache.records(top, tip=head, warn=warn, model=model))
    newer = history_cache.records_since(top, found[0], warn=warn) if found is not None else None
    if found is not None and newer is not None:  # the branch moved on: rows for the new commits only
        rows = rows_of(newer) + found[1]
    else:
        rows = rows_of(history_cache.records(top, tip=head, warn=warn))
    write(top, head, rows)
    return rows
