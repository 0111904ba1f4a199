"""Who held a stage, from when to when, and through which pull request; what a rollback returns to."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from pydantic import BaseModel

from modelreg.domain.errors import InvalidInputError, NotFoundError
from modelreg.history.engine import CommitInfo, Event


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


class Candidate(BaseModel):
    """A version that held the stage before its current holder, and whether it may return."""

    tenure: Tenure  # its latest stay in the stage
    stage_now: str
    refused: str | None = None  # why it is not put back (None: it may be)

    @property
    def version(self) -> str:
        return self.tenure.version

    @property
    def line(self) -> str:
        held = f"held {self.tenure.stage} until {self.tenure.until:%Y-%m-%d}; " if self.tenure.until else ""
        stays = ", stays there" if self.refused else ""
        return f"{self.version} ({held}{self.stage_now} now{stays})"


class RollbackPlan(BaseModel):
    """What rolling ``stage`` back means: the current holder, the one that returns, and every
    earlier holder considered (most recent first)."""

    model: str
    stage: str
    current: Tenure
    previous: Tenure
    candidates: list[Candidate] = []

    @property
    def summary(self) -> str:
        via = f" (PR #{self.current.pr})" if self.current.pr else f" (commit {self.current.entered.short})"
        return (
            f"roll back {self.model} {self.stage} from {self.current.version}{via} to {self.previous.version}"
        )


def rollback_target(
    events: list[Event],
    model: str,
    stage: str,
    *,
    initial: str,
    stage_now: Mapping[str, str] | None = None,
    active: Collection[str] = (),
    version: str | None = None,
) -> RollbackPlan:
    """The most recent earlier holder of ``stage`` that does not now hold another ``active``
    stage (``stage_now``: each version's stage now), or ``version`` when given; and what put
    the current holder there.

    NotFoundError when nothing holds the stage now or no earlier holder may return."""
    tenures = stage_tenures(events, model, stage, initial=initial)
    current = [t for t in tenures if t.current]
    if not current:
        raise NotFoundError(f"no version of {model} is in {stage} now; there is nothing to roll back")
    latest = max(current, key=lambda t: t.since)
    candidates = _candidates(tenures, latest, stage_now or {}, active, initial)
    if not candidates:
        raise NotFoundError(
            f"no version of {model} held {stage} before {latest.version}; there is nothing to roll back to"
        )
    chosen = _chosen(candidates, model, stage, version)
    return RollbackPlan(
        model=model, stage=stage, current=latest, previous=chosen.tenure, candidates=candidates
    )


def _candidates(
    tenures: list[Tenure], latest: Tenure, stage_now: Mapping[str, str], active: Collection[str], initial: str
) -> list[Candidate]:
    """Each version that held the stage before ``latest`` entered it (its latest stay), most
    recent first, with why it may not return: it holds the stage now, or another active one."""
    holding = {t.version for t in tenures if t.current}
    stays: dict[str, Tenure] = {}
    for t in tenures:
        if t.current or not t.until or t.until > latest.since:
            continue
        if t.version not in stays or (t.until, t.since) > (stays[t.version].until or t.since, t.since):
            stays[t.version] = t
    found = []
    for t in sorted(stays.values(), key=lambda t: (t.until or t.since, t.since), reverse=True):
        now = stage_now.get(t.version, initial)
        refused = None
        if t.version in holding:
            refused = f"it holds {t.stage} now"
        elif now in active and now != t.stage:
            refused = f"it holds {now} now, an active stage a rollback does not take versions from"
        found.append(Candidate(tenure=t, stage_now=now, refused=refused))
    return found


def _chosen(candidates: list[Candidate], model: str, stage: str, version: str | None) -> Candidate:
    listed = ", ".join(c.line for c in candidates)
    if version is not None:
        for c in candidates:
            if c.version == version:
                if c.refused:
                    raise InvalidInputError(f"cannot put {model}@{version} back in {stage}: {c.refused}")
                return c
        raise NotFoundError(
            f"{model}@{version} did not hold {stage} before its current holder; the earlier holders: {listed}"
        )
    for c in candidates:
        if c.refused is None:
            return c
    raise NotFoundError(
        f"no earlier holder of {stage} of {model} can return without leaving the stage it holds now: {listed}"
    )
