"""`history NAME` with nothing kept reads that model's commits, not the registry's whole history.

Its answer must be the whole walk's: the model's events and every mark about it, including the
marks of commits that touch none of its files but whose words (a squash's subject, trailers,
the trailers of a merged branch) claim a move of it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from conftest import Reg, git

pytest_plugins = ["registries"]

CLAIM = "Modelreg-Model: fraud\nModelreg-Version: 1.2.0\nModelreg-From: development\nModelreg-To: staging\n"


def _commit(reg: Reg, message: str) -> str:
    git("add", "-A", cwd=reg.path)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=reg.path, check=True, env=os.environ)
    return git("rev-parse", "HEAD", cwd=reg.path).strip()


def _touch(reg: Reg, rel: str) -> None:
    reg.write(rel, (reg.path / rel).read_text() + "# edited\n")


def _claims_elsewhere(reg: Reg) -> list[str]:
    """Three commits that claim a move of fraud and touch only churn, and a policy change."""
    _touch(reg, "models/churn/model.yaml")
    trailers = _commit(reg, f"tidy churn\n\n{CLAIM}")
    _touch(reg, "models/churn/model.yaml")
    squash = _commit(reg, "promote fraud@1.2.0: development -> staging (#51)")
    git("checkout", "-q", "-b", "tidy", cwd=reg.path)
    _touch(reg, "models/churn/model.yaml")
    _commit(reg, f"tidy churn again\n\n{CLAIM}")
    git("checkout", "-q", "main", cwd=reg.path)
    git("merge", "-q", "--no-ff", "-m", "Merge pull request #52 from acme/tidy", "tidy", cwd=reg.path)
    merge = git("rev-parse", "HEAD", cwd=reg.path).strip()
    _touch(reg, "registry.yaml")
    _commit(reg, "policy: a comment")
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: [1.2.0]\narchived: [1.0.0]\n")
    _commit(reg, "promote fraud@1.2.0: development -> staging")
    return [trailers, squash, merge]


@pytest.fixture(autouse=True)
def narrow_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registries here are small: read one model's commits alone whatever the length."""
    from modelreg.history import records

    monkeypatch.setattr(records, "NARROW_FROM", 0)


def _history(reg: Reg, *args: str) -> str:
    r = reg.cli("history", *args)
    assert r.code == 0, r.err
    return r.out


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_one_models_history_read_alone_is_the_whole_walks(populated: Reg, fmt: str) -> None:
    reg = populated
    _claims_elsewhere(reg)
    asks = [["fraud"], ["fraud", "--stage", "staging"], ["churn"], ["fraud@1.2.0"]]
    alone = []
    for args in asks:
        shutil.rmtree(reg.path / ".git" / "modelreg", ignore_errors=True)
        alone.append(_history(reg, *args, "--format", fmt))
    _history(reg)  # the whole history, kept
    assert [_history(reg, *args, "--format", fmt) for args in asks] == alone


def test_the_claims_of_commits_that_touch_other_models_are_marked(populated: Reg) -> None:
    reg = populated
    claims = _claims_elsewhere(reg)
    shutil.rmtree(reg.path / ".git" / "modelreg", ignore_errors=True)
    events = json.loads(_history(reg, "fraud", "--format", "json"))["events"]
    marked = {
        e["commit"]["sha"]
        for e in events
        if e["kind"] == "violation" and e.get("rule") in {"subject", "trailer"}
    }
    assert marked == set(claims)
    from modelreg.history.records import read_kept

    assert read_kept(reg.path) is None  # one model's records are not the history's: none kept
    unknown = reg.cli("history", "nosuch")
    assert unknown.code == 1 and "nosuch" in unknown.err


def test_a_long_whole_walk_writes_the_commit_graph_once(
    populated: Reg, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelreg.history import records

    reg = populated
    graph = reg.path / ".git" / "objects" / "info" / "commit-graph"
    r = reg.cli("history")
    assert r.code == 0 and not graph.exists()  # a short history: the walk is cheap without it
    shutil.rmtree(reg.path / ".git" / "modelreg")
    monkeypatch.setattr(records, "GRAPH_FROM", 1)
    r = reg.cli("history")
    assert r.code == 0, r.err
    assert graph.is_file()
    verified = subprocess.run(["git", "commit-graph", "verify"], cwd=reg.path, capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
    assert git("log", "--format=%H", "--", "models/fraud", cwd=reg.path)  # git reads it
