"""Semantic versions (semver.org 2.0.0): parsing, precedence and bumps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache, total_ordering

SEMVER_PATTERN = (
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
_SEMVER = re.compile(rf"^{SEMVER_PATTERN}$")
MAX_VERSION_LENGTH = 64


@total_ordering
@dataclass(frozen=True)
class Version:
    """A parsed semantic version; ordered by semver precedence (build metadata breaks ties)."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: str = ""

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        return text + (f"+{self.build}" if self.build else "")

    def _key(self) -> tuple[object, ...]:
        # A release sorts after its pre-releases; numeric identifiers sort before alphanumeric.
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, not self.prerelease, pre, self.build)

    def precedence(self) -> tuple[object, ...]:
        """A key whose natural order is semver precedence (faster to sort by than Version)."""
        return self._key()

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def bump(self, part: str) -> Version:
        """The next version for ``part`` (major, minor or patch); pre-release and build dropped."""
        if part == "major":
            return Version(self.major + 1, 0, 0)
        if part == "minor":
            return Version(self.major, self.minor + 1, 0)
        if self.prerelease:
            return Version(self.major, self.minor, self.patch)
        return Version(self.major, self.minor, self.patch + 1)


def parse(text: str) -> Version | None:
    """The Version ``text`` spells, or None when it is not a semantic version."""
    if not isinstance(text, str) or len(text) > MAX_VERSION_LENGTH:
        return None
    return _parse(text)


@lru_cache(maxsize=1 << 16)  # sorting and lineage parse the same versions over and over
def _parse(text: str) -> Version | None:
    m = _SEMVER.fullmatch(text)  # "$" alone would accept "1.0.0\n"
    if not m:
        return None
    major, minor, patch, pre, build = m.groups()
    return Version(int(major), int(minor), int(patch), tuple(pre.split(".")) if pre else (), build or "")


def core(text: str) -> Version | None:
    """The version ``text`` spells without its build metadata (which precedence ignores)."""
    v = parse(text)
    return Version(v.major, v.minor, v.patch, v.prerelease) if v else None


def sort_key(text: str) -> tuple[int, Version | str]:
    """Sort key for version strings: valid versions by precedence, anything else after them."""
    v = parse(text)
    return (0, v) if v else (1, text)
