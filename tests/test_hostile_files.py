"""Hostile registry files that cannot live as case folders: symlinks, huge and deep files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import Reg, git

from modelreg import Registry


def _problems(path: Path, rev: str | None = None) -> list[str]:
    return [str(p) for p in Registry(path, rev=rev).validate().problems]


def test_symlinked_manifest_pointing_outside_is_refused(populated: Reg, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2\n")
    os.symlink(secret, populated.path / "models/fraud/9.0.0.yaml")
    problems = _problems(populated.path)
    assert (
        "models/fraud/9.0.0.yaml: is a symlink or not a regular file; registry files must be plain files"
        in problems
    )
    assert not any("hunter2" in p for p in problems)


def test_committed_symlink_is_refused_at_a_revision(populated: Reg) -> None:
    os.symlink("/etc/passwd", populated.path / "models/fraud/model.yaml.tmp")
    (populated.path / "models/fraud/model.yaml").unlink()
    os.rename(populated.path / "models/fraud/model.yaml.tmp", populated.path / "models/fraud/model.yaml")
    populated.commit("evil")
    problems = _problems(populated.path, rev="HEAD")
    assert (
        "models/fraud/model.yaml: is a symlink or not a regular file; registry files must be plain files"
        in problems
    )


def test_huge_file_is_refused_before_parsing(populated: Reg) -> None:
    populated.write("models/fraud/1.2.0.yaml", "description: " + "x" * 1_100_000 + "\n")
    problems = _problems(populated.path)
    assert any(
        p.startswith("models/fraud/1.2.0.yaml: file is 1100014 bytes, over the 1048576-byte limit")
        for p in problems
    )


def test_deep_nesting_is_refused(populated: Reg) -> None:
    populated.write("models/fraud/1.2.0.yaml", "custom: " + "[" * 5000 + "]" * 5000 + "\n")
    problems = _problems(populated.path)
    assert "models/fraud/1.2.0.yaml:1: invalid YAML: exceeded maximum nesting depth" in " ".join(
        problems
    ) or any("nested deeper than 32 levels" in p for p in problems)


def test_billion_laughs_is_refused_quickly(populated: Reg) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    populated.write("models/fraud/1.2.0.yaml", "\n".join(lines) + "\n")
    problems = _problems(populated.path)
    assert "models/fraud/1.2.0.yaml: YAML anchors and aliases are not allowed in registry files" in problems


def test_latest_cannot_be_a_stage(populated: Reg) -> None:
    text = (populated.path / "registry.yaml").read_text()
    populated.write(
        "registry.yaml", text.replace("  deprecated:", "  latest: {from: [development]}\n  deprecated:")
    )
    assert "registry.yaml:17: 'latest' cannot be a stage: NAME@latest means the highest version" in _problems(
        populated.path
    )


def test_head_is_unchanged_by_validate(populated: Reg) -> None:
    before = populated.state()
    populated.cli("validate")
    assert populated.state() == before
    assert git("status", "--porcelain", cwd=populated.path) == ""


# --- symlinks met by register and pull ---------------------------------------------------------


def test_an_artifact_that_is_a_symlink_outside_the_repository_is_copied_not_linked(
    reg: Reg, tmp_path: Path
) -> None:
    """Decision (docs/reference/security.md): a FILE given to register that is a symlink is followed, as
    `cp` does; the registry gets the target's bytes as a regular file, never a link."""
    target = tmp_path / "elsewhere" / "weights.onnx"
    target.parent.mkdir()
    target.write_bytes(b"the real bytes")
    link = reg.artifact("build/model.onnx")
    link.unlink()
    os.symlink(target, link)
    r = reg.cli("register", "m", str(link), "--version", "1.0.0", "--no-push")
    assert r.code == 0, r.err
    copied = reg.path / "models/m/1.0.0/model.onnx"
    assert not copied.is_symlink() and copied.read_bytes() == b"the real bytes"
    assert git("ls-files", "-s", "models/m", cwd=reg.path).count("120000") == 0
    assert reg.cli("validate").code == 0


@pytest.mark.parametrize("where", ["models/m/1.0.0.yaml", "models/m", "models/m/1.0.0"])
def test_register_never_writes_through_a_symlink_in_the_registry(
    reg: Reg, tmp_path: Path, where: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (reg.path / where).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(outside / "x" if where.endswith(".yaml") else outside, reg.path / where)
    before = reg.state()
    r = reg.cli("register", "m", str(reg.artifact("m.bin")), "--version", "1.0.0", "--no-push")
    assert r.lines == [
        f"modelreg: error: {where} is a symlink; modelreg writes only real files and folders of the "
        "repository: remove it"
    ]
    assert reg.state() == before
    assert list(outside.iterdir()) == []


def test_pull_never_writes_through_a_symlinked_version_folder(populated: Reg, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = populated.path / "models/fraud/1.2.0"
    shutil.rmtree(folder)
    os.symlink(outside, folder)
    r = populated.cli("pull", "fraud@1.2.0")
    assert r.lines == [
        "modelreg: error: models/fraud/1.2.0 is a symlink; modelreg writes only real files and folders of "
        "the repository: remove it"
    ]
    assert list(outside.iterdir()) == []


def test_a_committed_symlinked_dvc_config_is_a_problem(populated: Reg, tmp_path: Path) -> None:
    other = tmp_path / "other-config"
    other.write_text((populated.path / ".dvc/config").read_text())
    (populated.path / ".dvc/config").unlink()
    os.symlink(other, populated.path / ".dvc/config")
    populated.commit("config elsewhere")
    for rev in (None, "HEAD"):
        assert ".dvc/config: is a symlink; .dvc/config must be a plain file" in _problems(populated.path, rev)


def test_validate_with_a_regex_bomb_and_many_long_names_stays_fast(populated: Reg) -> None:
    import time

    text = (populated.path / "registry.yaml").read_text()
    populated.write(
        "registry.yaml",
        text.replace(
            'naming: {model: "^[a-z][a-z0-9-]{0,62}$"}', 'naming: {model: "^(a|a)(a|a)(a|a)(a|a)a*a*a*b$"}'
        ),
    )
    for i in range(30):
        populated.write(f"models/{'a' * 90}{i:02d}x/model.yaml", "schema_version: 1\nname: x\n")
    started = time.monotonic()
    problems = _problems(populated.path)
    assert time.monotonic() - started < 10
    assert sum("breaks the naming rule" in p for p in problems) >= 30


# --- semantic versions at their edges --------------------------------------------------------------


def test_latest_and_bump_follow_semver_precedence_with_prereleases_and_build_metadata(reg: Reg) -> None:
    for version in ["1.0.0", "1.1.0-rc.2", "1.1.0-rc.10", "1.1.0-alpha", "1.0.1+build.7"]:
        reg.register("m", version, allow_lower=True)  # out of order on purpose
    registry = Registry(reg.path)
    assert registry.model("m").versions == [
        "1.0.0",
        "1.0.1+build.7",
        "1.1.0-alpha",
        "1.1.0-rc.2",
        "1.1.0-rc.10",
    ]
    assert registry.get("m@latest").version == "1.1.0-rc.10"  # rc.10 > rc.2: numeric identifiers
    before = reg.state()
    for version, taken in [
        ("1.1.0-RC.2", "1.1.0-rc.2"),
        ("1.0.1", "1.0.1+build.7"),
        ("1.0.0+other", "1.0.0"),
    ]:
        r = reg.cli("register", "m", str(reg.artifact("x.bin")), "--version", version)
        assert r.lines == [
            f"modelreg: error: m@{taken} already exists; versions are never reused, pick a new one"
        ]
        assert reg.state() == before
    bumped = reg.cli("register", "m", str(reg.artifact("x.bin")), "--bump", "patch", "--no-push")
    assert bumped.out.startswith("registered m@1.1.0 ")  # the release after its pre-releases
    assert reg.cli(
        "register", "m", str(reg.artifact("y.bin")), "--bump", "minor", "--no-push"
    ).out.startswith("registered m@1.2.0 ")
    assert Registry(reg.path).get("m@latest").version == "1.2.0"


def test_a_date_in_the_future_answers_as_of_now_and_says_so(populated: Reg) -> None:
    import re

    r = populated.cli("show", "fraud@production", "--at", "2999-01-01")
    assert r.code == 0 and r.out.startswith("fraud@1.1.0  (production)")
    assert re.fullmatch(
        r"modelreg: as of 2999-01-01: commit [0-9a-f]{8} \([^)]+\); 2999-01-01 is in the future; "
        r"answering as of now\n",
        r.err,
    ), r.err
