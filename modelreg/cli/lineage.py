"""modelreg lineage"""

from __future__ import annotations

import sys
from typing import cast

import click

from modelreg.cli.asof import at_option, registry_for
from modelreg.cli.options import format_option, repo_option


@click.command("lineage")
@click.argument("ref", required=False)
@click.option("--depth", type=click.IntRange(min=1), help="How many steps to follow (default: all).")
@click.option(
    "--direction",
    type=click.Choice(["up", "down", "both"]),
    default="both",
    show_default=True,
    help="Ancestors (up), descendants (down) or both.",
)
@click.option(
    "--data",
    "dataset",
    metavar="DATASET[@VERSION]",
    help="Instead of REF: every version trained or evaluated on this dataset.",
)
@at_option
@repo_option
@format_option("tree", "json", "mermaid", "dot")
def command(
    ref: str | None,
    depth: int | None,
    direction: str,
    dataset: str | None,
    at: str | None,
    repo: str,
    fmt: str,
) -> None:
    """What version REF was derived from and what derives from it, through `lineage.parents`,
    with each relation (retrain, finetune, ...) and the datasets each version was trained on.
    With --data: every version trained or evaluated on a dataset (impact analysis).

    Mermaid output renders in GitHub Markdown (put it in a ```mermaid block); DOT feeds Graphviz.

    \b
    Examples:
      modelreg lineage fraud-detector@1.3.0
      modelreg lineage fraud-detector@production --direction up --depth 2
      modelreg lineage fraud-detector@1.3.0 --format mermaid
      modelreg lineage fraud-detector@1.0.0 --direction down --format dot | dot -Tsvg > lineage.svg
      modelreg lineage --data transactions@2026-10
    """
    from modelreg.domain.errors import InvalidInputError
    from modelreg.queries.lineage import Direction
    from modelreg.render import lineage_report

    if (ref is None) == (dataset is None):
        raise InvalidInputError("give either a version REF or --data DATASET[@VERSION], not both or neither")
    registry = registry_for(repo, at)
    out = sys.stdout
    if dataset is not None:
        from modelreg.queries.lineage import dataset_users

        impact = dataset_users(registry.catalog, dataset)
        {
            "json": lineage_report.render_json,
            "mermaid": lineage_report.render_impact_mermaid,
            "dot": lineage_report.render_impact_dot,
            "tree": lineage_report.render_impact_text,
        }[fmt](impact, out)
        return
    assert ref is not None
    graph = registry.lineage(ref, depth=depth, direction=cast("Direction", direction))
    {
        "json": lineage_report.render_json,
        "mermaid": lineage_report.render_mermaid,
        "dot": lineage_report.render_dot,
        "tree": lineage_report.render_tree,
    }[fmt](graph, out)
