"""A registry's documents loaded from one Tree: typed where valid, problems where not.

Loading lists and reads only the documents (registry.yaml and the files directly in
``models/<model>/``), and takes each one's outcome from the document cache
(``modelreg.store``) when the same content was seen before: no YAML, no schema check. What
fewer commands need comes on first use: every path (``paths``), the DVC pointers
(``pointers``, ``pointer``), file bytes (``raw``, ``stage_files``) and the typed manifests
(``manifests``): `show` builds one manifest and `list` none (it reads ``summary``).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from pydantic import ValidationError

from modelreg.adapters import proc
from modelreg.documents import schemas
from modelreg.documents.summary import VersionSummary
from modelreg.documents.tree import Tree, WorkTree, blob_id, documents_state
from modelreg.domain import dating, semver
from modelreg.domain.errors import DocumentError
from modelreg.domain.layout import (
    REGISTRY_FILE,
    PathKind,
    classify,
    facts_path,
    is_document,
    manifest_path,
    stages_path,
)
from modelreg.domain.models import Deployment, Manifest, ModelFacts, RegistryConfig, default_config
from modelreg.domain.problems import Problem
from modelreg.store import Store, encode, is_plain, store_for
from modelreg.store.memo import FileMemo

if TYPE_CHECKING:
    from modelreg.documents import dvcfile

NOT_PLAIN = "is a symlink or not a regular file; registry files must be plain files"
_DOCUMENT_KINDS = {"facts", "manifest", "stages", "deployments", "misnamed"}

K = TypeVar("K")
V = TypeVar("V")


class VersionFacts(NamedTuple):
    """What the cross-file rules and lineage read of a version's manifest; cached, so that
    validating a registry or walking its lineage builds no manifest."""

    name: str
    version: str
    artifacts: list[tuple[str, str, int]]  # path, md5, size
    parents: list[tuple[str, str]]  # ref, relation
    misdated: list[tuple[int, str]] = []  # evaluations dated before the version (dating.misdated)

    @classmethod
    def of(cls, m: Manifest) -> VersionFacts:
        artifacts = [(a.path, a.md5, a.size) for a in m.artifacts]
        parents = [(p.ref, p.relation) for p in m.lineage.parents]
        return cls(m.name, m.version, artifacts, parents, dating.misdated_evaluations(m))

    def to_data(self) -> list[Any]:
        artifacts, parents = [list(a) for a in self.artifacts], [list(p) for p in self.parents]
        return [self.name, self.version, artifacts, parents, [list(m) for m in self.misdated]]

    @classmethod
    def from_data(cls, data: Any) -> VersionFacts:
        """Rebuild from ``to_data``; ValueError when ``data`` is not what it wrote."""
        name, version, artifacts, parents, misdated = data
        if type(name) is not str or type(version) is not str:
            raise ValueError("facts")
        found_artifacts = []
        for path, md5, size in artifacts:
            if type(path) is not str or type(md5) is not str or type(size) is not int:
                raise ValueError("facts artifacts")
            found_artifacts.append((path, md5, size))
        found_parents = []
        for ref, relation in parents:
            if type(ref) is not str or type(relation) is not str:
                raise ValueError("facts parents")
            found_parents.append((ref, relation))
        found_misdated = []
        for index, message in misdated:
            if type(index) is not int or type(message) is not str:
                raise ValueError("facts misdated")
            found_misdated.append((index, message))
        return cls(name, version, found_artifacts, found_parents, found_misdated)


_VIEWS: dict[str, tuple[str, Any]] = {"listing": ("s", VersionSummary), "facts": ("f", VersionFacts)}


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while loading many small objects that all stay alive.

    Python collects every few hundred allocations and each full pass walks every live object,
    which made loading 20,000 manifests several times slower; nothing loaded is garbage.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class LazyDict(dict[K, V]):
    """A dict whose keys are known at once and whose values are made on first access.

    Reads as a dict does (``in``, ``len``, iteration, ``[]``, ``get``, keys, values, items,
    ``==``); ``values()`` and ``items()`` first make every missing value, in one batch when
    there is a ``make_many``. Writes make it an ordinary dict of what it holds.
    """

    def __init__(
        self,
        keys: Iterable[K],
        make: Callable[[K], V],
        make_many: Callable[[list[K]], dict[K, V]] | None = None,
        made: Mapping[K, V] | None = None,
    ) -> None:
        super().__init__(made or {})
        self._keys: dict[K, None] = dict.fromkeys(keys)
        self._make = make
        self._make_many = make_many

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[K]:
        return iter(self._keys)

    def __reversed__(self) -> Iterator[K]:
        return reversed(list(self._keys))

    def __getitem__(self, key: K) -> V:
        if key not in self._keys:
            raise KeyError(key)
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        value = self._make(key)
        dict.__setitem__(self, key, value)
        return value

    def get(self, key: K, default: Any = None) -> Any:
        return self[key] if key in self._keys else default

    def keys(self) -> KeysView[K]:  # type: ignore[override]
        return KeysView(self)

    def values(self) -> ValuesView[V]:  # type: ignore[override]
        self._fill()
        return ValuesView(self)

    def items(self) -> ItemsView[K, V]:  # type: ignore[override]
        self._fill()
        return ItemsView(self)

    def _fill(self) -> None:
        missing = [k for k in self._keys if not dict.__contains__(self, k)]
        if missing and self._make_many is not None:
            for key, value in self._make_many(missing).items():
                dict.__setitem__(self, key, value)

    def copy(self) -> dict[K, V]:
        return dict(self.items())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(self.items()) == dict(other.items())

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None

    def __repr__(self) -> str:
        return repr(dict(self.items()))

    def __setitem__(self, key: K, value: V) -> None:
        self._keys[key] = None
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: K) -> None:
        del self._keys[key]
        if dict.__contains__(self, key):
            dict.__delitem__(self, key)

    def pop(self, key: K, *default: Any) -> Any:
        if key not in self._keys:
            if default:
                return default[0]
            raise KeyError(key)
        value = self[key]
        del self[key]
        return value

    def setdefault(self, key: K, default: Any = None) -> Any:
        if key not in self._keys:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def clear(self) -> None:
        self._keys.clear()
        dict.clear(self)

    def popitem(self) -> tuple[K, V]:
        if not self._keys:
            raise KeyError("popitem(): dictionary is empty")
        key = next(reversed(self._keys))
        return key, self.pop(key)


_MISSING: Any = object()


@dataclass
class _Outcome:
    """What one document holds: its problems (line, message, rule), and, when it has none, its data
    (``_MISSING`` when not at hand), typed object (when just parsed) and summary (manifests)."""

    problems: list[tuple[int | None, str, str]]
    data: Any = _MISSING
    typed: Any = None
    summary: Any = None
    in_shard: bool = False
    facts: Any = None

    def entry(self, *, inline: bool) -> dict[str, Any]:
        found: dict[str, Any] = {"p": [list(p) for p in self.problems]}
        for letter, view in (("s", self.summary), ("f", self.facts)):
            if view is not None:
                found[letter] = view if isinstance(view, list) else view.to_data()
        if inline and self.data is not _MISSING and not self.problems and is_plain(self.data):
            found["d"] = self.data
        return found

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> _Outcome | None:
        """The outcome a cache entry records, or None when it is not one ``entry()`` wrote."""
        raw = entry.get("p")
        if not isinstance(raw, list):
            return None
        problems: list[tuple[int | None, str, str]] = []
        for item in raw:
            if not (isinstance(item, list) and len(item) == 3 and isinstance(item[1], str)):
                return None
            line, message, rule = item
            if not (line is None or type(line) is int) or not isinstance(rule, str):
                return None
            problems.append((line, message, rule))
        data = entry.get("d", _MISSING)
        return cls(problems, data, summary=entry.get("s"), in_shard=entry.get("x") == 1, facts=entry.get("f"))


class Snapshot:
    """Everything ``modelreg`` reads from a registry at one point (work tree or commit)."""

    def __init__(self, tree: Tree, store: Store | None = None) -> None:
        self.tree = tree
        self.store = store if store is not None else Store(None)
        self.config: RegistryConfig | None = None
        self.facts: dict[str, ModelFacts] = {}
        self.manifests: dict[tuple[str, str], Manifest] = {}
        self.stages: dict[str, dict[str, list[str]]] = {}
        self.deployments: dict[str, dict[str, Deployment]] = {}  # model -> environment -> deployment
        self.problems: list[Problem] = []
        self.present: set[tuple[str, str]] = set()  # manifest files, valid or not
        self.listed: list[str] = []  # the paths at the documents' depth (tree.document_paths)
        self.ids: dict[str, str] = {}  # blob id of each document (and pointer, once read) that is a file
        self._views: dict[str, dict[tuple[str, str], Any]] = {view: {} for view in _VIEWS}
        self._companions_read: set[str] = set()
        self._versions: dict[str, list[str]] = {}
        self._sorted: dict[str, list[str]] = {}
        self._names: list[str] | None = None
        self._paths: list[str] | None = None
        self._pointers: dict[str, bytes] | None = None
        self._pointers_read = False  # what the store keeps of them
        self._raw: dict[str, bytes] | None = None
        self._stage_files: dict[str, bytes] | None = None
        self._fetched: dict[str, bytes] = {}
        self._data: dict[str, Any] = {}  # parsed data of registry.yaml, model.yaml and stages.yaml
        self._state: str | None = None  # the state loaded whole, whose views are not read yet

    # -- what every command reads ---------------------------------------------------------

    def model_names(self) -> list[str]:
        if self._names is None:
            self._names = sorted(set(self._versions) | set(self.facts) | set(self.stages))
        return list(self._names)

    def has_model(self, name: str) -> bool:
        return name in self._versions or name in self.facts or name in self.stages

    def versions(self, name: str) -> list[str]:
        """Versions of ``name``, oldest first by semver precedence."""
        found = self._sorted.get(name)
        if found is None:
            found = self._sorted[name] = sorted(self._versions.get(name, []), key=_precedence)
        return list(found)

    def stage_of(self, name: str, version: str) -> str:
        """Where ``version`` of ``name`` stands (RegistryConfig.stage_of; the usual initial
        stage when registry.yaml is missing or broken)."""
        config = self.config or _fallback_policy()
        return config.stage_of(self.stages.get(name, {}), version)

    def summary(self, name: str, version: str) -> VersionSummary:
        """The facts `modelreg list` shows of a valid version, without building its manifest."""
        found: VersionSummary = self._view("listing", (name, version))
        return found

    def summaries(self, name: str) -> list[VersionSummary]:
        """``summary`` of each of ``versions(name)``, in that order (the fast way for many)."""
        known = self._views["listing"]
        if self._state is not None and "listing" not in self._companions_read:
            self._companions_read.add("listing")
            known.update(self._companion("listing", self._state))
        found = []
        for version in self.versions(name):
            summary = known.get((name, version))
            if type(summary) is not VersionSummary:
                summary = self._view("listing", (name, version))
            found.append(summary)
        return found

    def all_version_facts(self) -> dict[tuple[str, str], VersionFacts]:
        """``version_facts`` of every valid version (the fast way for all of them)."""
        known = self._views["facts"]
        if self._state is not None and "facts" not in self._companions_read:
            self._companions_read.add("facts")
            known.update(self._companion("facts", self._state))
        found = {}
        for key in self.manifests:
            facts = known.get(key)
            found[key] = facts if type(facts) is VersionFacts else self._view("facts", key)
        return found

    def version_facts(self, name: str, version: str) -> VersionFacts:
        """What rules and lineage read of a valid version, without building its manifest."""
        found: VersionFacts = self._view("facts", (name, version))
        return found

    def _view(self, view: str, key: tuple[str, str]) -> Any:
        """A view of a valid version: kept by this load, kept with the state it loaded, kept
        with its document in the store, or made from the manifest."""
        if key not in self.manifests:
            raise KeyError(key)
        letter, kind = _VIEWS[view]
        known = self._views[view]
        found = known.get(key)
        if found is None and self._state is not None and view not in self._companions_read:
            self._companions_read.add(view)
            known.update(self._companion(view, self._state))
            found = known.get(key)
        if found is None:
            entry = self.store.outcome("manifest", self.ids[manifest_path(*key)])
            found = entry.get(letter) if entry is not None else None
        if not isinstance(found, kind):
            try:
                found = kind.from_data(found)
            except (ValueError, TypeError):
                found = kind.of(self.manifests[key])
            known[key] = found
        return found

    def _companion(self, view: str, key: str) -> dict[tuple[str, str], Any]:
        """The views kept with the state ``key`` (nothing when they do not read back)."""
        found = self.store.companion(view, key)
        views = {}
        try:
            for name, held in found.items():
                for version, data in zip(self.versions(name), held, strict=True):
                    views[(name, version)] = data
        except (AttributeError, TypeError, ValueError):
            return {}
        return views

    def problem(self, path: str, message: str, *, rule: str, location: tuple[Any, ...] = ()) -> None:
        raw = self._bytes_or_none(path) if location else None
        line = _line_of(raw, location) if raw is not None else None
        self.problems.append(Problem(file=path, line=line, message=message, rule=rule))

    # -- what fewer commands read, on first use -------------------------------------------

    @property
    def paths(self) -> list[str]:
        """Every file of the registry (deep: artifacts and DVC pointers too)."""
        self._load_deep()
        assert self._paths is not None
        return self._paths

    @property
    def pointers(self) -> dict[str, bytes]:
        """The bytes of each DVC pointer file, by path."""
        self._load_deep()
        assert self._pointers is not None
        return self._pointers

    @property
    def raw(self) -> dict[str, bytes]:
        """The bytes of each registry document and DVC pointer, by path."""
        if self._raw is None:
            self._load_deep()
            keys = [p for p in self.paths if p in self.ids]
            self._raw = LazyDict(keys, self._bytes, self._bytes_of_many)
        return self._raw

    @property
    def stage_files(self) -> dict[str, bytes]:
        """The bytes of each model's stages.yaml, by model."""
        if self._stage_files is None:
            models = [p.split("/")[1] for p in sorted(self.ids) if _is_stages(p)]
            self._stage_files = LazyDict(models, lambda model: self._bytes(stages_path(model)))
        return self._stage_files

    def pointer(self, path: str) -> dvcfile.Pointer:
        """The DVC pointer at ``path`` (one of ``pointers``), parsed; DocumentError if it is not one."""
        self._load_deep()
        if not self._pointers_read and self._pointers is not None:  # every kept one, in one read
            self._pointers_read = True
            self.store.load_outcomes("pointer", [self.ids[p] for p in self._pointers])
        cid = self.ids[path]
        entry = self.store.outcome("pointer", cid)
        found = _pointer_from_entry(entry) if entry is not None else None
        if found is None and self._pointers is not None:
            # every pointer not parsed before, at once: one read (one git process for a commit)
            unknown = [p for p in self._pointers if self.store.outcome("pointer", self.ids[p]) is None]
            self._fetch(unknown)
            rows = proc.map_in_forks(
                self._examined_row, [(p, "pointer") for p in unknown], workers=proc.workers_for(len(unknown))
            )
            for unknown_path, row in zip(unknown, rows, strict=True):
                self.store.remember("pointer", self.ids[unknown_path], row)
                self._fetched.pop(unknown_path, None)
            entry = self.store.outcome("pointer", cid)
            found = _pointer_from_entry(entry) if entry is not None else None
        if found is None:
            entry = _pointer_row(self._bytes(path), path)
            self.store.remember("pointer", cid, entry)
            found = _pointer_from_entry(entry)
            assert found is not None
        if isinstance(found, tuple):
            raise DocumentError(path, found[1], line=found[0])
        return found

    def state_key(self, *, extra: str = "") -> str:
        """A digest of every path, the content of every document and pointer, and ``extra``:
        equal keys, equal validation reports (rules.check_snapshot reads nothing else of the
        tree but what ``extra`` must then say)."""
        digest = hashlib.sha1(f"{extra}\n".encode(), usedforsecurity=False)
        state = self.tree.state_id()
        if state is not None:  # a commit: its tree ids say it all, without listing every file
            digest.update(state.encode())
            return digest.hexdigest()
        self._load_deep()
        ids = self.ids
        digest.update("".join(f"{p}\0{ids.get(p, '')}\n" for p in self.paths).encode())
        return digest.hexdigest()

    # -- loading --------------------------------------------------------------------------

    def _load_documents(self) -> None:
        if self.tree.models is not None:  # a few models: each document from the cache, no state kept
            self.listed = self.tree.document_paths()
            wanted = [p for p in self.listed if is_document(p)]
            self._load_each(wanted, {p: classify(p) for p in wanted})
            return
        key, self.listed, wanted, racy = documents_state(self.tree)
        record = self.store.state(key)
        if record is not None and self._from_record(record, wanted):
            self._state = key
            return
        places = {p: classify(p) for p in wanted}
        self._load_each(wanted, places)
        record = self._to_record(wanted)
        if record is not None and not racy:
            self.store.remember_state(key, record, {view: self._to_companion(view) for view in _VIEWS})

    def _load_each(self, wanted: list[str], places: dict[str, PathKind]) -> None:
        """Load the documents one by one, each from the cache when its content was seen before."""
        self.ids = self.tree.content_ids(wanted, self._file_memo())
        for path in wanted:
            if path not in self.ids:
                self.problem(path, NOT_PLAIN, rule="layout")
        kinds = {p: "registry" if p == REGISTRY_FILE else _KIND_OF.get(places[p].kind, "") for p in self.ids}
        for kind in {"registry", *_KIND_OF.values()}:
            self.store.load_outcomes(kind, [self.ids[p] for p, k in kinds.items() if k == kind])
        unknown = [p for p, k in kinds.items() if k and self.store.outcome(k, self.ids[p]) is None]
        self._fetch(unknown)
        self._examine_all([p for p in unknown if kinds[p] == "manifest"], "manifest")
        if REGISTRY_FILE in self.ids:
            self.config = self._typed(REGISTRY_FILE, "registry")
        made: dict[tuple[str, str], Manifest] = {}
        for path in sorted(self.ids):
            where = places[path]
            if where.kind == "facts":
                facts = self._typed(path, "model")
                if facts is not None:
                    self.facts[where.model] = facts
            elif where.kind == "manifest":
                self.present.add((where.model, where.version))
                self._load_manifest(path, where.model, where.version, made)
            elif where.kind == "stages":
                self._load_stages(path, where.model)
            elif where.kind == "deployments":
                self._load_deployments(path, where.model)
            elif where.kind == "misnamed":
                self.problem(path, "registry files end in .yaml, not .yml; rename it", rule="layout")
        keys = [(name, v) for name, versions in self._versions.items() for v in versions]
        self.manifests = LazyDict(keys, self._make_manifest, self._make_manifests, made=made)

    def _to_record(self, wanted: list[str]) -> dict[str, Any] | None:
        """What loading found, as plain data (None when some of it is not plain)."""
        data = self._data
        small = [p for p in self.ids if p in data]
        if any(data[p] is _MISSING for p in small) or not is_plain([data[p] for p in small]):
            return None
        return {
            "ids": [self.ids.get(p) for p in wanted],
            "problems": [[p.file, p.line, p.message, p.rule] for p in self.problems],
            "data": {p: data[p] for p in small},
            "versions": {name: self.versions(name) for name in self._versions},
        }

    def _to_companion(self, view: str) -> dict[str, Any] | None:
        """A view of every valid version, by model, in ``versions`` order (None if one is missing)."""
        found: dict[str, Any] = {}
        known = self._views[view]
        for name in self._versions:
            held = [known.get((name, v)) for v in self.versions(name)]
            if any(s is None for s in held):
                return None
            found[name] = [v if isinstance(v, list) else v.to_data() for v in held if v is not None]
        return found

    def _from_record(self, record: dict[str, Any], wanted: list[str]) -> bool:
        """Load what ``_to_record`` kept; False (nothing loaded) when it does not read back."""
        try:
            ids = {p: cid for p, cid in zip(wanted, record["ids"], strict=True) if cid is not None}
            problems = [Problem(file=f, line=line, message=m, rule=r) for f, line, m, r in record["problems"]]
            data: dict[str, Any] = record["data"]
            versions: dict[str, list[str]] = record["versions"]
            config = schemas.parse("registry", data[REGISTRY_FILE]) if REGISTRY_FILE in data else None
            stages = {}
            deployments = {}
            facts = []
            present = set()
            for path in ids:
                if path == REGISTRY_FILE:
                    continue
                _, model, leaf = path.split("/")
                if leaf == "stages.yaml" and path in data:
                    stages[model] = _stage_lists(schemas.parse("stages", data[path]))
                elif leaf == "model.yaml" and path in data:
                    facts.append(model)
                elif leaf == "deployments.yaml":
                    if path in data:
                        deployments[model] = schemas.parse("deployments", data[path])
                elif leaf.endswith(".yaml") and leaf not in ("model.yaml", "stages.yaml"):
                    present.add((model, leaf[:-5]))
            if not all(isinstance(v, str) for held in versions.values() for v in held):
                return False
        except (KeyError, TypeError, ValueError):
            return False
        self.ids, self.problems, self.config, self.stages, self.present = (
            ids,
            problems,
            config,
            stages,
            present,
        )
        self.deployments = deployments
        self.facts = LazyDict(facts, lambda model: schemas.parse("model", data[facts_path(model)]))
        self._data = data
        self._versions = versions
        self._sorted = versions
        keys = [(name, v) for name, held in versions.items() for v in held]
        self.manifests = LazyDict(keys, self._make_manifest, self._make_manifests)
        return True

    def _load_deep(self) -> None:
        if self._paths is not None:
            return
        with paused_gc():
            paths = self.tree.paths(self.store.folders() if self._memos_help() else None)
            pointers = [p for p in paths if _is_pointer(p)]
            ids = self.tree.content_ids(pointers, self._file_memo(deep=True))
        self._paths = paths
        self.ids.update(ids)
        for path in pointers:
            if path not in ids:
                self.problem(path, NOT_PLAIN, rule="layout")
        self._pointers = LazyDict([p for p in pointers if p in ids], self._bytes, self._bytes_of_many)
        self.store.save()

    def _file_memo(self, *, deep: bool = False) -> FileMemo | None:
        return self.store.files(deep=deep) if self._memos_help() else None

    def _memos_help(self) -> bool:
        """Whether the work tree's stat memos save time: not for a few models' files (reading
        the memos of the whole registry costs more than hashing them)."""
        return isinstance(self.tree, WorkTree) and self.tree.models is None

    def _document(self, path: str, kind: str, *, inline: bool) -> _Outcome:
        """The outcome of the document at ``path``: from the cache, else parsed and checked now."""
        cid = self.ids[path]
        entry = self.store.outcome(kind, cid)
        found = _Outcome.from_entry(entry) if entry is not None else None
        if found is None:
            found = _examine(self._bytes(path), path, kind)
            if kind == "manifest" and found.typed is not None:
                found.summary = VersionSummary.of(found.typed)
                found.facts = VersionFacts.of(found.typed)
            encoded = None if inline or found.problems else encode(found.data)
            self.store.remember(kind, cid, found.entry(inline=inline), encoded=encoded)
            self._fetched.pop(path, None)
        for line, message, rule in found.problems:
            self.problems.append(Problem(file=path, line=line, message=message, rule=rule))
        return found

    def _examine_all(self, paths: list[str], kind: str) -> None:
        """Parse and check many documents of one kind (on every core when there are many) and
        remember what each holds; their typed objects are built later, from the cache, if asked."""
        if not paths:
            return
        rows = proc.map_in_forks(
            self._examined_row, [(p, kind) for p in paths], workers=proc.workers_for(len(paths))
        )
        for path, row in zip(paths, rows, strict=True):
            problems, summary, facts, encoded = row
            entry = {"p": problems} if summary is None else {"p": problems, "s": summary, "f": facts}
            self.store.remember(kind, self.ids[path], entry, encoded=encoded)
            self._fetched.pop(path, None)

    def _examined_row(self, job: tuple[str, str]) -> Any:
        """One document's problems, summary and data (as JSON text), as plain data."""
        path, kind = job
        if kind == "pointer":
            return _pointer_row(self._bytes(path), path)
        found = _examine(self._bytes(path), path, kind)
        views: list[Any] = [None, None]
        if kind == "manifest" and found.typed is not None:
            views = [VersionSummary.of(found.typed).to_data(), VersionFacts.of(found.typed).to_data()]
        encoded = None if found.problems else encode(found.data)
        return [[list(p) for p in found.problems], *views, encoded]

    def _typed(self, path: str, kind: str) -> Any:
        found = self._document(path, kind, inline=True)
        if found.problems:
            return None
        self._data[path] = found.data
        if found.typed is not None:
            return found.typed
        if found.data is not _MISSING:
            try:
                return schemas.parse(kind, found.data)
            except ValidationError:
                pass  # not what was cached: read the file again
        return self._reexamined(path, kind)

    def _load_manifest(
        self, path: str, name: str, version: str, made: dict[tuple[str, str], Manifest]
    ) -> None:
        found = self._document(path, "manifest", inline=False)
        if found.problems:
            return
        self._versions.setdefault(name, []).append(version)
        if found.typed is not None:
            made[(name, version)] = found.typed
        self._views["listing"][(name, version)] = found.summary
        self._views["facts"][(name, version)] = found.facts

    def _make_manifest(self, key: tuple[str, str]) -> Manifest:
        path = manifest_path(*key)
        try:
            manifest: Manifest = schemas.parse("manifest", self.store.data(self.ids[path]))
            return manifest
        except (KeyError, ValidationError):
            pass  # not kept, or not what was cached: read the file again
        typed: Manifest = self._reexamined(path, "manifest")
        return typed

    def _make_manifests(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Manifest]:
        """Many manifests at once: their data decoded in one go, so that equal keys share one
        string (a fifth less memory for 20,000 manifests), then typed one by one."""
        blobs = {key: self.ids[manifest_path(*key)] for key in keys}
        made: dict[str, Manifest] = {}
        with paused_gc():
            for blob, data in self.store.data_many(list(blobs.values())).items():
                with contextlib.suppress(ValidationError):  # not what was kept: made below
                    made[blob] = schemas.parse("manifest", data)
        found = {}
        for key, blob in blobs.items():
            manifest = made.get(blob)
            found[key] = manifest if manifest is not None else self._make_manifest(key)
        return found

    def _reexamined(self, path: str, kind: str) -> Any:
        found = _examine(self._bytes(path), path, kind)
        if found.typed is None:
            raise DocumentError(path, "changed while modelreg was reading it; run the command again")
        return found.typed

    def _load_stages(self, path: str, model: str) -> None:
        data = self._typed(path, "stages")
        if data is None:
            return
        self.stages[model] = _stage_lists(data)

    def _load_deployments(self, path: str, model: str) -> None:
        data = self._typed(path, "deployments")
        if data is not None:
            self.deployments[model] = data

    def _fetch(self, paths: list[str]) -> None:
        self._fetched.update(self.tree.read_all([p for p in paths if p not in self._fetched]))

    def _bytes(self, path: str) -> bytes:
        """The bytes of ``path``, checked against the blob id it was listed with."""
        data = self._fetched.get(path)
        if data is None:
            data = self.tree.read(path)
        if data is None or blob_id(data) != self.ids[path]:
            raise DocumentError(path, "changed while modelreg was reading it; run the command again")
        return data

    def _bytes_of_many(self, paths: list[str]) -> dict[str, bytes]:
        found = self.tree.read_all(paths)
        for path, data in found.items():
            if blob_id(data) != self.ids[path]:
                raise DocumentError(path, "changed while modelreg was reading it; run the command again")
        return found

    def _bytes_or_none(self, path: str) -> bytes | None:
        if path not in self.ids:
            return None
        try:
            return self._bytes(path)
        except DocumentError:
            return None


def _stage_lists(data: dict[str, Any]) -> dict[str, list[str]]:
    return {stage: [held] if isinstance(held, str) else list(held) for stage, held in data.items()}


@functools.cache
def _fallback_policy() -> RegistryConfig:
    return default_config("registry")


def load(tree: Tree) -> Snapshot:
    """Read and validate every registry document of ``tree`` against its schema."""
    snap = Snapshot(tree, store_for(tree.top))
    with paused_gc():
        snap._load_documents()
    snap.store.save()
    return snap


def _line_of(raw: bytes, location: tuple[Any, ...]) -> int | None:
    from modelreg.documents import yamlio

    return yamlio.line_of(raw, location)


def _examine(raw: bytes, path: str, kind: str) -> _Outcome:
    """Parse and check one document's bytes."""
    from modelreg.documents import (
        yamlio,  # not needed when every document is known: YAML is slow to import too
    )

    try:
        data = yamlio.load(raw, path)
    except DocumentError as e:
        return _Outcome([(e.line, e.detail, "yaml")])
    if data is None and kind == "stages":
        data = {}
    found, typed = schemas.check(kind, data)
    problems: list[tuple[int | None, str, str]] = []
    for location, message in found:
        where = ".".join(str(x) for x in location)
        text = f"{where}: {_read_as_text_hint(raw, location, message)}" if where else message
        problems.append((_line_of(raw, location) if location else None, text, "schema"))
    if problems:
        return _Outcome(problems)
    return _Outcome([], data=data, typed=typed)


def _read_as_text_hint(raw: bytes, location: tuple[Any, ...], message: str) -> str:
    """``version: 1.10`` is the number 1.1 to YAML: say so, with the fix, rather than
    '1.1 is not of type "string"'."""
    if 'is not of type "string"' not in message:
        return message
    from modelreg.documents import yamlio

    written = yamlio.source_of(raw, location)
    read = message.split(" is not of type", 1)[0]
    if not written or written == read:
        return message
    return f'{written} is read as {read}, not text; quote it: "{written}"'


# path kind -> document kind
_KIND_OF = {"facts": "model", "stages": "stages", "deployments": "deployments", "manifest": "manifest"}


def _is_pointer(path: str) -> bool:
    """``classify(path).kind == "pointer"``, cheaper (asked of every file)."""
    return path.endswith(".dvc") and path.startswith("models/") and path.count("/") >= 3


def _is_stages(path: str) -> bool:
    """``classify(path).kind == "stages"``, cheaper."""
    return path.endswith("/stages.yaml") and path.startswith("models/") and path.count("/") == 2


def _precedence(version: str) -> tuple[int, tuple[object, ...]]:
    """Sorts as ``semver.sort_key`` does, with plain tuples (cheaper to compare)."""
    parsed = semver.parse(version)
    return (0, parsed.precedence()) if parsed else (1, (version,))


def _pointer_row(raw: bytes, path: str) -> dict[str, Any]:
    """A DVC pointer parsed, or why it is not one, as plain data (see ``_pointer_from_entry``)."""
    from modelreg.documents import dvcfile

    try:
        found = dvcfile.parse(raw, path)
    except DocumentError as e:
        return {"e": [e.line, e.detail]}
    return {"v": [found.path, found.md5, found.size, found.nfiles]}


def _pointer_from_entry(entry: dict[str, Any]) -> dvcfile.Pointer | tuple[int | None, str] | None:
    from modelreg.documents import dvcfile

    value, error = entry.get("v"), entry.get("e")
    if isinstance(value, list) and len(value) == 4:
        path, md5, size, nfiles = value
        typed = isinstance(path, str) and isinstance(md5, str) and type(size) is int
        if typed and (nfiles is None or type(nfiles) is int):
            return dvcfile.Pointer(path=path, md5=md5, size=size, nfiles=nfiles)
    if isinstance(error, list) and len(error) == 2:
        line, detail = error
        if (line is None or type(line) is int) and isinstance(detail, str):
            return (line, detail)
    return None
