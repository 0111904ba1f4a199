"""modelreg list"""

from __future__ import annotations

import sys
from typing import Any

import click

from modelreg.cli.asof import at_option, registry_for
from modelreg.cli.options import format_option, repo_option
from modelreg.registry import ListedVersion


@click.command("list")
@click.option("--stage", help="Only versions in this stage.")
@click.option("--tag", help="Only versions with this tag.")
@click.option("--model", "model", help="Only this model's versions.")
@at_option
@repo_option
@format_option("table", "json")
def command(
    stage: str | None, tag: str | None, model: str | None, at: str | None, repo: str, fmt: str
) -> None:
    """List model versions with their stages, newest version of each model first.

    \b
    Examples:
      modelreg list
      modelreg list --stage production
      modelreg list --tag fraud --format json
      modelreg list --stage production --at 2026-03-01
    """
    registry = registry_for(repo, at)
    if stage is not None and stage not in registry.config.stages:
        from modelreg.errors import NotFoundError

        raise NotFoundError(
            f"unknown stage {stage!r}; registry.yaml defines: {', '.join(registry.config.stages)}"
        )
    names = [registry.model(model).name] if model else registry.model_names()
    rows = [
        v
        for name in names
        for v in reversed(registry.listing(name))
        if (stage is None or v.stage == stage) and (tag is None or tag in v.summary.tags)
    ]
    out = sys.stdout
    if fmt == "json":
        from modelreg.report import to_json

        to_json({"versions": [_row(v) for v in rows]}, out)
        return
    from modelreg.report import number, table

    table(
        ["MODEL", "VERSION", "STAGE", "CREATED", "METRICS"],
        [
            [
                v.name,
                v.version,
                v.stage,
                v.summary.created_date,
                " ".join(f"{k}={number(x)}" for k, x in list(v.summary.metrics.items())[:4]),
            ]
            for v in rows
        ],
        out,
    )


def _row(v: ListedVersion) -> dict[str, Any]:
    s = v.summary
    return {
        "ref": v.ref,
        "name": v.name,
        "version": v.version,
        "stage": v.stage,
        "created_at": s.created_at,
        "created_by": s.created_by,
        "tags": s.tags,
        "metrics": s.metrics,
    }
