"""``modelreg deploy``: propose running a version in an environment, by pull request.

The desired state lives in ``models/NAME/deployments.yaml`` (environment -> version, with an
optional endpoint and traffic share); ``deploy`` edits one entry of it on a new branch, like
``promote`` edits stages.yaml. The deployment rule (``rules.environments``: a declared
environment, a registered version holding a stage the environment accepts) is checked first,
the same rule ``check`` applies to the pull request.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from modelreg.adapters import git
from modelreg.documents import deploymentsfile
from modelreg.domain import escape
from modelreg.domain.errors import InvalidInputError, NotFoundError, RuleViolationError
from modelreg.domain.layout import deployments_path
from modelreg.domain.models import Deployment
from modelreg.operations import proposal
from modelreg.operations.evaluate import branch_name
from modelreg.operations.proposal import ProposalOptions, ProposalResult
from modelreg.queries.catalog import Catalog
from modelreg.rules import environments, policy


class DeployRequest(BaseModel):
    """Which version to run where (or, with ``remove``, which environment to stop), and how to
    propose it."""

    ref: str  # NAME@... to deploy; with remove, the model's NAME
    environment: str
    endpoint: str | None = None
    traffic: float | None = None
    reason: str = ""
    remove: bool = False  # undeploy: take the environment's entry out of deployments.yaml
    options: ProposalOptions = ProposalOptions()


class DeployResult(BaseModel):
    ref: str
    environment: str
    previous: str | None  # the version the environment ran before, if any
    deployment: Deployment | None  # None: undeployed
    proposal: ProposalResult


def deploy(
    path: Path | str, request: DeployRequest, *, say: Callable[[str], None] = lambda _: None
) -> DeployResult:
    """Propose ``request`` as a pull request that edits the model's deployments.yaml: all of
    it, or nothing."""
    top = git.root(path)
    begun = proposal.start(top, request.options)
    registry = Catalog(top, rev=begun.commit)
    verb = "undeploy" if request.remove else "deploy"
    try:
        name = registry.model(request.ref).name if request.remove else registry.get(request.ref).name
    except NotFoundError:
        begun.refuse_unlanded(request.ref, verb)
        raise
    config = registry.config
    env = request.environment
    if env not in config.environments:
        known = ", ".join(sorted(config.environments)) or "none are declared"
        raise NotFoundError(f"unknown environment {env!r}; registry.yaml declares: {known}")
    current = dict(registry.model_snapshot(name).deployments.get(name, {}))
    previous = current.get(env)
    deployment: Deployment | None = None
    if request.remove:
        if previous is None:
            raise InvalidInputError(f"{env} runs no version of {name}; nothing to undeploy")
        del current[env]
        ref, slug = f"{name}@{previous.version}", f"undeploy/{name}-{env}"
        message = undeploy_message(name, env, previous, request.reason)
    else:
        found = registry.get(request.ref)
        ref, deployment = found.ref, _deployment(request, found.version, previous)
        if previous == deployment:
            same = (
                " with that endpoint and traffic" if previous.endpoint or previous.traffic is not None else ""
            )
            raise InvalidInputError(f"{env} already runs {ref}{same}; nothing to deploy")
        _check_fit(registry, name, found.version, env, deployment)
        current[env] = deployment
        slug = f"deploy/{name}-{found.version}-{env}"
        message = commit_message(name, found.version, env, previous, request.reason)
    where = proposal.target(top, begun, request.options, default_branch=branch_name(slug))
    result = proposal.propose(
        where,
        request.options,
        files={deployments_path(name): deploymentsfile.render(current).encode()},
        message=message,
        title=message.split("\n", 1)[0],
        body=_body(ref, env, deployment, previous, request.reason),
        command=f"{verb} {ref}",
        say=say,
    )
    return DeployResult(
        ref=ref,
        environment=env,
        previous=previous.version if previous else None,
        deployment=deployment,
        proposal=result,
    )


def _check_fit(registry: Catalog, name: str, version: str, env: str, deployment: Deployment) -> None:
    """The deployment rule for the new entry; refused with what would work instead: promoting
    the version with the environment in one pull request, or deploying the stage's holder."""
    snap, config = registry.model_snapshot(name), registry.config
    lists = snap.stages.get(name, {})
    refused = [
        v.message
        for v in environments.deployment_violations(
            config, name, {env: deployment}, lists, snap.versions(name)
        )
    ]
    if not refused:
        return
    wanted = config.environments[env].stages
    stage = config.stage_of(lists, version)
    hint = ""
    move = policy.Move(name=name, version=version, from_stage=stage, to_stage=wanted[0])
    holders = policy.holders(config, snap, name, wanted[0])
    if stage != wanted[0] and policy.transition_violation(config, move) is None:
        hint = (
            f"; to promote it and run it in {env} in one pull request: "
            f"modelreg promote {name}@{version} --to {wanted[0]} --deploy {env}"
        )
    elif holders:
        hint = f"; {name}@{holders[0]} holds {wanted[0]}: modelreg deploy {name}@{holders[0]} --env {env}"
    raise RuleViolationError(
        f"cannot deploy {name}@{version} to {env}: " + "; ".join(refused) + hint, problems=refused
    )


def _deployment(request: DeployRequest, version: str, previous: Deployment | None) -> Deployment:
    """The new entry: the endpoint kept from the previous one unless given; traffic likewise."""
    endpoint = request.endpoint if request.endpoint is not None else (previous.endpoint if previous else None)
    traffic = request.traffic if request.traffic is not None else (previous.traffic if previous else None)
    if endpoint is not None and (len(endpoint) > 500 or any(ord(c) < 32 or ord(c) == 127 for c in endpoint)):
        raise InvalidInputError("--endpoint: at most 500 characters, no control characters")
    if traffic is not None and not 0 <= traffic <= 100:
        raise InvalidInputError(f"--traffic {traffic:g}: a share of traffic is a percentage from 0 to 100")
    return Deployment(version=version, endpoint=endpoint or None, traffic=traffic)


def commit_message(name: str, version: str, env: str, previous: Deployment | None, reason: str) -> str:
    was = f" (was {previous.version})" if previous and previous.version != version else ""
    lines = [f"deploy {name}@{version} to {env}{was}", ""]
    if reason.strip():
        lines += [reason.strip(), ""]
    lines += [f"Modelreg-Model: {name}", f"Modelreg-Version: {version}", f"Modelreg-Environment: {env}"]
    return "\n".join(lines) + "\n"


def undeploy_message(name: str, env: str, previous: Deployment, reason: str) -> str:
    lines = [f"undeploy {name} from {env} (was {previous.version})", ""]
    if reason.strip():
        lines += [reason.strip(), ""]
    lines += [f"Modelreg-Model: {name}", f"Modelreg-Environment: {env}"]
    return "\n".join(lines) + "\n"


def _body(ref: str, env: str, deployment: Deployment | None, previous: Deployment | None, reason: str) -> str:
    if deployment is None:
        parts = [f"Stops running {escape.markdown_code(ref)} in {escape.markdown_code(env)}."]
    else:
        parts = [f"Deploys {escape.markdown_code(ref)} to {escape.markdown_code(env)}."]
    if deployment is not None and previous is not None:
        parts.append(f"It ran {escape.markdown_code(previous.version)} before.")
    if deployment is not None and deployment.endpoint:
        parts.append(f"Endpoint: {escape.markdown_code(deployment.endpoint)}.")
    if deployment is not None and deployment.traffic is not None:
        parts.append(f"Traffic: {deployment.traffic:g}%.")
    text = " ".join(parts)
    return f"{escape.markdown_text(reason.strip())}\n\n{text}\n" if reason.strip() else text + "\n"
