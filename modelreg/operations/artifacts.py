"""Artifacts by reference: pull verified bytes to disk, stream them, or get a local path.

Everything goes by content. The manifest gives each artifact's md5; the bytes come from the
DVC cache when it holds them, else from the default remote (``dvc.ObjectStore``). Nothing
lands where a caller looks before its md5 matches: files are written under a temporary name
beside their target and renamed into place once every artifact asked for is verified.
A folder artifact is checked file by file against its DVC listing, whose own md5 is the
one in the manifest.

Outside the registry's own work tree (``pull -o``, a pull from a Git URL) pull never replaces
or deletes what it did not create: every artifact path passes ``layout.unsafe_path`` first, an
existing target is refused unless ``force`` (which replaces files, never a folder), and no
write goes through a symlink below the target.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import posixpath
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from pydantic import BaseModel

from modelreg.adapters import dvc
from modelreg.documents import dvcfile
from modelreg.domain.errors import DocumentError, InvalidInputError, ModelregError, NotFoundError
from modelreg.domain.escape import terminal
from modelreg.domain.layout import artifacts_dir, check_no_symlinks, name_key, unsafe_path
from modelreg.domain.models import Artifact, ModelVersion

if TYPE_CHECKING:
    from modelreg.queries.catalog import Catalog

CHUNK = 1 << 20
TMP_SUFFIX = ".modelreg-tmp"
DETACHED_DIR = ".dvc/tmp/modelreg"  # artifact_path() for versions the work tree does not track
MAX_LISTING_BYTES = 256 * 1024 * 1024
_MD5 = re.compile(r"^[0-9a-f]{32}$")


class ArtifactError(ModelregError):
    """Artifact bytes that are missing, damaged, or cannot be written."""


class UnsafeListingError(ArtifactError):
    """A folder artifact's DVC listing names a path that may not be written (layout.unsafe_path)."""


class Progress(Protocol):
    """Told about each transfer; a terminal draws a bar, everything else ignores it."""

    def start(self, label: str, total: int) -> None: ...

    def advance(self, size: int) -> None: ...

    def finish(self) -> None: ...


class _NoProgress:
    def start(self, label: str, total: int) -> None:
        pass

    def advance(self, size: int) -> None:
        pass

    def finish(self) -> None:
        pass


class PulledArtifact(BaseModel):
    artifact: str  # its registry path (a file inside a folder artifact: that file's path)
    path: str  # where it was written
    md5: str
    size: int
    files: int


class PullResult(BaseModel):
    ref: str
    commit: str | None  # the commit REF was resolved at; None: the work tree
    artifacts: list[PulledArtifact]


@dataclass(frozen=True)
class Entry:
    """One file of a folder artifact, as DVC's listing records it."""

    relpath: str
    md5: str


@dataclass(frozen=True)
class Selected:
    """One thing to fetch: an artifact, or one file inside a folder artifact."""

    version: ModelVersion
    artifact: Artifact
    rel: str  # relative to the version folder: "model.bin", "weights", "weights/a.bin"
    md5: str

    @property
    def is_dir(self) -> bool:
        return self.md5.endswith(".dir")

    @property
    def registry_path(self) -> str:
        return f"{artifacts_dir(self.version.name, self.version.version)}/{self.rel}"

    @property
    def pointer(self) -> str:
        return self.artifact.path + ".dvc"

    @property
    def what(self) -> str:
        return f"{self.version.ref}: {self.registry_path}"


# --- which revision, which artifacts -------------------------------------------------------


def select(store: dvc.ObjectStore, version: ModelVersion, file: str | None) -> list[Selected]:
    """The artifacts of ``version`` that ``file`` names (all when None): an artifact by its
    path under the version folder, or one file inside a folder artifact."""
    by_rel = _artifacts_by_rel(version)
    if file is None:
        return [Selected(version, a, rel, a.md5) for rel, a in by_rel.items()]
    wanted = file.strip("/")
    if wanted in by_rel:
        return [Selected(version, by_rel[wanted], wanted, by_rel[wanted].md5)]
    for rel, artifact in by_rel.items():
        if artifact.md5.endswith(".dir") and wanted.startswith(rel + "/"):
            owner = Selected(version, artifact, rel, artifact.md5)
            inner = wanted[len(rel) + 1 :]
            for entry in _listing(store, owner):
                if entry.relpath == inner:
                    return [Selected(version, artifact, wanted, entry.md5)]
            raise NotFoundError(f"folder artifact {artifact.path} of {version.ref} has no file {inner!r}")
    raise NotFoundError(f"{version.ref} has no artifact {file!r}; it has: {', '.join(by_rel)}")


def _artifacts_by_rel(version: ModelVersion) -> dict[str, Artifact]:
    """The version's artifacts by their paths under its folder, each a path the one name
    rule (``layout.unsafe_path``) lets be written, no two differing only by case."""
    folder = artifacts_dir(version.name, version.version) + "/"
    by_rel: dict[str, Artifact] = {}
    seen: dict[str, str] = {}
    for artifact in version.manifest.artifacts:
        rel = artifact.path.removeprefix(folder)
        if rel == artifact.path:
            raise ArtifactError(
                f"{version.ref}: artifact {artifact.path[:120]!r} does not lie under {folder}; "
                "run `modelreg validate`"
            )
        why = unsafe_path(rel)
        if why is None and seen.setdefault(name_key(rel), rel) != rel:
            why = f"differs from {seen[name_key(rel)][:80]!r} only by case"
        if why is not None:
            raise UnsafeListingError(
                f"{version.ref}: artifact {artifact.path[:120]!r} may not be written: its path {why}; "
                "nothing was written"
            )
        by_rel[rel] = artifact
    return by_rel


# --- reading objects -----------------------------------------------------------------------


def read_listing(store: dvc.ObjectStore, md5: str, *, missing_ok: bool = False) -> list[Entry] | None:
    """The files of the folder artifact whose DVC listing object is ``md5`` (``<hash>.dir``),
    from the cache or the remote, verified; None when missing and ``missing_ok``."""
    opened = _open(store, md5, what=f"folder listing {md5}", pointer=None, missing_ok=missing_ok)
    if opened is None:
        return None
    stream, source = opened
    with stream:
        raw = stream.read(MAX_LISTING_BYTES + 1)
    if len(raw) > MAX_LISTING_BYTES:
        raise ArtifactError(f"folder listing {md5} is larger than {MAX_LISTING_BYTES} bytes")
    got = hashlib.md5(raw, usedforsecurity=False).hexdigest() + ".dir"
    if got != md5:
        raise _mismatch(store, f"folder listing {md5}", md5, got, source, wrote=False)
    return _parse_listing(raw, md5)


def _parse_listing(raw: bytes, md5: str) -> list[Entry]:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as e:  # RecursionError: nested deeper than Python's stack
        raise ArtifactError(f"folder listing {md5} is not a JSON list of files: {e}") from e
    entries = []
    seen: dict[str, str] = {}
    for item in data if isinstance(data, list) else [None]:
        entry_md5 = item.get("md5") if isinstance(item, dict) else None
        relpath = item.get("relpath") if isinstance(item, dict) else None
        if not isinstance(entry_md5, str) or not _MD5.fullmatch(entry_md5):
            raise ArtifactError(f"folder listing {md5} has an entry without a valid md5")
        why = unsafe_path(relpath) if isinstance(relpath, str) else "is not text"
        if why is not None:
            raise UnsafeListingError(
                f"folder listing {md5} has an unsafe path {str(relpath)[:80]!r}: it {why}"
            )
        assert isinstance(relpath, str)
        other = seen.setdefault(name_key(relpath), relpath)
        if other != relpath:
            raise UnsafeListingError(
                f"folder listing {md5}: {relpath[:80]!r} and {other[:80]!r} differ only by case; refused"
            )
        entries.append(Entry(relpath, entry_md5))
    _check_no_file_holds_another(entries, md5)
    return entries


def _check_no_file_holds_another(entries: list[Entry], md5: str) -> None:
    """A listing naming ``d`` and ``d/k`` asks for a file and a folder at one path."""
    files = {e.relpath.lower() for e in entries}
    for entry in entries:
        parents = entry.relpath.lower().split("/")[:-1]
        for depth in range(1, len(parents) + 1):
            if "/".join(parents[:depth]) in files:
                raise UnsafeListingError(
                    f"folder listing {md5}: {entry.relpath[:80]!r} lies inside the file "
                    f"{'/'.join(entry.relpath.split('/')[:depth])[:80]!r}; refused"
                )


def _listing(store: dvc.ObjectStore, selected: Selected) -> list[Entry]:
    entries = read_listing(store, selected.md5, missing_ok=True)
    if entries is None:
        raise _missing(store, f"{selected.what} (its folder listing)", selected.md5, selected.pointer)
    return entries


def _open(
    store: dvc.ObjectStore, oid: str, *, what: str, pointer: str | None, missing_ok: bool = False
) -> tuple[BinaryIO, str] | None:
    """(a stream of object ``oid``, "cache" or "remote"); None or ArtifactError if neither has it."""
    if store.in_cache(oid):
        try:
            return open(store.cache_file(oid), "rb"), "cache"  # noqa: SIM115 (the caller closes it)
        except OSError as e:
            raise ArtifactError(f"cannot read {store.cache_file(oid)}: {e.strerror or e}") from e
    stream = store.open_remote(oid)
    if stream is not None:
        return stream, "remote"
    if missing_ok:
        return None
    raise _missing(store, what, oid, pointer)


def _open_required(store: dvc.ObjectStore, oid: str, *, what: str, pointer: str) -> tuple[BinaryIO, str]:
    opened = _open(store, oid, what=what, pointer=pointer)
    assert opened is not None
    return opened


def _missing(store: dvc.ObjectStore, what: str, oid: str, pointer: str | None) -> ArtifactError:
    push = f"`dvc push {pointer}`" if pointer else "`dvc push`"
    return ArtifactError(
        f"{what} (md5 {oid}) is neither in the DVC cache nor in the {store.remote_label}; "
        f"push it from where it was registered: {push}"
    )


def _mismatch(
    store: dvc.ObjectStore, what: str, expected: str, got: str, source: str, *, wrote: bool
) -> ArtifactError:
    if source == "cache":
        fix = f"the copy in the DVC cache is damaged: delete {store.cache_file(expected)} and try again"
    else:
        fix = f"the copy in the {store.remote_label} is damaged: push it again from a good copy"
    outcome = "; nothing was written" if wrote else ""
    return ArtifactError(f"{what}: md5 {got} does not match {expected} ({fix}){outcome}")


# --- writing: verified, then renamed into place ---------------------------------------------


class _Staging:
    """Temporary files and folders beside their targets, renamed into place together.

    A move ``replaces`` (the registry's own paths, and files under ``--force``) or adds only
    (a path that must still be free when it is renamed there)."""

    def __init__(self) -> None:
        self.moves: list[tuple[Path, Path, str]] = []  # (temporary, target, how: swap|file|new)
        self.created: list[Path] = []
        self.placed: list[Path] = []  # targets of "new" moves already renamed into place
        self.kept: list[tuple[Path, Path]] = []  # (a replaced file's old copy, its place)

    def file(self, dest: Path, how: str = "swap") -> Path:
        tmp = self._temp_name(dest)
        self.moves.append((tmp, dest, how))
        return tmp

    def folder(self, dest: Path, how: str = "swap") -> Path:
        tmp = self._temp_name(dest)
        self.moves.append((tmp, dest, how))
        os.mkdir(tmp, 0o777)
        return tmp

    def _temp_name(self, dest: Path) -> Path:
        missing = [p for p in [dest.parent, *dest.parent.parents] if not os.path.lexists(p)]
        for folder in reversed(missing):
            try:
                folder.mkdir()
            except OSError as e:
                raise ArtifactError(f"cannot create the folder {folder}: {e.strerror or e}") from e
            self.created.append(folder)
        return dest.with_name(f".{dest.name[:80]}.{secrets.token_hex(4)}{TMP_SUFFIX}")

    def commit(self) -> None:
        for tmp, dest, how in self.moves:
            if how == "swap":
                _replace(tmp, dest)
                continue
            if how == "file" and os.path.lexists(dest):
                self.kept.append((_keep(dest), dest))
            _place(tmp, dest, replace_file=how == "file")
            if how == "new":
                self.placed.append(dest)
        kept, self.kept = self.kept, []  # everything is in place: nothing to put back
        for old, _ in kept:
            with contextlib.suppress(OSError):
                old.unlink()

    def discard(self) -> None:
        for dest in self.placed:  # a later move failed: what this pull added goes again,
            _remove(dest)
        for old, dest in self.kept:  # and the files it replaced come back
            os.replace(old, dest)
        for tmp, _, _ in self.moves:
            _remove(tmp)
        for folder in reversed(self.created):
            if folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
                folder.rmdir()


def _keep(dest: Path) -> Path:
    """A second name for the file (or symlink) at ``dest``, so that replacing it can be undone."""
    old = dest.with_name(f".{dest.name[:80]}.{secrets.token_hex(4)}.old{TMP_SUFFIX}")
    try:
        os.link(dest, old, follow_symlinks=False)
    except OSError:  # a file system without hard links: move it aside instead
        os.rename(dest, old)
    return old


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        path.unlink()


@contextmanager
def _staging() -> Iterator[_Staging]:
    staging = _Staging()
    try:
        yield staging
        staging.commit()
    except BaseException:
        staging.discard()
        raise


def _replace(tmp: Path, dest: Path) -> None:
    """Put ``tmp`` at ``dest``, a path of the registry's own work tree (what DVC tracks
    there): an existing folder is swapped out, then removed."""
    if dest.is_dir() and not dest.is_symlink():
        backup = dest.with_name(f".{dest.name[:80]}.{secrets.token_hex(4)}.old{TMP_SUFFIX}")
        dest.rename(backup)
        try:
            os.replace(tmp, dest)
        except BaseException:
            backup.rename(dest)
            raise
        shutil.rmtree(backup, ignore_errors=True)
        return
    if tmp.is_dir() and os.path.lexists(dest):
        dest.unlink()
    os.replace(tmp, dest)


def _place(tmp: Path, dest: Path, *, replace_file: bool) -> None:
    """Put ``tmp`` at ``dest`` outside the registry's work tree: only where nothing is (or,
    with ``replace_file``, where a file or symlink is); a folder there is never touched."""
    taken = os.path.lexists(dest)
    if taken and (not replace_file or (dest.is_dir() and not dest.is_symlink())):
        raise ArtifactError(f"{terminal(str(dest))} appeared while pulling; nothing was written")
    try:
        os.replace(tmp, dest)
    except OSError as e:
        raise ArtifactError(f"cannot write {terminal(str(dest))}: {e.strerror or e}") from e


def _copy(src: BinaryIO, target: Path, progress: Progress) -> tuple[int, str]:
    """Copy ``src`` to the new file ``target``: (bytes, md5)."""
    digest = hashlib.md5(usedforsecurity=False)
    size = 0
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as out:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
                progress.advance(len(chunk))
    except OSError as e:
        raise ArtifactError(f"cannot write {target.parent}: {e.strerror or e}") from e
    return size, digest.hexdigest()


def _stage_file(
    store: dvc.ObjectStore,
    staging: _Staging,
    dest: Path,
    oid: str,
    *,
    what: str,
    pointer: str,
    progress: Progress,
    how: str = "swap",
) -> int:
    tmp = staging.file(dest, how)
    stream, source = _open_required(store, oid, what=what, pointer=pointer)
    with stream:
        size, got = _copy(stream, tmp, progress)
    if got != oid.removesuffix(".dir"):  # a folder listing's object is named <md5>.dir
        raise _mismatch(store, what, oid, got, source, wrote=True)
    return size


def _stage_folder(store: dvc.ObjectStore, staging: _Staging, target: Target, progress: Progress) -> int:
    """A folder artifact: a new folder beside the target, or (merging under ``--force``)
    each file beside its place in the existing folder."""
    selected = target.selected
    entries = _listing(store, selected)
    tmp = staging.folder(target.dest, target.how) if target.how != "merge" else target.dest
    total = 0
    for entry in entries:
        what = f"{selected.what}/{entry.relpath}"
        if target.how == "merge":
            how = "file" if entry.relpath in target.replaced else "new"
            total += _stage_file(
                store,
                staging,
                tmp / entry.relpath,
                entry.md5,
                what=what,
                pointer=selected.pointer,
                progress=progress,
                how=how,
            )
            continue
        (tmp / entry.relpath).parent.mkdir(parents=True, exist_ok=True)
        stream, source = _open_required(store, entry.md5, what=what, pointer=selected.pointer)
        with stream:
            size, got = _copy(stream, tmp / entry.relpath, progress)
        if got != entry.md5:
            raise _mismatch(store, what, entry.md5, got, source, wrote=True)
        total += size
    return total


def _stage(store: dvc.ObjectStore, staging: _Staging, target: Target, progress: Progress) -> PulledArtifact:
    selected, dest = target.selected, target.dest
    whole = selected.md5 == selected.artifact.md5
    progress.start(selected.rel, selected.artifact.size if whole else 0)
    try:
        if selected.is_dir:
            size, files = _stage_folder(store, staging, target, progress), len(_listing(store, selected))
        else:
            size = _stage_file(
                store,
                staging,
                dest,
                selected.md5,
                what=selected.what,
                pointer=selected.pointer,
                progress=progress,
                how=target.how,
            )
            files = 1
    finally:
        progress.finish()
    return PulledArtifact(
        artifact=selected.registry_path, path=str(dest), md5=selected.md5, size=size, files=files
    )


# --- where pulled files land -----------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where one selected artifact is written, and how: ``swap`` (a registry path in the work
    tree, as ``dvc pull`` refreshes it), ``new`` (a path that does not exist), ``file`` (an
    existing file or symlink replaced under ``--force``), ``merge`` (a folder artifact written
    file by file into an existing folder under ``--force``; ``replaced``: its existing files)."""

    selected: Selected
    dest: Path
    how: str
    replaced: frozenset[str] = frozenset()


def _registry_targets(root: Path, chosen: list[Selected]) -> list[Target]:
    for sel in chosen:
        check_no_symlinks(root, sel.registry_path)
    return [Target(sel, root / sel.registry_path, "swap") for sel in chosen]


def _copy_targets(
    store: dvc.ObjectStore, chosen: list[Selected], output: str | Path, *, force: bool
) -> list[Target]:
    """Where ``pull -o`` (and a pull from a Git URL) writes: never over a folder, over a file
    only with ``force``, and never through a symlink below ``output``."""
    into = str(output).endswith(("/", os.sep))
    out = Path(output)
    if len(chosen) == 1:
        sel = chosen[0]
        if into or out.is_dir():
            _check_parent(out)
            return [_copy_target(store, sel, out, posixpath.basename(sel.rel), force=force)]
        _check_parent(out.parent)
        return [_copy_target(store, sel, out.parent, out.name, force=force)]
    _check_parent(out)
    if os.path.lexists(out) and not out.is_dir():
        raise InvalidInputError(
            f"{_shown(out)} is a file, but {chosen[0].version.ref} has {len(chosen)} artifacts: "
            "give a folder, or pick one with --file"
        )
    return [_copy_target(store, sel, out, sel.rel, force=force) for sel in chosen]


def _copy_target(store: dvc.ObjectStore, sel: Selected, top: Path, rel: str, *, force: bool) -> Target:
    _check_way(top, rel)
    dest = top / rel
    if not os.path.lexists(dest):
        return Target(sel, dest, "new")
    if not force:
        raise InvalidInputError(
            f"{_shown(dest)} exists; pull writes only paths that do not exist: move it away, "
            "pull elsewhere with -o, or replace files with --force"
        )
    real_folder = dest.is_dir() and not dest.is_symlink()
    if not sel.is_dir:
        if real_folder:
            raise _is_a_folder(dest)
        return Target(sel, dest, "file")
    if not real_folder:
        raise InvalidInputError(
            f"{_shown(dest)} is not a folder, but {sel.registry_path} is one; --force replaces "
            "files with files only: move it away or pull elsewhere with -o"
        )
    replaced = frozenset(e.relpath for e in _listing(store, sel) if _taken_by_a_file(dest, e.relpath))
    return Target(sel, dest, "merge", replaced)


def _taken_by_a_file(top: Path, rel: str) -> bool:
    """Whether a file (or symlink) is at ``top/rel``, which ``--force`` may replace; a folder
    there, or a symlink or file on the way, is refused."""
    _check_way(top, rel)
    here = top / rel
    if here.is_dir() and not here.is_symlink():
        raise _is_a_folder(here)
    return os.path.lexists(here)


def _check_way(top: Path, rel: str) -> None:
    """Refuse when a folder on the way from ``top`` to ``top/rel`` is a symlink (the bytes
    would land wherever it points) or a file (which only a file may replace)."""
    here = top
    for part in rel.split("/")[:-1]:
        here = here / part
        if here.is_symlink():
            raise InvalidInputError(
                f"{_shown(here)} is a symlink; pull writes through no symlink: move it away or "
                "pull elsewhere with -o"
            )
        if os.path.lexists(here) and not here.is_dir():
            raise InvalidInputError(
                f"{_shown(here)} is a file where the artifact has a folder; pull never replaces it: "
                "move it away or pull elsewhere with -o"
            )


def _is_a_folder(path: Path) -> InvalidInputError:
    return InvalidInputError(
        f"{_shown(path)} is a folder; pull never replaces or removes a folder, not even with --force: "
        "move it away or pull elsewhere with -o"
    )


def _shown(path: Path) -> str:
    return terminal(str(path))


# --- the three ways in ---------------------------------------------------------------------


def pull(
    registry: Catalog,
    ref: str,
    *,
    output: str | Path | None = None,
    file: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> PullResult:
    """Fetch the artifacts of the version ``ref`` names, verify each md5, write them.

    ``output``: None writes each to its registry path in the work tree, through the DVC cache,
    as ``dvc pull`` does (refreshing what is there). Otherwise, with one artifact, a file
    path (or a folder to write into); with several, a folder: streamed from the cache or the
    remote without filling the cache, like ``dvc get``, and only to paths that do not exist
    (``force``: existing files are replaced; a folder never is, nor is one removed). Every
    artifact path passes the one name rule first. Either every artifact is written or none:
    each is written beside its target under a temporary name, renamed once all are verified.
    """
    version = registry.get(ref)
    shown: Progress = progress or _NoProgress()
    with dvc.object_store(registry.root) as store:
        chosen = select(store, version, file)
        for sel in chosen:
            if sel.is_dir:
                _listing(store, sel)  # every file's name is checked before anything is written
        if output is None:
            targets = _registry_targets(registry.root, chosen)
            _fill_cache(store, chosen, shown)
            shown = _NoProgress()
        else:
            targets = _copy_targets(store, chosen, output, force=force)
        _check_disjoint(targets)
        with _staging() as staging:
            pulled = [_stage(store, staging, target, shown) for target in targets]
    return PullResult(ref=version.ref, commit=registry.rev, artifacts=pulled)


def _fill_cache(store: dvc.ObjectStore, chosen: list[Selected], progress: Progress) -> None:
    for sel in chosen:
        progress.start(sel.rel, sel.artifact.size if sel.md5 == sel.artifact.md5 else 0)
        try:
            _fetch(store, sel, progress)
        finally:
            progress.finish()


def _check_disjoint(targets: list[Target]) -> None:
    """No two artifacts land on one path, or one inside another (ignoring case, as macOS and
    Windows do)."""
    by_path: dict[str, Target] = {}
    for target in targets:
        inside = [by_path.get(p.as_posix().lower()) for p in (target.dest, *target.dest.parents)]
        clash = next((t for t in inside if t is not None), None)
        if clash is None:
            clash = next((t for path, t in by_path.items() if path.startswith(_key(target) + "/")), None)
        if clash is not None:
            raise InvalidInputError(
                f"{clash.selected.what} and {target.selected.what} would both be written to "
                f"{_shown(target.dest)}; pull them one at a time with --file and -o"
            )
        by_path[_key(target)] = target


def _key(target: Target) -> str:
    return target.dest.as_posix().lower()


def _check_parent(folder: Path) -> None:
    """A pull creates at most the folder it writes into, never a chain of them: a mistyped
    path fails here instead of growing a tree somewhere unexpected."""
    if not folder.absolute().parent.is_dir():
        raise InvalidInputError(
            f"{folder.absolute().parent} does not exist: create it first (mkdir -p {folder}), "
            "or write under a folder that exists"
        )


def open_artifact(registry: Catalog, ref: str, file: str | None = None) -> BinaryIO:
    """A binary stream of one artifact file, from the DVC cache or straight from the remote
    (never read whole into memory). Reading it to the end checks its md5: a mismatch raises
    ArtifactError at the end. Seeking elsewhere than the current position ends the check."""
    version = registry.get(ref)
    store = dvc.open_store(registry.root)
    try:
        sel = _one_file(store, version, file)
        stream, source = _open_required(store, sel.md5, what=sel.what, pointer=sel.pointer)
    except BaseException:
        store.close()
        raise

    def mismatch(got: str) -> ArtifactError:
        return _mismatch(store, sel.what, sel.md5, got, source, wrote=False)

    reader = _VerifyingReader(stream, sel.md5, mismatch=mismatch, on_close=store.close)
    return io.BufferedReader(reader, buffer_size=CHUNK)


def _one_file(store: dvc.ObjectStore, version: ModelVersion, file: str | None) -> Selected:
    chosen = select(store, version, file)
    if len(chosen) > 1:
        names = ", ".join(sel.rel for sel in chosen)
        raise InvalidInputError(f"{version.ref} has {len(chosen)} artifacts ({names}); name one with file=")
    sel = chosen[0]
    if sel.is_dir:
        entries = _listing(store, sel)
        example = f"{sel.rel}/{entries[0].relpath}" if entries else f"{sel.rel}/NAME"
        raise InvalidInputError(
            f"{sel.registry_path} is a folder of {len(entries)} files; name one, e.g. file={example!r}"
        )
    return sel


class _VerifyingReader(io.RawIOBase):
    """A stream that hashes what it hands out and checks the md5 when it reaches the end."""

    def __init__(
        self,
        raw: BinaryIO,
        md5: str,
        *,
        mismatch: Callable[[str], ArtifactError],
        on_close: Callable[[], None],
    ) -> None:
        super().__init__()
        self._raw = raw
        self._md5 = md5
        self._digest = hashlib.md5(usedforsecurity=False)
        self._pos = 0
        self._verifying = True
        self._mismatch = mismatch
        self._on_close = on_close

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._raw.seekable()

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        new = self._raw.seek(offset, whence)
        if new != self._pos:
            self._verifying = False  # the check needs one pass from start to end
        self._pos = new
        return new

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        if not data:
            if self._verifying and self._digest.hexdigest() != self._md5:
                raise self._mismatch(self._digest.hexdigest())
            return 0
        memoryview(buffer).cast("B")[: len(data)] = data
        if self._verifying:
            self._digest.update(data)
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        if self.closed:
            return
        try:
            self._raw.close()
        finally:
            self._on_close()
            super().close()


def artifact_path(registry: Catalog, ref: str, file: str | None = None) -> Path:
    """A local path holding the verified artifact(s) of ``ref``: fetched into the DVC cache
    if needed, then copied to the registry path in the work tree (under .dvc/tmp/modelreg/
    for a version the work tree does not track). With several artifacts and no ``file``,
    the version's folder."""
    version = registry.get(ref)
    root = registry.root
    with dvc.object_store(root) as store:
        chosen = select(store, version, file)
        tracked = all(_tracked_in_work_tree(root, sel.artifact) for sel in chosen)
        base = root if tracked else root / DETACHED_DIR
        for sel in chosen:
            _fetch(store, sel)
        with _staging() as staging:
            for target in _registry_targets(base, chosen):
                if not _up_to_date(store, target.selected, target.dest):
                    _stage(store, staging, target, _NoProgress())
    if file is None and len(chosen) > 1:
        return base / artifacts_dir(version.name, version.version)
    return base / chosen[0].registry_path


def _tracked_in_work_tree(root: Path, artifact: Artifact) -> bool:
    pointer = root / (artifact.path + ".dvc")
    try:
        return pointer.is_file() and dvcfile.parse(pointer.read_bytes(), str(pointer)).md5 == artifact.md5
    except DocumentError:
        return False


def _fetch(store: dvc.ObjectStore, selected: Selected, progress: Progress | None = None) -> None:
    """Bring every object of ``selected`` into the DVC cache, each verified on the way in."""
    shown = progress or _NoProgress()
    if not selected.is_dir:
        _fetch_object(store, selected.md5, what=selected.what, pointer=selected.pointer, progress=shown)
        return
    _fetch_object(store, selected.md5, what=selected.what, pointer=selected.pointer, progress=_NoProgress())
    for entry in _listing(store, selected):
        what = f"{selected.what}/{entry.relpath}"
        _fetch_object(store, entry.md5, what=what, pointer=selected.pointer, progress=shown)


def _fetch_object(store: dvc.ObjectStore, oid: str, *, what: str, pointer: str, progress: Progress) -> None:
    if store.in_cache(oid):
        progress.advance(store.cache_file(oid).stat().st_size)
        return
    with _staging() as staging:
        _stage_file(store, staging, store.cache_file(oid), oid, what=what, pointer=pointer, progress=progress)
    store.protect(oid)


def _up_to_date(store: dvc.ObjectStore, selected: Selected, dest: Path) -> bool:
    if not selected.is_dir:
        return dest.is_file() and _file_md5(dest) == selected.md5
    if not dest.is_dir():
        return False
    return all(
        (dest / e.relpath).is_file() and _file_md5(dest / e.relpath) == e.md5
        for e in _listing(store, selected)
    )


def _file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
