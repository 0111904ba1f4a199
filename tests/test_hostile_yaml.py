"""Hostile YAML in every kind of registry file: each hazard is written into a manifest, a
model.yaml, a stages.yaml, registry.yaml and a DVC pointer in turn, and ``modelreg validate``
must report exactly one problem, on the file and line given, exit 1 and change nothing.

The CLI runs in-process here (its boundary, click and the reporters, without a new Python per
case): 150 cases through subprocesses would cost a minute. tests/hostile/commands.yaml covers
the same hazards in metrics and params files through real processes.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import repo_state

from modelreg.cli.main import main

BASE = Path(__file__).parent / "cases" / "base"

KINDS = {
    "manifest": "models/fraud/1.1.0.yaml",
    "model-yaml": "models/fraud/model.yaml",
    "stages-yaml": "models/fraud/stages.yaml",
    "registry-yaml": "registry.yaml",
    "dvc-pointer": "models/fraud/1.1.0/model.bin.dvc",
}
_BOMB = b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + b"".join(
    f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]\n".encode() for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)

# (id, the whole file, the line reported (None: the file as a whole), the message)
HAZARDS: list[tuple[str, bytes, int | None, str]] = [
    ("syntax-error", b"name: [unclosed\n", 2, "invalid YAML: did not find expected ',' or ']'"),
    ("duplicate-key", b"a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a'"),
    (
        "tab-indentation",
        b"a:\n\tb: 1\n",
        2,
        "invalid YAML: found character that cannot start any token: a tab; indent YAML with spaces, not tabs",
    ),
    ("billion-laughs", _BOMB, None, "YAML anchors and aliases are not allowed in registry files"),
    ("one-alias", b"a: &x [1]\nb: *x\n", None, "YAML anchors and aliases are not allowed in registry files"),
    (
        "huge-file",
        b"a: " + b"x" * 1_100_000 + b"\n",
        None,
        "file is 1100004 bytes, over the 1048576-byte limit for a registry file; keep large data in "
        "artifacts, not in YAML",
    ),
    (
        "latin-1",
        "description: caf\u00e9\n".encode("latin-1"),
        None,
        "not valid UTF-8 (byte 16); save it as UTF-8",
    ),
    ("utf-16", "a: 1\n".encode("utf-16"), None, "not valid UTF-8 (byte 0); save it as UTF-8"),
    (
        "python-object-apply",
        b"a: !!python/object/apply:os.system [id]\n",
        1,
        "invalid YAML: tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed (plain data only)",
    ),
    (
        "python-name",
        b"a: !!python/name:os.system\n",
        1,
        "invalid YAML: tag 'tag:yaml.org,2002:python/name:os.system' is not allowed (plain data only)",
    ),
    (
        "binary-tag",
        b"a: !!binary aGVsbG8=\n",
        1,
        "invalid YAML: tag 'tag:yaml.org,2002:binary' is not allowed (plain data only)",
    ),
    (
        "set-tag",
        b"a: !!set {x, y}\n",
        1,
        "invalid YAML: tag 'tag:yaml.org,2002:set' is not allowed (plain data only)",
    ),
    (
        "timestamp-tag",
        b"a: !!timestamp 2026-01-01\n",
        1,
        "invalid YAML: tag 'tag:yaml.org,2002:timestamp' is not allowed (plain data only)",
    ),
    (
        "custom-tag",
        b"a: !include /etc/passwd\n",
        1,
        "invalid YAML: tag '!include' is not allowed (plain data only)",
    ),
    ("merge-key", b"a: {k: 1}\nb:\n  <<: {k: 2}\n", 3, "merge keys (<<) are not allowed in registry files"),
    ("nested-40-deep", b"a: " + b"[" * 40 + b"]" * 40 + b"\n", None, "YAML nested deeper than 32 levels"),
    (
        "nested-20000-deep",
        b"a: " + b"[" * 20000 + b"]" * 20000 + b"\n",
        1,
        "invalid YAML: exceeded maximum nesting depth",
    ),
    ("two-documents", b"a: 1\n---\na: 2\n", 2, "invalid YAML: but found another document"),
    (
        "int-of-5000-digits",
        b"a: " + b"9" * 5000 + b"\n",
        1,
        "a number of 5000 digits is too long (at most 64); quote it if it is text",
    ),
    (
        "nul-character",
        b"a: b\x00c\n",
        1,
        "invalid YAML: character U+0000: control characters are not allowed",
    ),
    (
        "escape-character",
        b"a: b\x1bc\n",
        1,
        "invalid YAML: character U+001B: control characters are not allowed",
    ),
    ("number-key", b"1: x\n", 1, "key '1' is read as a number, not text; quote it"),
    ("boolean-key", b"yes: x\n", 1, "key 'yes' is read as a boolean, not text; quote it"),
    ("null-key", b"~: x\n", 1, "key '~' is read as null, not text; quote it"),
    ("list-key", b"? [a, b]\n: x\n", 1, "a key must be text, not a list"),
]


@dataclass
class Files:
    path: Path
    state: tuple[str, ...]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Files]:
    """tests/cases/base, committed (so that 'unchanged' means something), valid as it is."""
    path = tmp_path_factory.mktemp("yaml") / "registry"
    shutil.copytree(BASE, path)
    env = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(path.parent), "PATH": "/usr/bin:/bin"}
    for argv in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=T", "-c", "user.email=t@e", "commit", "-qm", "base"],
    ):
        subprocess.run(["git", *argv], cwd=path, check=True, env=env)
    yield Files(path, repo_state(path))


def _validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(["validate", "-C", str(path)])
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


@pytest.fixture
def swap(files: Files) -> Iterator[Callable[[str, bytes], None]]:
    """Replace one file for the test, and put it back afterwards."""
    originals: dict[str, bytes] = {}

    def put(rel: str, content: bytes) -> None:
        originals.setdefault(rel, (files.path / rel).read_bytes())
        (files.path / rel).write_bytes(content)

    yield put
    for rel, content in originals.items():
        (files.path / rel).write_bytes(content)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("hazard", "content", "line", "message"), HAZARDS, ids=[h[0] for h in HAZARDS])
def test_hostile_yaml_in_every_kind_of_file(
    files: Files,
    swap: Callable[[str, bytes], None],
    capsys: pytest.CaptureFixture[str],
    kind: str,
    hazard: str,
    content: bytes,
    line: int | None,
    message: str,
) -> None:
    rel = KINDS[kind]
    swap(rel, content)
    before = repo_state(files.path)
    code, out, err = _validate(files.path, capsys)
    where = f"{rel}:{line}" if line else rel
    assert (code, out) == (1, f"{where}: {message}\n")
    assert err == "validated 7 registry files: 1 problem\n"
    assert repo_state(files.path) == before


@pytest.mark.parametrize("kind", KINDS)
def test_a_byte_order_mark_is_tolerated(
    files: Files, swap: Callable[[str, bytes], None], capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    rel = KINDS[kind]
    swap(rel, b"\xef\xbb\xbf" + (files.path / rel).read_bytes())
    assert _validate(files.path, capsys) == (0, "validated 7 registry files: ok\n", "")


# (id, file, text replaced, replacement, the problem line; None: valid)
SEMANTIC: list[tuple[str, str, str, str, str | None]] = [
    (
        "manifest-version-as-float",
        "models/fraud/1.1.0.yaml",
        "version: 1.1.0",
        "version: 1.10",
        'models/fraud/1.1.0.yaml:3: version: 1.10 is read as 1.1, not text; quote it: "1.10"',
    ),
    (
        "manifest-description-as-boolean",
        "models/fraud/1.1.0.yaml",
        "description: Retrained",
        "description: off",
        'models/fraud/1.1.0.yaml:6: description: off is read as false, not text; quote it: "off"',
    ),
    (
        "manifest-timestamp-where-text-is-expected-stays-text",
        "models/fraud/1.1.0.yaml",
        "created_by: Bob <bob@example.com>",
        "created_by: 2026-02-10T09:00:00Z",
        None,
    ),
    (
        "manifest-metric-infinite",
        "models/fraud/1.1.0.yaml",
        "auc: 0.88",
        "auc: -.inf",
        "models/fraud/1.1.0.yaml:9: metrics.auc: Input should be a finite number",
    ),
    (
        "manifest-metric-overflows-to-infinity",
        "models/fraud/1.1.0.yaml",
        "auc: 0.88",
        "auc: 1.0e+400",
        "models/fraud/1.1.0.yaml:9: metrics.auc: Input should be a finite number",
    ),
    (
        "manifest-param-nan",
        "models/fraud/1.0.0.yaml",
        "params: {max_depth: 6}",
        "params: {max_depth: 6, lr: .NaN}",
        "models/fraud/1.0.0.yaml:11: params: 'lr' must be a finite number",
    ),
    (
        "model-yaml-owner-as-date-stays-text",
        "models/fraud/model.yaml",
        'owner: "@acme/risk"',
        "owner: 2026-01-01",
        None,
    ),
    (
        "stages-version-as-float",
        "models/fraud/stages.yaml",
        "production: 1.1.0",
        "production: 1.10",
        'models/fraud/stages.yaml:1: production: 1.10 is read as 1.1, not text; quote it: "1.10"',
    ),
    (
        "registry-threshold-nan",
        "registry.yaml",
        "min: 0.8",
        "min: .nan",
        "registry.yaml:11: stages.production.requires.metrics.auc.min: Input should be a finite number",
    ),
    (
        "registry-max-versions-as-float",
        "registry.yaml",
        "max_versions: 2",
        "max_versions: 1.5",
        'registry.yaml:5: stages.staging.max_versions: 1.5 is not of type "integer" or "null"',
    ),
    (
        "registry-regex-bomb",
        "registry.yaml",
        "metrics: {auc: maximize",
        'naming: {model: "^([a-z]+)+$"}\nmetrics: {auc: maximize',
        "registry.yaml:15: naming.model repeats a group with '+'; only a character or a [class] may repeat "
        "(a group may be optional)",
    ),
    (
        "registry-regex-too-long",
        "registry.yaml",
        "metrics: {auc: maximize",
        'naming: {model: "' + "a" * 201 + '"}\nmetrics: {auc: maximize',
        "registry.yaml:15: naming.model is 201 characters long, more than 200",
    ),
    (
        "pointer-size-as-text",
        "models/fraud/1.1.0/model.bin.dvc",
        "size: 120",
        "size: '120'",
        "models/fraud/1.1.0/model.bin.dvc: size '120' is not a number of bytes; re-track it with DVC 3",
    ),
    (
        "pointer-md5-all-digits-unquoted",
        "models/fraud/1.1.0/model.bin.dvc",
        "md5: fedcba9876543210fedcba9876543210",
        "md5: 12345678901234567890123456789012",
        "models/fraud/1.1.0/model.bin.dvc: md5 12345678901234567890123456789012 is not 32 lowercase hex digits; "
        "re-track it with DVC 3",
    ),
]


@pytest.mark.parametrize(("case", "rel", "old", "new", "problem"), SEMANTIC, ids=[s[0] for s in SEMANTIC])
def test_numbers_and_timestamps_where_text_is_expected(
    files: Files,
    swap: Callable[[str, bytes], None],
    capsys: pytest.CaptureFixture[str],
    case: str,
    rel: str,
    old: str,
    new: str,
    problem: str | None,
) -> None:
    text = (files.path / rel).read_text()
    assert old in text
    swap(rel, text.replace(old, new).encode())
    code, out, err = _validate(files.path, capsys)
    if problem is None:
        assert (code, out) == (0, "validated 7 registry files: ok\n")
    else:
        assert (code, out, err) == (1, problem + "\n", "validated 7 registry files: 1 problem\n")
