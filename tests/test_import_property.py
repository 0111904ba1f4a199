"""The importers' invariant, against generated hostile sources.

hypothesis drives a fake MLflow server on 127.0.0.1 (tests/fake_mlflow.py) with generated
registries and hostile answers (names that collide or are reserved, versions like ``01`` or
``abc``, timestamps out of range, metrics that are not numbers, artifact names Git or Windows
refuse, deep or non-JSON bodies, error statuses, endless paging, redirects to a second server
on another port), and a GTO repository with generated tags; whatever it generates:

- the import exits 0 or 1, never 3 (a bug), and ends within its ``--timeout`` (plus slack for
  the work after the last request);
- the credentials reach only the tracking server's origin (the second server records none);
- either nothing is written, or the registry passes ``validate``; the native model is never
  touched; no output line starts a GitHub workflow command or holds a bidi override.

Profiles: ``ci`` (the default, what .ci/run runs: 12 MLflow and 8 GTO examples, derandomized,
about a minute on 2 busy cores) and ``nightly`` (200 and 100 examples, random)::

    HYPOTHESIS_PROFILE=nightly .venv/bin/python -m pytest -q -p no:cacheprovider -n0 \\
        tests/test_import_property.py
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Reg, git
from fake_mlflow import API, ARTIFACTS, Model, Version, World
from gto_raw import gto_repo
from http_servers import Recorder, Reply, serve
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

settings.register_profile(
    "ci",
    max_examples=12,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "nightly", max_examples=200, deadline=None, print_blob=True, suppress_health_check=list(HealthCheck)
)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
GTO_EXAMPLES = PROFILE.max_examples
TOKEN = "tracking-token-SECRET-42"
TIMEOUT = 20
SLACK = 60  # seconds after the deadline for what follows the last request (DVC, the commits)


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` about four times in five: a source that is hostile everywhere never gets past its
    first answer, and what an import writes would go untested."""
    return st.one_of(good, good, good, good, bad)


NAMES = mostly(
    st.sampled_from(["ok", "ranker", "Churn Model", "fraud-two"]),
    st.sampled_from(["fraud", "Fraud", "GM", "gm", "CON", "x\u202ey", "a\n::warning::b", "-"]),
)
# what only leaves something out (a model, a version, a metric): the rest is imported
NUMBERS = mostly(st.sampled_from(["1", "2", "3"]), st.sampled_from(["01", "0", "002"]))
FILE_NAMES = mostly(
    st.sampled_from(["model.bin", "sub/x.txt", "MLmodel", "sub/y.txt"]),
    st.sampled_from(["Model.bin", "a", "a/b", ".git/config", "CON.txt", "x\u202e.bin", ".dvc"]),
)
METRICS = mostly(st.floats(min_value=-1e6, max_value=1e6), st.floats())
STAGES = st.sampled_from(["Production", "Staging", "Archived", "odd", "None"])
STATUSES = st.sampled_from(["READY", "FAILED\n::error::x", "PENDING_REGISTRATION"])
MLMODELS = st.sampled_from(
    [
        b'flavors: {sklearn: {sklearn_version: "1.5"}}\nsignature: {inputs: \'[{"name": "a", "type": "double"}]\'}\n',
        b'signature: {inputs: \'[{"name": "a", "type": {"type": "array", "items": {"type": "long"}}}]\'}\n',
        b"signature: 5\n",
        b"not: [valid",
    ]
)
# what makes an answer malformed: one of them in a world ends the import with exit 1
FATAL = st.sampled_from(
    [
        ("version", "abc"),
        ("version", "9" * 5000),
        ("version", ""),
        ("creation_timestamp", 2**70),
        ("creation_timestamp", 1e20),
        ("creation_timestamp", -5),
        ("creation_timestamp", "1"),
        ("last_updated_timestamp", True),
        ("current_stage", 5),
        ("status", 3),
        ("metric", "abc"),
        ("metric", [1]),
        ("metric", None),
        ("MLmodel", b"signature: {inputs: '[{\"tensor-spec\": [[[1]]]}]'}\n"),
        ("MLmodel", b"signature: {inputs: '" + b"[" * 300 + b"]" * 300 + b"'}\n"),
    ]
)


@st.composite
def versions(draw: st.DrawFn) -> Version:
    fields: dict[str, Any] = {"current_stage": draw(STAGES)}
    if draw(st.integers(0, 4)) == 0:
        fields["status"] = draw(STATUSES)
    if draw(st.booleans()):
        fields["creation_timestamp"] = draw(st.integers(min_value=0, max_value=4_102_444_800_000))
    if draw(st.booleans()):
        count = draw(st.sampled_from([0, 3, 501]))
        fields["tags"] = [
            {"key": f"k{i}", "value": "v" * draw(st.sampled_from([1, 199, 201]))} for i in range(count)
        ]
    names = draw(st.lists(FILE_NAMES, min_size=1, max_size=3, unique=True))
    files = {name: b"x" for name in names}
    if "MLmodel" in files:
        files["MLmodel"] = draw(MLMODELS)
    metrics = [{"key": "auc", "value": draw(METRICS)}] if draw(st.integers(0, 3)) else []
    return Version(draw(NUMBERS), fields, metrics=metrics, files=files)


def _spoil(world: World, which: int, fatal: tuple[str, Any]) -> None:
    """Give the ``which``-th version of the world the malformed value ``fatal``."""
    every = [v for m in world.models for v in m.versions]
    version = every[which % len(every)]
    key, value = fatal
    if key == "version":
        version.number = value
    elif key == "metric":
        version.metrics = [{"key": "auc", "value": value}]
    elif key == "MLmodel":
        version.files["MLmodel"] = value
    else:
        version.fields[key] = value


def _redirect_to(other: Recorder, path: str) -> Any:
    return lambda seen: Reply(302, b"", {"Location": f"{other.url}{path}"})


HOSTILE = st.sampled_from(
    ["none"] * 24
    + [
        "deep",
        "not-json",
        "a-list",
        "500",
        "redirect-away",
        "endless-pages",
        "listing-self",
        "listing-twice",
    ]
)
ENDPOINTS = st.sampled_from(
    [f"{API}/registered-models/search", f"{API}/model-versions/search", f"{API}/runs/get", ARTIFACTS]
)


def _hostile(kind: str, endpoint: str, other: Recorder) -> Any:
    pages = iter(range(10**9))
    answers: dict[str, Any] = {
        "deep": lambda seen: Reply(200, b'{"x": ' + b"[" * 50_000 + b"}"),
        "not-json": lambda seen: Reply(200, b"<html>\x00\xff"),
        "a-list": lambda seen: Reply(200, [1, 2]),
        "500": lambda seen: Reply(500, {"message": "boom\n::warning::x"}),
        "redirect-away": _redirect_to(other, endpoint),
        "endless-pages": lambda seen: Reply(
            200, {"registered_models": [], "model_versions": [], "next_page_token": f"p{next(pages)}"}
        ),
        "listing-self": lambda seen: Reply(200, {"files": [{"path": "model", "is_dir": True}]}),
        "listing-twice": lambda seen: Reply(
            200, {"files": [{"path": "a", "is_dir": False}, {"path": "a", "is_dir": True}]}
        ),
    }
    return answers[kind]


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[World, Recorder, Recorder]]:
    world = World()
    with serve(world.recorder()) as tracking, serve(Recorder()) as other:
        other.fallback = lambda seen: Reply(200, {"registered_models": [{"name": "elsewhere"}]})
        yield world, tracking, other


def _snapshot_native(reg: Reg) -> dict[str, bytes]:
    folder = reg.path / "models/fraud"
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _reset(reg: Reg, start: str) -> None:
    git("reset", "-q", "--hard", start, cwd=reg.path)
    git("clean", "-q", "-fd", cwd=reg.path)  # untracked, not ignored: the DVC cache stays


def _check(reg: Reg, done: Any, *, before: tuple[str, ...], native: dict[str, bytes], took: float) -> None:
    assert done.code in (0, 1), (done.code, done.err[-3000:])
    assert took < TIMEOUT + SLACK, took
    for line in (done.out + done.err).splitlines():
        assert not line.startswith("::") and "\u202e" not in line, line
    assert TOKEN not in done.out + done.err
    wrote = reg.state() != before
    event(f"exit {done.code}, {'wrote' if wrote else 'nothing written'}")
    if wrote:
        valid = reg.cli("validate")
        assert valid.code == 0, valid.out + valid.err
    assert _snapshot_native(reg) == native


@pytest.fixture
def native(reg: Reg) -> tuple[Reg, str, dict[str, bytes]]:
    reg.register("fraud", "1.0.0")
    return reg, git("rev-parse", "HEAD", cwd=reg.path).strip(), _snapshot_native(reg)


@settings(PROFILE)
@given(
    models=st.lists(
        st.tuples(NAMES, st.lists(versions(), min_size=1, max_size=3)),
        min_size=1,
        max_size=3,
        unique_by=lambda m: m[0],
    ),
    fatal=st.one_of(st.none(), st.none(), st.tuples(st.integers(0, 8), FATAL)),
    hostile=HOSTILE,
    endpoint=ENDPOINTS,
)
def test_an_mlflow_import_exits_0_or_1_and_leaves_a_valid_registry(
    native: tuple[Reg, str, dict[str, bytes]],
    servers: tuple[World, Recorder, Recorder],
    models: list[tuple[str, list[Version]]],
    fatal: tuple[int, tuple[str, Any]] | None,
    hostile: str,
    endpoint: str,
) -> None:
    reg, start, files = native
    world, tracking, other = servers
    _reset(reg, start)
    world.models = [Model(name, vs) for name, vs in models]
    if fatal is not None:
        _spoil(world, *fatal)
    world.replace = {} if hostile == "none" else {endpoint: _hostile(hostile, endpoint, other)}
    other.seen.clear()
    before = reg.state()
    began = time.monotonic()
    done = reg.cli(
        "import", "mlflow", "--tracking-uri", tracking.url, "--no-push", "--timeout", str(TIMEOUT),
        env={"MLFLOW_TRACKING_TOKEN": TOKEN, "NO_PROXY": "127.0.0.1"},
    )  # fmt: skip
    _check(reg, done, before=before, native=files, took=time.monotonic() - began)
    assert other.authorized() == [], other.seen


# --- GTO ------------------------------------------------------------------------------------------

GTO_NAMES = mostly(
    st.sampled_from(["ok", "ranker", "churn"]),
    st.sampled_from(["fraud", "Fraud", "GM", "gm", "con", "x\u202e"]),
)
GTO_VERSIONS = mostly(
    st.sampled_from(["v1.0.0", "v2.0.0", "v1.1.0"]),
    st.sampled_from(["1.0.0", "v1.0.0+b", "v01.0.0", "v1.0.0-rc.1"]),
)
DATES = st.integers(min_value=1, max_value=2_000_000_000)
BAD_DATES = st.sampled_from([0, 99_999_999_999_999, 253_402_300_800, -1])
LABELS = mostly(
    st.sampled_from([[], ["a"], ["a", "b"]]),
    st.sampled_from([[f"l{i}" for i in range(501)], [1, 2], "text", [["nested"]], ["x" * 201]]),
)
GTO_PATHS = mostly(
    st.sampled_from(["a.bin", "dir"]), st.sampled_from(["missing.bin", ".git/x", "CON.bin", 5])
)
DESCRIPTIONS = mostly(st.just("about it"), st.sampled_from(["d\n::error::x", 5, "y" * 6000]))


@st.composite
def gto_sources(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[str, int]]]:
    artifacts: dict[str, Any] = {}
    tags: list[tuple[str, int]] = []
    for name in draw(st.lists(GTO_NAMES, min_size=1, max_size=3, unique=True)):
        artifacts[name] = {"path": draw(GTO_PATHS), "labels": draw(LABELS), "description": draw(DESCRIPTIONS)}
        for version in draw(st.lists(GTO_VERSIONS, min_size=1, max_size=2, unique=True)):
            tags.append((f"{name}@{version}", draw(DATES)))
        if draw(st.booleans()):
            stage = draw(st.sampled_from(["prod", "staging", "nowhere"]))
            tags.append((f"{name}#{stage}#{draw(st.integers(1, 3))}", draw(DATES)))
    if draw(st.sampled_from([False, False, False, True])):  # one tag dated where no date is
        i = draw(st.integers(0, len(tags) - 1))
        tags[i] = (tags[i][0], draw(BAD_DATES))
    return artifacts, tags


def _gto_repo(path: Path, artifacts: dict[str, Any], tags: list[tuple[str, int]]) -> Path:
    files = {rel: rel for rel in ("a.bin", "dir/one.bin", "dir/two.bin", "CON.bin")}
    return gto_repo(path, artifacts, [(tag, f"{date} +0000") for tag, date in tags], files)


@settings(PROFILE, max_examples=GTO_EXAMPLES)
@given(source=gto_sources())
def test_a_gto_import_exits_0_or_1_and_leaves_a_valid_registry(
    native: tuple[Reg, str, dict[str, bytes]], tmp_path_factory: pytest.TempPathFactory, source: Any
) -> None:
    reg, start, files = native
    _reset(reg, start)
    repo = _gto_repo(tmp_path_factory.mktemp("gto"), *source)
    before = reg.state()
    began = time.monotonic()
    done = reg.cli("import", "gto", "--repo", str(repo), "--no-push")
    _check(reg, done, before=before, native=files, took=time.monotonic() - began)
