"""modelreg show"""

from __future__ import annotations

import json
import sys

import click

from modelreg.cli.asof import at_option, registry_for
from modelreg.cli.options import format_option
from modelreg.cli.remote import read_remote, remote_repo_option
from modelreg.domain import refs
from modelreg.domain.models import ModelVersion


@click.command("show")
@click.argument("ref")
@at_option
@remote_repo_option
@format_option("text", "json", "yaml")
def command(ref: str, at: str | None, repo: str, fmt: str) -> None:
    """Show the version REF names: NAME@VERSION, NAME@STAGE, NAME@env:ENV or NAME@latest.

    NAME@STAGE names the version the stage holds; a stage holding several (staging often
    does) names none and the error lists them: name one, or write NAME@STAGE:latest for
    the highest. NAME@env:ENV is the version deployments.yaml says ENV runs.

    \b
    Examples:
      modelreg show fraud-detector@production
      modelreg show fraud-detector@1.3.0 --format json
      modelreg show fraud-detector@latest --format yaml
      modelreg show fraud-detector@staging:latest
      modelreg show fraud-detector@env:prod-us
      modelreg show fraud-detector@production --at 2026-03-01
      modelreg show fraud-detector@production --repo https://github.com/acme/models.git

    With --repo URL nothing is cloned (see `modelreg pull --help`); --at names a branch,
    tag or commit there.
    """
    remote = read_remote(repo, at, ref)
    if remote is not None:
        found = remote.catalog(refs.parse(ref).name).get(ref)
    else:
        registry = registry_for(repo, at)
        found = registry.get(ref)
    out = sys.stdout
    if at is not None and remote is None:
        from modelreg.registry import version_as_of
        from modelreg.render.history_report import render_version_as_of

        render_version_as_of(version_as_of(registry, found), fmt, out, text=render_text)
    elif fmt == "json":
        from modelreg.render.common import to_json

        to_json(found, out)
    elif fmt == "yaml":
        from modelreg.render.common import to_yaml

        to_yaml(found, out)
    else:
        out.write(render_text(found))


def render_text(found: ModelVersion) -> str:
    from modelreg.domain.escape import terminal
    from modelreg.domain.numbers import number

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
