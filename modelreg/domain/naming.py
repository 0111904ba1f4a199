"""The naming rule for models (``naming.model`` in registry.yaml), checked to be cheap first.

The rule is a regular expression from a file anyone can change by pull request, and Python's
``re`` backtracks: ``^([a-z]+)+$`` against forty letters and a dash runs for hours, so a
hostile rule would hang ``modelreg check`` in CI. Rather than a timeout, the rule must keep to a
subset whose matching cost is small by construction, checked before ``re`` ever runs it:

- at most 200 characters;
- quantifiers (``* + ? {m,n}``) apply to one character, ``.`` or a ``[class]``; a group may only
  be optional (``(...)?``), never repeated;
- at most 3 quantifiers of variable length, and at most 16 ways through its alternatives
  (``(a|b)(c|d|e)?`` has 2 * 4 = 8);
- plain groups ``(...)`` and ``(?:...)`` only: no backreferences, lookarounds or conditionals.

Backtracking then tries at most about 16 * (length + 1) ** 3 / 6 paths on a name: a few
million steps, a few hundredths of a second, for the 100 characters a model name can have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

MAX_LENGTH = 200
MAX_VARIABLE_QUANTIFIERS = 3
MAX_WAYS = 16

_QUANTIFIER = re.compile(r"[*+?]|\{(\d*)(,?)(\d*)\}")


class UnsafeRule(ValueError):
    """A naming rule outside the cheap subset, or not a regular expression at all."""


@dataclass
class _Count:
    variable: int = 0
    ways: int = 1
    open: list[int] = field(default_factory=lambda: [1])  # alternatives of each open group


def problem(pattern: str) -> str | None:
    """What makes ``pattern`` unusable as a naming rule, or None when it is fine."""
    try:
        compiled(pattern)
    except UnsafeRule as e:
        return str(e)
    return None


@cache
def compiled(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled, once it is known to match in small time; UnsafeRule if not."""
    if len(pattern) > MAX_LENGTH:
        raise UnsafeRule(f"is {len(pattern)} characters long, more than {MAX_LENGTH}")
    count = _Count()
    _scan(pattern, count)
    ways = count.ways * count.open[0]
    if count.variable > MAX_VARIABLE_QUANTIFIERS:
        raise UnsafeRule(
            f"has {count.variable} quantifiers of variable length, more than {MAX_VARIABLE_QUANTIFIERS}"
        )
    if ways > MAX_WAYS:
        raise UnsafeRule(f"has {ways} ways through its alternatives, more than {MAX_WAYS}")
    try:
        return re.compile(pattern)
    except re.error as e:
        raise UnsafeRule(f"is not a valid regular expression: {e}") from None


def _scan(pattern: str, count: _Count) -> None:
    """Walk ``pattern`` once, refusing what is outside the subset and counting choice points."""
    i, previous = 0, ""  # previous: "char", "group", or "" (nothing a quantifier may follow)
    closed = 1  # alternatives of the group that just closed
    while i < len(pattern):
        c = pattern[i]
        quantifier = _QUANTIFIER.match(pattern, i)
        if quantifier and (c != "{" or quantifier.group(1) or quantifier.group(3)):
            i = _quantify(pattern, quantifier, previous, count)
            if previous == "group":
                closed += 1  # an optional group: one more way, skipping it
            previous = ""
        elif c == "\\":
            if pattern[i + 1 : i + 2].isdigit() or pattern[i + 1 : i + 2] == "g":
                raise UnsafeRule("uses a backreference; only characters, classes and groups are allowed")
            i, previous = i + 2, "char"
        elif c == "[":
            i, previous = _class_end(pattern, i), "char"
        elif c == "(":
            if pattern.startswith("(?", i) and not pattern.startswith("(?:", i):
                raise UnsafeRule("uses '(?', which only '(?:...)' may: no lookarounds or named groups")
            count.ways *= closed
            closed = 1
            count.open.append(1)
            i, previous = i + (3 if pattern.startswith("(?:", i) else 1), ""
        else:
            count.ways *= closed
            closed = 1
            if c == "|":
                count.open[-1] += 1
            elif c == ")" and len(count.open) > 1:
                closed = count.open.pop()
            previous = {")": "group", ".": "char", "|": "", "^": "", "$": ""}.get(c, "char")
            i += 1
    count.ways *= closed


def _quantify(pattern: str, found: re.Match[str], previous: str, count: _Count) -> int:
    low, comma, high = found.group(1), found.group(2), found.group(3)
    text = found.group(0)
    exact = text.startswith("{") and not comma
    optional = text == "?" or (text.startswith("{") and low in ("", "0") and comma and high == "1")
    if previous == "group" and not optional:
        raise UnsafeRule(
            f"repeats a group with {text!r}; only a character or a [class] may repeat "
            "(a group may be optional)"
        )
    if previous != "group" and not exact:
        count.variable += 1
    end = found.end()
    return end + 1 if pattern[end : end + 1] in ("?", "+") else end  # lazy or possessive


def _class_end(pattern: str, start: int) -> int:
    """The index after the ``]`` closing the class that opens at ``start``."""
    i = start + 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1
