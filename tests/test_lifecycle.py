"""Life after registration as a team lives it: promoted, deployed to two environments, rolled
back; every command's answer (rollback, deployments, history, events, check) tells one story.
One named test per finding of the review that tried it."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from conftest import Reg, git

pytest_plugins = ["registries"]

POLICY = """\
schema_version: 1
name: test-registry
stages:
  development: {initial: true, from: [archived]}
  staging: {from: [development], max_versions: 3}
  production:
    from: [staging]
    max_versions: 1
    displace_to: archived
    requires:
      fields: [description]
  deprecated: {from: [production, staging]}
  archived: {from: [development, staging, production, deprecated]}
metrics: {auc: maximize}
environments:
  canary: {stage: [staging, production]}
  prod-eu: {stage: production}
  prod-us: {stage: production}
"""

MERGER = {
    "GIT_AUTHOR_NAME": "Carol Merger",
    "GIT_AUTHOR_EMAIL": "carol@example.com",
    "GIT_COMMITTER_NAME": "Carol Merger",
    "GIT_COMMITTER_EMAIL": "carol@example.com",
}


def bare_origin(reg: Reg) -> Path:
    """A bare repository on disk as origin (not GitHub), main pushed to it."""
    bare = reg.path.parent / "origin.git"
    git("init", "-q", "--bare", str(bare), cwd=reg.path)
    git("remote", "add", "origin", str(bare), cwd=reg.path)
    git("push", "-q", "origin", "main", cwd=reg.path)
    git("fetch", "-q", "origin", cwd=reg.path)
    return bare


def merge(reg: Reg, branch: str, number: int) -> str:
    """Merge ``branch`` into main as a forge does (--no-ff, another identity), push main."""
    subprocess.run(
        ["git", "merge", "-q", "--no-ff", "-m", f"Merge pull request #{number} from acme/{branch}", branch],
        cwd=reg.path,
        env={**os.environ, **MERGER},
        check=True,
    )
    git("push", "-q", "origin", "main", cwd=reg.path)
    git("fetch", "-q", "origin", cwd=reg.path)
    return git("rev-parse", "HEAD", cwd=reg.path).strip()


def branch_of(out: str) -> str:
    return re.search(r"^branch (\S+) ", out, re.MULTILINE).group(1)  # type: ignore[union-attr]


def propose_and_merge(reg: Reg, *args: str, number: int) -> str:
    r = reg.cli(*args)
    assert r.code == 0, r.err
    branch = branch_of(r.out)
    checked = reg.cli("check", "--base", "origin/main", "--head", branch)
    assert checked.code == 0, checked.out
    return merge(reg, branch, number)


def suggested(err: str) -> list[str]:
    """The command an error message suggests (after its last colon), as argv."""
    tail = err.strip().rsplit(": ", 1)[1]
    assert tail.startswith("modelreg "), err
    return shlex.split(tail)[1:]


@pytest.fixture
def team(populated: Reg) -> Reg:
    """fraud 1.1.0 in production on prod-eu and prod-us, 1.2.0 in staging; origin a bare repo."""
    reg = populated
    reg.write("registry.yaml", POLICY)
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: [1.2.0]\narchived: [1.0.0]\n")
    reg.write("models/fraud/deployments.yaml", "prod-eu: {version: 1.1.0}\nprod-us: {version: 1.1.0}\n")
    reg.commit("environments")
    bare_origin(reg)
    return reg


def _released(reg: Reg) -> str:
    """1.2.0 promoted to production with both environments, merged: returns main before it."""
    before = git("rev-parse", "HEAD", cwd=reg.path).strip()
    args = ("promote", "fraud@1.2.0", "--to", "production", "--deploy", "prod-eu", "--deploy", "prod-us")
    propose_and_merge(reg, *args, number=10)
    return before


def _violations(reg: Reg) -> list[dict]:
    out = reg.cli("history", "fraud", "--format", "json")
    assert out.code == 0, out.err
    return [e for e in json.loads(out.out)["events"] if e["kind"] == "violation"]


def test_finding_1_an_accepted_rollback_is_no_violation(team: Reg, tmp_path: Path) -> None:
    reg = team
    _released(reg)
    before = git("rev-parse", "HEAD", cwd=reg.path).strip()
    propose_and_merge(
        reg,
        "rollback",
        "fraud",
        "--stage",
        "production",
        "--deploy",
        "prod-eu",
        "--deploy",
        "prod-us",
        number=11,
    )
    assert _violations(reg) == []
    events = json.loads(reg.cli("events", "--base", before, "--format", "json").out)["events"]
    assert [e["kind"] for e in events] == ["stage_changed", "stage_changed", "deployed", "deployed"]
    site = tmp_path / "site"
    assert reg.cli("site", "-o", str(site)).code == 0
    pages = "".join(p.read_text() for p in site.rglob("*.html"))
    assert "violation" not in pages.lower().replace("no violation", "")
    # the same move made by hand, for a version that never held production, is marked
    reg.write("models/churn/stages.yaml", "archived: [0.1.0]\n")
    reg.commit("archive churn")
    reg.write("models/churn/stages.yaml", "production: 0.1.0\n")
    reg.commit("sneak churn into production")
    out = json.loads(reg.cli("history", "churn", "--format", "json").out)["events"]
    marks = [(e["rule"], e["version"]) for e in out if e["kind"] == "violation"]
    assert marks == [("transition", "0.1.0")]


def test_finding_2_rolling_back_staging_never_empties_production(team: Reg) -> None:
    reg = team
    reg.register("fraud", "1.3.0", description="third", metrics={"auc": 0.94})
    git("push", "-q", "origin", "main", cwd=reg.path)
    propose_and_merge(reg, "promote", "fraud@1.3.0", "--to", "staging", number=12)
    # staging holds 1.2.0 and 1.3.0; 1.1.0 held it before, and holds production now: it stays
    state = reg.state()
    r = reg.cli("rollback", "fraud", "--stage", "staging", "--no-push")
    assert r.lines == [
        "modelreg: error: no earlier holder of staging of fraud can return without leaving the stage it "
        f"holds now: 1.1.0 (held staging until {_today()}; production now, stays there)"
    ]
    only = reg.cli("rollback", "fraud", "--stage", "staging", "--version", "1.1.0", "--no-push")
    assert only.lines == [
        "modelreg: error: cannot put fraud@1.1.0 back in staging: it holds production now, an active "
        "stage a rollback does not take versions from"
    ]
    assert reg.state() == state
    assert reg.cli("show", "fraud@production").out.startswith("fraud@1.1.0  (production)")


def _today() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


def test_finding_2_the_only_earlier_holder_in_production_is_refused(team: Reg) -> None:
    reg = team
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\narchived: [1.0.0, 1.2.0]\n")
    reg.commit("archive 1.2.0")
    reg.register("fraud", "1.3.0", description="third", metrics={"auc": 0.94})
    git("push", "-q", "origin", "main", cwd=reg.path)
    propose_and_merge(reg, "promote", "fraud@1.3.0", "--to", "staging", number=12)
    git("fetch", "-q", "origin", cwd=reg.path)
    r = reg.cli("rollback", "fraud", "--stage", "staging", "--no-push")
    assert r.code == 0, r.err  # 1.2.0 held staging and is archived: it returns, 1.1.0 stays
    lines = r.out.splitlines()
    assert lines[0] == "roll back fraud staging from 1.3.0 (PR #12) to 1.2.0"
    assert lines[1].startswith("considered: 1.2.0 (held staging until ") and "archived now)" in lines[1]
    assert "1.1.0 (held staging until " in lines[1] and "production now, stays there)" in lines[1]
    assert lines[2:4] == ["fraud@1.2.0: archived -> staging", "fraud@1.3.0: staging -> archived (displaced)"]


def test_finding_3_rollback_of_a_deployed_stage_in_one_pull_request(team: Reg) -> None:
    reg = team
    _released(reg)
    state = reg.state()
    refused = reg.cli("rollback", "fraud", "--stage", "production")
    assert refused.code == 1 and reg.state() == state
    argv = suggested(refused.err)
    assert argv == [
        "rollback",
        "fraud",
        "--stage",
        "production",
        "--deploy",
        "prod-eu",
        "--deploy",
        "prod-us",
    ]
    r = reg.cli(*argv)  # the suggestion works as printed
    assert r.code == 0, r.err
    branch = branch_of(r.out)
    assert git("rev-list", "--count", f"origin/main..{branch}", cwd=reg.path).strip() == "1"
    changed = git("diff", "--name-only", f"origin/main...{branch}", cwd=reg.path).split()
    assert changed == ["models/fraud/deployments.yaml", "models/fraud/stages.yaml"]
    assert reg.cli("check", "--base", "origin/main", "--head", branch).code == 0
    merge(reg, branch, 13)
    rows = json.loads(reg.cli("deployments", "fraud", "--format", "json").out)["deployments"]
    assert {(d["environment"], d["version"]) for d in rows} == {("prod-eu", "1.1.0"), ("prod-us", "1.1.0")}
    assert reg.cli("show", "fraud@production").out.startswith("fraud@1.1.0  (production)")
    assert _violations(reg) == []


def test_finding_4_every_proposal_starts_from_origin(team: Reg) -> None:
    reg = team
    reg.write(
        "models/churn/model.yaml", (reg.path / "models/churn/model.yaml").read_text() + "tags: [local]\n"
    )
    local = reg.commit("a local commit, not pushed")
    published = git("rev-parse", "origin/main", cwd=reg.path).strip()
    runs = [
        ("promote", "fraud@1.2.0", "--to", "production", "--deploy", "prod-eu", "--deploy", "prod-us"),
        ("demote", "fraud@1.0.0", "--to", "development"),
        ("deprecate", "fraud@1.2.0"),
        ("archive", "churn@0.1.0"),
        ("deploy", "fraud@1.2.0", "--env", "canary"),
        ("undeploy", "fraud", "--env", "prod-us"),
        ("evaluate", "fraud@1.2.0", "--dataset", "holdout@1", "--metric", "auc=0.9"),
    ]
    for args in runs:
        r = reg.cli(*args)
        assert r.code == 0, (args, r.err)
        branch = branch_of(r.out)
        assert git("rev-parse", f"{branch}~1", cwd=reg.path).strip() == published, args
        assert "from origin/main" in r.out and "1 commit of main not on origin/main" in r.err, args
        assert local not in git("rev-list", branch, cwd=reg.path)
    reg.register("fraud", "1.3.0", description="local only", metrics={"auc": 0.95})
    for args in [
        ("promote", "fraud@1.3.0", "--to", "staging"),
        ("deploy", "fraud@1.3.0", "--env", "canary"),
        ("evaluate", "fraud@1.3.0", "--dataset", "holdout@1", "--metric", "auc=0.9"),
    ]:
        r = reg.cli(*args)
        assert r.code == 1, args
        assert "fraud@1.3.0 is not on origin/main, where the pull request goes; land these commits" in r.err


def test_finding_7_a_forge_that_is_not_github_is_not_sent_the_token(team: Reg) -> None:
    reg = team
    token = {"GH_TOKEN": "ghp_should_never_be_used"}
    for args in [
        ("promote", "fraud@1.2.0", "--to", "production", "--deploy", "prod-eu", "--deploy", "prod-us"),
        ("deploy", "fraud@1.2.0", "--env", "canary"),
        ("evaluate", "fraud@1.2.0", "--dataset", "holdout@1", "--metric", "auc=0.9"),
    ]:
        r = reg.cli(*args, env=token)
        assert r.code == 0, (args, r.err)
        branch = branch_of(r.out)
        assert (
            r.out.strip().splitlines()[-1] == f"pushed to origin; open a pull request from {branch} into main"
        )
        assert "github" not in (r.out + r.err).lower() and "ghp_" not in r.out + r.err
    asked = reg.cli("deploy", "fraud@1.2.0", "--env", "canary", "--branch", "y", "--pr", env=token)
    assert asked.code == 1 and "is not a GitHub repository" in asked.err


def test_finding_9_messages(team: Reg) -> None:
    reg = team
    # a version never in production: no "keep it in production"; the suggestion works
    refused = reg.cli("deploy", "fraud@1.2.0", "--env", "prod-eu")
    assert refused.code == 1 and "keep" not in refused.err
    assert suggested(refused.err) == ["promote", "fraud@1.2.0", "--to", "production", "--deploy", "prod-eu"]
    # (the suggestion strands prod-us, which runs 1.1.0: its own refusal names the next command)
    again = reg.cli(*suggested(refused.err))
    assert again.code == 1
    final = suggested(again.err)
    assert final[-4:] == ["--deploy", "prod-eu", "--deploy", "prod-us"]
    assert reg.cli(*final).code == 0
    same = reg.cli("deploy", "fraud@1.1.0", "--env", "prod-eu")
    assert same.lines == ["modelreg: error: prod-eu already runs fraud@1.1.0; nothing to deploy"]
    # check: "replaces" only when the holder leaves; deployments and evaluations are listed
    reg.register("fraud", "1.3.0", description="third", metrics={"auc": 0.95})
    git("push", "-q", "origin", "main", cwd=reg.path)
    staged = reg.cli("promote", "fraud@1.3.0", "--to", "staging")
    out = reg.cli("check", "--base", "origin/main", "--head", branch_of(staged.out)).out
    assert "fraud@1.3.0: development -> staging (beside staging now: 1.2.0" in out and "replaces" not in out
    deployed = reg.cli("deploy", "fraud@1.2.0", "--env", "canary", "--traffic", "5")
    out = reg.cli("check", "--base", "origin/main", "--head", branch_of(deployed.out)).out
    assert "fraud@1.2.0: deployed to canary; traffic 5%" in out
    evaluated = reg.cli("evaluate", "fraud@1.2.0", "--dataset", "holdout@1", "--metric", "auc=0.9")
    report = reg.cli("check", "--base", "origin/main", "--head", branch_of(evaluated.out), "--format", "json")
    (change,) = json.loads(report.out)["changes"]
    assert change["evaluations"] == [
        {"version": "1.2.0", "dataset": "holdout@1", "kind": "offline", "metrics": {"auc": 0.9}}
    ]
    # register with no metrics, where registry.yaml names a metric goal
    artifact = reg.artifact("m.bin", b"x")
    r = reg.cli("register", "churn", str(artifact), "--bump", "minor", "--description", "no metrics")
    assert r.code == 0, r.err
    assert "churn@0.2.0 records no metrics, and registry.yaml names auc" in r.err


def test_the_python_api_rolls_back_with_environments(team: Reg) -> None:
    from modelreg import Registry

    reg = team
    _released(reg)
    result = Registry(reg.path).rollback("fraud", stage="production", deploy=["prod-eu", "prod-us"])
    assert (result.ref, result.to_stage, result.deployed) == (
        "fraud@1.1.0",
        "production",
        ["prod-eu", "prod-us"],
    )
    assert [m.ref for m in result.displaced] == ["fraud@1.2.0"]
    assert reg.cli("check", "--base", "origin/main", "--head", result.branch).code == 0
