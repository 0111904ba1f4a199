"""The search language: precedence, errors that name their column, hostile text, and a property
test that parsing and compiling raise nothing but modelreg's ExpressionError."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelreg.documents.summary import VersionSummary
from modelreg.domain import expression as ex
from modelreg.domain.errors import ExpressionError, InvalidInputError
from modelreg.queries.search import Compiler, Fields, Row, Source, search_source


def f(name: str, column: int) -> ex.Field:
    return ex.Field(name, column)


def v(value: ex.Scalar, column: int) -> ex.Value:
    return ex.Value(value, column)


def test_and_binds_tighter_than_or() -> None:
    assert ex.parse("a == 1 or b == 2 and c == 3") == ex.Or(
        (
            ex.Compare(f("a", 1), "==", v(1, 6), 3),
            ex.And(
                (
                    ex.Compare(f("b", 11), "==", v(2, 16), 13),
                    ex.Compare(f("c", 22), "==", v(3, 27), 24),
                )
            ),
        )
    )


def test_not_binds_tighter_than_and_and_parentheses_group() -> None:
    assert ex.parse("not a < 1 and b > 2") == ex.And(
        (ex.Not(ex.Compare(f("a", 5), "<", v(1, 9), 7)), ex.Compare(f("b", 15), ">", v(2, 19), 17))
    )
    grouped = ex.parse("not (a < 1 and b > 2)")
    assert isinstance(grouped, ex.Not) and isinstance(grouped.item, ex.And)


def test_keywords_in_any_case_and_every_form_of_a_condition() -> None:
    text = (
        "stage IN ('staging', \"production\") AND tag Not In ('x') or name matches 'fraud-*' "
        "or owner is null or owner is not null or exists(metrics.auc) or 'fraud' in tags "
        "or auc >= -1.5e-3 or p == true or `odd metric` != .5"
    )

    def at(fragment: str) -> int:
        return text.index(fragment) + 1

    node = ex.parse(text)
    assert isinstance(node, ex.Or)
    first = node.items[0]
    assert isinstance(first, ex.And)
    assert first.items[0] == ex.Compare(
        f("stage", 1),
        "in",
        ex.ValueList((v("staging", at("'staging")), v("production", at('"production'))), 10),
        7,
    )
    assert first.items[1] == ex.Compare(
        f("tag", at("tag Not")), "not in", ex.ValueList((v("x", at("'x'")),), at("('x'")), at("Not")
    )
    ops = [item.op if isinstance(item, ex.Compare) else item for item in node.items[1:]]
    assert ops == [
        "~",
        ex.IsNull(f("owner", at("owner is null")), negated=False),
        ex.IsNull(f("owner", at("owner is not")), negated=True),
        ex.IsNull(f("metrics.auc", at("metrics.auc")), negated=True),
        "in",
        ">=",
        "==",
        "!=",
    ]
    values = [item.right for item in node.items[-3:] if isinstance(item, ex.Compare)]
    assert values == [v(-0.0015, at("-1.5e-3")), v(True, at("true")), v(0.5, at("!= .5") + 3)]
    assert node.items[-1] == ex.Compare(f("odd metric", at("`odd")), "!=", v(0.5, at("!= .5") + 3), at("!="))


def test_strings_escape_their_quote_and_backslash_only() -> None:
    node = ex.parse(r"""a == 'it\'s' or b == "say \"hi\"" or c == 'C:\path\\'""")
    assert isinstance(node, ex.Or)
    assert [item.right.value for item in node.items if isinstance(item, ex.Compare)] == [  # type: ignore[union-attr]
        "it's",
        'say "hi"',
        "C:\\path\\",
    ]


ERRORS = [
    ("auc >= and framework == 'x'", 8, "expected a value, found 'and'"),
    ("auc >=", 7, "expected a value, found end of expression"),
    ("", 1, "empty expression"),
    ("   ", 1, "empty expression"),
    ("auc = 0.9", 5, "write == to compare"),
    ("auc 0.9", 5, "expected an operator"),
    ("(auc > 1", 9, "expected ')' to close the parenthesis"),
    ("auc > 1)", 8, "unexpected ')'"),
    ("stage in ('a', )", 16, "expected a value"),
    ("name == 'fraud", 9, "unterminated string"),
    ("auc > 1 framework == 'x'", 9, "expected and, or or the end"),
    ("auc > 1 && b < 2", 9, "unexpected character '&'"),
    ("auc > 0.9.1", 7, "malformed number"),
    ("owner is nul", 10, "expected null after is"),
    ("exists(1)", 8, "expected a field name"),
    ("`` > 1", 1, "empty `field name`"),
    ("1 is null", 3, "is null tests a field"),
]


@pytest.mark.parametrize(("text", "column", "message"), ERRORS)
def test_a_bad_expression_names_its_column(text: str, column: int, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        ex.parse(text)
    error = caught.value
    assert isinstance(error, InvalidInputError)
    assert error.column == column
    assert message in error.detail
    assert str(error) == f"where: {error.detail} at column {column}: {text}"


def test_the_caret_stands_under_the_column_even_after_escaped_characters() -> None:
    error = ExpressionError("expected a value", "name == '\x1b' and", 13)
    line = "modelreg: error: " + str(error).replace("\x1b", "\\x1b")
    caret = error.caret(len("modelreg: error: "))
    assert line[len(caret) - 1 :].startswith("and")
    assert error.labelled("--where").label == "--where"


HOSTILE = [
    "__import__('os').system('id')",
    "auc > 1; import os",
    "exec('x')",
    "lambda: 1",
    "a == 'x' or 1 == 1 --",
    "a == '\x00\x1b[31m'",
    "a ==\u202e 'x'",
    "{1: 2}",
    "a[0] > 1",
    "a.__class__ == 1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_a_clear_error_or_a_plain_condition(text: str) -> None:
    try:
        node = ex.parse(text)
    except ExpressionError as e:
        assert 1 <= e.column <= len(text) + 1
        return
    assert isinstance(node, ex.Compare | ex.Or | ex.And | ex.Not | ex.IsNull)


def test_deep_nesting_and_long_text_stop_with_an_error_not_a_crash() -> None:
    for text in [
        "(" * 5000 + "a == 1" + ")" * 5000,
        "not " * 5000 + "a == 1",
        "a == 1 or " * 1000 + "a == 1",
    ]:
        with pytest.raises(ExpressionError) as caught:
            ex.parse(text)
        assert "nested more than" in str(caught.value) or "longer than" in str(caught.value)
    assert isinstance(ex.parse("(" * 40 + "a == 1" + ")" * 40), ex.Compare)


# -- compiling: types and fields -----------------------------------------------------------


def _source() -> Source:
    def listed(name: str, version: str, stage: str, **facts: object) -> tuple[str, str, VersionSummary]:
        summary = VersionSummary(
            "2026-06-01T10:00:00+00:00",
            "2026-06-01",
            "Alice <alice@example.com>",
            list(facts.get("tags", [])),  # type: ignore[call-overload]
            dict(facts.get("metrics", {})),  # type: ignore[call-overload]
            facts.get("framework"),  # type: ignore[arg-type]
            None,
            custom=dict(facts.get("custom", {})),  # type: ignore[call-overload]
            params=dict(facts.get("params", {})),  # type: ignore[call-overload]
        )
        return (version, stage, summary)

    fraud = [
        listed("fraud", "1.1.0", "staging", metrics={"auc": 0.93, "depth": 1.0}, params={"depth": 4}),
        listed("fraud", "1.0.0", "production", metrics={"auc": 0.9}, framework="xgboost", tags=["x"]),
    ]
    return Source(["development", "staging", "production"], [("fraud", "@acme/risk", ["tabular"], fraud)])


TYPE_ERRORS = [
    ("owner > 3", 9, "owner is text: compare it with text in quotes, not a number"),
    ("auc == 'high'", 8, "metrics.auc is a number: compare it with a number, not text"),
    ("auc ~ 'x*'", 7, "~ matches text only"),
    ("created >= 'yesterday'", 12, "'yesterday' is not a date"),
    ("created >= '2026-13-45'", 12, "invalid date '2026-13-45'"),
    ("version > 'one'", 11, "not a semantic version"),
    ("tag > 'x'", 7, "set of tags"),
    ("'x' in stage", 5, "needs tags"),
    ("depth > 1", 1, "is both a metric and a param"),
    ("acu > 1", 1, "unknown field 'acu' (did you mean auc?)"),
    ("metrics.nope > 1", 1, "unknown field 'metrics.nope'"),
    ("auc > f1", 5, "compares two fields"),
    ("1 == 1", 3, "one side must be a field"),
    ("'fraud-*' ~ name", 11, "write the field before ~"),
]


@pytest.mark.parametrize(("text", "column", "message"), TYPE_ERRORS)
def test_a_comparison_that_makes_no_sense_is_one_clear_error(text: str, column: int, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        search_source(_source(), where=text)
    assert caught.value.column == column
    assert message in caught.value.detail


def test_a_missing_value_matches_only_the_negative_comparisons() -> None:
    def refs(where: str) -> list[str]:
        return [x.ref for x in search_source(_source(), where=where)]

    assert refs("framework == 'xgboost'") == ["fraud@1.0.0"]
    assert refs("framework != 'xgboost'") == ["fraud@1.1.0"]
    assert refs("framework is null") == ["fraud@1.1.0"]
    assert refs("framework not in ('xgboost')") == ["fraud@1.1.0"]
    assert refs("params.depth >= 4") == ["fraud@1.1.0"]
    assert refs("metrics.depth < 2 and 0.92 < auc") == ["fraud@1.1.0"]
    assert refs("tag == 'tabular' and tag != 'x'") == ["fraud@1.1.0"]
    assert refs("owner ~ '@acme/*' and created == '2026-06-01'") == ["fraud@1.1.0", "fraud@1.0.0"]


# -- the property: nothing but ExpressionError, whatever the text --------------------------

PIECES = st.sampled_from(
    [
        *sorted(ex.KEYWORDS),
        *["auc", "metrics.auc", "params.depth", "depth", "stage", "tag", "tags", "owner", "created"],
        *["version", "name", "framework", "nope", "`odd`", "``", "exists("],
        *["==", "!=", "<", "<=", ">", ">=", "~", "=", "(", ")", ",", "-", "!", "&&"],
        *["'x'", "'2026-06-01'", "'1.0.0'", "'fraud-*'", "'[z-a]'", '"', "'", "\\", "0.9", "1e999", "-1"],
        *["3", ".5", "1.2.3", "\x00", "\u202e", " ", "é", "🙂", "\n"],
    ]
)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.lists(PIECES, max_size=24).map(" ".join),
        st.lists(PIECES, max_size=24).map("".join),
        st.text(max_size=60),
    )
)
def test_any_text_parses_and_compiles_or_raises_expression_error(text: str) -> None:
    try:
        node = ex.parse(text)
        source = _source()
        rows = [
            Row(name, entry, owner, tags, (i, j))
            for i, (name, owner, tags, held) in enumerate(source.models)
            for j, entry in enumerate(held)
        ]
        keep = Compiler(text, Fields(source, rows)).compile(node)
        for row in rows:
            assert keep(row) in (True, False)
    except ExpressionError as e:
        assert 1 <= e.column <= len(text) + 1
