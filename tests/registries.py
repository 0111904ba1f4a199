"""A registry with strict stage rules and versions that meet or miss each of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Reg, Templates

STRICT_CONFIG = """\
schema_version: 1
name: test-registry
stages:
  development: {initial: true, from: [archived]}
  staging: {from: [development], max_versions: 5}
  production:
    from: [staging]
    max_versions: 1
    displace_to: archived
    requires:
      fields: [description, data.training]
      metrics: {auc: {min: 0.91}, latency_ms: {max: 50}}
      not_worse_than_current: [auc]
  deprecated: {from: [production, staging]}
  archived: {from: [development, staging, production, deprecated]}
metrics: {auc: maximize, latency_ms: minimize}
"""

TRAINING = {"training": {"name": "transactions", "version": "2026-10"}}

STRICT_STAGES = "production: 1.1.0\nstaging: [1.2.0, 1.3.0, 1.4.0, 1.5.0, 1.7.0]\narchived: 1.0.0\n"


@pytest.fixture
def strict(templates: Templates, tmp_path: Path) -> Reg:
    """fraud: 1.1.0 in production (auc 0.92); in staging 1.2.0 (meets every requirement),
    1.3.0 (auc worse than 1.1.0's), 1.4.0 (no description, no training data, too slow),
    1.5.0 (no auc), 1.7.0 (auc under the minimum); 1.6.0 in development; 1.0.0 archived."""
    return templates.copy("strict", build_strict, tmp_path)


def build_strict(reg: Reg) -> None:
    reg.write("registry.yaml", STRICT_CONFIG)
    reg.commit("stricter rules")

    def add(
        version: str, description: str = "a fraud model", data: object = TRAINING, **metrics: float
    ) -> None:
        reg.register("fraud", version, description=description, data=data, metrics=metrics)

    reg.register(
        "fraud",
        "1.0.0",
        owner="@acme/risk",
        description="first",
        data=TRAINING,
        metrics={"auc": 0.90, "latency_ms": 40},
    )
    reg.register(
        "fraud",
        "1.1.0",
        description="retrained",
        data=TRAINING,
        metrics={"auc": 0.92, "latency_ms": 30},
        parents=[{"ref": "fraud@1.0.0", "relation": "retrain"}],
    )
    reg.register(
        "fraud",
        "1.2.0",
        description="v7 features",
        data=TRAINING,
        metrics={"auc": 0.95, "latency_ms": 20},
        parents=[{"ref": "fraud@1.1.0", "relation": "retrain"}],
    )
    add("1.3.0", auc=0.915, latency_ms=20)
    add("1.4.0", description="", data={}, auc=0.95, latency_ms=80)
    add("1.5.0", latency_ms=10)
    add("1.6.0", auc=0.96, latency_ms=10)
    add("1.7.0", auc=0.89, latency_ms=10)
    reg.write("models/fraud/stages.yaml", STRICT_STAGES)
    reg.commit("stages")
