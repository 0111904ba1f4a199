"""``--repo`` for the commands that read a registry from a Git URL as well as from a folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from modelreg.adapters.gitremote import is_bare_repository, is_url

if TYPE_CHECKING:
    from modelreg.operations.remoteread import RemoteCopy

F = TypeVar("F", bound=Callable[..., Any])


def remote_repo_option(func: F) -> F:
    decorator = click.option(
        "-C",
        "--repo",
        "repo",
        default=".",
        show_default=True,
        metavar="PATH|URL",
        help="The registry: a folder inside its repository, or a Git URL or bare repository to "
        "read without a clone (https://..., ssh://..., git@host:..., file://..., PATH.git).",
    )
    return decorator(func)


def read_remote(repo: str, at: str | None, ref: str) -> RemoteCopy | None:
    """The registry at ``repo`` as of revision ``at`` when ``repo`` is a Git URL (the model
    ``ref`` names fetched with it), else None."""
    if not is_url(repo):
        if not is_bare_repository(Path(repo)):
            return None
        repo = Path(repo).resolve().as_uri()  # a bare repository on disk is read as its URL
    from modelreg.domain import refs
    from modelreg.operations.remoteread import open_remote

    return open_remote(repo, at, models=(refs.parse(ref).name,))
