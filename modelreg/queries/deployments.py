"""Where each version runs: a registry's deployments.yaml files at one commit, each entry with
the moment it took its present version, read from the history (the one engine)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from modelreg.adapters import git
from modelreg.domain import refs
from modelreg.domain.errors import NotFoundError
from modelreg.domain.layout import deployments_path
from modelreg.history.engine import Event, events_of, iter_records
from modelreg.queries.catalog import Catalog


class Running(BaseModel):
    """One environment of one model: the version it runs, and since when (from history)."""

    model: str
    environment: str
    version: str
    stage: str
    endpoint: str | None = None
    traffic: float | None = None
    since: datetime | None = None  # when the change that deployed this version reached the branch
    commit: str | None = None
    pr: int | None = None
    # the deploying change's audit record (``CommitInfo.audit``): who asked, who approved, why
    requested_by: str | None = None
    approved_by: str | None = None
    reviewers: list[str] = []
    reason: str = ""

    @property
    def ref(self) -> str:
        return f"{self.model}@{self.version}"


class DeploymentsView(BaseModel):
    """Every deployment of one model (or all), by model and environment."""

    model: str | None = None
    at: str | None = None  # the commit answered for, when not the work tree
    deployments: list[Running]


History = Callable[[str], Iterable[Event]]


def deployments(
    registry: Catalog, name: str | None = None, *, history: History | None = None
) -> DeploymentsView:
    """Where each version of ``name`` (default: every model) runs in ``registry`` (the work tree
    or a commit), with the commit that put it there. Uncommitted entries have no ``since``.

    ``history`` gives a model's events on the first-parent chain of the registry's commit when
    the caller has read them already (the site reads the whole audit trail once); else only the
    commits that touched the model's deployments.yaml are read."""
    snap = registry.snapshot
    if name is not None:
        refs.check_name(name)
        if not snap.has_model(name):
            raise NotFoundError(f"no model {name!r}; `modelreg list` shows the models")
    names = [n for n in ([name] if name is not None else sorted(snap.deployments)) if snap.deployments.get(n)]
    read = {} if history else _started(registry, names)
    found: list[Running] = []
    for model in names:
        current = snap.deployments[model]
        started = started_events(history(model)) if history else read.get(model, {})
        for env in sorted(current):
            entry = current[env]
            event = started.get(env)
            if event is not None and event.version != entry.version:
                event = None  # not committed yet
            found.append(
                Running(
                    model=model,
                    environment=env,
                    version=entry.version,
                    stage=snap.stage_of(model, entry.version),
                    endpoint=entry.endpoint,
                    traffic=entry.traffic,
                    **_started_by(event),
                )
            )
    return DeploymentsView(model=name, at=registry.rev, deployments=found)


def _started_by(event: Event | None) -> dict[str, Any]:
    """When, through which commit, and the audit record of the change that deployed it."""
    if event is None:
        return {}
    return {"since": event.commit.commit_date, "commit": event.commit.sha, **asdict(event.commit.audit)}


def _started(registry: Catalog, models: list[str]) -> dict[str, dict[str, Event]]:
    """model -> environment -> the event that deployed its present version (a later change of
    endpoint or traffic to the same version keeps it), on the first-parent chain of the
    registry's commit. Only the commits that touched a deployments.yaml are read, in one walk:
    a fresh clone of a large registry answers without building the whole history."""
    tip = registry.rev or "HEAD"
    if not models or git.head(registry.root) is None:
        return {}
    # several models: one glob (git matches a list of 1,000 paths ~50 times slower than one glob)
    path = deployments_path(models[0]) if len(models) == 1 else deployments_path("*")
    records = iter_records(registry.root, tip, paths=[path])
    by_model: dict[str, list[Event]] = {}
    for event in events_of(records):
        if event.model is not None:
            by_model.setdefault(event.model, []).append(event)
    return {model: started_events(events) for model, events in by_model.items()}


def started_events(events: Iterable[Event]) -> dict[str, Event]:
    """environment -> the event (of one model's, oldest first) that deployed its present version."""
    found: dict[str, Event] = {}
    for event in events:
        if event.environment is None:
            continue
        if event.kind == "undeployed":
            found.pop(event.environment, None)
        elif event.kind == "deployed":
            held = found.get(event.environment)
            if held is None or held.version != event.version:
                found[event.environment] = event
    return found
