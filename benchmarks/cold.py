"""The cold paths: a deployment job or a CI run that starts from a fresh clone (or no clone).

Each case runs in a fresh copy of a pristine clone of the benchmark registry, made before each
run and not timed: ``git clone --no-local`` once per kind (full, ``--depth 1``, a pull-request
branch checked out), then ``cp -al`` of that clone per run (hard links: its files as cloned, the
template untouched since every writer renames new files into place), which is the same files
as cloning again at a fraction of the wait. The remote read asks a ``git daemon`` on 127.0.0.1 serving a
bare copy (refs packed, ``uploadpack.allowFilter`` on) with an empty modelreg cache per run.
Everything lives under a scratch folder; the benchmark registry itself is only read.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import floors


def _git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=True, text=True).stdout


class Fresh:
    """Pristine clones of ``repo`` under ``scratch``, made when first asked for, and copies of them."""

    def __init__(self, repo: Path, scratch: Path) -> None:
        self.repo = repo
        self.scratch = scratch
        self._daemon: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.remote_dir = self._remote_dir()

    def _remote_dir(self) -> Path | None:
        """The folder of the registry's default DVC remote, if it exists (a relative one is
        resolved against the registry's .dvc/, as DVC does)."""
        config = self.repo / ".dvc" / "config"
        if not config.is_file():
            return None
        from modelreg.rules.dvcconfig import committed_default_remote

        found = committed_default_remote(config.read_text())
        if found is None or "://" in found[1]:
            return None
        folder = Path(os.path.normpath(self.repo / ".dvc" / found[1]))
        return folder if folder.is_dir() else None

    def template(self, kind: str) -> Path:
        where = self.scratch / f"template-{kind}"
        if where.exists():
            return where
        self.scratch.mkdir(parents=True, exist_ok=True)
        tmp = self.scratch / f"template-{kind}.partial"
        shutil.rmtree(tmp, ignore_errors=True)
        if kind == "depth1":
            _git("clone", "-q", "--depth", "1", f"file://{self.repo}", str(tmp))
        else:
            _git("clone", "-q", "--no-local", str(self.repo), str(tmp))
            if kind in ("add", "promote"):  # a pull request's head, main beside it
                _git("checkout", "-q", "-b", f"bench/{kind}", f"origin/bench/{kind}", cwd=tmp)
        if self.remote_dir is not None:  # DVC's relative path would point beside the copy
            (tmp / ".dvc" / "config.local").write_text(
                f"['remote \"storage\"']\n    url = {self.remote_dir}\n"
            )
        tmp.rename(where)
        return where

    @contextlib.contextmanager
    def copy(self, kind: str) -> Iterator[Path]:
        """A fresh copy of the ``kind`` clone for one run, removed after it."""
        template = self.template(kind)
        run_dir = self.scratch / f"run-{kind}"
        shutil.rmtree(run_dir, ignore_errors=True)
        # Hard links: the same files as a fresh clone's (what Git's index says of them holds),
        # made in seconds where copying 60,000 files took minutes on a loaded machine. Git,
        # DVC and modelreg write new files and rename them into place, so the template stays
        # as cloned; a copy with new inodes would have Git re-hash every file once.
        subprocess.run(["cp", "-al", "--", str(template), str(run_dir)], check=True)
        logs = run_dir / ".git" / "logs"  # reflogs are appended to in place: their own copy
        if logs.exists():
            shutil.rmtree(logs)
            subprocess.run(["cp", "-a", "--", str(template / ".git" / "logs"), str(logs)], check=True)
        try:
            yield run_dir
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)

    @staticmethod
    def use_remote(where: Path, remote: Path, *, empty: bool) -> None:
        """Make ``remote`` (emptied first when ``empty``) the DVC remote of the clone ``where``."""
        if empty:
            shutil.rmtree(remote, ignore_errors=True)
        remote.mkdir(parents=True, exist_ok=True)
        (where / ".dvc" / "config.local").write_text(f"['remote \"storage\"']\n    url = {remote}\n")

    @contextlib.contextmanager
    def empty_cache(self) -> Iterator[Path]:
        """An empty folder to run in, with its own (empty) modelreg cache."""
        run_dir = self.scratch / "run-remote"
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True)
        try:
            yield run_dir
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)

    def serve(self) -> str:
        """The URL of a git daemon on 127.0.0.1 serving a bare copy of the registry."""
        if self._daemon is not None:
            return self.url
        bare = self.scratch / "served" / "registry.git"
        if not bare.exists():
            tmp = bare.with_name("registry.partial")
            shutil.rmtree(tmp, ignore_errors=True)
            _git("clone", "-q", "--bare", "--no-local", str(self.repo), str(tmp))
            _git("config", "uploadpack.allowFilter", "true", cwd=tmp)
            _git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=tmp)
            tmp.rename(bare)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self._daemon = subprocess.Popen(
            [
                "git",
                "daemon",
                "--reuseaddr",
                "--export-all",
                "--enable=upload-pack",
                "--listen=127.0.0.1",
                f"--port={port}",
                f"--base-path={bare.parent}",
                str(bare.parent),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.url = f"git://127.0.0.1:{port}/registry.git"
        return self.url

    def close(self) -> None:
        if self._daemon is not None:
            self._daemon.terminate()
            self._daemon.wait(timeout=10)
            self._daemon = None


def changed_blobs(base: str) -> floors.Floor:
    """What a change is: the diff of two trees, then the blobs it names on the head side."""

    def steps(run: Callable[..., bytes]) -> None:
        out = run(["git", "diff", "--raw", "--no-abbrev", "-z", base, "HEAD", "--", *floors.REGISTRY_PATHS])
        blobs = []
        for field in out.split(b"\0"):
            if field.startswith(b":"):
                new = field.split()[3].decode()
                if new != "0" * 40:
                    blobs.append(new)
        floors.cat_blobs(run, blobs)

    return floors.Floor(f"git diff --raw {base} HEAD + cat-file --batch (the changed blobs)", steps)


def partial_fetch(fresh: Fresh, scratch: Path, name: str) -> floors.Floor:
    """The raw fetches a remote read needs: one commit with its top folder, one model's folder."""

    def steps(run: Callable[..., bytes]) -> None:
        url = fresh.serve()
        where = scratch / "floor-remote"
        shutil.rmtree(where, ignore_errors=True)
        run(["git", "init", "-q", str(where)])
        for key, value in (
            ("core.repositoryformatversion", "1"),
            ("extensions.partialClone", "origin"),
            ("remote.origin.promisor", "true"),
            ("remote.origin.url", url),
        ):
            run(["git", "-C", str(where), "config", key, value])
        fetch = ["git", "-C", str(where), "fetch", "-q", "--no-tags", "--no-write-fetch-head"]
        run([*fetch, "--depth=1", "--filter=tree:2", "origin", "+HEAD:refs/t"])
        tree = run(["git", "-C", str(where), "rev-parse", f"refs/t:models/{name}"]).decode().strip()
        noop = ["git", "-C", str(where), "-c", "fetch.negotiationAlgorithm=noop", "fetch", "-q", "--no-tags"]
        run([*noop, "--no-write-fetch-head", "--recurse-submodules=no", "origin", tree])
        run(
            ["git", "-C", str(where), "cat-file", "--batch"],
            stdin=f"refs/t:models/{name}/stages.yaml\n".encode(),
        )

    return floors.Floor(
        "git fetch --depth 1 --filter=tree:2 (the commit, its top folder) + fetch of models/NAME by id", steps
    )
