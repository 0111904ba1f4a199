"""Derived data: what modelreg learned from a repository, kept for the next command.

One SQLite file, ``.git/modelreg/store.sqlite``, with one table: (stamp, kind, key) -> value.

- ``stamp`` is the code stamp (``code_stamp``): a digest of every ``.py`` and schema file of
  the installed ``modelreg`` package, the Python version and the installed distributions.
  Code that differs in any way never reads what other code wrote.
- ``kind`` says what the value is: the outcome of one registry document, by its Git blob id;
  the parsed data of a manifest; the ``lstat`` memos of the work tree; the history records.
- ``value`` is text (JSON, or lines), stored with its CRC-32: a value that does not match
  its checksum is not read, so a reader gets back exactly what was written, or nothing.

The store only saves time, never decides an answer: a read that fails (no file, a damaged,
locked or foreign one) is a miss, a write that fails is dropped, and a file that is not a store
of this schema is replaced. Writes are transactions (WAL journal: readers never wait for a
writer; two writers take turns, waiting a little, then giving up). ``MODELREG_NO_CACHE=1``
turns the store off: nothing is read, nothing is written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import sys
import time
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from modelreg.adapters import git
from modelreg.domain.errors import ModelregError
from modelreg.store.memo import FileMemo, FolderMemo

FILE = "store.sqlite"
SCHEMA = 1  # PRAGMA user_version of a store this code can read
_WAIT = 1.0  # seconds a write waits for another process's write before it is dropped
_CHUNK = 500  # keys per SELECT (SQLite allows 999 parameters in old builds)
_SUFFIXES = (".py", ".json")
_DATA = "manifest-data"  # the parsed data of a valid manifest, by blob id
_MEMO = "stat-memo"  # memo.FileMemo and FolderMemo entries, whole
_STATE = "documents-state"  # what loading a tree's documents found, by tree.documents_state
_STATES_KEPT = 4

_stamp: str | None = None


def disabled() -> bool:
    """Whether ``MODELREG_NO_CACHE`` turns the store off."""
    return bool(os.environ.get("MODELREG_NO_CACHE"))


def code_stamp() -> str:
    """A digest of the code that derives what the store holds, computed once per process:
    the content of every ``.py`` and ``.json`` file of the installed ``modelreg`` package (about
    80 files, 0.5 MB: a millisecond), the Python version and the names of the installed
    distributions' metadata folders (a library upgrade changes them)."""
    global _stamp
    if _stamp is None:
        digest = hashlib.sha1(f"store {SCHEMA}\n{sys.version}\n".encode(), usedforsecurity=False)
        package = Path(__file__).resolve().parent.parent  # modelreg/, this is modelreg/store/
        for path in _package_files(package):
            digest.update(f"{path.relative_to(package).as_posix()}\0".encode())
            digest.update(path.read_bytes())
            digest.update(b"\0")
        for name in _distributions():
            digest.update(f"{name}\n".encode())
        _stamp = digest.hexdigest()
    return _stamp


def _package_files(package: Path) -> list[Path]:
    found = []
    folders = [package]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        folders.append(Path(entry.path))
                elif entry.name.endswith(_SUFFIXES):
                    found.append(Path(entry.path))
    return sorted(found)


def _distributions() -> list[str]:
    """The ``*.dist-info`` folders on ``sys.path`` (name and version of every library installed)."""
    found: list[str] = []
    for folder in sys.path:
        if folder.endswith(("site-packages", "dist-packages")):
            try:
                found.extend(e for e in os.listdir(folder) if e.endswith((".dist-info", ".egg-info")))
            except OSError:
                continue
    return sorted(found)


def is_plain(data: Any) -> bool:
    """Whether ``data`` survives a JSON round trip unchanged (string keys, JSON types only)."""
    kind = type(data)
    if kind is dict:
        return all(type(k) is str and is_plain(v) for k, v in data.items())
    if kind is list:
        return all(is_plain(x) for x in data)
    return kind is str or kind is int or kind is float or kind is bool or data is None


def encode(data: Any) -> str | None:
    """``data`` as JSON text, or None when JSON would not give it back unchanged."""
    return json.dumps(data, separators=(",", ":")) if is_plain(data) else None


def decode_many(texts: list[str]) -> list[Any] | None:
    """Many JSON texts decoded in one call (equal strings in them then share one object);
    None when one of them is not JSON."""
    try:
        found = json.loads("[" + ",".join(texts) + "]")
    except (ValueError, RecursionError):
        return None
    return found if isinstance(found, list) and len(found) == len(texts) else None


class Store:
    """The derived data of one repository (with no file: nothing read or written)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._opened = False
        self._pending: dict[tuple[str, str], str] = {}
        self._keep: dict[str, int] = {}
        self._outcomes: dict[tuple[str, str], dict[str, Any]] = {}
        self._absent: set[tuple[str, str]] = set()  # looked up, not kept
        self._data: dict[str, str] = {}  # manifest data put in this process, by blob id
        self._memos: dict[str, FileMemo | FolderMemo] = {}

    @property
    def enabled(self) -> bool:
        return self.path is not None

    @property
    def stamp(self) -> str:
        return code_stamp()

    def get(self, kind: str, key: str) -> str | None:
        """The value kept for ``key``, or None."""
        return self.get_many(kind, [key]).get(key)

    def get_many(self, kind: str, keys: Iterable[str]) -> dict[str, str]:
        """The values kept for those of ``keys`` that have one."""
        found: dict[str, str] = {}
        missing = []
        for key in keys:
            pending = self._pending.get((kind, key))
            if pending is not None:
                found[key] = pending
            else:
                missing.append(key)
        db = self._connection() if missing else None
        if db is None:
            return found
        try:
            for start in range(0, len(missing), _CHUNK):
                chunk = missing[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT key, value, crc FROM derived WHERE stamp = ? AND kind = ? AND key IN ({marks})",  # noqa: S608 (only '?' marks)
                    [self.stamp, kind, *chunk],
                )
                for key, value, crc in rows:
                    if isinstance(value, str) and _crc(value) == crc:
                        found[key] = value
        except sqlite3.Error as e:
            self._failed(e)
        return found

    def put(self, kind: str, key: str, value: str, *, keep: int | None = None) -> None:
        """Keep ``value`` for ``key`` (written by ``save``); ``keep``: only the newest ``keep``
        values of this kind are kept."""
        if self.path is None:
            return
        self._pending[(kind, key)] = value
        if keep is not None:
            self._keep[kind] = keep

    def save(self) -> None:
        """Write what was put since the last save, in one transaction; never fails."""
        self._put_memos()
        if not self._pending:
            return
        pending, keep = self._pending, self._keep
        self._pending, self._keep = {}, {}
        db = self._connection()
        if db is None:
            return
        now = time.time_ns()
        stamp = self.stamp
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                known = db.execute("SELECT value FROM meta WHERE name = 'stamp'").fetchone()
                if known is None or known[0] != stamp:  # other code wrote last: forget its data
                    db.execute("DELETE FROM derived WHERE stamp != ?", [stamp])
                    db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('stamp', ?)", [stamp])
                db.executemany(
                    "INSERT OR REPLACE INTO derived (stamp, kind, key, value, crc, at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(stamp, kind, key, value, _crc(value), now) for (kind, key), value in pending.items()],
                )
                for kind, count in keep.items():
                    db.execute(
                        "DELETE FROM derived WHERE stamp = ? AND kind = ? AND key NOT IN "
                        "(SELECT key FROM derived WHERE stamp = ? AND kind = ? ORDER BY at DESC LIMIT ?)",
                        [stamp, kind, stamp, kind, count],
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except sqlite3.Error as e:
            self._failed(e)

    # -- registry documents, by Git blob id ---------------------------------------------------

    def load_outcomes(self, kind: str, blobs: list[str]) -> None:
        """Read what is kept of many ``kind`` documents at once (``outcome`` then answers from
        memory)."""
        wanted = [b for b in blobs if (kind, b) not in self._outcomes]
        found = self.get_many(kind, wanted)
        keys = list(found)
        values = decode_many([found[k] for k in keys]) or []
        for blob, value in zip(keys, values, strict=False):
            if isinstance(value, dict):
                self._outcomes[(kind, blob)] = value
        self._absent.update((kind, b) for b in wanted if (kind, b) not in self._outcomes)

    def outcome(self, kind: str, blob: str) -> dict[str, Any] | None:
        """What was learned from a ``kind`` document with content ``blob``, if anything."""
        found = self._outcomes.get((kind, blob))
        if found is None and self.path is not None and (kind, blob) not in self._absent:
            self.load_outcomes(kind, [blob])
            found = self._outcomes.get((kind, blob))
        return found

    def remember(self, kind: str, blob: str, entry: dict[str, Any], *, encoded: str | None = None) -> None:
        """Keep ``entry`` for a ``kind`` document; with ``encoded``, its parsed data (as JSON
        text, see ``encode``), read back only when asked for (``data``). Kept in memory even
        when nothing is written."""
        if encoded is not None:
            self.put(_DATA, blob, encoded)
            self._data[blob] = encoded
            entry = {**entry, "x": 1}
        self._outcomes[(kind, blob)] = entry
        self._absent.discard((kind, blob))
        # entries are lists and dicts of JSON types (``is_plain`` cost a sixth of a cold read)
        with contextlib.suppress(TypeError, ValueError):
            self.put(kind, blob, json.dumps(entry, separators=(",", ":")))

    def data(self, blob: str) -> Any:
        """The parsed data kept for a manifest; KeyError when there is none."""
        text = self._data.get(blob) or self.get(_DATA, blob)
        if text is None:
            raise KeyError(blob)
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            raise KeyError(blob) from None

    def data_many(self, blobs: list[str]) -> dict[str, Any]:
        """The data kept for many manifests, a thousand at a time decoded in one call (equal
        texts such as keys then share one string); manifests with none are left out."""
        found: dict[str, Any] = {}
        for start in range(0, len(blobs), 1000):
            group = blobs[start : start + 1000]
            texts = {b: self._data[b] for b in group if b in self._data}
            texts.update(self.get_many(_DATA, [b for b in group if b not in texts]))
            keys = list(texts)
            values = decode_many([texts[k] for k in keys])
            if values is not None:
                found.update(zip(keys, values, strict=True))
        return found

    # -- whole loads of a tree's documents (tree.documents_state), and views of their versions ---

    def state(self, key: str) -> dict[str, Any] | None:
        """What loading the documents found last time the documents were exactly these."""
        text = self.get(_STATE, key)
        try:
            found = json.loads(text) if text is not None else None
        except (ValueError, RecursionError):
            return None
        return found if isinstance(found, dict) else None

    def remember_state(
        self, key: str, record: dict[str, Any], views: dict[str, dict[str, Any] | None]
    ) -> None:
        """Keep what loading found, and ``views`` of its versions (by name; ``companion``)."""
        text = encode(record)
        if text is None:
            return
        self.put(_STATE, key, text, keep=_STATES_KEPT)
        for view, found in views.items():
            self.put(f"{_STATE}:{view}", key, encode(found or {}) or "{}", keep=_STATES_KEPT)

    def companion(self, view: str, key: str) -> dict[str, Any]:
        """The ``view`` kept with state ``key``, by model ({} when there is none)."""
        text = self.get(f"{_STATE}:{view}", key)
        try:
            found = json.loads(text) if text is not None else {}
        except (ValueError, RecursionError):
            return {}
        return found if isinstance(found, dict) else {}

    # -- what lstat said of work-tree files and folders (memo.FileMemo, memo.FolderMemo) ---------

    def files(self, *, deep: bool = False) -> FileMemo:
        """The content ids of the documents, or (``deep``) of the files below them, by their
        stat: kept apart so that reading documents loads less."""
        name = "files-deep" if deep else "files"
        if name not in self._memos:
            self._memos[name] = FileMemo(self._memo_entries(name))
        memo = self._memos[name]
        assert isinstance(memo, FileMemo)
        return memo

    def folders(self) -> FolderMemo:
        """What the work tree's folders below the documents held when last read."""
        if "folders" not in self._memos:
            self._memos["folders"] = FolderMemo(self._memo_entries("folders"))
        memo = self._memos["folders"]
        assert isinstance(memo, FolderMemo)
        return memo

    def _memo_entries(self, name: str) -> dict[str, Any]:
        text = self.get(_MEMO, name) if self.path is not None else None
        try:
            found = json.loads(text) if text is not None else {}
        except (ValueError, RecursionError):
            return {}
        return found if isinstance(found, dict) else {}

    def _put_memos(self) -> None:
        for name, memo in self._memos.items():
            if memo.changed:
                memo.changed = False
                text = encode(memo.kept())
                if text is not None:
                    self.put(_MEMO, name, text)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- the file -----------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection | None:
        if self._opened:
            return self._db
        self._opened = True
        if self.path is None:
            return None
        try:
            self._db = _open(self.path)
        except sqlite3.Error as e:
            self._failed(e)
        except OSError:  # its folder cannot be made (a file stands there): no store this time
            self._db = None
        return self._db

    def _failed(self, error: sqlite3.Error) -> None:
        """Stop using the store; replace the file when it is damaged or not a store of ours
        (the next write builds a fresh one), leave it when it is only busy or read-only."""
        self.close()
        self._opened = True
        if self.path is not None and _is_damage(error):
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(OSError):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self._opened = False  # a fresh file on the next use


def _crc(value: str) -> int:
    return zlib.crc32(value.encode("utf-8", "surrogatepass"))


def _is_damage(error: sqlite3.Error) -> bool:
    """A file that is not a database, a damaged one, or one whose tables are not ours; not a
    busy, locked or read-only one (those are left alone)."""
    if type(error) is sqlite3.DatabaseError:  # "file is not a database", "malformed"
        return True
    text = str(error)
    return isinstance(error, sqlite3.OperationalError) and ("no such" in text or "has no column" in text)


def _open(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=_WAIT, isolation_level=None, check_same_thread=False)
    try:
        db.execute("PRAGMA synchronous = NORMAL")
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
            _create(db)
    except BaseException:
        db.close()
        raise
    return db


def _create(db: sqlite3.Connection) -> None:
    """Make the file a store of this schema (another process may be doing the same)."""
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("BEGIN IMMEDIATE")
    try:
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
            db.execute("DROP TABLE IF EXISTS derived")
            db.execute("DROP TABLE IF EXISTS meta")
            db.execute(
                "CREATE TABLE derived (stamp TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, "
                "value TEXT NOT NULL, crc INTEGER NOT NULL, at INTEGER NOT NULL, "
                "PRIMARY KEY (stamp, kind, key)) WITHOUT ROWID"
            )
            db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute(f"PRAGMA user_version = {SCHEMA}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


_stores: dict[Path, Store] = {}


def forget_all() -> None:
    """Close every store this process opened and forget them: the next read starts as a new
    process would (an in-process caller, such as a test running many commands, needs it)."""
    for opened in _stores.values():
        opened.close()
    _stores.clear()


def store_for(top: Path) -> Store:
    """The store of the repository at ``top`` (one per process, shared by every reader);
    a store that keeps nothing when ``MODELREG_NO_CACHE`` is set or there is no ``.git``."""
    if disabled():
        return Store(None)
    if top not in _stores:
        try:
            path: Path | None = git.state_dir(top) / FILE
        except ModelregError:
            path = None
        _stores[top] = Store(path)
    return _stores[top]
