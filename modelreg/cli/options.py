"""Options shared by several commands."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def repo_option(func: F) -> F:
    decorator = click.option(
        "-C",
        "--repo",
        "repo",
        default=".",
        show_default=True,
        type=click.Path(file_okay=False, path_type=str),
        help="The registry repository (any folder inside it).",
    )
    return decorator(func)


def format_option(*choices: str) -> Callable[[F], F]:
    def apply(func: F) -> F:
        decorator = click.option(
            "--format",
            "fmt",
            type=click.Choice(choices),
            default=choices[0],
            show_default=True,
            help="Output format.",
        )
        return decorator(func)

    return apply


def say(message: str) -> None:
    """Progress for people at a terminal: on stderr, and only when stderr is a terminal."""
    if sys.stderr.isatty():
        click.echo(message, err=True)
