"""modelreg.domain.escape: each format's function against hostile strings, by the structure it must keep.

The end-to-end cases (a hostile model through compare, lineage, history and check) are in
tests/test_escape_commands.py.
"""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from modelreg.domain import escape

# What an attacker reaches for: line breaks of every kind, bidi and C0/C1 controls, and the
# characters each format reserves.
HOSTILE = (
    "\n\r\x85\u2028\u2029\t\x00\x1b\x7f\x9b\u202a\u202e\u2066\u2069\u200e\u200f\u061c"
    "|`*_[]()<>&\"'#%@\\:,;=+-~{}! "
)
hostile_text = st.text(alphabet=st.sampled_from(HOSTILE) | st.characters(codec="utf-8"), max_size=40)
hostile_cells = st.lists(hostile_text, min_size=1, max_size=6)

LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
SAMPLES = ["a\nb", "x\u202ey", "`", "``a``", " ` ", "", "@team", "|", "\\", '"', "#quot;", "%%{init}%%"]


def _one_visible_line(text: str) -> None:
    assert not CONTROLS.search(text), repr(text)
    assert len(text.splitlines()) <= 1


@given(hostile_text)
def test_terminal_shows_every_control_and_keeps_one_line(text: str) -> None:
    shown = escape.terminal(text)
    _one_visible_line(shown)
    assert escape.terminal(shown) == shown


def test_terminal_escapes_are_readable_and_ordinary_text_is_unchanged() -> None:
    assert escape.terminal("a\nb\x1b[31m\u202ec\x85") == "a\\nb\\x1b[31m\\u202ec\\x85"
    assert escape.terminal("fraud@1.2.0  café ✓") == "fraud@1.2.0  café ✓"


# --- Markdown ----------------------------------------------------------------------------------


def _gfm_cells(row: str) -> list[str]:
    """A GFM table row split as GitHub splits it: at each pipe not escaped by a backslash."""
    assert row.startswith("|") and row.endswith("|")
    cells, current, i = [], "", 1
    while i < len(row) - 1:
        if row[i] == "\\":
            current += row[i : i + 2]
            i += 2
            continue
        if row[i] == "|":
            cells.append(current)
            current = ""
        else:
            current += row[i]
        i += 1
    return [*cells, current]


@given(hostile_cells)
@example(["a|b", "c\\|d", "e\\"])
def test_a_markdown_table_row_of_n_hostile_cells_has_n_cells_on_one_line(cells: list[str]) -> None:
    row = "| " + " | ".join(escape.markdown_text(c) for c in cells) + " |"
    _one_visible_line(row)
    assert not LINE_BREAKS.search(row)
    assert len(_gfm_cells(row)) == len(cells)


@given(hostile_text)
@example("<script>alert(1)</script>")
@example('<img src=x onerror="alert(1)">')
@example("&#x202E;&lt;")
def test_markdown_text_has_no_raw_html_no_entity_and_no_live_mention(text: str) -> None:
    md = escape.markdown_text(text)
    _one_visible_line(md)
    assert "<" not in md and ">" not in md
    assert not re.search(r"&(?!amp;|lt;|gt;)", md)  # only our own entities
    assert not re.search(r"(?<![0-9A-Za-z])@[0-9A-Za-z]", md)
    assert not re.search(r"(?<!\\)[`*\[\]|~]", md.replace("\\\\", ""))  # every one escaped


@given(hostile_cells)
def test_a_markdown_parser_reads_back_each_hostile_cell_as_its_text(cells: list[str]) -> None:
    """Cross-check with a real CommonMark + GFM-tables parser (markdown-it-py, which DVC's
    dependencies bring): N cells, each the text itself, no element but the cell."""
    markdown_it = pytest.importorskip("markdown_it")
    parser = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    header = "|" + " h |" * len(cells) + "\n|" + "---|" * len(cells) + "\n"
    page = parser.render(header + "| " + " | ".join(escape.markdown_text(c) for c in cells) + " |\n")
    body = page[page.index("<tbody>") :]
    shown = re.findall(r"<td>(.*?)</td>", body, flags=re.S)
    assert len(shown) == len(cells)
    for cell, text in zip(shown, cells, strict=True):
        assert "<" not in cell
        no_joiners = escape.terminal(text).replace("\u200d", "")  # the one a mention gets
        assert html.unescape(cell).replace("\u200d", "") == no_joiners.strip()


def test_markdown_text_leaves_ordinary_text_alone() -> None:
    for text in ["fraud@1.2.0", "latency_ms", "Alice Example", "0.93 (-0.02, worse)", "retrain"]:
        assert escape.markdown_text(text) == text
    assert escape.markdown_text("@acme/risk") == "@\u200dacme/risk"
    assert escape.markdown_text("Alice <alice@example.com>") == "Alice &lt;alice@example.com&gt;"


def _code_span_content(span: str) -> str:
    fence = re.match("`+", span)
    assert fence is not None
    n = len(fence.group())
    assert span.endswith("`" * n) and len(span) > 2 * n
    inner = span[n:-n]
    # no run of exactly n backticks inside: nothing closes the span early
    assert all(len(run) != n for run in re.findall("`+", inner))
    assert not inner.startswith("`") and not inner.endswith("`")
    if inner.startswith(" ") and inner.endswith(" ") and inner.strip(" "):
        inner = inner[1:-1]  # CommonMark strips one space each side
    return inner


@given(hostile_text)
@example("`")
@example("a``b```c")
@example(" x ")
@example("")
def test_a_markdown_code_span_holds_all_of_its_text(text: str) -> None:
    span = escape.markdown_code(text)
    _one_visible_line(span)
    assert _code_span_content(span) == (escape.terminal(text) or " ")


@given(hostile_text)
def test_html_has_no_markup_and_one_line(text: str) -> None:
    out = escape.html(text)
    _one_visible_line(out)
    assert not set("<>\"'") & set(out)
    assert not re.search(r"&(?!amp;|lt;|gt;|quot;|#x27;)", out)


# --- diagrams ----------------------------------------------------------------------------------


@given(st.lists(hostile_text, min_size=1, max_size=5))
@example(['a"]\n  click v0 call alert()', "%%{init: {'theme':'dark'}}%%", "```", "#quot;"])
def test_a_mermaid_chart_of_hostile_labels_has_one_statement_per_node(labels: list[str]) -> None:
    lines = ["flowchart TD", *(f'    v{i}["{escape.mermaid_label(x)}"]' for i, x in enumerate(labels))]
    chart = "\n".join(lines) + "\n"
    assert chart.splitlines() == lines and not LINE_BREAKS.search("".join(lines))
    for i, line in enumerate(lines[1:]):
        # the label is everything between the first quote and the last: no quote inside
        assert re.fullmatch(rf'    v{i}\["[^"`%<>]*"\]', line), line


def test_mermaid_labels_keep_ordinary_text_and_show_entities_literally() -> None:
    assert escape.mermaid_label("fraud@1.2.0") == "fraud@1.2.0"
    assert escape.mermaid_label('say "#quot;"') == "say #quot;#35;quot;#quot;"


def _dot_unquote(token: str) -> str:
    """A DOT quoted string read back as Graphviz's scanner reads it (\\" and \\\\ are pairs)."""
    assert token.startswith('"')
    out, i = "", 1
    while True:
        c = token[i]
        if c == "\\":
            out += token[i : i + 2]
            i += 2
        elif c == '"':
            assert i == len(token) - 1, f"the string ends early: {token!r}"
            return out
        else:
            out += c
            i += 1


@given(st.lists(hostile_text, min_size=1, max_size=3))
@example(['a\\"; evil [label="x', "\\N\\G", "tail\\"])
def test_a_dot_string_ends_where_it_should(lines: list[str]) -> None:
    quoted = escape.dot_string(*lines)
    _one_visible_line(quoted)
    inner = _dot_unquote(quoted)
    # joined by DOT's \n and nothing else: each backslash is escaped or the separator
    parts = re.split(r"(?<!\\)((?:\\\\)*)\\n", inner)
    assert len([p for p in parts[::2]]) == len(lines)


# --- data and CI -------------------------------------------------------------------------------


@given(hostile_cells)
@example(['=HYPERLINK("http://x")', "+1", "-1", "@SUM(A1)", "\tx", "\rx", "ok"])
def test_csv_cells_parse_back_one_row_and_none_starts_a_formula(cells: list[str]) -> None:
    stream = io.StringIO()
    csv.writer(stream, lineterminator="\n").writerow([escape.csv_cell(c) for c in cells])
    assert stream.getvalue().count("\n") == 1
    (row,) = list(csv.reader(io.StringIO(stream.getvalue())))
    assert len(row) == len(cells)
    for cell in row:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
        _one_visible_line(cell)


@given(hostile_text, hostile_text)
@example("a\n::warning::pwned", "models/x,line=1::y")
def test_a_workflow_command_stays_one_command(message: str, file: str) -> None:
    line = f"::error file={escape.workflow_command_property(file)},line=3::{escape.workflow_command_data(message)}"
    _one_visible_line(line)
    head, sep, data = line[2:].partition("::")
    assert sep and head.startswith("error ")
    properties = head[len("error ") :].split(",")
    assert [p.split("=", 1)[0] for p in properties] == ["file", "line"]
    assert ":" not in properties[0]


@given(st.text(alphabet="ab %\n\r:,"))
def test_the_runner_decodes_a_workflow_message_back_to_its_text(message: str) -> None:
    data = escape.workflow_command_data(message)
    assert data.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%") == message
    prop = escape.workflow_command_property(message)
    decoded = prop.replace("%3A", ":").replace("%2C", ",").replace("%0A", "\n").replace("%0D", "\r")
    assert decoded.replace("%25", "%") == message
