"""JSON Schemas of the registry's files: generated from ``modelreg.domain.models``, compiled once
(jsonschema-rs), and the problems they find, one line each.

``python -m modelreg.documents.schemas`` rewrites the packaged copies; ``modelreg init`` writes the same
files into a registry's ``schemas/`` so editors can use them.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from modelreg.domain import models

if TYPE_CHECKING:
    import jsonschema_rs

DRAFT = "https://json-schema.org/draft/2020-12/schema"

# kind -> (file name, the type it is generated from, what it describes)
KINDS: dict[str, tuple[str, Any, str]] = {
    "manifest": ("model-version.schema.json", models.Manifest, "A model version's manifest"),
    "model": ("model.schema.json", models.ModelFacts, "A model's facts (model.yaml)"),
    "stages": ("stages.schema.json", models.StagesDocument, "Stage -> version(s) (stages.yaml)"),
    "registry": ("registry.schema.json", models.RegistryConfig, "Registry policy (registry.yaml)"),
    "deployments": (
        "deployments.schema.json",
        models.DeploymentsDocument,
        "Environment -> deployed version (deployments.yaml)",
    ),
}


def generate(kind: str) -> dict[str, Any]:
    """The JSON Schema for ``kind``, built from its pydantic type."""
    filename, source, title = KINDS[kind]
    body = TypeAdapter(source).json_schema(by_alias=True, mode="validation")
    if kind in ("stages", "deployments"):
        body["additionalProperties"] = False  # stage names must match the pattern
    return {
        "$schema": DRAFT,
        "$id": f"urn:modelreg:schema:{filename.removesuffix('.schema.json')}:1",
        "title": title,
        **{k: v for k, v in body.items() if k != "title"},
    }


def render(kind: str) -> str:
    return json.dumps(generate(kind), indent=2, sort_keys=True) + "\n"


def packaged_text(kind: str) -> str:
    """The schema file shipped inside the package, as text."""
    return resources.files("modelreg").joinpath("schemas", KINDS[kind][0]).read_text("utf-8")


@cache
def _schema(kind: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(packaged_text(kind))
    return loaded


@cache
def validator(kind: str) -> jsonschema_rs.Validator:
    """The compiled validator of ``kind``'s schema, built once per process.

    Formats are annotations, as the 2020-12 draft says by default: ``created_at`` is checked
    by the typed layer (pydantic), which names the field and what a datetime looks like.
    """
    import jsonschema_rs  # 40 ms: only when a document is checked, not when all are cached

    return jsonschema_rs.Draft202012Validator(_schema(kind), validate_formats=False)


@cache
def _adapter(kind: str) -> TypeAdapter[Any]:
    return TypeAdapter(KINDS[kind][1])


Located = list[tuple[tuple[str | int, ...], str]]


def check(kind: str, data: Any) -> tuple[Located, Any]:
    """Every way ``data`` breaks the schema of ``kind`` (location, message), sorted by location;
    and, when there is none, ``data`` as the typed object of ``kind``.

    ``data`` is what ``yamlio.load`` returns: JSON's types with text keys (anything else is one
    problem, not an exception), nested no deeper than ``yamlio.MAX_DEPTH`` (the validator
    recurses in native code; tens of thousands of levels would exhaust its stack). The schema
    speaks first; the typed layer (pydantic) then checks what a schema cannot say (a datetime,
    a finite number).
    """
    found = _schema_problems(kind, data)
    if found:
        return found, None
    try:
        return [], _adapter(kind).validate_python(data)
    except ValidationError as e:
        located = []
        for item in e.errors():
            loc = tuple(x for x in item["loc"] if isinstance(x, str | int))
            located.append((loc, item["msg"]))
        return _by_location(located), None


def _schema_problems(kind: str, data: Any) -> Located:
    check_one = validator(kind)
    try:
        if check_one.is_valid(data):
            return []
        errors = list(check_one.iter_errors(data))
    except ValueError as e:  # not JSON's types: yamlio lets none through
        return [((), f"not plain data: {e}")]
    found: Located = []
    for error in errors:
        found += _explained(kind, data, error)
    return _by_location(found)


def _explained(kind: str, data: Any, error: jsonschema_rs.ValidationError) -> Located:
    """One line per problem that ``error`` reports."""
    where = tuple(error.instance_path)
    if _is_not_finite(data, where):
        # JSON has no NaN or infinity, so the validator saw null there: the typed layer
        # reports the value as it is written
        return []
    name = error.kind.name
    if name in ("anyOf", "oneOf"):
        return _best_alternative(kind, data, error)
    if name == "additionalProperties":
        keys = _unexpected_names(kind, error)
        if keys is not None:
            return keys
    return [(where, _shortened(error))]


def _best_alternative(kind: str, data: Any, error: jsonschema_rs.ValidationError) -> Located:
    """An ``anyOf``'s problems as the closest alternative sees them: of the alternatives that
    expect this kind of value, the one with the fewest problems; when every alternative
    expects another kind of value, one line naming the kinds that would do."""
    where = tuple(error.instance_path)
    alternatives = [list(alt) for alt in error.kind.as_dict()["context"]]
    fitting = [alt for alt in alternatives if not _wrong_kind(alt, where)]
    if not fitting:
        kinds = dict.fromkeys(f'"{t}"' for alt in alternatives for t in alt[0].kind.as_dict()["types"])
        *others, last = kinds
        wanted = f"{', '.join(others)} or {last}" if others else last
        return [(where, f"{_shortened_value(error.instance)} is not of type {wanted}")]
    best = min(fitting, key=len)
    found: Located = []
    for inner in best:
        found += _explained(kind, data, inner)
    return found


def _wrong_kind(alternative: list[jsonschema_rs.ValidationError], where: tuple[str | int, ...]) -> bool:
    only = alternative[0] if len(alternative) == 1 else None
    return only is not None and only.kind.name == "type" and tuple(only.instance_path) == where


def _unexpected_names(kind: str, error: jsonschema_rs.ValidationError) -> Located | None:
    """Keys refused because they match none of an object's ``patternProperties`` (the stage
    names of stages.yaml), one line each, naming the pattern; None for other objects."""
    if error.absolute_keyword_location is None:
        return None
    schema = _schema(kind)
    pointer = error.absolute_keyword_location.partition("#")[2]
    for step in pointer.split("/")[1:-1]:
        schema = schema[step.replace("~1", "/").replace("~0", "~")]
    patterns = list(schema.get("patternProperties", {}))
    if not patterns:
        return None
    wanted = " or ".join(f'"{p}"' for p in patterns)
    where = tuple(error.instance_path)
    unexpected: list[str] = error.kind.as_dict()["unexpected"]
    return [(where, f"key {_rendered(name)} does not match {wanted}") for name in unexpected]


def _is_not_finite(data: Any, where: tuple[str | int, ...]) -> bool:
    for step in where:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return False
    return isinstance(data, float) and not math.isfinite(data)


_SHOWN = 80  # characters of a long value that a message quotes


def _rendered(value: Any) -> str:
    """``value`` as the validator's messages quote it: compact JSON."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _shortened_value(value: Any) -> str:
    text = _rendered(value)
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}... ({len(text)} characters)"


def _shortened(error: jsonschema_rs.ValidationError) -> str:
    """The validator's message, with a long value that it starts with cut short: a 5,000
    character description is not what the reader needs to see again."""
    message = error.message
    text = _rendered(error.instance)
    if len(text) > _SHOWN and message.startswith(text):
        return _shortened_value(error.instance) + message[len(text) :]
    return message


def _by_location(found: Located) -> Located:
    return sorted(found, key=lambda item: [str(x) for x in item[0]])


def parse(kind: str, data: Any) -> Any:
    """``data`` as the typed object of ``kind`` (call after ``check`` found nothing)."""
    return _adapter(kind).validate_python(data)


def write_packaged() -> list[Path]:
    """Regenerate the packaged schema files; return the paths written."""
    folder = Path(str(resources.files("modelreg").joinpath("schemas")))
    written = []
    for kind, (filename, _, _) in KINDS.items():
        target = folder / filename
        target.write_text(render(kind), encoding="utf-8")
        written.append(target)
    return written


def model_to_data(obj: BaseModel) -> dict[str, Any]:
    """A document as plain data for YAML: aliases used, unset optionals and empties dropped."""
    data: dict[str, Any] = obj.model_dump(mode="json", by_alias=True, exclude_none=True)
    return data


if __name__ == "__main__":
    for path in write_packaged():
        print(path)
