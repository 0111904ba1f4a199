"""What an import will write: events in time order, each one commit, and what could not be mapped.

A source (MLflow, GTO) is read into an ``ImportPlan`` first, without writing anything: that
plan is what ``--dry-run`` prints and what ``replay`` writes. Each event carries the key that
marks it imported (a ``Modelreg-Import:`` trailer of its commit), so a second run skips it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ValidationError

from modelreg.documents import schemas, yamlio
from modelreg.domain import layout, refs
from modelreg.domain.errors import InvalidInputError, first_error
from modelreg.domain.models import Artifact, Manifest, ModelFacts

TRAILER = "Modelreg-Import"
MAX_TAGS = 500  # per version or model: 500 tags of 200 characters stay far below the size limit
MAX_FILES = 10_000  # per version


@dataclass(frozen=True, order=True)
class Source:
    """What a model is imported from: an MLflow model or a GTO artifact, by its own name."""

    kind: str  # mlflow, gto
    name: str

    def __str__(self) -> str:
        what = "MLflow model" if self.kind == "mlflow" else "GTO artifact"
        return f"{what} {self.name!r}"


class Author(BaseModel):
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name


@dataclass(frozen=True)
class SourceFile:
    """One file of a version to import: its path below the version's folder, and its bytes."""

    path: str
    size: int
    read: Callable[[], bytes] = field(compare=False, repr=False)


@dataclass
class Registration:
    """A new version: its manifest's facts (every field but the artifacts) and its files."""

    manifest: dict[str, Any]
    files: list[SourceFile]
    facts: ModelFacts | None = None  # set on a model's first version: it creates model.yaml


@dataclass
class ImportEvent:
    """One commit of the import: a registration, or a version moving to a stage."""

    key: str
    when: datetime
    author: Author
    model: str
    version: str
    source: Source
    registration: Registration | None = None
    to_stage: str | None = None
    why: str = ""  # where a move comes from (MLflow stage Production, alias champion, tag x#prod#2)
    only_from: str | None = None  # a move that happens only if the version stands in this stage

    @property
    def subject(self) -> str:
        if self.registration is not None:
            return f"register {self.model}@{self.version}"
        return f"move {self.model}@{self.version} to {self.to_stage}"


@dataclass
class ImportPlan:
    """Everything an import would write, in order, and each thing it cannot map (one line each)."""

    source: str
    events: list[ImportEvent] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    already: int = 0  # events a previous import wrote

    def ordered(self) -> list[ImportEvent]:
        """Events by time; at one instant registrations first (a move needs its version), then
        in the order the source gave them (its own order within a second: a stable sort)."""
        return sorted(self.events, key=lambda e: (e.when, e.registration is None))


class PlannedEvent(BaseModel):
    """An event as ``--dry-run`` and ``--format json`` report it."""

    when: str
    author: str
    action: str
    files: list[str] = []
    why: str = ""


class ImportReport(BaseModel):
    """What an import wrote (or, in a dry run, would write)."""

    source: str
    dry_run: bool
    events: list[PlannedEvent]
    unmapped: list[str]
    already_imported: int
    commits: list[str] = []
    head: str | None = None


def planned(event: ImportEvent) -> PlannedEvent:
    files = [f.path for f in event.registration.files] if event.registration else []
    return PlannedEvent(
        when=iso(event.when), author=str(event.author), action=event.subject, files=files, why=event.why
    )


def iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_millis(millis: int | None) -> datetime:
    """A datetime from MLflow's milliseconds since the epoch (whole seconds: Git keeps no less);
    the bounds are the source's type-check (MLflow's ``Millis``)."""
    return datetime.fromtimestamp((millis or 0) // 1000, tz=timezone.utc)


_NOT_NAME = re.compile(r"[^a-z0-9]+")


def model_name(raw: str) -> str:
    """A modelreg model name for a name from elsewhere ("Churn Model" -> churn-model)."""
    return _NOT_NAME.sub("-", raw.lower()).strip("-")[:63]


def mapped_names(plan: ImportPlan, sources: list[Source]) -> dict[Source, str]:
    """Each source's model name, for the sources whose name is a valid one that no other source
    maps to too (GTO's ``GM`` and ``gm`` would both be ``gm``: neither is imported); a line in
    ``plan.unmapped`` for each other source."""
    by_name: dict[str, list[Source]] = {}
    for source in sources:
        name = model_name(source.name)
        try:
            if not name[:1].isalpha():
                raise InvalidInputError(f"{source} maps to {name!r}, which does not start with a letter")
            refs.check_name(name)
        except InvalidInputError as e:
            plan.unmapped.append(f"{source} ({e})")
            continue
        by_name.setdefault(name, []).append(source)
    names = {}
    for name, found in by_name.items():
        if len(found) > 1:
            both = " and ".join(str(s) for s in found)
            plan.unmapped.append(f"{both} (they all become model {name}; rename all but one at the source)")
        else:
            names[found[0]] = name
    return names


def checked_manifest(data: dict[str, Any], files: list[SourceFile]) -> str | None:
    """Why a manifest of ``data`` with ``files`` would be refused (the schema, the tag cap, the
    size limit, a file name another system cannot hold), or None."""
    if not files:
        return "it has no artifact files"
    if len(files) > MAX_FILES:
        return f"it has {len(files)} files, more than the {MAX_FILES} an import takes"
    if len(data.get("tags") or []) > MAX_TAGS:
        return f"it has {len(data['tags'])} tags, more than the {MAX_TAGS} a manifest may hold"
    tops = dict.fromkeys(f.path.split("/", 1)[0] for f in files)  # what DVC tracks: one per top entry
    folder = f"models/{data.get('name')}/{data.get('version')}"
    placeholder = [Artifact(path=f"{folder}/{top}", md5="0" * 32 + ".dir", size=0, nfiles=1) for top in tops]
    try:
        manifest = Manifest.model_validate({**data, "artifacts": placeholder})
    except ValidationError as e:
        return first_error(e)
    size = len(yamlio.dump(schemas.model_to_data(manifest)).encode())
    if size > yamlio.MAX_DOCUMENT_BYTES // 2:
        return f"its manifest would be {size} bytes, over half the {yamlio.MAX_DOCUMENT_BYTES}-byte limit"
    return unportable_files([f.path for f in files])


def unportable_files(paths: list[str]) -> str | None:
    """Why these file paths cannot all be written below a version's folder on every system
    (an unsafe or reserved name, two names that differ only by case, a file that is also a
    folder), or None."""
    collisions = layout.case_collisions(paths)
    if collisions:
        return f"artifacts {collisions[0][1]!r} and {collisions[0][0]!r} differ only by case"
    seen: dict[str, str] = {}
    for path in paths:
        why = _unsafe_file(path)
        if why:
            return why
        other = seen.setdefault(path.lower(), path)
        if other != path:
            return f"artifacts {other!r} and {path!r} differ only by case"
    folders = {path.lower().rsplit("/", i)[0] for path in paths for i in range(1, path.count("/") + 1)}
    clash = sorted(p for p in seen if p in folders)
    return f"artifact {seen[clash[0]]!r} is both a file and a folder" if clash else None


def _unsafe_file(path: str) -> str | None:
    """Why one artifact path cannot be written (the one path rule, DVC's own names, a name
    Windows cannot hold), as a sentence; None when it can."""
    why = layout.unsafe_path(path)
    top = path.split("/", 1)[0]
    if why is None and (top.startswith(".") or top.endswith(".dvc")):
        why = "is hidden or ends in .dvc, which DVC keeps for itself"
    if why is not None:
        return f"artifact {path!r} {why}"
    for part in path.split("/"):
        try:
            layout.check_file_name(part, what="artifact")
        except InvalidInputError as e:
            return str(e)
    return None


def parse_map(pairs: tuple[str, ...], *, option: str) -> dict[str, str]:
    """``("champion=production", ...)`` as a dict; InvalidInputError for a malformed pair."""
    found: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InvalidInputError(f"{option} {pair!r}: write FROM=STAGE, e.g. {option} champion=production")
        found[key.strip()] = value.strip()
    return found
