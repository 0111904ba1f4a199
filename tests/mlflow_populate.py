"""Fills an MLflow tracking server with registered models, through MLflow's own client.

Run with the Python of .venv-mlflow (MLflow is not installed beside modelreg):
``.venv-mlflow/bin/python tests/mlflow_populate.py http://127.0.0.1:PORT [registry|more]``.
Prints, as JSON, what it made (model -> version -> facts) for the test to compare with.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.models import Model, ModelSignature
from mlflow.types import ColSpec, Schema

# model -> versions, each (user, metrics, params, text of its weights); stages and aliases after
MODELS: dict[str, list[tuple[str, dict[str, float], dict[str, str], str]]] = {
    "fraud-detector": [
        ("alice", {"auc": 0.90, "f1": 0.71}, {"max_depth": "4"}, "trees v1"),
        ("bob", {"auc": 0.92, "f1": 0.74}, {"max_depth": "6"}, "trees v2"),
        ("alice", {"auc": 0.94, "f1": 0.77}, {"max_depth": "8"}, "trees v3"),
    ],
    "Churn Model": [
        ("carol", {"f1": 0.60}, {"c": "1.0"}, "logreg v1"),
        ("carol", {"f1": 0.66}, {"c": "0.5"}, "logreg v2"),
    ],
    "ranker": [
        ("dave", {"ndcg": 0.40}, {"layers": "2"}, "mlp v1"),
        ("erin", {"ndcg": 0.45}, {"layers": "3"}, "mlp v2"),
        ("dave", {"ndcg": 0.47}, {"layers": "4"}, "mlp v3"),
    ],
}


def _model_folder(root: Path, weights: str, *, signed: bool) -> Path:
    folder = root / "model"
    folder.mkdir(parents=True)
    (folder / "weights.txt").write_text(weights + "\n")
    (folder / "notes").mkdir()
    (folder / "notes" / "README.txt").write_text(f"about {weights}\n")
    signature = None
    if signed:
        signature = ModelSignature(
            inputs=Schema([ColSpec("double", "amount"), ColSpec("string", "country")]),
            outputs=Schema([ColSpec("double", "score")]),
        )
    Model(artifact_path="model", signature=signature).save(str(folder / "MLmodel"))
    return folder


def more(client: MlflowClient) -> dict[str, object]:
    """A later training: ranker v4, by frank, moved to Staging."""
    os.environ["LOGNAME"] = os.environ["USER"] = "frank"
    with mlflow.start_run() as run, tempfile.TemporaryDirectory() as tmp:
        mlflow.log_metric("ndcg", 0.5)
        mlflow.log_artifacts(str(_model_folder(Path(tmp), "mlp v4", signed=False)), artifact_path="model")
    mv = client.create_model_version("ranker", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    client.transition_model_version_stage("ranker", mv.version, "Staging")
    return {"ranker": {mv.version: {"user": "frank", "run_id": run.info.run_id}}}


def main(uri: str, what: str) -> None:
    warnings.simplefilter("ignore", FutureWarning)  # legacy stages are what is being tested
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    if what == "more":
        print(json.dumps(more(client)))
        return
    made: dict[str, dict[str, dict[str, object]]] = {}
    for name, versions in MODELS.items():
        client.create_registered_model(name, tags={"team": "ml"}, description=f"the {name} model")
        made[name] = {}
        for user, metrics, params, weights in versions:
            os.environ["LOGNAME"] = user  # MLflow's client records the OS user as the run's user
            os.environ["USER"] = user
            with mlflow.start_run() as run, tempfile.TemporaryDirectory() as tmp:
                mlflow.log_metrics(metrics)
                mlflow.log_params(params)
                mlflow.set_tag("mlflow.source.git.commit", "abc1234")
                folder = _model_folder(Path(tmp), weights, signed=name == "fraud-detector")
                mlflow.log_artifacts(str(folder), artifact_path="model")
            mv = client.create_model_version(
                name,
                f"runs:/{run.info.run_id}/model",
                run_id=run.info.run_id,
                tags={"trained_by": user},
                description=f"{weights} by {user}",
            )
            made[name][mv.version] = {"user": user, "run_id": run.info.run_id}
            # each version in a second of its own: Git's dates (so the imported commits' and
            # `--at`'s) have a second's resolution
            time.sleep(1.02 - time.time() % 1)
    client.transition_model_version_stage("fraud-detector", "1", "Production")
    client.transition_model_version_stage("fraud-detector", "1", "Archived")
    client.transition_model_version_stage("fraud-detector", "2", "Production")
    client.transition_model_version_stage("fraud-detector", "3", "Staging")
    client.transition_model_version_stage("ranker", "2", "Staging")
    client.set_registered_model_alias("ranker", "champion", "3")
    client.set_registered_model_alias("Churn Model", "challenger", "2")
    print(json.dumps(made))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "registry")
