"""The stages a model's versions earned on a branch: what a version may return to (a rollback).

Asked by ``check`` of a pull request's base and by the history engine of every commit whose
move the transition rule alone refuses, so both judge a return alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from modelreg.domain.models import Manifest, RegistryConfig
from modelreg.history.steps import Step
from modelreg.rules import policy


def earned_stages(
    config: RegistryConfig,
    steps: Iterable[Step],
    name: str,
    manifests: Mapping[tuple[str, str], Manifest],
) -> set[tuple[str, str, str]]:
    """(name, version, stage) for every stage a version of ``name`` entered, on the branch whose
    ``steps`` (oldest first) these are, by a move ``config``'s rules allow: the transition,
    the stage's requirements against the holder it replaced, and the stage's capacity. These
    are the stages a version may return to (a rollback).

    A move that history flags as a violation, or that the rules refuse now, earns nothing: a
    stage cannot be earned by a commit that skipped the gate and was reverted. The initial
    stage is never earned: every version stands there before it is judged at all.
    """
    steps = list(steps)
    flagged = {(s.sha, s.version) for s in steps if s.kind == "violation" and s.version}
    lists: dict[str, list[str]] = {}
    versions: list[str] = []
    found: set[tuple[str, str, str]] = set()
    for sha, group in _by_commit(s for s in steps if s.version):
        versions += [s.version for s in group if s.kind == "registered" and s.version]
        moves = [
            policy.Move(name=name, version=s.version, from_stage=s.from_stage, to_stage=s.to_stage)
            for s in group
            if s.kind == "stage_changed" and s.version and s.from_stage and s.to_stage
        ]
        if not moves:
            continue
        current = {
            m.to_stage: manifests.get((name, held[0]))
            for m in moves
            if (held := policy.holders_in(config, lists, versions, m.to_stage))
        }
        refused = {v.ref for v in policy.judge(config, moves, manifests, current)}
        lists = _applied(lists, moves)
        full = {v.stage for v in policy.over_capacity(config, name, lists, versions)}
        for move in moves:
            if (
                move.to_stage != config.initial_stage
                and move.ref not in refused
                and move.to_stage not in full
                and (sha, move.version) not in flagged
            ):
                found.add((name, move.version, move.to_stage))
    return found


def _by_commit(steps: Iterable[Step]) -> Iterator[tuple[str, list[Step]]]:
    """Consecutive steps grouped by the commit that made them."""
    group: list[Step] = []
    for step in steps:
        if group and group[0].sha != step.sha:
            yield group[0].sha, group
            group = []
        group.append(step)
    if group:
        yield group[0].sha, group


def _applied(lists: dict[str, list[str]], moves: list[policy.Move]) -> dict[str, list[str]]:
    """Stage lists after ``moves`` (a version leaves its old list and joins the new one)."""
    moved = {m.version: m.to_stage for m in moves}
    result = {s: [v for v in held if v not in moved] for s, held in lists.items()}
    for version, stage in moved.items():
        result.setdefault(stage, []).append(version)
    return result
