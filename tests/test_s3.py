"""The artifact round trip against a real S3 API: moto's server on 127.0.0.1."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Reg, git
from moto_s3 import S3Server, run_server, s3_env

from modelreg.registry import Registry

pytestmark = pytest.mark.slow  # a moto S3 server and DVC's S3 remote


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    yield from run_server(tmp_path_factory.mktemp("moto"))


@pytest.fixture
def s3reg(
    s3: S3Server, tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Reg, str, dict[str, str]]:
    """A registry whose default remote is a fresh bucket; credentials in the environment."""
    from modelreg.operations.scaffold import init

    env = s3_env(monkeypatch, isolated_env)
    bucket = s3.bucket()
    path = tmp_path / "registry"
    init(path, remote=f"s3://{bucket}/registry", remote_options={"endpointurl": s3.endpoint}, name="t")
    return Reg(path, tmp_path / "unused", tmp_path / "scratch"), bucket, env


def _drop_local_copies(reg: Reg) -> None:
    shutil.rmtree(reg.path / ".dvc" / "cache", ignore_errors=True)
    for pointer in (reg.path / "models").glob("*/*/*.dvc"):
        target = pointer.with_suffix("")
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def test_s3_round_trip(s3: S3Server, s3reg: tuple[Reg, str, dict[str, str]]) -> None:
    reg, bucket, env = s3reg
    reg.register("fraud", "1.0.0", description="first")
    reg.register("fraud", "1.1.0", description="second")
    reg.write("models/fraud/stages.yaml", "production: 1.0.0\n")
    reg.commit("promote fraud@1.0.0")
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\narchived: [1.0.0]\n")
    reg.commit("promote fraud@1.1.0")
    config = (reg.path / ".dvc" / "config").read_text()
    assert f"endpointurl = {s3.endpoint}" in config and "testing" not in config
    md5 = Registry(reg.path).get("fraud@1.0.0").manifest.artifacts[0].md5
    assert f"registry/files/md5/{md5[:2]}/{md5[2:]}" in s3.keys(bucket)

    _drop_local_copies(reg)
    r = reg.cli("pull", "fraud@1.0.0", env=env)
    assert r.code == 0, r.err
    assert (reg.path / "models/fraud/1.0.0/model.bin").read_bytes() == b"fraud-1.0.0"
    r = reg.cli("pull", "fraud@production", "-o", str(reg.scratch / "prod.bin"), env=env)
    assert r.code == 0, r.err
    assert (reg.scratch / "prod.bin").read_bytes() == b"fraud-1.1.0"
    r = reg.cli("pull", "fraud@production", "--at", "HEAD~1", "-o", str(reg.scratch / "old.bin"), env=env)
    assert r.code == 0, r.err
    assert (reg.scratch / "old.bin").read_bytes() == b"fraud-1.0.0"
    assert reg.cli("validate", "--remote", env=env).code == 0

    shutil.rmtree(reg.path / ".dvc" / "cache")
    with Registry(reg.path).open_artifact("fraud@production") as f:  # streamed from S3
        assert f.read() == b"fraud-1.1.0"
    assert not (reg.path / ".dvc" / "cache" / "files").exists()
    assert Registry(reg.path).artifact_path("fraud@1.1.0").read_bytes() == b"fraud-1.1.0"
    assert git("status", "--porcelain", cwd=reg.path) == ""


def test_s3_folder_artifact_and_a_missing_object(
    s3: S3Server, s3reg: tuple[Reg, str, dict[str, str]]
) -> None:
    from modelreg.operations.register import RegisterRequest, register

    reg, bucket, env = s3reg
    folder = reg.scratch / "weights"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.bin").write_bytes(b"a" * 100)
    (folder / "sub" / "b.bin").write_bytes(b"b" * 200)
    register(reg.path, RegisterRequest(name="vision", files=[folder], version="2.0.0"))
    _drop_local_copies(reg)
    r = reg.cli("pull", "vision@2.0.0", "-o", str(reg.scratch / "out"), env=env)
    assert r.code == 0, r.err
    assert (reg.scratch / "out" / "sub" / "b.bin").read_bytes() == b"b" * 200

    b_key = next(k for k in s3.keys(bucket) if k.endswith("/" + _md5(b"b" * 200)[2:]))
    s3.delete(bucket, b_key)
    r = reg.cli("validate", "--remote", env=env)
    assert r.code == 1
    assert "vision@2.0.0: models/vision/2.0.0/weights/sub/b.bin" in r.out
    assert f"is not in the DVC remote 'storage' (s3://{bucket}/registry)" in r.out
    assert "push it with `dvc push models/vision/2.0.0/weights.dvc`" in r.out


def _md5(data: bytes) -> str:
    import hashlib

    return hashlib.md5(data).hexdigest()


def test_s3_credentials_from_dvc_local_config(
    s3reg: tuple[Reg, str, dict[str, str]], isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg, _, _ = s3reg
    reg.register("fraud", "1.0.0")
    _drop_local_copies(reg)
    env = s3_env(monkeypatch, isolated_env, credentials=False)
    r = reg.cli("pull", "fraud@1.0.0", env=env)
    assert r.code == 1 and "cannot reach the DVC remote 'storage'" in r.err
    assert "Unable to locate credentials" in r.err and len(r.lines) == 1

    for key, value in (("access_key_id", "local-id"), ("secret_access_key", "local-secret")):
        modify = subprocess.run(
            [sys.executable, "-m", "dvc", "remote", "modify", "--local", "storage", key, value],
            cwd=reg.path,
            capture_output=True,
            text=True,
        )
        assert modify.returncode == 0, modify.stderr
    r = reg.cli("pull", "fraud@1.0.0", env=env)
    assert r.code == 0, r.err
    assert (reg.path / "models/fraud/1.0.0/model.bin").read_bytes() == b"fraud-1.0.0"
    assert git("status", "--porcelain", cwd=reg.path) == ""  # config.local stays out of Git
    r = reg.cli("validate", "--remote", env=env)
    assert r.code == 0, r.out + r.err
