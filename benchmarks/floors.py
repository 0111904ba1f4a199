"""Floors: the least work raw Git (and PyYAML's C loader) does to answer what a command answers.

Each floor is a list of steps, each a whole process; ``benchmarks/run.py`` times the steps
together. Steps that need the output of an earlier one (blob ids to read) get it through the
runner, which parses it in between; that glue is counted in the floor's wall time.

``python benchmarks/floors.py parse REPO`` is the parsing floor as one process: list the
manifests at HEAD (``git ls-tree``), read them (one ``git cat-file --batch``) and parse each
once with ``yaml.CSafeLoader``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REGISTRY_PATHS = ["registry.yaml", "models"]


@dataclass
class Floor:
    """What a floor does, in words, and how (a function of the runner's ``run_step``)."""

    label: str
    steps: Callable[[Callable[..., bytes]], None]


def ls_tree(run: Callable[..., bytes], rev: str, paths: list[str]) -> list[tuple[str, str]]:
    """(path, blob) under ``paths`` at ``rev``."""
    out = run(["git", "ls-tree", "-r", "-z", rev, "--", *paths])
    found = []
    for record in out.split(b"\0"):
        if record:
            meta, path = record.split(b"\t", 1)
            mode, kind, blob = meta.split()
            if kind == b"blob":
                found.append((path.decode(), blob.decode()))
    return found


def cat_blobs(run: Callable[..., bytes], names: list[str]) -> bytes:
    """One ``git cat-file --batch`` reading every object named (blob ids or REV:PATH)."""
    if not names:
        return b""
    return run(["git", "cat-file", "--batch"], stdin="\n".join(names).encode() + b"\n")


def read_tree(rev: str = "HEAD", paths: list[str] | None = None) -> Floor:
    """List the registry's files and read them all: what any full read needs."""

    def steps(run: Callable[..., bytes]) -> None:
        cat_blobs(run, [blob for _, blob in ls_tree(run, rev, paths or REGISTRY_PATHS)])

    where = " ".join(paths or REGISTRY_PATHS)
    return Floor(f"git ls-tree -r {rev} {where} + cat-file --batch (every blob)", steps)


def read_objects(names: list[str], label: str) -> Floor:
    return Floor(label, lambda run: cat_blobs(run, names) and None)


def diff_and_read(base: str) -> Floor:
    """A change's files, then the whole registry at HEAD (check validates all of it)."""

    def steps(run: Callable[..., bytes]) -> None:
        run(["git", "diff", "--raw", "-z", base, "HEAD", "--", *REGISTRY_PATHS])
        cat_blobs(run, [blob for _, blob in ls_tree(run, "HEAD", REGISTRY_PATHS)])

    return Floor(f"git diff --raw {base} HEAD + ls-tree -r HEAD + cat-file --batch (every blob)", steps)


def history(path: str) -> Floor:
    """One first-parent log with raw diffs, then every changed YAML blob in one cat-file."""

    def steps(run: Callable[..., bytes]) -> None:
        out = run(
            [
                "git",
                "log",
                "--first-parent",
                "--raw",
                "--no-abbrev",
                "-z",
                "--format=%H%x00%an%x00%at%x00%s",
                "HEAD",
                "--",
                path,
            ]
        )
        blobs = []
        for field in out.split(b"\0"):
            if field.startswith(b":"):
                parts = field.split()
                if len(parts) >= 4 and parts[3] != b"0" * 40:
                    blobs.append(parts[3].decode())
        cat_blobs(run, list(dict.fromkeys(blobs)))

    return Floor(f"git log --first-parent --raw -- {path} + cat-file --batch (changed blobs)", steps)


def commit_files(files: dict[str, bytes], message: str) -> Floor:
    """Write ``files`` as blobs, stage them and commit: the Git a registration needs."""

    def steps(run: Callable[..., bytes]) -> None:
        lines = []
        for path, data in files.items():
            blob = run(["git", "hash-object", "-w", "--stdin"], stdin=data).decode().strip()
            lines.append(f"100644 {blob}\t{path}\n")
        run(["git", "update-index", "--index-info"], stdin="".join(lines).encode())
        run(["git", "commit", "-q", "--no-verify", "--allow-empty", "-m", message])

    return Floor(f"git hash-object -w ({len(files)} files) + update-index + commit", steps)


def stage_commit(name: str, version: str) -> Floor:
    """Read the model's stages.yaml and the version's manifest, commit stages.yaml edited."""

    def steps(run: Callable[..., bytes]) -> None:
        stages = f"models/{name}/stages.yaml"
        out = cat_blobs(run, [f"HEAD:{stages}", f"HEAD:models/{name}/{version}.yaml"])
        edited = out.split(b"\n", 1)[1] + f"# {version}\n".encode()
        blob = run(["git", "hash-object", "-w", "--stdin"], stdin=edited).decode().strip()
        run(["git", "update-index", "--index-info"], stdin=f"100644 {blob}\t{stages}\n".encode())
        run(["git", "commit", "-q", "--no-verify", "-m", f"promote {name}@{version}"])

    return Floor("cat-file --batch (stages.yaml + manifest) + hash-object + update-index + commit", steps)


def log_path(path: str) -> Floor:
    return Floor(f"git log -- {path}", lambda run: run(["git", "log", "--", path]) and None)


def at_date(date: str, paths: list[str]) -> Floor:
    """The commit on main at a date, then the files that answer."""

    def steps(run: Callable[..., bytes]) -> None:
        commit = run(["git", "rev-list", "-1", "--first-parent", f"--before={date} 23:59:59", "HEAD"])
        sha = commit.decode().strip()
        cat_blobs(run, [f"{sha}:{p}" for p in paths])

    return Floor(f"git rev-list -1 --before={date} + cat-file --batch ({len(paths)} files)", steps)


def parse_manifests(python: str, repo: Path) -> Floor:
    """Parse every manifest once with the C loader (a whole Python process)."""

    def steps(run: Callable[..., bytes]) -> None:
        run([python, str(Path(__file__).resolve()), "parse", str(repo)])

    return Floor("parse every manifest once: ls-tree + cat-file + yaml.CSafeLoader", steps)


def interpreter(python: str) -> Floor:
    return Floor("python -c pass (interpreter start)", lambda run: run([python, "-c", "pass"]) and None)


def _parse_main(repo: str) -> int:
    import yaml

    listing = subprocess.run(
        ["git", "ls-tree", "-r", "-z", "HEAD", "--", "models"], cwd=repo, capture_output=True, check=True
    ).stdout
    blobs = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, path = record.split(b"\t", 1)
        parts = path.split(b"/")
        if (
            len(parts) == 3
            and parts[2].endswith(b".yaml")
            and parts[2] not in (b"model.yaml", b"stages.yaml")
        ):
            blobs.append(meta.split()[2])
    data = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=repo,
        input=b"\n".join(blobs) + b"\n",
        capture_output=True,
        check=True,
    ).stdout
    pos = count = 0
    while pos < len(data):
        end = data.index(b"\n", pos)
        size = int(data[pos:end].split()[2])
        yaml.load(data[end + 1 : end + 1 + size], Loader=yaml.CSafeLoader)  # noqa: S506 - the C safe loader
        pos = end + 1 + size + 1
        count += 1
    print(f"parsed {count} manifests")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "parse":
        sys.exit("usage: floors.py parse REPO")
    sys.exit(_parse_main(sys.argv[2]))
