"""Model cards as Markdown (GitHub renders it, with the Mermaid lineage) or a standalone HTML page.

The card is laid out once as blocks (headings, paragraphs, lists, tables, a diagram) of raw
text; each writer escapes every piece of text with the one escaper of its format, so a hostile
description, metric name or commit subject stays text."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TextIO

from modelreg.documents.signature import describe, fields
from modelreg.domain.escape import html, markdown_cell, markdown_text
from modelreg.domain.numbers import number
from modelreg.queries.card import ModelCard
from modelreg.render import compare_report
from modelreg.render.lineage_report import render_mermaid
from modelreg.render.site import svg


@dataclass
class Block:
    kind: str  # h1 | h2 | p | list | table | mermaid
    text: str = ""
    items: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def _value(value: float | None) -> str:
    return "-" if value is None else number(value)


def blocks(card: ModelCard) -> list[Block]:
    """The card's content, in reading order."""
    found, m = card.version, card.version.manifest
    out = [
        Block("h1", f"Model card: {found.ref}"),
        Block("p", f"Stage: {found.stage}. Registered {m.created_at.isoformat()} by {m.created_by}."),
        Block("h2", "Description"),
        Block("list", items=_facts(card)),
    ]
    for title, text in (("Intended use", m.intended_use), ("Limitations", m.limitations)):
        out += [Block("h2", title), Block("p", text or "Not stated.")]
    out += _metric_blocks(card)
    out += _evaluation_blocks(card)
    out += _signature_blocks(card)
    out += _lineage_blocks(card)
    out += _provenance_blocks(card)
    out += _history_blocks(card)
    out += _comparison_blocks(card)
    return out


def _facts(card: ModelCard) -> list[str]:
    m = card.version.manifest
    facts = [
        f"Model: {card.model.description or '-'}",
        f"Owner: {card.model.owner or '-'}",
        f"This version: {m.description or '-'}",
    ]
    if m.framework:
        facts.append(f"Framework: {m.framework.name} {m.framework.version or ''}".rstrip())
    if m.algorithm:
        facts.append(f"Algorithm: {m.algorithm}")
    if m.tags:
        facts.append("Tags: " + ", ".join(m.tags))
    return facts


def _metric_blocks(card: ModelCard) -> list[Block]:
    target = card.target_stage
    out = [Block("h2", "Metrics")]
    if not card.metrics:
        out.append(Block("p", "No metrics recorded."))
    else:
        holder = f"Current holder ({card.holder.ref})" if card.holder else "Current holder"
        requirement = f"Requirement ({target})" if target else "Requirement"
        rows = [
            [
                r.metric,
                r.goal or "-",
                _value(r.value),
                r.requirement or "-",
                _value(r.holder_value),
                r.verdict or "-",
            ]
            for r in card.metrics
        ]
        out.append(
            Block(
                "table", headers=["Metric", "Goal", "This version", requirement, holder, "Verdict"], rows=rows
            )
        )
    if target is None:
        out.append(Block("p", f"No stage follows {card.version.stage}: no requirements to meet."))
    elif card.unmet:
        out += [Block("p", f"Requirements of {target} not met:"), Block("list", items=card.unmet)]
    else:
        out.append(Block("p", f"Meets every requirement of {target} (registry.yaml)."))
    return out


def _evaluation_blocks(card: ModelCard) -> list[Block]:
    evaluations = card.version.manifest.evaluations
    if not evaluations:
        return [Block("h2", "Evaluations"), Block("p", "No later evaluations.")]
    rows = [
        [
            e.dataset.name + (f"@{e.dataset.version}" if e.dataset.version else ""),
            ", ".join(f"{k}={number(v)}" for k, v in e.metrics.items()),
            e.created_at.isoformat(),
            e.created_by or "-",
        ]
        for e in evaluations
    ]
    return [
        Block("h2", "Evaluations"),
        Block("table", headers=["Dataset", "Metrics", "When", "By"], rows=rows),
    ]


def _signature_blocks(card: ModelCard) -> list[Block]:
    m = card.version.manifest
    out = [Block("h2", "Signature")]
    if m.signature is None:
        out.append(Block("p", "No signature recorded."))
    else:
        rows = [
            [side, f.name or "-", describe(f)]
            for side in ("inputs", "outputs")
            for f in fields(getattr(m.signature, side))
        ]
        out.append(Block("table", headers=["", "Name", "Type"], rows=rows))
    if m.dependencies:
        out += [Block("p", "Dependencies:"), Block("list", items=list(m.dependencies))]
    return out


def _lineage_blocks(card: ModelCard) -> list[Block]:
    m = card.version.manifest
    out = [Block("h2", "Data and lineage")]
    if m.data:
        rows = [[role, d.name, d.version or "-", d.md5 or "-", d.uri or "-"] for role, d in m.data.items()]
        out.append(Block("table", headers=["Role", "Dataset", "Version", "md5", "URI"], rows=rows))
    else:
        out.append(Block("p", "No datasets recorded."))
    diagram = io.StringIO()
    render_mermaid(card.lineage, diagram)
    out.append(Block("mermaid", diagram.getvalue()))
    return out


def _provenance_blocks(card: ModelCard) -> list[Block]:
    m = card.version.manifest
    items = []
    if m.code is not None:
        dirty = " (with uncommitted changes)" if m.code.dirty else ""
        where = " ".join(x for x in (m.code.repo, m.code.commit, m.code.path) if x)
        items.append(f"Code: {where or '-'}{dirty}")
    if m.run is not None:
        items.append("Run: " + " ".join(x for x in (m.run.id, m.run.url) if x))
    items += [f"Artifact: {a.path} (md5 {a.md5}, {a.size} bytes)" for a in m.artifacts]
    return [Block("h2", "Provenance"), Block("list", items=items)]


def _history_blocks(card: ModelCard) -> list[Block]:
    if card.history is None:
        ref = card.version.ref
        return [
            Block("h2", "Stage history"),
            Block("p", f"Not read for the pull request: run modelreg card {ref} to see it."),
        ]
    rows = []
    for h in card.history:
        change = f"{h.from_stage} -> {h.to_stage}" if h.to_stage else h.kind.replace("_", " ")
        pr = f"#{h.pull_request}" if h.pull_request else "-"
        approved = ", ".join(dict.fromkeys([h.approver or "-", *h.reviewers]))
        reason = h.reason.split("\n", 1)[0]
        rows.append([h.date, change, h.requester or "-", approved, pr, reason, h.commit[:8], h.subject])
    headers = ["Date", "Change", "Requested by", "Approved by", "PR", "Reason", "Commit", "Subject"]
    body = Block("table", headers=headers, rows=rows) if rows else Block("p", "No history.")
    return [Block("h2", "Stage history"), body]


def _comparison_blocks(card: ModelCard) -> list[Block]:
    title = f"Compared with the current holder of {card.target_stage}" if card.target_stage else "Comparison"
    if card.comparison is None:
        return [Block("h2", title), Block("p", "No other version holds that stage now.")]
    out = [Block("h2", title)]
    for headers, rows in compare_report.tables(card.comparison):
        if rows:
            out.append(Block("table", headers=[h.title() if h.isupper() else h for h in headers], rows=rows))
    out.append(Block("list", items=compare_report.lineage_lines(card.comparison)))
    if card.comparison.signatures:
        out.append(Block("list", items=["Signature: " + s.summary for s in card.comparison.signatures]))
    return out


# --- writers ------------------------------------------------------------------------------------


def render_markdown(card: ModelCard, stream: TextIO) -> None:
    """CommonMark with GitHub's tables; every author-controlled string through ``markdown_text``
    (``markdown_cell`` in a table)."""
    parts = []
    for b in blocks(card):
        if b.kind == "h1":
            parts.append(f"# {markdown_text(b.text)}\n")
        elif b.kind == "h2":
            parts.append(f"## {markdown_text(b.text)}\n")
        elif b.kind == "p":
            parts.append(markdown_text(b.text) + "\n")
        elif b.kind == "list":
            parts.append("".join(f"- {markdown_text(x)}\n" for x in b.items))
        elif b.kind == "table":
            parts.append(_markdown_table(b.headers, b.rows))
        else:  # mermaid: labels escaped by mermaid_label when the diagram was drawn
            parts.append(f"```mermaid\n{b.text}```\n")
    stream.write("\n".join(parts))


def _markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    def cells(row: list[str]) -> str:
        return "| " + " | ".join(markdown_cell(c) or " " for c in row) + " |"

    return "\n".join([cells(headers), "|" + "---|" * len(headers), *(cells(r) for r in rows)]) + "\n"


_STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
    "svg.lineage text{font-size:12px;fill:#1b1f24}"
    "svg.lineage .node rect{stroke:#57606a;stroke-width:1;fill:#eaeef2}"
    "svg.lineage .node.stage-production rect{fill:#dafbe1;stroke:#1a7f37}"
    "svg.lineage .node.stage-staging rect{fill:#fff8c5;stroke:#9a6700}"
    "svg.lineage .node.stage-development rect{fill:#ddf4ff;stroke:#0969da}"
    "svg.lineage .node.stage-deprecated rect{fill:#ffebe9;stroke:#cf222e}"
    "svg.lineage .node.external rect{fill:#fff;stroke-dasharray:4 3}"
    "svg.lineage .edge{fill:none;stroke:#57606a;stroke-width:1.2}svg.lineage .arrow{fill:#57606a}"
)


def _lineage_svg(card: ModelCard) -> str:
    graph = card.lineage
    nodes = [
        svg.Node(n.ref, n.ref, n.stage, f"#{n.ref}", external=n.stage is None)
        for n in sorted(graph.nodes, key=lambda n: n.distance)
    ]
    edges = [svg.Edge(e.parent, e.child, e.relation) for e in graph.edges]
    return svg.lineage_graph(nodes, edges, title=f"Lineage of {graph.root}")


def render_html(card: ModelCard, stream: TextIO) -> None:
    """A standalone, well-formed HTML page; every string through ``html``. The lineage is an
    SVG drawing, the static site's (no script, nothing loaded from the network)."""
    title = html(f"Model card: {card.version.ref}")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        f'<head><meta charset="utf-8"><title>{title}</title><style>{_STYLE}</style></head>',
        "<body>",
    ]
    for b in blocks(card):
        if b.kind in ("h1", "h2", "p"):
            out.append(f"<{b.kind}>{html(b.text)}</{b.kind}>")
        elif b.kind == "list":
            out.append("<ul>" + "".join(f"<li>{html(x)}</li>" for x in b.items) + "</ul>")
        elif b.kind == "table":
            head = "".join(f"<th>{html(h)}</th>" for h in b.headers)
            body = "".join("<tr>" + "".join(f"<td>{html(c)}</td>" for c in r) + "</tr>" for r in b.rows)
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        else:  # the lineage, drawn as the static site draws it (no script needed)
            out.append(_lineage_svg(card))
    out += ["</body>", "</html>"]
    stream.write("\n".join(out) + "\n")
