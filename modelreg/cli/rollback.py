"""modelreg rollback"""

from __future__ import annotations

from pathlib import Path

import click

from modelreg.cli.promote import DEPLOY_OPTION, make_request, report, rollback_options


@click.command("rollback")
@click.argument("name")
@click.option("--stage", required=True, help="The stage to roll back, e.g. production.")
@click.option(
    "--version",
    metavar="VERSION",
    help="The earlier holder to put back (default: the most recent one that may return).",
)
@DEPLOY_OPTION
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
    version: str | None,
    deploy: tuple[str, ...],
    fetch: bool,
    reason: str,
    base: str | None,
    branch: str | None,
    push: bool,
    pull_request: bool | None,
    repo: str,
    fmt: str,
) -> None:
    """Put back the most recent earlier holder of --stage, by pull request.

    History lists the stage's earlier holders, most recent first; the first that does not now
    hold another active stage (one that has requirements, a max_versions or an environment)
    returns, or the one --version names. The current holder leaves the stage in the same
    commit, so the stage is never left empty. --deploy ENV moves environment ENV to the
    returning version in the same commit, as `promote --deploy` does: a stage an environment
    runs rolls back in one pull request. The move goes through the same flow as `promote`
    (branch rollback/NAME-STAGE-VERSION from origin's copy of the base, one commit whose message
    names what it rolls back, push, pull request). A version may return to a stage it held
    before even where registry.yaml's `from:` would not allow the move, and it is not compared
    with the holder it replaces; the stage's other requirements still hold.

    \b
    Examples:
      modelreg rollback fraud-detector --stage production
      modelreg rollback fraud-detector --stage production --deploy prod-eu --deploy prod-us
      modelreg rollback fraud-detector --stage production --version 1.1.0 --reason "1.3.0 drifts"
      modelreg rollback fraud-detector --stage production --fetch   # in a shallow clone
    """
    from modelreg.operations.rollback import rollback

    request = make_request(
        ref=f"{name}@{stage}",
        to_stage=stage,
        reason=reason,
        deploy=list(deploy),
        base=base,
        branch=branch,
        push=push,
        pull_request=pull_request,
    )
    plan, result = rollback(Path(repo), name, stage, request, version=version, fetch=fetch)
    if fmt == "text":
        click.echo(plan.summary)
        click.echo("considered: " + "; ".join(c.line for c in plan.candidates))
    report(result, fmt)
