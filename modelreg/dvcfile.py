"""DVC pointer files (``*.dvc``), read as plain YAML: no DVC import, no remote needed."""

from __future__ import annotations

from dataclasses import dataclass

from modelreg import yamlio
from modelreg.errors import DocumentError


@dataclass(frozen=True)
class Pointer:
    """What a ``.dvc`` file records about its one output."""

    path: str  # relative to the pointer's folder
    md5: str
    size: int
    nfiles: int | None = None


def parse(raw: bytes, where: str) -> Pointer:
    """The single output ``raw`` points at; DocumentError when it is not a DVC 3 pointer."""
    data = yamlio.load(raw, where)
    outs = data.get("outs") if isinstance(data, dict) else None
    if not isinstance(outs, list) or len(outs) != 1 or not isinstance(outs[0], dict):
        raise DocumentError(where, "not a DVC pointer with exactly one output under 'outs'")
    out = outs[0]
    md5, size, path = out.get("md5"), out.get("size"), out.get("path")
    if not isinstance(md5, str) or not isinstance(size, int) or not isinstance(path, str):
        raise DocumentError(where, "DVC pointer lacks md5, size or path; re-track it with DVC 3")
    if out.get("hash") != "md5":
        raise DocumentError(where, "a DVC 2 pointer (no 'hash: md5'); re-add it with DVC 3")
    nfiles = out.get("nfiles")
    return Pointer(path=path, md5=md5, size=size, nfiles=nfiles if isinstance(nfiles, int) else None)
