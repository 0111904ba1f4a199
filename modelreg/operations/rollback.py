"""``modelreg rollback``: put back the version that held a stage before its current holder.

History (the same engine as ``modelreg history``) names the previous holder and the pull
request that replaced it; the move then goes through ``promote``: a branch, one commit,
a push and a pull request. A version may return to a stage it held before even where
registry.yaml's ``from`` does not list its current stage, and it is not compared with the
holder it replaces; ``check`` knows the same exception from history.
"""

from __future__ import annotations

from pathlib import Path

from modelreg.adapters import git
from modelreg.history import audit
from modelreg.history.depth import require_history
from modelreg.history.tenures import RollbackPlan, earned_stages, rollback_target
from modelreg.operations.promote import PromoteRequest, PromoteResult, base_branch, promote
from modelreg.queries.catalog import Catalog


def plan(
    path: Path | str, name: str, stage: str, *, base: str | None = None, fetch: bool = False
) -> RollbackPlan:
    """Which version to return to ``stage``, read from the history of ``base`` (``fetch``: in a
    shallow clone, fetch it first; else ShallowCloneError says what to fetch)."""
    top = git.root(path)
    require_history(top, what="rollback", fetch=fetch)
    commit = git.resolve(top, base_branch(top, base))
    registry = Catalog(top, rev=commit)
    registry.model(name)
    config = registry.config
    if stage not in config.stages:
        from modelreg.domain.errors import NotFoundError

        raise NotFoundError(f"unknown stage {stage!r}; registry.yaml defines: {', '.join(config.stages)}")
    return rollback_target(
        audit.events(top, tip=commit, model=name), name, stage, initial=config.initial_stage
    )


def rollback(
    path: Path | str, name: str, stage: str, request: PromoteRequest, *, fetch: bool = False
) -> tuple[RollbackPlan, PromoteResult]:
    """Return the previous holder of ``stage`` through ``promote``; ``request`` carries the options."""
    top = git.root(path)
    found = plan(top, name, stage, base=request.base, fetch=fetch)
    commit = git.resolve(top, base_branch(top, request.base))
    registry = Catalog(top, rev=commit)
    events = audit.events(top, tip=commit, model=name)
    returning = sorted(earned_stages(registry.config, events, name, registry.model_snapshot(name).manifests))
    why = f"Rolls back {name}@{found.current.version}"
    why += f" (PR #{found.current.pr})" if found.current.pr else f" (commit {found.current.entered.short})"
    why += f" to {found.previous.version}, which held {stage} until {found.previous.until:%Y-%m-%d}."
    reason = why + (f"\n\n{request.reason.strip()}" if request.reason.strip() else "")
    update = {
        "ref": f"{name}@{found.previous.version}",
        "to_stage": stage,
        "verb": "rollback",
        "reason": reason,
        "returning": returning,
        "replacing": found.current.version,  # a stage of several holders keeps the others
        "branch": request.branch or f"rollback/{name}-{stage}-{found.previous.version}",
    }
    result = promote(top, request.model_copy(update=update))
    return found, result
