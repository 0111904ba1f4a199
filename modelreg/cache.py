"""What reading the registry learned, kept under ``.git/modelreg/documents/`` for the next command.

What a registry file says, and what is wrong with it, depends on its bytes alone, so outcomes
are keyed by the file's Git blob id and can never go stale; a commit names its blobs, and the
work tree is matched to them by ``stat`` (``tree.FileMemo``). The files, all JSON:

- ``index.json``: per document (kind + blob id) its problems (line, message, rule), the
  one-line summary of a version, and the parsed data of small documents;
- ``data-XX.jsonl``: the parsed data of manifests, in 256 shards by blob id (a header line,
  then ``key<TAB>JSON`` per manifest, decoded only when asked for), so reading one version
  loads one shard;
- ``pointers.json``: each DVC pointer's parsed output, or why it is not one;
- ``files.json``, ``files-deep.json``: work-tree path -> size, mtime, ctime, inode, blob id
  (the documents, and the DVC pointers below them);
- ``folders.json``: work-tree folder below the documents -> mtime, ctime, inode, entries;
- ``state-<digest>.json``: what loading found (ids, problems, small documents' data, valid
  versions), by a digest of the document paths and their fingerprints (``Tree.fingerprints``):
  when nothing changed, loading reads this one file and no per-document entry;
- ``listing-<digest>.json``, ``facts-<digest>.json``: views of that state's versions, for
  `modelreg list` and for the cross-file rules and lineage (so neither builds manifests);
- ``reports.json``: whole validation reports, by a digest of every path and blob id.

Every file carries a stamp of the code and libraries that produced it (``code_stamp``): another
version of modelreg, PyYAML, pydantic or jsonschema-rs starts afresh. A file that does not read
back as expected is ignored and rebuilt; writes go to a temporary file renamed into place; a
failed write is ignored. The cache only ever saves time: answers never depend on it.
``MODELREG_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources, util
from pathlib import Path
from typing import Any, NamedTuple

from modelreg import sealed
from modelreg.layout import is_document
from modelreg.tree import FileMemo, FolderMemo, Tree

FORMAT = 1
FOLDER = "documents"
# Modules whose code decides what a file parses to and what is wrong with it.
_OUTCOME_MODULES = [
    "cache.py",
    "dvcfile.py",
    "layout.py",
    "models.py",
    "schemas.py",
    "semver.py",
    "snapshot.py",
    "yamlio.py",
]
_KINDS = {"registry": "r", "model": "f", "stages": "s", "manifest": "m", "pointer": "p"}
_REPORTS_KEPT = 8
_STATES_KEPT = 4
_LISTINGS_KEPT = 8
_COMPANIONS = ("listing", "facts")


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


def code_stamp() -> str:
    """A digest of the code and library versions that decide a document's outcome."""
    digest = hashlib.sha1(f"format {FORMAT}\n".encode(), usedforsecurity=False)
    package = resources.files("modelreg")
    for name in _OUTCOME_MODULES:
        digest.update(package.joinpath(name).read_bytes())
    for name in sorted(p.name for p in package.joinpath("schemas").iterdir() if p.name.endswith(".json")):
        digest.update(package.joinpath("schemas", name).read_bytes())
    for distribution, module in _LIBRARIES:
        digest.update(f"{distribution} {_installed(distribution, module)}\n".encode())
    return digest.hexdigest()


# The libraries whose version decides what a document parses to, and their import names.
_LIBRARIES = [("PyYAML", "yaml"), ("pydantic", "pydantic"), ("jsonschema_rs", "jsonschema_rs")]


def _installed(distribution: str, module: str) -> str:
    """What is installed of ``distribution``: its dist-info folder's name and the files of the
    package (PyYAML with or without its C loader), found without importing either (importing
    importlib.metadata and PyYAML took a fifth of a warm `modelreg list`)."""
    spec = util.find_spec(module)  # a top-level module: found, not imported
    if spec is None or spec.origin is None:
        return "?"
    package = Path(spec.origin).parent
    prefix = distribution.lower() + "-"
    try:
        found = [e.name for e in os.scandir(package.parent) if e.name.lower().startswith(prefix)]
        files = sorted(e.name for e in os.scandir(package) if e.name.startswith("_"))
    except OSError:
        return "?"
    info = [name for name in found if name.endswith((".dist-info", ".egg-info"))]
    return f"{sorted(info)} {files}" if info else _version(distribution)


def _version(distribution: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "?"


class DocumentsState(NamedTuple):
    """What a tree's documents are now: the paths at the documents' depth (``listed``), the
    documents among them, whether one changed too recently to be trusted (``racy``), and the
    key of that state (the code's stamp, the paths and the documents' fingerprints)."""

    key: str
    listed: list[str]
    documents: list[str]
    racy: bool


def documents_state(tree: Tree, stamp: str) -> DocumentsState:
    """The state of ``tree``'s documents: what the document cache and the views kept with a
    state are found by."""
    listed = tree.document_paths()
    documents = [p for p in listed if is_document(p)]
    prints, racy = tree.fingerprints(documents)
    digest = hashlib.sha1(stamp.encode(), usedforsecurity=False)
    digest.update(repr((listed, documents, prints)).encode())
    return DocumentsState(digest.hexdigest(), listed, documents, racy)


def is_plain(data: Any) -> bool:
    """Whether ``data`` survives a JSON round trip unchanged (string keys, JSON types only)."""
    kind = type(data)
    if kind is dict:
        return all(type(k) is str and is_plain(v) for k, v in data.items())
    if kind is list:
        return all(is_plain(x) for x in data)
    return kind is str or kind is int or kind is float or kind is bool or data is None


def encode(data: Any) -> str | None:
    """``data`` as JSON text, or None when JSON would not give it back unchanged."""
    return json.dumps(data, separators=(",", ":")) if is_plain(data) else None


class Encoded(str):
    """Data kept as the JSON text it will be written as (smaller in memory than the objects)."""


class Store:
    """The cache of one repository (with no folder: of this process only, never written)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._stamp: str | None = None
        self._sections: dict[str, dict[str, Any]] = {}  # file name -> entries
        self._dirty: set[str] = set()
        self._used: set[str] = set()
        self._files: dict[str, FileMemo] = {}
        self._folders: FolderMemo | None = None
        self._states: dict[str, dict[str, Any]] = {}
        self._companions: dict[tuple[str, str], dict[str, Any]] = {}
        self._new_states: set[str] = set()

    @property
    def stamp(self) -> str:
        if self._stamp is None:
            self._stamp = code_stamp()
        return self._stamp

    # -- documents ------------------------------------------------------------------------

    def outcome(self, kind: str, blob: str) -> dict[str, Any] | None:
        """What was learned from a ``kind`` document with content ``blob``, if anything."""
        key = _KINDS[kind] + blob
        entry = self._section(_section_of(kind)).get(key)
        if not isinstance(entry, dict):
            return None
        self._used.add(key)
        return entry

    def remember(self, kind: str, blob: str, entry: dict[str, Any], *, encoded: str | None = None) -> None:
        """Keep ``entry`` for a ``kind`` document; with ``encoded``, its parsed data (as JSON text,
        see ``encode``) in a shard. Kept in memory even when nothing is written."""
        key = _KINDS[kind] + blob
        section = _section_of(kind)
        if encoded is not None:
            shard = _shard_of(blob)
            self._section(shard)[key] = Encoded(encoded)
            self._dirty.add(shard)
            entry = {**entry, "x": 1}
        self._section(section)[key] = entry
        self._dirty.add(section)
        self._used.add(key)

    def data(self, kind: str, blob: str) -> Any:
        """The parsed data kept for a document; KeyError when there is none."""
        key = _KINDS[kind] + blob
        found = self._section(_shard_of(blob))[key]
        return json.loads(found) if isinstance(found, Encoded) else found

    def data_many(self, kind: str, blobs: list[str]) -> Iterator[list[tuple[str, Any]]]:
        """The data kept for many documents, shard by shard, each shard's decoded at once (equal
        texts such as keys then share one string); documents with none are left out."""
        by_shard: dict[str, list[str]] = {}
        for blob in blobs:
            by_shard.setdefault(_shard_of(blob), []).append(blob)
        for shard, group in sorted(by_shard.items()):
            entries = self._section(shard)
            texts, decoded = [], []
            for blob in group:
                found = entries.get(_KINDS[kind] + blob)
                if isinstance(found, Encoded):
                    texts.append((blob, found))
                elif found is not None:
                    decoded.append((blob, found))
            if texts:
                try:
                    values = json.loads("[" + ",".join(t for _, t in texts) + "]")
                except ValueError:
                    values = []
                decoded.extend(zip([b for b, _ in texts], values, strict=False))
            yield decoded

    # -- work tree ------------------------------------------------------------------------

    def files(self, *, deep: bool = False) -> FileMemo:
        """What stat said of work-tree files when they were hashed: the documents, or (``deep``)
        the files below them, kept apart so that reading documents loads less."""
        name = "files-deep.json" if deep else "files.json"
        if name not in self._files:
            entries = self._section(name) if self.folder is not None else {}
            self._files[name] = FileMemo(entries)
        return self._files[name]

    def folders(self) -> FolderMemo:
        """What the work tree's folders below the documents held when last read."""
        if self._folders is None:
            self._folders = FolderMemo(self._section("folders.json") if self.folder is not None else {})
        return self._folders

    # -- whole snapshots -----------------------------------------------------------------

    def state(self, key: str) -> dict[str, Any] | None:
        """What loading the documents found last time the documents were exactly these."""
        if key in self._states:
            return self._states[key]
        found = self._read(_state_file(key))
        return found or None

    def remember_state(
        self, key: str, record: dict[str, Any], companions: dict[str, dict[str, Any] | None]
    ) -> None:
        """Keep what loading found, and ``companions`` (views of its versions, by name)."""
        if self.folder is not None:
            self._states[key] = record
            for view, found in companions.items():
                self._companions[(view, key)] = found or {}
            self._new_states.add(key)

    def companion(self, view: str, key: str) -> dict[str, Any]:
        """The ``view`` kept with state ``key``, by model ({} when there is none)."""
        if (view, key) not in self._companions:
            self._companions[(view, key)] = self._read(_companion_file(view, key))
        return self._companions[(view, key)]

    # -- commits ----------------------------------------------------------------------------

    def commit_listing(self, state: str) -> tuple[dict[str, str], list[str]] | None:
        """The documents' listing (``GitTree.documents_listing``) of a commit whose registry
        folders have the tree ids ``state`` (``GitTree.state_id``): trees never change, so
        neither does their listing."""
        if self.folder is None:
            return None
        found = sealed.read(self.folder / _listing_file(state))
        if found is None or found[0] != {"format": FORMAT, "state": state}:
            return None
        try:
            blobs, links = json.loads(found[1])
        except (ValueError, TypeError):
            return None
        return blobs, links  # sealed: what remember_commit_listing wrote

    def remember_commit_listing(self, state: str, listing: tuple[dict[str, str], list[str]]) -> None:
        if self.folder is None:
            return
        body = json.dumps(listing, separators=(",", ":")).encode()
        sealed.write(self.folder / _listing_file(state), {"format": FORMAT, "state": state}, body)
        keep_newest(self.folder, "commit-*.json", _LISTINGS_KEPT)

    # -- validation reports ---------------------------------------------------------------

    def report(self, key: str) -> dict[str, Any] | None:
        found = self._section("reports.json").get(key)
        return found if isinstance(found, dict) else None

    def remember_report(self, key: str, report: dict[str, Any]) -> None:
        if self.folder is None:
            return
        reports = self._section("reports.json")
        reports.pop(key, None)
        reports[key] = report
        for old in list(reports)[:-_REPORTS_KEPT]:
            del reports[old]
        self._dirty.add("reports.json")

    # -- files ----------------------------------------------------------------------------

    def _section(self, name: str) -> dict[str, Any]:
        if name not in self._sections:
            self._sections[name] = self._read(name)
        return self._sections[name]

    def _read(self, name: str) -> dict[str, Any]:
        if self.folder is None:
            return {}
        if name.endswith(".jsonl"):
            return self._read_lines(name)
        try:
            with open(self.folder / name, "rb") as f, paused_gc():
                found = json.loads(f.read())
        except (OSError, ValueError, RecursionError):
            return {}
        if not isinstance(found, dict) or found.get("format") != FORMAT:
            return {}
        if not name.startswith(("files", "folders")) and found.get("stamp") != self.stamp:
            return {}
        entries = found.get("entries")
        return entries if isinstance(entries, dict) else {}

    def _read_lines(self, name: str) -> dict[str, Any]:
        """A shard: a header line, then one ``key<TAB>JSON`` line per document, kept as text
        until asked for (so that building every manifest does not hold all their data at once)."""
        assert self.folder is not None
        try:
            with open(self.folder / name, encoding="utf-8") as f:
                header = json.loads(f.readline())
                if header != {"format": FORMAT, "stamp": self.stamp}:
                    return {}
                entries = {}
                for line in f:
                    key, tab, text = line.rstrip("\n").partition("\t")
                    if tab:
                        entries[key] = Encoded(text)
                return entries
        except (OSError, ValueError, UnicodeDecodeError):
            return {}

    def save(self) -> None:
        """Write what changed since the last save; never fails."""
        if self.folder is None:
            return
        memos: list[tuple[str, FileMemo | FolderMemo]] = [*self._files.items()]
        if self._folders is not None:
            memos.append(("folders.json", self._folders))
        for name, memo in memos:
            if memo.changed:
                self._sections[name] = memo.kept()
                self._dirty.add(name)
                memo.changed = False
        if not self._dirty and not self._new_states:
            return
        self._prune()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return
        for key in sorted(self._new_states):
            for (view, state), found in self._companions.items():
                if state == key:
                    content = {"format": FORMAT, "stamp": self.stamp, "entries": found}
                    _write_json(self.folder / _companion_file(view, key), content)
            content = {"format": FORMAT, "stamp": self.stamp, "entries": self._states[key]}
            _write_json(self.folder / _state_file(key), content)
        if self._new_states:
            self._new_states.clear()
            for prefix in ("state", *_COMPANIONS):
                keep_newest(self.folder, f"{prefix}-*.json", _STATES_KEPT)
        for name in sorted(self._dirty):
            stamp = None if name.startswith(("files", "folders")) else self.stamp
            if name.endswith(".jsonl"):
                _write_lines(self.folder / name, {"format": FORMAT, "stamp": stamp}, self._sections[name])
                continue
            content = {"format": FORMAT, "stamp": stamp, "entries": self._sections[name]}
            _write_json(self.folder / name, content)
        self._dirty.clear()

    def _prune(self) -> None:
        """Forget entries this process did not use once there are many more of them than it used:
        the ones it used stay, with the most recent others up to as many again plus 10,000."""
        for name in ("index.json", "pointers.json"):
            entries = self._sections.get(name)
            if name not in self._dirty or entries is None:
                continue
            used = sum(1 for k in entries if k in self._used)
            unused = [k for k in entries if k not in self._used]
            spare = used + 10_000
            if len(unused) > spare:
                gone = set(unused[: len(unused) - spare])
                self._sections[name] = {k: v for k, v in entries.items() if k not in gone}
        index = self._sections.get("index.json")
        for name in self._dirty:
            if name.startswith("data-") and index is not None:
                shard = self._sections[name]
                for key in [k for k in shard if k not in index]:
                    del shard[key]


def _listing_file(state: str) -> str:
    return f"commit-{hashlib.sha1(state.encode(), usedforsecurity=False).hexdigest()}.json"


def _state_file(key: str) -> str:
    return f"state-{key}.json"


def _companion_file(view: str, key: str) -> str:
    return f"{view}-{key}.json"


def keep_newest(folder: Path, pattern: str, count: int) -> None:
    try:
        found = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in found[count:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


def _section_of(kind: str) -> str:
    return "pointers.json" if kind == "pointer" else "index.json"


def _shard_of(blob: str) -> str:
    return f"data-{blob[:2]}.jsonl"


def _write_lines(target: Path, header: dict[str, Any], entries: dict[str, Any]) -> None:
    try:
        lines = [json.dumps(header)] + [
            f"{key}\t{text if isinstance(text, Encoded) else json.dumps(text, separators=(',', ':'))}"
            for key, text in entries.items()
        ]
    except (TypeError, ValueError):
        return
    _write_text(target, "\n".join(lines) + "\n")


def _write_json(target: Path, content: dict[str, Any]) -> None:
    try:
        text = json.dumps(content, separators=(",", ":"))  # not json.dump: that one is 10x slower
    except (TypeError, ValueError):
        return
    _write_text(target, text)


def _write_text(target: Path, text: str) -> None:
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(temp, target)
    except (OSError, ValueError, TypeError):
        temp.unlink(missing_ok=True)


_stores: dict[Path, Store] = {}


def store_for(top: Path) -> Store:
    """The cache of the repository at ``top`` (one per process, shared by every snapshot)."""
    if os.environ.get("MODELREG_NO_CACHE"):
        return Store(None)
    if top not in _stores:
        from modelreg import git
        from modelreg.errors import ModelregError

        try:
            folder: Path | None = git.state_dir(top) / FOLDER
        except ModelregError:
            folder = None
        _stores[top] = Store(folder)
    return _stores[top]
