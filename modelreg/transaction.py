"""Repository changes as transactions: whatever fails, the touched paths are put back."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from modelreg import proc


@contextmanager
def restoring(top: Path, paths: list[str]) -> Iterator[None]:
    """Snapshot ``paths`` (files or folders, existing or not); restore them if the body raises.

    Files that existed get their bytes back; anything created under a path is removed and
    unstaged. Ctrl-C and SIGTERM-raised exceptions restore too (BaseException).
    """
    saved: dict[str, bytes | None] = {}
    for rel in paths:
        target = top / rel
        saved[rel] = target.read_bytes() if target.is_file() and not target.is_symlink() else None
        if target.is_dir():
            raise AssertionError(f"transaction over existing folder {rel}")  # callers check first
    try:
        yield
    except BaseException:
        _restore(top, saved)
        raise


def _restore(top: Path, saved: dict[str, bytes | None]) -> None:
    proc.run(["git", "reset", "--quiet", "--", *saved], cwd=top, check=False)
    for rel, content in saved.items():
        target = top / rel
        if content is not None:
            target.write_bytes(content)
        elif target.is_dir() and not target.is_symlink():
            shutil.rmtree(target, ignore_errors=True)
        elif target.exists() or target.is_symlink():
            target.unlink()
