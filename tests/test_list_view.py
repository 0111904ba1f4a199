"""The view `modelreg list` keeps with the documents' state: it prints what reading the registry
prints, is read only for the state it was made from, and is never made from a broken registry."""

from __future__ import annotations

import json
from collections.abc import Callable

from conftest import Reg
from stored import keys, plant, value

from modelreg.queries import listing as list_view

QUERIES = [
    [],
    ["--model", "fraud"],
    ["--stage", "production"],
    ["--stage", "development", "--model", "fraud"],
    ["--tag", "tabular"],
    ["--tag", "nothing"],
    ["--stage", "nowhere"],
    ["--model", "nobody"],
    ["--model", "Not A Name"],
]


def views(reg: Reg) -> list[str]:
    """The states whose view is kept."""
    return sorted(keys(reg.path, list_view.KIND))


def test_the_view_answers_as_the_registry_does(populated: Reg, settle: Callable[[], None]) -> None:
    settle()
    uncached = {
        tuple(q): populated.cli("list", *q, env={"MODELREG_NO_CACHE": "1"}) for q in map(tuple, QUERIES)
    }
    populated.cli("list")
    assert len(views(populated)) == 1
    for query, expected in uncached.items():
        r = populated.cli("list", *query)
        assert (r.code, r.out, r.err) == (expected.code, expected.out, expected.err), query


def test_a_warm_list_reads_the_view(populated: Reg, settle: Callable[[], None]) -> None:
    settle()
    populated.cli("list")
    (state,) = views(populated)
    data, _, table = (value(populated.path, list_view.KIND, state) or "").partition("\n")
    view = json.loads(data)
    row = view["models"][0][1][0]
    row[-1] = "filtered from the view"
    text = json.dumps(view) + "\n" + table.replace("auc=0.93", "printed from the view")
    plant(populated.path, list_view.KIND, state, text)
    assert "printed from the view" in populated.cli("list").out
    assert "filtered from the view" in populated.cli("list", "--stage", row[3]).out
    # one model's rows are read from that model's files, not from the view of every model
    assert "filtered from the view" not in populated.cli("list", "--model", view["models"][0][0]).out


def test_an_edit_makes_a_new_state(populated: Reg, settle: Callable[[], None]) -> None:
    settle()
    populated.cli("list")
    populated.write("models/fraud/stages.yaml", "production: 1.2.0\narchived: [1.0.0, 1.1.0]\n")
    r = populated.cli("list", "--stage", "production")
    assert r.code == 0 and "fraud  1.2.0" in r.out and "1.1.0" not in r.out


def test_no_view_of_a_registry_reads_refuse(populated: Reg, settle: Callable[[], None]) -> None:
    manifest = populated.path / "models/fraud/1.1.0.yaml"
    manifest.write_text(manifest.read_text().replace("size: ", "size: -"))
    settle()
    for _ in range(2):
        r = populated.cli("list")
        assert r.code == 1 and r.lines[0].startswith("modelreg: error: models/fraud/1.1.0.yaml:")
    assert views(populated) == []


def test_no_view_while_files_are_fresh(populated: Reg) -> None:
    populated.write("models/fraud/stages.yaml", "production: 1.2.0\n")  # changed just now: racy
    assert populated.cli("list").code == 0
    assert views(populated) == []


def test_a_read_at_a_revision_neither_reads_nor_writes_a_view(
    populated: Reg, settle: Callable[[], None]
) -> None:
    settle()
    populated.cli("list")
    before = views(populated)
    populated.write("models/fraud/stages.yaml", "production: 1.2.0\n")
    populated.commit("promote 1.2.0")
    r = populated.cli("list", "--stage", "production", "--at", "HEAD~1")
    assert r.code == 0 and "fraud  1.1.0" in r.out
    assert views(populated) == before


def test_json_reads_the_registry(populated: Reg, settle: Callable[[], None]) -> None:
    settle()
    populated.cli("list")
    data = json.loads(populated.cli("list", "--format", "json").out)
    assert {v["ref"] for v in data["versions"]} == {
        "fraud@1.0.0",
        "fraud@1.1.0",
        "fraud@1.2.0",
        "churn@0.1.0",
    }


def test_control_characters_in_metric_names_are_escaped(populated: Reg, settle: Callable[[], None]) -> None:
    populated.register("fraud", "1.3.0", metrics={"auc\x1b[2J": 0.5})
    settle()
    for _ in range(2):  # read, then from the view
        r = populated.cli("list", "--model", "fraud")
        assert r.code == 0, r.err
        assert "\x1b" not in r.out and "auc\\x1b[2J=0.5" in r.out
