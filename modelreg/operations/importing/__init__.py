"""Moving in: an MLflow model registry or a GTO repository, replayed as this registry's history.

``plan`` says what an import writes, ``from_mlflow`` and ``from_gto`` read each source into
one, ``replay`` writes it (one commit per event, with the source's authors and dates).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from modelreg.adapters import git
from modelreg.operations import transaction
from modelreg.operations.importing import verify
from modelreg.operations.importing.plan import TRAILER, ImportPlan, ImportReport, planned
from modelreg.operations.importing.replay import replay, without_noops
from modelreg.queries.catalog import Catalog


def import_mlflow(
    path: Path,
    *,
    tracking_uri: str,
    models: tuple[str, ...] = (),
    alias_map: dict[str, str] | None = None,
    policy: str = "mirror",
    timeout: float | None = None,
    dry_run: bool = False,
    push: bool = True,
    say: Callable[[str], None] = lambda _: None,
) -> ImportReport:
    """Import the MLflow registry at ``tracking_uri`` into the registry at ``path``."""
    from modelreg.adapters.mlflow import DEFAULT_TIMEOUT_SECONDS, MlflowServer
    from modelreg.operations.importing.from_mlflow import plan_mlflow

    top, catalog = _target(path)
    server = MlflowServer(tracking_uri, timeout=DEFAULT_TIMEOUT_SECONDS if timeout is None else timeout)
    plan = plan_mlflow(
        server,
        config=catalog.config,
        present=set(catalog.snapshot.present),
        imported=git.trailer_values(top, TRAILER),
        models=models,
        alias_map=alias_map,
        policy=policy,
    )
    return _finish(top, catalog, plan, dry_run=dry_run, push=push, say=say)


def import_gto(
    path: Path,
    *,
    source: Path,
    stage_map: dict[str, str] | None = None,
    dry_run: bool = False,
    push: bool = True,
    say: Callable[[str], None] = lambda _: None,
) -> ImportReport:
    """Import the GTO registry of the Git repository at ``source`` into the registry at ``path``."""
    from modelreg.operations.importing.from_gto import plan_gto

    top, catalog = _target(path)
    plan = plan_gto(
        source,
        config=catalog.config,
        present=set(catalog.snapshot.present),
        imported=git.trailer_values(top, TRAILER),
        stage_map=stage_map or {},
    )
    return _finish(top, catalog, plan, dry_run=dry_run, push=push, say=say)


def _target(path: Path) -> tuple[Path, Catalog]:
    top = git.root(path)
    transaction.recover(top)
    return top, Catalog(top)


def _finish(
    top: Path, catalog: Catalog, plan: ImportPlan, *, dry_run: bool, push: bool, say: Callable[[str], None]
) -> ImportReport:
    snap = catalog.snapshot
    stages = {name: snap.stages.get(name, {}) for name in snap.model_names()}
    verify.refuse_foreign(plan, snap)
    verify.refuse_merged_versions(plan, set(snap.present))
    plan.events = without_noops(plan.ordered(), config=catalog.config, stages=stages)
    verify.validated(top, plan, config=catalog.config, stages=stages, order=ImportPlan.ordered)
    commits = [] if dry_run else replay(top, plan, config=catalog.config, stages=stages, push=push, say=say)
    return ImportReport(
        source=plan.source,
        dry_run=dry_run,
        events=[planned(e) for e in plan.events],
        unmapped=plan.unmapped,
        already_imported=plan.already,
        commits=commits,
        head=git.head(top),
    )
