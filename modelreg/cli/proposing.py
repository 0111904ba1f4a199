"""Options and output shared by the commands that propose a change by pull request (promote,
demote, archive, deprecate, rollback, deploy, undeploy, evaluate)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import click

if TYPE_CHECKING:
    from modelreg.adapters.github import PullRequest
    from modelreg.operations.proposal import ProposalOptions


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
            help="Open a pull request on GitHub. Default: when GITHUB_TOKEN or GH_TOKEN is set "
            "and origin is on GitHub.",
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
    from modelreg.operations.proposal import options_from_environment

    return options_from_environment(base=base, branch=branch, push=push, pull_request=pull_request)


class Proposed(Protocol):
    """What every proposal's result tells of where it went (ProposalResult, PromoteResult)."""

    base: str
    branch: str
    commit: str
    pushed: bool
    pull_request: PullRequest | None
    compare_url: str | None
    left_out: list[str]


def report(result: Proposed) -> None:
    """Where the proposed change went, in text: the branch, the commits left out, and the pull
    request (opened, the page to open it on GitHub, or one line saying what to open)."""
    into = result.base.removeprefix("origin/")
    click.echo(f"branch {result.branch} ({result.commit[:12]}) from {result.base}")
    if result.left_out:
        from modelreg.render.common import count

        commits = count(len(result.left_out), "commit")
        click.echo(
            f"note: {commits} of {into} not on {result.base} stay out of this branch; "
            "land them by their own pull request",
            err=True,
        )
    pr = result.pull_request
    if pr is not None and pr.number is not None and pr.url:
        click.echo(f"pull request #{pr.number}: {pr.url}")
    elif pr is not None and pr.number is not None:
        click.echo(f"pull request #{pr.number} opened (GitHub's answer gave no URL)")
    elif pr is not None and pr.url:
        click.echo(f"pull request opened: {pr.url}")
    elif pr is not None:
        click.echo(
            f"pull request from {result.branch} into {into} opened "
            "(GitHub's answer named neither its number nor its URL)"
        )
    elif result.compare_url:
        click.echo(f"open the pull request at {result.compare_url}")
    elif result.pushed:
        click.echo(f"pushed to origin; open a pull request from {result.branch} into {into}")
    else:
        click.echo(f"not pushed; when ready: git push origin {result.branch}")
