"""References to model versions: ``NAME@1.3.0``, ``NAME@production``, ``NAME@latest``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from modelreg.domain import semver
from modelreg.domain.errors import InvalidInputError
from modelreg.domain.layout import NAME_PATTERN, RESERVED_NAMES, STAGE_PATTERN

_NAME = re.compile(NAME_PATTERN)
_STAGE = re.compile(STAGE_PATTERN)
FORMS = "NAME@VERSION, NAME@STAGE or NAME@latest"


@dataclass(frozen=True)
class Ref:
    """A parsed reference; ``kind`` is version, stage or latest."""

    name: str
    selector: str
    kind: str

    def __str__(self) -> str:
        return f"{self.name}@{self.selector}"


def check_name(name: str) -> str:
    """``name`` if it can be a model name (a folder under models/); InvalidInputError if not."""
    if not _NAME.fullmatch(name):  # fullmatch: "$" alone lets a trailing newline through
        shown = name if len(name) <= 60 else name[:57] + "..."
        raise InvalidInputError(
            f"invalid model name {shown!r}: use lowercase letters, digits, '-' and '_', "
            "starting with a letter or digit (no '/', '..' or leading '-')"
        )
    if name in RESERVED_NAMES:
        raise InvalidInputError(
            f"invalid model name {name!r}: {name.upper()} is a device name on Windows, where the "
            "registry could not be checked out; pick another"
        )
    return name


def parse(text: str) -> Ref:
    """Parse ``text`` as a reference; InvalidInputError naming the accepted forms if it is not one."""
    if text.count("@") != 1:
        raise InvalidInputError(f"invalid reference {text[:80]!r}: expected {FORMS}")
    name, selector = text.split("@")
    if not name or not selector:
        raise InvalidInputError(f"invalid reference {text[:80]!r}: expected {FORMS}")
    check_name(name)
    if selector == "latest":
        return Ref(name, selector, "latest")
    if semver.parse(selector):
        return Ref(name, selector, "version")
    if selector[:1].isdigit() or selector.startswith("v") and semver.parse(selector[1:]):
        raise InvalidInputError(
            f"invalid version {selector[:80]!r} in {text[:80]!r}: use a semantic version like 1.2.0 (no 'v')"
        )
    if _STAGE.fullmatch(selector):
        return Ref(name, selector, "stage")
    raise InvalidInputError(f"invalid reference {text[:80]!r}: expected {FORMS}")
