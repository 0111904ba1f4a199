"""The history cache: commit records under ``.git/modelreg/``, keyed by commit.

A record is a pure function of its commit id (a commit fixes its whole first-parent
chain), so records are reused whenever their commit is still on the chain. The cache
remembers the head it was built for: the same head reads nothing from Git; a head that
moved forward reads only the new commits; a rewritten branch is rebuilt, reusing every
record whose commit survived, with a warning.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from pydantic import BaseModel, ValidationError

from modelreg import gitlog
from modelreg.history import CommitRecord, Warn, read_records

CACHE_FORMAT = 1
CACHE_FILE = "history.json"


class HistoryCache(BaseModel):
    """What ``.git/modelreg/history.json`` holds."""

    format: int = CACHE_FORMAT
    head: str
    branch: str | None = None
    registry_blob: str | None = None
    records: list[CommitRecord] = []


def stderr_warning(message: str) -> None:
    sys.stderr.write(f"modelreg: warning: {message}\n")


def cache_file(top: Path) -> Path:
    return gitlog.git_dir_path(top, "modelreg") / CACHE_FILE


def records(top: Path, *, tip: str | None = None, warn: Warn = stderr_warning) -> list[CommitRecord]:
    """The records of ``tip``'s first-parent chain (default: HEAD's), oldest first.

    The cache follows HEAD; an older commit on HEAD's chain is answered from it, any other
    tip is read afresh (reusing the records of commits it shares with HEAD).
    """
    head = gitlog.head_commit(top)
    found = _head_records(top, head, warn)
    if tip is None or tip == head:
        return found
    dropped = gitlog.first_parent_steps(top, tip, head)
    if dropped is not None:
        gone = set(dropped)
        return [r for r in found if r.commit.sha not in gone]
    return read_records(top, tip, known={r.commit.sha: r for r in found})


def _head_records(top: Path, head: str, warn: Warn) -> list[CommitRecord]:
    path = cache_file(top)
    cache = _read(path)
    if cache is not None and cache.head == head:
        return cache.records
    found: list[CommitRecord] | None = None
    if cache is not None and gitlog.first_parent_steps(top, cache.head, head) is not None:
        added = read_records(top, head, exclude=cache.head, registry_blob=cache.registry_blob)
        found = cache.records + added
    elif cache is not None:
        found = _after_rewrite(top, cache, head, warn)
    if found is None:
        known = {r.commit.sha: r for r in cache.records} if cache else {}
        found = read_records(top, head, known=known)
    _save(top, path, head, found)
    return found


def _after_rewrite(top: Path, cache: HistoryCache, head: str, warn: Warn) -> list[CommitRecord] | None:
    """Warn when the cached branch lost its head; serve HEAD from the cache if it is on its chain."""
    branch = gitlog.current_branch(top)
    if branch is not None and branch == cache.branch and not gitlog.is_ancestor(top, cache.head, head):
        warn(
            f"the history of {branch} was rewritten: the cached head {cache.head[:8]} is no longer "
            "an ancestor of HEAD; rebuilding the history cache"
        )
    dropped = gitlog.first_parent_steps(top, head, cache.head)
    if dropped is None:
        return None
    gone = set(dropped)
    return [r for r in cache.records if r.commit.sha not in gone]


def _read(path: Path) -> HistoryCache | None:
    try:
        cache = HistoryCache.model_validate_json(path.read_bytes())
    except (OSError, ValidationError, ValueError):
        return None
    return cache if cache.format == CACHE_FORMAT else None


def _save(top: Path, path: Path, head: str, found: list[CommitRecord]) -> None:
    """Write the cache atomically (temporary file + rename); a failure to write is not fatal."""
    registry_blob = next((r.registry_blob for r in reversed(found) if r.registry_blob), None)
    cache = HistoryCache(
        head=head, branch=gitlog.current_branch(top), registry_blob=registry_blob, records=found
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".history-", suffix=".json", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(cache.model_dump_json(by_alias=True).encode())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError:
        return
