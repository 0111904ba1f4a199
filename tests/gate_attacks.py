"""Attacks on ``modelreg check`` and an oracle of the soundness invariant that knows nothing of
modelreg's rules (ARCHITECTURE.md, "The gate").

Shared by test_gate_findings.py (one named test per finding) and test_gate_property.py (the
adversarial property test). Everything here reads and writes a real Git repository with real
DVC objects; the oracle reads the YAML itself with ``yaml.safe_load`` and never imports
modelreg's rules. The only parts of modelreg used are the CLI (in-process, through click's
CliRunner) and, to build legitimate registries, ``register`` and ``promote``.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import subprocess
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

SEMVER_FILE = re.compile(r"^models/([^/]+)/(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)\.yaml$")
GATE_RULES = {
    "policy",
    "transition",
    "requirement",
    "capacity",
    "write-once",
    "remote",
    "unsafe-path",
    "deployment",
    "evaluation-date",
}
# The clock skew the invariant allows between an evaluation's date and the commit adding it.
SKEW = timedelta(minutes=10)
GOVERNING = (".gitignore", ".dvcignore", ".gitattributes")
# Code points HFS+ ignores in names (Git's is_hfs_dotgit), and Windows' device names.
HFS_IGNORED = [0x200C, 0x200D, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x206A, 0x2070), 0xFEFF]
DEVICES = {"con", "prn", "aux", "nul", *(f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10))}

# The base registry's policy: strict enough that every rule can be broken.
POLICY = """\
# yaml-language-server: $schema=schemas/registry.schema.json
schema_version: 1
name: gate-registry
stages:
  development: {initial: true, from: [archived]}
  staging:
    from: [development]
    max_versions: 2
    requires:
      fields: [description]
  production:
    from: [staging]
    max_versions: 1
    displace_to: archived
    requires:
      fields: [description, data.training]
      metrics: {auc: {min: 0.9}, latency_ms: {max: 50}}
      not_worse_than_current: [auc]
      evaluations: {holdout: {auc: {min: 0.9}}}
  deprecated: {from: [production, staging]}
  archived: {from: [development, staging, production, deprecated]}
metrics: {auc: maximize, latency_ms: minimize}
naming: {model: "^[a-z][a-z0-9-]{0,62}$"}
environments:
  canary: {stage: [staging, production]}
  prod: {stage: production}
"""
TRAINING = {"training": {"name": "transactions", "version": "2026-10"}}
# A folder artifact whose listing delivers a Git repository that runs a command on `git status`.
GIT_FOLDER_FILES = {
    ".git/config": b"[core]\n\tfsmonitor = touch /tmp/modelreg-pwned\n",
    ".git/HEAD": b"ref: refs/heads/main\n",
    "weights.bin": b"real weights",
}


# --- git ------------------------------------------------------------------------------------


def git(*args: str, cwd: Path, check: bool = True, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout


def git_ok(*args: str, cwd: Path) -> bool:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False).returncode == 0


def commit_all(path: Path, message: str, *, force: list[str] | None = None) -> bool:
    """Commit everything Git sees (and the ``force``d ignored paths); False when nothing changed.
    An attacker's Git need not protect NTFS: names like ``.git::$INDEX_ALLOCATION`` go in too."""
    git("-c", "core.protectNTFS=false", "add", "-A", cwd=path)
    for rel in force or []:
        git("add", "-f", "--", rel, cwd=path)
    if not git("status", "--porcelain", "--untracked-files=no", cwd=path).strip():
        return False
    git("commit", "-q", "--no-verify", "-m", message, cwd=path)
    return True


def rev(path: Path, ref: str = "HEAD") -> str:
    return git("rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}", cwd=path).strip()


def show(path: Path, commit: str, rel: str) -> bytes | None:
    proc = subprocess.run(["git", "show", f"{commit}:{rel}"], cwd=path, capture_output=True, check=False)
    return proc.stdout if proc.returncode == 0 else None


def ls_tree(path: Path, commit: str, prefix: str) -> list[str]:
    out = git("ls-tree", "-r", "--full-tree", commit, "--", prefix, cwd=path)
    return sorted(out.splitlines())


def tree_paths(path: Path, commit: str, prefix: str = "models/") -> list[str]:
    out = git("ls-tree", "-r", "--name-only", "--full-tree", commit, "--", prefix, cwd=path)
    return out.splitlines()


# --- the CLI, in-process ----------------------------------------------------------------------


@dataclass
class Checked:
    """What ``modelreg check --format json`` said: its exit code and its report."""

    code: int
    report: dict[str, Any] | None
    output: str
    crash: str | None = None  # an exception that is not modelreg's own (exit 3 in the real CLI)

    @property
    def accepted(self) -> bool:
        return self.code == 0 and self.report is not None and self.report.get("ok") is True

    @property
    def problems(self) -> list[dict[str, Any]]:
        return list(self.report.get("problems", [])) if self.report else []

    def has(self, rule: str, file: str | set[str]) -> bool:
        files = {file} if isinstance(file, str) else file
        return any(p.get("rule") == rule and p.get("file") in files for p in self.problems)

    def explain(self) -> str:
        found = [f"{p.get('rule')} {p.get('file')}: {p.get('message')}" for p in self.problems]
        if self.report is None:
            found = [self.crash or self.output[-2000:]]
        return f"exit {self.code}, ok={self.accepted}; problems:\n  " + "\n  ".join(found or ["none"])


def run_cli(path: Path, *args: str) -> Any:
    """``modelreg ARGS -C PATH`` in-process; the click Result (stdout, exit_code, exception)."""
    from modelreg.cli.main import cli

    command, *rest = args
    return CliRunner().invoke(cli, [command, "-C", str(path), *rest], catch_exceptions=True)


def run_check(path: Path, base: str, head: str = "HEAD", *extra: str) -> Checked:
    result = run_cli(path, "check", "--base", base, "--head", head, "--format", "json", *extra)
    report = None
    try:
        loaded = json.loads(result.stdout)
        report = loaded if isinstance(loaded, dict) else None
    except ValueError:
        pass
    crash = None
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        from modelreg.domain.errors import ModelregError

        if not isinstance(exc, ModelregError):
            crash = f"{type(exc).__name__}: {exc}"
    return Checked(result.exit_code, report, result.output, crash)


# --- DVC objects, by hand ---------------------------------------------------------------------


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def object_path(root: Path, oid: str) -> Path:
    """Where DVC 3 keeps object ``oid`` under a cache or a local remote."""
    return root / "files" / "md5" / oid[:2] / oid[2:]


def put_object(root: Path, oid: str, data: bytes) -> None:
    target = object_path(root, oid)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def listing_bytes(entries: list[tuple[str, str]]) -> bytes:
    """A DVC folder listing as DVC writes it (sorted by relpath, compact JSON)."""
    items = [{"md5": oid, "relpath": rel} for rel, oid in sorted(entries)]
    return json.dumps(items, separators=(", ", ": ")).encode()


@dataclass
class Store:
    """A registry's DVC cache and its local remote."""

    cache: Path
    remote: Path

    def file(self, data: bytes, *, pushed: bool) -> str:
        oid = md5(data)
        put_object(self.cache, oid, data)
        if pushed:
            put_object(self.remote, oid, data)
        return oid

    def folder(self, files: dict[str, bytes], *, pushed: bool) -> tuple[str, int, int]:
        """Store a folder artifact; returns (``<md5>.dir``, total size, number of files)."""
        entries = [(rel, self.file(data, pushed=pushed)) for rel, data in files.items()]
        raw = listing_bytes(entries)
        oid = md5(raw) + ".dir"
        put_object(self.cache, oid, raw)
        if pushed:
            put_object(self.remote, oid, raw)
        return oid, sum(len(d) for d in files.values()), len(files)


def pointer_text(name: str, oid: str, size: int, nfiles: int | None = None) -> str:
    out: dict[str, Any] = {"md5": oid, "size": size}
    if nfiles is not None:
        out["nfiles"] = nfiles
    out.update({"hash": "md5", "path": name})
    return yaml.safe_dump({"outs": [out]}, sort_keys=False)


def manifest_text(
    name: str,
    version: str,
    artifacts: list[dict[str, Any]],
    *,
    description: str = "made by hand",
    metrics: dict[str, float] | None = None,
    data: dict[str, Any] | None = None,
) -> str:
    doc = {
        "schema_version": 1,
        "name": name,
        "version": version,
        "created_at": "2026-11-20T10:00:00Z",
        "created_by": "Mallory <mallory@example.com>",
        "description": description,
        "artifacts": artifacts,
        "metrics": metrics or {},
        "data": TRAINING if data is None else data,
    }
    return "# yaml-language-server: $schema=../../schemas/model-version.schema.json\n" + yaml.safe_dump(
        doc, sort_keys=False
    )


def hand_register(
    path: Path,
    store: Store,
    name: str,
    version: str,
    *,
    pushed: bool,
    content: bytes | None = None,
    folder: dict[str, bytes] | None = None,
    description: str = "made by hand",
    metrics: dict[str, float] | None = None,
    artifact_name: str | None = None,
) -> list[str]:
    """Write a new version as ``modelreg register`` would (artifact, pointer, .gitignore,
    manifest), its objects in the DVC cache and, when ``pushed``, in the remote. Returns the
    paths written (the caller commits them). A ``folder`` becomes a folder artifact
    ``weights`` whose listing names exactly its keys, however hostile; ``artifact_name``
    names the artifact instead of ``weights`` or ``model.bin``."""
    vdir = path / "models" / name / version
    vdir.mkdir(parents=True, exist_ok=True)
    if folder is not None:
        art, (oid, size, nfiles) = artifact_name or "weights", store.folder(folder, pushed=pushed)
        pointer = pointer_text(art, oid, size, nfiles)
        artifact: dict[str, Any] = {"path": f"models/{name}/{version}/{art}", "md5": oid, "size": size}
        artifact["nfiles"] = nfiles
    else:
        data = content if content is not None else f"{name}-{version}-weights".encode()
        art, oid = artifact_name or "model.bin", store.file(data, pushed=pushed)
        (vdir / art).write_bytes(data)
        pointer = pointer_text(art, oid, len(data))
        artifact = {"path": f"models/{name}/{version}/{art}", "md5": oid, "size": len(data)}
    (vdir / f"{art}.dvc").write_text(pointer)
    (vdir / ".gitignore").write_text(f"/{art}\n")
    facts = path / "models" / name / "model.yaml"
    if not facts.exists():
        facts.write_text(
            "# yaml-language-server: $schema=../../schemas/model.schema.json\n"
            f"schema_version: 1\nname: {name}\ndescription: a model\nowner: '@acme/{name}'\ntags: []\n"
        )
    manifest = path / "models" / name / f"{version}.yaml"
    metrics = {"auc": 0.95, "latency_ms": 20} if metrics is None else metrics
    manifest.write_text(manifest_text(name, version, [artifact], description=description, metrics=metrics))
    return [f"models/{name}/{version}/{art}.dvc", f"models/{name}/{version}.yaml"]


# --- the oracle -------------------------------------------------------------------------------


def _load(raw: bytes | None) -> Any:
    if raw is None:
        return None
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        return "<unparseable>"


def _moment(value: Any) -> datetime:
    """An evaluation's created_at (YAML reads an unquoted one as a datetime) as an aware datetime."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return datetime.min.replace(tzinfo=timezone.utc)
    if not isinstance(value, datetime):
        return datetime.min.replace(tzinfo=timezone.utc)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _latest_evaluation(manifest: dict[str, Any], dataset: str) -> dict[str, Any] | None:
    """The evaluation on a dataset named ``dataset`` appended last (dates decide nothing)."""
    evals = manifest.get("evaluations")
    found = [
        e
        for e in (evals if isinstance(evals, list) else [])
        if isinstance(e, dict) and isinstance(e.get("dataset"), dict) and e["dataset"].get("name") == dataset
    ]
    return found[-1] if found else None


def _bounds_hold(evaluation: dict[str, Any] | None, bounds: Any) -> bool:
    if evaluation is None:
        return False
    metrics = evaluation.get("metrics") if isinstance(evaluation.get("metrics"), dict) else {}
    for metric, bound in (bounds if isinstance(bounds, dict) else {}).items():
        value = metrics.get(metric)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return False
        bound = bound if isinstance(bound, dict) else {}
        if bound.get("min") is not None and value < bound["min"]:
            return False
        if bound.get("max") is not None and value > bound["max"]:
            return False
    return True


@dataclass
class Policy:
    """The part of a registry.yaml the invariant needs, read by hand."""

    stages: dict[str, dict[str, Any]]
    initial: str | None  # None: not exactly one stage is marked initial
    remote: bool
    environments: dict[str, list[str]] = field(default_factory=dict)  # environment -> stages it accepts

    @classmethod
    def at(cls, path: Path, commit: str) -> Policy:
        doc = _load(show(path, commit, "registry.yaml"))
        doc = doc if isinstance(doc, dict) else {}
        stages = doc.get("stages") if isinstance(doc.get("stages"), dict) else {}
        stages = {str(k): (v if isinstance(v, dict) else {}) for k, v in stages.items()}
        initials = [s for s, rule in stages.items() if rule.get("initial") is True]
        check = doc.get("check") if isinstance(doc.get("check"), dict) else {}
        envs = doc.get("environments") if isinstance(doc.get("environments"), dict) else {}
        accepted = {}
        for env, rule in envs.items():
            wanted = rule.get("stage") if isinstance(rule, dict) else None
            accepted[str(env)] = [str(x) for x in wanted] if isinstance(wanted, list) else [str(wanted)]
        initial = initials[0] if len(initials) == 1 else None
        return cls(stages, initial, check.get("remote") is True, accepted)

    def sources(self, stage: str) -> list[str]:
        found = self.stages.get(stage, {}).get("from") or []
        return [str(s) for s in found] if isinstance(found, list) else [str(found)]

    def limit(self, stage: str) -> int | None:
        value = self.stages.get(stage, {}).get("max_versions")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def meets(self, stage: str, manifest: Any) -> bool:
        """The stage's requires: fields present and not empty, metric bounds held."""
        requires = self.stages.get(stage, {}).get("requires") or {}
        if not isinstance(requires, dict):
            return True
        manifest = manifest if isinstance(manifest, dict) else {}
        for dotted in requires.get("fields") or []:
            value: Any = manifest
            for key in str(dotted).split("."):
                value = value.get(key) if isinstance(value, dict) else None
            if value in (None, "", [], {}):
                return False
        metrics = manifest.get("metrics") if isinstance(manifest.get("metrics"), dict) else {}
        for metric, bound in (requires.get("metrics") or {}).items():
            value = metrics.get(metric)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                return False
            bound = bound if isinstance(bound, dict) else {}
            if bound.get("min") is not None and value < bound["min"]:
                return False
            if bound.get("max") is not None and value > bound["max"]:
                return False
        for dataset, bounds in (requires.get("evaluations") or {}).items():
            if not _bounds_hold(_latest_evaluation(manifest, str(dataset)), bounds):
                return False
        return True

    def reachable(self, start: str, goal: str, manifest: Any) -> bool:
        """``goal`` can be reached from ``start`` by ``from:`` transitions, each stage entered
        meeting its requires."""
        if goal not in self.stages:
            return False
        seen, todo = {start}, deque([start])
        while todo:
            here = todo.popleft()
            for stage in self.stages:
                if stage not in seen and here in self.sources(stage) and self.meets(stage, manifest):
                    if stage == goal:
                        return True
                    seen.add(stage)
                    todo.append(stage)
        return False


@dataclass
class View:
    """One commit of the registry as the invariant sees it."""

    path: Path
    commit: str
    policy: Policy
    manifests: dict[tuple[str, str], Any] = field(default_factory=dict)
    listed: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # model -> version -> stages

    @classmethod
    def at(cls, path: Path, commit: str, policy: Policy | None = None) -> View:
        view = cls(path, commit, policy or Policy.at(path, commit))
        names = set()
        for rel in tree_paths(path, commit):
            found = SEMVER_FILE.match(rel)
            if found:
                view.manifests[(found[1], found[2])] = _load(show(path, commit, rel))
            parts = rel.split("/")
            if len(parts) == 3 and parts[2] == "stages.yaml":
                names.add(parts[1])
        for name in names:
            doc = _load(show(path, commit, f"models/{name}/stages.yaml"))
            lists: dict[str, list[str]] = {}
            for stage, held in (doc if isinstance(doc, dict) else {}).items():
                for version in held if isinstance(held, list) else [held]:
                    lists.setdefault(str(version), []).append(str(stage))
            view.listed[name] = lists
        return view

    def stage(self, name: str, version: str) -> str:
        """Where stages.yaml lists the version, else this side's initial stage; ``<several>`` or
        ``<no initial>`` when that is ambiguous."""
        stages = self.listed.get(name, {}).get(version, [])
        if len(stages) > 1:
            return "<several: " + ", ".join(stages) + ">"
        if stages:
            return stages[0]
        return self.policy.initial or "<no initial>"


@dataclass
class Oracle:
    """Judges an accepted (base, head) pair against the soundness invariant.

    Clause (a) is checked as the gate's stage rule states it, one judged transition per version
    per change; a difference that only a path of several transitions explains is reported
    as (a1), apart from (a), the invariant's own reachability.

    ``held`` is every (model, version, stage) a version entered by a move this oracle itself
    judged legitimate and saw land on main; the initial stage is never in it."""

    held: set[tuple[str, str, str]] = field(default_factory=set)

    def violations(self, path: Path, base: str, head: str) -> list[str]:
        """Every way the accepted change from ``base`` to ``head`` breaks the invariant."""
        b = View.at(path, base)
        remote_dir = base_remote(path, base)
        h_policy = Policy.at(path, head)
        h = View.at(path, head, h_policy)
        found = [*self._moves(b, h), *self._capacity(b, h), *self._write_once(b, h)]
        if b.policy.remote:
            found += self._bytes(b, h, remote_dir)
        found += self._unsafe(b, h, listings=b.policy.remote)
        found += self._deployments(b, h)
        found += self._dating(b, h)
        if b.policy.stages:  # a base without a policy judges nothing
            found += self._governing(b, h)
        return found

    def _dating(self, b: View, h: View) -> list[str]:
        """(g) every evaluation the change appends (to a registered version, or with a new one)
        is dated no earlier than its version's created_at and no later than the head commit,
        each within SKEW."""
        committed = datetime.fromisoformat(git("log", "-1", "--format=%cI", h.commit, cwd=h.path).strip())
        found = []
        for key, new in sorted(h.manifests.items()):
            old = b.manifests.get(key)
            if not isinstance(new, dict) or (old is not None and not _same_manifest(old, new)):
                continue  # (c) judges an edited manifest
            evals = new.get("evaluations") if isinstance(new.get("evaluations"), list) else []
            before = (old.get("evaluations") or []) if isinstance(old, dict) else []
            created = _moment(new.get("created_at"))
            for e in evals[len(before) :]:
                when = _moment(e.get("created_at") if isinstance(e, dict) else None)
                if created - when > SKEW or when - committed > SKEW:
                    found.append(f"(g) {key[0]}@{key[1]}: an evaluation dated {when} was appended")
        return found

    def _governing(self, b: View, h: View) -> list[str]:
        """(h) a change that adds, edits or removes a .gitignore, .dvcignore or .gitattributes
        at the root or under models/ (but a new version's .gitignore listing exactly its
        artifacts) changes nothing else under models/."""
        out = git("diff", "--name-only", "--no-renames", "-z", b.commit, h.commit, cwd=h.path)
        changed = [p for p in out.split("\0") if p]
        ruling = [p for p in changed if _governs(p) and not _dvc_gitignore(b, h, p)]
        models = [p for p in changed if p.startswith("models/") and p not in ruling]
        if ruling and models:
            return [f"(h) {', '.join(ruling)} changed with {models[0]}"]
        return []

    def _deployments(self, b: View, h: View) -> list[str]:
        """(f) every deployments.yaml on the head maps environments the base declares to
        registered versions that stand, on the head, in a stage the environment accepts."""
        found = []
        for rel in tree_paths(h.path, h.commit):
            parts = rel.split("/")
            if len(parts) != 3 or parts[2] != "deployments.yaml":
                continue
            name = parts[1]
            doc = _load(show(h.path, h.commit, rel))
            if doc is None:
                continue
            if not isinstance(doc, dict):
                found.append(f"(f) {rel} is not a mapping of environments")
                continue
            for env, entry in doc.items():
                version = entry.get("version") if isinstance(entry, dict) else None
                if not isinstance(version, str):
                    found.append(f"(f) {rel}: {env} names no version")
                elif str(env) not in b.policy.environments:
                    found.append(f"(f) {rel}: {env} is not an environment the base declares")
                elif (name, version) not in h.manifests:
                    found.append(f"(f) {rel}: {env} runs {name}@{version}, which is not registered")
                elif h.stage(name, version) not in b.policy.environments[str(env)]:
                    stage = h.stage(name, version)
                    found.append(f"(f) {rel}: {env} runs {name}@{version}, which stands in {stage}")
        return found

    def moves(self, b: View, h: View) -> list[tuple[str, str, str, str]]:
        found = []
        for name, version in sorted(h.manifests):
            old = b.stage(name, version) if (name, version) in b.manifests else b.policy.initial or "?"
            new = h.stage(name, version)
            if old != new:
                found.append((name, version, old, new))
        return found

    def _moves(self, b: View, h: View) -> list[str]:
        found = []
        for name, version, old, new in self.moves(b, h):
            manifest = _as_judged(b.manifests.get((name, version)), h.manifests.get((name, version)))
            if old in b.policy.sources(new) and b.policy.meets(new, manifest):
                continue  # one allowed transition
            held = (name, version, new) in self.held
            if new != b.policy.initial and held and b.policy.meets(new, manifest):
                continue  # a return to a stage it entered legitimately on main
            if b.policy.reachable(old, new, manifest):  # the invariant holds; rule 2 does not
                found.append(f"(a1) {name}@{version}: {old} -> {new} takes several transitions in one change")
            else:
                found.append(f"(a) {name}@{version}: {old} -> {new} is not reachable under the base's policy")
        return found

    def _capacity(self, b: View, h: View) -> list[str]:
        found = []
        counts: dict[tuple[str, str], int] = {}
        for name, version in h.manifests:
            key = (name, h.stage(name, version))
            counts[key] = counts.get(key, 0) + 1
        for (name, stage), count in sorted(counts.items()):
            limit = b.policy.limit(stage)
            if limit is not None and count > limit:
                found.append(f"(b) {name}: {stage} holds {count} versions, the base allows {limit}")
        return found

    def _write_once(self, b: View, h: View) -> list[str]:
        found = []
        for (name, version), old in sorted(b.manifests.items()):
            new = h.manifests.get((name, version))
            if not _same_manifest(old, new):
                found.append(f"(c) manifest of {name}@{version} changed")
            folder = f"models/{name}/{version}/"
            if ls_tree(b.path, b.commit, folder) != ls_tree(h.path, h.commit, folder):
                found.append(f"(c) files under {folder} changed")
        return found

    def _bytes(self, b: View, h: View, remote: Path) -> list[str]:
        found = []
        for (name, version), manifest in sorted(h.manifests.items()):
            new_version = (name, version) not in b.manifests
            if h.stage(name, version) == b.policy.initial and not new_version:
                continue
            for oid in _object_ids(h, name, version, manifest):
                missing = _missing(remote, oid)
                if missing:
                    why = "new" if new_version else h.stage(name, version)
                    found.append(f"(d) {name}@{version} ({why}): {missing} not in the remote")
        return found

    def _unsafe(self, b: View, h: View, *, listings: bool) -> list[str]:
        """Pointers of new versions name only safe relative paths, and so do their folder
        listings when the base asks for remote checks: a listing lives in the DVC remote, not in
        Git, and check without remote checks reads nothing there (pull and open_artifact refuse an
        unsafe listing where it is read: test_gate_findings' finding 7)."""
        found = []
        for name, version in sorted(set(h.manifests) - set(b.manifests)):
            for rel in tree_paths(h.path, h.commit, f"models/{name}/{version}/"):
                if not rel.endswith(".dvc"):
                    continue
                doc = _load(show(h.path, h.commit, rel))
                outs = doc.get("outs") if isinstance(doc, dict) else None
                for out in outs if isinstance(outs, list) else []:
                    target = out.get("path") if isinstance(out, dict) else None
                    if isinstance(target, str) and not safe_relpath(target):
                        found.append(f"(e) {rel} points at {target!r}")
                    oid = out.get("md5") if isinstance(out, dict) else None
                    entries = _listing(h.path, oid) if listings else []
                    for entry in entries:
                        if not safe_relpath(entry):
                            found.append(f"(e) {rel}: folder listing names {entry!r}")
                    if len({e.lower() for e in entries}) != len(entries):
                        found.append(f"(e) {rel}: folder listing names that collide by case")
        return found

    def land(self, b: View, h: View) -> None:
        """Remember the stages entered by an accepted change that landed on main."""
        for name, version, _old, new in self.moves(b, h):
            if new != b.policy.initial and new in b.policy.stages:
                self.held.add((name, version, new))


def base_remote(path: Path, commit: str) -> Path:
    """The folder of the default remote that ``commit``'s .dvc/config names (a local path,
    relative to .dvc/ as DVC reads it)."""
    text = (show(path, commit, ".dvc/config") or b"").decode(errors="replace")
    default = re.search(r"(?m)^\s*remote\s*=\s*(\S+)", text)
    section = re.escape(default[1]) if default else r"[^\"']+"
    url = re.search(rf"(?ms)^\[\s*['\"]remote \"{section}\"['\"]\s*\].*?^\s*url\s*=\s*(\S+)", text)
    assert url, f"no default remote in {commit}'s .dvc/config"
    return (path / ".dvc" / url[1]).resolve()


def _as_judged(old: Any, new: Any) -> Any:
    """The manifest a move is judged on: the head's when it only appends evaluations to the
    base's (the one change a manifest allows counts in the same change), else the base's."""
    if old is None:
        return new
    return new if _same_manifest(old, new) else old


def _same_manifest(old: Any, new: Any) -> bool:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return old == new
    strip = {k: v for k, v in old.items() if k != "evaluations"}
    if strip != {k: v for k, v in new.items() if k != "evaluations"}:
        return False
    before, after = old.get("evaluations") or [], new.get("evaluations") or []
    return isinstance(after, list) and isinstance(before, list) and after[: len(before)] == before


def _object_ids(h: View, name: str, version: str, manifest: Any) -> list[str]:
    """Every object id the manifest and the version's pointers name."""
    oids = []
    arts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    for art in arts if isinstance(arts, list) else []:
        if isinstance(art, dict) and isinstance(art.get("md5"), str):
            oids.append(art["md5"])
    for rel in tree_paths(h.path, h.commit, f"models/{name}/{version}/"):
        if rel.endswith(".dvc"):
            doc = _load(show(h.path, h.commit, rel))
            outs = doc.get("outs") if isinstance(doc, dict) else None
            for out in outs if isinstance(outs, list) else []:
                if isinstance(out, dict) and isinstance(out.get("md5"), str):
                    oids.append(out["md5"])
    return sorted(set(oids))


_OID = re.compile(r"^[0-9a-f]{32}(\.dir)?$")


def _missing(remote: Path, oid: str) -> str | None:
    """The first object of ``oid`` (and, for a folder, of its entries) the remote lacks."""
    if not _OID.fullmatch(oid):
        return None  # not an object id: validation's business, not the remote's
    target = object_path(remote, oid)
    if not target.is_file():
        return oid
    if oid.endswith(".dir"):
        try:
            entries = json.loads(target.read_bytes())
        except ValueError:
            return f"{oid} (unreadable listing)"
        for entry in entries if isinstance(entries, list) else []:
            inner = entry.get("md5") if isinstance(entry, dict) else None
            if isinstance(inner, str) and not object_path(remote, inner).is_file():
                return f"{inner} (in {oid})"
    return None


def _listing(path: Path, oid: Any) -> list[str]:
    """The relpaths a folder listing names, from the cache of the registry at ``path``."""
    if not isinstance(oid, str) or not oid.endswith(".dir") or not _OID.fullmatch(oid):
        return []
    target = object_path(path / ".dvc" / "cache", oid)
    try:
        entries = json.loads(target.read_bytes())
    except (OSError, ValueError):
        return []
    return (
        [str(e.get("relpath")) for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
    )


def _governs(path: str) -> bool:
    folder, _, leaf = path.rpartition("/")
    return leaf in GOVERNING and (folder == "" or folder == "models" or folder.startswith("models/"))


def _dvc_gitignore(b: View, h: View, path: str) -> bool:
    """``path`` is a new version's .gitignore naming exactly its artifacts, as DVC writes it."""
    parts = path.split("/")
    if len(parts) != 4 or parts[3] != ".gitignore" or (parts[1], parts[2]) in b.manifests:
        return False
    manifest = h.manifests.get((parts[1], parts[2]))
    arts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    if show(b.path, b.commit, path) is not None or not isinstance(arts, list):
        return False
    names = sorted("/" + posixpath.basename(str(a.get("path"))) for a in arts if isinstance(a, dict))
    text = (show(h.path, h.commit, path) or b"").decode(errors="replace")
    return sorted(text.splitlines()) == names


def safe_relpath(rel: str) -> bool:
    """The oracle's own idea of a safe path inside a version folder: inside it, in normal form,
    no control or HFS+-ignored code point, and no component that is hidden (a leading dot),
    a Windows device, a short (8.3) name, an NTFS stream or ends in a dot or space."""
    if not rel or rel.startswith("/") or "\\" in rel or posixpath.normpath(rel) != rel:
        return False
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or ord(c) in HFS_IGNORED for c in rel):
        return False
    for part in rel.split("/"):
        stem = part.split(".")[0].lower()
        if part in ("", ".", "..") or part.startswith(".") or part.endswith((".", " ")) or ":" in part:
            return False
        if stem in DEVICES or re.fullmatch(r"[^~]{0,6}~[0-9]+", stem) or part.lower().endswith(".dvc"):
            return False
    return True


# --- a legitimate base registry ---------------------------------------------------------------


@dataclass
class Base:
    """A registry built by modelreg's own commands, with what its history legitimately did."""

    root: Path  # holds registry/ and remote/; copy the whole folder
    held: set[tuple[str, str, str]]
    remote_check: bool

    @property
    def path(self) -> Path:
        return self.root / "registry"

    @property
    def remote(self) -> Path:
        return self.root / "remote"


# (model, version, pushed, description, metrics)
BASE_VERSIONS: list[tuple[str, str, bool, str, dict[str, float]]] = [
    ("fraud", "1.0.0", True, "first", {"auc": 0.90, "latency_ms": 40}),
    ("fraud", "1.1.0", True, "retrained", {"auc": 0.92, "latency_ms": 30}),
    ("fraud", "1.2.0", True, "v7 features", {"auc": 0.95, "latency_ms": 20}),
    ("fraud", "1.3.0", True, "worse than 1.2.0", {"auc": 0.93, "latency_ms": 20}),
    ("fraud", "1.4.0", False, "never pushed", {"auc": 0.97, "latency_ms": 10}),
    ("fraud", "1.5.0", True, "too slow", {"auc": 0.99, "latency_ms": 90}),
    ("churn", "0.1.0", True, "", {"auc": 0.5}),
    ("churn", "0.2.0", True, "churn", {"auc": 0.91, "latency_ms": 5}),
    ("churn", "0.3.0", False, "churn, not pushed", {"auc": 0.96, "latency_ms": 5}),
]
# Evaluations on the holdout set production requires, committed on main: (ref, auc).
BASE_EVALUATIONS = [
    ("fraud@1.1.0", 0.93),
    ("fraud@1.2.0", 0.95),
    ("fraud@1.3.0", 0.94),
    ("fraud@1.4.0", 0.96),
    ("churn@0.2.0", 0.92),
    ("churn@0.3.0", 0.95),
]
# Deployments landed on main by merge commits, each checked: (ref, environment).
BASE_DEPLOYMENTS = [("churn@0.2.0", "canary")]
# Promotions landed on main by merge commits, each checked: (ref, stage).
BASE_PROMOTIONS = [
    ("fraud@1.1.0", "staging"),
    ("fraud@1.1.0", "production"),
    ("fraud@1.2.0", "staging"),
    ("fraud@1.2.0", "production"),  # displaces 1.1.0 to archived
    ("fraud@1.3.0", "staging"),
    ("fraud@1.0.0", "archived"),
    ("churn@0.2.0", "staging"),
]


def relative_remote(path: Path) -> None:
    """Point the default remote at ``../remote`` (relative to the repository), so a copy of the
    whole folder has a remote of its own."""
    config = path / ".dvc" / "config"
    text = config.read_text()
    config.write_text(re.sub(r"(?m)^(\s*url\s*=\s*).*$", r"\g<1>../../remote", text))


def land_merge(path: Path, branch: str) -> None:
    git("merge", "-q", "--no-ff", "-m", f"Merge {branch}", "--", branch, cwd=path)
    git("branch", "-q", "-D", "--", branch, cwd=path)


def promote_branch(path: Path, ref: str, stage: str) -> str:
    """What ``modelreg promote REF --to STAGE --no-push`` makes: a branch with one commit."""
    from modelreg.operations.promote import PromoteRequest, promote

    result = promote(path, PromoteRequest(ref=ref, to_stage=stage, push=False, pull_request=False))
    return result.branch


def build_base(root: Path) -> Base:
    """The registry every example starts from (about 15 s; build it once per session)."""
    from modelreg.operations.deploy import DeployRequest, deploy
    from modelreg.operations.evaluate import EvaluateRequest, evaluate
    from modelreg.operations.proposal import ProposalOptions
    from modelreg.operations.register import RegisterRequest, register
    from modelreg.operations.scaffold import init

    path, scratch = root / "registry", root / "scratch"
    init(path, remote=str(root / "remote"), name="gate-registry")
    (path / "registry.yaml").write_text(POLICY)
    relative_remote(path)
    commit_all(path, "gate policy; a remote beside the repository")
    for name, version, pushed, description, metrics in BASE_VERSIONS:
        artifact = scratch / f"{name}-{version}" / "model.bin"
        artifact.parent.mkdir(parents=True)
        artifact.write_bytes(f"{name} {version} weights".encode())
        request = RegisterRequest(
            name=name,
            files=[artifact],
            version=version,
            description=description,
            metrics=metrics,
            data=TRAINING if name == "fraud" else {},
            owner="@acme/risk" if version in ("1.0.0", "0.1.0") else None,
            push=pushed,
        )
        register(path, request)
    for ref, auc in BASE_EVALUATIONS:
        evaluate(path, EvaluateRequest(ref=ref, dataset="holdout@2026-10", metrics={"auc": auc}, commit=True))
    held: set[tuple[str, str, str]] = set()
    before = View.at(path, rev(path))
    for ref, stage in BASE_PROMOTIONS:
        branch = promote_branch(path, ref, stage)
        checked = run_check(path, "main", branch)
        assert checked.accepted, f"base: promote {ref} --to {stage}: {checked.explain()}"
        land_merge(path, branch)
        after = View.at(path, rev(path))
        for name, version, _old, new in Oracle().moves(before, after):
            held.add((name, version, new))
        before = after
    for ref, env in BASE_DEPLOYMENTS:
        result = deploy(path, DeployRequest(ref=ref, environment=env, options=ProposalOptions(push=False)))
        checked = run_check(path, "main", result.proposal.branch)
        assert checked.accepted, f"base: deploy {ref} --env {env}: {checked.explain()}"
        land_merge(path, result.proposal.branch)
    return Base(root, held, remote_check=False)


def with_remote_check(base: Base, root: Path) -> Base:
    """A copy of ``base`` whose main then turned on ``check: {remote: true}``."""
    import shutil

    shutil.copytree(base.root, root, symlinks=True)
    copy = Base(root, set(base.held), remote_check=True)
    registry = copy.path / "registry.yaml"
    registry.write_text(registry.read_text() + "check: {remote: true}\n")
    commit_all(copy.path, "CI checks the remote")
    return copy


@dataclass
class Sandbox:
    """A private copy of a base registry (and of its remote) for one test or one example."""

    root: Path
    held: set[tuple[str, str, str]]

    @classmethod
    def copy_of(cls, base: Base, root: Path) -> Sandbox:
        import shutil

        shutil.copytree(base.root, root, symlinks=True)
        return cls(root, set(base.held))

    @property
    def path(self) -> Path:
        return self.root / "registry"

    @property
    def store(self) -> Store:
        return Store(self.path / ".dvc" / "cache", self.root / "remote")

    def branch(self, name: str = "attack", start: str = "main") -> None:
        git("checkout", "-q", "-B", name, start, "--", cwd=self.path)

    def read(self, rel: str) -> str:
        return (self.path / rel).read_text()

    def write(self, rel: str, text: str) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def commit(self, message: str = "edit", *, force: list[str] | None = None) -> str:
        assert commit_all(self.path, message, force=force), f"nothing to commit for {message!r}"
        return rev(self.path)

    def check(self, base: str = "main", head: str = "HEAD", *extra: str) -> Checked:
        return run_check(self.path, base, head, *extra)

    def register(self, name: str, version: str, **kwargs: Any) -> list[str]:
        return hand_register(self.path, self.store, name, version, **kwargs)


def policy_with(text: str, **replacements: str) -> str:
    """``text`` with each ``old=new`` pair replaced; each old must be there."""
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="session")
def gate_bases(tmp_path_factory: pytest.TempPathFactory) -> dict[bool, Base]:
    """The base registry, with ``check.remote`` off (False) and on (True); built once."""
    from history_repo import isolated

    root = tmp_path_factory.mktemp("gate-base")
    with isolated(root / "home"):
        plain = build_base(root / "plain")
        return {False: plain, True: with_remote_check(plain, root / "remote-on")}


@pytest.fixture
def sandbox(gate_bases: dict[bool, Base], tmp_path: Path) -> Sandbox:
    """A copy of the base registry with check.remote off."""
    return Sandbox.copy_of(gate_bases[False], tmp_path / "sandbox")


@pytest.fixture
def remote_sandbox(gate_bases: dict[bool, Base], tmp_path: Path) -> Sandbox:
    """A copy of the base registry whose main asks for remote checks."""
    return Sandbox.copy_of(gate_bases[True], tmp_path / "sandbox")
