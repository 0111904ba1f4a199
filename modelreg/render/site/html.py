"""The pieces every page is made of: the page shell with its Content-Security-Policy, links
that stay stable (``BASE/models/NAME/VERSION/``), dates, stage badges and tables.

Every string from the registry goes through ``escape.html`` (the one HTML escaper) before it
lands in a page; a URL is built from checked names, or else is an http(s) URL given by the
person building the site. No page carries inline script or style: the CSP forbids both.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import lru_cache

from modelreg.domain import escape

# The one HTML escaper, remembered: a site of 20,000 pages escapes the same stage names,
# versions, authors and headings millions of times.
e = lru_cache(maxsize=1 << 16)(escape.html)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'none'"
)
_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")
# a URL from the registry (a deployment's endpoint) made a link: http(s), a host, nothing that
# would need escaping or could end the attribute (it is escaped all the same)
_LINKABLE = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%+/=?&#:@!$,;*()-]*)?$")


@dataclass(frozen=True)
class SiteContext:
    """What every page needs besides its data: where the site lives and what it was built from."""

    # "/", "/project/" or "https://host/path/" (ends with "/"); "" for links relative to each
    # page, naming index.html, so the site also works opened as a file
    base_url: str
    registry: str  # the registry's name (registry.yaml)
    commit: str  # the commit the site shows
    repo_url: str | None = None  # the repository's web page (https://github.com/OWNER/NAME)
    here: str = ""  # the folder of the page being written ("models/NAME/"), for relative links

    def url(self, path: str = "") -> str:
        if self.base_url:
            return self.base_url + path
        up = "../" * self.here.count("/")
        return up + (path + "index.html" if path == "" or path.endswith("/") else path)

    def at(self, here: str) -> SiteContext:
        """This context for the page in folder ``here``."""
        return replace(self, here=here)

    def model_url(self, name: str) -> str:
        return self.url(model_path(name))

    def version_url(self, name: str, version: str) -> str:
        return self.url(version_path(name, version))

    def ref_url(self, ref: str) -> str:
        name, _, version = ref.partition("@")
        return self.version_url(name, version)

    def dataset_url(self, name: str) -> str:
        return self.url(dataset_path(name))

    def pr_link(self, pr: int | None, sha: str) -> str:
        """A link to the pull request a change came through, else to its commit."""
        if pr is not None:
            label = f"#{pr}"
            href = f"{self.repo_url}/pull/{pr}" if self.repo_url else None
        else:
            label = sha[:8]
            href = f"{self.repo_url}/commit/{sha}" if self.repo_url else None
        return f'<a href="{e(href)}">{e(label)}</a>' if href else f"<code>{e(label)}</code>"


def model_path(name: str) -> str:
    return f"models/{name}/"


def version_path(name: str, version: str) -> str:
    return f"models/{name}/{version}/"


def dataset_path(name: str) -> str:
    """A folder for dataset ``name`` whatever it holds: a readable slug and a hash of the name."""
    slug = _SLUG_UNSAFE.sub("-", name.lower()).strip("-")[:60] or "dataset"
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"datasets/{slug}-{digest}/"


def page(site: SiteContext, *, title: str, crumbs: list[tuple[str, str]], body: str) -> str:
    """A whole HTML page: ``crumbs`` are (url, text) pairs leading to it; ``body`` is HTML."""
    trail = "".join(f' <span aria-hidden="true">/</span> <a href="{e(u)}">{e(t)}</a>' for u, t in crumbs)
    built = f"commit <code>{e(site.commit[:12])}</code>"
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        f"<title>{e(title)} · {e(site.registry)}</title>\n"
        f'<link rel="icon" href="{e(site.url("assets/favicon.svg"))}" type="image/svg+xml">\n'
        f'<link rel="stylesheet" href="{e(site.url("assets/site.css"))}">\n'
        f'<script src="{e(site.url("assets/site.js"))}" defer></script>\n'
        "</head>\n<body>\n"
        f'<header><nav aria-label="Breadcrumb"><a href="{e(site.url())}">{e(site.registry)}</a>'
        f"{trail}</nav></header>\n"
        f'<main id="main">\n{body}\n</main>\n'
        f"<footer><p>Built by modelreg from {built}.</p></footer>\n"
        "</body>\n</html>\n"
    )


def outside_link(url: str) -> str:
    """A URL given in the registry: a link when it is a plain http(s) URL, else text."""
    if _LINKABLE.match(url):
        return f'<a href="{e(url)}" rel="nofollow noopener">{e(url)}</a>'
    return f"<code>{e(url)}</code>"


def paragraphs(text: str) -> str:
    """Free text (a description) as paragraphs, each line escaped."""
    blocks = [b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    return "".join("<p>" + "<br>".join(e(line) for line in b.splitlines()) + "</p>" for b in blocks)


def when(moment: datetime | str | None) -> str:
    """A ``<time>`` in UTC, minutes shown; sortable by its ``datetime`` attribute."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f'<time datetime="{stamp}">{stamp[:10]} {stamp[11:16]}</time>'


def badge(stage: str) -> str:
    known = stage if stage in {"production", "staging", "development", "deprecated", "archived"} else "other"
    return f'<span class="badge stage-{known}">{e(stage)}</span>'


def stage_badges(stages: dict[str, list[str]], name: str, site: SiteContext) -> str:
    """Each stage's holders: a badge and links to the versions."""
    parts = []
    for stage, versions in stages.items():
        links = ", ".join(f'<a href="{e(site.version_url(name, v))}">{e(v)}</a>' for v in versions)
        parts.append(f'<span class="holder">{badge(stage)} {links}</span>')
    return " ".join(parts)


def table(
    headers: list[str],
    rows: Iterable[list[str]],
    *,
    caption: str,
    table_id: str | None = None,
    sortable: bool = True,
    numeric: Iterable[int] = (),
) -> str:
    """A table whose cells are HTML already; ``sortable`` headers sort with site.js."""
    right = set(numeric)
    head = []
    for i, header in enumerate(headers):
        label = f'<button type="button" data-sort-col="{i}">{e(header)}</button>' if sortable else e(header)
        cls = ' class="num"' if i in right else ""
        head.append(f'<th scope="col"{cls}' + (' aria-sort="none"' if sortable else "") + f">{label}</th>")
    body = []
    for row in rows:
        cells = "".join(
            (f'<td class="num">{c}</td>' if i in right else f"<td>{c}</td>") for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    attrs = f' id="{table_id}"' if table_id else ""
    attrs += ' class="sortable"' if sortable else ""
    return (
        f'<div class="table-wrap"><table{attrs}><caption>{e(caption)}</caption>'
        f"<thead><tr>{''.join(head)}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table></div>"
    )


def number(value: float | int | str | bool | None) -> str:
    """A metric or param value as text: up to 6 significant digits for floats."""
    if isinstance(value, bool) or value is None:
        return e(str(value).lower() if value is not None else "")
    if isinstance(value, float):
        return e(f"{value:.6g}")
    return e(str(value))


def sort_value(text: str, value: float | str) -> str:
    """A cell whose sort key differs from its text (numbers, dates)."""
    return f'<span data-sort-value="{e(str(value))}">{text}</span>'


def size(nbytes: int) -> str:
    step = 1024.0
    amount = float(nbytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if amount < step or unit == "TiB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= step
    return f"{nbytes} B"  # not reached


def fmt_utc(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")
