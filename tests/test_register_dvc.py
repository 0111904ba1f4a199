"""What ``register`` writes for DVC is what DVC itself writes and reads.

``register`` tracks a new version's artifacts and pushes them without ``dvc add``/``dvc push``
(which load every pointer of the repository first). These tests hold it to DVC's formats: the
pointers and .gitignore are byte for byte what ``dvc add`` writes for the same files, the
remote holds the objects where ``dvc push`` puts them, and in a fresh clone the real ``dvc``
commands (``status -c``, ``pull``, ``checkout``, ``status``) agree with what was written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import Reg, git

DVC = [str(Path(sys.executable).with_name("dvc"))]


def dvc(*args: str, cwd: Path, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*DVC, *args], cwd=cwd, capture_output=True, text=True, env=os.environ)
    assert proc.returncode in ok, f"dvc {' '.join(args)}: {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def _artifacts(reg: Reg) -> tuple[Path, Path]:
    model = reg.artifact("out/model.onnx", b"\x00onnx weights\n" * 1000)
    folder = reg.scratch / "out" / "tokenizer"
    (folder / "nested").mkdir(parents=True)
    (folder / "vocab.txt").write_text("a\nb\nc\n")
    (folder / "nested" / "merges.txt").write_bytes(b"x y\r\nz w\r\n")  # CRLF: DVC 3 hashes bytes as they are
    (folder / "empty.bin").write_bytes(b"")
    return model, folder


def _register(reg: Reg, *files: Path, version: str = "1.0.0") -> None:
    result = reg.cli("register", "nlp", *map(str, files), "--version", version, "--owner", "@acme/nlp")
    assert result.code == 0, result.err


def test_pointers_and_gitignore_are_what_dvc_add_writes(reg: Reg, tmp_path: Path) -> None:
    model, folder = _artifacts(reg)
    _register(reg, model, folder)
    written = reg.path / "models/nlp/1.0.0"

    other = tmp_path / "plain"
    other.mkdir()
    git("init", "-q", cwd=other)
    dvc("init", "-q", cwd=other)
    (other / "v").mkdir()
    shutil.copyfile(model, other / "v" / model.name)
    shutil.copytree(folder, other / "v" / folder.name)
    dvc("add", "-q", f"v/{model.name}", f"v/{folder.name}", cwd=other)

    for name in (f"{model.name}.dvc", f"{folder.name}.dvc", ".gitignore"):
        assert (written / name).read_bytes() == (other / "v" / name).read_bytes(), name
    ours = sorted(
        p.relative_to(reg.path / ".dvc/cache").as_posix()
        for p in (reg.path / ".dvc/cache").rglob("*")
        if p.is_file()
    )
    theirs = sorted(
        p.relative_to(other / ".dvc/cache").as_posix()
        for p in (other / ".dvc/cache").rglob("*")
        if p.is_file()
    )
    assert ours == theirs
    assert all(p.startswith("files/md5/") for p in ours)


def test_a_fresh_clone_pulls_checks_out_and_finds_nothing_missing(reg: Reg, tmp_path: Path) -> None:
    model, folder = _artifacts(reg)
    _register(reg, model, folder)
    pointers = [f"models/nlp/1.0.0/{model.name}.dvc", f"models/nlp/1.0.0/{folder.name}.dvc"]
    stored = sorted(p.relative_to(reg.remote).as_posix() for p in reg.remote.rglob("*") if p.is_file())
    assert len(stored) == 5  # the file, the folder's three files and its .dir listing
    assert all(p.startswith("files/md5/") for p in stored)
    assert not dvc("status", "-c", "-q", *pointers, cwd=reg.path).returncode

    clone = tmp_path / "clone"
    git("clone", "-q", str(reg.path), str(clone), cwd=tmp_path)
    assert not (clone / "models/nlp/1.0.0" / model.name).exists()
    # before a pull: every object is in the remote and not in the clone's cache ("deleted")
    remote_only = dvc("status", "-c", *pointers, cwd=clone).stdout.split("\n")
    states = sorted(line.split()[0] for line in remote_only if line.strip())
    assert states == ["deleted:"] * 4, remote_only
    dvc("pull", "-q", *pointers, cwd=clone)
    assert (clone / "models/nlp/1.0.0" / model.name).read_bytes() == model.read_bytes()
    for inside in folder.rglob("*"):
        if inside.is_file():
            copy = clone / "models/nlp/1.0.0" / folder.name / inside.relative_to(folder)
            assert copy.read_bytes() == inside.read_bytes(), inside
    assert "up to date" in dvc("status", *pointers, cwd=clone).stdout.lower()
    assert not dvc("status", "-c", "-q", *pointers, cwd=clone).returncode  # cache and remote agree
    assert git("status", "--porcelain", cwd=clone) == ""  # the artifacts are ignored, as dvc add made them

    shutil.rmtree(clone / "models/nlp/1.0.0" / folder.name)
    (clone / "models/nlp/1.0.0" / model.name).unlink()
    dvc("checkout", "-q", *pointers, cwd=clone)
    assert (clone / "models/nlp/1.0.0" / model.name).read_bytes() == model.read_bytes()
    assert (
        clone / "models/nlp/1.0.0" / folder.name / "nested" / "merges.txt"
    ).read_bytes() == b"x y\r\nz w\r\n"


def test_a_second_version_with_the_same_bytes_pushes_nothing_new(reg: Reg) -> None:
    model, _ = _artifacts(reg)
    _register(reg, model)
    before = sorted(reg.remote.rglob("*"))
    _register(reg, model, version="1.0.1")
    assert sorted(reg.remote.rglob("*")) == before
    assert not dvc("status", "-c", "-q", "models/nlp/1.0.1/model.onnx.dvc", cwd=reg.path).returncode


def test_an_existing_pipeline_file_takes_dvc_add_and_still_registers(reg: Reg) -> None:
    """A dvc.yaml may declare outputs the new path overlaps: then DVC's own checks run."""
    reg.write("dvc.yaml", "stages: {}\n")
    reg.commit("a pipeline file")
    model, _ = _artifacts(reg)
    _register(reg, model)
    assert not dvc("status", "-c", "-q", "models/nlp/1.0.0/model.onnx.dvc", cwd=reg.path).returncode
