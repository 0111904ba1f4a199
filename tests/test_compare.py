"""`modelreg compare`: versions side by side, a stage over time, and what a rollback goes back to."""

from __future__ import annotations

import json

import pytest
from history_repo import Built

from modelreg import Registry
from modelreg.domain.errors import NotFoundError
from modelreg.history import audit
from modelreg.history.tenures import rollback_target


def test_side_by_side_table(hist: Built) -> None:
    r = hist.cli("compare", "fraud@1.0.0", "fraud@1.2.0", "fraud@production")
    assert r.code == 0, r.err
    out = r.out.splitlines()
    assert out[1].split() == ["stage", "archived", "development", "production"]
    assert out[4:7] == [
        "METRIC      GOAL      fraud@1.0.0  fraud@1.2.0           fraud@2.0.0           BEST",
        "auc         maximize  0.9          0.94 (+0.04, better)  0.95 (+0.05, better)  fraud@2.0.0",
        "latency_ms  minimize  12           8 (-4, better)        9 (-3, better)        fraud@1.2.0",
    ]
    assert out[8:11] == [
        "PARAM      fraud@1.0.0  fraud@1.2.0  fraud@2.0.0",
        "max_depth  6            6            8",
        "eta        0.1          0.05         0.1",
    ]
    assert out[12:15] == [
        "DATA        fraud@1.0.0           fraud@1.2.0           fraud@2.0.0",
        "training    transactions@2025-12  transactions@2026-01  transactions@2026-02",
        "enrichment  -                     -                     customers@2026-01",
    ]
    assert out[-3:] == [
        "LINEAGE",
        "  fraud@1.2.0 descends from fraud@1.0.0 (1 step: finetune)",
        "  fraud@2.0.0 descends from fraud@1.0.0 (2 steps: retrain, retrain)",
    ]


def test_worse_by_goal_and_how_siblings_relate(hist: Built) -> None:
    r = hist.cli("compare", "fraud@1.1.0", "fraud@1.2.0", "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    metrics = {m["metric"]: m for m in data["metrics"]}
    assert metrics["auc"]["verdicts"] == [None, "better"]  # 0.93 -> 0.94, maximize
    assert metrics["latency_ms"]["goal"] == "minimize"
    assert metrics["latency_ms"]["deltas"] == [0.0, -2.0]
    assert metrics["latency_ms"]["verdicts"] == [None, "better"]  # lower is better
    assert metrics["auc"]["best"] == "fraud@1.2.0" and metrics["latency_ms"]["best"] == "fraud@1.2.0"
    assert data["relations"] == [
        {"ref": "fraud@1.2.0", "kind": "common-ancestor", "via": "fraud@1.0.0", "relations": [], "steps": 0}
    ]
    reverse = json.loads(hist.cli("compare", "fraud@1.2.0", "fraud@1.0.0", "--format", "json").out)
    auc = next(m for m in reverse["metrics"] if m["metric"] == "auc")
    assert auc["verdicts"] == [None, "worse"]
    assert reverse["relations"][0]["kind"] == "ancestor"


def test_markdown_for_a_pull_request(hist: Built) -> None:
    r = hist.cli("compare", "fraud@production", "fraud@1.1.0", "--metric", "auc", "--format", "markdown")
    assert r.code == 0, r.err
    assert "| Metric | Goal | fraud@2.0.0 | fraud@1.1.0 | Best |" in r.out
    assert "| auc | maximize | 0.95 | 0.93 (-0.02, worse) | fraud@2.0.0 |" in r.out
    assert "latency_ms" not in r.out
    assert "- fraud@1.1.0 is an ancestor of fraud@2.0.0 (1 step: retrain)" in r.out


def test_unrelated_models_and_metrics_without_a_goal(hist: Built) -> None:
    result = Registry(hist.path).compare("churn@0.1.0", "fraud@1.0.0")
    f1 = next(m for m in result.metrics if m.metric == "f1")
    assert (f1.goal, f1.values, f1.verdicts, f1.best) == (None, [0.7, None], [None, None], None)
    assert result.relations[0].kind == "unrelated"


def test_production_over_time(hist: Built) -> None:
    r = hist.cli("compare", "fraud", "--stage", "production", "--over-time")
    assert r.code == 0, r.err
    assert r.out.splitlines() == [
        "fraud: production over time, oldest first",
        "VERSION  FROM                     UNTIL                    PR   REQUESTED BY   APPROVED BY    "
        "LEFT TO   auc   latency_ms",
        "1.0.0    2026-02-01 12:00 +00:00  2026-03-02 09:30 +01:00  #13  Dave Example   -              "
        "archived  0.9   12",
        "1.1.0    2026-03-02 09:30 +01:00  2026-04-02 11:00 +02:00  #14  Carol Example  Carol Example  "
        "archived  0.93  10",
        "2.0.0    2026-04-02 11:00 +02:00  now                      #16  Dave Example   -              "
        "-         0.95  9",
    ]


def test_a_stage_over_time_as_json_and_as_of_a_date(hist: Built) -> None:
    r = hist.cli("compare", "fraud", "--stage", "staging", "--over-time", "--format", "json")
    assert r.code == 0, r.err
    tenures = json.loads(r.out)["tenures"]
    assert [(t["version"], t["entered"].get("pr"), t.get("left_to")) for t in tenures] == [
        ("1.0.0", 12, "production"),
        ("1.1.0", None, "production"),
        ("2.0.0", 15, "production"),
    ]
    assert tenures[1]["entered"]["author_name"] == "Eve Example"
    then = hist.cli("compare", "fraud", "--stage", "production", "--over-time", "--at", "2026-03-03")
    assert then.code == 0, then.err
    assert then.out.splitlines()[-1].split()[:5] == ["1.1.0", "2026-03-02", "09:30", "+01:00", "now"]


def test_the_initial_stage_over_time_starts_at_registration(hist: Built) -> None:
    result = hist.cli("compare", "churn", "--stage", "development", "--over-time", "--format", "json")
    (tenure,) = json.loads(result.out)["tenures"]
    assert (tenure["since"], tenure["until"], tenure["left_to"]) == (
        "2026-01-12T08:00:00-05:00",
        "2026-03-10T09:00:00+01:00",
        "production",
    )


def test_rollback_target_from_history(hist: Built) -> None:
    events = audit.events(hist.path)
    plan = rollback_target(events, "fraud", "production", initial="development")
    assert (plan.current.version, plan.current.pr) == ("2.0.0", 16)
    assert (plan.previous.version, plan.previous.pr) == ("1.1.0", 14)
    assert plan.summary == "roll back fraud production from 2.0.0 (PR #16) to 1.1.0"
    with pytest.raises(NotFoundError, match="no version of churn held production before 0.1.0"):
        rollback_target(events, "churn", "production", initial="development")
    with pytest.raises(NotFoundError, match="no version of fraud is in deprecated now"):
        rollback_target(events, "fraud", "deprecated", initial="development")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fraud@1.0.0"], "give at least two references to compare"),
        (["fraud@1.0.0", "fraud@7.0.0"], "fraud@7.0.0 does not exist"),
        (
            ["fraud@1.0.0", "fraud@1.1.0", "--metric", "nope"],
            "none of the compared versions has a metric 'nope'",
        ),
        (["fraud", "--over-time"], "--over-time takes one model NAME and --stage"),
        (["fraud", "--stage", "canary", "--over-time"], "unknown stage 'canary'"),
        (["fraud@1.0.0", "fraud@1.1.0", "--stage", "production"], "--stage goes with --over-time"),
    ],
)
def test_compare_errors(hist: Built, args: list[str], message: str) -> None:
    r = hist.cli("compare", *args)
    assert r.code == 1
    assert len(r.lines) == 1 and message in r.lines[0], r.err
