"""Interrupt register and promote at each step: the repository is as before or holds the whole
change, and the next run (or ``modelreg doctor``) cleans up what a killed run left."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from conftest import Reg, Result, git

if TYPE_CHECKING:
    from github_server import FakeGitHub, Origin

    AddOrigin = Callable[[Reg], Origin]

pytest_plugins = ["github_server"]

POINTS = ["register:copied", "register:tracked", "register:pushed", "register:written"]


@pytest.mark.parametrize("point", POINTS)
def test_ctrl_c_at_each_step_restores_everything(reg: Reg, point: str) -> None:
    model = reg.artifact("m.bin")
    before = reg.state()
    result = reg.cli_process(
        "register", "m", str(model), "--version", "1.0.0", env={"MODELREG_FAULT": f"{point}:interrupt"}
    )
    assert result.code == 130
    assert result.lines == ["modelreg: error: interrupted; nothing was changed"]
    assert reg.state() == before


@pytest.mark.parametrize("point", POINTS)
def test_kill_at_each_step_is_recovered_by_the_next_run(reg: Reg, point: str) -> None:
    model = reg.artifact("m.bin")
    before = reg.state()
    killed = reg.cli_process(
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
    reg.cli_process(
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
    killed = reg.cli_process(
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
    import os

    from modelreg.transaction import journal_path

    journal = journal_path(reg.path)
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_text(
        json.dumps({"pid": os.getpid(), "command": "register x@1.0.0", "head": None, "saved": {}})
    )
    before = reg.state()
    result = reg.cli_process("register", "m", str(reg.artifact("m.bin")), "--version", "1.0.0")
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


# --- promote: a branch, a push, a pull request ------------------------------------------------

PROMOTE_POINTS = ["promote:planned", "promote:committed", "promote:branched", "promote:pushed"]
BRANCH = "promote/fraud-1.2.0-staging"


def _promote(reg: Reg, github: FakeGitHub, fault: str | None = None) -> Result:
    env = {**github.env, **({"MODELREG_FAULT": fault} if fault else {})}
    run = reg.cli_process if fault and fault.endswith(":kill") else reg.cli  # a kill needs its own process
    return run("promote", "fraud@1.2.0", "--to", "staging", env=env)


def test_ctrl_c_at_each_promote_step_leaves_no_branch(
    populated: Reg, add_origin: AddOrigin, github_api: FakeGitHub
) -> None:
    origin = add_origin(populated)
    before, remote_before = populated.state(), origin.branches()
    for point in PROMOTE_POINTS:
        r = _promote(populated, github_api, f"{point}:interrupt")
        assert (r.code, r.lines) == (130, ["modelreg: error: interrupted; nothing was changed"]), point
        assert populated.state() == before, point
        assert origin.branches() == remote_before, point
    assert github_api.requests == []
    assert _promote(populated, github_api).code == 0
    assert origin.branches() == ["main", BRANCH]


@pytest.mark.parametrize("point", PROMOTE_POINTS)
def test_kill_at_each_promote_step_is_undone_by_doctor_then_the_next_run_succeeds(
    populated: Reg, add_origin: AddOrigin, github_api: FakeGitHub, point: str
) -> None:
    origin = add_origin(populated)
    before, remote_before = populated.state(), origin.branches()
    assert _promote(populated, github_api, f"{point}:kill").code == -9
    doctor = populated.cli("doctor")
    assert doctor.code == 0, doctor.out + doctor.err
    if point in ("promote:branched", "promote:pushed"):
        where = " here and on origin" if point == "promote:pushed" else ""
        assert doctor.out.startswith(
            f"rolled back an interrupted `promote fraud@1.2.0 to staging`: deleted branch {BRANCH}{where}"
        )
    else:
        assert doctor.out.startswith("no interrupted command to recover")
    assert populated.state() == before
    assert origin.branches() == remote_before
    again = _promote(populated, github_api)
    assert again.code == 0, again.err
    assert origin.branches() == ["main", BRANCH]
    assert len(github_api.requests) == 1


def test_the_next_promote_undoes_a_killed_one_by_itself(
    populated: Reg, add_origin: AddOrigin, github_api: FakeGitHub
) -> None:
    origin = add_origin(populated)
    assert _promote(populated, github_api, "promote:pushed:kill").code == -9
    assert origin.branches() == ["main", BRANCH]  # left half done: pushed, no pull request
    again = _promote(populated, github_api)
    assert again.code == 0, again.err
    assert origin.branches() == ["main", BRANCH] and len(github_api.requests) == 1


def test_kill_after_the_pull_request_keeps_the_complete_change(
    populated: Reg, add_origin: AddOrigin, github_api: FakeGitHub
) -> None:
    origin = add_origin(populated)
    assert _promote(populated, github_api, "promote:done:kill").code == -9
    assert origin.branches() == ["main", BRANCH] and len(github_api.requests) == 1
    doctor = populated.cli("doctor")
    assert doctor.out.startswith(
        "an interrupted `promote fraud@1.2.0 to staging` had finished; nothing to undo"
    )
    assert origin.branches() == ["main", BRANCH]
    again = _promote(populated, github_api)
    assert again.lines == [
        f"modelreg: error: branch {BRANCH} already exists; delete it or name another with --branch"
    ]


def test_a_running_promote_blocks_register(populated: Reg) -> None:
    """The journal is the lock for promote as for register: a live owner keeps others out."""
    import os

    from modelreg.transaction import journal_path

    journal = journal_path(populated.path)
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_text(
        json.dumps({"pid": os.getpid(), "command": "promote fraud@1.2.0 to staging", "saved": {}})
    )
    r = populated.cli_process("register", "fraud", str(populated.artifact("m.bin")), "--bump", "patch")
    assert r.lines == [
        f"modelreg: error: another modelreg command (promote fraud@1.2.0 to staging, pid {os.getpid()}) "
        "is changing this repository; wait for it to finish"
    ]


@pytest.mark.parametrize(
    "journal",
    [
        '{"pid": 1, "command": "register m@1.0.0", "sav',  # torn by a crash mid-write
        '{"pid": "abc", "saved": {}}',
        '{"pid": 1, "command": "register m@1.0.0"}',
        '{"pid": 1, "saved": {"../../outside.txt": null}}',  # would delete outside the repository
        '{"pid": 1, "saved": {"models/m/1.0.0.yaml": "not base64!"}}',
        "[1, 2, 3]",
    ],
)
def test_a_damaged_journal_is_removed_and_nothing_else(reg: Reg, journal: str) -> None:
    from modelreg.transaction import journal_path

    outside = reg.path.parent / "outside.txt"
    outside.write_text("keep me")
    journal_path(reg.path).parent.mkdir(parents=True, exist_ok=True)
    journal_path(reg.path).write_text(journal)
    before = reg.state()
    r = reg.cli("doctor")
    assert (r.code, r.out) == (0, "removed an unreadable transaction journal\n"), r.err
    assert reg.state() == before and outside.read_text() == "keep me"
    assert not journal_path(reg.path).exists()
