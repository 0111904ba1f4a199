"""modelreg doctor"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from modelreg.cli.options import format_option, repo_option
from modelreg.domain.escape import terminal
from modelreg.operations.doctor import doctor


@click.command("doctor")
@repo_option
@format_option("text", "json")
def command(repo: str, fmt: str) -> None:
    """Repair what an interrupted register or promote left behind.

    Rolls back a transaction whose process died (its journal is in .git/modelreg/) and
    lists files under models/ that Git does not track. Exit 1 if such files remain.

    \b
    Examples:
      modelreg doctor
      modelreg doctor --format json
    """
    report = doctor(Path(repo))
    if fmt == "json":
        from modelreg.render.common import to_json

        to_json(report, sys.stdout)
    else:
        click.echo(report.recovered or "no interrupted command to recover")
        for path in report.untracked:
            click.echo(f"untracked: {terminal(str(path))}")
        if report.untracked:
            click.echo("remove them with `git clean -n -- models/` (dry run) then `git clean -f -- models/`")
    if not report.healthy:
        sys.exit(1)
