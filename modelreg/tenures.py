"""Who held a stage, from when to when, and through which pull request; what a rollback returns to."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from modelreg.errors import NotFoundError
from modelreg.history import CommitInfo, Event


class Tenure(BaseModel):
    """One stay of a version in a stage: entered by one commit, left by another (or still there)."""

    model: str
    version: str
    stage: str
    since: datetime
    until: datetime | None = None
    entered: CommitInfo
    left: CommitInfo | None = None
    left_to: str | None = None
    metrics: dict[str, float] = {}

    @property
    def current(self) -> bool:
        return self.left is None

    @property
    def pr(self) -> int | None:
        return self.entered.pr


def stage_tenures(events: list[Event], model: str, stage: str, *, initial: str) -> list[Tenure]:
    """Every stay of ``model``'s versions in ``stage``, in the order they began.

    ``events`` are oldest first; ``initial`` is the stage a registered version starts in.
    """
    open_: dict[str, Tenure] = {}
    done: list[Tenure] = []
    for event in events:
        if event.model != model or event.version is None:
            continue
        entered = event.kind == "registered" and stage == initial
        entered = entered or event.kind == "stage_changed" and event.to_stage == stage
        left = event.kind == "stage_changed" and event.from_stage == stage
        if left and event.version in open_:
            tenure = open_.pop(event.version)
            tenure.until, tenure.left, tenure.left_to = event.commit.commit_date, event.commit, event.to_stage
            done.append(tenure)
        if entered and event.version not in open_:
            open_[event.version] = Tenure(
                model=model,
                version=event.version,
                stage=stage,
                since=event.commit.commit_date,
                entered=event.commit,
            )
    return sorted([*done, *open_.values()], key=lambda t: (t.since, t.until is None))


def held_since(events: list[Event], model: str, version: str, stage: str, *, initial: str) -> Tenure | None:
    """The stay of ``model@version`` in ``stage`` that is still open at the end of ``events``."""
    for tenure in reversed(stage_tenures(events, model, stage, initial=initial)):
        if tenure.version == version and tenure.current:
            return tenure
    return None


class RollbackPlan(BaseModel):
    """What rolling ``stage`` back means: the current holder, and the one it replaced."""

    model: str
    stage: str
    current: Tenure
    previous: Tenure

    @property
    def summary(self) -> str:
        via = f" (PR #{self.current.pr})" if self.current.pr else f" (commit {self.current.entered.short})"
        return (
            f"roll back {self.model} {self.stage} from {self.current.version}{via} to {self.previous.version}"
        )


def rollback_target(events: list[Event], model: str, stage: str, *, initial: str) -> RollbackPlan:
    """The version that held ``stage`` before its current holder, and what put the current one there.

    NotFoundError when nothing holds the stage now or nothing else held it before.
    """
    tenures = stage_tenures(events, model, stage, initial=initial)
    current = [t for t in tenures if t.current]
    if not current:
        raise NotFoundError(f"no version of {model} is in {stage} now; there is nothing to roll back")
    latest = max(current, key=lambda t: t.since)
    holding = {t.version for t in current}
    earlier = [
        t
        for t in tenures
        if not t.current and t.version not in holding and t.until and t.until <= latest.since
    ]
    if not earlier:
        raise NotFoundError(
            f"no version of {model} held {stage} before {latest.version}; there is nothing to roll back to"
        )
    previous = max(earlier, key=lambda t: (t.until or t.since, t.since))
    return RollbackPlan(model=model, stage=stage, current=latest, previous=previous)


def held_before(events: list[Event], model: str, *, initial: str) -> set[tuple[str, str, str]]:
    """(model, version, stage) for every stage each version of ``model`` has stood in."""
    found = set()
    for event in events:
        if event.model != model or event.version is None:
            continue
        if event.kind == "registered":
            found.add((model, event.version, initial))
        elif event.kind == "stage_changed" and event.to_stage:
            found.add((model, event.version, event.to_stage))
    return found
