"""A real MLflow tracking server for the import tests, run from its own virtualenv
(.venv-mlflow, made by .ci/setup: MLflow's pins clash with DVC's) on 127.0.0.1, with a SQLite
backend and a local artifact root, filled by MLflow's own client (tests/mlflow_populate.py)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto_s3 import free_port

ROOT = Path(__file__).resolve().parent.parent
MLFLOW_VENV = Path(os.environ.get("MODELREG_MLFLOW_VENV", ROOT / ".venv-mlflow"))
POPULATE = Path(__file__).with_name("mlflow_populate.py")


@dataclass
class MlflowServer:
    uri: str
    workdir: Path

    def populate(self, what: str = "registry") -> dict[str, Any]:
        """Run MLflow's client against the server; return what it made."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MLFLOW_"))}
        env |= {"NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1", "GIT_PYTHON_REFRESH": "quiet"}
        done = subprocess.run(
            [str(MLFLOW_VENV / "bin" / "python"), str(POPULATE), self.uri, what],
            cwd=self.workdir,
            env=env,
            capture_output=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        made: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
        return made


def _wait_for(uri: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"mlflow server exited with {server.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as answer:  # loopback only
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    pytest.fail(f"mlflow server did not answer at {uri} within 120 s: {log.read_text()[-2000:]}")


def run_server(workdir: Path) -> Iterator[MlflowServer]:
    """``mlflow server`` with a SQLite store and a local artifact root on a free loopback port.
    .ci/setup makes .venv-mlflow; without it the test fails (it is never skipped)."""
    mlflow = MLFLOW_VENV / "bin" / "mlflow"
    if not mlflow.exists():
        pytest.fail(f"MLflow is not at {mlflow}: run `bash .ci/setup` (creates .venv-mlflow)")
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    log = workdir / "mlflow.log"
    argv = [
        str(mlflow), "server",
        "--backend-store-uri", f"sqlite:///{workdir / 'mlflow.db'}",
        "--artifacts-destination", str(workdir / "artifacts"),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MLFLOW_"))}
    with open(log, "wb") as out:
        server = subprocess.Popen(argv, stdout=out, stderr=out, env=env, cwd=workdir, start_new_session=True)
    try:
        _wait_for(uri, server, log)
        yield MlflowServer(uri, workdir)
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()
