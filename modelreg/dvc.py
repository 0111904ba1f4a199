"""DVC, through its Python API. Imported lazily: only commands that move bytes pay for it."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from modelreg.errors import ModelregError

DEFAULT_REMOTE_NAME = "storage"


class DvcError(ModelregError):
    """DVC refused or failed; the message says what DVC said."""


def _quiet() -> None:
    """DVC logs hints meant for its own CLI ("To track the changes with git..."); modelreg
    reports for itself, so DVC's logger is silenced and its failures become DvcError."""
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    logging.getLogger("dvc").setLevel(logging.CRITICAL + 1)


@contextmanager
def _dvc(top: Path, doing: str) -> Iterator[Any]:
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    _quiet()

    try:
        with Repo(str(top)) as repo:
            repo.scm_context.quiet = True
            yield repo
    except DvcException as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        cause = e.__cause__
        if cause is not None and str(cause).strip():
            reason += f": {str(cause).strip().splitlines()[0]}"
        raise DvcError(f"DVC could not {doing}: {reason}") from e
    except OSError as e:
        detail = e.strerror or str(e)
        where = f" ({e.filename})" if e.filename else ""
        raise DvcError(f"DVC could not {doing}: {detail}{where}") from e


def is_initialized(top: Path) -> bool:
    return (top / ".dvc" / "config").is_file()


def init(top: Path) -> None:
    """``dvc init`` in the Git repository at ``top``."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    _quiet()

    try:
        Repo.init(str(top))
    except DvcException as e:
        raise DvcError(f"DVC could not initialize {top}: {e}") from e


def default_remote(top: Path) -> tuple[str, str] | None:
    """(name, url) of the default remote as committed in .dvc/config, or None."""
    with _dvc(top, "read its configuration") as repo:
        conf = repo.config.read("repo")
    name = conf.get("core", {}).get("remote")
    if not name:
        return None
    return name, conf.get("remote", {}).get(name, {}).get("url", "")


def set_default_remote(top: Path, url: str, *, name: str = DEFAULT_REMOTE_NAME) -> None:
    """Add remote ``name`` at ``url`` to .dvc/config and make it the default.

    A local path is made absolute first; DVC then stores it relative to .dvc/.
    """
    if "://" not in url:
        url = str(Path(url).absolute())
    with _dvc(top, f"add the remote {url}") as repo, repo.config.edit("repo") as conf:
        conf["remote"][name] = {"url": url}
        conf["core"]["remote"] = name


def add(top: Path, paths: list[str]) -> None:
    """Track ``paths`` (relative to ``top``) with DVC: one ``.dvc`` pointer each."""
    with _dvc(top, "track the artifacts") as repo:
        repo.add([str(top / p) for p in paths])


def push(top: Path, pointers: list[str]) -> int:
    """Push the data of ``pointers`` to the default remote; return how many files moved."""
    with _dvc(top, "push to the default remote") as repo:
        if not repo.config.get("core", {}).get("remote"):
            raise DvcError(
                "no default DVC remote; add one with `dvc remote add -d NAME URL` and commit .dvc/config"
            )
        transferred: int = repo.push(targets=[str(top / p) for p in pointers])
    return transferred
