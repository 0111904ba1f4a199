"""Comparisons: versions side by side (metrics by goal, params, data, lineage) and a stage over time."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, cast

from pydantic import BaseModel

from modelreg.documents import signature
from modelreg.documents.signature import SignatureDiff
from modelreg.domain import dating, refs
from modelreg.domain.errors import InvalidInputError, NotFoundError
from modelreg.domain.models import ModelVersion
from modelreg.domain.numbers import difference
from modelreg.history import audit
from modelreg.history.tenures import Tenure, stage_tenures
from modelreg.queries.catalog import Catalog
from modelreg.queries.lineage import Graph, dataset_label
from modelreg.rules import policy

Goal = Literal["maximize", "minimize"]
Verdict = Literal["better", "worse", "same"]


class Compared(BaseModel):
    """A version in a comparison."""

    ref: str
    stage: str
    created_at: datetime


class MetricComparison(BaseModel):
    """One metric across the versions: values, deltas against the first, verdicts by goal."""

    metric: str
    goal: Goal | None = None
    values: list[float | None]
    deltas: list[float | None]  # value minus the first version's value
    verdicts: list[Verdict | None]  # against the first version; None without a goal or a value
    best: str | None = None  # the ref with the best value, when the metric has a goal


class Difference(BaseModel):
    """A param or dataset whose value differs between the versions."""

    key: str
    values: list[str | None]


class Relation(BaseModel):
    """How a version relates to the first one in lineage."""

    ref: str
    kind: Literal["same", "descendant", "ancestor", "common-ancestor", "unrelated"]
    via: str | None = None  # the common ancestor, when there is one
    relations: list[str] = []  # relation types along the path, nearest first
    steps: int = 0

    def describe(self, base: str) -> str:
        path = f"{self.steps} step{'s' if self.steps != 1 else ''}: {', '.join(self.relations)}"
        if self.kind == "same":
            return f"{self.ref} is {base}"
        if self.kind == "descendant":
            return f"{self.ref} descends from {base} ({path})"
        if self.kind == "ancestor":
            return f"{self.ref} is an ancestor of {base} ({path})"
        if self.kind == "common-ancestor":
            return f"{self.ref} and {base} share the ancestor {self.via}"
        return f"{self.ref} and {base} are not related in lineage"


class SignatureChange(BaseModel):
    """How a version's signature differs from the first version's."""

    ref: str
    diff: SignatureDiff
    summary: str  # one line; an input schema change is called out as such
    inputs_changed: bool


class Comparison(BaseModel):
    """Versions side by side; every list of values follows the order of ``versions``."""

    versions: list[Compared]
    metrics: list[MetricComparison]
    params: list[Difference]
    data: list[Difference]
    relations: list[Relation]
    signatures: list[SignatureChange] = []  # each version after the first, against the first
    dataset: str | None = None  # metrics from evaluations on this dataset, not the manifests'


def compare(
    registry: Catalog, ref_list: list[str], *, metrics: list[str] | None = None, dataset: str | None = None
) -> Comparison:
    """Compare the versions ``ref_list`` names; the first is the baseline for deltas and verdicts.
    With ``dataset`` (``NAME@VERSION``), the metrics compared are those of each version's latest
    evaluation on that dataset; every version must have one."""
    if len(ref_list) < 2:
        raise InvalidInputError("give at least two references to compare, e.g. fraud@1.2.0 fraud@production")
    found = [registry.get(ref) for ref in ref_list]
    scores = [v.manifest.metrics for v in found] if dataset is None else _evaluated(found, dataset)
    goals = registry.config.metrics
    names = metrics or list(dict.fromkeys(k for s in scores for k in s))
    for name in metrics or []:
        if not any(name in s for s in scores):
            raise NotFoundError(f"none of the compared versions has a metric {name!r}")
    return Comparison(
        versions=[Compared(ref=v.ref, stage=v.stage, created_at=v.manifest.created_at) for v in found],
        metrics=[_metric(name, goals.get(name), found, scores) for name in names],
        params=_differences({k: [_param(v, k) for v in found] for k in _keys(found, "params")}),
        data=_differences({k: [_data(v, k) for v in found] for k in _keys(found, "data")}),
        relations=_relations(registry, found),
        signatures=_signatures(found),
        dataset=dataset,
    )


def _signatures(found: list[ModelVersion]) -> list[SignatureChange]:
    """The signature changes, when any of the versions records a signature."""
    if all(v.manifest.signature is None for v in found):
        return []
    first = found[0].manifest.signature
    changes = []
    for v in found[1:]:
        d = signature.diff(first, v.manifest.signature)
        changes.append(
            SignatureChange(ref=v.ref, diff=d, summary=signature.summary(d), inputs_changed=d.inputs_changed)
        )
    return changes


def _evaluated(found: list[ModelVersion], dataset: str) -> list[dict[str, float]]:
    """Each version's metrics from the evaluation on ``dataset`` (``NAME@VERSION``) appended last."""
    name, sep, version = dataset.partition("@")
    if not sep or not name or not version:
        raise InvalidInputError(f"--dataset {dataset!r}: expected NAME@VERSION, e.g. holdout@2026-11")
    scores = []
    for v in found:
        latest = dating.latest_evaluation(v.manifest.evaluations, name, version)
        if latest is None:
            shared = _shared_datasets(found)
            hint = (
                f"; all were evaluated on: {', '.join(shared)}"
                if shared
                else "; they share no evaluated dataset"
            )
            raise NotFoundError(f"{v.ref} has no evaluation on {dataset}{hint}")
        scores.append(dict(latest.metrics))
    return scores


def _shared_datasets(found: list[ModelVersion]) -> list[str]:
    sets = [{f"{e.dataset.name}@{e.dataset.version}" for e in v.manifest.evaluations} for v in found]
    return sorted(set.intersection(*sets)) if sets else []


def _param(found: ModelVersion, key: str) -> str | None:
    params = found.manifest.params
    return str(params[key]) if key in params else None


def _data(found: ModelVersion, role: str) -> str | None:
    data = found.manifest.data
    return dataset_label(data[role]) if role in data else None


def _keys(found: list[ModelVersion], section: Literal["params", "data"]) -> list[str]:
    return list(dict.fromkeys(k for v in found for k in getattr(v.manifest, section)))


def _differences(values: dict[str, list[str | None]]) -> list[Difference]:
    return [Difference(key=k, values=vals) for k, vals in values.items() if len(set(vals)) > 1]


def _metric(
    name: str, goal: Goal | None, found: list[ModelVersion], scores: list[dict[str, float]]
) -> MetricComparison:
    values = [s.get(name) for s in scores]
    base = values[0]
    deltas = [None if x is None or base is None else difference(x, base) for x in values]
    verdicts: list[Verdict | None] = [None, *(_verdict(d, goal) for d in deltas[1:])]
    present = [(x, v.ref) for x, v in zip(values, found, strict=True) if x is not None]
    best = None
    if goal and present:
        pick = max if goal == "maximize" else min
        best = pick(present, key=lambda item: item[0])[1]
    return MetricComparison(
        metric=name, goal=goal, values=values, deltas=deltas, verdicts=verdicts, best=best
    )


def _verdict(delta: float | None, goal: Goal | None) -> Verdict | None:
    if delta is None:
        return None
    found = policy.verdict(goal, delta)
    return cast(Verdict, found) if found else None


def _relations(registry: Catalog, found: list[ModelVersion]) -> list[Relation]:
    # ancestors only: the compared models' documents and those of the models they derive from
    graph = Graph.upward(registry.lineage_snapshot(*sorted({f.name for f in found})))
    base = (found[0].name, found[0].version)
    base_up = graph.ancestors(base)
    out = []
    for other in found[1:]:
        key = (other.name, other.version)
        up = graph.ancestors(key)
        if key == base:
            out.append(Relation(ref=other.ref, kind="same"))
        elif base in up:
            steps, chain = up[base]
            out.append(Relation(ref=other.ref, kind="descendant", relations=chain, steps=steps))
        elif key in base_up:
            steps, chain = base_up[key]
            out.append(Relation(ref=other.ref, kind="ancestor", relations=chain, steps=steps))
        else:
            shared = [k for k in up if k in base_up]
            if shared:
                via = min(shared, key=lambda k: up[k][0] + base_up[k][0])
                out.append(Relation(ref=other.ref, kind="common-ancestor", via=f"{via[0]}@{via[1]}"))
            else:
                out.append(Relation(ref=other.ref, kind="unrelated"))
    return out


class StageTimeline(BaseModel):
    """Every version that held a stage of one model, oldest first, with its metrics."""

    model: str
    stage: str
    tenures: list[Tenure]


def over_time(registry: Catalog, name: str, stage: str, *, tip: str | None = None) -> StageTimeline:
    """Who held ``stage`` of model ``name``, from when to when, through which pull request."""
    refs.check_name(name)
    config = registry.config
    if stage not in config.stages:
        raise NotFoundError(f"unknown stage {stage!r}; registry.yaml defines: {', '.join(config.stages)}")
    registry.model(name)
    found = audit.events(registry.root, tip=tip, model=name)
    tenures = stage_tenures(found, name, stage, initial=config.initial_stage)
    for tenure in tenures:
        manifest = registry.model_snapshot(name).manifests.get((name, tenure.version))
        tenure.metrics = dict(manifest.metrics) if manifest else {}
    return StageTimeline(model=name, stage=stage, tenures=tenures)
