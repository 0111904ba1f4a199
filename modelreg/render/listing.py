"""`modelreg list` as table cells, kept with the state of the documents they were made from.

A warm `list` used to load the registry (pydantic and all), then build a summary and a stage
lookup per version, to print cells that depend on nothing but the documents' state. Keyed by
that state (``tree.documents_state``: the documents' paths and ``lstat`` fingerprints), the store
(``modelreg.store``) holds every model's rows, so a warm `list` walks the work tree, finds the
key, reads one value and prints.

Written by the slow path, from the same ``cells`` it prints, and only after it read the
registry without a problem that stops reads (so the fast path has no error to reproduce but
an unknown stage or model); it also holds the whole table as printed, so a plain `list` only
prints it. Not kept while a document changed too recently for its ``lstat`` to be trusted.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from modelreg import store
from modelreg.domain.escape import csv_cell, terminal
from modelreg.domain.numbers import number
from modelreg.render.common import table

if TYPE_CHECKING:
    from modelreg.documents.tree import WorkTree
    from modelreg.queries.catalog import Catalog, ListedVersion

KIND = "list-view"  # the store's kind of value
HEADERS = ["MODEL", "VERSION", "STAGE", "CREATED", "METRICS"]
KEPT = 4  # views of this many states are kept


def cells(v: ListedVersion, *, first: list[str] | None = None) -> list[str]:
    """The cells `modelreg list` prints for one version (control characters escaped); the
    metrics named in ``first`` (a search's) come first."""
    shown = v.summary.metrics
    if first:
        ahead = {k: shown[k] for k in first if k in shown}
        shown = {**ahead, **{k: x for k, x in shown.items() if k not in ahead}}
    metrics = " ".join(f"{k}={number(x)}" for k, x in list(shown.items())[:4])
    return [v.name, v.version, v.stage, v.summary.created_date, terminal(metrics)]


def build(registry: Catalog) -> dict[str, Any]:
    """The view of a registry: its stages, and each model's rows newest first (each row: the
    version's tags, then its ``cells``)."""
    models = []
    for name in registry.model_names():
        models.append([name, [[v.summary.tags, *cells(v)] for v in reversed(registry.listing(name))]])
    return {"stages": list(registry.config.stages), "models": models}


def render(rows: list[list[str]]) -> str:
    """The table `modelreg list` prints of these rows."""
    out = io.StringIO()
    table(HEADERS, rows, out)
    return out.getvalue()


def render_csv(found: list[ListedVersion], stream: TextIO) -> None:
    """The versions as CSV: one row each, a column per metric any of them has."""
    metrics = sorted({k for v in found for k in v.summary.metrics})
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["name", "version", "stage", "created_at", "created_by", "framework", "tags", *metrics])
    for v in found:
        s = v.summary
        values = [number(s.metrics[k]) if k in s.metrics else "" for k in metrics]
        cells = [v.name, v.version, v.stage, s.created_at, s.created_by, s.framework or "", " ".join(s.tags)]
        writer.writerow([*(csv_cell(cell) for cell in cells), *values])


def state_of(tree: WorkTree) -> str | None:
    """The key of the work tree's documents as they are now (``tree.documents_state``), or None
    when the store is off, there is no registry, or a document changed too recently for its
    fingerprint to be trusted ("racy", see ``tree.FileMemo``)."""
    from modelreg.documents.tree import documents_state
    from modelreg.domain.layout import REGISTRY_FILE

    if not store.store_for(tree.top).enabled:
        return None
    state = documents_state(tree)
    return None if state.racy or REGISTRY_FILE not in state.listed else state.key


def write(top: Path, state: str, view: dict[str, Any], everything: str | None = None) -> None:
    """Keep ``view`` (``build(registry)``) for the documents' ``state``: the view as JSON (one
    line), then ``everything``, the table of every version as `modelreg list` prints it (made
    here when not given)."""
    if everything is None:
        everything = render(rows(view, stage=None, tag=None, model=None))
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
