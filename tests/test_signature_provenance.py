"""register --signature-file / --requirements / provenance; show and compare print them; the
signature_unchanged requirement in promote and check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import Reg, git

from modelreg.documents.signature import signature_from_mlflow

pytestmark = pytest.mark.slow  # registrations from real training repositories

MLFLOW_SIGNATURE = {
    "inputs": json.dumps(
        [
            {"type": "double", "name": "amount", "required": True},
            {"type": "string", "name": "country", "required": False},
            {"type": "array", "items": {"type": "long"}, "name": "history"},
        ]
    ),
    "outputs": json.dumps([{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}]),
    "params": None,
}


def test_signature_from_mlflow_converts_column_and_tensor_specs() -> None:
    assert signature_from_mlflow(MLFLOW_SIGNATURE) == {
        "inputs": [
            {"name": "amount", "type": "double"},
            {"name": "country", "type": "string", "optional": True},
            {"name": "history", "type": "array<long>"},
        ],
        "outputs": [{"type": "float32", "shape": [-1, 2]}],
    }


def _training_repo(tmp_path: Path, *, dirty: bool) -> Path:
    repo = tmp_path / "training"
    repo.mkdir()
    git("init", "-q", "-b", "main", cwd=repo)
    (repo / "train.py").write_text("print('train')\n")
    git("add", "train.py", cwd=repo)
    git("commit", "-q", "-m", "training code", cwd=repo)
    git("remote", "add", "origin", "https://alice:ghp_SECRET123@github.com/acme/fraud.git?x=1", cwd=repo)
    if dirty:
        (repo / "train.py").write_text("print('changed')\n")
    (repo / "build").mkdir()
    (repo / "build" / "model.onnx").write_bytes(b"onnx")
    return repo


def test_register_records_signature_dependencies_provenance_and_show_prints_them(
    reg: Reg, tmp_path: Path
) -> None:
    repo = _training_repo(tmp_path, dirty=True)
    signature = reg.artifact("MLmodel", yaml.safe_dump({"signature": MLFLOW_SIGNATURE}))
    requirements = reg.artifact(
        "requirements.txt", "# pinned\nnumpy==2.1.0\n\nscikit-learn==1.5.2  # trees\n"
    )
    r = reg.cli(
        "register", "fraud", str(repo / "build" / "model.onnx"), "--version", "1.0.0",
        "--signature-file", str(signature), "--requirements", str(requirements),
        "--run-id", "3f9a1c", "--run-url", "https://mlflow.example.com/runs/3f9a1c",
        "--intended-use", "EU card payments", "--limitations", "new merchants",
    )  # fmt: skip
    assert r.code == 0, r.err
    manifest = yaml.safe_load((reg.path / "models/fraud/1.0.0.yaml").read_text())
    assert manifest["signature"]["inputs"][1] == {"name": "country", "type": "string", "optional": True}
    assert manifest["dependencies"] == ["numpy==2.1.0", "scikit-learn==1.5.2"]
    head = git("rev-parse", "HEAD", cwd=repo).strip()
    assert manifest["code"] == {"repo": "https://github.com/acme/fraud.git", "commit": head, "dirty": True}
    assert manifest["run"] == {"id": "3f9a1c", "url": "https://mlflow.example.com/runs/3f9a1c"}
    assert (manifest["intended_use"], manifest["limitations"]) == ("EU card payments", "new merchants")
    shown = reg.cli("show", "fraud@1.0.0").out
    assert "  input:        amount  double\n" in shown
    assert "  output:       -  float32[-1, 2]\n" in shown
    assert f"  code:         https://github.com/acme/fraud.git {head}  (uncommitted changes)\n" in shown
    assert "SECRET" not in shown and "SECRET" not in (reg.path / "models/fraud/1.0.0.yaml").read_text()
    assert "  dependencies: numpy==2.1.0  scikit-learn==1.5.2\n" in shown


def test_no_provenance_and_a_clean_tree(reg: Reg, tmp_path: Path) -> None:
    repo = _training_repo(tmp_path, dirty=False)
    model = str(repo / "build" / "model.onnx")
    assert reg.cli("register", "fraud", model, "--version", "1.0.0").code == 0
    assert yaml.safe_load((reg.path / "models/fraud/1.0.0.yaml").read_text())["code"]["dirty"] is False
    assert reg.cli("register", "fraud", model, "--version", "1.1.0", "--no-provenance").code == 0
    assert "code" not in yaml.safe_load((reg.path / "models/fraud/1.1.0.yaml").read_text())


@pytest.mark.parametrize(
    ("name", "content", "option", "message"),
    [
        (
            "sig.json",
            "[1, 2]",
            "--signature-file",
            "sig.json: not a signature: expected a mapping with inputs",
        ),
        (
            "sig.json",
            '{"inputs": "[{\\"name\\": 1}]"}',
            "--signature-file",
            "expected a column or tensor spec",
        ),
        ("sig.json", '{"inputs": "not json"}', "--signature-file", "MLflow signature inputs: not JSON"),
        ("sig.yaml", "inputs: [{name: x, type: 'a;b'}]", "--signature-file", "not a signature: inputs"),
        ("req.txt", "# nothing\n\n", "--requirements", "req.txt: no pinned dependency (NAME==VERSION)"),
        ("req.txt", "numpy==2.1.0\npandas>=2\n", "--requirements", "req.txt:2: 'pandas>=2' is not pinned"),
        (
            "req.txt",
            "-e git+https://x/y\n",
            "--requirements",
            "req.txt:1: '-e git+https://x/y' is not pinned",
        ),
    ],
)
def test_bad_signature_or_requirements_file_writes_nothing(
    reg: Reg, name: str, content: str, option: str, message: str
) -> None:
    before = reg.state()
    bad = reg.artifact(name, content)
    r = reg.cli("register", "fraud", str(reg.artifact("m.bin")), "--version", "1.0.0", option, str(bad))
    assert r.code == 1 and message in r.err, r.err
    assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err
    assert reg.state() == before


SIGNED_CONFIG = """\
schema_version: 1
name: signed
stages:
  development: {initial: true}
  staging: {from: [development]}
  production: {from: [staging], max_versions: 1, requires: {signature_unchanged: true}}
  archived: {from: [development, staging, production]}
"""


def _signed(reg: Reg) -> None:
    reg.write("registry.yaml", SIGNED_CONFIG)
    reg.commit("signatures must not change in production")
    same = {"inputs": [{"name": "amount", "type": "double"}], "outputs": {"score": "float"}}
    changed = {"inputs": [{"name": "amount", "type": "string"}], "outputs": {"score": "float"}}
    reg.register("fraud", "1.0.0", signature=same)
    reg.register("fraud", "1.1.0", signature=same)
    reg.register("fraud", "1.2.0", signature=changed)
    reg.write("models/fraud/stages.yaml", "production: 1.0.0\nstaging: [1.1.0, 1.2.0]\n")
    reg.commit("stages")


def test_signature_unchanged_is_required_by_promote_and_check(reg: Reg) -> None:
    _signed(reg)
    before = reg.state()
    r = reg.cli("promote", "fraud@1.2.0", "--to", "production", "--no-push")
    assert r.code == 1
    assert (
        "signature differs from the current holder fraud@1.0.0's (input schema changed: amount double -> string)"
        in r.err
    )
    assert reg.state() == before
    ok = reg.cli("promote", "fraud@1.1.0", "--to", "production", "--no-push")
    assert ok.code == 0, ok.err

    git("checkout", "-q", "-b", "sneaky", cwd=reg.path)
    reg.write("models/fraud/stages.yaml", "production: 1.2.0\nstaging: [1.1.0]\narchived: [1.0.0]\n")
    reg.commit("promote 1.2.0 by hand")
    check = reg.cli("check", "--base", "main", "--head", "sneaky")
    assert check.code == 1
    assert "fraud@1.2.0 cannot enter production: its signature differs" in check.out


def test_compare_calls_out_a_changed_input_schema(reg: Reg) -> None:
    _signed(reg)
    table = reg.cli("compare", "fraud@1.0.0", "fraud@1.1.0", "fraud@1.2.0").out
    assert "SIGNATURE\n  fraud@1.1.0 vs fraud@1.0.0: unchanged\n" in table
    assert "  fraud@1.2.0 vs fraud@1.0.0: input schema changed: amount double -> string\n" in table
    data = json.loads(reg.cli("compare", "fraud@1.0.0", "fraud@1.2.0", "--format", "json").out)
    assert data["signatures"][0]["inputs_changed"] is True


@pytest.mark.parametrize(
    ("url", "recorded"),
    [
        ("https://ghp_TOKEN@github.com/acme/fraud.git", "https://github.com/acme/fraud.git"),
        ("https://user:pw@gitlab.example.com/a/b?private_token=x#f", "https://gitlab.example.com/a/b"),
        ("ssh://git:pw@github.com/acme/fraud.git", "ssh://git@github.com/acme/fraud.git"),
        ("git@github.com:acme/fraud.git", "git@github.com:acme/fraud.git"),
        ("/srv/git/fraud.git", "/srv/git/fraud.git"),
    ],
)
def test_recorded_remote_urls_hold_no_credentials(url: str, recorded: str) -> None:
    from modelreg.adapters.git import url_without_credentials

    assert url_without_credentials(url) == recorded
