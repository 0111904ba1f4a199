"""modelreg pull"""

from __future__ import annotations

import sys

import click

from modelreg.cli.asof import at_option, registry_for
from modelreg.cli.options import format_option
from modelreg.cli.remote import read_remote, remote_repo_option


@click.command("pull")
@click.argument("ref")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=str),
    help="Where to write: a file (or a folder to write into) for one artifact, a folder for "
    "several. Default: their registry paths, models/NAME/VERSION/...",
)
@at_option
@click.option(
    "--file",
    "file",
    metavar="NAME",
    help="Only this artifact (e.g. model.onnx), or one file inside a folder artifact "
    "(e.g. weights/part-0.bin); paths are relative to the version folder.",
)
@click.option(
    "--force",
    is_flag=True,
    help="With -o or --repo: replace existing files at the targets. A folder is never replaced "
    "or removed: a folder artifact is written into an existing folder file by file.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors: no progress, no summary.")
@remote_repo_option
@format_option("text", "json")
def command(
    ref: str,
    output: str | None,
    at: str | None,
    file: str | None,
    force: bool,
    quiet: bool,
    repo: str,
    fmt: str,
) -> None:
    """Fetch the artifacts of the version REF names and verify their md5.

    REF is NAME@VERSION, NAME@STAGE (NAME@STAGE:latest for the highest of several),
    NAME@env:ENV (what ENV runs) or NAME@latest. The bytes come from the DVC cache or
    the default remote; each file's md5 must match the manifest before it is written
    (under a temporary name, then renamed), so a failure leaves no partial file. Progress
    shows on a terminal.

    Without -o each artifact goes to its registry path in the work tree, refreshing what
    DVC tracks there, as `dvc pull` does. With -o (or --repo) pull writes only paths that do
    not exist, as `dvc get` does: an existing file or folder is refused unless --force,
    which replaces files but never replaces or removes a folder.

    \b
    With --repo URL (a Git URL), nothing is cloned: a partial copy in ~/.cache/modelreg
    fetches registry.yaml, .dvc/ and the model's folder only, --at names a branch, tag or
    commit, and the artifacts are written to the current folder unless -o says where.

    \b
    Examples:
      modelreg pull fraud-detector@production -o model.onnx
      modelreg pull fraud-detector@1.3.0
      modelreg pull fraud-detector@env:prod-us -o model.onnx
      modelreg pull fraud-detector@production --at 2026-03-01 -o old/
      modelreg pull fraud-detector@production -o model.onnx --force
      modelreg pull fraud-detector@latest --file weights/part-0.bin -o part-0.bin
      modelreg pull --repo https://github.com/acme/models.git fraud-detector@production -o model.onnx
    """
    from modelreg.operations.artifacts import pull

    progress = None
    if not quiet and fmt == "text" and sys.stderr.isatty():
        from modelreg.cli.progress import TerminalProgress

        progress = TerminalProgress(sys.stderr)
    remote = read_remote(repo, at, ref)
    if remote is not None:
        result = remote.pull(ref, output=output, file=file, force=force, progress=progress)
    else:
        registry = registry_for(repo, at, announce=not quiet)
        result = pull(registry.catalog, ref, output=output, file=file, force=force, progress=progress)
    if quiet:
        return
    if fmt == "json":
        from modelreg.render.common import to_json

        to_json(result, sys.stdout)
        return
    at_text = f" as of {result.commit[:12]}" if result.commit else ""
    click.echo(f"pulled {result.ref}{at_text}")
    for a in result.artifacts:
        files = f", {a.files} files" if a.md5.endswith(".dir") else ""
        click.echo(f"  {a.artifact} -> {a.path}  ({a.size} bytes{files}, md5 verified)")
