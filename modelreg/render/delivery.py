"""Reporters of what a merged change did (``events``) and of where versions run
(``deployments``): text, JSON, and GitHub step outputs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

from modelreg.domain.escape import step_output, terminal
from modelreg.history.approval import AuditRecord, approval_names, name_of
from modelreg.render.common import table, to_json

if TYPE_CHECKING:  # `events` need not import the catalog that `deployments` reads
    from modelreg.queries.deployments import DeploymentsView
    from modelreg.queries.events import DeliveryEvent, EventsReport

__all__ = ["events_json", "events_text", "github_outputs", "deployments_text", "deployments_json"]


def _line(e: DeliveryEvent) -> str:
    pr = f" (#{e.pr})" if e.pr is not None else ""
    where = e.ref or e.model or "(registry)"
    if e.kind == "stage_changed":
        what = f"{where}: {e.from_stage} -> {e.to_stage}"
    elif e.kind == "deployed":
        was = f" (was {e.previous})" if e.previous and e.previous != e.version else ""
        what = f"{where} -> {e.environment}{was}" + (f" [{e.detail}]" if e.detail else "")
    elif e.kind == "undeployed":
        what = f"{where} removed from {e.environment}"
    else:
        what = f"{where}" + (f": {e.detail}" if e.detail else "")
    approved = f", approved by {name_of(e.approved_by)}" if e.approved_by else ""
    return f"{e.kind:<17} {what}  {e.commit[:8]}{pr} {name_of(e.requested_by)}{approved}"


def events_text(report: EventsReport, stream: TextIO) -> None:
    if not report.events:
        stream.write(f"no registry events between {terminal(report.base)} and {terminal(report.head)}\n")
        return
    for event in report.events:
        stream.write(terminal(_line(event)) + "\n")


def events_json(report: EventsReport, stream: TextIO) -> None:
    to_json(report, stream)


def outputs(report: EventsReport) -> dict[str, str]:
    """The step outputs a workflow's next steps read: the first deployment's ``deploy_env``,
    ``ref`` and ``version``, and space-separated lists of everything else."""
    by_kind: dict[str, list[DeliveryEvent]] = {}
    for event in report.events:
        by_kind.setdefault(event.kind, []).append(event)
    deployed = by_kind.get("deployed", [])
    moved = by_kind.get("stage_changed", [])
    first = deployed[0] if deployed else None
    return {
        "changed": "true" if report.events else "false",
        "deploy_env": first.environment or "" if first else "",
        "ref": first.ref or "" if first else "",
        "version": first.version or "" if first else "",
        "model": first.model or "" if first else "",
        "deployments": " ".join(f"{e.environment}={e.ref}" for e in deployed),
        "registered": " ".join(e.ref or "" for e in by_kind.get("registered", [])),
        "promoted": " ".join(f"{e.ref}:{e.to_stage}" for e in moved),
        "evaluated": " ".join(e.ref or "" for e in by_kind.get("evaluation_added", [])),
        "events": json.dumps([e.model_dump(mode="json") for e in report.events], separators=(",", ":")),
    }


def github_outputs(report: EventsReport) -> str:
    """The text to append to ``$GITHUB_OUTPUT``: every output in the multi-line-safe form."""
    return "".join(step_output(name, value) for name, value in outputs(report).items())


def deployments_text(view: DeploymentsView, stream: TextIO) -> None:
    if not view.deployments:
        stream.write("no deployments\n")
        return
    headers = [
        "MODEL",
        "ENVIRONMENT",
        "VERSION",
        "STAGE",
        "TRAFFIC",
        "SINCE",
        "PR",
        "BY",
        "APPROVED",
        "ENDPOINT",
    ]
    rows = [
        [
            d.model,
            d.environment,
            d.version,
            d.stage,
            f"{d.traffic:g}%" if d.traffic is not None else "-",
            d.since.strftime("%Y-%m-%d %H:%M") if d.since else "(uncommitted)",
            f"#{d.pr}" if d.pr is not None else "-",
            name_of(d.requested_by),
            approval_names(AuditRecord(d.requested_by or "", d.approved_by, d.reviewers)),
            d.endpoint or "-",
        ]
        for d in view.deployments
    ]
    table(headers, rows, stream)


def deployments_json(view: DeploymentsView, stream: TextIO) -> None:
    to_json(view, stream)
