"""modelreg site"""

from __future__ import annotations

import sys

import click

from modelreg.cli.options import format_option, repo_option, say


@click.command("site")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=str),
    help="The folder to write the site into (new, empty, or one a previous build wrote).",
)
@click.option(
    "--base-url",
    default=None,
    help="The path the site is served under, e.g. /REPO/ for a GitHub Pages project site. "
    "Default: links relative to each page, so the site works opened as a file too.",
)
@click.option(
    "--rev",
    default="HEAD",
    show_default=True,
    metavar="REV",
    help="The commit whose registry the site shows.",
)
@click.option(
    "--repo-url",
    metavar="URL",
    help="The repository's web page, for pull-request and commit links "
    "(default: the origin remote's, when it is on GitHub).",
)
@click.option("--full", is_flag=True, help="Render every model, not only those changed since the last build.")
@repo_option
@format_option("text", "json")
def command(
    output: str, base_url: str | None, rev: str, repo_url: str | None, full: bool, repo: str, fmt: str
) -> None:
    """Write a static site of the registry: an index of models (filter box, sortable
    columns), a page per model (versions, metric charts with stage requirements and
    production tenures, stage timeline with pull-request links, lineage graph), a page per
    version (model card, artifacts, fetch commands, history) and per dataset. Links are
    stable: BASE/models/NAME/VERSION/. No server and no network: charts are SVG drawn here.

    A second build into the same folder renders only the models whose files changed since.

    \b
    Examples:
      modelreg site -o public/                 # then open public/index.html
      modelreg site -o public/ --base-url /models-registry/ --repo-url https://github.com/acme/models
      python -m http.server -d public 8000     # then open http://127.0.0.1:8000/
    """
    from modelreg.operations.site import build_site

    result = build_site(repo, output, rev=rev, base_url=base_url, repo_url=repo_url, full=full, progress=say)
    if fmt == "json":
        from modelreg.render.common import to_json

        to_json(result, sys.stdout)
        return
    what = "every model" if result.full else f"{len(result.rendered)} of {result.models} models"
    click.echo(
        f"wrote {result.pages_written} pages ({what}, {result.datasets} datasets) to {result.output} "
        f"for commit {result.commit[:12]}"
    )
    if result.removed:
        click.echo(f"removed the pages of {len(result.removed)} model(s) no longer in the registry")
    if base_url is None:
        click.echo(f"open {result.output}/index.html in a browser (a file: its links are relative)")
    else:
        click.echo(f"serve {result.output} at {base_url} (e.g. python -m http.server -d {output})")
