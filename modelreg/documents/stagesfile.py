"""Writing ``models/<model>/stages.yaml`` so that every move is a one-line diff.

Stages come in registry.yaml's order, one line each; a single version is a scalar, several
a flow list sorted by semver. The initial stage is never written: unlisted means initial.
Leading comment lines of the previous file are kept.
"""

from __future__ import annotations

from modelreg.domain import semver
from modelreg.domain.models import RegistryConfig

HEADER = "# yaml-language-server: $schema=../../schemas/stages.schema.json"


def render(config: RegistryConfig, stages: dict[str, list[str]], *, previous: bytes | None = None) -> str:
    """The text of a stages.yaml holding ``stages``."""
    order = [s for s in config.stages if s in stages]
    order += sorted(s for s in stages if s not in config.stages)
    lines = _header(previous)
    for stage in order:
        held = sorted(set(stages[stage]), key=semver.sort_key)
        if not held or stage == config.initial_stage:
            continue
        value = held[0] if len(held) == 1 else "[" + ", ".join(held) + "]"
        lines.append(f"{stage}: {value}")
    return "\n".join(lines) + "\n"


def _header(previous: bytes | None) -> list[str]:
    if previous is None:
        return [HEADER]
    kept = []
    for line in previous.decode("utf-8", errors="replace").splitlines():
        if not line.startswith("#"):
            break
        kept.append(line)
    return kept
