"""The questions asked of the audit trail: what happened, when, to which version, in which stage."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from modelreg.domain import refs
from modelreg.history import records as history_cache
from modelreg.history.engine import Event, Warn, events_of
from modelreg.history.query import Query, check_known


class AuditTrail(BaseModel):
    """Events of the registry's history that match a query, newest first."""

    model: str | None = None
    version: str | None = None
    stage: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    events: list[Event]


def events(
    top: Path,
    *,
    tip: str | None = None,
    warn: Warn = history_cache.stderr_warning,
    model: str | None = None,
) -> list[Event]:
    """Every event on the first-parent chain of ``tip`` (default HEAD), oldest first; with
    ``model``, only that model's (which reads only the records that name it)."""
    found = events_of(history_cache.records(top, tip=tip, warn=warn, model=model))
    return found if model is None else [e for e in found if e.model == model]


def trail(
    top: Path,
    *,
    model: str | None = None,
    version: str | None = None,
    stage: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    tip: str | None = None,
    warn: Warn = history_cache.stderr_warning,
) -> AuditTrail:
    """The audit trail, newest first, narrowed to a model, a version, a stage and a period.

    ``stage`` keeps the moves into or out of that stage. Dates compare with the commit date:
    when the change reached the branch.
    """
    if model is not None:
        refs.check_name(model)
    found = events(top, tip=tip, warn=warn, model=model)
    check_known(model, version, [(e.model, e.version) for e in found])
    query = Query(model, version, stage, since, until)
    kept = [
        e
        for e in found
        if query.keeps(e.model, e.version, (e.from_stage, e.to_stage), e.commit.commit_date.timestamp())
    ]
    newest_first = _newest_first(kept)
    return AuditTrail(
        model=model, version=version, stage=stage, since=since, until=until, events=newest_first
    )


def trail_stream(
    top: Path,
    *,
    model: str | None = None,
    version: str | None = None,
    stage: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    warn: Warn = history_cache.stderr_warning,
    fresh: bool = False,
) -> tuple[AuditTrail, Iterator[Event]]:
    """``trail(top, ...)`` of HEAD as its header (an AuditTrail without events) and its events,
    newest first, built one commit at a time: a registry's whole history (tens of thousands of
    events) is never held at once. A model's (its records are few) is checked first, as
    ``trail`` does: an unknown model or version raises before any event is yielded.
    ValidationError from a kept line that does not read back: call again with ``fresh``."""
    header = AuditTrail(model=model, version=version, stage=stage, since=since, until=until, events=[])
    if model is not None:
        return header, iter(
            trail(top, model=model, version=version, stage=stage, since=since, until=until, warn=warn).events
        )
    query = Query(model, version, stage, since, until)

    def kept() -> Iterator[Event]:
        for record in history_cache.records_newest_first(top, warn=warn, fresh=fresh):
            for e in record.events():
                if query.keeps(
                    e.model, e.version, (e.from_stage, e.to_stage), e.commit.commit_date.timestamp()
                ):
                    yield e

    return header, kept()


def _newest_first(found: list[Event]) -> list[Event]:
    """Commits newest first; the events of one commit keep their order."""
    by_commit: dict[str, list[Event]] = {}
    for event in found:
        by_commit.setdefault(event.commit.sha, []).append(event)
    return [e for group in reversed(by_commit.values()) for e in group]
