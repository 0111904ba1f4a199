"""Writing to Git without touching the work tree, the index or HEAD: plumbing only.

A promotion builds its commit with a throwaway index (``GIT_INDEX_FILE``), so the user's
checkout, staged changes and current branch are never disturbed, whatever happens.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from modelreg.adapters import proc
from modelreg.domain.errors import ExternalCommandError, InvalidInputError, ModelregError


def _out(top: Path, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> str:
    return proc.run(["git", *args], cwd=top, stdin=stdin, env=env).stdout.decode().strip()


def commit_file(top: Path, *, parent: str, path: str, content: bytes, message: str) -> str:
    """A new commit whose parent is ``parent`` and whose only change is ``path`` := ``content``.

    The commit is not on any branch yet; returns its id.
    """
    with tempfile.TemporaryDirectory(prefix="modelreg-index-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        _out(top, "read-tree", parent, env=env)
        blob = _out(top, "hash-object", "-w", "--stdin", stdin=content)
        _out(top, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
        tree = _out(top, "write-tree", env=env)
    return _out(top, "commit-tree", tree, "-p", parent, "-F", "-", stdin=message.encode())


def check_branch_name(top: Path, name: str) -> str:
    """``name`` if Git accepts it as a new branch name; InvalidInputError if not."""
    ok = not name.startswith("-") and (
        proc.run(["git", "check-ref-format", f"refs/heads/{name}"], cwd=top, check=False).returncode == 0
    )
    if not ok:
        raise InvalidInputError(f"invalid branch name {name!r}; pick another with --branch")
    return name


def branch_exists(top: Path, name: str) -> bool:
    ref = f"refs/heads/{name}"
    return proc.run(["git", "rev-parse", "--verify", "--quiet", ref], cwd=top, check=False).returncode == 0


def create_branch(top: Path, name: str, commit: str) -> None:
    """Point new branch ``name`` at ``commit``; fails if the branch exists (no overwrite)."""
    _out(top, "update-ref", "-m", "modelreg: create branch", f"refs/heads/{name}", commit, "")


def delete_branch(top: Path, name: str, commit: str) -> None:
    """Delete branch ``name`` if it still points at ``commit``."""
    proc.run(["git", "update-ref", "-d", f"refs/heads/{name}", commit], cwd=top, check=False)


def push_branch(top: Path, remote: str, name: str, *, secret: str | None = None) -> None:
    """Push branch ``name`` to ``remote`` (new branch only: no force)."""
    try:
        _out(top, "push", "--quiet", "--", remote, f"refs/heads/{name}:refs/heads/{name}")
    except ExternalCommandError as e:
        reason = hide_credentials(e.stderr.strip().splitlines()[-1] if e.stderr.strip() else "", secret)
        raise ModelregError(f"could not push {name} to {remote}: {reason or 'git push failed'}") from None


def delete_remote_branch(top: Path, remote: str, name: str) -> None:
    """Best effort: remove branch ``name`` from ``remote`` again."""
    proc.run(["git", "push", "--quiet", "--", remote, f":refs/heads/{name}"], cwd=top, check=False)


def hide_credentials(text: str, secret: str | None = None) -> str:
    """``text`` without user:password parts of URLs, and without ``secret``."""
    text = re.sub(r"://[^/@\s]+@", "://***@", text)
    return text.replace(secret, "***") if secret else text
