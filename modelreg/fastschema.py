"""A fast yes/no check against the registry's JSON Schemas, so that valid files skip jsonschema.

jsonschema's ``iter_errors`` costs about 0.5 ms for one manifest: more than parsing its YAML,
and the bulk of reading a large registry cold. The schemas are generated from pydantic
(``modelreg.schemas``) and use a small subset of JSON Schema; this module compiles that subset
into plain Python checks, about 20x faster. It only ever answers "valid" when jsonschema would
find no error: an unknown keyword makes compilation give up, and anything unusual in the data
(a key that is not a string, a type jsonschema does not know) answers "not sure", so the caller
runs jsonschema as before. Errors, their messages and locations always come from jsonschema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = {"title", "description", "default", "examples", "$comment", "$schema", "$id", "$defs"}
_ANNOTATIONS.add("format")  # not asserted: jsonschema checks formats only when asked to
_SCALARS = (str, int, float, bool, type(None))


class Unsupported(Exception):
    """The schema uses something this compiler does not implement: use jsonschema instead."""


class Unsure(Exception):
    """The data holds something jsonschema may treat differently: use jsonschema instead."""


def compile_schema(schema: dict[str, Any]) -> Check:
    """A function telling whether data is valid against ``schema`` (raises Unsure when in doubt)."""
    defs: dict[str, Check] = {}
    raw_defs = schema.get("$defs", {})
    if not isinstance(raw_defs, dict):
        raise Unsupported("$defs")
    for name in raw_defs:
        defs[name] = _Lazy(name, defs)
    for name, sub in raw_defs.items():
        defs[name] = _compile(sub, defs)
    return _compile(schema, defs)


class _Lazy:
    """A reference to a definition, resolved when first called (definitions may refer to each other)."""

    def __init__(self, name: str, defs: dict[str, Check]) -> None:
        self.name = name
        self.defs = defs

    def __call__(self, value: Any) -> bool:
        return self.defs[self.name](value)


_TYPE_CHECKS: dict[str, Check] = {
    "string": lambda value: type(value) is str or isinstance(value, str),
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "null": lambda value: value is None,
    "boolean": lambda value: isinstance(value, bool),
    "integer": lambda value: _type_ok(value, "integer"),
    "number": lambda value: (
        type(value) is float or (not isinstance(value, bool) and isinstance(value, int | float))
    ),
}


def _type_ok(value: Any, name: str) -> bool:
    if name == "string":
        return isinstance(value, str)
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if name == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, int | float)
    raise Unsupported(f"type {name}")


def _equal(a: Any, b: Any) -> bool:
    """jsonschema's equality for scalars: True and 1 differ, 1 and 1.0 do not."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


def _compile(schema: Any, defs: dict[str, Check]) -> Check:
    if schema is True:
        return lambda value: True
    if schema is False:
        return lambda value: False
    if not isinstance(schema, dict):
        raise Unsupported(repr(schema))
    unknown = set(schema) - _ANNOTATIONS - set(_KEYWORDS)
    if unknown:
        raise Unsupported(", ".join(sorted(unknown)))
    made = [_KEYWORDS[key](schema[key], schema, defs) for key in schema if key in _KEYWORDS]
    checks = tuple(c for c in made if c is not None)
    if not checks:
        return lambda value: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda value: first(value) and second(value)

    def all_of(value: Any) -> bool:  # loops, not all(): no generator per call on the hot path
        for check in checks:  # noqa: SIM110
            if not check(value):
                return False
        return True

    return all_of


def _k_type(arg: Any, schema: dict[str, Any], defs: dict[str, Check]) -> Check:
    names = [arg] if isinstance(arg, str) else list(arg)
    if not all(name in _TYPE_CHECKS for name in names):
        raise Unsupported(f"type {arg}")
    checks = [_TYPE_CHECKS[name] for name in names]
    if len(checks) == 1:
        return checks[0]
    return lambda value: any(check(value) for check in checks)


def _k_ref(arg: Any, schema: dict[str, Any], defs: dict[str, Check]) -> Check:
    prefix = "#/$defs/"
    if not isinstance(arg, str) or not arg.startswith(prefix) or arg[len(prefix) :] not in defs:
        raise Unsupported(f"$ref {arg!r}")
    name = arg[len(prefix) :]
    return lambda value: defs[name](value)


def _k_any_of(arg: Any, schema: dict[str, Any], defs: dict[str, Check]) -> Check:
    branches = tuple(_compile(sub, defs) for sub in arg)

    def any_of(value: Any) -> bool:
        for branch in branches:  # noqa: SIM110
            if branch(value):
                return True
        return False

    return any_of


def _k_const(arg: Any, schema: dict[str, Any], defs: dict[str, Check]) -> Check:
    if not isinstance(arg, _SCALARS):
        raise Unsupported("const")
    return lambda value: isinstance(value, _SCALARS) and _equal(value, arg)


def _k_enum(arg: Any, schema: dict[str, Any], defs: dict[str, Check]) -> Check:
    if not all(isinstance(x, _SCALARS) for x in arg):
        raise Unsupported("enum")
    return lambda value: isinstance(value, _SCALARS) and any(_equal(value, x) for x in arg)


def _k_pattern(arg: Any, schema: dict[str, Any], defs: dict[str, Check]) -> Check:
    rx = re.compile(arg)
    return lambda value: not isinstance(value, str) or rx.search(value) is not None


def _k_max_length(arg: Any, schema: dict[str, Any], defs: dict[str, Check]) -> Check:
    return lambda value: not isinstance(value, str) or len(value) <= arg


def _k_min_length(arg: Any, schema: dict[str, Any], defs: dict[str, Check]) -> Check:
    return lambda value: not isinstance(value, str) or len(value) >= arg


def _k_minimum(arg: Any, schema: dict[str, Any], defs: dict[str, Check]) -> Check:
    return lambda value: isinstance(value, bool) or not isinstance(value, int | float) or not value < arg


def _k_min_items(arg: Any, schema: dict[str, Any], defs: dict[str, Check]) -> Check:
    return lambda value: not isinstance(value, list) or len(value) >= arg


def _k_min_properties(arg: Any, schema: dict[str, Any], defs: dict[str, Check]) -> Check:
    return lambda value: not isinstance(value, dict) or len(value) >= arg


def _k_required(arg: Any, schema: dict[str, Any], defs: dict[str, Check]) -> Check:
    names = frozenset(arg)
    return lambda value: not isinstance(value, dict) or names.issubset(value.keys())


def _k_items(arg: Any, schema: dict[str, Any], defs: dict[str, Check]) -> Check:
    item = _compile(arg, defs)

    def items(value: Any) -> bool:
        if isinstance(value, list):
            for x in value:
                if not item(x):
                    return False
        return True

    return items


def _k_properties(arg: Any, schema: dict[str, Any], defs: dict[str, Check]) -> Check | None:
    """``properties``, ``patternProperties`` and ``additionalProperties`` as one check."""
    properties = {name: _compile(sub, defs) for name, sub in arg.items()}
    return _object_check(properties, schema, defs)


def _k_pattern_properties(arg: Any, schema: dict[str, Any], defs: dict[str, Check]) -> Check | None:
    if "properties" in schema:
        return None  # checked with properties
    return _object_check({}, schema, defs)


def _k_additional_properties(arg: Any, schema: dict[str, Any], defs: dict[str, Check]) -> Check | None:
    if "properties" in schema or "patternProperties" in schema:
        return None  # checked with properties
    return _object_check({}, schema, defs)


def _object_check(properties: dict[str, Check], schema: dict[str, Any], defs: dict[str, Check]) -> Check:
    pattern_schemas = schema.get("patternProperties", {})
    patterns = [(re.compile(p), _compile(sub, defs)) for p, sub in pattern_schemas.items()]
    extra_schema = schema.get("additionalProperties", True)
    extra = _compile(extra_schema, defs)

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        for key, item in value.items():
            if not isinstance(key, str):
                raise Unsure("a key that is not a string")
            matched = False
            known = properties.get(key)
            if known is not None:
                matched = True
                if not known(item):
                    return False
            for rx, sub in patterns:
                if rx.search(key):
                    matched = True
                    if not sub(item):
                        return False
            if not matched and not extra(item):
                return False
        return True

    return check


_KEYWORDS: dict[str, Callable[[Any, dict[str, Any], dict[str, Check]], Check | None]] = {
    "type": _k_type,
    "$ref": _k_ref,
    "anyOf": _k_any_of,
    "const": _k_const,
    "enum": _k_enum,
    "pattern": _k_pattern,
    "maxLength": _k_max_length,
    "minLength": _k_min_length,
    "minimum": _k_minimum,
    "minItems": _k_min_items,
    "minProperties": _k_min_properties,
    "required": _k_required,
    "items": _k_items,
    "properties": _k_properties,
    "patternProperties": _k_pattern_properties,
    "additionalProperties": _k_additional_properties,
}


def is_valid(check: Check, data: Any) -> bool | None:
    """True or False as jsonschema would decide, or None when only jsonschema can tell."""
    try:
        return check(data)
    except (Unsure, TypeError, RecursionError):
        return None
