"""A small stand-in for an MLflow tracking server's REST API on 127.0.0.1, for hostile answers
a real server never sends: it serves a ``World`` (models, versions, their runs and files) the
way ``mlflow server`` does (same endpoints, same JSON shapes, as seen from MLflow 3.x), and any
endpoint can be replaced by a scripted answer. The real server is in tests/mlflow_server.py."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from http_servers import Recorder, Reply, Seen

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
BASE_MILLIS = 1_767_225_600_000  # 2026-01-01


@dataclass
class Version:
    """One MLflow version: its JSON (overrides ``fields``), its run's metrics and params, its files."""

    number: str
    fields: dict[str, Any] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=lambda: [{"key": "auc", "value": 0.9}])
    params: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=lambda: {"weights.bin": b"weights"})

    def __repr__(self) -> str:  # short: hypothesis prints it for a counterexample
        shown = {
            k: (f"<{len(v)} items>" if isinstance(v, list) and len(v) > 5 else v)
            for k, v in self.fields.items()
        }
        text = {k: (v if len(repr(v)) < 80 else f"<{len(v)} long>") for k, v in shown.items()}
        return f"Version({self.number[:20]!r}, {text}, metrics={self.metrics}, files={sorted(self.files)})"


@dataclass
class Model:
    name: Any
    versions: list[Version] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    models: list[Model] = field(default_factory=list)
    # endpoint path -> answer, instead of what the world says (a hostile server)
    replace: dict[str, Callable[[Seen], Reply]] = field(default_factory=dict)

    def recorder(self) -> Recorder:
        recorder = Recorder()
        recorder.fallback = self.answer
        return recorder

    def answer(self, seen: Seen) -> Reply:
        path, _, query = seen.path.partition("?")
        if path in self.replace:
            return self.replace[path](seen)
        args = dict(urllib.parse.parse_qsl(query))
        if path == f"{API}/registered-models/search":
            return Reply(200, {"registered_models": [self._model(m) for m in self.models]})
        if path == f"{API}/model-versions/search":
            name = args.get("filter", "")[len("name='") : -1].replace("\\'", "'").replace("\\\\", "\\")
            return Reply(
                200,
                {
                    "model_versions": [
                        self._version(m, v) for m in self.models if m.name == name for v in m.versions
                    ]
                },
            )
        if path == f"{API}/runs/get":
            return self._run(args.get("run_id", ""))
        if path == f"{API}/model-versions/get-download-uri":
            return Reply(
                200, {"artifact_uri": f"runs:/{_run_id(args.get('name'), args.get('version'))}/model"}
            )
        if path == ARTIFACTS:
            return self._listing(args.get("path", ""))
        if path.startswith(ARTIFACTS + "/"):
            return self._file(urllib.parse.unquote(path[len(ARTIFACTS) + 1 :]))
        return Reply(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"no {path}"})

    def _model(self, m: Model) -> dict[str, Any]:
        return {
            "name": m.name,
            "creation_timestamp": BASE_MILLIS,
            "last_updated_timestamp": BASE_MILLIS,
            **m.fields,
        }

    def _version(self, m: Model, v: Version) -> dict[str, Any]:
        i = m.versions.index(v)
        return {
            "name": m.name,
            "version": v.number,
            "creation_timestamp": BASE_MILLIS + 1000 * i,
            "last_updated_timestamp": BASE_MILLIS + 1000 * i,
            "current_stage": "None",
            "description": "",
            "source": f"runs:/{_run_id(m.name, v.number)}/model",
            "run_id": _run_id(m.name, v.number),
            "status": "READY",
            "user_id": "alice@example.org",
            **v.fields,
        }

    def _find(self, run_id: str) -> Version | None:
        for m in self.models:
            for v in m.versions:
                if _run_id(m.name, v.number) == run_id:
                    return v
        return None

    def _run(self, run_id: str) -> Reply:
        v = self._find(run_id)
        if v is None:
            return Reply(
                404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"Run with id={run_id} not found"}
            )
        info = {
            "run_id": run_id,
            "user_id": "alice",
            "artifact_uri": f"mlflow-artifacts:/0/{run_id}/artifacts",
        }
        return Reply(
            200, {"run": {"info": info, "data": {"metrics": v.metrics, "params": v.params, "tags": []}}}
        )

    def _split(self, path: str) -> tuple[Version | None, str]:
        parts = path.split("/")  # 0/RUN/artifacts/model/...
        if len(parts) < 4 or parts[2] != "artifacts" or parts[3] != "model":
            return None, ""
        return self._find(parts[1]), "/".join(parts[4:])

    def _listing(self, path: str) -> Reply:
        v, below = self._split(path)
        if v is None:
            return Reply(200, {})
        prefix = f"{below}/" if below else ""
        entries: dict[str, dict[str, Any]] = {}
        for rel, data in v.files.items():
            if rel.startswith(prefix):
                head, _, rest = rel[len(prefix) :].partition("/")
                entries[head] = (
                    {"path": head, "is_dir": True}
                    if rest
                    else {"path": head, "is_dir": False, "file_size": len(data)}
                )
        return Reply(200, {"files": list(entries.values())} if entries else {})

    def _file(self, path: str) -> Reply:
        v, below = self._split(path)
        if v is None or below not in v.files:
            return Reply(404, {"message": "no such file"})
        return Reply(200, v.files[below], {"Content-Type": "application/octet-stream"})


def _run_id(name: Any, version: Any) -> str:
    return f"run{abs(hash((str(name), str(version)))) % 10**12:012d}"
