"""list, show and the Python API on a populated registry."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import Reg

from modelreg import Registry
from modelreg.domain.errors import DocumentError, InvalidInputError, NotFoundError


def test_list_table(populated: Reg) -> None:
    result = populated.cli("list")
    assert result.code == 0, result.err
    rows = [line.split()[:3] for line in result.out.splitlines()]
    assert rows == [
        ["MODEL", "VERSION", "STAGE"],
        ["churn", "0.1.0", "development"],
        ["fraud", "1.2.0", "development"],
        ["fraud", "1.1.0", "production"],
        ["fraud", "1.0.0", "archived"],
    ]
    assert "auc=0.93" in result.out


def test_list_filters_and_json(populated: Reg) -> None:
    prod = json.loads(populated.cli("list", "--stage", "production", "--format", "json").out)
    assert [v["ref"] for v in prod["versions"]] == ["fraud@1.1.0"]
    assert prod["versions"][0]["created_by"] == "Alice Example <alice@example.com>"
    tagged = json.loads(populated.cli("list", "--tag", "tabular", "--format", "json").out)
    assert [v["ref"] for v in tagged["versions"]] == ["fraud@1.2.0"]
    one = json.loads(populated.cli("list", "--model", "churn", "--format", "json").out)
    assert [v["ref"] for v in one["versions"]] == ["churn@0.1.0"]


def test_list_unknown_stage(populated: Reg) -> None:
    result = populated.cli("list", "--stage", "qa")
    assert result.code == 1
    assert result.lines == [
        "modelreg: error: unknown stage 'qa'; registry.yaml defines: development, staging, production, deprecated, archived"
    ]


@pytest.mark.parametrize(
    ("ref", "version", "stage"),
    [
        ("fraud@production", "1.1.0", "production"),
        ("fraud@latest", "1.2.0", "development"),
        ("fraud@1.0.0", "1.0.0", "archived"),
        ("fraud@development", "1.2.0", "development"),
    ],
)
def test_show_resolves_references(populated: Reg, ref: str, version: str, stage: str) -> None:
    result = populated.cli("show", ref, "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["version"], data["stage"]) == (version, stage)
    assert data["manifest"]["artifacts"][0]["path"] == f"models/fraud/{version}/model.bin"


def test_show_text_and_yaml(populated: Reg) -> None:
    text = populated.cli("show", "fraud@1.1.0").out
    assert text.splitlines()[0] == "fraud@1.1.0  (production)"
    assert "  parent:       fraud@1.0.0 (retrain)" in text
    assert "  metrics:      auc=0.92" in text
    data = yaml.safe_load(populated.cli("show", "fraud@1.1.0", "--format", "yaml").out)
    assert data["manifest"]["lineage"]["parents"] == [{"ref": "fraud@1.0.0", "relation": "retrain"}]


def test_show_text_escapes_control_characters(populated: Reg) -> None:
    populated.register("fraud", "1.3.0", description="line one\nline two \x1b[2J", metrics={"auc\x07": 0.5})
    r = populated.cli("show", "fraud@1.3.0")
    assert r.code == 0, r.err
    assert "\x1b" not in r.out and "\x07" not in r.out
    assert "  description:  line one\\nline two \\x1b[2J" in r.out.splitlines()
    assert "  metrics:      auc\\x07=0.5" in r.out.splitlines()


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("ghost@1.0.0", "no model 'ghost' in the registry; `modelreg list` shows the models"),
        ("fraud@9.9.9", "fraud@9.9.9 does not exist; known: 1.0.0, 1.1.0, 1.2.0"),
        (
            "fraud@qa",
            "unknown stage 'qa'; registry.yaml defines: development, staging, production, deprecated, archived",
        ),
        ("fraud@staging", "no version of fraud is in staging"),
        (
            "fraud",
            "invalid reference 'fraud': expected NAME@VERSION, NAME@STAGE, NAME@STAGE:latest, NAME@env:ENV or NAME@latest",
        ),
        ("@", "invalid reference '@'"),
        ("fraud@", "invalid reference 'fraud@'"),
        ("fraud@1.0", "invalid version '1.0' in 'fraud@1.0'"),
        ("fraud@@1.0.0", "invalid reference 'fraud@@1.0.0'"),
        ("../etc@1.0.0", "invalid model name '../etc'"),
    ],
)
def test_show_bad_references(populated: Reg, ref: str, message: str) -> None:
    result = populated.cli("show", "--", ref)
    assert result.code == 1
    assert len(result.lines) == 1
    assert result.lines[0].startswith(f"modelreg: error: {message}")


def test_read_commands_refuse_a_broken_registry(populated: Reg) -> None:
    populated.write("models/fraud/1.2.0.yaml", "name: [\n")
    result = populated.cli("show", "fraud@1.1.0")
    assert result.code == 1
    assert result.lines[0].startswith("modelreg: error: models/fraud/1.2.0.yaml:")
    assert "run `modelreg validate` to see every problem" in result.err


def test_python_api(populated: Reg) -> None:
    registry = Registry(populated.path / "models")
    assert [m.name for m in registry.models()] == ["churn", "fraud"]
    fraud = registry.model("fraud")
    assert fraud.owner == "@acme/risk" and fraud.latest == "1.2.0"
    assert fraud.stages == {"archived": ["1.0.0"], "production": ["1.1.0"], "development": ["1.2.0"]}
    assert [v.version for v in registry.versions("fraud")] == ["1.0.0", "1.1.0", "1.2.0"]
    prod = registry.get("fraud@production")
    assert prod.ref == "fraud@1.1.0" and prod.manifest.metrics == {"auc": 0.92}
    assert registry.holders("fraud", "development") == ["1.2.0"]
    with pytest.raises(NotFoundError):
        registry.get("fraud@staging")
    with pytest.raises(InvalidInputError):
        registry.get("nope")


def test_python_api_at_a_revision(populated: Reg) -> None:
    before_promotion = Registry(populated.path, rev="HEAD~1")
    assert before_promotion.get("fraud@1.1.0").stage == "staging"
    assert Registry(populated.path, rev="HEAD~2").get("fraud@1.1.0").stage == "development"
    assert Registry(populated.path).get("fraud@1.1.0").stage == "production"


def test_api_raises_document_error_for_invalid_files(populated: Reg) -> None:
    populated.write("registry.yaml", "schema_version: 1\nname: x\nstages: {}\n")
    with pytest.raises(DocumentError, match="registry.yaml"):
        Registry(populated.path).models()
