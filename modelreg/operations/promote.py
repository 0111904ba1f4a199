"""``modelreg promote`` (and demote, archive, deprecate, rollback): a proposal (``proposal``)
whose one commit edits a model's stages.yaml, and with ``deploy`` its deployments.yaml.

Every rule is checked before anything is written, the rules ``check`` applies to the pull request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

from modelreg.adapters import git
from modelreg.adapters.github import PullRequest
from modelreg.documents import deploymentsfile, stagesfile
from modelreg.documents.snapshot import Snapshot
from modelreg.domain import dating, faults
from modelreg.domain.errors import InvalidInputError, NotFoundError, RuleViolationError
from modelreg.domain.escape import markdown_text
from modelreg.domain.layout import deployments_path, stages_path
from modelreg.domain.models import Deployment, RegistryConfig
from modelreg.operations import proposal
from modelreg.operations.proposal import ProposalOptions
from modelreg.queries.catalog import Catalog
from modelreg.queries.changes import model_change
from modelreg.rules import environments, policy
from modelreg.rules.policy import Move, Placement, StageLists


class PromoteRequest(BaseModel):
    """What to move where, and how far to take it (branch, push, pull request)."""

    ref: str
    to_stage: str
    verb: str = "promote"
    reason: str = ""
    base: str | None = None  # a branch; default: the current branch
    branch: str | None = None  # default: promote/NAME-VERSION-STAGE
    push: bool = True
    pull_request: bool | None = None  # None: open one when a token is given and origin is GitHub
    token: SecretStr | None = None
    api_url: str | None = None
    returning: list[tuple[str, str, str]] = []  # rollback: stages versions held before
    replacing: str | None = None  # rollback: the holder that leaves the stage in the same commit
    deploy: list[str] = []  # environments to run the version in, in the same commit
    # what a refusal suggests running instead (default: this command, with --deploy for the
    # environments the move would strand)
    again: str | None = None

    @property
    def options(self) -> ProposalOptions:
        return ProposalOptions(
            base=self.base,
            branch=self.branch,
            push=self.push,
            pull_request=self.pull_request,
            token=self.token,
            api_url=self.api_url,
        )


def request_with_environment(**fields: Any) -> PromoteRequest:
    """A PromoteRequest of ``fields``, with the GitHub token (GITHUB_TOKEN, else GH_TOKEN) and
    API URL (GITHUB_API_URL) from the environment: what the commands and the Python API use."""
    options = proposal.options_from_environment()
    return PromoteRequest(token=options.token, api_url=options.api_url, **fields)


class PromoteResult(BaseModel):
    ref: str
    from_stage: str
    to_stage: str
    displaced: list[Move]
    deployed: list[str] = []  # environments moved along with the version
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

    where: proposal.Target
    config: RegistryConfig
    move: Move
    placement: Placement
    stages_text: str
    deployments_text: str | None  # with --deploy: the model's deployments.yaml as it will be
    body: str


def promote(
    path: Path | str, request: PromoteRequest, *, say: Callable[[str], None] = lambda _: None
) -> PromoteResult:
    """Carry out ``request`` in the repository at ``path``: all of it, or nothing."""
    plan = make_plan(Path(path), request)
    faults.point("promote:planned")
    files = {stages_path(plan.move.name): plan.stages_text.encode()}
    if plan.deployments_text is not None:
        files[deployments_path(plan.move.name)] = plan.deployments_text.encode()
    title = f"{request.verb} {plan.move.ref}: {plan.move.from_stage} -> {plan.move.to_stage}"
    reason = request.reason.strip()  # Markdown-escaped as `deploy` does: a reason opens no block
    body = f"{markdown_text(reason)}\n\n{plan.body}" if reason else plan.body
    result = proposal.propose(
        plan.where,
        request.options,
        files=files,
        message=commit_message(plan, request),
        title=title,
        body=body,
        command=f"{request.verb} {plan.move.ref} to {plan.move.to_stage}",
        say=say,
    )
    return PromoteResult(
        ref=plan.move.ref,
        from_stage=plan.move.from_stage,
        to_stage=plan.move.to_stage,
        displaced=plan.placement.displaced,
        deployed=list(request.deploy),
        **result.model_dump(),
    )


def make_plan(path: Path, request: PromoteRequest) -> Plan:
    """Work the promotion out and check every rule; raise before anything is written."""
    top = git.root(path)
    begun = proposal.start(top, request.options)
    registry = Catalog(top, rev=begun.commit)
    try:
        found = registry.get(request.ref)
    except NotFoundError:
        begun.refuse_unlanded(request.ref, request.verb)
        raise
    config = registry.config
    if request.to_stage not in config.stages:
        known = ", ".join(config.stages)
        raise NotFoundError(f"unknown stage {request.to_stage!r}; registry.yaml defines: {known}")
    if found.stage == request.to_stage:
        raise InvalidInputError(f"{found.ref} is already in {found.stage}; nothing to {request.verb}")
    if request.verb == "demote":
        _check_backwards(config, found.ref, found.stage, request.to_stage)
    snap = registry.lineage_snapshot(found.name)
    lists = snap.stages.get(found.name, {})
    move = Move(name=found.name, version=found.version, from_stage=found.stage, to_stage=request.to_stage)
    placement = policy.place(
        config, found.name, lists, found.version, request.to_stage, replacing=request.replacing
    )
    moves = [move, *placement.displaced]
    refused = violations(config, moves, registry, lists=placement.stages, returning=request.returning)
    dated = dating.misdated_evaluations(found.manifest, committed_at=git.committed_at(top, begun.commit))
    refused += [f"{found.ref}: {message}" for _, message in dated]
    deployed = redeployed(config, snap, found.name, found.version, request.deploy)
    stranded = stranded_environments(config, snap, found.name, lists, placement.stages, deployed)
    refused += [v.message for v in stranded]
    if refused:
        what = f"{request.verb} {move.ref} to {move.to_stage}"
        hint = _along(config, stranded, request, move, placement.stages)
        raise RuleViolationError(f"cannot {what}: " + "; ".join(refused) + hint, problems=refused)
    default = f"promote/{found.name}-{found.version}-{request.to_stage}"
    where = proposal.target(top, begun, request.options, default_branch=request.branch or default)
    change = model_change(
        config, snap, snap.manifests, name=found.name, moves=moves, registered=[], lineage_from=snap
    )
    from modelreg.render.check_report import markdown_changes

    return Plan(
        where=where,
        config=config,
        move=move,
        placement=placement,
        stages_text=stagesfile.render(config, placement.stages, previous=snap.stage_files.get(found.name)),
        deployments_text=deploymentsfile.render(deployed) if request.deploy else None,
        body=markdown_changes([change]) + _card(registry, found.ref, request.to_stage),
    )


def _along(
    config: RegistryConfig,
    stranded: list[environments.DeploymentViolation],
    request: PromoteRequest,
    move: Move,
    after: StageLists,
) -> str:
    """What to run instead when the move strands environments: the same command with those
    environments moved along (--deploy), when the moved version may run in every one of them."""
    envs = sorted({v.environment for v in stranded} - set(request.deploy))
    if not envs or not all(environments.accepts(config, env, move.to_stage) for env in envs):
        return ""
    again = request.again or f"modelreg {request.verb} {move.ref}" + (
        f" --to {move.to_stage}" if request.verb in ("promote", "demote") else ""
    )
    flags = " ".join(f"--deploy {env}" for env in [*request.deploy, *envs])
    return f"; to move {', '.join(envs)} along in the same pull request: {again} {flags}"


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


def _check_backwards(config: RegistryConfig, ref: str, from_stage: str, to_stage: str) -> None:
    """``demote`` moves a version back: to a stage before its own in registry.yaml's order."""
    order = list(config.stages)
    if order.index(to_stage) >= order.index(from_stage):
        raise InvalidInputError(
            f"cannot demote {ref} from {from_stage} to {to_stage}: demote moves a version back in "
            f"registry.yaml's stage order ({', '.join(order)}); use `modelreg promote {ref} --to {to_stage}`"
        )


def violations(
    config: RegistryConfig,
    moves: list[Move],
    registry: Catalog,
    *,
    lists: dict[str, list[str]],
    returning: list[tuple[str, str, str]] | None = None,
) -> list[str]:
    """Every rule the moves break: the rules check applies, plus capacity after displacement."""
    name = moves[0].name
    snap = registry.lineage_snapshot(name)
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
) -> list[environments.DeploymentViolation]:
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
    return [v for v in now if v.environment not in was]


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
