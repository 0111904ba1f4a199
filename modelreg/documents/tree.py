"""The files of a registry, read either from the work tree or from a Git commit.

Besides reading, a tree names each file's content by its Git blob id (``content_ids``), so that
what was parsed from those bytes before can be looked up instead of parsed again
(``modelreg.store``). A commit has the ids already; the work tree hashes a file only when what
``stat`` says of it changed since it was last hashed (``FileMemo``), as Git's index does.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from modelreg.adapters import git
from modelreg.domain.layout import CODEOWNERS_FILE, MODELS_DIR, REGISTRY_FILE, is_document
from modelreg.store.memo import FileMemo, FolderMemo, racy_after

REGISTRY_PATHS = [REGISTRY_FILE, MODELS_DIR, CODEOWNERS_FILE]
DOCUMENT_DEPTH = 3  # models/<model>/<file>: the documents; deeper are artifacts and DVC pointers


def scoped_paths(models: tuple[str, ...] | None) -> list[str]:
    """The paths a tree covers: the whole registry, or registry.yaml and ``models/<model>``
    of each of ``models`` (a question about one model reads that model, not the registry)."""
    if models is None:
        return REGISTRY_PATHS
    return [REGISTRY_FILE, *(f"{MODELS_DIR}/{name}" for name in models)]


class Tree(Protocol):
    """A read-only view of the registry's files, by repository-relative path."""

    top: Path
    label: str
    models: tuple[str, ...] | None  # the models it covers (with registry.yaml); None: every path

    def scoped(self, models: list[str]) -> Tree:
        """The same files, of registry.yaml and ``models/<model>`` of each of ``models`` only."""
        ...

    def paths(self, memo: FolderMemo | None = None) -> list[str]:
        """Every file (``memo``: what the work tree's folders held when last read)."""
        ...

    def document_paths(self) -> list[str]:
        """The paths with at most DOCUMENT_DEPTH parts (those ``paths`` lists)."""
        ...

    def content_ids(self, paths: list[str], memo: FileMemo | None = None) -> dict[str, str]:
        """The Git blob id of each path that is a regular file (symlinks and others left out)."""
        ...

    def fingerprints(self, paths: list[str]) -> tuple[list[Any], bool]:
        """Per path, something that changes whenever its content may have: the blob id in a
        commit, what ``lstat`` says in the work tree; and whether a file changed too recently for
        its fingerprint to be trusted later ("racy", see FileMemo)."""
        ...

    def state_id(self) -> str | None:
        """An id of everything under the registry's paths, when the tree has one at hand (a
        commit's tree ids); None for the work tree."""
        ...

    def read(self, path: str) -> bytes | None: ...

    def read_all(self, paths: list[str]) -> dict[str, bytes]: ...


class DocumentsState(NamedTuple):
    """What a tree's documents are now: the paths at the documents' depth (``listed``), the
    documents among them, whether one changed too recently to be trusted (``racy``), and the
    key of that state (a digest of the paths and the documents' fingerprints)."""

    key: str
    listed: list[str]
    documents: list[str]
    racy: bool


def documents_state(tree: Tree) -> DocumentsState:
    """The state of ``tree``'s documents: what is kept of a whole load, and `list`'s view, are
    found by its key."""
    listed = tree.document_paths()
    documents = [p for p in listed if is_document(p)]
    prints, racy = tree.fingerprints(documents)
    digest = hashlib.sha1(repr((listed, documents, prints)).encode(), usedforsecurity=False)
    return DocumentsState(digest.hexdigest(), listed, documents, racy)


def blob_id(data: bytes) -> str:
    """The id Git gives a blob holding ``data``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


class WorkTree:
    """The files as they are on disk now."""

    def __init__(self, top: Path, *, models: list[str] | None = None) -> None:
        self.top = top
        self.label = "work tree"
        self.models = tuple(sorted(set(models))) if models is not None else None
        self._hashed: dict[str, bytes] = {}  # bytes read to hash them, served once more by read()
        self._stats: dict[str, os.stat_result | None] = {}  # lstat of the files listed
        self._scanned: dict[str, tuple[list[str], list[str]]] = {}  # document folders: files, folders

    def scoped(self, models: list[str]) -> WorkTree:
        return WorkTree(self.top, models=models)

    def paths(self, memo: FolderMemo | None = None) -> list[str]:
        return self._walk(deep=True, memo=memo)

    def document_paths(self) -> list[str]:
        return self._walk(deep=False)

    def _walk(self, *, deep: bool, memo: FolderMemo | None = None) -> list[str]:
        """Like ``os.walk`` (top-down, sorted, hidden folders and symlinked folders not entered).
        Below the documents, folders that ``memo`` knows unchanged are not read again."""
        tops = (REGISTRY_FILE,) if self.models is not None else (REGISTRY_FILE, CODEOWNERS_FILE)
        found = [p for p in tops if (self.top / p).is_file()]
        if (self.top / MODELS_DIR).is_symlink():  # never followed: it could lead anywhere on the disk
            return [*found, MODELS_DIR]
        stack = [(str(self.top / MODELS_DIR), MODELS_DIR, 2)]
        if self.models is not None:  # only these model folders (a symlinked one is never entered)
            folders = [f"{MODELS_DIR}/{name}" for name in reversed(self.models)]
            stack = [(str(self.top / f), f, 3) for f in folders if _is_folder(self.top / f)]
        while stack:
            folder, rel, depth = stack.pop()
            if depth > DOCUMENT_DEPTH and memo is not None:
                listed = self._listed(folder, rel, memo)
                if listed is None:
                    continue
                names, dirs = listed
                found.extend(f"{rel}/{name}" for name in names)
            elif folder in self._scanned:  # read already by document_paths: not again
                paths, dirs = self._scanned[folder]
                found.extend(paths)
            else:
                try:
                    files, dirs = _scan(folder)
                except OSError:
                    continue
                names = sorted(files)
                paths = [f"{rel}/{name}" for name in names]
                found.extend(paths)
                if depth <= DOCUMENT_DEPTH:
                    self._stats.update(zip(paths, [_lstat_of(files[name]) for name in names], strict=True))
                    self._scanned[folder] = (paths, dirs)
            if deep or depth < DOCUMENT_DEPTH:
                stack.extend((f"{folder}/{d}", f"{rel}/{d}", depth + 1) for d in sorted(dirs, reverse=True))
        return found

    def _listed(self, folder: str, rel: str, memo: FolderMemo) -> tuple[list[str], list[str]] | None:
        """The sorted file names and folder names in ``folder``: remembered, else read."""
        try:
            st = os.lstat(folder)
            known = memo.get(rel, st)
            if known is not None:
                return known
            files, dirs = _scan(folder)
        except OSError:
            return None
        names = sorted(files)
        memo.put(rel, st, names, dirs)
        return names, dirs

    def content_ids(self, paths: list[str], memo: FileMemo | None = None) -> dict[str, str]:
        ids = {}
        for path in paths:
            st = self._stat(path)
            if st is None or not stat.S_ISREG(st.st_mode):
                continue
            cid = memo.get(path, st) if memo is not None else None
            if cid is None:
                try:
                    with open(f"{self.top}/{path}", "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                self._hashed[path] = data
                cid = blob_id(data)
                if memo is not None:
                    memo.put(path, st, cid)
            ids[path] = cid
        return ids

    def fingerprints(self, paths: list[str]) -> tuple[list[Any], bool]:
        stats = [self._stat(path) for path in paths]
        prints = [
            (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino) if st is not None else None
            for st in stats
        ]
        recent = racy_after()
        racy = any(p is not None and (p[2] > recent or p[3] > recent) for p in prints)
        return prints, racy

    def state_id(self) -> str | None:
        return None

    def _stat(self, path: str) -> os.stat_result | None:
        if path not in self._stats:
            try:
                self._stats[path] = os.lstat(f"{self.top}/{path}")
            except OSError:
                self._stats[path] = None
        return self._stats[path]

    def read(self, path: str) -> bytes | None:
        if path in self._hashed:
            return self._hashed.pop(path)  # handed over once: the reader keeps what it needs
        target = self.top / path
        try:
            if target.is_symlink() or not target.is_file():
                return None
            return target.read_bytes()
        except OSError:
            return None

    def read_all(self, paths: list[str]) -> dict[str, bytes]:
        out = {}
        for p in paths:
            data = self.read(p)
            if data is not None:
                out[p] = data
        return out


def _scan(folder: str) -> tuple[dict[str, os.DirEntry[str]], list[str]]:
    """The files of ``folder`` by name, and its folders to enter (not hidden, not symlinks)."""
    files: dict[str, os.DirEntry[str]] = {}
    dirs = []
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if not is_dir:
                files[entry.name] = entry
            elif not entry.name.startswith(".") and not entry.is_symlink():
                dirs.append(entry.name)
    return files, dirs


def _is_folder(path: Path) -> bool:
    return not path.is_symlink() and path.is_dir()


def _lstat_of(entry: os.DirEntry[str]) -> os.stat_result | None:
    try:
        return entry.stat(follow_symlinks=False)
    except OSError:
        return None


class GitTree:
    """The files as they are in one commit, read through one ``cat-file --batch``.

    The documents' level is listed first (reading the model folders' tree objects, not the
    version folders below them); every file only when something asks for it.
    """

    def __init__(
        self,
        top: Path,
        rev: str,
        *,
        models: list[str] | None = None,
        commit: str | None = None,
        scope: list[str] | None = None,
    ) -> None:
        """``commit``: ``rev`` resolved already; ``models``: only registry.yaml and these models'
        folders; ``scope``: the paths read instead (registry.yaml, one model's folder and
        CODEOWNERS, say), when a question needs no other file."""
        self.top = top
        self.commit = commit or git.resolve(top, rev)
        self.label = rev
        self.models = tuple(sorted(set(models))) if models is not None else None
        self._roots = list(scope) if scope is not None else scoped_paths(self.models)
        self._shallow: tuple[dict[str, str], list[str]] | None = None
        self._deep: tuple[dict[str, str], list[str]] | None = None
        self._state_id: str | None = None

    def _listing(self, *, deep: bool) -> tuple[dict[str, str], list[str]]:
        # A symlink's blob is its target's name: never read it as a registry file.
        if deep or self._deep is not None:
            if self._deep is None:
                self._deep = git.ls_tree_blobs(self.top, self.commit, self._roots)
            return self._deep
        if self._shallow is None:
            self._shallow = git.ls_tree_shallow(self.top, self.commit, self._roots, depth=DOCUMENT_DEPTH)
        return self._shallow

    def scoped(self, models: list[str]) -> GitTree:
        return GitTree(self.top, self.label, models=models, commit=self.commit)

    def _blobs_for(self, paths: list[str]) -> dict[str, str]:
        deep = any(p.count("/") >= DOCUMENT_DEPTH for p in paths)
        return self._listing(deep=deep)[0]

    def paths(self, memo: FolderMemo | None = None) -> list[str]:
        blobs, links = self._listing(deep=True)
        return sorted([*blobs, *links])

    def document_paths(self) -> list[str]:
        blobs, links = self._listing(deep=False)
        return sorted(p for p in [*blobs, *links] if p.count("/") < DOCUMENT_DEPTH)

    def content_ids(self, paths: list[str], memo: FileMemo | None = None) -> dict[str, str]:
        blobs = self._blobs_for(paths)
        return {p: blobs[p] for p in paths if p in blobs}

    def fingerprints(self, paths: list[str]) -> tuple[list[Any], bool]:
        blobs = self._blobs_for(paths)
        return [blobs.get(p) for p in paths], False

    def state_id(self) -> str:
        """The ids of the registry's folders and files in this commit: equal ids, equal content."""
        if self._state_id is None:
            self._state_id = " ".join(git.tree_ids(self.top, self.commit, self._roots))
        return self._state_id

    def read(self, path: str) -> bytes | None:
        return self.read_all([path]).get(path)

    def read_all(self, paths: list[str]) -> dict[str, bytes]:
        blobs = self._blobs_for(paths)
        wanted = {p: blobs[p] for p in paths if p in blobs}
        contents = git.read_blobs(self.top, list(wanted.values()))
        return {p: contents[b] for p, b in wanted.items() if b in contents}
