"""Time travel: ``--at REV|DATE`` names a commit of the first-parent chain, and a registry as of it."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel

from modelreg.adapters import git
from modelreg.domain.dates import DATE_FORMS, checked_date, parse_date
from modelreg.domain.errors import InvalidInputError
from modelreg.domain.models import ModelVersion
from modelreg.history.depth import require_history
from modelreg.history.engine import backdating
from modelreg.history.tenures import Tenure

__all__ = ["Moment", "UnknownMomentError", "VersionAsOf", "checked_date", "parse_date", "resolve"]


class UnknownMomentError(InvalidInputError):
    """A moment that names neither a revision nor a date (the CLI says which option gave it)."""


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


def resolve(top: Path, at: str) -> Moment:
    """The commit ``at`` names: a revision, or the last first-parent commit at or before a date."""
    require_history(top, what=f"--at {at}")
    moment = parse_date(at, end_of_day=True)
    if moment is None:
        try:
            sha = git.resolve(top, at)
        except InvalidInputError as e:
            raise UnknownMomentError(
                f"{at!r} is neither a revision (commit, branch, tag) nor a date ({DATE_FORMS})"
            ) from e
        return Moment(requested=at, commit=sha, commit_date=_date_of(top, sha))
    head = git.head_commit(top)
    note = None
    if moment > datetime.now(timezone.utc):
        note = f"{at} is in the future; answering as of now"
    found = git.last_commit_before(top, head, int(moment.timestamp()))
    if found is None:
        first = git.root_commit_date(top, head)
        raise InvalidInputError(f"no commit at or before {at}: the history begins {first}; pick a later date")
    notes = [note] if note else []
    notes += _backdated_around(top, found, moment)
    return Moment(
        requested=at,
        commit=found,
        commit_date=_date_of(top, found),
        date=moment,
        note="; ".join(notes) or None,
    )


def _backdated_around(top: Path, found: str, moment: datetime) -> list[str]:
    """What each first-parent commit dated before its parent, with ``moment`` between the two
    dates, puts in doubt: `git` finds the newest commit dated at or before a date, and such a
    commit (or one after it) holds its parent's changes although the parent is dated later.
    ``found`` is that newest commit: no commit after it is dated at or before ``moment``, so
    only it and its first-parent ancestors can be such a commit."""
    doubts = []
    at = moment.timestamp()
    child: tuple[str, int] | None = None
    for sha, epoch in git.first_parent_dates(top, found):  # newest first: the next is the parent
        if child is not None and child[1] <= at < epoch:
            when = datetime.fromtimestamp(child[1], timezone.utc)
            text = backdating(child[0], when, datetime.fromtimestamp(epoch, timezone.utc))
            if text:
                doubts.append(text)
        child = (sha, epoch)
    return doubts


def _date_of(top: Path, sha: str) -> datetime:
    return datetime.fromisoformat(git.commit_date(top, sha))


class VersionAsOf(BaseModel):
    """A version as of a moment, with since when it held its stage and who put it there."""

    version: ModelVersion
    as_of: Moment
    held: Tenure | None = None  # None when the history does not show how it got there
