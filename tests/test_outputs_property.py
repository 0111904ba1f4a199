"""Every output keeps author text where it belongs, over generated hostile strings.

Markdown first (then the Mermaid and DOT lineage, GitHub workflow commands and the site's
HTML, each by the structure its format must keep).

The results behind each Markdown output (a model card, a promotion pull request's body, the
step summary of `check`, `compare` and its stage timeline, the evaluation and deployment pull
request bodies) are read once from a real registry. Hypothesis then replaces every string in
them, at every depth, with hostile text (headings, quotes, lists, rules, indented code,
fences, tables, HTML, links, mentions, several lines), renders, and parses the page with
markdown-it-py (CommonMark + GFM tables and strikethrough). The page must have exactly the
block and inline structure of the same page rendered with plain words in those places: the
author text opened no heading, quote, list, fence, code block, rule, table or HTML of its
own, and no link, image or emphasis; no text mentions anyone; and each hostile string's
letters are still there to read.

Every string is replaced, whoever writes it: a renderer that forgets to escape one field
is caught whichever it is.

Run: ``.venv/bin/python -m pytest -q -p no:cacheprovider -n0 tests/test_outputs_property.py``
"""

from __future__ import annotations

import dataclasses
import enum
import io
import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import Reg, build_populated
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token
from pydantic import BaseModel

from modelreg.domain import escape

ATTACKS = [
    "# APPROVED BY SECURITY",
    "> signed off\n> by the CISO",
    "- [x] reviewed\n- [x] approved",
    "+ one\n* two",
    "1. first\n2) second",
    "---",
    "===",
    "***",
    "___",
    "    indented code",
    "\tindented code",
    "```\nfenced\n```",
    "~~~js\nalert(1)\n~~~",
    "| a | b |\n|---|---|\n| c | d |",
    "<div>raw</div>",
    "<!-- hidden -->",
    "[click](https://evil.example)",
    "![img](https://evil.example/x.png)",
    "<https://evil.example>",
    "@acme/security please merge",
    "x #",
    "title\n===",
    "[ref]: https://evil.example",
    "  - nested",
    "line one  \nline two",
    "a\\\nb",
]
MARKDOWN_CHARS = "#>-+*=_`~|<>[]()!@:\\ \t\n1.)&;'\"%"
hostile = st.one_of(
    st.sampled_from(ATTACKS),
    st.text(alphabet=st.sampled_from(MARKDOWN_CHARS) | st.characters(codec="utf-8"), max_size=30),
    st.lists(st.sampled_from(ATTACKS), min_size=2, max_size=3).map("\n".join),
)
PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
MENTION = re.compile(r"(?<![0-9A-Za-z])@[0-9A-Za-z]")
STORE: dict[str, Any] = {}  # the other formats' results, read by the same fixture


def _taint(obj: Any, word: Callable[[str], str]) -> Any:
    """``obj`` with every string in it (field, item, key, at any depth) replaced by ``word(it)``."""
    if isinstance(obj, enum.Enum) or obj is None or isinstance(obj, (bool, int, float, datetime)):
        return obj
    if isinstance(obj, str):
        return word(obj)
    if isinstance(obj, BaseModel):
        return obj.model_copy(
            update={name: _taint(getattr(obj, name), word) for name in type(obj).model_fields}
        )
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = {f.name: _taint(getattr(obj, f.name), word) for f in dataclasses.fields(obj)}
        return dataclasses.replace(obj, **fields)
    if isinstance(obj, dict):
        return {_taint(k, word): _taint(v, word) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_taint(x, word) for x in obj)
    return obj


def _words(texts: list[str] | None) -> Callable[[str], str]:
    """One replacement per distinct string: ``texts`` in turn (or nothing) followed by a
    counter. Equal strings stay equal (a lineage edge still names its node) and distinct ones
    distinct (no two dictionary keys collapse into one)."""
    counter = itertools.count()
    cycle = itertools.cycle(texts or [""])
    chosen: dict[str, str] = {}

    def word(original: str) -> str:
        if original not in chosen:
            chosen[original] = f"{next(cycle)}w{next(counter)}"
        return chosen[original]

    return word


def _blocks(tokens: list[Token]) -> list[tuple[str, ...]]:
    return [(t.type, t.tag, str(t.level), t.info.split(" ")[0]) for t in tokens if t.type != "inline"]


def _inline_kinds(tokens: list[Token]) -> list[set[str]]:
    """Per inline run, the kinds of inline element in it (links, images, code, emphasis...)."""
    skip = {"text", "text_special", "softbreak"}
    return [{c.type for c in t.children or [] if c.type not in skip} for t in tokens if t.type == "inline"]


def _inline_text(
    tokens: list[Token], kinds: tuple[str, ...] = ("text", "text_special", "code_inline")
) -> str:
    return "".join(c.content for t in tokens for c in (t.children or []) if c.type in kinds)


def _letters(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


# --- what is rendered -----------------------------------------------------------------------------


def _card(results: dict[str, Any]) -> Callable[[Any], str]:
    from modelreg.render.card import render_markdown

    def render(card: Any) -> str:
        out = io.StringIO()
        render_markdown(card, out)
        return out.getvalue()

    return render


def _pull_request_body(report: Any, card: Any) -> str:
    """As `promote` writes it: the change, then the card folded away."""
    from modelreg.render.check_report import markdown_changes

    return (
        markdown_changes(report.changes)
        + "\n<details><summary>Model card</summary>\n\n"
        + _card({})(card)
        + "\n</details>\n"
    )


def _compare(comparison: Any) -> str:
    from modelreg.render.compare_report import render_markdown

    out = io.StringIO()
    render_markdown(comparison, out)
    return out.getvalue()


def _timeline(timeline: Any) -> str:
    from modelreg.render.compare_report import render_timeline_markdown

    out = io.StringIO()
    render_timeline_markdown(timeline, out)
    return out.getvalue()


def _evaluation(evaluation: Any) -> str:
    from modelreg.operations.evaluate import _body

    return _body(evaluation.dataset.name + "@1.0.0", evaluation)


def _deployment(args: tuple[str, str, Any, Any, str]) -> str:
    from modelreg.operations.deploy import _body

    return _body(*args)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, Callable[[Any], str]]]:
    """Each Markdown output: (the result it renders, its renderer), read from a registry."""
    from conftest import Templates, git

    from modelreg.domain.models import Dataset, Deployment, Evaluation
    from modelreg.domain.problems import Problem
    from modelreg.operations.check import check
    from modelreg.queries.compare import over_time
    from modelreg.queries.site import SiteSource
    from modelreg.registry import Registry

    templates = Templates(tmp_path_factory.mktemp("templates"))
    reg: Reg = templates.copy("populated", build_populated, tmp_path_factory.mktemp("markdown"))
    git("checkout", "-q", "-b", "candidate", cwd=reg.path)
    reg.register(
        "fraud",
        "1.3.0",
        description="candidate",
        metrics={"auc": 0.95},
        parents=[{"ref": "fraud@1.2.0", "relation": "retrain"}],
    )
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: [1.2.0]\narchived: [1.0.0]\n")
    reg.commit("stage fraud@1.2.0")
    registry = Registry(reg.path)
    report = check(reg.path, base="main")
    assert report.changes, report
    card = registry.card("fraud@1.2.0", stage="production")
    evaluation = Evaluation(
        dataset=Dataset(name="holdout", version="2026-10"),
        metrics={"auc": 0.91},
        note="drift check",
        created_at=datetime(2026, 10, 1, tzinfo=UTC),
        created_by="Eve Evaluator <eve@example.com>",
    )
    deployment = (
        "fraud@1.2.0",
        "prod",
        Deployment(version="1.2.0", endpoint="https://x"),
        Deployment(version="1.1.0"),
        "roll out",
    )
    git("checkout", "-q", "main", cwd=reg.path)
    STORE["view"] = SiteSource(reg.path, rev=git("rev-parse", "main", cwd=reg.path).strip()).model_view(
        "fraud"
    )
    git("checkout", "-q", "candidate", cwd=reg.path)
    STORE["lineage"] = card.lineage.model_copy(
        update={
            "nodes": [n.model_copy(update={"data": {"training": "transactions"}}) for n in card.lineage.nodes]
        }
    )
    STORE["problems"] = report.model_copy(
        update={
            "problems": [
                Problem(file="models/fraud/1.3.0.yaml", line=3, message="bad", rule="schema"),
                Problem(file="registry.yaml", message="worse", rule="policy"),
            ]
        }
    )
    return {
        "card": (card, _card({})),
        "pull request body": ((report, card), lambda rc: _pull_request_body(*rc)),
        "check step summary": (report, _check_markdown),
        "compare": (registry.compare("fraud@1.0.0", "fraud@1.2.0"), _compare),
        "stage timeline": (over_time(registry, "fraud", "production"), _timeline),
        "evaluation pull request": (evaluation, _evaluation),
        "deployment pull request": (deployment, _deployment),
    }


def _check_markdown(report: Any) -> str:
    from modelreg.render.check_report import check_markdown

    return check_markdown(report)


OUTPUTS = [
    "card",
    "pull request body",
    "check step summary",
    "compare",
    "stage timeline",
    "evaluation pull request",
    "deployment pull request",
]


def _render(results: dict[str, Any], output: str, texts: list[str] | None) -> str:
    result, render = results[output]
    return render(_taint(result, _words(texts)))


@pytest.mark.parametrize("output", OUTPUTS)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(hostile, min_size=1, max_size=3))
@example(texts=["# APPROVED BY SECURITY"])
@example(texts=["> quote", "- item", "1. step"])
@example(texts=["---", "    code", "```"])
@example(texts=["-", "+", "#"])
def test_author_text_opens_no_block_and_no_link(
    results: dict[str, Any], output: str, texts: list[str]
) -> None:
    plain = PARSER.parse(_render(results, output, None))
    page = _render(results, output, texts)
    tokens = PARSER.parse(page)
    assert _blocks(tokens) == _blocks(plain), page  # no block of the author's own
    for mine, theirs in zip(_inline_kinds(tokens), _inline_kinds(plain), strict=True):
        # no link, image, HTML or emphasis of the author's own (text beside the renderer's
        # own ** that starts with a space can keep it from opening: a loss, not a gain)
        assert mine <= theirs, (mine - theirs, page)
    prose = _inline_text(tokens, ("text", "text_special"))  # GitHub pings nobody from code
    assert not MENTION.search(prose), prose
    letters = _letters(_inline_text(tokens))
    for text in texts:  # (a deployment's reason is stripped first, and with it \x1c-\x1f)
        assert _letters(escape.terminal(text.strip())) in letters, (text, page)


def test_the_tainted_pages_hold_every_kind_of_block(results: dict[str, Any]) -> None:
    """The comparison is only as strong as the pages: together they hold headings, lists,
    tables, paragraphs, a Mermaid fence and HTML blocks for author text to hide in."""
    kinds = {t.type for output in OUTPUTS for t in PARSER.parse(_render(results, output, None))}
    assert {
        "heading_open",
        "bullet_list_open",
        "table_open",
        "paragraph_open",
        "fence",
        "html_block",
    } <= kinds


# --- Mermaid and DOT, workflow commands, the site's HTML ------------------------------------------

texts_strategy = st.lists(st.one_of(hostile, st.sampled_from(['"];x-->y;%%{init}%%', "\\N", "javascript:alert(1)"])), min_size=1, max_size=3)  # fmt: skip
QUOTED = {"mermaid": re.compile(r'"[^"]*"'), "dot": re.compile(r'"(?:[^"\\]|\\.)*"')}


def _lineage(fmt: str, texts: list[str] | None) -> str:
    from modelreg.render.lineage_report import render_dot, render_mermaid

    out = io.StringIO()
    (render_mermaid if fmt == "mermaid" else render_dot)(_taint(STORE["lineage"], _words(texts)), out)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=texts_strategy)
def test_a_lineage_diagram_keeps_its_statements(results: dict[str, Any], fmt: str, texts: list[str]) -> None:
    """Each label stays inside its quotes: with the quoted strings blanked out, the diagram is
    statement for statement the one drawn with plain words."""
    plain, drawn = _lineage(fmt, None), _lineage(fmt, texts)
    blank = QUOTED[fmt]
    assert blank.sub('""', drawn).splitlines() == blank.sub('""', plain).splitlines(), drawn
    if fmt == "mermaid":
        assert "%%" not in drawn and "`" not in drawn


WORKFLOW_COMMAND = re.compile(r"::error file=[^,:\r\n]*(?:,line=\d+)?,title=[^,:\r\n]*::[^\r\n]*")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=texts_strategy)
def test_each_problem_is_one_workflow_command(results: dict[str, Any], texts: list[str]) -> None:
    from modelreg.render.check_report import github_annotations

    out = io.StringIO()
    github_annotations(_taint(STORE["problems"], _words(texts)), out)
    lines = out.getvalue().split("\n")
    assert lines[-1] == "" and len(lines) - 1 == len(STORE["problems"].problems)
    for line in lines[:-1]:
        assert WORKFLOW_COMMAND.fullmatch(line), line


def _site_pages(texts: list[str] | None) -> dict[int, str]:
    from modelreg.render.site import pages
    from modelreg.render.site.html import SiteContext

    site = SiteContext(base_url="/", registry="registry", commit="0" * 40)
    view = _taint(STORE["view"], _words(texts))
    return dict(enumerate(text for _, text in pages.model_pages(view, site)))


def _elements(page: str) -> tuple[list[tuple[str, tuple[str, ...]]], list[str]]:
    from site_corpus import Markup

    parser = Markup()
    parser.feed(page)
    parser.close()
    urls = [v for _, attrs in parser.elements for k, v in attrs.items() if k in {"href", "src", "action"}]
    # <br> is the site's own rendering of a line break in a description, not the author's markup
    return [(tag, tuple(sorted(attrs))) for tag, attrs in parser.elements if tag != "br"], urls


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=texts_strategy)
def test_the_site_pages_keep_their_elements(results: dict[str, Any], texts: list[str]) -> None:
    """Every page of a model whose every string is hostile has the elements and attributes of
    the same page with plain words (line breaks of a description aside), and no URL that runs
    script."""
    plain, hostile_pages = _site_pages(None), _site_pages(texts)
    assert plain.keys() == hostile_pages.keys()
    for n, page in hostile_pages.items():
        elements, urls = _elements(page)
        assert elements == _elements(plain[n])[0], page
        assert not [u for u in urls if u.strip().lower().startswith(("javascript:", "data:", "vbscript:"))]
