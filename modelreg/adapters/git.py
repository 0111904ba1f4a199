"""Git, asked small named questions: machine-readable output, ``--`` before user paths.

Three kinds of question live here. Reads of one commit or tree (``resolve``, ``ls_tree``,
``changed_files``...). The history edge: a streamed first-parent log and one long-lived
``cat-file --batch`` (``BlobReader``), so that reading a long history costs two processes, not
one per commit or file. And writes through plumbing only: a promotion builds its commit with a
throwaway index (``GIT_INDEX_FILE``), so the user's checkout, staged changes and current branch
are never disturbed, whatever happens.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType

from modelreg.adapters import proc
from modelreg.domain.errors import ExternalCommandError, InvalidInputError, ModelregError, NotARegistryError

NULL_BLOB = "0" * 40
_FIELDS = ["%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%B"]
_FORMAT = "%x1e" + "%x1f".join(_FIELDS) + "%x1f"
_TRAILER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*):\s*(.*)$")


def _git(root: Path | str, *args: str, stdin: bytes | None = None) -> str:
    return proc.output(["git", *args], cwd=root, stdin=stdin)


def _git_text(top: Path, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> str:
    """Git's output, stripped; ``env`` on top of the process's (a throwaway index, say)."""
    return proc.run(["git", *args], cwd=top, stdin=stdin, env=env).stdout.decode().strip()


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
    return git_dir_path(top, "modelreg").resolve()


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


def remotes(top: Path) -> list[str]:
    """The names of the configured remotes, as ``git remote`` lists them."""
    return _git(top, "remote").split()


def has_uncommitted_changes(top: Path) -> bool:
    """Whether tracked files differ from HEAD (in the index or the work tree); untracked
    files (a training run's outputs) do not count."""
    return bool(_git(top, "status", "--porcelain", "-z", "--untracked-files=no", "--").strip("\0\n"))


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


def require_identity(cwd: Path) -> None:
    """InvalidInputError unless git knows who authors and commits (``user.name``/``user.email``
    or ``GIT_AUTHOR_*``/``GIT_COMMITTER_*``): a command that ends with a commit asks first."""
    for who in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
        if proc.run(["git", "var", who], cwd=cwd, check=False).returncode != 0:
            raise InvalidInputError(
                "git does not know who you are, and this command commits; set it with "
                '`git config --global user.name "Your Name"` and '
                "`git config --global user.email you@example.com`"
            )


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
    with BlobReader(top) as reader:
        return reader.read(blobs)


@dataclass(frozen=True)
class ChangedFile:
    status: str  # A, M, D, R (renamed), C, T
    path: str
    old_path: str | None = None


def changed_files(
    top: Path, base: str, head_rev: str, paths: list[str], *, renames: bool = True
) -> list[ChangedFile]:
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
            changes.append(ChangedFile(status[0], fields[i + 2], fields[i + 1]))
            i += 3
        else:
            changes.append(ChangedFile(status[0], fields[i + 1]))
            i += 2
    return changes


def is_tracked(top: Path, path: str) -> bool:
    """Whether ``path`` is in the index (committed or staged), ignored or not."""
    return bool(_git(top, "ls-files", "-z", "--", path))


# --- the history edge: a streamed log, one cat-file ---------------------------------------


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


def first_parent_naming(top: Path, tip: str, text: str) -> list[str]:
    """Commits on ``tip``'s first-parent chain, newest first, whose message contains ``text``
    (a fixed string), or whose merged-in branch tip's message does."""
    grep = ["--format=%H", "--fixed-strings", f"--grep={text}", "--end-of-options", tip, "--"]
    named = set(_git(top, "log", *grep).split())
    if not named:
        return []
    found = []
    chain = _git(top, "rev-list", "--first-parent", "--parents", "--end-of-options", tip, "--")
    for line in chain.splitlines():
        sha, *parents = line.split()
        if sha in named or (len(parents) > 1 and parents[1] in named):
            found.append(sha)
    return found


def first_parent_count(top: Path, tip: str) -> int:
    """How many commits ``tip``'s first-parent chain has."""
    return int(_git(top, "rev-list", "--count", "--first-parent", "--end-of-options", tip, "--").strip() or 0)


def first_parent_order(top: Path, tip: str) -> dict[str, int]:
    """The position of each commit on ``tip``'s first-parent chain, the oldest 0."""
    chain = _git(top, "rev-list", "--first-parent", "--reverse", "--end-of-options", tip, "--").split()
    return {sha: i for i, sha in enumerate(chain)}


def log_commits(top: Path, shas: list[str]) -> list[LogCommit]:
    """The commits ``shas`` (their metadata and message, no changes), in that order."""
    if not shas:
        return []
    argv = ["git", "log", "--no-walk=unsorted", "-z", "--encoding=UTF-8", f"--format={_FORMAT}", "--stdin"]
    out = proc.run(argv, cwd=top, stdin=("\n".join(shas) + "\n").encode()).stdout
    return [_parse_record(record) for record in out.split(b"\x1e") if record.strip(b"\0\n")]


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


def author_of(commit_object: bytes) -> str | None:
    """``Name <email>`` of a raw commit object's author (None when it names none)."""
    header, _, _ = commit_object.partition(b"\n\n")
    for line in header.decode("utf-8", errors="replace").split("\n"):
        if line.startswith("author "):
            m = re.match(r"^author (.*?) <(.*)> \d+ [+-]\d{4}$", line)
            return f"{m.group(1)} <{m.group(2)}>" if m else line[len("author ") :]
    return None


def committer_date_of(commit_object: bytes) -> datetime | None:
    """The committer date (with its time zone) of a raw commit object (None when it has none)."""
    header, _, _ = commit_object.partition(b"\n\n")
    for line in header.decode("utf-8", errors="replace").split("\n"):
        if line.startswith("committer "):
            m = re.search(r" (\d+) ([+-])(\d{2})(\d{2})$", line)
            if not m:
                return None
            offset = timedelta(hours=int(m.group(3)), minutes=int(m.group(4)))
            zone = timezone(-offset if m.group(2) == "-" else offset)
            return datetime.fromtimestamp(int(m.group(1)), zone)
    return None


def first_parent_dates(top: Path, tip: str) -> Iterator[tuple[str, int]]:
    """(commit, committer epoch) of ``tip``'s first-parent chain, newest first, streamed: each
    entry's next one is its first parent."""
    argv = ["git", "log", "--first-parent", "--format=%H %ct", "--end-of-options", tip, "--"]
    with proc.stream(argv, cwd=top) as child:
        assert child.stdout is not None
        for line in child.stdout:
            sha, _, epoch = line.partition(b" ")
            if epoch.strip():
                yield sha.decode(), int(epoch)


def git_dir_path(top: Path, name: str) -> Path:
    """``name`` inside this work tree's Git directory (worktree-aware: ``--git-path``)."""
    out = proc.output(["git", "rev-parse", "--git-path", name], cwd=top).strip()
    path = Path(out)
    return path if path.is_absolute() else top / path


def shallow_depth(top: Path) -> int | None:
    """How many commits of HEAD's first-parent chain a shallow clone (``git clone --depth N``)
    holds; None when the repository holds its whole history."""
    if _git(top, "rev-parse", "--is-shallow-repository").strip() != "true":
        return None
    out = proc.run(["git", "rev-list", "--count", "--first-parent", "HEAD"], cwd=top, check=False)
    return int(out.stdout.decode().strip() or 0) if out.returncode == 0 else 0


def ensure_commit_graph(top: Path) -> bool:
    """Write a commit-graph with changed-path Bloom filters when the repository has none (a
    fresh clone): Git then walks history, and ``git log -- PATH`` most of all, several times
    faster. Not in a shallow clone (Git ignores the graph there). Whether one was written;
    a failure to write is not an error (the walks are only slower)."""
    info = git_dir_path(top, "objects/info")
    if (info / "commit-graph").exists() or (info / "commit-graphs").exists():
        return False
    if _git(top, "rev-parse", "--is-shallow-repository").strip() == "true":
        return False
    argv = ["git", "commit-graph", "write", "--reachable", "--changed-paths"]
    return proc.run(argv, cwd=top, check=False).returncode == 0


def unshallow(top: Path) -> None:
    """Fetch the history a shallow clone lacks from the remote it was cloned from."""
    proc.run(["git", "fetch", "--quiet", "--unshallow"], cwd=top, env={"GIT_TERMINAL_PROMPT": "0"})


def head_commit(top: Path) -> str:
    """The commit HEAD names; InvalidInputError in a repository with no commits yet."""
    sha = head(top)
    if sha is None:
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


def committed_at(top: Path, rev: str) -> datetime:
    """The committer date of ``rev``, with its time zone."""
    return datetime.fromisoformat(commit_date(top, rev))


# --- writes, through plumbing only ---------------------------------------------------------


def has_local_changes(top: Path, paths: list[str]) -> bool:
    """Whether any of ``paths`` differs between HEAD, the index and the work tree."""
    out = _git(top, "status", "--porcelain", "-z", "--untracked-files=all", "--", *paths)
    return bool(out.strip("\0"))


def commit_files(top: Path, *, parent: str, files: dict[str, bytes], message: str) -> str:
    """A new commit whose parent is ``parent`` and whose only changes are ``files`` (path ->
    content), built on a throwaway index. Not on any branch yet; returns its id."""
    with tempfile.TemporaryDirectory(prefix="modelreg-index-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        _git_text(top, "read-tree", parent, env=env)
        for path, content in files.items():
            blob = _git_text(top, "hash-object", "-w", "--stdin", stdin=content)
            _git_text(top, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
        tree = _git_text(top, "write-tree", env=env)
    return _git_text(top, "commit-tree", tree, "-p", parent, "-F", "-", stdin=message.encode())


def remote_branch(top: Path, remote: str, branch: str) -> str | None:
    """The commit ``refs/remotes/REMOTE/BRANCH`` names (as last fetched), or None."""
    ref = f"refs/remotes/{remote}/{branch}"
    argv = ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", ref]
    return proc.run(argv, cwd=top, check=False).stdout.decode().strip() or None


def commits_between(top: Path, older: str, newer: str, *, limit: int = 20) -> list[str]:
    """``SHORT subject`` of the commits ``newer`` has and ``older`` has not, newest first."""
    out = _git(top, "log", f"--max-count={limit}", "--format=%h %s", f"{older}..{newer}", "--")
    return out.splitlines()


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
    _git_text(top, "update-ref", "-m", "modelreg: create branch", f"refs/heads/{name}", commit, "")


def delete_branch(top: Path, name: str, commit: str) -> None:
    """Delete branch ``name`` if it still points at ``commit``."""
    proc.run(["git", "update-ref", "-d", f"refs/heads/{name}", commit], cwd=top, check=False)


def push_branch(top: Path, remote: str, name: str, *, secret: str | None = None) -> None:
    """Push branch ``name`` to ``remote`` (new branch only: no force)."""
    try:
        _git_text(top, "push", "--quiet", "--", remote, f"refs/heads/{name}:refs/heads/{name}")
    except ExternalCommandError as e:
        reason = hide_credentials(e.stderr.strip().splitlines()[-1] if e.stderr.strip() else "", secret)
        raise ModelregError(f"could not push {name} to {remote}: {reason or 'git push failed'}") from None


def branches(top: Path, prefixes: list[str], *, remote: str | None = None) -> dict[str, str]:
    """{branch name: commit} of the local branches (or ``remote``'s, as last fetched) whose
    names start with one of ``prefixes`` (``promote/``...)."""
    base = f"refs/remotes/{remote}/" if remote else "refs/heads/"
    out = _git_text(
        top, "for-each-ref", "--format=%(refname)%00%(objectname)", "--", *[base + p for p in prefixes]
    )
    found = {}
    for line in out.splitlines():
        ref, _, sha = line.partition("\0")
        found[ref.removeprefix(base)] = sha
    return found


def delete_remote_branch(top: Path, remote: str, name: str) -> None:
    """Best effort: remove branch ``name`` from ``remote`` again."""
    proc.run(["git", "push", "--quiet", "--", remote, f":refs/heads/{name}"], cwd=top, check=False)


def delete_remote_branch_at(top: Path, remote: str, name: str, commit: str) -> bool:
    """Remove branch ``name`` from ``remote`` only while it still points at ``commit`` (a lease);
    whether the remote did."""
    ref = f"refs/heads/{name}"
    argv = ["git", "push", "--quiet", f"--force-with-lease={ref}:{commit}", "--", remote, f":{ref}"]
    return proc.run(argv, cwd=top, check=False).returncode == 0


def init(directory: Path) -> None:
    """Make ``directory`` a new Git repository."""
    proc.run(["git", "init", "--quiet", "--", str(directory)])


def untracked_files(top: Path, path: str) -> list[str]:
    """Files under ``path`` that Git does not track and does not ignore."""
    out = _git(top, "ls-files", "-z", "--others", "--exclude-standard", "--", path)
    return [p for p in out.split("\0") if p]


def unstage(top: Path, paths: list[str]) -> None:
    """Best effort: make the index hold ``paths`` as HEAD does (what was staged is unstaged)."""
    proc.run(["git", "reset", "--quiet", "--", *paths], cwd=top, check=False)


# --- another repository, read by the importers (GTO's tags live in the source repository) ------


def tag_refs(source: Path, fmt: str) -> str:
    """``git for-each-ref --format=FMT refs/tags``: one formatted record per tag."""
    return _git(source, "for-each-ref", f"--format={fmt}", "refs/tags")


def topological_commits(source: Path) -> list[str]:
    """Every commit reachable from any ref, oldest first in topological order."""
    return _git(source, "rev-list", "--topo-order", "--reverse", "--all").split()


def blob_at(source: Path, commit: str, path: str) -> bytes | None:
    """The bytes of ``path`` at ``commit``, or None when it has no such file."""
    result = proc.run(["git", "cat-file", "blob", f"{commit}:{path}"], cwd=source, check=False)
    return result.stdout if result.returncode == 0 else None


def blob(source: Path, oid: str) -> bytes:
    """The bytes of blob ``oid``."""
    return proc.run(["git", "cat-file", "blob", oid], cwd=source).stdout


def blobs_under(source: Path, commit: str, path: str) -> list[tuple[str, str, int]]:
    """(path, blob id, size) of every file at or under ``path`` in ``commit`` (none when the
    commit has no such path)."""
    path = path.strip("/")
    out = proc.run(["git", "ls-tree", "-r", "-z", "-l", commit, "--", path], cwd=source, check=False)
    found = []
    for entry in out.stdout.decode(errors="replace").split("\0"):
        meta, _, rel = entry.partition("\t")
        fields = meta.split()
        if len(fields) == 4 and fields[1] == "blob" and (rel == path or rel.startswith(path + "/")):
            found.append((rel, fields[2], int(fields[3])))
    return found


def url_without_credentials(url: str) -> str:
    """``url`` fit to record: an HTTP(S) URL without its user info (a token may be the user
    name), query or fragment; any other URL without a password (``ssh://git@host/x`` stays)."""
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*@)?([^?#]*)", url)
    if m is None:
        return url  # scp-like git@host:path holds no secret
    scheme, userinfo, rest = m.group(1), m.group(2) or "", m.group(3)
    if scheme.lower() in {"http", "https", "ftp", "ftps"}:
        return f"{scheme}://{rest}"
    user = userinfo.split(":", 1)[0].rstrip("@")
    return f"{scheme}://{user + '@' if user else ''}{rest}"


def hide_credentials(text: str, secret: str | None = None) -> str:
    """``text`` without user:password parts of URLs, and without ``secret``."""
    text = re.sub(r"://[^/@\s]+@", "://***@", text)
    return text.replace(secret, "***") if secret else text


# --- commits replayed from another system's past (imports) ---------------------------------


@contextmanager
def scratch_index(top: Path, parent: str | None) -> Iterator[dict[str, str]]:
    """An environment whose ``GIT_INDEX_FILE`` is a throwaway index holding ``parent``'s tree:
    commits built with it leave the user's index and HEAD alone until ``advance_head``."""
    with tempfile.TemporaryDirectory(prefix="modelreg-index-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if parent:
            _git_text(top, "read-tree", parent, env=env)
        yield env


def commit_as(
    top: Path,
    index: dict[str, str],
    paths: list[str],
    *,
    parent: str | None,
    message: str,
    author: tuple[str, str],
    date: str,
) -> str:
    """A commit of ``paths`` as they are in the work tree (staged in the ``index`` environment)
    on ``parent``, by ``author`` (name, email) at ``date`` (its committer date too, so that a
    log by date tells the original order); the committer is whoever runs it. Not on any branch."""
    _git_text(top, "add", "-A", "--", *paths, env=index)
    tree = _git_text(top, "write-tree", env=index)
    name, email = author
    env = {**index, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email}
    env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    parents = ["-p", parent] if parent else []
    return _git_text(top, "commit-tree", tree, *parents, "-F", "-", stdin=message.encode(), env=env)


def advance_head(top: Path, new: str, old: str | None, paths: list[str]) -> None:
    """Move the current branch from ``old`` to ``new`` (refused if it moved meanwhile) and
    make the index's ``paths`` match it."""
    _git_text(top, "update-ref", "-m", "modelreg import", "HEAD", new, *([old] if old else []))
    _git_text(top, "reset", "--quiet", "--", *paths)


def trailer_values(top: Path, key: str) -> set[str]:
    """Every value of trailer ``key`` in the messages of HEAD's history."""
    if head(top) is None:
        return set()
    text = _git_text(top, "log", f"--format=%(trailers:key={key},valueonly)", "HEAD")
    return {line.strip() for line in text.splitlines() if line.strip()}


def subtree_ids(top: Path, rev: str, folder: str) -> dict[str, str]:
    """The object id of each folder directly under ``folder`` at commit ``rev``, by name: a
    folder's id changes exactly when a file under it does."""
    out = _git(top, "ls-tree", "-z", "--full-tree", rev, "--", folder.rstrip("/") + "/")
    found: dict[str, str] = {}
    for record in out.split("\0"):
        meta, _, path = record.partition("\t")
        if meta and meta.split(" ")[1] == "tree":
            found[path.rsplit("/", 1)[-1]] = meta.split(" ")[2]
    return found
