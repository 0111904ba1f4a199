"""Artifacts by reference: pull verified bytes to disk, stream them, or get a local path.

Everything goes by content. The manifest gives each artifact's md5; the bytes come from the
DVC cache when it holds them, else from the default remote (``dvc.ObjectStore``). Nothing
lands where a caller looks before its md5 matches: files are written under a temporary name
beside their target and renamed into place once every artifact asked for is verified.
A folder artifact is checked file by file against its DVC listing, whose own md5 is the
one in the manifest.
"""

from __future__ import annotations

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
from modelreg.domain.layout import artifacts_dir, check_no_symlinks, unsafe_path
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
    folder = artifacts_dir(version.name, version.version) + "/"
    by_rel: dict[str, Artifact] = {}
    for artifact in version.manifest.artifacts:
        rel = artifact.path.removeprefix(folder)
        if rel == artifact.path or unsafe_path(rel):
            raise ArtifactError(
                f"{version.ref}: artifact {artifact.path!r} does not lie under {folder}; "
                "run `modelreg validate`"
            )
        by_rel[rel] = artifact
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
        other = seen.setdefault(relpath.lower(), relpath)
        if other != relpath:
            raise UnsafeListingError(
                f"folder listing {md5}: {relpath[:80]!r} and {other[:80]!r} differ only by case; refused"
            )
        entries.append(Entry(relpath, entry_md5))
    return entries


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
    """Temporary files and folders beside their targets, renamed into place together."""

    def __init__(self) -> None:
        self.moves: list[tuple[Path, Path]] = []
        self.created: list[Path] = []

    def file(self, dest: Path) -> Path:
        tmp = self._temp_name(dest)
        self.moves.append((tmp, dest))
        return tmp

    def folder(self, dest: Path) -> Path:
        tmp = self._temp_name(dest)
        self.moves.append((tmp, dest))
        os.mkdir(tmp, 0o777)
        return tmp

    def _temp_name(self, dest: Path) -> Path:
        missing = [p for p in [dest.parent, *dest.parent.parents] if not p.exists()]
        for folder in reversed(missing):
            folder.mkdir()
            self.created.append(folder)
        return dest.with_name(f".{dest.name}.{secrets.token_hex(4)}{TMP_SUFFIX}")

    def commit(self) -> None:
        for tmp, dest in self.moves:
            _replace(tmp, dest)

    def discard(self) -> None:
        for tmp, _ in self.moves:
            if tmp.is_dir() and not tmp.is_symlink():
                shutil.rmtree(tmp, ignore_errors=True)
            elif tmp.exists() or tmp.is_symlink():
                tmp.unlink()
        for folder in reversed(self.created):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


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
    """Put ``tmp`` at ``dest``; an existing folder there is swapped out, then removed."""
    if dest.is_dir() and not dest.is_symlink():
        backup = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.old{TMP_SUFFIX}")
        dest.rename(backup)
        try:
            os.replace(tmp, dest)
        except BaseException:
            backup.rename(dest)
            raise
        shutil.rmtree(backup, ignore_errors=True)
        return
    if tmp.is_dir() and (dest.exists() or dest.is_symlink()):
        dest.unlink()
    os.replace(tmp, dest)


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
) -> int:
    tmp = staging.file(dest)
    stream, source = _open_required(store, oid, what=what, pointer=pointer)
    with stream:
        size, got = _copy(stream, tmp, progress)
    if got != oid.removesuffix(".dir"):  # a folder listing's object is named <md5>.dir
        raise _mismatch(store, what, oid, got, source, wrote=True)
    return size


def _stage_folder(
    store: dvc.ObjectStore, staging: _Staging, dest: Path, selected: Selected, progress: Progress
) -> tuple[int, int]:
    entries = _listing(store, selected)
    tmp = staging.folder(dest)
    total = 0
    for entry in entries:
        target = tmp / entry.relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        what = f"{selected.what}/{entry.relpath}"
        stream, source = _open_required(store, entry.md5, what=what, pointer=selected.pointer)
        with stream:
            size, got = _copy(stream, target, progress)
        if got != entry.md5:
            raise _mismatch(store, what, entry.md5, got, source, wrote=True)
        total += size
    return total, len(entries)


def _stage(
    store: dvc.ObjectStore, staging: _Staging, selected: Selected, dest: Path, progress: Progress
) -> PulledArtifact:
    whole = selected.md5 == selected.artifact.md5
    progress.start(selected.rel, selected.artifact.size if whole else 0)
    try:
        if selected.is_dir:
            size, files = _stage_folder(store, staging, dest, selected, progress)
        else:
            size = _stage_file(
                store,
                staging,
                dest,
                selected.md5,
                what=selected.what,
                pointer=selected.pointer,
                progress=progress,
            )
            files = 1
    finally:
        progress.finish()
    return PulledArtifact(
        artifact=selected.registry_path, path=str(dest), md5=selected.md5, size=size, files=files
    )


# --- the three ways in ---------------------------------------------------------------------


def pull(
    registry: Catalog,
    ref: str,
    *,
    output: str | Path | None = None,
    file: str | None = None,
    progress: Progress | None = None,
) -> PullResult:
    """Fetch the artifacts of the version ``ref`` names, verify each md5, write them.

    ``output``: None writes each to its registry path, through the DVC cache as ``dvc pull``
    does; with one artifact, a file path (or a folder to write into); with several, a folder.
    Pulls to ``output`` stream from the cache or the remote without filling the cache, like
    ``dvc get``. Either every artifact is written or none.
    """
    version = registry.get(ref)
    shown: Progress = progress or _NoProgress()
    with dvc.object_store(registry.root) as store:
        chosen = select(store, version, file)
        targets = _targets(registry.root, chosen, output)
        if output is None:
            for sel in chosen:
                shown.start(sel.rel, sel.artifact.size if sel.md5 == sel.artifact.md5 else 0)
                try:
                    _fetch(store, sel, shown)
                finally:
                    shown.finish()
            shown = _NoProgress()
        with _staging() as staging:
            pulled = [
                _stage(store, staging, sel, dest, shown) for sel, dest in zip(chosen, targets, strict=True)
            ]
    return PullResult(ref=version.ref, commit=registry.rev, artifacts=pulled)


def _targets(root: Path, chosen: list[Selected], output: str | Path | None) -> list[Path]:
    if output is None:
        for sel in chosen:
            check_no_symlinks(root, sel.registry_path)
        return [root / sel.registry_path for sel in chosen]
    into = str(output).endswith(("/", os.sep))
    output = Path(output)
    if len(chosen) == 1:
        into = into or output.is_dir()
        return [output / posixpath.basename(chosen[0].rel) if into else output]
    if output.exists() and not output.is_dir():
        raise InvalidInputError(
            f"{output} is a file, but {chosen[0].version.ref} has {len(chosen)} artifacts: "
            "give a folder, or pick one with --file"
        )
    return [output / sel.rel for sel in chosen]


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
            for sel in chosen:
                dest = base / sel.registry_path
                if not _up_to_date(store, sel, dest):
                    _stage(store, staging, sel, dest, _NoProgress())
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
