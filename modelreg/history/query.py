"""What `modelreg history` narrows the audit trail to, asked of events and of kept table rows
alike (light: a warm `history` imports neither pydantic nor the history engine)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from modelreg.domain.errors import NotFoundError


class Query(NamedTuple):
    """What `modelreg history` narrows the trail to (None: no narrowing)."""

    model: str | None = None
    version: str | None = None
    stage: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def keeps(
        self, model: str | None, version: str | None, moved: tuple[str | None, str | None], at: float
    ) -> bool:
        """Whether an event of ``model``@``version`` moving ``moved`` (from, to), committed at
        ``at`` (epoch seconds), is one this query asks for."""
        return (
            (self.model is None or model == self.model)
            and (self.version is None or version == self.version)
            and (self.stage is None or self.stage in moved)
            and (self.since is None or at >= self.since.timestamp())
            and (self.until is None or at <= self.until.timestamp())
        )


def check_known(model: str | None, version: str | None, seen: list[tuple[str | None, str | None]]) -> None:
    """NotFoundError when ``model`` (or ``model@version``) has no event among ``seen``."""
    if model is not None and not any(m == model for m, _ in seen):
        raise NotFoundError(
            f"model {model!r} has no history in this registry; `modelreg list` shows the models"
        )
    if version is not None and (model, version) not in seen:
        raise NotFoundError(f"{model}@{version} has no history in this registry")
