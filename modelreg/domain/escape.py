"""One escaping function per output format, for every string an author controls.

Names, versions, stage names, descriptions, tags, metric and param keys and values, dataset
names, commit authors and subjects, file paths and messages all come from whoever wrote a
commit, and ``check`` prints them into CI logs, workflow commands and pull-request comments.
Each reporter passes such a string through the one function below for the format it writes
into, so a newline cannot start a log line, a table row or a Mermaid statement, a backtick
cannot close a code span, and a bidi or escape character cannot hide what a reviewer reads.

Every function here turns a control character (C0, DEL, C1, the Unicode line and paragraph
separators, bidi controls) into the visible escape ``terminal`` shows (``\\n``, ``\\x1b``,
``\\u202e``), then applies its format's own rules. Ordinary text comes out unchanged, apart
from the characters a format reserves.
"""

from __future__ import annotations

import re
import secrets

# C0 controls and DEL, C1 controls (U+0085 NEXT LINE among them), the line and paragraph
# separators, and the bidi controls: embeddings and overrides, isolates, marks, the Arabic mark.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _visible(char: str) -> str:
    code = ord(char)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def terminal(text: str) -> str:
    """``text`` on one line with control characters shown as escapes (``\\n``, ``\\x1b``,
    ``\\u202e``): a name from a pull request can neither start a line of its own in CI's log
    (where ``::command::`` lines are workflow commands), nor send escape sequences to a
    terminal, nor reorder what a reader sees. Idempotent."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: _visible(m.group()), text)


# --- Markdown (GitHub Flavored) --------------------------------------------------------------------

# Backslash-escaped: what could open emphasis, a link, an image, strikethrough or a code span,
# and the pipe that splits a table cell (GFM splits at a pipe even inside a code span).
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*\[\]|~])")
_HTML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# GitHub pings @user and @org/team where the @ does not follow a letter or digit.
_MENTION = re.compile(r"(?<![0-9A-Za-z])@")
_NO_PING = "@\u200d"  # a zero-width joiner after the @: rendered the same, pings nobody


def _no_mentions(text: str) -> str:
    return _MENTION.sub(_NO_PING, text) if "@" in text else text


# An underscore inside a word (latency_ms) is literal in CommonMark; one at a word's edge may
# open or close emphasis (_0_), so only that one is escaped.
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


# What opens a block where a line starts (once the punctuation above is escaped): an ATX
# heading, a setext underline or thematic break of = or -, a bullet, an ordered-list marker.
# Its first punctuation character gets a backslash: "# x" -> "\\# x", "1. x" -> "1\\. x".
_BLOCK_START = re.compile(r"^(?:#{1,6}(?= |$)|=|-(?=[ -]|$)|\+(?= |$)|\d{1,9}(?=[.)](?: |$)))")


def _no_block_start(text: str) -> str:
    # Leading spaces open an indented code block (four) or indent a marker (up to three);
    # CommonMark drops them from a paragraph or cell anyway.
    text = text.lstrip(" ")
    found = _BLOCK_START.match(text)
    if found is None:
        return text
    at = found.end() if found.group()[0].isdigit() else 0
    return text[:at] + "\\" + text[at:]


# A heading drops a closing run of # after a space ("## x #" reads "x"): that one is escaped.
_CLOSING_HASHES = re.compile(r"(?<= )(?=#+ *$)")


def markdown_text(text: str) -> str:
    """``text`` as literal inline Markdown: one line that opens no block where it starts a
    line (no heading, quote, list, rule, code block, fence, table or HTML), safe in a
    paragraph, a list item, a heading or a table cell. It is ``markdown_cell`` with leading
    spaces dropped and the character that would open a block backslash-escaped."""
    return _CLOSING_HASHES.sub(r"\\", _no_block_start(markdown_cell(text)))


def markdown_cell(text: str) -> str:
    """``text`` as literal inline Markdown inside a GFM table cell, which no block syntax
    can open (a cell of ``-`` stays ``-``): one line, Markdown punctuation backslash-escaped,
    ``& < >`` as entities (so no raw HTML and no entity that decodes to a control), and
    ``@mentions`` that ping nobody. Anywhere else, use ``markdown_text``."""
    text = _MARKDOWN_PUNCTUATION.sub(r"\\\1", terminal(text))
    text = _EMPHASIS_UNDERSCORE.sub(r"\\_", text)
    text = re.sub("[&<>]", lambda m: _HTML_ENTITIES[m.group()], text)
    return _no_mentions(text)


def markdown_code(text: str) -> str:
    """``text`` as a Markdown code span: fenced by one more backtick than its longest run of
    backticks, padded with a space where it starts or ends with a backtick or a space (which
    CommonMark strips again; text of spaces only it keeps whole). Not for table cells: GFM
    splits a cell at ``|`` even inside a code span."""
    text = terminal(text)
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    if text.strip(" ") and (text[0] in "` " or text[-1] in "` "):
        text = f" {text} "
    return f"{fence}{text or ' '}{fence}"  # `` is no code span; ` ` is one


def html(text: str) -> str:
    """``text`` as HTML character data or an attribute value (``<summary>`` in Markdown):
    ``& < > " '`` as entities, one line, ``@mentions`` that ping nobody."""
    text = terminal(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _no_mentions(text.replace('"', "&quot;").replace("'", "&#x27;"))


# --- diagrams --------------------------------------------------------------------------------------

# Mermaid's entity codes (#name; or #decimal;) stand for what could end a quoted label, open a
# Markdown string or a directive, or start HTML; '#' itself is one, so "#quot;" stays literal.
_MERMAID = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "`": "#96;",
    "%": "#37;",
}
_MERMAID_SPECIAL = re.compile('[#"<>&`%]')


def mermaid_label(text: str) -> str:
    """``text`` inside a quoted Mermaid label (``["..."]``, ``|"..."|``): one line, and no
    character that ends the quotes, starts a ``%%{directive}%%`` or closes a Markdown fence."""
    return _MERMAID_SPECIAL.sub(lambda m: _MERMAID[m.group()], terminal(text))


def dot_string(*lines: str) -> str:
    """A quoted Graphviz DOT string of ``lines`` joined by DOT's ``\\n`` line break: each
    backslash and double quote escaped, so no text ends the string or reads as ``\\N``-style
    escapes, and control characters shown as ``terminal`` shows them."""
    escaped = (terminal(x).replace("\\", "\\\\").replace('"', '\\"') for x in lines)
    return '"' + "\\n".join(escaped) + '"'


# --- data and CI -----------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """``text`` as a CSV cell a spreadsheet shows as text: one line, and a leading
    ``'`` where it would start with ``= + - @`` (or a tab or carriage return) and be read as
    a formula. The ``csv`` module still does the quoting."""
    if text.startswith(_FORMULA_START):
        return "'" + terminal(text)
    return terminal(text)


def workflow_command_data(text: str) -> str:
    """``text`` as the message of a GitHub workflow command (``::error ...::MESSAGE``):
    ``%``, CR and LF percent-encoded as the runner decodes them, other controls shown."""
    return terminal(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def workflow_command_property(text: str) -> str:
    """``text`` as a property value of a workflow command (``file=...,title=...``): as
    ``workflow_command_data``, and ``:`` and ``,`` encoded so it cannot end the property."""
    return workflow_command_data(text).replace(":", "%3A").replace(",", "%2C")


_OUTPUT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,99}$")


def step_output(name: str, value: str) -> str:
    """``name=value`` as lines for the file ``$GITHUB_OUTPUT`` names: the multi-line form
    ``NAME<<DELIMITER``, with a random delimiter the value does not contain, so that no value
    (of any lines) can end itself early and set another output."""
    if not _OUTPUT_NAME.match(name):
        raise ValueError(f"not a step output name: {name!r}")
    delimiter = f"modelreg_{secrets.token_hex(16)}"
    while delimiter in value:  # pragma: no cover - 128 random bits
        delimiter = f"modelreg_{secrets.token_hex(16)}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"
