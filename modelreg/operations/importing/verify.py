"""An import plan, validated like a registry before anything is written.

Three rules are the import's own: a model of the registry takes events only from the source it
came from (an MLflow ``Fraud`` never merges into a native ``fraud``, nor GTO's ``gm`` into what
GTO's ``GM`` made); no two source versions become one version; and a model's name maps from
one source name only (GTO's ``GM`` and ``gm`` are refused both). Then the registry as the plan
would leave it (HEAD with every planned document and DVC pointer laid over it, in memory) is
validated with every rule ``validate`` applies: a model whose documents would add a problem
is left out, with the reason, until what remains adds none. So an import writes a registry
that ``validate`` accepts, or (when a problem belongs to no one model) nothing at all.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelreg.adapters import git
from modelreg.documents import factsfile, snapshot, stagesfile, yamlio
from modelreg.documents.snapshot import Snapshot
from modelreg.documents.tree import DOCUMENT_DEPTH, GitTree, Tree, WorkTree, blob_id
from modelreg.domain import semver
from modelreg.domain.errors import InvalidInputError
from modelreg.domain.layout import artifacts_dir, facts_path, manifest_path, stages_path
from modelreg.domain.models import Artifact, Manifest, RegistryConfig
from modelreg.domain.problems import Problem
from modelreg.operations.importing.plan import ImportEvent, ImportPlan, Source, SourceFile
from modelreg.operations.register import MANIFEST_HEADER, manifest_data
from modelreg.rules import policy, validation

PLACEHOLDER_MD5 = "0" * 32
MAX_ROUNDS = 8  # each round leaves out at least one model; few plans need more than one


def source_of(manifest: Manifest) -> Source | None:
    """Where an imported version came from, as its manifest's ``custom`` says; None if native."""
    for kind, field in (("mlflow", "model"), ("gto", "artifact")):
        entry = manifest.custom.get(kind)
        if isinstance(entry, dict) and isinstance(entry.get(field), str):
            return Source(kind, entry[field])
    return None


def refuse_foreign(plan: ImportPlan, snap: Snapshot) -> None:
    """Leave out each model the registry has that came from elsewhere than the plan's source
    (natively registered, or imported from another source name)."""
    for name in sorted({e.model for e in plan.events}):
        if not snap.has_model(name):
            continue
        wanted = {e.source for e in plan.events if e.model == name}
        found = {
            source_of(snap.manifests[(name, v)]) for v in snap.versions(name) if (name, v) in snap.manifests
        }
        if not found or found != wanted:
            owners = ", ".join(sorted(str(s) if s else "registered here" for s in found)) or "registered here"
            _leave_out(
                plan, name, f"{name} is a model of this registry that was not imported from it ({owners})"
            )


def refuse_merged_versions(plan: ImportPlan, present: set[tuple[str, str]]) -> None:
    """Leave out each model two of whose source versions become one version (MLflow ``1`` and
    ``01``, GTO ``v1.0.0`` and ``1.0.0``, or ``1.0.0+a`` and ``1.0.0+b``, which validate refuses)."""
    for name in sorted({e.model for e in plan.events}):
        seen: dict[tuple[Any, ...], str] = {_key(v): v for n, v in present if n == name}
        for event in [e for e in plan.events if e.model == name and e.registration is not None]:
            key = _key(event.version)
            if key in seen:
                _leave_out(plan, name, f"{event.why} becomes {event.version}, which {seen[key]} is already")
                break
            seen[key] = event.version


def _key(version: str) -> tuple[Any, ...]:
    parsed = semver.parse(version)
    return (parsed.major, parsed.minor, parsed.patch, parsed.prerelease) if parsed else (version,)


def _leave_out(plan: ImportPlan, name: str, reason: str) -> None:
    sources = sorted({str(e.source) for e in plan.events if e.model == name})
    plan.events = [e for e in plan.events if e.model != name]
    plan.unmapped.append(f"{' and '.join(sources) or name} ({reason})")


def validated(
    top: Path,
    plan: ImportPlan,
    *,
    config: RegistryConfig,
    stages: dict[str, dict[str, list[str]]],
    order: Callable[[ImportPlan], list[ImportEvent]],
) -> None:
    """Leave out of ``plan`` each model whose documents would make ``validate`` fail; raise
    InvalidInputError when a new problem belongs to no model of the plan."""
    head = git.head(top)
    base: Tree = GitTree(top, "HEAD", commit=head) if head else WorkTree(top)
    before = {_seen(p) for p in _problems(base)}
    for _ in range(MAX_ROUNDS):
        events = order(plan)
        if not events:
            return
        files = planned_files(events, config=config, stages=stages, base=base)
        new = [p for p in _problems(_Overlay(base, files)) if _seen(p) not in before]
        if not new:
            return
        models = {e.model for e in events}
        blamed = {p.file.split("/")[1]: p for p in reversed(new) if p.file.count("/") >= 2}
        blamed = {m: p for m, p in blamed.items() if m in models}
        if not blamed:
            first = new[0]
            raise InvalidInputError(
                f"the import would make validate fail ({first.file}: {first.message}); nothing was written"
            )
        for model, problem in sorted(blamed.items()):
            _leave_out(plan, model, f"validate would refuse {problem.file}: {problem.message}")
    raise InvalidInputError("the import plan could not be made valid; nothing was written")


def _seen(problem: Problem) -> tuple[str, str]:
    return problem.file, problem.message


def _problems(tree: Tree) -> list[Problem]:
    snap = snapshot.load(tree)
    validation.check_snapshot(snap)
    return list(snap.problems)


def planned_files(
    events: list[ImportEvent], *, config: RegistryConfig, stages: dict[str, dict[str, list[str]]], base: Tree
) -> dict[str, bytes]:
    """Every document and DVC pointer the events would write, as replay writes them, with a
    placeholder md5 (the real one is known once the bytes are downloaded)."""
    files: dict[str, bytes] = {}
    lists = {name: {s: list(v) for s, v in held.items()} for name, held in stages.items()}
    for event in events:
        registration = event.registration
        if registration is None:
            assert event.to_stage is not None
            placement = policy.place(
                config, event.model, lists.get(event.model, {}), event.version, event.to_stage
            )
            lists[event.model] = placement.stages
            path = stages_path(event.model)
            previous = files.get(path) or base.read(path)
            files[path] = stagesfile.render(config, placement.stages, previous=previous).encode()
            continue
        artifacts = placeholder_artifacts(event.model, event.version, registration.files)
        manifest = Manifest.model_validate({**registration.manifest, "artifacts": artifacts})
        text = yamlio.dump(manifest_data(manifest), header=MANIFEST_HEADER)
        files[manifest_path(event.model, event.version)] = text.encode()
        for artifact in artifacts:
            files[artifact.path + ".dvc"] = _pointer(artifact)
        if artifacts:
            folder = artifacts_dir(event.model, event.version)
            names = "".join(f"/{a.path.rsplit('/', 1)[1]}\n" for a in artifacts)
            files[f"{folder}/.gitignore"] = names.encode()
        if registration.facts is not None:
            files[facts_path(event.model)] = factsfile.render(registration.facts).encode()
    return files


def placeholder_artifacts(name: str, version: str, files: list[SourceFile]) -> list[Artifact]:
    """One artifact per top-level entry of ``files``, as ``dvc add`` would track it."""
    folder = artifacts_dir(name, version)
    tops: dict[str, list[SourceFile]] = {}
    for f in files:
        tops.setdefault(f.path.split("/", 1)[0], []).append(f)
    found = []
    for top, inside in tops.items():
        size = sum(f.size for f in inside)
        if len(inside) == 1 and inside[0].path == top:
            found.append(Artifact(path=f"{folder}/{top}", md5=PLACEHOLDER_MD5, size=size))
        else:
            found.append(
                Artifact(path=f"{folder}/{top}", md5=PLACEHOLDER_MD5 + ".dir", size=size, nfiles=len(inside))
            )
    return found


def _pointer(artifact: Artifact) -> bytes:
    out: dict[str, Any] = {
        "md5": artifact.md5,
        "size": artifact.size,
        "hash": "md5",
        "path": artifact.path.rsplit("/", 1)[1],
    }
    if artifact.nfiles is not None:
        out["nfiles"] = artifact.nfiles
    return yamlio.dump({"outs": [out]}).encode()


class _Overlay:
    """``base`` with ``files`` laid over it: the registry as a plan would leave it (a Tree)."""

    def __init__(self, base: Tree, files: dict[str, bytes]) -> None:
        self.base = base
        self.files = files
        self.top = base.top
        self.label = "the import"
        self.models = base.models
        self._ids = {p: blob_id(b) for p, b in files.items()}

    def scoped(self, models: list[str]) -> Tree:
        prefixes = tuple(f"models/{m}/" for m in models)
        kept = {p: b for p, b in self.files.items() if p.startswith(prefixes)}
        return _Overlay(self.base.scoped(models), kept)

    def paths(self, memo: Any = None) -> list[str]:
        return sorted(set(self.base.paths()) | set(self.files))

    def document_paths(self) -> list[str]:
        mine = {p for p in self.files if p.count("/") < DOCUMENT_DEPTH}
        return sorted(set(self.base.document_paths()) | mine)

    def content_ids(self, paths: list[str], memo: Any = None) -> dict[str, str]:
        ids = self.base.content_ids([p for p in paths if p not in self.files])
        return {**ids, **{p: self._ids[p] for p in paths if p in self.files}}

    def fingerprints(self, paths: list[str]) -> tuple[list[Any], bool]:
        ids = self.content_ids(paths)
        return [ids.get(p) for p in paths], False

    def state_id(self) -> str | None:
        return None

    def read(self, path: str) -> bytes | None:
        return self.files[path] if path in self.files else self.base.read(path)

    def read_all(self, paths: list[str]) -> dict[str, bytes]:
        found = self.base.read_all([p for p in paths if p not in self.files])
        return {**found, **{p: self.files[p] for p in paths if p in self.files}}
