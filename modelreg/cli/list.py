"""modelreg list"""

from __future__ import annotations

import sys
from collections.abc import Callable
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
        _table(repo, stage, tag, model)
        return
    registry = registry_for(repo, at)
    _check_filters(list(registry.config.stages), stage, model, known=lambda name: bool(registry.model(name)))
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
        if at is None:  # the work tree: from the source kept for its documents' state when there is one
            from modelreg.adapters import git
            from modelreg.documents.tree import WorkTree
            from modelreg.queries.search import cached_source, search_source

            source = cached_source(WorkTree(git.root(repo)))
            found = search_source(source, where=where, sort=sort, **given)
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


def _table(repo: str, stage: str | None, tag: str | None, model: str | None) -> None:
    """The table of the work tree: from the view kept with the documents' state when there is
    one, else from the registry (keeping its view for the next time)."""
    from modelreg.adapters import git
    from modelreg.documents.tree import WorkTree
    from modelreg.render import listing as list_view

    tree = WorkTree(git.root(repo))
    state = list_view.state_of(tree)
    found = list_view.find(tree.top, state)
    if found is not None and stage is None and tag is None and model is None:
        sys.stdout.write(found.text())
        return
    view = found.data() if found is not None else None
    registry = None
    if view is None:
        from modelreg.registry import Registry

        registry = Registry(tree.top, tree=tree)  # the files listed by find(): not listed again
        _check_filters(
            list(registry.config.stages), stage, model, known=lambda name: bool(registry.model(name))
        )
        view = list_view.build(registry)
    else:
        models = {name for name, _ in view["models"]}
        _check_filters(view["stages"], stage, model, known=models.__contains__)
    filtered = stage is not None or tag is not None or model is not None
    text = list_view.render(list_view.rows(view, stage=stage, tag=tag, model=model))
    sys.stdout.write(text)
    if registry is not None and state is not None:
        list_view.write(tree.top, state, view, None if filtered else text)


def _check_filters(
    stages: list[str], stage: str | None, model: str | None, *, known: Callable[[str], bool]
) -> None:
    """NotFoundError for a stage registry.yaml does not define or a model there is not."""
    from modelreg.domain.errors import NotFoundError

    if stage is not None and stage not in stages:
        raise NotFoundError(f"unknown stage {stage!r}; registry.yaml defines: {', '.join(stages)}")
    if model is not None:
        from modelreg.domain import refs

        if not known(refs.check_name(model)):
            raise NotFoundError(f"no model {model!r} in the registry; `modelreg list` shows the models")


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
