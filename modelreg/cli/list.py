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
    if fmt == "table" and at is None:  # the view kept with the documents' state, when there is one
        from modelreg import git, list_view
        from modelreg.tree import WorkTree

        view = list_view.find(WorkTree(git.root(repo)))
        if view is not None and stage is None and tag is None and model is None:
            sys.stdout.write(view.text())
            return
        data = view.data() if view is not None else None
        if data is not None:
            models = {name for name, _ in data["models"]}
            _check_filters(data["stages"], stage, model, known=models.__contains__)
            sys.stdout.write(list_view.render(list_view.rows(data, stage=stage, tag=tag, model=model)))
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
        from modelreg.report import to_json

        to_json({"versions": [_row(v) for v in rows]}, sys.stdout)
        return
    from modelreg import list_view

    sys.stdout.write(list_view.render([list_view.cells(v) for v in rows]))
    if at is None:
        list_view.write(registry)


def _check_filters(
    stages: list[str], stage: str | None, model: str | None, *, known: Callable[[str], bool]
) -> None:
    """NotFoundError for a stage registry.yaml does not define or a model there is not."""
    from modelreg.errors import NotFoundError

    if stage is not None and stage not in stages:
        raise NotFoundError(f"unknown stage {stage!r}; registry.yaml defines: {', '.join(stages)}")
    if model is not None:
        from modelreg import refs

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
    }
