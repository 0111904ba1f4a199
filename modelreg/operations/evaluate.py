"""``modelreg evaluate``: append one evaluation (dataset, metrics, kind, note, who, when) to a
registered version's manifest, the one change a manifest allows after registration.

By default the change is proposed like a promotion (a branch with one commit, pushed, with a
pull request); with ``commit=True`` it is committed on the current branch directly. Either way
the new text is checked against the write-once rule before anything is written: the manifest
must read back as the old one with exactly this evaluation appended.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from modelreg.adapters import git
from modelreg.documents import schemas, yamlio
from modelreg.domain import escape, faults
from modelreg.domain.errors import DocumentError, InvalidInputError, NotFoundError
from modelreg.domain.layout import manifest_path
from modelreg.domain.models import Dataset, Evaluation, EvaluationKind
from modelreg.domain.numbers import number
from modelreg.operations import proposal, transaction
from modelreg.operations.proposal import ProposalOptions, ProposalResult
from modelreg.queries.catalog import Catalog
from modelreg.rules import writeonce


class EvaluateRequest(BaseModel):
    """Which version, on which dataset, with which results, and how to record it."""

    ref: str
    dataset: str  # NAME@VERSION
    metrics: dict[str, float]
    kind: EvaluationKind = "offline"
    note: str | None = None
    commit: bool = False  # commit on the current branch instead of proposing a branch
    options: ProposalOptions = ProposalOptions()


class EvaluateResult(BaseModel):
    ref: str
    manifest: str
    evaluation: Evaluation
    commit: str
    proposal: ProposalResult | None = None  # None when committed directly


def parse_dataset(text: str) -> Dataset:
    """``NAME@VERSION`` (e.g. ``holdout@2026-11``) as a dataset."""
    name, sep, version = text.partition("@")
    if not sep or not name.strip() or not version.strip():
        raise InvalidInputError(f"--dataset {text!r}: expected NAME@VERSION, e.g. holdout@2026-11")
    try:
        return Dataset(name=name.strip(), version=version.strip())
    except ValidationError as e:
        raise InvalidInputError(f"--dataset {text!r}: name and version are at most 200 characters") from e


def evaluate(
    path: Path | str, request: EvaluateRequest, *, say: Callable[[str], None] = lambda _: None
) -> EvaluateResult:
    """Append the evaluation ``request`` describes: all of it, or nothing."""
    top = git.root(path)
    transaction.recover(top)
    if request.commit:
        return _commit_directly(top, request)
    return _propose(top, request, say=say)


def _prepared(top: Path, rev: str | None, request: EvaluateRequest) -> tuple[str, str, bytes, Evaluation]:
    """The version's ref, its manifest's path, the manifest's new text and the evaluation."""
    registry = Catalog(top, rev=rev) if rev else Catalog(top)
    found = registry.get(request.ref)
    path = manifest_path(found.name, found.version)
    raw = registry.model_snapshot(found.name).raw.get(path)
    if raw is None:
        raise InvalidInputError(f"{path} is not a plain file; it cannot be evaluated")
    evaluation = _evaluation(request, git.ident(top))
    return found.ref, path, append_evaluation(raw, path, evaluation), evaluation


def _evaluation(request: EvaluateRequest, who: str) -> Evaluation:
    if not request.metrics:
        raise InvalidInputError("an evaluation needs metrics: pass --metrics-file FILE or --metric KEY=VALUE")
    data: dict[str, Any] = {
        "dataset": parse_dataset(request.dataset).model_dump(exclude_none=True),
        "metrics": request.metrics,
        "kind": request.kind,
        "created_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "created_by": who[:200],
    }
    if request.note:
        data["note"] = request.note
    found, typed = schemas.check("manifest", {**_minimal_manifest(), "evaluations": [data]})
    if found:
        location, message = found[0]
        where = ".".join(str(x) for x in location[2:]) or "evaluation"
        raise InvalidInputError(f"the evaluation is not valid: {where}: {message}")
    evaluation: Evaluation = typed.evaluations[0]
    return evaluation


def _minimal_manifest() -> dict[str, Any]:
    """The least a manifest holds, to check one evaluation against the one schema."""
    return {
        "name": "x",
        "version": "0.0.0",
        "created_at": "2000-01-01T00:00:00Z",
        "created_by": "x",
        "artifacts": [{"path": "x", "md5": "0" * 32, "size": 0}],
    }


def append_evaluation(raw: bytes, path: str, evaluation: Evaluation) -> bytes:
    """The manifest ``raw`` with ``evaluation`` appended to its ``evaluations``: its text kept
    and the entry added at the end where the list ends the file, else the manifest rewritten
    (same data). Checked by the write-once rule: exactly this evaluation is appended."""
    try:
        old = yamlio.load(raw, path)
    except DocumentError as e:
        raise InvalidInputError(f"{path} does not read as YAML ({e}); it cannot be evaluated") from e
    entry = evaluation.model_dump(mode="json", exclude_none=True)
    entry["created_at"] = _stamp(evaluation.created_at)
    for text in (_appended_text(raw, entry), _rewritten(old, entry, raw)):
        if text is None:
            continue
        try:
            new = yamlio.load(text, path)
        except DocumentError:
            continue
        if writeonce.appended_evaluations(old, new) == [entry]:
            return text
    raise InvalidInputError(f"{path} cannot take an evaluation without another change; check its YAML")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _appended_text(raw: bytes, entry: dict[str, Any]) -> bytes | None:
    """The entry added to the text: after a final ``evaluations:`` block, in place of a final
    ``evaluations: []``, or as a new final ``evaluations:`` key. None when the list is elsewhere."""
    text = raw.decode("utf-8")
    lines = text.rstrip("\n").split("\n")
    top_keys = [i for i, line in enumerate(lines) if line and line[0] not in " \t#-"]
    item = yamlio.dump([entry])
    if not top_keys:
        return None
    last = lines[top_keys[-1]]
    if last.startswith("evaluations:"):
        rest = last[len("evaluations:") :].strip()
        if rest in ("", "[]"):
            head = lines[: top_keys[-1]] + ["evaluations:"] + lines[top_keys[-1] + 1 :]
            return ("\n".join(head) + "\n" + item).encode()
        return None
    if any(line.startswith("evaluations:") for line in lines):
        return None
    return (text.rstrip("\n") + "\nevaluations:\n" + item).encode()


def _rewritten(old: Any, entry: dict[str, Any], raw: bytes) -> bytes | None:
    if not isinstance(old, dict):
        return None
    header = raw.decode("utf-8").split("\n", 1)[0]
    data = {**old, "evaluations": [*(old.get("evaluations") or []), entry]}
    return yamlio.dump(data, header=header if header.startswith("#") else None).encode()


def _commit_directly(top: Path, request: EvaluateRequest) -> EvaluateResult:
    ref, path, content, evaluation = _prepared(top, None, request)
    if git.resolve(top, "HEAD") and git.has_local_changes(top, [path]):
        raise InvalidInputError(f"{path} has uncommitted changes; commit or discard them first")
    with transaction.restoring(top, [path], command=f"evaluate {ref}"):
        (top / path).write_bytes(content)
        faults.point("evaluate:written")
        commit = git.commit(top, commit_message(ref, evaluation), [path])
    return EvaluateResult(ref=ref, manifest=path, evaluation=evaluation, commit=commit)


def _propose(top: Path, request: EvaluateRequest, *, say: Callable[[str], None]) -> EvaluateResult:
    begun = proposal.start(top, request.options)
    try:
        ref, path, content, evaluation = _prepared(top, begun.commit, request)
    except NotFoundError:
        begun.refuse_unlanded(request.ref, "evaluate")
        raise
    dataset = evaluation.dataset
    slug = f"{dataset.name}-{dataset.version}" if dataset.version else dataset.name
    name, version = ref.split("@", 1)
    where = proposal.target(
        top, begun, request.options, default_branch=branch_name(f"evaluate/{name}-{version}-{slug}")
    )
    message = commit_message(ref, evaluation)
    result = proposal.propose(
        where,
        request.options,
        files={path: content},
        message=message,
        title=message.split("\n", 1)[0],
        body=_body(ref, evaluation),
        command=f"evaluate {ref}",
        say=say,
    )
    return EvaluateResult(
        ref=ref, manifest=path, evaluation=evaluation, commit=result.commit, proposal=result
    )


def branch_name(text: str) -> str:
    """``text`` with every character a branch name should not hold replaced by ``-``."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_./") else "-" for c in text)[:200]


def commit_message(ref: str, evaluation: Evaluation) -> str:
    """Subject naming the version and dataset; the note; trailers a delivery pipeline can read."""
    on = _dataset_text(evaluation.dataset)
    lines = [f"evaluate {ref} on {on}", ""]
    if evaluation.note:
        lines += [evaluation.note.strip(), ""]
    name, version = ref.split("@", 1)
    lines += [f"Modelreg-Model: {name}", f"Modelreg-Version: {version}", f"Modelreg-Dataset: {on}"]
    return "\n".join(lines) + "\n"


def _dataset_text(dataset: Dataset) -> str:
    return f"{dataset.name}@{dataset.version}" if dataset.version else dataset.name


def _body(ref: str, evaluation: Evaluation) -> str:
    """The pull request's description: every author-given string escaped for Markdown."""
    rows = "\n".join(
        f"| {escape.markdown_cell(k)} | {number(v)} |" for k, v in sorted(evaluation.metrics.items())
    )
    on = escape.markdown_code(_dataset_text(evaluation.dataset))
    note = f"\n\n{escape.markdown_text(evaluation.note)}" if evaluation.note else ""
    kind = escape.markdown_text(evaluation.kind)
    return (
        f"Evaluation of {escape.markdown_code(ref)} on {on} ({kind}).{note}\n\n"
        f"| metric | value |\n|---|---|\n{rows}\n"
    )
