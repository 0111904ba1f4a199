"""register: what a newcomer tripped over: nested metrics files and versions
below the model's highest."""

from __future__ import annotations

import json

import pytest
from conftest import Reg, git

pytestmark = pytest.mark.slow  # register's newcomer paths end to end

POLICY = """\
schema_version: 1
name: test-registry
stages:
  development: {initial: true, from: [archived]}
  staging: {from: [development], max_versions: 3}
  production:
    from: [staging]
    max_versions: 1
    requires:
      metrics: {auc: {min: 0.9}}
  archived: {from: [development, staging, production]}
metrics: {auc: maximize, latency_ms: minimize}
"""


def _with_policy(reg: Reg) -> Reg:
    reg.write("registry.yaml", POLICY)
    reg.commit("policy: production requires auc")
    return reg


def test_a_nested_metrics_file_missing_the_policys_names_is_refused(reg: Reg) -> None:
    _with_policy(reg)
    model = reg.artifact("model.bin")
    wrapped = reg.artifact("eval.json", json.dumps({"metrics": {"auc": 0.94}, "latency_ms": 3}))
    before = reg.state()
    r = reg.cli("register", "fraud", str(model), "--version", "1.0.0", "--metrics-file", str(wrapped))
    assert r.code == 1
    assert r.lines == [
        "modelreg: error: fraud@1.0.0 would store the metrics metrics.auc (nested keys joined with '.') "
        "but no auc (production requires it); put them at the top level of the metrics file, or pass "
        "--flatten to register the dotted names"
    ]
    assert reg.state() == before

    r = reg.cli(
        "register", "fraud", str(model), "--version", "1.0.0", "--metrics-file", str(wrapped), "--flatten"
    )
    assert r.code == 0, r.err
    assert "  metrics: metrics.auc=0.94, latency_ms=3.0" in r.out  # what was stored
    assert r.lines == [
        "warning: fraud@1.0.0 has no metric auc (production requires it); it stores metrics.auc, latency_ms"
    ]


def test_a_nested_metrics_file_that_names_the_policys_metrics_is_accepted(reg: Reg) -> None:
    reg.write("registry.yaml", POLICY.replace("latency_ms: minimize", "latency.p50_ms: minimize"))
    reg.commit("policy")
    model = reg.artifact("model.bin")
    nested = reg.artifact("eval.json", json.dumps({"auc": 0.94, "latency": {"p50_ms": 4.1}}))
    r = reg.cli("register", "fraud", str(model), "--version", "1.0.0", "--metrics-file", str(nested))
    assert r.code == 0, r.err
    assert "  metrics: auc=0.94, latency.p50_ms=4.1" in r.out
    assert r.err == ""


def test_flat_metrics_missing_a_required_name_warn(reg: Reg) -> None:
    _with_policy(reg)
    r = reg.cli("register", "fraud", str(reg.artifact("m.bin")), "--version", "1.0.0", "--metric", "AUC=0.95")
    assert r.code == 0, r.err
    assert r.lines == [
        "warning: fraud@1.0.0 has no metric auc (production requires it), latency_ms (registry.yaml ranks it); "
        "it stores AUC"
    ]


def test_a_version_below_the_highest_needs_allow_lower(reg: Reg) -> None:
    reg.register("fraud", "1.2.0")
    model = reg.artifact("old-line.bin")
    before = reg.state()
    r = reg.cli("register", "fraud", str(model), "--version", "0.0.9")
    assert r.code == 1
    assert r.lines == [
        "modelreg: error: fraud@0.0.9 is below fraud's highest version 1.2.0 (what fraud@latest and "
        "--bump follow); pass --allow-lower to register it anyway"
    ]
    assert reg.state() == before
    r = reg.cli("register", "fraud", str(model), "--version", "1.1.5", "--allow-lower")
    assert r.code == 0, r.err
    assert git("log", "-1", "--format=%s", cwd=reg.path).strip() == "register fraud@1.1.5"
    assert reg.cli("register", "fraud", str(reg.artifact("n.bin")), "--version", "1.2.1").code == 0
