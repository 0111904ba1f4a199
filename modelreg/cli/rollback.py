"""modelreg rollback"""

from __future__ import annotations

from pathlib import Path

import click

from modelreg.cli.promote import make_request, report, rollback_options


@click.command("rollback")
@click.argument("name")
@click.option("--stage", required=True, help="The stage to roll back, e.g. production.")
@click.option(
    "--fetch",
    is_flag=True,
    help="In a shallow clone (git clone --depth N), fetch the history rollback reads "
    "(git fetch --unshallow) instead of stopping with what to fetch.",
)
@rollback_options
def command(
    name: str,
    stage: str,
    fetch: bool,
    reason: str,
    base: str | None,
    branch: str | None,
    push: bool,
    pull_request: bool | None,
    repo: str,
    fmt: str,
) -> None:
    """Put back the version that held --stage before its current holder, by pull request.

    History names the previous holder and the pull request that replaced it. The move goes
    through the same flow as `promote` (branch rollback/NAME-STAGE-VERSION, one commit
    whose message names what it rolls back, push, pull request). A version may return to a
    stage it held before even where registry.yaml's `from:` would not allow the move, and it
    is not compared with the holder it replaces; the stage's other requirements still hold.

    \b
    Examples:
      modelreg rollback fraud-detector --stage production
      modelreg rollback fraud-detector --stage production --reason "1.3.0 drifts on live data"
      modelreg rollback fraud-detector --stage production --fetch   # in a shallow clone
    """
    from modelreg.operations.rollback import rollback

    request = make_request(
        ref=f"{name}@{stage}",
        to_stage=stage,
        reason=reason,
        base=base,
        branch=branch,
        push=push,
        pull_request=pull_request,
    )
    plan, result = rollback(Path(repo), name, stage, request, fetch=fetch)
    if fmt == "text":
        click.echo(plan.summary)
    report(result, fmt)
