"""DVC remotes: proof that pushed bytes are there, and the plugins remote URLs need.

``remote_check`` asks the default remote, without downloading, whether every object of
some versions is there. The rules over DVC's committed configuration are ``dvcconfig``'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel

from modelreg.adapters import dvc
from modelreg.domain.models import Artifact, ModelVersion
from modelreg.domain.problems import Problem
from modelreg.operations import artifacts
from modelreg.queries.catalog import Catalog

_PLUGINS = {
    "s3": ("dvc_s3", "pip install 'modelreg[s3]'"),
    "gs": ("dvc_gs", "pip install dvc-gs"),
    "azure": ("dvc_azure", "pip install dvc-azure"),
    "ssh": ("dvc_ssh", "pip install dvc-ssh"),
}


def missing_plugin(url: str) -> str | None:
    """How to install the DVC plugin that a remote URL needs, when it is not installed."""
    import importlib.util

    scheme = url.partition("://")[0].lower() if "://" in url else ""
    plugin = _PLUGINS.get(scheme)
    if plugin is None or importlib.util.find_spec(plugin[0]) is not None:
        return None
    return f"{plugin[0].replace('_', '-')}: {plugin[1]}"


# --- presence in the remote ----------------------------------------------------------------


@dataclass(frozen=True)
class _Wanted:
    version: ModelVersion
    artifact: Artifact
    md5: str
    inner: str | None = None  # a file inside a folder artifact, relative to it


class RemoteCheck(BaseModel):
    """What ``remote_check`` asked the default DVC remote: how many objects of how many
    versions, the remote, and a problem for each object it lacks."""

    remote: str
    versions: int
    objects: int
    problems: list[Problem]


def missing_in_remote(catalog: Catalog, versions: Iterable[ModelVersion | str]) -> list[Problem]:
    """A problem for every artifact object of ``versions`` (ModelVersion or reference) that
    the default DVC remote lacks: ``remote_check``'s problems."""
    return remote_check(catalog, versions).problems


def remote_check(catalog: Catalog, versions: Iterable[ModelVersion | str]) -> RemoteCheck:
    """Whether the default DVC remote holds every artifact object of ``versions``: each file,
    and for a folder its listing and every file in it. Asks for metadata only; downloads at
    most the (small) listings of folders.

    DvcError when the remote cannot be reached or used at all.
    """
    chosen = [v if isinstance(v, ModelVersion) else catalog.get(v) for v in versions]
    if not chosen:
        return RemoteCheck(remote="", versions=0, objects=0, problems=[])
    refused: list[Problem] = []
    with dvc.object_store(catalog.root) as store:
        wanted: list[_Wanted] = []
        for version in chosen:
            for artifact in version.manifest.artifacts:
                wanted.append(_Wanted(version, artifact, artifact.md5))
                if not artifact.md5.endswith(".dir"):
                    continue
                try:
                    entries = artifacts.read_listing(store, artifact.md5, missing_ok=True) or []
                except artifacts.ArtifactError as e:  # a listing no consumer could pull
                    rule = "unsafe-path" if isinstance(e, artifacts.UnsafeListingError) else "remote"
                    refused.append(
                        Problem(file=artifact.path + ".dvc", message=f"{version.ref}: {e}", rule=rule)
                    )
                    continue
                wanted += [_Wanted(version, artifact, e.md5, e.relpath) for e in entries]
        objects = sorted({w.md5 for w in wanted})
        present = store.remote_has_all(objects)
        label = store.remote_label
    problems = [*refused, *(_missing_problem(w, label) for w in wanted if not present[w.md5])]
    return RemoteCheck(remote=label, versions=len(chosen), objects=len(objects), problems=problems)


def _missing_problem(wanted: _Wanted, remote_label: str) -> Problem:
    artifact = wanted.artifact
    pointer = artifact.path + ".dvc"
    if wanted.inner is not None:
        what = f"{artifact.path}/{wanted.inner} (md5 {wanted.md5}, in folder artifact {artifact.path})"
    elif artifact.md5.endswith(".dir"):
        what = f"the listing of folder artifact {artifact.path} (md5 {artifact.md5})"
    else:
        what = f"{artifact.path} (md5 {artifact.md5})"
    return Problem(
        file=pointer,
        message=f"{wanted.version.ref}: {what} is not in the {remote_label}; "
        f"push it with `dvc push {pointer}`",
        rule="remote",
    )


def versions_under(catalog: Catalog, paths: list[str]) -> list[ModelVersion]:
    """The versions whose manifest or artifacts lie under one of ``paths`` (all if empty).
    Only manifests that parse: the others are already reported by validation."""
    snap = catalog.snapshot
    found = []
    for (name, version), manifest in sorted(snap.manifests.items()):
        own = [f"models/{name}/{version}.yaml", *(a.path for a in manifest.artifacts)]
        if not paths or any(_under(p, w) for p in own for w in paths):
            stage = snap.stage_of(name, version)
            found.append(ModelVersion(name=name, version=version, stage=stage, manifest=manifest))
    return found


def _under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return prefix in ("", ".") or path == prefix or path.startswith(prefix + "/")
