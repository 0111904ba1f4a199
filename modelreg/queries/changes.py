"""What a change does to each model: its stage moves and new versions, each candidate shown
beside the version it would replace. ``check``'s summary and ``promote``'s pull request body
are both rendered from these objects."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from modelreg.documents.snapshot import Snapshot
from modelreg.domain.models import Manifest, RegistryConfig
from modelreg.domain.numbers import difference
from modelreg.domain.problems import Problem
from modelreg.queries import lineage
from modelreg.queries.lineage import LineageGraph
from modelreg.rules import policy
from modelreg.rules import validation as rules
from modelreg.rules.policy import Move


class MetricRow(BaseModel):
    """One metric of a candidate beside the same metric of what it is compared with."""

    metric: str
    candidate: float | None = None
    current: float | None = None
    delta: float | None = None
    verdict: str | None = None  # better | worse | same, by the metric's goal; None without one


class CandidateComparison(BaseModel):
    """A version entering a stage (or newly registered) beside the version it is measured against."""

    model: str
    version: str
    from_stage: str | None  # None for a version registered by this change
    to_stage: str
    against: str | None  # the current holder of to_stage (or, for a new version, its parent)
    against_role: str  # e.g. "production now", "parent"
    replaces: bool = False  # ``against`` leaves to_stage in the same change
    metrics: list[MetricRow]
    parents: list[str]
    registered_by: str
    registered_at: datetime
    description: str = ""
    lineage: LineageGraph | None = None  # ancestors, a few generations up


class DeploymentChange(BaseModel):
    """An environment that runs another version (or another endpoint or traffic), or none."""

    environment: str
    version: str | None  # None: undeployed
    previous: str | None  # the version it ran before (None: none)
    detail: str = ""  # endpoint and traffic, when given


class EvaluationChange(BaseModel):
    """An evaluation appended to a version's manifest."""

    version: str
    dataset: str
    kind: str
    metrics: dict[str, float]


class ModelChange(BaseModel):
    """Everything one change does to one model."""

    model: str
    registered: list[str] = []
    moves: list[Move] = []
    comparisons: list[CandidateComparison] = []
    deployments: list[DeploymentChange] = []
    evaluations: list[EvaluationChange] = []

    @property
    def empty(self) -> bool:
        return not (self.registered or self.moves or self.deployments or self.evaluations)


def deployment_changes(before: Snapshot, after: Snapshot, name: str) -> list[DeploymentChange]:
    """Each environment of ``name`` whose deployment differs between the two snapshots."""
    old, new = before.deployments.get(name, {}), after.deployments.get(name, {})
    found = []
    for env in sorted(set(old) | set(new)):
        was, now = old.get(env), new.get(env)
        if was == now:
            continue
        parts = []
        if now is not None and now.endpoint:
            parts.append(f"endpoint {now.endpoint}")
        if now is not None and now.traffic is not None:
            parts.append(f"traffic {now.traffic:g}%")
        found.append(
            DeploymentChange(
                environment=env,
                version=now.version if now else None,
                previous=was.version if was else None,
                detail=", ".join(parts),
            )
        )
    return found


def evaluation_changes(before: Snapshot, after: Snapshot, name: str) -> list[EvaluationChange]:
    """Evaluations appended to ``name``'s versions between the two snapshots."""
    found = []
    for version in after.versions(name):
        old, new = before.manifests.get((name, version)), after.manifests.get((name, version))
        if old is None or new is None or len(new.evaluations) <= len(old.evaluations):
            continue
        for e in new.evaluations[len(old.evaluations) :]:
            on = f"{e.dataset.name}@{e.dataset.version}" if e.dataset.version else e.dataset.name
            found.append(EvaluationChange(version=version, dataset=on, kind=e.kind, metrics=e.metrics))
    return found


def metric_rows(config: RegistryConfig, candidate: Manifest, other: Manifest | None) -> list[MetricRow]:
    """The candidate's metrics, then the other's, each with its delta and verdict."""
    theirs = other.metrics if other else {}
    names = list(dict.fromkeys([*candidate.metrics, *theirs]))
    rows = []
    for name in names:
        ours, current = candidate.metrics.get(name), theirs.get(name)
        delta = difference(ours, current) if ours is not None and current is not None else None
        verdict = policy.verdict(config.metrics.get(name), delta) if delta is not None else None
        rows.append(MetricRow(metric=name, candidate=ours, current=current, delta=delta, verdict=verdict))
    return rows


def _comparison(
    config: RegistryConfig,
    candidate: Manifest,
    other: Manifest | None,
    *,
    from_stage: str | None,
    to_stage: str,
    role: str,
) -> CandidateComparison:
    return CandidateComparison(
        model=candidate.name,
        version=candidate.version,
        from_stage=from_stage,
        to_stage=to_stage,
        against=other.version if other else None,
        against_role=role,
        metrics=metric_rows(config, candidate, other),
        parents=[f"{p.ref} ({p.relation})" for p in candidate.lineage.parents],
        registered_by=candidate.created_by,
        registered_at=candidate.created_at,
        description=candidate.description,
    )


def is_displacement(config: RegistryConfig, move: Move, moves: list[Move]) -> bool:
    """Whether ``move`` only makes room: a holder pushed out of a stage another version enters."""
    if config.stages.get(move.from_stage) is None:
        return False
    entering = {m.to_stage for m in moves if m is not move}
    return move.from_stage in entering and move.to_stage == config.displace_target(move.from_stage)


def model_change(
    config: RegistryConfig,
    before: Snapshot,
    manifests: dict[tuple[str, str], Manifest],
    *,
    name: str,
    moves: list[Move],
    registered: list[str],
    lineage_from: Snapshot | None = None,
) -> ModelChange:
    """``name``'s change: each candidate move compared with the stage's holder in ``before``,
    each new version with its first parent; ``manifests`` are the versions as they will be."""
    holders = policy.current_holders(config, before, name, moves)
    comparisons = []
    for move in moves:
        candidate = manifests.get((name, move.version))
        if candidate is None or is_displacement(config, move, moves):
            continue
        role = f"{move.to_stage} now"
        other = holders.get(move.to_stage)
        compared = _comparison(
            config, candidate, other, from_stage=move.from_stage, to_stage=move.to_stage, role=role
        )
        compared.replaces = other is not None and any(
            m.version == other.version and m.from_stage == move.to_stage for m in moves
        )
        comparisons.append(compared)
    moved = {m.version for m in moves}
    for version in registered:
        candidate = manifests.get((name, version))
        if candidate is None or version in moved:
            continue
        parent = _first_parent(candidate, manifests)
        comparisons.append(
            _comparison(
                config, candidate, parent, from_stage=None, to_stage=config.initial_stage, role="parent"
            )
        )
    if lineage_from is not None:
        for c in comparisons:
            if c.parents:
                c.lineage = build((c.model, c.version), lineage_from)
    return ModelChange(model=name, registered=registered, moves=moves, comparisons=comparisons)


LINEAGE_DEPTH = 3


def build(key: tuple[str, str], snap: Snapshot) -> LineageGraph:
    return lineage.build(snap, key, depth=LINEAGE_DEPTH, direction="up")


def _first_parent(candidate: Manifest, manifests: dict[tuple[str, str], Manifest]) -> Manifest | None:
    for parent in candidate.lineage.parents:
        key = rules.parent_key(parent.ref)
        if key is not None and key in manifests:
            return manifests[key]
    return None


class CheckReport(BaseModel):
    """The verdict on a change: every problem found, and what the change does to each model."""

    ok: bool
    base: str
    head: str
    base_commit: str
    head_commit: str
    fork_point: str
    files: int
    changes: list[ModelChange]
    problems: list[Problem]
