"""The site's pages: the index, a model's page, a version's page (its model card) and a
dataset's page. Each takes plain data and returns HTML; rows kept between builds
(``index_row``, ``dataset_uses``) are JSON-able dicts, so an incremental build renders the
index and the dataset pages without reading the models it does not rebuild."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

from modelreg.documents.signature import describe, fields
from modelreg.domain import semver
from modelreg.domain.models import Dataset, ModelVersion
from modelreg.history.approval import AuditRecord, approval_names, name_of
from modelreg.history.engine import Event
from modelreg.queries.deployments import Running
from modelreg.queries.site import ModelView
from modelreg.render.common import count
from modelreg.render.site import svg
from modelreg.render.site.html import (
    SiteContext,
    badge,
    dataset_path,
    e,
    fmt_utc,
    model_path,
    number,
    outside_link,
    page,
    paragraphs,
    size,
    sort_value,
    stage_badges,
    table,
    version_path,
    when,
)

ASSETS = ("site.css", "site.js", "favicon.svg", "LICENSE-NOTE.txt")
PRODUCTION = "production"
MAX_METRIC_COLUMNS = 8


def assets() -> dict[str, bytes]:
    """The site's own files, as shipped in the package: path under the site -> bytes."""
    folder = resources.files("modelreg.render.site") / "assets"
    return {f"assets/{name}": (folder / name).read_bytes() for name in ASSETS}


# --- rows kept between builds ----------------------------------------------------------------


def index_row(view: ModelView) -> dict[str, Any]:
    """What the index shows of a model."""
    summary = view.summary
    initial = view.config.initial_stage
    last = view.events[-1] if view.events else None
    return {
        "name": summary.name,
        "description": summary.description,
        "owner": summary.owner or "",
        "stages": {s: list(reversed(v)) for s, v in summary.stages.items() if s != initial},
        "latest": summary.latest or "",
        "versions": len(summary.versions),
        "last": _change(last) if last else None,
        "deployed": {d.environment: d.version for d in view.deployments},
    }


def _change(event: Event) -> dict[str, Any]:
    what = event.kind.replace("_", " ")
    if event.kind == "stage_changed":
        what = f"{event.version}: {event.from_stage} → {event.to_stage}"
    elif event.version:
        what = f"{event.version} {what}"
    commit = event.commit
    return {
        "who": name_of(commit.audit.requested_by),
        "when": commit.commit_date.isoformat(),
        "pr": commit.audit.pr,
        "sha": commit.sha,
        "what": what,
    }


def dataset_uses(view: ModelView) -> list[dict[str, Any]]:
    """Every use of a dataset by this model's versions: trained (by role) or evaluated."""
    found = []
    for v in view.versions:
        m = v.manifest
        uses: list[tuple[str, Dataset, dict[str, float]]] = [(role, ds, {}) for role, ds in m.data.items()]
        uses += [("evaluation", ev.dataset, ev.metrics) for ev in m.evaluations]
        for role, ds, metrics in uses:
            found.append(
                {
                    "dataset": ds.name,
                    "dv": ds.version or (ds.md5[:12] if ds.md5 else ""),
                    "model": v.name,
                    "version": v.version,
                    "stage": v.stage,
                    "role": role,
                    "metrics": dict(metrics),
                }
            )
    return found


# --- the index -------------------------------------------------------------------------------


def index_page(rows: list[dict[str, Any]], site: SiteContext) -> str:
    body = [
        f"<h1>{e(site.registry)}</h1>",
        f"<p>{count(len(rows), 'model')}, {count(sum(r['versions'] for r in rows), 'version')}.</p>",
        '<div class="filter"><label for="filter">Filter models</label> '
        '<input id="filter" type="search" data-filter-table="models" autocomplete="off" '
        'placeholder="name, owner, stage, version…"> '
        '<span id="filter-status" role="status" aria-live="polite"></span></div>',
    ]
    table_rows = []
    for row in rows:
        last = row["last"]
        change = ""
        if last:
            change = (
                f"{when(last['when'])} {e(last['who'])} · {e(last['what'])} · "
                f"{site.pr_link(last['pr'], last['sha'])}"
            )
            change = sort_value(change, last["when"])
        latest = row["latest"]
        deployed = _runs_in_cell(row["name"], row.get("deployed", {}), site)
        table_rows.append(
            [
                f'<a href="{e(site.model_url(row["name"]))}">{e(row["name"])}</a>'
                + (f'<div class="muted">{e(row["description"])}</div>' if row["description"] else ""),
                stage_badges(row["stages"], row["name"], site),
                deployed,
                e(row["owner"]),
                f'<a href="{e(site.version_url(row["name"], latest))}">{e(latest)}</a>' if latest else "",
                sort_value(str(row["versions"]), row["versions"]),
                change,
            ]
        )
    body.append(
        table(
            ["Model", "Stage holders", "Runs in", "Owner", "Latest", "Versions", "Last change"],
            table_rows,
            caption="Models (click a column to sort)",
            table_id="models",
            numeric=[5],
        )
    )
    return page(site, title="Models", crumbs=[], body="\n".join(body))


def _runs_in_cell(name: str, deployed: dict[str, str], site: SiteContext) -> str:
    """Environments by the version they run, one link per version (the index stays small)."""
    by_version: dict[str, list[str]] = {}
    for env, version in deployed.items():
        by_version.setdefault(version, []).append(env)
    return " ".join(
        f'<span class="holder"><span class="env">{e(" ".join(envs))}</span> '
        f'<a href="{e(site.version_url(name, v))}">{e(v)}</a></span>'
        for v, envs in by_version.items()
    )


# --- a model ---------------------------------------------------------------------------------


def model_pages(view: ModelView, site: SiteContext) -> Iterator[tuple[str, str]]:
    """(path, HTML) of the model's page and of each of its versions' pages."""
    yield model_path(view.name) + "index.html", model_page(view, site.at(model_path(view.name)))
    history = _events_by_version(view.events)
    for version in view.versions:
        folder = version_path(view.name, version.version)
        yield (
            folder + "index.html",
            version_page(view, version, history.get(version.version, []), site.at(folder)),
        )


def _events_by_version(events: list[Event]) -> dict[str, list[Event]]:
    found: dict[str, list[Event]] = {}
    for event in events:
        if event.version:
            found.setdefault(event.version, []).append(event)
    return found


def model_page(view: ModelView, site: SiteContext) -> str:
    s = view.summary
    initial = view.config.initial_stage
    holders = {st: list(reversed(v)) for st, v in s.stages.items() if st != initial}
    facts = [f"<h1>{e(s.name)}</h1>", paragraphs(s.description)]
    meta = []
    if s.owner:
        meta.append(f"<dt>Owner</dt><dd>{e(s.owner)}</dd>")
    if s.tags:
        meta.append(f"<dt>Tags</dt><dd>{_tags(s.tags)}</dd>")
    meta.append(f"<dt>Stage holders</dt><dd>{stage_badges(holders, s.name, site) or 'none'}</dd>")
    facts.append(f'<dl class="facts">{"".join(meta)}</dl>')
    sections = [
        "\n".join(facts),
        _section("versions", "Versions", _versions_table(view, site)),
        _section("deployments", "Deployments", _deployments(view, site)),
        _section("charts", "Metrics over versions", _charts(view, site)),
        _section("timeline", "Stage timeline", _timeline(view, site)),
        _section("lineage", "Lineage", _lineage(view, site)),
    ]
    return page(site, title=s.name, crumbs=[(site.model_url(s.name), s.name)], body="\n".join(sections))


def _section(anchor: str, title: str, content: str) -> str:
    return f'<section aria-labelledby="h-{anchor}"><h2 id="h-{anchor}">{e(title)}</h2>\n{content}\n</section>'


def _tags(tags: list[str]) -> str:
    return " ".join(f'<span class="tag">{e(t)}</span>' for t in tags)


def _metric_names(view: ModelView) -> list[str]:
    seen: dict[str, None] = {}
    for v in view.versions:
        for key in v.manifest.metrics:
            seen.setdefault(key, None)
    goals = list(view.config.metrics)
    return sorted(seen, key=lambda k: (goals.index(k) if k in goals else len(goals), k))


def _versions_table(view: ModelView, site: SiteContext) -> str:
    if not view.versions:
        return "<p>No versions yet.</p>"
    metrics = _metric_names(view)[:MAX_METRIC_COLUMNS]
    rows = []
    for order, v in reversed(list(enumerate(view.versions))):  # semver precedence, newest first
        m = v.manifest
        rows.append(
            [
                sort_value(f'<a href="{e(site.version_url(v.name, v.version))}">{e(v.version)}</a>', order),
                badge(v.stage),
                when(m.created_at),
                e(m.created_by),
                *(sort_value(number(m.metrics[k]), m.metrics[k]) if k in m.metrics else "" for k in metrics),
                _tags(m.tags),
            ]
        )
    headers = ["Version", "Stage", "Created", "By", *metrics, "Tags"]
    return table(
        headers,
        rows,
        caption=f"{count(len(view.versions), 'version')}, newest first",
        table_id="versions",
        numeric=range(4, 4 + len(metrics)),
    )


def _since(d: Running, site: SiteContext) -> tuple[str, str]:
    """When and through which pull request (else commit) ``d`` took its version."""
    if d.since is None or d.commit is None:
        return "(not committed)", ""
    return when(d.since), site.pr_link(d.pr, d.commit)


def _deployments(view: ModelView, site: SiteContext) -> str:
    """Each environment: what it runs, where, how much traffic, since when, and the stage it
    requires (registry.yaml); an environment running nothing of this model says so."""
    environments = view.config.environments
    running = {d.environment: d for d in view.deployments}
    if not environments and not running:
        return "<p>No environment is declared (registry.yaml <code>environments:</code>).</p>"
    rows = []
    for env in sorted(set(environments) | set(running)):
        policy = environments.get(env)
        required = " ".join(badge(stage) for stage in policy.stages) if policy else "(not declared)"
        name = e(env) + (
            f'<div class="muted">{e(policy.description)}</div>' if policy and policy.description else ""
        )
        d = running.get(env)
        if d is None:
            rows.append([name, '<span class="muted">nothing</span>', "", "", "", "", "", "", required])
            continue
        since, via = _since(d, site)
        rows.append(
            [
                name,
                f'<a href="{e(site.version_url(view.name, d.version))}">{e(d.version)}</a> {badge(d.stage)}',
                outside_link(d.endpoint) if d.endpoint else "",
                sort_value(e(f"{d.traffic:g}%"), d.traffic) if d.traffic is not None else "",
                since,
                e(name_of(d.requested_by)) if d.requested_by else "",
                e(approval_names(AuditRecord(d.requested_by or "", d.approved_by, d.reviewers))),
                via,
                required,
            ]
        )
    return table(
        [
            "Environment",
            "Version",
            "Endpoint",
            "Traffic",
            "Since",
            "Requested by",
            "Approved by",
            "Via",
            "Requires stage",
        ],
        rows,
        caption="Where this model's versions run (the answer of modelreg deployments)",
        table_id="deployments",
        numeric=[3],
    )


def _charts(view: ModelView, site: SiteContext) -> str:
    names = _metric_names(view)
    if not names:
        return "<p>No version records a metric.</p>"
    stays = view.tenures.get(PRODUCTION, [])
    bands = []
    for stay in stays:
        until = fmt_utc(stay.until) if stay.until else "now"
        via = f"PR #{stay.pr}" if stay.pr else f"commit {stay.entered.short}"
        title = f"{stay.version} in production from {fmt_utc(stay.since)} to {until} ({via})"
        bands.append(svg.Band(stay.version, title, stay.current))
    charts = []
    for i, metric in enumerate(names):
        points = [
            svg.Point(v.version, v.manifest.metrics[metric], v.stage, site.version_url(v.name, v.version))
            for v in view.versions
            if metric in v.manifest.metrics
        ]
        chart = svg.Chart(
            metric=metric,
            goal=view.config.metrics.get(metric),
            points=points,
            bounds=_bounds(view, metric),
            bands=bands,
        )
        goal = f" ({chart.goal})" if chart.goal else ""
        caption = f"<figcaption><strong>{e(metric)}</strong>{e(goal)}</figcaption>"
        charts.append(
            f'<figure class="chart-box">{caption}{svg.metric_chart(chart, chart_id=f"chart-{i}")}</figure>'
        )
    legend = (
        '<p class="legend"><span class="key key-requirement"></span> stage requirement '
        '<span class="key key-tenure"></span> held production '
        '<span class="key key-holder"></span> production holder now</p>'
    )
    return legend + "\n".join(charts)


def _bounds(view: ModelView, metric: str) -> list[svg.Bound]:
    found = []
    for stage, policy in view.config.stages.items():
        bound = policy.requires.metrics.get(metric)
        if bound is None:
            continue
        if bound.min is not None:
            found.append(svg.Bound(f"{stage} requires {metric} ≥ {bound.min:g}", bound.min))
        if bound.max is not None:
            found.append(svg.Bound(f"{stage} requires {metric} ≤ {bound.max:g}", bound.max))
    return found


def _timeline(view: ModelView, site: SiteContext) -> str:
    stays = [t for held in view.tenures.values() for t in held]
    if not stays:
        return "<p>No version has left the initial stage.</p>"
    stays.sort(key=lambda t: t.since, reverse=True)
    rows = []
    for t in stays:
        left = ""
        if t.left is not None:
            left = f"→ {e(t.left_to or '')} {site.pr_link(t.left.pr, t.left.sha)}"
        rows.append(
            [
                badge(t.stage),
                f'<a href="{e(site.version_url(view.name, t.version))}">{e(t.version)}</a>',
                when(t.since),
                when(t.until) if t.until else "<strong>now</strong>",
                e(name_of(t.entered.audit.requested_by)),
                e(approval_names(t.entered.audit)),
                site.pr_link(t.entered.audit.pr, t.entered.sha),
                left,
            ]
        )
    return table(
        ["Stage", "Version", "From", "Until", "Requested by", "Approved by", "Entered via", "Left via"],
        rows,
        caption="Who held which stage when, newest first",
        table_id="timeline",
    )


def _lineage(view: ModelView, site: SiteContext) -> str:
    if not view.versions:
        return "<p>No versions yet.</p>"
    nodes: list[svg.Node] = []
    edges: list[svg.Edge] = []
    known = {v.ref for v in view.versions}
    external: dict[str, None] = {}
    for v in view.versions:
        for parent in v.manifest.lineage.parents:
            edges.append(svg.Edge(parent.ref, v.ref, parent.relation))
            if parent.ref not in known:
                external.setdefault(parent.ref, None)
    for ref in external:
        nodes.append(svg.Node(ref, ref, None, site.ref_url(ref), external=True))
    for v in view.versions:
        nodes.append(svg.Node(v.ref, v.version, v.stage, site.version_url(v.name, v.version)))
    drawing = svg.lineage_graph(
        nodes, edges, title=f"Lineage of {view.name}: {count(len(view.versions), 'version')}"
    )
    note = (
        '<p class="legend">Boxes are versions (coloured by stage); '
        "a dashed box is a parent from another model.</p>"
    )
    return f'{note}<div class="scroll" tabindex="0" role="region" aria-label="Lineage graph">{drawing}</div>'


# --- a version (the model card) ----------------------------------------------------------------


def version_page(view: ModelView, v: ModelVersion, history: list[Event], site: SiteContext) -> str:
    m = v.manifest
    card = [
        f"<h1>{e(v.name)} <span class='version'>{e(v.version)}</span> {badge(v.stage)}</h1>",
        paragraphs(m.description),
        _card_facts(v, site),
    ]
    sections = [
        "\n".join(card),
        _section("artifacts", "Artifacts", _artifacts(v, site)),
        *([_signature(v)] if m.signature is not None else []),
        _section("metrics", "Metrics and parameters", _metrics(v)),
        _section("data", "Data", _data(v, site)),
        _section("lineage", "Parents and children", _relatives(view, v, site)),
        _section("runs-in", "Runs in", _runs_in(view, v, site)),
        _section("evaluations", "Evaluations", _evaluations(v, site)),
        _section("history", "History", _history(history, site)),
    ]
    extra = {
        "intended-use": m.intended_use or None,
        "limitations": m.limitations or None,
        "dependencies": m.dependencies or None,
        "code": m.code.model_dump(mode="json", exclude_none=True) if m.code else None,
        "run": m.run.model_dump(mode="json", exclude_none=True) if m.run else None,
        "custom": m.custom or None,
    }
    for key, value in extra.items():
        if value:
            text = (
                value
                if isinstance(value, str)
                else json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
            )
            title = key.replace("-", " ").capitalize()
            sections.append(_section(key, title, f"<pre>{_pre(text)}</pre>"))
    crumbs = [(site.model_url(v.name), v.name), (site.version_url(v.name, v.version), v.version)]
    return page(site, title=v.ref, crumbs=crumbs, body="\n".join(sections))


def _signature(v: ModelVersion) -> str:
    """The inputs and outputs as a table: side, name, type (with the shape of a tensor)."""
    assert v.manifest.signature is not None
    rows = [
        [e(side), f"<code>{e(f.name)}</code>" if f.name else "-", e(describe(f))]
        for side in ("inputs", "outputs")
        for f in fields(getattr(v.manifest.signature, side))
    ]
    listing = table(["", "Name", "Type"], rows, caption="Inputs and outputs", sortable=False)
    return _section("signature", "Signature", listing)


def _pre(text: str) -> str:
    return "\n".join(e(line) for line in text.splitlines())


def _card_facts(v: ModelVersion, site: SiteContext) -> str:
    m = v.manifest
    rows = [
        ("Reference", f"<code>{e(v.ref)}</code>"),
        ("Created", f"{when(m.created_at)} by {e(m.created_by)}"),
    ]
    if m.framework:
        rows.append(
            ("Framework", e(m.framework.name + (f" {m.framework.version}" if m.framework.version else "")))
        )
    if m.algorithm:
        rows.append(("Algorithm", e(m.algorithm)))
    if m.tags:
        rows.append(("Tags", _tags(m.tags)))
    if m.code:
        code = " ".join(
            f"{label} <code>{e(value)}</code>"
            for label, value in (("repo", m.code.repo), ("commit", m.code.commit), ("path", m.code.path))
            if value
        )
        rows.append(("Code", code))
    rows.append(("Manifest", f"<code>{e(f'models/{v.name}/{v.version}.yaml')}</code>"))
    return '<dl class="facts">' + "".join(f"<dt>{k}</dt><dd>{val}</dd>" for k, val in rows) + "</dl>"


def _artifacts(v: ModelVersion, site: SiteContext) -> str:
    rows = [
        [
            f"<code>{e(a.path)}</code>",
            f"<code>{e(a.md5)}</code>",
            sort_value(e(size(a.size)), a.size) + (f" ({a.nfiles} files)" if a.nfiles else ""),
        ]
        for a in v.manifest.artifacts
    ]
    listing = table(
        ["Path", "MD5", "Size"], rows, caption="Files tracked by DVC", sortable=False, numeric=[2]
    )
    # Without the registry's URL (no --repo-url, no GitHub origin), `dvc get .` in a clone
    repo, where = (site.repo_url, "from anywhere") if site.repo_url else (".", "in the clone")
    dvc = "\n".join(f"dvc get {repo} {a.path} --rev {site.commit[:12]}" for a in v.manifest.artifacts)
    return (
        listing
        + "<p>Fetch them, md5-verified, in a clone of the registry:</p>"
        + f"<pre><code>modelreg pull {e(v.ref)} -o {e(v.name)}-{e(v.version)}/</code></pre>"
        + f"<p>or without modelreg, {where}:</p>"
        + f"<pre><code>{_pre(dvc)}</code></pre>"
    )


def _metrics(v: ModelVersion) -> str:
    m = v.manifest
    parts = []
    if m.metrics:
        rows = [[e(k), sort_value(number(val), val)] for k, val in m.metrics.items()]
        parts.append(table(["Metric", "Value"], rows, caption="Metrics", sortable=False, numeric=[1]))
    if m.params:
        prow = [[e(k), number(val)] for k, val in m.params.items()]
        parts.append(table(["Parameter", "Value"], prow, caption="Parameters", sortable=False))
    return "".join(parts) or "<p>None recorded.</p>"


def _data(v: ModelVersion, site: SiteContext) -> str:
    if not v.manifest.data:
        return "<p>No dataset recorded.</p>"
    rows = [
        [
            e(role),
            f'<a href="{e(site.dataset_url(ds.name))}">{e(ds.name)}</a>',
            e(ds.version or ""),
            f"<code>{e(ds.md5)}</code>" if ds.md5 else "",
            e(ds.uri or ""),
        ]
        for role, ds in v.manifest.data.items()
    ]
    return table(["Role", "Dataset", "Version", "MD5", "URI"], rows, caption="Datasets used", sortable=False)


def _relatives(view: ModelView, v: ModelVersion, site: SiteContext) -> str:
    parents = [(p.ref, p.relation) for p in v.manifest.lineage.parents]
    children = view.children.get(v.version, [])
    parts = []
    for title, links in (("Parents", parents), ("Children", children)):
        items = "".join(
            f'<li><a href="{e(site.ref_url(ref))}">{e(ref)}</a> ({e(rel)})</li>' for ref, rel in links
        )
        parts.append(f"<h3>{title}</h3>" + (f"<ul>{items}</ul>" if items else "<p>None.</p>"))
    return "".join(parts)


def _runs_in(view: ModelView, v: ModelVersion, site: SiteContext) -> str:
    running = view.running(v.version)
    if not running:
        return "<p>No environment runs this version.</p>"
    rows = []
    for d in running:
        since, via = _since(d, site)
        rows.append(
            [
                e(d.environment),
                outside_link(d.endpoint) if d.endpoint else "",
                e(f"{d.traffic:g}%") if d.traffic is not None else "",
                since,
                via,
            ]
        )
    return table(
        ["Environment", "Endpoint", "Traffic", "Since", "Via"],
        rows,
        caption="Environments running this version",
        sortable=False,
        numeric=[2],
    )


def _evaluations(v: ModelVersion, site: SiteContext) -> str:
    if not v.manifest.evaluations:
        return "<p>No later evaluation recorded.</p>"
    rows = [
        [
            f'<a href="{e(site.dataset_url(ev.dataset.name))}">{e(ev.dataset.name)}</a> '
            + e(ev.dataset.version or ""),
            e(ev.kind),
            ", ".join(f"{e(k)} = {number(val)}" for k, val in ev.metrics.items()),
            paragraphs(ev.note) if ev.note else "",
            when(ev.created_at),
            e(ev.created_by or ""),
        ]
        for ev in v.manifest.evaluations
    ]
    return table(
        ["Dataset", "Kind", "Metrics", "Note", "When", "By"], rows, caption="Evaluations", sortable=False
    )


def _history(events: list[Event], site: SiteContext) -> str:
    if not events:
        return "<p>No recorded change.</p>"
    rows = []
    for event in reversed(events):
        what = event.kind.replace("_", " ")
        if event.kind == "stage_changed":
            what = f"{e(event.from_stage or '')} → {e(event.to_stage or '')}"
        elif event.detail:
            what = f"{e(what)}: {e(event.detail)}"
        else:
            what = e(what)
        c = event.commit
        audit = c.audit
        rows.append(
            [
                when(c.commit_date),
                what,
                e(name_of(audit.requested_by)),
                e(approval_names(audit)),
                site.pr_link(audit.pr, c.sha),
                e(audit.reason.split("\n", 1)[0]),
                e(c.subject),
            ]
        )
    return table(
        ["When", "Change", "Requested by", "Approved by", "Via", "Reason", "Commit subject"],
        rows,
        caption="This version's history",
        sortable=False,
    )


# --- a dataset -------------------------------------------------------------------------------


def dataset_page(name: str, uses: list[dict[str, Any]], site: SiteContext) -> tuple[str, str]:
    """(path, HTML) of the page of dataset ``name``: every version trained or evaluated on it."""
    site = site.at(dataset_path(name))
    uses = sorted(uses, key=lambda u: (u["dv"], u["model"], semver.sort_key(u["version"]), u["role"]))
    rows = [
        [
            e(u["dv"]),
            f'<a href="{e(site.version_url(u["model"], u["version"]))}">'
            f"{e(u['model'])}@{e(u['version'])}</a>",
            badge(u["stage"]),
            e(u["role"]),
            ", ".join(f"{e(k)} = {number(val)}" for k, val in u["metrics"].items()),
        ]
        for u in uses
    ]
    versions = len({u["dv"] for u in uses})
    body = (
        f'<h1>Dataset <span class="version">{e(name)}</span></h1>'
        f"<p>{len(rows)} uses by {len({(u['model'], u['version']) for u in uses})} model versions, "
        f"{versions} dataset versions. The same answer as <code>modelreg lineage --data {e(name)}</code>.</p>"
        + table(
            ["Dataset version", "Model version", "Stage", "Role", "Evaluation metrics"],
            rows,
            caption="Versions trained or evaluated on this dataset",
            table_id="uses",
        )
    )
    crumbs = [(site.dataset_url(name), f"dataset {name}")]
    return dataset_path(name) + "index.html", page(site, title=f"dataset {name}", crumbs=crumbs, body=body)
