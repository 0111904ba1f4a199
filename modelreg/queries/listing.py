"""The table `modelreg list` prints of the work tree, kept with the state of the documents it was
made from.

A warm `list` used to load the registry (pydantic and all), then build a summary and a stage
lookup per version, to print cells that depend on nothing but the documents' state. Keyed by
that state (``documents_key``: the documents' paths and ``lstat`` fingerprints), the store
(``modelreg.store``) holds every model's rows, so a warm `list` walks the work tree, finds the
key, reads one value and prints.

Written by the slow path, from the same cells it prints (the renderer's, handed in as a
``Layout``: this module keeps what it printed and never imports a renderer), and only after it
read the registry without a problem that stops reads (so the fast path has no error to
reproduce but an unknown stage or model); it also holds the whole table as printed, so a plain
`list` only prints it. Not kept while a document changed too recently for its ``lstat`` to be
trusted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from modelreg import store
from modelreg.documents.tree import WorkTree, documents_state
from modelreg.domain.layout import REGISTRY_FILE

if TYPE_CHECKING:
    from modelreg.queries.catalog import Catalog, ListedVersion

KIND = "list-view"  # the store's kind of value
KEPT = 4  # views of this many states are kept


class Layout(NamedTuple):
    """How `modelreg list` prints: one version's cells, and the table of such cells."""

    cells: Callable[[ListedVersion], list[str]]
    table: Callable[[list[list[str]]], str]


def documents_key(tree: WorkTree) -> str | None:
    """The key of the work tree's documents as they are now (``tree.documents_state``), or None
    when the store is off, there is no registry, or a document changed too recently for its
    fingerprint to be trusted ("racy", see ``store.memo.FileMemo``)."""
    if not store.store_for(tree.top).enabled:
        return None
    state = documents_state(tree)
    return None if state.racy or REGISTRY_FILE not in state.listed else state.key


def table(top: Path, layout: Layout, *, stage: str | None, tag: str | None, model: str | None) -> str:
    """The table of the work tree's versions `modelreg list` prints with these filters: from the
    view kept with the documents' state when there is one, else from the registry (keeping its
    view for the next time). NotFoundError for an unknown stage or model."""
    tree = WorkTree(top)
    state = documents_key(tree)
    found = find(tree.top, state)
    if found is not None and stage is None and tag is None and model is None:
        return found.text()
    view = found.data() if found is not None else None
    read = view is None
    if view is None:
        from modelreg.queries.catalog import Catalog

        catalog = Catalog(tree.top, tree=tree)  # the files listed by documents_key(): not listed again
        check_filters(list(catalog.config.stages), stage, model, known=lambda name: bool(catalog.model(name)))
        view = build(catalog, layout)
    else:
        models = {name for name, _ in view["models"]}
        check_filters(view["stages"], stage, model, known=models.__contains__)
    filtered = stage is not None or tag is not None or model is not None
    text = layout.table(rows(view, stage=stage, tag=tag, model=model))
    if read and state is not None:
        write(tree.top, state, view, layout, None if filtered else text)
    return text


def check_filters(
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


def build(catalog: Catalog, layout: Layout) -> dict[str, Any]:
    """The view of a registry: its stages, and each model's rows newest first (each row: the
    version's tags, then its cells)."""
    models = []
    for name in catalog.model_names():
        listed = reversed(catalog.listing(name))
        models.append([name, [[v.summary.tags, *layout.cells(v)] for v in listed]])
    return {"stages": list(catalog.config.stages), "models": models}


def write(top: Path, state: str, view: dict[str, Any], layout: Layout, everything: str | None = None) -> None:
    """Keep ``view`` (``build``) for the documents' ``state``: the view as JSON (one line), then
    ``everything``, the table of every version as `modelreg list` prints it (made here when not
    given)."""
    if everything is None:
        everything = layout.table(rows(view, stage=None, tag=None, model=None))
    kept = store.store_for(top)
    kept.put(KIND, state, json.dumps(view, separators=(",", ":")) + "\n" + everything, keep=KEPT)
    kept.save()


class View:
    """A view read back: the whole table as printed, and the data to print less of it."""

    def __init__(self, value: str) -> None:
        self._data, _, self._text = value.partition("\n")

    def text(self) -> str:
        return self._text

    def data(self) -> dict[str, Any] | None:
        try:
            found = json.loads(self._data)
        except (ValueError, RecursionError):
            return None
        # The store's checksum says this is the text ``write`` wrote: the view is what ``build`` made.
        return found if isinstance(found, dict) else None


def find(top: Path, state: str | None) -> View | None:
    """The view kept for the documents' ``state``, or None."""
    value = store.store_for(top).get(KIND, state) if state is not None else None
    return View(value) if value is not None else None


def rows(view: dict[str, Any], *, stage: str | None, tag: str | None, model: str | None) -> list[list[str]]:
    """The cells of the versions `modelreg list` shows with these filters."""
    found = []
    for name, held in view["models"]:
        if model is not None and name != model:
            continue
        for tags, *row in held:
            if (stage is None or row[2] == stage) and (tag is None or tag in tags):
                found.append(row)
    return found
