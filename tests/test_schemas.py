"""The JSON Schemas are generated from the pydantic models; committed copies must not drift."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import pytest

from modelreg.documents import schemas

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("kind", list(schemas.KINDS))
def test_packaged_schema_is_current(kind: str) -> None:
    assert schemas.packaged_text(kind) == schemas.render(kind), "run `python -m modelreg.documents.schemas`"


@pytest.mark.parametrize("kind", list(schemas.KINDS))
def test_repository_schema_matches_the_package(kind: str) -> None:
    filename = schemas.KINDS[kind][0]
    assert (ROOT / "schemas" / filename).read_text() == schemas.packaged_text(kind), (
        "copy modelreg/schemas/*.json to schemas/"
    )


@pytest.mark.parametrize("kind", list(schemas.KINDS))
def test_schema_is_draft_2020_12_with_an_id(kind: str) -> None:
    schema = json.loads(schemas.packaged_text(kind))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].startswith("urn:modelreg:schema:")
    jsonschema_rs.meta.validate(schema)


def test_schema_and_pydantic_agree_on_manifest_fields() -> None:
    from modelreg.domain.models import Manifest

    schema = json.loads(schemas.packaged_text("manifest"))
    assert set(schema["properties"]) == set(Manifest.model_fields)
    assert set(schema["required"]) == {n for n, f in Manifest.model_fields.items() if f.is_required()}
    assert schema["additionalProperties"] is False
