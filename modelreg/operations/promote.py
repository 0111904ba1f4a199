"""``modelreg promote``: a branch with one commit that edits a model's stages.yaml, pushed to
origin, with a pull request on GitHub.

Every rule is checked before anything is written. The commit is built with plumbing on a
throwaway index, so the user's branch, index and work tree are never touched; if a later
step fails, the branch (local and pushed) is removed again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

from modelreg.adapters import git, github
from modelreg.adapters.github import GitHubRepo, PullRequest
from modelreg.documents import deploymentsfile, stagesfile
from modelreg.documents.snapshot import Snapshot
from modelreg.domain import dating, faults
from modelreg.domain.errors import InvalidInputError, NotFoundError, RuleViolationError
from modelreg.domain.escape import markdown_text
from modelreg.domain.layout import deployments_path, stages_path
from modelreg.domain.models import Deployment, RegistryConfig
from modelreg.operations import transaction
from modelreg.queries.catalog import Catalog
from modelreg.queries.changes import model_change
from modelreg.rules import environments, policy
from modelreg.rules.policy import Move, Placement, StageLists

REMOTE = "origin"


class PromoteRequest(BaseModel):
    """What to move where, and how far to take it (branch, push, pull request)."""

    ref: str
    to_stage: str
    verb: str = "promote"
    reason: str = ""
    base: str | None = None  # a branch; default: the current branch
    branch: str | None = None  # default: promote/NAME-VERSION-STAGE
    push: bool = True
    pull_request: bool | None = None  # None: open one when a token is given
    token: SecretStr | None = None
    api_url: str | None = None
    returning: list[tuple[str, str, str]] = []  # rollback: stages versions held before
    replacing: str | None = None  # rollback: the holder that leaves the stage in the same commit
    deploy: list[str] = []  # environments to run the version in, in the same commit


def request_with_environment(**fields: Any) -> PromoteRequest:
    """A PromoteRequest of ``fields``, with the GitHub token (GITHUB_TOKEN, else GH_TOKEN) and
    API URL (GITHUB_API_URL) from the environment: what the commands and the Python API use."""
    token = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN") or None
    return PromoteRequest(token=token, api_url=os.environ.get("GITHUB_API_URL") or None, **fields)


class PromoteResult(BaseModel):
    ref: str
    from_stage: str
    to_stage: str
    displaced: list[Move]
    base: str
    branch: str
    commit: str
    pushed: bool
    pull_request: PullRequest | None = None
    compare_url: str | None = None
    left_out: list[str] = []  # local commits of the base that origin lacks, not in the branch


@dataclass
class Plan:
    """A promotion worked out and checked, before anything is written."""

    top: Path
    base: str
    base_commit: str
    config: RegistryConfig
    move: Move
    placement: Placement
    stages_text: str
    deployments_text: str | None  # with --deploy: the model's deployments.yaml as it will be
    branch: str
    forge: GitHubRepo | None
    open_pr: bool
    body: str
    left_out: list[str]


def promote(
    path: Path | str, request: PromoteRequest, *, say: Callable[[str], None] = lambda _: None
) -> PromoteResult:
    """Carry out ``request`` in the repository at ``path``: all of it, or nothing."""
    plan = make_plan(Path(path), request)
    faults.point("promote:planned")
    files = {stages_path(plan.move.name): plan.stages_text.encode()}
    if plan.deployments_text is not None:
        files[deployments_path(plan.move.name)] = plan.deployments_text.encode()
    commit = git.commit_files(
        plan.top, parent=plan.base_commit, files=files, message=commit_message(plan, request)
    )
    faults.point("promote:committed")
    command = f"{request.verb} {plan.move.ref} to {plan.move.to_stage}"
    token = request.token.get_secret_value() if request.token else None
    with transaction.publishing(plan.top, command=command) as journal:  # SIGKILL: see doctor
        pushed, pr = publish_branch(
            plan.top,
            branch=plan.branch,
            base=plan.base,
            commit=commit,
            push=request.push,
            token=token,
            open_pr=(lambda: _open_pr(plan, request, token)) if plan.open_pr else None,
            journal=journal,
            step="promote",
            say=say,
        )
    return PromoteResult(
        ref=plan.move.ref,
        from_stage=plan.move.from_stage,
        to_stage=plan.move.to_stage,
        displaced=plan.placement.displaced,
        base=plan.base,
        branch=plan.branch,
        commit=commit,
        pushed=pushed,
        pull_request=pr,
        compare_url=_compare_url(plan) if pushed and pr is None else None,
        left_out=plan.left_out,
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


def _compare_url(plan: Plan) -> str | None:
    if plan.forge is None:
        return None
    return plan.forge.compare_url(plan.base.removeprefix(f"{REMOTE}/"), plan.branch)


def make_plan(path: Path, request: PromoteRequest) -> Plan:
    """Work the promotion out and check every rule; raise before anything is written."""
    top = git.root(path)
    transaction.recover(top)  # a killed promote's branch goes first: it may be this one's
    base, base_commit, unlanded = _published_base(top, base_branch(top, request.base), push=request.push)
    registry = Catalog(top, rev=base_commit)
    try:
        found = registry.get(request.ref)
    except NotFoundError as e:
        if not unlanded:
            raise
        raise InvalidInputError(
            f"{request.ref} is not on {base}, where the pull request goes; land these commits of "
            f"{base.removeprefix(REMOTE + '/')} first (push them, or merge a pull request of them), "
            f"then promote: {'; '.join(unlanded)}"
        ) from e
    config = registry.config
    if request.to_stage not in config.stages:
        known = ", ".join(config.stages)
        raise NotFoundError(f"unknown stage {request.to_stage!r}; registry.yaml defines: {known}")
    if found.stage == request.to_stage:
        raise InvalidInputError(f"{found.ref} is already in {found.stage}; nothing to {request.verb}")
    if request.verb == "demote":
        _check_backwards(config, found.ref, found.stage, request.to_stage)
    snap = registry.snapshot
    lists = snap.stages.get(found.name, {})
    move = Move(name=found.name, version=found.version, from_stage=found.stage, to_stage=request.to_stage)
    placement = policy.place(
        config, found.name, lists, found.version, request.to_stage, replacing=request.replacing
    )
    moves = [move, *placement.displaced]
    refused = violations(config, moves, registry, lists=placement.stages, returning=request.returning)
    dated = dating.misdated_evaluations(found.manifest, committed_at=git.committed_at(top, base_commit))
    refused += [f"{found.ref}: {message}" for _, message in dated]
    deployed = redeployed(config, snap, found.name, found.version, request.deploy)
    refused += stranded_environments(config, snap, found.name, lists, placement.stages, deployed)
    if refused:
        what = f"{request.verb} {move.ref} to {move.to_stage}"
        raise RuleViolationError(f"cannot {what}: " + "; ".join(refused), problems=refused)
    branch = new_branch(top, request.branch or f"promote/{found.name}-{found.version}-{request.to_stage}")
    forge, open_pr = forge_of(
        top,
        push=request.push,
        pull_request=request.pull_request,
        token=request.token,
        api_url=request.api_url,
    )
    git.ident(top)  # fails now, not after the branch exists, when git does not know the author
    change = model_change(
        config, snap, snap.manifests, name=found.name, moves=moves, registered=[], lineage_from=snap
    )
    from modelreg.render.check_report import markdown_changes

    return Plan(
        top=top,
        base=base,
        base_commit=base_commit,
        config=config,
        move=move,
        placement=placement,
        stages_text=stagesfile.render(config, placement.stages, previous=snap.stage_files.get(found.name)),
        deployments_text=deploymentsfile.render(deployed) if request.deploy else None,
        branch=branch,
        forge=forge,
        open_pr=open_pr,
        body=markdown_changes([change]) + _card(registry, found.ref, request.to_stage),
        left_out=unlanded,
    )


# GitHub refuses a pull request body over 65,536 characters: the card is cut short before that.
_BODY_LIMIT = 60_000


def _card(registry: Catalog, ref: str, stage: str) -> str:
    """The version's model card (Markdown), judged against the target stage, for the body."""
    import io

    from modelreg.queries.card import model_card
    from modelreg.render.card import render_markdown

    text = io.StringIO()
    render_markdown(model_card(registry, ref, stage=stage, history=False), text)
    card = text.getvalue()
    if len(card) > _BODY_LIMIT:
        card = (
            card[:_BODY_LIMIT].rsplit("\n", 1)[0]
            + "\n\n(the card is cut short here: `modelreg card` shows it all)\n"
        )
    return "\n<details><summary>Model card</summary>\n\n" + card + "\n</details>\n"


def _published_base(top: Path, base: str, *, push: bool) -> tuple[str, str, list[str]]:
    """Where the branch starts: a pushed promotion starts from origin's copy of ``base`` (as last
    fetched), so commits not yet on origin never ride along in its pull request. Returns the
    base's name, its commit, and the commits of the local branch that origin does not have."""
    commit = git.resolve(top, base)
    published = git.remote_branch(top, REMOTE, base) if push else None
    if published is None:
        return base, commit, []
    return f"{REMOTE}/{base}", published, git.commits_between(top, published, commit)


def _check_backwards(config: RegistryConfig, ref: str, from_stage: str, to_stage: str) -> None:
    """``demote`` moves a version back: to a stage before its own in registry.yaml's order."""
    order = list(config.stages)
    if order.index(to_stage) >= order.index(from_stage):
        raise InvalidInputError(
            f"cannot demote {ref} from {from_stage} to {to_stage}: demote moves a version back in "
            f"registry.yaml's stage order ({', '.join(order)}); use `modelreg promote {ref} --to {to_stage}`"
        )


def base_branch(top: Path, base: str | None) -> str:
    if base:
        return base
    current = git.current_branch(top)
    if current is None:
        raise InvalidInputError("HEAD is detached; give the branch to start from with --base BRANCH")
    return current


def violations(
    config: RegistryConfig,
    moves: list[Move],
    registry: Catalog,
    *,
    lists: dict[str, list[str]],
    returning: list[tuple[str, str, str]] | None = None,
) -> list[str]:
    """Every rule the moves break: the rules check applies, plus capacity after displacement."""
    snap = registry.snapshot
    name = moves[0].name
    current = policy.current_holders(config, snap, name, moves)
    messages = [
        v.detail if v.ref == moves[0].ref else v.message
        for v in policy.judge(config, moves, snap.manifests, current, returning=set(returning or []))
    ]
    messages += [v.detail for v in policy.over_capacity(config, name, lists, snap.versions(name))]
    return messages


def redeployed(
    config: RegistryConfig, snap: Snapshot, name: str, version: str, envs: list[str]
) -> dict[str, Deployment]:
    """``name``'s deployments with each of ``envs`` running ``version`` (endpoint and traffic
    kept): what ``promote --deploy`` writes in the same commit as the move."""
    current = dict(snap.deployments.get(name, {}))
    for env in envs:
        if env not in config.environments:
            known = ", ".join(sorted(config.environments)) or "none are declared"
            raise NotFoundError(f"unknown environment {env!r}; registry.yaml declares: {known}")
        previous = current.get(env)
        current[env] = (
            previous.model_copy(update={"version": version}) if previous else Deployment(version=version)
        )
    return current


def stranded_environments(
    config: RegistryConfig,
    snap: Snapshot,
    name: str,
    before: StageLists,
    after: StageLists,
    deployed: dict[str, Deployment],
) -> list[str]:
    """The deployment rule's complaints about ``name``'s environments (as ``deployed`` will
    have them) that the move from ``before`` to ``after`` would cause: an environment left
    running a version out of its stage, or one ``--deploy`` points at a version it does not take."""
    versions = snap.versions(name)
    was_deployed = snap.deployments.get(name, {})
    was = {
        v.environment
        for v in environments.deployment_violations(config, name, was_deployed, before, versions)
        if deployed.get(v.environment) == was_deployed.get(v.environment)
    }
    now = environments.deployment_violations(config, name, deployed, after, versions)
    return [v.message for v in now if v.environment not in was]


def new_branch(top: Path, name: str) -> str:
    git.check_branch_name(top, name)
    if git.branch_exists(top, name):
        raise InvalidInputError(f"branch {name} already exists; delete it or name another with --branch")
    return name


def forge_of(
    top: Path, *, push: bool, pull_request: bool | None, token: SecretStr | None, api_url: str | None
) -> tuple[GitHubRepo | None, bool]:
    """Where origin lives on GitHub, and whether to open a pull request there."""
    url = git.remote_url(top, REMOTE) if push else None
    if push and url is None:
        raise InvalidInputError(f"no remote {REMOTE!r} to push to; add one, or pass --no-push")
    open_pr = pull_request if pull_request is not None else bool(token and push)
    if open_pr and not push:
        raise InvalidInputError("a pull request needs the branch pushed; drop --no-push or --pr")
    if open_pr and not token:
        raise InvalidInputError("opening a pull request needs GITHUB_TOKEN or GH_TOKEN; or pass --no-pr")
    forge = github.parse_remote_url(url) if url else None
    if open_pr and forge is None:
        shown = git.hide_credentials(url or "")
        raise InvalidInputError(
            f"cannot tell the GitHub repository from {REMOTE}'s URL {shown}; pass --no-pr and open it by hand"
        )
    if open_pr and forge is not None:
        github.check_api_url(forge.api_url(api_url))
    return forge, open_pr


def commit_message(plan: Plan, request: PromoteRequest) -> str:
    """Subject naming model, version and stages; the reason; the displaced; trailers."""
    move = plan.move
    lines = [f"{request.verb} {move.ref}: {move.from_stage} -> {move.to_stage}", ""]
    if request.reason.strip():
        lines += [request.reason.strip(), ""]
    for out in plan.placement.displaced:
        limit = plan.config.stages[out.from_stage].max_versions
        why = f"{out.from_stage} holds at most {limit}"
        lines.append(f"Moves {out.ref} from {out.from_stage} to {out.to_stage} ({why}).")
    lines += [f"Deploys {move.ref} to {env}." for env in request.deploy]
    if plan.placement.displaced or request.deploy:
        lines.append("")
    lines += [
        f"Modelreg-Model: {move.name}",
        f"Modelreg-Version: {move.version}",
        f"Modelreg-From: {move.from_stage}",
        f"Modelreg-To: {move.to_stage}",
    ]
    lines += [
        f"Modelreg-Displaced: {out.version} {out.from_stage} -> {out.to_stage}"
        for out in plan.placement.displaced
    ]
    lines += [f"Modelreg-Environment: {env}" for env in request.deploy]
    return "\n".join(lines) + "\n"


def _open_pr(plan: Plan, request: PromoteRequest, token: str | None) -> PullRequest:
    assert plan.forge is not None and token is not None
    body = plan.body
    if request.reason.strip():  # Markdown-escaped as `deploy` does: a reason opens no block
        body = f"{markdown_text(request.reason.strip())}\n\n{body}"
    return github.open_pull_request(
        plan.forge,
        api_url=plan.forge.api_url(request.api_url),
        token=token,
        title=f"{request.verb} {plan.move.ref}: {plan.move.from_stage} -> {plan.move.to_stage}",
        head=plan.branch,
        base=plan.base.removeprefix(f"{REMOTE}/"),
        body=body,
    )
