"""Stand-ins for GitHub: a bare repository on disk as ``origin``, and a small HTTP server on
127.0.0.1 that answers the pull request API and records every request it gets."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import Reg, git

ORIGIN_URL = "https://github.com/acme/models.git"
TOKEN = "ghp_test0123456789abcdefSECRET"


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Answer:
    """One scripted answer: status, body (JSON unless bytes) and extra headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeGitHub:
    """What the server received, and what it answers: the scripted ``answers`` in order (each
    used once), then ``status`` with the JSON ``answer`` and ``headers``."""

    url: str = ""
    token: str = TOKEN
    requests: list[Request] = field(default_factory=list)
    status: int = 201
    answer: Any = field(
        default_factory=lambda: {"number": 42, "html_url": "https://github.com/acme/models/pull/42"}
    )
    headers: dict[str, str] = field(default_factory=dict)
    answers: list[Answer] = field(default_factory=list)

    def next_answer(self) -> Answer:
        return self.answers.pop(0) if self.answers else Answer(self.status, self.answer, self.headers)

    @property
    def env(self) -> dict[str, str]:
        """What a user in CI has: a token and the API URL (here, this server)."""
        return {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": self.url, "NO_PROXY": "127.0.0.1"}


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            fake.requests.append(Request("POST", self.path, headers, json.loads(raw or b"null")))
            answer = fake.next_answer()
            body = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def github_api() -> Iterator[FakeGitHub]:
    """A fake GitHub REST API on a free port of 127.0.0.1."""
    fake = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join()


@dataclass
class Origin:
    """A bare repository on disk standing in for the GitHub repository ``acme/models``."""

    bare: Path

    def branches(self) -> list[str]:
        out = git("for-each-ref", "--format=%(refname:short)", "refs/heads", cwd=self.bare)
        return out.split()


@pytest.fixture
def add_origin(tmp_path: Path) -> Callable[[Reg], Origin]:
    """Give a registry a bare ``origin``: the remote URL says github.com (so the owner and
    repository can be read from it), and git's ``insteadOf`` sends pushes to the disk."""

    def attach(reg: Reg) -> Origin:
        bare = tmp_path / "origin.git"
        git("init", "-q", "--bare", str(bare), cwd=reg.path)
        git("remote", "add", "origin", ORIGIN_URL, cwd=reg.path)
        git("config", f"url.{bare}.insteadOf", ORIGIN_URL, cwd=reg.path)
        git("push", "-q", "origin", "main", cwd=reg.path)
        git("fetch", "-q", "origin", cwd=reg.path)
        return Origin(bare)

    return attach
