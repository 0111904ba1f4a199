"""The Python API: ``Registry(path).get("fraud-detector@production")``.

``Registry`` is the facade: a ``Catalog`` (the documents, asked by reference) with the
questions that need more than one snapshot (history, time travel, lineage, comparison) and
the artifacts' bytes. It is the one module that wires the services together; each service
takes what it needs (a catalog, a root), never the facade.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from modelreg.adapters import git
from modelreg.domain.dates import checked_date
from modelreg.domain.errors import InvalidInputError
from modelreg.queries.catalog import Catalog, ListedVersion, ValidationReport

if TYPE_CHECKING:
    from modelreg.domain.models import ModelSummary, ModelVersion
    from modelreg.history.audit import AuditTrail
    from modelreg.history.timetravel import Moment, VersionAsOf
    from modelreg.operations.artifacts import PullResult
    from modelreg.operations.remoteread import RemoteCopy
    from modelreg.queries.compare import Comparison
    from modelreg.queries.lineage import Direction, LineageGraph

# Each method imports the service it calls when called (start-up speed: `modelreg show`
# reads a catalog and needs none of them); every import still points down the layers.

__all__ = [
    "ListedVersion",
    "Registry",
    "RegistryAsOf",
    "RemoteRegistry",
    "ValidationReport",
    "registry_at",
    "version_as_of",
]


class Registry(Catalog):
    """A model registry: the Git repository at ``path`` (its work tree, or commit ``rev``)."""

    @staticmethod
    def remote(url: str, rev: str | None = None, cache_dir: str | Path | None = None) -> RemoteRegistry:
        """The registry at Git URL ``url`` as of ``rev`` (branch, tag or commit id; the
        server's HEAD by default), read without a clone: a partial copy in ``cache_dir``
        (``~/.cache/modelreg/repos`` by default) fetches only the files a question reads."""
        from modelreg.operations.remoteread import open_remote

        return RemoteRegistry(open_remote(url, rev, cache_dir))

    def open_artifact(self, ref: str, file: str | None = None) -> BinaryIO:
        """A binary stream of one artifact file of ``ref`` (``file`` names it when the version
        has several, or a file inside a folder artifact), streamed from the DVC cache or remote
        and md5-checked when read to the end. Use it in a ``with`` block."""
        from modelreg.operations import artifacts

        return artifacts.open_artifact(self, ref, file)

    def artifact_path(self, ref: str, file: str | None = None) -> Path:
        """A local path holding the verified artifact(s) of ``ref``, fetched into the DVC
        cache and the work tree if needed (the version folder when it has several)."""
        from modelreg.operations import artifacts

        return artifacts.artifact_path(self, ref, file)

    def history(
        self,
        ref: str | None = None,
        *,
        stage: str | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
    ) -> AuditTrail:
        """The audit trail, newest first: of everything, a model (``NAME``) or a version;
        dates may be text (YYYY-MM-DD...)."""
        from modelreg.history import audit

        model, version = self.target(ref) if ref else (None, None)
        return audit.trail(
            self.root,
            model=model,
            version=version,
            stage=stage,
            since=checked_date(since) if isinstance(since, str) else since,
            until=checked_date(until, end_of_day=True) if isinstance(until, str) else until,
            tip=self.tip,
        )

    def at(self, rev_or_date: str) -> RegistryAsOf:
        """A read-only registry as of a revision or a date (the last commit at or before it)."""
        return registry_at(self.root, rev_or_date)

    def lineage(self, ref: str, *, depth: int | None = None, direction: Direction = "both") -> LineageGraph:
        """Ancestors and descendants of the version ``ref`` names, through ``lineage.parents``."""
        from modelreg.queries.lineage import lineage

        return lineage(self, ref, depth=depth, direction=direction)

    def compare(self, *refs: str, metrics: list[str] | None = None) -> Comparison:
        """The versions side by side: metrics by goal, params, data, lineage; the first is the base."""
        from modelreg.queries.compare import compare

        return compare(self, list(refs), metrics=metrics)


class RegistryAsOf(Registry):
    """A read-only registry as it was committed at one moment of its history."""

    def __init__(self, path: str | Path, moment: Moment) -> None:
        super().__init__(path, rev=moment.commit)
        self.moment = moment


def registry_at(path: str | Path, at: str) -> RegistryAsOf:
    """The registry at ``path`` as of ``at`` (a revision or a date)."""
    from modelreg.history import timetravel

    top = git.root(path)
    return RegistryAsOf(top, timetravel.resolve(top, at))


def version_as_of(registry: Registry, found: ModelVersion) -> VersionAsOf:
    """``found`` (read from ``registry``, a registry as of a moment) with its stay in its stage."""
    from modelreg.history import audit, tenures
    from modelreg.history.timetravel import VersionAsOf

    if not isinstance(registry, RegistryAsOf):
        raise InvalidInputError("version_as_of needs a registry from Registry.at(...)")
    moment = registry.moment
    events = audit.events(registry.root, tip=moment.commit, model=found.name)
    held = tenures.held_since(
        events, found.name, found.version, found.stage, initial=registry.config.initial_stage
    )
    return VersionAsOf(version=found, as_of=moment, held=held)


class RemoteRegistry:
    """A registry read from a Git URL (``Registry.remote``): one commit, one model at a time.

    Each question about model NAME fetches that model's folder once; ``model_registry(name)``
    is a ``Registry`` over it (and registry.yaml) for everything a commit can answer."""

    def __init__(self, copy: RemoteCopy) -> None:
        self._copy = copy

    @property
    def url(self) -> str:
        return self._copy.url

    @property
    def commit(self) -> str:
        """The commit read."""
        return self._copy.commit

    def model_names(self) -> list[str]:
        """The names of every model (the ``models/`` folder's entries; no file is fetched)."""
        return self._copy.model_names()

    def model_registry(self, name: str) -> Registry:
        """A ``Registry`` at the commit read whose only model is ``name``."""
        return Registry(self._copy.top, rev=self._copy.commit, tree=self._copy.tree(name))

    def model(self, name: str) -> ModelSummary:
        return self._copy.catalog(name).model(name)

    def versions(self, name: str) -> list[ModelVersion]:
        return self._copy.catalog(name).versions(name)

    def listing(self, name: str) -> list[ListedVersion]:
        return self._copy.catalog(name).listing(name)

    def get(self, ref: str) -> ModelVersion:
        """The version ``ref`` names (``NAME@1.2.0``, ``NAME@production``, ``NAME@latest``)."""
        from modelreg.domain import refs

        return self._copy.catalog(refs.parse(ref).name).get(ref)

    def open_artifact(self, ref: str, file: str | None = None) -> BinaryIO:
        """As ``Registry.open_artifact``: streamed from the DVC remote the registry names."""
        return self._copy.open_artifact(ref, file)

    def pull(self, ref: str, output: str | Path | None = None, *, file: str | None = None) -> PullResult:
        """Fetch and verify the artifacts of ``ref`` into ``output`` (a file for one artifact,
        else a folder; the current folder by default)."""
        return self._copy.pull(ref, output=output, file=file)
