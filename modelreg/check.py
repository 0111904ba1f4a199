"""``modelreg check``: the CI validator. Validates the whole registry at ``head`` and judges the
change from ``base`` to ``head`` (DESIGN.md, "What `modelreg check` enforces").

The change is what ``head`` did since it forked from ``base`` (their merge base), as a pull
request's diff is; on CI's merge commit the fork point is the base itself. Stage moves are
judged by the base's registry.yaml, so a change cannot relax the rules it is judged by.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from modelreg import audit, codeowners, git, policy, semver, snapshot, yamlio
from modelreg.changes import ModelChange, model_change
from modelreg.errors import DocumentError, InvalidInputError
from modelreg.git import Change
from modelreg.history import Event
from modelreg.layout import CODEOWNERS_FILE, MODELS_DIR, classify, stages_path
from modelreg.models import RegistryConfig
from modelreg.registry import Registry
from modelreg.remote import DVC_CONFIG
from modelreg.snapshot import Problem, Snapshot
from modelreg.tenures import held_before
from modelreg.tree import GitTree

DEFAULT_BASES = ["origin/HEAD", "origin/main", "main", "master"]


class CheckReport(BaseModel):
    """The verdict on a change: every problem found, and what the change does to each model."""

    ok: bool
    base: str
    head: str
    base_commit: str
    head_commit: str
    fork_point: str
    files: int
    changes: list[ModelChange]
    problems: list[Problem]


def check(
    path: Path | str = ".", *, base: str | None = None, head: str = "HEAD", remote: bool | None = None
) -> CheckReport:
    """Validate the registry at ``head`` and judge what it changed since ``base``.

    With ``remote`` (default: registry.yaml's ``check.remote``), the artifacts of the
    versions the change registers must also be in the default DVC remote."""
    top = git.root(path)
    base = base or default_base(top)
    base_commit, head_commit = git.resolve(top, base), git.resolve(top, head)
    fork = git.merge_base(top, base_commit, head_commit)
    if fork is None:
        raise InvalidInputError(f"{base} and {head} share no history; give a --base that {head} grew from")
    registry = Registry(top, rev=head_commit)
    validation = registry.validate()
    after, before = registry.snapshot, snapshot.load(GitTree(top, fork))
    changed = git.changed_files(top, fork, head_commit, [MODELS_DIR])
    problems = [*validation.problems, *write_once(before, after, changed)]
    if base_commit != fork:
        problems += collisions(GitTree(top, base_commit), before, after, changed, base=base)
    dvc_config = git.changed_files(top, fork, head_commit, [DVC_CONFIG])
    if changed and any(c.status != "A" for c in dvc_config):  # adding it is adopting DVC
        problems.append(_remote_moved_with_models())
    config = before.config or after.config
    model_changes: list[ModelChange] = []
    if config is not None:
        model_changes, stage_problems = judge_models(
            config, before, after, changed, history=lambda name: audit.events(top, tip=fork, model=name)
        )
        problems += stage_problems
    if after.config is not None and codeowners.is_stale(after):
        problems.append(_stale_codeowners())
    if remote if remote is not None else bool(after.config and after.config.check.remote):
        problems += _missing_in_remote(registry, model_changes)
    problems = sorted(set_of(problems), key=lambda p: (p.file, p.line or 0, p.message))
    return CheckReport(
        ok=not problems,
        base=base,
        head=head,
        base_commit=base_commit,
        head_commit=head_commit,
        fork_point=fork,
        files=validation.files,
        changes=model_changes,
        problems=problems,
    )


def default_base(top: Path) -> str:
    """The first of origin/HEAD, origin/main, main, master that exists."""
    for candidate in DEFAULT_BASES:
        try:
            git.resolve(top, candidate)
        except InvalidInputError:
            continue
        return candidate
    raise InvalidInputError("no origin/main, main or master to compare with; give --base REF")


def set_of(problems: list[Problem]) -> list[Problem]:
    seen: dict[tuple[str, int | None, str], Problem] = {}
    for p in problems:
        seen.setdefault((p.file, p.line, p.message), p)
    return list(seen.values())


def _at(snap: Snapshot, path: str, message: str, *, rule: str, location: tuple[Any, ...] = ()) -> Problem:
    raw = snap.raw.get(path)
    line = yamlio.line_of(raw, location) if raw is not None and location else None
    return Problem(file=path, line=line, message=message, rule=rule)


# --- rule 2: registered versions are written once ----------------------------------------------


def write_once(before: Snapshot, after: Snapshot, changed: list[Change]) -> list[Problem]:
    """A manifest or DVC pointer that exists at the base is never modified, renamed or deleted
    (appending to a manifest's ``evaluations`` is the one allowed change)."""
    found: list[Problem] = []
    for change in changed:
        old_path = change.old_path or change.path
        old = classify(old_path)
        if change.status in {"A", "C"} or old.kind not in {"manifest", "pointer"}:
            continue
        if old.kind == "pointer" and (old.model, old.version) not in before.manifests:
            continue
        ref = f"{old.model}@{old.version}"
        if old.kind == "manifest" and change.status in "MT":
            found.extend(_modified_manifest(before, after, change.path, ref))
        elif old.kind == "manifest":
            found.append(_gone_manifest(change, ref))
        else:
            how = {"D": "deleted", "R": "renamed"}.get(change.status, "modified")
            message = (
                f"DVC pointer {old_path} of registered version {ref} was {how}; the artifacts of a "
                "registered version never change: register a new version instead"
            )
            found.append(Problem(file=change.path, message=message, rule="write-once"))
    return found


def _gone_manifest(change: Change, ref: str) -> Problem:
    if change.status == "D":
        message = (
            f"registered version {ref} was deleted; a version is never removed: "
            f"restore the file and archive it instead (modelreg archive {ref})"
        )
    else:
        message = (
            f"renamed from {change.old_path}; the manifest of registered version {ref} is written "
            "once: restore it and register a new version instead"
        )
    return Problem(file=change.path, message=message, rule="write-once")


def _modified_manifest(before: Snapshot, after: Snapshot, path: str, ref: str) -> list[Problem]:
    fields = changed_fields(before.raw.get(path), after.raw.get(path), path)
    if not fields:
        return []
    message = (
        f"registered version {ref} was modified ({', '.join(fields)}); its manifest is written once "
        "(only appending to evaluations is allowed): register a new version instead"
    )
    return [_at(after, path, message, rule="write-once", location=(fields[0],))]


def changed_fields(old_raw: bytes | None, new_raw: bytes | None, path: str) -> list[str]:
    """Top-level fields that differ between two versions of a manifest; appending to
    ``evaluations`` is not a difference. Unreadable YAML counts as a change of everything."""
    try:
        old = yamlio.load(old_raw or b"", path)
        new = yamlio.load(new_raw or b"", path)
    except DocumentError:
        return ["the whole file"]
    if not isinstance(old, dict) or not isinstance(new, dict):
        return ["the whole file"] if old != new else []
    keys = list(dict.fromkeys([*old, *new]))
    fields = [k for k in keys if k != "evaluations" and old.get(k) != new.get(k)]
    before_evals, after_evals = old.get("evaluations") or [], new.get("evaluations") or []
    appended = isinstance(after_evals, list) and after_evals[: len(before_evals)] == before_evals
    if not appended:
        fields.append("evaluations")
    return [str(f) for f in fields]


# --- rule 3: a new version is new ----------------------------------------------------------------


def collisions(
    tip: GitTree, before: Snapshot, after: Snapshot, changed: list[Change], *, base: str
) -> list[Problem]:
    """New versions that the base also registered after ``head`` forked from it."""
    on_tip: dict[tuple[str, semver.Version], str] = {}
    for path in tip.paths():
        where = classify(path)
        core = _core(where.version) if where.kind == "manifest" else None
        if core is not None:
            on_tip[(where.model, core)] = where.version
    found = []
    for change in changed:
        where = classify(change.path)
        core = _core(where.version) if where.kind == "manifest" else None
        if change.status == "D" or core is None or (where.model, where.version) in before.manifests:
            continue
        theirs = on_tip.get((where.model, core))
        if theirs is not None:
            message = (
                f"{where.model}@{where.version} collides with {where.model}@{theirs}, registered on "
                f"{base} since this branch forked; versions are never reused: register yours as "
                "another version"
            )
            found.append(Problem(file=change.path, message=message, rule="collision"))
    return found


def _core(version: str) -> semver.Version | None:
    """The version without build metadata: what makes two versions the same."""
    v = semver.parse(version)
    return semver.Version(v.major, v.minor, v.patch, v.prerelease) if v else None


# --- rule 4: stage changes -----------------------------------------------------------------------


def judge_models(
    config: RegistryConfig,
    before: Snapshot,
    after: Snapshot,
    changed: list[Change],
    *,
    history: Callable[[str], list[Event]] = lambda name: [],
) -> tuple[list[ModelChange], list[Problem]]:
    """Each changed model's moves and new versions, and every stage rule the moves break.

    A base without a registry.yaml has no rules in force: the change that introduces the
    registry is validated, but its moves are not judged."""
    names = {classify(p).model for c in changed for p in (c.path, c.old_path) if p}
    changes, problems = [], []
    for name in sorted(n for n in names if n):
        registered = sorted(set(after.versions(name)) - set(before.versions(name)), key=semver.sort_key)
        moves = _moves(config, before, after, name)
        if before.config is not None:
            problems.extend(_stage_problems(config, before, after, name, moves, history=history))
        if moves or registered:
            changes.append(
                model_change(
                    config,
                    before,
                    after.manifests,
                    name=name,
                    moves=moves,
                    registered=registered,
                    lineage_from=after,
                )
            )
    return changes, problems


def _stage_problems(
    config: RegistryConfig,
    before: Snapshot,
    after: Snapshot,
    name: str,
    moves: list[policy.Move],
    *,
    history: Callable[[str], list[Event]],
) -> list[Problem]:
    current = policy.current_holders(config, before, name, moves)
    verdicts = policy.judge(config, moves, after.manifests, current)
    if any(v.rule == "transition" for v in verdicts):
        # Maybe a rollback: a version may return to a stage it held before (history says).
        returning = held_before(history(name), name, initial=config.initial_stage)
        verdicts = policy.judge(config, moves, after.manifests, current, returning=returning)
    found = [_at(after, stages_path(name), v.message, rule=v.rule, location=(v.stage,)) for v in verdicts]
    if before.config is not None and before.config != after.config:
        found.extend(_over_base_capacity(before.config, after, name))
    return found


def _moves(config: RegistryConfig, before: Snapshot, after: Snapshot, name: str) -> list[policy.Move]:
    """Versions of ``name`` whose stage differs between the two snapshots. Moves into a stage
    the head does not define, or read from a stages.yaml that does not parse, are left to
    validation, which already reports them."""
    if name in after.stage_files and name not in after.stages:
        return []
    known = after.config.stages if after.config else config.stages
    moves = policy.moves_between(
        config, name, before.stages.get(name, {}), after.stages.get(name, {}), after.versions(name)
    )
    return [m for m in moves if m.to_stage in known]


def _over_base_capacity(config: RegistryConfig, after: Snapshot, name: str) -> list[Problem]:
    """max_versions as the base's registry.yaml sets it, for a change that also edits it."""
    found = []
    for stage, held in after.stages.get(name, {}).items():
        policy = config.stages.get(stage)
        if policy is not None and policy.max_versions is not None and len(held) > policy.max_versions:
            message = (
                f"{stage} holds {len(held)} versions, more than the base's max_versions of "
                f"{policy.max_versions}; change registry.yaml in a pull request of its own first"
            )
            found.append(_at(after, stages_path(name), message, rule="stages", location=(stage,)))
    return found


def _missing_in_remote(registry: Registry, changes: list[ModelChange]) -> list[Problem]:
    """Artifacts of the versions registered by the change that the default remote lacks."""
    from modelreg.remote import missing_in_remote

    new = [
        f"{c.model}@{v}" for c in changes for v in c.registered if (c.model, v) in registry.snapshot.manifests
    ]
    return missing_in_remote(registry, new)


def _remote_moved_with_models() -> Problem:
    """Where artifacts live is not changed in passing: such a change could point check --remote
    and every later push at a storage the reviewers of a model never looked at."""
    return Problem(
        file=DVC_CONFIG,
        message="changes DVC's configuration (its remotes) in the same change as models/; "
        "change where artifacts are stored in a pull request of its own",
        rule="remote",
    )


def _stale_codeowners() -> Problem:
    return Problem(
        file=CODEOWNERS_FILE,
        message="stale: it does not match the models' owners; run `modelreg codeowners` and commit it",
        rule="codeowners",
    )
