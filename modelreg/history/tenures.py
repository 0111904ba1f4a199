"""Who held a stage, from when to when, and through which pull request; what a rollback returns to."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

from pydantic import BaseModel

from modelreg.domain.errors import NotFoundError
from modelreg.domain.models import Manifest, RegistryConfig
from modelreg.history.engine import CommitInfo, Event
from modelreg.rules import policy


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


def earned_stages(
    config: RegistryConfig,
    events: list[Event],
    name: str,
    manifests: Mapping[tuple[str, str], Manifest],
) -> set[tuple[str, str, str]]:
    """(name, version, stage) for every stage a version of ``name`` entered, on the branch whose
    ``events`` (oldest first) these are, by a move ``config``'s rules allow: the transition,
    the stage's requirements against the holder it replaced, and the stage's capacity. These
    are the stages a version may return to (a rollback).

    A move that history flags as a violation, or that the rules refuse now, earns nothing: a
    stage cannot be earned by a commit that skipped the gate and was reverted. The initial
    stage is never earned: every version stands there before it is judged at all.
    """
    flagged = {(e.commit.sha, e.version) for e in events if e.kind == "violation" and e.model == name}
    lists: dict[str, list[str]] = {}
    versions: list[str] = []
    found: set[tuple[str, str, str]] = set()
    for sha, group in _by_commit(e for e in events if e.model == name and e.version):
        versions += [e.version for e in group if e.kind == "registered" and e.version]
        moves = [
            policy.Move(name=name, version=e.version, from_stage=e.from_stage, to_stage=e.to_stage)
            for e in group
            if e.kind == "stage_changed" and e.version and e.from_stage and e.to_stage
        ]
        if not moves:
            continue
        current = {
            m.to_stage: manifests.get((name, held[0]))
            for m in moves
            if (held := policy.holders_in(config, lists, versions, m.to_stage))
        }
        refused = {v.ref for v in policy.judge(config, moves, manifests, current)}
        lists = _applied(lists, moves)
        full = {v.stage for v in policy.over_capacity(config, name, lists, versions)}
        for move in moves:
            if (
                move.to_stage != config.initial_stage
                and move.ref not in refused
                and move.to_stage not in full
                and (sha, move.version) not in flagged
            ):
                found.add((name, move.version, move.to_stage))
    return found


def _by_commit(events: Iterable[Event]) -> Iterator[tuple[str, list[Event]]]:
    """Consecutive events grouped by the commit that made them."""
    group: list[Event] = []
    for event in events:
        if group and group[0].commit.sha != event.commit.sha:
            yield group[0].commit.sha, group
            group = []
        group.append(event)
    if group:
        yield group[0].commit.sha, group


def _applied(lists: dict[str, list[str]], moves: list[policy.Move]) -> dict[str, list[str]]:
    """Stage lists after ``moves`` (a version leaves its old list and joins the new one)."""
    moved = {m.version: m.to_stage for m in moves}
    result = {s: [v for v in held if v not in moved] for s, held in lists.items()}
    for version, stage in moved.items():
        result.setdefault(stage, []).append(version)
    return result
