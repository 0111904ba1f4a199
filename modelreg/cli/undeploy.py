"""modelreg undeploy"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from modelreg.cli.options import format_option, repo_option, say
from modelreg.cli.proposing import make_options, proposal_options, report

HELP = """Stop running model NAME in environment --env, by pull request.

Takes the environment's entry out of models/NAME/deployments.yaml on a new branch
undeploy/NAME-ENV, pushes it and opens a pull request when GITHUB_TOKEN or GH_TOKEN is set
and origin is on GitHub; the same proposal path as `deploy`.

\b
Examples:
  modelreg undeploy fraud-detector --env canary
  modelreg undeploy fraud-detector --env prod-eu --reason "region retired" --no-pr
"""


@click.command("undeploy", help=HELP)
@click.argument("name")
@click.option("--env", "environment", required=True, metavar="ENV", help="The environment (registry.yaml).")
@click.option("--reason", default="", help="Why: written in the commit body and the pull request.")
@proposal_options("undeploy/NAME-ENV")
@repo_option
@format_option("text", "json")
def command(name: str, environment: str, reason: str, repo: str, fmt: str, **options: Any) -> None:
    from modelreg.operations.deploy import DeployRequest, deploy

    request = DeployRequest(
        ref=name, environment=environment, reason=reason, remove=True, options=make_options(**options)
    )
    result = deploy(Path(repo), request, say=say if fmt == "text" else lambda _: None)
    if fmt == "json":
        from modelreg.render.common import to_json

        to_json(result, sys.stdout)
        return
    click.echo(f"{result.ref} -/-> {result.environment}")
    report(result.proposal)
