"""Artifacts end to end with a local folder remote: pull, open_artifact, artifact_path, faults."""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Reg, cli, git

from modelreg.registry import Registry

pytestmark = pytest.mark.slow  # artifacts pushed and pulled through DVC


def drop_local_copies(reg: Reg) -> None:
    """What a fresh clone has: pointers and manifests, no DVC cache, no artifact files."""
    shutil.rmtree(reg.path / ".dvc" / "cache", ignore_errors=True)
    for pointer in (reg.path / "models").glob("*/*/*.dvc"):
        target = pointer.with_suffix("")
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def cache_object(reg: Reg, md5: str) -> Path:
    return reg.path / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]


def remote_object(reg: Reg, md5: str) -> Path:
    return reg.remote / "files" / "md5" / md5[:2] / md5[2:]


def md5_of(reg: Reg, ref: str) -> str:
    return Registry(reg.path).get(ref).manifest.artifacts[0].md5


def damage(path: Path) -> None:
    path.chmod(0o644)
    data = path.read_bytes()
    path.write_bytes(bytes([data[0] ^ 0xFF]) + data[1:])


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*modelreg-tmp*")) if folder.exists() else []


def register_folder(reg: Reg, name: str = "vision", version: str = "1.0.0", **fields: object) -> Path:
    from modelreg.operations.register import RegisterRequest, register

    folder = reg.scratch / f"{name}-{version}" / "weights"
    for rel, content in {"a.bin": b"layer-a", "sub/b.bin": b"layer-b" * 1000, "sub/c.txt": b"c"}.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(content)
    config = reg.artifact(f"{name}-{version}/config.json", '{"layers": 2}')
    register(reg.path, RegisterRequest(name=name, files=[folder, config], version=version, **fields))  # type: ignore[arg-type]
    return folder


# --- round trips ---------------------------------------------------------------------------


def test_pull_by_version_stage_and_at_after_losing_cache_and_copies(populated: Reg) -> None:
    reg = populated
    reg.write("models/fraud/stages.yaml", "production: 1.2.0\narchived: [1.0.0, 1.1.0]\n")
    reg.commit("promote fraud@1.2.0 to production")
    drop_local_copies(reg)

    r = reg.cli("pull", "fraud@1.0.0")
    assert r.code == 0, r.err
    assert (reg.path / "models/fraud/1.0.0/model.bin").read_bytes() == b"fraud-1.0.0"
    assert "md5 verified" in r.out
    assert cache_object(reg, md5_of(reg, "fraud@1.0.0")).is_file()  # through the cache, like dvc pull

    r = reg.cli("pull", "fraud@production", "-o", str(reg.scratch / "prod.bin"))
    assert r.code == 0, r.err
    assert (reg.scratch / "prod.bin").read_bytes() == b"fraud-1.2.0"

    r = reg.cli("pull", "fraud@production", "--at", "HEAD~1", "-o", str(reg.scratch / "was-prod.bin"))
    assert r.code == 0, r.err
    assert (reg.scratch / "was-prod.bin").read_bytes() == b"fraud-1.1.0"
    assert "as of" in r.out

    r = reg.cli("pull", "churn@latest", "-o", str(reg.scratch / "out") + "/", "--format", "json")
    assert r.code == 0, r.err
    assert (reg.scratch / "out" / "model.bin").read_bytes() == b"churn-0.1.0"
    assert '"ref": "churn@0.1.0"' in r.out
    assert git("status", "--porcelain", cwd=reg.path) == ""


def test_pull_at_a_revision_without_the_version_in_the_work_tree(populated: Reg) -> None:
    reg = populated
    old = git("rev-parse", "HEAD", cwd=reg.path).strip()
    git("rm", "-rq", "models/churn", cwd=reg.path)
    reg.commit("drop churn")
    drop_local_copies(reg)
    r = reg.cli("pull", "churn@0.1.0", "--at", old, "-o", str(reg.scratch / "churn.bin"))
    assert r.code == 0, r.err
    assert (reg.scratch / "churn.bin").read_bytes() == b"churn-0.1.0"
    r = reg.cli("pull", "churn@0.1.0", "--at", "no-such-rev")
    assert r.code == 1 and "--at 'no-such-rev' is neither a revision" in r.err


def test_folder_artifact_round_trip(reg: Reg) -> None:
    source = register_folder(reg)
    drop_local_copies(reg)
    r = reg.cli("pull", "vision@1.0.0")
    assert r.code == 0, r.err
    pulled = reg.path / "models/vision/1.0.0/weights"
    for rel in ("a.bin", "sub/b.bin", "sub/c.txt"):
        assert (pulled / rel).read_bytes() == (source / rel).read_bytes()
    assert "3 files" in r.out

    r = reg.cli("pull", "vision@1.0.0", "--file", "weights/sub/b.bin", "-o", str(reg.scratch / "b.bin"))
    assert r.code == 0, r.err
    assert (reg.scratch / "b.bin").read_bytes() == b"layer-b" * 1000

    r = reg.cli("pull", "vision@1.0.0", "--file", "weights", "-o", str(reg.scratch / "w"))
    assert r.code == 0, r.err
    assert sorted(p.name for p in (reg.scratch / "w").rglob("*")) == ["a.bin", "b.bin", "c.txt", "sub"]

    r = reg.cli("pull", "vision@1.0.0", "--file", "weights/missing.bin")
    assert r.code == 1 and "has no file 'missing.bin'" in r.err
    r = reg.cli("pull", "vision@1.0.0", "--file", "nope")
    assert r.code == 1 and "it has: weights, config.json" in r.err


def test_pull_replaces_a_stale_folder_in_place(reg: Reg) -> None:
    register_folder(reg)
    stale = reg.path / "models/vision/1.0.0/weights"
    (stale / "a.bin").write_bytes(b"edited")
    (stale / "extra.bin").write_bytes(b"not tracked")
    r = reg.cli("pull", "vision@1.0.0", "--file", "weights", "-q")
    assert r.code == 0 and r.out == "" and r.err == ""
    assert (stale / "a.bin").read_bytes() == b"layer-a"
    assert not (stale / "extra.bin").exists()
    assert leftovers(stale.parent) == []


# --- the Python API ------------------------------------------------------------------------


def test_open_artifact_streams_verified_bytes_without_filling_the_cache(populated: Reg) -> None:
    drop_local_copies(populated)
    registry = Registry(populated.path)
    with registry.open_artifact("fraud@production") as f:
        assert f.read(3) == b"fra"
        assert f.read() == b"ud-1.1.0"
    assert not (populated.path / ".dvc" / "cache" / "files").exists()
    with Registry(populated.path, rev="HEAD~1").open_artifact("fraud@latest", "model.bin") as f:
        assert f.read() == b"fraud-1.2.0"


def test_open_artifact_seeks_and_reads_lines(reg: Reg) -> None:
    reg.register("text", "1.0.0", content="line one\nline two\n")
    with Registry(reg.path).open_artifact("text@1.0.0") as f:
        assert f.readline() == b"line one\n"
        f.seek(5)
        assert f.read(3) == b"one"
        assert f.tell() == 8
        f.seek(0)
        assert f.read() == b"line one\nline two\n"


def test_open_artifact_names_files_of_folders(reg: Reg) -> None:
    register_folder(reg)
    registry = Registry(reg.path)
    with registry.open_artifact("vision@1.0.0", "weights/sub/b.bin") as f:
        assert f.read() == b"layer-b" * 1000
    from modelreg.domain.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match=r"has 2 artifacts \(weights, config.json\)"):
        registry.open_artifact("vision@1.0.0")
    with pytest.raises(InvalidInputError, match=r"folder of 3 files; name one, e.g. file='weights/a.bin'"):
        registry.open_artifact("vision@1.0.0", "weights")


def test_artifact_path_pulls_into_the_cache_and_work_tree(populated: Reg) -> None:
    drop_local_copies(populated)
    registry = Registry(populated.path)
    path = registry.artifact_path("fraud@production")
    assert path == populated.path / "models/fraud/1.1.0/model.bin"
    assert path.read_bytes() == b"fraud-1.1.0"
    assert cache_object(populated, md5_of(populated, "fraud@1.1.0")).is_file()
    assert registry.artifact_path("fraud@production") == path  # already there: verified, kept


def test_artifact_path_of_a_version_the_work_tree_no_longer_has(populated: Reg) -> None:
    reg = populated
    git("rm", "-rq", "models/churn", cwd=reg.path)
    reg.commit("drop churn")
    path = Registry(reg.path, rev="HEAD~1").artifact_path("churn@0.1.0")
    assert path == reg.path / ".dvc/tmp/modelreg/models/churn/0.1.0/model.bin"
    assert path.read_bytes() == b"churn-0.1.0"
    assert git("status", "--porcelain", cwd=reg.path) == ""


def test_artifact_path_of_a_folder_and_of_a_version(reg: Reg) -> None:
    register_folder(reg)
    drop_local_copies(reg)
    registry = Registry(reg.path)
    version_dir = registry.artifact_path("vision@1.0.0")
    assert version_dir == reg.path / "models/vision/1.0.0"
    assert (version_dir / "weights/sub/c.txt").read_bytes() == b"c"
    assert (version_dir / "config.json").read_text() == '{"layers": 2}'


# --- faults --------------------------------------------------------------------------------


def test_damaged_cache_object_is_detected_and_nothing_is_written(populated: Reg) -> None:
    reg = populated
    (reg.path / "models/fraud/1.1.0/model.bin").unlink()
    damage(cache_object(reg, md5_of(reg, "fraud@1.1.0")))
    before = reg.state()

    r = reg.cli("pull", "fraud@1.1.0")
    assert r.code == 1
    assert len(r.lines) == 1 and "Traceback" not in r.err
    assert "does not match" in r.err and "copy in the DVC cache is damaged: delete" in r.err
    assert "nothing was written" in r.err
    assert not (reg.path / "models/fraud/1.1.0/model.bin").exists()
    assert leftovers(reg.path / "models") == []
    assert reg.state() == before

    out = reg.scratch / "new-folder" / "deeper" / "model.bin"
    r = reg.cli("pull", "fraud@1.1.0", "-o", str(out))
    assert r.code == 1
    assert not (reg.scratch / "new-folder").exists()

    from modelreg.operations.artifacts import ArtifactError

    with Registry(reg.path).open_artifact("fraud@1.1.0") as f, pytest.raises(ArtifactError, match="damaged"):
        f.read()


def test_damaged_remote_object_is_detected(populated: Reg) -> None:
    reg = populated
    drop_local_copies(reg)
    md5 = md5_of(reg, "fraud@1.0.0")
    damage(remote_object(reg, md5))
    r = reg.cli("pull", "fraud@1.0.0")
    assert r.code == 1
    assert "copy in the DVC remote 'storage'" in r.err and "is damaged" in r.err
    assert not cache_object(reg, md5).exists()  # a bad object never enters the cache
    assert not (reg.path / "models/fraud/1.0.0/model.bin").exists()
    assert leftovers(reg.path) == []


def test_object_missing_everywhere(populated: Reg) -> None:
    reg = populated
    drop_local_copies(reg)
    remote_object(reg, md5_of(reg, "churn@0.1.0")).unlink()
    r = reg.cli("pull", "churn@0.1.0", "-o", str(reg.scratch / "c.bin"))
    assert r.code == 1
    assert "churn@0.1.0: models/churn/0.1.0/model.bin" in r.err
    assert "neither in the DVC cache nor in the DVC remote 'storage'" in r.err
    assert "dvc push models/churn/0.1.0/model.bin.dvc" in r.err
    assert not (reg.scratch / "c.bin").exists()


def test_a_failing_artifact_leaves_the_others_unwritten(reg: Reg) -> None:
    register_folder(reg)
    drop_local_copies(reg)
    listing = md5_of(reg, "vision@1.0.0")
    registry = Registry(reg.path)
    config_md5 = registry.get("vision@1.0.0").manifest.artifacts[1].md5
    remote_object(reg, config_md5).unlink()
    r = reg.cli("pull", "vision@1.0.0", "-o", str(reg.scratch / "all"))
    assert r.code == 1 and "config.json" in r.err
    assert not (reg.scratch / "all").exists()
    assert remote_object(reg, listing).is_file()


def test_missing_local_remote_folder_is_unreachable(populated: Reg) -> None:
    drop_local_copies(populated)
    shutil.rmtree(populated.remote)
    r = populated.cli("pull", "fraud@1.0.0")
    assert r.code == 1
    assert "cannot reach the DVC remote 'storage'" in r.err and "does not exist" in r.err


# --- proof that the bytes were pushed ------------------------------------------------------


def test_validate_remote_names_the_missing_object_and_the_push_command(populated: Reg) -> None:
    reg = populated
    r = reg.cli("validate", "--remote")
    assert r.code == 0
    said = re.search(
        r"^checked (\d+) objects of (\d+) versions in the DVC remote 'storage' \((.+)\): all there$",
        r.out,
        re.M,
    )
    assert said is not None, r.out  # what it asked the remote: how much, and which remote
    assert int(said[1]) >= int(said[2]) >= 3 and said[3] == str(reg.remote)
    remote_object(reg, md5_of(reg, "fraud@1.1.0")).unlink()
    r = reg.cli("validate", "--remote")
    assert r.code == 1
    assert (
        f"checked {said[1]} objects of {said[2]} versions in the DVC remote 'storage' ({reg.remote}): 1 missing"
        in r.err
    )
    assert (
        "models/fraud/1.1.0/model.bin.dvc: fraud@1.1.0: models/fraud/1.1.0/model.bin (md5 " in r.out
        and "is not in the DVC remote 'storage'" in r.out
        and "push it with `dvc push models/fraud/1.1.0/model.bin.dvc`" in r.out
    )
    assert reg.cli("validate").code == 0  # without --remote nothing is asked of the remote
    reg.write("models/churn/9.9.9.yaml", "name: [unclosed\n")
    r = reg.cli("validate", "--remote")
    assert r.code == 1 and "models/churn/9.9.9.yaml:2: invalid YAML" in r.out and "fraud@1.1.0" in r.out
    (reg.path / "models/churn/9.9.9.yaml").unlink()
    r = reg.cli("validate", "--remote", "models/churn")
    assert r.code == 0, r.out
    assert re.search(r"^checked 1 object of 1 version in the DVC remote", r.out, re.M), r.out


def test_register_without_push_fails_validate_remote_until_pushed(reg: Reg) -> None:
    reg.register("fraud", "1.0.0", push=False)
    r = reg.cli("validate", "--remote", "--format", "json")
    assert r.code == 1
    assert '"rule": "remote"' in r.out and "dvc push models/fraud/1.0.0/model.bin.dvc" in r.out
    push = subprocess.run(
        [sys.executable, "-m", "dvc", "push", "-q", "models/fraud/1.0.0/model.bin.dvc"],
        cwd=reg.path,
        capture_output=True,
        text=True,
    )
    assert push.returncode == 0, push.stderr
    assert reg.cli("validate", "--remote").code == 0


def test_missing_file_of_a_folder_artifact(reg: Reg) -> None:
    register_folder(reg)
    from modelreg.operations.remote import missing_in_remote

    registry = Registry(reg.path)
    b_md5 = next(
        p.name
        for p in (reg.remote / "files" / "md5").rglob("*")
        if p.is_file() and p.read_bytes() == b"layer-b" * 1000
    )
    next(p for p in (reg.remote / "files" / "md5").rglob("*") if p.name == b_md5).unlink()
    shutil.rmtree(reg.path / ".dvc" / "cache")  # the listing then comes from the remote
    problems = missing_in_remote(registry, ["vision@1.0.0"])
    assert [p.file for p in problems] == ["models/vision/1.0.0/weights.dvc"]
    assert "models/vision/1.0.0/weights/sub/b.bin" in problems[0].message
    assert "in folder artifact models/vision/1.0.0/weights" in problems[0].message

    listing = md5_of(reg, "vision@1.0.0")
    remote_object(reg, listing).unlink()
    problems = missing_in_remote(registry, [registry.get("vision@1.0.0")])
    assert "the listing of folder artifact models/vision/1.0.0/weights" in problems[0].message


# --- progress and start-up -----------------------------------------------------------------


def _pull_on_a_terminal(reg: Reg, *args: str) -> tuple[int, str]:
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelreg", "pull", *args],
        cwd=reg.path,
        stdout=subprocess.DEVNULL,
        stderr=slave,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=120), b"".join(chunks).decode(errors="replace")


def test_progress_on_a_terminal_only(reg: Reg) -> None:
    reg.register("big", "1.0.0", content="x" * (3 * 1024 * 1024))
    drop_local_copies(reg)
    code, shown = _pull_on_a_terminal(reg, "big@1.0.0")
    assert code == 0
    assert re.search(r"model\.bin\s+3\.0 MiB / 3\.0 MiB\s+100%", shown), shown
    drop_local_copies(reg)
    code, shown = _pull_on_a_terminal(reg, "big@1.0.0", "--quiet")
    assert code == 0 and shown == ""
    r = reg.cli("pull", "big@1.0.0", "-o", str(reg.scratch / "big.bin"))
    assert r.code == 0 and r.err == ""  # stderr is not a terminal: no progress


def test_help_does_not_import_dvc(tmp_path: Path) -> None:
    for args in (["--help"], ["pull", "--help"], ["validate", "--help"]):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "modelreg", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0
        assert not re.search(r"\|\s+dvc(\.|$)", proc.stderr, re.MULTILINE), args


def test_pull_help_and_options_have_help(tmp_path: Path) -> None:
    from modelreg.cli.pull import command

    for param in command.params:
        if param.param_type_name == "option":
            assert getattr(param, "help", None), param.name
    r = cli("pull", "--help", cwd=tmp_path)
    assert "Examples:" in r.out and "--at REV" in r.out and "--quiet" in r.out


@pytest.mark.parametrize("relpath", ["../escape.bin", "/etc/passwd", "a/../../b", "./a", "a//b", "", "a/.."])
def test_a_listing_cannot_write_outside_its_folder(relpath: str) -> None:
    import json

    from modelreg.operations.artifacts import ArtifactError, _parse_listing

    def listing(path: str) -> bytes:
        return json.dumps([{"md5": "0" * 32, "relpath": path}]).encode()

    with pytest.raises(ArtifactError, match="unsafe path"):
        _parse_listing(listing(relpath), "f" * 32 + ".dir")
    assert _parse_listing(listing("ok/model..bin"), "x")[0].relpath == "ok/model..bin"


def test_pull_and_show_read_a_bare_repository_given_as_a_path(populated: Reg, tmp_path: Path) -> None:
    """`--repo /path/to/origin.git` (a bare repository: no work tree) reads as its file:// URL."""
    bare = tmp_path / "origin.git"
    git("clone", "-q", "--bare", str(populated.path), str(bare), cwd=tmp_path)
    r = cli("pull", "--repo", str(bare), "fraud@production", "-o", str(tmp_path / "prod.bin"), cwd=tmp_path)
    assert r.code == 0, r.err
    assert (tmp_path / "prod.bin").read_bytes() == b"fraud-1.1.0"
    shown = cli("show", "--repo", "origin.git", "fraud@production", cwd=tmp_path)
    assert shown.code == 0 and shown.out.startswith("fraud@1.1.0  (production)"), shown.err


def test_pull_creates_at_most_the_folder_it_writes_into(populated: Reg, tmp_path: Path) -> None:
    deep = tmp_path / "typo" / "deeper" / "model.bin"
    r = populated.cli("pull", "fraud@production", "-o", str(deep))
    assert (r.code, r.out) == (1, "")
    assert r.err == (
        f"modelreg: error: {tmp_path / 'typo'} does not exist: create it first (mkdir -p {deep.parent}), "
        "or write under a folder that exists\n"
    )
    assert not (tmp_path / "typo").exists()
    r = populated.cli("pull", "churn@latest", "-o", str(tmp_path / "typo" / "deeper") + "/")
    assert r.code == 1 and not (tmp_path / "typo").exists()
    one = populated.cli("pull", "fraud@production", "-o", str(tmp_path / "new" / "model.bin"))
    assert one.code == 0, one.err
    assert (tmp_path / "new" / "model.bin").read_bytes() == b"fraud-1.1.0"
