"""Custom metadata: ``register --custom KEY=VALUE`` / ``--custom-file`` / ``custom=``, searched
with ``list --where custom.KEY`` and required by ``requires: fields: [custom.KEY]``; bad input
refused in one line with nothing written, and (generated) whatever is accepted is writable and
reads back as given."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import yaml
from conftest import Reg, git
from hypothesis import given, settings
from hypothesis import strategies as st

from modelreg.documents import yamlio
from modelreg.domain.errors import InvalidInputError
from modelreg.domain.models import Manifest
from modelreg.operations import inputs
from modelreg.registry import Registry

pytest_plugins = ["github_server", "registries"]


def _custom(reg: Reg, version: str, name: str = "fraud") -> Any:
    return yaml.safe_load((reg.path / f"models/{name}/{version}.yaml").read_text()).get("custom")


def test_register_custom_pairs_and_files(populated: Reg) -> None:
    reg = populated
    (reg.scratch / "facts.yaml").write_text(
        "ticket: ML-1\nrisk: {tier: 3, reviewed: false}\nregions: [eu, us]\n"
    )
    (reg.scratch / "more.json").write_text('{"owner_team": {"slack": "#old"}}')
    r = reg.cli(
        "register", "fraud", str(reg.artifact("m.bin")), "--version", "1.3.0", "--no-push",
        "--custom-file", str(reg.scratch / "facts.yaml"), "--custom-file", str(reg.scratch / "more.json"),
        "--custom", "ticket=ML-42", "--custom", "risk.tier=2", "--custom", "approved=true",
        "--custom", "note=see: https://wiki/x", "--custom", "owner_team.slack=#fraud", "--custom", "empty=",
        "--custom", "code='0042'", "--custom", "ratio=0.5",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert _custom(reg, "1.3.0") == {
        "ticket": "ML-42",
        "risk": {"tier": 2, "reviewed": False},
        "regions": ["eu", "us"],
        "owner_team": {"slack": "#fraud"},
        "approved": True,
        "note": "see: https://wiki/x",
        "empty": None,
        "code": "0042",
        "ratio": 0.5,
    }
    shown = reg.cli("show", "fraud@1.3.0").out
    assert 'custom:       ticket="ML-42"  risk.tier=2  risk.reviewed=false' in shown
    assert reg.cli("validate").code == 0


def test_python_api_custom(populated: Reg) -> None:
    registry = Registry(populated.path)
    file = populated.artifact("m.bin")
    registry.register("fraud", [file], version="1.3.0", custom={"ticket": "ML-7", "a.b": 1}, push=False)
    assert _custom(populated, "1.3.0") == {"ticket": "ML-7", "a": {"b": 1}}
    assert registry.get("fraud@1.3.0").manifest.custom == {"ticket": "ML-7", "a": {"b": 1}}
    with pytest.raises(InvalidInputError, match="custom key 'bad key'"):
        registry.register("fraud", [file], version="1.4.0", custom={"bad key": 1}, push=False)


def test_list_where_custom(populated: Reg) -> None:
    reg = populated
    for version, tier, ticket in (("1.3.0", 1, "ML-1"), ("1.4.0", 3, "OPS-9")):
        r = reg.cli(
            "register", "fraud", str(reg.artifact(f"{version}.bin")), "--version", version, "--no-push",
            "--custom", f"risk.tier={tier}", "--custom", f"ticket={ticket}",
        )  # fmt: skip
        assert r.code == 0, r.err

    def refs(where: str) -> list[str]:
        r = reg.cli("list", "--where", where, "--format", "json")
        assert r.code == 0, r.err
        return [v["ref"] for v in json.loads(r.out)["versions"]]

    assert refs("custom.risk.tier <= 2") == ["fraud@1.3.0"]
    assert refs("custom.ticket ~ 'OPS-*'") == ["fraud@1.4.0"]
    assert refs("custom.ticket is null and name == 'fraud'") == ["fraud@1.2.0", "fraud@1.1.0", "fraud@1.0.0"]
    assert refs("custom.risk.tier == '1'") == []  # typed like a param: a number is no text
    table = reg.cli("list", "--where", "custom.risk.tier >= 1", "--sort", "-custom.risk.tier")
    assert table.code == 0 and table.out.index("1.4.0") < table.out.index("1.3.0")
    listed = json.loads(reg.cli("list", "--where", "custom.risk.tier == 3", "--format", "json").out)
    assert listed["versions"][0]["custom"] == {"risk.tier": 3, "ticket": "OPS-9"}
    bad = reg.cli("list", "--where", "custom.risk.teir == 1")
    assert bad.code == 1 and "unknown field 'custom.risk.teir' (did you mean custom.risk.tier" in bad.err


def test_a_stage_may_require_a_custom_field(populated: Reg, add_origin: Any) -> None:
    reg = populated
    config = yaml.safe_load((reg.path / "registry.yaml").read_text())
    config["stages"]["staging"].setdefault("requires", {})["fields"] = ["custom.ticket"]
    reg.write("registry.yaml", yaml.safe_dump(config, sort_keys=False))
    reg.commit("staging needs a ticket")
    add_origin(reg)
    for version, extra in (("1.3.0", []), ("1.4.0", ["--custom", "ticket=ML-42"])):
        r = reg.cli("register", "fraud", str(reg.artifact(f"{version}.bin")), "--version", version, *extra)
        assert r.code == 0, r.err
    git("push", "-q", "origin", "main", cwd=reg.path)
    refused = reg.cli("promote", "fraud@1.3.0", "--to", "staging", "--no-push")
    assert refused.code == 1
    assert "required field custom.ticket is missing or empty" in refused.err
    assert reg.cli("promote", "fraud@1.4.0", "--to", "staging", "--no-push").code == 0
    # check applies the same rule to a move made by hand
    git("checkout", "-q", "-b", "by-hand", cwd=reg.path)
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: [1.3.0]\narchived: [1.0.0]\n")
    reg.commit("stage 1.3.0 by hand")
    checked = reg.cli("check", "--base", "origin/main", "--head", "by-hand")
    assert (
        checked.code == 1 and "required field custom.ticket is missing or empty" in checked.out + checked.err
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--custom", "=x"], "--custom '=x': expected KEY=VALUE"),
        (["--custom", "noequals"], "--custom 'noequals': expected KEY=VALUE"),
        (["--custom", "bad key=1"], "--custom: custom key 'bad key'"),
        (["--custom", "a..b=1"], "--custom: custom key 'a.'"),
        (["--custom", "9lives=1"], "--custom: custom key '9lives'"),
        (["--custom", "a.b.c.d.e=1"], "--custom: custom a.b.c.d.e nests deeper than 4 levels"),
        (["--custom", "x=.nan"], "--custom value '.nan' is not a finite number"),
        (["--custom", "x=" + "y" * 1001], "--custom: custom x is 1001 characters, more than 1000"),
        (["--custom", "a=1", "--custom", "a.b=2"], "--custom: custom a is given as a value and as a mapping"),
    ],
)
def test_bad_custom_is_refused_in_one_line(populated: Reg, argv: list[str], message: str) -> None:
    before = populated.state()
    r = populated.cli("register", "fraud", str(populated.artifact("m.bin")), "--bump", "patch", *argv)
    assert r.code == 1, r.out
    assert len(r.lines) == 1 and r.lines[0].startswith(f"modelreg: error: {message}"), r.err
    assert populated.state() == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]\n", "custom metadata must be a mapping of keys to values"),
        ("a: [{b: 1}]\n", "custom a is a list of lists or mappings"),
        ("a: {b: {c: {d: {e: 1}}}}\n", "custom a.b.c.d nests deeper than 4 levels"),
        ("".join(f"k{i}: {i}\n" for i in range(101)), "101 custom values, more than 100"),
        ("".join(f"k{i}: {'x' * 900}\n" for i in range(20)), "custom metadata is 18"),
        ("a: !!binary aGVsbG8=\n", "tag"),
        ("a: 1\na: 2\n", "duplicate key 'a'"),
    ],
)
def test_bad_custom_file_is_refused_in_one_line(populated: Reg, text: str, message: str) -> None:
    (populated.scratch / "c.yaml").write_text(text)
    before = populated.state()
    r = populated.cli(
        "register", "fraud", str(populated.artifact("m.bin")), "--bump", "patch",
        "--custom-file", str(populated.scratch / "c.yaml"),
    )  # fmt: skip
    assert r.code == 1, r.out
    assert len(r.lines) == 1 and message in r.lines[0], r.err
    assert populated.state() == before


# --- generated input: accepted means writable and read back as given --------------------------

KEYS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,8}(\.[a-z_]{1,4})?", fullmatch=True)
HOSTILE_KEYS = KEYS | st.text(alphabet=st.sampled_from("abz_-.9 Aé\n:"), min_size=0, max_size=8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([math.nan, math.inf])
    | st.text(max_size=30)
)
VALUES = st.recursive(  # what the rules allow, mostly: plain lists, mappings of valid keys
    SCALARS | st.lists(SCALARS, max_size=4),
    lambda inner: st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)
HOSTILE = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(HOSTILE_KEYS, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(values=st.dictionaries(KEYS, VALUES, max_size=6) | st.dictionaries(HOSTILE_KEYS, HOSTILE, max_size=6))
def test_accepted_custom_is_written_and_read_back(values: dict[str, Any]) -> None:
    """Whatever ``custom_mapping`` accepts a manifest holds, and YAML writes and reads back
    unchanged, within the limits; whatever it refuses is one line."""
    try:
        found = inputs.custom_mapping(values, "custom")
    except InvalidInputError as e:
        assert "\n" not in str(e).replace("\\n", "")
        return
    text = json.dumps(found, ensure_ascii=False)
    assert len(text.encode()) <= inputs.MAX_CUSTOM_BYTES
    manifest = Manifest.model_validate(
        {
            "name": "x",
            "version": "1.0.0",
            "created_at": "2026-01-01T00:00:00Z",
            "created_by": "x",
            "artifacts": [{"path": "x", "md5": "0" * 32, "size": 0}],
            "custom": found,
        }
    )
    assert yamlio.load(yamlio.dump(manifest.custom).encode(), "custom") == found
    _no_nan(found)


def _no_nan(value: Any) -> None:
    if isinstance(value, dict):
        for inner in value.values():
            _no_nan(inner)
    elif isinstance(value, list):
        for inner in value:
            _no_nan(inner)
    elif isinstance(value, float):
        assert math.isfinite(value)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40))
def test_a_custom_value_is_a_scalar_or_the_text_given(text: str) -> None:
    try:
        value = inputs.custom_value(text)
    except InvalidInputError as e:
        assert "not a finite number" in str(e)
        return
    assert value is None or isinstance(value, str | int | float | bool)
    if isinstance(value, str) and value != text:
        assert yamlio.load(text.encode(), "x") == value  # YAML's reading of it (quotes, spaces)
