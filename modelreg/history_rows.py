"""The audit trail as table rows, kept beside the history cache for `modelreg history`.

``history.json`` holds every commit record whole, which is what JSON, CSV, time travel and the
Python API need; turning 40,000 records into typed events only to print a table took a
second. This file holds, for the same head, each event newest first as the seven table cells
``history`` prints plus what its filters read (model, version, both stages, commit time), so
a warm `modelreg history` reads one file of strings and builds no event.

Written by `history` when HEAD has none: from the records, by the same ``table_cells`` the
event path renders with, plus the whole trail as printed (so a plain `history` prints one
value); rows of new commits are added to those of an older head on the same branch. One value
of the store (``modelreg.store``): rows kept for another head, or that do not read back, are
ignored.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from modelreg import gitlog, refs, store
from modelreg.errors import NotFoundError

if TYPE_CHECKING:
    from modelreg.history import CommitRecord, Warn

KIND = "history-rows"  # the store's kind of value
KEY = "rows"  # one value: the rows of the last head asked about
HEADERS = ["DATE", "EVENT", "REF", "PR", "BY", "COMMIT", "CHANGE"]


class Query(NamedTuple):
    """What `modelreg history` narrows the trail to (None: no narrowing)."""

    model: str | None = None
    version: str | None = None
    stage: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def keeps(
        self, model: str | None, version: str | None, moved: tuple[str | None, str | None], at: float
    ) -> bool:
        """Whether an event of ``model``@``version`` moving ``moved`` (from, to), committed at
        ``at`` (epoch seconds), is one this query asks for."""
        return (
            (self.model is None or model == self.model)
            and (self.version is None or version == self.version)
            and (self.stage is None or self.stage in moved)
            and (self.since is None or at >= self.since.timestamp())
            and (self.until is None or at <= self.until.timestamp())
        )


def rows_of(records: list[CommitRecord]) -> list[list[Any]]:
    """Every event of ``records`` (oldest first) as a row, newest first: model, version, from,
    to, commit time (epoch seconds), then the table cells."""
    from modelreg.history_report import table_cells

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
    from modelreg.history_report import render_rows

    out = io.StringIO()
    render_rows(cells, out)
    return out.getvalue()


def matching(rows: list[list[Any]], query: Query) -> list[list[str]]:
    """The table cells of the rows ``query`` asks for, in their order."""
    if query == Query():
        return [row[5:] for row in rows]
    return [row[5:] for row in rows if query.keeps(row[0], row[1], (row[2], row[3]), row[4])]


def table(top: Path, query: Query, *, warn: Warn | None = None) -> str:
    """``audit.trail(top, ...)`` as `modelreg history` prints it, from the rows kept for HEAD
    when there are some (no event is built then, nor pydantic imported); the whole trail is
    kept as printed, so asking for all of it reads one file and prints it."""
    if query.model is not None:
        refs.check_name(query.model)
    head = gitlog.head_commit(top)
    found = _kept(top)
    if found is not None and found[0] == head and query == Query():
        return found[1].partition("\n")[2]
    rows = _rows(top, head, read(top), warn)
    if query.model is not None:
        check_known(query.model, query.version, [(r[0], r[1]) for r in rows])
    return _render(matching(rows, query))


def _rows(
    top: Path, head: str, found: tuple[str, list[list[Any]]] | None, warn: Warn | None
) -> list[list[Any]]:
    """The rows of HEAD: ``found`` (the kept ones) when kept for it, or the kept ones and those
    of newer commits, or all made anew."""
    if found is not None and found[0] == head:
        return found[1]
    from modelreg import history_cache

    warn = warn or history_cache.stderr_warning
    newer = history_cache.records_since(top, found[0], warn=warn) if found is not None else None
    if found is not None and newer is not None:  # the branch moved on: rows for the new commits only
        rows = rows_of(newer) + found[1]
    else:
        rows = rows_of(history_cache.records(top, tip=head, warn=warn))
    write(top, head, rows)
    return rows


def check_known(model: str | None, version: str | None, seen: list[tuple[str | None, str | None]]) -> None:
    """NotFoundError when ``model`` (or ``model@version``) has no event among ``seen``."""
    if model is not None and not any(m == model for m, _ in seen):
        raise NotFoundError(
            f"model {model!r} has no history in this registry; `modelreg list` shows the models"
        )
    if version is not None and (model, version) not in seen:
        raise NotFoundError(f"{model}@{version} has no history in this registry")
