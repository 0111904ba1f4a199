"""modelreg deploy"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from modelreg.cli.options import format_option, repo_option, say
from modelreg.cli.proposing import make_options, proposal_options, report

HELP = """Run the version REF in environment --env, by pull request.

The desired state of each model's deployments is models/NAME/deployments.yaml
(environment -> version, endpoint, traffic). This command edits one environment's entry
on a new branch deploy/NAME-VERSION-ENV, pushes it and opens a pull request when
GITHUB_TOKEN or GH_TOKEN is set. It checks first what `modelreg check` checks: the
environment is declared in registry.yaml (environments:), and the version holds a stage
that environment accepts. Endpoint and traffic are kept from the previous entry unless given.

\b
Examples:
  modelreg deploy fraud-detector@staging --env canary --traffic 10
  modelreg deploy fraud-detector@production --env prod-eu --endpoint https://eu.example.com/fraud
"""


@click.command("deploy", help=HELP)
@click.argument("ref")
@click.option("--env", "environment", required=True, metavar="ENV", help="The environment (registry.yaml).")
@click.option("--endpoint", metavar="URL", help="Where the environment serves the model.")
@click.option("--traffic", type=float, metavar="PERCENT", help="Share of the traffic, 0 to 100.")
@click.option("--reason", default="", help="Why: written in the commit body and the pull request.")
@proposal_options("deploy/NAME-VERSION-ENV")
@repo_option
@format_option("text", "json")
def command(
    ref: str,
    environment: str,
    endpoint: str | None,
    traffic: float | None,
    reason: str,
    repo: str,
    fmt: str,
    **options: Any,
) -> None:
    from modelreg.operations.deploy import DeployRequest, deploy

    request = DeployRequest(
        ref=ref,
        environment=environment,
        endpoint=endpoint,
        traffic=traffic,
        reason=reason,
        options=make_options(**options),
    )
    result = deploy(Path(repo), request, say=say if fmt == "text" else lambda _: None)
    if fmt == "json":
        from modelreg.render.common import to_json

        to_json(result, sys.stdout)
        return
    was = f" (was {result.previous})" if result.previous else ""
    click.echo(f"{result.ref} -> {result.environment}{was}")
    report(result.proposal)
