"""DVC, through its Python API. Imported lazily: only commands that move bytes pay for it."""

from __future__ import annotations

import io
import logging
import os
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from modelreg.domain.errors import ModelregError

_STYLE = re.compile(r"\x1b\[[0-9;]*m")


def _unstyled(error: BaseException) -> str:
    """DVC's message without the colours it gives links (``escape.terminal`` would show them)."""
    return _STYLE.sub("", str(error))


DEFAULT_REMOTE_NAME = "storage"


class DvcError(ModelregError):
    """DVC refused or failed; the message says what DVC said."""


def _quiet() -> None:
    """DVC logs hints meant for its own CLI ("To track the changes with git..."); modelreg
    reports for itself, so DVC's logger is silenced and its failures become DvcError."""
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    logging.getLogger("dvc").setLevel(logging.CRITICAL + 1)


class _Collected(logging.Handler):
    """What DVC logs while it works ("failed to transfer '<md5>'", with the reason attached):
    kept off stderr, where DVC's own handlers (set up on ``import dvc``) would print it, and
    the first error is added to the one line modelreg prints, since DVC's exception itself
    only says "1 files failed to upload"."""

    LOGGERS = ("dvc", "dvc_data", "dvc_objects")

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                message += f" - {record.exc_info[1]}"
            self.errors.append(" ".join(message.split()))

    @contextmanager
    def installed(self) -> Iterator[_Collected]:
        loggers = [logging.getLogger(name) for name in self.LOGGERS]
        saved = [lg.handlers[:] for lg in loggers]
        for lg in loggers:
            lg.handlers[:] = [self]
        try:
            yield self
        finally:
            for lg, handlers in zip(loggers, saved, strict=True):
                lg.handlers[:] = handlers

    def detail(self) -> str:
        """The first error, without DVC's "failed to transfer '<md5>' - " prefix."""
        if not self.errors:
            return ""
        first = self.errors[0].split(" - ", 1)[-1]
        return f" ({first[:200]})"


@contextmanager
def _dvc(top: Path, doing: str) -> Iterator[Any]:
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    _quiet()

    try:
        with _Collected().installed() as logged, Repo(str(top)) as repo:
            repo.scm_context.quiet = True
            yield repo
    except DvcException as e:
        reason = _unstyled(e).strip().splitlines()[0] if _unstyled(e).strip() else type(e).__name__
        cause = e.__cause__
        if cause is not None and _unstyled(cause).strip():
            reason += f": {_unstyled(cause).strip().splitlines()[0]}"
        raise DvcError(f"DVC could not {doing}: {reason}{logged.detail()}") from e
    except OSError as e:
        detail = e.strerror or str(e)
        where = f" ({e.filename})" if e.filename else ""
        raise DvcError(f"DVC could not {doing}: {detail}{where}") from e
    except ImportError as e:  # a remote whose DVC plugin (dvc-s3, dvc-gs...) is not installed
        raise DvcError(f"DVC could not {doing}: {missing_plugin_hint(e)}") from e


def missing_plugin_hint(error: ImportError) -> str:
    """DVC says "s3 is supported, but requires 'dvc-s3' to be installed"; say how to install it."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else "a DVC plugin is missing"
    if "dvc-s3" in text:
        return f"{text}; install it with `pip install 'modelreg[s3]'`"
    return text


def is_initialized(top: Path) -> bool:
    return (top / ".dvc" / "config").is_file()


def init(top: Path) -> None:
    """``dvc init`` in the Git repository at ``top``."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    _quiet()

    try:
        Repo.init(str(top))
    except DvcException as e:
        raise DvcError(f"DVC could not initialize {top}: {e}") from e


def default_remote(top: Path) -> tuple[str, str] | None:
    """(name, url) of the default remote as committed in .dvc/config, or None."""
    with _dvc(top, "read its configuration") as repo:
        conf = repo.config.read("repo")
    name = conf.get("core", {}).get("remote")
    if not name:
        return None
    return name, conf.get("remote", {}).get(name, {}).get("url", "")


def remote_settings(top: Path, name: str) -> dict[str, str]:
    """The settings of remote ``name`` in the committed .dvc/config (url included), as text."""
    with _dvc(top, "read its configuration") as repo:
        conf = repo.config.read("repo")
    return {k: str(v) for k, v in conf.get("remote", {}).get(name, {}).items()}


def set_default_remote(
    top: Path, url: str, *, name: str = DEFAULT_REMOTE_NAME, options: dict[str, str] | None = None
) -> None:
    """Add remote ``name`` at ``url`` with ``options`` (e.g. ``endpointurl``) to .dvc/config
    and make it the default. DVC validates the options for the URL's scheme.

    A relative local path is relative to the current folder; DVC writes it relative to .dvc/,
    where it reads it from, so the registry and its storage can move together.
    """
    with _dvc(top, f"add the remote {url}") as repo, repo.config.edit("repo") as conf:
        conf["remote"][name] = {"url": url, **(options or {})}
        conf["core"]["remote"] = name


def add(top: Path, paths: list[str]) -> None:
    """Track ``paths`` (relative to ``top``) with DVC: one ``.dvc`` pointer each, the bytes in
    DVC's cache, the path in its folder's .gitignore; what ``dvc add`` writes.

    ``dvc add`` first loads every pointer of the repository to see that the new output overlaps
    none (seconds at thousands of versions). A new path that no pointer, pipeline or Git entry
    covers needs none of that: each is then hashed, cached and written through DVC's own stage
    and dvc-data's build and transfer, which is the rest of what ``dvc add`` does."""
    with _dvc(top, "track the artifacts") as repo:
        if not all(_is_fresh(repo, top, p) for p in paths):
            repo.add([str(top / p) for p in paths])
            return
        with repo.lock:
            for rel in paths:
                _track_new(repo, top / rel)


def _is_fresh(repo: Any, top: Path, rel: str) -> bool:
    """Whether ``rel`` is a path no DVC output or Git entry can cover: no pointer or pipeline
    file in a folder above it, not in Git's index, the cache linking by copy (DVC relinks
    other kinds), and the remote not a versioned one."""
    parts = Path(rel).parts
    for depth in range(len(parts)):
        here = top.joinpath(*parts[:depth])
        if (here / "dvc.yaml").exists() or (depth and here.with_name(here.name + ".dvc").exists()):
            return False
    cache_type = repo.config.get("cache", {}).get("type")
    if cache_type not in (None, "copy", "reflink", ["reflink", "copy"], ["copy"], ["reflink"]):
        return False
    from modelreg.adapters import git

    return not git.is_tracked(top, rel)


def _track_new(repo: Any, target: Path) -> None:
    from dvc_data.hashfile.build import build
    from dvc_data.hashfile.transfer import transfer

    path, wdir, out = _resolve_paths(repo, str(target))
    stage = repo.stage.create(single_stage=True, validate=False, fname=path, wdir=wdir, outs=[out])
    output = stage.outs[0]
    cache = repo.cache.local
    staging, meta, obj = build(cache, output.fs_path, output.fs, "md5", ignore=output.dvcignore)
    result = transfer(staging, cache, {obj.hash_info}, shallow=False, hardlink=False)
    for failed in result.failed:  # transfer logs why and goes on; copying again raises it
        source = staging.get(failed.value) if failed.value else None
        if source is None or failed.isdir:
            raise DvcError(f"DVC could not track {output}: its objects did not reach the cache")
        try:
            cache.add(source.path, source.fs, source.oid)
        except OSError as e:  # what failed is the cache, not the file named
            raise OSError(e.errno, e.strerror) from e
    output.obj, output.hash_info, output.meta, output.files = obj, obj.hash_info, meta, None
    repo.scm_context.ignore(output.fspath)
    stage.dump()


def _resolve_paths(repo: Any, target: str) -> tuple[str, str, str]:
    from dvc.utils import resolve_paths

    path, wdir, out = resolve_paths(repo, target)
    return str(path), str(wdir), str(out)


def push(top: Path, pointers: list[str]) -> int:
    """Push the data of ``pointers`` to the default remote; return how many objects moved.

    ``dvc push`` of named pointers loads every pointer of the repository first; the objects
    these pointers name (a folder's listing and its files) go through DVC's object push
    instead, the same transfer into the same layout. A versioned or work-tree remote, whose
    layout follows the pointers, takes ``dvc push``."""
    with _dvc(top, "push to the default remote") as repo:
        name = repo.config.get("core", {}).get("remote")
        if not name:
            raise DvcError(
                "no default DVC remote; add one with `dvc remote add -d NAME URL` and commit .dvc/config"
            )
        settings = repo.config.get("remote", {}).get(name, {})
        with _push_errors():
            if settings.get("version_aware") or settings.get("worktree"):
                transferred: int = repo.push(targets=[str(top / p) for p in pointers])
                return transferred
            return _push_objects(repo, [str(top / p) for p in pointers])


def _push_objects(repo: Any, pointers: list[str]) -> int:
    from dvc.dvcfile import load_file
    from dvc.exceptions import UploadError
    from dvc_data.hashfile.tree import Tree

    wanted = set()
    for pointer in pointers:
        for output in load_file(repo, pointer).stage.outs:
            wanted.add(output.hash_info)
            if output.hash_info.isdir:
                tree = Tree.load(output.cache, output.hash_info)
                wanted.update(oid for _, _, oid in tree)
    result = repo.cloud.push(wanted)
    if result.failed:
        raise UploadError(len(result.failed))  # as ``dvc push`` says it; _dvc adds why
    return len(result.transferred)


@contextmanager
def _push_errors() -> Iterator[None]:
    from dvc.exceptions import DvcException

    try:
        yield
    except (DvcError, DvcException):
        raise
    except Exception as e:  # the remote's SDK (botocore, ...) fails with its own types
        text = _unstyled(e).strip().splitlines()[0] if _unstyled(e).strip() else type(e).__name__
        raise DvcError(f"DVC could not push to the default remote: {text}") from e


# --- objects by md5: the DVC cache and the default remote ----------------------------------


class ObjectStore:
    """Objects by md5 in a registry's DVC cache and its default remote (DVC 3 layout:
    ``files/md5/<2 hex>/<30 hex>``). Reading by hash needs no pointer, checkout or lock, so
    it works for any revision. The remote and its credentials come from the work tree's DVC
    configuration (.dvc/config, .dvc/config.local, the environment)."""

    def __init__(self, repo: Any) -> None:
        self._repo = repo
        self._cache = repo.cache.local
        self._remote: Any = None
        self.remote_name: str = repo.config["core"].get("remote") or ""
        url = repo.config["remote"].get(self.remote_name, {}).get("url", "")
        self.remote_label = f"DVC remote {self.remote_name!r} ({url})" if self.remote_name else "DVC remote"

    def close(self) -> None:
        self._repo.close()

    def cache_file(self, oid: str) -> Path:
        return Path(self._cache.oid_to_path(oid))

    def in_cache(self, oid: str) -> bool:
        return self.cache_file(oid).is_file()

    def protect(self, oid: str) -> None:
        """Make a cached object read-only, as DVC does with its own."""
        self._cache.protect(str(self.cache_file(oid)))

    def open_remote(self, oid: str) -> BinaryIO | None:
        """A stream of the remote's copy of ``oid``, or None when the remote lacks it."""
        odb = self._remote_odb()
        with self._remote_errors():
            try:
                raw = odb.fs.open(odb.oid_to_path(oid), mode="rb")
            except FileNotFoundError:
                self._check_local_root(odb)
                return None
        return io.BufferedReader(_RemoteStream(raw, self._remote_errors), buffer_size=1 << 20)

    def remote_has(self, oid: str) -> bool:
        """Whether the remote holds ``oid``: one metadata request, nothing downloaded."""
        odb = self._remote_odb()
        with self._remote_errors():
            try:
                odb.fs.info(odb.oid_to_path(oid))
            except FileNotFoundError:
                return False  # a local remote folder never pushed to does not exist yet
        return True

    def remote_has_all(self, oids: list[str]) -> dict[str, bool]:
        """``remote_has`` for many objects, a few requests at a time."""
        if len(oids) <= 4:
            return {oid: self.remote_has(oid) for oid in oids}
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(16, len(oids))) as pool:
            return dict(zip(oids, pool.map(self.remote_has, oids), strict=True))

    def _remote_odb(self) -> Any:
        if self._remote is None:
            from dvc.exceptions import DvcException

            try:
                self._remote = self._repo.cloud.get_remote_odb(None, "pull")
            except DvcException as e:
                reason = _unstyled(e).strip().splitlines()[0]
                raise DvcError(
                    f"cannot use the default DVC remote: {reason}; set one with "
                    "`dvc remote add -d NAME URL` and commit .dvc/config"
                ) from e
            except ImportError as e:
                raise DvcError(f"cannot use the {self.remote_label}: {missing_plugin_hint(e)}") from e
        return self._remote

    def _check_local_root(self, odb: Any) -> None:
        """Reading from a local remote folder that does not exist (unmounted?) cannot work."""
        if odb.fs.protocol == "local" and not os.path.isdir(self._remote_root()):
            raise DvcError(f"cannot reach the {self.remote_label}: the folder does not exist")

    def _remote_root(self) -> str:
        odb = self._remote_odb()
        return str(odb.fs.parent(odb.fs.parent(odb.path)))  # <remote>/files/md5 -> <remote>

    @contextmanager
    def _remote_errors(self) -> Iterator[None]:
        """Remote filesystems raise what their SDK raises (botocore, OSError, ...): one message."""
        try:
            yield
        except (ModelregError, FileNotFoundError):
            raise
        except Exception as e:
            text = _unstyled(e).strip().splitlines()[0] if _unstyled(e).strip() else type(e).__name__
            raise DvcError(f"cannot reach the {self.remote_label}: {text}") from e


class _RemoteStream(io.RawIOBase):
    """A remote object's stream whose SDK errors become DvcError."""

    def __init__(self, raw: Any, guard: Callable[[], AbstractContextManager[None]]) -> None:
        super().__init__()
        self._raw = raw
        self._guard = guard

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return bool(self._raw.seekable())

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        with self._guard():
            return int(self._raw.seek(offset, whence))

    def tell(self) -> int:
        return int(self._raw.tell())

    def readinto(self, buffer: Any) -> int:
        with self._guard():
            data = self._raw.read(len(buffer))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            try:
                self._raw.close()
            finally:
                super().close()


def open_store(top: Path) -> ObjectStore:
    """The object store of the registry at ``top``; the caller closes it."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    _quiet()
    try:
        repo = Repo(str(top))
    except DvcException as e:
        raise DvcError(f"DVC could not open {top}: {_unstyled(e).strip().splitlines()[0]}") from e
    try:
        return ObjectStore(repo)
    except BaseException:
        repo.close()
        raise


@contextmanager
def object_store(top: Path) -> Iterator[ObjectStore]:
    store = open_store(top)
    try:
        yield store
    finally:
        store.close()
