"""``modelreg site``: write the registry's static site into a folder, rebuilding only what changed.

The folder keeps a build manifest (``.modelreg-site.json``): the commit shown, a key of what
every page depends on besides its model (the code, registry.yaml, the URLs), and for each
model the Git id of its folder ``models/NAME`` with the rows the index and the dataset pages
show of it. A later build renders again only the models whose folder id changed (and those
a changed model names as a parent: their pages list it as a child), then the index and the
pages of the datasets those models use, from the kept rows. Models named by the commits since the
last build (the history cache knows them) are rendered again too: a change and its revert
leave a folder's id as it was, not its history. The manifest is written last: a build that
stops part-way leaves the next one to redo what it had not finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from modelreg import store
from modelreg.adapters import git, github
from modelreg.domain.errors import InvalidInputError
from modelreg.domain.layout import MODELS_DIR, REGISTRY_FILE
from modelreg.history import records as history_records
from modelreg.queries.site import SiteSource
from modelreg.render.site import pages
from modelreg.render.site.html import SiteContext, dataset_path

MANIFEST = ".modelreg-site.json"
FORMAT = 1
ALL_EVENTS_FROM = 8  # from this many models to render, read all manifests and the audit trail at once

_BASE_URL = re.compile(r"^(/|https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/)([A-Za-z0-9._~%+-]+/)*$")
_WEB_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%+-]+)*$")

Progress = Callable[[str], None]


class SiteBuild(BaseModel):
    """What one build did."""

    output: str
    commit: str
    base_url: str
    full: bool  # every model rendered (a first build, or something every page shows changed)
    models: int
    rendered: list[str]  # the models rendered by this build
    removed: list[str]  # models whose pages were removed (no longer in the registry)
    pages_written: int
    datasets: int
    largest_page: str | None = None
    largest_page_bytes: int = 0


def checked_base_url(text: str) -> str:
    """``/``, ``/path/`` or ``https://host/path/`` (a trailing slash is added)."""
    url = text if text.endswith("/") else text + "/"
    if not _BASE_URL.match(url) or "//" in url.split("://", 1)[-1]:
        raise InvalidInputError(
            f"invalid --base-url {text!r}: give the path the site is served under, such as / or "
            "/models-registry/ (or an http(s) URL), letters, digits and . _ ~ % + - only"
        )
    return url


def checked_repo_url(text: str) -> str:
    url = text.rstrip("/")
    if not _WEB_URL.match(url):
        raise InvalidInputError(
            f"invalid --repo-url {text!r}: give the repository's web address, such as "
            "https://github.com/acme/models"
        )
    return url


def origin_web_url(top: Path) -> str | None:
    """The web page of the ``origin`` remote when it is on GitHub (or GitHub Enterprise)."""
    remote = git.remote_url(top, "origin")
    found = github.parse_remote_url(remote) if remote else None
    if found is None:
        return None
    url = f"https://{found.host}/{found.owner}/{found.name}"
    return url if _WEB_URL.match(url) else None


def build_site(
    path: str | Path,
    output: str | Path,
    *,
    rev: str = "HEAD",
    base_url: str | None = None,
    repo_url: str | None = None,
    full: bool = False,
    progress: Progress | None = None,
) -> SiteBuild:
    """Write the site of the registry at ``path`` as of ``rev`` into ``output``."""
    top = git.root(path)
    base = checked_base_url(base_url) if base_url is not None else ""  # "": relative links
    web = checked_repo_url(repo_url) if repo_url else origin_web_url(top)
    commit = git.resolve(top, rev)
    out = Path(output).resolve()
    kept = _read_manifest(out)
    source = SiteSource(top, rev=commit)
    site = SiteContext(base_url=base, registry=source.config.name, commit=commit, repo_url=web)
    trees = git.subtree_ids(top, commit, MODELS_DIR)
    names = [n for n in source.model_names() if n in trees]
    key = _site_key(top, commit, base, web)
    old: dict[str, Any] = kept["models"] if kept and kept.get("key") == key and not full else {}
    everything = not old
    entries: dict[str, Any] = {n: old[n] for n in names if n in old and old[n].get("tree") == trees[n]}
    for name in _touched_since(top, kept["commit"], commit) if old and kept else set():
        entries.pop(name, None)  # its history moved on (a change and its revert leave the tree as it was)
    queue = [n for n in names if n not in entries]
    parents_of_changed = {p for n in queue for p in old.get(n, {}).get("parents", [])}
    queue += sorted(p for p in parents_of_changed if p in entries)
    if len(queue) >= ALL_EVENTS_FROM:
        source.load_all_events()
        source.load_all_manifests()
    written = 0
    largest = ("", 0)
    rendered: list[str] = []
    touched: set[str] = {u["dataset"] for n in queue for u in old.get(n, {}).get("uses", [])}
    say = progress or (lambda _: None)
    while queue:
        name = queue.pop(0)
        if name in rendered:
            continue
        view = source.model_view(name)
        parents = sorted(view.parent_models())
        for parent in parents:  # its version pages list this model's versions as children
            if parent in entries and parent not in rendered and parent not in queue:
                queue.append(parent)
        current = set()
        for rel, text in pages.model_pages(view, site):
            size = _write(out, rel, text)
            written += 1
            current.add(rel.split("/")[2] if rel.count("/") == 3 else "")
            if size > largest[1]:
                largest = (rel, size)
        _prune_versions(out / MODELS_DIR / name, current)
        uses = pages.dataset_uses(view)
        touched.update(u["dataset"] for u in uses)
        entries[name] = {"tree": trees[name], "row": pages.index_row(view), "uses": uses, "parents": parents}
        rendered.append(name)
        if len(rendered) % 100 == 0:
            say(f"{len(rendered)} models rendered")
    removed = sorted(set(kept["models"]) - set(names)) if kept else []
    for name in removed:
        shutil.rmtree(out / MODELS_DIR / name, ignore_errors=True)
    index = pages.index_page([entries[n]["row"] for n in names], site)
    largest = max(largest, ("index.html", _write(out, "index.html", index)), key=lambda x: x[1])
    written += 1
    datasets = _datasets(entries, names)
    for dataset in sorted(datasets if everything else touched):
        if dataset in datasets:
            rel, text = pages.dataset_page(dataset, datasets[dataset], site)
            largest = max(largest, (rel, _write(out, rel, text)), key=lambda x: x[1])
            written += 1
        else:
            shutil.rmtree(out / dataset_path(dataset), ignore_errors=True)
    for rel, data in pages.assets().items():
        _write_bytes(out, rel, data)
    _write_manifest(out, {"format": FORMAT, "key": key, "commit": commit, "models": entries})
    return SiteBuild(
        output=str(out),
        commit=commit,
        base_url=base,
        full=everything,
        models=len(names),
        rendered=rendered,
        removed=removed,
        pages_written=written,
        datasets=len(datasets),
        largest_page=largest[0] or None,
        largest_page_bytes=largest[1],
    )


def _touched_since(top: Path, built: Any, commit: str) -> set[str]:
    """The models named by the commits after ``built`` up to ``commit`` when ``commit`` is HEAD
    and ``built`` is on its first-parent chain (from the history cache: cheap); else none."""
    if not isinstance(built, str) or built == commit or git.head_commit(top) != commit:
        return set()
    found = history_records.records_since(top, built)
    return {c.model for r in found or [] for c in r.changes if c.model is not None}


def _site_key(top: Path, commit: str, base: str, web: str | None) -> str:
    """What every page shows besides its own model: the code, the policy, the URLs."""
    policy = git.tree_ids(top, commit, [REGISTRY_FILE])[0]
    digest = hashlib.sha256()
    for part in (str(FORMAT), store.code_stamp(), policy, base, web or ""):
        digest.update(part.encode() + b"\0")
    for rel, data in sorted(pages.assets().items()):
        digest.update(rel.encode() + b"\0" + data)
    return digest.hexdigest()


def _datasets(entries: dict[str, Any], names: list[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        for use in entries[name]["uses"]:
            found.setdefault(use["dataset"], []).append(use)
    return found


def _read_manifest(out: Path) -> dict[str, Any] | None:
    """The kept manifest; refuses a folder that holds other things (it would be overwritten)."""
    if not out.exists():
        return None
    if not out.is_dir():
        raise InvalidInputError(f"{out} is a file: give a folder for the site")
    file = out / MANIFEST
    if not file.is_file():
        if any(out.iterdir()):
            raise InvalidInputError(
                f"{out} is not empty and holds no site modelreg wrote ({MANIFEST}): "
                "choose an empty or new folder"
            )
        return None
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None  # unreadable: build everything again
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("models"), dict):
        return None
    return data


def _write_manifest(out: Path, data: dict[str, Any]) -> None:
    temporary = out / (MANIFEST + ".tmp")
    temporary.write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, out / MANIFEST)


def _write(out: Path, rel: str, text: str) -> int:
    data = text.encode("utf-8", "surrogateescape")
    _write_bytes(out, rel, data)
    return len(data)


def _write_bytes(out: Path, rel: str, data: bytes) -> None:
    target = out / rel
    try:
        target.write_bytes(data)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _prune_versions(folder: Path, current: set[str]) -> None:
    """Remove the pages of versions that are no longer in the registry."""
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.is_dir() and entry.name not in current:
            shutil.rmtree(entry)
