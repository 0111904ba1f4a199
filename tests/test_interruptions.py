"""Interrupt register at each step: the repository is as before or holds the whole change."""

from __future__ import annotations

import pytest
from conftest import Reg, git

POINTS = ["register:copied", "register:tracked", "register:pushed", "register:written"]


@pytest.mark.parametrize("point", POINTS)
def test_ctrl_c_at_each_step_restores_everything(reg: Reg, point: str) -> None:
    model = reg.artifact("m.bin")
    before = reg.state()
    result = reg.cli(
        "register", "m", str(model), "--version", "1.0.0", env={"MODELREG_FAULT": f"{point}:interrupt"}
    )
    assert result.code == 130
    assert result.lines == ["modelreg: error: interrupted; nothing was changed"]
    assert reg.state() == before


@pytest.mark.parametrize("point", POINTS)
def test_kill_at_each_step_is_recovered_by_the_next_run(reg: Reg, point: str) -> None:
    model = reg.artifact("m.bin")
    before = reg.state()
    killed = reg.cli(
        "register", "m", str(model), "--version", "1.0.0", env={"MODELREG_FAULT": f"{point}:kill"}
    )
    assert killed.code == -9
    assert git("rev-parse", "HEAD", cwd=reg.path) == before[0]
    again = reg.cli("register", "m", str(model), "--version", "1.0.0")
    assert again.code == 0, again.err
    assert git("log", "--format=%s", cwd=reg.path).splitlines()[:2] == ["register m@1.0.0", "modelreg init"]
    assert git("status", "--porcelain", cwd=reg.path) == ""
    assert reg.cli("validate").code == 0


@pytest.mark.parametrize("point", POINTS)
def test_doctor_rolls_back_a_killed_register(reg: Reg, point: str) -> None:
    before = reg.state()
    reg.cli(
        "register",
        "m",
        str(reg.artifact("m.bin")),
        "--version",
        "1.0.0",
        env={"MODELREG_FAULT": f"{point}:kill"},
    )
    result = reg.cli("doctor")
    assert result.code == 0, result.out + result.err
    assert result.out.startswith("rolled back an interrupted `register m@1.0.0`")
    assert reg.state() == before
    assert reg.cli("doctor").out.strip() == "no interrupted command to recover"


def test_kill_after_commit_keeps_the_complete_change(reg: Reg) -> None:
    killed = reg.cli(
        "register",
        "m",
        str(reg.artifact("m.bin")),
        "--version",
        "1.0.0",
        env={"MODELREG_FAULT": "register:committed:kill"},
    )
    assert killed.code == -9
    assert git("log", "-1", "--format=%s", cwd=reg.path).strip() == "register m@1.0.0"
    assert reg.cli("doctor").out.startswith(
        "an interrupted `register m@1.0.0` had committed; nothing to undo"
    )
    assert reg.cli("validate").code == 0
    assert git("status", "--porcelain", cwd=reg.path) == ""


def test_a_live_transaction_blocks_a_second_command(reg: Reg) -> None:
    import json
    import os

    from modelreg.transaction import journal_path

    journal = journal_path(reg.path)
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_text(
        json.dumps({"pid": os.getpid(), "command": "register x@1.0.0", "head": None, "saved": {}})
    )
    before = reg.state()
    result = reg.cli("register", "m", str(reg.artifact("m.bin")), "--version", "1.0.0")
    assert result.code == 1
    assert result.lines == [
        f"modelreg: error: another modelreg command (register x@1.0.0, pid {os.getpid()}) is changing this repository; wait for it to finish"
    ]
    assert reg.state() == before


def test_doctor_lists_untracked_files(reg: Reg) -> None:
    reg.write("models/stray/notes.txt", "x")
    result = reg.cli("doctor")
    assert result.code == 1
    assert "untracked: models/stray/notes.txt" in result.out
