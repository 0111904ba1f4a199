"""How long `modelreg history` takes on a registry with a long history: cold, warm, incremental.

    python benchmarks/history.py --commits 300 --models 10

Builds a throwaway registry with plain git (manifests and pointers written directly: history
never reads artifacts), then times the CLI as a user runs it. Prints numbers; never fails on
a time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ENV = {
    **os.environ,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def git(repo: Path, *args: str, date: int | None = None) -> None:
    env = dict(ENV)
    if date is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{date} +0100"
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def manifest(name: str, version: str, parent: str | None) -> str:
    data = {
        "schema_version": 1,
        "name": name,
        "version": version,
        "created_at": "2026-01-01T00:00:00Z",
        "created_by": "Bench <bench@example.com>",
        "artifacts": [{"path": f"models/{name}/{version}/model.bin", "md5": "0" * 32, "size": 1}],
        "metrics": {"auc": 0.9},
        "lineage": {"parents": [{"ref": parent, "relation": "retrain"}] if parent else []},
    }
    return yaml.safe_dump(data, sort_keys=False)


def build(repo: Path, commits: int, models: int) -> None:
    from modelreg.documents.schemas import model_to_data
    from modelreg.domain.models import default_config

    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "registry.yaml").write_text(yaml.safe_dump(model_to_data(default_config("bench"))))
    (repo / "models").mkdir()
    date = 1767225600  # 2026-01-01
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "modelreg init", date=date)
    versions: dict[str, int] = {}
    for i in range(1, commits):
        date += 3600
        name = f"model-{i % models}"
        folder = repo / "models" / name
        folder.mkdir(exist_ok=True)
        n = versions.get(name, 0)
        if i % 3 == 0 and n >= 2:  # a promotion through a "pull request"
            (folder / "stages.yaml").write_text(f"production: 1.{n - 1}.0\narchived: [1.{n - 2}.0]\n")
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", f"promote {name}@1.{n - 1}.0 to production (#{i})", date=date)
            continue
        versions[name] = n + 1
        parent = f"{name}@1.{n - 1}.0" if n else None
        (folder / f"1.{n}.0.yaml").write_text(manifest(name, f"1.{n}.0", parent))
        if n == 0:
            (folder / "model.yaml").write_text(f"schema_version: 1\nname: {name}\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"register {name}@1.{n}.0", date=date)


def timed(repo: Path, *args: str, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "modelreg", *args], cwd=repo, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--models", type=int, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="modelreg-bench-"))
    try:
        repo = work / "registry"
        start = time.perf_counter()
        build(repo, args.commits, args.models)
        print(
            f"built {args.commits} commits over {args.models} models in {time.perf_counter() - start:.1f} s"
        )
        cache = repo / ".git" / "modelreg"
        baseline = timed(repo, "--version")
        cold = []
        for _ in range(3):
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(timed(repo, "history", "--format", "json", runs=1))
        warm = timed(repo, "history", "--format", "json")
        (repo / "models" / "model-0" / "stages.yaml").write_text("production: 1.0.0\n")
        git(repo, "commit", "-q", "-am", "one more")
        incremental = timed(repo, "history", "--format", "json", runs=1)
        print(f"modelreg --version (startup)   {baseline * 1000:7.0f} ms")
        print(f"history, cold (no cache)       {min(cold) * 1000:7.0f} ms")
        print(f"history, warm (cached)         {warm * 1000:7.0f} ms")
        print(f"history, one new commit        {incremental * 1000:7.0f} ms")
        print(f"cold / warm                    {min(cold) / warm:7.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
