"""Git, asked small named questions. Machine-readable output; ``--`` before user paths."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from modelreg.adapters import proc
from modelreg.domain.errors import ExternalCommandError, InvalidInputError, NotARegistryError


def _git(root: Path | str, *args: str, stdin: bytes | None = None) -> str:
    return proc.output(["git", *args], cwd=root, stdin=stdin)


def root(path: Path | str = ".") -> Path:
    """The top folder of the Git work tree that holds ``path``."""
    where = Path(path)
    if not where.is_dir():
        raise NotARegistryError(f"{where}: no such directory")
    try:
        top = _git(where, "rev-parse", "--show-toplevel").strip()
    except ExternalCommandError as e:
        raise NotARegistryError(
            f"{where.resolve()} is not inside a Git repository; run `git init` then `modelreg init`"
        ) from e
    return Path(top)


def is_repo(path: Path | str) -> bool:
    try:
        root(path)
    except NotARegistryError:
        return False
    return True


def head(top: Path) -> str | None:
    """The commit HEAD points at, or None in a repository with no commits yet."""
    result = proc.run(["git", "rev-parse", "--verify", "--quiet", "HEAD^{commit}"], cwd=top, check=False)
    return result.stdout.decode().strip() or None


def state_dir(top: Path) -> Path:
    """``.git/modelreg``: where modelreg keeps caches and journals (worktree-aware)."""
    rel = _git(top, "rev-parse", "--git-path", "modelreg").strip()
    return (top / rel).resolve()


def current_branch(top: Path) -> str | None:
    """The checked-out branch, or None on a detached HEAD."""
    result = proc.run(["git", "symbolic-ref", "--quiet", "--short", "HEAD"], cwd=top, check=False)
    return result.stdout.decode().strip() or None


def resolve(top: Path, rev: str) -> str:
    """The commit id ``rev`` names; InvalidInputError when it names none."""
    if rev.startswith("-"):
        raise InvalidInputError(f"invalid revision {rev!r}: a revision cannot start with '-'")
    result = proc.run(
        ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
        cwd=top,
        check=False,
    )
    sha = result.stdout.decode().strip()
    if result.returncode != 0 or not sha:
        raise InvalidInputError(f"unknown revision {rev!r}: no commit, branch or tag has that name")
    return sha


def merge_base(top: Path, a: str, b: str) -> str | None:
    """The best common ancestor of commits ``a`` and ``b``, or None if they share no history."""
    result = proc.run(["git", "merge-base", a, b], cwd=top, check=False)
    return result.stdout.decode().strip() or None


def remote_url(top: Path, remote: str) -> str | None:
    """The URL configured for ``remote`` as written (before ``insteadOf``), or None."""
    result = proc.run(["git", "config", "--get", f"remote.{remote}.url"], cwd=top, check=False)
    return result.stdout.decode().strip() or None


def ident(top: Path) -> str:
    """``Name <email>`` of the author git would record now (git config or GIT_AUTHOR_*)."""
    try:
        line = _git(top, "var", "GIT_AUTHOR_IDENT").strip()
    except ExternalCommandError as e:
        raise InvalidInputError(
            "git does not know who you are; set `git config user.name` and `user.email`"
        ) from e
    m = re.match(r"^(.*?) <(.*)> \d+ [+-]\d{4}$", line)
    return f"{m.group(1)} <{m.group(2)}>" if m else line


def tracked_dirty(top: Path, paths: list[str]) -> list[str]:
    """Paths among ``paths`` (or their contents) that differ from HEAD or are untracked."""
    out = _git(top, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *paths)
    return [entry[3:] for entry in out.split("\0") if entry]


def add(top: Path, paths: list[str]) -> None:
    _git(top, "add", "--", *paths)


def commit(top: Path, message: str, paths: list[str]) -> str:
    """Commit exactly ``paths`` (whatever else is staged stays staged) and return the commit id."""
    _git(top, "add", "-A", "--", *paths)
    _git(top, "commit", "--quiet", "--no-verify", "-m", message, "--only", "--", *paths)
    sha = head(top)
    assert sha is not None
    return sha


@dataclass(frozen=True)
class TreeEntry:
    path: str
    blob: str
    mode: str = "100644"

    @property
    def is_symlink(self) -> bool:
        return self.mode == "120000"


def ls_tree(top: Path, rev: str, paths: list[str]) -> list[TreeEntry]:
    """Blobs under ``paths`` at commit ``rev`` (recursively)."""
    out = _git(top, "ls-tree", "-r", "-z", "--full-tree", rev, "--", *paths)
    entries = []
    for record in out.split("\0"):
        if not record:
            continue
        meta, path = record.split("\t", 1)
        mode, kind, blob = meta.split()
        if kind == "blob":
            entries.append(TreeEntry(path, blob, mode))
    return entries


def ls_tree_blobs(top: Path, rev: str, paths: list[str]) -> tuple[dict[str, str], list[str]]:
    """As ``ls_tree``, faster for large trees: the blob id of each file, and the symlinks apart."""
    out = _git(top, "ls-tree", "-r", "-z", "--full-tree", rev, "--", *paths)
    blobs: dict[str, str] = {}
    links: list[str] = []
    for record in out.split("\0"):
        meta, _, path = record.partition("\t")
        mode, kind, blob = meta.split(" ") if meta else ("", "", "")
        if kind == "blob" and mode == "120000":
            links.append(path)
        elif kind == "blob":
            blobs[path] = blob
    return blobs, links


def ls_tree_shallow(top: Path, rev: str, paths: list[str], *, depth: int) -> tuple[dict[str, str], list[str]]:
    """As ``ls_tree_blobs`` for the files of at most ``depth`` path parts only: one ``cat-file
    --batch`` per level reads the folders, the ones deeper are never read."""
    out = _git(top, "ls-tree", "-z", "--full-tree", rev, "--", *paths)
    blobs: dict[str, str] = {}
    links: list[str] = []
    folders: list[tuple[str, str]] = []
    for record in out.split("\0"):
        meta, _, path = record.partition("\t")
        if meta:
            mode, _, sha = meta.split(" ")
            _sort_entry(path, mode.encode(), bytes.fromhex(sha), blobs, links, folders, depth)
    while folders:
        contents = read_blobs(top, [sha for _, sha in folders])
        found: list[tuple[str, str]] = []
        for folder, sha in folders:
            for mode, name, entry in _TREE_ENTRY.findall(contents.get(sha, b"")):
                _sort_entry(f"{folder}/{name.decode()}", mode, entry, blobs, links, found, depth)
        folders = found
    return blobs, links


_TREE_ENTRY = re.compile(rb"(\d+) ([^\x00]*)\x00(.{20})", re.DOTALL)  # mode, name, binary id


def _sort_entry(
    path: str,
    mode: bytes,
    sha: bytes,
    blobs: dict[str, str],
    links: list[str],
    folders: list[tuple[str, str]],
    depth: int,
) -> None:
    if mode in (b"40000", b"040000"):
        if path.count("/") + 2 <= depth:  # its files have at most ``depth`` parts
            folders.append((path, sha.hex()))
    elif mode == b"120000":
        links.append(path)
    elif mode != b"160000":  # a submodule is a commit, not a file
        blobs[path] = sha.hex()


def tree_ids(top: Path, rev: str, paths: list[str]) -> list[str]:
    """The object id of each of ``paths`` at commit ``rev`` ("-" where there is none)."""
    asked = "".join(f"{rev}:{p}\n" for p in paths).encode()
    out = proc.run(["git", "cat-file", "--batch-check"], cwd=top, stdin=asked).stdout.decode()
    return ["-" if line.endswith(" missing") else line.split(" ")[0] for line in out.splitlines()]


def read_blobs(top: Path, blobs: list[str]) -> dict[str, bytes]:
    """Contents of many blobs through one ``git cat-file --batch`` process."""
    if not blobs:
        return {}
    unique = list(dict.fromkeys(blobs))
    raw = proc.run(["git", "cat-file", "--batch"], cwd=top, stdin="\n".join(unique).encode() + b"\n")
    data = raw.stdout
    contents: dict[str, bytes] = {}
    pos = 0
    for blob in unique:
        end = data.index(b"\n", pos)
        header = data[pos:end].decode().split()
        pos = end + 1
        if len(header) < 3 or header[1] == "missing":
            continue
        size = int(header[2])
        contents[blob] = data[pos : pos + size]
        pos += size + 1
    return contents


@dataclass(frozen=True)
class Change:
    status: str  # A, M, D, R (renamed), C, T
    path: str
    old_path: str | None = None


def changed_files(
    top: Path, base: str, head_rev: str, paths: list[str], *, renames: bool = True
) -> list[Change]:
    """Files under ``paths`` that differ between commits ``base`` and ``head_rev``; without
    ``renames``, a renamed file is its deletion and its addition."""
    pairing = "-M" if renames else "--no-renames"
    out = _git(top, "diff", "--name-status", "-z", pairing, base, head_rev, "--", *paths)
    fields = out.split("\0")
    changes = []
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i]
        if status[0] in "RC":
            changes.append(Change(status[0], fields[i + 2], fields[i + 1]))
            i += 3
        else:
            changes.append(Change(status[0], fields[i + 1]))
            i += 2
    return changes


def is_tracked(top: Path, path: str) -> bool:
    """Whether ``path`` is in the index (committed or staged), ignored or not."""
    return bool(_git(top, "ls-files", "-z", "--", path))
