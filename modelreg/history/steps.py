"""Steps: the part of a model's events that the stages it earned depend on (``earned``), light
enough for the history engine to keep a whole walk's."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple, Protocol


class Step(NamedTuple):
    """What of one event of a model the earned stages depend on."""

    sha: str
    kind: str
    version: str | None
    from_stage: str | None
    to_stage: str | None


class _Commit(Protocol):
    @property
    def sha(self) -> str: ...


class _Event(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def model(self) -> str | None: ...
    @property
    def version(self) -> str | None: ...
    @property
    def from_stage(self) -> str | None: ...
    @property
    def to_stage(self) -> str | None: ...
    @property
    def commit(self) -> _Commit: ...


STEP_KINDS = ("registered", "stage_changed", "violation")


def steps_of(events: Iterable[_Event], name: str) -> list[Step]:
    """The steps of ``name``'s events (oldest first)."""
    return [
        Step(e.commit.sha, e.kind, e.version, e.from_stage, e.to_stage)
        for e in events
        if e.model == name and e.kind in STEP_KINDS
    ]
