"""The compiled schema check decides exactly as jsonschema does, or says it cannot tell."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from modelreg import fastschema, schemas

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
    st.floats(allow_nan=False, width=32),
    st.sampled_from([1.0, 0.5, -1, 2**40, "", "x", "1.0.0", "fraud@1.0.0", "0" * 32, "a" * 201, "Z", "-x"]),
    st.text(max_size=5),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["name", "md5", "size", "path", "x", "version", "ref"]), inner, max_size=3
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


def _agrees(kind: str, data: Any) -> None:
    fast = schemas._fast_check(kind)
    assert fast is not None, f"the {kind} schema does not compile"
    verdict = fastschema.is_valid(fast, data)
    expected = not list(schemas.validator(kind).iter_errors(data))
    assert verdict in (None, expected), f"{kind}: fast says {verdict}, jsonschema {expected} for {data!r}"


@settings(max_examples=400, deadline=None)
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
    _agrees("manifest", doc)


@settings(max_examples=200, deadline=None)
@given(values)
def test_any_value_for_every_kind(value: Any) -> None:
    for kind in schemas.KINDS:
        _agrees(kind, value)


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
        data = yaml.safe_load(path.read_bytes())
    except yaml.YAMLError:
        return
    _agrees(kind, {} if data is None and kind == "stages" else data)


def test_the_manifest_above_is_valid_and_plain() -> None:
    assert schemas.check("manifest", MANIFEST)[0] == []
    assert json.loads(json.dumps(MANIFEST)) == MANIFEST
