"""Read and write values of a repository's store (.git/modelreg/store.sqlite) as modelreg does,
so that a test can see what was kept or plant a marked value and see whether it is served."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from modelreg import store


def store_path(repo: Path) -> Path:
    return repo / ".git" / "modelreg" / store.FILE


def value(repo: Path, kind: str, key: str, *, path: Path | None = None) -> str | None:
    return store.Store(path or store_path(repo)).get(kind, key)


def plant(repo: Path, kind: str, key: str, text: str) -> None:
    """Keep ``text`` for ``key``, with a checksum that matches: a value modelreg will trust."""
    kept = store.Store(store_path(repo))
    kept.put(kind, key, text)
    kept.save()
    kept.close()


def keys(repo: Path, kind: str) -> list[str]:
    """The keys of ``kind`` kept by this code, newest first."""
    if not store_path(repo).is_file():
        return []
    with sqlite3.connect(store_path(repo)) as db:
        rows = db.execute(
            "SELECT key FROM derived WHERE stamp = ? AND kind = ? ORDER BY at DESC",
            [store.code_stamp(), kind],
        )
        return [key for (key,) in rows]
