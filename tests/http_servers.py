"""Scripted HTTP servers on 127.0.0.1 that record every request they get (method, path and
headers), for the HTTP policy and the importers' tests. A route answers with a status, headers
and a body; a callable route decides per request (a redirect to the other server, say)."""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Reply:
    status: int = 200
    body: bytes | Any = b""
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()


Route = Callable[[Seen], Reply]


@dataclass
class Recorder:
    """A server: ``routes`` by path (without the query), else ``fallback``; ``seen`` records."""

    url: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    fallback: Route = field(default=lambda seen: Reply(404, {"message": "no route"}))
    seen: list[Seen] = field(default_factory=list)

    def answer(self, seen: Seen) -> Reply:
        self.seen.append(seen)
        return self.routes.get(seen.path.split("?", 1)[0], self.fallback)(seen)

    def authorized(self) -> list[str]:
        """The paths of the requests that carried an Authorization header."""
        return [s.path for s in self.seen if "authorization" in s.headers]


def _handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = recorder.answer(Seen(self.command, self.path, headers))
            body = reply.encoded()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            if "content-length" not in {k.lower() for k in reply.headers}:
                self.send_header("Content-Length", str(len(body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_HEAD = _serve  # noqa: N815 - the names http.server calls

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _Quiet(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up early (a body refused as too large) is expected here


@contextmanager
def serve(
    recorder: Recorder, *, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None
) -> Iterator[Recorder]:
    """Run ``recorder`` on a free port of ``host`` (loopback) until the block ends."""
    server = _Quiet(("127.0.0.1", 0), _handler(recorder))
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls is not None else "http"
    recorder.url = f"{scheme}://{host}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()


def self_signed(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A TLS context for 127.0.0.1 with a fresh self-signed certificate (openssl), and the
    certificate's file (what REQUESTS_CA_BUNDLE names for the client to trust it)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert


def redirect(to: Callable[[], str], status: int = 302) -> Route:
    """A route that redirects to ``to()`` (read when asked: the other server's URL)."""
    return lambda seen: Reply(status, b"", {"Location": to()})
