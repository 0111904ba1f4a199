"""modelreg promote (and the short forms demote, archive, deprecate, built here)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from modelreg.operations.promote import PromoteRequest, PromoteResult

from modelreg.cli.options import format_option, repo_option, say

PROMOTE_HELP = """Move the version REF names into stage --to, by pull request.

Checks the move against registry.yaml (allowed transition, the stage's requirements,
max_versions) before touching anything. Then creates branch promote/NAME-VERSION-STAGE
from --base with one commit that edits only models/NAME/stages.yaml (moving the oldest
holder out when the stage is full; with --deploy ENV also models/NAME/deployments.yaml, so
that an environment moves along with the stage), pushes it to origin and, when GITHUB_TOKEN or GH_TOKEN
is set and origin is on GitHub, opens a pull request whose body compares the version with the
stage's current holder. Otherwise it prints where to open the pull request.
Your checkout, index and current branch are never touched; on failure nothing is left.
REF may name a stage only when it holds one version; NAME@STAGE:latest takes its highest.

\b
Examples:
  modelreg promote fraud-detector@1.3.0 --to staging
  modelreg promote fraud-detector@staging --to production --reason "beats 1.2.0 on October data"
  modelreg promote fraud-detector@1.3.0 --to production --no-push
  modelreg promote fraud-detector@staging --to production --deploy prod-eu
"""

SHORT_HELP = """{summary}

The same as `modelreg promote REF --to {stage}`: a branch, one commit that edits
models/NAME/stages.yaml, a push and a pull request, after every rule is checked.

\b
Examples:
  modelreg {verb} fraud-detector@1.0.0
  modelreg {verb} fraud-detector@1.0.0 --reason "superseded by 1.3.0" --no-pr
"""

DEMOTE_HELP = """Move the version REF names back to stage --to, by pull request.

The same as `modelreg promote REF --to STAGE`, for a step back: --to must come before the
version's stage in registry.yaml's order of stages, and the transition must be allowed by
the target stage's `from:` (the default lifecycle allows none back but archived ->
development; to retire a version use `deprecate` or `archive`).

\b
Examples:
  modelreg demote fraud-detector@1.0.0 --to development   # from archived
  modelreg demote fraud-detector@production --to staging --reason "drift on November data"
      # with `staging: {from: [development, production]}` in registry.yaml
"""


def _options(func: Callable[..., Any], *, branch: str = "promote/NAME-VERSION-STAGE") -> Callable[..., Any]:
    options = [
        click.option("--reason", default="", help="Why: written in the commit body and the pull request."),
        click.option(
            "--base",
            metavar="BRANCH",
            help="Branch to start from and merge into. Default: the current branch; a pushed "
            "branch starts from origin's copy of it (as last fetched).",
        ),
        click.option("--branch", metavar="NAME", help=f"Branch to create. Default: {branch}."),
        click.option("--push/--no-push", default=True, show_default=True, help="Push the branch to origin."),
        click.option(
            "--pr/--no-pr",
            "pull_request",
            default=None,
            help="Open a pull request on GitHub. Default: when GITHUB_TOKEN or GH_TOKEN is set "
            "and origin is on GitHub.",
        ),
        repo_option,
        format_option("text", "json"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def rollback_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """promote's options, with rollback's own branch name."""
    return _options(func, branch="rollback/NAME-STAGE-VERSION")


DEPLOY_OPTION = click.option(
    "--deploy",
    "deploy",
    multiple=True,
    metavar="ENV",
    help="Also run the version in environment ENV (deployments.yaml), in the same commit.",
)


def build(verb: str, *, stage: str | None, help_text: str) -> click.Command:
    """The click command for ``verb``; ``stage`` fixes the target, else --to is required."""

    def command(ref: str, to_stage: str | None = None, **options: Any) -> None:
        run(verb, ref, to_stage or stage or "", **options)

    command = _options(command)
    command = DEPLOY_OPTION(command)
    if stage is None:
        command = click.option("--to", "to_stage", required=True, metavar="STAGE", help="The target stage.")(
            command
        )
    command = click.argument("ref")(command)
    return click.command(verb, help=help_text)(command)


def run(
    verb: str,
    ref: str,
    to_stage: str,
    *,
    reason: str,
    deploy: tuple[str, ...],
    base: str | None,
    branch: str | None,
    push: bool,
    pull_request: bool | None,
    repo: str,
    fmt: str,
) -> None:
    from modelreg.operations.promote import promote

    request = make_request(
        ref=ref,
        to_stage=to_stage,
        verb=verb,
        reason=reason,
        deploy=list(deploy),
        base=base,
        branch=branch,
        push=push,
        pull_request=pull_request,
    )
    report(promote(Path(repo), request, say=say if fmt == "text" else lambda _: None), fmt)


def make_request(**fields: Any) -> PromoteRequest:
    """A PromoteRequest from the command's options, with the token and API URL from the environment."""
    from modelreg.operations.promote import request_with_environment

    return request_with_environment(**fields)


def report(result: PromoteResult, fmt: str) -> None:
    if fmt == "json":
        from modelreg.render.common import to_json

        to_json(result, sys.stdout)
        return
    click.echo(f"{result.ref}: {result.from_stage} -> {result.to_stage}")
    for out in result.displaced:
        click.echo(f"{out.ref}: {out.from_stage} -> {out.to_stage} (displaced)")
    for env in result.deployed:
        click.echo(f"{result.ref} -> {env} (deployed along)")
    from modelreg.cli.proposing import report as where

    where(result)


command = build("promote", stage=None, help_text=PROMOTE_HELP)
