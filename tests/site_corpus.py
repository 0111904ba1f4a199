"""Registries for the site tests: the populated one, and one whose every author-controlled string
is hostile (script tags, quotes, ``</script>``, ``javascript:`` URLs, event handlers), and a
parser that lists what a page's markup would make a browser build."""

from __future__ import annotations

import os
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import yaml
from conftest import Reg, git

HOSTILE = [
    "<script>alert('desc')</script>",
    '"><img src=x onerror=alert(1)>',
    "</script><script>alert(2)</script>",
    "javascript:alert(3)",
    "' onmouseover='alert(4)",
    "<svg onload=alert(5)>",
    "]]><!-- --><iframe src=javascript:alert(6)>",
]
EVIL_DATASET = "<b>bad</b>javascript:alert('data')"
EVIL_DESCRIPTION = "\n".join(HOSTILE)
# endpoints of evil's deployments: none is a plain http(s) URL, so none may become a link
EVIL_ENDPOINTS = {
    "prod-eu": HOSTILE[3],
    "canary": 'https://evil.example/"><script>alert(8)</script>',
    "shadow": HOSTILE[1],
}


def build_hostile(reg: Reg) -> None:
    """Model ``evil`` (two versions, one in staging, deployed to three environments) and
    ``shady`` 1.0.0, every text hostile (environment names cannot be: the schema's pattern)."""
    reg.register(
        "shady",
        "1.0.0",
        owner=HOSTILE[1],
        description=EVIL_DESCRIPTION,
        metrics={"auc": 0.9},
        tags=[HOSTILE[0], HOSTILE[3]],
        data={"training": {"name": EVIL_DATASET, "version": HOSTILE[2]}},
        params={"p": HOSTILE[4]},
    )
    env = {**os.environ, "GIT_AUTHOR_NAME": "Eve \"' onclick=alert(7) & co", "GIT_AUTHOR_EMAIL": "eve@x"}
    reg.register(
        "evil",
        "1.0.0",
        description=HOSTILE[5],
        owner=HOSTILE[6],
        metrics={"auc": 0.8},
        data={"training": {"name": HOSTILE[3], "version": "1"}},
        parents=[{"ref": "shady@1.0.0", "relation": "distill"}],
        tags=[HOSTILE[2]],
    )
    reg.register(
        "evil",
        "1.1.0",
        description=HOSTILE[0],
        metrics={"auc": 0.85},
        parents=[{"ref": "evil@1.0.0", "relation": "retrain"}],
        framework={"name": HOSTILE[1], "version": HOSTILE[2]},
        code={"repo": HOSTILE[3], "commit": HOSTILE[0]},
    )
    manifest = reg.path / "models/evil/1.1.0.yaml"
    data = yaml.safe_load(manifest.read_text())
    data["evaluations"] = [
        {
            "dataset": {"name": HOSTILE[6], "version": HOSTILE[4]},
            "metrics": {"auc": 0.84},
            "created_at": "2026-11-01T10:00:00Z",
            "created_by": HOSTILE[2],
            "kind": "shadow",
            "note": HOSTILE[5],
        }
    ]
    manifest.write_text(yaml.safe_dump(data, sort_keys=False))
    git("add", "-A", cwd=reg.path)
    subprocess.run(
        ["git", "commit", "-q", "-m", f"evaluate evil@1.1.0 {HOSTILE[0]}"], cwd=reg.path, check=True, env=env
    )
    reg.write("models/evil/stages.yaml", "staging: [1.1.0]\n")
    git("add", "-A", cwd=reg.path)
    subprocess.run(
        ["git", "commit", "-q", "-m", f"Merge pull request #7 from {HOSTILE[1]}"],
        cwd=reg.path,
        check=True,
        env=env,
    )
    config = yaml.safe_load((reg.path / "registry.yaml").read_text())
    config["environments"] = {
        env_name: {"stage": "staging", "description": HOSTILE[i]} for i, env_name in enumerate(EVIL_ENDPOINTS)
    }
    reg.write("registry.yaml", yaml.safe_dump(config, sort_keys=False))
    deployed = {
        env_name: {"version": "1.1.0", "endpoint": url, "traffic": 50}
        for env_name, url in EVIL_ENDPOINTS.items()
    }
    reg.write("models/evil/deployments.yaml", yaml.safe_dump(deployed, sort_keys=False))
    git("add", "-A", cwd=reg.path)
    subprocess.run(
        ["git", "commit", "-q", "-m", f"Merge pull request #8 from {HOSTILE[6]}"],
        cwd=reg.path,
        check=True,
        env=env,
    )


ALLOWED_TAGS = {
    "html", "head", "meta", "title", "link", "script", "body", "header", "nav", "a", "span", "main",
    "footer", "p", "code", "h1", "h2", "h3", "div", "label", "input", "table", "caption", "thead",
    "tbody", "tr", "th", "td", "button", "time", "strong", "section", "dl", "dt", "dd", "br", "pre",
    "ul", "li", "figure", "figcaption", "svg", "defs", "marker", "path", "rect", "line", "text",
    "polyline", "circle", "g",
}  # fmt: skip


class Markup(HTMLParser):
    """The elements and attributes a page's markup makes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_text.append(data)


def markup(page: Path) -> Markup:
    parser = Markup()
    parser.feed(page.read_text(encoding="utf-8"))
    parser.close()
    return parser


def injected(page: Path) -> list[str]:
    """What in ``page`` a hostile string could have made: an unexpected element, an event
    handler, a javascript: URL, inline script."""
    found = []
    parsed = markup(page)
    for tag, attrs in parsed.elements:
        if tag not in ALLOWED_TAGS:
            found.append(f"element <{tag}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"<{tag} {name}>")
            if name in {"href", "src", "action", "formaction"} and value.strip().lower().startswith(
                ("javascript:", "data:", "vbscript:")
            ):
                found.append(f"<{tag} {name}={value}>")
        if tag == "script" and not attrs.get("src", "").endswith("assets/site.js"):
            found.append(f"script {attrs}")
    found += [f"inline script {t!r}" for t in parsed.script_text]
    return found
