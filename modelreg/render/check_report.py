"""Reporters for ``check`` and ``promote``: text, GitHub annotations and the Markdown summary
(check's step summary and promote's pull request body are the same Markdown)."""

from __future__ import annotations

import io
from typing import TextIO

from modelreg.domain.escape import (
    html,
    markdown_cell,
    markdown_code,
    markdown_text,
    terminal,
    workflow_command_data,
    workflow_command_property,
)
from modelreg.domain.numbers import number
from modelreg.domain.problems import Problem
from modelreg.queries.changes import CandidateComparison, CheckReport, MetricRow, ModelChange
from modelreg.queries.lineage import LineageGraph
from modelreg.render.common import count
from modelreg.rules.policy import Move

ARROW = "→"


# --- Markdown --------------------------------------------------------------------------------------


def markdown_changes(changes: list[ModelChange]) -> str:
    """Each changed model: candidates beside current holders, metric deltas, lineage, registrant."""
    parts = []
    for change in changes:
        parts.append(f"### {_md(change.model)}\n")
        parts.extend(_md_comparison(c) for c in change.comparisons)
        shown = {(c.version, c.to_stage) for c in change.comparisons}
        others = [m for m in change.moves if (m.version, m.to_stage) not in shown]
        if others:
            parts.append("Also: " + "; ".join(_md_move(m) for m in others) + "\n")
        parts.extend(f"- {_md(line)}" for line in extra_lines(change))
        if change.deployments or change.evaluations:
            parts.append("")
    return "\n".join(parts)


def check_markdown(report: CheckReport) -> str:
    """The step summary of a check: verdict, problems, then what changed."""
    verdict = "passed" if report.ok else count(len(report.problems), "problem")
    lines = [
        f"## modelreg check: {verdict}\n",
        f"{markdown_code(report.base)} ({_md(report.fork_point[:8])}) {ARROW} {markdown_code(report.head)} "
        f"({_md(report.head_commit[:8])}), {count(report.files, 'registry file')}.\n",
    ]
    if report.problems:
        lines.append("### Problems\n")
        lines.extend(f"- {markdown_code(_where(p))}: {_md(p.message)}" for p in report.problems)
        lines.append("")
    if report.changes:
        lines.append(markdown_changes(report.changes))
    elif report.ok:
        lines.append("No model versions registered or moved.\n")
    return "\n".join(lines)


def _md_comparison(c: CandidateComparison) -> str:
    head = f"**{_md(f'{c.model}@{c.version}')}**: "
    if c.from_stage is None:
        head += "newly registered"
        head += f", compared with its parent {_md(c.against)}" if c.against else ""
    else:
        head += f"{_md(c.from_stage)} {ARROW} {_md(c.to_stage)}"
        if c.against and c.replaces:
            head += f", replacing {_md(f'{c.model}@{c.against}')}"
        elif c.against:
            head += f", beside {_md(f'{c.model}@{c.against}')} ({_md(c.against_role)})"
        else:
            head += f" (no version in {_md(c.to_stage)} now)"
    lines = [head + "\n"]
    if c.metrics:
        lines.append(_md_table(c) + "\n")
    if c.description:
        lines.append(f"- Description: {_md(c.description)}")
    lines.append("- Lineage: " + (", ".join(_md(p) for p in c.parents) if c.parents else "no parents"))
    lines.append(f"- Registered by {_md(c.registered_by)} at {c.registered_at.isoformat()}\n")
    if c.lineage is not None and c.lineage.edges:
        lines.append(_md_lineage(c.lineage))
    return "\n".join(lines)


def _md_lineage(graph: LineageGraph) -> str:
    """The candidate's ancestors as a Mermaid flowchart, folded away (GitHub renders it)."""
    from modelreg.render.lineage_report import render_mermaid

    chart = io.StringIO()
    render_mermaid(graph, chart)
    title = f"<details><summary>Lineage of {html(graph.root)}</summary>"
    return f"{title}\n\n```mermaid\n{chart.getvalue()}```\n</details>\n"


def _md_table(c: CandidateComparison) -> str:
    if c.against is None:
        rows = ["| metric | " + _cell(c.version) + " |", "| --- | ---: |"]
        rows += [f"| {_cell(r.metric)} | {_value(r.candidate)} |" for r in c.metrics]
        return "\n".join(rows)
    rows = [
        f"| metric | {_cell(c.version)} | {_cell(c.against)} ({_cell(c.against_role)}) | change |",
        "| --- | ---: | ---: | --- |",
    ]
    rows += [
        f"| {_cell(r.metric)} | {_value(r.candidate)} | {_value(r.current)} | {delta_text(r)} |"
        for r in c.metrics
    ]
    return "\n".join(rows)


def delta_text(row: MetricRow) -> str:
    """``+0.01 (better)``, ``-0.02 (worse)``, ``0 (same)``, or ``-`` when a side is missing."""
    if row.delta is None:
        return "-"
    sign = "+" if row.delta > 0 else ""
    text = f"{sign}{number(row.delta)}"
    return f"{text} ({row.verdict})" if row.verdict else text


def _value(value: float | None) -> str:
    return "-" if value is None else number(value)


def _md_move(m: Move) -> str:
    return f"{_md(m.ref)} {_md(m.from_stage)} {ARROW} {_md(m.to_stage)}"


def _md(text: str | None) -> str:
    return "" if text is None else markdown_text(text)


def _cell(text: str | None) -> str:
    return "" if text is None else markdown_cell(text)


def _where(p: Problem) -> str:
    return f"{p.file}:{p.line}" if p.line else p.file


# --- text ------------------------------------------------------------------------------------------


def check_text(report: CheckReport, out: TextIO) -> None:
    """What changed, one line per move or new version, then every problem, then the verdict."""
    out.write(
        f"check {terminal(report.base)} ({report.fork_point[:8]}) -> {terminal(report.head)} "
        f"({report.head_commit[:8]})\n"
    )
    for change in report.changes:
        for line in change_lines(change):
            out.write(f"  {terminal(line)}\n")
    for problem in report.problems:
        out.write(f"{problem} [{terminal(problem.rule)}]\n")
    verdict = "ok" if report.ok else count(len(report.problems), "problem")
    out.write(f"checked {count(report.files, 'registry file')}: {verdict}\n")


def change_lines(change: ModelChange) -> list[str]:
    lines = []
    by_move = {(c.version, c.to_stage): c for c in change.comparisons}
    for m in change.moves:
        c = by_move.get((m.version, m.to_stage))
        lines.append(f"{m.ref}: {m.from_stage} -> {m.to_stage}{_text_detail(c)}")
    moved = {m.version for m in change.moves}
    for version in change.registered:
        if version not in moved:
            lines.append(f"{change.model}@{version}: registered")
    return lines + extra_lines(change)


def extra_lines(change: ModelChange) -> list[str]:
    """The change's deployments and evaluations, one line each."""
    lines = []
    for d in change.deployments:
        if d.version is None:
            lines.append(f"{change.model}: undeployed from {d.environment} (ran {d.previous})")
            continue
        was = f" (was {d.previous})" if d.previous and d.previous != d.version else ""
        how = f"; {d.detail}" if d.detail else ""
        lines.append(f"{change.model}@{d.version}: deployed to {d.environment}{was}{how}")
    for e in change.evaluations:
        shown = ", ".join(f"{k} {number(v)}" for k, v in sorted(e.metrics.items()))
        lines.append(f"{change.model}@{e.version}: evaluated on {e.dataset} ({e.kind}; {shown})")
    return lines


def _text_detail(c: CandidateComparison | None) -> str:
    if c is None or c.against is None:
        return ""
    deltas = [f"{r.metric} {delta_text(r)}" for r in c.metrics if r.delta is not None]
    verb = "replaces" if c.replaces else f"beside {c.against_role}:"
    return f" ({verb} {c.against}" + (f"; {', '.join(deltas)}" if deltas else "") + ")"


# --- GitHub ----------------------------------------------------------------------------------------


def github_annotations(report: CheckReport, out: TextIO) -> None:
    """One ``::error`` workflow command per problem, so GitHub marks the file and line."""
    for p in report.problems:
        props = f"file={workflow_command_property(p.file)}"
        if p.line:
            props += f",line={p.line}"
        props += f",title={workflow_command_property(f'modelreg check ({p.rule})')}"
        out.write(f"::error {props}::{workflow_command_data(p.message)}\n")
