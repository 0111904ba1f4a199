"""The one way modelreg runs a subprocess: an argv list, no shell, output captured."""

from __future__ import annotations

import os
import subprocess
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
