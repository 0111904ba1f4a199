"""Fixtures: throwaway Git repositories with real DVC and a local remote, fully isolated."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["history_repo", "gate_attacks"]  # built_history, hist; gate_bases, sandbox


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test sees the real home, git config, DVC site cache or network settings."""
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text(
        "[init]\n\tdefaultBranch = main\n[user]\n\tname = Test User\n\temail = test@example.com\n"
        "[advice]\n\tdetachedHead = false\n"
    )
    env = {
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_AUTHOR_NAME": "Alice Example",
        "GIT_AUTHOR_EMAIL": "alice@example.com",
        "GIT_COMMITTER_NAME": "Alice Example",
        "GIT_COMMITTER_EMAIL": "alice@example.com",
        "DVC_NO_ANALYTICS": "1",
        "DVC_SITE_CACHE_DIR": str(home / "dvc-site"),
        "DVC_GLOBAL_CONFIG_DIR": str(home / "dvc-global"),
        "DVC_SYSTEM_CONFIG_DIR": str(home / "dvc-system"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for key in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_TOKEN", "GH_TOKEN", "GIT_DIR"):
        monkeypatch.delenv(key, raising=False)
    return home


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.err.strip().splitlines()


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
    """Run ``python -m modelreg ARGS`` as a real subprocess."""
    proc = subprocess.run(
        [sys.executable, "-m", "modelreg", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


INTERNAL = (".git/", ".dvc/tmp/", ".dvc/cache/")


def repo_state(path: Path) -> tuple[str, ...]:
    """What a failed command must leave unchanged: HEAD, branches, index, status, every file.

    DVC's own bookkeeping (.dvc/tmp, and the content-addressed .dvc/cache) is left out.
    """
    files = sorted(
        f"{rel}:{p.stat().st_size}"
        for p in path.rglob("*")
        if p.is_file() and not (rel := p.relative_to(path).as_posix()).startswith(INTERNAL)
    )
    status = git("status", "--porcelain", "--untracked-files=all", "--ignored", cwd=path)
    return (
        git("rev-parse", "HEAD", cwd=path),
        git("for-each-ref", "--format=%(refname) %(objectname)", cwd=path),
        git("diff", "--cached", "--name-status", cwd=path),
        "\n".join(line for line in status.splitlines() if not line[3:].startswith(INTERNAL)),
        "\n".join(files),
    )


@dataclass
class Reg:
    """A registry under test: its path, its DVC remote, and helpers to act on it."""

    path: Path
    remote: Path
    scratch: Path

    def artifact(self, name: str, content: bytes | str = b"weights") -> Path:
        target = self.scratch / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
        return target

    def cli(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return cli(*args, cwd=self.path, env=env)

    def register(self, name: str, version: str, **fields: object) -> None:
        """Register quickly, in-process, for test setup."""
        from modelreg.register import RegisterRequest, register

        content = str(fields.pop("content", f"{name}-{version}"))
        file = self.artifact(f"{name}-{version}/model.bin", content)
        register(self.path, RegisterRequest(name=name, files=[file], version=version, **fields))  # type: ignore[arg-type]

    def write(self, rel: str, text: str) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target

    def commit(self, message: str = "edit") -> str:
        git("add", "-A", cwd=self.path)
        git("commit", "-q", "-m", message, cwd=self.path)
        return git("rev-parse", "HEAD", cwd=self.path).strip()

    def state(self) -> tuple[str, ...]:
        return repo_state(self.path)


@pytest.fixture
def reg(tmp_path: Path) -> Iterator[Reg]:
    """An initialized, empty registry with a local DVC remote."""
    from modelreg.scaffold import init

    path, remote, scratch = tmp_path / "registry", tmp_path / "remote", tmp_path / "scratch"
    init(path, remote=str(remote), name="test-registry")
    yield Reg(path, remote, scratch)


@pytest.fixture
def populated(reg: Reg) -> Reg:
    """Two models: fraud 1.0.0 -> 1.1.0 -> 1.2.0 (retrains), churn 0.1.0; fraud 1.1.0 in production."""
    reg.register("fraud", "1.0.0", owner="@acme/risk", description="first fraud model", metrics={"auc": 0.90})
    reg.register(
        "fraud",
        "1.1.0",
        description="retrained",
        metrics={"auc": 0.92},
        parents=[{"ref": "fraud@1.0.0", "relation": "retrain"}],
    )
    reg.register(
        "fraud",
        "1.2.0",
        description="retrained again",
        metrics={"auc": 0.93},
        parents=[{"ref": "fraud@1.1.0", "relation": "retrain"}],
        tags=["tabular"],
    )
    reg.register("churn", "0.1.0", owner="@acme/growth", description="churn", metrics={"f1": 0.7})
    reg.write("models/fraud/stages.yaml", "staging: [1.1.0]\narchived: [1.0.0]\n")
    reg.commit("stage fraud@1.1.0")
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\narchived: [1.0.0]\n")
    reg.commit("promote fraud@1.1.0 to production")  # by allowed moves: a rollback may return it
    return reg
