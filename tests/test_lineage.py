"""`modelreg lineage`: a fork (1.0.0 -> 1.1.0, 1.2.0), a diamond (both -> 2.0.0), shared datasets."""

from __future__ import annotations

import json

import pytest
from history_repo import Built

from modelreg import Registry


def test_ancestors_of_a_diamond_as_a_tree(hist: Built) -> None:
    r = hist.cli("lineage", "fraud@2.0.0", "--direction", "up")
    assert r.code == 0, r.err
    assert r.out.splitlines() == [
        "fraud@2.0.0  [production]  training=transactions@2026-02 enrichment=customers@2026-01",
        "derived from:",
        "├── retrain: fraud@1.1.0  [archived]  training=transactions@2026-01",
        "│   └── retrain: fraud@1.0.0  [archived]  training=transactions@2025-12",
        "└── distill: fraud@1.2.0  [development]  training=transactions@2026-01",
        "    └── finetune: fraud@1.0.0  [archived]  training=transactions@2025-12  (see above)",
    ]


def test_descendants_of_a_fork(hist: Built) -> None:
    r = hist.cli("lineage", "fraud@1.0.0", "--direction", "down", "--depth", "1")
    assert r.code == 0, r.err
    assert r.out.splitlines() == [
        "fraud@1.0.0  [archived]  training=transactions@2025-12",
        "derived into:",
        "├── retrain: fraud@1.1.0  [archived]  training=transactions@2026-01",
        "└── finetune: fraud@1.2.0  [development]  training=transactions@2026-01",
    ]


def test_both_ways_as_json(hist: Built) -> None:
    r = hist.cli("lineage", "fraud@1.1.0", "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert (data["root"], data["direction"]) == ("fraud@1.1.0", "both")
    assert [(n["ref"], n["distance"], n["stage"]) for n in data["nodes"]] == [
        ("fraud@1.1.0", 0, "archived"),
        ("fraud@1.0.0", -1, "archived"),
        ("fraud@2.0.0", 1, "production"),
    ]
    assert data["nodes"][2]["data"] == {"training": "transactions@2026-02", "enrichment": "customers@2026-01"}
    assert [(e["parent"], e["child"], e["relation"]) for e in data["edges"]] == [
        ("fraud@1.0.0", "fraud@1.1.0", "retrain"),
        ("fraud@1.1.0", "fraud@2.0.0", "retrain"),
    ]


def test_mermaid_renders_in_github_markdown(hist: Built) -> None:
    r = hist.cli("lineage", "fraud@2.0.0", "--direction", "up", "--format", "mermaid")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0] == "flowchart TD"
    assert '    v0["fraud@2.0.0<br/>production"]' in lines
    assert '    v1["fraud@1.1.0<br/>archived"]' in lines
    assert '    v2["fraud@1.2.0<br/>development"]' in lines
    assert '    v3["fraud@1.0.0<br/>archived"]' in lines
    assert '    v3 -->|"retrain"| v1' in lines  # fraud@1.0.0 -> fraud@1.1.0
    assert '    v3 -->|"finetune"| v2' in lines  # fraud@1.0.0 -> fraud@1.2.0: the diamond's other side
    assert '    v1 -->|"retrain"| v0' in lines and '    v2 -->|"distill"| v0' in lines
    assert '    d1[("customers@2026-01")]' in lines
    assert '    d1 -.->|"enrichment"| v0' in lines
    assert lines[-1] == "    class v0 root"
    # every label is quoted, so names with dots and @ cannot break the syntax
    boxes = [line for line in lines[1:-2] if "->" not in line]
    assert boxes and all('["' in line or '[("' in line for line in boxes)


def test_dot_output(hist: Built) -> None:
    r = hist.cli("lineage", "fraud@1.2.0", "--format", "dot", "--depth", "1")
    assert r.code == 0, r.err
    assert r.out.startswith("digraph lineage {\n")
    assert '    "fraud@1.2.0" [label="fraud@1.2.0\\ndevelopment", penwidth=2];' in r.out
    assert '    "fraud@1.0.0" -> "fraud@1.2.0" [label="finetune"];' in r.out
    assert '    "fraud@1.2.0" -> "fraud@2.0.0" [label="distill"];' in r.out
    assert '"data:transactions@2026-01" [shape=cylinder, label="transactions@2026-01"];' in r.out
    assert r.out.rstrip().endswith("}")


def test_a_dataset_shared_by_several_models(hist: Built) -> None:
    r = hist.cli("lineage", "--data", "customers@2026-01")
    assert r.code == 0, r.err
    assert r.out.splitlines() == [
        "customers@2026-01: used by 2 version(s) of 2 model(s)",
        "VERSION      STAGE       ROLE        DATASET            METRICS",
        "churn@0.1.0  production  training    customers@2026-01",
        "fraud@2.0.0  production  enrichment  customers@2026-01",
    ]


def test_every_version_trained_or_evaluated_on_a_dataset(hist: Built) -> None:
    r = hist.cli("lineage", "--data", "transactions@2026-01", "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert (data["dataset"], data["version"]) == ("transactions", "2026-01")
    assert [(u["ref"], u["role"], u["metrics"]) for u in data["uses"]] == [
        ("fraud@1.1.0", "training", {}),
        ("fraud@1.2.0", "training", {}),
        ("fraud@2.0.0", "evaluation", {"auc": 0.94}),
    ]
    every = hist.cli("lineage", "--data", "transactions", "--format", "mermaid")
    assert every.code == 0, every.err
    assert every.out.startswith("flowchart LR\n")
    assert every.out.count('-.->|"training"|') == 4 and every.out.count('-.->|"evaluation"|') == 1


def test_lineage_as_of_a_date(hist: Built) -> None:
    r = hist.cli("lineage", "fraud@1.0.0", "--direction", "down", "--at", "2026-02-10", "--format", "json")
    assert r.code == 0, r.err
    assert [n["ref"] for n in json.loads(r.out)["nodes"]] == ["fraud@1.0.0", "fraud@1.1.0"]


def test_lineage_api(hist: Built) -> None:
    graph = Registry(hist.path).lineage("fraud@production", depth=1, direction="up")
    assert graph.root == "fraud@2.0.0"
    assert sorted(n.ref for n in graph.nodes) == ["fraud@1.1.0", "fraud@1.2.0", "fraud@2.0.0"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give either a version REF or --data DATASET[@VERSION]"),
        (["fraud@1.0.0", "--data", "x"], "give either a version REF or --data DATASET[@VERSION]"),
        (["fraud@9.0.0"], "fraud@9.0.0 does not exist"),
        (["--data", "nothing@1"], "no version was trained or evaluated on nothing@1; datasets in use: "),
    ],
)
def test_lineage_errors(hist: Built, args: list[str], message: str) -> None:
    r = hist.cli("lineage", *args)
    assert r.code == 1
    assert len(r.lines) == 1 and message in r.lines[0], r.err


def test_walking_up_lazily_finds_what_the_whole_graph_finds(hist: Built) -> None:
    from modelreg.queries.lineage import Graph

    snap = Registry(hist.path).snapshot
    whole, lazy = Graph.of(snap), Graph.upward(snap)
    keys = list(snap.manifests)
    assert len(keys) >= 5
    for key in [*keys, ("fraud", "9.9.9")]:
        for depth in (None, 1, 2):
            assert list(lazy.walk(key, up=True, depth=depth)) == list(whole.walk(key, up=True, depth=depth))
