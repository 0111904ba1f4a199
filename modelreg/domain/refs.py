"""References to model versions, and the rule that a reference never guesses.

``NAME@1.3.0`` a version; ``NAME@latest`` the highest version (semver); ``NAME@STAGE`` the one
version that stage holds; ``NAME@STAGE:latest`` the highest version the stage holds (the
explicit choice when it holds several); ``NAME@env:ENV`` the version environment ENV runs
(its entry in deployments.yaml). A stage holding several versions resolves to none of them:
``ambiguous`` names them and the two ways to say which is meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from modelreg.domain import semver
from modelreg.domain.errors import AmbiguousRefError, InvalidInputError
from modelreg.domain.layout import ENVIRONMENT_PATTERN, NAME_PATTERN, RESERVED_NAMES, STAGE_PATTERN

_NAME = re.compile(NAME_PATTERN)
_STAGE = re.compile(STAGE_PATTERN)
_ENVIRONMENT = re.compile(ENVIRONMENT_PATTERN)
FORMS = "NAME@VERSION, NAME@STAGE, NAME@STAGE:latest, NAME@env:ENV or NAME@latest"
ENV_PREFIX = "env:"
LATEST_SUFFIX = ":latest"

Kind = Literal["version", "stage", "latest", "env"]


@dataclass(frozen=True)
class Ref:
    """A parsed reference. ``kind``: version, stage, latest or env; ``selector`` the version,
    stage or environment named; ``pick_latest`` (stages only): ``:latest`` was written."""

    name: str
    selector: str
    kind: Kind
    pick_latest: bool = False

    def __str__(self) -> str:
        if self.kind == "env":
            return f"{self.name}@{ENV_PREFIX}{self.selector}"
        return f"{self.name}@{self.selector}" + (LATEST_SUFFIX if self.pick_latest else "")


def is_name(name: str) -> bool:
    """Whether ``name`` can be a model name (``check_name`` says why not)."""
    return bool(_NAME.fullmatch(name)) and name not in RESERVED_NAMES


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
        raise _invalid(text)
    name, selector = text.split("@")
    if not name or not selector:
        raise _invalid(text)
    check_name(name)
    if selector.startswith(ENV_PREFIX):
        env = selector[len(ENV_PREFIX) :]
        if not _ENVIRONMENT.fullmatch(env):
            raise InvalidInputError(
                f"invalid environment {env[:40]!r} in {text[:80]!r}: an environment name is lowercase "
                "letters, digits, '-' and '_', starting with a letter"
            )
        return Ref(name, env, "env")
    if selector == "latest":
        return Ref(name, selector, "latest")
    if semver.parse(selector):
        return Ref(name, selector, "version")
    if selector[:1].isdigit() or selector.startswith("v") and semver.parse(selector[1:]):
        raise InvalidInputError(
            f"invalid version {selector[:80]!r} in {text[:80]!r}: use a semantic version like 1.2.0 (no 'v')"
        )
    stage, suffix = selector, ""
    if ":" in selector:
        stage, colon, rule = selector.partition(":")
        suffix = colon + rule
        if suffix != LATEST_SUFFIX:
            raise InvalidInputError(
                f"invalid reference {text[:80]!r}: after a stage only ':latest' may follow "
                f"({name}@{stage}:latest is the highest version {stage} holds)"
            )
    if _STAGE.fullmatch(stage):
        return Ref(name, stage, "stage", pick_latest=bool(suffix))
    raise _invalid(text)


def pick(ref: Ref, held: list[str]) -> str | None:
    """The one version stage reference ``ref`` names among ``held`` (the stage's versions),
    None when the stage is empty; AmbiguousRefError when it holds several and ``ref`` did not
    say ``:latest`` (then the highest semver is taken)."""
    if not held:
        return None
    ordered = sorted(held, key=semver.sort_key, reverse=True)
    if len(ordered) == 1 or ref.pick_latest:
        return ordered[0]
    raise AmbiguousRefError(str(ref), name=ref.name, stage=ref.selector, held=ordered)


def _invalid(text: str) -> InvalidInputError:
    return InvalidInputError(f"invalid reference {text[:80]!r}: expected {FORMS}")
