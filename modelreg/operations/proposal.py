"""A change proposed the GitOps way, the one path of every command that proposes one (promote,
demote, archive, deprecate, rollback, deploy, undeploy, evaluate): one commit on a new branch
from the base, pushed to origin, with a pull request where origin is on GitHub.

- **The base.** A pushed proposal starts from origin's copy of the base branch (as last
  fetched), so local commits not yet on origin never ride along in its pull request; they are
  named in the result (``left_out``), and a proposal about something only they hold is
  refused with what to land first.
- **The commit** is built with plumbing on a throwaway index (the user's branch, index and
  work tree are never touched); if a later step fails the branch goes again, here and on origin.
- **The forge.** A pull request is opened on GitHub when a token is given and origin is on
  GitHub (github.com, or the host GITHUB_API_URL or GITHUB_SERVER_URL names). Elsewhere the
  token is never used or sent: the branch is pushed and the result says what to open.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

from modelreg.adapters import git, github
from modelreg.adapters.github import GitHubRepo, PullRequest
from modelreg.domain import faults
from modelreg.domain.errors import InvalidInputError
from modelreg.operations import transaction

REMOTE = "origin"


class ProposalOptions(BaseModel):
    """Where the change starts and how far to take it (branch, push, pull request)."""

    base: str | None = None  # a branch; default: the current branch
    branch: str | None = None
    push: bool = True
    pull_request: bool | None = None  # None: open one when a token is given and origin is GitHub
    token: SecretStr | None = None
    api_url: str | None = None


def options_from_environment(**fields: Any) -> ProposalOptions:
    """ProposalOptions of ``fields``, with the GitHub token (GITHUB_TOKEN, else GH_TOKEN) and API
    URL (GITHUB_API_URL) from the environment: what the commands and the Python API use."""
    token = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN") or None
    return ProposalOptions(token=token, api_url=os.environ.get("GITHUB_API_URL") or None, **fields)


class ProposalResult(BaseModel):
    base: str
    branch: str
    commit: str
    pushed: bool
    pull_request: PullRequest | None = None
    compare_url: str | None = None  # GitHub's page to open the pull request (origin on GitHub)
    left_out: list[str] = []  # local commits of the base that origin lacks, not in the branch

    @property
    def into(self) -> str:
        """The branch a pull request merges into: the base, without origin/ when it started there."""
        return self.base.removeprefix(f"{REMOTE}/")


@dataclass
class Start:
    """Where a proposal's branch starts: the base's name, its commit, and the commits of the
    local branch that origin does not have (they stay out of the proposal)."""

    base: str
    commit: str
    unlanded: list[str]

    def refuse_unlanded(self, what: str, verb: str) -> None:
        """``what`` is not on the base: when local commits origin lacks hold it, say to land them."""
        if self.unlanded:
            raise InvalidInputError(
                f"{what} is not on {self.base}, where the pull request goes; land these commits of "
                f"{self.base.removeprefix(REMOTE + '/')} first (push them, or merge a pull request of "
                f"them), then {verb}: {'; '.join(self.unlanded)}"
            )


def start(top: Path, options: ProposalOptions) -> Start:
    """The base a proposal starts from: origin's copy of the base branch when the branch is
    pushed and origin has it, else the local branch."""
    transaction.recover(top)  # a killed proposal's branch goes first: it may be this one's
    base = base_branch(top, options.base)
    commit = git.resolve(top, base)
    published = git.remote_branch(top, REMOTE, base) if options.push else None
    if published is None:
        return Start(base, commit, [])
    return Start(f"{REMOTE}/{base}", published, git.commits_between(top, published, commit))


def base_branch(top: Path, base: str | None) -> str:
    if base:
        return base
    current = git.current_branch(top)
    if current is None:
        raise InvalidInputError("HEAD is detached; give the branch to start from with --base BRANCH")
    return current


@dataclass
class Target:
    """Where a proposal goes, worked out and checked before anything is written."""

    top: Path
    base: str
    base_commit: str
    branch: str
    forge: GitHubRepo | None  # origin on GitHub, else None
    open_pr: bool
    left_out: list[str]


def target(top: Path, begun: Start, options: ProposalOptions, *, default_branch: str) -> Target:
    """The new branch and the forge of a proposal from ``begun``; InvalidInputError before any write."""
    branch = new_branch(top, options.branch or default_branch)
    forge, open_pr = forge_of(top, options)
    git.ident(top)  # fails now, not after the branch exists, when git does not know the author
    return Target(
        top=top,
        base=begun.base,
        base_commit=begun.commit,
        branch=branch,
        forge=forge,
        open_pr=open_pr,
        left_out=begun.unlanded,
    )


def new_branch(top: Path, name: str) -> str:
    git.check_branch_name(top, name)
    if git.branch_exists(top, name):
        raise InvalidInputError(f"branch {name} already exists; delete it or name another with --branch")
    return name


def forge_of(top: Path, options: ProposalOptions) -> tuple[GitHubRepo | None, bool]:
    """Where origin lives on GitHub (None when it is not there), and whether to open a pull
    request: asked for (--pr), or by default when a token is given and origin is on GitHub."""
    push = options.push
    url = git.remote_url(top, REMOTE) if push else None
    if push and url is None:
        raise InvalidInputError(f"no remote {REMOTE!r} to push to; add one, or pass --no-push")
    forge = on_github(url, options.api_url) if url else None
    asked = options.pull_request
    if asked and not push:
        raise InvalidInputError("a pull request needs the branch pushed; drop --no-push or --pr")
    if asked and not options.token:
        raise InvalidInputError("opening a pull request needs GITHUB_TOKEN or GH_TOKEN; or pass --no-pr")
    if asked and forge is None:
        shown = git.hide_credentials(url or "")
        raise InvalidInputError(
            f"{REMOTE} ({shown}) is not a GitHub repository, where --pr opens pull requests; "
            "pass --no-pr and open it on your forge"
        )
    open_pr = asked if asked is not None else bool(options.token and push and forge is not None)
    if open_pr and forge is not None:
        github.check_api_url(forge.api_url(options.api_url))
    return forge, open_pr


def on_github(url: str, api_url: str | None) -> GitHubRepo | None:
    """The GitHub repository ``url`` names, when its host is GitHub's: github.com, or the host
    GITHUB_API_URL (``api_url``) or GITHUB_SERVER_URL names (GitHub Enterprise); else None."""
    repo = github.parse_remote_url(url)
    if repo is None:
        return None
    hosts = {"github.com"}
    for configured in (api_url, os.environ.get("GITHUB_SERVER_URL")):
        host = urllib.parse.urlsplit(configured or "").hostname
        if host:
            hosts.add(host.removeprefix("api."))
    return repo if repo.host.lower() in hosts else None


def propose(
    where: Target,
    options: ProposalOptions,
    *,
    files: Mapping[str, bytes],
    message: str,
    title: str,
    body: str,
    command: str,
    say: Callable[[str], None] = lambda _: None,
) -> ProposalResult:
    """Commit ``files`` (path -> content) on a new branch from the base, push it and open the
    pull request: all of it, or nothing."""
    step = command.split(" ", 1)[0]
    commit = git.commit_files(where.top, parent=where.base_commit, files=dict(files), message=message)
    faults.point(f"{step}:committed")
    token = options.token.get_secret_value() if options.token else None
    into = where.base.removeprefix(f"{REMOTE}/")

    def open_pr() -> PullRequest:
        assert where.forge is not None and token is not None
        return github.open_pull_request(
            where.forge,
            api_url=where.forge.api_url(options.api_url),
            token=token,
            title=title,
            head=where.branch,
            base=into,
            body=body,
        )

    with transaction.publishing(where.top, command=command) as journal:  # SIGKILL: see doctor
        pushed, pr = publish_branch(
            where.top,
            branch=where.branch,
            base=where.base,
            commit=commit,
            push=options.push,
            token=token,
            open_pr=open_pr if where.open_pr else None,
            journal=journal,
            step=step,
            say=say,
        )
    compare = None
    if pushed and pr is None and where.forge is not None:
        compare = where.forge.compare_url(into, where.branch)
    return ProposalResult(
        base=where.base,
        branch=where.branch,
        commit=commit,
        pushed=pushed,
        pull_request=pr,
        compare_url=compare,
        left_out=where.left_out,
    )


def publish_branch(
    top: Path,
    *,
    branch: str,
    base: str,
    commit: str,
    push: bool,
    token: str | None,
    open_pr: Callable[[], PullRequest] | None,
    journal: transaction.Journal,
    step: str,
    say: Callable[[str], None],
) -> tuple[bool, PullRequest | None]:
    """Branch, push, pull request; if any step fails, the branch goes again (here and on origin).
    Each step is noted in the journal first, so a killed run is undone by the next one.
    ``step`` names the fault points (``promote:branched``...) of the command publishing."""
    pushed = False
    try:
        journal.note(branch=branch, commit=commit)
        git.create_branch(top, branch, commit)
        say(f"created branch {branch} from {base}")
        faults.point(f"{step}:branched")
        if push:
            say(f"pushing {branch} to {REMOTE}")
            journal.note(remote=REMOTE)
            git.push_branch(top, REMOTE, branch, secret=token)
            pushed = True
            faults.point(f"{step}:pushed")
        pr = open_pr() if open_pr is not None else None
        journal.note(done=True)
    except BaseException:
        if pushed:
            git.delete_remote_branch(top, REMOTE, branch)
        git.delete_branch(top, branch, commit)
        say(f"removed branch {branch} again")
        raise
    faults.point(f"{step}:done")  # the whole change is made: a kill here leaves it
    return pushed, pr


def check_commit_allowed(top: Path, path: str) -> None:
    """A direct commit of ``path`` needs it unchanged in the work tree and index: the commit
    must hold exactly the proposed change, and nothing of the user's is swept into it."""
    if git.has_local_changes(top, [path]):
        raise InvalidInputError(f"{path} has uncommitted changes; commit or discard them first")
