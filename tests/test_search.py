"""`modelreg list --where/--sort/--limit`, `--model GLOB` and `Registry.search` on a real registry."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Reg, Templates
from stored import keys, plant, value

from modelreg.domain.errors import ExpressionError, NotFoundError
from modelreg.queries import search as search_module
from modelreg.registry import Registry


def build_searchable(reg: Reg) -> None:
    xgb = {"name": "xgboost", "version": "2.1.0"}
    reg.register(
        "fraud-a",
        "1.0.0",
        owner="@acme/risk",
        description="first",
        framework=xgb,
        algorithm="gradient_boosting",
        tags=["fraud"],
        metrics={"auc": 0.95, "f1": 0.8},
        params={"max_depth": 6, "booster": "gbtree", "early_stop": True},
    )
    reg.register(
        "fraud-a",
        "1.1.0",
        description="deeper",
        framework=xgb,
        metrics={"auc": 0.91},
        params={"max_depth": 8, "booster": "dart"},
    )
    reg.register(
        "fraud-b",
        "0.1.0",
        owner="@acme/risk",
        description="light",
        framework={"name": "lightgbm"},
        metrics={"auc": 0.97},
        params={"max_depth": 4},
    )
    reg.register(
        "churn",
        "2.0.0",
        owner="@acme/growth",
        description="churn",
        framework={"name": "sklearn"},
        tags=["tabular"],
        metrics={"f1": 0.7, "depth": 3},
        params={"max_depth": "deep", "depth": 2},
    )
    reg.write("models/fraud-a/stages.yaml", "production: 1.0.0\nstaging: [1.1.0]\n")
    reg.write("models/fraud-b/stages.yaml", "staging: [0.1.0]\n")
    reg.write("models/fraud-a/model.yaml", _facts("fraud-a", "@acme/risk", ["payments"]))
    reg.commit("stages")


def _facts(name: str, owner: str, tags: list[str]) -> str:
    return (
        f"schema_version: 1\nname: {name}\ndescription: a model\nowner: '{owner}'\ntags: {json.dumps(tags)}\n"
    )


@pytest.fixture
def searchable(templates: Templates, tmp_path: Path) -> Reg:
    """fraud-a 1.0.0 (production, xgboost, auc 0.95, max_depth 6, tag fraud; model tag payments),
    1.1.0 (staging, xgboost, auc 0.91, max_depth 8); fraud-b 0.1.0 (staging, lightgbm, auc 0.97);
    churn 2.0.0 (development, sklearn, no auc, max_depth 'deep', metric and param named depth)."""
    return templates.copy("searchable", build_searchable, tmp_path)


def refs(reg: Reg, *args: str, env: dict[str, str] | None = None) -> list[str]:
    result = reg.cli("list", *args, "--format", "json", env=env)
    assert result.code == 0, result.err
    return [v["ref"] for v in json.loads(result.out)["versions"]]


THE_ISSUES_QUERY = "auc >= 0.9 and framework == 'xgboost' and stage in ('staging', 'production')"


def test_the_issues_example_sorted_and_limited(searchable: Reg) -> None:
    assert refs(searchable, "--where", THE_ISSUES_QUERY) == ["fraud-a@1.1.0", "fraud-a@1.0.0"]
    assert refs(searchable, "--where", THE_ISSUES_QUERY, "--sort", "-auc") == [
        "fraud-a@1.0.0",
        "fraud-a@1.1.0",
    ]
    assert refs(searchable, "--where", THE_ISSUES_QUERY, "--sort", "-auc", "--limit", "1") == [
        "fraud-a@1.0.0"
    ]
    table = searchable.cli("list", "--where", THE_ISSUES_QUERY, "--sort", "-auc")
    assert table.code == 0
    assert [line.split()[:3] for line in table.out.splitlines()] == [
        ["MODEL", "VERSION", "STAGE"],
        ["fraud-a", "1.0.0", "production"],
        ["fraud-a", "1.1.0", "staging"],
    ]


QUERIES = [
    ("owner == '@acme/risk'", ["fraud-a@1.1.0", "fraud-a@1.0.0", "fraud-b@0.1.0"]),
    ("owner ~ '@acme/g*'", ["churn@2.0.0"]),
    ("tag == 'fraud'", ["fraud-a@1.0.0"]),
    ("'payments' in tags and not tag == 'fraud'", ["fraud-a@1.1.0"]),
    ("tag in ('tabular', 'fraud')", ["churn@2.0.0", "fraud-a@1.0.0"]),
    ("framework != 'xgboost'", ["churn@2.0.0", "fraud-b@0.1.0"]),
    ("algorithm is null and auc > 0", ["fraud-a@1.1.0", "fraud-b@0.1.0"]),
    ("exists(algorithm)", ["fraud-a@1.0.0"]),
    ("max_depth >= 6", ["fraud-a@1.1.0", "fraud-a@1.0.0"]),
    ("max_depth == 'deep'", ["churn@2.0.0"]),
    ("params.booster ~ 'g*' or params.early_stop == true", ["fraud-a@1.0.0"]),
    ("metrics.depth == 3 and params.depth == 2", ["churn@2.0.0"]),
    ("auc < 0.9 or auc is null", ["churn@2.0.0"]),
    ("name ~ 'fraud-?' and version >= '1.0.0'", ["fraud-a@1.1.0", "fraud-a@1.0.0"]),
    ("model == 'churn' or stage == 'production'", ["churn@2.0.0", "fraud-a@1.0.0"]),
    ("created >= '2000-01-01' and created < '2100-01-01' and created_by ~ '*'", None),
    ("created < '2000-01-01'", []),
]


@pytest.mark.parametrize(("where", "expected"), QUERIES)
def test_each_field_and_operator(searchable: Reg, where: str, expected: list[str] | None) -> None:
    every = refs(searchable)
    assert refs(searchable, "--where", where) == (every if expected is None else expected)


def test_a_date_alone_is_its_whole_day(searchable: Reg) -> None:
    first = json.loads(searchable.cli("list", "--format", "json").out)["versions"][0]
    day = first["created_at"][:10]
    tz = {"TZ": "UTC"}  # created_at is in UTC; a date alone is read in local time
    everything = refs(searchable, env=tz)
    assert refs(searchable, "--where", f"created == '{day}'", env=tz) == everything
    assert refs(searchable, "--where", f"created <= '{day}'", env=tz) == everything
    assert refs(searchable, "--where", f"created > '{day}'", env=tz) == []
    assert refs(searchable, "--where", f"created >= '{first['created_at']}'", env=tz) != []


def test_sort_by_several_keys_with_missing_values_last(searchable: Reg) -> None:
    assert refs(searchable, "--sort", "-auc") == [
        "fraud-b@0.1.0",
        "fraud-a@1.0.0",
        "fraud-a@1.1.0",
        "churn@2.0.0",
    ]
    assert refs(searchable, "--sort", "auc") == [
        "fraud-a@1.1.0",
        "fraud-a@1.0.0",
        "fraud-b@0.1.0",
        "churn@2.0.0",
    ]
    assert refs(searchable, "--sort", "framework,-version") == [
        "fraud-b@0.1.0",
        "churn@2.0.0",
        "fraud-a@1.1.0",
        "fraud-a@1.0.0",
    ]
    # max_depth: numbers (ascending), then text; --limit after the sort
    assert refs(searchable, "--sort", " max_depth , name", "--limit", "3") == [
        "fraud-b@0.1.0",
        "fraud-a@1.0.0",
        "fraud-a@1.1.0",
    ]
    assert refs(searchable, "--limit", "0") == []


def test_model_globs_and_exact_names(searchable: Reg) -> None:
    assert refs(searchable, "--model", "fraud-*") == ["fraud-a@1.1.0", "fraud-a@1.0.0", "fraud-b@0.1.0"]
    assert refs(searchable, "--model", "fraud-[b]", "--where", "auc > 0.5") == ["fraud-b@0.1.0"]
    assert refs(searchable, "--model", "nothing-*") == []
    assert refs(searchable, "--model", "churn") == ["churn@2.0.0"]
    assert refs(searchable, "--model", "churn", "--where", "f1 > 0.5") == ["churn@2.0.0"]
    table = searchable.cli("list", "--model", "fraud-*")
    assert table.code == 0 and len(table.out.splitlines()) == 4
    missing = searchable.cli("list", "--model", "nobody", "--where", "auc > 1")
    assert (missing.code, missing.err) == (
        1,
        "modelreg: error: no model 'nobody' in the registry; `modelreg list` shows the models\n",
    )


def test_stage_and_tag_options_combine_with_where(searchable: Reg) -> None:
    assert refs(searchable, "--stage", "staging", "--where", "auc > 0.9", "--sort", "-auc") == [
        "fraud-b@0.1.0",
        "fraud-a@1.1.0",
    ]
    assert refs(searchable, "--tag", "fraud", "--where", "auc > 0.9") == ["fraud-a@1.0.0"]
    bad = searchable.cli("list", "--stage", "nowhere", "--where", "auc > 0.9")
    assert bad.code == 1 and "unknown stage 'nowhere'" in bad.err


ERRORS = [
    (["--where", "auc >= and framework == 'x'"], "--where: expected a value, found 'and' at column 8:", 8),
    (["--where", "acu > 0.9"], "--where: unknown field 'acu' (did you mean auc?) at column 1:", 1),
    (
        ["--where", "depth > 1"],
        "'depth' is both a metric and a param: write metrics.depth or params.depth",
        1,
    ),
    (["--where", "owner > 3"], "--where: owner is text: compare it with text in quotes, not a number", 9),
    (["--where", "stage == 'x\x1b[31m' and"], "--where: expected a value, found end of expression", 23),
    (["--sort", "-auc,nmae"], "--sort: unknown field 'nmae' (did you mean name?) at column 6:", 6),
]


@pytest.mark.parametrize(("args", "message", "column"), ERRORS)
def test_a_bad_expression_is_one_line_and_a_caret_and_writes_nothing(
    searchable: Reg, args: list[str], message: str, column: int
) -> None:
    before = searchable.state()
    result = searchable.cli("list", *args)
    assert result.code == 1 and result.out == ""
    line, caret = result.err.splitlines()
    assert line.startswith("modelreg: error: ") and message in line
    assert "\x1b" not in result.err and "Traceback" not in result.err
    expression = args[-1].replace("\x1b", "\\x1b")
    assert line.endswith(expression)
    start = len(line) - len(expression)
    assert caret == " " * (len(caret) - 1) + "^"
    assert len(caret) - 1 - start == len(args[-1][: column - 1].replace("\x1b", "\\x1b"))
    assert searchable.state() == before


def test_limit_must_not_be_negative(searchable: Reg) -> None:
    result = searchable.cli("list", "--limit", "-1")
    assert result.code == 2 and "--limit" in result.err


def test_csv_and_json_formats(searchable: Reg) -> None:
    found = searchable.cli("list", "--where", "auc > 0.9", "--sort", "-auc", "--format", "csv")
    rows = list(csv.reader(io.StringIO(found.out)))
    assert rows[0] == [
        "name",
        "version",
        "stage",
        "created_at",
        "created_by",
        "framework",
        "tags",
        "auc",
        "f1",
    ]
    assert [r[:3] + [r[5], r[7]] for r in rows[1:]] == [
        ["fraud-b", "0.1.0", "staging", "lightgbm", "0.97"],
        ["fraud-a", "1.0.0", "production", "xgboost", "0.95"],
        ["fraud-a", "1.1.0", "staging", "xgboost", "0.91"],
    ]
    everything = list(csv.reader(io.StringIO(searchable.cli("list", "--format", "csv").out)))
    assert len(everything) == 5 and everything[0][-3:] == ["auc", "depth", "f1"]
    data = json.loads(searchable.cli("list", "--where", "tag == 'fraud'", "--format", "json").out)
    assert data["versions"][0]["metrics"] == {"auc": 0.95, "f1": 0.8}


def test_the_table_shows_the_metrics_searched_first(searchable: Reg) -> None:
    plain = searchable.cli("list", "--model", "fraud-a").out.splitlines()[2]
    assert plain.endswith("auc=0.95 f1=0.8")
    searched = searchable.cli("list", "--where", "f1 > 0.1 and tag == 'fraud'").out.splitlines()[1]
    assert searched.endswith("f1=0.8 auc=0.95")


def test_registry_search_returns_what_list_prints(searchable: Reg) -> None:
    registry = Registry(searchable.path)
    found = registry.search(THE_ISSUES_QUERY, sort="-auc", limit=5)
    assert [v.ref for v in found] == refs(searchable, "--where", THE_ISSUES_QUERY, "--sort", "-auc")
    assert found[0].summary.framework == "xgboost" and found[0].summary.params["max_depth"] == 6
    assert [v.ref for v in registry.search(model="fraud-*", stage="staging", sort="name")] == [
        "fraud-a@1.1.0",
        "fraud-b@0.1.0",
    ]
    assert [v.ref for v in registry.search(model="churn", tag="tabular")] == ["churn@2.0.0"]
    with pytest.raises(ExpressionError) as caught:
        registry.search("auc >=")
    assert str(caught.value) == "where: expected a value, found end of expression at column 7: auc >="
    with pytest.raises(NotFoundError):
        registry.search(model="nobody")


def test_a_registry_as_of_a_moment_is_searched_too(searchable: Reg) -> None:
    searchable.write("models/fraud-b/stages.yaml", "production: 0.1.0\n")
    searchable.commit("fraud-b to production")
    assert refs(searchable, "--where", "stage == 'production'") == ["fraud-a@1.0.0", "fraud-b@0.1.0"]
    assert refs(searchable, "--where", "stage == 'production'", "--at", "HEAD~1") == ["fraud-a@1.0.0"]
    assert [v.ref for v in Registry(searchable.path).at("HEAD~1").search("stage == 'staging'")] == [
        "fraud-a@1.1.0",
        "fraud-b@0.1.0",
    ]


QUERIES_KEPT = [
    ["--where", THE_ISSUES_QUERY, "--sort", "-auc"],
    ["--where", "owner ~ '@acme/*' and 'payments' in tags"],
    ["--model", "fraud-*", "--sort", "max_depth", "--format", "csv"],
    ["--where", "acu > 1"],
]


def test_a_warm_search_reads_the_kept_view_and_answers_as_the_registry(
    searchable: Reg, settle: Callable[[], None]
) -> None:
    settle()
    uncached = [searchable.cli("list", *q, env={"MODELREG_NO_CACHE": "1"}) for q in QUERIES_KEPT]
    assert keys(searchable.path, search_module.VIEW_KIND) == []
    for query, expected in zip(QUERIES_KEPT, uncached, strict=True):
        for _ in range(2):  # made, then read back
            r = searchable.cli("list", *query)
            assert (r.code, r.out, r.err) == (expected.code, expected.out, expected.err), query
    assert len(keys(searchable.path, search_module.VIEW_KIND)) == 1
    searchable.write("models/fraud-b/stages.yaml", "production: 0.1.0\n")
    settle()
    assert refs(searchable, "--where", "stage == 'production'") == ["fraud-a@1.0.0", "fraud-b@0.1.0"]
    assert len(keys(searchable.path, search_module.VIEW_KIND)) == 2


def test_the_kept_view_is_what_a_warm_search_reads(searchable: Reg, settle: Callable[[], None]) -> None:
    settle()
    assert refs(searchable, "--where", "auc > 0.96") == ["fraud-b@0.1.0"]
    (state,) = keys(searchable.path, search_module.VIEW_KIND)
    kept = json.loads(value(searchable.path, search_module.VIEW_KIND, state) or "")
    name, _, _, held = kept["models"][1]
    assert (name, held[0][0]) == ("fraud-a", "1.1.0")
    held[0][2][4] = {"auc": 0.99}  # its summary's metrics
    plant(searchable.path, search_module.VIEW_KIND, state, json.dumps(kept))
    assert refs(searchable, "--where", "auc > 0.96") == ["fraud-a@1.1.0", "fraud-b@0.1.0"]
    assert refs(searchable, "--where", "auc > 0.96 and max_depth == 8") == ["fraud-a@1.1.0"]
    params = json.loads(value(searchable.path, search_module.PARAMS_KIND, state) or "")
    params[1][0]["max_depth"] = 99  # fraud-a@1.1.0's, as kept apart from the view
    plant(searchable.path, search_module.PARAMS_KIND, state, json.dumps(params))
    assert refs(searchable, "--where", "max_depth == 99") == ["fraud-a@1.1.0"]
    plant(searchable.path, search_module.PARAMS_KIND, state, "not json")  # read from the registry
    assert refs(searchable, "--where", "auc > 0.96 and max_depth == 8") == ["fraud-a@1.1.0"]
    plant(searchable.path, search_module.VIEW_KIND, state, "not json")
    assert refs(searchable, "--where", "auc > 0.96") == ["fraud-b@0.1.0"]
