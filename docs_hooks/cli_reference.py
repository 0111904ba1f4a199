"""MkDocs hook: the CLI reference page (docs/reference/cli.md) is each click command's own
``--help``, rendered when the site is built, so the page cannot drift from the commands."""

from __future__ import annotations

from typing import Any

import click

MARKER = "<!-- cli-reference -->"
WIDTH = 78  # the help text's width on the page: what click uses in an 80-column terminal


def on_page_markdown(markdown: str, **_: Any) -> str:
    return markdown.replace(MARKER, reference()) if MARKER in markdown else markdown


def reference() -> str:
    """Markdown: `modelreg --help`, then a section per command (in `modelreg --help`'s order)."""
    from modelreg.cli.main import cli

    root = _context(cli, "modelreg", None)
    parts = [_block(cli.get_help(root))]
    for name in cli.list_commands(root):
        parts += _sections(cli, name, root, level=2)
    return "\n".join(parts)


def _sections(group: click.Group, name: str, parent: click.Context, *, level: int) -> list[str]:
    command = group.get_command(parent, name)
    assert command is not None, name
    ctx = _context(command, name, parent)
    title = ctx.command_path
    parts = [
        f"{'#' * level} {title}\n",
        command.get_short_help_str(limit=300) + "\n",
        _block(command.get_help(ctx)),
    ]
    if isinstance(command, click.Group):
        for sub in command.list_commands(ctx):
            parts += _sections(command, sub, ctx, level=level + 1)
    return parts


def _context(command: click.Command, name: str, parent: click.Context | None) -> click.Context:
    """The context `modelreg ... NAME --help` runs in (the command's settings, such as -h)."""
    return command.make_context(
        name, [], parent=parent, resilient_parsing=True, terminal_width=WIDTH, max_content_width=WIDTH
    )


def _block(text: str) -> str:
    return f"```text\n{text}\n```\n"
