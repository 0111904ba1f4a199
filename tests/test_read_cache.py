"""The document cache under .git/modelreg/documents never changes an answer: a warm read equals
a cold one, an edit is seen at once, problems keep their file and line, a stale or corrupt cache
is ignored and rebuilt."""

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

from modelreg import Registry, cache, proc
from modelreg.snapshot import LazyDict

ROOT = Path(__file__).resolve().parent.parent


def _cache_dir(reg: Reg) -> Path:
    return reg.path / ".git" / "modelreg" / "documents"


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
    assert (_cache_dir(populated) / "index.json").is_file()
    assert not list(_cache_dir(populated).glob("state-*"))  # files changed a moment ago: not trusted yet
    settle()
    assert _answers(populated) == cold
    assert list(_cache_dir(populated).glob("state-*"))
    assert _answers(populated) == cold  # from the state kept whole
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
    assert populated.cli("validate").out == cold.out  # the whole report, cached
    (_cache_dir(populated) / "reports.json").unlink()
    for state in _cache_dir(populated).glob("state-*.json"):
        state.unlink()
    assert populated.cli("validate").out == cold.out  # rebuilt from each document's entry
    shown = populated.cli("show", "fraud@1.0.0")
    assert shown.code == 1 and shown.lines[0].startswith(f"modelreg: error: models/fraud/1.1.0.yaml:{line}:")


DAMAGES = ["garbage", "truncated", "wrong-shapes", "other-stamp", "empty", "forged-summary"]


def _damage(path: Path, damage: str) -> None:
    text = path.read_text(errors="replace")
    if path.name.startswith("list-") and damage in ("wrong-shapes", "forged-summary"):
        header, _, body = text.partition("\n")  # a header with a digest of the body: edit the body
        data, _, table = body.partition("\n")
        view = json.loads(data)
        view["models"] = (
            [[name, [[[], "x"]]] for name, _ in view["models"]] if damage == "forged-summary" else 5
        )
        path.write_text(header + "\n" + json.dumps(view) + "\n" + table.replace("fraud", "forged"))
    elif path.name.startswith("commit-") and damage in ("wrong-shapes", "forged-summary"):
        header, _, body = text.partition("\n")  # sealed too: edit the body
        blobs, links = json.loads(body)
        forged = {p: "0" * 40 for p in blobs} if damage == "forged-summary" else [1]
        path.write_text(header + "\n" + json.dumps([forged, links]))
    elif damage == "garbage":
        path.write_bytes(os.urandom(200))
    elif damage == "truncated":
        path.write_text(text[: len(text) // 2])
    elif damage == "empty":
        path.write_text("")
    elif damage == "other-stamp":
        path.write_text(text.replace('"stamp":"', '"stamp":"0').replace('"stamp": "', '"stamp": "0'))
    elif damage == "forged-summary":
        if path.name.startswith("listing-"):
            data = json.loads(text)
            data["entries"] = {name: [["x"]] for name in data["entries"]}
            path.write_text(json.dumps(data))
    elif path.suffix == ".json":
        data = json.loads(text)
        entries = data["entries"]
        data["entries"] = {k: "x" if i % 2 else {"p": "no", "s": [1], "d": 5} for i, k in enumerate(entries)}
        path.write_text(json.dumps(data))
    else:
        lines = text.splitlines()
        path.write_text("\n".join(lines[:1] + [line.split("\t")[0] + '\t{"name": 1}' for line in lines[1:]]))


def test_a_damaged_cache_is_ignored_and_rebuilt(
    populated: Reg, tmp_path: Path, settle: Callable[[], None]
) -> None:
    settle()  # so that whole states and listings are kept too
    cold = _answers(populated)
    at_head = populated.cli("list", "--at", "HEAD")  # a commit's listing is kept too
    pristine = tmp_path / "pristine"
    shutil.copytree(_cache_dir(populated), pristine)
    names = {p.name.split("-")[0] for p in pristine.iterdir()}
    assert {"index.json", "state", "listing", "list", "data", "reports.json", "files.json"} <= names
    assert "commit" in names
    for damage in DAMAGES:
        shutil.rmtree(_cache_dir(populated))
        shutil.copytree(pristine, _cache_dir(populated))
        for path in _cache_dir(populated).iterdir():
            _damage(path, damage)
        assert _answers(populated) == cold, damage
        assert _answers(populated) == cold, damage
        assert populated.cli("list", "--at", "HEAD") == at_head, damage


def test_reads_at_a_revision_use_the_cache_and_agree(populated: Reg) -> None:
    populated.write("models/fraud/stages.yaml", "production: 1.2.0\narchived: [1.0.0, 1.1.0]\n")
    populated.commit("promote 1.2.0")
    first = [Registry(populated.path, rev=rev).get("fraud@production").ref for rev in ("HEAD", "HEAD~1")]
    assert first == ["fraud@1.2.0", "fraud@1.1.0"]
    cache._stores.clear()
    again = [Registry(populated.path, rev=rev).get("fraud@production").ref for rev in ("HEAD", "HEAD~1")]
    assert again == first
    assert (
        Registry(populated.path, rev="HEAD~1").validate() == Registry(populated.path, rev="HEAD~1").validate()
    )


def test_a_commit_lists_its_documents_as_its_files_do(populated: Reg) -> None:
    from modelreg.tree import GitTree

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


def test_a_commit_read_again_takes_its_listing_from_the_cache(populated: Reg) -> None:
    from modelreg import snapshot
    from modelreg.tree import GitTree

    first = snapshot.load(GitTree(populated.path, "HEAD"))
    listings = list(_cache_dir(populated).glob("commit-*.json"))
    assert len(listings) == 1
    cache._stores.clear()
    tree = GitTree(populated.path, "HEAD")
    again = snapshot.load(tree)
    assert tree._shallow is not None and tree._deep is None  # adopted: nothing listed from Git
    assert (again.listed, again.ids, again.stages) == (first.listed, first.ids, first.stages)
    populated.write("models/fraud/stages.yaml", "production: 1.2.0\n")
    populated.commit("promote 1.2.0")
    assert snapshot.load(GitTree(populated.path, "HEAD")).stages["fraud"] == {"production": ["1.2.0"]}
    assert len(list(_cache_dir(populated).glob("commit-*.json"))) == 2
