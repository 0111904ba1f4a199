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
    from modelreg.domain.models import EvaluationKind, ModelVersion
    from modelreg.history.audit import AuditTrail
    from modelreg.history.timetravel import Moment, VersionAsOf
    from modelreg.operations.evaluate import EvaluateResult
    from modelreg.operations.proposal import ProposalOptions
    from modelreg.queries.compare import Comparison
    from modelreg.queries.lineage import Direction, LineageGraph

# Each method imports the service it calls when called (start-up speed: `modelreg show`
# reads a catalog and needs none of them); every import still points down the layers.

__all__ = ["ListedVersion", "Registry", "RegistryAsOf", "ValidationReport", "registry_at", "version_as_of"]


class Registry(Catalog):
    """A model registry: the Git repository at ``path`` (its work tree, or commit ``rev``)."""

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

    def compare(self, *refs: str, metrics: list[str] | None = None, dataset: str | None = None) -> Comparison:
        """The versions side by side: metrics by goal, params, data, lineage; the first is the base.
        With ``dataset`` (``NAME@VERSION``): the metrics of their evaluations on that dataset."""
        from modelreg.queries.compare import compare

        return compare(self, list(refs), metrics=metrics, dataset=dataset)

    def evaluate(
        self,
        ref: str,
        *,
        dataset: str,
        metrics: dict[str, float],
        kind: EvaluationKind = "offline",
        note: str | None = None,
        commit: bool = False,
        options: ProposalOptions | None = None,
    ) -> EvaluateResult:
        """Append an evaluation of ``ref`` on ``dataset`` (``NAME@VERSION``) to its manifest:
        proposed on a branch with a pull request (``options``), or committed on the current
        branch with ``commit=True``. The same as ``modelreg evaluate``."""
        from modelreg.operations.evaluate import EvaluateRequest, evaluate
        from modelreg.operations.proposal import ProposalOptions

        request = EvaluateRequest(
            ref=ref,
            dataset=dataset,
            metrics=metrics,
            kind=kind,
            note=note,
            commit=commit,
            options=options or ProposalOptions(),
        )
        return evaluate(self.root, request)


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
