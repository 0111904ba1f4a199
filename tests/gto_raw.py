"""A GTO repository written with plain Git, for tags the `gto` CLI (or `git tag`) would not
write: artifacts.yaml, the files, and annotated tag objects written as they are, so that a tag
can carry a tagger date Git cannot parse (a tag fetched from elsewhere can hold one)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from conftest import git


def gto_repo(
    path: Path, artifacts: dict[str, Any], tags: list[tuple[str, str]], files: dict[str, str]
) -> Path:
    """``path`` made a repository with ``artifacts`` (as artifacts.yaml) and ``files`` in one
    commit, and each ``(tag, "SECONDS +ZONE")`` of ``tags`` an annotated tag on it (a tag name
    Git refuses is left out)."""
    path.mkdir(exist_ok=True)
    git("init", "-q", "-b", "main", str(path), cwd=path.parent)
    (path / "artifacts.yaml").write_text(json.dumps(artifacts))  # JSON is YAML
    for rel, text in files.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text)
    git("add", "-A", cwd=path)
    git("-c", "user.name=G", "-c", "user.email=g@example.org", "commit", "-qm", "artifacts", cwd=path)
    commit = git("rev-parse", "HEAD", cwd=path).strip()
    for tag, date in tags:
        raw = f"object {commit}\ntype commit\ntag {tag}\ntagger Tagger <t@example.org> {date}\n\nRegistering {tag}\n"
        made = subprocess.run(
            ["git", "hash-object", "-t", "tag", "-w", "--literally", "--stdin"],
            cwd=path, input=raw, capture_output=True, text=True, check=True,
        )  # fmt: skip
        git("update-ref", f"refs/tags/{tag}", made.stdout.strip(), cwd=path, ok=(128,))
    return path
