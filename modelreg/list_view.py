"""`modelreg list` as table cells, kept with the state of the documents they were made from.

A warm `list` used to load the registry (pydantic and all), then build a summary and a stage
lookup per version, to print cells that depend on nothing but the documents' state. Keyed by
that state (``cache.state_key``: paths, fingerprints, code), this file holds every model's
rows, so a warm `list` walks the work tree, finds the key, reads one file and prints.

Written by the slow path, from the same ``cells`` it prints, and only after it read the
registry without a problem that stops reads (so the fast path has no error to reproduce but
an unknown stage or model); it also holds the whole table as printed, so a plain `list` only
prints it. A sealed file (``modelreg.sealed``): one that does not read back whole is ignored.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelreg import cache, sealed
from modelreg.escape import terminal
from modelreg.report import number, table

if TYPE_CHECKING:
    from modelreg.registry import ListedVersion, Registry
    from modelreg.tree import WorkTree

FORMAT = 2
HEADERS = ["MODEL", "VERSION", "STAGE", "CREATED", "METRICS"]
KEPT = 4  # views of this many states are kept


def cells(v: ListedVersion) -> list[str]:
    """The cells `modelreg list` prints for one version (control characters escaped)."""
    metrics = " ".join(f"{k}={number(x)}" for k, x in list(v.summary.metrics.items())[:4])
    return [v.name, v.version, v.stage, v.summary.created_date, terminal(metrics)]


def build(registry: Registry) -> dict[str, Any]:
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


def _file(folder: Path, key: str) -> Path:
    return folder / f"list-{key}.json"


def write(registry: Registry, view: dict[str, Any], everything: str | None = None) -> None:
    """Keep ``view`` (``build(registry)``) when the state of ``registry`` (its work tree) is
    kept: the view as JSON (one line), then ``everything``, the table of every version as
    `modelreg list` prints it (made here when not given)."""
    snap = registry.snapshot
    folder = snap.store.folder
    if folder is None or snap.state is None:
        return
    if everything is None:
        everything = render(rows(view, stage=None, tag=None, model=None))
    body = json.dumps(view, separators=(",", ":")).encode() + b"\n" + everything.encode()
    sealed.write(_file(folder, snap.state), {"format": FORMAT, "stamp": snap.store.stamp}, body)
    cache.keep_newest(folder, "list-*.json", KEPT)


class View:
    """A view read back: the whole table as printed, and the data to print less of it."""

    def __init__(self, body: bytes) -> None:
        self._data, _, self._text = body.partition(b"\n")

    def text(self) -> str:
        return self._text.decode()

    def data(self) -> dict[str, Any] | None:
        try:
            found = json.loads(self._data)
        except (ValueError, RecursionError):
            return None
        # The digest says these are the bytes ``write`` wrote: the view is what ``build`` made.
        return found if isinstance(found, dict) else None


def find(tree: WorkTree) -> View | None:
    """The view kept for the work tree's state now, or None."""
    from modelreg.layout import REGISTRY_FILE

    store = cache.store_for(tree.top)
    if store.folder is None:
        return None
    state = cache.documents_state(tree, store.stamp)
    if REGISTRY_FILE not in state.listed:
        return None
    found = sealed.read(_file(store.folder, state.key))
    if found is None or found[0] != {"format": FORMAT, "stamp": store.stamp}:
        return None
    return View(found[1])


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
