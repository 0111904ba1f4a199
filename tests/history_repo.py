"""A registry with a known history: pull requests merged and squashed, direct commits, several
time zones, a manifest edited in place, lineage with a fork and a diamond, a shared dataset.

Built once per test session (real Git, real DVC) and copied into each test.

    date (commit)               who    how                 what
    2026-01-05 09:00 +01:00     alice  direct              modelreg init
    2026-01-06 09:00 +01:00     alice  direct              metric goals in registry.yaml
    2026-01-10 10:00 +01:00     alice  direct              register fraud@1.0.0
    2026-01-12 08:00 -05:00     bob    direct              register churn@0.1.0 (while PR #12 is open)
    2026-01-15 16:00 +05:30     carol  merge PR #12        fraud@1.0.0 development -> staging
    2026-02-01 12:00 +00:00     dave   squash PR #13       fraud@1.0.0 staging -> production
    2026-02-10 09:00 +01:00     alice  direct              register fraud@1.1.0 (retrain of 1.0.0)
    2026-02-11 09:00 +01:00     alice  direct              register fraud@1.2.0 (finetune of 1.0.0: a fork)
    2026-02-12 09:00 +01:00     alice  direct              register fraud@2.0.0 (diamond; churn's data)
    2026-02-14 09:00 +01:00     alice  direct              README only (not registry history)
    2026-02-20 10:00 -08:00     eve    direct              fraud@1.1.0 development -> staging
    2026-03-02 09:30 +01:00     carol  merge PR #14        fraud@1.1.0 -> production, 1.0.0 -> archived
    2026-03-05 09:00 +01:00     bob    direct              fraud@1.2.0 manifest edited in place (violation)
    2026-03-06 09:00 +01:00     bob    direct              evaluation appended to fraud@2.0.0
    2026-03-07 09:00 +01:00     alice  direct              fraud model.yaml owner changed
    2026-03-10 09:00 +01:00     eve    direct              churn@0.1.0 development -> production (violation)
    2026-04-01 11:00 +02:00     dave   squash PR #15       fraud@2.0.0 development -> staging
    2026-04-02 11:00 +02:00     dave   squash PR #16       fraud@2.0.0 -> production, 1.1.0 -> archived
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from conftest import Reg, Result, cli, cli_process, copy_registry

PEOPLE = {
    "alice": ("Alice Example", "alice@example.com"),
    "bob": ("Bob Example", "bob@example.com"),
    "carol": ("Carol Example", "carol@example.com"),
    "dave": ("Dave Example", "dave@example.com"),
    "eve": ("Eve Example", "eve@example.com"),
}


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@contextmanager
def isolated(home: Path) -> Iterator[pytest.MonkeyPatch]:
    """The same isolation as conftest's ``isolated_env``, for building outside a test."""
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text(
        "[init]\n\tdefaultBranch = main\n[user]\n\tname = Test User\n\temail = test@example.com\n"
    )
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {
            "HOME": str(home),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
            "DVC_NO_ANALYTICS": "1",
            "DVC_SITE_CACHE_DIR": str(home / "dvc-site"),
            "DVC_GLOBAL_CONFIG_DIR": str(home / "dvc-global"),
            "DVC_SYSTEM_CONFIG_DIR": str(home / "dvc-system"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"),
        }.items():
            mp.setenv(key, value)
        for key in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_TOKEN", "GH_TOKEN", "GIT_DIR"):
            mp.delenv(key, raising=False)
        yield mp


@dataclass
class Builder:
    """Makes commits as a given person at a given moment (author and committer dates pinned)."""

    reg: Reg
    mp: pytest.MonkeyPatch
    commits: dict[str, str] = field(default_factory=dict)

    @contextmanager
    def as_(self, who: str, date: str) -> Iterator[None]:
        name, email = PEOPLE[who]
        for role in ("AUTHOR", "COMMITTER"):
            self.mp.setenv(f"GIT_{role}_NAME", name)
            self.mp.setenv(f"GIT_{role}_EMAIL", email)
            self.mp.setenv(f"GIT_{role}_DATE", date)
        yield

    @property
    def path(self) -> Path:
        return self.reg.path

    def head(self) -> str:
        return git("rev-parse", "HEAD", cwd=self.path).strip()

    def commit(self, label: str, message: str) -> str:
        git("add", "-A", cwd=self.path)
        git("commit", "-q", "-m", message, cwd=self.path)
        self.commits[label] = self.head()
        return self.commits[label]

    def register(self, label: str, name: str, version: str, **fields: object) -> None:
        self.reg.register(name, version, push=False, **fields)
        self.commits[label] = self.head()

    def stages(self, model: str, placement: dict[str, object]) -> None:
        self.reg.write(f"models/{model}/stages.yaml", yaml.safe_dump(placement, sort_keys=True))

    def edit_yaml(self, rel: str, change: dict[str, object]) -> None:
        from modelreg.documents import yamlio

        target = self.path / rel
        data = yamlio.load(target.read_bytes(), rel)
        data.update(change)
        target.write_text(yamlio.dump(data))


def promotion_message(model: str, version: str, source: str, target: str) -> str:
    return (
        f"promote {model}@{version} to {target}\n\n"
        f"Modelreg-Model: {model}\nModelreg-Version: {version}\n"
        f"Modelreg-From: {source}\nModelreg-To: {target}\n"
    )


def build(base: Path) -> tuple[Path, dict[str, str]]:
    """Build the registry described in this module's docstring under ``base``."""
    from modelreg.operations.scaffold import init

    with isolated(base / "home") as mp:
        reg = Reg(base / "registry", base / "remote", base / "scratch")
        b = Builder(reg, mp)
        with b.as_("alice", "2026-01-05T09:00:00+01:00"):
            init(reg.path, remote=str(reg.remote), name="history-registry")
            b.commits["init"] = b.head()
        with b.as_("alice", "2026-01-06T09:00:00+01:00"):
            b.edit_yaml("registry.yaml", {"metrics": {"auc": "maximize", "latency_ms": "minimize"}})
            b.commit("goals", "set metric goals")
        with b.as_("alice", "2026-01-10T10:00:00+01:00"):
            b.register(
                "fraud-1.0.0",
                "fraud",
                "1.0.0",
                owner="@acme/risk",
                description="first fraud model",
                metrics={"auc": 0.90, "latency_ms": 12.0},
                params={"max_depth": 6, "eta": 0.1},
                data={"training": {"name": "transactions", "version": "2025-12"}},
            )
        # PR #12 opens from here; main moves on before it merges.
        git("checkout", "-q", "-b", "promote-fraud-staging", cwd=b.path)
        with b.as_("carol", "2026-01-11T15:00:00+05:30"):
            b.stages("fraud", {"staging": ["1.0.0"]})
            b.commit("pr12-branch", promotion_message("fraud", "1.0.0", "development", "staging"))
        git("checkout", "-q", "main", cwd=b.path)
        with b.as_("bob", "2026-01-12T08:00:00-05:00"):
            b.register(
                "churn-0.1.0",
                "churn",
                "0.1.0",
                owner="@acme/growth",
                description="churn",
                metrics={"f1": 0.7},
                data={"training": {"name": "customers", "version": "2026-01"}},
            )
        with b.as_("carol", "2026-01-15T16:00:00+05:30"):
            git(
                "merge",
                "-q",
                "--no-ff",
                "-m",
                "Merge pull request #12 from acme/promote-fraud-staging\n\npromote fraud@1.0.0 to staging",
                "promote-fraud-staging",
                cwd=b.path,
            )
            b.commits["pr12"] = b.head()
        with b.as_("dave", "2026-02-01T12:00:00+00:00"):
            b.stages("fraud", {"production": "1.0.0"})
            message = promotion_message("fraud", "1.0.0", "staging", "production")
            subject, _, body = message.partition("\n\n")
            b.commit("pr13", f"{subject} (#13)\n\n* {subject}\n\n{body}")
        with b.as_("alice", "2026-02-10T09:00:00+01:00"):
            b.register(
                "fraud-1.1.0",
                "fraud",
                "1.1.0",
                description="retrained on January",
                metrics={"auc": 0.93, "latency_ms": 10.0},
                params={"max_depth": 8, "eta": 0.1},
                data={"training": {"name": "transactions", "version": "2026-01"}},
                parents=[{"ref": "fraud@1.0.0", "relation": "retrain"}],
            )
        with b.as_("alice", "2026-02-11T09:00:00+01:00"):
            b.register(
                "fraud-1.2.0",
                "fraud",
                "1.2.0",
                description="fine-tuned for EU",
                metrics={"auc": 0.91, "latency_ms": 8.0},
                params={"max_depth": 6, "eta": 0.05},
                data={"training": {"name": "transactions", "version": "2026-01"}},
                parents=[{"ref": "fraud@1.0.0", "relation": "finetune"}],
            )
        with b.as_("alice", "2026-02-12T09:00:00+01:00"):
            b.register(
                "fraud-2.0.0",
                "fraud",
                "2.0.0",
                description="distilled ensemble",
                metrics={"auc": 0.95, "latency_ms": 9.0},
                params={"max_depth": 8, "eta": 0.1},
                data={
                    "training": {"name": "transactions", "version": "2026-02"},
                    "enrichment": {"name": "customers", "version": "2026-01"},  # churn's data too
                },
                parents=[
                    {"ref": "fraud@1.1.0", "relation": "retrain"},
                    {"ref": "fraud@1.2.0", "relation": "distill"},
                ],
            )
        with b.as_("alice", "2026-02-14T09:00:00+01:00"):
            reg.write("README.md", "# models\n")
            b.commit("readme", "docs: README")
        with b.as_("eve", "2026-02-20T10:00:00-08:00"):
            b.stages("fraud", {"production": "1.0.0", "staging": ["1.1.0"]})
            b.commit("direct-staging", "move fraud@1.1.0 to staging")
        git("checkout", "-q", "-b", "promote-fraud-1.1.0", cwd=b.path)
        with b.as_("carol", "2026-03-01T18:00:00+05:30"):
            b.stages("fraud", {"production": "1.1.0", "archived": ["1.0.0"]})
            b.commit("pr14-branch", promotion_message("fraud", "1.1.0", "staging", "production"))
        git("checkout", "-q", "main", cwd=b.path)
        with b.as_("carol", "2026-03-02T09:30:00+01:00"):
            git(
                "merge",
                "-q",
                "--no-ff",
                "-m",
                "Merge pull request #14 from acme/promote-fraud-1.1.0",
                "promote-fraud-1.1.0",
                cwd=b.path,
            )
            b.commits["pr14"] = b.head()
        with b.as_("bob", "2026-03-05T09:00:00+01:00"):
            b.edit_yaml("models/fraud/1.2.0.yaml", {"metrics": {"auc": 0.94, "latency_ms": 8.0}})
            b.commit("edit-in-place", "fix fraud@1.2.0 auc")
        with b.as_("bob", "2026-03-06T09:00:00+01:00"):
            evaluation = {
                "dataset": {"name": "transactions", "version": "2026-01"},
                "metrics": {"auc": 0.94},
                "created_at": "2026-03-06T08:00:00Z",
            }
            b.edit_yaml("models/fraud/2.0.0.yaml", {"evaluations": [evaluation]})
            b.commit("evaluation", "evaluate fraud@2.0.0 on transactions@2026-01")
        with b.as_("alice", "2026-03-07T09:00:00+01:00"):
            b.edit_yaml("models/fraud/model.yaml", {"owner": "@acme/fraud-ml"})
            b.commit("owner", "fraud: new owner")
        with b.as_("eve", "2026-03-10T09:00:00+01:00"):
            b.stages("churn", {"production": "0.1.0"})
            b.commit("hotfix", "hotfix: churn straight to production")
        with b.as_("dave", "2026-04-01T11:00:00+02:00"):
            b.stages("fraud", {"production": "1.1.0", "staging": ["2.0.0"], "archived": ["1.0.0"]})
            b.commit("pr15", "promote fraud@2.0.0 to staging (#15)")
        with b.as_("dave", "2026-04-02T11:00:00+02:00"):
            b.stages("fraud", {"production": "2.0.0", "archived": ["1.0.0", "1.1.0"]})
            b.commit("pr16", "promote fraud@2.0.0 to production (#16)")
    return reg.path, b.commits


@dataclass
class Built:
    """A built registry: its path and the commit of each step, by label."""

    path: Path
    commits: dict[str, str]

    def cli(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return cli(*args, cwd=self.path, env={"TZ": "UTC", **(env or {})})

    def cli_process(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return cli_process(*args, cwd=self.path, env={"TZ": "UTC", **(env or {})})

    def git(self, *args: str) -> str:
        return git(*args, cwd=self.path)


@pytest.fixture(scope="session")
def built_history(tmp_path_factory: pytest.TempPathFactory) -> Built:
    path, commits = build(tmp_path_factory.mktemp("history"))
    return Built(path, commits)


@pytest.fixture
def hist(built_history: Built, tmp_path: Path) -> Built:
    """A private copy of the built registry (no history cache yet, its own DVC remote); the
    copy's commits differ from the built ones (the remote's path is in .dvc/config)."""
    base = built_history.path.parent
    built = Reg(built_history.path, base / "remote", base / "scratch")
    copy = Reg(tmp_path / "registry", tmp_path / "remote", tmp_path / "scratch")
    moved = copy_registry(built, copy)
    return Built(copy.path, {label: moved[commit] for label, commit in built_history.commits.items()})
