"""Interrupt register and promote at each step: the repository is as before or holds the whole
change, and the next run (or ``modelreg doctor``) cleans up what a killed run left."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest
from conftest import Reg, Result, git

if TYPE_CHECKING:
    from github_server import FakeGitHub, Origin

    AddOrigin = Callable[[Reg], Origin]

pytestmark = pytest.mark.slow  # kills real commands at each step

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


@pytest.mark.parametrize("who", ["this process", "init"])
def test_a_journal_naming_a_live_process_that_holds_no_lock_is_recovered(reg: Reg, who: str) -> None:
    """A recorded pid proves nothing (pids are reused): only the lock says a writer is alive."""
    pid = os.getpid() if who == "this process" else 1  # a parameter must not differ between workers
    from modelreg.operations.transaction import journal_path

    before = reg.state()
    reg.write("models/m/1.0.0.yaml", "half written\n")
    journal = journal_path(reg.path)
    journal.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "pid": pid,
        "command": "register m@1.0.0",
        "head": before[0].strip(),
        "saved": {"models/m": None},
    }
    journal.write_text(json.dumps(record))
    doctor = reg.cli("doctor")
    assert doctor.out.startswith("rolled back an interrupted `register m@1.0.0`: models/m"), doctor.err
    assert reg.state() == before
    again = reg.cli("register", "m", str(reg.artifact("m.bin")), "--version", "1.0.0")
    assert again.code == 0, again.err


HOLD = """
import sys
from pathlib import Path
from modelreg.operations import transaction

with transaction.restoring(Path(sys.argv[1]), ["models/m"], command=sys.argv[2]):
    print("holding", flush=True)
    sys.stdin.read()  # until the test closes the pipe
"""


@contextmanager
def _writer(reg: Reg, command: str) -> Iterator[int]:
    """Another process inside a transaction on ``reg`` until the block ends; yields its pid."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(reg.path), command],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline() == "holding\n"
        yield holder.pid
    finally:
        holder.stdin.close()
        assert holder.wait(timeout=60) == 0
        holder.stdout.close()


def test_a_running_writer_blocks_register_promote_and_doctor(populated: Reg) -> None:
    busy = "modelreg: error: another modelreg is writing this repository (pid {}); wait for it"
    before = populated.state()
    with _writer(populated, "promote fraud@1.2.0 to staging") as pid:
        r = populated.cli("register", "fraud", str(populated.artifact("m.bin")), "--bump", "patch")
        assert (r.code, r.lines) == (1, [busy.format(pid)])
        r = populated.cli("promote", "fraud@1.2.0", "--to", "staging", "--no-push")
        assert (r.code, r.lines) == (1, [busy.format(pid)])
        r = populated.cli("doctor")
        assert (r.code, r.lines) == (1, [busy.format(pid)])
        assert populated.state() == before
    after = populated.cli("register", "fraud", str(populated.artifact("m.bin")), "--bump", "patch")
    assert after.code == 0, after.err


def test_a_killed_writer_leaves_its_journal_and_no_lock(reg: Reg) -> None:
    """The lock dies with its process; the journal it left is recovered by the next writer."""
    from modelreg.operations.transaction import journal_path

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(reg.path), "register m@1.0.0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
    holder.kill()
    assert holder.wait(timeout=60) == -9
    holder.stdout.close()
    assert holder.stdin is not None
    holder.stdin.close()
    assert journal_path(reg.path).exists()
    doctor = reg.cli("doctor")
    rolled_back = "rolled back an interrupted `register m@1.0.0`: models/m\n"
    assert (doctor.code, doctor.out) == (0, rolled_back), doctor.err
    assert not journal_path(reg.path).exists()


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
    from modelreg.operations.transaction import journal_path

    outside = reg.path.parent / "outside.txt"
    outside.write_text("keep me")
    journal_path(reg.path).parent.mkdir(parents=True, exist_ok=True)
    journal_path(reg.path).write_text(journal)
    before = reg.state()
    r = reg.cli("doctor")
    assert (r.code, r.out) == (0, "removed an unreadable transaction journal\n"), r.err
    assert reg.state() == before and outside.read_text() == "keep me"
    assert not journal_path(reg.path).exists()
