"""An MLflow tracking server, asked over its REST API (standard library only).

MLflow's own client is not imported: its pins (pandas, pyarrow, SQLAlchemy, Flask...) clash
easily with DVC's, and the registry, runs and artifact endpoints are a small, stable JSON API.
Artifacts are read through the server's artifact proxy (``mlflow server`` serves them by
default since 2.0): ``mlflow-artifacts:`` URIs, and ``runs:/`` sources through the run's own
artifact listing. A token in ``MLFLOW_TRACKING_TOKEN`` (or ``MLFLOW_TRACKING_USERNAME`` and
``..._PASSWORD``) is sent as MLflow's client sends it, and never printed.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from modelreg.domain.errors import ModelregError

TIMEOUT_SECONDS = 60
PAGE = 1000


class MlflowError(ModelregError):
    """The MLflow server refused a request or could not be reached."""


@dataclass(frozen=True)
class ArtifactFile:
    """One file of a version's artifacts: its path below the version's root, and where to get it."""

    path: str
    size: int
    location: str  # the server path that serves its bytes


class MlflowServer:
    """The tracking server at ``uri`` (``http(s)://host:port``, with a path prefix if any)."""

    def __init__(self, uri: str) -> None:
        parsed = urllib.parse.urlsplit(uri)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            raise MlflowError(
                f"--tracking-uri {uri!r}: give the server's http(s) address, e.g. http://127.0.0.1:5000"
            )
        self.base = uri.rstrip("/")

    def _headers(self) -> dict[str, str]:
        token = os.environ.get("MLFLOW_TRACKING_TOKEN")
        if token:
            return {"Authorization": f"Bearer {token}"}
        user, password = (
            os.environ.get("MLFLOW_TRACKING_USERNAME"),
            os.environ.get("MLFLOW_TRACKING_PASSWORD"),
        )
        if user and password:
            basic = base64.b64encode(f"{user}:{password}".encode()).decode()
            return {"Authorization": f"Basic {basic}"}
        return {}

    def _get(self, path: str, query: dict[str, str] | None = None) -> bytes:
        url = f"{self.base}/{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        request = urllib.request.Request(url, headers=self._headers())  # noqa: S310 (http(s) only, checked above)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                body: bytes = response.read()
                return body
        except urllib.error.HTTPError as e:
            detail = _error_message(e.read())
            raise MlflowError(f"MLflow server answered {e.code} to {path}: {detail}") from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise MlflowError(f"cannot reach the MLflow server at {self.base}: {reason}") from None

    def _json(self, path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
        raw = self._get(path, query)
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise MlflowError(f"MLflow server sent something other than JSON for {path}") from None
        if not isinstance(data, dict):
            raise MlflowError(f"MLflow server sent an unexpected answer for {path}")
        return data

    def _pages(self, path: str, key: str, query: dict[str, str]) -> Iterator[dict[str, Any]]:
        token = ""
        while True:
            page = self._json(
                path, {**query, "max_results": str(PAGE), **({"page_token": token} if token else {})}
            )
            yield from page.get(key, [])
            token = str(page.get("next_page_token") or "")
            if not token:
                return

    def registered_models(self) -> list[dict[str, Any]]:
        """Every registered model, as the server describes it (name, description, tags, aliases)."""
        return list(self._pages("api/2.0/mlflow/registered-models/search", "registered_models", {}))

    def model_versions(self, name: str) -> list[dict[str, Any]]:
        """Every version of model ``name``."""
        quoted = name.replace("\\", "\\\\").replace("'", "\\'")
        query = {"filter": f"name='{quoted}'"}
        return list(self._pages("api/2.0/mlflow/model-versions/search", "model_versions", query))

    def run(self, run_id: str) -> dict[str, Any]:
        """A run's info and data (metrics, params, tags)."""
        run: dict[str, Any] = self._json("api/2.0/mlflow/runs/get", {"run_id": run_id}).get("run", {})
        return run

    def download_uri(self, name: str, version: str) -> str:
        """Where version ``version`` of ``name`` keeps its files (an artifact URI)."""
        query = {"name": name, "version": version}
        return str(
            self._json("api/2.0/mlflow/model-versions/get-download-uri", query).get("artifact_uri", "")
        )

    def artifact_files(self, uri: str) -> list[ArtifactFile]:
        """Every file under artifact URI ``uri`` (served by the artifact proxy), recursively.
        MlflowError for a URI the server does not serve (a cloud bucket it only names, say)."""
        if not uri.startswith("mlflow-artifacts:"):
            raise MlflowError(
                f"artifacts at {uri} are not served by this MLflow server (run it with --serve-artifacts)"
            )
        root = urllib.parse.urlsplit(uri).path.strip("/")
        return sorted(self._walk(root, root), key=lambda f: f.path)

    def _walk(self, root: str, folder: str) -> Iterator[ArtifactFile]:
        listing = self._json("api/2.0/mlflow-artifacts/artifacts", {"path": folder})
        for entry in listing.get("files", []):
            full = f"{folder}/{entry['path']}"
            if entry.get("is_dir"):
                yield from self._walk(root, full)
            else:
                rel = full[len(root) + 1 :]
                location = "api/2.0/mlflow-artifacts/artifacts/" + urllib.parse.quote(full)
                yield ArtifactFile(path=rel, size=int(entry.get("file_size") or 0), location=location)

    def read(self, artifact: ArtifactFile) -> bytes:
        """The bytes of one artifact file."""
        return self._get(artifact.location)


def _error_message(body: bytes) -> str:
    try:
        data = json.loads(body)
        return str(data.get("message") or data.get("error_code") or "no detail")[:300]
    except (ValueError, AttributeError):
        return body.decode(errors="replace").strip()[:300] or "no detail"
