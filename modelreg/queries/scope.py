"""What a change needs read: the models it touches, and those their lineage leads to.

`check` judges a change from the diff of two trees plus what each touched model needs (its
other versions, its stages, the lineage of its versions), not from the whole registry, which
`validate` judges. The scope is every model a changed file lies in, closed under lineage
parents (so that "every parent exists" and "lineage has no cycle" see every version a new one
can reach). A change outside model folders (registry.yaml, schemas/, CODEOWNERS, the models/
folder itself) or to a model's facts (model.yaml: its owner writes CODEOWNERS) has no scope:
the whole registry is read, as before.
"""

from __future__ import annotations

from pathlib import Path

from modelreg.adapters import git
from modelreg.documents import snapshot
from modelreg.documents.tree import GitTree
from modelreg.domain import refs
from modelreg.domain.errors import InvalidInputError
from modelreg.domain.layout import MODELS_DIR
from modelreg.rules.validation import parent_key


def change_scope(top: Path, fork: str, head: str) -> list[str] | None:
    """The models to read to judge what ``head`` changed since ``fork`` (sorted), or None
    when the change needs the whole registry read."""
    touched = touched_models(git.changed_files(top, fork, head, [], renames=False))
    if touched is None:
        return None
    return lineage_closure(top, head, touched)


def touched_models(changed: list[git.ChangedFile]) -> set[str] | None:
    """The models whose folders hold the changed files; None when one lies elsewhere, is a
    model's model.yaml, or is in a folder that cannot be a model's."""
    found = set()
    for change in changed:
        for path in (change.path, change.old_path):
            if path is None:
                continue
            parts = path.split("/")
            if len(parts) < 3 or parts[0] != MODELS_DIR or path == f"{MODELS_DIR}/{parts[1]}/model.yaml":
                return None
            try:
                found.add(refs.check_name(parts[1]))
            except InvalidInputError:
                return None
    return found


def lineage_closure(top: Path, rev: str, models: set[str]) -> list[str]:
    """``models`` and every model the lineage parents of their versions name, transitively,
    as committed at ``rev``."""
    scope: set[str] = set()
    wanted = set(models)
    while wanted - scope:
        new = sorted(wanted - scope)
        scope |= wanted
        snap = snapshot.load(GitTree(top, rev, models=new, commit=rev))
        for facts in snap.all_version_facts().values():
            for ref, _ in facts.parents:
                key = parent_key(ref)
                if key is not None and _is_name(key[0]):
                    wanted.add(key[0])
    return sorted(scope)


def _is_name(name: str) -> bool:
    try:
        refs.check_name(name)
    except InvalidInputError:
        return False
    return True
