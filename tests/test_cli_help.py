"""Every command and option has help text, and `modelreg --help` starts without heavy imports."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from modelreg.cli.main import COMMANDS, cli


def _commands() -> list[click.Command]:
    ctx = click.Context(cli)
    return [c for name in COMMANDS if (c := cli.get_command(ctx, name)) is not None]


@pytest.mark.parametrize("command", _commands(), ids=lambda c: c.name)
def test_command_and_options_have_help(command: click.Command) -> None:
    assert command.help and "Examples:" in command.help, f"{command.name} needs help with examples"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{command.name} {param.opts} has no help"


def test_wiring_names_match_commands() -> None:
    assert [c.name for c in _commands()] == list(COMMANDS)


def test_help_does_not_import_dvc_or_git_libraries() -> None:
    code = (
        "import sys; from modelreg.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('dvc', 'git', 'pydantic', 'jsonschema_rs', 'yaml') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "HEAVY="
