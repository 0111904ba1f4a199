"""Reporters for one version: ``modelreg show``'s text, and ``show --at``'s (the version as
it was, since when it held its stage and through whom) in text, JSON or YAML."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, TextIO

from modelreg.domain.escape import terminal
from modelreg.domain.numbers import number
from modelreg.render.common import to_json

if TYPE_CHECKING:
    from modelreg.domain.models import ModelVersion
    from modelreg.history.timetravel import VersionAsOf


def render_text(found: ModelVersion) -> str:
    """The version as ``modelreg show`` prints it: one line per field, control characters escaped."""
    m = found.manifest
    lines = [
        f"{found.ref}  ({found.stage})",
        f"  description:  {m.description or '-'}",
        f"  created:      {m.created_at.isoformat()} by {m.created_by}",
    ]
    if m.framework:
        lines.append(f"  framework:    {m.framework.name} {m.framework.version or ''}".rstrip())
    if m.algorithm:
        lines.append(f"  algorithm:    {m.algorithm}")
    if m.tags:
        lines.append(f"  tags:         {', '.join(m.tags)}")
    if m.metrics:
        lines.append("  metrics:      " + "  ".join(f"{k}={number(v)}" for k, v in m.metrics.items()))
    if m.params:
        lines.append("  params:       " + "  ".join(f"{k}={v}" for k, v in m.params.items()))
    for role, ds in m.data.items():
        lines.append(f"  data:         {role}={ds.name}@{ds.version or ds.md5 or '?'}")
    for parent in m.lineage.parents:
        lines.append(f"  parent:       {parent.ref} ({parent.relation})")
    for a in m.artifacts:
        lines.append(f"  artifact:     {a.path}  md5 {a.md5}  {a.size} bytes")
    lines += _provenance_lines(found)
    if m.custom:
        from modelreg.documents.summary import custom_leaves

        shown = "  ".join(
            f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in custom_leaves(m.custom).items()
        )
        lines.append(f"  custom:       {shown}")
    for e in m.evaluations:
        on = f"{e.dataset.name}@{e.dataset.version or e.dataset.md5 or '?'}"
        scores = "  ".join(f"{k}={number(v)}" for k, v in e.metrics.items())
        note = f"  ({e.note})" if e.note else ""
        lines.append(
            f"  evaluation:   {on} {e.kind}  {scores}  {e.created_at.date()} by {e.created_by or '?'}{note}"
        )
    return "".join(terminal(line) + "\n" for line in lines)  # one line per field, escapes shown


def _provenance_lines(found: ModelVersion) -> list[str]:
    """Signature, dependencies, training code and run, intended use and limitations."""
    from modelreg.documents.signature import describe, fields

    m = found.manifest
    lines = []
    if m.signature is not None:
        for side in ("inputs", "outputs"):
            for f in fields(getattr(m.signature, side)):
                lines.append(f"  {side[:-1] + ':':<14}{f.name or '-'}  {describe(f)}")
    if m.dependencies:
        lines.append("  dependencies: " + "  ".join(m.dependencies))
    if m.code is not None:
        dirty = {True: "  (uncommitted changes)", False: "", None: ""}[m.code.dirty]
        where = " ".join(x for x in (m.code.repo, m.code.commit, m.code.path) if x)
        lines.append(f"  code:         {where or '-'}{dirty}")
    if m.run is not None:
        lines.append("  run:          " + " ".join(x for x in (m.run.id, m.run.url) if x))
    if m.intended_use:
        lines.append(f"  intended use: {m.intended_use}")
    if m.limitations:
        lines.append(f"  limitations:  {m.limitations}")
    return lines


def render_version_as_of(result: VersionAsOf, fmt: str, stream: TextIO) -> None:
    """``show --at``: the version as it was, plus since when it held its stage and through whom."""
    from modelreg.render.history_report import since_text, when  # a plain `show` needs neither

    if fmt == "text":
        stream.write(render_text(result.version))
        held = since_text(result.held) if result.held else f"in {result.version.stage} (no record of how)"
        stream.write(
            f"  as of:        {result.as_of.requested} (commit {result.as_of.commit[:8]}, "
            f"{when(result.as_of.commit_date)})\n"
        )
        stream.write(f"  held:         {terminal(held)}\n")
        return
    data = {
        **result.version.model_dump(mode="json", by_alias=True, exclude_none=True),
        "as_of": result.as_of.model_dump(mode="json", exclude_none=True),
        "held": result.held.model_dump(mode="json", exclude_none=True) if result.held else None,
        "audit": asdict(result.held.entered.audit) if result.held else None,
    }
    if fmt == "json":
        to_json(data, stream)
    else:
        from modelreg.documents import yamlio

        stream.write(yamlio.dump(data))
