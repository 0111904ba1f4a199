"""One audit record: for a generated sequence of moves and deployments, each landed the way
teams land changes (a merge commit, a squash, a direct commit) by generated people with
generated reasons, every view names the same requester, approver, reviewers, pull request
and reason: ``history``, ``events``, ``deployments`` (now and ``--at``), ``show --at``, the card
and the site."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import Reg, Templates, build_populated, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_deploy import _environments

pytest_plugins = ["registries"]

PEOPLE = [
    "Alice Asker <alice@example.com>",
    "Bob Builder <bob@example.com>",
    "Carol Merger <carol@example.com>",
]
PEOPLE += ["Dé Ünicode <de@example.org>"]
CYCLE = {
    "development": "staging",
    "staging": "production",
    "production": "archived",
    "archived": "development",
}
REASONS = (
    st.text(
        alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.,!?-éü"),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)


@dataclass
class Step:
    kind: str  # move (churn through its stages) or deploy (fraud to canary)
    style: str  # merge, squash or direct
    requester: str
    approver: str
    reviewer: str | None
    reason: str


@dataclass
class Expected:
    commit: str
    requested_by: str
    approved_by: str | None
    reviewers: list[str]
    pr: int | None
    reason: str

    def of(
        self,
        data: dict,
        *,
        names: tuple[str, str, str, str, str] = ("requested_by", "approved_by", "reviewers", "pr", "reason"),
    ) -> None:
        got = [data.get(n) for n in names]
        assert got == [self.requested_by, self.approved_by, self.reviewers, self.pr, self.reason], data


def _people(who: str, *, committer: str | None = None) -> dict[str, str]:
    name, email = who[:-1].split(" <")
    c_name, c_email = (committer or who)[:-1].split(" <")
    return {
        **os.environ,
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": c_name,
        "GIT_COMMITTER_EMAIL": c_email,
    }


def _git_as(reg: Reg, env: dict[str, str], *argv: str) -> None:
    subprocess.run(["git", *argv], cwd=reg.path, env=env, check=True, capture_output=True)


def steps() -> st.SearchStrategy[list[Step]]:
    def step(kind: str, style: str, pair: list[str], reviewer: str | None, reason: str) -> Step:
        return Step(kind, style, pair[0], pair[1], reviewer, reason)

    one = st.builds(
        step,
        st.sampled_from(["move", "deploy"]),
        st.sampled_from(["merge", "squash", "direct"]),
        st.permutations(PEOPLE).map(lambda p: p[:2]),
        st.none() | st.sampled_from(PEOPLE),
        REASONS,
    )
    return st.lists(one, min_size=1, max_size=4)


def _land(reg: Reg, number: int, step: Step, state: dict[str, str]) -> Expected:
    """Ask for the step as its requester, land it in its style; what every view should say."""
    branch = f"change-{number}"
    if step.kind == "move":
        target = CYCLE[state["churn"]]
        argv = ["promote", "churn@0.1.0", "--to", target]
        state["churn"] = target
    else:
        version = "1.1.0" if state["canary"] == "1.2.0" else "1.2.0"
        argv = ["deploy", f"fraud@{version}", "--env", "canary"]
        state["canary"] = version
    asked = reg.cli(
        *argv, "--no-push", "--branch", branch, "--reason", step.reason, env=_people(step.requester)
    )
    assert asked.code == 0, asked.err
    trailer = f"\n\nReviewed-by: {step.reviewer}" if step.reviewer else ""
    tip_subject = git("log", "-1", "--format=%s", branch, cwd=reg.path).strip()
    reviewers = [step.reviewer] if step.reviewer else []
    if step.style == "merge":
        message = f"Merge pull request #{number} from acme/{branch}{trailer}\n"
        _git_as(reg, _people(step.approver), "merge", "-q", "--no-ff", "-m", message, branch)
        expected = Expected("", step.requester, step.approver, reviewers, number, step.reason)
    elif step.style == "squash":
        _git_as(reg, _people(step.approver), "merge", "-q", "--squash", branch)
        message = f"{tip_subject} (#{number})\n\n{step.reason}{trailer}\n"
        env = _people(step.requester, committer=step.approver)
        _git_as(reg, env, "commit", "-q", "-m", message)
        expected = Expected("", step.requester, step.approver, reviewers, number, step.reason)
    else:
        _git_as(reg, _people(step.requester), "merge", "-q", "--ff-only", branch)
        expected = Expected("", step.requester, None, [], None, step.reason)
    expected.commit = git("rev-parse", "HEAD", cwd=reg.path).strip()
    return expected


class _Tables(HTMLParser):
    """The rows of every table of an HTML page, each cell as its text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _rows(page: Path) -> list[list[str]]:
    parser = _Tables()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.rows


def _name(person: str | None) -> str:
    return person.split(" <", 1)[0] if person else "-"


def _approval(x: Expected) -> str:
    return ", ".join(dict.fromkeys([_name(x.approved_by), *(_name(r) for r in x.reviewers)]))


def build_lifecycle(reg: Reg) -> None:
    build_populated(reg)
    _environments(reg)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps())
def test_every_view_names_the_same_people(
    templates: Templates, tmp_path_factory: pytest.TempPathFactory, sequence: list[Step]
) -> None:
    reg = templates.copy("audit-lifecycle", build_lifecycle, tmp_path_factory.mktemp("audit"))
    state = {"churn": "development", "canary": ""}
    landed = []
    for number, step in enumerate(sequence, start=10):
        before = git("rev-parse", "HEAD", cwd=reg.path).strip()
        landed.append((before, step, _land(reg, number, step, state)))
    history = json.loads(reg.cli("history", "--format", "json").out)["events"]
    for before, step, x in landed:
        mine = [e for e in history if e["commit"]["sha"] == x.commit]
        assert mine, f"history has no event of {x.commit}"
        for event in mine:
            x.of(event["commit"])
        report = reg.cli("events", "--base", before, "--head", x.commit, "--format", "json")
        events = json.loads(report.out)["events"]
        assert events and all(e["commit"] == x.commit for e in events)
        for event in events:
            x.of(event)
        if step.kind == "deploy":
            at = json.loads(reg.cli("deployments", "fraud", "--at", x.commit, "--format", "json").out)
            (canary,) = [d for d in at["deployments"] if d["environment"] == "canary"]
            x.of(canary)
        else:
            shown = reg.cli("show", "churn@0.1.0", "--at", x.commit, "--format", "json")
            x.of(json.loads(shown.out)["audit"])
    table = reg.cli("history").out.splitlines()
    for _, _, x in landed:
        rows = [line for line in table if f"  {x.commit[:8]}  " in line]
        assert rows and all(_name(x.requested_by) in r and _approval(x) in r for r in rows), rows
    deploys = [x for _, step, x in landed if step.kind == "deploy"]
    now = json.loads(reg.cli("deployments", "--format", "json").out)["deployments"]
    if deploys:
        (canary,) = [d for d in now if d["environment"] == "canary"]
        deploys[-1].of(canary)
        (line,) = [r for r in reg.cli("deployments", "fraud").out.splitlines() if "canary" in r]
        assert _name(deploys[-1].requested_by) in line and _approval(deploys[-1]) in line
    card = json.loads(reg.cli("card", "churn@0.1.0", "--format", "json").out)
    rows = {row["commit"]: row for row in card["history"]}
    names = ("requester", "approver", "reviewers", "pull_request", "reason")
    moves = [x for _, step, x in landed if step.kind == "move"]
    for x in moves:
        x.of(rows[x.commit], names=names)
    site = reg.path.parent / "site"
    built = reg.cli("site", "-o", str(site), "--full")
    assert built.code == 0, built.err
    version_rows = _rows(site / "models/churn/0.1.0/index.html")
    for x in moves:
        subject = git("log", "-1", "--format=%s", x.commit, cwd=reg.path).strip()
        (row,) = [r for r in version_rows if r and r[-1] == subject]
        assert row[2:4] == [_name(x.requested_by), _approval(x)]
        assert row[5] == x.reason
    if deploys:
        (row,) = [r for r in _rows(site / "models/fraud/index.html") if r and r[0] == "canary"]
        assert row[5:7] == [_name(deploys[-1].requested_by), _approval(deploys[-1])]
