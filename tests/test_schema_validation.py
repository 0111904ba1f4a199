"""Checking documents against the JSON Schemas (jsonschema-rs): every invalid document gets
one clear line per problem, the patterns mean what Python's ``re`` and pydantic say they mean,
and nothing a parser can produce crashes the validator."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Annotated, Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import StringConstraints, TypeAdapter, ValidationError

from modelreg.documents import schemas, yamlio
from modelreg.domain.errors import DocumentError
from modelreg.domain.semver import SEMVER_PATTERN

CASES = Path(__file__).parent / "cases"
KIND_OF = {"model.yaml": "model", "stages.yaml": "stages", "registry.yaml": "registry"}

MANIFEST: dict[str, Any] = {
    "schema_version": 1,
    "name": "fraud",
    "version": "1.2.0-rc.1+build.5",
    "created_at": "2026-11-20T10:00:00Z",
    "created_by": "Alice <alice@example.com>",
    "description": "Gradient boosted trees",
    "framework": {"name": "xgboost", "version": "2.1.0"},
    "algorithm": "gradient_boosting",
    "tags": ["tabular", "fraud"],
    "artifacts": [{"path": "models/fraud/1.2.0/model.ubj", "md5": "0" * 32, "size": 10, "nfiles": None}],
    "metrics": {"auc": 0.941, "f1": 1},
    "params": {"max_depth": 6, "eta": 0.1, "booster": "gbtree", "scale": None, "early": True},
    "data": {"training": {"name": "transactions", "version": "2026-10", "md5": "abc"}},
    "lineage": {"parents": [{"ref": "fraud@1.1.0", "relation": "retrain"}]},
    "code": {"repo": "https://github.com/acme/fraud", "commit": "abcdef1"},
    "signature": {"inputs": {"amount": "float"}},
    "evaluations": [
        {"dataset": {"name": "holdout"}, "metrics": {"auc": 0.9}, "created_at": "2026-11-21T10:00:00Z"}
    ],
    "custom": {"anything": [1, {"x": None}]},
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=3),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(
        [
            1.0,
            0.5,
            -1,
            2**70,
            float("nan"),
            float("-inf"),
            "",
            "x",
            "1.0.0",
            "1.0.0\n",
            "fraud@1.0.0",
            "0" * 32,
            "a" * 201,
            "Z",
            "-x",
        ]
    ),
    st.text(max_size=5),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["name", "md5", "size", "path", "x", "version", "ref", "Production"]),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=6,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _paths(value, (*prefix, i))
    return found


def _lines_are_clear(kind: str, data: Any) -> None:
    """The schema finds a problem exactly when the validator says the data is invalid (a NaN or
    infinity, which the validator sees as null, is left to the typed layer), and each problem
    is one line at a place in the document (or a missing key of it)."""
    valid = schemas.validator(kind).is_valid(data)
    if valid:
        assert schemas._schema_problems(kind, data) == [], f"{kind}: {data!r}"
    found = schemas.check(kind, data)[0]
    assert valid or found, f"{kind}: no problem found in {data!r}"
    where = set(_paths(data))
    for location, message in found:
        assert location in where or location[:-1] in where, f"{location} is not in {data!r}"
        assert message and "\n" not in message and len(message) < 400, message


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_manifests(data: st.DataObject) -> None:
    doc = copy.deepcopy(MANIFEST)
    where = data.draw(st.sampled_from(_paths(doc)))
    action = data.draw(st.sampled_from(["replace", "delete", "add"]))
    parent: Any = doc
    for step in where[:-1]:
        parent = parent[step]
    if not where:
        doc = data.draw(values)
    elif action == "replace":
        parent[where[-1]] = data.draw(values)
    elif action == "delete" and isinstance(parent, dict):
        del parent[where[-1]]
    elif isinstance(parent, dict):
        parent[data.draw(st.sampled_from(["extra", "nfiles", "uri", "relation"]))] = data.draw(values)
    _lines_are_clear("manifest", doc)


@settings(max_examples=150, deadline=None)
@given(values)
def test_any_value_for_every_kind(value: Any) -> None:
    for kind in schemas.KINDS:
        _lines_are_clear(kind, value)


def _documents() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(CASES.rglob("*.yaml")):
        if path.name == "case.yaml":
            continue
        kind = KIND_OF.get(path.name, "manifest" if path.parent.parent.name == "models" else "")
        if kind:
            found.append((kind, path))
    return found


@pytest.mark.parametrize(
    ("kind", "path"), _documents(), ids=lambda x: str(x)[-40:] if isinstance(x, Path) else x
)
def test_every_case_file(kind: str, path: Path) -> None:
    try:
        data = yamlio.load(path.read_bytes(), str(path))
    except DocumentError:
        return  # refused before any schema is asked
    _lines_are_clear(kind, {} if data is None and kind == "stages" else data)


def test_the_manifest_above_is_valid_and_plain() -> None:
    assert schemas.check("manifest", MANIFEST)[0] == []
    assert json.loads(json.dumps(MANIFEST)) == MANIFEST


def test_validators_are_compiled_once() -> None:
    for kind in schemas.KINDS:
        assert schemas.validator(kind) is schemas.validator(kind)


def _problems(kind: str, **changes: Any) -> list[tuple[tuple[str | int, ...], str]]:
    base = MANIFEST if kind == "manifest" else {}
    return schemas.check(kind, {**base, **changes})[0]


def test_a_wrong_kind_of_value_names_every_kind_that_would_do() -> None:
    assert _problems("manifest", framework=5) == [(("framework",), '5 is not of type "object" or "null"')]
    assert _problems("manifest", params={"a": [1]}) == [
        (("params", "a"), '[1] is not of type "string", "integer", "number", "boolean" or "null"')
    ]


def test_an_optional_object_reports_what_is_wrong_inside_it() -> None:
    assert _problems("manifest", code={"repo": "r", "branch": "main"}) == [
        (("code",), "Additional properties are not allowed ('branch' was unexpected)")
    ]
    assert _problems("manifest", framework={"name": 5}) == [
        (("framework", "name"), '5 is not of type "string"')
    ]


def test_stage_names_are_checked_against_their_pattern() -> None:
    assert schemas.check("stages", {"Production": "1.0.0", "qa": ["1.0.0", 2]})[0] == [
        ((), 'key "Production" does not match "^[a-z][a-z0-9_-]{0,39}$"'),
        (("qa", 1), '2 is not of type "string"'),
    ]


def test_a_long_value_is_quoted_short() -> None:
    [(where, message)] = _problems("manifest", description="x" * 6000)
    assert where == ("description",)
    assert message == '"' + "x" * 79 + "... (6002 characters) is longer than 5000 characters"


def test_not_a_finite_number_is_reported_as_written() -> None:
    # JSON has no NaN: the validator sees null; the typed layer reports the value itself
    assert _problems("manifest", metrics={"auc": float("nan")}) == [
        (("metrics", "auc"), "Input should be a finite number")
    ]
    assert _problems("manifest", params={"eta": float("inf")}) == [
        (("params",), "'eta' must be a finite number")
    ]
    assert _problems("manifest", metrics={"auc": float("nan")}, tags=[1]) == [
        (("tags", 0), '1 is not of type "string"')
    ]


def test_formats_are_left_to_the_typed_layer() -> None:
    assert schemas.validator("manifest").is_valid({**MANIFEST, "created_at": "yesterday"})
    assert _problems("manifest", created_at="yesterday") == [
        (("created_at",), "Input should be a valid datetime or date, input is too short")
    ]
    for written in ["2026-11-20T10:00:00+01:00", "2026-11-20T10:00:00.123456Z", "2026-11-20 10:00:00Z"]:
        assert _problems("manifest", created_at=written) == [], written


def test_deep_values_do_not_crash_the_validator() -> None:
    deep: Any = 1
    for _ in range(2000):  # deeper than any YAML or JSON parser here will build
        deep = [deep]
    assert _problems("manifest", custom={"deep": deep}) == []
    assert _problems("manifest", custom={"deep": deep}, tags=5) == [(("tags",), '5 is not of type "array"')]


def test_data_that_is_not_json_is_one_line_not_a_crash() -> None:
    assert schemas.check("manifest", {1: 2})[0] == [
        ((), "not plain data: Dict key must be str or str enum. Got 'int'")
    ]


# --- the patterns: jsonschema-rs runs them with Rust's regex engine ---------------------------


def _patterns(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            found.add(node["pattern"])
        found.update(node.get("patternProperties", {}))
        for value in node.values():
            found |= _patterns(value)
    elif isinstance(node, list):
        for value in node:
            found |= _patterns(value)
    return found


PATTERNS = sorted(set().union(*(_patterns(json.loads(schemas.packaged_text(k))) for k in schemas.KINDS)))
# digits, letters and separators the patterns name, their Unicode look-alikes, line ends
ALPHABET = "019az_-.@+AZ\u0661\u00e9\u212a\n\r \U0001d7ce"
SAMPLES = ["1.0.0", "1.0.0-rc.1+b.2", "1.0.0\n", "\u0661.0.0", "1.\u0661.0", "fraud", "fraud@1.0.0", "\u212a"]


def test_the_patterns_are_the_ones_models_declares() -> None:
    from modelreg.domain.layout import NAME_PATTERN, STAGE_PATTERN
    from modelreg.domain.semver import SEMVER_PATTERN

    assert {NAME_PATTERN, STAGE_PATTERN, f"^{SEMVER_PATTERN}$"} <= set(PATTERNS)
    assert len(PATTERNS) >= 5


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=150, deadline=None)
@given(text=st.one_of(st.sampled_from(SAMPLES), st.text(ALPHABET, max_size=12)))
def test_each_pattern_means_what_python_and_pydantic_say(pattern: str, text: str) -> None:
    """On ASCII text without line ends the schema, Python's ``re`` (the validator before) and
    pydantic agree. Elsewhere JSON Schema's regex dialect (ECMA-262) is stricter, never looser:
    ``\\d`` is 0-9 only, ``.`` matches no CR or line separator, ``$`` does not match before a
    final newline; such text is refused by the schema where ``re`` took it."""
    rust = jsonschema_rs.validator_for({"type": "string", "pattern": pattern}).is_valid(text)
    python = re.search(pattern, text) is not None
    try:
        TypeAdapter(Annotated[str, StringConstraints(pattern=pattern)]).validate_python(text)
        typed = True
    except ValidationError:
        typed = False
    if text.isascii() and "\r" not in text and "\n" not in text:
        assert rust == python == typed, f"{pattern!r} on {text!r}: {rust}, {python}, {typed}"
    else:
        assert not rust or (python and typed), f"{pattern!r} on {text!r}: {rust}, {python}, {typed}"


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (f"^{SEMVER_PATTERN}$", "1\u0661.0.0"),  # re and pydantic: 11.0.0 to int(), a version
        (f"^{SEMVER_PATTERN}$", "1.0.0\n"),
        ("^[a-z0-9][a-z0-9_-]{0,99}@.+$", "fraud@1.0.0\r"),
        ("^[a-z0-9][a-z0-9_-]{0,99}@.+$", "fraud@\u2028"),
    ],
)
def test_where_the_dialects_differ_the_schema_refuses(pattern: str, text: str) -> None:
    assert re.search(pattern, text) is not None
    assert not jsonschema_rs.validator_for({"type": "string", "pattern": pattern}).is_valid(text)
