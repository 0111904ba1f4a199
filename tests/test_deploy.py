"""Deployments per environment: ``deploy`` by pull request, the deployment rule in ``check``,
``validate`` and ``promote``, ``deployments`` (now and at a past moment) and ``events`` after a
merge, against real repositories."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from conftest import Reg, git
from test_evaluate import REQUIRES_HOLDOUT

if TYPE_CHECKING:
    from github_server import FakeGitHub, Origin

    AddOrigin = Callable[[Reg], Origin]

pytest_plugins = ["github_server", "registries"]


def _merge(reg: Reg, branch: str, *, number: int, author: str = "Carol Merger <carol@example.com>") -> None:
    """Merge ``branch`` as GitHub's merge button does, as ``author``."""
    name, email = author[:-1].split(" <")
    people = {
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
    }
    message = f"Merge pull request #{number} from acme/{branch}"
    subprocess.run(
        ["git", "merge", "-q", "--no-ff", "-m", message, branch],
        cwd=reg.path,
        env={**os.environ, **people},
        check=True,
    )


def _environments(reg: Reg) -> None:
    reg.write(
        "registry.yaml",
        REQUIRES_HOLDOUT.replace(
            "      evaluations: {holdout: {auc: {min: 0.90}}}\n", "      fields: [description]\n"
        ),
    )
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: [1.2.0]\narchived: [1.0.0]\n")
    reg.commit("declare environments")


def test_deploy_to_canary_then_production(
    populated: Reg, add_origin: AddOrigin, github_api: FakeGitHub
) -> None:
    reg = populated
    _environments(reg)
    origin = add_origin(reg)
    before = reg.state()
    r = reg.cli("deploy", "fraud@staging", "--env", "canary", "--traffic", "10", env=github_api.env)
    assert r.code == 0, r.err
    branch = "deploy/fraud-1.2.0-canary"
    assert branch in origin.branches() and reg.state()[0] == before[0]
    (request,) = github_api.requests
    assert request.body["title"] == "deploy fraud@1.2.0 to canary"
    assert git("diff", "--name-only", f"main...{branch}", cwd=reg.path).split() == [
        "models/fraud/deployments.yaml"
    ]
    assert reg.cli("check", "--base", "main", "--head", branch).code == 0
    base = git("rev-parse", "HEAD", cwd=reg.path).strip()
    _merge(reg, branch, number=7)
    ev = reg.cli("events", "--base", base, "--format", "json")
    assert ev.code == 0, ev.err
    (event,) = json.loads(ev.out)["events"]
    assert (event["kind"], event["ref"], event["environment"], event["pr"]) == (
        "deployed",
        "fraud@1.2.0",
        "canary",
        7,
    )
    # production is refused for a staging version, by deploy and by check
    refused = reg.cli("deploy", "fraud@1.2.0", "--env", "prod-eu", "--no-push")
    assert refused.code == 1 and "prod-eu requires production" in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    ok = reg.cli(
        "deploy",
        "fraud@production",
        "--env",
        "prod-eu",
        "--endpoint",
        "https://eu.example.com/fraud",
        "--no-push",
    )
    assert ok.code == 0, ok.err
    _merge(reg, "deploy/fraud-1.1.0-prod-eu", number=8)
    shown = reg.cli("deployments", "fraud", "--format", "json")
    assert shown.code == 0, shown.err
    rows = {d["environment"]: d for d in json.loads(shown.out)["deployments"]}
    assert (
        rows["canary"]["version"] == "1.2.0" and rows["canary"]["traffic"] == 10 and rows["canary"]["pr"] == 7
    )
    assert (
        rows["prod-eu"]["version"] == "1.1.0"
        and rows["prod-eu"]["stage"] == "production"
        and rows["prod-eu"]["pr"] == 8
    )
    text = reg.cli("deployments")
    assert "canary" in text.out and "https://eu.example.com/fraud" in text.out
    # as of the first merge, only the canary ran
    past = reg.cli("deployments", "fraud", "--at", "HEAD~1", "--format", "json")
    assert [d["environment"] for d in json.loads(past.out)["deployments"]] == ["canary"]
    assert reg.cli("validate").code == 0


def test_check_refuses_bad_deployments(populated: Reg) -> None:
    reg = populated
    _environments(reg)
    base = git("rev-parse", "HEAD", cwd=reg.path).strip()
    cases = {
        "prod-eu: {version: 1.2.0}\n": "prod-eu runs fraud@1.2.0, which stands in staging, but prod-eu requires production",
        "mars: {version: 1.1.0}\n": "environment mars is not declared in registry.yaml",
        "canary: {version: 9.9.9}\n": "canary names fraud@9.9.9, which is not registered",
        "canary: {version: 1.2.0, traffic: 120}\n": "traffic",
    }
    for text, words in cases.items():
        reg.write("models/fraud/deployments.yaml", text)
        reg.commit(text)
        r = reg.cli("check", "--base", base, "--format", "json")
        assert r.code == 1, text
        messages = [p["message"] for p in json.loads(r.out)["problems"]]
        assert any(words in m for m in messages), (text, messages)
        git("reset", "-q", "--hard", base, cwd=reg.path)


def test_a_promotion_may_not_strand_an_environment(populated: Reg, add_origin: AddOrigin) -> None:
    reg = populated
    _environments(reg)
    reg.write("models/fraud/deployments.yaml", "prod-eu: {version: 1.1.0}\n")
    reg.commit("prod-eu runs 1.1.0")
    add_origin(reg)
    # promote refuses: 1.1.0 would be displaced to archived while prod-eu runs it
    r = reg.cli("promote", "fraud@1.2.0", "--to", "production", "--no-push")
    assert r.code == 1
    assert "prod-eu runs fraud@1.1.0, which stands in archived" in r.err
    assert r.err.rstrip().endswith(
        "to move prod-eu along in the same pull request: "
        "modelreg promote fraud@1.2.0 --to production --deploy prod-eu"
    )
    # check refuses the same move made by hand, and accepts it with prod-eu moved along
    base = git("rev-parse", "HEAD", cwd=reg.path).strip()
    reg.write("models/fraud/stages.yaml", "production: 1.2.0\narchived: [1.0.0, 1.1.0]\n")
    reg.commit("by hand")
    bad = reg.cli("check", "--base", base, "--format", "json")
    assert bad.code == 1
    assert any("prod-eu runs fraud@1.1.0" in p["message"] for p in json.loads(bad.out)["problems"])
    reg.write("models/fraud/deployments.yaml", "prod-eu: {version: 1.2.0}\n")
    reg.commit("and prod-eu with it")
    good = reg.cli("check", "--base", base)
    assert good.code == 0, good.out
    # promote --deploy makes that one commit
    git("reset", "-q", "--hard", base, cwd=reg.path)
    both = reg.cli("promote", "fraud@1.2.0", "--to", "production", "--deploy", "prod-eu", "--no-push")
    assert both.code == 0, both.err
    branch = "promote/fraud-1.2.0-production"
    changed = git("diff", "--name-only", f"main...{branch}", cwd=reg.path).split()
    assert changed == ["models/fraud/deployments.yaml", "models/fraud/stages.yaml"]
    assert reg.cli("check", "--base", "main", "--head", branch).code == 0
    ev = json.loads(reg.cli("events", "--base", "main", "--head", branch, "--format", "json").out)["events"]
    assert [(e["kind"], e["ref"], e.get("environment")) for e in ev] == [
        ("stage_changed", "fraud@1.1.0", None),
        ("stage_changed", "fraud@1.2.0", None),
        ("deployed", "fraud@1.2.0", "prod-eu"),
    ]
    unknown = reg.cli("promote", "fraud@1.2.0", "--to", "production", "--deploy", "mars", "--no-push")
    assert unknown.code == 1 and "unknown environment 'mars'" in unknown.err


def test_environments_come_from_the_base(populated: Reg) -> None:
    """A change may not declare the environment it deploys to: registry.yaml is the base's."""
    reg = populated
    _environments(reg)
    base = git("rev-parse", "HEAD", cwd=reg.path).strip()
    config = yaml.safe_load((reg.path / "registry.yaml").read_text())
    config["environments"]["mars"] = {"stage": "development"}
    reg.write("registry.yaml", yaml.safe_dump(config))
    reg.write("models/fraud/deployments.yaml", "mars: {version: 1.2.0}\n")
    reg.commit("declare and deploy at once")
    r = reg.cli("check", "--base", base, "--format", "json")
    assert r.code == 1
    rules = {p["rule"] for p in json.loads(r.out)["problems"]}
    assert "policy" in rules and "deployment" in rules


def test_deploy_bad_input_writes_nothing(populated: Reg, add_origin: AddOrigin) -> None:
    reg = populated
    _environments(reg)
    add_origin(reg)
    before = reg.state()
    for args, words in [
        (["fraud@1.2.0", "--env", "mars"], "unknown environment 'mars'"),
        (["fraud@9.9.9", "--env", "canary"], "9.9.9"),
        (["fraud@1.2.0", "--env", "canary", "--traffic", "150"], "0 to 100"),
        (["fraud@1.0.0", "--env", "canary"], "stands in archived"),
    ]:
        r = reg.cli("deploy", *args, "--no-push")
        assert r.code == 1, (args, r.out, r.err)
        assert words in r.err and len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err
    assert reg.state() == before
    assert git("branch", "--list", "deploy/*", cwd=reg.path) == ""


def test_events_github_outputs(populated: Reg, tmp_path: Path) -> None:
    reg = populated
    _environments(reg)
    base = git("rev-parse", "HEAD", cwd=reg.path).strip()
    reg.write("models/fraud/deployments.yaml", 'canary: {version: 1.2.0, endpoint: "https://x\\ny=1"}\n')
    reg.register("fraud", "1.3.0", description="next")
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: [1.2.0, 1.3.0]\narchived: [1.0.0]\n")
    reg.commit("several things")
    out = tmp_path / "github_output"
    out.write_text("")
    r = reg.cli("events", "--base", base, "--format", "github", env={"GITHUB_OUTPUT": str(out)})
    assert r.code == 0, r.err
    text = out.read_text()
    found = _parse_outputs(text)
    assert found["deploy_env"] == "canary" and found["ref"] == "fraud@1.2.0"
    assert found["registered"] == "fraud@1.3.0" and found["promoted"] == "fraud@1.3.0:staging"
    assert found["changed"] == "true"
    events = json.loads(found["events"])
    assert {e["kind"] for e in events} == {"registered", "stage_changed", "deployed"}
    # an endpoint holding a newline cannot set another output
    assert "\ny=1" not in "".join(
        line + "\n" for line in text.splitlines() if not line.startswith("events<<")
    )
    missing = reg.cli("events", "--base", base, "--format", "github", env={"GITHUB_OUTPUT": ""})
    assert missing.code == 1 and "GITHUB_OUTPUT" in missing.err
    none = reg.cli("events", "--base", "HEAD")
    assert none.code == 0 and "no registry events" in none.out
    reversed_ = reg.cli("events", "--base", "HEAD", "--head", base)
    assert reversed_.code == 1 and "not an ancestor" in reversed_.err


def test_events_github_refuses_a_step_outputs_path_it_cannot_append_to(
    populated: Reg, tmp_path: Path
) -> None:
    """A folder, a missing file or an unwritable file at $GITHUB_OUTPUT: one line, exit 1,
    nothing printed; a writable file beside them is the twin that passes."""
    reg = populated
    base = git("rev-parse", "HEAD~1", cwd=reg.path).strip()
    folder = tmp_path / "outputs-folder"
    folder.mkdir()
    locked = tmp_path / "locked"
    locked.write_text("")
    locked.chmod(0o444)
    cases = {folder: "it is not a file", tmp_path / "absent": "it does not exist", locked: "not writable"}
    for target, reason in cases.items():
        if target == locked and os.access(locked, os.W_OK):
            continue  # root writes anything
        r = reg.cli("events", "--base", base, "--format", "github", env={"GITHUB_OUTPUT": str(target)})
        assert r.code == 1, (target, r.err)
        assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err
        assert f"$GITHUB_OUTPUT {target}: {reason}" in r.err and r.out == ""
    assert list(folder.iterdir()) == [] and locked.read_text() == ""
    good = tmp_path / "good"
    good.write_text("")
    r = reg.cli("events", "--base", base, "--format", "github", env={"GITHUB_OUTPUT": str(good)})
    assert r.code == 0, r.err
    assert "changed<<" in good.read_text()


def _parse_outputs(text: str) -> dict[str, str]:
    """The runner's reading of $GITHUB_OUTPUT: NAME<<DELIM, lines, DELIM."""
    found: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if not line:
            continue
        name, _, delimiter = line.partition("<<")
        value = []
        for inner in lines:
            if inner == delimiter:
                break
            value.append(inner)
        found[name] = "\n".join(value)
    return found


def test_every_models_deployments_in_one_walk_answer_as_each_models(populated: Reg) -> None:
    """`deployments` of all models reads the history once for all; each entry is the one
    `deployments NAME` gives (since, commit, pull request)."""
    reg = populated
    _environments(reg)
    reg.write("models/fraud/deployments.yaml", "prod-eu: {version: 1.1.0}\n")
    reg.commit("Merge pull request #21 from acme/deploy/fraud")
    reg.write("models/churn/deployments.yaml", "canary: {version: 0.1.0, traffic: 5}\n")
    reg.commit("Merge pull request #22 from acme/deploy/churn")
    reg.write(
        "models/fraud/deployments.yaml", "prod-eu: {version: 1.1.0, traffic: 50}\ncanary: {version: 1.2.0}\n"
    )
    reg.commit("fraud: canary")
    every = json.loads(reg.cli("deployments", "--format", "json").out)["deployments"]
    each = [
        d
        for name in ("churn", "fraud")
        for d in json.loads(reg.cli("deployments", name, "--format", "json").out)["deployments"]
    ]
    assert every == each and len(every) == 3
    assert [(d["environment"], d.get("pr")) for d in every] == [
        ("canary", 22),
        ("canary", None),
        ("prod-eu", 21),
    ]
