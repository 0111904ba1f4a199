"""modelreg deployments"""

from __future__ import annotations

import sys

import click

from modelreg.cli.asof import at_option, registry_for
from modelreg.cli.options import format_option, repo_option


@click.command("deployments")
@click.argument("name", required=False)
@at_option
@repo_option
@format_option("text", "json")
def command(name: str | None, at: str | None, repo: str, fmt: str) -> None:
    """Where each version runs: every environment of model NAME (default: all models) with its
    version, that version's stage, traffic, endpoint, and since when it runs there (the commit
    and pull request that deployed it, from history). With --at: as of a revision or a date.

    \b
    Examples:
      modelreg deployments
      modelreg deployments fraud-detector --at 2026-11-01
      modelreg deployments fraud-detector --format json
    """
    from modelreg.queries.deployments import deployments
    from modelreg.render import delivery

    view = deployments(registry_for(repo, at).catalog, name)
    (delivery.deployments_json if fmt == "json" else delivery.deployments_text)(view, sys.stdout)
