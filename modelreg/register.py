"""``modelreg register``: copy artifacts in, track and push them with DVC, write the manifest, commit."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from modelreg import dvc, dvcfile, faults, git, refs, schemas, semver, transaction, yamlio
from modelreg.errors import InvalidInputError, ModelregError
from modelreg.layout import artifacts_dir, facts_path, manifest_path
from modelreg.models import (
    Artifact,
    Code,
    Dataset,
    Framework,
    Lineage,
    Manifest,
    ModelFacts,
    Parent,
)
from modelreg.registry import Registry

MANIFEST_HEADER = "# yaml-language-server: $schema=../../schemas/model-version.schema.json"
FACTS_HEADER = "# yaml-language-server: $schema=../../schemas/model.schema.json"


class RegisterRequest(BaseModel):
    """What to register: the artifacts and every fact the manifest records."""

    name: str
    files: list[Path]
    version: str | None = None
    bump: str | None = None
    metrics: dict[str, float] = {}
    params: dict[str, Any] = {}
    parents: list[Parent] = []
    data: dict[str, Dataset] = {}
    tags: list[str] = []
    description: str = ""
    owner: str | None = None
    framework: Framework | None = None
    algorithm: str | None = None
    code: Code | None = None
    push: bool = True


class RegisterResult(BaseModel):
    ref: str
    commit: str
    manifest: str
    artifacts: list[Artifact]
    pushed: bool
    new_model: bool


def register(
    path: Path, request: RegisterRequest, *, say: Callable[[str], None] = lambda _: None
) -> RegisterResult:
    """Register ``request`` in the registry at ``path`` as one commit, or change nothing."""
    top = git.root(path)
    transaction.recover(top)
    registry = Registry(top)
    name = _checked_name(registry, request.name)
    version = _next_version(registry, name, request)
    sources = _checked_sources(request.files)
    parents = [_resolved_parent(registry, p) for p in request.parents]
    new_model = name not in registry.snapshot.model_names()
    if not new_model and request.owner:
        owner = registry.model(name).owner
        if owner != request.owner:
            raise InvalidInputError(
                f"model {name} is owned by {owner!r}; change the owner in {facts_path(name)} by pull request"
            )
    folder = artifacts_dir(name, version)
    manifest_file = manifest_path(name, version)
    touched = [folder, manifest_file] + ([facts_path(name)] if new_model else [])
    for rel in touched:
        if (top / rel).exists():
            raise InvalidInputError(f"{rel} already exists; remove it or pick another version")
    created_by = git.ident(top)
    with transaction.restoring(top, touched, command=f"register {name}@{version}"):
        artifacts = _copy_and_track(top, folder, sources, say=say)
        faults.point("register:tracked")
        if request.push:
            say(f"pushing {len(artifacts)} artifact(s) to the default DVC remote")
            dvc.push(top, [a.path + ".dvc" for a in artifacts])
            faults.point("register:pushed")
        manifest = Manifest(
            name=name,
            version=version,
            created_at=datetime.now(timezone.utc).replace(microsecond=0),
            created_by=created_by,
            description=request.description,
            framework=request.framework,
            algorithm=request.algorithm,
            tags=request.tags,
            artifacts=artifacts,
            metrics=request.metrics,
            params=request.params,
            data=request.data,
            lineage=Lineage(parents=parents),
            code=request.code,
        )
        _write(top / manifest_file, manifest_data(manifest), MANIFEST_HEADER)
        if new_model:
            facts = ModelFacts(name=name, description=request.description, owner=request.owner)
            _write(top / facts_path(name), schemas.model_to_data(facts), FACTS_HEADER)
        faults.point("register:written")
        commit = git.commit(top, f"register {name}@{version}", touched)
        faults.point("register:committed")
    return RegisterResult(
        ref=f"{name}@{version}",
        commit=commit,
        manifest=manifest_file,
        artifacts=artifacts,
        pushed=request.push,
        new_model=new_model,
    )


def manifest_data(manifest: Manifest) -> dict[str, Any]:
    """The manifest as YAML-ready data, without empty optional sections."""
    data = schemas.model_to_data(manifest)
    return {k: v for k, v in data.items() if v not in ({}, [], "") or k in {"artifacts", "description"}}


def _write(target: Path, data: dict[str, Any], header: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yamlio.dump(data, header=header), encoding="utf-8")


def _checked_name(registry: Registry, name: str) -> str:
    refs.check_name(name)
    rule = registry.config.naming.model
    if not re.match(rule, name):
        raise InvalidInputError(
            f"model name {name!r} breaks this registry's naming rule {rule} (registry.yaml)"
        )
    return name


def _next_version(registry: Registry, name: str, request: RegisterRequest) -> str:
    if (request.version is None) == (request.bump is None):
        raise InvalidInputError("give exactly one of --version X.Y.Z or --bump major|minor|patch")
    existing = registry.snapshot.versions(name)
    if request.version is not None:
        parsed = semver.parse(request.version)
        if parsed is None:
            raise InvalidInputError(f"invalid version {request.version!r}: use a semantic version like 1.2.0")
        core = semver.Version(parsed.major, parsed.minor, parsed.patch, parsed.prerelease)
        for other in existing:
            o = semver.parse(other)
            if o and semver.Version(o.major, o.minor, o.patch, o.prerelease) == core:
                raise InvalidInputError(
                    f"{name}@{other} already exists; versions are never reused, pick a new one"
                )
        return request.version
    if request.bump not in {"major", "minor", "patch"}:
        raise InvalidInputError(f"invalid --bump {request.bump!r}: use major, minor or patch")
    if not existing:
        return "0.1.0"
    latest = max((v for v in map(semver.parse, existing) if v), default=None)
    assert latest is not None
    return str(latest.bump(request.bump))


def _checked_sources(files: list[Path]) -> list[Path]:
    if not files:
        raise InvalidInputError("give at least one artifact file or folder to register")
    names: set[str] = set()
    for f in files:
        if not f.exists():
            raise InvalidInputError(f"artifact {f} does not exist")
        if not (f.is_file() or f.is_dir()):
            raise InvalidInputError(f"artifact {f} is neither a file nor a folder")
        if f.name in names or f.name.endswith(".dvc") or f.name.startswith("."):
            raise InvalidInputError(
                f"artifact name {f.name!r} is repeated, hidden or ends in .dvc; rename it"
            )
        names.add(f.name)
    return files


def _resolved_parent(registry: Registry, parent: Parent) -> Parent:
    """A parent given by any reference, pinned to the exact version it names now."""
    found = registry.get(parent.ref)
    return Parent(ref=found.ref, relation=parent.relation)


def _copy_and_track(
    top: Path, folder: str, sources: list[Path], *, say: Callable[[str], None]
) -> list[Artifact]:
    target_dir = top / folder
    target_dir.mkdir(parents=True)
    rels = []
    for src in sources:
        say(f"copying {src} to {folder}/")
        target = target_dir / src.name
        try:
            if src.is_dir():
                shutil.copytree(src, target, symlinks=False)
            else:
                shutil.copyfile(src, target)
        except OSError as e:
            raise ModelregError(f"could not copy {src} into the registry: {e.strerror or e}") from e
        rels.append(f"{folder}/{src.name}")
        faults.point("register:copied")
    say(f"tracking {len(rels)} artifact(s) with DVC")
    dvc.add(top, rels)
    artifacts = []
    for rel in rels:
        pointer = dvcfile.parse((top / (rel + ".dvc")).read_bytes(), rel + ".dvc")
        artifacts.append(Artifact(path=rel, md5=pointer.md5, size=pointer.size, nfiles=pointer.nfiles))
    return artifacts
