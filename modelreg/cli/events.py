"""modelreg events"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from modelreg.cli.options import format_option, repo_option


@click.command("events")
@click.option("--base", required=True, metavar="REV", help="Where the branch was before (a push's `before`).")
@click.option("--head", default="HEAD", show_default=True, metavar="REV", help="Where it is now.")
@repo_option
@format_option("text", "json", "github")
def command(base: str, head: str, repo: str, fmt: str) -> None:
    """What the commits between --base and --head did to the registry: versions registered,
    stage changes, evaluations added, deployments (with refs and environments). The hook a
    delivery pipeline runs after a merge to main.

    With --format github it prints the events as text and appends step outputs to the file
    $GITHUB_OUTPUT names: changed, deploy_env, ref, version, model (of the first deployment),
    deployments (ENV=REF ...), registered, promoted (REF:STAGE ...), evaluated, events (JSON).

    \b
    Examples:
      modelreg events --base HEAD~1
      modelreg events --base ${{ github.event.before }} --head ${{ github.sha }} --format github
      modelreg events --base v1 --head main --format json
    """
    from modelreg.domain.errors import InvalidInputError
    from modelreg.queries.events import events_between
    from modelreg.render import delivery

    target = os.environ.get("GITHUB_OUTPUT")
    if fmt == "github" and not target:
        raise InvalidInputError("--format github writes step outputs to $GITHUB_OUTPUT, which is not set")
    report = events_between(Path(repo), base, head)
    if fmt == "json":
        delivery.events_json(report, sys.stdout)
        return
    delivery.events_text(report, sys.stdout)
    if fmt == "github" and target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(delivery.github_outputs(report))
