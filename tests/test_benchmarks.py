"""The benchmark scripts keep working (a smoke run at the smallest size). Nothing here is about time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds and times benchmark registries

ROOT = Path(__file__).resolve().parent.parent
CASE_KEYS = [
    "help",
    "list-cold",
    "list",
    "list-model",
    "list-where",
    "show-cold",
    "show",
    "validate-cold",
    "validate",
    "check-add",
    "check-promote",
    "history-cold",
    "history",
    "history-name",
    "show-at",
    "lineage",
    "compare-over-time",
    "site-full",
    "site-incremental",
    "cold-show",
    "cold-list-model",
    "cold-pull",
    "cold-check-add",
    "cold-check-promote",
    "cold-show-depth1",
    "cold-history-depth1",
    "cold-history-json",
    "cold-register",
    "cold-register-warm",
    "cold-promote",
    "cold-history-name",
    "cold-remote",
    "cold-remote-again",
]


def test_make_registry_is_deterministic_and_valid(tmp_path: Path) -> None:
    heads = []
    for name in ("a", "b"):
        out = tmp_path / name
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks/make_registry.py"),
                "--models",
                "4",
                "--versions",
                "5",
                "--out",
                str(out),
            ],
            check=True,
            capture_output=True,
        )
        heads.append(
            subprocess.run(["git", "rev-parse", "HEAD"], cwd=out, capture_output=True, text=True).stdout
        )
    assert heads[0] == heads[1]
    repo = tmp_path / "a"
    result = subprocess.run(
        [sys.executable, "-m", "modelreg", "validate"], cwd=repo, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tags = subprocess.run(["git", "tag"], cwd=repo, capture_output=True, text=True).stdout.split()
    assert any("@v" in t for t in tags) and any("#production#" in t for t in tags)
    merges = subprocess.run(
        ["git", "log", "--merges", "--first-parent", "--format=%s", "main"],
        cwd=repo,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    assert merges and all(m.startswith("Merge pull request #") for m in merges)


def test_run_smoke(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks/run.py"),
            "--size",
            "tiny",
            "--runs",
            "1",
            "--gto-budget",
            "20",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--scratch-dir",
            str(tmp_path / "scratch"),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "DVC_NO_ANALYTICS": "1"},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert [c["key"] for c in data["cases"]] == CASE_KEYS
    by_key = {c["key"]: c for c in data["cases"]}
    for key in ("help", "list", "list-cold", "show", "validate", "validate-cold"):
        assert by_key[key]["modelreg"]["status"] == "ok"
        assert by_key[key]["modelreg"]["exit"] == [0], key
        assert by_key[key]["floor"]["status"] == "ok"
    cold = [c for c in data["cases"] if c["section"] == "cold"]
    assert [c["key"] for c in cold] == [k for k in CASE_KEYS if k.startswith("cold-")]
    for case in cold:  # every cold path runs (a pull needs a DVC remote the generator does not write)
        assert case["modelreg"]["status"] == ("skipped" if case["key"] == "cold-pull" else "ok"), case
        assert case["floor"]["status"] in {"ok", "none"}
    assert "cold paths:" in result.stdout
    for key in ("cold-register", "cold-register-warm", "cold-promote", "cold-history-name"):
        assert by_key[key]["floor"]["status"] == "ok", key  # each write beside its raw Git
    for case in data["cases"]:
        assert case["modelreg"]["status"] in {"ok", "not available", "skipped"}
        if case["modelreg"]["status"] == "ok":  # a shallow clone's history stops with what to fetch
            assert case["modelreg"]["exit"] == ([1] if case["key"] == "cold-history-depth1" else [0]), case[
                "key"
            ]
        assert case["gto"]["status"] in {"ok", "none", "over budget", "not installed"}
    for key in ("site-full", "site-incremental"):
        assert by_key[key]["modelreg"]["status"] == "ok", key
        assert 0 < by_key[key]["largest_page"]["bytes"] < 2_000_000
    table = result.stdout.splitlines()
    assert table[1].split()[:2] == ["case", "modelreg"]
    assert (
        len([line for line in table if line.startswith(("modelreg --help", "list", "show", "validate"))]) >= 7
    )


def test_validation_benchmark_runs() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks/validation.py"),
            "--manifests",
            "30",
            "--invalid",
            "12",
            "--runs",
            "1",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "30 valid and 12 invalid manifests, median of 1 passes"
    assert [line.split("  ")[1].strip() for line in lines[1:5]] == [
        "schemas.check, valid",
        "schemas.check, invalid",
        "schema step, valid",
        "schema step, invalid",
    ]
