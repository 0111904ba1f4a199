"""Hostile registry files that cannot live as case folders: symlinks, huge and deep files."""

from __future__ import annotations

import os
from pathlib import Path

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
