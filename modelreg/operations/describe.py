"""``modelreg describe``: change a model's facts (description, owner, tags) in its model.yaml.

A model's facts are written once by its first ``register`` and edited here, by pull request
(as ``deploy`` and ``evaluate`` propose their changes) or, with ``commit=True``, by a commit on
the current branch. The new model.yaml is checked against its schema before anything is
written; when the owner changes and the registry keeps a generated ``.github/CODEOWNERS``,
the same change regenerates it (``check`` refuses a stale one), so the new owner's review
rule lands with the owner.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ValidationError

from modelreg.adapters import git
from modelreg.documents import factsfile
from modelreg.domain import escape, faults, refs
from modelreg.domain.errors import InvalidInputError, NotFoundError
from modelreg.domain.layout import CODEOWNERS_FILE, facts_path
from modelreg.domain.models import ModelFacts
from modelreg.operations import codeowners, proposal, transaction
from modelreg.operations.evaluate import branch_name
from modelreg.operations.proposal import ProposalOptions, ProposalResult
from modelreg.queries.catalog import Catalog


class DescribeRequest(BaseModel):
    """What to change of model ``name``'s facts (None: keep), and how to record it."""

    name: str
    description: str | None = None
    owner: str | None = None  # "" removes the owner
    add_tags: list[str] = []
    remove_tags: list[str] = []
    reason: str = ""
    commit: bool = False  # commit on the current branch instead of proposing a branch
    options: ProposalOptions = ProposalOptions()


class DescribeResult(BaseModel):
    name: str
    before: ModelFacts
    after: ModelFacts
    changed: list[str]  # what changed, in words: "description", "owner @a -> @b", "+tag x"
    files: list[str]  # the files the change writes (model.yaml, and CODEOWNERS when it follows)
    commit: str
    proposal: ProposalResult | None = None  # None when committed directly


class _Change(BaseModel):
    before: ModelFacts
    after: ModelFacts
    changed: list[str]
    files: dict[str, bytes]


def describe(
    path: Path | str, request: DescribeRequest, *, say: Callable[[str], None] = lambda _: None
) -> DescribeResult:
    """Change model ``request.name``'s facts as ``request`` says: all of it, or nothing."""
    top = git.root(path)
    transaction.recover(top)
    if request.commit:
        return _commit_directly(top, request)
    return _propose(top, request, say=say)


def _prepared(top: Path, rev: str | None, request: DescribeRequest) -> _Change:
    """The facts before and after, and the new text of every file the change writes."""
    name = refs.check_name(request.name)
    registry = Catalog(top, rev=rev) if rev else Catalog(top)
    registry.model(name)  # NotFoundError for an unknown model, DocumentError for a broken one
    snap = registry.model_snapshot(name)
    before = snap.facts.get(name) or ModelFacts(name=name)
    after = _edited(before, request)
    changed = _changes(before, after)
    if not changed:
        raise InvalidInputError(f"{facts_path(name)} already says so; nothing to change")
    files = {facts_path(name): factsfile.render(after).encode()}
    if after.owner != before.owner:
        files.update(_codeowners(top, rev, name, after.owner))
    return _Change(before=before, after=after, changed=changed, files=files)


def _edited(before: ModelFacts, request: DescribeRequest) -> ModelFacts:
    """``before`` with the request's changes, checked against model.yaml's schema. An owner or
    a tag is one line of text: it lands in CODEOWNERS, commit subjects and table cells."""
    for option, texts in (("--owner", [request.owner or ""]), ("--tag", request.add_tags)):
        for text in texts:
            if escape.terminal(text) != text:  # what a terminal would show escaped
                shown = escape.terminal(text)[:60]
                raise InvalidInputError(
                    f"{option} {shown!r}: one line of text, without control or bidirectional characters"
                )
    unknown = [t for t in request.remove_tags if t not in before.tags]
    if unknown:
        have = ", ".join(before.tags) or "none"
        raise InvalidInputError(f"--remove-tag {unknown[0]!r}: the model has no such tag (its tags: {have})")
    tags = [t for t in before.tags if t not in request.remove_tags]
    tags += [t for t in dict.fromkeys(request.add_tags) if t not in tags]
    data = before.model_dump()
    if request.description is not None:
        data["description"] = request.description
    if request.owner is not None:
        data["owner"] = request.owner.strip() or None
    data["tags"] = tags
    try:
        return ModelFacts.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        option = {"description": "--description", "owner": "--owner", "tags": "--tag"}.get(
            str(first["loc"][0]) if first["loc"] else "", "a value"
        )
        raise InvalidInputError(f"{option}: {first['msg']}") from None


def _changes(before: ModelFacts, after: ModelFacts) -> list[str]:
    found = []
    if after.description != before.description:
        found.append("description")
    if after.owner != before.owner:
        found.append(f"owner {before.owner or '(none)'} -> {after.owner or '(none)'}")
    found += [f"+tag {t}" for t in after.tags if t not in before.tags]
    found += [f"-tag {t}" for t in before.tags if t not in after.tags]
    return found


def _codeowners(top: Path, rev: str | None, name: str, owner: str | None) -> dict[str, bytes]:
    """The regenerated CODEOWNERS, when the registry keeps one (``check`` refuses a stale one)."""
    registry = Catalog(top, rev=rev) if rev else Catalog(top)
    snap = registry.snapshot
    if snap.tree.read(CODEOWNERS_FILE) is None:
        return {}
    owners = {model: facts.owner for model, facts in snap.facts.items()}
    owners[name] = owner
    stages_owner = snap.config.stages_owner if snap.config else None
    return {CODEOWNERS_FILE: codeowners.render_owners(stages_owner, owners).encode()}


def commit_message(name: str, changed: list[str], reason: str) -> str:
    """Subject naming the model and what changed; the reason; the trailer naming the model."""
    lines = [f"describe {name}: {', '.join(changed)}"[:200], ""]
    if reason.strip():
        lines += [reason.strip(), ""]
    lines.append(f"Modelreg-Model: {name}")
    return "\n".join(lines) + "\n"


def _body(name: str, change: _Change, reason: str) -> str:
    """The pull request's description: every author-given string escaped for Markdown."""
    items = []
    if change.after.description != change.before.description:
        items.append(f"- description: {escape.markdown_text(change.after.description) or '(empty)'}")
    items += [f"- {escape.markdown_text(c)}" for c in change.changed if c != "description"]
    if CODEOWNERS_FILE in change.files:
        items.append(f"- {escape.markdown_code(CODEOWNERS_FILE)} regenerated for the new owner")
    text = f"Changes the facts of model {escape.markdown_code(name)}:\n\n" + "\n".join(items) + "\n"
    return f"{escape.markdown_text(reason.strip())}\n\n{text}" if reason.strip() else text


def _commit_directly(top: Path, request: DescribeRequest) -> DescribeResult:
    change = _prepared(top, None, request)
    paths = list(change.files)
    for rel in paths:
        proposal.check_commit_allowed(top, rel)
    name = request.name
    with transaction.restoring(top, paths, command=f"describe {name}"):
        for rel, content in change.files.items():
            (top / rel).parent.mkdir(parents=True, exist_ok=True)
            (top / rel).write_bytes(content)
        faults.point("describe:written")
        commit = git.commit(top, commit_message(name, change.changed, request.reason), paths)
    return _result(name, change, commit, None)


def _propose(top: Path, request: DescribeRequest, *, say: Callable[[str], None]) -> DescribeResult:
    begun = proposal.start(top, request.options)
    try:
        change = _prepared(top, begun.commit, request)
    except NotFoundError:
        begun.refuse_unlanded(f"model {request.name}", "describe")
        raise
    name = request.name
    message = commit_message(name, change.changed, request.reason)
    where = proposal.target(top, begun, request.options, default_branch=branch_name(f"describe/{name}"))
    result = proposal.propose(
        where,
        request.options,
        files=change.files,
        message=message,
        title=message.split("\n", 1)[0],
        body=_body(name, change, request.reason),
        command=f"describe {name}",
        say=say,
    )
    return _result(name, change, result.commit, result)


def _result(name: str, change: _Change, commit: str, proposed: ProposalResult | None) -> DescribeResult:
    return DescribeResult(
        name=name,
        before=change.before,
        after=change.after,
        changed=change.changed,
        files=list(change.files),
        commit=commit,
        proposal=proposed,
    )
