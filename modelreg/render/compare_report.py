"""Reporters for comparisons: an aligned table, Markdown (for pull requests and step summaries), JSON."""

from __future__ import annotations

from typing import TextIO

from modelreg.domain.escape import markdown_cell, markdown_text, terminal
from modelreg.domain.numbers import number
from modelreg.history.approval import approval_names, name_of
from modelreg.queries.compare import Comparison, MetricComparison, StageTimeline
from modelreg.render.common import table, to_json
from modelreg.render.history_report import when


def _value(row: MetricComparison, i: int) -> str:
    value = row.values[i]
    if value is None:
        return "-"
    delta, verdict = row.deltas[i], row.verdicts[i]
    if i == 0 or delta is None:
        return number(value)
    judged = f", {verdict}" if verdict else ""
    return f"{number(value)} ({delta:+.6g}{judged})"


def _sections(result: Comparison) -> list[tuple[list[str], list[list[str]]]]:
    """(headers, rows) of each table: the versions, metrics, then params and data that differ."""
    refs = [v.ref for v in result.versions]
    versions = [
        ["stage", *[v.stage for v in result.versions]],
        ["created", *[v.created_at.date().isoformat() for v in result.versions]],
    ]
    metrics = [
        [m.metric, m.goal or "-", *[_value(m, i) for i in range(len(refs))], m.best or "-"]
        for m in result.metrics
    ]
    title = "METRIC" if result.dataset is None else f"METRIC ON {result.dataset}"
    sections = [(["", *refs], versions), ([title, "GOAL", *refs, "BEST"], metrics)]
    for title, differences in [("PARAM", result.params), ("DATA", result.data)]:
        if differences:
            rows = [[d.key, *[x if x is not None else "-" for x in d.values]] for d in differences]
            sections.append(([title, *refs], rows))
    return sections


def tables(result: Comparison) -> list[tuple[list[str], list[list[str]]]]:
    """(headers, rows) of each table of the comparison, unescaped: for other reporters (the card)."""
    return _sections(result)


def lineage_lines(result: Comparison) -> list[str]:
    """How each version relates to the first, one unescaped line each."""
    return _lineage_lines(result)


def _lineage_lines(result: Comparison) -> list[str]:
    base = result.versions[0].ref
    return [r.describe(base) for r in result.relations]


def _signature_lines(result: Comparison) -> list[str]:
    base = result.versions[0].ref
    return [f"{s.ref} vs {base}: {s.summary}" for s in result.signatures]


def render_table(result: Comparison, stream: TextIO) -> None:
    for i, (headers, rows) in enumerate(_sections(result)):
        if i:
            stream.write("\n")
        if rows or i < 2:
            table(headers, rows or [["(no metrics)", *[""] * (len(headers) - 1)]], stream)
    stream.write("\nLINEAGE\n" + "".join(f"  {terminal(line)}\n" for line in _lineage_lines(result)))
    if result.signatures:
        stream.write("\nSIGNATURE\n" + "".join(f"  {terminal(line)}\n" for line in _signature_lines(result)))


def _markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    def cells(row: list[str]) -> str:
        return "| " + " | ".join(markdown_cell(c) or " " for c in row) + " |"

    return "\n".join([cells(headers), "|" + "---|" * len(headers), *(cells(r) for r in rows)]) + "\n"


def render_markdown(result: Comparison, stream: TextIO) -> None:
    parts = []
    for headers, rows in _sections(result):
        if rows:
            parts.append(_markdown_table([h.title() if h.isupper() else h for h in headers], rows))
    parts.append("**Lineage**\n\n" + "".join(f"- {markdown_text(line)}\n" for line in _lineage_lines(result)))
    if result.signatures:
        lines = _signature_lines(result)
        parts.append("**Signature**\n\n" + "".join(f"- {markdown_text(line)}\n" for line in lines))
    stream.write("\n".join(parts))


def render_json(result: Comparison | StageTimeline, stream: TextIO) -> None:
    to_json(result, stream)


def _timeline_rows(result: StageTimeline, metrics: list[str]) -> tuple[list[str], list[list[str]]]:
    headers = ["VERSION", "FROM", "UNTIL", "PR", "REQUESTED BY", "APPROVED BY", "LEFT TO", *metrics]
    rows = [
        [
            t.version,
            when(t.since),
            when(t.until) if t.until else "now",
            f"#{t.pr}" if t.pr else t.entered.short,
            name_of(t.entered.audit.requested_by),
            approval_names(t.entered.audit),
            t.left_to or "-",
            *[number(t.metrics[m]) if m in t.metrics else "-" for m in metrics],
        ]
        for t in result.tenures
    ]
    return headers, rows


def _metric_names(result: StageTimeline, chosen: list[str] | None) -> list[str]:
    return chosen or list(dict.fromkeys(k for t in result.tenures for k in t.metrics))


def render_timeline_table(result: StageTimeline, stream: TextIO, *, metrics: list[str] | None = None) -> None:
    model, stage = terminal(result.model), terminal(result.stage)
    stream.write(f"{model}: {stage} over time, oldest first\n")
    if not result.tenures:
        stream.write(f"no version of {model} has held {stage}\n")
        return
    table(*_timeline_rows(result, _metric_names(result, metrics)), stream)


def render_timeline_markdown(
    result: StageTimeline, stream: TextIO, *, metrics: list[str] | None = None
) -> None:
    model, stage = markdown_text(result.model), markdown_text(result.stage)
    stream.write(f"**{model}: {stage} over time**\n\n")
    if not result.tenures:
        stream.write(f"No version of {model} has held {stage}.\n")
        return
    headers, rows = _timeline_rows(result, _metric_names(result, metrics))
    stream.write(_markdown_table([h.title() if h.isupper() else h for h in headers], rows))
