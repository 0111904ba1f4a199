"""Repository changes as transactions: whatever fails, the touched paths are put back.

A transaction writes a journal (``.git/modelreg/transaction.json``) before it touches
anything: the paths it will change, their previous bytes, HEAD, and its process id. The
journal is removed when the change is committed or rolled back. If the process dies
in between (SIGKILL, power loss), the next transaction, or ``modelreg doctor``, finds the
journal of a dead process and rolls the work tree back, unless HEAD moved, which means
the commit landed and only the clean-up was lost.

Writers hold a lock (``flock`` on ``.git/modelreg/transaction.lock``) while they recover,
journal and write; the kernel releases it when the process dies, however it dies. A second
writer does not wait: it says who holds the lock and stops. So a journal found while holding
the lock is always a dead command's, whatever process now has the pid it recorded.

A command that publishes a branch rather than editing files (promote) keeps the same journal
through ``publishing``: it notes the branch before creating it and the remote before pushing
it, so recovery deletes exactly what a killed run left (each only if it still points at the
commit the run made), unless the run had noted that it finished.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from modelreg.adapters import git
from modelreg.domain.errors import ModelregError
from modelreg.domain.layout import JOURNAL_FILE

LOCK = "transaction.lock"

_held: set[Path] = set()  # the lock files this process holds (a writer recovers under its own lock)


class BusyError(ModelregError):
    """Another modelreg command is changing the repository right now."""


def journal_path(top: Path) -> Path:
    return git.state_dir(top) / JOURNAL_FILE


def lock_path(top: Path) -> Path:
    return git.state_dir(top) / LOCK


@contextmanager
def writing(top: Path) -> Iterator[None]:
    """Hold the repository's writer lock (this process may already hold it); BusyError at once
    when another process does. The lock file stays: removing it would let two writers lock two
    different files."""
    path = lock_path(top)
    if path in _held:
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise ModelregError(f"cannot open the writer lock {path}: {e.strerror or e}") from e
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            pid = f" (pid {holder})" if holder.isdigit() else ""
            raise BusyError(f"another modelreg is writing this repository{pid}; wait for it") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _held.add(path)
        try:
            yield
        finally:
            _held.discard(path)
            os.ftruncate(fd, 0)  # while locked: the next reader finds no stale pid
    finally:
        os.close(fd)  # releases the lock


@contextmanager
def restoring(top: Path, paths: list[str], *, command: str = "modelreg") -> Iterator[None]:
    """Snapshot ``paths`` (files or folders, existing or not); restore them if the body fails.

    Files that existed get their bytes back; anything created under a path is removed and
    unstaged. Ctrl-C (KeyboardInterrupt) restores too; SIGKILL is recovered on the next run.
    """
    with writing(top):
        recover(top)
        saved: dict[str, bytes | None] = {}
        for rel in paths:
            target = top / rel
            if target.is_dir() and not target.is_symlink():
                raise ModelregError(f"{rel} already exists as a folder; remove it or pick another name")
            saved[rel] = target.read_bytes() if target.is_file() and not target.is_symlink() else None
        journal = _write_journal(top, command, saved)
        try:
            yield
        except BaseException:
            _restore(top, saved)
            raise
        finally:
            journal.unlink(missing_ok=True)


class Journal:
    """The journal of a running command that publishes a branch; see ``publishing``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def note(self, **fields: object) -> None:
        """Add ``fields`` to the journal, durably, before the step they describe."""
        record = json.loads(self.path.read_text())
        record.update(fields)
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w") as handle:
            json.dump(record, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


@contextmanager
def publishing(top: Path, *, command: str) -> Iterator[Journal]:
    """Hold the lock and a journal while ``command`` creates and pushes a branch."""
    with writing(top):
        recover(top)
        journal = Journal(_write_journal(top, command, {}))
        try:
            yield journal
        finally:
            journal.path.unlink(missing_ok=True)


def recover(top: Path) -> str | None:
    """Roll back what a killed command left; return what was done, or None if nothing was.
    BusyError when another process holds the writer lock (its journal is not a dead one's)."""
    with writing(top):
        return _recover(top)


def _recover(top: Path) -> str | None:
    journal = journal_path(top)
    try:
        record = json.loads(journal.read_text())
        int(record.get("pid", 0))  # a journal without a number here is not one modelreg wrote
        saved = _saved(record)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, binascii.Error):  # torn, tampered
        journal.unlink(missing_ok=True)
        return "removed an unreadable transaction journal"
    if "branch" in record or record.get("done"):
        done = _drop_branch(top, record)
        journal.unlink(missing_ok=True)
        return done
    if git.head(top) != record.get("head"):
        journal.unlink(missing_ok=True)
        return f"an interrupted `{record.get('command')}` had committed; nothing to undo"
    _restore(top, saved)
    journal.unlink(missing_ok=True)
    return f"rolled back an interrupted `{record.get('command')}`: {', '.join(saved)}"


def _saved(record: dict[str, Any]) -> dict[str, bytes | None]:
    """The journal's saved files; ValueError for a path that would leave the repository."""
    saved = {str(k): base64.b64decode(v) if v is not None else None for k, v in record["saved"].items()}
    for rel in saved:
        if not rel or rel.startswith("/") or ".." in rel.split("/"):
            raise ValueError(f"journal path {rel!r} leaves the repository")
    return saved


def _drop_branch(top: Path, record: dict[str, object]) -> str:
    """Delete the branch a killed command created (on its remote too), if it still points at
    the commit that command made; nothing when the command had finished."""
    command = record.get("command")
    if record.get("done"):
        return f"an interrupted `{command}` had finished; nothing to undo"
    branch, commit, remote = str(record["branch"]), str(record.get("commit")), record.get("remote")
    git.delete_branch(top, branch, commit)
    undone = f"rolled back an interrupted `{command}`: deleted branch {branch}"
    if remote:
        if not git.delete_remote_branch_at(top, str(remote), branch, commit):
            return f"{undone}; could not delete it from {remote}: `git push {remote} --delete {branch}`"
        undone += f" here and on {remote}"
    return undone


def _write_journal(top: Path, command: str, saved: dict[str, bytes | None]) -> Path:
    journal = journal_path(top)
    journal.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "pid": os.getpid(),
        "command": command,
        "head": git.head(top),
        "saved": {k: base64.b64encode(v).decode() if v is not None else None for k, v in saved.items()},
    }
    fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)  # under the lock
    with os.fdopen(fd, "w") as handle:
        json.dump(record, handle)
        handle.flush()
        os.fsync(handle.fileno())
    return journal


def _restore(top: Path, saved: dict[str, bytes | None]) -> None:
    if saved:
        git.unstage(top, list(saved))
    for rel, content in saved.items():
        target = top / rel
        if content is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        elif target.is_dir() and not target.is_symlink():
            shutil.rmtree(target, ignore_errors=True)
        elif target.exists() or target.is_symlink():
            target.unlink()
