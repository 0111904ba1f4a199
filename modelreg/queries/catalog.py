"""The catalog: a registry's documents at one point (its work tree or a commit), asked by
reference. Every service that reads versions takes one; the ``Registry`` facade extends it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from modelreg.adapters import git
from modelreg.documents import snapshot
from modelreg.documents.snapshot import Snapshot
from modelreg.documents.summary import ListedVersion as ListedVersion
from modelreg.documents.tree import GitTree, Tree, WorkTree
from modelreg.domain import refs, semver
from modelreg.domain.errors import DocumentError, NotARegistryError, NotFoundError
from modelreg.domain.layout import JOURNAL_FILE, MODELS_DIR, REGISTRY_FILE
from modelreg.domain.models import ModelSummary, ModelVersion, RegistryConfig
from modelreg.domain.problems import Problem
from modelreg.rules import dvcconfig, policy
from modelreg.rules import validation as rules

REPORT_KIND = "validation-report"  # the store's kind of value: a report, by Snapshot.state_key
REPORTS_KEPT = 8


class ValidationReport(BaseModel):
    """The outcome of validating a registry: every problem found, by file."""

    model_config = ConfigDict(defer_build=True)

    ok: bool
    files: int
    problems: list[Problem]


class Catalog:
    """A model registry's documents: the Git repository at ``path`` (its work tree, or commit ``rev``)."""

    def __init__(self, path: str | Path = ".", *, rev: str | None = None, tree: Tree | None = None) -> None:
        """``tree``: the files to read when the caller has listed them already (its work tree's
        or ``rev``'s); by default they are listed afresh.

        Nothing is read of the models until asked: a question about one model (``get``,
        ``model``, ``versions``, ``listing``) reads registry.yaml and that model's files only,
        and refuses them if one is broken; a question about every model reads them all."""
        self.root = git.root(path)
        if tree is None:
            tree = GitTree(self.root, rev) if rev else WorkTree(self.root)
        self.rev = rev
        self._tree = tree
        self._whole: Snapshot | None = None
        self._scoped: dict[str, Snapshot] = {}
        if REGISTRY_FILE not in self._of_model(None).listed:
            where = f"at {rev}" if rev else f"in {self.root}"
            raise NotARegistryError(
                f"no {REGISTRY_FILE} {where}: not a modelreg registry; run `modelreg init`"
            )

    @property
    def snapshot(self) -> Snapshot:
        """Every document of the registry (read on first use)."""
        if self._whole is None:
            self._whole = snapshot.load(self._tree)
        return self._whole

    @property
    def _snap(self) -> Snapshot:
        return self.snapshot

    def model_snapshot(self, name: str) -> Snapshot:
        """registry.yaml and the documents of model ``name`` (every one when they are read
        already): what a question about one model reads."""
        return self._of_model(name)

    def lineage_snapshot(self, *names: str) -> Snapshot:
        """registry.yaml and the documents of the models ``names`` and of every model their
        versions derive from, however far up (every one when they are read already): what a
        rule or an upward lineage about a model reads. A move of one model reads that much,
        not the registry."""
        models = set(names)
        while True:
            snap = self._of_models(sorted(models))
            if snap is self._whole:
                return snap
            above = {parent for n, v in snap.manifests for parent in _parent_models(snap, n, v)}
            if above <= models:
                return snap
            models |= above

    def _of_model(self, name: str | None) -> Snapshot:
        return self._of_models([name] if name else [])

    def _of_models(self, names: list[str]) -> Snapshot:
        if self._whole is not None:
            return self._whole
        key = ",".join(names)
        found = self._scoped.get(key)
        if found is None:
            found = self._scoped[key] = snapshot.load(self._tree.scoped(names))
        return found

    @property
    def config(self) -> RegistryConfig:
        """registry.yaml, parsed; DocumentError if it is invalid."""
        snap = self._of_model(None)
        self._require_readable(REGISTRY_FILE, model="")
        assert snap.config is not None
        return snap.config

    def validate(self) -> ValidationReport:
        """Check every file against its schema and every cross-file rule."""
        snap = self._snap
        store = snap.store
        key = None
        if store.enabled:
            # the one rule that reads a file outside the registry's paths: its verdict joins the key
            secrets = [p.model_dump(mode="json") for p in dvcconfig.config_problems(snap.tree)]
            key = snap.state_key(extra=repr(secrets))
        cached = store.get(REPORT_KIND, key) if key is not None else None
        if cached is not None:
            try:
                report = ValidationReport.model_validate_json(cached)
            except ValidationError:
                pass  # not what was kept: validate again
            else:
                snap.problems[:] = report.problems
                return report
        rules.check_snapshot(snap)
        problems = sorted(snap.problems, key=lambda p: (p.file, p.line or 0, p.message))
        files = sum(1 for p in snap.paths if p.endswith((".yaml", ".dvc")))
        report = ValidationReport(ok=not problems, files=files, problems=problems)
        if key is not None:
            store.put(REPORT_KIND, key, report.model_dump_json(), keep=REPORTS_KEPT)
        store.save()
        return report

    def models(self) -> list[ModelSummary]:
        """Every model, with its versions (oldest first) and the versions in each stage."""
        self._require_readable()
        return [self._summary(name) for name in self._snap.model_names()]

    def model(self, name: str) -> ModelSummary:
        self._require_model(name)
        return self._summary(name)

    def model_names(self) -> list[str]:
        """The names of every model, sorted."""
        self._require_readable()
        return self._snap.model_names()

    def _require_model(self, name: str) -> Snapshot:
        """The documents of model ``name``, readable; NotFoundError if there is no such model."""
        refs.check_name(name)
        snap = self._of_model(name)
        self._require_readable(model=name)
        if not snap.has_model(name):
            raise NotFoundError(f"no model {name!r} in the registry; `modelreg list` shows the models")
        return snap

    def versions(self, name: str) -> list[ModelVersion]:
        """Every version of model ``name``, oldest first."""
        snap = self._require_model(name)
        return [self._version(name, v) for v in snap.versions(name)]

    def listing(self, name: str) -> list[ListedVersion]:
        """Every version of model ``name``, oldest first, as ``modelreg list`` shows it: without
        building the manifests (from the document cache when it knows them)."""
        snap = self._require_model(name)
        return [
            ListedVersion(name, v, snap.stage_of(name, v), s)
            for v, s in zip(snap.versions(name), snap.summaries(name), strict=True)
        ]

    def get(self, ref: str) -> ModelVersion:
        """The version ``ref`` names (``NAME@1.2.0``, ``NAME@production``, ``NAME@staging:latest``,
        ``NAME@env:prod``, ``NAME@latest``). A stage holding several versions names none of
        them: AmbiguousRefError lists them (``refs.pick``)."""
        parsed = refs.parse(ref)
        return self._version(parsed.name, self.resolve(parsed))

    def resolve(self, parsed: refs.Ref) -> str:
        """The version ``parsed`` names: the one rule every command's reference goes through."""
        summary = self.model(parsed.name)
        if parsed.kind == "latest":
            if not summary.latest:
                raise NotFoundError(f"model {parsed.name!r} has no versions yet")
            return summary.latest
        if parsed.kind == "version":
            return self._find_version(parsed.name, parsed.selector)
        if parsed.kind == "env":
            return self._find_version(parsed.name, self._environment_runs(parsed))
        return self._stage_holder(parsed)

    @property
    def tip(self) -> str | None:
        """The commit read (None for the work tree, whose history ends at HEAD)."""
        tree = self._tree
        return tree.commit if isinstance(tree, GitTree) else None

    def target(self, text: str) -> tuple[str, str | None]:
        """(model, version) from ``NAME`` or any reference; a stage or ``latest`` resolves here."""
        named = _by_name_or_version(text)
        if named is not None:
            return named
        found = self.get(text)
        return found.name, found.version

    def holders(self, name: str, stage: str) -> list[str]:
        """Versions of ``name`` in ``stage``, highest first."""
        return policy.holders(self.config, self._of_model(name), name, stage)

    def _find_version(self, name: str, version: str) -> str:
        snap = self._of_model(name)
        if (name, version) in snap.manifests:
            return version
        known = snap.versions(name)
        hint = f"known: {', '.join(known[-5:])}" if known else "it has no versions yet"
        raise NotFoundError(f"{name}@{version} does not exist; {hint}")

    def _stage_holder(self, ref: refs.Ref) -> str:
        stage = ref.selector
        if stage not in self.config.stages:
            raise NotFoundError(
                f"unknown stage {stage!r}; registry.yaml defines: {', '.join(self.config.stages)}"
            )
        found = refs.pick(ref, self.holders(ref.name, stage))
        if found is None:
            raise NotFoundError(f"no version of {ref.name} is in {stage}")
        return found

    def _environment_runs(self, ref: refs.Ref) -> str:
        """The version deployments.yaml says environment ``ref.selector`` runs."""
        name, env = ref.name, ref.selector
        running = self._of_model(name).deployments.get(name, {})
        if env in running:
            return running[env].version
        declared = set(self.config.environments)
        if env not in declared | set(running):
            known = ", ".join(sorted(declared)) or "none are declared"
            raise NotFoundError(f"unknown environment {env!r}; registry.yaml declares: {known}")
        where = ", ".join(f"{e} ({d.version})" for e, d in sorted(running.items())) or "nowhere yet"
        raise NotFoundError(f"{name} is not deployed to {env}; it runs in: {where}")

    def _version(self, name: str, version: str) -> ModelVersion:
        snap = self._of_model(name)
        manifest = snap.manifests[(name, version)]
        return ModelVersion(name=name, version=version, stage=snap.stage_of(name, version), manifest=manifest)

    def _summary(self, name: str) -> ModelSummary:
        snap = self._of_model(name)
        facts = snap.facts.get(name)
        versions = snap.versions(name)
        stages: dict[str, list[str]] = {}
        for version in versions:
            stages.setdefault(snap.stage_of(name, version), []).append(version)
        return ModelSummary(
            name=name,
            description=facts.description if facts else "",
            owner=facts.owner if facts else None,
            tags=list(facts.tags) if facts else [],
            versions=versions,
            latest=max(versions, key=semver.sort_key) if versions else None,
            stages=stages,
        )

    def _require_readable(self, path: str | None = None, *, model: str | None = None) -> None:
        """Reads refuse documents that do not parse, answers would be wrong: ``path``, or
        registry.yaml and model ``model``'s documents, or (neither given) every one."""
        if model is None:
            problems = self._snap.problems
        else:
            within = f"{MODELS_DIR}/{model}/"
            problems = [
                p
                for p in self._of_model(model or None).problems
                if p.file == REGISTRY_FILE or (model and p.file.startswith(within))
            ]
        for problem in problems:
            if problem.rule in {"yaml", "schema"} and (path is None or problem.file == path):
                hint = "run `modelreg validate` to see every problem"
                if (git.state_dir(self.root) / JOURNAL_FILE).exists():
                    hint = "an interrupted command left changes: run `modelreg doctor`"
                raise DocumentError(problem.file, f"{problem.message} ({hint})", line=problem.line)


def _parent_models(snap: Snapshot, name: str, version: str) -> set[str]:
    """The models the parents of ``name@version`` belong to (names that cannot be a model's
    left out: they find nothing, and they never become a path to read)."""
    found = set()
    for ref, _ in snap.version_facts(name, version).parents:
        key = rules.parent_key(ref)
        if key is not None and refs.is_name(key[0]):
            found.add(key[0])
    return found


def target(top: Path, text: str) -> tuple[str, str | None]:
    """(model, version) from ``NAME`` or any reference; only a stage or ``latest`` reads the
    registry (``Catalog.target``), so that a question by name or version stays cheap."""
    return _by_name_or_version(text) or Catalog(top).target(text)


def _by_name_or_version(text: str) -> tuple[str, str | None] | None:
    if "@" not in text:
        return refs.check_name(text), None
    parsed = refs.parse(text)
    return (parsed.name, parsed.selector) if parsed.kind == "version" else None
