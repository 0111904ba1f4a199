"""The one way modelreg runs a subprocess: an argv list, no shell, output captured; and the one
place it starts copies of itself, to parse a large registry on every core (``map_in_forks``)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from modelreg.domain.errors import ExternalCommandError

T = TypeVar("T")


def run(
    argv: list[str],
    *,
    cwd: str | Path | None = None,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``argv`` and return the completed process; raise ExternalCommandError on failure."""
    full_env = None
    if env:
        full_env = {**os.environ, **env}
    try:
        result = subprocess.run(
            argv,
            cwd=cwd,
            input=stdin,
            capture_output=True,
            env=full_env,
            check=False,
        )
    except FileNotFoundError as e:
        raise ExternalCommandError(argv, 127, f"{argv[0]}: command not found") from e
    if check and result.returncode != 0:
        raise ExternalCommandError(argv, result.returncode, result.stderr.decode(errors="replace"))
    return result


def output(argv: list[str], *, cwd: str | Path | None = None, stdin: bytes | None = None) -> str:
    """Run ``argv`` and return its standard output as text."""
    return run(argv, cwd=cwd, stdin=stdin).stdout.decode()


def workers_for(jobs: int, *, per_worker: int = 500) -> int:
    """How many processes to share ``jobs`` CPU-bound jobs: one per ``per_worker`` jobs, at most
    one per available core (and at most four); ``MODELREG_WORKERS`` sets the most."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    most = min(cores, 4)
    setting = os.environ.get("MODELREG_WORKERS", "")
    if setting.isdigit():
        most = max(1, int(setting))
    return max(1, min(most, jobs // per_worker))


def map_in_forks(func: Callable[[T], Any], items: list[T], *, workers: int) -> list[Any]:
    """``[func(x) for x in items]``, shared with ``workers - 1`` forked copies of this process.

    Each copy computes its share and sends it back as JSON through a pipe (``func`` must return
    plain data), then exits. Without ``os.fork``, or when this process runs other threads
    (forking those is unsafe), or if a copy fails, the work is done here.
    """
    if workers < 2 or len(items) < 2 or not hasattr(os, "fork") or threading.active_count() > 1:
        return [func(x) for x in items]
    size = -(-len(items) // workers)
    shares = [items[i : i + size] for i in range(0, len(items), size)]
    children = [_forked(func, share) for share in shares[1:]]
    try:
        results = [func(x) for x in shares[0]]
    finally:
        returned = [_collect(pid, fd) for pid, fd in children]
    for share, found in zip(shares[1:], returned, strict=True):
        results.extend(found if found is not None and len(found) == len(share) else [func(x) for x in share])
    return results


def _forked(func: Callable[[T], Any], share: list[T]) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the copy: compute, send, leave without running any of the parent's exit code
        code = 1
        try:
            os.close(read_end)
            payload = json.dumps([func(x) for x in share]).encode()
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    return pid, read_end


def _collect(pid: int, fd: int) -> list[Any] | None:
    with os.fdopen(fd, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return None
    try:
        found = json.loads(payload)
    except ValueError:
        return None
    return found if isinstance(found, list) else None


@contextmanager
def stream(
    argv: list[str], *, cwd: str | Path | None = None, stdin: bool = False
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``argv`` with piped stdout (and stdin if asked) for long-lived, streaming use.

    On leaving the block the pipes are closed and the process reaped; ExternalCommandError
    if it failed while the block itself completed. stderr goes to a temporary file, so a
    chatty process can never block on it.
    """
    with tempfile.TemporaryFile() as err:
        try:
            child = subprocess.Popen(
                argv,
                cwd=cwd,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err,
            )
        except FileNotFoundError as e:
            raise ExternalCommandError(argv, 127, f"{argv[0]}: command not found") from e
        completed = False
        try:
            yield child
            completed = True
        finally:
            if child.stdin:
                child.stdin.close()
            if not completed:
                child.kill()
            assert child.stdout is not None
            child.stdout.close()
            code = child.wait()
        if code != 0:
            err.seek(0)
            raise ExternalCommandError(argv, code, err.read().decode(errors="replace"))
