"""One judge: history's violation marks on a commit are exactly what ``check --base PARENT``
refuses of it. Generated sequences of hand-made commits (stages.yaml and deployments.yaml
written directly on main, the gate bypassed) are judged both ways, commit by commit: every
(rule, version) check refuses is marked, and nothing it accepts is.

    HYPOTHESIS_PROFILE=nightly DVC_NO_ANALYTICS=1 .venv/bin/python -m pytest -q \\
        -p no:cacheprovider -n0 tests/test_one_judge.py
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from conftest import Reg, Templates, git
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_lifecycle import POLICY

PROFILE = {
    "ci": settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)),
    "nightly": settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck)),
}[os.environ.get("HYPOTHESIS_PROFILE", "ci")]

VERSIONS = ["1.0.0", "1.1.0", "1.2.0"]
STAGES = ["development", "staging", "production", "deprecated", "archived"]
ENVS = ["canary", "prod-eu"]
JUDGED = {"transition", "requirement", "capacity", "deployment"}
RUN = {"examples": 0, "commits": 0, "marked": 0}

commit_of = st.tuples(
    st.fixed_dictionaries({v: st.sampled_from(STAGES) for v in VERSIONS}),
    st.fixed_dictionaries({e: st.none() | st.sampled_from(VERSIONS) for e in ENVS}),
)


def _stages_text(placed: dict[str, str]) -> str:
    lists: dict[str, list[str]] = {}
    for version, stage in placed.items():
        if stage != "development":
            lists.setdefault(stage, []).append(version)
    return "".join(f"{s}: [{', '.join(vs)}]\n" for s, vs in lists.items()) or "{}\n"


def _build(reg: Reg) -> None:
    from conftest import build_populated

    build_populated(reg)
    reg.write("registry.yaml", POLICY)
    reg.write("models/fraud/stages.yaml", "staging: [1.1.0]\narchived: [1.0.0]\n")
    reg.commit("policy with environments")


def _refused(top: Path, parent: str, commit: str) -> set[tuple[str, str | None]]:
    from modelreg.operations.check import check

    report = check(top, base=parent, head=commit)
    found = set()
    for p in report.problems:
        if p.rule not in JUDGED:
            continue
        m = re.match(r"^fraud@(\S+?):? ", p.message)
        found.add((p.rule, m.group(1) if m and p.rule in ("transition", "requirement") else None))
    return found


def _marked(top: Path) -> dict[str, set[tuple[str, str | None]]]:
    from modelreg.history import audit

    found: dict[str, set[tuple[str, str | None]]] = {}
    for e in audit.events(top, model="fraud"):
        if e.kind == "violation" and e.rule in JUDGED:
            found.setdefault(e.commit.sha, set()).add((e.rule, e.version))
    return found


def test_history_marks_what_check_refuses(templates: Templates, tmp_path: Path) -> None:
    @PROFILE
    @given(st.lists(commit_of, min_size=1, max_size=5))
    def judged(commits: list[tuple[dict[str, str], dict[str, str | None]]]) -> None:
        reg = templates.copy("one-judge", _build, Path(tempfile.mkdtemp(dir=tmp_path)))
        made = []
        for placed, deployed in commits:
            reg.write("models/fraud/stages.yaml", _stages_text(placed))
            entries = "".join(f"{env}: {{version: {v}}}\n" for env, v in deployed.items() if v)
            reg.write("models/fraud/deployments.yaml", entries or "{}\n")
            if not git("status", "--porcelain", cwd=reg.path).strip():
                continue
            made.append(reg.commit("by hand"))
        marks = _marked(reg.path)
        for commit in made:
            parent = git("rev-parse", f"{commit}~1", cwd=reg.path).strip()
            assert marks.get(commit, set()) == _refused(reg.path, parent, commit), commit
        RUN["examples"] += 1
        RUN["commits"] += len(made)
        RUN["marked"] += sum(1 for c in made if marks.get(c))

    judged()
    print(f"one judge: {RUN}")
