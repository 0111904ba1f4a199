"""Where a version comes from: the training repository (URL, commit, uncommitted changes) and
the experiment tracker's run, captured by ``register`` unless told not to."""

from __future__ import annotations

from pathlib import Path

from modelreg.adapters import git
from modelreg.domain.models import Code


def training_code(files: list[Path]) -> Code | None:
    """The Git work tree holding the first of ``files``: its remote URL (origin, else the first
    remote; credentials stripped), HEAD commit and whether tracked files were changed; None
    outside a work tree or before its first commit."""
    if not files:
        return None
    first = files[0].resolve()
    folder = first if first.is_dir() else first.parent
    if not git.is_repo(folder):
        return None
    top = git.root(folder)
    commit = git.head(top)
    if commit is None:
        return None
    names = git.remotes(top)
    remote = "origin" if "origin" in names else (names[0] if names else None)
    url = git.remote_url(top, remote) if remote else None
    return Code(
        repo=git.url_without_credentials(url) if url else None,
        commit=commit,
        dirty=git.has_uncommitted_changes(top),
    )
