"""modelreg import mlflow | gto"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from modelreg.cli.options import format_option, repo_option, say
from modelreg.domain.escape import terminal

_DRY_RUN = click.option("--dry-run", is_flag=True, help="Print what would be written; write nothing.")
_PUSH = click.option(
    "--push/--no-push", default=True, show_default=True, help="Push the artifacts to the default DVC remote."
)


@click.group("import")
def command() -> None:
    """Move in: import an MLflow model registry or a GTO repository, with its history.

    Every version becomes one commit whose author and date are the source's, in time order,
    so `history` and `--at` tell the source's past; stage changes follow as later commits.
    Running it again imports only what is new. Anything that cannot be mapped is listed,
    one line each; if anything fails, nothing is written.

    \b
    Examples:
      modelreg import mlflow --tracking-uri http://mlflow.internal:5000 --dry-run
      modelreg import gto --repo ../models-gto --stage-map qa=staging
    """


@command.command("mlflow")
@click.option(
    "--tracking-uri",
    required=True,
    metavar="URL",
    help="The MLflow tracking server, e.g. http://127.0.0.1:5000.",
)
@click.option(
    "--model", "models", multiple=True, metavar="NAME", help="Import only this MLflow model (repeatable)."
)
@click.option(
    "--policy",
    type=click.Choice(["mirror", "initial"]),
    default="mirror",
    show_default=True,
    help="mirror: MLflow's stages (and mapped aliases) become stages.yaml; initial: every version "
    "starts in the initial stage, to be promoted by pull request.",
)
@click.option(
    "--alias-map",
    "alias_pairs",
    multiple=True,
    metavar="ALIAS=STAGE",
    help="Put the version an MLflow alias names in a stage, e.g. champion=production (repeatable).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=1800,
    show_default=True,
    metavar="SECONDS",
    help="Give up (writing nothing) when reading the server and its artifacts takes longer.",
)
@_DRY_RUN
@_PUSH
@repo_option
@format_option("text", "json")
def mlflow_command(
    tracking_uri: str,
    models: tuple[str, ...],
    policy: str,
    alias_pairs: tuple[str, ...],
    timeout: float,
    dry_run: bool,
    push: bool,
    repo: str,
    fmt: str,
) -> None:
    """Import the model registry of the MLflow tracking server at --tracking-uri.

    MLflow version N of model "Fraud Model" becomes fraud-model@N.0.0: its artifacts (read
    through the server's artifact proxy) tracked by DVC, metrics, params and code commit from
    its run, its tags, description and signature. Legacy stages Staging, Production and
    Archived become staging, production and archived. Token: MLFLOW_TRACKING_TOKEN, or
    MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD; sent only to the server's own
    origin (never along a redirect to another host, port or scheme).

    Everything is checked before anything is written: a model whose name is taken by a model
    of this registry that was not imported from it, two MLflow names or versions that would
    become one, or documents `validate` would refuse are listed as not imported, with why.

    \b
    Examples:
      modelreg import mlflow --tracking-uri http://127.0.0.1:5000 --dry-run
      modelreg import mlflow --tracking-uri http://127.0.0.1:5000 --model fraud \\
          --alias-map champion=production
    """
    from modelreg.operations.importing import import_mlflow
    from modelreg.operations.importing.plan import parse_map

    report = import_mlflow(
        Path(repo),
        tracking_uri=tracking_uri,
        models=models,
        alias_map=parse_map(alias_pairs, option="--alias-map"),
        policy=policy,
        timeout=timeout,
        dry_run=dry_run,
        push=push,
        say=say if fmt == "text" else lambda _: None,
    )
    _report(report, fmt)


@command.command("gto")
@click.option(
    "--repo",
    "source",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The Git repository that holds GTO's tags (as gto's own --repo).",
)
@click.option(
    "-C",
    "registry",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=str),
    help="The registry repository to import into (any folder inside it).",
)
@click.option(
    "--stage-map",
    "stage_pairs",
    multiple=True,
    metavar="GTO_STAGE=STAGE",
    help="Put versions GTO assigns to a stage in another, e.g. prod=production (repeatable; "
    "prod, dev and stg map to production, development and staging by default).",
)
@_DRY_RUN
@_PUSH
@format_option("text", "json")
def gto_command(
    source: Path, registry: str, stage_pairs: tuple[str, ...], dry_run: bool, push: bool, fmt: str
) -> None:
    """Import the GTO registry (NAME@vX.Y.Z, NAME#STAGE#N... tags) of the repository --repo
    into the registry -C (the current folder by default).

    Each registration tag becomes a version (the artifact at the path artifacts.yaml gives,
    at the tagged commit), each assignment a move, replayed in tag order with the tagger's
    name and date. An unassignment returns the version to the initial stage, a
    deregistration archives it, a deprecation moves the model's versions to deprecated.

    \b
    Examples:
      modelreg import gto --repo ../gto-registry --dry-run
      modelreg import gto --repo ../gto-registry --stage-map qa=staging -C registry/
    """
    from modelreg.operations.importing import import_gto
    from modelreg.operations.importing.plan import parse_map

    report = import_gto(
        Path(registry),
        source=source.resolve(),
        stage_map=parse_map(stage_pairs, option="--stage-map"),
        dry_run=dry_run,
        push=push,
        say=say if fmt == "text" else lambda _: None,
    )
    _report(report, fmt)


def _report(report: object, fmt: str) -> None:
    from modelreg.operations.importing.plan import ImportReport

    assert isinstance(report, ImportReport)
    if fmt == "json":
        from modelreg.render.common import to_json

        to_json(report, sys.stdout)
        return
    verb = "would write" if report.dry_run else "wrote"
    for event in report.events:
        files = f" ({len(event.files)} files)" if event.files else ""
        click.echo(terminal(f"{event.when}  {event.author}  {event.action}{files}"))
    for line in report.unmapped:
        click.echo(f"not imported: {terminal(line)}", err=True)
    already = f"; {report.already_imported} already imported" if report.already_imported else ""
    click.echo(f"{verb} {len(report.events)} commit(s) from {report.source}{already}")
