"""The history cache: commit records kept in the store (``modelreg.store``), keyed by commit.

A record is a pure function of its commit id (a commit fixes its whole first-parent
chain), so records are reused whenever their commit is still on the chain. The cache
remembers the head it was built for: the same head reads nothing from Git; a head that
moved forward reads only the new commits; a rewritten branch is rebuilt, reusing every
record whose commit survived, with a warning.

Values of the store: a header (head, branch, how many chunks), then chunks of one line per
record, oldest first: ``sha<TAB>registry blob<TAB>models<TAB>record`` (models as a JSON list, the record as
JSON). Records are parsed only when asked for, and a question about one model parses only the
records that name it: `compare --over-time` at 20,000 versions no longer builds 40,000 records
to keep the 60 about its model. A value that does not read back is rebuilt, quietly.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from modelreg import store
from modelreg.adapters import git
from modelreg.history.depth import require_history
from modelreg.history.engine import CommitRecord, Warn, iter_records, model_records

KIND = "history"  # the store's kind of value
KEY = "first-parent chain"  # the header of the chain of the last head asked about
_CHUNK_LINES = 2_000  # records per value
# A whole walk this long writes Git's commit-graph (when there is none): ~15% more on that walk,
# and every later walk of a path (a model's history, --at) 5-10x faster.
GRAPH_FROM = 10_000
NARROW_FROM = 5_000  # a first-parent chain this long: one model's question, nothing kept, reads its commits
_CHUNKS_PER_WRITE = 4  # values per transaction: what is written is not held twice for long


@dataclass
class Kept:
    """What the cache file holds: the head it was built for and the records' lines."""

    head: str
    branch: str | None
    lines: list[str]

    def registry_blob(self) -> str | None:
        """registry.yaml's blob as of the newest record that changed it."""
        for line in reversed(self.lines):
            blob = line[41:].split("\t", 1)[0]
            if blob:
                return blob
        return None


def stderr_warning(message: str) -> None:
    sys.stderr.write(f"modelreg: warning: {message}\n")


def records(
    top: Path, *, tip: str | None = None, warn: Warn = stderr_warning, model: str | None = None
) -> list[CommitRecord]:
    """The records of ``tip``'s first-parent chain (default: HEAD's), oldest first; with
    ``model``, only those with an event of that model (and maybe a few more: callers filter).

    The cache follows HEAD; an older commit on HEAD's chain is answered from it, any other
    tip is read afresh (reusing the records of commits it shares with HEAD).
    """
    require_history(top, what="this question")
    head = git.head_commit(top)
    try:
        return _records(top, head, tip, warn, model)
    except ValidationError:  # a line that does not read back: rebuild, quietly
        return _records(top, head, tip, warn, model, fresh=True)


def records_newest_first(
    top: Path, *, warn: Warn = stderr_warning, fresh: bool = False
) -> Iterator[CommitRecord]:
    """HEAD's records, newest first, each parsed when reached: what is held at once is the
    kept lines (their text), never every record. ValidationError from a line that does not
    read back: ask again with ``fresh`` (the records read afresh)."""
    lines = _head_kept(top, git.head_commit(top), warn, fresh=fresh).lines
    for line in reversed(lines):
        yield _parse(line)


def records_since(top: Path, since: str, *, warn: Warn = stderr_warning) -> list[CommitRecord] | None:
    """The records of HEAD's first-parent chain newer than commit ``since``, oldest first;
    None when ``since`` is not on that chain."""
    require_history(top, what="this question")
    head = git.head_commit(top)
    try:
        lines = _head_kept(top, head, warn).lines
        at = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].startswith(since)), None)
        return None if at is None else [_parse(line) for line in lines[at + 1 :]]
    except ValidationError:
        return None


def _records(
    top: Path, head: str, tip: str | None, warn: Warn, model: str | None, *, fresh: bool = False
) -> list[CommitRecord]:
    if model is not None and (tip is None or tip == head) and reads_one_model(top, head, fresh=fresh):
        return list(model_records(top, head, model))
    kept = _head_kept(top, head, warn, fresh=fresh)
    lines = kept.lines
    if tip is not None and tip != head:
        dropped = git.first_parent_steps(top, tip, head)
        if dropped is None:
            found = list(iter_records(top, tip, known=_Known(lines)))
            return [r for r in found if model is None or any(c.model == model for c in r.changes)]
        gone = set(dropped)
        lines = [line for line in lines if line[:40] not in gone]
    if model is not None:
        mark = json.dumps(model)  # the name as the models field spells it (a false match is filtered later)
        lines = [line for line in lines if mark in line.split("\t", 3)[2]]
    return [_parse(line) for line in lines]


def reads_one_model(top: Path, head: str, *, fresh: bool = False) -> bool:
    """Whether a question about one model reads only that model's commits: when nothing is
    kept for any head (a fresh clone) and the history is long enough that walking all of it
    (and keeping it) costs far more than walking the model's files. Otherwise the whole
    history is read once, kept, and served from then on."""
    if not fresh and read_kept(top) is not None:
        return False
    return git.first_parent_count(top, head) >= NARROW_FROM


def _parse(line: str) -> CommitRecord:
    return CommitRecord.model_validate_json(line.split("\t", 3)[3])


def _line(record: CommitRecord) -> str:
    models = sorted({c.model for c in record.changes if c.model is not None})
    text = record.model_dump_json(by_alias=True)
    return f"{record.commit.sha}\t{record.registry_blob or ''}\t{json.dumps(models)}\t{text}"


class _Known:
    """Records by commit id, parsed from their lines when asked for (``iter_records``'s ``known``)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = {line[:40]: line for line in lines}

    def get(self, sha: str) -> CommitRecord | None:
        line = self._lines.get(sha)
        return _parse(line) if line is not None else None


def _head_kept(top: Path, head: str, warn: Warn, *, fresh: bool = False) -> Kept:
    kept = None if fresh else read_kept(top)
    if kept is not None and kept.head == head:
        return kept
    lines: list[str] | None = None
    if kept is not None and git.first_parent_steps(top, kept.head, head) is not None:
        added = iter_records(top, head, exclude=kept.head, registry_blob=kept.registry_blob())
        lines = kept.lines + [_line(r) for r in added]
    elif kept is not None:
        lines = _after_rewrite(top, kept, head, warn)
    if lines is None:
        found = iter_records(top, head, known=_Known(kept.lines if kept else []))
        lines = [_line(r) for r in found]  # one record at a time: 40,000 of them take 150 MB
        if len(lines) >= GRAPH_FROM:
            git.ensure_commit_graph(top)
    kept = Kept(head=head, branch=git.current_branch(top), lines=lines)
    keep(top, kept)
    return kept


def _after_rewrite(top: Path, kept: Kept, head: str, warn: Warn) -> list[str] | None:
    """Warn when the cached branch lost its head; serve HEAD from the cache if it is on its chain."""
    branch = git.current_branch(top)
    if branch is not None and branch == kept.branch and not git.is_ancestor(top, kept.head, head):
        warn(
            f"the history of {branch} was rewritten: the cached head {kept.head[:8]} is no longer "
            "an ancestor of HEAD; rebuilding the history cache"
        )
    dropped = git.first_parent_steps(top, head, kept.head)
    if dropped is None:
        return None
    gone = set(dropped)
    return [line for line in kept.lines if line[:40] not in gone]


def read_kept(top: Path) -> Kept | None:
    """The records kept in the store, or None when there are none (or they do not read back)."""
    kept = store.store_for(top)
    value = kept.get(KIND, KEY)
    if value is None:
        return None
    try:
        header = json.loads(value)
    except (ValueError, RecursionError):
        return None
    if not isinstance(header, dict):
        return None
    head, branch, chunks = header.get("head"), header.get("branch"), header.get("chunks")
    if not isinstance(head, str) or not (branch is None or isinstance(branch, str)):
        return None
    if not isinstance(chunks, int) or chunks < 0:
        return None
    keys = [_chunk_key(head, i) for i in range(chunks)]
    found = kept.get_many(KIND, keys)
    if len(found) != chunks:
        return None
    # The store's checksums say these are the texts ``keep`` wrote.
    lines = [line for key in keys for line in found.pop(key).split("\n")]
    return Kept(head=head, branch=branch, lines=lines)


def keep(top: Path, kept: Kept) -> None:
    """Keep the records for the next command (a failure to write is not fatal), in chunks of
    lines: one value of 40,000 lines was copied whole three times on its way to SQLite."""
    kept_store = store.store_for(top)
    starts = range(0, len(kept.lines), _CHUNK_LINES)
    header = json.dumps({"head": kept.head, "branch": kept.branch, "chunks": len(starts)})
    kept_store.put(KIND, KEY, header)
    for i, start in enumerate(starts):
        kept_store.put(KIND, _chunk_key(kept.head, i), "\n".join(kept.lines[start : start + _CHUNK_LINES]))
        if i % _CHUNKS_PER_WRITE == _CHUNKS_PER_WRITE - 1:
            kept_store.save()
    kept_store.put(KIND, KEY, header, keep=len(starts) + 1)  # older heads' chunks go
    kept_store.save()


def _chunk_key(head: str, index: int) -> str:
    return f"{head} {index}"
