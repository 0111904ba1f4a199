"""The document cache (in the store, .git/modelreg/) never changes an answer: a warm read equals
a cold one, an edit is seen at once, problems keep their file and line (a damaged store: see
test_store.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Reg, git
from stored import keys, value

from modelreg import Registry, store
from modelreg.adapters import proc
from modelreg.documents.snapshot import LazyDict

pytestmark = pytest.mark.slow  # a large registry parsed on every core

ROOT = Path(__file__).resolve().parent.parent


def _answers(reg: Reg, env: dict[str, str] | None = None) -> list[str]:
    """What the read commands print (stdout, stderr, exit code of each)."""
    found = []
    for args in (
        ["list", "--format", "json"],
        ["list"],
        ["show", "fraud@production", "--format", "json"],
        ["show", "fraud@1.2.0"],
        ["validate", "--format", "json"],
    ):
        r = reg.cli(*args, env=env)
        found.append(f"{args} {r.code}\n{r.out}\n{r.err}")
    return found


def test_warm_answers_equal_cold_and_uncached(populated: Reg, settle: Callable[[], None]) -> None:
    cold = _answers(populated)
    assert keys(populated.path, "manifest")
    settle()
    assert _answers(populated) == cold
    assert "models/fraud/1.0.0.yaml" in json.loads(value(populated.path, "stat-memo", "files") or "{}")
    assert _answers(populated) == cold  # the blob ids from what lstat says
    assert _answers(populated, env={"MODELREG_NO_CACHE": "1"}) == cold


def test_an_edit_is_seen_even_with_size_and_mtime_restored(populated: Reg) -> None:
    assert "auc=0.93" in populated.cli("list").out
    target = populated.path / "models/fraud/1.2.0.yaml"
    before = target.stat()
    text = target.read_text()
    target.write_text(text.replace("auc: 0.93", "auc: 0.95"))  # same size
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # only ctime tells
    assert "auc=0.95" in populated.cli("list").out
    report = json.loads(populated.cli("validate", "--format", "json").out)
    assert report["ok"]
    target.write_text(text.replace("auc: 0.93", "auc: [0"))
    listed = populated.cli("list")
    assert listed.code == 1
    assert listed.lines[0].startswith("modelreg: error: models/fraud/1.2.0.yaml:")


def test_new_and_removed_files_are_seen(populated: Reg) -> None:
    populated.cli("validate")
    (populated.path / "models/fraud/1.0.0/model.bin.dvc").unlink()
    result = populated.cli("validate")
    assert result.code == 1
    assert "has no DVC pointer models/fraud/1.0.0/model.bin.dvc" in result.out
    populated.write("models/fraud/9.9.9/stray.bin.dvc", "outs:\n- md5: x\n")
    assert (
        "models/fraud/9.9.9/stray.bin.dvc: DVC pointer belongs to no manifest"
        in populated.cli("validate").out
    )


def test_problems_keep_file_and_line_from_a_warm_cache(populated: Reg) -> None:
    manifest = populated.path / "models/fraud/1.1.0.yaml"
    manifest.write_text(manifest.read_text().replace("size: ", "size: -"))
    cold = populated.cli("validate")
    assert cold.code == 1
    assert "models/fraud/1.1.0.yaml:" in cold.out and ": artifacts.0.size:" in cold.out
    line = cold.out.splitlines()[0].split(":")[1]
    assert line.isdigit()
    assert populated.cli("validate").out == cold.out  # from each document's entry
    shown = populated.cli("show", "fraud@1.0.0")
    assert shown.code == 1 and shown.lines[0].startswith(f"modelreg: error: models/fraud/1.1.0.yaml:{line}:")


def test_reads_at_a_revision_use_the_cache_and_agree(populated: Reg) -> None:
    populated.write("models/fraud/stages.yaml", "production: 1.2.0\narchived: [1.0.0, 1.1.0]\n")
    populated.commit("promote 1.2.0")
    first = [Registry(populated.path, rev=rev).get("fraud@production").ref for rev in ("HEAD", "HEAD~1")]
    assert first == ["fraud@1.2.0", "fraud@1.1.0"]
    store.forget_all()
    again = [Registry(populated.path, rev=rev).get("fraud@production").ref for rev in ("HEAD", "HEAD~1")]
    assert again == first
    assert (
        Registry(populated.path, rev="HEAD~1").validate() == Registry(populated.path, rev="HEAD~1").validate()
    )


def test_a_commit_lists_its_documents_as_its_files_do(populated: Reg) -> None:
    from modelreg.documents.tree import GitTree

    os.symlink("/etc/passwd", populated.path / "models/fraud/9.0.0.yaml")
    populated.write("models/fraud/notes/readme.md", "deep\n")
    populated.write("models/README.md", "top\n")
    populated.commit("odd files")
    deep = GitTree(populated.path, "HEAD").paths()
    shallow = GitTree(populated.path, "HEAD")
    documents = shallow.document_paths()
    assert documents == [p for p in deep if p.count("/") < 3]
    assert "models/fraud/9.0.0.yaml" in documents and "models/README.md" in documents
    assert shallow.content_ids(documents) == GitTree(populated.path, "HEAD").content_ids(documents)
    assert shallow.state_id() != GitTree(populated.path, "HEAD~1").state_id()


def test_the_cache_lives_under_git_and_changes_nothing_else(populated: Reg) -> None:
    before = populated.state()
    _answers(populated)
    assert populated.state() == before
    assert git("status", "--porcelain", cwd=populated.path) == ""


def test_lazy_dict_reads_as_a_dict() -> None:
    made: list[str] = []

    def make(key: str) -> int:
        made.append(key)
        return len(key)

    lazy = LazyDict(["a", "bb", "ccc"], make, made={"a": 1})
    assert "bb" in lazy and "zz" not in lazy and len(lazy) == 3 and list(lazy) == ["a", "bb", "ccc"]
    assert made == []
    assert lazy["bb"] == 2 and lazy.get("zz", 7) == 7 and made == ["bb"]
    assert dict(lazy.items()) == {"a": 1, "bb": 2, "ccc": 3} == lazy == dict(lazy) == {**lazy}
    assert sorted(lazy.values()) == [1, 2, 3] and made == ["bb", "ccc"]
    lazy["d"] = 9
    del lazy["a"]
    assert list(lazy.keys()) == ["bb", "ccc", "d"] and lazy.pop("d") == 9 and len(lazy) == 2
    with pytest.raises(KeyError):
        lazy["a"]


def test_map_in_forks_equals_a_loop() -> None:
    items = list(range(250))
    assert proc.map_in_forks(lambda x: [x, x * x], items, workers=3) == [[x, x * x] for x in items]

    def fails_in_copies(x: int) -> int:
        if os.getpid() != parent:
            raise RuntimeError("a copy fails")
        return x + 1

    parent = os.getpid()
    assert proc.map_in_forks(fails_in_copies, items, workers=2) == [x + 1 for x in items]


def test_a_large_registry_parsed_on_every_core_answers_the_same(tmp_path: Path) -> None:
    repo = tmp_path / "registry"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks/make_registry.py"),
            "--models",
            "40",
            "--versions",
            "26",
            "--out",
            str(repo),
        ],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "MODELREG_WORKERS": "2"}

    def read(extra: dict[str, str]) -> list[str]:
        shutil.rmtree(repo / ".git" / "modelreg", ignore_errors=True)
        outs = []
        for args in (["list", "--format", "json"], ["validate", "--format", "json"]):
            r = subprocess.run(
                [sys.executable, "-m", "modelreg", *args],
                cwd=repo,
                capture_output=True,
                text=True,
                env={**env, **extra},
            )
            outs.append(f"{r.returncode}{r.out if hasattr(r, 'out') else r.stdout}{r.stderr}")
        return outs

    parallel = read({})
    assert json.loads(parallel[1][1:])["ok"]
    assert len(json.loads(parallel[0][1:])["versions"]) == 40 * 26
    assert read({"MODELREG_WORKERS": "1"}) == parallel
    assert read({"MODELREG_NO_CACHE": "1"}) == parallel
