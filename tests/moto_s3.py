"""moto's standalone S3 server, run from its own virtualenv (.venv-moto, made by .ci/setup)
as a separate process on 127.0.0.1: moto pins another botocore than dvc-s3's aiobotocore."""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MOTO_SERVER = Path(os.environ.get("MODELREG_MOTO_SERVER", ROOT / ".venv-moto" / "bin" / "moto_server"))
# moto does not check signatures, but refuses some unsigned requests (DELETE).
_AUTH = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, "
    "SignedHeaders=host, Signature=0"
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class S3Server:
    endpoint: str

    def _call(self, method: str, path: str) -> bytes:
        request = urllib.request.Request(f"{self.endpoint}/{path}", method=method, headers=_AUTH)
        with urllib.request.urlopen(request, timeout=30) as response:  # loopback only
            body: bytes = response.read()
            return body

    def bucket(self) -> str:
        name = f"reg-{uuid.uuid4().hex[:12]}"
        self._call("PUT", name)
        return name

    def keys(self, bucket: str) -> list[str]:
        return sorted(re.findall(r"<Key>([^<]+)</Key>", self._call("GET", bucket).decode()))

    def delete(self, bucket: str, key: str) -> None:
        self._call("DELETE", f"{bucket}/{key}")


def _wait_for(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"moto_server exited with {server.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"moto_server did not listen on 127.0.0.1:{port} within 60 s")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI must run the S3 tests, never skip them)")
    pytest.skip(reason)


def require_dvc_s3() -> None:
    if importlib.util.find_spec("dvc_s3") is None:
        _unavailable("dvc-s3 is not installed: pip install -e '.[s3]' (bash .ci/setup does)")


def run_server(workdir: Path) -> Iterator[S3Server]:
    """Start moto_server on a free loopback port; stop it afterwards."""
    require_dvc_s3()
    if not MOTO_SERVER.exists():
        _unavailable(f"moto's S3 server is not at {MOTO_SERVER}: run `bash .ci/setup` (creates .venv-moto)")
    port = free_port()
    log = workdir / "moto.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out, env=env
        )
    try:
        _wait_for(port, server, log)
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def s3_env(monkeypatch: pytest.MonkeyPatch, home: Path, *, credentials: bool = True) -> dict[str, str]:
    """AWS settings for a test: test credentials (or none), no shared files, no metadata service,
    few retries, no proxy for loopback. Applied to this process and returned for subprocesses."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    env = {
        "AWS_CONFIG_FILE": str(home / "aws-config-absent"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials-absent"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "2",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    if credentials:
        env |= {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing-secret"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
