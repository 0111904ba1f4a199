"""The table rows kept for `modelreg history`, and the trail streamed through a spool.

``history.json`` (``history.records``) holds every commit record whole, which is what JSON, CSV,
time travel and the Python API need; turning 40,000 records into typed events only to print a
table took a second. This value of the store (``modelreg.store``) holds, for one head, each
event newest first as the table cells ``history`` prints plus what its filters read (model,
version, both stages, commit time), so a warm `modelreg history` reads one value of strings
and builds no event (nor imports pydantic).

The cells and the table are the renderer's (``render.history_report.LAYOUT``), handed in as a
``Layout``: this module keeps what it printed and never imports a renderer. Written when HEAD
has no rows: from the records, plus the whole trail as printed (so a plain `history` prints
one value); rows of new commits are added to those of an older head on the same branch. Rows
kept for another head, or that do not read back, are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from modelreg import store
from modelreg.adapters import git
from modelreg.domain import refs
from modelreg.history.query import Query, check_known

if TYPE_CHECKING:  # keeps `modelreg history` from importing pydantic and the history engine
    from modelreg.history.audit import AuditTrail
    from modelreg.history.engine import CommitRecord, Event, Warn

KIND = "history-rows"  # the store's kind of value
KEY = "rows"  # one value: the rows of the last head asked about

Row = list[Any]  # model, version, from stage, to stage, commit time (epoch seconds), then the cells
TrailWriter = Callable[["AuditTrail", Iterable["Event"], TextIO], None]


class Layout(NamedTuple):
    """How `modelreg history` prints: one event's table cells, and the table of such cells."""

    cells: Callable[[Event], list[str]]
    table: Callable[[list[list[str]]], str]


def rows_of(records: list[CommitRecord], layout: Layout) -> list[Row]:
    """Every event of ``records`` (oldest first) as a row, newest first."""
    found = []
    for record in reversed(records):
        at = record.commit.commit_date.timestamp()
        for event in record.events():
            found.append(
                [event.model, event.version, event.from_stage, event.to_stage, at, *layout.cells(event)]
            )
    return found


def _rows_in(body: str) -> list[Row] | None:
    try:
        rows = json.loads(body.partition("\n")[0])
    except (ValueError, RecursionError):
        return None
    # The store's checksum says this is the text ``write`` wrote: the rows are what ``rows_of`` made.
    return rows if isinstance(rows, list) else None


def read(top: Path, head: str | None = None) -> tuple[str, list[Row]] | None:
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


def write(top: Path, head: str, rows: list[Row], layout: Layout) -> None:
    """Keep ``rows`` (``rows_of``) for ``head``: the rows as JSON (one line), then the table
    of them all as `modelreg history` prints it."""
    text = json.dumps(rows, separators=(",", ":")) + "\n" + layout.table(matching(rows, Query()))
    kept = store.store_for(top)
    kept.put(KIND, KEY, f"{head}\n{text}")
    kept.save()


def matching(rows: list[Row], query: Query) -> list[list[str]]:
    """The table cells of the rows ``query`` asks for, in their order."""
    if query == Query():
        return [row[5:] for row in rows]
    return [row[5:] for row in rows if query.keeps(row[0], row[1], (row[2], row[3]), row[4])]


def table(top: Path, query: Query, layout: Layout, *, warn: Warn | None = None) -> str:
    """``audit.trail(top, ...)`` as `modelreg history` prints it, from the rows kept for HEAD
    when there are some (no event is built then, nor pydantic imported); the whole trail is
    kept as printed, so asking for all of it reads one value and prints it."""
    if query.model is not None:
        refs.check_name(query.model)
    head = git.head_commit(top)
    found = _kept(top)
    if found is not None and found[0] == head and query == Query():
        return found[1].partition("\n")[2]
    rows = _rows(top, head, read(top), layout, warn, model=query.model)
    if query.model is not None:
        check_known(query.model, query.version, [(r[0], r[1]) for r in rows])
    return layout.table(matching(rows, query))


def _rows(
    top: Path,
    head: str,
    found: tuple[str, list[Row]] | None,
    layout: Layout,
    warn: Warn | None,
    *,
    model: str | None = None,
) -> list[Row]:
    """The rows of HEAD: ``found`` (the kept ones) when kept for it, or the kept ones and those
    of newer commits, or all made anew; a question about ``model`` in a long history with
    nothing kept makes only the rows of its commits (and keeps none: they are not the whole
    trail)."""
    if found is not None and found[0] == head:
        return found[1]
    from modelreg.history import records as history_cache

    warn = warn or history_cache.stderr_warning
    if found is None and model is not None and history_cache.reads_one_model(top, head):
        return rows_of(history_cache.records(top, tip=head, warn=warn, model=model), layout)
    newer = history_cache.records_since(top, found[0], warn=warn) if found is not None else None
    if found is not None and newer is not None:  # the branch moved on: rows for the new commits only
        rows = rows_of(newer, layout) + found[1]
    else:
        rows = rows_of(history_cache.records(top, tip=head, warn=warn), layout)
    write(top, head, rows, layout)
    return rows


def stream_trail(top: Path, query: Query, write_trail: TrailWriter, stream: TextIO) -> None:
    """The trail ``query`` asks for, written by ``write_trail`` (``history --format json|csv``)
    one event at a time into a temporary file, then copied to ``stream``: memory holds one
    event, and a kept line that does not read back, found half-way, rebuilds the records and
    starts again with nothing printed."""
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
                write_trail(header, events, spool)
                break
            except ValidationError:
                if fresh:
                    raise
        spool.seek(0)
        shutil.copyfileobj(spool, stream, 1 << 20)
