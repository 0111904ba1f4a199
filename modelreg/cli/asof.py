"""``--at REV|DATE``: the option every read command takes, and the registry it names."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from modelreg.registry import Registry

F = TypeVar("F", bound=Callable[..., Any])


FETCH_KEY = "modelreg.fetch"


def at_option(func: F) -> F:
    """``--at REV|DATE``, and ``--fetch``: in a shallow clone, fetch the history ``--at`` reads."""
    decorator = click.option(
        "--at",
        "at",
        metavar="REV|DATE",
        help="Answer as of a revision (commit, branch, tag) or a date: YYYY-MM-DD (end of that day, "
        "local time) or ISO 8601 such as 2026-03-01T12:00+01:00; the last commit at or before it.",
    )
    fetch = click.option(
        "--fetch",
        is_flag=True,
        expose_value=False,
        callback=_remember_fetch,
        help="In a shallow clone (git clone --depth N), fetch the history --at reads "
        "(git fetch --unshallow) instead of stopping with what to fetch.",
    )
    return decorator(fetch(func))


def _remember_fetch(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    ctx.meta[FETCH_KEY] = value


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
        found = registry_at(repo, at, fetch=bool(click.get_current_context().meta.get(FETCH_KEY)))
    except UnknownMomentError as e:
        raise InvalidInputError(f"--at {e}") from e
    if announce:
        click.echo(moment_line(found.moment), err=True)
    return found
