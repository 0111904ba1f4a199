"""`modelreg doctor --prune`: the proposal branches of merged pull requests are deleted, locally
and (with --remote) on origin; a branch with work not merged is kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from conftest import Reg, git

if TYPE_CHECKING:
    from github_server import Origin

pytest_plugins = ["github_server"]

MERGED = "promote/fraud-1.2.0-staging"
OPEN = "promote/churn-0.1.0-staging"


def _local(reg: Reg) -> list[str]:
    return git("for-each-ref", "--format=%(refname:short)", "refs/heads", cwd=reg.path).split()


def test_doctor_prune_deletes_merged_proposals_here_and_with_remote_on_origin(
    populated: Reg, add_origin: Callable[[Reg], Origin]
) -> None:
    reg = populated
    origin = add_origin(reg)
    for ref in ("fraud@1.2.0", "churn@0.1.0"):
        assert reg.cli("promote", ref, "--to", "staging", "--no-pr").code == 0
    git("merge", "-q", "--no-ff", "-m", f"Merge pull request #1 from acme/{MERGED}", MERGED, cwd=reg.path)
    git("push", "-q", "origin", "main", cwd=reg.path)
    git("fetch", "-q", "origin", cwd=reg.path)
    git("branch", "-q", "feature/keep-me", MERGED, cwd=reg.path)  # not a proposal: never touched

    r = reg.cli("doctor", "--prune")
    assert r.code == 0, r.err
    assert r.out.splitlines()[1:] == [f"deleted {MERGED} (merged into origin/HEAD)"] or r.out.splitlines()[
        1:
    ] == [f"deleted {MERGED} (merged into origin/main)"]
    assert MERGED not in _local(reg) and OPEN in _local(reg) and "feature/keep-me" in _local(reg)
    assert MERGED in origin.branches()  # origin is --remote's

    r = reg.cli("doctor", "--prune", "--remote", "--format", "json")
    assert r.code == 0, r.err
    assert f"origin/{MERGED}" in r.out
    assert MERGED not in origin.branches() and OPEN in origin.branches()
    again = reg.cli("doctor", "--prune", "--remote")
    assert again.out.splitlines()[1].startswith("no merged proposal branch to delete"), again.out


def test_doctor_prune_keeps_a_branch_pushed_to_since_it_was_fetched(
    populated: Reg, add_origin: Callable[[Reg], Origin]
) -> None:
    reg = populated
    origin = add_origin(reg)
    assert reg.cli("promote", "fraud@1.2.0", "--to", "staging", "--no-pr").code == 0
    git("merge", "-q", "--no-ff", "-m", "Merge pull request #1", MERGED, cwd=reg.path)
    git("push", "-q", "origin", "main", cwd=reg.path)
    git("fetch", "-q", "origin", cwd=reg.path)
    # someone adds a commit to the branch on origin after our fetch
    other = reg.scratch / "other"
    git("clone", "-q", str(origin.bare), str(other), cwd=reg.path)
    git("switch", "-q", MERGED, cwd=other)
    git("commit", "-q", "--allow-empty", "-m", "more work", cwd=other)
    git("push", "-q", "origin", MERGED, cwd=other)
    r = reg.cli("doctor", "--prune", "--remote")
    assert r.code == 0, r.err
    assert f"origin/{MERGED}" not in r.out and MERGED in origin.branches()


def test_doctor_remote_without_prune_is_a_usage_error(populated: Reg) -> None:
    r = populated.cli("doctor", "--remote")
    assert r.code == 2 and "--remote goes with --prune" in r.err
