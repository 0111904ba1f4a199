"""modelreg init"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from modelreg.cli.options import format_option
from modelreg.domain.layout import WORKFLOW_FILE
from modelreg.operations.remote import missing_plugin
from modelreg.operations.scaffold import init


@click.command("init")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--remote",
    metavar="PATH_OR_URL",
    help="Default DVC remote (local folder, s3://...). Default: a folder beside the repository.",
)
@click.option(
    "--remote-option",
    "remote_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="A DVC setting of the new remote, e.g. endpointurl=http://127.0.0.1:9000, profile=ml or "
    "region=eu-west-1 (repeatable). Credentials are refused: use `dvc remote modify --local` or "
    "environment variables.",
)
@click.option("--name", help="Registry name written to registry.yaml. Default: the folder's name.")
@click.option(
    "--action",
    metavar="OWNER/REPO@REF",
    help="The modelreg GitHub Action the workflow uses. Default: the repository and commit this "
    "modelreg was installed from, else its source repository at the tag vVERSION.",
)
@click.option(
    "--install",
    metavar="SPEC",
    help="A pip requirement the Action installs instead of its own ref, e.g. modelreg==0.1.0 or "
    "git+https://github.com/acme/modelreg@v0.1.0.",
)
@format_option("text", "json")
def command(
    directory: Path,
    remote: str | None,
    remote_options: tuple[str, ...],
    name: str | None,
    action: str | None,
    install: str | None,
    fmt: str,
) -> None:
    """Make DIRECTORY (default: here) a model registry.

    Writes registry.yaml, schemas/, models/ and the CI workflow, runs `dvc init`, sets the
    default DVC remote and commits it all. Running it again changes nothing.

    \b
    Examples:
      modelreg init
      modelreg init my-registry --remote /mnt/storage/models
      modelreg init --remote s3://acme-models/registry
      modelreg init --remote s3://models/registry --remote-option endpointurl=https://minio.acme.internal
      modelreg init --action acme/modelreg@v0.1.0 --install "modelreg==0.1.0"
    """
    options = dict(_pair(text) for text in remote_options)
    result = init(directory, remote=remote, name=name, remote_options=options, action=action, install=install)
    if fmt == "json":
        from modelreg.render.common import to_json

        to_json(result, sys.stdout)
        return
    if not result.changed:
        click.echo(f"{result.root} is already a modelreg registry; nothing changed")
        return
    if result.git_initialized:
        click.echo(f"initialized a Git repository in {result.root}")
    for path in result.created:
        click.echo(f"  created {path}")
    click.echo(f"default DVC remote: {result.remote}")
    plugin = missing_plugin(result.remote or "")
    if plugin:
        click.echo(f"note: this remote needs {plugin}", err=True)
    click.echo(f"committed {result.commit[:12] if result.commit else ''} modelreg init")
    if result.action_line is not None:
        click.echo(
            f"CI: {WORKFLOW_FILE}:{result.action_line} runs `uses: {result.action}`: change that line to "
            "pin another ref of the Action, and add `with: {install: SPEC}` under it to install "
            "modelreg from your own package index (or rerun init with --action / --install)"
        )


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        from modelreg.domain.errors import InvalidInputError

        raise InvalidInputError("invalid --remote-option: use KEY=VALUE, e.g. endpointurl=http://host:9000")
    return key.strip(), value.strip()
