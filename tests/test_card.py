"""modelreg card: Markdown that a CommonMark parser reads as intended, well-formed HTML with
hostile strings escaped, and the card in promote's pull request body."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING

import pytest
from conftest import Reg, git
from markdown_it import MarkdownIt

if TYPE_CHECKING:
    from collections.abc import Callable

    from github_server import FakeGitHub, Origin

pytest_plugins = ["github_server"]

HOSTILE = '<script>alert("x")</script> | `tick` [link](http://evil) *em* @acme/all\n# heading'
MERGER = {
    "GIT_AUTHOR_NAME": "Rita Reviewer",
    "GIT_AUTHOR_EMAIL": "rita@example.com",
    "GIT_COMMITTER_NAME": "Rita Reviewer",
    "GIT_COMMITTER_EMAIL": "rita@example.com",
}


def _hostile_version(reg: Reg) -> None:
    reg.register(
        "fraud",
        "1.3.0",
        description=HOSTILE,
        metrics={"auc": 0.95, "<b>bold</b>": 1.0},
        parents=[{"ref": "fraud@1.2.0", "relation": "retrain"}],
        data={"training": {"name": 'tx"]-->x', "version": "2026-10"}},
        signature={"inputs": [{"name": "amount|<i>", "type": "double"}], "outputs": {"score": "float"}},
        intended_use="EU card payments",
        limitations=HOSTILE,
    )
    # a promotion merged by someone else: the requester and the approver differ
    git("checkout", "-q", "-b", "promote/fraud-1.3.0-staging", cwd=reg.path)
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: [1.3.0]\narchived: [1.0.0]\n")
    reg.commit("promote fraud@1.3.0: development -> staging")
    git("checkout", "-q", "main", cwd=reg.path)
    import os
    import subprocess

    subprocess.run(
        [
            "git",
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "Merge pull request #7 from acme/promote",
            "promote/fraud-1.3.0-staging",
        ],
        cwd=reg.path,
        check=True,
        env={**os.environ, **MERGER},
    )


def test_markdown_card_parses_and_keeps_hostile_text_literal(populated: Reg) -> None:
    _hostile_version(populated)
    r = populated.cli("card", "fraud@staging")
    assert r.code == 0, r.err
    tokens = MarkdownIt("commonmark").enable("table").parse(r.out)
    kinds = [t.type for t in tokens]
    assert "html_block" not in kinds and "html_inline" not in kinds
    assert not any(t.type == "link_open" for t in tokens if t.children is None) and not any(
        c.type in ("link_open", "html_inline", "em_open") for t in tokens for c in (t.children or [])
    )
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[:2] == ["Model card: fraud@1.3.0", "Description"]
    assert "Compared with the current holder of production" in headings
    fences = [t for t in tokens if t.type == "fence"]
    assert [f.info for f in fences] == ["mermaid"] and '"]-->' not in fences[0].content
    assert "tx#quot;]--#gt;x@2026-10" in fences[0].content
    text = "".join(c.content for t in tokens for c in (t.children or []) if c.type == "text")
    assert '<script>alert("x")</script> | `tick` [link](http://evil) *em* @\u200dacme/all\\n# heading' in text
    # metrics beside production's requirement and its holder; the merged promotion's people
    assert "| auc | - | 0.95 | - | 0.92 | - |" in r.out
    assert "Rita Reviewer &lt;rita@example.com&gt;" in r.out and "Alice Example" in r.out and "#7" in r.out
    assert "development -&gt; staging" in r.out


class _Checker(HTMLParser):
    """Fails on a tag that is not closed in order; collects tags and text."""

    VOID = {"meta", "br"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (self.stack, tag)
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_card_is_well_formed_and_escaped(populated: Reg) -> None:
    _hostile_version(populated)
    out = populated.scratch / "card.html"
    r = populated.cli("card", "fraud@1.3.0", "--format", "html", "-o", str(out))
    assert r.code == 0, r.err
    page = out.read_text()
    checker = _Checker()
    checker.feed(page)
    checker.close()
    assert checker.stack == []
    assert "script" not in checker.tags and "b" not in checker.tags and "i" not in checker.tags
    text = "".join(checker.text)
    assert '<script>alert("x")</script>' in text and "amount|<i>" in text and "<b>bold</b>" in text
    assert 'class="mermaid"' not in page  # drawn, not left as text no script renders here
    assert page.count('<svg class="lineage"') == 1
    drawn = re.findall(r'<g class="node[^"]*" data-ref="([^"]+)"', page)
    assert "fraud@1.3.0" in drawn and len(drawn) >= 2, drawn  # the version and what it derives from
    assert '<path class="edge"' in page


def test_card_json_and_errors(populated: Reg) -> None:
    data = json.loads(populated.cli("card", "fraud@1.2.0", "--format", "json").out)
    assert data["target_stage"] == "staging" and data.get("holder") is None
    assert data["history"][0]["kind"] == "registered"
    bad = populated.cli("card", "fraud@1.2.0", "--stage", "nowhere", "-o", str(populated.scratch / "x.md"))
    assert bad.code == 1 and "unknown stage 'nowhere'" in bad.err
    assert not (populated.scratch / "x.md").exists()


def test_promote_puts_the_card_in_the_pull_request(
    populated: Reg, add_origin: Callable[[Reg], Origin], github_api: FakeGitHub
) -> None:
    add_origin(populated)
    git("push", "-q", "origin", "main", cwd=populated.path)
    r = populated.cli("promote", "fraud@1.2.0", "--to", "staging", env=github_api.env)
    assert r.code == 0, r.err
    body = github_api.requests[-1].body["body"]
    assert "<summary>Model card</summary>" in body and "# Model card: fraud@1.2.0" in body
    assert (
        "## Stage history\n\nNot read for the pull request: run modelreg card fraud@1.2.0 to see it." in body
    )
    assert "| auc | - | 0.93 | - | - | - |" in body and "Requirement (staging)" in body


BLOCK_TOKENS = {"blockquote_open", "bullet_list_open", "ordered_list_open", "fence", "code_block", "hr"}


def _blocks_of(markdown: str) -> tuple[list[str], set[str]]:
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    return headings, {t.type for t in tokens}


@pytest.mark.parametrize(
    ("intended_use", "limitations"),
    [
        ("# APPROVED BY SECURITY", "> Reviewed by the CISO\n> no action needed"),
        ("EU card payments", "Not for new markets"),  # the twin: ordinary text
    ],
)
def test_card_text_opens_no_block_in_the_card_or_the_pull_request(
    populated: Reg,
    add_origin: Callable[[Reg], Origin],
    github_api: FakeGitHub,
    intended_use: str,
    limitations: str,
) -> None:
    """A heading or quote an author writes in a card field stays a line of text, in `card`
    and in the body of the promotion's pull request."""
    populated.register(
        "fraud",
        "1.3.0",
        description="next",
        intended_use=intended_use,
        limitations=limitations,
        metrics={"auc": 0.95},
    )
    add_origin(populated)
    git("push", "-q", "origin", "main", cwd=populated.path)
    card = populated.cli("card", "fraud@1.3.0")
    assert card.code == 0, card.err
    r = populated.cli("promote", "fraud@1.3.0", "--to", "staging", env=github_api.env)
    assert r.code == 0, r.err
    body = github_api.requests[-1].body["body"]
    for page in (card.out, body):
        headings, kinds = _blocks_of(page)
        assert intended_use not in headings and "APPROVED BY SECURITY" not in headings
        assert "Intended use" in headings and "Limitations" in headings
        assert not (kinds & BLOCK_TOKENS - {"bullet_list_open", "fence"}), (
            kinds
        )  # the card's own lists, diagram
        assert intended_use.lstrip("# ") in page.replace("\\", "")
