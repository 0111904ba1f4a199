"""A model whose author-controlled text is hostile, through every renderer of a real registry:
compare's Markdown, lineage's Mermaid and DOT, history's CSV, check's GitHub annotations and
step summary, and the text outputs. Each test asserts the structure its format must keep."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Reg, Result, cli, git
from history_repo import isolated

from modelreg.render.history_report import CSV_COLUMNS

# A line break of each kind, a Markdown heading, a table pipe, a code fence, raw HTML, a
# mention, a Mermaid label's end and a directive, a DOT string's end, ANSI and bidi controls.
EVIL = (
    "x\n## pwned\r| `` ``` <script>alert(1)</script> <img src=x onerror=alert(1)> @admins "
    '\u2028\u2029\x85"] %%{init: {"theme": "dark"}}%% \\"; x [label=" \x1b[31m \u202eevil\u202c \u2066'
)
FORMULA = '=HYPERLINK("http://evil.example")'
AUTHOR = "@admins \x1b[31mMal\u202elory"
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
BAD_FILE = "models/fraud/a`b\n::warning::x,y:z%0A.yaml"


@dataclass
class Hostile:
    reg: Reg

    def cli(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return cli(*args, cwd=self.reg.path, env={"TZ": "UTC", **(env or {})})


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    """main: fraud@1.0.0. Branch ``change`` (checked out): fraud@1.1.0, a child of 1.0.0 with
    EVIL in its description, tags, a metric name, a param and a dataset (role and name),
    committed by AUTHOR, then a commit whose subject is a spreadsheet formula. Branch ``bad``:
    ``change`` plus a file whose name is hostile (so check reports problems about it)."""
    from modelreg.operations.scaffold import init

    base = tmp_path_factory.mktemp("escape")
    with isolated(base / "home") as mp:
        init(base / "registry", remote=str(base / "remote"), name="escape")
        reg = Reg(base / "registry", base / "remote", base / "scratch")
        reg.register("fraud", "1.0.0", description="first", metrics={"auc": 0.9})
        git("checkout", "-q", "-b", "change", cwd=reg.path)
        mp.setenv("GIT_AUTHOR_NAME", AUTHOR)
        reg.register(
            "fraud",
            "1.1.0",
            description=EVIL,
            tags=[EVIL],
            metrics={"auc": 0.95, EVIL: 1.0},
            params={EVIL: EVIL},
            data={EVIL: {"name": EVIL, "version": "1"}},
            parents=[{"ref": "fraud@1.0.0", "relation": "retrain"}],
        )
        reg.write("models/fraud/model.yaml", (reg.path / "models/fraud/model.yaml").read_text() + "\n")
        reg.commit(f"{FORMULA} \u202eevil")
        git("checkout", "-q", "-b", "bad", cwd=reg.path)
        reg.write(BAD_FILE, "x: 1\n")
        reg.commit("a hostile file name")
        git("checkout", "-q", "change", cwd=reg.path)
    return Hostile(reg)


def _visible(out: str) -> None:
    """No control, line separator or bidi character reached the output, and no line of it is
    the attacker's: every line that holds EVIL's text holds its start too (one line each)."""
    assert not CONTROLS.search(out), [line for line in out.splitlines() if CONTROLS.search(line)]
    for line in out.split("\n"):
        assert "pwned" not in line or "x\\n" in line or "x\\\\n" in line, line


# --- Markdown ----------------------------------------------------------------------------------


def _table_cells(row: str) -> int:
    return len(re.findall(r"(?<!\\)(?:\\\\)*\|", row)) - 1


def _markdown_is_sound(text: str) -> None:
    _visible(text)
    lines = text.split("\n")
    assert not [line for line in lines if re.match(r"\s*#+ .*pwned", line)], "a heading was injected"
    assert "<script" not in text and "<img" not in text
    prose = re.sub(r"```mermaid\n.*?\n```\n", "", text, flags=re.S)  # no mention pings in a chart
    assert not re.search(r"(?<![0-9A-Za-z])@admins", prose), "a mention would ping"
    tables: list[list[str]] = []
    for line in lines:
        if line.startswith("|"):
            if not tables or not tables[-1]:
                tables.append([])
            tables[-1].append(line)
        elif tables and tables[-1]:
            tables.append([])
    for rows in filter(None, tables):
        assert {_table_cells(r) for r in rows} == {_table_cells(rows[0])}, rows


def test_compare_markdown_keeps_every_table_row_whole(hostile: Hostile) -> None:
    r = hostile.cli("compare", "fraud@1.0.0", "fraud@1.1.0", "--format", "markdown")
    assert r.code == 0, r.err
    _markdown_is_sound(r.out)
    assert "| auc | - | 0.9 | 0.95 (+0.05) | - |" in r.out  # ordinary rows as before
    assert r"| x\\n## pwned\\r\| \`\` \`\`\` &lt;script&gt;" in r.out


def test_compare_over_time_markdown_escapes_the_author(hostile: Hostile) -> None:
    r = hostile.cli("compare", "fraud", "--stage", "development", "--over-time", "--format", "markdown")
    assert r.code == 0, r.err
    _markdown_is_sound(r.out)


# --- diagrams ----------------------------------------------------------------------------------


def test_lineage_mermaid_has_one_line_per_statement(hostile: Hostile) -> None:
    r = hostile.cli("lineage", "fraud@1.1.0", "--format", "mermaid")
    assert r.code == 0, r.err
    _visible(r.out)
    lines = r.out.splitlines()
    # header, two versions, one dataset, one parent edge, one data edge, two style lines
    assert len(lines) == 8, lines
    assert lines[0] == "flowchart TD" and lines[-1] == "    class v0 root"
    label = r'"[^"`%<>]*"'
    for line in (x.replace("<br/>", " ") for x in lines[1:-2]):  # our own line break
        assert re.fullmatch(rf"    (?:[vd]\d+\[\(?{label}\)?\]|[vd]\d+ -\.?->\|{label}\| v\d+)", line), line


def _dot_statements(out: str) -> list[str]:
    """The statements of a DOT graph, split outside quoted strings (as Graphviz scans them)."""
    statements, current, quoted, i = [], "", False, 0
    while i < len(out):
        c = out[i]
        if quoted and c == "\\":
            current += out[i : i + 2]
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        if c in ";{}" and not quoted:
            statements.append(current.strip())
            current = ""
        else:
            current += c
        i += 1
    assert not quoted, "a string never ended"
    return [s for s in statements if s]


def test_lineage_dot_strings_end_where_they_should(hostile: Hostile) -> None:
    r = hostile.cli("lineage", "fraud@1.1.0", "--format", "dot")
    assert r.code == 0, r.err
    _visible(r.out)
    statements = _dot_statements(r.out)
    # digraph, rankdir, node defaults, two versions, one dataset, two edges
    assert len(statements) == 8, statements
    assert len(r.out.splitlines()) == 9
    assert [s for s in statements if "label=" in s and "x [label" in s.split('"')[0]] == []


# --- CSV ---------------------------------------------------------------------------------------


def test_history_csv_rows_parse_back_with_no_formula(hostile: Hostile) -> None:
    r = hostile.cli("history", "--format", "csv")
    assert r.code == 0, r.err
    _visible(r.out)
    rows = list(csv.reader(io.StringIO(r.out)))
    assert len(rows) == len(r.out.splitlines()) and rows[0] == CSV_COLUMNS
    for row in rows[1:]:
        assert len(row) == len(CSV_COLUMNS)
        assert [c for c in row if c.startswith(("=", "+", "-", "@", "\t", "\r"))] == [], row
    assert any(row[CSV_COLUMNS.index("subject")].startswith("'=HYPERLINK") for row in rows)
    assert any(row[CSV_COLUMNS.index("author_name")].startswith("'@admins \\x1b") for row in rows)


# --- check under GitHub Actions ------------------------------------------------------------------


def test_check_annotations_and_step_summary(hostile: Hostile, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    r = hostile.cli("check", "--base", "main", "--head", "bad", env=env)
    assert r.code == 1, r.out + r.err
    _visible(r.out)
    annotations = [line for line in r.out.splitlines() if line.startswith("::")]
    assert annotations and all(line.startswith("::error file=") for line in annotations)
    for line in annotations:
        props, sep, _message = line[len("::error ") :].partition("::")
        assert sep, line
        assert [p.split("=", 1)[0] for p in props.split(",")] in (
            ["file", "title"],
            ["file", "line", "title"],
        )
    assert "::error file=models/fraud/a`b%0A%3A%3Awarning%3A%3Ax%2Cy%3Az%250A.yaml," in r.out
    text = summary.read_text()
    _markdown_is_sound(text)
    assert "- ``models/fraud/a`b\\n::warning::x,y:z%0A.yaml``: " in text  # a code span that holds
    assert "- Description: x\\\\n## pwned" in text
    chart = text[text.index("```mermaid\n") : text.index("```\n</details>")]
    assert len(chart.splitlines()) == 1 + 8  # the fence, then the chart's eight lines
    assert "`" not in chart[len("```mermaid") :]


# --- text --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["show", "fraud@1.1.0"],
        ["lineage", "fraud@1.1.0"],
        ["compare", "fraud@1.0.0", "fraud@1.1.0"],
        ["compare", "fraud", "--stage", "development", "--over-time"],
        ["history"],
        ["list"],
        ["check", "--base", "main", "--head", "bad"],
    ],
)
def test_text_output_shows_controls_as_escapes(hostile: Hostile, args: list[str]) -> None:
    r = hostile.cli(*args)
    assert r.code in (0, 1) and "Traceback" not in r.err, r.err
    _visible(r.out + r.err)
