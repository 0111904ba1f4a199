"""Registries read from a Git URL without a clone (``pull --repo URL``, ``Registry.remote``).

Each URL gets a partial copy in the cache folder (``$XDG_CACHE_HOME/modelreg/repos/<hash of
the URL>``, or ``cache_dir``), kept between runs and brought up to date by one fetch on each
use. A question about model NAME fetches ``registry.yaml``, ``.dvc/`` and ``models/NAME/``
of one commit, nothing else (``adapters.gitremote``); its documents are read and validated
as a clone's would be, through a tree that holds only those paths.

Artifacts come from the default DVC remote that the commit's ``.dvc/config`` names. A local
folder remote is written relative to the registry's checkout: it is found beside the URL when
the URL is itself a local path, and cannot be reached through a network URL (one line says so).
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from pathlib import Path
from typing import BinaryIO

from modelreg.adapters import git, gitremote
from modelreg.documents.tree import GitTree
from modelreg.domain import refs
from modelreg.domain.errors import ModelregError, NotARegistryError
from modelreg.domain.layout import CODEOWNERS_FILE, MODELS_DIR, REGISTRY_FILE
from modelreg.operations import artifacts
from modelreg.queries.catalog import Catalog
from modelreg.rules.dvcconfig import DVC_CONFIG, DVC_LOCAL_CONFIG, committed_default_remote

DVC_DIR = ".dvc"
# DVC reads objects by hash and needs no Git; its Git libraries refuse a partial clone
_NO_SCM = b"[core]\n    no_scm = true\n"


def cache_root(cache_dir: str | Path | None = None) -> Path:
    """Where the partial copies live: ``cache_dir``, else ``$XDG_CACHE_HOME/modelreg/repos``
    (``~/.cache/modelreg/repos``)."""
    if cache_dir is not None:
        return Path(cache_dir)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "modelreg" / "repos"


class RemoteCopy:
    """One commit of the registry at ``url``, read from its partial copy at ``top``."""

    def __init__(self, url: str, top: Path, commit: str, remote_problem: str | None) -> None:
        self.url = url
        self.top = top
        self.commit = commit
        self.remote_problem = remote_problem  # why artifacts cannot be pulled, if they cannot
        self._catalogs: dict[str, Catalog] = {}

    def tree(self, name: str) -> GitTree:
        """The files of model ``name`` (and registry.yaml), fetched if the copy lacks them."""
        refs.check_name(name)
        folder = f"{MODELS_DIR}/{name}"
        with gitremote.locked(self.top):
            gitremote.fetch_paths(self.top, self.url, self.commit, [folder])
        return GitTree(
            self.top,
            self.commit,
            models=[name],
            commit=self.commit,
            scope=[REGISTRY_FILE, folder, CODEOWNERS_FILE],
        )

    def catalog(self, name: str) -> Catalog:
        """The registry as far as model ``name`` is concerned: its documents, validated."""
        if name not in self._catalogs:
            self._catalogs[name] = Catalog(self.top, rev=self.commit, tree=self.tree(name))
        return self._catalogs[name]

    def model_names(self) -> list[str]:
        """The models' folder names, read from the one folder object the copy holds."""
        found = gitremote.entries(self.top, self.commit, [f"{MODELS_DIR}/"])
        return sorted(p.rsplit("/", 1)[-1] for p, (kind, _oid) in found.items() if kind == "tree")

    def check_artifacts_reachable(self) -> None:
        if self.remote_problem is not None:
            raise ModelregError(self.remote_problem)

    def pull(
        self,
        ref: str,
        *,
        output: str | Path | None = None,
        file: str | None = None,
        force: bool = False,
        progress: artifacts.Progress | None = None,
    ) -> artifacts.PullResult:
        """``artifacts.pull`` of ``ref`` into ``output`` (the current folder when None, as
        ``dvc get`` does: a copy has no work tree to write into), over no existing path
        unless ``force`` (files only)."""
        catalog = self.catalog(refs.parse(ref).name)
        catalog.get(ref)  # a bad reference says so before the DVC remote is looked at
        self.check_artifacts_reachable()
        return artifacts.pull(catalog, ref, output=output or ".", file=file, force=force, progress=progress)

    def open_artifact(self, ref: str, file: str | None = None) -> BinaryIO:
        catalog = self.catalog(refs.parse(ref).name)
        catalog.get(ref)
        self.check_artifacts_reachable()
        return artifacts.open_artifact(catalog, ref, file)


def open_remote(
    url: str, rev: str | None = None, cache_dir: str | Path | None = None, *, models: tuple[str, ...] = ()
) -> RemoteCopy:
    """The registry at Git URL ``url`` as of ``rev`` (a branch, tag or commit id; the server's
    HEAD by default), in a partial copy under ``cache_dir`` brought up to date. ``models``:
    the models about to be read, fetched in the same request as ``.dvc/``."""
    gitremote.check_url(url)
    top = cache_root(cache_dir) / hashlib.sha256(url.encode()).hexdigest()[:24]
    with gitremote.locked(top):
        gitremote.prepare(top, url, local=gitremote.local_path(url) is not None)
        commit = gitremote.fetch_commit(top, url, rev)
        found = gitremote.entries(top, commit, [REGISTRY_FILE, DVC_DIR])
        if REGISTRY_FILE not in found:
            shown = git.hide_credentials(url)
            raise NotARegistryError(
                f"no {REGISTRY_FILE} at {rev or 'HEAD'} of {shown}: not a modelreg registry"
            )
        folders = [f"{MODELS_DIR}/{refs.check_name(name)}" for name in models]
        gitremote.fetch_paths(top, url, commit, [REGISTRY_FILE, DVC_DIR, *folders])
        problem = _install_dvc_config(top, url, commit)
    return RemoteCopy(url, top, commit, problem)


def _install_dvc_config(top: Path, url: str, commit: str) -> str | None:
    """Write the commit's .dvc/config into the copy's (otherwise empty) work tree, a local
    remote's path made absolute in .dvc/config.local; the reason artifacts are out of reach,
    if they are."""
    shown = git.hide_credentials(url)
    found = gitremote.entries(top, commit, [DVC_CONFIG])
    text = (
        git.read_blobs(top, [found[DVC_CONFIG][1]]).get(found[DVC_CONFIG][1]) if DVC_CONFIG in found else None
    )
    (top / DVC_DIR).mkdir(exist_ok=True)
    local = top / DVC_LOCAL_CONFIG
    _write(local, _NO_SCM)
    if text is None:
        (top / DVC_CONFIG).unlink(missing_ok=True)
        return f"the registry at {shown} has no {DVC_CONFIG}: it names no DVC remote to pull artifacts from"
    _write(top / DVC_CONFIG, text)
    default = committed_default_remote(text)
    if default is None:
        return f"the registry at {shown} names no default DVC remote in {DVC_CONFIG}"
    name, remote_url = default
    if "://" in remote_url or not remote_url or posixpath.isabs(remote_url):
        return None  # a network remote, or an absolute folder (reachable if mounted here)
    source = gitremote.local_path(url)
    if source is None:
        return (
            f"the registry's DVC remote {name!r} is a folder relative to its checkout ({remote_url}), "
            f"which a copy read from {shown} cannot reach: pull from a clone, or give it a network remote"
        )
    resolved = os.path.normpath(source / DVC_DIR / remote_url)
    _write(local, _NO_SCM + f"['remote \"{name}\"']\n    url = {resolved}\n".encode())
    return None


def _write(target: Path, data: bytes) -> None:
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)
