from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from conftest import Reg, cli, git


def test_register_copies_tracks_pushes_writes_and_commits(reg: Reg) -> None:
    model = reg.artifact("build/model.onnx", b"\x00\x01onnx-bytes")
    metrics = reg.artifact("eval.json", json.dumps({"auc": 0.94, "by_segment": {"new": {"f1": 0.8}}}))
    params = reg.artifact("params.yaml", "max_depth: 6\noptimizer: {name: adam, lr: 0.01}\n")
    result = reg.cli(
        "register",
        "fraud-detector",
        str(model),
        "--bump",
        "minor",
        "--metrics-file",
        str(metrics),
        "--metric",
        "latency_ms=4.5",
        "--params-file",
        str(params),
        "--param",
        "eta=0.1",
        "--param",
        "booster=gbtree",
        "--data",
        "training=transactions@2026-10",
        "--tag",
        "tabular",
        "--tag",
        "fraud",
        "--description",
        "Gradient boosted trees",
        "--owner",
        "@acme/risk-ml",
        "--framework",
        "xgboost==2.1.0",
        "--algorithm",
        "gradient_boosting",
    )
    assert result.code == 0, result.err
    assert result.out.startswith("registered fraud-detector@0.1.0 (")
    md5 = hashlib.md5(b"\x00\x01onnx-bytes").hexdigest()  # noqa: S324 - DVC's content hash
    manifest = yaml.safe_load((reg.path / "models/fraud-detector/0.1.0.yaml").read_text())
    assert manifest["name"] == "fraud-detector" and manifest["version"] == "0.1.0"
    assert manifest["created_by"] == "Alice Example <alice@example.com>"
    assert manifest["artifacts"] == [
        {"path": "models/fraud-detector/0.1.0/model.onnx", "md5": md5, "size": 12}
    ]
    assert manifest["metrics"] == {"auc": 0.94, "by_segment.new.f1": 0.8, "latency_ms": 4.5}
    assert manifest["params"] == {
        "max_depth": 6,
        "optimizer.name": "adam",
        "optimizer.lr": 0.01,
        "eta": 0.1,
        "booster": "gbtree",
    }
    assert manifest["data"] == {"training": {"name": "transactions", "version": "2026-10"}}
    assert manifest["framework"] == {"name": "xgboost", "version": "2.1.0"}
    assert manifest["tags"] == ["tabular", "fraud"]
    facts = yaml.safe_load((reg.path / "models/fraud-detector/model.yaml").read_text())
    assert facts == {
        "schema_version": 1,
        "name": "fraud-detector",
        "description": "Gradient boosted trees",
        "owner": "@acme/risk-ml",
        "tags": [],
    }
    assert git("log", "-1", "--format=%s", cwd=reg.path).strip() == "register fraud-detector@0.1.0"
    assert git("status", "--porcelain", cwd=reg.path) == ""
    committed = git("show", "--name-only", "--format=", "HEAD", cwd=reg.path).split()
    assert sorted(committed) == [
        "models/fraud-detector/0.1.0.yaml",
        "models/fraud-detector/0.1.0/.gitignore",
        "models/fraud-detector/0.1.0/model.onnx.dvc",
        "models/fraud-detector/model.yaml",
    ]
    assert (reg.remote / "files/md5" / md5[:2] / md5[2:]).read_bytes() == b"\x00\x01onnx-bytes"
    assert cli("validate", cwd=reg.path).code == 0


def test_bump_and_parent_resolution(reg: Reg) -> None:
    reg.register("churn", "1.4.2")
    model = reg.artifact("m.bin")
    assert (
        reg.cli("register", "churn", str(model), "--bump", "patch", "--parent", "churn@latest:retrain").code
        == 0
    )
    assert reg.cli("register", "churn", str(model), "--bump", "minor").code == 0
    assert reg.cli("register", "churn", str(model), "--bump", "major").code == 0
    versions = [v.version for v in __import__("modelreg").Registry(reg.path).versions("churn")]
    assert versions == ["1.4.2", "1.4.3", "1.5.0", "2.0.0"]
    manifest = yaml.safe_load((reg.path / "models/churn/1.4.3.yaml").read_text())
    assert manifest["lineage"] == {"parents": [{"ref": "churn@1.4.2", "relation": "retrain"}]}


def test_register_a_folder(reg: Reg) -> None:
    reg.artifact("model/weights.bin", b"w")
    reg.artifact("model/config.json", b"{}")
    result = reg.cli("register", "vision", str(reg.scratch / "model"), "--version", "1.0.0")
    assert result.code == 0, result.err
    manifest = yaml.safe_load((reg.path / "models/vision/1.0.0.yaml").read_text())
    assert manifest["artifacts"][0]["md5"].endswith(".dir")
    assert manifest["artifacts"][0]["nfiles"] == 2
    assert reg.cli("validate").code == 0


def test_no_push_registers_and_says_how_to_push(reg: Reg) -> None:
    result = reg.cli("register", "m", str(reg.artifact("m.bin")), "--version", "1.0.0", "--no-push")
    assert result.code == 0, result.err
    assert (
        "not pushed; push the artifacts before opening a pull request: dvc push models/m/1.0.0/m.bin.dvc"
        in result.out
    )
    assert not reg.remote.exists() or not any(reg.remote.rglob("*")) or not (reg.remote / "files").exists()


def test_failed_push_leaves_the_repository_as_it_was(reg: Reg) -> None:
    (reg.path / ".dvc/config").write_text(
        (reg.path / ".dvc/config").read_text().replace(str(reg.remote), str(reg.scratch / "blocker"))
    )
    reg.commit("point the remote at a file")
    reg.artifact("blocker", "not a folder")
    model = reg.artifact("m.bin")
    before = reg.state()
    result = reg.cli("register", "m", str(model), "--version", "1.0.0")
    assert result.code == 1
    assert len(result.lines) == 1 and result.lines[0].startswith(
        "modelreg: error: DVC could not push to the default remote"
    )
    assert reg.state() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["../x", "{file}", "--version", "1.0.0"], "invalid model name '../x'"),
        (["a/b", "{file}", "--version", "1.0.0"], "invalid model name 'a/b'"),
        (["/abs", "{file}", "--version", "1.0.0"], "invalid model name '/abs'"),
        (["--", "-x", "{file}", "--version", "1.0.0"], "invalid model name '-x'"),
        (["Fraud", "{file}", "--version", "1.0.0"], "invalid model name 'Fraud'"),
        (
            ["fraud_x", "{file}", "--version", "1.0.0"],
            "model name 'fraud_x' breaks this registry's naming rule",
        ),
        (["m", "{file}", "--version", "1.0"], "invalid version '1.0': use a semantic version like 1.2.0"),
        (["m", "{file}", "--version", "v1.0.0"], "invalid version 'v1.0.0'"),
        (["m", "{file}"], "give exactly one of --version X.Y.Z or --bump major|minor|patch"),
        (["m", "{file}", "--version", "1.0.0", "--bump", "minor"], "give exactly one of --version"),
        (["m", "missing.bin", "--version", "1.0.0"], "artifact missing.bin does not exist"),
        (
            ["m", "{file}", "--version", "1.0.0", "--metric", "auc=high"],
            "--metric: metric 'auc' must be a number, not 'high'",
        ),
        (["m", "{file}", "--version", "1.0.0", "--metric", "auc=nan"], "must be a finite number"),
        (["m", "{file}", "--version", "1.0.0", "--metric", "auc"], "--metric 'auc': expected KEY=VALUE"),
        (
            ["m", "{file}", "--version", "1.0.0", "--parent", "ghost@1.0.0"],
            "no model 'ghost' in the registry",
        ),
        (["m", "{file}", "--version", "1.0.0", "--parent", "nope"], "invalid reference 'nope'"),
        (
            ["m", "{file}", "--version", "1.0.0", "--data", "training=tx"],
            "--data 'training=tx': expected ROLE=DATASET@VERSION",
        ),
        (["m", "{file}", "--version", "1.0.0", "--metrics-file", "{bad_yaml}"], "invalid YAML"),
        (
            ["m", "{file}", "--version", "1.0.0", "--metrics-file", "{list_file}"],
            "expected a mapping of names to values",
        ),
    ],
)
def test_bad_register_input_changes_nothing(reg: Reg, args: list[str], message: str) -> None:
    file = reg.artifact("m.bin")
    bad_yaml = reg.artifact("bad.yaml", "auc: [0.9\n")
    list_file = reg.artifact("list.json", "[1, 2]")
    argv = [a.format(file=file, bad_yaml=bad_yaml, list_file=list_file) for a in args]
    before = reg.state()
    result = reg.cli("register", *argv)
    assert result.code == 1, result.out + result.err
    assert len(result.lines) == 1 and result.lines[0].startswith("modelreg: error: ")
    assert message in result.err
    assert reg.state() == before


def test_existing_version_is_refused(reg: Reg) -> None:
    reg.register("m", "1.0.0")
    before = reg.state()
    result = reg.cli("register", "m", str(reg.artifact("x.bin")), "--version", "1.0.0+build2")
    assert result.code == 1
    assert result.lines == [
        "modelreg: error: m@1.0.0 already exists; versions are never reused, pick a new one"
    ]
    assert reg.state() == before


def test_owner_of_an_existing_model_cannot_change_by_register(reg: Reg) -> None:
    reg.register("m", "1.0.0", owner="@a")
    result = reg.cli("register", "m", str(reg.artifact("x.bin")), "--bump", "patch", "--owner", "@b")
    assert result.code == 1
    assert "model m is owned by '@a'" in result.err


def test_register_outside_a_repository_or_registry(tmp_path: Path) -> None:
    (tmp_path / "m.bin").write_text("x")
    outside = cli("register", "m", "m.bin", "--version", "1.0.0", cwd=tmp_path)
    assert outside.code == 1
    assert "is not inside a Git repository; run `git init` then `modelreg init`" in outside.err
    git("init", "-q", cwd=tmp_path)
    not_registry = cli("register", "m", "m.bin", "--version", "1.0.0", cwd=tmp_path)
    assert not_registry.code == 1
    assert "no registry.yaml in" in not_registry.err and "run `modelreg init`" in not_registry.err


def test_usage_error_exits_2(reg: Reg) -> None:
    result = reg.cli("register", "m")
    assert result.code == 2
    assert "Missing argument" in result.err


@pytest.mark.parametrize(
    ("given", "suggested"),
    [
        ("scikit-learn 1.9.1", "scikit-learn==1.9.1"),
        ("xgboost=2.1.0", "xgboost==2.1.0"),
        ("torch >= 2", "xgboost==2.1.0"),
    ],
)
def test_a_framework_that_is_not_a_pin_is_refused_with_the_form_to_use(
    reg: Reg, given: str, suggested: str
) -> None:
    before = reg.state()
    r = reg.cli("register", "fraud", str(reg.artifact("m.bin")), "--bump", "minor", "--framework", given)
    assert (r.code, r.out) == (1, "")
    assert (
        r.err
        == f"modelreg: error: --framework {given!r}: expected NAME==VERSION (or NAME alone), e.g. {suggested!r}\n"
    )
    assert reg.state() == before
    ok = reg.cli(
        "register",
        "fraud",
        str(reg.artifact("m.bin")),
        "--bump",
        "minor",
        "--framework",
        "torch==2.1.0+cu121",
    )
    assert ok.code == 0, ok.err
