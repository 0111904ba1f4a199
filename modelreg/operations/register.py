"""``modelreg register``: copy artifacts in, track and push them with DVC, write the manifest, commit."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from modelreg.adapters import dvc, git
from modelreg.documents import dvcfile, factsfile, schemas, yamlio
from modelreg.domain import faults, layout, naming, refs, semver
from modelreg.domain.errors import InvalidInputError, ModelregError
from modelreg.domain.layout import artifacts_dir, facts_path, manifest_path
from modelreg.domain.models import (
    Artifact,
    Code,
    Dataset,
    Framework,
    Lineage,
    Manifest,
    ModelFacts,
    Parent,
    Run,
    Signature,
)
from modelreg.operations import provenance, transaction
from modelreg.queries.catalog import Catalog

MANIFEST_HEADER = "# yaml-language-server: $schema=../../schemas/model-version.schema.json"


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
    run: Run | None = None
    signature: Signature | None = None
    dependencies: list[str] = []
    intended_use: str = ""
    limitations: str = ""
    custom: dict[str, Any] = {}  # checked by ``inputs.custom_mapping``
    provenance: bool = True  # capture ``code`` from the files' Git work tree when not given
    nested_metrics: list[str] = []  # the metric names nesting made (metrics.auc from {"metrics": {...}})
    flatten: bool = False  # store nested metrics under their dotted names even so
    allow_lower: bool = False  # a --version below the model's highest


class RegisterResult(BaseModel):
    ref: str
    commit: str
    manifest: str
    artifacts: list[Artifact]
    pushed: bool
    new_model: bool
    warnings: list[str] = []


def register(
    path: Path, request: RegisterRequest, *, say: Callable[[str], None] = lambda _: None
) -> RegisterResult:
    """Register ``request`` in the registry at ``path`` as one commit, or change nothing."""
    top = git.root(path)
    transaction.recover(top)
    registry = Catalog(top)
    name = _checked_name(registry, request.name)
    version = _next_version(registry, name, request)
    warnings = _metric_warnings(registry, request, f"{name}@{version}")
    sources = _checked_sources(request.files)
    if request.provenance and request.code is None:
        request = request.model_copy(update={"code": provenance.training_code(sources)})
    parents = [_resolved_parent(registry, p) for p in request.parents]
    new_model = not registry.model_snapshot(name).has_model(name)
    if not new_model and request.owner:
        owner = registry.model(name).owner
        if owner != request.owner:
            raise InvalidInputError(
                f"model {name} is owned by {owner!r}; change the owner by pull request with "
                f"`modelreg describe {name} --owner {request.owner}`"
            )
    folder = artifacts_dir(name, version)
    manifest_file = manifest_path(name, version)
    touched = [folder, manifest_file] + ([facts_path(name)] if new_model else [])
    for rel in touched:
        layout.check_no_symlinks(top, rel)
        if (top / rel).exists():
            raise InvalidInputError(f"{rel} already exists; remove it or pick another version")
    created_by = git.ident(top)
    placeholder = [Artifact(path=f"{folder}/{s.name}", md5="0" * 32, size=0) for s in sources]
    _checked_fields(lambda: _manifest(request, name, version, created_by, parents, placeholder))
    facts = _checked_fields(
        lambda: ModelFacts(name=name, description=request.description, owner=request.owner)
    )
    with transaction.restoring(top, touched, command=f"register {name}@{version}"):
        artifacts = _copy_and_track(top, folder, sources, say=say)
        faults.point("register:tracked")
        if request.push:
            say(f"pushing {len(artifacts)} artifact(s) to the default DVC remote")
            dvc.push(top, [a.path + ".dvc" for a in artifacts])
            faults.point("register:pushed")
        manifest = _manifest(request, name, version, created_by, parents, artifacts)
        _write(top / manifest_file, manifest_data(manifest), MANIFEST_HEADER)
        if new_model:
            (top / facts_path(name)).write_text(factsfile.render(facts), encoding="utf-8")
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
        warnings=warnings,
    )


def _metric_warnings(registry: Catalog, request: RegisterRequest, ref: str) -> list[str]:
    """A version is written once: metrics that miss the names the policy uses are refused when
    nesting renamed them (without --flatten), and a warning otherwise."""
    config = registry.model_snapshot(request.name).config
    if config is None:
        return []
    missing = {m: why for m, why in config.named_metrics().items() if m not in request.metrics}
    if not missing:
        return []
    absent = ", ".join(f"{m} ({why})" for m, why in missing.items())
    if not request.metrics:
        return [
            f"{ref} records no metrics, and registry.yaml names {absent}; a version is written "
            "once: register it again as another version with --metrics-file FILE or --metric KEY=VALUE"
        ]
    if request.nested_metrics and not request.flatten:
        raise InvalidInputError(
            f"{ref} would store the metrics {', '.join(request.nested_metrics)} (nested keys joined "
            f"with '.') but no {absent}; put them at the top level of the metrics file, or pass "
            "--flatten to register the dotted names"
        )
    return [f"{ref} has no metric {absent}; it stores {', '.join(request.metrics)}"]


def _manifest(
    request: RegisterRequest,
    name: str,
    version: str,
    created_by: str,
    parents: list[Parent],
    artifacts: list[Artifact],
) -> Manifest:
    return Manifest(
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
        run=request.run,
        signature=request.signature,
        dependencies=request.dependencies,
        intended_use=request.intended_use,
        limitations=request.limitations,
        custom=request.custom,
    )


# The option (or setting) each manifest field comes from, to name it in an error.
_OPTIONS = {
    "tags": "--tag",
    "description": "--description",
    "framework": "--framework",
    "algorithm": "--algorithm",
    "metrics": "--metric",
    "params": "--param",
    "data": "--data",
    "lineage": "--parent",
    "owner": "--owner",
    "created_by": "your Git identity (user.name, user.email)",
    "code": "the training repository's provenance (--no-provenance skips it)",
    "run": "--run-id/--run-url",
    "signature": "--signature-file",
    "dependencies": "--requirements",
    "intended_use": "--intended-use",
    "limitations": "--limitations",
    "custom": "--custom/--custom-file",
}

_T = TypeVar("_T")


def _checked_fields(build: Callable[[], _T]) -> _T:
    """``build()``, with a field the schema refuses reported as the option it came from,
    before anything is copied or written."""
    try:
        return build()
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        option = _OPTIONS.get(str(first["loc"][0]) if first["loc"] else "", "a value")
        detail = first["msg"] if len(first["loc"]) == 1 else f"{where}: {first['msg']}"
        raise InvalidInputError(f"{option}: {detail}") from None


def manifest_data(manifest: Manifest) -> dict[str, Any]:
    """The manifest as YAML-ready data, without empty optional sections."""
    data = schemas.model_to_data(manifest)
    return {k: v for k, v in data.items() if v not in ({}, [], "") or k in {"artifacts", "description"}}


def _write(target: Path, data: dict[str, Any], header: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yamlio.dump(data, header=header), encoding="utf-8")


def _checked_name(registry: Catalog, name: str) -> str:
    refs.check_name(name)
    rule = registry.config.naming.model
    try:
        matches = naming.compiled(rule).match(name)
    except naming.UnsafeRule as e:
        raise InvalidInputError(f"registry.yaml: naming.model {e}; fix the rule first") from None
    if not matches:
        raise InvalidInputError(
            f"model name {name!r} breaks this registry's naming rule {rule} (registry.yaml)"
        )
    return name


def _next_version(registry: Catalog, name: str, request: RegisterRequest) -> str:
    if (request.version is None) == (request.bump is None):
        raise InvalidInputError("give exactly one of --version X.Y.Z or --bump major|minor|patch")
    # Every manifest file counts, valid or not: its version number is taken either way.
    existing = sorted({v for n, v in registry.model_snapshot(name).present if n == name}, key=semver.sort_key)
    if request.version is not None:
        parsed = semver.parse(request.version)
        if parsed is None:
            raise InvalidInputError(f"invalid version {request.version!r}: use a semantic version like 1.2.0")
        for other in existing:
            if _same_version(request.version, other):
                raise InvalidInputError(
                    f"{name}@{other} already exists; versions are never reused, pick a new one"
                )
        highest = max((v for v in map(semver.parse, existing) if v), default=None)
        if highest is not None and parsed < highest and not request.allow_lower:
            raise InvalidInputError(
                f"{name}@{request.version} is below {name}'s highest version {highest} (what "
                f"{name}@latest and --bump follow); pass --allow-lower to register it anyway"
            )
        return request.version
    if request.bump not in {"major", "minor", "patch"}:
        raise InvalidInputError(f"invalid --bump {request.bump!r}: use major, minor or patch")
    latest = max((v for v in map(semver.parse, existing) if v), default=None)
    return str(latest.bump(request.bump)) if latest else "0.1.0"


def _same_version(a: str, b: str) -> bool:
    """Equal but for build metadata, or for case (1.0.0-RC.1 and 1.0.0-rc.1 would be one file
    on a case-insensitive file system)."""
    return semver.core(a.lower()) == semver.core(b.lower())


def _checked_sources(files: list[Path]) -> list[Path]:
    """The artifacts to copy. A FILE that is a symlink is followed, as ``cp`` does: its target's
    bytes are registered. Inside a folder, symlinks and special files are refused: a training
    job's output could link to a secret (~/.ssh, /proc/self/environ) that would be copied in
    and pushed to the remote, or to /dev/zero."""
    if not files:
        raise InvalidInputError("give at least one artifact file or folder to register")
    for f in files:
        if not f.exists():
            broken = " (a symlink to nothing)" if f.is_symlink() else ""
            raise InvalidInputError(f"artifact {f} does not exist{broken}")
        if not (f.is_file() or f.is_dir()):
            raise InvalidInputError(f"artifact {f} is neither a file nor a folder")
        if f.is_dir():
            _check_folder(f)
    _check_names([rel for f in files for rel in _relative_paths(f)])
    return files


def _relative_paths(source: Path) -> list[str]:
    """The paths ``source`` puts below the version folder: its name, and for a folder every
    file and folder inside it."""
    if not source.is_dir():
        return [source.name]
    return [source.name, *sorted(p.relative_to(source.parent).as_posix() for p in source.rglob("*"))]


def _check_names(paths: list[str]) -> None:
    """Every path the version's folder would hold passes the one artifact-name rule, and no
    two are one file on a case-insensitive file system."""
    for rel in paths:
        why = layout.unsafe_path(rel)
        if why is not None:
            raise InvalidInputError(f"artifact {rel[:80]!r} {why}; rename it")
    collisions = layout.case_collisions(paths)
    if collisions:
        rel, other = collisions[0]
        raise InvalidInputError(
            f"artifacts {other[:80]!r} and {rel[:80]!r} differ only by case (one file on macOS and "
            "Windows); rename one"
        )


def _check_folder(folder: Path) -> None:
    for inside in sorted(folder.rglob("*")):
        if inside.is_symlink():
            raise InvalidInputError(
                f"artifact folder {folder} holds a symlink, {inside.relative_to(folder)}; modelreg copies "
                "bytes, not links: replace it with the file it points to (cp -L) or remove it"
            )
        if not (inside.is_file() or inside.is_dir()):
            raise InvalidInputError(
                f"artifact folder {folder} holds {inside.relative_to(folder)}, which is neither a file "
                "nor a folder (a pipe or device); remove it"
            )


def _resolved_parent(registry: Catalog, parent: Parent) -> Parent:
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
        _check_all_tracked(top / rel, pointer.nfiles)
        artifacts.append(Artifact(path=rel, md5=pointer.md5, size=pointer.size, nfiles=pointer.nfiles))
    return artifacts


def _check_all_tracked(copied: Path, nfiles: int | None) -> None:
    """DVC tracks every file copied into a folder artifact: a .dvcignore that leaves some out
    would register (and later pull, "verified") an incomplete model."""
    if not copied.is_dir():
        return
    count = sum(1 for f in copied.rglob("*") if f.is_file())
    if nfiles != count:
        raise InvalidInputError(
            f"DVC would track {nfiles or 0} of the {count} files of {copied.name}: a .dvcignore leaves "
            "the others out; change the .dvcignore (by a pull request of its own) or rename the files"
        )
