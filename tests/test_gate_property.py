"""The gate against an attacker: random hostile pull requests must never pass ``modelreg check``
unless the soundness invariant holds (ARCHITECTURE.md, "The gate").

Every example copies gate_attacks' session base registry (real Git history of registrations
and checked promotions, a local DVC remote, two versions never pushed; ``check.remote`` off or
on) and, on a branch, applies a random sequence of edits to anything a pull request can
touch: stages.yaml (moves, rewrites, deletion), registry.yaml (initial, from, requires,
max_versions, check.remote, stages removed), schemas/, manifests (edits, deletion, renames,
evaluations appended or rewritten), files inside registered versions' folders (pointers,
config.json, symlinks, the artifact bytes themselves), new versions (pushed or not, folder
artifacts with hostile listings), .dvc/config, deployments.yaml (deployments to declared,
undeclared and unfit environments, garbage, deletion), evaluations (holdout results that meet
or miss production's requires, reordered, dropped, appended with any date: far future, before
the version, within and beyond the clock skew, any offset from now), .gitignore, .dvcignore
and .gitattributes added, edited or removed anywhere (the root, models/, a model's folder, a
version's), new versions whose artifact, or a folder inside it, has a hidden or alias name
(.git with each code point HFS+ ignores, NTFS streams, 8.3 short names, devices),
registry.yaml's environments, reverts of earlier commits. One commit per
edit. A ``land`` step plays CI and the merge button: it runs check on the branch so far and,
only if check accepts, lands it on main by fast-forward, merge commit or squash; the branch
then starts again from the new main. At the end check judges the branch against main.

Whenever check accepts, gate_attacks.Oracle (which reads the YAML itself and knows nothing of
modelreg's rules) must find no violation of: (a) every effective stage change is reachable by
the base's ``from:`` transitions with requires met (and, as rule 2 judges it, by one transition
per change: else (a1)), or returns a version to a stage it
entered by a legitimate move that landed on main (the initial stage never counts); (b) no
stage over the base's max_versions; (c) registered versions' manifests unchanged but for
appended evaluations, and their folders' Git trees identical; (d) with the base's
check.remote, every version in a non-initial stage and every new version has all its objects
in the remote; (e) new versions' pointers name only safe paths, and so do their folder
listings when the base asks for remote checks (only then does check read the remote); (f)
every deployments.yaml maps environments the base declares to registered versions standing in
a stage the environment accepts; (g) every evaluation the change appends is dated
between its version's created_at and the head commit, within the clock skew (the latest
evaluation is the one appended last, in the oracle as in check); (h) a change to a
.gitignore, .dvcignore or .gitattributes at the root or under models/ (but the .gitignore DVC
writes with a new version) changes nothing else under models/.

The converse: branches made by modelreg's own ``promote`` of a move the oracle allows are
always accepted (a gate that refuses everything fails here).

Run:
    .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_gate_property.py      # ci: 200
    HYPOTHESIS_PROFILE=nightly .venv/bin/python -m pytest -q -p no:cacheprovider \\
        tests/test_gate_property.py                                                    # 2000
    (HYPOTHESIS_PROFILE=deep: 600 random examples; dev: 5, the explicit examples first)
Survey (record every counterexample instead of stopping at the first; nothing fails):
    GATE_SURVEY=/tmp/gate.jsonl .venv/bin/python -m pytest -q -p no:cacheprovider \\
        tests/test_gate_property.py -k sound
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from gate_attacks import (
    GIT_FOLDER_FILES,
    HFS_IGNORED,
    SKEW,
    Base,
    Oracle,
    Sandbox,
    View,
    commit_all,
    git,
    git_ok,
    object_path,
    promote_branch,
    rev,
    run_check,
)
from hypothesis import HealthCheck, example, settings
from hypothesis import given as given_
from hypothesis import strategies as st

pytestmark = pytest.mark.slow  # generated hostile changes, each judged by real processes

settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True, print_blob=True)
settings.register_profile("nightly", max_examples=2000, deadline=None, print_blob=True)
settings.register_profile("deep", max_examples=600, deadline=None, print_blob=True)  # 3x ci, random
settings.register_profile("dev", max_examples=5, deadline=None, derandomize=True, print_blob=True)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
SURVEY = os.environ.get("GATE_SURVEY")
RELAXED = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]

MODELS = ["fraud", "churn"]
ENVIRONMENTS = ["canary", "prod", "mars"]
STAGES = ["development", "staging", "production", "deprecated", "archived"]
SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")

# --- the edits ----------------------------------------------------------------------------------

# An evaluation's date: named cases around the limits (the version's creation, the commit, the
# skew), or any offset from now, up to a thousand years either way.
DATES = st.one_of(
    st.sampled_from(
        ["2999-01-01", "2001-01-01", "creation", "before_creation", "within_skew", "beyond_skew"]
    ),
    st.integers(-(10**6) * 525, (10**6) * 525).map(lambda minutes: f"minutes:{minutes}"),
)
GOVERNING_PLACES = [
    ".dvcignore",
    ".gitignore",
    ".gitattributes",
    "models/.dvcignore",
    "models/fraud/.gitignore",
    "models/churn/.gitattributes",
    "models/fraud/1.2.0/.gitignore",
    "models/fraud/3.99.0/.gitignore",
    "models/fraud/1.2.0/sub/.dvcignore",
]
GOVERNING_TEXTS = ["*-1.bin\n", "[0-9]*.yaml\n", "*.yaml merge=ours\n", "*.bin -diff\n", "/model.bin\n", ""]
# Names that are .git, .dvc or a hidden name on some file system, and Windows devices; the
# code points HFS+ ignores come from the same list as the oracle's.
ALIASES = st.one_of(
    st.builds(
        lambda cp, i: ".git"[:i] + chr(cp) + ".git"[i:], st.sampled_from(HFS_IGNORED), st.integers(0, 4)
    ),
    st.builds(lambda cp: "model" + chr(cp) + ".bin", st.sampled_from(HFS_IGNORED)),
    st.sampled_from(
        [
            ".git::$INDEX_ALLOCATION",
            ".git:$DATA",
            "GIT~1",
            "git~1",
            "DVC~1",
            "SSH~1",
            ".GIT.",
            ".git ",
            ".ssh",
            ".bashrc",
            "CON",
            "nul.bin",
            "Com1.txt",
            "lpt9",
            "a:b",
            "weights.dvc",
            "model.",
        ]
    ),
)
model = st.sampled_from(MODELS)
index = st.integers(0, 9)
stage = st.sampled_from([*STAGES, "limbo"])
OPS = st.one_of(
    st.tuples(st.just("move"), model, index, stage, st.booleans()),
    st.tuples(st.just("move"), model, index, stage, st.booleans()),
    st.tuples(st.just("rewrite"), model, st.lists(st.tuples(index, stage), max_size=6)),
    st.tuples(st.just("delete_stages"), model),
    st.tuples(
        st.just("policy"),
        st.sampled_from(["initial", "from", "requires", "max", "remote", "drop", "environments"]),
        st.sampled_from(STAGES),
        st.lists(st.sampled_from(STAGES), max_size=3, unique=True),
        st.integers(0, 3),
    ),
    st.tuples(st.just("schema"), st.sampled_from(["loosen", "extra", "stages"])),
    st.tuples(
        st.just("manifest"),
        model,
        index,
        st.sampled_from(
            [
                "metric",
                "describe",
                "delete",
                "rename",
                "append_eval",
                "edit_eval",
                "reformat",
                "append_holdout",
                "append_weak_holdout",
                "reorder_eval",
                "drop_eval",
            ]
        ),
    ),
    st.tuples(
        st.just("deploy"), model, index, st.sampled_from(ENVIRONMENTS), st.sampled_from([None, 10, 150])
    ),
    st.tuples(
        st.just("deployments"), model, st.sampled_from(["undeploy", "garbage", "delete", "unregistered"])
    ),
    st.tuples(
        st.just("folder"),
        model,
        index,
        st.sampled_from(["pointer", "config", "symlink", "repoint", "delete_pointer", "gitignore", "bytes"]),
    ),
    st.tuples(
        st.just("register"),
        model,
        st.booleans(),
        st.sampled_from(["good", "weak"]),
        st.sampled_from(["file", "file", "folder", "git", "dotdot", "case", "dvc", "pointer_path"]),
        st.sampled_from([None, *STAGES]),
    ),
    st.tuples(st.just("dvcconfig"), st.sampled_from(["elsewhere", "second"])),
    st.tuples(st.just("dated"), model, index, DATES, st.booleans()),
    st.tuples(st.just("governing"), st.sampled_from(GOVERNING_PLACES), st.sampled_from(GOVERNING_TEXTS)),
    st.tuples(st.just("register_named"), model, st.booleans(), ALIASES, st.booleans()),
    st.tuples(st.just("revert"), index),
    st.tuples(st.just("land"), st.sampled_from(["ff", "merge", "squash"])),
)
SEQUENCES = st.lists(OPS, min_size=1, max_size=8)


def stamp(at: datetime) -> str:
    return at.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def moment(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        return datetime.now(timezone.utc)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


class Unsound(AssertionError):
    """check accepted a change that breaks the soundness invariant."""


class Attacker:
    """A branch of a sandbox registry, edited op by op; main moves only by checked landings."""

    def __init__(self, sandbox: Sandbox, ops: list[tuple[Any, ...]]) -> None:
        self.sb, self.path, self.ops = sandbox, sandbox.path, ops
        self.oracle = Oracle(held=set(sandbox.held))
        self.serial = 0
        self.sb.branch("attack")

    # -- reading the work tree

    def versions(self, name: str) -> list[str]:
        found = [p.stem for p in (self.path / "models" / name).glob("*.yaml") if SEMVER.match(p.stem)]
        return sorted(found, key=lambda v: tuple(int(x) for x in v.split(".")))

    def pick(self, name: str, i: int) -> str:
        choices = [*self.versions(name), "9.9.9"]
        return choices[i % len(choices)]

    def stages(self, name: str) -> dict[str, list[str]]:
        target = self.path / "models" / name / "stages.yaml"
        doc = yaml.safe_load(target.read_text()) if target.exists() else None
        lists: dict[str, list[str]] = {}
        for st_name, held in (doc if isinstance(doc, dict) else {}).items():
            lists[str(st_name)] = [str(v) for v in (held if isinstance(held, list) else [held])]
        return lists

    def write_stages(self, name: str, lists: dict[str, list[str]]) -> None:
        text = yaml.safe_dump({s: vs for s, vs in lists.items() if vs}, sort_keys=False)
        (self.path / "models" / name / "stages.yaml").write_text(text if text.strip() != "{}" else "")

    def load(self, rel: str) -> Any:
        return yaml.safe_load((self.path / rel).read_text())

    def dump(self, rel: str, doc: Any) -> None:
        (self.path / rel).write_text(yaml.safe_dump(doc, sort_keys=False))

    # -- the edits

    def move(self, name: str, i: int, to: str, explicit: bool) -> None:
        version, lists = self.pick(name, i), self.stages(name)
        lists = {s: [v for v in vs if v != version] for s, vs in lists.items()}
        if to != "development" or explicit:
            lists.setdefault(to, []).append(version)
        self.write_stages(name, lists)

    def rewrite(self, name: str, pairs: list[tuple[int, str]]) -> None:
        lists: dict[str, list[str]] = {}
        for i, to in pairs:
            lists.setdefault(to, []).append(self.pick(name, i))
        self.write_stages(name, lists)

    def delete_stages(self, name: str) -> None:
        git_ok("rm", "-q", "--", f"models/{name}/stages.yaml", cwd=self.path)

    def policy(self, kind: str, target: str, sources: list[str], n: int) -> None:
        doc = self.load("registry.yaml")
        stages = doc.setdefault("stages", {})
        rule = stages.get(target)
        if kind == "initial":
            for other in stages.values():
                if isinstance(other, dict):
                    other.pop("initial", None)
            stages.setdefault(target, {})["initial"] = True
        elif kind == "from" and isinstance(rule, dict):
            rule["from"] = sources
        elif kind == "requires" and isinstance(rule, dict):
            rule.pop("requires", None)
        elif kind == "max" and isinstance(rule, dict):
            rule["max_versions"] = n + 1 if n else None
            if rule["max_versions"] is None:
                rule.pop("max_versions")
        elif kind == "remote":
            current = (doc.get("check") or {}).get("remote") is True
            doc["check"] = {"remote": not current}
        elif kind == "drop":
            stages.pop(target, None)
        elif kind == "environments":  # every environment takes the target stage (and mars appears)
            doc["environments"] = {env: {"stage": target} for env in ENVIRONMENTS}
        self.dump("registry.yaml", doc)

    def schema(self, kind: str) -> None:
        folder = self.path / "schemas"
        if kind == "loosen":
            (folder / "model-version.schema.json").write_text("{}\n")
        elif kind == "stages":
            (folder / "stages.schema.json").write_text('{"type": "object"}\n')
        else:
            (folder / "extra.schema.json").write_text('{"type": "object"}\n')

    def manifest(self, name: str, i: int, kind: str) -> None:
        version = self.pick(name, i)
        rel = f"models/{name}/{version}.yaml"
        if not (self.path / rel).exists():
            return
        doc = self.load(rel)
        if not isinstance(doc, dict):
            return
        evaluation = {
            "dataset": {"name": "transactions", "version": "2026-12"},
            "metrics": {"auc": 0.99},
            "created_at": stamp(datetime.now(timezone.utc)),
        }
        if kind == "metric":
            doc.setdefault("metrics", {})["auc"] = 0.99
        elif kind == "describe":
            doc["description"] = "much better now"
        elif kind == "delete":
            git_ok("rm", "-q", "--", rel, cwd=self.path)
            return
        elif kind == "rename":
            self.serial += 1
            git_ok("mv", "--", rel, f"models/{name}/8.{self.serial}.0.yaml", cwd=self.path)
            return
        elif kind == "append_eval":
            doc["evaluations"] = [*(doc.get("evaluations") or []), evaluation]
        elif kind in ("append_holdout", "append_weak_holdout"):
            self.serial += 1
            holdout = {
                "dataset": {"name": "holdout", "version": f"2027-{self.serial:02d}"},
                "metrics": {"auc": 0.95 if kind == "append_holdout" else 0.5},
                "created_at": stamp(datetime.now(timezone.utc)),
            }
            doc["evaluations"] = [*(doc.get("evaluations") or []), holdout]
        elif kind in ("reorder_eval", "drop_eval"):
            evals = doc.get("evaluations")
            if not isinstance(evals, list) or not evals:
                return
            doc["evaluations"] = list(reversed(evals)) if kind == "reorder_eval" else evals[1:]
        elif kind == "edit_eval":
            evals = doc.get("evaluations")
            rewritable = isinstance(evals, list) and evals and isinstance(evals[0], dict)
            # rewrite the first evaluation, or (none to rewrite, or rewritten already) the field
            doc["evaluations"] = (
                [{**evals[0], "metrics": {"auc": 0.01}}, *evals[1:]] if rewritable else "none"
            )
        self.dump(rel, doc)

    def deploy(self, name: str, i: int, env: str, traffic: int | None) -> None:
        rel = f"models/{name}/deployments.yaml"
        if not (self.path / "models" / name).is_dir():
            return
        doc = self.load(rel) if (self.path / rel).exists() else {}
        doc = doc if isinstance(doc, dict) else {}
        entry: dict[str, Any] = {"version": self.pick(name, i)}
        if traffic is not None:
            entry["traffic"] = traffic
        doc[env] = entry
        self.dump(rel, doc)

    def deployments(self, name: str, kind: str) -> None:
        rel = f"models/{name}/deployments.yaml"
        if not (self.path / "models" / name).is_dir():
            return
        doc = self.load(rel) if (self.path / rel).exists() else None
        if kind == "delete":
            git_ok("rm", "-q", "--", rel, cwd=self.path)
        elif kind == "garbage":
            (self.path / rel).write_text("canary: [not, a, deployment]\n")
        elif kind == "undeploy" and isinstance(doc, dict) and doc:
            doc.pop(next(iter(doc)))
            self.dump(rel, doc)
        elif kind == "unregistered":
            self.dump(rel, {**(doc if isinstance(doc, dict) else {}), "canary": {"version": "9.9.9"}})

    def folder(self, name: str, i: int, kind: str) -> None:
        version = self.pick(name, i)
        folder = self.path / "models" / name / version
        if not folder.is_dir():
            return
        rel = f"models/{name}/{version}"
        if kind == "pointer":
            (folder / "extra.dvc").write_text(
                "cmd: touch /tmp/modelreg-pwned\nouts:\n- md5: 0123456789abcdef0123456789abcdef\n"
                "  size: 4\n  hash: md5\n  path: ../../../../tmp/x\n"
            )
        elif kind == "config":
            (folder / "config.json").write_text('{"threshold": 0.01}\n')
        elif kind == "symlink":
            target = folder / "model.bin"
            if target.exists() or target.is_symlink():
                target.unlink()
            os.symlink("/etc/hostname", target)
            git("add", "-f", "--", f"{rel}/model.bin", cwd=self.path)
        elif kind == "repoint":
            pointer = folder / "model.bin.dvc"
            if pointer.exists():
                data = b"swapped weights " + version.encode()
                oid = self.sb.store.file(data, pushed=True)
                doc = yaml.safe_load(pointer.read_text())
                if isinstance(doc, dict) and doc.get("outs"):
                    doc["outs"][0].update({"md5": oid, "size": len(data)})
                    pointer.write_text(yaml.safe_dump(doc, sort_keys=False))
        elif kind == "delete_pointer":
            git_ok("rm", "-q", "--", f"{rel}/model.bin.dvc", cwd=self.path)
        elif kind == "gitignore":
            git_ok("rm", "-q", "--", f"{rel}/.gitignore", cwd=self.path)
        elif kind == "bytes" and (folder / "model.bin").is_file():
            git("add", "-f", "--", f"{rel}/model.bin", cwd=self.path)

    def register(self, name: str, pushed: bool, quality: str, kind: str, to: str | None) -> None:
        self.serial += 1
        version = f"3.{self.serial}.0"
        good = quality == "good"
        folders = {
            "folder": {"a.bin": b"a", "sub/b.bin": b"bb"},
            "git": GIT_FOLDER_FILES,
            "dotdot": {"../../../../tmp/x": b"x", "a.bin": b"a"},
            "case": {"A.bin": b"upper", "a.bin": b"lower"},
            "dvc": {".dvc/config": b"[core]\n    remote = evil\n", "a.bin": b"a"},
        }
        self.sb.register(
            name,
            version,
            pushed=pushed,
            content=f"{name} {version} {self.serial}".encode(),
            folder=folders.get(kind),
            description="a new version" if good else "",
            metrics={"auc": 0.99, "latency_ms": 5} if good else {"auc": 0.5},
        )
        if kind == "pointer_path":
            pointer = self.path / "models" / name / version / "model.bin.dvc"
            pointer.write_text(pointer.read_text().replace("path: model.bin", "path: ../../../evil.bin"))
        if to is not None:
            self.move(name, self.versions(name).index(version), to, explicit=False)

    def dated(self, name: str, i: int, when: str, strong: bool) -> None:
        """Append a holdout evaluation (meeting production's requires or not) dated ``when``."""
        version = self.pick(name, i)
        rel = f"models/{name}/{version}.yaml"
        if not (self.path / rel).exists():
            return
        doc = self.load(rel)
        if not isinstance(doc, dict):
            return
        now, created = datetime.now(timezone.utc), moment(doc.get("created_at"))
        moments = {
            "creation": created,
            "before_creation": created - SKEW - timedelta(minutes=5),
            "within_skew": now + SKEW - timedelta(minutes=3),
            "beyond_skew": now + SKEW + timedelta(minutes=5),
        }
        if when.startswith("minutes:"):
            try:
                at = now + timedelta(minutes=int(when.split(":")[1]))
            except OverflowError:
                return
        else:
            at = moments.get(when) or datetime.fromisoformat(when).replace(tzinfo=timezone.utc)
        entry = {
            "dataset": {"name": "holdout", "version": "2026-10"},
            "metrics": {"auc": 0.95 if strong else 0.5},
            "created_at": stamp(at),
        }
        doc["evaluations"] = [*(doc.get("evaluations") or []), entry]
        self.dump(rel, doc)

    def governing(self, where: str, text: str) -> None:
        target = self.path / where
        if target.is_file() and text:
            target.write_text(target.read_text() + text)
        elif target.exists() and not text:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        if target.exists():
            git("add", "-f", "--", where, cwd=self.path)

    def register_named(self, name: str, pushed: bool, alias: str, as_folder: bool) -> None:
        """A new version whose artifact (or a folder inside its folder artifact) has ``alias``'s name."""
        self.serial += 1
        version = f"3.{self.serial}.0"
        self.sb.register(
            name,
            version,
            pushed=pushed,
            folder={f"{alias}/config": b"[core]\n\tfsmonitor = touch /tmp/pwned\n", "w.bin": b"w"}
            if as_folder
            else None,
            artifact_name=None if as_folder else alias,
            description="a new version",
            metrics={"auc": 0.99, "latency_ms": 5},
        )

    def dvcconfig(self, kind: str) -> None:
        config = self.path / ".dvc" / "config"
        if kind == "elsewhere":
            elsewhere = self.sb.root / "elsewhere"
            shutil.copytree(self.path / ".dvc" / "cache", elsewhere, dirs_exist_ok=True)
            config.write_text(re.sub(r"(?m)^(\s*url\s*=\s*).*$", r"\g<1>../../elsewhere", config.read_text()))
        else:
            config.write_text(config.read_text() + "['remote \"second\"']\n    url = /tmp/nowhere\n")

    def revert(self, i: int) -> None:
        commits = git("rev-list", "main..HEAD", cwd=self.path).split()
        if not commits:
            return
        if not git_ok("revert", "--no-edit", commits[i % len(commits)], cwd=self.path):
            git_ok("revert", "--abort", cwd=self.path)

    def land(self, mode: str) -> None:
        """CI judges the branch; only an accepted branch lands on main."""
        base, head = rev(self.path, "main"), rev(self.path)
        if base == head:
            return
        checked = run_check(self.path, "main", "HEAD")
        if not checked.accepted:
            return
        self.judge(base, head, f"landing ({mode})")
        self.oracle.land(View.at(self.path, base), View.at(self.path, head))
        git("checkout", "-q", "main", cwd=self.path)
        if mode == "ff":
            git("merge", "-q", "--ff-only", "attack", cwd=self.path)
        elif mode == "merge":
            git("merge", "-q", "--no-ff", "-m", "Merge attack", "attack", cwd=self.path)
        else:
            git("merge", "-q", "--squash", "attack", cwd=self.path)
            # a branch whose commits cancel out squashes to nothing: GitHub lands no commit then
            git("commit", "-q", "--allow-empty", "-m", "attack (squashed)", cwd=self.path)
        self.sb.branch("attack")

    # -- running and judging

    def apply(self, op: tuple[Any, ...]) -> None:
        kind, *args = op
        getattr(self, kind)(*args)
        if kind not in ("revert", "land"):
            git("-c", "core.protectNTFS=false", "add", "-A", cwd=self.path)  # as an attacker may
            commit_all(self.path, f"{kind} {args}")
        git("clean", "-q", "-fd", "--", "models", cwd=self.path)  # leftovers of failed edits

    def final(self) -> None:
        base, head = rev(self.path, "main"), rev(self.path)
        if base != head and run_check(self.path, "main", "HEAD").accepted:
            self.judge(base, head, "final branch")

    def judge(self, base: str, head: str, when: str) -> None:
        found = self.oracle.violations(self.path, base, head)
        if not found:
            return
        record = {"when": when, "ops": [list(op) for op in self.ops], "violations": found}
        if SURVEY:
            with open(SURVEY, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
            return
        message = f"check accepted at {when}: " + "; ".join(found)
        clause = found[0][: found[0].index(")") + 1]
        # One raise per clause, so that hypothesis reports each kind of hole separately.
        if clause == "(a)":
            raise Unsound(message)
        if clause == "(a1)":
            raise Unsound(message)
        if clause == "(b)":
            raise Unsound(message)
        if clause == "(c)":
            raise Unsound(message)
        if clause == "(d)":
            raise Unsound(message)
        if clause == "(g)":
            raise Unsound(message)
        if clause == "(h)":
            raise Unsound(message)
        raise Unsound(message)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gate-examples")


FRAUD_WITH_1_3_0_UP = [(3, "production"), (2, "archived"), (0, "archived"), (1, "archived")]
FRAUD_WITH_1_4_0_IN_PRODUCTION = [
    (4, "production"),
    (3, "staging"),
    (0, "archived"),
    (1, "archived"),
    (2, "archived"),
]


@settings(PROFILE, suppress_health_check=RELAXED)
@given_(remote_on=st.booleans(), ops=SEQUENCES)
# The attacks of test_gate_findings, so that every run tries them (8, a fork point before init, is not a
# branch edit: see test_gate_findings).
@example(remote_on=False, ops=[("policy", "initial", "production", [], 0)])  # 1
@example(  # 2: a direct move and its revert land by fast-forward; then the move "returns"
    remote_on=False,
    ops=[
        ("rewrite", "fraud", FRAUD_WITH_1_4_0_IN_PRODUCTION),
        ("revert", 0),
        ("land", "ff"),
        ("rewrite", "fraud", FRAUD_WITH_1_4_0_IN_PRODUCTION),
    ],
)
@example(remote_on=False, ops=[("move", "fraud", 2, "development", False)])  # 3
@example(  # 4
    remote_on=True,
    ops=[("register", "fraud", False, "good", "file", None), ("policy", "remote", "staging", [], 0)],
)
@example(remote_on=True, ops=[("move", "fraud", 4, "staging", False)])  # 5
@example(remote_on=False, ops=[("folder", "fraud", 2, "config")])  # 6
@example(remote_on=False, ops=[("folder", "fraud", 2, "symlink")])  # 6
@example(remote_on=True, ops=[("register", "fraud", True, "good", "git", None)])  # 7
# deployments: a deployment out of its stage, a promotion that strands one, an evaluation rewritten
@example(remote_on=False, ops=[("deploy", "fraud", 3, "prod", None)])
@example(remote_on=False, ops=[("move", "churn", 1, "archived", False)])
@example(remote_on=False, ops=[("manifest", "fraud", 1, "reorder_eval")])
@example(
    remote_on=False,
    ops=[("manifest", "fraud", 3, "append_weak_holdout"), ("rewrite", "fraud", FRAUD_WITH_1_3_0_UP)],
)
# the appended evaluation of 2999 that outranked every later one; ignore files; .git aliases
@example(remote_on=False, ops=[("dated", "fraud", 4, "2999-01-01", True)])
@example(remote_on=False, ops=[("dated", "fraud", 3, "before_creation", True)])
@example(
    remote_on=False, ops=[("dated", "fraud", 4, "within_skew", True), ("move", "fraud", 4, "staging", False)]
)
@example(
    remote_on=False,
    ops=[("governing", ".dvcignore", "*-1.bin\n"), ("register", "fraud", True, "good", "folder", None)],
)
@example(
    remote_on=False,
    ops=[("governing", "models/fraud/.gitignore", "[0-9]*.yaml\n"), ("move", "fraud", 4, "staging", False)],
)
@example(remote_on=False, ops=[("register_named", "fraud", True, ".g\u200cit", False)])
@example(remote_on=True, ops=[("register_named", "fraud", True, ".git::$INDEX_ALLOCATION", True)])
@example(remote_on=False, ops=[("register_named", "fraud", True, ".bashrc", False)])
def test_check_accepts_only_sound_changes(
    gate_bases: dict[bool, Base], scratch: Path, remote_on: bool, ops: list[tuple[Any, ...]]
) -> None:
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        attacker = Attacker(Sandbox.copy_of(gate_bases[remote_on], Path(tmp) / "x"), ops)
        for op in ops:
            attacker.apply(op)
        attacker.final()


# --- the converse: promote's own branches pass ----------------------------------------------------


def allowed_promotions(path: Path, remote_on: bool) -> list[tuple[str, str, str]]:
    """Every (model, version, stage) one ``promote`` may do on main, by the oracle's reading:
    a direct from: transition, the stage's requires met, not worse than the current holder,
    and (remote on) its bytes in the remote."""
    main = View.at(path, rev(path, "main"))
    policy, found = main.policy, []
    remote = gate_remote(path)
    for (name, version), manifest in sorted(main.manifests.items()):
        here = main.stage(name, version)
        for target in policy.stages:
            if target == here or here not in policy.sources(target) or not policy.meets(target, manifest):
                continue
            if target != policy.initial and not _not_worse(main, name, target, manifest):
                continue
            if remote_on and target != policy.initial and _lacks_bytes(remote, manifest):
                continue
            if _strands(main, name, version, target):
                continue
            found.append((name, version, target))
    return found


def _strands(main: View, name: str, version: str, target: str) -> bool:
    """Whether the move would leave an environment running a version out of the stages it
    accepts: the version itself, or a holder of a full target stage that would be displaced."""
    doc = (
        yaml.safe_load((main.path / "models" / name / "deployments.yaml").read_text())
        if (main.path / "models" / name / "deployments.yaml").exists()
        else None
    )
    limit = main.policy.limit(target)
    holders = [v for (n, v) in main.manifests if n == name and main.stage(n, v) == target]
    for env, entry in (doc if isinstance(doc, dict) else {}).items():
        running = entry.get("version") if isinstance(entry, dict) else None
        accepted = main.policy.environments.get(str(env), [])
        if running == version and target not in accepted:
            return True
        if running in holders and limit is not None and len(holders) >= limit:
            return True  # it may be displaced (conservatively: whichever holder goes)
    return False


def gate_remote(path: Path) -> Path:
    from gate_attacks import base_remote

    return base_remote(path, rev(path, "main"))


def _not_worse(main: View, name: str, target: str, manifest: Any) -> bool:
    rule = main.policy.stages.get(target, {})
    metrics = ((rule.get("requires") or {}).get("not_worse_than_current")) or []
    holders = [v for (n, v) in main.manifests if n == name and main.stage(n, v) == target]
    ours = manifest.get("metrics") or {}
    for holder in holders:
        theirs = main.manifests[(name, holder)].get("metrics") or {}
        for metric in metrics:
            if metric in theirs and (metric not in ours or ours[metric] < theirs[metric]):
                return False
    return True


def _lacks_bytes(remote: Path, manifest: Any) -> bool:
    return any(not object_path(remote, a["md5"]).is_file() for a in manifest.get("artifacts") or [])


@settings(PROFILE, max_examples=max(10, PROFILE.max_examples // 4), suppress_health_check=RELAXED)
@given_(
    remote_on=st.booleans(),
    steps=st.lists(
        st.tuples(st.integers(0, 99), st.sampled_from(["ff", "merge", "squash"])), min_size=1, max_size=4
    ),
)
def test_promotions_that_the_policy_allows_are_accepted(
    gate_bases: dict[bool, Base], scratch: Path, remote_on: bool, steps: list[tuple[int, str]]
) -> None:
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        sandbox = Sandbox.copy_of(gate_bases[remote_on], Path(tmp) / "x")
        path, done = sandbox.path, []
        for i, landing in steps:
            moves = allowed_promotions(path, remote_on)
            assert moves, "the base allows no promotion at all"
            name, version, target = moves[i % len(moves)]
            branch = promote_branch(path, f"{name}@{version}", target)
            done.append(f"{name}@{version} -> {target} ({landing})")
            checked = run_check(path, "main", branch)
            assert checked.accepted, f"after {done}: {checked.explain()}"
            git("checkout", "-q", "main", cwd=path)
            if landing == "ff":
                git("merge", "-q", "--ff-only", branch, cwd=path)
            elif landing == "merge":
                git("merge", "-q", "--no-ff", "-m", f"Merge {branch}", branch, cwd=path)
            else:
                git("merge", "-q", "--squash", branch, cwd=path)
                git("commit", "-q", "--allow-empty", "-m", f"{branch} (squashed)", cwd=path)
            git("branch", "-q", "-D", branch, cwd=path)


def test_the_hand_made_objects_match_what_dvc_writes(gate_bases: dict[bool, Base], tmp_path: Path) -> None:
    """The attacker's hand-registered versions are otherwise valid: a plain one passes check,
    so that refusals of the hostile ones are about what makes them hostile."""
    sandbox = Sandbox.copy_of(gate_bases[True], tmp_path / "x")
    sandbox.branch()
    sandbox.register("fraud", "3.0.0", pushed=True)
    sandbox.register("fraud", "3.1.0", pushed=True, folder={"a.bin": b"a", "sub/b.bin": b"b"})
    sandbox.commit("two new versions")
    checked = sandbox.check()
    assert checked.accepted, checked.explain()
    assert object_path(sandbox.root / "remote", sandbox.store.file(b"a", pushed=False)).is_file()
