"""modelreg doctor"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from modelreg.cli.options import format_option, repo_option
from modelreg.domain.escape import terminal
from modelreg.operations.doctor import doctor
from modelreg.operations.doctor import prune as prune_branches


@click.command("doctor")
@click.option(
    "--prune",
    is_flag=True,
    help="Also delete the proposal branches (promote/, rollback/, evaluate/, deploy/, describe/) "
    "already merged into --base.",
)
@click.option("--remote", is_flag=True, help="With --prune, delete the merged ones on origin too.")
@click.option(
    "--base",
    metavar="BRANCH",
    help="What merged means for --prune. Default: origin/HEAD, origin/main, main or master.",
)
@repo_option
@format_option("text", "json")
def command(prune: bool, remote: bool, base: str | None, repo: str, fmt: str) -> None:
    """Repair what an interrupted register or promote left behind.

    Rolls back a transaction whose process died (its journal is in .git/modelreg/) and
    lists files under models/ that Git does not track. Exit 1 if such files remain. With
    --prune, also deletes the branches promote, rollback, evaluate, deploy and describe proposed once
    their pull requests are merged (the branch's tip is in --base), and with --remote their
    copies on origin (as last fetched: run `git fetch` first).

    \b
    Examples:
      modelreg doctor
      modelreg doctor --format json
      git fetch --prune && modelreg doctor --prune --remote
    """
    if remote and not prune:
        raise click.UsageError("--remote goes with --prune")
    report = prune_branches(Path(repo), base=base, remote=remote) if prune else doctor(Path(repo))
    if fmt == "json":
        from modelreg.render.common import to_json

        to_json(report, sys.stdout)
    else:
        click.echo(report.recovered or "no interrupted command to recover")
        if prune:
            for name in report.pruned:
                click.echo(f"deleted {terminal(name)} (merged into {terminal(report.base or '')})")
            if not report.pruned:
                click.echo(f"no merged proposal branch to delete (merged into {terminal(report.base or '')})")
        for path in report.untracked:
            click.echo(f"untracked: {terminal(str(path))}")
        if report.untracked:
            click.echo("remove them with `git clean -n -- models/` (dry run) then `git clean -f -- models/`")
    if not report.healthy:
        sys.exit(1)
