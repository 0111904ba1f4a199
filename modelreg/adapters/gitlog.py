"""The history edge of Git: a streamed first-parent log and one long-lived ``cat-file --batch``.

Everything here is a small named question, like ``git.py``; the difference is that these
stream, so that reading a long history costs two processes, not one per commit or file.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from modelreg.adapters import proc
from modelreg.domain.errors import ExternalCommandError, InvalidInputError

NULL_BLOB = "0" * 40
_FIELDS = ["%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%B"]
_FORMAT = "%x1e" + "%x1f".join(_FIELDS) + "%x1f"
_TRAILER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*):\s*(.*)$")


@dataclass(frozen=True)
class FileChange:
    """One file a commit changed against its first parent (``--raw``; no rename detection)."""

    status: str  # A, M, D or T
    path: str
    old_blob: str
    new_blob: str


@dataclass
class LogCommit:
    """One commit of the first-parent chain, with what it changed under the watched paths."""

    sha: str
    parents: list[str]
    author_name: str
    author_email: str
    author_date: str  # ISO 8601 with the author's time zone
    committer_name: str
    committer_email: str
    commit_date: str
    message: str
    changes: list[FileChange] = field(default_factory=list)


def first_parent_log(
    top: Path, tip: str, paths: list[str], *, exclude: str | None = None
) -> Iterator[LogCommit]:
    """Commits on ``tip``'s first-parent chain that touch ``paths``, oldest first, streamed.

    A merge commit's changes are its diff against its first parent: what reached the branch.
    ``exclude`` stops the walk at that commit (a range ``exclude..tip``).
    """
    argv = [
        "git",
        "log",
        "--first-parent",
        "--reverse",
        "--diff-merges=first-parent",
        "--raw",
        "--no-renames",
        "--no-abbrev",
        "--root",
        "-z",
        "--encoding=UTF-8",
        f"--format={_FORMAT}",
        "--end-of-options",
        tip,
        *([f"^{exclude}"] if exclude else []),
        "--",
        *paths,
    ]
    with proc.stream(argv, cwd=top) as child:
        assert child.stdout is not None
        pending = b""
        while chunk := child.stdout.read(1 << 16):
            records = (pending + chunk).split(b"\x1e")
            pending = records.pop()
            for record in records:
                if record:
                    yield _parse_record(record)
        if pending:
            yield _parse_record(pending)


def _parse_record(record: bytes) -> LogCommit:
    text = record.decode("utf-8", errors="replace")
    *header, raw = text.split("\x1f", len(_FIELDS))
    sha, parents, an, ae, ad, cn, ce, cd, message = header
    commit = LogCommit(sha, parents.split(), an, ae, ad, cn, ce, cd, message)
    tokens = raw.lstrip("\0\n").split("\0")
    i = 0
    while i + 1 < len(tokens):
        meta = tokens[i].lstrip("\n")
        if not meta.startswith(":"):
            i += 1
            continue
        _, _, old_blob, new_blob, status = meta[1:].split(" ")
        commit.changes.append(FileChange(status[0], tokens[i + 1], old_blob, new_blob))
        i += 2
    return commit


def trailers(message: str) -> dict[str, str]:
    """The trailers (``Key: value`` lines) of a commit message's last paragraph."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return {}
    found: dict[str, str] = {}
    for line in paragraphs[-1].splitlines():
        m = _TRAILER.match(line.strip())
        if not m:
            return {}
        found[m.group(1)] = m.group(2).strip()
    return found


class BlobReader:
    """One ``git cat-file --batch`` process answering many reads, for as long as it is open."""

    CHUNK = 256  # requests per round trip: small enough never to fill the request pipe

    def __init__(self, top: Path) -> None:
        self._context = proc.stream(["git", "cat-file", "--batch"], cwd=top, stdin=True)
        self._child: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> BlobReader:
        self._child = self._context.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._context.__exit__(kind, value, tb)

    def read(self, objects: list[str]) -> dict[str, bytes]:
        """Contents of ``objects`` (blob or commit ids); missing ones are left out."""
        wanted = [o for o in dict.fromkeys(objects) if o and o != NULL_BLOB]
        found: dict[str, bytes] = {}
        for start in range(0, len(wanted), self.CHUNK):
            found.update(self._round(wanted[start : start + self.CHUNK]))
        return found

    def _round(self, batch: list[str]) -> dict[str, bytes]:
        child = self._child
        assert child is not None and child.stdin is not None and child.stdout is not None
        child.stdin.write("".join(f"{o}\n" for o in batch).encode())
        child.stdin.flush()
        found = {}
        for obj in batch:
            header = child.stdout.readline().decode().split()
            if len(header) < 3 or header[1] == "missing":
                continue
            size = int(header[2])
            found[obj] = child.stdout.read(size + 1)[:size]
        return found


def message_of(commit_object: bytes) -> str:
    """The message of a raw commit object (what ``cat-file`` prints for a commit)."""
    _, _, message = commit_object.partition(b"\n\n")
    return message.decode("utf-8", errors="replace")


def git_dir_path(top: Path, name: str) -> Path:
    """``name`` inside this work tree's Git directory (worktree-aware: ``--git-path``)."""
    out = proc.output(["git", "rev-parse", "--git-path", name], cwd=top).strip()
    path = Path(out)
    return path if path.is_absolute() else top / path


def head_commit(top: Path) -> str:
    """The commit HEAD names; InvalidInputError in a repository with no commits yet."""
    result = proc.run(["git", "rev-parse", "--verify", "--quiet", "HEAD^{commit}"], cwd=top, check=False)
    sha = result.stdout.decode().strip()
    if not sha:
        raise InvalidInputError("the repository has no commits yet, so it has no history")
    return sha


def is_ancestor(top: Path, older: str, newer: str) -> bool:
    """Whether commit ``older`` is reachable from ``newer`` (False if it no longer exists)."""
    argv = ["git", "merge-base", "--is-ancestor", "--end-of-options", older, newer]
    return proc.run(argv, cwd=top, check=False).returncode == 0


def first_parent_steps(top: Path, older: str, newer: str) -> list[str] | None:
    """Commits after ``older`` on ``newer``'s first-parent chain, newest first.

    None when ``older`` is not on that chain (not an ancestor, or reached only through a
    merge's second parent).
    """
    if older == newer:
        return []
    if not is_ancestor(top, older, newer):
        return None
    argv = ["git", "rev-list", "--first-parent", "--parents", "--end-of-options", newer, f"^{older}"]
    lines = proc.output(argv, cwd=top).split("\n")
    rows = [line.split() for line in lines if line]
    if not rows or len(rows[-1]) < 2 or rows[-1][1] != older:
        return None
    return [row[0] for row in rows]


def current_branch(top: Path) -> str | None:
    result = proc.run(["git", "symbolic-ref", "--quiet", "--short", "HEAD"], cwd=top, check=False)
    return result.stdout.decode().strip() or None


def last_commit_before(top: Path, tip: str, epoch: int) -> str | None:
    """The newest commit on ``tip``'s first-parent chain committed at or before ``epoch``."""
    if epoch < 0:
        return None  # Git's dates start in 1970
    # "@N +0000": Git reads a bare "@N" below 100000000 (1973) as something else than a time.
    argv = ["git", "rev-list", "--first-parent", "-1", f"--before=@{epoch} +0000", "--end-of-options", tip]
    try:
        out = proc.output(argv, cwd=top).strip()
    except ExternalCommandError:
        return None
    return out or None


def root_commit_date(top: Path, tip: str) -> str:
    """The commit date (ISO 8601) of the first commit on ``tip``'s first-parent chain."""
    argv = ["git", "log", "--first-parent", "--max-parents=0", "--format=%cI", "--end-of-options", tip]
    lines = proc.output(argv, cwd=top).split()
    return lines[-1] if lines else ""


def commit_date(top: Path, rev: str) -> str:
    """The commit date (ISO 8601, committer's time zone) of ``rev``."""
    return proc.output(["git", "log", "-1", "--format=%cI", "--end-of-options", rev], cwd=top).strip()
