"""`modelreg list`'s reporters: a version's table cells, the table, CSV. ``LAYOUT`` is how the
table prints; the view a warm `list` reads (``modelreg.queries.listing``) is made with it."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, TextIO

from modelreg.domain.escape import csv_cell, terminal
from modelreg.domain.numbers import number
from modelreg.queries.listing import Layout
from modelreg.render.common import table

if TYPE_CHECKING:
    from modelreg.queries.catalog import ListedVersion

HEADERS = ["MODEL", "VERSION", "STAGE", "CREATED", "METRICS"]


def cells(v: ListedVersion, *, first: list[str] | None = None) -> list[str]:
    """The cells `modelreg list` prints for one version (control characters escaped); the
    metrics named in ``first`` (a search's) come first."""
    shown = v.summary.metrics
    if first:
        ahead = {k: shown[k] for k in first if k in shown}
        shown = {**ahead, **{k: x for k, x in shown.items() if k not in ahead}}
    metrics = " ".join(f"{k}={number(x)}" for k, x in list(shown.items())[:4])
    return [v.name, v.version, v.stage, v.summary.created_date, terminal(metrics)]


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


LAYOUT = Layout(cells=cells, table=render)
