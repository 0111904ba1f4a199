"""What a hostile (or just odd) MLflow server or GTO repository cannot do to a registry through
`modelreg import`: each finding is a named case against the real CLI, next to a legitimate twin
that imports. The invariant behind them is tested with generated answers in
tests/test_import_property.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Reg
from fake_mlflow import API, ARTIFACTS, Model, Version, World
from gto_raw import gto_repo
from http_servers import Reply, serve


@pytest.fixture
def world() -> Iterator[tuple[World, str]]:
    """A fake MLflow server (its world filled by each test) and its URL."""
    w = World()
    with serve(w.recorder()) as server:
        yield w, server.url


def _import(reg: Reg, url: str, *args: str) -> Any:
    return reg.cli(
        "import", "mlflow", "--tracking-uri", url, "--no-push", *args, env={"NO_PROXY": "127.0.0.1"}
    )


def _valid(reg: Reg) -> None:
    done = reg.cli("validate")
    assert done.code == 0, done.out + done.err


def _models(reg: Reg) -> set[str]:
    folder = reg.path / "models"
    return {p.name for p in folder.iterdir() if p.is_dir()} if folder.is_dir() else set()


# --- finding 5: collisions and hijacks ---------------------------------------------------------


def test_an_mlflow_model_never_merges_into_a_native_one(reg: Reg, world: tuple[World, str]) -> None:
    w, url = world
    reg.register("fraud", "1.0.0")
    w.models = [
        Model("Fraud", [Version("1"), Version("2", {"current_stage": "Production"})]),
        Model("Churn", [Version("1")]),  # the twin: a name nobody has
    ]
    native = (reg.path / "models/fraud/1.0.0.yaml").read_bytes()
    done = _import(reg, url)
    assert done.code == 0, done.err
    assert (
        "not imported: MLflow model 'Fraud' (fraud is a model of this registry that was not imported "
        "from it (registered here))" in done.err
    )
    assert "register churn@1.0.0" in done.out and "fraud" not in done.out
    assert sorted(p.name for p in (reg.path / "models/fraud").iterdir()) == [
        "1.0.0",
        "1.0.0.yaml",
        "model.yaml",
    ]
    assert (reg.path / "models/fraud/1.0.0.yaml").read_bytes() == native
    _valid(reg)
    # a second import of the same source into what it made is fine
    w.models[1].versions.append(Version("2"))
    again = _import(reg, url)
    assert again.code == 0 and "register churn@2.0.0" in again.out, again.err


def test_mlflow_versions_that_become_one_are_refused(reg: Reg, world: tuple[World, str]) -> None:
    w, url = world
    w.models = [Model("twice", [Version("1"), Version("01")]), Model("once", [Version("1"), Version("2")])]
    done = _import(reg, url)
    assert done.code == 0, done.err
    assert "not imported: MLflow model 'twice' (its versions '1' and '01' both become 1.0.0)" in done.err
    assert _models(reg) == {"once"}
    _valid(reg)


def test_names_that_differ_by_case_or_map_to_one_are_refused_both(reg: Reg, world: tuple[World, str]) -> None:
    w, url = world
    w.models = [
        Model("GM", [Version("1")]),
        Model("gm", [Version("1")]),
        Model("Churn Model", [Version("1")]),
    ]
    done = _import(reg, url)
    assert done.code == 0, done.err
    assert (
        "not imported: MLflow model 'GM' and MLflow model 'gm' (they all become model gm; rename all "
        "but one at the source)" in done.err
    )
    assert _models(reg) == {"churn-model"}


def _gto_repo(path: Path, artifacts: dict[str, Any], tags: list[tuple[str, str]]) -> Path:
    files = {entry["path"]: f"weights of {entry['path']}\n" for entry in artifacts.values()}
    return gto_repo(path, artifacts, tags, files)


def _gto(reg: Reg, source: Path, *args: str) -> Any:
    return reg.cli("import", "gto", "--repo", str(source), "--no-push", *args)


def test_gto_artifacts_gm_and_GM_are_refused_both(reg: Reg, tmp_path: Path) -> None:  # noqa: N802
    source = _gto_repo(
        tmp_path / "gto",
        {"GM": {"path": "a.bin"}, "gm": {"path": "b.bin"}, "ranker": {"path": "c.bin"}},
        [
            ("GM@v5.0.0", "1767225600 +0000"),
            ("gm@v5.0.0", "1767225601 +0000"),
            ("ranker@v1.0.0", "1767225602 +0000"),
        ],
    )
    done = _gto(reg, source)
    assert done.code == 0, done.err
    assert "not imported: GTO artifact 'GM' and GTO artifact 'gm' (they all become model gm" in done.err
    assert _models(reg) == {"ranker"}
    _valid(reg)


def test_gto_versions_that_become_one_are_refused(reg: Reg, tmp_path: Path) -> None:
    source = _gto_repo(
        tmp_path / "gto",
        {"m": {"path": "a.bin"}, "ok": {"path": "b.bin"}},
        [
            ("m@v1.0.0", "1767225600 +0000"),
            ("m@1.0.0", "1767225601 +0000"),
            ("ok@v1.0.0", "1767225602 +0000"),
        ],
    )
    done = _gto(reg, source)
    assert done.code == 0, done.err
    assert (
        "not imported: GTO artifact 'm' (GTO tag m@1.0.0 becomes 1.0.0, which 1.0.0 is already)" in done.err
    )
    assert _models(reg) == {"ok"}


# --- finding 6: registries modelreg would refuse --------------------------------------------------


def test_too_many_tags_and_reserved_names_are_not_imported(reg: Reg, world: tuple[World, str]) -> None:
    w, url = world
    tags = [{"key": f"k{i}", "value": "v" * 150} for i in range(9000)]
    w.models = [
        Model("tagged", [Version("1", {"tags": tags})]),
        Model("CON", [Version("1")]),
        Model("fine", [Version("1", {"tags": tags[:20]})]),
    ]
    done = _import(reg, url)
    assert done.code == 0, done.err
    assert (
        "MLflow 'tagged' v1: it has 9000 tags, more than the 500 a manifest may hold; not imported"
        in done.err
    )
    assert (
        "not imported: MLflow model 'CON' (invalid model name 'con': CON is a device name on Windows"
        in done.err
    )
    assert _models(reg) == {"fine"}
    _valid(reg)
    assert reg.cli("list").code == 0


@pytest.mark.parametrize("count", [150_000, 600])
def test_gto_labels_beyond_the_cap_are_not_imported(reg: Reg, tmp_path: Path, count: int) -> None:
    labels = [f"label-{i}" for i in range(count)]
    source = _gto_repo(
        tmp_path / "gto",
        {"big": {"path": "a.bin", "labels": labels}, "small": {"path": "b.bin", "labels": labels[:3]}},
        [("big@v1.0.0", "1767225600 +0000"), ("small@v1.0.0", "1767225601 +0000")],
    )
    done = _gto(reg, source)
    assert done.code == 0, done.err
    if count > 1000:  # artifacts.yaml itself is over the size limit of a registry file
        assert "artifacts.yaml at" in done.err and "over the 1048576-byte limit" in done.err
        assert _models(reg) == set()
        return
    assert "the annotation of 'big'" in done.err and "labels: List should have at most 500 items" in done.err
    assert _models(reg) == {"small"}
    _valid(reg)


def test_artifact_files_that_differ_by_case_are_not_imported(reg: Reg, world: tuple[World, str]) -> None:
    w, url = world
    w.models = [
        Model("cased", [Version("1", files={"Model.bin": b"a", "model.bin": b"b"})]),
        Model("reserved", [Version("1", files={"aux.txt": b"a"})]),
        Model("plain", [Version("1", files={"model.bin": b"b", "sub/x.txt": b"c"})]),
    ]
    done = _import(reg, url)
    assert done.code == 0, done.err
    assert "artifacts 'Model.bin' and 'model.bin' differ only by case; not imported" in done.err
    assert "'aux.txt' is reserved on Windows" in done.err
    assert _models(reg) == {"plain"}
    _valid(reg)


# --- finding 7: malformed answers: one line, exit 1, nothing written ----------------------------


def _models_answer(models: list[dict[str, Any]]) -> Any:
    return lambda seen: Reply(200, {"registered_models": models})


def _deep(n: int) -> bytes:
    return b'{"registered_models": ' + b"[" * n + b"]" * n + b"}"


def _signed(signature: dict[str, Any]) -> dict[str, bytes]:
    mlmodel = yaml.safe_dump({"flavors": {}, "signature": signature}).encode()
    return {"MLmodel": mlmodel, "weights.bin": b"w"}


MALFORMED: dict[str, tuple[dict[str, Any], str]] = {
    "deep JSON": (
        {"replace": {f"{API}/registered-models/search": lambda seen: Reply(200, _deep(100_000))}},
        "recursion limit exceeded",
    ),
    "version abc": ({"version": {"version": "abc"}}, "model_versions.0.version: String should match pattern"),
    "version of 5,000 digits": ({"version": {"version": "9" * 5000}}, "model_versions.0.version"),
    "timestamp 1e20": (
        {"version": {"creation_timestamp": 1e20}},
        "creation_timestamp: Input should be a valid integer",
    ),
    "timestamp too late": (
        {"version": {"creation_timestamp": 10**17}},
        "creation_timestamp: Input should be less than",
    ),
    "a model without a name": (
        {"replace": {f"{API}/registered-models/search": _models_answer([{"description": "x"}])}},
        "registered_models.0.name: Field required",
    ),
    "metric abc": (
        {"metrics": [{"key": "auc", "value": "abc"}]},
        "run.data.metrics.0.value: Input should be a valid number",
    ),
    "a listing that contains itself": (
        {"replace": {ARTIFACTS: lambda seen: Reply(200, {"files": [{"path": "model", "is_dir": True}]})}},
        "nest deeper than 32 folders",
    ),
    "a listing entry dot": (
        {"replace": {ARTIFACTS: lambda seen: Reply(200, {"files": [{"path": ".", "is_dir": True}]})}},
        "must name a file or folder inside the folder listed",
    ),
    "a nested MLmodel signature": (
        {
            "files": _signed(
                {"inputs": json.dumps([{"name": "x", "type": "double", "tensor-spec": [[["deep"]]]}])}
            )
        },
        "the MLmodel signature's inputs is malformed",
    ),
    "a file and a folder of one name": (
        {
            "replace": {
                ARTIFACTS: lambda seen: Reply(
                    200,
                    {
                        "files": [
                            {"path": "a", "is_dir": False, "file_size": 1},
                            {"path": "a", "is_dir": True},
                        ]
                    },
                )
            }
        },
        "names one entry twice",
    ),
    "next_page_token for ever": (
        {
            "replace": {
                f"{API}/registered-models/search": lambda seen: Reply(
                    200, {"registered_models": [], "next_page_token": str(id(seen))}
                )
            }
        },
        "more than 200 pages",
    ),
    "the same page token again": (
        {
            "replace": {
                f"{API}/registered-models/search": lambda seen: Reply(
                    200, {"registered_models": [], "next_page_token": "again"}
                )
            }
        },
        "page token of an earlier page again",
    ),
    "a body too large": (
        {"replace": {f"{API}/registered-models/search": lambda seen: Reply(200, b" " * (17 * 1024 * 1024))}},
        "sent more than 16777216 bytes",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_answer_is_one_line_and_exit_1(reg: Reg, world: tuple[World, str], case: str) -> None:
    w, url = world
    change, message = MALFORMED[case]
    version = Version("1", dict(change.get("version", {})))
    if "metrics" in change:
        version.metrics = change["metrics"]
    if "files" in change:
        version.files = change["files"]
    w.models = [Model("victim", [version])]
    w.replace = dict(change.get("replace", {}))
    reg.register("native", "1.0.0")
    before = reg.state()
    done = _import(reg, url)
    assert done.code == 1, (done.code, done.err[-2000:])
    assert len(done.err.strip().splitlines()) == 1, done.err
    assert message in done.err, done.err
    assert "Traceback" not in done.err
    assert reg.state() == before


def test_a_server_that_does_not_answer_in_time_ends_the_import(reg: Reg, world: tuple[World, str]) -> None:
    w, url = world
    w.models = [Model("m", [Version(str(i)) for i in range(1, 200)])]
    before = reg.state()
    done = _import(reg, url, "--timeout", "1")
    assert done.code in (0, 1), done.err  # a fast machine may finish within the second
    if done.code == 1:
        assert "took longer than the time allowed" in done.err and "--timeout" in done.err
        assert reg.state() == before
    else:
        _valid(reg)


def test_a_gto_tagger_date_beyond_year_9999_is_one_line(reg: Reg, tmp_path: Path) -> None:
    source = _gto_repo(tmp_path / "gto", {"m": {"path": "a.bin"}}, [("m@v1.0.0", "99999999999999 +0000")])
    before = reg.state()
    done = _gto(reg, source)
    assert done.code == 1, done.err
    assert "tag 'm@v1.0.0': its tagger date '99999999999999' is not a date between 1970 and 9999" in done.err
    assert len(done.err.strip().splitlines()) == 1 and reg.state() == before


# --- finding 7: text from the source is printed escaped -------------------------------------------


def test_source_text_cannot_start_a_workflow_command_or_reorder_a_line(
    reg: Reg, world: tuple[World, str]
) -> None:
    w, url = world
    w.models = [
        Model("evil", [Version("1", {"status": "FAILED\n::warning::pwned\u202e"})]),
        Model("good", [Version("1", {"user_id": "eve\n::error::x"})]),
    ]
    done = _import(reg, url, "--dry-run")
    assert done.code == 0, done.err
    assert "\u202e" not in done.err + done.out
    for line in (done.err + done.out).splitlines():
        assert not line.startswith("::"), line
    assert "is FAILED\\n::warning::pwned\\u202e, not READY" in done.err
    assert "eve\\n::error::x" in done.out


def test_what_validate_would_refuse_is_left_out_by_the_plan(reg: Reg, world: tuple[World, str]) -> None:
    """The registry's own naming rule is known only to validate: the plan is validated whole
    before anything is written, and the model that breaks it is left out, with validate's words."""
    text = (reg.path / "registry.yaml").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("naming:")]
    reg.write("registry.yaml", "\n".join([*lines, 'naming: {model: "^team-[a-z0-9-]{1,40}$"}', ""]))
    reg.commit("naming rule")
    w, url = world
    w.models = [Model("Churn", [Version("1")]), Model("team-ranker", [Version("1")])]
    done = _import(reg, url)
    assert done.code == 0, done.err
    assert "not imported: MLflow model 'Churn' (validate would refuse models/churn/" in done.err
    assert "breaks the naming rule" in done.err
    assert _models(reg) == {"team-ranker"}
    _valid(reg)
