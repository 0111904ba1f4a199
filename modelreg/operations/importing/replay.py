"""Writing an import plan: one commit per event, with the source's author and date, or nothing.

The commits are built on a throwaway index (the user's index and branch do not move while
they are made); artifacts are tracked with DVC and pushed; only then does the branch move,
once, to the last commit. Everything runs inside the same transaction as ``register``: if
anything fails (a download, DVC, a push, Ctrl-C), the files are put back and the branch never
moved, so the repository is exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from modelreg.adapters import dvc, git
from modelreg.documents import dvcfile, factsfile, stagesfile, yamlio
from modelreg.domain import faults
from modelreg.domain.layout import artifacts_dir, facts_path, manifest_path, stages_path
from modelreg.domain.models import Artifact, Manifest, RegistryConfig
from modelreg.operations import transaction
from modelreg.operations.importing.plan import TRAILER, ImportEvent, ImportPlan, iso
from modelreg.operations.register import MANIFEST_HEADER, manifest_data
from modelreg.rules import policy

Stages = dict[str, dict[str, list[str]]]


def touched_paths(events: list[ImportEvent]) -> list[str]:
    """Every path the events write (what the transaction saves and restores)."""
    paths: set[str] = set()
    for event in events:
        if event.registration is not None:
            paths |= {artifacts_dir(event.model, event.version), manifest_path(event.model, event.version)}
            if event.registration.facts is not None:
                paths.add(facts_path(event.model))
        else:
            paths.add(stages_path(event.model))
    return sorted(paths)


def replay(
    top: Path,
    plan: ImportPlan,
    *,
    config: RegistryConfig,
    stages: Stages,
    push: bool,
    say: Callable[[str], None] = lambda _: None,
) -> list[str]:
    """Write ``plan``'s events as commits on the current branch; return the commits made."""
    events = plan.ordered()
    if not events:
        return []
    git.ident(top)  # the committer: refuse now, before anything is written, if Git knows nobody
    touched = touched_paths(events)
    stages = {name: {s: list(v) for s, v in lists.items()} for name, lists in stages.items()}
    commits: list[str] = []
    with transaction.restoring(top, touched, command=f"import {plan.source}"):
        start = git.head(top)
        tip = start
        pointers: list[str] = []
        with git.scratch_index(top, start) as index:
            for event in events:
                if event.registration is not None:
                    say(f"importing {event.model}@{event.version} ({len(event.registration.files)} files)")
                    paths, new_pointers = _register(top, event)
                    pointers += new_pointers
                else:
                    paths = [_move(top, event, config=config, stages=stages)]
                faults.point("import:written")
                tip = git.commit_as(
                    top,
                    index,
                    paths,
                    parent=tip,
                    message=f"{event.subject}\n\n{_body(event)}{TRAILER}: {event.key}\n",
                    author=(event.author.name, event.author.email),
                    date=iso(event.when),
                )
                commits.append(tip)
        if push and pointers:
            say(f"pushing {len(pointers)} artifact(s) to the default DVC remote")
            dvc.push(top, pointers)
        faults.point("import:pushed")
        assert tip is not None
        git.advance_head(top, tip, start, touched)
    return commits


def _body(event: ImportEvent) -> str:
    return f"Imported from {event.why}.\n\n" if event.why else ""


def _register(top: Path, event: ImportEvent) -> tuple[list[str], list[str]]:
    """Write the version's files, track them, write its manifest (and model.yaml); return the
    paths to commit and the DVC pointers made."""
    registration = event.registration
    assert registration is not None
    folder = artifacts_dir(event.model, event.version)
    tops: list[str] = []
    for source in registration.files:
        target = top / folder / source.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read())
        first = source.path.split("/", 1)[0]
        if first not in tops:
            tops.append(first)
    tracked = [f"{folder}/{name}" for name in tops]
    dvc.add(top, tracked)
    artifacts = []
    for rel in tracked:
        pointer = dvcfile.parse((top / (rel + ".dvc")).read_bytes(), rel + ".dvc")
        artifacts.append(Artifact(path=rel, md5=pointer.md5, size=pointer.size, nfiles=pointer.nfiles))
    manifest = Manifest.model_validate({**registration.manifest, "artifacts": artifacts})
    paths = [folder, manifest_path(event.model, event.version)]
    _write(top, paths[1], yamlio.dump(manifest_data(manifest), header=MANIFEST_HEADER))
    if registration.facts is not None:
        paths.append(facts_path(event.model))
        _write(top, paths[2], factsfile.render(registration.facts))
    return paths, [r + ".dvc" for r in tracked]


def _move(top: Path, event: ImportEvent, *, config: RegistryConfig, stages: Stages) -> str:
    """Move the version in the model's stages.yaml (displacing holders over ``max_versions``
    as ``promote`` does); return the path."""
    assert event.to_stage is not None
    placement = policy.place(config, event.model, stages.get(event.model, {}), event.version, event.to_stage)
    stages[event.model] = placement.stages
    rel = stages_path(event.model)
    target = top / rel
    previous = target.read_bytes() if target.is_file() else None
    _write(top, rel, stagesfile.render(config, placement.stages, previous=previous))
    return rel


def _write(top: Path, rel: str, text: str) -> None:
    target = top / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def without_noops(events: list[ImportEvent], *, config: RegistryConfig, stages: Stages) -> list[ImportEvent]:
    """``events`` without the moves that would leave a stages.yaml as it is (the version already
    stands there, by an earlier import or by hand)."""
    lists = {name: {s: list(v) for s, v in held.items()} for name, held in stages.items()}
    kept = []
    for event in events:
        if event.to_stage is not None:
            before = lists.get(event.model, {})
            if event.only_from and config.stage_of(before, event.version) != event.only_from:
                continue
            after = policy.place(config, event.model, before, event.version, event.to_stage).stages
            if _normal(after) == _normal(before):
                continue
            lists[event.model] = after
        kept.append(event)
    return kept


def _normal(stages: dict[str, list[str]]) -> dict[str, list[str]]:
    return {s: sorted(v) for s, v in stages.items() if v}
