"""Sealed files of derived data under ``.git/modelreg/``: one JSON header line, then a body.

The header says what the body was made from (format, code stamp, head or state) and carries
a sha1 of the body: a body that does not hash to it (torn, damaged, edited) is not read, so a
reader can trust the body's shape without checking every item of it. Writes go to a
temporary file renamed into place; a failure to write is ignored (these files only save time).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def digest(body: bytes) -> str:
    return hashlib.sha1(body, usedforsecurity=False).hexdigest()


def read(path: Path) -> tuple[dict[str, Any], bytes] | None:
    """The header (without its sha1) and the body of ``path``, or None when there is no such
    file or its body is not the one its header describes."""
    try:
        header_line, _, body = path.read_bytes().partition(b"\n")
        header = json.loads(header_line)
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(header, dict) or header.pop("sha1", None) != digest(body):
        return None
    return header, body


def write(path: Path, header: dict[str, Any], body: bytes) -> None:
    """Write ``header`` (plus the body's sha1) and ``body`` to ``path``, whole or not at all."""
    line = json.dumps({**header, "sha1": digest(body)}).encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(line + b"\n" + body)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError:
        return
