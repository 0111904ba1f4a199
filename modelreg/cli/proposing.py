"""Options and output shared by the commands that propose a change by pull request
(``evaluate``, ``deploy``), as ``promote`` does."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from modelreg.operations.proposal import ProposalOptions, ProposalResult


def proposal_options(default_branch: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--base, --branch, --push/--no-push and --pr/--no-pr."""
    options = [
        click.option(
            "--base",
            metavar="BRANCH",
            help="Branch to start from and merge into. Default: the current branch.",
        ),
        click.option("--branch", metavar="NAME", help=f"Branch to create. Default: {default_branch}."),
        click.option("--push/--no-push", default=True, show_default=True, help="Push the branch to origin."),
        click.option(
            "--pr/--no-pr",
            "pull_request",
            default=None,
            help="Open a pull request on GitHub. Default: when GITHUB_TOKEN or GH_TOKEN is set.",
        ),
    ]

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            func = option(func)
        return func

    return apply


def make_options(
    *, base: str | None, branch: str | None, push: bool, pull_request: bool | None
) -> ProposalOptions:
    """The proposal's options, with the token and API URL from the environment."""
    from modelreg.operations.proposal import ProposalOptions

    token = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN") or None
    return ProposalOptions(
        base=base,
        branch=branch,
        push=push,
        pull_request=pull_request,
        token=token,
        api_url=os.environ.get("GITHUB_API_URL") or None,
    )


def report(result: ProposalResult) -> None:
    """Where the proposed change went, in text."""
    click.echo(f"branch {result.branch} ({result.commit[:12]}) from {result.base}")
    pr = result.pull_request
    if pr is not None and pr.number is not None:
        click.echo(f"pull request #{pr.number}: {pr.url or '(GitHub gave no URL)'}")
    elif pr is not None:
        click.echo(f"pull request opened: {pr.url or '(GitHub named neither its number nor its URL)'}")
    elif result.compare_url:
        click.echo(f"open the pull request at {result.compare_url}")
    elif result.pushed:
        click.echo(f"pushed to origin; open a pull request from {result.branch} into {result.base}")
    else:
        click.echo(f"not pushed; when ready: git push origin {result.branch}")
