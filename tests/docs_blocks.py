"""The documentation's code blocks, read as the test of docs/ runs them.

The convention (docs/reference/development.md, "Examples in these pages"):
- a block fenced ```bash or ```python runs; the blocks of a page run in order, each in a fresh
  process whose folder is the page's registry; every other fence (console, text, yaml...) is
  shown only;
- a page starts from the registry the getting-started tour leaves; `<!-- docs-test:
  start=empty -->` starts it from an empty Git repository whose `origin` is a bare one;
- `<!-- docs-test: forge merge BRANCH -->` is what a forge does there: it merges the pull
  request of BRANCH into origin's main;
- `<!-- docs-test: skip REASON -->` before a runnable block shows it without running it, for
  what needs a service this machine lacks (a GitHub token, an S3 bucket, an MLflow server).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

RUNNABLE = {"bash": "bash", "python": "python"}
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[^\n`]*$")
MARKER = re.compile(r"<!-- docs-test: (?P<what>[^>]*?) -->")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    lang: str
    code: str
    skip: str | None = None

    @property
    def where(self) -> str:
        return f"{self.page.as_posix()}:{self.line}"


@dataclass(frozen=True)
class Merge:
    branch: str


@dataclass(frozen=True)
class Page:
    path: Path
    start: str  # "tour" or "empty"
    steps: tuple[Block | Merge, ...]

    @property
    def runnable(self) -> list[Block]:
        return [s for s in self.steps if isinstance(s, Block) and s.lang in RUNNABLE and not s.skip]


def read_page(path: Path, root: Path) -> Page:
    lines = path.read_text().splitlines()
    steps: list[Block | Merge] = []
    start, skip, at = "tour", None, 0
    while at < len(lines):
        for marker in MARKER.finditer(lines[at]):
            what = marker["what"].strip()
            if what == "start=empty":
                start = "empty"
            elif what.startswith("forge merge "):
                steps.append(Merge(what.removeprefix("forge merge ").strip()))
            elif what.startswith("skip"):
                skip = what.removeprefix("skip").strip() or "?"
            else:
                raise ValueError(f"{path}:{at + 1}: unknown docs-test marker {what!r}")
        fence = FENCE.match(lines[at])
        if not fence:
            at += 1
            continue
        indent, body, opened = fence["indent"], [], at
        at += 1
        while at < len(lines) and lines[at].strip() != "```":
            body.append(lines[at][len(indent) :] if lines[at].startswith(indent) else lines[at].lstrip())
            at += 1
        rel = path.relative_to(root)
        steps.append(Block(rel, opened + 1, fence["lang"], "\n".join(body) + "\n", skip))
        skip, at = None, at + 1
    return Page(path.relative_to(root), start, tuple(steps))


def pages(root: Path) -> list[Page]:
    return [read_page(p, root) for p in sorted((root / "docs").rglob("*.md"))]
