"""The one way modelreg runs a subprocess: an argv list, no shell, output captured."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from modelreg.errors import ExternalCommandError


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
