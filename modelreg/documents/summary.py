"""What `modelreg list` shows and `list --where` searches of a version: small values, cheap to
import (a warm `list --where` reads them from the store and never loads the registry)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from modelreg.domain.models import Manifest, ParamValue


class VersionSummary(NamedTuple):
    """What `modelreg list` shows and `list --where` searches of a version; cached, so listing
    and searching build no manifest."""

    created_at: str  # Manifest.created_at.isoformat()
    created_date: str  # YYYY-MM-DD
    created_by: str
    tags: list[str]
    metrics: dict[str, float]
    framework: str | None = None
    algorithm: str | None = None
    custom: dict[str, Any] = {}  # noqa: RUF012 (``custom_leaves``; a NamedTuple's default, never mutated)
    params: dict[str, ParamValue] = {}  # noqa: RUF012 (a NamedTuple's default, never mutated)

    @classmethod
    def of(cls, m: Manifest) -> VersionSummary:
        date = m.created_at.strftime("%Y-%m-%d")
        framework = m.framework.name if m.framework else None
        return cls(
            m.created_at.isoformat(),
            date,
            m.created_by,
            list(m.tags),
            dict(m.metrics),
            framework,
            m.algorithm,
            custom_leaves(m.custom),
            dict(m.params),
        )

    def to_data(self) -> list[Any]:
        return list(self)

    @classmethod
    def from_data(cls, data: Any) -> VersionSummary:
        """Rebuild from ``to_data``; ValueError when ``data`` is not what it wrote."""
        at, date, by, tags, metrics, framework, algorithm, custom, params = data
        if type(at) is not str or type(date) is not str or type(by) is not str:
            raise ValueError("summary")
        if type(tags) is not list or type(metrics) is not dict or type(params) is not dict:
            raise ValueError("summary")
        if type(custom) is not dict:
            raise ValueError("summary custom")
        for text in (framework, algorithm):
            if not (text is None or type(text) is str):
                raise ValueError("summary")
        for tag in tags:
            if type(tag) is not str:
                raise ValueError("summary tags")
        for value in metrics.values():
            if type(value) is not float:
                raise ValueError("summary metrics")
        for value in params.values():
            if not (value is None or type(value) in (str, int, float, bool)):
                raise ValueError("summary params")
        return cls(at, date, by, tags, metrics, framework, algorithm, custom, params)


def custom_leaves(custom: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A manifest's ``custom`` by dotted key (``{"team": {"slack": "#ml"}}`` -> ``team.slack``):
    what ``list --where custom.KEY`` searches and ``show`` prints."""
    found: dict[str, Any] = {}
    for key, value in custom.items():
        if isinstance(value, Mapping):
            found.update(custom_leaves(value, f"{prefix}{key}."))
        else:
            found[f"{prefix}{key}"] = value
    return found


class ListedVersion(NamedTuple):
    """A version as ``modelreg list`` shows it: its stage and the summary of its manifest."""

    name: str
    version: str
    stage: str
    summary: VersionSummary

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"
