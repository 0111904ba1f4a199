"""How a number reads in every output and message: metric values, thresholds, deltas."""

from __future__ import annotations


def number(value: float) -> str:
    """Six significant digits, no trailing zeros: ``0.941``, ``1.5e-07``."""
    return f"{value:.6g}"


def decimals(value: float) -> int:
    """How many decimal places ``value`` was written with: 0.912 -> 3, 4.0 -> 0, 1.5e-07 -> 8."""
    text = repr(float(value))
    mantissa, _, exponent = text.partition("e")
    places = len(mantissa.partition(".")[2].rstrip("0"))
    return max(0, places - int(exponent or 0))


def difference(ours: float, theirs: float) -> float:
    """``ours - theirs`` to the precision of the two numbers, without float noise:
    0.9 - 0.9118 is -0.0118, not -0.011799999999999922."""
    return round(ours - theirs, max(decimals(ours), decimals(theirs))) + 0.0  # + 0.0: no -0.0
