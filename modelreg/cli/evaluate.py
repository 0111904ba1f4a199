"""modelreg evaluate"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from modelreg.cli.options import format_option, repo_option, say
from modelreg.cli.proposing import make_options, proposal_options, report

HELP = """Append an evaluation of the version REF on a dataset to its manifest.

An evaluation records a dataset (NAME@VERSION), metrics, a kind (offline, shadow, online,
ab), an optional note, who and when. It is the one change a registered manifest allows,
and registry.yaml may require one for a stage (requires: evaluations:). By default it is
proposed like a promotion: a branch evaluate/NAME-VERSION-DATASET with one commit, pushed,
with a pull request when GITHUB_TOKEN or GH_TOKEN is set. With --commit it is committed on
the current branch instead (where the team allows it).

\b
Examples:
  modelreg evaluate fraud-detector@1.3.0 --dataset holdout@2026-11 --metrics-file eval.json
  modelreg evaluate fraud-detector@production --dataset live@2026-11 --metric auc=0.93 --kind online
  modelreg evaluate fraud-detector@1.3.0 --dataset holdout@2026-11 --metric auc=0.95 --commit
"""


@click.command("evaluate", help=HELP)
@click.argument("ref")
@click.option("--dataset", required=True, metavar="NAME@VERSION", help="The dataset evaluated on.")
@click.option(
    "--metrics-file",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON or YAML file of metrics (nested keys are joined with dots).",
)
@click.option("--metric", "metric_pairs", multiple=True, metavar="KEY=VALUE", help="One metric.")
@click.option(
    "--kind",
    type=click.Choice(["offline", "shadow", "online", "ab"]),
    default="offline",
    show_default=True,
    help="How the version was evaluated.",
)
@click.option("--note", default=None, help="What to know about this evaluation.")
@click.option(
    "--commit", "direct", is_flag=True, help="Commit on the current branch instead of a pull request."
)
@proposal_options("evaluate/NAME-VERSION-DATASET")
@repo_option
@format_option("text", "json")
def command(
    ref: str,
    dataset: str,
    metrics_file: tuple[Path, ...],
    metric_pairs: tuple[str, ...],
    kind: Any,
    note: str | None,
    direct: bool,
    repo: str,
    fmt: str,
    **options: Any,
) -> None:
    from modelreg.operations import inputs
    from modelreg.operations.evaluate import EvaluateRequest, evaluate

    request = EvaluateRequest(
        ref=ref,
        dataset=dataset,
        metrics=inputs.metrics(metric_pairs, metrics_file),
        kind=kind,
        note=note,
        commit=direct,
        options=make_options(**options),
    )
    result = evaluate(Path(repo), request, say=say if fmt == "text" else lambda _: None)
    if fmt == "json":
        from modelreg.render.common import to_json

        to_json(result, sys.stdout)
        return
    on = result.evaluation.dataset
    click.echo(f"{result.ref}: evaluation on {on.name}@{on.version} ({result.evaluation.kind}) appended")
    if result.proposal is None:
        click.echo(f"committed {result.commit[:12]}")
    else:
        report(result.proposal)
