"""What ``lstat`` said of work-tree files and folders, to trust what was learned of them before
(content ids, folder entries) while their stat is unchanged. Kept in the store between runs."""

from __future__ import annotations

import os
import time
from typing import Any


def racy_after() -> int:
    """The time (ns) after which a change is too recent to trust a stat: a later change within
    the same clock tick would leave it unchanged (Git's "racy clean" problem)."""
    return time.time_ns() - _StatMemo.RACY_NS


class _StatMemo:
    """What was learned of paths, remembered by what ``lstat`` says of them. A path changed
    within RACY_NS of being looked at is not remembered: a later change in the same clock tick
    would leave its stat unchanged (Git's "racy clean" problem)."""

    RACY_NS = 3_000_000_000

    def __init__(self, entries: dict[str, Any] | None = None) -> None:
        self.entries: dict[str, Any] = entries if entries is not None else {}
        self.changed = False
        self.seen: set[str] = set()

    def kept(self) -> dict[str, Any]:
        """The entries of the paths asked about (paths gone since are forgotten)."""
        return {path: entry for path, entry in self.entries.items() if path in self.seen}

    def _key(self, st: os.stat_result) -> list[int]:
        raise NotImplementedError

    def _lookup(self, path: str, st: os.stat_result, values: int) -> list[Any] | None:
        """The remembered values of ``path`` if its stat is unchanged, else None."""
        self.seen.add(path)
        entry = self.entries.get(path)
        key = self._key(st)
        if isinstance(entry, list) and len(entry) == len(key) + values and entry[: len(key)] == key:
            return entry[len(key) :]
        return None

    def _remember(self, path: str, st: os.stat_result, values: list[Any]) -> None:
        if max(st.st_mtime_ns, st.st_ctime_ns) > racy_after():
            if self.entries.pop(path, None) is not None:
                self.changed = True
            return
        self.entries[path] = [*self._key(st), *values]
        self.changed = True


class FileMemo(_StatMemo):
    """Content ids of work-tree files by their size, mtime, ctime and inode."""

    def _key(self, st: os.stat_result) -> list[int]:
        return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]

    def get(self, path: str, st: os.stat_result) -> str | None:
        found = self._lookup(path, st, 1)
        return found[0] if found and isinstance(found[0], str) else None

    def put(self, path: str, st: os.stat_result, cid: str) -> None:
        self._remember(path, st, [cid])


class FolderMemo(_StatMemo):
    """The entries of folders by the folder's mtime, ctime and inode: adding, removing or
    renaming an entry changes its folder's mtime, so an unchanged folder need not be read again."""

    def _key(self, st: os.stat_result) -> list[int]:
        return [st.st_mtime_ns, st.st_ctime_ns, st.st_ino]

    def get(self, folder: str, st: os.stat_result) -> tuple[list[str], list[str]] | None:
        found = self._lookup(folder, st, 2)
        if found and isinstance(found[0], list) and isinstance(found[1], list):
            return found[0], found[1]
        return None

    def put(self, folder: str, st: os.stat_result, files: list[str], dirs: list[str]) -> None:
        self._remember(folder, st, [files, dirs])
