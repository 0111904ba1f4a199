"""modelreg compare"""

from __future__ import annotations

import sys

import click

from modelreg.cli.asof import at_option, registry_for
from modelreg.cli.options import format_option, repo_option


@click.command("compare")
@click.argument("refs", nargs=-1, required=True, metavar="REF REF... | NAME")
@click.option("--metric", "metrics", multiple=True, help="Only this metric (repeat for several).")
@click.option("--stage", help="With --over-time: the stage whose holders to list.")
@click.option(
    "--dataset",
    metavar="NAME@VERSION",
    help="Compare the metrics of each version's latest evaluation on this dataset.",
)
@click.option(
    "--over-time",
    is_flag=True,
    help="Every version that held --stage of model NAME, from when to when, through which PR.",
)
@at_option
@repo_option
@format_option("table", "json", "markdown")
def command(
    refs: tuple[str, ...],
    metrics: tuple[str, ...],
    stage: str | None,
    dataset: str | None,
    over_time: bool,
    at: str | None,
    repo: str,
    fmt: str,
) -> None:
    """Versions side by side: metrics with deltas against the first REF, better or worse by each
    metric's goal in registry.yaml (`minimize` is better when lower), the best version per
    metric, the params and data that differ, and how the versions relate in lineage.

    With --over-time: every version that held a stage of one model, oldest first.

    \b
    Examples:
      modelreg compare fraud-detector@production fraud-detector@1.3.0
      modelreg compare fraud-detector@1.2.0 fraud-detector@1.3.0 --metric auc --format markdown
      modelreg compare fraud-detector --stage production --over-time
      modelreg compare fraud-detector@1.2.0 fraud-detector@1.3.0 --at 2026-03-01
      modelreg compare fraud-detector@1.2.0 fraud-detector@1.3.0 --dataset holdout@2026-11
    """
    from modelreg.domain.errors import InvalidInputError
    from modelreg.render import compare_report

    registry = registry_for(repo, at)
    chosen = list(metrics) or None
    out = sys.stdout
    if over_time:
        if len(refs) != 1 or "@" in refs[0] or stage is None:
            raise InvalidInputError(
                "--over-time takes one model NAME and --stage, e.g. fraud --stage production"
            )
        from modelreg.queries.compare import over_time as timeline

        result = timeline(registry.catalog, refs[0], stage, tip=registry.tip)
        if fmt == "json":
            compare_report.render_json(result, out)
        elif fmt == "markdown":
            compare_report.render_timeline_markdown(result, out, metrics=chosen)
        else:
            compare_report.render_timeline_table(result, out, metrics=chosen)
        return
    if stage is not None:
        raise InvalidInputError("--stage goes with --over-time; to compare a stage's holder use NAME@STAGE")
    comparison = registry.compare(*refs, metrics=chosen, dataset=dataset)
    {
        "json": compare_report.render_json,
        "markdown": compare_report.render_markdown,
        "table": compare_report.render_table,
    }[fmt](comparison, out)
