"""A change proposed the GitOps way: one commit on a new branch from the base, pushed to origin,
with a pull request on GitHub. ``evaluate`` and ``deploy`` use it as ``promote`` does: the
commit is built with plumbing on a throwaway index (the user's branch, index and work tree are
never touched), and if a later step fails the branch goes again, here and on origin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, SecretStr

from modelreg.adapters import git, github
from modelreg.adapters.github import GitHubRepo, PullRequest
from modelreg.domain.errors import InvalidInputError
from modelreg.operations import promote, transaction


class ProposalOptions(BaseModel):
    """Where the change starts and how far to take it (branch, push, pull request)."""

    base: str | None = None  # a branch; default: the current branch
    branch: str | None = None
    push: bool = True
    pull_request: bool | None = None  # None: open one when a token is given
    token: SecretStr | None = None
    api_url: str | None = None


class ProposalResult(BaseModel):
    base: str
    branch: str
    commit: str
    pushed: bool
    pull_request: PullRequest | None = None
    compare_url: str | None = None


@dataclass
class Target:
    """Where a proposal goes, worked out and checked before anything is written."""

    top: Path
    base: str
    base_commit: str
    branch: str
    forge: GitHubRepo | None
    open_pr: bool


def target(top: Path, options: ProposalOptions, *, default_branch: str) -> Target:
    """The base, the new branch and the forge of a proposal; InvalidInputError before any write."""
    base = promote.base_branch(top, options.base)
    base_commit = git.resolve(top, base)
    branch = promote.new_branch(top, options.branch or default_branch)
    forge, open_pr = promote.forge_of(
        top,
        push=options.push,
        pull_request=options.pull_request,
        token=options.token,
        api_url=options.api_url,
    )
    git.ident(top)  # fails now, not after the branch exists, when git does not know the author
    return Target(top=top, base=base, base_commit=base_commit, branch=branch, forge=forge, open_pr=open_pr)


def propose(
    where: Target,
    options: ProposalOptions,
    *,
    path: str | None = None,
    content: bytes = b"",
    files: Mapping[str, bytes] | None = None,
    message: str,
    title: str,
    body: str,
    command: str,
    say: Callable[[str], None] = lambda _: None,
) -> ProposalResult:
    """Commit ``path := content`` (and each of ``files``: path -> content) on a new branch
    from the base, push it and open the pull request: all of it, or nothing."""
    changes = {**({path: content} if path is not None else {}), **(files or {})}
    commit = git.commit_files(where.top, parent=where.base_commit, files=changes, message=message)
    token = options.token.get_secret_value() if options.token else None

    def open_pr() -> PullRequest:
        assert where.forge is not None and token is not None
        return github.open_pull_request(
            where.forge,
            api_url=where.forge.api_url(options.api_url),
            token=token,
            title=title,
            head=where.branch,
            base=where.base.removeprefix(f"{promote.REMOTE}/"),
            body=body,
        )

    with transaction.publishing(where.top, command=command) as journal:
        pushed, pr = promote.publish_branch(
            where.top,
            branch=where.branch,
            base=where.base,
            commit=commit,
            push=options.push,
            token=token,
            open_pr=open_pr if where.open_pr else None,
            journal=journal,
            step=command.split(" ", 1)[0],
            say=say,
        )
    compare = None
    if pushed and pr is None and where.forge is not None:
        compare = where.forge.compare_url(where.base.removeprefix(f"{promote.REMOTE}/"), where.branch)
    return ProposalResult(
        base=where.base,
        branch=where.branch,
        commit=commit,
        pushed=pushed,
        pull_request=pr,
        compare_url=compare,
    )


def check_commit_allowed(top: Path, path: str) -> None:
    """A direct commit of ``path`` needs it unchanged in the work tree and index: the commit
    must hold exactly the proposed change, and nothing of the user's is swept into it."""
    if git.has_local_changes(top, [path]):
        raise InvalidInputError(f"{path} has uncommitted changes; commit or discard them first")
