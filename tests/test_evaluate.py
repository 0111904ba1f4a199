"""``modelreg evaluate``: evaluations appended to a version, required by a stage, shown, compared,
and guarded by the write-once rule in ``check``, against real repositories."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import yaml
from conftest import Reg, git

if TYPE_CHECKING:
    from github_server import FakeGitHub, Origin

    AddOrigin = Callable[[Reg], Origin]

pytest_plugins = ["github_server", "registries"]

REQUIRES_HOLDOUT = """\
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
      evaluations: {holdout: {auc: {min: 0.90}}}
  deprecated: {from: [production, staging]}
  archived: {from: [development, staging, production, deprecated]}
metrics: {auc: maximize}
environments:
  canary: {stage: [staging, production]}
  prod-eu: {stage: production}
"""


def _metrics(reg: Reg, **values: float) -> str:
    path = reg.scratch / "eval.json"
    path.write_text(json.dumps(values))
    return str(path)


def _manifest(reg: Reg, ref: str) -> dict:
    name, version = ref.split("@")
    return yaml.safe_load((reg.path / f"models/{name}/{version}.yaml").read_text())


def test_evaluate_commit_appends_one_evaluation(populated: Reg) -> None:
    reg = populated
    before = (reg.path / "models/fraud/1.2.0.yaml").read_text()
    r = reg.cli(
        "evaluate",
        "fraud@1.2.0",
        "--dataset",
        "holdout@2026-11",
        "--metrics-file",
        _metrics(reg, auc=0.94),
        "--kind",
        "shadow",
        "--note",
        "November holdout",
        "--commit",
    )
    assert r.code == 0, r.err
    after = (reg.path / "models/fraud/1.2.0.yaml").read_text()
    assert after.startswith(before.rstrip("\n"))  # the text is kept; the entry is added at the end
    (entry,) = _manifest(reg, "fraud@1.2.0")["evaluations"]
    assert entry["dataset"] == {"name": "holdout", "version": "2026-11"}
    assert (
        entry["metrics"] == {"auc": 0.94}
        and entry["kind"] == "shadow"
        and entry["note"] == "November holdout"
    )
    assert entry["created_by"].startswith("Test User") or entry["created_by"]
    assert git("status", "--porcelain", cwd=reg.path) == ""
    assert git("log", "-1", "--format=%s", cwd=reg.path).strip() == "evaluate fraud@1.2.0 on holdout@2026-11"
    # a second evaluation appends again; check accepts both as appends
    r = reg.cli("evaluate", "fraud@1.2.0", "--dataset", "holdout@2026-12", "--metric", "auc=0.95", "--commit")
    assert r.code == 0, r.err
    assert len(_manifest(reg, "fraud@1.2.0")["evaluations"]) == 2
    check = reg.cli("check", "--base", "HEAD~2")
    assert check.code == 0, check.out + check.err
    shown = reg.cli("show", "fraud@1.2.0", "--format", "json")
    assert [e["dataset"]["version"] for e in json.loads(shown.out)["manifest"]["evaluations"]] == [
        "2026-11",
        "2026-12",
    ]
    text = reg.cli("show", "fraud@1.2.0")
    assert "holdout@2026-11" in text.out and "holdout@2026-12" in text.out
    history = reg.cli("history", "fraud", "--format", "json")
    assert sum(1 for e in json.loads(history.out)["events"] if e["kind"] == "evaluation_added") == 2


def test_evaluate_bad_input_writes_nothing(populated: Reg) -> None:
    reg = populated
    before = reg.state()
    cases = [
        (["fraud@9.9.9", "--dataset", "holdout@1", "--metric", "auc=1"], "9.9.9"),
        (["fraud@1.2.0", "--dataset", "holdout", "--metric", "auc=1"], "NAME@VERSION"),
        (["fraud@1.2.0", "--dataset", "holdout@1"], "needs metrics"),
        (["fraud@1.2.0", "--dataset", "holdout@1", "--metric", "auc=nan"], "finite"),
    ]
    for args, words in cases:
        r = reg.cli("evaluate", *args, "--commit")
        assert r.code == 1, (args, r.out, r.err)
        assert words in r.err and len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err
    (reg.path / "models/fraud/1.2.0.yaml").write_text(
        (reg.path / "models/fraud/1.2.0.yaml").read_text() + "\n"
    )
    r = reg.cli("evaluate", "fraud@1.2.0", "--dataset", "holdout@1", "--metric", "auc=1", "--commit")
    assert r.code == 1 and "uncommitted changes" in r.err
    git("checkout", "--", "models/fraud/1.2.0.yaml", cwd=reg.path)
    assert reg.state() == before


def test_evaluate_by_pull_request(populated: Reg, add_origin: AddOrigin, github_api: FakeGitHub) -> None:
    reg = populated
    origin = add_origin(reg)
    before = reg.state()
    r = reg.cli(
        "evaluate", "fraud@1.2.0", "--dataset", "holdout@2026-11", "--metric", "auc=0.94", env=github_api.env
    )
    assert r.code == 0, r.err
    branch = "evaluate/fraud-1.2.0-holdout-2026-11"
    assert branch in origin.branches() and reg.state()[0] == before[0]
    (request,) = github_api.requests
    assert request.body["title"] == "evaluate fraud@1.2.0 on holdout@2026-11"
    changed = git("diff", "--name-only", f"main...{branch}", cwd=reg.path).split()
    assert changed == ["models/fraud/1.2.0.yaml"]
    check = reg.cli("check", "--base", "main", "--head", branch)
    assert check.code == 0, check.out + check.err


def test_check_refuses_edited_reordered_or_removed_evaluations(populated: Reg) -> None:
    reg = populated
    for dataset in ("a@1", "b@1"):
        assert (
            reg.cli("evaluate", "fraud@1.2.0", "--dataset", dataset, "--metric", "auc=0.9", "--commit").code
            == 0
        )
    base = git("rev-parse", "HEAD", cwd=reg.path).strip()
    path = reg.path / "models/fraud/1.2.0.yaml"
    original = yaml.safe_load(path.read_text())
    edits = {
        "edited": lambda d: d["evaluations"][0]["metrics"].update(auc=0.99),
        "reordered": lambda d: d["evaluations"].reverse(),
        "removed": lambda d: d["evaluations"].pop(0),
        "inserted": lambda d: d["evaluations"].insert(0, dict(d["evaluations"][1])),
    }
    for label, edit in edits.items():
        data = json.loads(json.dumps(original))
        edit(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        reg.commit(label)
        r = reg.cli("check", "--base", base, "--format", "json")
        assert r.code == 1, label
        problems = json.loads(r.out)["problems"]
        assert any(p["rule"] == "write-once" and "evaluations" in p["message"] for p in problems), (
            label,
            problems,
        )
        git("reset", "-q", "--hard", base, cwd=reg.path)


def test_stage_requires_an_evaluation(populated: Reg, add_origin: AddOrigin) -> None:
    reg = populated
    reg.write("registry.yaml", REQUIRES_HOLDOUT)
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: [1.2.0]\narchived: [1.0.0]\n")
    reg.commit("require holdout")
    add_origin(reg)
    refused = reg.cli("promote", "fraud@1.2.0", "--to", "production", "--no-push")
    assert refused.code == 1
    assert "no evaluation on dataset holdout" in refused.err
    assert (
        reg.cli(
            "evaluate", "fraud@1.2.0", "--dataset", "holdout@2026-11", "--metric", "auc=0.85", "--commit"
        ).code
        == 0
    )
    low = reg.cli("promote", "fraud@1.2.0", "--to", "production", "--no-push")
    assert low.code == 1 and "auc 0.85 on holdout@2026-11 is below the minimum 0.9" in low.err
    # the latest evaluation on a dataset of that name counts
    assert (
        reg.cli(
            "evaluate", "fraud@1.2.0", "--dataset", "holdout@2026-12", "--metric", "auc=0.93", "--commit"
        ).code
        == 0
    )
    ok = reg.cli("promote", "fraud@1.2.0", "--to", "production", "--no-push")
    assert ok.code == 0, ok.err
    # check judges the same rule: a hand-made move of a version without the evaluation is refused
    base = git("rev-parse", "HEAD", cwd=reg.path).strip()
    reg.register("fraud", "1.3.0", description="x")
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: [1.2.0, 1.3.0]\narchived: [1.0.0]\n")
    reg.commit("stage 1.3.0")
    mid = git("rev-parse", "HEAD", cwd=reg.path).strip()
    reg.write("models/fraud/stages.yaml", "production: 1.3.0\nstaging: [1.2.0]\narchived: [1.0.0, 1.1.0]\n")
    reg.commit("1.3.0 to production by hand")
    r = reg.cli("check", "--base", mid, "--format", "json")
    assert r.code == 1
    assert any("no evaluation on dataset holdout" in p["message"] for p in json.loads(r.out)["problems"])
    assert base


def test_compare_on_a_dataset(populated: Reg) -> None:
    reg = populated
    for ref, auc in (("fraud@1.1.0", 0.90), ("fraud@1.2.0", 0.94)):
        assert (
            reg.cli(
                "evaluate", ref, "--dataset", "holdout@2026-11", "--metric", f"auc={auc}", "--commit"
            ).code
            == 0
        )
    r = reg.cli("compare", "fraud@1.1.0", "fraud@1.2.0", "--dataset", "holdout@2026-11", "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    (auc,) = [m for m in data["metrics"] if m["metric"] == "auc"]
    assert auc["values"] == [0.90, 0.94]
    none = reg.cli("compare", "fraud@1.0.0", "fraud@1.2.0", "--dataset", "holdout@2026-11")
    assert none.code == 1 and "fraud@1.0.0 has no evaluation on holdout@2026-11" in none.err
    lineage = reg.cli("lineage", "--data", "holdout@2026-11", "--format", "json")
    assert lineage.code == 0, lineage.err
    assert "fraud@1.2.0" in lineage.out and "evaluation" in lineage.out


def test_registry_evaluate_from_python(populated: Reg) -> None:
    from modelreg import Registry

    result = Registry(populated.path).evaluate(
        "fraud@1.2.0", dataset="holdout@2026-11", metrics={"auc": 0.94}, commit=True
    )
    assert result.ref == "fraud@1.2.0" and result.proposal is None
    assert _manifest(populated, "fraud@1.2.0")["evaluations"][0]["metrics"] == {"auc": 0.94}
