"""JSON Schemas of the registry's files: generated from ``modelreg.models``, compiled once.

``python -m modelreg.schemas`` rewrites the packaged copies; ``modelreg init`` writes the same
files into a registry's ``schemas/`` so editors can use them.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from modelreg import fastschema, models

DRAFT = "https://json-schema.org/draft/2020-12/schema"

# kind -> (file name, the type it is generated from, what it describes)
KINDS: dict[str, tuple[str, Any, str]] = {
    "manifest": ("model-version.schema.json", models.Manifest, "A model version's manifest"),
    "model": ("model.schema.json", models.ModelFacts, "A model's facts (model.yaml)"),
    "stages": ("stages.schema.json", models.StagesDocument, "Stage -> version(s) (stages.yaml)"),
    "registry": ("registry.schema.json", models.RegistryConfig, "Registry policy (registry.yaml)"),
}


def generate(kind: str) -> dict[str, Any]:
    """The JSON Schema for ``kind``, built from its pydantic type."""
    filename, source, title = KINDS[kind]
    body = TypeAdapter(source).json_schema(by_alias=True, mode="validation")
    if kind == "stages":
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
def validator(kind: str) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(packaged_text(kind)))


@cache
def _adapter(kind: str) -> TypeAdapter[Any]:
    return TypeAdapter(KINDS[kind][1])


Located = list[tuple[tuple[str | int, ...], str]]


@cache
def _fast_check(kind: str) -> fastschema.Check | None:
    try:
        return fastschema.compile_schema(json.loads(packaged_text(kind)))
    except fastschema.Unsupported:
        return None


def check(kind: str, data: Any) -> tuple[Located, Any]:
    """Every way ``data`` breaks the schema of ``kind`` (location, message), sorted by location;
    and, when there is none, ``data`` as the typed object of ``kind``.

    Valid data skips jsonschema when the compiled check (``fastschema``) vouches for it; any
    error, and every message, comes from jsonschema and then pydantic, as before.
    """
    fast = _fast_check(kind)
    if fast is None or fastschema.is_valid(fast, data) is not True:
        found = _jsonschema_problems(kind, data)
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


def _jsonschema_problems(kind: str, data: Any) -> Located:
    from jsonschema.exceptions import best_match

    found = []
    for error in validator(kind).iter_errors(data):
        err = best_match(error.context) if error.context else error
        found.append((tuple(err.absolute_path), err.message))
    return _by_location(found)


def _by_location(found: Located) -> Located:
    return sorted(found, key=lambda item: [str(x) for x in item[0]])


def schema_problems(kind: str, data: Any) -> Located:
    """Every way ``data`` breaks the schema of ``kind``: (location, message), by location."""
    return check(kind, data)[0]


def parse(kind: str, data: Any) -> Any:
    """``data`` as the typed object of ``kind`` (call after schema_problems found nothing)."""
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
