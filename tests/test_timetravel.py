"""Time travel: `show --at`, `list --at` and `Registry.at`, with dates between commits in several zones."""

from __future__ import annotations

import json

import pytest
from history_repo import Built

from modelreg import Registry
from modelreg.domain.errors import InvalidInputError
from modelreg.history.timetravel import parse_date
from modelreg.registry import RegistryAsOf, version_as_of


def production(built: Built, at: str) -> str:
    r = built.cli("list", "--stage", "production", "--model", "fraud", "--at", at, "--format", "json")
    assert r.code == 0, r.err
    return ",".join(v["version"] for v in json.loads(r.out)["versions"])


@pytest.mark.parametrize(
    ("at", "holder"),
    [
        ("2026-01-31", ""),  # staging only, end of day UTC
        ("2026-02-01T11:59:59Z", ""),  # a second before the squash merge of PR #13
        ("2026-02-01T12:00:00Z", "1.0.0"),  # the very moment it landed
        ("2026-02-01T13:30:00+01:30", "1.0.0"),  # the same instant, written in another zone
        ("2026-02-15", "1.0.0"),  # between commits (README on the 14th, direct stage move on the 20th)
        ("2026-03-02T08:29:00Z", "1.0.0"),  # PR #14 merged 09:30 +01:00 = 08:30 UTC
        ("2026-03-02T09:29:00+01:00", "1.0.0"),
        ("2026-03-02T03:31:00-05:00", "1.1.0"),  # 08:31 UTC
        ("2026-03-02", "1.1.0"),
        ("2026-04-02T10:59:00+02:00", "1.1.0"),
        ("2026-04-02 11:00", "2.0.0"),  # local time (TZ=UTC here): after 09:00 UTC
    ],
)
def test_what_was_in_production_at_a_moment(hist: Built, at: str, holder: str) -> None:
    assert production(hist, at) == holder


def test_show_at_says_since_when_who_and_which_pr(hist: Built) -> None:
    r = hist.cli("show", "fraud@production", "--at", "2026-03-01")
    assert r.code == 0, r.err
    assert r.out.splitlines()[0] == "fraud@1.0.0  (production)"
    assert r.out.splitlines()[-2:] == [
        f"  as of:        2026-03-01 (commit {hist.commits['direct-staging'][:8]}, 2026-02-20 10:00 -08:00)",
        "  held:         in production since 2026-02-01 12:00 +00:00, "
        f"PR #13, commit {hist.commits['pr13'][:8]} (promote fraud@1.0.0 to production (#13)); "
        "requested by Dave Example <dave@example.com>",
    ]
    assert r.lines == [
        f"modelreg: as of 2026-03-01: commit {hist.commits['direct-staging'][:8]} (2026-02-20T10:00:00-08:00)"
    ]


def test_show_at_as_json_names_the_merge_and_its_trailers(hist: Built) -> None:
    r = hist.cli("show", "fraud@production", "--at", "2026-03-15", "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert (data["version"], data["stage"]) == ("1.1.0", "production")
    assert data["as_of"]["commit"] == hist.commits["hotfix"]
    assert data["as_of"]["date"].startswith("2026-03-15T23:59:59")
    held = data["held"]
    assert held["since"] == "2026-03-02T09:30:00+01:00"
    assert held["entered"]["pr"] == 14
    assert held["entered"]["author_name"] == "Carol Example"
    assert held["entered"]["trailers"]["Modelreg-To"] == "production"


def test_show_at_a_version_in_the_initial_stage_dates_from_registration(hist: Built) -> None:
    r = hist.cli("show", "fraud@1.2.0", "--at", "2026-02-12", "--format", "json")
    assert r.code == 0, r.err
    held = json.loads(r.out)["held"]
    assert (held["stage"], held["since"]) == ("development", "2026-02-11T09:00:00+01:00")


def test_show_at_a_revision(hist: Built) -> None:
    r = hist.cli("show", "fraud@production", "--at", hist.commits["pr13"][:10], "--format", "json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["version"] == "1.0.0"
    branch = hist.cli("show", "fraud@production", "--at", "promote-fraud-1.1.0")
    assert branch.code == 0, branch.err
    assert branch.out.startswith("fraud@1.1.0  (production)")


def test_list_at_shows_the_registry_as_it_was(hist: Built) -> None:
    r = hist.cli("list", "--at", "2026-01-13")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert [line.split()[:3] for line in lines[1:]] == [
        ["churn", "0.1.0", "development"],
        ["fraud", "1.0.0", "development"],
    ]


def test_a_future_date_answers_as_of_now_with_a_note(hist: Built) -> None:
    assert production(hist, "2999-01-01") == "2.0.0"
    r = hist.cli("list", "--at", "2999-01-01")
    assert "2999-01-01 is in the future; answering as of now" in r.err


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("2025-12-31", "no commit at or before 2025-12-31: the history begins 2026-01-05T09:00:00+01:00"),
        ("2026-02-30", "invalid date '2026-02-30'"),
        ("not-a-thing", "--at 'not-a-thing' is neither a revision (commit, branch, tag) nor a date"),
        ("-rf", "--at '-rf' is neither a revision"),
    ],
)
def test_bad_moments_are_one_clear_line(hist: Built, at: str, message: str) -> None:
    for command in (["show", "fraud@production"], ["list"]):
        r = hist.cli(*command, "--at", at)
        assert r.code == 1
        assert len(r.lines) == 1 and message in r.lines[0], r.err


def test_registry_at_is_a_read_only_registry_of_then(hist: Built) -> None:
    then = Registry(hist.path).at("2026-02-15T00:00:00+00:00")
    assert isinstance(then, RegistryAsOf)
    assert then.moment.commit == hist.commits["readme"]  # the last commit at or before, registry or not
    assert then.get("fraud@production").version == "1.0.0"
    assert [m.name for m in then.models()] == ["churn", "fraud"]
    assert then.get("fraud@2.0.0").stage == "development"
    detail = version_as_of(then, then.get("fraud@production"))
    assert detail.held is not None and detail.held.entered.pr == 13


def test_parse_date_forms() -> None:
    assert parse_date("2026-03-01T12:00+01:00") is not None
    assert parse_date("2026-03-01T12:00Z") == parse_date("2026-03-01T13:00:00+01:00")
    end = parse_date("2026-03-01", end_of_day=True)
    assert end is not None and (end.hour, end.minute, end.second) == (23, 59, 59)
    assert parse_date("main") is None
    with pytest.raises(InvalidInputError):
        parse_date("2026-03-01T25:00")
