"""Time travel: ``--at REV|DATE`` names a commit of the first-parent chain, and a registry as of it."""

from __future__ import annotations

import re
from datetime import datetime, time, timezone
from pathlib import Path

from pydantic import BaseModel

from modelreg import git, gitlog
from modelreg.errors import InvalidInputError
from modelreg.models import ModelVersion
from modelreg.registry import Registry
from modelreg.tenures import Tenure

_LOOKS_LIKE_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([T ].*)?$")
DATE_FORMS = "YYYY-MM-DD or an ISO 8601 date and time such as 2026-03-01T12:00+01:00"


class Moment(BaseModel):
    """The commit an ``--at`` value names, and how it was found."""

    requested: str
    commit: str
    commit_date: datetime
    date: datetime | None = None  # the moment asked for, when ``requested`` was a date
    note: str | None = None

    def describe(self) -> str:
        when = self.commit_date.isoformat()
        return f"as of {self.requested}: commit {self.commit[:8]} ({when})"


def parse_date(text: str, *, end_of_day: bool = False) -> datetime | None:
    """``text`` as an aware datetime; None when it does not look like a date at all.

    A date alone means the start (or with ``end_of_day`` the end) of that day; a date and
    time without a zone means local time. InvalidInputError when it looks like a date but is
    not a valid one.
    """
    value = text.strip()
    if not _LOOKS_LIKE_DATE.match(value):
        return None
    try:
        if len(value) <= 10:
            day = datetime.strptime(value, "%Y-%m-%d").date()
            moment = datetime.combine(day, time.max if end_of_day else time.min)
        else:
            moment = datetime.fromisoformat(re.sub(r"Z$", "+00:00", value))
    except ValueError as e:
        raise InvalidInputError(f"invalid date {text!r}: use {DATE_FORMS}") from e
    return moment if moment.tzinfo else moment.astimezone()


def checked_date(text: str, *, end_of_day: bool = False) -> datetime:
    """``text`` as an aware datetime; InvalidInputError when it is not a date."""
    moment = parse_date(text, end_of_day=end_of_day)
    if moment is None:
        raise InvalidInputError(f"invalid date {text!r}: use {DATE_FORMS}")
    return moment


def resolve(top: Path, at: str) -> Moment:
    """The commit ``at`` names: a revision, or the last first-parent commit at or before a date."""
    moment = parse_date(at, end_of_day=True)
    if moment is None:
        try:
            sha = git.resolve(top, at)
        except InvalidInputError as e:
            raise InvalidInputError(
                f"--at {at!r} is neither a revision (commit, branch, tag) nor a date ({DATE_FORMS})"
            ) from e
        return Moment(requested=at, commit=sha, commit_date=_date_of(top, sha))
    head = gitlog.head_commit(top)
    note = None
    if moment > datetime.now(timezone.utc):
        note = f"{at} is in the future; answering as of now"
    found = gitlog.last_commit_before(top, head, int(moment.timestamp()))
    if found is None:
        first = gitlog.root_commit_date(top, head)
        raise InvalidInputError(f"no commit at or before {at}: the history begins {first}; pick a later date")
    return Moment(requested=at, commit=found, commit_date=_date_of(top, found), date=moment, note=note)


def _date_of(top: Path, sha: str) -> datetime:
    return datetime.fromisoformat(gitlog.commit_date(top, sha))


class RegistryAsOf(Registry):
    """A read-only registry as it was committed at one moment of its history."""

    def __init__(self, path: str | Path, moment: Moment) -> None:
        super().__init__(path, rev=moment.commit)
        self.moment = moment


def registry_at(path: str | Path, at: str) -> RegistryAsOf:
    """The registry at ``path`` as of ``at`` (a revision or a date)."""
    top = git.root(path)
    return RegistryAsOf(top, resolve(top, at))


class VersionAsOf(BaseModel):
    """A version as of a moment, with since when it held its stage and who put it there."""

    version: ModelVersion
    as_of: Moment
    held: Tenure | None = None  # None when the history does not show how it got there


def version_as_of(registry: Registry, found: ModelVersion) -> VersionAsOf:
    """``found`` (read from ``registry``, a registry as of a moment) with its stay in its stage."""
    from modelreg import audit, tenures

    moment = registry.moment if isinstance(registry, RegistryAsOf) else None
    if moment is None:
        raise InvalidInputError("version_as_of needs a registry from Registry.at(...)")
    events = audit.events(registry.root, tip=moment.commit)
    held = tenures.held_since(
        events, found.name, found.version, found.stage, initial=registry.config.initial_stage
    )
    return VersionAsOf(version=found, as_of=moment, held=held)
