"""``modelreg doctor``: find and undo what an interrupted command left behind."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from modelreg.adapters import git
from modelreg.domain.errors import InvalidInputError
from modelreg.domain.layout import MODELS_DIR
from modelreg.operations import transaction

# the branches `promote` (demote, archive, deprecate), `rollback`, `evaluate`, `deploy` and
# `describe` propose from
PROPOSAL_PREFIXES = ["promote/", "rollback/", "evaluate/", "deploy/", "describe/"]


class DoctorReport(BaseModel):
    recovered: str | None
    untracked: list[str]
    pruned: list[str] = []  # proposal branches deleted: NAME (local) or origin/NAME
    base: str | None = None  # what they were merged into

    @property
    def healthy(self) -> bool:
        return not self.untracked


def doctor(path: Path) -> DoctorReport:
    """Roll back an interrupted transaction, then list files in models/ that Git does not track."""
    top = git.root(path)
    recovered = transaction.recover(top)
    return DoctorReport(recovered=recovered, untracked=git.untracked_files(top, MODELS_DIR))


def prune(path: Path, *, base: str | None = None, remote: bool = False) -> DoctorReport:
    """``doctor``, then delete the proposal branches (``PROPOSAL_PREFIXES``) whose tip ``base``
    already contains: merged pull requests' branches, locally and, with ``remote``, on origin
    (as last fetched). A branch with commits ``base`` lacks is kept;
    so is one a squash merge landed (its tip is not in ``base``)."""
    report = doctor(path)
    top = git.root(path)
    base = base or _default_base(top)
    tip = git.resolve(top, base)
    pruned = []
    current = git.current_branch(top)
    for name, sha in sorted(git.branches(top, PROPOSAL_PREFIXES).items()):
        if name != current and git.is_ancestor(top, sha, tip):
            git.delete_branch(top, name, sha)
            pruned.append(name)
    if remote:
        for name, sha in sorted(git.branches(top, PROPOSAL_PREFIXES, remote="origin").items()):
            if git.is_ancestor(top, sha, tip) and git.delete_remote_branch_at(top, "origin", name, sha):
                pruned.append(f"origin/{name}")
    return report.model_copy(update={"pruned": pruned, "base": base})


def _default_base(top: Path) -> str:
    for candidate in ("origin/HEAD", "origin/main", "origin/master", "main", "master"):
        try:
            git.resolve(top, candidate)
        except InvalidInputError:
            continue
        return candidate
    raise InvalidInputError("no base branch to prune against (origin/main, main...): pass --base BRANCH")
