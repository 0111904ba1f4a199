"""modelreg show"""

from __future__ import annotations

import sys

import click

from modelreg.cli.asof import at_option, registry_for
from modelreg.cli.options import format_option
from modelreg.cli.remote import read_remote, remote_repo_option
from modelreg.domain import refs


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
        from modelreg.render.version import render_version_as_of

        render_version_as_of(version_as_of(registry, found), fmt, out)
    elif fmt == "json":
        from modelreg.render.common import to_json

        to_json(found, out)
    elif fmt == "yaml":
        from modelreg.render.common import to_yaml

        to_yaml(found, out)
    else:
        from modelreg.render.version import render_text

        out.write(render_text(found))
