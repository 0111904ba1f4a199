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
from modelreg.operations import proposal, transaction
from modelreg.operations.evaluate import branch_name
from modelreg.operations.promote import base_branch
from modelreg.operations.proposal import ProposalOptions, ProposalResult
from modelreg.queries.catalog import Catalog
from modelreg.rules import environments


class DeployRequest(BaseModel):
    """Which version to run where, and how to propose it."""

    ref: str
    environment: str
    endpoint: str | None = None
    traffic: float | None = None
    reason: str = ""
    options: ProposalOptions = ProposalOptions()


class DeployResult(BaseModel):
    ref: str
    environment: str
    previous: str | None  # the version the environment ran before, if any
    deployment: Deployment
    proposal: ProposalResult


def deploy(
    path: Path | str, request: DeployRequest, *, say: Callable[[str], None] = lambda _: None
) -> DeployResult:
    """Propose ``request`` as a pull request that edits the model's deployments.yaml: all of
    it, or nothing."""
    top = git.root(path)
    transaction.recover(top)
    base_commit = git.resolve(top, base_branch(top, request.options.base))
    registry = Catalog(top, rev=base_commit)
    found = registry.get(request.ref)
    config = registry.config
    env = request.environment
    if env not in config.environments:
        known = ", ".join(sorted(config.environments)) or "none are declared"
        raise NotFoundError(f"unknown environment {env!r}; registry.yaml declares: {known}")
    current = dict(registry.model_snapshot(found.name).deployments.get(found.name, {}))
    previous = current.get(env)
    deployment = _deployment(request, found.version, previous)
    if previous == deployment:
        raise InvalidInputError(f"{env} already runs {found.ref} so; nothing to deploy")
    current[env] = deployment
    snap = registry.model_snapshot(found.name)
    refused = [
        v.message
        for v in environments.deployment_violations(
            config, found.name, {env: deployment}, snap.stages.get(found.name, {}), snap.versions(found.name)
        )
    ]
    if refused:
        raise RuleViolationError(
            f"cannot deploy {found.ref} to {env}: " + "; ".join(refused), problems=refused
        )
    where = proposal.target(
        top, request.options, default_branch=branch_name(f"deploy/{found.name}-{found.version}-{env}")
    )
    message = commit_message(found.name, found.version, env, previous, request.reason)
    result = proposal.propose(
        where,
        request.options,
        path=deployments_path(found.name),
        content=deploymentsfile.render(current).encode(),
        message=message,
        title=message.split("\n", 1)[0],
        body=_body(found.ref, env, deployment, previous, request.reason),
        command=f"deploy {found.ref}",
        say=say,
    )
    return DeployResult(
        ref=found.ref,
        environment=env,
        previous=previous.version if previous else None,
        deployment=deployment,
        proposal=result,
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


def _body(ref: str, env: str, deployment: Deployment, previous: Deployment | None, reason: str) -> str:
    parts = [f"Deploys {escape.markdown_code(ref)} to {escape.markdown_code(env)}."]
    if previous is not None:
        parts.append(f"It ran {escape.markdown_code(previous.version)} before.")
    if deployment.endpoint:
        parts.append(f"Endpoint: {escape.markdown_code(deployment.endpoint)}.")
    if deployment.traffic is not None:
        parts.append(f"Traffic: {deployment.traffic:g}%.")
    text = " ".join(parts)
    return f"{escape.markdown_text(reason.strip())}\n\n{text}\n" if reason.strip() else text + "\n"
