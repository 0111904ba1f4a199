"""Reporters: render result objects as text, tables, JSON or YAML onto a stream."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from modelreg.domain.escape import terminal

if TYPE_CHECKING:
    from pydantic import BaseModel


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 problem``, ``2 problems``, ``1 registry file``."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def to_json(obj: BaseModel | Sequence[BaseModel] | dict[str, Any], stream: TextIO) -> None:
    data = _plain(obj)
    stream.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


def to_yaml(obj: BaseModel, stream: TextIO) -> None:
    from modelreg.documents import yamlio

    stream.write(yamlio.dump(_plain(obj)))


def _plain(obj: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(obj, list | tuple):
        return [_plain(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    return obj


def table(headers: list[str], rows: list[list[str]], stream: TextIO) -> None:
    """A plain aligned table; the last column is not padded. Every cell is shown as
    ``escape.terminal`` shows it, so none can start a line or move the cursor."""
    lines = [[terminal(cell) for cell in row] for row in [headers, *rows]]
    widths = [max(map(len, column)) for column in zip(*lines, strict=True)]
    layout = "  ".join([*(f"{{:<{w}}}" for w in widths[:-1]), "{}"])
    stream.write("".join(layout.format(*row).rstrip() + "\n" for row in lines))
