"""Shallow clones: CI and deployment jobs often clone with ``--depth 1``. A question that needs
no history (show, list, pull, judging a change's moves) answers from the commits at hand; one
that reads the history (``history``, ``--at``, the rollback exception) would answer wrongly from
a history cut short (everything "registered" at the oldest commit held), so it says how deep
the clone is and what to fetch, or fetches the rest when asked (``--fetch``)."""

from __future__ import annotations

from pathlib import Path

from modelreg.adapters import git
from modelreg.domain.errors import InvalidInputError

FETCH_HINT = "run `git fetch --unshallow` (or `git fetch --deepen N` for N more commits), or pass --fetch"


class ShallowCloneError(InvalidInputError):
    """The question needs history that this shallow clone does not hold."""


def require_history(top: Path, *, what: str, fetch: bool = False) -> None:
    """Return when the repository holds its whole history (after fetching it, with ``fetch``);
    ShallowCloneError naming the clone's depth and what to fetch otherwise."""
    depth = git.shallow_depth(top)
    if depth is None:
        return
    if fetch:
        git.unshallow(top)
        return
    raise ShallowCloneError(
        f"{what} needs history this clone does not hold: it is shallow ({depth} commit(s) deep); {FETCH_HINT}"
    )
