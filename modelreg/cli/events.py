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

    target = _step_outputs_file() if fmt == "github" else None
    report = events_between(Path(repo), base, head)
    if fmt == "json":
        delivery.events_json(report, sys.stdout)
        return
    delivery.events_text(report, sys.stdout)
    if target is not None:
        try:
            with open(target, "a", encoding="utf-8") as out:
                out.write(delivery.github_outputs(report))
        except OSError as e:
            raise InvalidInputError(_cannot_append(target, e.strerror or str(e))) from e


def _step_outputs_file() -> Path:
    """The file $GITHUB_OUTPUT names, refused before anything is printed unless it is a
    writable file (the runner creates it for each step)."""
    from modelreg.domain.errors import InvalidInputError

    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        raise InvalidInputError("--format github writes step outputs to $GITHUB_OUTPUT, which is not set")
    path = Path(target)
    if not path.exists():
        problem = "it does not exist (the runner creates it for each step)"
    elif not path.is_file():
        problem = "it is not a file"
    elif not os.access(path, os.W_OK):
        problem = "it is not writable"
    else:
        return path
    raise InvalidInputError(_cannot_append(path, problem))


def _cannot_append(path: Path, problem: str) -> str:
    from modelreg.domain.escape import terminal

    return (
        f"cannot append step outputs to $GITHUB_OUTPUT {terminal(str(path))}: {problem}; "
        "point GITHUB_OUTPUT at a writable file"
    )
