"""The rules that hold within one snapshot of a registry (no history needed)."""

from __future__ import annotations

import posixpath
import re

from modelreg.documents.snapshot import Snapshot, VersionFacts
from modelreg.documents.tree import WorkTree
from modelreg.domain import naming, refs, semver
from modelreg.domain.errors import DocumentError, InvalidInputError
from modelreg.domain.layout import (
    MODELS_DIR,
    REGISTRY_FILE,
    case_collisions,
    check_file_name,
    deployments_path,
    facts_path,
    manifest_path,
    stages_path,
    unsafe_path,
)
from modelreg.domain.models import RegistryConfig
from modelreg.domain.problems import Problem
from modelreg.rules import dvcconfig, environments, policy


def check_snapshot(snap: Snapshot) -> None:
    """Add to ``snap.problems`` every cross-file rule the snapshot breaks.

    Registry.validate caches the outcome by ``Snapshot.state_key``: the registry's paths and
    the content of its documents and pointers. A rule reading anything else of the tree must
    add what it read to that key (as validate does for ``dvcconfig.config_problems``).
    """
    if snap.config is None:
        return
    _check_config(snap, snap.config)
    _check_versions(snap, snap.config)
    every = snap.all_version_facts()  # what these rules read of each manifest, cached
    for name, version in sorted(every):
        facts = every[(name, version)]
        _check_artifacts(snap, name, version, facts.artifacts)
        _check_parents(snap, name, version, [ref for ref, _ in facts.parents])
        for i, message in facts.misdated:
            snap.problem(
                manifest_path(name, version), message, rule="evaluation-date", location=("evaluations", i)
            )
    _check_cycles(snap)
    _check_orphan_pointers(snap)
    _check_version_folders(snap, every)
    _check_portable_paths(snap)
    if MODELS_DIR in snap.paths:
        snap.problem(
            MODELS_DIR, "is a symlink or a file; it must be a folder in the repository", rule="layout"
        )
    for name in sorted(snap.stages):
        _check_stages(snap, snap.config, name)
    for name in sorted(snap.deployments):
        _check_deployments(snap, snap.config, name)
    snap.problems.extend(dvcconfig.config_problems(snap.tree))


def _check_config(snap: Snapshot, config: RegistryConfig) -> None:
    stages = set(config.stages)
    if sum(p.initial for p in config.stages.values()) != 1:
        snap.problem(REGISTRY_FILE, "exactly one stage must be 'initial: true'", rule="config")
    if "latest" in config.stages:
        snap.problem(
            REGISTRY_FILE,
            "'latest' cannot be a stage: NAME@latest means the highest version",
            rule="config",
            location=("stages", "latest"),
        )
    for stage, stage_policy in config.stages.items():
        for source in stage_policy.from_:
            if source not in stages:
                snap.problem(
                    REGISTRY_FILE,
                    f"stage {stage!r} allows moves from unknown stage {source!r}",
                    rule="config",
                    location=("stages", stage, "from"),
                )
        for metric in stage_policy.requires.not_worse_than_current:
            if metric not in config.metrics:
                snap.problem(
                    REGISTRY_FILE,
                    f"stage {stage!r} compares metric {metric!r}, which has no goal under 'metrics'",
                    rule="config",
                    location=("stages", stage, "requires"),
                )
        if stage_policy.displace_to and stage_policy.displace_to not in stages:
            snap.problem(
                REGISTRY_FILE,
                f"stage {stage!r} displaces to unknown stage {stage_policy.displace_to!r}",
                rule="config",
                location=("stages", stage, "displace_to"),
            )
    for env, declared in config.environments.items():
        for stage in declared.stages:
            if stage not in stages:
                snap.problem(
                    REGISTRY_FILE,
                    f"environment {env!r} requires unknown stage {stage!r}",
                    rule="config",
                    location=("environments", env),
                )
    unusable = naming.problem(config.naming.model)
    if unusable:
        snap.problem(REGISTRY_FILE, f"naming.model {unusable}", rule="config", location=("naming", "model"))


def _check_versions(snap: Snapshot, config: RegistryConfig) -> None:
    name_problems = _name_problems(snap, config)
    seen: dict[tuple[str, semver.Version], str] = {}
    listed = set(snap.paths)
    for path in snap.paths:
        parts = path.split("/")
        if len(parts) != 3 or parts[0] != "models" or not parts[2].endswith(".yaml"):
            continue
        name, leaf = parts[1], parts[2]
        if name_problems.get(name):
            snap.problem(path, name_problems[name], rule="naming")
        if leaf in {"model.yaml", "stages.yaml", "deployments.yaml"}:
            continue
        version = leaf.removesuffix(".yaml")
        parsed = semver.parse(version)
        if parsed is None:
            snap.problem(path, f"file name {version!r} is not a semantic version (X.Y.Z)", rule="path")
            continue
        key = (name, semver.Version(parsed.major, parsed.minor, parsed.patch, parsed.prerelease))
        if key in seen:
            snap.problem(
                path,
                f"version {version} duplicates {seen[key]} (build metadata does not count)",
                rule="path",
            )
        seen[key] = version
        manifest = snap.version_facts(name, version) if (name, version) in snap.manifests else None
        if manifest and manifest.name != name:
            snap.problem(
                path,
                f"name {manifest.name!r} does not match its folder {name!r}",
                rule="path",
                location=("name",),
            )
        if manifest and manifest.version != version:
            snap.problem(
                path,
                f"version {manifest.version!r} does not match its file name {version!r}",
                rule="path",
                location=("version",),
            )
        if (name, version) in snap.manifests and facts_path(name) not in listed:
            snap.problem(
                path,
                f"model {name!r} has no {facts_path(name)}; add its owner and description",
                rule="layout",
            )
    for name, facts in snap.facts.items():
        if facts.name != name:
            snap.problem(
                facts_path(name),
                f"name {facts.name!r} does not match its folder {name!r}",
                rule="path",
                location=("name",),
            )


def _name_problems(snap: Snapshot, config: RegistryConfig) -> dict[str, str]:
    """What is wrong with each model folder's name, if anything (each name matched once)."""
    try:
        rule: re.Pattern[str] | None = naming.compiled(config.naming.model)
    except naming.UnsafeRule:
        rule = None  # reported with registry.yaml
    found: dict[str, str] = {}
    for name in {p.split("/")[1] for p in snap.paths if p.startswith("models/") and p.count("/") >= 2}:
        try:
            refs.check_name(name)
        except InvalidInputError as e:
            found[name] = str(e)
            continue
        if rule and not rule.match(name):
            found[name] = f"model name {name!r} breaks the naming rule {config.naming.model}"
    return found


def _check_artifacts(snap: Snapshot, name: str, version: str, artifacts: list[tuple[str, str, int]]) -> None:
    path = manifest_path(name, version)
    folder = f"models/{name}/{version}/"
    for i, (artifact_path, md5, size) in enumerate(artifacts):
        where = ("artifacts", i, "path")
        normal = posixpath.normpath(artifact_path)
        if normal != artifact_path or not artifact_path.startswith(folder) or artifact_path == folder:
            snap.problem(
                path,
                f"artifact {artifact_path!r} must lie under {folder}",
                rule="artifact",
                location=where,
            )
            continue
        why = unsafe_path(artifact_path.removeprefix(folder))
        if why is not None:
            snap.problem(path, f"artifact {artifact_path!r} {why}", rule="unsafe-path", location=where)
            continue
        pointer_path = artifact_path + ".dvc"
        if pointer_path not in snap.pointers:
            snap.problem(
                path,
                f"artifact {artifact_path} has no DVC pointer {pointer_path}",
                rule="artifact",
                location=where,
            )
            continue
        try:
            pointer = snap.pointer(pointer_path)
        except DocumentError as e:
            snap.problems.append(_as_problem(e))
            continue
        if posixpath.join(posixpath.dirname(pointer_path), pointer.path) != artifact_path:
            snap.problem(
                pointer_path,
                f"points at {pointer.path!r}, not at {posixpath.basename(artifact_path)!r}",
                rule="artifact",
            )
        if pointer.md5 != md5 or pointer.size != size:
            snap.problem(
                path,
                f"artifact {artifact_path}: manifest says md5 {md5} size {size}, "
                f"its DVC pointer says md5 {pointer.md5} size {pointer.size}",
                rule="artifact",
                location=("artifacts", i),
            )


def _as_problem(e: DocumentError) -> Problem:
    return Problem(file=e.path, line=e.line, message=e.detail, rule="artifact")


def parent_key(ref: str) -> tuple[str, str] | None:
    """(model, version) of a lineage parent reference, or None if it is not NAME@X.Y.Z."""
    name, _, version = ref.partition("@")
    return (name, version) if semver.parse(version) else None


def _check_parents(snap: Snapshot, name: str, version: str, parents: list[str]) -> None:
    for i, ref in enumerate(parents):
        where = ("lineage", "parents", i, "ref")
        key = parent_key(ref)
        if key is None:
            snap.problem(
                manifest_path(name, version),
                f"parent {ref!r} must name an exact version (NAME@X.Y.Z)",
                rule="lineage",
                location=where,
            )
        elif key not in snap.present:
            snap.problem(
                manifest_path(name, version),
                f"parent {ref} does not exist in the registry",
                rule="lineage",
                location=where,
            )
        elif key == (name, version):
            snap.problem(
                manifest_path(name, version),
                "a version cannot be its own parent",
                rule="lineage",
                location=where,
            )


def _cycles(parents: dict[tuple[str, str], list[str]]) -> list[list[tuple[str, str]]]:
    """Every cycle through the parent references of each version, each as the versions along it."""
    graph = {
        key: [k for ref in refs if (k := parent_key(ref)) in parents and k != key]
        for key, refs in parents.items()
    }
    state: dict[tuple[str, str], int] = {}
    cycles: list[list[tuple[str, str]]] = []
    for start in sorted(graph):
        if state.get(start):
            continue
        stack: list[tuple[tuple[str, str], int]] = [(start, 0)]
        path: list[tuple[str, str]] = []
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node] = 1
                path.append(node)
            children = graph[node]
            if i < len(children):
                stack.append((node, i + 1))
                child = children[i]
                if state.get(child) == 1:
                    cycles.append(path[path.index(child) :] + [child])
                elif not state.get(child):
                    stack.append((child, 0))
            else:
                state[node] = 2
                path.pop()
    return cycles


def _check_cycles(snap: Snapshot) -> None:
    parents = {key: [ref for ref, _ in facts.parents] for key, facts in snap.all_version_facts().items()}
    for cycle in _cycles(parents):
        name, version = cycle[0]
        chain = " -> ".join(f"{n}@{v}" for n, v in cycle)
        snap.problem(
            manifest_path(name, version),
            f"lineage has a cycle: {chain}",
            rule="lineage",
            location=("lineage",),
        )


def _check_orphan_pointers(snap: Snapshot) -> None:
    for path in sorted(snap.pointers):
        _, name, version = path.split("/")[:3]
        if (name, version) not in snap.present:
            snap.problem(
                path,
                f"DVC pointer belongs to no manifest (no models/{name}/{version}.yaml)",
                rule="artifact",
            )


def _check_version_folders(snap: Snapshot, every: dict[tuple[str, str], VersionFacts]) -> None:
    """A version's folder holds its artifacts' DVC pointers and DVC's .gitignore files, nothing
    else: another file there (a second pointer DVC would act on, a config a loader would read,
    a symlink where an artifact belongs) is not what the manifest describes. In the work tree
    the artifacts themselves lie there too, ignored by Git; in a commit they never do."""
    on_disk = isinstance(snap.tree, WorkTree)
    for path in snap.paths:
        parts = path.split("/")
        facts = every.get((parts[1], parts[2])) if len(parts) > 3 and parts[0] == MODELS_DIR else None
        if facts is None or parts[-1] == ".gitignore":
            continue
        artifacts = [a for a, _, _ in facts.artifacts]
        if path in {a + ".dvc" for a in artifacts}:
            continue
        if on_disk and any(path == a or path.startswith(a + "/") for a in artifacts):
            continue
        snap.problem(
            path,
            f"is not the DVC pointer of an artifact of {parts[1]}@{parts[2]}; a version's folder holds "
            "only its artifacts' pointers: remove it",
            rule="artifact",
        )


def _check_portable_paths(snap: Snapshot) -> None:
    """Every file must check out on every system: no two paths that differ only by case
    (macOS and Windows would keep one), no names Windows cannot hold (NUL.bin, CON, a:b) and
    none HFS+ or NTFS would read as another (layout.name_problem)."""
    for path, other in case_collisions(snap.paths):
        snap.problem(
            path,
            f"differs from {other} only by case; a case-insensitive file system (macOS, "
            "Windows) holds only one of them: rename or remove one",
            rule="path",
        )
    for path in snap.paths:
        for part in path.split("/")[2:]:  # models/<name> is checked as a model name
            try:
                check_file_name(part, what="name")
            except InvalidInputError as e:
                snap.problem(path, str(e), rule="path")
                break


def _check_stages(snap: Snapshot, config: RegistryConfig, name: str) -> None:
    path = stages_path(name)
    placed: dict[str, str] = {}
    for stage, held in snap.stages[name].items():
        if stage not in config.stages:
            snap.problem(
                path,
                f"unknown stage {stage!r}; registry.yaml defines {', '.join(config.stages)}",
                rule="stages",
                location=(stage,),
            )
            continue
        for version in held:
            if (name, version) not in snap.present:
                snap.problem(
                    path,
                    f"{stage}: version {version} of {name} is not registered",
                    rule="stages",
                    location=(stage,),
                )
            if version in placed:
                snap.problem(
                    path,
                    f"version {version} stands in two stages: {placed[version]} and {stage}",
                    rule="stages",
                    location=(stage,),
                )
            placed[version] = stage
        if len(set(held)) != len(held):
            snap.problem(path, f"{stage} lists a version twice", rule="stages", location=(stage,))
    for violation in policy.over_capacity(config, name, snap.stages[name], snap.versions(name)):
        snap.problem(path, violation.detail, rule=violation.rule, location=(violation.stage,))


def _check_deployments(snap: Snapshot, config: RegistryConfig, name: str) -> None:
    stages = snap.stages.get(name, {})
    found = environments.deployment_violations(
        config, name, snap.deployments[name], stages, snap.versions(name)
    )
    for violation in found:
        snap.problem(
            deployments_path(name), violation.message, rule=violation.rule, location=(violation.environment,)
        )
