"""Charts and graphs drawn as SVG when the site is built: no script, no library, no network.

A metric chart has one ``circle.point`` per version that records the metric, the stage
requirement on it as a dashed ``line.requirement``, and a ``rect.tenure`` behind every version
that held production. A lineage graph has one ``g.node`` per version (and per parent from
another model, marked ``external``) and one ``path.edge`` per parent link.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction

from modelreg.render.site.html import e

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 20, 48
MAX_X_LABELS = 12


@dataclass
class Point:
    version: str
    value: float
    stage: str
    href: str


@dataclass
class Bound:
    label: str  # e.g. "production: min 0.9"
    value: float


@dataclass
class Band:
    version: str
    title: str  # who held it when, and through which pull request
    current: bool


@dataclass
class Chart:
    metric: str
    goal: str | None  # maximize | minimize | None
    points: list[Point]
    bounds: list[Bound] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)


def _fmt(value: float) -> str:
    return f"{value:.4g}"


@dataclass(frozen=True)
class Scale:
    """A value axis over any finite floats, padded a little each side. Exact arithmetic
    (fractions): a span of 2e308 overflows a float, one of 5e-324 underflows when divided."""

    low: Fraction
    high: Fraction  # always above low

    @classmethod
    def over(cls, values: Iterable[float]) -> Scale:
        finite = [Fraction(v) for v in values if math.isfinite(v)]
        low, high = (min(finite), max(finite)) if finite else (Fraction(0), Fraction(0))
        pad = (high - low) * Fraction(2, 25) or abs(high) / 20 or Fraction(1)
        return cls(low - pad, high + pad)

    def share(self, value: float | Fraction) -> float:
        """Where ``value`` lies: 0.0 at the top (high), 1.0 at the bottom (low)."""
        return float((self.high - Fraction(value)) / (self.high - self.low))

    def ticks(self) -> list[Fraction]:
        """Round values (1, 2, 2.5 or 5 times a power of ten apart) inside the axis, at most 12."""
        raw = (self.high - self.low) / 4
        power = Fraction(10) ** _floor_log10(raw)
        step = next(m * power for m in (1, 2, Fraction(5, 2), 5, 10) if m * power >= raw)
        first = math.ceil(self.low / step)
        return [step * k for k in range(first, first + 12) if step * k <= self.high]


def _floor_log10(q: Fraction) -> int:
    exponent = len(str(q.numerator)) - len(str(q.denominator))
    while Fraction(10) ** exponent > q:
        exponent -= 1
    while Fraction(10) ** (exponent + 1) <= q:
        exponent += 1
    return exponent


def _tick_label(value: Fraction) -> str:
    """As ``_fmt`` shows a float; in decimal where the value lies beyond a float's range."""
    try:
        near = float(value)
    except OverflowError:
        near = math.inf
    if math.isfinite(near) and (near != 0 or value == 0):
        return _fmt(near)
    with decimal.localcontext() as context:
        context.prec = 12
        return f"{(Decimal(value.numerator) / Decimal(value.denominator)).normalize():.4g}"


def metric_chart(chart: Chart, *, chart_id: str) -> str:
    """One metric over a model's versions (oldest left); a value that is not finite (NaN,
    infinity) is not drawn."""
    points = [p for p in chart.points if math.isfinite(p.value)]
    chart = replace(chart, points=points, bounds=[b for b in chart.bounds if math.isfinite(b.value)])
    n = len(chart.points)
    scale = Scale.over([p.value for p in chart.points] + [b.value for b in chart.bounds])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(n, 1)

    def x(i: int) -> float:
        return LEFT + (i + 0.5) * slot

    def y(value: float | Fraction) -> float:
        return TOP + scale.share(value) * plot_h

    goal = f", goal: {chart.goal}" if chart.goal else ""
    title = f"{chart.metric} over {n} version{'' if n == 1 else 's'}{goal}"
    parts = [
        f'<svg class="chart" id="{chart_id}" data-metric="{e(chart.metric)}" role="group" '
        f'aria-labelledby="{chart_id}-title" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{e(title)}</title>',
    ]
    index = {p.version: i for i, p in enumerate(chart.points)}
    for band in chart.bands:
        if band.version in index:
            cls = "tenure current" if band.current else "tenure"
            left = x(index[band.version]) - slot / 2
            parts.append(
                f'<rect class="{cls}" x="{left:.1f}" y="{TOP}" width="{slot:.1f}" height="{plot_h}">'
                f"<title>{e(band.title)}</title></rect>"
            )
    for tick in scale.ticks():
        ty, label = y(tick), _tick_label(tick)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">{e(label)}</text>'
        )
    parts.append(
        f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}"/>'
        f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>'
    )
    every = max(1, math.ceil(n / MAX_X_LABELS))
    for i, point in enumerate(chart.points):
        if i % every == 0 or i == n - 1:
            parts.append(
                f'<text class="tick" x="{x(i):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
                f"{e(point.version)}</text>"
            )
    for bound in chart.bounds:
        by = y(bound.value)
        parts.append(
            f'<line class="requirement" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{by:.1f}" y2="{by:.1f}">'
            f"<title>{e(bound.label)}</title></line>"
            f'<text class="requirement-label" x="{WIDTH - RIGHT - 4}" y="{by - 4:.1f}" text-anchor="end">'
            f"{e(bound.label)}</text>"
        )
    if n > 1:
        line = " ".join(f"{x(i):.1f},{y(p.value):.1f}" for i, p in enumerate(chart.points))
        parts.append(f'<polyline class="series" points="{line}"/>')
    for i, point in enumerate(chart.points):
        cls = "point holder" if point.stage == "production" else "point"
        label = f"{point.version}: {chart.metric} = {_fmt(point.value)} ({point.stage})"
        parts.append(
            f'<a href="{e(point.href)}" aria-label="{e(label)}"><circle class="{cls}" '
            f'data-version="{e(point.version)}" cx="{x(i):.1f}" cy="{y(point.value):.1f}" r="4.5">'
            f"<title>{e(label)}</title></circle></a>"
        )
    parts.append(
        f'<text class="axis-label" x="{LEFT}" y="{HEIGHT - 8}">'
        "versions, oldest first · shaded: held production</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


# --- lineage ---------------------------------------------------------------------------------

NODE_W, NODE_H, COL_GAP, ROW_GAP, MARGIN = 132, 30, 44, 14, 12


@dataclass
class Node:
    ref: str
    label: str
    stage: str | None  # None for a parent from another model
    href: str
    external: bool = False


@dataclass
class Edge:
    parent: str
    child: str
    relation: str


def lineage_graph(nodes: list[Node], edges: list[Edge], *, title: str) -> str:
    """A layered drawing: each node in the column one past its deepest parent."""
    refs = {n.ref for n in nodes}
    parents: dict[str, list[str]] = {}
    for edge in edges:
        if edge.parent in refs and edge.child in refs:
            parents.setdefault(edge.child, []).append(edge.parent)
    column: dict[str, int] = {}

    rows: dict[int, int] = {}
    place: dict[str, tuple[float, float]] = {}
    for node in nodes:  # nodes come oldest first, so columns fill in version order
        col = _depth(node.ref, parents, column)
        row = rows.get(col, 0)
        rows[col] = row + 1
        place[node.ref] = (MARGIN + col * (NODE_W + COL_GAP), MARGIN + row * (NODE_H + ROW_GAP))
    width = MARGIN * 2 + (max(column.values(), default=0) + 1) * (NODE_W + COL_GAP) - COL_GAP
    height = MARGIN * 2 + max(rows.values(), default=1) * (NODE_H + ROW_GAP) - ROW_GAP
    parts = [
        f'<svg class="lineage" role="group" aria-labelledby="lineage-title" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="lineage-title">{e(title)}</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0 0 10 5 0 10z" class="arrow"/></marker></defs>',
    ]
    for edge in edges:
        if edge.parent not in place or edge.child not in place:
            continue
        (px, py), (cx, cy) = place[edge.parent], place[edge.child]
        x1, y1, x2, y2 = px + NODE_W, py + NODE_H / 2, cx, cy + NODE_H / 2
        if x2 <= x1:  # same column (a cycle broken above): loop round on the right
            x2, mid = cx + NODE_W, max(x1, x2) + COL_GAP / 2
            d = f"M{x1:.0f} {y1:.0f} C{mid:.0f} {y1:.0f} {mid:.0f} {y2:.0f} {x2:.0f} {y2:.0f}"
        else:
            mid = (x1 + x2) / 2
            d = f"M{x1:.0f} {y1:.0f} C{mid:.0f} {y1:.0f} {mid:.0f} {y2:.0f} {x2:.0f} {y2:.0f}"
        parts.append(
            f'<path class="edge" d="{d}" marker-end="url(#arrow)">'
            f"<title>{e(edge.parent)} → {e(edge.child)} ({e(edge.relation)})</title></path>"
        )
    for node in nodes:
        nx, ny = place[node.ref]
        stage = node.stage or "other"
        cls = "node external" if node.external else f"node stage-{_stage_class(stage)}"
        label = node.label if len(node.label) <= 20 else node.label[:19] + "…"
        what = f"{node.ref} ({node.stage})" if node.stage else node.ref
        parts.append(
            f'<g class="{cls}" data-ref="{e(node.ref)}"><a href="{e(node.href)}" aria-label="{e(what)}">'
            f'<rect x="{nx:.0f}" y="{ny:.0f}" width="{NODE_W}" height="{NODE_H}" rx="6"/>'
            f'<text x="{nx + NODE_W / 2:.0f}" y="{ny + NODE_H / 2 + 4:.0f}" text-anchor="middle">'
            f"{e(label)}</text>"
            f"<title>{e(what)}</title></a></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _stage_class(stage: str) -> str:
    known = {"production", "staging", "development", "deprecated", "archived"}
    return stage if stage in known else "other"


def _depth(start: str, parents: dict[str, list[str]], column: dict[str, int]) -> int:
    """One more than the deepest parent's column (a cycle's back link is ignored); iterative,
    for long retrain chains."""
    stack = [start]
    on_path: set[str] = set()
    while stack:
        ref = stack[-1]
        if ref in column:
            stack.pop()
            on_path.discard(ref)
            continue
        on_path.add(ref)
        pending = [p for p in parents.get(ref, []) if p not in column and p not in on_path]
        if pending:
            stack.extend(pending)
            continue
        known = [column[p] for p in parents.get(ref, []) if p in column]
        column[ref] = 1 + max(known, default=-1)
        stack.pop()
        on_path.discard(ref)
    return column[start]
