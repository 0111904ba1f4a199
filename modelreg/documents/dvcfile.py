"""DVC pointer files (``*.dvc``), read as plain YAML: no DVC import, no remote needed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from modelreg.documents import yamlio
from modelreg.domain.errors import DocumentError


@dataclass(frozen=True)
class Pointer:
    """What a ``.dvc`` file records about its one output."""

    path: str  # relative to the pointer's folder
    md5: str
    size: int
    nfiles: int | None = None


_MD5 = re.compile(r"^[0-9a-f]{32}(\.dir)?$")


def parse(raw: bytes, where: str) -> Pointer:
    """The single output ``raw`` points at; DocumentError when it is not a DVC 3 pointer
    as ``dvc add`` writes it (a pointer edited by hand is named, field by field)."""
    data = yamlio.load(raw, where)
    outs = data.get("outs") if isinstance(data, dict) else None
    if not isinstance(outs, list) or len(outs) != 1 or not isinstance(outs[0], dict):
        raise DocumentError(where, "not a DVC pointer with exactly one output under 'outs'")
    assert isinstance(data, dict)
    _refuse_stage_fields(data, outs[0], where)
    out = outs[0]
    md5, size, path = out.get("md5"), out.get("size"), out.get("path")
    if md5 is None or size is None or path is None:
        raise DocumentError(where, "DVC pointer lacks md5, size or path; re-track it with DVC 3")
    if not isinstance(md5, str) or not _MD5.fullmatch(md5):
        raise DocumentError(where, f"md5 {md5!r} is not 32 lowercase hex digits; re-track it with DVC 3")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise DocumentError(where, f"size {size!r} is not a number of bytes; re-track it with DVC 3")
    if not isinstance(path, str) or not path:
        raise DocumentError(where, f"path {path!r} is not a file name; re-track it with DVC 3")
    if out.get("hash") != "md5":
        raise DocumentError(where, "a DVC 2 pointer (no 'hash: md5'); re-add it with DVC 3")
    nfiles = out.get("nfiles")
    return Pointer(path=path, md5=md5, size=size, nfiles=nfiles if isinstance(nfiles, int) else None)


def _refuse_stage_fields(data: dict[str, Any], out: dict[str, Any], where: str) -> None:
    """Fields ``dvc add`` never writes that change what DVC does with the pointer."""
    if "cmd" in data or "deps" in data:
        raise DocumentError(
            where, "a DVC stage (cmd or deps), not a pointer: `dvc repro` would run it; re-add the artifact"
        )
    if "wdir" in data:
        raise DocumentError(where, "wdir moves where DVC looks for the artifact; remove it")
    if "remote" in out:
        raise DocumentError(
            where, f"remote {out['remote']!r} sends DVC elsewhere than the default remote; remove it"
        )
