"""The history engine and `modelreg history`, against the registry of ``history_repo``."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from history_repo import Built

from modelreg import Registry
from modelreg.history import audit
from modelreg.history.approval import pr_number
from modelreg.history.engine import Event


def summary(events: list[Event]) -> list[tuple[str, str | None, str | None, str | None, int | None]]:
    return [(e.kind, e.ref, e.from_stage, e.to_stage, e.commit.pr) for e in events]


def test_the_whole_trail_oldest_first(hist: Built) -> None:
    events = audit.events(hist.path)
    assert summary(events) == [
        ("policy_changed", None, None, None, None),
        ("policy_changed", None, None, None, None),
        ("registered", "fraud@1.0.0", None, None, None),
        ("registered", "churn@0.1.0", None, None, None),
        ("stage_changed", "fraud@1.0.0", "development", "staging", 12),
        ("stage_changed", "fraud@1.0.0", "staging", "production", 13),
        ("registered", "fraud@1.1.0", None, None, None),
        ("registered", "fraud@1.2.0", None, None, None),
        ("registered", "fraud@2.0.0", None, None, None),
        ("stage_changed", "fraud@1.1.0", "development", "staging", None),
        ("stage_changed", "fraud@1.0.0", "production", "archived", 14),
        ("stage_changed", "fraud@1.1.0", "staging", "production", 14),
        ("violation", "fraud@1.2.0", None, None, None),
        ("evaluation_added", "fraud@2.0.0", None, None, None),
        ("model_updated", "fraud", None, None, None),
        ("stage_changed", "churn@0.1.0", "development", "production", None),
        ("violation", "churn@0.1.0", None, None, None),
        ("stage_changed", "fraud@2.0.0", "development", "staging", 15),
        ("stage_changed", "fraud@1.1.0", "production", "archived", 16),
        ("stage_changed", "fraud@2.0.0", "staging", "production", 16),
    ]


def test_a_merge_commit_is_diffed_against_its_first_parent(hist: Built) -> None:
    """PR #12's merge brings only the stage change: churn, registered on main meanwhile, is not in it."""
    events = [e for e in audit.events(hist.path) if e.commit.sha == hist.commits["pr12"]]
    assert summary(events) == [("stage_changed", "fraud@1.0.0", "development", "staging", 12)]
    commit = events[0].commit
    assert commit.subject == "Merge pull request #12 from acme/promote-fraud-staging"
    assert (commit.author_name, commit.author_email) == ("Carol Example", "carol@example.com")
    assert commit.author_date.isoformat() == "2026-01-15T16:00:00+05:30"
    assert commit.commit_date.utcoffset() == timedelta(hours=5, minutes=30)
    assert len(commit.parents) == 2 and commit.parents[1] == hist.commits["pr12-branch"]
    # The merge's own message has no trailers: they come from the promotion commit it merged.
    assert commit.trailers == {
        "Modelreg-Model": "fraud",
        "Modelreg-Version": "1.0.0",
        "Modelreg-From": "development",
        "Modelreg-To": "staging",
    }


def test_a_squash_merge_carries_its_pr_number_and_trailers(hist: Built) -> None:
    (event,) = [e for e in audit.events(hist.path) if e.commit.sha == hist.commits["pr13"]]
    assert event.commit.pr == 13
    assert event.commit.subject == "promote fraud@1.0.0 to production (#13)"
    assert event.commit.trailers["Modelreg-To"] == "production"
    assert event.commit.commit_date == datetime(2026, 2, 1, 12, 0, tzinfo=timezone.utc)


def test_violations_name_what_the_rules_forbid(hist: Built) -> None:
    violations = [e for e in audit.events(hist.path) if e.kind == "violation"]
    assert [(v.ref, v.rule, v.detail, v.commit.author_name) for v in violations] == [
        (
            "fraud@1.2.0",
            "write-once",
            "manifest edited in place: metrics.auc: 0.91 -> 0.94",
            "Bob Example",
        ),
        (
            "churn@0.1.0",
            "transition",
            "development -> production is not an allowed transition; production accepts versions from "
            "staging (registry.yaml)",
            "Eve Example",
        ),
    ]


def test_appending_an_evaluation_is_allowed(hist: Built) -> None:
    (event,) = [e for e in audit.events(hist.path) if e.commit.sha == hist.commits["evaluation"]]
    assert (event.kind, event.ref, event.detail) == (
        "evaluation_added",
        "fraud@2.0.0",
        "evaluated on transactions@2026-01",
    )


def test_model_and_policy_changes(hist: Built) -> None:
    events = audit.events(hist.path)
    model = next(e for e in events if e.kind == "model_updated")
    assert (model.model, model.detail) == ("fraud", "owner: @acme/risk -> @acme/fraud-ml")
    policies = [e.detail for e in events if e.kind == "policy_changed"]
    assert policies == ["created", "+metrics.auc; +metrics.latency_ms"]


def test_a_commit_outside_the_registry_is_not_in_the_trail(hist: Built) -> None:
    assert hist.commits["readme"] not in {e.commit.sha for e in audit.events(hist.path)}


@pytest.mark.parametrize(
    ("subject", "number"),
    [
        ("Merge pull request #12 from acme/promote-x", 12),
        ("promote fraud@1.3.0 to production (#13)", 13),
        ("promote fraud (#7) and more", None),
        ("Merge branch 'main' into feature", None),
        ("fix #12", None),
    ],
)
def test_pr_numbers_from_subjects(subject: str, number: int | None) -> None:
    assert pr_number(subject) == number


def test_history_table_newest_first(hist: Built) -> None:
    r = hist.cli("history", "fraud", "--stage", "production")
    assert r.code == 0, r.err
    c = hist.commits
    assert r.out.splitlines() == [
        "DATE                     EVENT          REF          PR   BY             APPROVED       COMMIT    CHANGE",
        f"2026-04-02 11:00 +02:00  stage_changed  fraud@1.1.0  #16  Dave Example   -              {c['pr16'][:8]}"
        "  production -> archived",
        f"2026-04-02 11:00 +02:00  stage_changed  fraud@2.0.0  #16  Dave Example   -              {c['pr16'][:8]}"
        "  staging -> production",
        f"2026-03-02 09:30 +01:00  stage_changed  fraud@1.0.0  #14  Carol Example  Carol Example  {c['pr14'][:8]}"
        "  production -> archived",
        f"2026-03-02 09:30 +01:00  stage_changed  fraud@1.1.0  #14  Carol Example  Carol Example  {c['pr14'][:8]}"
        "  staging -> production",
        f"2026-02-01 12:00 +00:00  stage_changed  fraud@1.0.0  #13  Dave Example   -              {c['pr13'][:8]}"
        "  staging -> production",
    ]


def test_history_of_one_version_as_json(hist: Built) -> None:
    r = hist.cli("history", "fraud@1.0.0", "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert (data["model"], data["version"]) == ("fraud", "1.0.0")
    rows = [(e["kind"], e.get("from"), e.get("to"), e["commit"].get("pr")) for e in data["events"]]
    assert rows == [
        ("stage_changed", "production", "archived", 14),
        ("stage_changed", "staging", "production", 13),
        ("stage_changed", "development", "staging", 12),
        ("registered", None, None, None),
    ]
    first = data["events"][0]["commit"]
    assert first["sha"] == hist.commits["pr14"]
    assert first["commit_date"] == "2026-03-02T09:30:00+01:00"
    assert first["author_email"] == "carol@example.com"
    assert first["trailers"]["Modelreg-Version"] == "1.1.0"


def test_history_of_a_stage_reference_resolves_it_now(hist: Built) -> None:
    r = hist.cli("history", "fraud@production", "--format", "json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["version"] == "2.0.0"


def test_history_period_in_any_time_zone(hist: Built) -> None:
    # 2026-02-20 10:00 -08:00 is 18:00 UTC: inside a window ending 18:30 UTC, outside one ending 17:30.
    since = ["history", "--since", "2026-02-20", "--format", "json"]
    inside = hist.cli(*since, "--until", "2026-02-20T18:30:00Z")
    outside = hist.cli(*since, "--until", "2026-02-20T19:30+02:00")
    assert inside.code == 0 and outside.code == 0, inside.err + outside.err
    assert [e["commit"]["sha"] for e in json.loads(inside.out)["events"]] == [hist.commits["direct-staging"]]
    assert json.loads(outside.out)["events"] == []


def test_history_dates_alone_cover_whole_days(hist: Built) -> None:
    r = hist.cli("history", "--since", "2026-03-05", "--until", "2026-03-07", "--format", "json")
    assert r.code == 0, r.err
    kinds = [e["kind"] for e in json.loads(r.out)["events"]]
    assert kinds == ["model_updated", "evaluation_added", "violation"]


def test_history_as_csv(hist: Built) -> None:
    r = hist.cli("history", "churn", "--format", "csv")
    assert r.code == 0, r.err
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert [(row["kind"], row["from"], row["to"], row["rule"]) for row in rows] == [
        ("stage_changed", "development", "production", ""),
        ("violation", "", "", "transition"),
        ("registered", "", "", ""),
    ]
    assert rows[0]["commit_date"] == "2026-03-10T09:00:00+01:00"
    assert rows[0]["author_name"] == "Eve Example"
    assert rows[2]["author_date"] == "2026-01-12T08:00:00-05:00"


def test_registry_history_api(hist: Built) -> None:
    registry = Registry(hist.path)
    trail = registry.history("fraud", stage="staging", since="2026-02-02T00:00:00Z")
    assert [(e.ref, e.from_stage, e.to_stage) for e in trail.events] == [
        ("fraud@2.0.0", "staging", "production"),
        ("fraud@2.0.0", "development", "staging"),
        ("fraud@1.1.0", "staging", "production"),
        ("fraud@1.1.0", "development", "staging"),
    ]
    old = registry.at("2026-02-15T00:00:00+00:00").history("fraud")
    assert old.events[0].commit.sha == hist.commits["fraud-2.0.0"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch"], "model 'nosuch' has no history in this registry"),
        (["fraud@9.9.9"], "fraud@9.9.9 has no history in this registry"),
        (["Bad/Name"], "invalid model name 'Bad/Name'"),
        (["--since", "2026-13-01"], "invalid date '2026-13-01'"),
        (["--until", "yesterday"], "invalid date 'yesterday'"),
    ],
)
def test_history_errors_are_one_line(hist: Built, args: list[str], message: str) -> None:
    r = hist.cli("history", *args)
    assert r.code == 1
    assert len(r.lines) == 1 and message in r.lines[0], r.err
    assert "Traceback" not in r.err


def test_history_outside_a_registry(tmp_path: pytest.TempPathFactory) -> None:
    from conftest import cli, git

    git("init", "-q", cwd=tmp_path)  # type: ignore[arg-type]
    r = cli("history", cwd=tmp_path)  # type: ignore[arg-type]
    assert r.code == 1 and "not a modelreg registry" in r.err


def test_deleting_a_version_or_editing_its_pointer_on_main_is_a_violation(hist: Built) -> None:
    pointer = hist.path / "models/fraud/1.0.0/model.bin.dvc"
    pointer.write_text(pointer.read_text().replace("size:", "size: 1\n#"))
    hist.git("commit", "-q", "-am", "tweak a pointer")
    hist.git("rm", "-q", "-r", "models/fraud/1.2.0.yaml", "models/fraud/1.2.0")
    hist.git("commit", "-q", "-m", "drop fraud@1.2.0")
    r = hist.cli("history", "fraud", "--format", "json")
    assert r.code == 0, r.err
    latest = json.loads(r.out)["events"][:2]  # newest first
    assert [(e["version"], e["rule"], e["detail"]) for e in latest] == [
        ("1.2.0", "write-once", "manifest models/fraud/1.2.0.yaml deleted"),
        (
            "1.0.0",
            "write-once",
            "artifact pointer models/fraud/1.0.0/model.bin.dvc changed after registering",
        ),
    ]
