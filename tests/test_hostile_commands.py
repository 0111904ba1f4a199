"""Hostile command lines (tests/hostile/commands.yaml), each run as a real ``modelreg`` process
against one registry: exit 1, exactly one clear line on stderr, no traceback, nothing changed.

The registry is built once for the module with pinned commit dates (messages quote them):
fraud 1.0.0 -> 1.1.0 -> 1.2.0 (retrains; 1.1.0 in production, 1.0.0 archived), churn 0.1.0.
A case that changes the repository fails, and the registry is put back for the next one.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Reg, cli, git, repo_state
from history_repo import isolated

pytestmark = pytest.mark.slow  # every hostile command line as its own process

CASES_FILE = Path(__file__).parent / "hostile" / "commands.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
PREFIX = "modelreg: error: "


@dataclass
class Hostile:
    path: Path
    pristine: Path
    scratch: Path
    state: tuple[str, ...]  # as built: every case must leave exactly this


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    from modelreg.operations.scaffold import init

    base = tmp_path_factory.mktemp("hostile")
    with isolated(base / "home") as mp:
        mp.setenv("GIT_AUTHOR_DATE", "2026-01-05T09:00:00+00:00")
        mp.setenv("GIT_COMMITTER_DATE", "2026-01-05T09:00:00+00:00")
        init(base / "registry", remote=str(base / "remote"), name="hostile")
        reg = Reg(base / "registry", base / "remote", base / "artifacts")
        reg.register("fraud", "1.0.0", owner="@acme/risk", description="first", metrics={"auc": 0.9})
        reg.register("fraud", "1.1.0", description="retrained", parents=[{"ref": "fraud@1.0.0"}])
        reg.register("fraud", "1.2.0", description="again", parents=[{"ref": "fraud@1.1.0"}])
        reg.register("churn", "0.1.0", owner="@acme/growth", description="churn")
        reg.write("models/fraud/stages.yaml", "production: 1.1.0\narchived: [1.0.0]\n")
        reg.commit("promote fraud@1.1.0 to production")
    shutil.copytree(reg.path, base / "pristine", symlinks=True)
    yield Hostile(reg.path, base / "pristine", base / "scratch", repo_state(reg.path))


def _write_inputs(case: dict[str, Any], scratch: Path) -> None:
    """The files a case names: text, bytes given in hex, symlinks, FIFOs, folders."""
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir()
    (scratch / "model.bin").write_bytes(b"weights")
    for rel, content in (case.get("files") or {}).items():
        target = scratch / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_content(content))
    for rel, points_to in (case.get("links") or {}).items():
        (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(points_to.replace("{scratch}", str(scratch)), scratch / rel)
    for rel in case.get("fifos") or []:
        (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(scratch / rel)


def _content(spec: str | dict[str, Any]) -> bytes:
    """Text as UTF-8; or {hex: true?, parts: [[piece, times], ...]} for bytes and big files."""
    if isinstance(spec, str):
        return spec.encode("utf-8")
    pieces = [(bytes.fromhex(p) if spec.get("hex") else p.encode("utf-8")) * n for p, n in spec["parts"]]
    return b"".join(pieces)


def _expand(text: str, scratch: Path, registry: Path) -> str:
    """{scratch}: the case's folder; {file}: a small artifact in it; {registry}: the registry;
    {x*300}: the character x 300 times."""
    text = re.sub(r"\{(.)\*(\d+)\}", lambda m: m.group(1) * int(m.group(2)), text)
    return (
        text.replace("{scratch}", str(scratch))
        .replace("{file}", str(scratch / "model.bin"))
        .replace("{registry}", str(registry))
    )


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_hostile_command(hostile: Hostile, case: dict[str, Any]) -> None:
    _write_inputs(case, hostile.scratch)
    args = [_expand(a, hostile.scratch, hostile.path) for a in case["args"]]
    result = cli(*args, cwd=hostile.path)
    after = repo_state(hostile.path)
    if after != hostile.state:  # put the registry back for the next case, then fail this one
        shutil.rmtree(hostile.path)
        shutil.copytree(hostile.pristine, hostile.path, symlinks=True)
    expected = PREFIX + _expand(case["stderr"], hostile.scratch, hostile.path)
    assert "Traceback" not in result.err
    assert (result.code, result.err) == (case.get("code", 1), expected + "\n"), result.out
    assert after == hostile.state, "the command changed the repository"


def test_corpus_is_large_and_ids_are_unique() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 80


def test_no_stray_branches_or_files_after_the_corpus(hostile: Hostile) -> None:
    """Run last in this module: the registry is exactly as built."""
    assert git("status", "--porcelain", "--", "models", cwd=hostile.path) == ""
    assert git("for-each-ref", "--format=%(refname)", cwd=hostile.path).split() == ["refs/heads/main"]
    assert repo_state(hostile.path) == hostile.state
