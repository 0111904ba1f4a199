"""The quickstart's demo (`bash .ci/demo`) and this repository's own example registry."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow  # the README's demo end to end (training and all)

ROOT = Path(__file__).resolve().parent.parent


def test_demo_runs(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "TMPDIR": str(tmp_path),
        "MODELREG_DEMO_KEEP": "1",
    }
    result = subprocess.run(
        ["bash", str(ROOT / "examples/demo.sh")], capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "registered fraud-detector@1.0.0" in result.stdout
    assert "registered fraud-detector@1.1.0" in result.stdout
    assert "fraud-detector  1.1.0    development" in result.stdout
    assert "validated" in result.stdout and ": ok" in result.stdout
    assert re.search(r"stage_changed +fraud-detector@1\.1\.0  #4", result.stdout)
    assert re.search(r"deployed +fraud-detector@1\.1\.0 -> prod-eu", result.stdout)  # events after #6
    assert "deploy_env<<" in result.stdout and "prod-eu" in result.stdout
    assert "└── retrain: fraud-detector@1.0.0  [archived]" in result.stdout
    assert "0.934 (+0.022, better)  fraud-detector@1.1.0" in result.stdout
    assert "roll back fraud-detector production from 1.1.0 (PR #4) to 1.0.0" in result.stdout
    # the demo ends with that rollback, merged (#7) with both environments, and no violation
    history = result.stdout.split("$ modelreg history fraud-detector\n")[-1].split("\n$ ")[0]
    assert re.search(r"stage_changed +fraud-detector@1\.0\.0 +#7", history), history
    assert "violation" not in history
    deployments = result.stdout.split("$ modelreg deployments\n")[-1].split("\n$ ")[0]
    assert re.search(r"canary .*1\.0\.0", deployments) and re.search(r"prod-eu .*1\.0\.0", deployments)
    site = tmp_path / "modelreg-demo-site"
    assert f"the site: {site}/index.html (open it in a browser)" in result.stdout
    assert (site / "models/fraud-detector/1.1.0/index.html").is_file()
    kept = re.search(r"^kept the demo registry: (\S+) \(its DVC remote: (\S+)\)$", result.stdout, re.M)
    assert kept is not None, result.stdout[-500:]
    registry, remote = Path(kept.group(1)), Path(kept.group(2))
    assert registry.parent.parent == tmp_path and remote.is_dir()
    again = subprocess.run(
        ["modelreg", "show", "fraud-detector@production"],
        cwd=registry,
        env=env,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0 and "  (production)" in again.stdout, again.stdout + again.stderr


def test_the_demo_refuses_an_argument_it_does_not_know(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", str(ROOT / "examples/demo.sh"), "--kep"],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "demo: unknown argument --kep (use --keep to keep the demo's registry)\n"
    assert list(tmp_path.iterdir()) == []


def test_example_artifacts_are_deterministic_and_match_the_manifests(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "examples/make_artifacts.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    manifests = sorted((ROOT / "models").glob("*/*.yaml"))
    checked = 0
    for path in manifests:
        if path.name in {"model.yaml", "stages.yaml"}:
            continue
        manifest = yaml.safe_load(path.read_text())
        for artifact in manifest["artifacts"]:
            made = tmp_path / f"{manifest['name']}-{manifest['version']}" / Path(artifact["path"]).name
            assert hashlib.md5(made.read_bytes()).hexdigest() == artifact["md5"]  # noqa: S324
            checked += 1
    assert checked >= 5


def test_this_repository_validates() -> None:
    from modelreg import Registry

    registry = Registry(ROOT)
    report = registry.validate()
    assert report.ok, [str(p) for p in report.problems]
    assert len(registry.models()) >= 2
    assert registry.get("fraud-detector@production").version == "1.1.0"
