"""A Git repository read without cloning it: a partial, shallow copy that holds one commit's
top folders and only the files a question asks for (``git fetch --filter``, by object id).

The copy is an ordinary repository whose ``origin`` is a promisor remote (as ``git clone
--filter`` makes one), so Git accepts its missing objects. Nothing is checked out. It needs a
server that filters (``uploadpack.allowFilter``) and serves objects by id
(``uploadpack.allowAnySHA1InWant``), as GitHub, GitLab and Gitea do.

Three steps, one fetch each, none reading what the question does not need:

* ``fetch_commit``: the commit a revision names, with its root folder's entries and nothing
  below them (depth 1, ``--filter=tree:2``);
* ``fetch_paths``: whole folders or files of that commit by their ids (``models/NAME``,
  ``.dvc``), blobs included; what the copy holds already is not fetched again.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

from modelreg.adapters import proc
from modelreg.adapters.git import hide_credentials
from modelreg.domain.errors import ExternalCommandError, InvalidInputError, ModelregError, NotFoundError

_NO_PROMPT = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}
_CONFIG = {
    "core.repositoryformatversion": "1",
    "extensions.partialClone": "origin",
    "remote.origin.promisor": "true",
    "gc.auto": "0",  # fetched objects are reachable from no ref: never pruned
    "maintenance.auto": "false",
    "fetch.writeCommitGraph": "false",
    "core.bare": "false",
}
_LOCAL_UPLOAD_PACK = "git -c uploadpack.allowFilter=true -c uploadpack.allowAnySHA1InWant=true upload-pack"
_SHA = re.compile(r"^[0-9a-f]{40}$")


class RemoteRepoError(ModelregError):
    """A Git URL that cannot be read: malformed, unreachable, or without the revision asked."""


_SCP_LIKE = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:")


def is_url(text: str) -> bool:
    """Whether ``text`` is a Git URL (``scheme://...`` or ``user@host:path``), not a folder."""
    return "://" in text or bool(_SCP_LIKE.match(text))


def is_bare_repository(path: Path) -> bool:
    """Whether the folder ``path`` is a bare Git repository (``origin.git``: no work tree), which
    is read as a Git URL is, never as a registry's work tree."""
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def local_path(url: str) -> Path | None:
    """The folder a local URL (``file://`` or a path) names, its work tree for ``.../.git``;
    None for a network URL."""
    if url.startswith("file://"):
        parsed = urlparse(url)
        if parsed.netloc not in ("", "localhost"):
            return None
        path = Path(unquote(parsed.path))
    elif is_url(url):
        return None
    else:
        path = Path(url).absolute()
    return path.parent if path.name == ".git" else path


def check_url(url: str) -> str:
    """``url`` if Git can be asked for it; InvalidInputError otherwise (never runs anything)."""
    if not url or url.startswith("-") or any(c.isspace() or ord(c) < 32 for c in url):
        raise InvalidInputError(f"not a Git URL: {hide_credentials(url)!r}")
    if re.match(r"^(ext|fd)::", url, re.IGNORECASE):  # transports that run commands
        raise InvalidInputError(f"not a Git URL modelreg reads: {hide_credentials(url)!r}")
    return url


def check_rev(rev: str) -> str:
    """A branch, tag or full commit id to ask a server for; InvalidInputError otherwise."""
    if _SHA.match(rev):
        return rev
    result = proc.run(["git", "check-ref-format", "--allow-onelevel", rev], check=False)
    if rev.startswith("-") or ":" in rev or result.returncode != 0:
        raise InvalidInputError(f"not a branch, tag or commit id: {rev!r}")
    return rev


@contextmanager
def locked(top: Path) -> Iterator[None]:
    """Hold the copy's lock: one fetch at a time (Git's shallow file takes no two writers)."""
    top.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{top}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def prepare(top: Path, url: str, *, local: bool = False) -> None:
    """Make ``top`` a partial copy of ``url`` (an empty repository with ``origin`` set) if it
    is not one; call under ``locked(top)``. ``local``: the URL is a folder on this machine,
    whose ``upload-pack`` runs here: it is told to filter and to serve objects by id, which a
    repository does not do unless configured as a server."""
    if (top / ".git" / "config").is_file() and _origin(top) == url:
        return
    staging = top.with_name(f"{top.name}.new-{secrets.token_hex(4)}")
    proc.run(["git", "init", "--quiet", "--", str(staging)])
    settings = {**_CONFIG, "remote.origin.url": url}
    if local:
        settings["remote.origin.uploadpack"] = _LOCAL_UPLOAD_PACK
    try:
        for key, value in settings.items():
            proc.run(["git", "config", key, value], cwd=staging)
        if top.exists():
            import shutil

            shutil.rmtree(top)
        os.rename(staging, top)
    except BaseException:
        import shutil

        shutil.rmtree(staging, ignore_errors=True)
        raise


def _origin(top: Path) -> str | None:
    result = proc.run(["git", "config", "--get", "remote.origin.url"], cwd=top, check=False)
    return result.stdout.decode().strip() if result.returncode == 0 else None


def fetch_commit(top: Path, url: str, rev: str | None) -> str:
    """The commit ``rev`` (the server's HEAD when None) names at ``url``, fetched with its root
    folder's entries (not their contents) unless the copy holds it; call under ``locked``."""
    if rev is not None and _SHA.match(rev) and _has_commit(top, rev):
        return rev
    wanted = check_rev(rev) if rev is not None else "HEAD"
    tip = f"refs/modelreg/fetching/{secrets.token_hex(8)}"
    _fetch(top, url, rev, ["--depth=1", "--filter=tree:2", "--", "origin", f"+{wanted}:{tip}"])
    try:
        return proc.output(["git", "rev-parse", "--verify", "--quiet", f"{tip}^{{commit}}"], cwd=top).strip()
    except ExternalCommandError:
        raise RemoteRepoError(f"{rev or 'HEAD'} at {hide_credentials(url)} is not a commit") from None
    finally:
        proc.run(["git", "update-ref", "-d", tip], cwd=top, check=False)


def _has_commit(top: Path, sha: str) -> bool:
    # rev-list never fetches a missing object: it says it is missing
    result = proc.run(["git", "rev-list", "--no-walk", "--missing=print", sha], cwd=top, check=False)
    return result.returncode == 0 and result.stdout.decode().strip() == sha


def entries(top: Path, commit: str, paths: list[str]) -> dict[str, tuple[str, str]]:
    """{path: (kind, object id)} of each of ``paths`` that ``commit`` has (tree or blob)."""
    out = proc.output(["git", "ls-tree", "-z", "--full-tree", commit, "--", *paths], cwd=top)
    found: dict[str, tuple[str, str]] = {}
    for record in out.split("\0"):
        meta, _, path = record.partition("\t")
        if meta:
            _mode, kind, oid = meta.split(" ")
            found[path] = (kind, oid)
    return found


def fetch_paths(top: Path, url: str, commit: str, paths: list[str]) -> int:
    """Fetch the folders and files ``paths`` name in ``commit`` (their whole content), except
    what the copy holds already; returns how many objects were asked for. Call under ``locked``."""
    wanted = [oid for _kind, oid in entries(top, commit, paths).values()]
    missing = [oid for oid in wanted if not _complete(top, oid)]
    if missing:
        _fetch(
            top,
            url,
            None,
            ["--recurse-submodules=no", "--", "origin", *missing],
            config=["-c", "fetch.negotiationAlgorithm=noop"],
        )
    return len(missing)


def _complete(top: Path, oid: str) -> bool:
    """Whether the copy holds ``oid`` and everything under it (asked without fetching)."""
    result = proc.run(
        ["git", "rev-list", "--objects", "--no-walk", "--missing=print", oid], cwd=top, check=False
    )
    if result.returncode != 0:
        return False
    return not any(line.startswith(b"?") for line in result.stdout.splitlines())


def _fetch(top: Path, url: str, rev: str | None, args: list[str], *, config: list[str] | None = None) -> None:
    argv = ["git", *(config or []), "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", *args]
    result = proc.run(argv, cwd=top, env=_NO_PROMPT, check=False)
    if result.returncode == 0:
        return
    lines = [line for line in result.stderr.decode(errors="replace").splitlines() if line.strip()]
    said = hide_credentials(
        next((line for line in lines if line.startswith("fatal:")), lines[-1] if lines else "")
    )
    shown = hide_credentials(url)
    if rev is not None and ("couldn't find remote ref" in said or "not our ref" in said):
        raise NotFoundError(f"no branch, tag or commit {rev!r} at {shown}")
    if "filter" in said and ("not support" in said or "disabled" in said):
        raise RemoteRepoError(f"{shown} does not serve partial clones (uploadpack.allowFilter): {said}")
    raise RemoteRepoError(f"cannot read {shown}: {said.removeprefix('fatal: ') or 'git fetch failed'}")
