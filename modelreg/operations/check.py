"""``modelreg check``: the CI validator. Validates the whole registry at ``head`` and judges the
change from ``base`` to ``head`` (ARCHITECTURE.md, "The gate", lists its rules).

The change is what ``head`` did since it forked from ``base`` (their merge base), as a pull
request's diff is; on CI's merge commit the fork point is the base itself. Everything in the
head is the author's to write, so the base's registry.yaml judges, and the invariant is: if
check accepts, every version's effective stage on the head is reachable from the base by moves
the base's policy allows, no registered version's files differ, and (with remote checks on)
every version in a stage past the initial one has its bytes in the remote.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from modelreg.adapters import git
from modelreg.adapters.git import ChangedFile
from modelreg.documents import snapshot, yamlio
from modelreg.documents.snapshot import Snapshot
from modelreg.documents.tree import GitTree
from modelreg.domain import dating, semver
from modelreg.domain.errors import DocumentError, InvalidInputError
from modelreg.domain.layout import (
    CODEOWNERS_FILE,
    GOVERNING_NAMES,
    MODELS_DIR,
    REGISTRY_FILE,
    SCHEMAS_DIR,
    classify,
    deployments_path,
    is_governing,
    stages_path,
)
from modelreg.domain.models import RegistryConfig
from modelreg.domain.problems import Problem
from modelreg.history import audit
from modelreg.history.depth import require_history
from modelreg.history.earned import earned_stages
from modelreg.history.steps import steps_of
from modelreg.operations import codeowners
from modelreg.queries.catalog import Catalog
from modelreg.queries.changes import (
    CheckReport,
    ModelChange,
    deployment_changes,
    evaluation_changes,
    model_change,
)
from modelreg.queries.scope import change_scope
from modelreg.rules import environments, policy, writeonce
from modelreg.rules.dvcconfig import DVC_CONFIG

DEFAULT_BASES = ["origin/HEAD", "origin/main", "main", "master"]


def check(
    path: Path | str = ".",
    *,
    base: str | None = None,
    head: str = "HEAD",
    remote: bool | None = None,
    fetch: bool = False,
) -> CheckReport:
    """Validate the registry at ``head`` and judge what it changed since ``base``.

    The base's registry.yaml judges, its ``check:`` settings included (a base without one: the
    change introduces the registry, and is validated, not judged). With ``remote`` (default: the
    base's ``check.remote``), every version the change registers or moves into a stage past the
    initial one must have its artifacts in the default DVC remote.

    In a shallow clone, the fork point and (for a version returning to a stage) the base's
    history must be at hand: ``fetch`` fetches them, else ShallowCloneError says what to fetch."""
    top = git.root(path)
    base = base or default_base(top)
    base_commit, head_commit = git.resolve(top, base), git.resolve(top, head)
    fork = fork_point(top, base_commit, head_commit, fetch=fetch)
    if fork is None:
        raise InvalidInputError(f"{base} and {head} share no history; give a --base that {head} grew from")
    scope = change_scope(top, fork, head_commit)  # the touched models (None: every model)
    registry = Catalog(top, rev=head_commit, tree=GitTree(top, head_commit, models=scope, commit=head_commit))
    validation = registry.validate()
    after, before = registry.snapshot, snapshot.load(GitTree(top, fork, models=scope, commit=fork))
    tip = before if base_commit == fork else snapshot.load(GitTree(top, base_commit, models=scope))
    config = base_policy(tip)
    changed = git.changed_files(top, fork, head_commit, [MODELS_DIR], renames=False)
    problems = [*validation.problems, *write_once(before, after, changed)]
    problems += misdated(before, after, changed, committed_at=git.committed_at(top, head_commit))
    if base_commit != fork:
        problems += collisions(GitTree(top, base_commit, models=scope), before, after, changed, base=base)
    remote_moved = bool(changed) and any(
        c.status != "A" for c in git.changed_files(top, fork, head_commit, [DVC_CONFIG])
    )  # adding it is adopting DVC
    if remote_moved:
        problems.append(_remote_moved_with_models())
    governing = governing_changes(top, fork, head_commit, before, after, changed)
    if config is not None:
        models_changed = any(c.path not in governing for c in changed)
        problems += policy_changes(
            top, fork, head_commit, config, after, models_changed=models_changed, governing=governing
        )
    in_force = config or after.config
    earned = _earned_on(top, base_commit, config, tip, fetch=fetch) if config is not None else None
    model_changes, stage_problems = judge_models(in_force, before, after, changed, earned=earned)
    problems += stage_problems
    if config is not None:
        problems += deployment_problems(config, after, changed)
    if after.config is not None and scope is None and codeowners.is_stale(after):  # owners: not in scope
        problems.append(_stale_codeowners())
    # the remote a change to .dvc/config names is not asked (nor sent CI's credentials)
    asked = remote if remote is not None else bool(in_force and in_force.check.remote)
    if asked and in_force is not None and not remote_moved:
        problems += _missing_in_remote(registry, in_force, model_changes)
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


def _earned_on(
    top: Path, base_commit: str, config: RegistryConfig, tip: Snapshot, *, fetch: bool = False
) -> Callable[[str], set[tuple[str, str, str]]]:
    """The stages a model's versions earned on the base branch, read from its history when asked
    (only a move the transition rule refuses asks)."""

    def earned(name: str) -> set[tuple[str, str, str]]:
        require_history(top, what="the rollback exception (a version returning to a stage)", fetch=fetch)
        steps = steps_of(audit.events(top, tip=base_commit, model=name), name)
        return earned_stages(config, steps, name, tip.manifests)

    return earned


def fork_point(top: Path, base_commit: str, head_commit: str, *, fetch: bool = False) -> str | None:
    """Where ``head`` forked from ``base`` (their merge base). A shallow clone may not hold it:
    then ``fetch`` fetches the history, else ShallowCloneError says what to fetch."""
    fork = git.merge_base(top, base_commit, head_commit)
    if fork is None and git.shallow_depth(top) is not None:
        require_history(top, what="finding where the change forked from its base", fetch=fetch)
        fork = git.merge_base(top, base_commit, head_commit)
    return fork


def base_policy(tip: Snapshot) -> RegistryConfig | None:
    """The rules in force: the base's registry.yaml. None when the base has none: the change
    introduces the registry, and is validated but not judged (no rules were in force to
    break). A base whose registry.yaml is not valid cannot judge anything."""
    if tip.config is None and REGISTRY_FILE in tip.ids:
        raise InvalidInputError(
            f"the base's {REGISTRY_FILE} is not valid, so no change can be judged against it; "
            "fix it on the base branch first (modelreg validate)"
        )
    return tip.config


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


# --- policy: registry.yaml and schemas/ change alone, and move no version ---------------------


def policy_changes(
    top: Path,
    fork: str,
    head: str,
    config: RegistryConfig,
    after: Snapshot,
    *,
    models_changed: bool,
    governing: Sequence[str] = (),
) -> list[Problem]:
    """A change to the registry's policy (registry.yaml, schemas/, and the ``governing`` files:
    what Git and DVC ignore or filter) goes in a pull request of its own, and by itself it
    moves no version: a version's effective stage under the head's policy must be the one it
    has under the base's (moving ``initial:`` would move every unlisted one)."""
    changed = [c.path for c in git.changed_files(top, fork, head, [REGISTRY_FILE, SCHEMAS_DIR])]
    if not changed and not governing:
        return []
    if models_changed:
        first = [REGISTRY_FILE] if REGISTRY_FILE in changed else changed[:1]
        return [_policy_with_models(path) for path in [*first, *governing]]
    if after.config is None:
        return []  # validation reports what is wrong with the head's registry.yaml
    moved = [
        f"{name}@{version} ({was} -> {now})"
        for name in after.model_names()
        for version, was, now in _restaged(config, after.config, after, name)
    ]
    if not moved:
        return []
    shown = ", ".join(moved[:10]) + (f" and {len(moved) - 10} more" if len(moved) > 10 else "")
    message = (
        f"this policy change would move {len(moved)} version(s) without a move being judged: {shown}; "
        "list them in their stages.yaml under their current stage first, in a pull request of its own"
    )
    return [Problem(file=REGISTRY_FILE, message=message, rule="policy")]


def _restaged(
    old: RegistryConfig, new: RegistryConfig, snap: Snapshot, name: str
) -> list[tuple[str, str, str]]:
    """(version, stage under ``old``, stage under ``new``) for each version of ``name`` whose
    effective stage the two policies put in different places."""
    stages, versions = snap.stages.get(name, {}), snap.versions(name)
    was, now = policy.effective_stages(old, stages, versions), policy.effective_stages(new, stages, versions)
    return [(v, was[v], now[v]) for v in versions if was[v] != now[v]]


def _policy_with_models(path: str) -> Problem:
    if is_governing(path):
        message = (
            f"changes {path.rpartition('/')[2]}, which decides what Git and DVC see of the registry, in the "
            "same change as models/; it is policy: change it in a pull request of its own, reviewed by "
            "the owners of registry.yaml"
        )
    else:
        message = (
            "changes the registry's policy (registry.yaml, schemas/) in the same change as models/; "
            "a policy change goes in a pull request of its own, reviewed by the owners of registry.yaml"
        )
    return Problem(file=path, message=message, rule="policy")


def governing_changes(
    top: Path, fork: str, head: str, before: Snapshot, after: Snapshot, changed: list[ChangedFile]
) -> list[str]:
    """The .gitignore, .dvcignore and .gitattributes files the change adds, edits or removes at
    the root or under models/ (``changed``: the change's files under models/), but for the
    .gitignore DVC writes in a new version's folder: exactly one ``/NAME`` line per artifact.
    Invariant: what Git and DVC ignore, filter or merge changes only by a policy change."""
    found = [c.path for c in git.changed_files(top, fork, head, list(GOVERNING_NAMES), renames=False)]
    for change in changed:
        if is_governing(change.path) and not _dvc_wrote(change, before, after):
            found.append(change.path)
    return sorted(set(found))


def _dvc_wrote(change: ChangedFile, before: Snapshot, after: Snapshot) -> bool:
    """Whether ``change`` adds the .gitignore DVC writes with a new version's artifacts."""
    parts = change.path.split("/")
    key = (parts[1], parts[2]) if len(parts) == 4 and parts[3] == ".gitignore" else None
    if change.status != "A" or key is None or key in before.present or key not in after.manifests:
        return False
    raw = after.tree.read(change.path) or b""
    lines = raw.decode("utf-8", errors="replace").splitlines()
    names = sorted("/" + posixpath.basename(a.path) for a in after.manifests[key].artifacts)
    return sorted(lines) == names


# --- write-once: a registered version is its whole folder, forever -------------------------------


def write_once(before: Snapshot, after: Snapshot, changed: list[ChangedFile]) -> list[Problem]:
    """Nothing of a version registered at the base changes, appears or disappears: its manifest
    (appending to ``evaluations`` is the one allowed change) and every path under
    ``models/NAME/VERSION/``. ``changed`` lists the change's files without rename pairing."""
    found: list[Problem] = []
    for change in changed:
        where = classify(change.path)
        if not where.version or (where.model, where.version) not in before.present:
            continue
        ref = f"{where.model}@{where.version}"
        if where.kind == "manifest" and change.status == "M":
            found.extend(_modified_manifest(before, after, change.path, ref))
        elif where.kind == "manifest":
            found.append(_gone_manifest(change, ref))
        else:
            how = {"A": "added", "D": "deleted", "T": "changed into another kind of file"}.get(
                change.status, "modified"
            )
            what = "DVC pointer" if where.kind == "pointer" else "file"
            message = (
                f"{what} {change.path} of registered version {ref} was {how}; everything under "
                f"models/{where.model}/{where.version}/ is written once with the version: "
                "register a new version instead"
            )
            found.append(Problem(file=change.path, message=message, rule="write-once"))
    return found


def _gone_manifest(change: ChangedFile, ref: str) -> Problem:
    if change.status == "D":
        message = (
            f"registered version {ref} was deleted; a version is never removed: "
            f"restore the file and archive it instead (modelreg archive {ref})"
        )
    else:
        message = (
            f"the manifest of registered version {ref} was changed into another kind of file; it is "
            "written once: restore it and register a new version instead"
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
        return [writeonce.WHOLE_FILE]
    return writeonce.edited_fields(old, new)


def misdated(
    before: Snapshot, after: Snapshot, changed: list[ChangedFile], *, committed_at: datetime
) -> list[Problem]:
    """Every evaluation the change appends (to a registered version, or with a new one) is
    dated between its version's creation and the head commit (``dating.misdated``): a date
    decides nothing, but one that cannot be true is not recorded."""
    found = []
    for change in changed:
        where = classify(change.path)
        key = (where.model, where.version)
        if where.kind != "manifest" or key not in after.manifests:
            continue
        if key in before.present and key not in before.manifests:
            continue  # an unreadable base manifest: write-once reports the edit
        old = before.manifests.get(key)
        start = len(old.evaluations) if old is not None else 0
        for i, message in dating.misdated_evaluations(
            after.manifests[key], committed_at=committed_at, start=start
        ):
            found.append(
                _at(after, change.path, message, rule="evaluation-date", location=("evaluations", i))
            )
    return found


# --- rule 3: a new version is new ----------------------------------------------------------------


def collisions(
    tip: GitTree, before: Snapshot, after: Snapshot, changed: list[ChangedFile], *, base: str
) -> list[Problem]:
    """New versions that the base also registered after ``head`` forked from it."""
    on_tip: dict[tuple[str, semver.Version], str] = {}
    for path in tip.paths():
        where = classify(path)
        core = semver.core(where.version) if where.kind == "manifest" else None
        if core is not None:
            on_tip[(where.model, core)] = where.version
    found = []
    for change in changed:
        where = classify(change.path)
        core = semver.core(where.version) if where.kind == "manifest" else None
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


# --- stage moves: every difference of an effective stage is a judged move ---------------------


def judge_models(
    config: RegistryConfig | None,
    before: Snapshot,
    after: Snapshot,
    changed: list[ChangedFile],
    *,
    earned: Callable[[str], set[tuple[str, str, str]]] | None = None,
) -> tuple[list[ModelChange], list[Problem]]:
    """Each changed model's moves and new versions, and every stage rule they break.

    Every version of a touched model stands in a stage on each side (where its stages.yaml
    lists it, else ``config``'s initial stage), and every difference is a move judged by
    ``config``: the transition, the stage's requirements, its capacity. ``earned(name)`` gives
    the stages ``name``'s versions entered by allowed moves on the base branch: a version may
    return to one of them (a rollback) where the transition alone would refuse it. Without
    ``earned`` nothing is judged: the moves are only described (no rules were in force)."""
    if config is None:
        return [], []
    names = {classify(p).model for c in changed for p in (c.path, c.old_path) if p}
    changes, problems = [], []
    for name in sorted(n for n in names if n):
        registered = sorted(set(after.versions(name)) - set(before.versions(name)), key=semver.sort_key)
        moves = _moves(config, before, after, name)
        if earned is not None:
            problems.extend(_stage_problems(config, before, after, name, moves, earned=earned))
        change = model_change(
            config, before, after.manifests, name=name, moves=moves, registered=registered, lineage_from=after
        )
        change.deployments = deployment_changes(before, after, name)
        change.evaluations = evaluation_changes(before, after, name)
        if not change.empty:
            changes.append(change)
    return changes, problems


def _stage_problems(
    config: RegistryConfig,
    before: Snapshot,
    after: Snapshot,
    name: str,
    moves: list[policy.Move],
    *,
    earned: Callable[[str], set[tuple[str, str, str]]],
) -> list[Problem]:
    parses = name not in after.stage_files or name in after.stages  # one that does not is reported
    verdicts = policy.change_verdicts(
        config,
        name,
        moves,
        manifests=after.manifests,
        current=policy.current_holders(config, before, name, moves),
        earned=lambda: earned(name),
        after=after.stages.get(name, {}) if parses else None,
        versions=after.versions(name),
    )
    return [_at(after, stages_path(name), v.message, rule=v.rule, location=(v.stage,)) for v in verdicts]


def _moves(config: RegistryConfig, before: Snapshot, after: Snapshot, name: str) -> list[policy.Move]:
    """Versions of ``name`` whose effective stage differs between the two snapshots, both read
    under ``config``. A stages.yaml that does not parse moves nothing: validation reports it."""
    if name in after.stage_files and name not in after.stages:
        return []
    return policy.moves_between(
        config, name, before.stages.get(name, {}), after.stages.get(name, {}), after.versions(name)
    )


# --- deployments: every environment of a touched model runs a version holding its stage ---------


def deployment_problems(config: RegistryConfig, after: Snapshot, changed: list[ChangedFile]) -> list[Problem]:
    """The deployment rule (``rules.environments``) on the head, under the base's policy, for
    every model the change touches: a deploy of an unfit version and a move that leaves an
    environment running a version out of its stage are both refused here."""
    names = sorted({classify(c.path).model for c in changed} - {""})
    found = []
    for name in names:
        deployed = after.deployments.get(name, {})
        found += [
            _at(after, deployments_path(name), v.message, rule=v.rule, location=(v.environment,))
            for v in environments.deployment_violations(
                config, name, deployed, after.stages.get(name, {}), after.versions(name)
            )
        ]
    return found


def _missing_in_remote(
    registry: Catalog, config: RegistryConfig, changes: list[ModelChange]
) -> list[Problem]:
    """Artifacts the default remote lacks, of every version the change registers or moves into
    a stage past the initial one: a consumer of that stage must be able to pull it."""
    from modelreg.operations.remote import missing_in_remote

    wanted = [
        *(f"{c.model}@{v}" for c in changes for v in c.registered),
        *(m.ref for c in changes for m in c.moves if m.to_stage != config.initial_stage),
    ]
    snap = registry.snapshot
    return missing_in_remote(
        registry, sorted({ref for ref in wanted if tuple(ref.split("@", 1)) in snap.manifests})
    )


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
