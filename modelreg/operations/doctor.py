"""``modelreg doctor``: find and undo what an interrupted command left behind."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from modelreg.adapters import git
from modelreg.domain.layout import MODELS_DIR
from modelreg.operations import transaction


class DoctorReport(BaseModel):
    recovered: str | None
    untracked: list[str]

    @property
    def healthy(self) -> bool:
        return not self.untracked


def doctor(path: Path) -> DoctorReport:
    """Roll back an interrupted transaction, then list files in models/ that Git does not track."""
    top = git.root(path)
    recovered = transaction.recover(top)
    return DoctorReport(recovered=recovered, untracked=git.untracked_files(top, MODELS_DIR))
