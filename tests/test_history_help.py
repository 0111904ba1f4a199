"""Every history command and option says what it does, with examples."""

from __future__ import annotations

import importlib

import click
import pytest
from conftest import cli

from modelreg.cli.main import COMMANDS


@pytest.mark.parametrize("name", ["history", "lineage", "compare", "show", "list"])
def test_commands_and_options_have_help(name: str) -> None:
    command: click.Command = importlib.import_module(f"modelreg.cli.{COMMANDS[name][0]}").command
    assert command.help and "Examples:" in command.help
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts} has no help text"


def test_help_lists_the_history_commands(tmp_path: object) -> None:
    r = cli("--help", cwd=tmp_path)  # type: ignore[arg-type]
    assert r.code == 0
    for name in ("history", "lineage", "compare"):
        assert f"  {name} " in r.out
    at = cli("show", "--help", cwd=tmp_path)  # type: ignore[arg-type]
    assert "--at REV|DATE" in at.out
