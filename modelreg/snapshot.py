"""A registry's documents loaded from one Tree: typed where valid, problems where not."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from modelreg import schemas, semver, yamlio
from modelreg.errors import DocumentError
from modelreg.layout import REGISTRY_FILE, classify
from modelreg.models import Manifest, ModelFacts, RegistryConfig
from modelreg.tree import Tree


class Problem(BaseModel):
    """One thing wrong with the registry: where, and what."""

    file: str
    line: int | None = None
    message: str
    rule: str = "schema"

    def __str__(self) -> str:
        from modelreg.report import printable

        where = f"{self.file}:{self.line}" if self.line else self.file
        return printable(f"{where}: {self.message}")


@dataclass
class Snapshot:
    """Everything ``modelreg`` reads from a registry at one point (work tree or commit)."""

    tree: Tree
    config: RegistryConfig | None = None
    facts: dict[str, ModelFacts] = field(default_factory=dict)
    manifests: dict[tuple[str, str], Manifest] = field(default_factory=dict)
    stages: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    stage_files: dict[str, bytes] = field(default_factory=dict)
    pointers: dict[str, bytes] = field(default_factory=dict)
    raw: dict[str, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    present: set[tuple[str, str]] = field(default_factory=set)  # manifest files, valid or not

    def model_names(self) -> list[str]:
        names = {n for n, _ in self.manifests} | set(self.facts) | set(self.stages)
        return sorted(names)

    def versions(self, name: str) -> list[str]:
        """Versions of ``name``, oldest first by semver precedence."""
        return sorted((v for n, v in self.manifests if n == name), key=semver.sort_key)

    def stage_of(self, name: str, version: str) -> str:
        for stage, held in self.stages.get(name, {}).items():
            if version in held:
                return stage
        return self.config.initial_stage if self.config else "development"

    def problem(self, path: str, message: str, *, rule: str, location: tuple[Any, ...] = ()) -> None:
        line = yamlio.line_of(self.raw[path], location) if location and path in self.raw else None
        self.problems.append(Problem(file=path, line=line, message=message, rule=rule))


def load(tree: Tree) -> Snapshot:
    """Read and validate every registry document of ``tree`` against its schema."""
    snap = Snapshot(tree=tree, paths=tree.paths())
    wanted = [p for p in snap.paths if p == REGISTRY_FILE or classify(p).kind in _READ_KINDS]
    snap.raw = tree.read_all(wanted)
    for path in wanted:
        if path not in snap.raw:
            snap.problem(
                path, "is a symlink or not a regular file; registry files must be plain files", rule="layout"
            )
    if REGISTRY_FILE in snap.raw:
        snap.config = _parse(snap, REGISTRY_FILE, "registry")
    for path in sorted(snap.raw):
        where = classify(path)
        if where.kind == "pointer":
            snap.pointers[path] = snap.raw[path]
        elif where.kind == "facts":
            facts = _parse(snap, path, "model")
            if facts is not None:
                snap.facts[where.model] = facts
        elif where.kind == "manifest":
            snap.present.add((where.model, where.version))
            manifest = _parse(snap, path, "manifest")
            if manifest is not None:
                snap.manifests[(where.model, where.version)] = manifest
        elif where.kind == "stages":
            _load_stages(snap, path, where.model)
        elif where.kind == "misnamed":
            snap.problem(path, "registry files end in .yaml, not .yml; rename it", rule="layout")
    return snap


_READ_KINDS = {"facts", "manifest", "stages", "pointer", "misnamed"}


def _parse(snap: Snapshot, path: str, kind: str) -> Any:
    raw = snap.raw[path]
    try:
        data = yamlio.load(raw, path)
    except DocumentError as e:
        snap.problems.append(Problem(file=path, line=e.line, message=e.detail, rule="yaml"))
        return None
    if data is None and kind == "stages":
        data = {}
    found = schemas.schema_problems(kind, data)
    for location, message in found:
        where = ".".join(str(x) for x in location)
        text = f"{where}: {_read_as_text_hint(raw, location, message)}" if where else message
        snap.problem(path, text, rule="schema", location=location)
    return None if found else schemas.parse(kind, data)


def _read_as_text_hint(raw: bytes, location: tuple[Any, ...], message: str) -> str:
    """``version: 1.10`` is the number 1.1 to YAML: say so, with the fix, rather than
    "1.1 is not of type 'string'"."""
    if "is not of type 'string'" not in message:
        return message
    written = yamlio.source_of(raw, location)
    read = message.split(" is not of type", 1)[0]
    if not written or written == read:
        return message
    return f'{written} is read as {read}, not text; quote it: "{written}"'


def _load_stages(snap: Snapshot, path: str, model: str) -> None:
    snap.stage_files[model] = snap.raw[path]
    data = _parse(snap, path, "stages")
    if data is None:
        return
    snap.stages[model] = {
        stage: [held] if isinstance(held, str) else list(held) for stage, held in data.items()
    }
