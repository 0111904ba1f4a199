"""The Git adapter's named questions that the operations and importers use, against real
repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

from modelreg.adapters import git


def run(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def repository(path: Path) -> Path:
    git.init(path)
    (path / "models" / "m" / "1.0.0").mkdir(parents=True)
    (path / "models" / "m" / "1.0.0" / "a.bin").write_bytes(b"a")
    (path / "models" / "m" / "1.0.0" / "b.bin").write_bytes(b"bb")
    (path / "models" / "mm.yaml").write_text("x: 1\n")
    run(path, "add", "-A")
    run(path, "commit", "-q", "-m", "first")
    run(path, "tag", "-a", "m@v1.0.0", "-m", "register")
    return path


def test_reading_another_repository(tmp_path: Path) -> None:
    source = repository(tmp_path / "source")
    head = run(source, "rev-parse", "HEAD").strip()
    assert git.topological_commits(source) == [head]
    assert "m@v1.0.0" in git.tag_refs(source, "%(refname:strip=2)")
    assert git.blob_at(source, head, "models/mm.yaml") == b"x: 1\n"
    assert git.blob_at(source, head, "models/none.yaml") is None
    found = git.blobs_under(source, head, "models/m/")
    assert [(rel, size) for rel, _, size in found] == [
        ("models/m/1.0.0/a.bin", 1),
        ("models/m/1.0.0/b.bin", 2),
    ]
    assert git.blob(source, found[1][1]) == b"bb"
    assert git.blobs_under(source, head, "models/m/1.0.0/a.bin")[0][0] == "models/m/1.0.0/a.bin"
    assert git.blobs_under(source, head, "nowhere") == []


def test_untracked_files_and_unstage(tmp_path: Path) -> None:
    top = repository(tmp_path / "repo")
    (top / ".gitignore").write_text("*.tmp\n")
    (top / "models" / "new.yaml").write_text("y: 2\n")
    (top / "models" / "skip.tmp").write_text("")
    (top / "elsewhere.txt").write_text("")
    assert git.untracked_files(top, "models") == ["models/new.yaml"]
    run(top, "add", "models/new.yaml")
    git.unstage(top, ["models/new.yaml"])
    assert run(top, "diff", "--cached", "--name-only") == ""


def test_a_remote_branch_is_deleted_only_while_it_points_at_the_commit(tmp_path: Path) -> None:
    top = repository(tmp_path / "repo")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    head = run(top, "rev-parse", "HEAD").strip()
    run(top, "push", "-q", str(remote), "HEAD:refs/heads/promote")
    (top / "models" / "mm.yaml").write_text("x: 2\n")
    run(top, "commit", "-q", "-am", "second")
    newer = run(top, "rev-parse", "HEAD").strip()
    assert not git.delete_remote_branch_at(top, str(remote), "promote", newer)
    assert run(remote, "branch", "--list", "promote").strip()
    assert git.delete_remote_branch_at(top, str(remote), "promote", head)
    assert not run(remote, "branch", "--list", "promote").strip()
