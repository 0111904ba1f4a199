"""``modelreg rollback``: put back the most recent earlier holder of a stage, by pull request.

History (the same engine as ``modelreg history``, read from the base the pull request goes to)
lists the stage's earlier holders, most recent first. The first that does not now hold another
active stage returns (or the one ``--version`` names); the current holder leaves the stage in
the same commit, so no stage that had a holder is left empty. A stage is active when it gates
(``requires:``), caps (``max_versions``) or serves (an environment accepts it). The move then
goes through ``promote`` (a proposal: branch, one commit, push, pull request), with
``--deploy`` moving environments along in the same commit. A version may return to a stage it
earned before even where registry.yaml's ``from`` does not list its current stage, and it is
not compared with the holder it replaces; ``check`` and history know the same exception.
"""

from __future__ import annotations

from pathlib import Path

from modelreg.adapters import git
from modelreg.domain.errors import NotFoundError
from modelreg.domain.models import RegistryConfig
from modelreg.history import audit
from modelreg.history.depth import require_history
from modelreg.history.earned import earned_stages
from modelreg.history.steps import steps_of
from modelreg.history.tenures import RollbackPlan, rollback_target
from modelreg.operations import proposal
from modelreg.operations.promote import PromoteRequest, PromoteResult, promote
from modelreg.queries.catalog import Catalog


def active_stages(config: RegistryConfig) -> set[str]:
    """Stages a version is not taken from by a rollback of another stage: those that gate, cap
    or serve (an environment accepts them); never the initial stage."""
    served = {s for env in config.environments.values() for s in env.stages}
    return {
        name
        for name, rules in config.stages.items()
        if name != config.initial_stage
        and (name in served or rules.max_versions is not None or rules.requires != rules.requires.__class__())
    }


def plan(
    path: Path | str,
    name: str,
    stage: str,
    *,
    base: str | None = None,
    push: bool = True,
    version: str | None = None,
    fetch: bool = False,
) -> RollbackPlan:
    """Which version to return to ``stage``, read from the history of the base a proposal
    starts from (``fetch``: in a shallow clone, fetch it first; else ShallowCloneError says what
    to fetch)."""
    top = git.root(path)
    require_history(top, what="rollback", fetch=fetch)
    begun = proposal.start(top, proposal.ProposalOptions(base=base, push=push))
    registry = Catalog(top, rev=begun.commit)
    try:
        registry.model(name)
    except NotFoundError:
        begun.refuse_unlanded(f"model {name}", "roll back")
        raise
    config = registry.config
    if stage not in config.stages:
        raise NotFoundError(f"unknown stage {stage!r}; registry.yaml defines: {', '.join(config.stages)}")
    snap = registry.model_snapshot(name)
    now = {v: snap.stage_of(name, v) for v in snap.versions(name)}
    return rollback_target(
        audit.events(top, tip=begun.commit, model=name),
        name,
        stage,
        initial=config.initial_stage,
        stage_now=now,
        active=active_stages(config) - {stage},
        version=version,
    )


def rollback(
    path: Path | str,
    name: str,
    stage: str,
    request: PromoteRequest,
    *,
    version: str | None = None,
    fetch: bool = False,
) -> tuple[RollbackPlan, PromoteResult]:
    """Return the earlier holder of ``stage`` through ``promote``; ``request`` carries the options
    (``deploy``: environments to move along)."""
    top = git.root(path)
    found = plan(top, name, stage, base=request.base, push=request.push, version=version, fetch=fetch)
    begun = proposal.start(top, request.options)
    registry = Catalog(top, rev=begun.commit)
    events = audit.events(top, tip=begun.commit, model=name)
    manifests = registry.model_snapshot(name).manifests
    earned = earned_stages(registry.config, steps_of(events, name), name, manifests)
    why = f"Rolls back {name}@{found.current.version}"
    why += f" (PR #{found.current.pr})" if found.current.pr else f" (commit {found.current.entered.short})"
    why += f" to {found.previous.version}, which held {stage} until {found.previous.until:%Y-%m-%d}."
    reason = why + (f"\n\n{request.reason.strip()}" if request.reason.strip() else "")
    again = f"modelreg rollback {name} --stage {stage}" + (f" --version {version}" if version else "")
    update = {
        "ref": f"{name}@{found.previous.version}",
        "to_stage": stage,
        "verb": "rollback",
        "reason": reason,
        "returning": sorted(earned),
        "replacing": found.current.version,  # a stage of several holders keeps the others
        "branch": request.branch or f"rollback/{name}-{stage}-{found.previous.version}",
        "again": again,
    }
    result = promote(top, request.model_copy(update=update))
    return found, result
