"""What the static site shows of a registry: each model with its versions, its audit trail,
who held each stage when, where its versions run (the ``modelreg deployments`` answer) and the
lineage links that cross into it from other models.

``SiteSource`` reads a registry at one commit once; ``model_view`` then gathers one model's
page data from it, so a build that renders only the models that changed reads only theirs
(apart from the lineage facts, which are cached for every version).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from modelreg.domain import semver
from modelreg.domain.models import ModelSummary, ModelVersion, RegistryConfig
from modelreg.history import audit, tenures
from modelreg.history.engine import Event
from modelreg.history.tenures import Tenure
from modelreg.queries.catalog import Catalog
from modelreg.queries.deployments import Running, deployments
from modelreg.rules.validation import parent_key

Key = tuple[str, str]


@dataclass
class ModelView:
    """One model as its pages show it."""

    summary: ModelSummary
    config: RegistryConfig
    versions: list[ModelVersion]  # oldest first by semver precedence
    events: list[Event]  # this model's audit trail, oldest first
    tenures: dict[str, list[Tenure]]  # stage -> stays in it (every stage but the initial one)
    children: dict[str, list[tuple[str, str]]] = field(
        default_factory=dict
    )  # version -> (child ref, relation)
    deployments: list[Running] = field(default_factory=list)  # by environment, as `deployments NAME`

    @property
    def name(self) -> str:
        return self.summary.name

    def running(self, version: str) -> list[Running]:
        """The environments that run ``version``."""
        return [d for d in self.deployments if d.version == version]

    def parent_models(self) -> set[str]:
        """Other models a version of this one derives from: their pages list it as a child."""
        found = set()
        for version in self.versions:
            for parent in version.manifest.lineage.parents:
                other = parent.ref.split("@", 1)[0]
                if other != self.name:
                    found.add(other)
        return found


class SiteSource:
    """A registry at one commit, read once for every page of the site."""

    def __init__(self, path: str | Path, *, rev: str) -> None:
        self.catalog = Catalog(path, rev=rev)
        self.root = self.catalog.root
        self.commit = rev
        self.config = self.catalog.config
        self._kids: dict[str, list[tuple[str, Key, str]]] | None = None
        self._events: dict[str, list[Event]] | None = None

    def model_names(self) -> list[str]:
        return self.catalog.model_names()

    def load_all_events(self) -> None:
        """Read the whole audit trail once (a build of many models); else each model's is
        read when its view is asked for."""
        self._events = {}
        for event in audit.events(self.root, tip=self.commit):
            if event.model is not None:
                self._events.setdefault(event.model, []).append(event)

    def load_all_manifests(self) -> None:
        """Build every manifest in one batch (a build of many models)."""
        self.catalog.snapshot.manifests.values()

    def _events_of(self, name: str) -> list[Event]:
        if self._events is None:
            return audit.events(self.root, tip=self.commit, model=name)
        return self._events.get(name, [])

    def model_view(self, name: str) -> ModelView:
        """Everything the pages of model ``name`` show."""
        events = self._events_of(name)
        initial = self.config.initial_stage
        held = {
            stage: tenures.stage_tenures(events, name, stage, initial=initial)
            for stage in self.config.stages
            if stage != initial
        }
        versions = self.catalog.versions(name)
        return ModelView(
            summary=self.catalog.model(name),
            config=self.config,
            versions=versions,
            events=events,
            tenures={stage: stays for stage, stays in held.items() if stays},
            children=self._children(name, [v.version for v in versions]),
            deployments=deployments(self.catalog, name, history=lambda _: events).deployments,
        )

    def _children(self, name: str, versions: list[str]) -> dict[str, list[tuple[str, str]]]:
        known = set(versions)
        found: dict[str, list[tuple[Key, str]]] = {}
        for version, child, relation in self._children_by_model().get(name, []):
            if version in known:
                found.setdefault(version, []).append((child, relation))
        return {
            version: [
                (f"{c[0]}@{c[1]}", rel)
                for c, rel in sorted(kids, key=lambda k: (k[0][0], semver.sort_key(k[0][1])))
            ]
            for version, kids in found.items()
        }

    def _children_by_model(self) -> dict[str, list[tuple[str, Key, str]]]:
        """parent model -> (parent version, child, relation), from every version's cached facts
        in one pass (no manifest built, nothing sorted that is not asked for)."""
        if self._kids is None:
            self._kids = {}
            for key, facts in self.catalog.snapshot.all_version_facts().items():
                for ref, relation in facts.parents:
                    parent = parent_key(ref)
                    if parent is not None and parent != key:
                        self._kids.setdefault(parent[0], []).append((parent[1], key, relation))
        return self._kids
