"""The site's metric chart over any values a manifest can hold: every finite float is drawn
inside the chart, a value that is not finite is left out, and nothing raises (a merged
version with metrics 1e308 and -1e308, or 0 and 5e-324, once stopped `modelreg site`)."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from modelreg.render.site import svg

finite = st.floats(allow_nan=False, allow_infinity=False)
any_float = st.floats(allow_nan=True, allow_infinity=True)
SVG = "{http://www.w3.org/2000/svg}"


def _chart(values: list[float], bounds: list[float]) -> svg.Chart:
    points = [
        svg.Point(f"{i}.0.0", v, "production" if i == 0 else "staging", "#") for i, v in enumerate(values)
    ]
    return svg.Chart("auc", "maximize", points, bounds=[svg.Bound(f"min {b}", b) for b in bounds])


def _drawn(values: list[float], bounds: list[float]) -> ET.Element:
    root = ET.fromstring(svg.metric_chart(_chart(values, bounds), chart_id="chart-0"))
    for element in root.iter():
        for name in ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "width", "height"):
            if name in element.attrib:
                coordinate = float(element.attrib[name])
                limit = svg.WIDTH if name in ("x", "x1", "x2", "cx", "width") else svg.HEIGHT
                assert 0 <= coordinate <= limit, (name, element.attrib[name], values, bounds)
        for pair in element.attrib.get("points", "").split():
            px, py = (float(v) for v in pair.split(","))
            assert 0 <= px <= svg.WIDTH and 0 <= py <= svg.HEIGHT, (pair, values)
    return root


@given(st.lists(finite, min_size=1, max_size=8), st.lists(finite, max_size=3))
@example([1e308, -1e308], [])
@example([0.0, 5e-324], [])
@example([0.5], [])
@example([2.0, 2.0, 2.0], [2.0])
@example([1.7976931348623157e308, -1.7976931348623157e308], [0.0])
@example([-0.0, 0.0], [5e-324])
def test_any_finite_values_are_drawn_inside_the_chart_in_order(
    values: list[float], bounds: list[float]
) -> None:
    root = _drawn(values, bounds)
    points = root.findall(f".//{SVG}circle")
    assert len(points) == len(values)
    heights = [float(p.attrib["cy"]) for p in points]
    for i in range(len(values) - 1):
        if values[i] < values[i + 1]:
            assert heights[i] >= heights[i + 1]  # a larger value is never drawn below a smaller one
    assert len(root.findall(f".//{SVG}line[@class='requirement']")) == len(bounds)
    ticks = [t for t in root.findall(f".//{SVG}text[@class='tick']") if t.attrib["text-anchor"] == "end"]
    assert 1 <= len(ticks) <= 12


@given(st.lists(any_float, min_size=1, max_size=8), st.lists(any_float, max_size=3))
@example([math.nan, 0.9, math.inf], [-math.inf])
@example([math.nan], [math.nan])
def test_values_that_are_not_finite_are_not_drawn(values: list[float], bounds: list[float]) -> None:
    root = _drawn(values, bounds)
    assert len(root.findall(f".//{SVG}circle")) == sum(math.isfinite(v) for v in values)
    drawn_bounds = root.findall(f".//{SVG}line[@class='requirement']")
    assert len(drawn_bounds) == sum(math.isfinite(b) for b in bounds)


@given(st.lists(finite, min_size=1, max_size=8))
def test_the_scale_maps_every_value_into_the_axis(values: list[float]) -> None:
    scale = svg.Scale.over(values)
    assert scale.low < scale.high
    for v in values:
        assert 0.0 <= scale.share(v) <= 1.0
    ticks = scale.ticks()
    assert ticks == sorted(ticks) and all(scale.low <= t <= scale.high for t in ticks)


@pytest.mark.parametrize(
    ("values", "labels"),
    [
        ([0.5, 0.9], ["0.6", "0.8"]),
        ([1e308, -1e308], ["-1e+308", "0", "1e+308"]),
        ([3.0], ["2.9", "3", "3.1"]),
    ],
)
def test_tick_labels_read_as_numbers(values: list[float], labels: list[str]) -> None:
    root = _drawn(values, [])
    shown = [t.text for t in root.findall(f".//{SVG}text[@class='tick']") if t.attrib["text-anchor"] == "end"]
    assert shown == labels
