"""Reporters for lineage graphs and dataset impact: a text tree, JSON, Mermaid (GitHub) and DOT."""

from __future__ import annotations

from typing import TextIO

from modelreg.domain.escape import dot_string, mermaid_label, terminal
from modelreg.domain.numbers import number
from modelreg.queries.lineage import DatasetImpact, LineageGraph, LineageNode
from modelreg.render.common import table, to_json


def _label(node: LineageNode) -> str:
    stage = node.stage or "not in the registry"
    data = "  " + " ".join(f"{role}={ds}" for role, ds in node.data.items()) if node.data else ""
    return f"{node.ref}  [{stage}]{data}"


def render_tree(graph: LineageGraph, stream: TextIO) -> None:
    """The root, then its ancestors (derived from) and descendants (derived into) as trees."""
    stream.write(terminal(_label(graph.node(graph.root))) + "\n")
    for up, title in [(True, "derived from"), (False, "derived into")]:
        if graph.direction == ("down" if up else "up"):
            continue
        lines: list[str] = []
        _branch(graph, graph.root, up=up, prefix="", seen={graph.root}, out=lines)
        stream.write(f"{title}:\n")
        stream.write("".join(line + "\n" for line in lines) if lines else "  (none)\n")


def _branch(graph: LineageGraph, ref: str, *, up: bool, prefix: str, seen: set[str], out: list[str]) -> None:
    links = (
        [(e.parent, e.relation) for e in graph.edges if e.child == ref]
        if up
        else [(e.child, e.relation) for e in graph.edges if e.parent == ref]
    )
    for i, (other, relation) in enumerate(links):
        last = i == len(links) - 1
        repeated = other in seen
        suffix = "  (see above)" if repeated else ""
        label = terminal(f"{relation}: {_label(graph.node(other))}")
        out.append(f"{prefix}{'└── ' if last else '├── '}{label}{suffix}")
        if not repeated:
            seen.add(other)
            _branch(graph, other, up=up, prefix=prefix + ("    " if last else "│   "), seen=seen, out=out)


def render_json(graph: LineageGraph | DatasetImpact, stream: TextIO) -> None:
    to_json(graph, stream)


def render_mermaid(graph: LineageGraph, stream: TextIO) -> None:
    """A ``flowchart`` that GitHub renders in Markdown: parents above children, datasets as cylinders."""
    ids = {n.ref: f"v{i}" for i, n in enumerate(graph.nodes)}
    datasets = {
        ds: f"d{i}" for i, ds in enumerate(dict.fromkeys(d for n in graph.nodes for d in n.data.values()))
    }
    lines = ["flowchart TD"]
    for node in graph.nodes:
        lines.append(
            f'    {ids[node.ref]}["{mermaid_label(node.ref)}<br/>{mermaid_label(node.stage or "missing")}"]'
        )
    for ds, key in datasets.items():
        lines.append(f'    {key}[("{mermaid_label(ds)}")]')
    for edge in graph.edges:
        lines.append(f'    {ids[edge.parent]} -->|"{mermaid_label(edge.relation)}"| {ids[edge.child]}')
    for node in graph.nodes:
        for role, ds in node.data.items():
            lines.append(f'    {datasets[ds]} -.->|"{mermaid_label(role)}"| {ids[node.ref]}')
    lines.append("    classDef root stroke-width:3px")
    lines.append(f"    class {ids[graph.root]} root")
    stream.write("\n".join(lines) + "\n")


def render_dot(graph: LineageGraph, stream: TextIO) -> None:
    """Graphviz: ``modelreg lineage REF --format dot | dot -Tsvg > lineage.svg``."""
    lines = ["digraph lineage {", "    rankdir=TB;", "    node [shape=box];"]
    for node in graph.nodes:
        style = ", penwidth=2" if node.ref == graph.root else ""
        lines.append(
            f"    {dot_string(node.ref)} [label={dot_string(node.ref, node.stage or 'missing')}{style}];"
        )
    for ds in dict.fromkeys(d for n in graph.nodes for d in n.data.values()):
        lines.append(f"    {dot_string('data:' + ds)} [shape=cylinder, label={dot_string(ds)}];")
    for edge in graph.edges:
        lines.append(
            f"    {dot_string(edge.parent)} -> {dot_string(edge.child)} [label={dot_string(edge.relation)}];"
        )
    for node in graph.nodes:
        for role, ds in node.data.items():
            lines.append(
                f"    {dot_string('data:' + ds)} -> {dot_string(node.ref)} "
                f"[style=dashed, label={dot_string(role)}];"
            )
    lines.append("}")
    stream.write("\n".join(lines) + "\n")


def render_impact_text(impact: DatasetImpact, stream: TextIO) -> None:
    models = {u.name for u in impact.uses}
    name = f"{impact.dataset}@{impact.version}" if impact.version else impact.dataset
    stream.write(f"{name}: used by {len(impact.refs)} version(s) of {len(models)} model(s)\n")
    rows = [
        [u.ref, u.stage, u.role, u.dataset, " ".join(f"{k}={number(v)}" for k, v in u.metrics.items())]
        for u in impact.uses
    ]
    table(["VERSION", "STAGE", "ROLE", "DATASET", "METRICS"], rows, stream)


def render_impact_mermaid(impact: DatasetImpact, stream: TextIO) -> None:
    datasets = {ds: f"d{i}" for i, ds in enumerate(dict.fromkeys(u.dataset for u in impact.uses))}
    ids = {ref: f"v{i}" for i, ref in enumerate(impact.refs)}
    lines = ["flowchart LR"]
    lines += [f'    {key}[("{mermaid_label(ds)}")]' for ds, key in datasets.items()]
    stages = {u.ref: u.stage for u in impact.uses}
    lines += [
        f'    {key}["{mermaid_label(ref)}<br/>{mermaid_label(stages[ref])}"]' for ref, key in ids.items()
    ]
    lines += [f'    {datasets[u.dataset]} -.->|"{mermaid_label(u.role)}"| {ids[u.ref]}' for u in impact.uses]
    stream.write("\n".join(lines) + "\n")


def render_impact_dot(impact: DatasetImpact, stream: TextIO) -> None:
    lines = ["digraph dataset_impact {", "    rankdir=LR;", "    node [shape=box];"]
    for ds in dict.fromkeys(u.dataset for u in impact.uses):
        lines.append(f"    {dot_string('data:' + ds)} [shape=cylinder, label={dot_string(ds)}];")
    for u in impact.uses:
        lines.append(
            f"    {dot_string('data:' + u.dataset)} -> {dot_string(u.ref)} "
            f"[style=dashed, label={dot_string(u.role)}];"
        )
    lines.append("}")
    stream.write("\n".join(lines) + "\n")
