"""modelreg describe"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from modelreg.cli.options import format_option, repo_option, say
from modelreg.cli.proposing import make_options, proposal_options, report

HELP = """Change the facts of model NAME: its description, owner and tags (models/NAME/model.yaml).

A model's facts are written by its first `register`; this command edits them. By default the
change is proposed like a promotion: a branch describe/NAME with one commit, pushed, with a
pull request when GITHUB_TOKEN or GH_TOKEN is set; `modelreg check` judges it (model.yaml's
schema; a new owner must come with the regenerated .github/CODEOWNERS, which this command
writes in the same commit when the registry keeps one). With --commit it is committed on the
current branch instead (where the team allows it). Nothing given is left as it is.

\b
Examples:
  modelreg describe fraud-detector --description "Gradient boosted trees on the v7 features"
  modelreg describe fraud-detector --owner @acme/risk-ml --reason "the risk team took it over"
  modelreg describe fraud-detector --tag tabular --tag pii --remove-tag experimental
  modelreg describe churn --description "Churn in 30 days" --commit
"""


@click.command("describe", help=HELP)
@click.argument("name")
@click.option("--description", default=None, help="The model's new description.")
@click.option(
    "--owner", default=None, help="The new owner, e.g. a GitHub team @acme/risk-ml ('' removes it)."
)
@click.option("--tag", "add_tags", multiple=True, help="A tag to add (repeatable).")
@click.option("--remove-tag", "remove_tags", multiple=True, help="A tag to remove (repeatable).")
@click.option("--reason", default="", help="Why: written in the commit body and the pull request.")
@click.option(
    "--commit", "direct", is_flag=True, help="Commit on the current branch instead of a pull request."
)
@proposal_options("describe/NAME")
@repo_option
@format_option("text", "json")
def command(
    name: str,
    description: str | None,
    owner: str | None,
    add_tags: tuple[str, ...],
    remove_tags: tuple[str, ...],
    reason: str,
    direct: bool,
    repo: str,
    fmt: str,
    **options: Any,
) -> None:
    from modelreg.domain.escape import terminal
    from modelreg.operations.describe import DescribeRequest, describe

    request = DescribeRequest(
        name=name,
        description=description,
        owner=owner,
        add_tags=list(add_tags),
        remove_tags=list(remove_tags),
        reason=reason,
        commit=direct,
        options=make_options(**options),
    )
    result = describe(Path(repo), request, say=say if fmt == "text" else lambda _: None)
    if fmt == "json":
        from modelreg.render.common import to_json

        to_json(result, sys.stdout)
        return
    click.echo(terminal(f"{result.name}: {', '.join(result.changed)} ({', '.join(result.files)})"))
    if result.proposal is None:
        click.echo(f"committed {result.commit[:12]}")
    else:
        report(result.proposal)
