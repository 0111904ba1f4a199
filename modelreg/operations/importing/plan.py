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

from modelreg.domain import layout
from modelreg.domain.errors import InvalidInputError
from modelreg.domain.models import Artifact, Manifest, ModelFacts

TRAILER = "Modelreg-Import"


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


def from_millis(millis: object) -> datetime:
    """A datetime from MLflow's milliseconds since the epoch (whole seconds: Git keeps no less)."""
    return datetime.fromtimestamp(int(str(millis or 0)) // 1000, tz=timezone.utc)


_NOT_NAME = re.compile(r"[^a-z0-9]+")


def model_name(raw: str) -> str:
    """A modelreg model name for a name from elsewhere ("Churn Model" -> churn-model)."""
    return _NOT_NAME.sub("-", raw.lower()).strip("-")[:63]


def checked_manifest(data: dict[str, Any], files: list[SourceFile]) -> str | None:
    """Why a manifest of ``data`` with ``files`` would be refused by the schema, or None."""
    placeholder = [Artifact(path=f"x/{f.path}", md5="0" * 32, size=f.size) for f in files[:1]]
    try:
        Manifest.model_validate({**data, "artifacts": placeholder})
    except ValidationError as e:
        first = e.errors()[0]
        return f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}"
    for f in files:
        why = layout.unsafe_path(f.path)
        if why:
            return f"artifact {f.path!r} {why}"
    collisions = layout.case_collisions(f.path for f in files)
    if collisions:
        return f"artifacts {collisions[0][1]!r} and {collisions[0][0]!r} differ only by case"
    return None if files else "it has no artifact files"


def parse_map(pairs: tuple[str, ...], *, option: str) -> dict[str, str]:
    """``("champion=production", ...)`` as a dict; InvalidInputError for a malformed pair."""
    found: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InvalidInputError(f"{option} {pair!r}: write FROM=STAGE, e.g. {option} champion=production")
        found[key.strip()] = value.strip()
    return found
