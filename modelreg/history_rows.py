"""The audit trail as table rows, kept beside the history cache for `modelreg history`.

``history.json`` holds every commit record whole, which is what JSON, CSV, time travel and the
Python API need; turning 40,000 records into typed events only to print a table took a
second. This file holds, for the same head, each event newest first as the seven table cells
``history`` prints plus what its filters read (model, version, both stages, commit time), so
a warm `modelreg history` reads one file of strings and builds no event.

Written by `history` when HEAD has none: from the records, by the same ``table_cells`` the
event path renders with, plus the whole trail as printed (so a plain `history` prints one
file); rows of new commits are added to those of an older head on the same branch. Stamped
with a digest of the code that decides its content; a sealed file (``modelreg.sealed``), so
one that is stale (another head, another stamp) or does not read back whole is ignored.
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from modelreg import gitlog, refs, sealed
from modelreg.errors import NotFoundError

if TYPE_CHECKING:
    from modelreg.history import CommitRecord, Warn

FORMAT = 2
ROWS_FILE = "history-rows.json"
HEADERS = ["DATE", "EVENT", "REF", "PR", "BY", "COMMIT", "CHANGE"]
# Modules whose code decides a row's content.
_ROW_MODULES = ["history.py", "history_rows.py", "history_report.py", "report.py", "escape.py", "sealed.py"]


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


def stamp() -> str:
    package = resources.files("modelreg")
    digest = hashlib.sha1(f"format {FORMAT}\n".encode(), usedforsecurity=False)
    for name in _ROW_MODULES:
        digest.update(package.joinpath(name).read_bytes())
    return digest.hexdigest()


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


def read(path: Path, head: str | None = None) -> tuple[str, list[list[Any]]] | None:
    """The head the rows were kept for and the rows (only for ``head`` when given), or None
    when there are none (or they do not read back)."""
    found = _kept(path, head)
    rows = _rows_in(found[1]) if found is not None else None
    return (found[0], rows) if found is not None and rows is not None else None


def _rows_in(body: bytes) -> list[list[Any]] | None:
    try:
        rows = json.loads(body.partition(b"\n")[0])
    except (ValueError, RecursionError):
        return None
    # The digest says these are the bytes ``write`` wrote, so the rows are what ``rows_of`` made.
    return rows if isinstance(rows, list) else None


def _kept(path: Path, head: str | None) -> tuple[str, bytes] | None:
    found = sealed.read(path)
    if found is None:
        return None
    header, body = found
    written = header.get("head")
    if header != {"format": FORMAT, "head": written, "stamp": stamp()} or not isinstance(written, str):
        return None
    return None if head is not None and written != head else (written, body)


def write(path: Path, head: str, rows: list[list[Any]]) -> None:
    """Keep ``rows`` (``rows_of``) for ``head``: the rows as JSON (one line), then the table
    of them all as `modelreg history` prints it."""
    body = (
        json.dumps(rows, separators=(",", ":")).encode() + b"\n" + _render(matching(rows, Query())).encode()
    )
    sealed.write(path, {"format": FORMAT, "head": head, "stamp": stamp()}, body)


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
    path = gitlog.git_dir_path(top, "modelreg") / ROWS_FILE
    found = _kept(path, None)
    if found is not None and found[0] == head and query == Query():
        return found[1].partition(b"\n")[2].decode()
    kept_rows = _rows_in(found[1]) if found is not None else None
    kept = (found[0], kept_rows) if found is not None and kept_rows is not None else None
    rows = _rows(top, head, path, kept, warn)
    if query.model is not None:
        check_known(query.model, query.version, [(r[0], r[1]) for r in rows])
    return _render(matching(rows, query))


def _rows(
    top: Path, head: str, path: Path, found: tuple[str, list[list[Any]]] | None, warn: Warn | None
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
    write(path, head, rows)
    return rows


def check_known(model: str | None, version: str | None, seen: list[tuple[str | None, str | None]]) -> None:
    """NotFoundError when ``model`` (or ``model@version``) has no event among ``seen``."""
    if model is not None and not any(m == model for m, _ in seen):
        raise NotFoundError(
            f"model {model!r} has no history in this registry; `modelreg list` shows the models"
        )
    if version is not None and (model, version) not in seen:
        raise NotFoundError(f"{model}@{version} has no history in this registry")
