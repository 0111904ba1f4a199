"""modelreg list"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from modelreg.cli.asof import at_option, registry_for
from modelreg.cli.options import format_option, repo_option

if TYPE_CHECKING:
    from modelreg.registry import ListedVersion


@click.command("list")
@click.option("--stage", help="Only versions in this stage.")
@click.option("--tag", help="Only versions with this tag.")
@click.option(
    "--model", "model", help="Only this model's versions, or those of models a glob matches: 'fraud-*'."
)
@click.option(
    "--where",
    metavar="EXPR",
    help="Only versions this expression selects, e.g. \"auc >= 0.9 and stage in ('staging', 'production')\"; "
    "fields: name, version, stage, owner, tag, framework, algorithm, created, created_by, "
    "any metric or param, custom.KEY (register --custom).",
)
@click.option(
    "--sort", metavar="KEYS", help="Sort by these fields, comma-separated, - for descending: -auc,name."
)
@click.option("--limit", type=click.IntRange(min=0), help="Show at most this many versions.")
@at_option
@repo_option
@format_option("table", "json", "csv")
def command(
    stage: str | None,
    tag: str | None,
    model: str | None,
    where: str | None,
    sort: str | None,
    limit: int | None,
    at: str | None,
    repo: str,
    fmt: str,
) -> None:
    """List model versions with their stages, newest version of each model first.

    \b
    Examples:
      modelreg list
      modelreg list --stage production
      modelreg list --tag fraud --format json
      modelreg list --stage production --at 2026-03-01
      modelreg list --where "auc >= 0.9 and framework == 'xgboost'" --sort -auc --limit 10
      modelreg list --model 'fraud-*' --where "created >= '2026-06-01'" --format csv
      modelreg list --where "custom.risk.tier <= 2 and custom.ticket ~ 'ML-*'"
    """
    if where is not None or sort is not None or limit is not None or fmt == "csv" or _is_glob(model):
        _search(repo, at, fmt, where=where, sort=sort, limit=limit, model=model, stage=stage, tag=tag)
        return
    if fmt == "table" and at is None and model is None:  # one model's rows: read that model only
        from modelreg.adapters import git
        from modelreg.queries import listing
        from modelreg.render import listing as reporter

        sys.stdout.write(listing.table(git.root(repo), reporter.LAYOUT, stage=stage, tag=tag, model=model))
        return
    from modelreg.queries.listing import check_filters

    registry = registry_for(repo, at)
    check_filters(list(registry.config.stages), stage, model, known=lambda name: bool(registry.model(name)))
    names = [model] if model else registry.model_names()
    rows = [
        v
        for name in names
        for v in reversed(registry.listing(name))
        if (stage is None or v.stage == stage) and (tag is None or tag in v.summary.tags)
    ]
    if fmt == "json":
        from modelreg.render.common import to_json

        to_json({"versions": [_row(v) for v in rows]}, sys.stdout)
        return
    from modelreg.render import listing as list_view

    sys.stdout.write(list_view.render([list_view.cells(v) for v in rows]))


def _is_glob(model: str | None) -> bool:
    if model is None:
        return False
    from modelreg.queries.search import is_glob

    return is_glob(model)


def _search(
    repo: str, at: str | None, fmt: str, *, where: str | None, sort: str | None, **given: Any
) -> None:
    """`list` with --where, --sort, --limit or a glob for --model: ``Registry.search``."""
    from modelreg.domain.errors import ExpressionError

    try:
        if at is None:  # the work tree: what Registry(repo).search reads, without loading the registry
            from modelreg.adapters import git
            from modelreg.queries.search import search_work_tree

            found = search_work_tree(git.root(repo), where=where, sort=sort, **given)
        else:
            found = registry_for(repo, at).search(where, sort=sort, **given)
    except ExpressionError as e:
        raise e.labelled(f"--{e.label}") from e
    if fmt == "json":
        from modelreg.render.common import to_json

        to_json({"versions": [_row(v) for v in found]}, sys.stdout)
        return
    from modelreg.render import listing as list_view

    if fmt == "csv":
        list_view.render_csv(found, sys.stdout)
        return
    from modelreg.queries.search import named_metrics

    first = named_metrics(where, sort)
    sys.stdout.write(list_view.render([list_view.cells(v, first=first) for v in found]))


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
        "custom": s.custom,  # by dotted key
    }
