"""The history engine: the registry's audit trail read from ``git log --first-parent``.

One streamed pass over the first-parent log of ``models/`` and ``registry.yaml``, file
contents through one ``cat-file --batch`` process, turns each commit into typed events:
a version registered, a version's stage changed, a model's facts or the registry's policy
changed, and violations (changes the write-once rule or the stage transitions forbid that
reached the branch anyway). ``history_cache`` keeps the result under ``.git/modelreg/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from modelreg.adapters import git
from modelreg.domain.errors import DocumentError
from modelreg.domain.layout import MODELS_DIR, REGISTRY_FILE, classify
from modelreg.history.approval import AuditRecord, record_of
from modelreg.history.steps import STEP_KINDS, Step, steps_of
from modelreg.rules.writeonce import appended_evaluations

if TYPE_CHECKING:
    from modelreg.domain.models import RegistryConfig
    from modelreg.history.marks import Judge

Earlier = Callable[[str], list[Step]]

HISTORY_PATHS = [MODELS_DIR, REGISTRY_FILE]
TRAILER_PREFIX = "Modelreg-"
DEFAULT_INITIAL_STAGE = "development"

EventKind = Literal[
    "registered",
    "stage_changed",
    "evaluation_added",
    "deployed",
    "undeployed",
    "model_updated",
    "policy_changed",
    "violation",
]


class CommitInfo(BaseModel):
    """Who made a commit, when (with time zones), why, and through which pull request."""

    model_config = ConfigDict(defer_build=True)

    sha: str
    parents: list[str] = []
    author_name: str
    author_email: str
    author_date: datetime
    committer_name: str
    committer_email: str
    commit_date: datetime
    subject: str
    pr: int | None = None
    trailers: dict[str, str] = {}
    # who asked, who approved, why: filled by ``approval.record_of``, read through ``audit``
    requested_by: str | None = None  # the author of the change's own commit
    approved_by: str | None = None  # who merged it: a merge's author, a squash's committer
    reviewers: list[str] = []  # Reviewed-by: and Approved-by: trailers
    reason: str = ""  # the body of the change's own commit, without its trailers
    parent_date: datetime | None = None  # the first parent's commit date (None for a root)

    @property
    def short(self) -> str:
        return self.sha[:8]

    @property
    def audit(self) -> AuditRecord:
        """Who asked, who approved, which pull request, why: what every view shows of a change."""
        return AuditRecord(
            requested_by=self.requested_by or f"{self.author_name} <{self.author_email}>",
            approved_by=self.approved_by,
            reviewers=self.reviewers,
            pr=self.pr,
            reason=self.reason,
        )


class EventChange(BaseModel):
    """What one event changed; ``Event`` adds the commit that changed it."""

    model_config = ConfigDict(populate_by_name=True, defer_build=True)

    kind: EventKind
    model: str | None = None
    version: str | None = None
    from_stage: str | None = Field(default=None, alias="from")
    to_stage: str | None = Field(default=None, alias="to")
    rule: str | None = None
    environment: str | None = None  # deployed, undeployed: where
    previous: str | None = None  # deployed: the version the environment ran before
    detail: str = ""


class Event(EventChange):
    """One entry of the audit trail."""

    commit: CommitInfo

    @property
    def ref(self) -> str | None:
        return f"{self.model}@{self.version}" if self.model and self.version else self.model


class CommitRecord(BaseModel):
    """One commit of the first-parent chain and its events: a pure function of its id."""

    model_config = ConfigDict(defer_build=True)

    commit: CommitInfo
    changes: list[EventChange] = []
    registry_blob: str | None = None  # set when the commit changed registry.yaml

    def events(self) -> list[Event]:
        return [Event(commit=self.commit, **c.model_dump()) for c in self.changes]


class Reader:
    """Turns log commits into records, reading each needed blob once through one cat-file."""

    def __init__(
        self, blobs: git.BlobReader, registry_blob: str | None, earlier: Earlier | None = None
    ) -> None:
        self._blobs = blobs
        self._parsed: dict[str, Any] = {}
        self._raw: dict[str, bytes] = {}
        self._policy: tuple[str | None, RegistryConfig | None] | None = None
        self.registry_blob = registry_blob
        self.previous: tuple[str, str] | None = None  # (commit, commit date) the walk read last
        self._earlier = earlier  # a model's steps before the walk began (a walk after ``exclude``)
        self._steps: dict[str, list[Step]] = {}  # a model's steps the walk has passed
        self._judge: Judge | None = None

    def passed(self, record: CommitRecord) -> None:
        """Note ``record``'s steps: a later commit's return to a stage is judged by them."""
        for c in record.changes:
            if c.model is not None and c.kind in STEP_KINDS:
                self._steps.setdefault(c.model, []).append(
                    Step(record.commit.sha, c.kind, c.version, c.from_stage, c.to_stage)
                )

    def steps(self, model: str) -> list[Step]:
        """``model``'s steps on the chain before the commit being read, oldest first."""
        before = self._earlier(model) if self._earlier is not None else []
        return [*before, *self._steps.get(model, [])]

    @property
    def judge(self) -> Judge:
        if self._judge is None:
            from modelreg.history.marks import Judge  # only a cold read judges moves

            self._judge = Judge(self._fetch, self._load, self.steps)
        return self._judge

    @property
    def policy(self) -> RegistryConfig | None:
        """registry.yaml as of the commit being read, parsed when first needed; None when there
        is none or it is not valid (then no move is marked: nothing was in force to break)."""
        if self._policy is None or self._policy[0] != self.registry_blob:
            from modelreg.domain.models import RegistryConfig  # only a cold read judges moves

            try:
                data = self._load(self.registry_blob, REGISTRY_FILE) if self.registry_blob else None
                config = RegistryConfig.model_validate(data) if data is not None else None
            except (DocumentError, ValidationError):
                config = None
            self._policy = (self.registry_blob, config)
        return self._policy[1]

    def record(self, entry: git.LogCommit) -> CommitRecord:
        self._prefetch(entry)
        record = CommitRecord(commit=self._commit_info(entry))
        policy_changes = [c for c in entry.changes if c.path == REGISTRY_FILE]
        for change in policy_changes:
            record.changes.extend(self._policy_changes(change))
        # moves are judged by the policy in force before the commit, as check judges a pull request
        record.changes.extend(self._model_changes(entry))
        for change in policy_changes:
            record.registry_blob = self.registry_blob = change.new_blob
        record.changes.extend(untrusted_marks(record))
        return record

    def _prefetch(self, entry: git.LogCommit) -> None:
        """Every blob this commit needs (and its merged-in trailers) in one round trip."""
        wanted = []
        for change in entry.changes:
            kind = classify(change.path).kind
            if (
                change.path == REGISTRY_FILE
                or kind in {"stages", "facts", "deployments"}
                or (kind == "manifest" and change.status == "M")
            ):
                wanted += [change.old_blob, change.new_blob]
        wanted = [b for b in wanted if b not in self._parsed]
        if self.policy is not None:  # what judging the commit's moves reads (``history.marks``)
            for model in sorted({classify(c.path).model for c in entry.changes if _judged(c.path)}):
                folder = f"{MODELS_DIR}/{model}"
                wanted += [f"{entry.sha}:{folder}", f"{entry.sha}:{folder}/deployments.yaml"]
                wanted += [f"{parent}:{folder}" for parent in entry.parents[:1]]
                wanted += [f"{entry.sha}:{folder}/stages.yaml"]
        if len(entry.parents) > 1:  # the merged branch's tip: trailers, requester, reason
            wanted += entry.parents[1:2]
        if entry.parents and (self.previous is None or self.previous[0] != entry.parents[0]):
            wanted += entry.parents[:1]  # its date (a walk narrowed to paths skips commits)
        self._raw = self._blobs.read(wanted)

    def _fetch(self, names: list[str]) -> dict[str, bytes]:
        """Objects by name (``REV:PATH`` too), those not read yet in one round trip; kept for
        ``_load`` until the next commit is read."""
        self._raw.update(self._blobs.read([n for n in names if n not in self._raw]))
        return {n: self._raw[n] for n in names if n in self._raw}

    def _commit_info(self, entry: git.LogCommit) -> CommitInfo:
        subject = entry.message.strip().split("\n", 1)[0]
        found = git.trailers(entry.message)
        merged_tip = self._raw.get(entry.parents[1]) if len(entry.parents) > 1 else None
        audit = record_of(entry, merged_tip)
        if merged_tip is not None:
            merged = git.trailers(git.message_of(merged_tip))
            found = {**{k: v for k, v in merged.items() if k.startswith(TRAILER_PREFIX)}, **found}
        parent_date = None
        if entry.parents:
            if self.previous is not None and self.previous[0] == entry.parents[0]:
                parent_date = datetime.fromisoformat(self.previous[1])
            elif entry.parents[0] in self._raw:
                parent_date = git.committer_date_of(self._raw[entry.parents[0]])
        return CommitInfo(
            parent_date=parent_date,
            requested_by=audit.requested_by,
            approved_by=audit.approved_by,
            reviewers=audit.reviewers,
            reason=audit.reason,
            sha=entry.sha,
            parents=entry.parents,
            author_name=entry.author_name,
            author_email=entry.author_email,
            author_date=datetime.fromisoformat(entry.author_date),
            committer_name=entry.committer_name,
            committer_email=entry.committer_email,
            commit_date=datetime.fromisoformat(entry.commit_date),
            subject=subject,
            pr=audit.pr,
            trailers=found,
        )

    def _load(self, blob: str, path: str) -> Any:
        """The parsed YAML of ``blob`` (None when absent); DocumentError when it does not parse."""
        if blob == git.NULL_BLOB:
            return None
        if blob not in self._parsed:
            from modelreg.documents import yamlio  # only a cold read parses YAML

            raw = self._raw.get(blob)
            if raw is None:
                raw = self._blobs.read([blob]).get(blob, b"")
            try:
                self._parsed[blob] = yamlio.load(raw, path)
            except DocumentError as e:
                self._parsed[blob] = e
        value = self._parsed[blob]
        if isinstance(value, DocumentError):
            raise value
        return value

    def _policy_changes(self, change: git.FileChange) -> list[EventChange]:
        try:
            old = self._load(change.old_blob, REGISTRY_FILE)
            new = self._load(change.new_blob, REGISTRY_FILE)
        except DocumentError as e:
            return [EventChange(kind="violation", rule="yaml", detail=str(e))]
        detail = "created" if change.status == "A" else _describe_diff(old, new) or "reformatted"
        return [EventChange(kind="policy_changed", detail=detail)]

    def _model_changes(self, entry: git.LogCommit) -> list[EventChange]:
        changes = entry.changes
        found: list[EventChange] = []
        added, deleted = _manifests(changes, "A"), _manifests(changes, "D")
        new_models = {model for model, _ in added}
        staged: dict[str, tuple[Any, Any]] = {}  # model -> its stage lists before and after
        for change in sorted(changes, key=lambda c: (_ORDER.get(classify(c.path).kind, 9), c.path)):
            where = classify(change.path)
            version = (where.model, where.version)
            if where.kind == "manifest":
                found.extend(self._manifest_change(change, where.model, where.version))
            elif where.kind == "stages":
                found.extend(self._stage_changes(change, where.model, deleted))
                staged[where.model] = self._stage_lists(change)
            elif where.kind == "deployments":
                found.extend(self._deployment_changes(change, where.model))
                staged.setdefault(where.model, self._current_lists(entry.sha, where.model))
            elif where.kind == "facts" and not (change.status == "A" and where.model in new_models):
                found.extend(self._facts_change(change, where.model))
            elif where.kind == "pointer" and change.status in "MD" and version not in added | deleted:
                verb = "deleted" if change.status == "D" else "changed"
                found.append(_violation(*version, f"artifact pointer {change.path} {verb} after registering"))
        return found + self._marks(entry, staged)

    def _marks(self, entry: git.LogCommit, staged: dict[str, tuple[Any, Any]]) -> list[EventChange]:
        """The rules ``check --base PARENT`` applies to the commit's changes of stages and
        deployments (``history.marks``); nothing while no valid registry.yaml was in force."""
        config = self.policy
        if config is None:
            return []
        parent = entry.parents[0] if entry.parents else None
        found = []
        for model, (old, new) in sorted(staged.items()):
            for mark in self.judge.marks(config, model, commit=entry.sha, parent=parent, old=old, new=new):
                found.append(
                    EventChange(
                        kind="violation",
                        model=model,
                        version=mark.version,
                        rule=mark.rule,
                        environment=mark.environment,
                        detail=mark.detail,
                    )
                )
        return found

    def _stage_lists(self, change: git.FileChange) -> tuple[Any, Any]:
        """A stages.yaml change's stage lists before and after (None: unreadable, or not a mapping)."""
        return self._lists_of(change.old_blob, change.path), self._lists_of(change.new_blob, change.path)

    def _lists_of(self, blob: str, path: str) -> Any:
        try:
            return _lists(self._load(blob, path))
        except DocumentError:
            return None

    def _current_lists(self, commit: str, model: str) -> tuple[Any, Any]:
        """The model's stage lists at ``commit``, unchanged by it (a deployment-only change)."""
        name = f"{commit}:{MODELS_DIR}/{model}/stages.yaml"
        raw = self._fetch([name]).get(name)
        if raw is None:
            return {}, {}
        from modelreg.documents import yamlio

        try:
            lists = _lists(yamlio.load(raw, name))
        except DocumentError:
            return None, None
        return lists, lists

    def _manifest_change(self, change: git.FileChange, model: str, version: str) -> list[EventChange]:
        if change.status == "A":
            return [EventChange(kind="registered", model=model, version=version)]
        if change.status == "D":
            return [_violation(model, version, f"manifest {change.path} deleted")]
        try:
            old = self._load(change.old_blob, change.path)
            new = self._load(change.new_blob, change.path)
        except DocumentError as e:
            return [_violation(model, version, f"manifest edited in place and unreadable: {e}")]
        appended = appended_evaluations(old, new)
        if appended is None:
            edited = _describe_diff(old, new) or "formatting"
            return [_violation(model, version, f"manifest edited in place: {edited}")]
        return [
            EventChange(kind="evaluation_added", model=model, version=version, detail=_evaluation_text(e))
            for e in appended
        ]

    def _stage_changes(
        self, change: git.FileChange, model: str, deleted: set[tuple[str, str]]
    ) -> list[EventChange]:
        try:
            old = _placement(self._load(change.old_blob, change.path))
            new = _placement(self._load(change.new_blob, change.path))
        except DocumentError as e:
            return [EventChange(kind="violation", model=model, rule="yaml", detail=str(e))]
        config = self.policy
        initial = config.initial_stage if config else DEFAULT_INITIAL_STAGE
        found = []
        for version in sorted(set(old) | set(new), key=_version_key):
            source, target = old.get(version, initial), new.get(version, initial)
            if source == target or (target == initial and (model, version) in deleted):
                continue
            found.append(
                EventChange(
                    kind="stage_changed", model=model, version=version, from_stage=source, to_stage=target
                )
            )
        return found

    def _deployment_changes(self, change: git.FileChange, model: str) -> list[EventChange]:
        """One event per environment whose deployment changed: deployed (a version, or the same
        version with another endpoint or traffic) or undeployed (the entry removed)."""
        try:
            old = _deployed(self._load(change.old_blob, change.path))
            new = _deployed(self._load(change.new_blob, change.path))
        except DocumentError as e:
            return [EventChange(kind="violation", model=model, rule="yaml", detail=str(e))]
        found = []
        for env in sorted(set(old) | set(new)):
            was, now = old.get(env), new.get(env)
            if was == now:
                continue
            if now is None:
                version = str(was.get("version")) if was else None
                found.append(EventChange(kind="undeployed", model=model, version=version, environment=env))
                continue
            previous = str(was.get("version")) if was and was.get("version") is not None else None
            found.append(
                EventChange(
                    kind="deployed",
                    model=model,
                    version=str(now.get("version")),
                    environment=env,
                    previous=previous,
                    detail=_deployment_text(now),
                )
            )
        return found

    def _facts_change(self, change: git.FileChange, model: str) -> list[EventChange]:
        if change.status == "D":
            return [EventChange(kind="model_updated", model=model, detail="model.yaml deleted")]
        try:
            old = self._load(change.old_blob, change.path)
            new = self._load(change.new_blob, change.path)
        except DocumentError as e:
            return [EventChange(kind="violation", model=model, rule="yaml", detail=str(e))]
        detail = "created" if change.status == "A" else _describe_diff(old, new) or "reformatted"
        return [EventChange(kind="model_updated", model=model, detail=detail)]


def _judged(path: str) -> bool:
    """Whether a change of ``path`` has history judge the model's moves and deployments."""
    return classify(path).kind in ("stages", "deployments")


_ORDER = {"manifest": 0, "stages": 1, "deployments": 2, "facts": 3, "pointer": 4}


def _deployed(data: Any) -> dict[str, dict[str, Any]]:
    """environment -> its entry, from a deployments.yaml document (entries that are not mappings
    are skipped: validation reports them)."""
    if not isinstance(data, dict):
        return {}
    return {str(env): entry for env, entry in data.items() if isinstance(entry, dict)}


def _deployment_text(entry: dict[str, Any]) -> str:
    parts = []
    if entry.get("endpoint"):
        parts.append(f"endpoint {entry['endpoint']}")
    traffic = entry.get("traffic")
    if isinstance(traffic, int | float) and not isinstance(traffic, bool):
        parts.append(f"traffic {traffic:g}%")
    return ", ".join(parts)


def _manifests(changes: list[git.FileChange], status: str) -> set[tuple[str, str]]:
    """(model, version) of the manifests ``changes`` add (A) or delete (D)."""
    found = set()
    for change in changes:
        where = classify(change.path)
        if where.kind == "manifest" and change.status == status:
            found.add((where.model, where.version))
    return found


def untrusted_marks(record: CommitRecord) -> list[EventChange]:
    """Marks where the commit's own words can't be trusted: Git's metadata is the
    author's to write, the diff is what happened. The history always follows the diff; a mark
    (a ``violation`` without a version, so no tenure is withheld for it) says which commit's
    words not to trust:

    - ``trailer``: its ``Modelreg-*`` trailers claim a move or a deployment its diff doesn't make;
    - ``subject``: a pull request's subject (``... (#N)`` or ``Merge pull request #N from
      .../promote/NAME-VERSION-STAGE``) names a move or a deployment its diff doesn't make;
    - ``date``: it is dated before its first parent, so `--at` a date may answer wrongly.
    """
    c = record.commit
    found = [
        _mark(model, "trailer", f"the commit's Modelreg trailers claim {text}, which its diff does not do")
        for model, text in _trailer_claims(c.trailers)
        if not _diff_does(record, model, text)
    ]
    found += [
        _mark(
            model or _model_named(record, text),
            "subject",
            f"the pull request's subject claims {text}, which its diff does not do",
        )
        for model, text in _subject_claims(c)
        if not _diff_does(record, model, text)
    ]
    backdated = backdating(c.sha, c.commit_date, c.parent_date)
    if backdated:
        models: list[str | None] = list(dict.fromkeys(ch.model for ch in record.changes if ch.model))
        found += [_mark(model, "date", backdated) for model in models or [None]]
    return found


def backdating(sha: str, date: datetime, parent_date: datetime | None) -> str | None:
    """What a commit dated before its first parent puts in doubt, or None when it is not: a
    date between the two finds this commit (or a later one), whose tree holds its parent's
    changes although the parent is dated after that date. One rule for `history`'s mark and
    `--at`'s note."""
    if parent_date is None or date >= parent_date:
        return None
    return (
        f"commit {sha[:8]} is dated {date.isoformat()}, before its parent ({parent_date.isoformat()}): "
        f"answers `--at` a date between the two may be wrong"
    )


def _mark(model: str | None, rule: str, detail: str) -> EventChange:
    return EventChange(kind="violation", model=model, rule=rule, detail=detail)


def _trailer_claims(t: dict[str, str]) -> list[tuple[str, str]]:
    """(model, claim) for the move and the deployment ``Modelreg-*`` trailers name."""
    model, version = t.get("Modelreg-Model"), t.get("Modelreg-Version")
    if not model or not version:
        return []
    found = []
    source, target = t.get("Modelreg-From"), t.get("Modelreg-To")
    if source and target:
        found.append((model, f"{model}@{version}: {source} -> {target}"))
    env = t.get("Modelreg-Environment")
    if env:
        found.append((model, f"{model}@{version} -> {env}"))
    return found


# what promote, rollback and deploy write as a subject, and the branches they push
_MOVE_SUBJECT = re.compile(r"^(?:promote|rollback) (\S+?)@(\S+): (\S+) -> (\S+?)(?:\s+\(#\d+\))?\s*$")
_DEPLOY_SUBJECT = re.compile(r"^deploy (\S+?)@(\S+) to (\S+?)(?: \(was \S+\))?(?:\s+\(#\d+\))?\s*$")
_PR_BRANCH = re.compile(r"^Merge pull request #\d+ from (?:[^/\s]+/)?(promote|deploy)/(\S+)\s*$")


def _subject_claims(commit: CommitInfo) -> list[tuple[str | None, str]]:
    """(model, claim) for what a pull request's subject says it did: a squash's ``promote
    NAME@VERSION: A -> B (#N)`` or ``deploy NAME@VERSION to ENV (#N)``, or a merge of
    ``promote/NAME-VERSION-STAGE`` or ``deploy/NAME-VERSION-ENV`` (model None: the branch name
    does not say where the name ends)."""
    if commit.pr is None:
        return []
    subject = commit.subject
    if m := _MOVE_SUBJECT.match(subject):
        return [(m.group(1), f"{m.group(1)}@{m.group(2)}: {m.group(3)} -> {m.group(4)}")]
    if m := _DEPLOY_SUBJECT.match(subject):
        return [(m.group(1), f"{m.group(1)}@{m.group(2)} -> {m.group(3)}")]
    if m := _PR_BRANCH.match(subject):
        return [(None, _branch(f"{m.group(1)}/{m.group(2)}"))]
    return []


def _diff_does(record: CommitRecord, model: str | None, claim: str) -> bool:
    """Whether one of the record's events is what ``claim`` (as the claims above word it) says."""
    for c in record.changes:
        ref = f"{c.model}@{c.version}"
        if c.kind == "stage_changed" and claim in (
            f"{ref}: {c.from_stage} -> {c.to_stage}",
            _branch(f"promote/{c.model}-{c.version}-{c.to_stage}"),
        ):
            return True
        if c.kind == "deployed" and claim in (
            f"{ref} -> {c.environment}",
            _branch(f"deploy/{c.model}-{c.version}-{c.environment}"),
        ):
            return True
    return False


def _model_named(record: CommitRecord, branch: str) -> str | None:
    """The model of the record's events a branch ``promote/NAME-...`` names, else the first
    model the diff touches (so that the model's own history shows the mark)."""
    tail = branch.partition("/")[2]
    models = [c.model for c in record.changes if c.model]
    named = [m for m in models if tail.startswith(f"{m}-")]
    return max(named, key=len) if named else next(iter(models), None)


def _branch(text: str) -> str:
    """A branch name as deploy writes one: characters a branch should not hold become ``-``."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_./") else "-" for ch in text)


def _violation(model: str, version: str, detail: str) -> EventChange:
    return EventChange(kind="violation", model=model, version=version, rule="write-once", detail=detail)


def _version_key(version: str) -> Any:
    from modelreg.domain import semver

    return semver.sort_key(version)


def _lists(data: Any) -> dict[str, list[str]] | None:
    """stage -> versions from a stages.yaml document, as the snapshot reads it (None when it is
    not a mapping of stages to a version or a list of them: validation reports it)."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        return None
    lists: dict[str, list[str]] = {}
    for stage, held in data.items():
        if held is None:
            continue
        items = [held] if isinstance(held, str) else held if isinstance(held, list) else None
        if items is None or not all(isinstance(v, str) for v in items):
            return None
        lists[str(stage)] = [str(v) for v in items]
    return lists


def _placement(data: Any) -> dict[str, str]:
    """version -> stage from a stages.yaml document (first stage wins if one is listed twice)."""
    placed: dict[str, str] = {}
    if not isinstance(data, dict):
        return placed
    for stage, held in data.items():
        for version in [held] if isinstance(held, str) else held if isinstance(held, list) else []:
            placed.setdefault(str(version), str(stage))
    return placed


def _evaluation_text(evaluation: Any) -> str:
    dataset = evaluation.get("dataset", {}) if isinstance(evaluation, dict) else {}
    name = dataset.get("name", "?") if isinstance(dataset, dict) else "?"
    version = dataset.get("version") if isinstance(dataset, dict) else None
    return f"evaluated on {name}" + (f"@{version}" if version else "")


def _describe_diff(old: Any, new: Any, prefix: str = "", depth: int = 2) -> str:
    """A short account of what differs between two documents: changed keys, two levels deep."""
    if not isinstance(old, dict) or not isinstance(new, dict) or depth == 0:
        return "" if old == new else prefix.rstrip(".") or "content"
    parts = []
    for key in list(dict.fromkeys([*old, *new])):
        where = f"{prefix}{key}"
        if key not in old:
            parts.append(f"+{where}")
        elif key not in new:
            parts.append(f"-{where}")
        elif old[key] != new[key]:
            if _is_scalar(old[key]) and _is_scalar(new[key]):
                parts.append(f"{where}: {old[key]} -> {new[key]}")
            else:
                parts.append(_describe_diff(old[key], new[key], f"{where}.", depth - 1))
    return "; ".join(p for p in parts if p)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool) and len(str(value)) <= 60


class KnownRecords(Protocol):
    """Records already computed, by commit id."""

    def get(self, sha: str, /) -> CommitRecord | None: ...


def iter_records(
    top: Path,
    tip: str,
    *,
    exclude: str | None = None,
    registry_blob: str | None = None,
    known: KnownRecords | None = None,
    paths: list[str] | None = None,
    earlier: Earlier | None = None,
) -> Iterator[CommitRecord]:
    """Records of ``tip``'s first-parent chain (after ``exclude``), oldest first, one at a time
    (so that a caller need not hold them all).

    ``registry_blob`` is registry.yaml as of ``exclude``; ``known`` holds records already
    computed by commit id: they are reused, not read again. ``paths`` narrows the walk to
    the commits that touch them (and each record to their changes): such records are partial,
    for one question, and are not to be kept.
    """
    if exclude is not None and earlier is None:
        earlier = _steps_before(top, exclude)
    entries = git.first_parent_log(top, tip, paths or HISTORY_PATHS, exclude=exclude)
    yield from _read(top, entries, registry_blob, known if known is not None else {}, earlier)


def model_records(top: Path, tip: str, model: str) -> Iterator[CommitRecord]:
    """The records a question about ``model`` needs, oldest first, without walking the whole
    registry's history: the first-parent commits that touch its folder or registry.yaml, and
    those whose words (their message, or their merged branch's) name it, which may claim a
    move of it their diff does not make. The records are partial (``iter_records``'s
    ``paths``); their events of ``model`` are those of the whole history."""
    paths = [f"{MODELS_DIR}/{model}", REGISTRY_FILE]
    touching = list(git.first_parent_log(top, tip, paths))
    seen = {entry.sha for entry in touching}
    naming = [sha for sha in git.first_parent_naming(top, tip, model) if sha not in seen]
    entries = touching
    if naming:  # they touch none of the paths: their changes there are none
        order = git.first_parent_order(top, tip)
        entries = sorted([*touching, *git.log_commits(top, naming)], key=lambda e: order[e.sha])
    yield from _read(top, entries, None, {})


def _read(
    top: Path,
    entries: Iterable[git.LogCommit],
    registry_blob: str | None,
    known: KnownRecords,
    earlier: Earlier | None = None,
) -> Iterator[CommitRecord]:
    with git.BlobReader(top) as blobs:
        reader = Reader(blobs, registry_blob, earlier)
        for entry in entries:
            record = known.get(entry.sha) or reader.record(entry)
            reader.previous = (entry.sha, entry.commit_date)
            reader.passed(record)
            if record.registry_blob:
                reader.registry_blob = record.registry_blob
            yield record


def _steps_before(top: Path, commit: str) -> Earlier:
    """A model's steps on ``commit``'s first-parent chain, read when first asked for (by a
    return to a stage in a walk that starts after ``commit``): one walk of the model's folder."""
    found: dict[str, list[Step]] = {}

    def steps(model: str) -> list[Step]:
        if model not in found:
            records = iter_records(top, commit, paths=[f"{MODELS_DIR}/{model}", REGISTRY_FILE])
            found[model] = steps_of(events_of(records), model)
        return found[model]

    return steps


def events_of(records: Iterable[CommitRecord]) -> list[Event]:
    """The events of ``records``, in their order."""
    return [event for record in records for event in record.events()]


Warn = Callable[[str], None]
