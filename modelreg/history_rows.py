"""The audit trail as table rows, kept beside the history cache for `modelreg history`.

``history.json`` holds every commit record whole, which is what JSON, CSV, time travel and the
Python API need; turning 40,000 records into typed events only to print a table took a
second. This file holds, for the same head, each event newest first as the seven table cells
``history`` prints plus what its filters read (model, version, both stages, commit time), so
a warm `modelreg history` reads one file of strings and builds no event.

Written whenever the history cache is, from the same records, by the same ``table_cells``
the slow path renders with; stamped with a digest of the code that decides its content. A
file that is stale (another head, another stamp) or does not read back is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from modelreg import gitlog, refs
from modelreg.errors import NotFoundError

if TYPE_CHECKING:
    from modelreg.history import CommitRecord, Warn

FORMAT = 1
ROWS_FILE = "history-rows.json"
HEADERS = ["DATE", "EVENT", "REF", "PR", "BY", "COMMIT", "CHANGE"]
# Modules whose code decides a row's content.
_ROW_MODULES = ["history_rows.py", "history_report.py", "report.py"]


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
    try:
        header_line, _, body = path.read_bytes().partition(b"\n")
        header = json.loads(header_line)
        if not isinstance(header, dict) or (head is not None and header.get("head") != head):
            return None
        kept = header.get("head")
        if header != {"format": FORMAT, "head": kept, "stamp": stamp(), "sha1": _digest(body)}:
            return None
        rows = json.loads(body)
    except (OSError, ValueError, RecursionError):
        return None
    # The digest says these are the bytes ``write`` wrote, so the rows are what ``rows_of`` made.
    return (kept, rows) if isinstance(kept, str) and isinstance(rows, list) else None


def _digest(body: bytes) -> str:
    return hashlib.sha1(body, usedforsecurity=False).hexdigest()


def write(path: Path, head: str, rows: list[list[Any]]) -> None:
    """Keep ``rows`` (``rows_of``) for ``head``: a header line (with a digest of the rest), then
    the rows as JSON; temporary file + rename, a failure to write is ignored."""
    body = json.dumps(rows, separators=(",", ":")).encode()
    header = {"format": FORMAT, "head": head, "stamp": stamp(), "sha1": _digest(body)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".history-rows-", suffix=".json", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(json.dumps(header).encode() + b"\n" + body)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError:
        return


def matching(rows: list[list[Any]], query: Query) -> list[list[str]]:
    """The table cells of the rows ``query`` asks for, in their order."""
    if query == Query():
        return [row[5:] for row in rows]
    return [row[5:] for row in rows if query.keeps(row[0], row[1], (row[2], row[3]), row[4])]


def table_rows(top: Path, query: Query, *, warn: Warn | None = None) -> list[list[str]]:
    """``audit.trail(top, ...)`` as the cells `modelreg history` prints, newest first, from the
    rows kept for HEAD when there are some (no event is built then, nor pydantic imported)."""
    if query.model is not None:
        refs.check_name(query.model)
    head = gitlog.head_commit(top)
    path = gitlog.git_dir_path(top, "modelreg") / ROWS_FILE
    found = read(path)
    rows = found[1] if found is not None and found[0] == head else None
    if rows is None:
        from modelreg import history_cache

        warn = warn or history_cache.stderr_warning
        newer = history_cache.records_since(top, found[0], warn=warn) if found is not None else None
        if found is not None and newer is not None:  # the branch moved on: rows for the new commits only
            rows = rows_of(newer) + found[1]
        else:
            rows = rows_of(history_cache.records(top, tip=head, warn=warn))
        write(path, head, rows)
    if query.model is not None:
        check_known(query.model, query.version, [(r[0], r[1]) for r in rows])
    return matching(rows, query)


def check_known(model: str | None, version: str | None, seen: list[tuple[str | None, str | None]]) -> None:
    """NotFoundError when ``model`` (or ``model@version``) has no event among ``seen``."""
    if model is not None and not any(m == model for m, _ in seen):
        raise NotFoundError(
            f"model {model!r} has no history in this registry; `modelreg list` shows the models"
        )
    if version is not None and (model, version) not in seen:
        raise NotFoundError(f"{model}@{version} has no history in this registry")
