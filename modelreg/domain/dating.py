"""What an author-written date may claim, and the one place that judges it.

Nothing an author writes as a date decides anything: "the latest evaluation" is the last one
appended (``latest_evaluation``), never the newest ``created_at``. A date is still a record
a reader trusts, so a false one is refused: an evaluation is not dated before the version it
evaluates, nor after the commit that adds it (``check``, ``promote``), beyond ``CLOCK_SKEW``
(the clocks of the machine that evaluated and of the one that committed may differ).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from modelreg.domain.models import Evaluation, Manifest

CLOCK_SKEW = timedelta(minutes=10)


def utc(moment: datetime) -> datetime:
    """``moment`` as an aware datetime (a date without a zone is read as UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def latest_evaluation(
    evaluations: Sequence[Evaluation], dataset: str, version: str | None = None
) -> Evaluation | None:
    """The evaluation appended last on a dataset named ``dataset`` (of ``version``, when
    given), or None. Invariant: the order of an append-only list decides which counts; its
    dates (the author's to write) never do."""
    for evaluation in reversed(evaluations):
        if evaluation.dataset.name == dataset and (version is None or evaluation.dataset.version == version):
            return evaluation
    return None


def misdated(
    evaluation: Evaluation, *, created_at: datetime, committed_at: datetime | None = None
) -> str | None:
    """Why ``evaluation``'s date cannot be true, or None: it is dated before the version was
    created (``created_at``), or after ``committed_at`` (the commit that adds it, or one after
    that), each beyond ``CLOCK_SKEW``. Invariant: an accepted evaluation's date lies between
    its version's creation and the commit that recorded it."""
    when, skew = utc(evaluation.created_at), CLOCK_SKEW
    if utc(created_at) - when > skew:  # differences: no overflow at year 1 or 9999
        return (
            f"is dated {_shown(when)}, before its version was created ({_shown(utc(created_at))}); "
            "an evaluation comes after the version it evaluates"
        )
    if committed_at is not None and when - utc(committed_at) > skew:
        return (
            f"is dated {_shown(when)}, after the commit that records it ({_shown(utc(committed_at))}, "
            f"allowing {int(skew.total_seconds() // 60)} minutes of clock skew); date it when it was made"
        )
    return None


def _shown(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def misdated_evaluations(
    manifest: Manifest, *, committed_at: datetime | None = None, start: int = 0
) -> list[tuple[int, str]]:
    """(index, what is wrong) of each of ``manifest``'s evaluations from ``start`` on (those a
    change appends) whose date ``misdated`` refuses."""
    found = []
    for i, evaluation in enumerate(manifest.evaluations[start:], start=start):
        why = misdated(evaluation, created_at=manifest.created_at, committed_at=committed_at)
        if why is not None:
            found.append((i, f"evaluation {i + 1} (on {evaluation.dataset.name}) {why}"))
    return found
