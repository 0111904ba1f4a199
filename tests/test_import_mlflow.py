"""`modelreg import mlflow` against a real `mlflow server` (SQLite store, local artifact root)
filled by MLflow's own client: history keeps MLflow's authors and dates, a second run imports
only what is new, and a dry run or a failure writes nothing."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
import yaml
from conftest import Reg, git
from mlflow_server import MlflowServer, run_server

pytestmark = pytest.mark.slow  # a real MLflow server


@pytest.fixture(scope="module")
def mlflow_registry(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[MlflowServer, dict[str, Any]]]:
    """One MLflow server per module, holding three models (populated once)."""
    for server in run_server(tmp_path_factory.mktemp("mlflow")):
        yield server, server.populate()


def _versions(server: MlflowServer, name: str) -> dict[str, dict[str, Any]]:
    query = urllib.parse.urlencode({"filter": f"name='{name}'"})
    url = f"{server.uri}/api/2.0/mlflow/model-versions/search?{query}"
    with urllib.request.urlopen(url, timeout=30) as answer:  # loopback only
        return {v["version"]: v for v in json.load(answer)["model_versions"]}


def _iso(millis: str | int) -> str:
    return datetime.fromtimestamp(int(millis) // 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _commits(reg: Reg) -> dict[str, tuple[str, str, str]]:
    """Each import commit's trailer -> (author name, author date, committer date), UTC."""
    out = git(
        "log", "--format=%(trailers:key=Modelreg-Import,valueonly)%x1f%an%x1f%aI%x1f%cI%x1e", cwd=reg.path
    )
    found = {}
    for record in out.split("\x1e"):
        if record.strip() and record.split("\x1f")[0].strip():
            key, name, author_date, commit_date = (f.strip() for f in record.split("\x1f"))
            found[key] = (name, author_date.replace("+00:00", "Z"), commit_date.replace("+00:00", "Z"))
    return found


def test_import_mlflow_replays_its_history(
    reg: Reg, mlflow_registry: tuple[MlflowServer, dict[str, Any]]
) -> None:
    server, made = mlflow_registry
    before = reg.state()
    dry = reg.cli("import", "mlflow", "--tracking-uri", server.uri, "--dry-run")
    assert dry.code == 0, dry.err
    assert reg.state() == before
    assert "register fraud-detector@1.0.0 (3 files)" in dry.out
    assert "register churn-model@2.0.0 (3 files)" in dry.out
    assert "move fraud-detector@2.0.0 to production" in dry.out
    assert "would write 13 commit(s)" not in dry.out  # without --alias-map: no ranker@3.0.0 move
    assert "would write 12 commit(s) from mlflow" in dry.out
    assert (
        "alias 'champion' of MLflow 'ranker' (v3) names no stage; map it with --alias-map champion=STAGE"
        in dry.err
    )

    done = reg.cli("import", "mlflow", "--tracking-uri", server.uri, "--alias-map", "champion=production")
    assert done.code == 0, done.err
    assert "wrote 13 commit(s) from mlflow" in done.out
    assert "alias 'challenger' of MLflow 'Churn Model' (v2) names no stage" in done.err
    assert git("status", "--porcelain", cwd=reg.path) == ""

    # every version is one commit by MLflow's user at MLflow's creation time, in time order
    commits = _commits(reg)
    for raw, versions in made.items():
        listed = _versions(server, raw)
        for number, facts in versions.items():
            when = _iso(listed[number]["creation_timestamp"])
            assert commits[f"mlflow:{raw}/{number}"] == (facts["user"], when, when)
    order = git("log", "--reverse", "--format=%s", cwd=reg.path).splitlines()[1:9]
    assert order == [
        "register fraud-detector@1.0.0", "register fraud-detector@2.0.0", "register fraud-detector@3.0.0",
        "register churn-model@1.0.0", "register churn-model@2.0.0",
        "register ranker@1.0.0", "register ranker@2.0.0", "register ranker@3.0.0",
    ]  # fmt: skip
    fraud = _versions(server, "fraud-detector")
    assert commits["mlflow:fraud-detector/2/stage/Production/" + str(fraud["2"]["last_updated_timestamp"])][
        1
    ] == (_iso(fraud["2"]["last_updated_timestamp"]))

    history = json.loads(reg.cli("history", "fraud-detector", "--format", "json").out)
    registered = {e["version"]: e["commit"] for e in history["events"] if e["kind"] == "registered"}
    assert registered["2.0.0"]["author_name"] == "bob"
    assert registered["2.0.0"]["author_date"] == _iso(fraud["2"]["creation_timestamp"])
    assert registered["1.0.0"]["author_name"] == "alice"
    text = reg.cli("history", "ranker").out
    assert "erin" in text and "dave" in text

    stages = {
        m: yaml.safe_load((reg.path / f"models/{m}/stages.yaml").read_text())
        for m in ("fraud-detector", "ranker")
    }
    assert stages["fraud-detector"] == {"production": "2.0.0", "staging": "3.0.0", "archived": "1.0.0"}
    assert stages["ranker"] == {"staging": "2.0.0", "production": "3.0.0"}
    assert not (reg.path / "models/churn-model/stages.yaml").exists()

    manifest = yaml.safe_load((reg.path / "models/fraud-detector/2.0.0.yaml").read_text())
    assert manifest["created_by"] == "bob"
    assert manifest["metrics"] == {"auc": 0.92, "f1": 0.74}
    assert manifest["params"] == {"max_depth": "6"}
    assert manifest["tags"] == ["trained_by=bob"]
    assert manifest["description"] == "trees v2 by bob"
    assert manifest["signature"] == {
        "inputs": {"amount": "double", "country": "string"},
        "outputs": {"score": "double"},
    }
    assert manifest["custom"]["mlflow"]["run_id"] == made["fraud-detector"]["2"]["run_id"]
    assert "signature" not in yaml.safe_load((reg.path / "models/ranker/1.0.0.yaml").read_text())
    facts = yaml.safe_load((reg.path / "models/churn-model/model.yaml").read_text())
    assert facts["description"] == "the Churn Model model" and facts["tags"] == ["team=ml"]
    assert (reg.path / "models/ranker/2.0.0/weights.txt").read_text() == "mlp v2\n"
    assert (reg.path / "models/ranker/2.0.0/notes/README.txt").read_text() == "about mlp v2\n"
    assert reg.cli("validate").code == 0

    # time travel tells MLflow's past: before its third version, fraud-detector had two
    third = _iso(fraud["3"]["creation_timestamp"])
    earlier = datetime.fromisoformat(third.replace("Z", "+00:00")).timestamp() - 1
    at = datetime.fromtimestamp(earlier, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    shown = reg.cli("show", "fraud-detector@latest", "--at", at, "--format", "json")
    assert shown.code == 0, shown.err
    assert json.loads(shown.out)["version"] == "2.0.0"

    # the artifacts reached the DVC remote
    reg.scratch.mkdir(exist_ok=True)  # pull creates the folder it writes into, not its parents
    pulled = reg.cli("pull", "ranker@3.0.0", "-o", str(reg.scratch / "pulled"))
    assert pulled.code == 0, pulled.err

    # a second run imports nothing; after a new MLflow version, only it
    head = git("rev-parse", "HEAD", cwd=reg.path)
    again = reg.cli("import", "mlflow", "--tracking-uri", server.uri, "--alias-map", "champion=production")
    assert again.code == 0, again.err
    assert "wrote 0 commit(s) from mlflow; 13 already imported" in again.out
    assert git("rev-parse", "HEAD", cwd=reg.path) == head
    server.populate("more")
    newer = reg.cli(
        "import",
        "mlflow",
        "--tracking-uri",
        server.uri,
        "--model",
        "ranker",
        "--alias-map",
        "champion=production",
    )
    assert newer.code == 0, newer.err
    assert "wrote 2 commit(s) from mlflow; 5 already imported" in newer.out
    assert git("log", "-2", "--format=%an %s", cwd=reg.path).splitlines() == [
        "MLflow move ranker@4.0.0 to staging",
        "frank register ranker@4.0.0",
    ]
    assert yaml.safe_load((reg.path / "models/ranker/stages.yaml").read_text()) == {
        "staging": ["2.0.0", "4.0.0"],
        "production": "3.0.0",
    }


def test_import_mlflow_failure_writes_nothing(
    reg: Reg, mlflow_registry: tuple[MlflowServer, dict[str, Any]]
) -> None:
    server, _ = mlflow_registry
    before = reg.state()
    for point in ("import:written", "import:pushed"):
        failed = reg.cli(
            "import", "mlflow", "--tracking-uri", server.uri, env={"MODELREG_FAULT": f"{point}:error"}
        )
        assert failed.code == 1
        assert failed.lines[-1] == f"modelreg: error: injected fault at {point}"
        assert reg.state() == before
    interrupted = reg.cli_process(
        "import", "mlflow", "--tracking-uri", server.uri, env={"MODELREG_FAULT": "import:pushed:kill"}
    )
    assert interrupted.code != 0
    assert reg.cli("doctor").code == 0
    assert reg.state() == before

    unknown = reg.cli("import", "mlflow", "--tracking-uri", server.uri, "--model", "nope")
    assert (unknown.code, unknown.lines) == (
        1,
        ["modelreg: error: MLflow has no registered model 'nope'; `--model` takes its exact name"],
    )
    dead = reg.cli("import", "mlflow", "--tracking-uri", "http://127.0.0.1:9")
    assert dead.code == 1 and len(dead.lines) == 1
    assert dead.lines[0].startswith("modelreg: error: cannot reach the MLflow server at http://127.0.0.1:9")
    initial = reg.cli("import", "mlflow", "--tracking-uri", server.uri, "--policy", "initial", "--dry-run")
    assert initial.code == 0, initial.err
    assert "register fraud-detector@2.0.0" in initial.out and " move " not in initial.out
    assert "alias" not in initial.err
    bad = reg.cli("import", "mlflow", "--tracking-uri", "file:///etc")
    assert bad.code == 1 and "give the server's http(s) address" in bad.err
    assert reg.state() == before
