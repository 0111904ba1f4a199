"""A progress line on a terminal's stderr, for long transfers."""

from __future__ import annotations

import time
from typing import TextIO


class TerminalProgress:
    """Redraws ``label  3.1 MiB / 12.0 MiB  25%`` in place, at most ten times a second."""

    def __init__(self, stream: TextIO, *, interval: float = 0.1) -> None:
        self._stream = stream
        self._interval = interval
        self._label = ""
        self._total = 0
        self._done = 0
        self._drawn_at = 0.0
        self._width = 0

    def start(self, label: str, total: int) -> None:
        self._label, self._total, self._done, self._drawn_at = label, total, 0, 0.0
        self._draw()

    def advance(self, size: int) -> None:
        self._done += size
        if time.monotonic() - self._drawn_at >= self._interval:
            self._draw()

    def finish(self) -> None:
        self._draw()
        self._stream.write("\n")
        self._stream.flush()
        self._width = 0

    def _draw(self) -> None:
        self._drawn_at = time.monotonic()
        text = f"{self._label}  {_size(self._done)}"
        if self._total:
            percent = min(100, self._done * 100 // self._total)
            text += f" / {_size(self._total)}  {percent:3d}%"
        self._stream.write("\r" + text.ljust(self._width))
        self._stream.flush()
        self._width = len(text)


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"
