"""Reading a GTO registry (annotated Git tags) into an import plan.

GTO keeps its state in annotated tags, each an event at its tagger's date:
``NAME@vX.Y.Z`` registers a version (the tagged commit holds the artifact, at the path
``artifacts.yaml`` or ``dvc.yaml``'s ``artifacts:`` gives), ``NAME#STAGE#N`` assigns a stage
(``NAME#STAGE`` in simple notation), ``NAME#STAGE!#N`` unassigns it, ``NAME@vX.Y.Z!``
deregisters a version and ``NAME@deprecated`` deprecates the artifact. They are replayed in
the order GTO itself reads them: by tagger date, then by the assignment counter.

In modelreg a version stands in one stage at a time: an assignment moves it there; an
unassignment returns it to the initial stage; a deregistration archives it; a deprecation
moves every version of the model to ``deprecated`` (``archived`` when there is no such stage).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from modelreg.adapters import proc
from modelreg.documents import yamlio
from modelreg.domain.errors import DocumentError, ExternalCommandError, InvalidInputError, first_error
from modelreg.domain.models import ModelFacts, RegistryConfig
from modelreg.operations.importing.plan import (
    MAX_TAGS,
    Author,
    ImportEvent,
    ImportPlan,
    Registration,
    Source,
    SourceFile,
    checked_manifest,
    mapped_names,
)

# GTO's usual stage names and this registry's
SYNONYMS = {"prod": "production", "dev": "development", "stage": "staging", "stg": "staging"}
_VERSION = r"v?(?P<version>\d{1,9}\.\d{1,9}\.\d{1,9}(?:[-+][0-9A-Za-z.+-]{0,100})?)"
_TAGS = [
    ("deregister", re.compile(rf"^(?P<name>[^@#]+)@{_VERSION}!$")),
    ("register", re.compile(rf"^(?P<name>[^@#]+)@{_VERSION}$")),
    ("deprecate", re.compile(r"^(?P<name>[^@#]+)@deprecated$")),
    ("unassign", re.compile(r"^(?P<name>[^@#]+)#(?P<stage>[^#!]+)!#(?P<n>\d{1,9})$")),
    ("assign", re.compile(r"^(?P<name>[^@#]+)#(?P<stage>[^#!]+)(?:#(?P<n>\d{1,9}))?$")),
]
_MESSAGE_VERSION = re.compile(r"version '?v?(\d+\.\d+\.\d+[^' ]*)'?")
_FORMAT = (
    "%00".join(
        [
            "%(refname:strip=2)",
            "%(objecttype)",
            "%(*objectname)",
            "%(taggername)",
            "%(taggeremail)",
            "%(taggerdate:unix)",
            "%(contents:subject)",
        ]
    )
    + "%00"
)


@dataclass
class GtoTag:
    tag: str
    action: str
    artifact: str
    commit: str
    author: Author
    when: datetime
    subject: str
    version: str = ""
    stage: str = ""
    counter: int = 0


def read_tags(source: Path) -> tuple[list[GtoTag], list[str]]:
    """GTO's annotated tags in ``source``, in GTO's order, and a line for each tag that looks
    like GTO's but cannot be read."""
    try:
        out = proc.output(["git", "for-each-ref", f"--format={_FORMAT}", "refs/tags"], cwd=source)
    except ExternalCommandError as e:
        raise InvalidInputError(f"--repo {source}: not a Git repository GTO could use ({e})") from None
    fields = out.split("\0")
    tags, odd = [], []
    for i in range(0, len(fields) - 7, 7):
        tag, kind, commit, name, email, unix, subject = (f.strip() for f in fields[i : i + 7])
        parsed = _parse(tag)
        if parsed is None:
            if "@" in tag or "#" in tag:
                odd.append(f"tag {tag!r} is not one GTO writes; ignored")
            continue
        if kind != "tag":
            odd.append(f"tag {tag!r} is a lightweight tag, which GTO ignores; ignored")
            continue
        action, groups = parsed
        tags.append(
            GtoTag(
                tag=tag,
                action=action,
                artifact=groups["name"],
                commit=commit,
                author=Author(name=name[:200], email=email.strip("<>")[:200]),
                when=_tagger_date(tag, unix),
                subject=subject,
                version=groups.get("version") or "",
                stage=groups.get("stage") or "",
                counter=int(groups.get("n") or 0),
            )
        )
    return in_gto_order(tags, _topological(source)), odd


MAX_UNIX = 253_402_300_799  # 9999-12-31T23:59:59Z


def _tagger_date(tag: str, unix: str) -> datetime:
    """The tagger's date of ``tag``; InvalidInputError for one that is no date (Git keeps what
    the tagger wrote: 99999999999999 is year 3 million)."""
    if not unix.isdigit() or len(unix) > 12 or not 0 < int(unix) <= MAX_UNIX:
        raise InvalidInputError(
            f"tag {tag!r}: its tagger date {unix[:30]!r} is not a date between 1970 and 9999; "
            "recreate the tag (GTO would misorder it too)"
        )
    return datetime.fromtimestamp(int(unix), tz=timezone.utc)


class Annotation(BaseModel):
    """An artifact's entry in GTO's artifacts.yaml (or dvc.yaml's ``artifacts:``), type-checked."""

    model_config = ConfigDict(strict=True, extra="ignore")

    path: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    type: Annotated[str, StringConstraints(max_length=200)] | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    labels: Annotated[
        list[Annotated[str, StringConstraints(max_length=200)]], Field(max_length=MAX_TAGS)
    ] = []


def in_gto_order(tags: list[GtoTag], position: dict[str, int]) -> list[GtoTag]:
    """``tags`` in the order they happened: by tagger date (a second's resolution), and within
    one second by the order of the commits they tag (``position``: a commit's index in topological
    order; a later commit was tagged later), but one artifact's stage tags (``#N``) always in the
    order of their counter, which GTO increments with each one."""
    order = {"register": 0, "assign": 1, "unassign": 1, "deregister": 2, "deprecate": 3}
    tags = sorted(tags, key=lambda t: (t.when, order[t.action], position.get(t.commit, 0), t.counter, t.tag))
    slots: dict[str, list[int]] = {}
    for i, tag in enumerate(tags):
        if tag.counter:
            slots.setdefault(tag.artifact, []).append(i)
    for indexes in slots.values():
        for i, tag in zip(indexes, sorted((tags[i] for i in indexes), key=lambda t: t.counter), strict=True):
            tags[i] = tag
    return tags


def _topological(source: Path) -> dict[str, int]:
    """Each commit's index in the repository's topological order, oldest first."""
    out = proc.output(["git", "rev-list", "--topo-order", "--reverse", "--all"], cwd=source)
    return {commit: i for i, commit in enumerate(out.split())}


def _parse(tag: str) -> tuple[str, dict[str, Any]] | None:
    for action, pattern in _TAGS:
        m = pattern.match(tag)
        if m:
            return action, m.groupdict()
    return None


def plan_gto(
    source: Path,
    *,
    config: RegistryConfig,
    present: set[tuple[str, str]],
    imported: set[str],
    stage_map: dict[str, str],
) -> ImportPlan:
    """The import plan for the GTO registry in the Git repository ``source``."""
    if not (source / ".git").exists() and not (source / "HEAD").exists():
        raise InvalidInputError(f"--repo {source}: no Git repository there")
    plan = ImportPlan(source="gto")
    tags, odd = read_tags(source)
    plan.unmapped += odd
    names = mapped_names(plan, [Source("gto", a) for a in sorted({t.artifact for t in tags})])
    state = _State(
        plan=plan, source=source, config=config, present=present, imported=imported, stage_map=stage_map
    )
    for tag in tags:
        name = names.get(Source("gto", tag.artifact))
        if name is not None:
            state.take(tag, name)
    return plan


@dataclass
class _State:
    """What the replay of GTO's tags has established so far."""

    plan: ImportPlan
    source: Path
    config: RegistryConfig
    present: set[tuple[str, str]]
    imported: set[str]
    stage_map: dict[str, str]

    def __post_init__(self) -> None:
        self.versions: dict[str, list[str]] = {}  # model -> versions imported or importable
        self.by_commit: dict[tuple[str, str], str] = {}  # (artifact, commit) -> version

    def take(self, tag: GtoTag, name: str) -> None:
        if tag.action == "register":
            self._register(tag, name)
            return
        if tag.action == "deprecate":
            target = "deprecated" if "deprecated" in self.config.stages else "archived"
            for version in self.versions.get(name, []):
                self._move(tag, name, version, target, key=f"gto:{tag.tag}:{version}")
            return
        version = (
            tag.version or self.by_commit.get((tag.artifact, tag.commit)) or _message_version(tag.subject)
        )
        if not version or version not in self.versions.get(name, []):
            self.plan.unmapped.append(f"tag {tag.tag!r}: names no version this import holds; ignored")
            return
        if tag.action == "deregister":
            self._move(tag, name, version, "archived", key=f"gto:{tag.tag}")
        elif tag.action == "assign":
            self._move(tag, name, version, self._stage(tag.stage), key=f"gto:{tag.tag}", gto_stage=tag.stage)
        else:  # unassign: back to the initial stage, if it still stands in that stage
            stage = self._stage(tag.stage)
            self._move(tag, name, version, self.config.initial_stage, key=f"gto:{tag.tag}", only_from=stage)

    def _stage(self, gto_stage: str) -> str:
        stage = self.stage_map.get(gto_stage) or gto_stage
        return stage if stage in self.config.stages else SYNONYMS.get(stage, stage)

    def _move(
        self,
        tag: GtoTag,
        name: str,
        version: str,
        stage: str,
        *,
        key: str,
        gto_stage: str = "",
        only_from: str | None = None,
    ) -> None:
        if key in self.imported:
            self.plan.already += 1
            return
        if stage not in self.config.stages:
            self.plan.unmapped.append(
                f"tag {tag.tag!r}: registry.yaml has no stage {stage!r}; "
                f"map it with --stage-map {gto_stage or stage}=STAGE"
            )
            return
        self.plan.events.append(
            ImportEvent(
                key=key,
                when=tag.when,
                author=tag.author,
                model=name,
                version=version,
                source=Source("gto", tag.artifact),
                to_stage=stage,
                why=f"GTO tag {tag.tag}",
                only_from=only_from,
            )
        )

    def _register(self, tag: GtoTag, name: str) -> None:
        version, key = tag.version, f"gto:{tag.tag}"
        self.by_commit[(tag.artifact, tag.commit)] = version
        if key in self.imported:
            self.plan.already += 1
            self.versions.setdefault(name, []).append(version)
            return
        if (name, version) in self.present:
            self.plan.unmapped.append(
                f"tag {tag.tag!r}: {name}@{version} is already in the registry; left as it is"
            )
            self.versions.setdefault(name, []).append(version)
            return
        found = self._artifact(tag)
        if found is None:
            return
        annotation, path, files = found
        data: dict[str, Any] = {
            "name": name,
            "version": version,
            "created_at": tag.when,
            "created_by": str(tag.author),
            "description": annotation.description or "",
            "tags": annotation.labels,
            "code": {"commit": tag.commit, "path": path},
            "custom": {"gto": {"tag": tag.tag, "type": annotation.type, "artifact": tag.artifact}},
        }
        refused = checked_manifest(data, files)
        if refused:
            self.plan.unmapped.append(f"tag {tag.tag!r}: {refused}; not imported")
            return
        first = not any(n == name for n, _ in self.present) and not self.versions.get(name)
        facts = ModelFacts(name=name, description=annotation.description or "") if first else None
        self.versions.setdefault(name, []).append(version)
        self.plan.events.append(
            ImportEvent(
                key=key,
                when=tag.when,
                author=tag.author,
                model=name,
                version=version,
                source=Source("gto", tag.artifact),
                registration=Registration(manifest=data, files=files, facts=facts),
                why=f"GTO tag {tag.tag}",
            )
        )

    def _artifact(self, tag: GtoTag) -> tuple[Annotation, str, list[SourceFile]] | None:
        """The tagged artifact's annotation, path and files; None (and a line) when it has none."""
        entry, unreadable = _annotation(self.source, tag.commit, tag.artifact)
        if unreadable:
            self.plan.unmapped.append(f"tag {tag.tag!r}: {unreadable}; not imported")
            return None
        if not entry or not entry.get("path"):
            self.plan.unmapped.append(
                f"tag {tag.tag!r}: artifacts.yaml (or dvc.yaml) at {tag.commit[:12]} gives "
                f"{tag.artifact!r} no path; not imported"
            )
            return None
        try:
            annotation = Annotation.model_validate(entry)
        except ValidationError as e:
            self.plan.unmapped.append(
                f"tag {tag.tag!r}: the annotation of {tag.artifact!r} at {tag.commit[:12]} is malformed "
                f"({first_error(e)}); not imported"
            )
            return None
        path = annotation.path
        files = _files(self.source, tag.commit, path)
        if not files:
            hint = (
                " (tracked by DVC there: pull it and register it by hand)"
                if _exists(self.source, tag.commit, path + ".dvc")
                else ""
            )
            self.plan.unmapped.append(
                f"tag {tag.tag!r}: {path} is not in Git at {tag.commit[:12]}{hint}; not imported"
            )
            return None
        return annotation, path, files


def _message_version(subject: str) -> str:
    m = _MESSAGE_VERSION.search(subject)
    return m.group(1) if m else ""


def _show(source: Path, commit: str, path: str) -> bytes | None:
    result = proc.run(["git", "cat-file", "blob", f"{commit}:{path}"], cwd=source, check=False)
    return result.stdout if result.returncode == 0 else None


def _exists(source: Path, commit: str, path: str) -> bool:
    return _show(source, commit, path) is not None


def _annotation(source: Path, commit: str, artifact: str) -> tuple[dict[str, Any], str]:
    """The artifact's entry in ``artifacts.yaml`` (or ``dvc.yaml``'s ``artifacts:``) at ``commit``,
    and why that file cannot be read, if it cannot."""
    for file, section in (("artifacts.yaml", None), ("dvc.yaml", "artifacts")):
        raw = _show(source, commit, file)
        if raw is None:
            continue
        try:
            data = yamlio.load(raw, file)
        except DocumentError as e:
            return {}, f"{file} at {commit[:12]} cannot be read ({e.detail})"
        if section and isinstance(data, dict):
            data = data.get(section)
        if isinstance(data, dict) and isinstance(data.get(artifact), dict):
            entry: dict[str, Any] = data[artifact]
            return entry, ""
    return {}, ""


def _files(source: Path, commit: str, path: str) -> list[SourceFile]:
    """The files Git holds at ``path`` in ``commit`` (a file, or every file of a folder), each
    named below the version's folder by ``path``'s last component."""
    path = path.strip("/")
    out = proc.run(["git", "ls-tree", "-r", "-z", "-l", commit, "--", path], cwd=source, check=False)
    base = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
    files = []
    for entry in out.stdout.decode(errors="replace").split("\0"):
        if not entry:
            continue
        meta, _, rel = entry.partition("\t")
        mode, kind, blob, size = meta.split()
        if kind != "blob" or not (rel == path or rel.startswith(path + "/")):
            continue
        files.append(SourceFile(path=rel[len(base) :], size=int(size), read=_blob_reader(source, blob)))
    return files


def _blob_reader(source: Path, blob: str) -> Any:
    return lambda: proc.run(["git", "cat-file", "blob", blob], cwd=source).stdout
