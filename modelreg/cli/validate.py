"""modelreg validate"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from modelreg.cli.options import format_option, repo_option
from modelreg.registry import Registry

if TYPE_CHECKING:
    from modelreg.operations.remote import RemoteCheck


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--remote",
    "check_remote",
    is_flag=True,
    help="Also check, without downloading, that every artifact object of the versions is in "
    "the default DVC remote.",
)
@repo_option
@format_option("text", "json")
def command(paths: tuple[Path, ...], check_remote: bool, repo: str, fmt: str) -> None:
    """Validate registry files against their JSON Schemas and the cross-file rules.

    Checks names and versions against paths, unique versions, DVC pointers against
    manifests, parents, lineage cycles and stages.yaml. With PATHS, only problems in those
    files or folders are reported (the rules still read the whole registry). Exit 1 on
    any problem. With --remote, also every artifact object (each file; for a folder, its
    listing and every file in it) must be in the default DVC remote: a missing one is
    named with the `dvc push` command that uploads it.

    \b
    Examples:
      modelreg validate
      modelreg validate models/fraud-detector --format json
      modelreg validate --remote
    """
    registry = Registry(repo)
    report = registry.validate()
    wanted = [_relative(registry.root, p) for p in paths]
    remote = None
    if check_remote:
        from modelreg.operations.remote import remote_check, versions_under

        remote = remote_check(registry.catalog, versions_under(registry.catalog, wanted))
        missing = remote.problems
        report = report.model_copy(
            update={"problems": report.problems + missing, "ok": report.ok and not missing}
        )
    if paths:
        kept = [
            p
            for p in report.problems
            if any(p.file == w or p.file.startswith(w.rstrip("/") + "/") for w in wanted)
        ]
        report = report.model_copy(update={"problems": kept, "ok": not kept})
    if fmt == "json":
        from modelreg.render.common import to_json

        to_json(report, sys.stdout)
    else:
        for problem in report.problems:
            click.echo(str(problem))
        from modelreg.render.common import count

        status = "ok" if report.ok else count(len(report.problems), "problem")
        click.echo(f"validated {count(report.files, 'registry file')}: {status}", err=not report.ok)
        if remote is not None:
            click.echo(_remote_line(remote), err=not report.ok)
    if not report.ok:
        sys.exit(1)


def _remote_line(remote: RemoteCheck) -> str:
    from modelreg.domain.escape import terminal
    from modelreg.render.common import count

    if not remote.versions:
        return "checked no version in the DVC remote: none is registered under the paths given"
    missing = sum(p.rule == "remote" for p in remote.problems)
    status = f"{missing} missing" if missing else "all there"
    where = terminal(remote.remote)
    objects, versions = count(remote.objects, "object"), count(remote.versions, "version")
    return f"checked {objects} of {versions} in the {where}: {status}"


def _relative(top: Path, path: Path) -> str:
    from modelreg.domain.errors import InvalidInputError

    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        rel = absolute.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        raise InvalidInputError(f"{path} is outside the registry {top}") from None
    if not absolute.exists():  # nothing to report would read as "ok"
        raise InvalidInputError(f"{path}: no such file or folder")
    return rel
