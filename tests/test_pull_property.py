"""`pull` never replaces or deletes what it did not create, over generated cases.

Hypothesis writes a version by hand (its objects in the real DVC cache, its manifest in the
work tree of a real registry) whose artifacts have names drawn from hostile and ordinary ones
(``.ssh``, ``.bashrc``, ``..``, ``.git``, ``a`` beside ``A``, a file inside another artifact's
path), files and folders, and lays out the target folder with files, folders and symlinks (to
a file or folder outside it, or to nothing) at and under the places pull writes. Then it pulls
with ``-o DIR/`` or ``-o DIR/FILE``, with or without ``force``, and asserts:

- nothing outside the target folder changes, ever (no write through a symlink);
- a pull that fails leaves the target folder exactly as it was (no temporary names left);
- without ``force`` no path that existed is changed or removed; with ``force`` only the files
  pull writes are replaced, and no folder that existed is removed or replaced;
- every file pull reports is there with its bytes, and nothing else is new.

Run: ``.venv/bin/python -m pytest -q -p no:cacheprovider -n0 tests/test_pull_property.py``
(ci profile: 200 examples; ``HYPOTHESIS_PROFILE=nightly``: 2000).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
from pathlib import Path

import pytest
import yaml
from conftest import Reg
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from modelreg.domain.errors import ModelregError
from modelreg.operations.artifacts import pull
from modelreg.registry import Registry

settings.register_profile("pull-ci", max_examples=200, deadline=None, derandomize=True, print_blob=True)
settings.register_profile("pull-nightly", max_examples=2000, deadline=None, print_blob=True)
PROFILE = settings.get_profile(
    "pull-nightly" if os.environ.get("HYPOTHESIS_PROFILE") == "nightly" else "pull-ci"
)

# Names pull may write (the name rule lets them pass) drawn four times as often as refused ones.
ARTIFACT_NAMES = [".ssh", ".bashrc", "model.bin", "weights", "sub/x.bin", "sub", "a", "A"] * 4 + [
    "..",
    ".git",
    "x/../y",
]
ENTRY_NAMES = ["authorized_keys", "id", "k", "K", "d/k", "d"] * 4 + ["..", ".git/config"]
LAYOUT_PATHS = [
    ".ssh",
    ".ssh/authorized_keys",
    ".ssh/id",
    ".bashrc",
    "model.bin",
    "weights",
    "weights/k",
    "weights/d",
    "weights/d/k",
    "sub",
    "sub/x.bin",
    "a",
    "A",
    "target",
    "target/k",
]
KINDS = ["file", "dir", "link-file", "link-dir", "dangling"]

contents = st.binary(max_size=6)
folder = st.dictionaries(st.sampled_from(ENTRY_NAMES), contents, min_size=1, max_size=3)
artifacts = st.dictionaries(
    st.sampled_from(ARTIFACT_NAMES), st.one_of(contents, folder), min_size=1, max_size=3
)
layouts = st.lists(st.tuples(st.sampled_from(LAYOUT_PATHS), st.sampled_from(KINDS)), max_size=7)
outputs = st.sampled_from(["into", "file"])

Spec = dict[str, "bytes | dict[str, bytes]"]


def _put(reg: Reg, data: bytes, suffix: str = "") -> str:
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest() + suffix
    path = reg.path / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return md5


def _forge(reg: Reg, version: str, spec: Spec) -> None:
    """A manifest of ``spec``'s artifacts whose objects are in the DVC cache, as a pull
    request can write it (no `register`, so no name rule of its own)."""
    entries = []
    for rel, content in spec.items():
        if isinstance(content, bytes):
            md5, size = _put(reg, content), len(content)
        else:
            listing = [{"md5": _put(reg, c), "relpath": r} for r, c in sorted(content.items())]
            md5, size = _put(reg, json.dumps(listing).encode(), ".dir"), sum(map(len, content.values()))
        entries.append({"path": f"models/forged/{version}/{rel}", "md5": md5, "size": size})
    manifest = {
        "schema_version": 1,
        "name": "forged",
        "version": version,
        "created_at": "2026-01-01T00:00:00Z",
        "created_by": "Mallory <mallory@example.com>",
        "artifacts": entries,
    }
    (reg.path / f"models/forged/{version}.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))


def _lay_out(top: Path, outside: Path, layout: list[tuple[str, str]]) -> None:
    targets = {"link-file": outside / "f", "link-dir": outside / "d", "dangling": outside / "missing"}
    top.mkdir(parents=True)
    for rel, kind in layout:
        path = top / rel
        parent = path.parent
        if os.path.lexists(path) or parent.is_symlink() or not parent.is_dir():
            continue  # never build through a symlink, or under a file
        if rel == "target" and kind == "link-dir":
            continue  # `-o target` naming a symlink to a folder is the user's choice to write there
        if kind == "file":
            path.write_bytes(b"mine:" + rel.encode())
        elif kind == "dir":
            path.mkdir()
        else:
            path.symlink_to(targets[kind])


def _snapshot(top: Path) -> dict[str, tuple[str, bytes | str]]:
    found: dict[str, tuple[str, bytes | str]] = {}
    for here, dirs, files in os.walk(top):
        for entry in [*dirs, *files]:
            path = Path(here) / entry
            rel = path.relative_to(top).as_posix()
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                found[rel] = ("dir", "")
            else:
                found[rel] = ("file", path.read_bytes())
    return found


def _written(result_paths: list[tuple[str, str]], spec: Spec, top: Path) -> dict[str, bytes]:
    """rel path under ``top`` -> bytes, of every file the pull reports writing."""
    files: dict[str, bytes] = {}
    for artifact, path in result_paths:
        rel = artifact.split("/", 3)[3]
        dest = Path(path).relative_to(top).as_posix()
        content = spec[rel.split("/")[0] if rel not in spec else rel]
        if isinstance(content, bytes):
            files[dest] = content
        else:
            files.update({f"{dest}/{r}": c for r, c in content.items()})
    return files


@pytest.fixture(scope="module")
def forged(tmp_path_factory: pytest.TempPathFactory) -> Reg:
    from conftest import Templates

    templates = Templates(tmp_path_factory.mktemp("templates"))
    reg = templates.copy("empty", lambda reg: None, tmp_path_factory.mktemp("forged"))
    reg.register("forged", "0.0.1")
    return reg


COUNTER = itertools.count(1)


@settings(PROFILE, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec=artifacts, layout=layouts, output=outputs, force=st.booleans())
@example(spec={".ssh": {"authorized_keys": b"evil"}, ".bashrc": b"evil"}, layout=[(".ssh", "dir"), (".ssh/id", "file"), (".bashrc", "file")], output="into", force=False)  # fmt: skip
@example(spec={".ssh": {"authorized_keys": b"evil"}, ".bashrc": b"evil"}, layout=[(".ssh", "dir"), (".ssh/id", "file"), (".bashrc", "file")], output="into", force=True)  # fmt: skip
@example(spec={"weights": {"d/k": b"x"}}, layout=[("weights", "dir"), ("weights/d", "link-dir")], output="into", force=True)  # fmt: skip
@example(spec={"sub/x.bin": b"x"}, layout=[("sub", "link-dir")], output="into", force=True)
@example(spec={"model.bin": b"x"}, layout=[("target", "dir")], output="file", force=True)
@example(spec={"model.bin": b"x"}, layout=[("target", "link-file")], output="file", force=True)
def test_pull_changes_nothing_it_did_not_create(
    forged: Reg, spec: Spec, layout: list[tuple[str, str]], output: str, force: bool
) -> None:
    n = next(COUNTER)
    version = f"1.0.{n}"
    _forge(forged, version, spec)
    root = forged.scratch / f"case-{n}"
    outside, top = root / "outside", root / "out"
    (outside / "d").mkdir(parents=True)
    (outside / "f").write_bytes(b"outside")
    (outside / "d" / "k").write_bytes(b"outside")
    _lay_out(top, outside, layout)
    before, outside_before = _snapshot(top), _snapshot(outside)
    single = output == "file" and len(spec) == 1
    target = str(top / "target") if single else f"{top}/"
    try:
        result = pull(Registry(forged.path), f"forged@{version}", output=target, force=force)
    except ModelregError as e:
        event(
            f"refused: {type(e).__name__}: {re.sub(r'[0-9a-f]{32}|/[^ ]+|forged@[0-9.]+', '…', str(e))[:70]}"
        )
        assert _snapshot(top) == before  # a failed pull leaves the folder as it was
        assert _snapshot(outside) == outside_before
        return
    after = _snapshot(top)
    assert _snapshot(outside) == outside_before  # nothing written through a symlink
    written = _written([(a.artifact, a.path) for a in result.artifacts], spec, top)
    event(f"pulled, force={force}, over existing={bool(set(before) & set(written))}")
    made = set(written) | {p.as_posix() for w in written for p in Path(w).parents if p.as_posix() != "."}
    for rel, was in before.items():
        if rel in written:
            assert force, f"{rel} existed and was written without force"
        elif was[0] == "dir":
            assert after.get(rel) == was, f"the folder {rel} was replaced or removed"
        else:
            assert after.get(rel) == was, f"{rel} was changed or removed"
    assert set(after) - set(before) <= made, "pull left something it does not report"
    for rel, content in written.items():
        assert after[rel] == ("file", content)
