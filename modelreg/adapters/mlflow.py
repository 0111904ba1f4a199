"""An MLflow tracking server, asked over its REST API, every answer type-checked.

MLflow's own client is not imported: its pins (pandas, pyarrow, SQLAlchemy, Flask...) clash
easily with DVC's, and the registry, runs and artifact endpoints are a small, stable JSON API.
Artifacts are read through the server's artifact proxy (``mlflow server`` serves them by
default since 2.0): ``mlflow-artifacts:`` URIs, and ``runs:/`` sources through the run's own
artifact listing. A token in ``MLFLOW_TRACKING_TOKEN`` (or ``MLFLOW_TRACKING_USERNAME`` and
``..._PASSWORD``) is sent as MLflow's client sends it, only to the tracking server's origin
(modelreg.adapters.http), and never printed.

A server is a source of untrusted data: each answer is parsed by pydantic against the model of
what MLflow sends (strict types: a version is digits, a timestamp an integer of milliseconds
before year 10000, a metric a number), nested at most 200 deep (pydantic's JSON parser), at
most ``MAX_ANSWER_BYTES`` long; listings are paged at most ``MAX_PAGES`` times and walked at
most ``MAX_LISTING_DEPTH`` folders deep. Anything else is one MlflowError naming the endpoint
and the field.
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from modelreg.adapters.http import HttpError, Session
from modelreg.domain.errors import ModelregError, first_error

DEFAULT_TIMEOUT_SECONDS = 1800  # the whole import: reading the server and downloading artifacts
PAGE = 1000
MAX_PAGES = 200
MAX_ANSWER_BYTES = 16 * 1024 * 1024
MAX_ARTIFACT_BYTES = 8 * 1024**3
MAX_LISTING_DEPTH = 32
MAX_FILES = 10_000  # files of one version
MAX_MILLIS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z


class MlflowError(ModelregError):
    """The MLflow server refused a request, could not be reached, or answered malformed data."""


class Unavailable(MlflowError):
    """The server answers, but not with this: an error status, or artifacts it does not serve."""


Millis = Annotated[int, Field(ge=0, le=MAX_MILLIS)]
VersionNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,9}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
Text = Annotated[str, StringConstraints(max_length=100_000)]


def _one_name(name: str) -> str:
    if name in {".", ".."}:
        raise ValueError("a listing entry must name a file or folder inside the folder listed")
    return name


FileName = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^/\\]+$"), AfterValidator(_one_name)
]


class _Answer(BaseModel):
    """Part of an MLflow answer: strict types, fields MLflow adds later ignored."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class Tag(_Answer):
    key: Name
    value: Text = ""


class Alias(_Answer):
    alias: Name
    version: VersionNumber


class RegisteredModel(_Answer):
    name: Name
    description: Text | None = None
    last_updated_timestamp: Millis | None = None
    tags: list[Tag] = []
    aliases: list[Alias] = []


class ModelVersion(_Answer):
    name: Name
    version: VersionNumber
    creation_timestamp: Millis | None = None
    last_updated_timestamp: Millis | None = None
    user_id: Text | None = None
    current_stage: Name = "None"
    description: Text | None = None
    source: Text | None = None
    run_id: Annotated[str, StringConstraints(max_length=200)] | None = None
    status: Name = "READY"
    tags: list[Tag] = []


class Metric(_Answer):
    key: Name
    value: float
    timestamp: Millis = 0
    step: Annotated[int, Field(ge=-(2**63), le=2**63 - 1)] = 0


class RunInfo(_Answer):
    run_id: Annotated[str, StringConstraints(max_length=200)] = ""
    user_id: Text = ""
    artifact_uri: Text = ""


class RunData(_Answer):
    metrics: list[Metric] = []
    params: list[Tag] = []
    tags: list[Tag] = []


class Run(_Answer):
    info: RunInfo = RunInfo()
    data: RunData = RunData()


class _RunAnswer(_Answer):
    run: Run = Run()


class _DownloadUri(_Answer):
    artifact_uri: Text = ""


class FileInfo(_Answer):
    path: FileName
    is_dir: bool = False
    file_size: Annotated[int, Field(ge=0, le=MAX_ARTIFACT_BYTES)] | None = None


class _Listing(_Answer):
    files: list[FileInfo] = []


class _ModelsPage(_Answer):
    registered_models: list[RegisteredModel] = []
    next_page_token: Annotated[str, StringConstraints(max_length=10_000)] | None = None


class _VersionsPage(_Answer):
    model_versions: list[ModelVersion] = []
    next_page_token: Annotated[str, StringConstraints(max_length=10_000)] | None = None


_A = TypeVar("_A", bound=_Answer)


@dataclass(frozen=True)
class ArtifactFile:
    """One file of a version's artifacts: its path below the version's root, and where to get it."""

    path: str
    size: int | None
    location: str  # the server path that serves its bytes


def credentials() -> tuple[dict[str, str], tuple[str, ...]]:
    """The Authorization header MLflow's client would send, and the secrets never to print."""
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if token:
        return {"Authorization": f"Bearer {token}"}, (token,)
    user, password = os.environ.get("MLFLOW_TRACKING_USERNAME"), os.environ.get("MLFLOW_TRACKING_PASSWORD")
    if user and password:
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {basic}"}, (password, basic)
    return {}, ()


class MlflowServer:
    """The tracking server at ``uri`` (``http(s)://host:port``, with a path prefix if any), asked
    for at most ``timeout`` seconds in all."""

    def __init__(self, uri: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        parsed = urllib.parse.urlsplit(uri)
        if parsed.scheme not in {"http", "https"} or not parsed.hostname or parsed.username:
            raise MlflowError(
                f"--tracking-uri {uri!r}: give the server's http(s) address without credentials, "
                "e.g. http://127.0.0.1:5000 (a token goes in MLFLOW_TRACKING_TOKEN)"
            )
        headers, secrets = credentials()
        self.base = uri.rstrip("/")
        self.http = Session(
            base=self.base,
            name="the MLflow server",
            credentials=headers,
            secrets=secrets,
            max_bytes=MAX_ANSWER_BYTES,
            deadline=time.monotonic() + timeout,
        )
        self.timeout = timeout

    def _get(self, path: str, query: dict[str, str] | None = None, *, limit: int | None = None) -> bytes:
        try:
            answer = self.http.get(path, query, max_bytes=limit)
        except HttpError as e:
            raise MlflowError(_timed_out(str(e), self.timeout)) from None
        if not answer.ok:
            raise Unavailable(
                f"MLflow server answered {answer.status} to {path}: {_error_message(answer.body)}"
            )
        return answer.body

    def _typed(self, kind: type[_A], path: str, query: dict[str, str] | None = None) -> _A:
        raw = self._get(path, query)
        try:
            return kind.model_validate_json(raw or b"{}")
        except ValidationError as e:
            raise MlflowError(f"MLflow server sent a malformed answer to {path}: {first_error(e)}") from None

    def registered_models(self) -> list[RegisteredModel]:
        """Every registered model, as the server describes it (name, description, tags, aliases)."""
        path = "api/2.0/mlflow/registered-models/search"
        return [m for page in self._pages(_ModelsPage, path, {}) for m in page.registered_models]

    def model_versions(self, name: str) -> list[ModelVersion]:
        """Every version of model ``name`` (a server that answers another model's is refused)."""
        quoted = name.replace("\\", "\\\\").replace("'", "\\'")
        path = "api/2.0/mlflow/model-versions/search"
        found = [
            v
            for page in self._pages(_VersionsPage, path, {"filter": f"name='{quoted}'"})
            for v in page.model_versions
        ]
        for v in found:
            if v.name != name:
                raise MlflowError(f"MLflow server answered versions of {v.name!r} when asked for {name!r}")
        return found

    def _pages(self, kind: type[_A], path: str, query: dict[str, str]) -> Iterator[_A]:
        token, seen = "", set()
        for _ in range(MAX_PAGES):
            page = self._typed(
                kind, path, {**query, "max_results": str(PAGE), **({"page_token": token} if token else {})}
            )
            yield page
            token = getattr(page, "next_page_token", None) or ""
            if not token:
                return
            if token in seen:
                raise MlflowError(f"MLflow server sent the page token of an earlier page again for {path}")
            seen.add(token)
        raise MlflowError(f"MLflow server sent more than {MAX_PAGES} pages for {path}; not read further")

    def run(self, run_id: str) -> Run:
        """A run's info and data (metrics, params, tags)."""
        return self._typed(_RunAnswer, "api/2.0/mlflow/runs/get", {"run_id": run_id}).run

    def download_uri(self, name: str, version: str) -> str:
        """Where version ``version`` of ``name`` keeps its files (an artifact URI)."""
        query = {"name": name, "version": version}
        return self._typed(_DownloadUri, "api/2.0/mlflow/model-versions/get-download-uri", query).artifact_uri

    def artifact_files(self, uri: str) -> list[ArtifactFile]:
        """Every file under artifact URI ``uri`` (served by the artifact proxy), recursively.
        MlflowError for a URI the server does not serve (a cloud bucket it only names, say)."""
        if not uri.startswith("mlflow-artifacts:"):
            raise Unavailable(
                f"artifacts at {uri} are not served by this MLflow server (run it with --serve-artifacts)"
            )
        root = urllib.parse.urlsplit(uri).path.strip("/")
        found: list[ArtifactFile] = []
        self._walk(root, "", found, depth=0)
        return sorted(found, key=lambda f: f.path)

    def _walk(self, root: str, below: str, found: list[ArtifactFile], *, depth: int) -> None:
        if depth > MAX_LISTING_DEPTH:
            raise MlflowError(f"MLflow artifacts under {root} nest deeper than {MAX_LISTING_DEPTH} folders")
        folder = f"{root}/{below}".rstrip("/")
        listing = self._typed(_Listing, "api/2.0/mlflow-artifacts/artifacts", {"path": folder})
        names = [entry.path for entry in listing.files]
        if len(set(names)) != len(names):
            raise MlflowError(f"MLflow artifact listing of {folder} names one entry twice")
        for entry in listing.files:
            rel = f"{below}/{entry.path}".lstrip("/")
            if entry.is_dir:
                self._walk(root, rel, found, depth=depth + 1)
                continue
            if len(found) >= MAX_FILES:
                raise MlflowError(f"MLflow artifacts under {root} hold more than {MAX_FILES} files")
            location = "api/2.0/mlflow-artifacts/artifacts/" + urllib.parse.quote(f"{root}/{rel}")
            found.append(ArtifactFile(path=rel, size=entry.file_size, location=location))

    def read(self, artifact: ArtifactFile) -> bytes:
        """The bytes of one artifact file (no more than its listing said it has)."""
        limit = MAX_ARTIFACT_BYTES if artifact.size is None else artifact.size
        return self._get(artifact.location, limit=limit)


def _timed_out(message: str, timeout: float) -> str:
    if "longer than the time allowed" in message:
        return f"{message} ({timeout:g} s; give more with --timeout)"
    return message


def _error_message(body: bytes) -> str:
    try:
        data = json.loads(body)
        found: Any = data.get("message") or data.get("error_code") if isinstance(data, dict) else None
        return str(found or "no detail")[:300]
    except (ValueError, RecursionError):
        return body.decode(errors="replace").strip()[:300] or "no detail"
