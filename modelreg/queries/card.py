"""A model card: what a reviewer or an auditor reads about one version, gathered from its
manifest, its model's facts, the policy of the stage it would enter next, that stage's current
holder, its lineage and its history."""

from __future__ import annotations

from pydantic import BaseModel

from modelreg.domain.errors import NotFoundError
from modelreg.domain.models import ModelSummary, ModelVersion, RegistryConfig, Requirements
from modelreg.domain.numbers import number
from modelreg.history import audit
from modelreg.history.engine import Event
from modelreg.queries.catalog import Catalog
from modelreg.queries.compare import Comparison, compare
from modelreg.queries.lineage import LineageGraph, lineage
from modelreg.rules import policy

# Stages a version leaves the lifecycle by: never "the next stage" of a card.
_EXITS = {"archived", "deprecated"}


class MetricRow(BaseModel):
    """A metric of the version beside the target stage's requirement and its current holder."""

    metric: str
    goal: str | None = None
    value: float | None = None
    requirement: str | None = None  # e.g. ">= 0.9", "not worse than the current holder"
    holder_value: float | None = None
    verdict: str | None = None  # better | worse | same, against the holder, by goal


class StageHistoryRow(BaseModel):
    """One event of the version's history, with who asked for it and who let it in."""

    date: str
    kind: str
    from_stage: str | None = None
    to_stage: str | None = None
    # the change's audit record (``CommitInfo.audit``)
    requester: str | None = None
    approver: str | None = None
    reviewers: list[str] = []
    pull_request: int | None = None
    reason: str = ""
    commit: str
    subject: str


class ModelCard(BaseModel):
    """Everything a card shows; ``render.card`` turns it into Markdown or HTML."""

    version: ModelVersion
    model: ModelSummary
    target_stage: str | None = None
    requirements: Requirements | None = None
    unmet: list[str] = []  # requirements of the target stage this version does not meet
    holder: ModelVersion | None = None  # the target stage's current holder
    metrics: list[MetricRow] = []
    comparison: Comparison | None = None  # the holder first, then this version
    lineage: LineageGraph
    history: list[StageHistoryRow] | None = None  # None: not read (promote's pull request body)


def next_stage(config: RegistryConfig, stage: str) -> str | None:
    """The first stage after ``stage`` in registry.yaml that accepts versions from it,
    leaving out archived and deprecated: where a version of ``stage`` would go next."""
    names = list(config.stages)
    later = names[names.index(stage) + 1 :] if stage in names else names
    return next((s for s in later if stage in config.stages[s].from_ and s not in _EXITS), None)


def model_card(registry: Catalog, ref: str, *, stage: str | None = None, history: bool = True) -> ModelCard:
    """The card of the version ``ref`` names, judged against ``stage`` (default: its next stage).
    ``history=False`` leaves the stage history out: reading it the first time in a clone is a
    pass over the whole log (80+ s on a registry of 20,000 versions), which ``promote`` skips."""
    found = registry.get(ref)
    config = registry.config
    target = stage or next_stage(config, found.stage)
    if target is not None and target not in config.stages:
        raise NotFoundError(f"unknown stage {target!r}; registry.yaml defines: {', '.join(config.stages)}")
    holder = _holder(registry, config, found, target)
    card = ModelCard(
        version=found,
        model=registry.model(found.name),
        target_stage=target,
        holder=holder,
        lineage=lineage(registry, found.ref, direction="up"),  # what it derives from
        history=_history(registry, found) if history else None,
    )
    if target is not None:
        card.requirements = config.stages[target].requires
        move = policy.Move(name=found.name, version=found.version, from_stage=found.stage, to_stage=target)
        held = holder.manifest if holder else None
        card.unmet = [v.detail for v in policy.requirement_violations(config, move, found.manifest, held)]
    card.metrics = _metric_rows(config, found, card.requirements, holder)
    if holder is not None:
        card.comparison = compare(registry, [holder.ref, found.ref])
    return card


def _holder(
    registry: Catalog, config: RegistryConfig, found: ModelVersion, target: str | None
) -> ModelVersion | None:
    if target is None:
        return None
    held = policy.holders(config, registry.model_snapshot(found.name), found.name, target)
    others = [v for v in held if v != found.version]
    return registry.get(f"{found.name}@{others[0]}") if others else None


def _metric_rows(
    config: RegistryConfig, found: ModelVersion, requires: Requirements | None, holder: ModelVersion | None
) -> list[MetricRow]:
    bounds = requires.metrics if requires else {}
    relative = set(requires.not_worse_than_current) if requires else set()
    theirs = holder.manifest.metrics if holder else {}
    names = list(dict.fromkeys([*found.manifest.metrics, *bounds, *relative, *theirs]))
    rows = []
    for name in names:
        ours, other = found.manifest.metrics.get(name), theirs.get(name)
        goal = config.metrics.get(name)
        parts = []
        low, high = (bounds[name].min, bounds[name].max) if name in bounds else (None, None)
        if low is not None:
            parts.append(f">= {number(low)}")
        if high is not None:
            parts.append(f"<= {number(high)}")
        if name in relative:
            parts.append("not worse than the current holder")
        judged = policy.verdict(goal, ours - other) if ours is not None and other is not None else None
        rows.append(
            MetricRow(
                metric=name,
                goal=goal,
                value=ours,
                requirement=", ".join(parts) or None,
                holder_value=other,
                verdict=judged,
            )
        )
    return rows


def _history(registry: Catalog, found: ModelVersion) -> list[StageHistoryRow]:
    """The version's events, oldest first, each with its change's audit record."""
    try:
        trail = audit.trail(registry.root, model=found.name, version=found.version, tip=registry.rev)
    except NotFoundError:  # not committed yet: no history to show
        return []
    return [_history_row(e) for e in reversed(trail.events)]


def _history_row(event: Event) -> StageHistoryRow:
    c = event.commit
    record = c.audit
    return StageHistoryRow(
        date=c.commit_date.isoformat(),
        kind=event.kind,
        from_stage=event.from_stage,
        to_stage=event.to_stage,
        requester=record.requested_by,
        approver=record.approved_by,
        reviewers=record.reviewers,
        pull_request=record.pr,
        reason=record.reason,
        commit=c.sha,
        subject=c.subject,
    )
