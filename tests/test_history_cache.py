"""The history cache (in the store, .git/modelreg/): warm reads, incremental reads, rewritten history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from history_repo import Built
from stored import plant, store_path, value

from modelreg import store
from modelreg.history import audit
from modelreg.history import records as history_cache


def kept(built: Built) -> str | None:
    return value(built.path, history_cache.KIND, history_cache.KEY)


def write_cache(built: Built, header: dict[str, Any], lines: list[list[Any]]) -> None:
    body = [f"{a}\t{b}\t{json.dumps(m)}\t{json.dumps(r)}" for a, b, m, r in lines]
    history_cache.keep(
        built.path, history_cache.Kept(head=header["head"], branch=header["branch"], lines=body)
    )
    store.forget_all()  # the next command reads the store as a new process would


def read_cache(built: Built) -> tuple[dict[str, Any], list[list[Any]]]:
    """The cache's header, and its lines as [sha, registry blob, models, record]."""
    found = history_cache.read_kept(built.path)
    store.forget_all()
    assert found is not None
    lines = [line.split("\t", 3) for line in found.lines]
    return {"head": found.head, "branch": found.branch}, [
        [sha, blob, json.loads(models), json.loads(record)] for sha, blob, models, record in lines
    ]


def tamper(built: Built, sha: str, detail: str) -> None:
    """Mark the cached events of commit ``sha``: if a query shows the mark, it did not re-read them."""
    header, lines = read_cache(built)
    for line in lines:
        if line[0] == sha:
            for change in line[3]["changes"]:
                change["detail"] = detail
    write_cache(built, header, lines)


def details(built: Built, sha: str) -> list[str]:
    return [e.detail for e in audit.events(built.path) if e.commit.sha == sha]


def promote_directly(built: Built, text: str, message: str) -> str:
    (built.path / "models/fraud/stages.yaml").write_text(text)
    built.git("commit", "-q", "-am", message)
    return built.git("rev-parse", "HEAD").strip()


def test_a_repeated_query_reads_nothing_twice(hist: Built) -> None:
    assert not store_path(hist.path).exists()
    first = audit.events(hist.path)
    assert kept(hist) is not None
    tamper(hist, hist.commits["pr13"], "from the cache")
    assert details(hist, hist.commits["pr13"]) == ["from the cache"]
    assert len(audit.events(hist.path)) == len(first)
    assert [p.name for p in store_path(hist.path).parent.iterdir() if "tmp" in p.name] == []


def test_a_new_commit_is_read_incrementally(hist: Built) -> None:
    audit.events(hist.path)
    tamper(hist, hist.commits["pr13"], "from the cache")
    new = promote_directly(
        hist, "archived: [1.0.0, 1.1.0]\nproduction: 2.0.0\nstaging: [1.2.0]\n", "stage fraud@1.2.0"
    )
    events = audit.events(hist.path)
    assert details(hist, hist.commits["pr13"]) == ["from the cache"]
    assert [(e.ref, e.from_stage, e.to_stage) for e in events if e.commit.sha == new] == [
        ("fraud@1.2.0", "development", "staging")
    ]
    assert read_cache(hist)[0]["head"] == new


def test_a_rewritten_history_is_noticed_and_rebuilt(hist: Built) -> None:
    first = hist.cli("history", "fraud", "--format", "json")
    assert first.code == 0 and first.err == "", first.err
    tamper(hist, hist.commits["pr13"], "survives the rewrite")  # an unchanged commit: reused
    hist.git("reset", "-q", "--hard", hist.commits["pr14"])  # force-push: PR #15, #16 and more vanish
    new = promote_directly(hist, "archived: [1.0.0, 1.1.0]\nproduction: 1.2.0\n", "hotfix (#20)")
    r = hist.cli("history", "fraud", "--format", "json")
    assert r.code == 0
    assert r.lines == [
        f"modelreg: warning: the history of main was rewritten: the cached head {hist.commits['pr16'][:8]} "
        "is no longer an ancestor of HEAD; rebuilding the history cache"
    ]
    events = json.loads(r.out)["events"]
    shas = {e["commit"]["sha"] for e in events}
    assert hist.commits["pr16"] not in shas and hist.commits["pr15"] not in shas
    assert [(e["version"], e["from"], e["to"], e["commit"]["pr"]) for e in events[:2]] == [
        ("1.1.0", "production", "archived", 20),
        ("1.2.0", "development", "production", 20),
    ]
    assert events[0]["commit"]["sha"] == new
    assert details(hist, hist.commits["pr13"]) == ["survives the rewrite"]
    again = hist.cli("history", "fraud")
    assert again.code == 0 and again.err == ""


def test_a_branch_reset_backwards_is_a_rewrite_too(hist: Built) -> None:
    audit.events(hist.path)
    hist.git("reset", "-q", "--hard", hist.commits["pr14"])
    warnings: list[str] = []
    events = audit.events(hist.path, warn=warnings.append)
    assert len(warnings) == 1 and "was rewritten" in warnings[0]
    assert events[-1].commit.sha == hist.commits["pr14"]
    assert read_cache(hist)[0]["head"] == hist.commits["pr14"]


def test_switching_branches_is_not_a_rewrite(hist: Built) -> None:
    audit.events(hist.path)
    hist.git("checkout", "-q", "-b", "experiment", hist.commits["pr13"])
    warnings: list[str] = []
    events = audit.events(hist.path, warn=warnings.append)
    assert warnings == []
    assert events[-1].commit.sha == hist.commits["pr13"]
    hist.git("checkout", "-q", "main")
    assert audit.events(hist.path, warn=warnings.append)[-1].commit.sha == hist.commits["pr16"]
    assert warnings == []


def test_a_damaged_cache_is_rebuilt_quietly(hist: Built) -> None:
    expected = [e.model_dump() for e in audit.events(hist.path)]
    plant(hist.path, history_cache.KIND, history_cache.KEY, "{not json")
    warnings: list[str] = []
    assert [e.model_dump() for e in audit.events(hist.path, warn=warnings.append)] == expected
    assert warnings == []
    assert read_cache(hist)[0]["head"] == hist.commits["pr16"]


def test_an_older_commit_is_answered_from_the_cache(hist: Built) -> None:
    audit.events(hist.path)
    tamper(hist, hist.commits["pr13"], "from the cache")
    old = audit.events(hist.path, tip=hist.commits["pr14"])
    assert old[-1].commit.sha == hist.commits["pr14"]
    assert [e.detail for e in old if e.commit.sha == hist.commits["pr13"]] == ["from the cache"]
    assert read_cache(hist)[0]["head"] == hist.commits["pr16"]


def test_a_worktree_keeps_its_own_cache(hist: Built, tmp_path: Path) -> None:
    other = tmp_path / "other"
    hist.git("worktree", "add", "-q", "--detach", str(other), hist.commits["pr13"])
    events = audit.events(other)
    assert events[-1].commit.sha == hist.commits["pr13"]
    other_store = hist.path / ".git" / "worktrees" / "other" / "modelreg" / "store.sqlite"
    found = value(other, history_cache.KIND, history_cache.KEY, path=other_store)
    assert found is not None and json.loads(found.partition("\n")[0])["head"] == hist.commits["pr13"]
    assert not store_path(hist.path).exists()


def test_one_model_reads_only_the_records_that_name_it(hist: Built) -> None:
    everything = audit.events(hist.path)
    for model in ("fraud", "churn"):
        assert audit.events(hist.path, model=model) == [e for e in everything if e.model == model]
    header, lines = read_cache(hist)
    churn = next(line for line in lines if line[2] == ["churn"])
    tamper(hist, churn[0], "churn's, from the cache")
    assert all(e.detail != "churn's, from the cache" for e in audit.events(hist.path, model="fraud"))
    assert "churn's, from the cache" in [e.detail for e in audit.events(hist.path, model="churn")]


def test_a_record_that_does_not_read_back_is_rebuilt_quietly(hist: Built) -> None:
    expected = [e.model_dump() for e in audit.events(hist.path)]
    header, lines = read_cache(hist)
    lines[3][3] = {"commit": 5}
    write_cache(hist, header, lines)
    warnings: list[str] = []
    assert [e.model_dump() for e in audit.events(hist.path, warn=warnings.append)] == expected
    assert warnings == []
    assert read_cache(hist)[1][3][3] != {"commit": 5}
