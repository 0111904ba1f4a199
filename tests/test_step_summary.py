"""``modelreg check`` under GitHub Actions: a step summary it cannot write is a warning, never the
verdict."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Reg


def _a_folder(tmp_path: Path) -> Path:
    return tmp_path


def _in_a_missing_folder(tmp_path: Path) -> Path:
    return tmp_path / "missing" / "summary.md"


def _under_a_file(tmp_path: Path) -> Path:
    """A path no user can create, root included (a file where its folder should be): what a
    read-only summary is to everyone else."""
    (tmp_path / "earlier-step").write_text("earlier step\n")
    return tmp_path / "earlier-step" / "summary.md"


def _a_full_disk(tmp_path: Path) -> Path:
    """Opens, then every write fails (ENOSPC), root included."""
    return Path("/dev/full")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(_a_folder, id="folder"),
        pytest.param(_in_a_missing_folder, id="missing-folder"),
        pytest.param(_under_a_file, id="under-a-file"),
        pytest.param(_a_full_disk, id="full-disk"),
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
