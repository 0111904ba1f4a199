"""The Python write API: Registry.register and Registry.promote do what the commands do, and the
documented training script (examples/train_and_register.py) runs as shown."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml
from conftest import Reg, git

from modelreg import Registry
from modelreg.domain.errors import InvalidInputError, NotFoundError, RuleViolationError

pytestmark = pytest.mark.slow  # the README's training script, registered and promoted

if TYPE_CHECKING:
    from collections.abc import Callable

    from github_server import Origin

pytest_plugins = ["github_server", "registries"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "train_and_register.py"


def test_the_python_api_page_shows_the_training_script_the_test_runs() -> None:
    """The page includes the file itself (a MkDocs snippet), so what it shows is what runs here."""
    page = (ROOT / "docs/workflows/python-api.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, re.S)
    assert '--8<-- "examples/train_and_register.py"\n' in blocks


def test_training_script_trains_registers_promotes_and_loads(
    reg: Reg, add_origin: Callable[[Reg], Origin]
) -> None:
    origin = add_origin(reg)
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), str(reg.path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning:modelreg"},
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "registered iris-classifier@0.1.0" in run.stdout
    assert "loaded iris-classifier@0.1.0 accuracy" in run.stdout
    assert "promote/iris-classifier-0.1.0-staging" in origin.branches()
    manifest = yaml.safe_load((reg.path / "models/iris-classifier/0.1.0.yaml").read_text())
    assert manifest["signature"]["inputs"] == [
        {"name": "features", "type": "float32", "shape": [-1, 4], "optional": False}
    ]
    assert manifest["dependencies"][0].startswith("scikit-learn==")
    assert manifest["metrics"]["accuracy"] > 0.8
    assert git("status", "--porcelain", cwd=reg.path) == ""
    assert reg.cli("check", "--base", "main", "--head", "promote/iris-classifier-0.1.0-staging").code == 0


def test_register_and_promote_from_python_match_the_commands(reg: Reg) -> None:
    registry = Registry(reg.path)
    model = reg.artifact("model.bin", b"weights")
    first = registry.register(
        "fraud",
        [model],
        version="1.0.0",
        metrics={"auc": 0.9, "latency": {"p50_ms": 4}},
        params={"max_depth": 6},
        description="first",
        push=False,
    )
    assert first.ref == "fraud@1.0.0" and not first.pushed
    assert registry.get("fraud@latest").manifest.metrics == {"auc": 0.9, "latency.p50_ms": 4.0}
    second = registry.register(
        "fraud", [reg.artifact("model.bin", b"v2")], bump="minor", parents=["fraud@1.0.0:retrain"]
    )
    assert second.ref == "fraud@1.1.0" and second.pushed
    moved = registry.promote("fraud@1.1.0", to="staging", push=False)
    assert (moved.from_stage, moved.to_stage, moved.branch) == (
        "development",
        "staging",
        "promote/fraud-1.1.0-staging",
    )


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda r, f: r.register("fraud", [f], version="1.0.0", metrics={"auc": "high"}),
            InvalidInputError,
            "metric 'auc' must be a number",
        ),
        (
            lambda r, f: r.register("fraud", [f], version="1.0.0", requirements=["numpy"]),
            InvalidInputError,
            "'numpy' is not pinned",
        ),
        (
            lambda r, f: r.register("fraud", [f], version="1.0.0", signature={"outputs": []}),
            InvalidInputError,
            "not a signature",
        ),
        (lambda r, f: r.register("fraud", [f]), InvalidInputError, "give exactly one of --version"),
        (lambda r, f: r.promote("fraud@9.9.9", to="staging", push=False), NotFoundError, "9.9.9"),
        (
            lambda r, f: r.promote("fraud@1.2.0", to="production", push=False),
            RuleViolationError,
            "not an allowed transition",
        ),
    ],
)
def test_write_api_raises_modelreg_errors_and_changes_nothing(
    populated: Reg, call: Callable[[Registry, Path], object], error: type[Exception], message: str
) -> None:
    before = populated.state()
    with pytest.raises(error, match=re.escape(message)):
        call(Registry(populated.path), populated.artifact("m.bin"))
    assert populated.state() == before
