"""``--at REV|DATE``: the option every read command takes, and the registry it names."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from modelreg.registry import Registry

F = TypeVar("F", bound=Callable[..., Any])


def at_option(func: F) -> F:
    decorator = click.option(
        "--at",
        "at",
        metavar="REV|DATE",
        help="Answer as of a revision (commit, branch, tag) or a date: YYYY-MM-DD (end of that day, "
        "local time) or ISO 8601 such as 2026-03-01T12:00+01:00; the last commit at or before it.",
    )
    return decorator(func)


def registry_for(repo: str, at: str | None, *, announce: bool = True) -> Registry:
    """The registry of the work tree, or as of ``at`` (saying on stderr which commit that is)."""
    from modelreg.registry import Registry

    if at is None:
        return Registry(repo)
    from modelreg.domain.errors import InvalidInputError
    from modelreg.history.timetravel import UnknownMomentError
    from modelreg.registry import registry_at
    from modelreg.render.history_report import moment_line

    try:
        found = registry_at(repo, at)
    except UnknownMomentError as e:
        raise InvalidInputError(f"--at {e}") from e
    if announce:
        click.echo(moment_line(found.moment), err=True)
    return found
