"""Stage rules shared by ``promote`` and ``check``: transitions, requirements, capacity.

Everything here is pure: it takes typed documents and returns typed results. ``promote``
asks it before touching anything; ``check`` asks it about every move between two commits.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from pydantic import BaseModel

from modelreg.documents import signature
from modelreg.documents.snapshot import Snapshot
from modelreg.domain import dating, semver
from modelreg.domain.models import Evaluation, Manifest, MetricBound, RegistryConfig, StagePolicy
from modelreg.domain.numbers import number

StageLists = dict[str, list[str]]


class Move(BaseModel):
    """One version changing stage."""

    name: str
    version: str
    from_stage: str
    to_stage: str

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def __str__(self) -> str:
        return f"{self.ref}: {self.from_stage} -> {self.to_stage}"


class Violation(BaseModel):
    """A move that breaks a rule: which rule, which stage it concerns, and what is wrong."""

    rule: str  # transition | requirement | capacity
    ref: str
    stage: str
    message: str  # names the version: for check's list of problems
    detail: str  # the same without the version: for promote, which names it once


class Placement(BaseModel):
    """A model's stage lists after a move, and the holders it pushed out."""

    stages: StageLists
    displaced: list[Move]


def stage_of(config: RegistryConfig, stages: StageLists, version: str) -> str:
    """The stage ``version`` stands in: where ``stages`` lists it, else the initial stage."""
    return config.stage_of(stages, version)


def holders(config: RegistryConfig, snap: Snapshot, name: str, stage: str) -> list[str]:
    """Versions of ``name`` in ``stage`` according to ``snap``, highest first."""
    return holders_in(config, snap.stages.get(name, {}), snap.versions(name), stage)


def holders_in(config: RegistryConfig, stages: StageLists, versions: list[str], stage: str) -> list[str]:
    """Versions of ``versions`` whose effective stage in ``stages`` is ``stage``, highest first:
    the listed ones, and for the initial stage every version listed nowhere."""
    held = [v for v in versions if stage_of(config, stages, v) == stage]
    return sorted(held, key=semver.sort_key, reverse=True)


def effective_stages(config: RegistryConfig, stages: StageLists, versions: list[str]) -> dict[str, str]:
    """version -> the stage it stands in under ``config`` (unlisted: the initial stage)."""
    return {v: stage_of(config, stages, v) for v in versions}


def over_capacity(
    config: RegistryConfig, name: str, stages: StageLists, versions: list[str]
) -> list[Violation]:
    """Every stage that holds more of ``name``'s versions than its ``max_versions``, counting
    each version where it effectively stands (unlisted versions in the initial stage)."""
    found = []
    placed = effective_stages(config, stages, versions)
    for stage, rules in config.stages.items():
        limit = rules.max_versions
        held = [v for v, s in placed.items() if s == stage]
        if limit is not None and len(held) > limit:
            detail = f"{stage} holds {len(held)} versions, more than its max_versions of {limit}"
            found.append(Violation(rule="capacity", ref=name, stage=stage, message=detail, detail=detail))
    return found


def moves_between(
    config: RegistryConfig, name: str, before: StageLists, after: StageLists, versions: list[str]
) -> list[Move]:
    """Every version of ``versions`` whose stage differs between ``before`` and ``after``."""
    found = []
    for version in sorted(versions, key=semver.sort_key):
        old, new = stage_of(config, before, version), stage_of(config, after, version)
        if old != new:
            found.append(Move(name=name, version=version, from_stage=old, to_stage=new))
    return found


def place(
    config: RegistryConfig,
    name: str,
    stages: StageLists,
    version: str,
    to_stage: str,
    *,
    replacing: str | None = None,
) -> Placement:
    """``stages`` with ``version`` moved to ``to_stage``, displacing the oldest holders when the
    stage would exceed ``max_versions`` (they go to ``config.displace_target(to_stage)``).
    ``replacing`` (a rollback's current holder) leaves the stage the same way, whatever its room."""
    lists = {s: [v for v in held if v != version] for s, held in stages.items()}
    displaced: list[Move] = []
    if replacing is not None and replacing != version and replacing in lists.get(to_stage, []):
        target = config.displace_target(to_stage)
        lists[to_stage].remove(replacing)
        if target != config.initial_stage:
            lists.setdefault(target, []).append(replacing)
        displaced.append(Move(name=name, version=replacing, from_stage=to_stage, to_stage=target))
    if to_stage != config.initial_stage:
        lists.setdefault(to_stage, []).append(version)
    limit = config.stages[to_stage].max_versions
    if limit is not None and to_stage != config.initial_stage:
        others = sorted((v for v in lists[to_stage] if v != version), key=semver.sort_key)
        while len(lists[to_stage]) > limit and others:
            out = others.pop(0)
            target = config.displace_target(to_stage)
            lists[to_stage].remove(out)
            if target != config.initial_stage:
                lists.setdefault(target, []).append(out)
            displaced.append(Move(name=name, version=out, from_stage=to_stage, to_stage=target))
    return Placement(stages={s: held for s, held in lists.items() if held}, displaced=displaced)


def transition_violation(config: RegistryConfig, move: Move) -> Violation | None:
    """Why ``move`` is not an allowed transition, or None when it is."""
    policy = config.stages.get(move.to_stage)
    if policy is None:
        detail = f"unknown stage {move.to_stage!r}; registry.yaml defines {', '.join(config.stages)}"
    elif move.from_stage in policy.from_:
        return None
    else:
        accepted = ", ".join(policy.from_) if policy.from_ else "no stage"
        detail = (
            f"{move.from_stage} -> {move.to_stage} is not an allowed transition; "
            f"{move.to_stage} accepts versions from {accepted} (registry.yaml)"
        )
    message = f"{move.ref}: {detail}"
    return Violation(rule="transition", ref=move.ref, stage=move.to_stage, message=message, detail=detail)


def requirement_violations(
    config: RegistryConfig, move: Move, candidate: Manifest, current: Manifest | None
) -> list[Violation]:
    """Every requirement of the target stage that ``candidate`` does not meet.

    ``current`` is the version that holds the target stage now (None when it is empty).
    """
    policy = config.stages.get(move.to_stage)
    if policy is None:
        return []
    messages = [
        *_missing_fields(policy, candidate),
        *_metric_bounds(policy, candidate),
        *evaluation_shortfalls(policy.requires.evaluations, candidate),
        *_worse_than_current(config, policy, candidate, current),
        *_signature_changed(policy, candidate, current),
    ]
    prefix = f"{move.ref} cannot enter {move.to_stage}: "
    return [
        Violation(rule="requirement", ref=move.ref, stage=move.to_stage, message=prefix + m, detail=m)
        for m in messages
    ]


def _missing_fields(policy: StagePolicy, candidate: Manifest) -> list[str]:
    data = candidate.model_dump(mode="json", by_alias=True)
    return [
        f"required field {field} is missing or empty"
        for field in policy.requires.fields
        if _is_empty(field_value(data, field))
    ]


def field_value(data: Any, dotted: str) -> Any:
    """The value at a dotted path (``data.training``) in plain data, or None."""
    for key in dotted.split("."):
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _is_empty(value: Any) -> bool:
    return value is None or value in ("", [], {})


def _metric_bounds(policy: StagePolicy, candidate: Manifest) -> list[str]:
    found = []
    for metric, bound in policy.requires.metrics.items():
        value = candidate.metrics.get(metric)
        if value is None:
            found.append(f"it records no metric {metric}, which the stage requires")
        elif bound.min is not None and value < bound.min:
            found.append(f"{metric} {number(value)} is below the minimum {number(bound.min)}")
        elif bound.max is not None and value > bound.max:
            found.append(f"{metric} {number(value)} is above the maximum {number(bound.max)}")
    return found


def latest_evaluation(candidate: Manifest, dataset: str) -> Evaluation | None:
    """The evaluation of ``candidate`` appended last on a dataset named ``dataset`` (any
    version of it): later evaluations supersede, by the order of the list, never by date."""
    return dating.latest_evaluation(candidate.evaluations, dataset)


def evaluation_shortfalls(
    required: Mapping[str, Mapping[str, MetricBound]], candidate: Manifest
) -> list[str]:
    """What ``candidate``'s evaluations lack against a stage's ``requires.evaluations``: for each
    dataset name, its latest evaluation on a dataset of that name must meet every bound."""
    found = []
    for dataset, bounds in required.items():
        latest = latest_evaluation(candidate, dataset)
        if latest is None:
            found.append(
                f"it has no evaluation on dataset {dataset}, which the stage requires "
                f"(modelreg evaluate {candidate.name}@{candidate.version} --dataset {dataset}@VERSION ...)"
            )
            continue
        on = f"{dataset}@{latest.dataset.version}" if latest.dataset.version else dataset
        for metric, bound in bounds.items():
            value = latest.metrics.get(metric)
            if value is None:
                found.append(f"its latest evaluation on {on} records no {metric}, which the stage requires")
            elif bound.min is not None and value < bound.min:
                found.append(f"{metric} {number(value)} on {on} is below the minimum {number(bound.min)}")
            elif bound.max is not None and value > bound.max:
                found.append(f"{metric} {number(value)} on {on} is above the maximum {number(bound.max)}")
    return found


def _worse_than_current(
    config: RegistryConfig, policy: StagePolicy, candidate: Manifest, current: Manifest | None
) -> list[str]:
    if current is None:
        return []
    found = []
    holder = f"{current.name}@{current.version}"
    for metric in policy.requires.not_worse_than_current:
        goal = config.metrics.get(metric)
        ours, theirs = candidate.metrics.get(metric), current.metrics.get(metric)
        if goal is None or theirs is None:
            continue
        if ours is None:
            found.append(f"it records no {metric} to compare with the current holder {holder}")
        elif verdict(goal, ours - theirs) == "worse":
            found.append(
                f"{metric} {number(ours)} is worse than {number(theirs)} of the current holder {holder} "
                f"({goal})"
            )
    return found


def _signature_changed(policy: StagePolicy, candidate: Manifest, current: Manifest | None) -> list[str]:
    """``signature_unchanged``: the candidate takes and returns what the current holder does.
    A holder that records no signature sets no baseline; a candidate without one fails."""
    if not policy.requires.signature_unchanged or current is None or current.signature is None:
        return []
    holder = f"{current.name}@{current.version}"
    if candidate.signature is None:
        return [f"it records no signature to compare with the current holder {holder}'s"]
    found = signature.diff(current.signature, candidate.signature)
    if found.unchanged:
        return []
    return [f"its signature differs from the current holder {holder}'s ({signature.summary(found)})"]


def verdict(goal: str | None, delta: float) -> str | None:
    """``better``, ``worse`` or ``same`` for a metric change under its goal; None without a goal."""
    if goal is None:
        return None
    if abs(delta) < 1e-12:  # float noise, e.g. 0.3 - 0.1 - 0.2
        return "same"
    return "better" if (delta > 0) == (goal == "maximize") else "worse"


def judge(
    config: RegistryConfig,
    moves: list[Move],
    manifests: Mapping[tuple[str, str], Manifest],
    current: Mapping[str, Manifest | None],
    *,
    returning: Collection[tuple[str, str, str]] = (),
) -> list[Violation]:
    """Every rule the ``moves`` break. ``manifests`` are the versions as they will be;
    ``current`` maps a target stage to its holder before the moves.

    A move in ``returning`` ((name, version, stage) triples: stages a version held before)
    is a rollback: it may skip the ``from`` rule and is not compared with the holder it
    replaces, but every other requirement of the stage still holds."""
    found: list[Violation] = []
    for move in moves:
        back = (move.name, move.version, move.to_stage) in returning and move.to_stage in config.stages
        bad = None if back else transition_violation(config, move)
        if bad is not None:
            found.append(bad)
            continue
        if not gates(config, move.to_stage):
            continue  # nothing to read: history judges every past move, most of them ungated
        candidate = manifests.get((move.name, move.version))
        holder = None if back else current.get(move.to_stage)
        if candidate is not None:
            found.extend(requirement_violations(config, move, candidate, holder))
    return found


def gates(config: RegistryConfig, stage: str) -> bool:
    """Whether ``stage`` has requirements a version must meet to enter it."""
    policy = config.stages.get(stage)
    return policy is not None and policy.requires != policy.requires.__class__()


Earned = Callable[[], Collection[tuple[str, str, str]]]


def change_verdicts(
    config: RegistryConfig,
    name: str,
    moves: list[Move],
    *,
    manifests: Mapping[tuple[str, str], Manifest],
    current: Mapping[str, Manifest | None],
    earned: Earned,
    after: StageLists | None,
    versions: list[str],
) -> list[Violation]:
    """The one judgement of a change to one model, asked by ``check`` of a pull request and by
    history of every commit that reached the branch: each move's transition (a version may
    return to a stage it earned, which ``earned`` gives: asked only when a transition is
    refused), the target stage's requirements, and capacity after the change (``after``: the
    model's stage lists then, None when its stages.yaml does not parse)."""
    found = judge(config, moves, manifests, current)
    if any(v.rule == "transition" for v in found):
        found = judge(config, moves, manifests, current, returning=earned())
    if after is not None:
        found += over_capacity(config, name, after, versions)
    return found


def current_holders(
    config: RegistryConfig, snap: Snapshot, name: str, moves: list[Move]
) -> dict[str, Manifest | None]:
    """The holder (highest version) in ``snap`` of each stage the ``moves`` enter."""
    return holders_of(config, snap.stages.get(name, {}), snap.versions(name), snap.manifests, name, moves)


def holders_of(
    config: RegistryConfig,
    stages: StageLists,
    versions: list[str],
    manifests: Mapping[tuple[str, str], Manifest],
    name: str,
    moves: list[Move],
    *,
    gated_only: bool = False,
) -> dict[str, Manifest | None]:
    """The holder (highest version) in ``stages`` of each stage the ``moves`` enter (with
    ``gated_only``, of those with requirements: only they compare with a holder)."""
    found: dict[str, Manifest | None] = {}
    for stage in {m.to_stage for m in moves}:
        wanted = not gated_only or gates(config, stage)
        held = holders_in(config, stages, versions, stage) if wanted else []
        found[stage] = manifests.get((name, held[0])) if held else None
    return found
