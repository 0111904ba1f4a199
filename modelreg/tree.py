"""The files of a registry, read either from the work tree or from a Git commit."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from modelreg import git
from modelreg.layout import CODEOWNERS_FILE, MODELS_DIR, REGISTRY_FILE

REGISTRY_PATHS = [REGISTRY_FILE, MODELS_DIR, CODEOWNERS_FILE]


class Tree(Protocol):
    """A read-only view of the registry's files, by repository-relative path."""

    label: str

    def paths(self) -> list[str]: ...

    def read(self, path: str) -> bytes | None: ...

    def read_all(self, paths: list[str]) -> dict[str, bytes]: ...


class WorkTree:
    """The files as they are on disk now."""

    def __init__(self, top: Path) -> None:
        self.top = top
        self.label = "work tree"

    def paths(self) -> list[str]:
        found = []
        if (self.top / REGISTRY_FILE).is_file():
            found.append(REGISTRY_FILE)
        if (self.top / CODEOWNERS_FILE).is_file():
            found.append(CODEOWNERS_FILE)
        models = self.top / MODELS_DIR
        if models.is_symlink():  # never followed: it could lead anywhere on the disk
            return [*found, MODELS_DIR]
        for folder, dirs, files in os.walk(models):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            rel = Path(folder).relative_to(self.top).as_posix()
            found.extend(f"{rel}/{f}" for f in sorted(files))
        return found

    def read(self, path: str) -> bytes | None:
        target = self.top / path
        if target.is_symlink() or not target.is_file():
            return None
        return target.read_bytes()

    def read_all(self, paths: list[str]) -> dict[str, bytes]:
        out = {}
        for p in paths:
            data = self.read(p)
            if data is not None:
                out[p] = data
        return out


class GitTree:
    """The files as they are in one commit, read through one ``cat-file --batch``."""

    def __init__(self, top: Path, rev: str) -> None:
        self.top = top
        self.commit = git.resolve(top, rev)
        self.label = rev
        entries = git.ls_tree(top, self.commit, REGISTRY_PATHS)
        # A symlink's blob is its target's name: never read it as a registry file.
        self._blobs = {e.path: e.blob for e in entries if not e.is_symlink}
        self._links = [e.path for e in entries if e.is_symlink]

    def paths(self) -> list[str]:
        return sorted([*self._blobs, *self._links])

    def read(self, path: str) -> bytes | None:
        return self.read_all([path]).get(path)

    def read_all(self, paths: list[str]) -> dict[str, bytes]:
        wanted = {p: self._blobs[p] for p in paths if p in self._blobs}
        contents = git.read_blobs(self.top, list(wanted.values()))
        return {p: contents[b] for p, b in wanted.items() if b in contents}
