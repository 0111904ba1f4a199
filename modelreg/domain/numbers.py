"""How a number reads in every output and message: metric values, thresholds, deltas."""

from __future__ import annotations


def number(value: float) -> str:
    """Six significant digits, no trailing zeros: ``0.941``, ``1.5e-07``."""
    return f"{value:.6g}"
