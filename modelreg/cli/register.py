"""modelreg register"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from modelreg.cli.options import format_option, repo_option, say
from modelreg.domain.escape import terminal
from modelreg.operations import inputs
from modelreg.operations.register import RegisterRequest, register


@click.command("register")
@click.argument("name")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--version", "version", metavar="X.Y.Z", help="The new version, a semantic version.")
@click.option(
    "--bump",
    type=click.Choice(["major", "minor", "patch"]),
    help="Bump the latest version (0.1.0 for a first one).",
)
@click.option(
    "--metric",
    "metric_pairs",
    multiple=True,
    metavar="K=V",
    help="A metric, e.g. auc=0.94 (repeatable).",
)
@click.option(
    "--metrics-file",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON or YAML metrics; nested keys join with '.' (see --flatten).",
)
@click.option(
    "--flatten",
    is_flag=True,
    help="Register nested metrics under their dotted names (metrics.auc) even when the names "
    "registry.yaml ranks or requires are then missing.",
)
@click.option(
    "--allow-lower",
    is_flag=True,
    help="Allow a --version below the model's highest (e.g. a fix on an older line).",
)
@click.option(
    "--param",
    "param_pairs",
    multiple=True,
    metavar="K=V",
    help="A training parameter, e.g. max_depth=6 (repeatable).",
)
@click.option(
    "--params-file",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON or YAML parameters; nested keys flatten with '.'.",
)
@click.option(
    "--parent",
    "parent_refs",
    multiple=True,
    metavar="REF[:RELATION]",
    help="A version this one derives from, e.g. fraud-detector@1.2.0:retrain.",
)
@click.option(
    "--data",
    "datasets",
    multiple=True,
    metavar="ROLE=DATASET@VERSION",
    help="A dataset, e.g. training=transactions@2026-10.",
)
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--description", default="", help="What this version is.")
@click.option("--owner", help="Owner of a new model, e.g. a GitHub team @acme/risk-ml.")
@click.option("--framework", "framework_text", metavar="NAME[==VERSION]", help="e.g. xgboost==2.1.0.")
@click.option("--algorithm", help="e.g. gradient_boosting.")
@click.option(
    "--push/--no-push",
    default=True,
    show_default=True,
    help="Push the artifacts to the default DVC remote.",
)
@click.option(
    "--signature-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Inputs and outputs (names, types, shapes): JSON or YAML, modelreg's form or MLflow's.",
)
@click.option(
    "--requirements",
    "requirements_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Pinned dependencies, NAME==VERSION per line (as pip freeze writes).",
)
@click.option("--run-id", help="The experiment tracker's run id (MLflow, W&B...).")
@click.option("--run-url", help="The experiment tracker's run URL.")
@click.option(
    "--provenance/--no-provenance",
    default=True,
    show_default=True,
    help="Record the Git repository (URL, commit, uncommitted changes) the files come from.",
)
@click.option(
    "--custom",
    "custom_pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="Your own metadata, e.g. ticket=ML-42 or team.slack=#fraud (repeatable; a dotted KEY "
    "nests). VALUE is read as a YAML scalar: 3 is a number, true a boolean, '3' text. "
    "Search it with list --where custom.KEY; registry.yaml may require it.",
)
@click.option(
    "--custom-file",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A JSON or YAML mapping of custom metadata (--custom pairs given too win).",
)
@click.option("--intended-use", default="", help="What the model is for, and for whom.")
@click.option("--limitations", default="", help="Where the model is known to fail or not to apply.")
@repo_option
@format_option("text", "json")
def command(
    name: str,
    files: tuple[Path, ...],
    version: str | None,
    bump: str | None,
    metric_pairs: tuple[str, ...],
    metrics_file: tuple[Path, ...],
    param_pairs: tuple[str, ...],
    params_file: tuple[Path, ...],
    parent_refs: tuple[str, ...],
    datasets: tuple[str, ...],
    tags: tuple[str, ...],
    description: str,
    owner: str | None,
    framework_text: str | None,
    algorithm: str | None,
    push: bool,
    signature_file: Path | None,
    requirements_file: Path | None,
    run_id: str | None,
    run_url: str | None,
    provenance: bool,
    intended_use: str,
    limitations: str,
    custom_pairs: tuple[str, ...],
    custom_file: tuple[Path, ...],
    repo: str,
    fmt: str,
    flatten: bool,
    allow_lower: bool,
) -> None:
    """Register a new version of model NAME from FILES (files or folders).

    Copies them under models/NAME/VERSION/, tracks each with DVC, pushes to the default
    remote, writes models/NAME/VERSION.yaml and commits `register NAME@VERSION`.
    If any step fails, the repository is left exactly as it was.

    \b
    Examples:
      modelreg register fraud-detector build/model.onnx --bump minor \\
          --metrics-file eval.json --parent fraud-detector@1.2.0:retrain \\
          --data training=transactions@2026-10 --owner @acme/risk-ml
      modelreg register churn model.pkl --version 2.0.0 --metric auc=0.91 --no-push
      modelreg register fraud-detector model.onnx --bump patch --signature-file signature.json \\
          --requirements requirements.txt --run-id 3f9a1c --run-url https://mlflow.acme/r/3f9a1c
      modelreg register fraud-detector model.onnx --bump patch --custom ticket=ML-42 \\
          --custom risk.tier=2 --custom-file model-facts.yaml
    """
    request = RegisterRequest(
        name=name,
        files=list(files),
        version=version,
        bump=bump,
        metrics=inputs.metrics(metric_pairs, metrics_file),
        params=inputs.params(param_pairs, params_file),
        parents=[inputs.parent(p) for p in parent_refs],
        data=dict(inputs.dataset(d) for d in datasets),
        tags=list(tags),
        description=description,
        owner=owner,
        framework=inputs.framework(framework_text) if framework_text else None,
        algorithm=algorithm,
        push=push,
        signature=inputs.signature_file(signature_file) if signature_file else None,
        dependencies=inputs.requirements_file(requirements_file) if requirements_file else [],
        run=inputs.run(run_id, run_url),
        provenance=provenance,
        intended_use=intended_use,
        limitations=limitations,
        custom=inputs.custom(custom_pairs, custom_file),
        nested_metrics=inputs.nested_keys(metrics_file),
        flatten=flatten,
        allow_lower=allow_lower,
    )
    result = register(Path(repo), request, say=say if fmt == "text" else lambda _: None)
    if fmt == "json":
        from modelreg.render.common import to_json

        to_json(result, sys.stdout)
        return
    click.echo(f"registered {result.ref} ({result.commit[:12]})")
    for artifact in result.artifacts:
        click.echo(f"  {artifact.path}  md5 {artifact.md5}  {artifact.size} bytes")
    if request.metrics:
        stored = ", ".join(f"{k}={v!r}" for k, v in request.metrics.items())
        click.echo(f"  metrics: {terminal(stored)}")
    for warning in result.warnings:
        click.echo(f"warning: {terminal(warning)}", err=True)
    if not result.pushed:
        pointers = " ".join(a.path + ".dvc" for a in result.artifacts)
        click.echo(f"not pushed; push the artifacts before opening a pull request: dvc push {pointers}")
