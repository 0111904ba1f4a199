"""Dates as users type them: ``YYYY-MM-DD`` or ISO 8601, with a time zone or in local time."""

from __future__ import annotations

import re
from datetime import datetime, time, timezone

from modelreg.domain.errors import InvalidInputError

_LOOKS_LIKE_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([T ].*)?$")
DATE_FORMS = "YYYY-MM-DD or an ISO 8601 date and time such as 2026-03-01T12:00+01:00"


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
    if moment.tzinfo is None:
        try:
            moment = moment.astimezone()
        except (ValueError, OverflowError):  # local time in year 1 or 9999 may fall outside them
            moment = moment.replace(tzinfo=timezone.utc)
    return moment


def checked_date(text: str, *, end_of_day: bool = False) -> datetime:
    """``text`` as an aware datetime; InvalidInputError when it is not a date."""
    moment = parse_date(text, end_of_day=end_of_day)
    if moment is None:
        raise InvalidInputError(f"invalid date {text!r}: use {DATE_FORMS}")
    return moment
