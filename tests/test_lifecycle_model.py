"""A model-based test of the whole lifecycle: a team plays random sequences of register,
evaluate, promote, demote, archive, deprecate, rollback (with and without --deploy), deploy,
undeploy and hand-made stage edits on a real registry with a bare ``origin`` and a local DVC
remote. Each proposal is merged as a forge would (``git merge --no-ff`` by another identity,
pushed to origin) only when ``check --base origin/main`` accepts it; refused ones are closed
unmerged. A plain in-memory oracle holds the expected state, and after every step ``list``,
``show``, ``deployments``, ``history`` (the last state), ``events`` (of that step) and
``validate`` must agree with it; history marks no violation; no stage that had a holder is
empty unless the step asked for it.

The CI profile is small (it runs in .ci/run); a longer one:

    HYPOTHESIS_PROFILE=nightly DVC_NO_ANALYTICS=1 .venv/bin/python -m pytest -q \\
        -p no:cacheprovider -n0 tests/test_lifecycle_model.py
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from conftest import Reg, Templates, git
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from test_lifecycle import POLICY

PROFILES = {
    "ci": settings(
        max_examples=3,
        stateful_step_count=8,
        deadline=None,
        derandomize=True,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    ),
    "nightly": settings(
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    ),
}
PROFILE = PROFILES[os.environ.get("HYPOTHESIS_PROFILE", "ci")]

MODEL = "fraud"
ENVS = {"canary": {"staging", "production"}, "prod-eu": {"production"}, "prod-us": {"production"}}
FROM = {
    "development": {"archived"},
    "staging": {"development"},
    "production": {"staging"},
    "deprecated": {"production", "staging"},
    "archived": {"development", "staging", "production", "deprecated"},
}
LIMIT = {"staging": 3, "production": 1}
ACTIVE = {"staging", "production"}  # they cap (max_versions) and serve (environments)
STAGES = list(FROM)
MERGER = {"GIT_AUTHOR_NAME": "Carol Merger", "GIT_AUTHOR_EMAIL": "carol@example.com"}
STATS = {"sequences": 0, "steps": 0, "merged": 0, "refused_by_command": 0, "refused_by_check": 0}


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


@dataclass
class Stay:
    version: str
    stage: str
    start: int
    end: int | None = None


@dataclass
class Oracle:
    """The expected state of one model: its versions' stages, deployments and evaluations."""

    stage: dict[str, str] = field(default_factory=dict)
    deployed: dict[str, str] = field(default_factory=dict)
    evaluations: dict[str, int] = field(default_factory=dict)
    stays: list[Stay] = field(default_factory=list)
    clock: int = 0

    def holders(self, stage: str) -> list[str]:
        return sorted((v for v, s in self.stage.items() if s == stage), key=_key)

    def moved(self, new: dict[str, str]) -> None:
        """Take ``new`` (version -> stage) as the state, keeping every stay's start and end."""
        self.clock += 1
        for version, stage in new.items():
            if self.stage.get(version) == stage:
                continue
            for stay in self.stays:
                if stay.version == version and stay.end is None:
                    stay.end = self.clock
            self.stays.append(Stay(version, stage, self.clock))
        self.stage = dict(new)

    def promoted(self, version: str, to: str) -> dict[str, str]:
        """The stages after promote's placement: the oldest others leave a full stage."""
        new = dict(self.stage)
        new[version] = to
        limit = LIMIT.get(to)
        others = [v for v in self.holders(to) if v != version]
        while limit is not None and len(others) + 1 > limit:
            new[others.pop(0)] = "archived"
        return new

    def rollback_pick(self, stage: str) -> tuple[str, str] | None:
        """(returning, leaving) as the user means a rollback of ``stage``, or None."""
        current = [s for s in self.stays if s.stage == stage and s.end is None]
        if not current:
            return None
        latest = max(current, key=lambda s: s.start)
        holding = {s.version for s in current}
        earlier: dict[str, Stay] = {}
        for s in self.stays:
            if s.stage != stage or s.end is None or s.end > latest.start or s.version in holding:
                continue
            if s.version not in earlier or s.end > (earlier[s.version].end or 0):
                earlier[s.version] = s
        for s in sorted(earlier.values(), key=lambda s: s.end or 0, reverse=True):
            now = self.stage[s.version]
            if now not in ACTIVE or now == stage:
                return s.version, latest.version
        return None


class Team(RuleBasedStateMachine):
    """One sequence: a copy of the template registry, a bare origin, and the oracle."""

    templates: Templates
    base: Path

    def __init__(self) -> None:
        super().__init__()
        where = Path(tempfile.mkdtemp(dir=self.base))
        self.reg = self.templates.copy("lifecycle", build_lifecycle, where)
        self.origin = where / "origin.git"
        git("init", "-q", "--bare", str(self.origin), cwd=self.reg.path)
        git("remote", "add", "origin", str(self.origin), cwd=self.reg.path)
        git("push", "-q", "origin", "main", cwd=self.reg.path)
        git("fetch", "-q", "origin", cwd=self.reg.path)
        self.oracle = Oracle(stage={"1.0.0": "development"}, evaluations={"1.0.0": 0})
        self.oracle.stays.append(Stay("1.0.0", "development", 0))
        self.moment = int(time.time()) + 60
        self.number = 0
        self.before = self._main()
        self.prev = (dict(self.oracle.stage), dict(self.oracle.deployed), dict(self.oracle.evaluations))
        self.asked: set[str] = set()
        STATS["sequences"] += 1

    # --- helpers -------------------------------------------------------------------------------

    @contextmanager
    def dated(self) -> Iterator[dict[str, str]]:
        """Every commit of the step one minute after the last: merges never share a second."""
        self.moment += 60
        stamp = f"{self.moment} +0000"
        dates = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        saved = {k: os.environ.get(k) for k in dates}
        os.environ.update(dates)
        try:
            yield dates
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def _main(self) -> str:
        return git("rev-parse", "main", cwd=self.reg.path).strip()

    def cli(self, *args: str) -> tuple[int, str, str]:
        with self.dated() as dates:
            r = self.reg.cli(*args, env=dates)
        assert r.code in (0, 1), (args, r.code, r.err)
        return r.code, r.out, r.err

    def begin(self) -> None:
        """A step starts: what the oracle held, to tell what the step did."""
        STATS["steps"] += 1
        self.before = self._main()
        self.prev = (dict(self.oracle.stage), dict(self.oracle.deployed), dict(self.oracle.evaluations))
        self.asked: set[str] = set()

    def expected_events(self) -> list[tuple[str, str]]:
        stage, deployed, evaluations = self.prev
        found = [("registered", v) for v in self.oracle.stage if v not in stage]
        found += [("stage_changed", v) for v, s in self.oracle.stage.items() if v in stage and stage[v] != s]
        found += [
            ("evaluation_added", v) for v, n in self.oracle.evaluations.items() if n > evaluations.get(v, 0)
        ]
        for env in set(deployed) | set(self.oracle.deployed):
            was, now = deployed.get(env), self.oracle.deployed.get(env)
            if was != now:
                found.append(("deployed", now) if now else ("undeployed", was or ""))
        return sorted(found)

    def propose(self, *args: str, expect: dict[str, str] | None) -> bool:
        """Run a proposing command; merge its branch when check accepts it. ``expect``: the
        stages the oracle expects after the merge (None: the command's own state change)."""
        code, out, err = self.cli(*args)
        if code != 0:
            STATS["refused_by_command"] += 1
            assert "Traceback" not in err
            return False
        branch = re.search(r"^branch (\S+) ", out, re.MULTILINE).group(1)  # type: ignore[union-attr]
        code, checked, _ = self.cli("check", "--base", "origin/main", "--head", branch)
        # one judge: what a command proposes after checking every rule, check accepts
        assert code == 0, (args, checked)
        self._merge(branch)
        if expect is not None:
            self.oracle.moved(expect)
        return True

    def _merge(self, branch: str) -> None:
        self.number += 1
        with self.dated() as dates:
            subprocess.run(
                [
                    "git",
                    "merge",
                    "-q",
                    "--no-ff",
                    "-m",
                    f"Merge pull request #{self.number} from acme/{branch}",
                    branch,
                ],
                cwd=self.reg.path,
                env={
                    **os.environ,
                    **dates,
                    **MERGER,
                    "GIT_COMMITTER_NAME": "Carol Merger",
                    "GIT_COMMITTER_EMAIL": "carol@example.com",
                },
                check=True,
                capture_output=True,
            )
        git("push", "-q", "origin", "main", cwd=self.reg.path)
        git("push", "-q", "origin", f":{branch}", cwd=self.reg.path, ok=(1,))  # a hand branch is local
        git("branch", "-q", "-D", branch, cwd=self.reg.path)
        git("fetch", "-q", "--prune", "origin", cwd=self.reg.path)
        STATS["merged"] += 1

    def _close(self, branch: str) -> None:
        git("push", "-q", "origin", f":{branch}", cwd=self.reg.path, ok=(1,))
        git("branch", "-q", "-D", branch, cwd=self.reg.path, ok=(1,))

    # --- the team's moves ---------------------------------------------------------------------

    @precondition(lambda self: len(self.oracle.stage) < 5)
    @rule(auc=st.sampled_from([0.85, 0.9, 0.95]))
    def register(self, auc: float) -> None:
        self.begin()
        version = f"1.{len(self.oracle.stage)}.0"
        with self.dated():
            self.reg.register(MODEL, version, description=f"v{version}", metrics={"auc": auc})
        git("push", "-q", "origin", "main", cwd=self.reg.path)
        git("fetch", "-q", "origin", cwd=self.reg.path)
        self.oracle.evaluations[version] = 0
        self.oracle.moved({**self.oracle.stage, version: "development"})

    @rule(data=st.data())
    def evaluate(self, data: st.DataObject) -> None:
        self.begin()
        version = data.draw(st.sampled_from(sorted(self.oracle.stage)))
        if self.propose(
            "evaluate", f"{MODEL}@{version}", "--dataset", "holdout@1", "--metric", "auc=0.9", expect=None
        ):
            self.oracle.evaluations[version] += 1
            self.oracle.clock += 1

    @rule(data=st.data(), to=st.sampled_from(["staging", "production"]))
    def promote(self, data: st.DataObject, to: str) -> None:
        self.begin()
        version = data.draw(st.sampled_from(sorted(self.oracle.stage)))
        envs = data.draw(
            st.lists(st.sampled_from(sorted(e for e, s in ENVS.items() if to in s)), unique=True)
        )
        after = self.oracle.promoted(version, to)
        self.asked.add(self.oracle.stage[version])  # the stage the named version leaves
        flags = [x for env in envs for x in ("--deploy", env)]
        if self.propose("promote", f"{MODEL}@{version}", "--to", to, *flags, expect=after):
            self.oracle.deployed.update({env: version for env in envs})

    @rule(data=st.data(), verb=st.sampled_from(["archive", "deprecate", "demote"]))
    def retire(self, data: st.DataObject, verb: str) -> None:
        self.begin()
        version = data.draw(st.sampled_from(sorted(self.oracle.stage)))
        to = {"archive": "archived", "deprecate": "deprecated", "demote": "development"}[verb]
        was = self.oracle.stage[version]
        args = (
            ["demote", f"{MODEL}@{version}", "--to", to] if verb == "demote" else [verb, f"{MODEL}@{version}"]
        )
        self.asked.add(was)  # the stage the named version leaves
        self.propose(*args, expect={**self.oracle.stage, version: to})

    @rule(stage=st.sampled_from(["staging", "production"]), deploy=st.booleans())
    def rollback(self, stage: str, deploy: bool) -> None:
        self.begin()
        pick = self.oracle.rollback_pick(stage)
        leaving = pick[1] if pick else None
        envs = sorted(e for e, v in self.oracle.deployed.items() if v == leaving and stage in ENVS[e])
        flags = [x for env in envs for x in ("--deploy", env)] if deploy else []
        code, out, err = self.cli("rollback", MODEL, "--stage", stage, *flags)
        if pick is None:
            assert code == 1 and ("nothing to roll back" in err or "no earlier holder" in err), (out, err)
            STATS["refused_by_command"] += 1
            return
        if code != 0:
            STATS["refused_by_command"] += 1
            # refused only for environments it would strand, naming the command that works
            assert not deploy and envs, (pick, err)
            assert err.strip().endswith(" ".join(f"--deploy {e}" for e in envs)), err
            return
        returning = pick[0]
        assert out.splitlines()[0].endswith(f"to {returning}"), (pick, out)
        branch = re.search(r"^branch (\S+) ", out, re.MULTILINE).group(1)  # type: ignore[union-attr]
        code, checked, _ = self.cli("check", "--base", "origin/main", "--head", branch)
        assert code == 0, checked
        self._merge(branch)
        self.oracle.moved({**self.oracle.stage, returning: stage, leaving: "archived"})
        self.oracle.deployed.update({env: returning for env in envs})

    @rule(data=st.data(), env=st.sampled_from(sorted(ENVS)))
    def deploy(self, data: st.DataObject, env: str) -> None:
        self.begin()
        version = data.draw(st.sampled_from(sorted(self.oracle.stage)))
        if self.propose("deploy", f"{MODEL}@{version}", "--env", env, expect=None):
            self.oracle.deployed[env] = version
            self.oracle.clock += 1

    @precondition(lambda self: bool(self.oracle.deployed))
    @rule(data=st.data())
    def undeploy(self, data: st.DataObject) -> None:
        self.begin()
        env = data.draw(st.sampled_from(sorted(self.oracle.deployed)))
        if self.propose("undeploy", MODEL, "--env", env, expect=None):
            del self.oracle.deployed[env]
            self.oracle.clock += 1

    @rule(data=st.data(), to=st.sampled_from(STAGES))
    def by_hand(self, data: st.DataObject, to: str) -> None:
        """A stages.yaml edited by hand on a branch: merged only when check accepts it."""
        self.begin()
        version = data.draw(st.sampled_from(sorted(self.oracle.stage)))
        if self.oracle.stage[version] == to:
            return
        new = {**self.oracle.stage, version: to}
        lists: dict[str, list[str]] = {}
        for v, s in sorted(new.items(), key=lambda item: _key(item[0])):
            if s != "development":
                lists.setdefault(s, []).append(v)
        text = "".join(f"{s}: [{', '.join(vs)}]\n" for s, vs in lists.items()) or "{}\n"
        branch = f"hand/{self.number}-{version}-{to}"
        git("checkout", "-q", "-b", branch, "origin/main", cwd=self.reg.path)
        try:
            (self.reg.path / f"models/{MODEL}/stages.yaml").write_text(text)
            with self.dated():
                self.reg.commit(f"{version} to {to} by hand")
        finally:
            git("checkout", "-q", "main", cwd=self.reg.path)
        code, checked, _ = self.cli("check", "--base", "origin/main", "--head", branch)
        if code != 0:
            STATS["refused_by_check"] += 1
            self._close(branch)  # left unmerged
            return
        self.asked.add(self.oracle.stage[version])  # the stage the named version leaves
        self._merge(branch)
        self.oracle.moved(new)

    # --- what every command must agree on ------------------------------------------------------

    def read(self, *args: str) -> dict:
        r = self.reg.cli(*args, "--format", "json")
        assert r.code == 0, (args, r.err)
        found: dict = json.loads(r.out)
        return found

    @invariant()
    def agree(self) -> None:
        reg = self.reg
        listed = [v for v in self.read("list")["versions"] if v["name"] == MODEL]
        assert {v["version"]: v["stage"] for v in listed} == self.oracle.stage
        for version, stage in self.oracle.stage.items():
            shown = self.read("show", f"{MODEL}@{version}")
            assert shown["stage"] == stage
            assert len(shown["manifest"].get("evaluations", [])) == self.oracle.evaluations[version]
        rows = self.read("deployments", MODEL)["deployments"]
        assert {d["environment"]: d["version"] for d in rows} == self.oracle.deployed
        events = self.read("history", MODEL)["events"]
        assert [e for e in events if e["kind"] == "violation"] == []
        last: dict[str, str] = {}
        for e in reversed(events):
            if e["kind"] == "registered":
                last[e["version"]] = "development"
            elif e["kind"] == "stage_changed":
                last[e["version"]] = e.get("to") or e.get("to_stage")
        assert last == self.oracle.stage
        step = self.read("events", "--base", self.before)["events"]
        assert [e for e in step if e["kind"] == "violation"] == []
        kinds = {"registered", "stage_changed", "evaluation_added", "deployed", "undeployed"}
        told = sorted((e["kind"], e["version"]) for e in step if e["kind"] in kinds)
        assert told == self.expected_events(), (told, self.expected_events())
        assert reg.cli("validate").code == 0

    @invariant()
    def no_stage_left_empty(self) -> None:
        """A stage that had a holder before the step has one after, unless the step asked: the
        version it named left it (a displaced holder or a rollback never empties one)."""
        before = self.prev[0]
        for stage in LIMIT:
            if stage in before.values() and not self.oracle.holders(stage):
                assert stage in self.asked, stage


def build_lifecycle(reg: Reg) -> None:
    reg.write("registry.yaml", POLICY)
    reg.commit("policy with environments")
    reg.register(MODEL, "1.0.0", description="first", metrics={"auc": 0.9})


def test_the_team_lifecycle(templates: Templates, tmp_path: Path) -> None:
    Team.templates, Team.base = templates, tmp_path
    Team.TestCase.settings = PROFILE
    try:
        Team.TestCase("runTest").runTest()
    finally:
        print(f"lifecycle model: {STATS}")
