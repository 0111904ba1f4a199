"""Lineage: what a version was derived from and what derives from it, and who used a dataset."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel

from modelreg.documents.snapshot import Snapshot
from modelreg.domain import semver
from modelreg.domain.errors import InvalidInputError, NotFoundError
from modelreg.domain.models import Dataset, Manifest
from modelreg.queries.catalog import Catalog
from modelreg.rules.validation import parent_key

Direction = Literal["up", "down", "both"]
Key = tuple[str, str]


class LineageNode(BaseModel):
    """A version in a lineage graph, with its stage and the datasets it was trained on."""

    ref: str
    name: str
    version: str
    stage: str | None = None  # None when the version is not (or no longer) in the registry
    distance: int = 0  # steps from the root: negative for ancestors, positive for descendants
    data: dict[str, str] = {}  # role -> dataset as name@version


class LineageEdge(BaseModel):
    """``child`` was derived from ``parent`` by ``relation`` (retrain, finetune, distill, ...)."""

    parent: str
    child: str
    relation: str


class LineageGraph(BaseModel):
    """The ancestors and/or descendants of ``root`` through ``lineage.parents``."""

    root: str
    direction: Direction
    depth: int | None = None
    nodes: list[LineageNode]
    edges: list[LineageEdge]

    def node(self, ref: str) -> LineageNode:
        return next(n for n in self.nodes if n.ref == ref)


class Graph:
    """Parent and child links between every version of one registry snapshot."""

    def __init__(
        self, manifests: dict[Key, Manifest], *, links: dict[Key, list[tuple[str, str]]] | None = None
    ) -> None:
        self.manifests = manifests
        self.parents: dict[Key, list[tuple[Key, str]]] = {}
        self.children: dict[Key, list[tuple[Key, str]]] = {}
        if links is None:
            links = {key: [(p.ref, p.relation) for p in m.lineage.parents] for key, m in manifests.items()}
        for key in sorted(links, key=_order):
            for ref, relation in links[key]:
                found = parent_key(ref)
                if found is None or found == key:
                    continue
                self.parents.setdefault(key, []).append((found, relation))
                self.children.setdefault(found, []).append((key, relation))

    @classmethod
    def upward(cls, snap: Snapshot) -> Graph:
        """The parent links only, each read when the walk reaches it: walking up from one
        version reads the facts of its ancestors, not of every version (no child links)."""
        graph = cls({})
        graph.manifests = snap.manifests
        graph.parents = _Parents(snap)  # type: ignore[assignment]
        return graph

    @classmethod
    def of(cls, snap: Snapshot) -> Graph:
        """The graph of a snapshot's versions, from their cached facts: no manifest is built."""
        return cls(snap.manifests, links={key: f.parents for key, f in snap.all_version_facts().items()})

    def walk(self, start: Key, *, up: bool, depth: int | None) -> Iterator[tuple[Key, Key, str, int]]:
        """Breadth-first (node, neighbour, relation, distance) from ``start``, each neighbour once."""
        links = self.parents if up else self.children
        seen = {start}
        queue = deque([(start, 0)])
        while queue:
            node, dist = queue.popleft()
            if depth is not None and dist >= depth:
                continue
            for other, relation in links.get(node, []):
                yield node, other, relation, dist + 1
                if other not in seen:
                    seen.add(other)
                    queue.append((other, dist + 1))

    def ancestors(self, start: Key) -> dict[Key, tuple[int, list[str]]]:
        """Every ancestor of ``start``: its distance and the relations along the first path found."""
        found: dict[Key, tuple[int, list[str]]] = {start: (0, [])}
        for node, parent, relation, dist in self.walk(start, up=True, depth=None):
            if parent not in found:
                found[parent] = (dist, [*found[node][1], relation])
        return found


class _Parents:
    """``Graph.parents`` of a snapshot, made for each version when first asked for."""

    def __init__(self, snap: Snapshot) -> None:
        self._snap = snap
        self._found: dict[Key, list[tuple[Key, str]]] = {}

    def get(self, key: Key, default: list[tuple[Key, str]]) -> list[tuple[Key, str]]:
        if key not in self._found:
            links = self._snap.version_facts(*key).parents if key in self._snap.manifests else []
            found = [(parent_key(ref), relation) for ref, relation in links]
            self._found[key] = [(p, r) for p, r in found if p is not None and p != key]
        return self._found[key] or default


def _order(key: Key) -> tuple[str, tuple[int, semver.Version | str]]:
    return key[0], semver.sort_key(key[1])


def lineage(
    registry: Catalog, ref: str, *, depth: int | None = None, direction: Direction = "both"
) -> LineageGraph:
    """The lineage of the version ``ref`` names, ``depth`` steps up, down or both ways."""
    if depth is not None and depth < 1:
        raise InvalidInputError(f"invalid depth {depth}: give 1 or more (or leave it out for all)")
    root = registry.get(ref)
    # ancestors lie in the models the version derives from; descendants may be anywhere
    snap = registry.lineage_snapshot(root.name) if direction == "up" else registry.snapshot
    return build(snap, (root.name, root.version), depth=depth, direction=direction)


def build(snap: Snapshot, start: Key, *, depth: int | None, direction: Direction) -> LineageGraph:
    """The lineage of version ``start`` within one snapshot."""
    graph = Graph.upward(snap) if direction == "up" else Graph.of(snap)
    nodes: dict[Key, int] = {start: 0}
    edges: list[LineageEdge] = []
    for up in [True, False]:
        if direction == ("down" if up else "up"):
            continue
        for node, other, relation, dist in graph.walk(start, up=up, depth=depth):
            nodes.setdefault(other, -dist if up else dist)
            parent, child = (other, node) if up else (node, other)
            edges.append(LineageEdge(parent=_ref(parent), child=_ref(child), relation=relation))
    return LineageGraph(
        root=_ref(start),
        direction=direction,
        depth=depth,
        nodes=[_node(snap, key, dist) for key, dist in nodes.items()],
        edges=edges,
    )


def _ref(key: Key) -> str:
    return f"{key[0]}@{key[1]}"


def _node(snap: Snapshot, key: Key, distance: int) -> LineageNode:
    manifest = snap.manifests.get(key)
    return LineageNode(
        ref=_ref(key),
        name=key[0],
        version=key[1],
        stage=snap.stage_of(*key) if manifest else None,
        distance=distance,
        data={role: dataset_label(ds) for role, ds in manifest.data.items()} if manifest else {},
    )


def dataset_label(ds: Dataset) -> str:
    tag = ds.version or (ds.md5[:12] if ds.md5 else None)
    return f"{ds.name}@{tag}" if tag else ds.name


class DatasetUse(BaseModel):
    """One version that was trained (``data``) or evaluated (``evaluations``) on a dataset."""

    ref: str
    name: str
    version: str
    stage: str
    role: str  # the key under ``data`` (training, validation, ...) or "evaluation"
    dataset: str  # name@version as the manifest records it
    metrics: dict[str, float] = {}  # the evaluation's metrics; empty for training data


class DatasetImpact(BaseModel):
    """Every version that used a dataset: what to look at when the data turns out bad."""

    dataset: str
    version: str | None = None
    uses: list[DatasetUse]

    @property
    def refs(self) -> list[str]:
        return list(dict.fromkeys(u.ref for u in self.uses))


def dataset_users(registry: Catalog, dataset: str) -> DatasetImpact:
    """Versions trained or evaluated on ``dataset`` (``NAME`` or ``NAME@VERSION``; a version may
    also be the dataset's md5)."""
    name, _, version = dataset.partition("@")
    if not name or "@" in version:
        raise InvalidInputError(f"invalid dataset {dataset!r}: expected DATASET or DATASET@VERSION")
    snap = registry.snapshot
    uses: list[DatasetUse] = []
    for key in sorted(snap.manifests, key=_order):
        manifest = snap.manifests[key]
        stage = snap.stage_of(*key)
        for role, ds in manifest.data.items():
            if _matches(ds, name, version):
                uses.append(_use(key, stage, role, ds, {}))
        for evaluation in manifest.evaluations:
            if _matches(evaluation.dataset, name, version):
                uses.append(_use(key, stage, "evaluation", evaluation.dataset, evaluation.metrics))
    if not uses:
        known = sorted({ds.name for m in snap.manifests.values() for ds in m.data.values()})
        hint = f"datasets in use: {', '.join(known[:10])}" if known else "no version records its data"
        raise NotFoundError(f"no version was trained or evaluated on {dataset}; {hint}")
    return DatasetImpact(dataset=name, version=version or None, uses=uses)


def _matches(ds: Dataset, name: str, version: str) -> bool:
    return ds.name == name and (not version or version in {ds.version, ds.md5})


def _use(key: Key, stage: str, role: str, ds: Dataset, metrics: dict[str, float]) -> DatasetUse:
    return DatasetUse(
        ref=_ref(key),
        name=key[0],
        version=key[1],
        stage=stage,
        role=role,
        dataset=dataset_label(ds),
        metrics=metrics,
    )
