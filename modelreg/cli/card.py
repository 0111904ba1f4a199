"""modelreg card"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import click

from modelreg.cli.asof import at_option, registry_for
from modelreg.cli.options import format_option, repo_option


@click.command("card")
@click.argument("ref")
@click.option(
    "--stage",
    metavar="STAGE",
    help="Judge against this stage's requirements and holder. Default: the version's next stage.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the card to this file instead of standard output.",
)
@at_option
@repo_option
@format_option("markdown", "html", "json")
def command(ref: str, stage: str | None, output: Path | None, at: str | None, repo: str, fmt: str) -> None:
    """The model card of the version REF names: description, owner, intended use and
    limitations, metrics beside the next stage's requirements and its current holder,
    evaluations, signature, data and lineage (Mermaid), provenance, stage history, and
    the comparison with that holder. `promote` puts it in the pull request.

    \b
    Examples:
      modelreg card fraud-detector@staging
      modelreg card fraud-detector@1.3.0 --format html -o card.html
      modelreg card fraud-detector@1.3.0 --stage production --format json
    """
    from modelreg.render import card as reporter
    from modelreg.render.common import to_json

    found = registry_for(repo, at).card(ref, stage=stage)
    text = io.StringIO()
    if fmt == "json":
        to_json(found, text)
    elif fmt == "html":
        reporter.render_html(found, text)
    else:
        reporter.render_markdown(found, text)
    if output is None:
        sys.stdout.write(text.getvalue())
        return
    from modelreg.domain.errors import InvalidInputError

    try:
        output.write_text(text.getvalue(), encoding="utf-8")
    except OSError as e:
        raise InvalidInputError(f"cannot write {output}: {e.strerror or e}") from e
    click.echo(f"wrote {output}", err=True)
