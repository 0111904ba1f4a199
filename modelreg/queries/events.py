"""What a merged change did, for a delivery pipeline: the events of the commits a branch gained
between two revisions (``base..head`` on head's first-parent chain), read by the history engine."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from pydantic import BaseModel

from modelreg.adapters import git
from modelreg.domain.errors import InvalidInputError
from modelreg.domain.layout import REGISTRY_FILE
from modelreg.history.engine import Event, iter_records


class DeliveryEvent(BaseModel):
    """One thing the change did: registered, stage_changed, evaluation_added, deployed,
    undeployed (and model_updated, policy_changed, violation)."""

    kind: str
    model: str | None = None
    version: str | None = None
    ref: str | None = None
    from_stage: str | None = None
    to_stage: str | None = None
    environment: str | None = None
    previous: str | None = None  # deployed: the version the environment ran before
    detail: str = ""
    commit: str
    pr: int | None = None
    author: str  # who made the commit (a merge's: who merged)
    # the change's audit record (``CommitInfo.audit``): who asked, who approved, why
    requested_by: str
    approved_by: str | None = None
    reviewers: list[str] = []
    reason: str = ""


class EventsReport(BaseModel):
    base: str
    head: str
    base_commit: str
    head_commit: str
    events: list[DeliveryEvent]


def events_between(top: Path, base: str, head: str) -> EventsReport:
    """The events of the commits on ``head``'s first-parent chain that ``base`` lacks, oldest
    first. ``base`` must be an ancestor of ``head`` (a push's before and after, say)."""
    top = git.root(top)
    base_commit, head_commit = git.resolve(top, base), git.resolve(top, head)
    if not git.is_ancestor(top, base_commit, head_commit):
        raise InvalidInputError(
            f"{base} is not an ancestor of {head}; give the revision the branch was at before the merge"
        )
    blobs, _ = git.ls_tree_blobs(top, base_commit, [REGISTRY_FILE])
    found = [
        _delivery(event)
        for record in iter_records(
            top, head_commit, exclude=base_commit, registry_blob=blobs.get(REGISTRY_FILE)
        )
        for event in record.events()
    ]
    return EventsReport(base=base, head=head, base_commit=base_commit, head_commit=head_commit, events=found)


def _delivery(event: Event) -> DeliveryEvent:
    return DeliveryEvent(
        kind=event.kind,
        model=event.model,
        version=event.version,
        ref=event.ref if event.version else None,
        from_stage=event.from_stage,
        to_stage=event.to_stage,
        environment=event.environment,
        previous=event.previous,
        detail=event.detail,
        commit=event.commit.sha,
        author=event.commit.author_name,
        **asdict(event.commit.audit),
    )
