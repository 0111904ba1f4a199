"""The Python API: ``Registry(path).get("fraud-detector@production")``.

``Registry`` is the facade: it holds a ``Catalog`` (the documents, asked by reference), answers
its questions, and adds those that need more than one snapshot (history, time travel, lineage,
comparison), the artifacts' bytes and the commands that change the repository. It is the one
module that wires the services together; each service takes what it needs (a catalog, a
root), never the facade.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from modelreg.adapters import git
from modelreg.domain.dates import checked_date
from modelreg.domain.errors import InvalidInputError
from modelreg.queries.catalog import Catalog, ListedVersion, ValidationReport

if TYPE_CHECKING:
    from modelreg.documents.snapshot import Snapshot
    from modelreg.documents.tree import Tree
    from modelreg.domain.models import (
        Code,
        Dataset,
        EvaluationKind,
        ModelSummary,
        ModelVersion,
        Parent,
        RegistryConfig,
        Signature,
    )
    from modelreg.domain.refs import Ref
    from modelreg.history.audit import AuditTrail
    from modelreg.history.timetravel import Moment, VersionAsOf
    from modelreg.operations.artifacts import PullResult
    from modelreg.operations.describe import DescribeResult
    from modelreg.operations.evaluate import EvaluateResult
    from modelreg.operations.promote import PromoteResult
    from modelreg.operations.proposal import ProposalOptions
    from modelreg.operations.register import RegisterResult
    from modelreg.operations.remoteread import RemoteCopy
    from modelreg.queries.card import ModelCard
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


class Registry:
    """A model registry: the Git repository at ``path`` (its work tree, or commit ``rev``)."""

    def __init__(self, path: str | Path = ".", *, rev: str | None = None, tree: Tree | None = None) -> None:
        """``tree``: the files to read when the caller has listed them already (its work tree's
        or ``rev``'s). Nothing of the models is read until asked (see ``Catalog``);
        NotARegistryError when there is no registry.yaml."""
        self.catalog = Catalog(path, rev=rev, tree=tree)
        self._work_tree = rev is None and tree is None  # the whole work tree, listed afresh

    # -- the documents, asked by reference (the catalog's questions) ---------------------------

    @property
    def root(self) -> Path:
        """The top of the repository's work tree."""
        return self.catalog.root

    @property
    def rev(self) -> str | None:
        """The revision read (None: the work tree)."""
        return self.catalog.rev

    @property
    def tip(self) -> str | None:
        """The commit read (None for the work tree, whose history ends at HEAD)."""
        return self.catalog.tip

    @property
    def snapshot(self) -> Snapshot:
        """Every document of the registry (read on first use)."""
        return self.catalog.snapshot

    @property
    def config(self) -> RegistryConfig:
        """registry.yaml, parsed; DocumentError if it is invalid."""
        return self.catalog.config

    def model_snapshot(self, name: str) -> Snapshot:
        """registry.yaml and the documents of model ``name``."""
        return self.catalog.model_snapshot(name)

    def validate(self) -> ValidationReport:
        """Check every file against its schema and every cross-file rule."""
        return self.catalog.validate()

    def models(self) -> list[ModelSummary]:
        """Every model, with its versions (oldest first) and the versions in each stage."""
        return self.catalog.models()

    def model(self, name: str) -> ModelSummary:
        """Model ``name``: its facts, versions and stages; NotFoundError if there is none."""
        return self.catalog.model(name)

    def model_names(self) -> list[str]:
        """The names of every model, sorted."""
        return self.catalog.model_names()

    def versions(self, name: str) -> list[ModelVersion]:
        """Every version of model ``name``, oldest first."""
        return self.catalog.versions(name)

    def listing(self, name: str) -> list[ListedVersion]:
        """Every version of model ``name``, oldest first, as ``modelreg list`` shows it."""
        return self.catalog.listing(name)

    def get(self, ref: str) -> ModelVersion:
        """The version ``ref`` names (``NAME@1.2.0``, ``NAME@production``, ``NAME@latest``)."""
        return self.catalog.get(ref)

    def resolve(self, parsed: Ref) -> str:
        """The version a parsed reference names (``modelreg.domain.refs.parse``)."""
        return self.catalog.resolve(parsed)

    def target(self, text: str) -> tuple[str, str | None]:
        """(model, version) from ``NAME`` or any reference; a stage or ``latest`` resolves here."""
        return self.catalog.target(text)

    def holders(self, name: str, stage: str) -> list[str]:
        """Versions of ``name`` in ``stage``, highest first."""
        return self.catalog.holders(name, stage)

    # -- what changes the repository, and the questions that need more than the documents -----

    def register(
        self,
        name: str,
        files: Iterable[str | Path],
        *,
        version: str | None = None,
        bump: str | None = None,
        metrics: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        parents: Iterable[str | Parent] = (),
        data: Mapping[str, str | Dataset] | None = None,
        tags: Iterable[str] = (),
        description: str = "",
        owner: str | None = None,
        framework: str | None = None,
        algorithm: str | None = None,
        signature: Mapping[str, Any] | Signature | None = None,
        requirements: Path | str | Iterable[str] | None = None,
        code: Mapping[str, Any] | Code | None = None,
        run_id: str | None = None,
        run_url: str | None = None,
        intended_use: str = "",
        limitations: str = "",
        custom: Mapping[str, Any] | None = None,
        provenance: bool = True,
        push: bool = True,
    ) -> RegisterResult:
        """Register a new version of ``name`` from ``files``: what ``modelreg register`` does
        (copy, track and push with DVC, write the manifest, commit), as one transaction.

        ``metrics``/``params`` may be nested (keys flatten with '.'); ``parents`` are
        ``REF[:RELATION]``; ``data`` maps a role to ``DATASET@VERSION``; ``framework`` is
        ``NAME[==VERSION]``; ``signature`` is modelreg's form or MLflow's; ``requirements`` the
        pins (``pkg==1.2``) or a requirements file; ``custom`` the team's own metadata (text,
        numbers, booleans, lists, mappings; a dotted key nests), searchable as ``custom.KEY``
        and requirable in registry.yaml. ``code`` defaults to the Git work tree the
        files come from (``provenance=False``: none). Raises a ``ModelregError`` on bad input
        or a refused change, leaving the repository as it was."""
        from modelreg.domain.models import Code
        from modelreg.operations import inputs
        from modelreg.operations.register import RegisterRequest
        from modelreg.operations.register import register as run

        if self.rev is not None:
            raise InvalidInputError(f"this registry reads commit {self.rev}; register in its work tree")
        request = RegisterRequest(
            name=name,
            files=[Path(f) for f in files],
            version=version,
            bump=bump,
            metrics=inputs.metric_mapping(metrics or {}),
            params=inputs.param_mapping(params or {}),
            parents=[inputs.parent_of(p) for p in parents],
            data=dict(inputs.dataset_of(role, d) for role, d in (data or {}).items()),
            tags=list(tags),
            description=description,
            owner=owner,
            framework=inputs.framework(framework) if framework else None,
            algorithm=algorithm,
            code=Code.model_validate(code) if isinstance(code, Mapping) else code,
            signature=inputs.signature_of(signature) if signature is not None else None,
            dependencies=inputs.requirements_of(requirements) if requirements is not None else [],
            run=inputs.run(run_id, run_url),
            intended_use=intended_use,
            limitations=limitations,
            custom=inputs.custom_mapping(custom or {}, "custom"),
            provenance=provenance,
            push=push,
        )
        result = run(self.root, request)
        self.catalog = Catalog(self.root)  # read the new version
        return result

    def promote(
        self,
        ref: str,
        *,
        to: str,
        reason: str = "",
        base: str | None = None,
        branch: str | None = None,
        push: bool = True,
        pull_request: bool | None = None,
    ) -> PromoteResult:
        """Move the version ``ref`` names to stage ``to`` by pull request: what ``modelreg
        promote`` does (every rule checked first; a branch with one commit that edits
        stages.yaml, pushed to origin; a pull request when GITHUB_TOKEN or GH_TOKEN is set).
        Raises a ``ModelregError`` (``RuleViolationError`` for a refused move), leaving nothing."""
        from modelreg.operations.promote import promote, request_with_environment

        request = request_with_environment(
            ref=ref,
            to_stage=to,
            reason=reason,
            base=base,
            branch=branch,
            push=push,
            pull_request=pull_request,
        )
        return promote(self.root, request)

    def rollback(
        self,
        name: str,
        *,
        stage: str,
        version: str | None = None,
        deploy: list[str] | None = None,
        reason: str = "",
        base: str | None = None,
        branch: str | None = None,
        push: bool = True,
        pull_request: bool | None = None,
    ) -> PromoteResult:
        """Put back the most recent earlier holder of ``stage`` (or ``version``) by pull
        request, with ``deploy``'s environments moved along in the same commit: what
        ``modelreg rollback`` does. Raises a ``ModelregError``, leaving nothing."""
        from modelreg.operations.promote import request_with_environment
        from modelreg.operations.rollback import rollback

        request = request_with_environment(
            ref=f"{name}@{stage}",
            to_stage=stage,
            reason=reason,
            deploy=list(deploy or []),
            base=base,
            branch=branch,
            push=push,
            pull_request=pull_request,
        )
        return rollback(self.root, name, stage, request, version=version)[1]

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

        return artifacts.open_artifact(self.catalog, ref, file)

    def pull(
        self, ref: str, output: str | Path | None = None, *, file: str | None = None, force: bool = False
    ) -> PullResult:
        """Fetch and verify the artifacts of ``ref``: to their registry paths in the work tree
        (``output`` None, as ``dvc pull`` does), or into ``output`` (a file for one artifact,
        else a folder), where an existing path is refused unless ``force``, which replaces
        files and never a folder."""
        from modelreg.operations import artifacts

        return artifacts.pull(self.catalog, ref, output=output, file=file, force=force)

    def artifact_path(self, ref: str, file: str | None = None) -> Path:
        """A local path holding the verified artifact(s) of ``ref``, fetched into the DVC
        cache and the work tree if needed (the version folder when it has several)."""
        from modelreg.operations import artifacts

        return artifacts.artifact_path(self.catalog, ref, file)

    def history(
        self,
        ref: str | None = None,
        *,
        stage: str | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        fetch: bool = False,
    ) -> AuditTrail:
        """The audit trail, newest first: of everything, a model (``NAME``) or a version;
        dates may be text (YYYY-MM-DD...). ``fetch``: in a shallow clone, fetch the history
        first (else ShallowCloneError says what to fetch)."""
        from modelreg.history import audit
        from modelreg.history.depth import require_history

        require_history(self.root, what="the audit trail", fetch=fetch)
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

    def at(self, rev_or_date: str, *, fetch: bool = False) -> RegistryAsOf:
        """A read-only registry as of a revision or a date (the last commit at or before it);
        ``fetch``: in a shallow clone, fetch the history first (else ShallowCloneError)."""
        return registry_at(self.root, rev_or_date, fetch=fetch)

    def lineage(self, ref: str, *, depth: int | None = None, direction: Direction = "both") -> LineageGraph:
        """Ancestors and descendants of the version ``ref`` names, through ``lineage.parents``."""
        from modelreg.queries.lineage import lineage

        return lineage(self.catalog, ref, depth=depth, direction=direction)

    def card(self, ref: str, *, stage: str | None = None) -> ModelCard:
        """The model card of the version ``ref`` names, judged against ``stage`` (default: the
        next stage it could enter); ``modelreg.render.card`` renders it as Markdown or HTML."""
        from modelreg.queries.card import model_card

        return model_card(self.catalog, ref, stage=stage)

    def search(
        self,
        where: str | None = None,
        *,
        sort: str | None = None,
        limit: int | None = None,
        model: str | None = None,
        stage: str | None = None,
        tag: str | None = None,
    ) -> list[ListedVersion]:
        """The versions an expression selects, as ``modelreg list --where`` shows them::

            registry.search("auc >= 0.9 and stage in ('staging', 'production')", sort="-auc", limit=5)

        ``sort``: comma-separated fields, ``-`` for descending (missing values last);
        ``model``: a name, or a glob such as ``fraud-*``; ``stage``, ``tag``: as ``list``'s
        options. ExpressionError (an InvalidInputError
        with ``column``) when the expression does not parse or names an unknown field."""
        from modelreg.queries import search

        if self._work_tree:  # what `modelreg list --where` reads: the source kept for the documents
            return search.search_work_tree(
                self.root, where=where, sort=sort, limit=limit, model=model, stage=stage, tag=tag
            )
        return search.search(
            self.catalog, where=where, sort=sort, limit=limit, model=model, stage=stage, tag=tag
        )

    def compare(self, *refs: str, metrics: list[str] | None = None, dataset: str | None = None) -> Comparison:
        """The versions side by side: metrics by goal, params, data, lineage; the first is the base.
        With ``dataset`` (``NAME@VERSION``): the metrics of their evaluations on that dataset."""
        from modelreg.queries.compare import compare

        return compare(self.catalog, list(refs), metrics=metrics, dataset=dataset)

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

    def describe(
        self,
        name: str,
        *,
        description: str | None = None,
        owner: str | None = None,
        tags: Iterable[str] = (),
        remove_tags: Iterable[str] = (),
        reason: str = "",
        commit: bool = False,
        options: ProposalOptions | None = None,
    ) -> DescribeResult:
        """Change model ``name``'s facts in its model.yaml (None: keep; ``owner=""`` removes
        it; ``tags`` are added, ``remove_tags`` removed): proposed on a branch with a pull
        request (``options``), or committed on the current branch with ``commit=True``. A new
        owner regenerates .github/CODEOWNERS in the same change. The same as ``modelreg describe``."""
        from modelreg.operations.describe import DescribeRequest, describe
        from modelreg.operations.proposal import ProposalOptions

        if self.rev is not None:
            raise InvalidInputError(f"this registry reads commit {self.rev}; describe in its work tree")
        request = DescribeRequest(
            name=name,
            description=description,
            owner=owner,
            add_tags=list(tags),
            remove_tags=list(remove_tags),
            reason=reason,
            commit=commit,
            options=options or ProposalOptions(),
        )
        result = describe(self.root, request)
        self.catalog = Catalog(self.root)  # read the new facts
        return result


class RegistryAsOf(Registry):
    """A read-only registry as it was committed at one moment of its history."""

    def __init__(self, path: str | Path, moment: Moment) -> None:
        super().__init__(path, rev=moment.commit)
        self.moment = moment


def registry_at(path: str | Path, at: str, *, fetch: bool = False) -> RegistryAsOf:
    """The registry at ``path`` as of ``at`` (a revision or a date); ``fetch``: in a shallow
    clone, fetch the history first (else ShallowCloneError says what to fetch)."""
    from modelreg.history import timetravel
    from modelreg.history.depth import require_history

    top = git.root(path)
    require_history(top, what=f"--at {at}", fetch=fetch)
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
        """The version ``ref`` names, as ``Registry.get`` reads it (a stage holding several
        versions names none: ``NAME@STAGE:latest`` for its highest)."""
        from modelreg.domain import refs

        return self._copy.catalog(refs.parse(ref).name).get(ref)

    def open_artifact(self, ref: str, file: str | None = None) -> BinaryIO:
        """As ``Registry.open_artifact``: streamed from the DVC remote the registry names."""
        return self._copy.open_artifact(ref, file)

    def pull(
        self, ref: str, output: str | Path | None = None, *, file: str | None = None, force: bool = False
    ) -> PullResult:
        """Fetch and verify the artifacts of ``ref`` into ``output`` (a file for one artifact,
        else a folder; the current folder by default). An existing path is refused unless
        ``force``, which replaces files and never a folder."""
        return self._copy.pull(ref, output=output, file=file, force=force)
