"""The deployment rule, shared by ``deploy``, ``promote``, ``check`` and ``validate``: every
environment a model's deployments.yaml names is declared in registry.yaml's ``environments``,
runs a registered version, and that version holds a stage the environment accepts.

The rule reads documents only (the policy, the model's deployments, its stage lists, its
versions), so it judges a change's head as easily as a planned promotion.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from pydantic import BaseModel

from modelreg.domain.models import Deployment, RegistryConfig

StageLists = Mapping[str, list[str]]


class DeploymentViolation(BaseModel):
    """An environment whose deployment breaks the rule, and what to change."""

    rule: str = "deployment"
    environment: str
    ref: str
    message: str


def deployment_violations(
    config: RegistryConfig,
    name: str,
    deployments: Mapping[str, Deployment],
    stages: StageLists,
    versions: Collection[str],
) -> list[DeploymentViolation]:
    """Every environment of ``name``'s ``deployments`` that is undeclared, runs an unregistered
    version, or runs one that does not hold a stage the environment requires (stages read
    from ``stages``, unlisted versions standing in the initial stage)."""
    found = []
    for env in sorted(deployments):
        version = deployments[env].version
        ref = f"{name}@{version}"
        message = _problem(config, name, env, version, stages, versions)
        if message is not None:
            found.append(DeploymentViolation(environment=env, ref=ref, message=message))
    return found


def _problem(
    config: RegistryConfig, name: str, env: str, version: str, stages: StageLists, versions: Collection[str]
) -> str | None:
    declared = config.environments.get(env)
    if declared is None:
        known = ", ".join(sorted(config.environments)) or "none"
        return (
            f"environment {env} is not declared in registry.yaml (environments: {known}); "
            "deploy to a declared one, or declare it in a pull request of its own"
        )
    if version not in versions:
        return f"{env} names {name}@{version}, which is not registered; deploy a registered version"
    stage = config.stage_of(dict(stages), version)
    accepted = declared.stages
    if stage in accepted:
        return None
    wanted = " or ".join(accepted)
    return f"{env} runs {name}@{version}, which stands in {stage}, but {env} requires {wanted}"


def accepts(config: RegistryConfig, env: str, stage: str) -> bool:
    """Whether environment ``env`` (declared) accepts a version standing in ``stage``."""
    declared = config.environments.get(env)
    return declared is not None and stage in declared.stages
