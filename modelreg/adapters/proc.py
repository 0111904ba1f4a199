"""The one way modelreg runs a subprocess: an argv list, no shell, output captured; and the one
place it starts copies of itself, to parse a large registry on every core (``map_in_forks``)."""

from __future__ import annotations

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


_SHARED: Callable[[Any], Any] | None = None  # the function of the current map_in_forks


def _share_of(items: list[Any]) -> list[Any]:
    assert _SHARED is not None  # set before the pool forked this worker, which inherited it
    return [_SHARED(x) for x in items]


def map_in_forks(func: Callable[[T], Any], items: list[T], *, workers: int) -> list[Any]:
    """``[func(x) for x in items]``, shared with ``workers - 1`` forked copies of this process
    (``concurrent.futures.ProcessPoolExecutor`` with the fork start method).

    The copies inherit ``func`` and everything it reads, so only the items and the results
    (plain data) are pickled. Without ``os.fork``, or when this process runs other threads
    (forking those is unsafe), the work is done here; so is a share whose copy fails. Measured
    against the hand-made fork-and-pipe version it replaced (small registry, load average 12):
    `list` cold 2.67/2.18 s against 3.54/2.80 s, `validate` cold 3.06/3.48 s against
    2.99/4.11 s, 4,000 YAML parses 1.71-4.31 s against 2.19-3.95 s: no loss beyond the noise.
    """
    global _SHARED
    if workers < 2 or len(items) < 2 or not hasattr(os, "fork") or threading.active_count() > 1:
        return [func(x) for x in items]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = -(-len(items) // workers)
    shares = [items[i : i + size] for i in range(0, len(items), size)]
    _SHARED = func
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(len(shares) - 1, mp_context=context) as pool:
            futures = [pool.submit(_share_of, share) for share in shares[1:]]
            results = [func(x) for x in shares[0]]
            for share, future in zip(shares[1:], futures, strict=True):
                try:
                    found = future.result()
                except Exception:  # the copy failed (or died): its share is done here
                    found = None
                results.extend(found if found is not None and len(found) == len(share) else map(func, share))
    finally:
        _SHARED = None
    return results


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
