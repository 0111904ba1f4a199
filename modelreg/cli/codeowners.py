"""modelreg codeowners"""

from __future__ import annotations

import sys

import click

from modelreg.cli.options import format_option, repo_option


@click.command("codeowners")
@click.option(
    "--check", "dry_run", is_flag=True, help="Write nothing; exit 1 if the file is missing or stale."
)
@repo_option
@format_option("text", "json")
def command(dry_run: bool, repo: str, fmt: str) -> None:
    """Write .github/CODEOWNERS from each model's owner (models/NAME/model.yaml).

    Each model's folder is owned by its owner; with `stages_owner` in registry.yaml, every
    models/*/stages.yaml is owned by it (say a release team), so promotions need its
    review, and so are registry.yaml, .github/, .dvc/ and schemas/. `modelreg check`
    flags a CODEOWNERS that no longer matches. Commit the file.

    \b
    Examples:
      modelreg codeowners
      modelreg codeowners --check
    """
    from modelreg.operations.codeowners import write

    result = write(repo, dry_run=dry_run)
    if fmt == "json":
        from modelreg.render.common import to_json

        to_json(result, sys.stdout)
    elif dry_run:
        click.echo(
            f"{result.path} is {'stale; run `modelreg codeowners`' if result.changed else 'up to date'}"
        )
    else:
        click.echo(
            f"{'wrote' if result.changed else 'unchanged:'} {result.path} ({result.owned} model(s) owned)"
        )
    for name in result.unowned:
        click.echo(f"  model {name} has no owner in models/{name}/model.yaml", err=True)
    if dry_run and result.changed:
        sys.exit(1)
