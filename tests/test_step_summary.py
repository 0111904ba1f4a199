"""``modelreg check`` under GitHub Actions: a step summary it cannot write is a warning, never the
verdict."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Reg


def _a_folder(tmp_path: Path) -> Path:
    return tmp_path


def _in_a_missing_folder(tmp_path: Path) -> Path:
    return tmp_path / "missing" / "summary.md"


def _read_only(tmp_path: Path) -> Path:
    target = tmp_path / "summary.md"
    target.write_text("earlier step\n")
    target.chmod(0o444)
    return target


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(_a_folder, id="folder"),
        pytest.param(_in_a_missing_folder, id="missing-folder"),
        pytest.param(
            _read_only,
            id="read-only",
            marks=pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files"),
        ),
    ],
)
def test_an_unwritable_step_summary_does_not_fail_a_passing_check(
    populated: Reg, tmp_path: Path, make: Callable[[Path], Path]
) -> None:
    target = make(tmp_path)
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(target)}
    r = populated.cli("check", "--base", "main", env=env)
    assert r.code == 0, r.err
    assert len(r.lines) == 1
    assert r.lines[0].startswith(
        f"modelreg: warning: could not append the step summary to GITHUB_STEP_SUMMARY {target}: "
    )
