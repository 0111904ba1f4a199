"""Reading a registry from a Git URL without a clone (``--repo URL``, ``Registry.remote``),
against a real ``git daemon`` on 127.0.0.1: what is fetched, what is answered, what is refused."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Reg, cli, git
from moto_s3 import free_port

from modelreg.domain.errors import InvalidInputError
from modelreg.registry import Registry

pytestmark = pytest.mark.slow  # a real git daemon on 127.0.0.1

EXTRA_MODELS = 30


@dataclass
class Served:
    """A bare copy of a registry, served by ``git daemon`` at ``url``."""

    bare: Path
    url: str
    work: Path  # the registry it was copied from: commit there, then ``publish``

    def publish(self) -> None:
        git("push", "-q", "--force", str(self.bare), "HEAD:refs/heads/main", cwd=self.work)


def _grow(reg: Reg) -> None:
    """Many models: copies of fraud (three versions, one in production) as fraud-NN."""
    source = reg.path / "models" / "fraud"
    for n in range(EXTRA_MODELS):
        name = f"fraud-{n:02d}"
        target = reg.path / "models" / name
        shutil.copytree(source, target)
        for path in target.rglob("*.yaml"):
            path.write_text(path.read_text().replace("fraud", name))
    reg.commit(f"{EXTRA_MODELS} more models")


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture
def served(populated: Reg, tmp_path: Path) -> Iterator[Served]:
    _grow(populated)
    base = tmp_path / "served"
    base.mkdir()
    bare = base / "registry.git"
    git("clone", "-q", "--bare", "--no-local", str(populated.path), str(bare), cwd=tmp_path)
    git("config", "uploadpack.allowFilter", "true", cwd=bare)
    git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=bare)
    port = free_port()
    daemon = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--export-all",
            "--enable=upload-pack",
            "--listen=127.0.0.1",
            f"--port={port}",
            f"--base-path={base}",
            str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port)
        yield Served(bare, f"git://127.0.0.1:{port}/registry.git", populated.path)
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


def _copies(home: Path) -> list[Path]:
    root = home / ".cache" / "modelreg" / "repos"
    return [p for p in root.iterdir() if p.is_dir()] if root.is_dir() else []


def _objects(repo: Path, kind: str) -> int:
    """How many objects of ``kind`` the repository holds (never fetching any)."""
    out = git("cat-file", "--batch-all-objects", "--batch-check=%(objecttype)", cwd=repo)
    return out.split().count(kind)


def test_show_and_pull_fetch_one_models_files_of_many(served: Served, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    r = cli("show", "--repo", served.url, "fraud-07@production", "--format", "json", cwd=out)
    assert r.code == 0, r.err
    assert (
        '"name": "fraud-07"' in r.out and '"version": "1.1.0"' in r.out and '"stage": "production"' in r.out
    )
    (copy,) = _copies(Path.home())
    assert (copy / ".git" / "shallow").is_file()  # one commit, not the history
    held = _objects(copy, "blob")
    registry_blobs = _objects(served.bare, "blob")
    model_files = len(
        git("ls-tree", "-r", "--name-only", "main", "--", "models/fraud-07", cwd=served.bare).split()
    )
    top_files = len(git("ls-tree", "--name-only", "main", cwd=served.bare).split())
    dvc_files = len(git("ls-tree", "-r", "--name-only", "main", "--", ".dvc", cwd=served.bare).split())
    assert held <= model_files + top_files + dvc_files, (held, model_files)
    assert registry_blobs > 10 * held, (registry_blobs, held)
    assert _objects(copy, "tree") < 40  # the models folder's entries, not their contents

    r = cli("pull", "--repo", served.url, "fraud-07@production", cwd=out)  # into the current folder
    assert r.code == 0, r.err
    assert (out / "model.bin").read_bytes() == b"fraud-1.1.0"  # the copies share fraud's bytes
    assert "md5 verified" in r.out
    assert _objects(copy, "blob") == held  # the same model: nothing fetched again

    r = cli("pull", "--repo", served.url, "fraud-11@1.0.0", "-o", str(out / "old.bin"), cwd=out)
    assert r.code == 0, r.err
    assert (out / "old.bin").read_bytes() == b"fraud-1.0.0"
    assert held < _objects(copy, "blob") <= held + model_files  # one more model's files
    assert not (out / "models").exists() and _copies(Path.home()) == [copy]


def test_the_copy_follows_the_server_and_reads_tags_and_commits(served: Served, tmp_path: Path) -> None:
    before = git("rev-parse", "HEAD", cwd=served.work).strip()
    git("tag", "v1", cwd=served.work)
    git("push", "-q", str(served.bare), "v1", cwd=served.work)
    r = cli("show", "--repo", served.url, "fraud-03@production", cwd=tmp_path)
    assert r.code == 0 and r.out.startswith("fraud-03@1.1.0  (production)"), r.err

    (served.work / "models/fraud-03/stages.yaml").write_text("production: 1.2.0\narchived: [1.0.0, 1.1.0]\n")
    git("commit", "-qam", "promote fraud-03@1.2.0", cwd=served.work)
    served.publish()
    r = cli("show", "--repo", served.url, "fraud-03@production", cwd=tmp_path)
    assert r.code == 0 and r.out.startswith("fraud-03@1.2.0  (production)"), r.err  # fetched on use
    for rev in ("v1", before):
        r = cli("show", "--repo", served.url, "--at", rev, "fraud-03@production", cwd=tmp_path)
        assert r.code == 0 and r.out.startswith("fraud-03@1.1.0  (production)"), (rev, r.err)


def test_registry_remote_api(served: Served, tmp_path: Path) -> None:
    remote = Registry.remote(served.url, cache_dir=tmp_path / "cache")
    assert remote.commit == git("rev-parse", "main", cwd=served.bare).strip()
    assert "fraud-29" in remote.model_names() and len(remote.model_names()) == EXTRA_MODELS + 2
    assert remote.get("fraud@production").version == "1.1.0"
    assert [v.version for v in remote.versions("fraud-01")] == ["1.0.0", "1.1.0", "1.2.0"]
    with remote.open_artifact("fraud-01@latest") as stream:
        assert stream.read() == b"fraud-1.2.0"
    result = remote.pull("fraud@1.0.0", tmp_path / "m.bin")
    assert (tmp_path / "m.bin").read_bytes() == b"fraud-1.0.0" and result.commit == remote.commit
    assert remote.model_registry("fraud").model("fraud").stages == {
        "production": ["1.1.0"],
        "archived": ["1.0.0"],
        "development": ["1.2.0"],
    }
    assert [p.name for p in (tmp_path / "cache").iterdir() if p.is_dir()] != []


def test_a_relative_local_dvc_remote(served: Served, populated: Reg, tmp_path: Path) -> None:
    """DVC keeps a local remote relative to .dvc/: found beside a local URL, out of reach of
    a network one (one line), while the documents still read."""
    relative = Path("..") / ".." / populated.remote.name
    config = served.work / ".dvc" / "config"
    config.write_text(config.read_text().replace(str(populated.remote), str(relative)))
    git("commit", "-qam", "a relative DVC remote", cwd=served.work)
    served.publish()

    r = cli("show", "--repo", served.url, "fraud@production", cwd=tmp_path)
    assert r.code == 0, r.err
    r = cli("pull", "--repo", served.url, "fraud@production", cwd=tmp_path)
    assert r.code == 1 and len(r.lines) == 1, r.err
    assert "is a folder relative to its checkout (../../remote)" in r.err and "Traceback" not in r.err
    assert not (tmp_path / "model.bin").exists()

    local = Registry.remote(f"file://{served.work}", cache_dir=tmp_path / "cache")
    local.pull("fraud@production", tmp_path / "p.bin")
    assert (tmp_path / "p.bin").read_bytes() == b"fraud-1.1.0"


def test_bad_url_unreachable_server_unknown_ref(served: Served, tmp_path: Path) -> None:
    closed = free_port()
    plain = tmp_path / "plain"
    plain.mkdir()
    git("init", "-q", cwd=plain)
    git("commit", "-q", "--allow-empty", "-m", "nothing", cwd=plain)
    cases = [
        (
            ["show", "--repo", f"git://127.0.0.1:{closed}/registry.git", "fraud@production"],
            "cannot read git://",
        ),
        (
            ["show", "--repo", served.url.replace("registry", "nothing"), "fraud@production"],
            "cannot read git://",
        ),
        (
            ["pull", "--repo", served.url, "--at", "no-such-branch", "fraud@production"],
            "no branch, tag or commit",
        ),
        (["show", "--repo", served.url, "--at", "-x", "fraud@production"], "not a branch, tag or commit"),
        (["show", "--repo", "ext::sh -c touch% /tmp/x", "fraud@production"], "no such directory"),
        (["show", "--repo", served.url, "nope@production"], "no model 'nope'"),
        (["show", "--repo", served.url, "fraud@9.9.9"], "does not exist"),
        (["show", "--repo", f"file://{plain}", "fraud@production"], "not a modelreg registry"),
        (["show", "--repo", "https://user:hunter2@127.0.0.1:1/x.git", "fraud@production"], "***@127.0.0.1"),
    ]
    for args, said in cases:
        r = cli(*args, cwd=tmp_path)
        assert r.code == 1, (args, r.out)
        assert len(r.lines) == 1 and said in r.err and "Traceback" not in r.err, (args, r.err)
        assert "hunter2" not in r.err
    assert not list(tmp_path.glob("*.bin")) and not (tmp_path / "model.bin").exists()
    with pytest.raises(InvalidInputError, match="not a Git URL"):
        Registry.remote("ext::sh -c touch% /tmp/x", cache_dir=tmp_path / "cache")
