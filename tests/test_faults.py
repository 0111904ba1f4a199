"""Faults from outside modelreg: the remote is down, the disk is full, DVC is locked by another
process, two registers race. Each time: one clear line, and nothing lost or half-done."""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import Reg, Result, git

pytestmark = pytest.mark.slow  # faults injected into real DVC pushes and copies


def _point_remote_at(reg: Reg, url: str) -> None:
    config = reg.path / ".dvc/config"
    config.write_text(re.sub(r"url = .*", f"url = {url}", config.read_text()))
    reg.commit("remote moved")


def _register(reg: Reg, *args: str, preexec: Any = None, env: dict[str, str] | None = None) -> Result:
    argv = [sys.executable, "-m", "modelreg", "register", *args]
    proc = subprocess.run(
        argv,
        cwd=reg.path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=preexec,
        env={**os.environ, **(env or {})},
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def _nothing_half_done(reg: Reg, before: tuple[str, ...]) -> None:
    assert reg.state() == before
    assert reg.cli("doctor").out.strip() == "no interrupted command to recover"
    assert reg.cli("validate").code == 0


# --- the remote is down --------------------------------------------------------------------------


class _Failing(BaseHTTPRequestHandler):
    def _fail(self) -> None:
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD = do_POST = do_PUT = _fail  # noqa: N815 - the names http.server calls

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def failing_server() -> Iterator[str]:
    """An HTTP remote on 127.0.0.1 that answers 503 Service Unavailable to everything."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/dvc"
    server.shutdown()
    server.server_close()


def test_remote_refusing_connections_during_push_leaves_the_repository_as_it_was(reg: Reg) -> None:
    _point_remote_at(reg, "http://127.0.0.1:9/dvc")  # the discard port: nothing listens
    before = reg.state()
    r = _register(reg, "m", str(reg.artifact("m.bin")), "--version", "1.0.0", env={"NO_PROXY": "*"})
    assert r.lines == [
        "modelreg: error: DVC could not push to the default remote: 1 files failed to upload (Cannot "
        "connect to host 127.0.0.1:9 ssl:default [Connect call failed ('127.0.0.1', 9)])"
    ]
    _nothing_half_done(reg, before)


def test_remote_failing_during_push_leaves_the_repository_as_it_was(reg: Reg, failing_server: str) -> None:
    _point_remote_at(reg, failing_server)
    before = reg.state()
    r = _register(reg, "m", str(reg.artifact("m.bin")), "--version", "1.0.0", env={"NO_PROXY": "*"})
    assert r.code == 1 and len(r.lines) == 1, r.err
    assert re.fullmatch(
        r"modelreg: error: DVC could not push to the default remote: 1 files failed to upload \(503, "
        r"message='Service Unavailable', url='http://127\.0\.0\.1:\d+/dvc/files/md5/[0-9a-f/]+'\)",
        r.lines[0],
    ), r.lines[0]
    _nothing_half_done(reg, before)


# --- the disk is full ----------------------------------------------------------------------------


def _file_size_limit(limit: int) -> Any:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # so a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_disk_full_while_copying_an_artifact_changes_nothing(reg: Reg) -> None:
    model = reg.artifact("big.bin", os.urandom(2 * 1024 * 1024))
    before = reg.state()
    r = _register(reg, "m", str(model), "--version", "1.0.0", preexec=_file_size_limit(1024 * 1024))
    assert r.lines == [f"modelreg: error: could not copy {model} into the registry: File too large"]
    _nothing_half_done(reg, before)
    again = _register(reg, "m", str(model), "--version", "1.0.0")
    assert again.code == 0, again.err


def test_disk_full_in_the_dvc_cache_changes_nothing(reg: Reg, tmp_path: Path) -> None:
    """The copy fits, DVC's cache does not: a full file system under .dvc/cache (tmpfs)."""
    cache = tmp_path / "small-disk"
    cache.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(cache)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        git("config", "-f", ".dvc/config.local", "cache.dir", str(cache), cwd=reg.path)
        model = reg.artifact("big.bin", os.urandom(2 * 1024 * 1024))
        before = reg.state()
        r = _register(reg, "m", str(model), "--version", "1.0.0")
        assert r.lines == ["modelreg: error: DVC could not track the artifacts: No space left on device"]
        _nothing_half_done(reg, before)
    finally:
        subprocess.run(["umount", str(cache)], check=True)


# --- DVC is locked -------------------------------------------------------------------------------

HOLD_DVC_LOCK = """
import sys, time
from dvc.repo import Repo
with Repo(sys.argv[1]).lock:
    print("locked", flush=True)
    time.sleep(60)
"""


def test_a_locked_dvc_repository_is_a_clear_error(reg: Reg, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process holds DVC's lock; DVC gives up after its lock timeout (3 s, made 0.3 s
    here: the register runs in this process) and says so."""
    import dvc.lock

    monkeypatch.setattr(dvc.lock, "DEFAULT_TIMEOUT", 0.3)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_DVC_LOCK, str(reg.path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        before = reg.state()
        r = reg.cli("register", "m", str(reg.artifact("m.bin")), "--version", "1.0.0")
        assert r.code == 1 and len(r.lines) == 1, r.err
        assert r.lines == [
            "modelreg: error: DVC could not track the artifacts: Unable to acquire lock. Most likely another "
            "DVC process is running or was terminated abruptly. Check the page "
            "<https://dvc.org/doc/user-guide/troubleshooting#lock-issue> for other possible reasons and to "
            "learn how to resolve this."
        ]
        _nothing_half_done(reg, before)
    finally:
        holder.kill()
        holder.communicate()
    assert reg.cli("register", "m", str(reg.artifact("m.bin")), "--version", "1.0.0").code == 0


# --- two registers race --------------------------------------------------------------------------

LOSING = (
    re.compile(
        r"^modelreg: error: another modelreg command \(register m@1\.0\.0, pid \d+\) is changing this "
        r"repository; wait for it to finish$"
    ),
    # the holder writes its pid just after it takes the lock: a loser in between sees none
    re.compile(r"^modelreg: error: another modelreg is writing this repository( \(pid \d+\))?; wait for it$"),
    re.compile(r"^modelreg: error: m@1\.0\.0 already exists; versions are never reused, pick a new one$"),
    re.compile(r"^modelreg: error: models/m/1\.0\.0 already exists; remove it or pick another version$"),
)


@pytest.mark.parametrize("stagger", [0.0, 0.4])
def test_two_registers_of_the_same_version_one_wins(reg: Reg, stagger: float) -> None:
    """The transaction journal is the lock: whatever the interleaving, one register commits,
    the other says why it did not, and nothing is corrupted."""
    first, second = reg.artifact("a/model.bin", "first"), reg.artifact("b/model.bin", "second")
    argv = [sys.executable, "-m", "modelreg", "register", "m", "--version", "1.0.0"]
    runs = []
    for artifact in (first, second):
        runs.append(
            subprocess.Popen(
                [*argv, str(artifact)],
                cwd=reg.path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        time.sleep(stagger)
    results = [(p.returncode, p.communicate(timeout=120)[1]) for p in runs]
    results = [(p.returncode, err) for p, (_, err) in zip(runs, results, strict=True)]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    (loser,) = [err.strip() for code, err in results if code == 1]
    assert any(p.match(loser) for p in LOSING), loser
    assert git("log", "--format=%s", cwd=reg.path).splitlines()[:2] == ["register m@1.0.0", "modelreg init"]
    assert git("status", "--porcelain", "--untracked-files=all", cwd=reg.path) == ""
    assert reg.cli("validate", "--remote").code == 0
    assert reg.cli("doctor").out.strip() == "no interrupted command to recover"
