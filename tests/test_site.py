"""``modelreg site``: the pages, their links and marks, escaping, and the incremental build.
(The same site in a real browser: test_site_browser.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import Reg, Templates, git
from site_corpus import EVIL_DATASET, EVIL_ENDPOINTS, HOSTILE, build_hostile, injected, markup

from modelreg.operations.site import MANIFEST, build_site
from modelreg.render.site.html import CSP, dataset_path

pytestmark = pytest.mark.slow  # whole sites built and checked


@pytest.fixture
def hostile(templates: Templates, tmp_path: Path) -> Reg:
    return templates.copy("site-hostile", build_hostile, tmp_path)


def _build(reg: Reg, out: Path, *args: str) -> dict[str, object]:
    """A build served at the root (`--base-url /`, so links read `/models/...`) unless ``args`` say."""
    base = [] if "--base-url" in args or "--relative" in args else ["--base-url", "/"]
    args = tuple(a for a in args if a != "--relative")
    result = reg.cli("site", "-o", str(out), "--format", "json", *base, *args)
    assert result.code == 0, result.err
    data: dict[str, object] = json.loads(result.out)
    return data


def _pages(out: Path) -> list[Path]:
    return sorted(out.rglob("index.html"))


def test_the_site_has_a_page_for_every_model_version_and_dataset(populated: Reg, tmp_path: Path) -> None:
    out = tmp_path / "public"
    result = _build(populated, out)
    assert result["full"] is True and sorted(result["rendered"]) == ["churn", "fraud"]  # type: ignore[arg-type]
    expected = {
        "index.html",
        "models/fraud/index.html",
        "models/churn/index.html",
        *(f"models/fraud/{v}/index.html" for v in ("1.0.0", "1.1.0", "1.2.0")),
        "models/churn/0.1.0/index.html",
    }
    found = {p.relative_to(out).as_posix() for p in _pages(out)}
    assert expected <= found
    assert (out / "assets/site.js").is_file() and (out / "assets/site.css").is_file()
    for page in _pages(out):
        text = page.read_text()
        assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in text
        assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
        assert injected(page) == [], page


def test_the_model_page_charts_one_point_per_version_with_the_requirement_and_tenure(
    populated: Reg, tmp_path: Path
) -> None:
    out = tmp_path / "public"
    _build(populated, out)
    text = (out / "models/fraud/index.html").read_text()
    chart = re.search(r'<svg class="chart"[^>]*data-metric="auc".*?</svg>', text, re.S)
    assert chart is not None
    assert len(re.findall(r'<circle class="point', chart.group())) == 3
    assert len(re.findall(r'<circle class="point holder"', chart.group())) == 1  # 1.1.0 in production
    assert re.search(r'<rect class="tenure current"[^>]*><title>1\.1\.0 in production from', chart.group())
    lineage = re.search(r'<svg class="lineage".*?</svg>', text, re.S)
    assert lineage is not None
    assert len(re.findall(r'<g class="node stage-', lineage.group())) == 3
    assert len(re.findall(r'<path class="edge"', lineage.group())) == 2
    assert 'id="timeline"' in text and "production" in text


def test_the_requirement_line_is_the_stage_policy(templates: Templates, tmp_path: Path) -> None:
    from registries import build_strict

    strict = templates.copy("strict", build_strict, tmp_path)
    out = tmp_path / "public"
    _build(strict, out)
    text = (out / "models/fraud/index.html").read_text()
    auc = re.search(r'data-metric="auc".*?</svg>', text, re.S)
    latency = re.search(r'data-metric="latency_ms".*?</svg>', text, re.S)
    assert auc is not None and latency is not None
    assert "production requires auc ≥ 0.91" in auc.group()
    assert "production requires latency_ms ≤ 50" in latency.group()
    assert len(re.findall(r'<circle class="point', auc.group())) == 7  # 1.5.0 records no auc


def test_the_version_page_is_a_model_card(populated: Reg, tmp_path: Path) -> None:
    out = tmp_path / "public"
    _build(populated, out, "--repo-url", "https://github.com/acme/models")
    text = (out / "models/fraud/1.1.0/index.html").read_text()
    manifest = populated.cli("show", "fraud@1.1.0", "--format", "json")
    artifact = json.loads(manifest.out)["manifest"]["artifacts"][0]
    assert artifact["md5"] in text and artifact["path"] in text
    assert "modelreg pull fraud@1.1.0" in text and "dvc get https://github.com/acme/models" in text
    assert 'href="/models/fraud/1.0.0/"' in text  # parent
    assert 'href="/models/fraud/1.2.0/"' in text  # child
    assert "staging → production" in text  # its history


def test_the_version_page_shows_signature_dependencies_provenance_and_use(
    populated: Reg, tmp_path: Path
) -> None:
    from modelreg.domain.models import Code, Signature

    populated.register(
        "fraud",
        "2.0.0",
        signature=Signature.model_validate(
            {"inputs": [{"name": "amount", "type": "float32", "shape": [-1]}]}
        ),
        dependencies=["numpy==2.1.0"],
        code=Code(repo="https://github.com/acme/fraud", commit="abc1234", dirty=False),
        intended_use="score card payments",
        limitations="not for wire transfers",
    )
    out = tmp_path / "public"
    _build(populated, out)
    text = (out / "models/fraud/2.0.0/index.html").read_text()
    for shown in ("Signature", "amount", "float32", "numpy==2.1.0", "abc1234", "score card payments"):
        assert shown in text, shown
    assert "not for wire transfers" in text
    section = text[text.index('id="h-signature"') :]
    section = section[: section.index("</section>")]
    assert "<table" in section and "{" not in section  # a table, not JSON
    cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", section)]
    assert cells[:3] == ["inputs", "amount", "float32[-1]"], cells


def test_base_url_prefixes_every_link(populated: Reg, tmp_path: Path) -> None:
    out = tmp_path / "public"
    _build(populated, out, "--base-url", "/registry")
    for page in _pages(out):
        for tag, attrs in markup(page).elements:
            for name in ("href", "src"):
                url = attrs.get(name)
                if url is not None and not url.startswith("https://"):
                    assert url.startswith("/registry/"), (page, tag, url)


def test_hostile_text_is_escaped_everywhere(hostile: Reg, tmp_path: Path) -> None:
    out = tmp_path / "public"
    _build(hostile, out, "--repo-url", "https://github.com/acme/models")
    pages = _pages(out)
    assert len(pages) >= 6
    for page in pages:
        assert injected(page) == [], page
    text = (out / "models/shady/1.0.0/index.html").read_text()
    assert "&lt;script&gt;alert(&#x27;desc&#x27;)&lt;/script&gt;" in text
    assert (out / dataset_path(EVIL_DATASET) / "index.html").is_file()
    assert (out / dataset_path(HOSTILE[3]) / "index.html").is_file()
    evil = (out / "models/evil/index.html").read_text()
    deployments = re.search(r'<section aria-labelledby="h-deployments">.*?</section>', evil, re.S)
    assert deployments is not None
    assert deployments.group().count("<tr><td>") == len(EVIL_ENDPOINTS)
    assert "<code>https://evil.example/&quot;&gt;&lt;script&gt;alert(8)&lt;/script&gt;</code>" in evil
    assert 'href="https://evil' not in evil and "<code>javascript:alert(3)</code>" in evil  # text, no link
    card = (out / "models/evil/1.1.0/index.html").read_text()
    assert "&lt;svg onload=alert(5)&gt;" in card  # the evaluation's note


def test_a_second_build_renders_only_the_changed_models(populated: Reg, tmp_path: Path) -> None:
    out = tmp_path / "public"
    _build(populated, out)
    assert _build(populated, out)["rendered"] == []
    populated.register("churn", "0.2.0", description="churn again", metrics={"f1": 0.75})
    second = _build(populated, out)
    assert second["full"] is False and second["rendered"] == ["churn"]
    assert (out / "models/churn/0.2.0/index.html").is_file()
    assert "0.2.0" in (out / "index.html").read_text()
    before = (out / "models/fraud/1.2.0/index.html").read_text()
    populated.register(
        "churn", "0.3.0", description="from fraud", parents=[{"ref": "fraud@1.2.0", "relation": "distill"}]
    )
    third = _build(populated, out)
    assert third["rendered"] == ["churn", "fraud"]  # fraud@1.2.0's page lists its new child
    after = (out / "models/fraud/1.2.0/index.html").read_text()
    assert "churn@0.3.0" not in before and 'href="/models/churn/0.3.0/"' in after


def test_a_build_of_an_older_commit_removes_the_models_it_lacks(populated: Reg, tmp_path: Path) -> None:
    out = tmp_path / "public"
    _build(populated, out)
    added = git("log", "--format=%H", "--", "models/churn", cwd=populated.path).split()[-1]
    result = _build(populated, out, "--rev", f"{added}~1")
    assert result["removed"] == ["churn"] and not (out / "models/churn").exists()
    assert "churn" not in (out / "index.html").read_text()
    assert _build(populated, out, "--full")["full"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-url", "javascript:alert(1)"], "invalid --base-url 'javascript:alert(1)'"),
        (["--base-url", '/a"b/'], "invalid --base-url"),
        (["--repo-url", "javascript:alert(1)//github.com/a/b"], "invalid --repo-url"),
        (["--rev", "no-such-rev"], "unknown revision 'no-such-rev'"),
    ],
)
def test_bad_options_are_one_line_and_write_nothing(
    populated: Reg, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "public"
    result = populated.cli("site", "-o", str(out), *args)
    assert result.code == 1
    assert len(result.err.splitlines()) == 1 and message in result.err
    assert not out.exists()


def test_a_folder_with_other_files_is_refused(populated: Reg, tmp_path: Path) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = populated.cli("site", "-o", str(out))
    assert result.code == 1 and "is not empty and holds no site modelreg wrote" in result.err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_the_manifest_keys_models_by_their_tree_ids(populated: Reg, tmp_path: Path) -> None:
    out = tmp_path / "public"
    build_site(populated.path, out)
    kept = json.loads((out / MANIFEST).read_text())
    tree = git("rev-parse", "HEAD:models/fraud", cwd=populated.path).strip()
    assert kept["models"]["fraud"]["tree"] == tree


def test_the_injection_check_sees_unescaped_text(tmp_path: Path) -> None:
    """The check above is not blind: the hostile strings, unescaped, are caught."""
    page = tmp_path / "raw.html"
    page.write_text("<html><body><p>" + "".join(HOSTILE) + "</p></body></html>")
    found = injected(page)
    assert any("<img onerror>" in f for f in found) and any("<iframe>" in f for f in found)
    assert any("inline script" in f for f in found) and any("<svg onload>" in f for f in found)


def test_the_documented_pages_job_is_a_valid_workflow_job(tmp_path: Path) -> None:
    import subprocess
    import sys

    import yaml

    from modelreg.operations.scaffold import default_action, workflow

    readme = (Path(__file__).resolve().parent.parent / "docs/workflows/site.md").read_text()
    job = re.search(r"```yaml\n(  site:\n.*?)```", readme, re.S)
    assert job is not None
    path = tmp_path / "modelreg.yml"
    path.write_text(workflow(branch="main", action=default_action()) + job.group(1))
    steps = yaml.safe_load(path.read_text())["jobs"]["site"]["steps"]
    assert [s.get("uses", "").split("@")[0] for s in steps][-2:] == [
        "actions/upload-pages-artifact",
        "actions/deploy-pages",
    ]
    assert any("modelreg site -o public" in s.get("run", "") for s in steps)
    argv = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]
    result = subprocess.run([*argv, str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_change_and_its_revert_render_the_model_again(populated: Reg, tmp_path: Path) -> None:
    out = tmp_path / "public"
    _build(populated, out)
    facts = populated.path / "models/churn/model.yaml"
    before = facts.read_text()
    populated.write("models/churn/model.yaml", before.replace("description: churn", "description: churn v2"))
    populated.commit("churn: describe")
    populated.write("models/churn/model.yaml", before)
    populated.commit("churn: undo")
    result = _build(populated, out)
    assert result["rendered"] == ["churn"]  # same folder id as built, two more events
    assert "model updated" in (out / "index.html").read_text()  # churn's last change now


# --- deployments ------------------------------------------------------------------------------


def _deploy(reg: Reg) -> None:
    """fraud 1.1.0 in prod-eu (by pull request #12), 1.2.0 in canary; dev runs nothing."""
    import yaml

    config = yaml.safe_load((reg.path / "registry.yaml").read_text())
    config["environments"] = {
        "prod-eu": {"stage": "production", "description": "Frankfurt"},
        "canary": {"stage": ["staging", "production"]},
        "dev": {"stage": "development"},
    }
    reg.write("registry.yaml", yaml.safe_dump(config, sort_keys=False))
    reg.write("models/fraud/stages.yaml", "production: 1.1.0\nstaging: [1.2.0]\narchived: [1.0.0]\n")
    reg.commit("declare environments")
    reg.write(
        "models/fraud/deployments.yaml",
        "prod-eu: {version: 1.1.0, endpoint: 'https://eu.example.com/fraud', traffic: 100}\n",
    )
    reg.commit("Merge pull request #12 from acme/deploy/fraud-1.1.0-prod-eu")
    reg.write(
        "models/fraud/deployments.yaml",
        "prod-eu: {version: 1.1.0, endpoint: 'https://eu.example.com/fraud', traffic: 100}\n"
        "canary: {version: 1.2.0, endpoint: 'grpc://canary:9000', traffic: 10}\n",
    )
    reg.commit("deploy fraud@1.2.0 to canary")
    reg.write(
        "models/fraud/deployments.yaml",
        "prod-eu: {version: 1.1.0, endpoint: 'https://eu.example.com/fraud', traffic: 90}\n"
        "canary: {version: 1.2.0, endpoint: 'grpc://canary:9000', traffic: 10}\n",
    )
    reg.commit("prod-eu: 90% of the traffic")  # the same version: still since pull request #12


def _section_of(text: str, anchor: str) -> str:
    found = re.search(rf'<section aria-labelledby="h-{anchor}">.*?</section>', text, re.S)
    assert found is not None, anchor
    return found.group()


def test_the_model_page_shows_where_each_version_runs(populated: Reg, tmp_path: Path) -> None:
    _deploy(populated)
    out = tmp_path / "public"
    _build(populated, out, "--repo-url", "https://github.com/acme/models")
    answer = json.loads(populated.cli("deployments", "fraud", "--format", "json").out)["deployments"]
    section = _section_of((out / "models/fraud/index.html").read_text(), "deployments")
    rows = {
        re.sub(r"<[^>]+>", " ", row).split()[0]: row for row in re.findall(r"<tr><td>.*?</tr>", section, re.S)
    }
    assert sorted(rows) == ["canary", "dev", "prod-eu"]
    prod, canary = rows["prod-eu"], rows["canary"]
    assert 'href="/models/fraud/1.1.0/"' in prod and "Frankfurt" in prod
    assert '<a href="https://eu.example.com/fraud" rel="nofollow noopener">' in prod and "90%" in prod
    assert 'href="https://github.com/acme/models/pull/12">#12</a>' in prod
    assert 'stage-production">production</span>' in prod.rsplit("<td>", 1)[1]  # the required stage
    assert 'href="/models/fraud/1.2.0/"' in canary and "10%" in canary
    assert "<code>grpc://canary:9000</code>" in canary and 'href="grpc:' not in canary  # not a link
    by_env = {d["environment"]: d for d in answer}
    for env, row in (("prod-eu", prod), ("canary", canary)):
        since = by_env[env]["since"].replace("+00:00", "Z")
        assert f'<time datetime="{since}">' in row  # the same history as `modelreg deployments`
        assert by_env[env]["commit"][:8] in row or by_env[env]["pr"] == 12
    assert "nothing" in rows["dev"] and "development" in rows["dev"]
    assert "/models/fraud/" not in rows["dev"]


def test_the_index_and_version_pages_show_where_versions_run(populated: Reg, tmp_path: Path) -> None:
    _deploy(populated)
    out = tmp_path / "public"
    _build(populated, out)
    index = (out / "index.html").read_text()
    fraud = re.search(r'<tr><td><a href="/models/fraud/">.*?</tr>', index, re.S)
    assert fraud is not None
    cell = fraud.group()
    assert '<span class="env">prod-eu</span> <a href="/models/fraud/1.1.0/">1.1.0</a>' in cell
    assert '<span class="env">canary</span> <a href="/models/fraud/1.2.0/">1.2.0</a>' in cell
    assert "eu.example.com" not in index  # the index stays small: environment -> version only
    runs = _section_of((out / "models/fraud/1.1.0/index.html").read_text(), "runs-in")
    assert "prod-eu" in runs and "canary" not in runs and "<time datetime=" in runs
    assert "No environment runs this version" in _section_of(
        (out / "models/fraud/1.0.0/index.html").read_text(), "runs-in"
    )


def test_the_version_page_shows_each_evaluations_kind_and_note(populated: Reg, tmp_path: Path) -> None:
    import yaml

    manifest = populated.path / "models/fraud/1.1.0.yaml"
    data = yaml.safe_load(manifest.read_text())
    data["evaluations"] = [
        {
            "dataset": {"name": "live-traffic", "version": "2026-11"},
            "metrics": {"auc": 0.91},
            "kind": "shadow",
            "note": "shadowed prod for a week",
            "created_at": "2026-11-20T10:00:00Z",
            "created_by": "dana",
        }
    ]
    manifest.write_text(yaml.safe_dump(data, sort_keys=False))
    populated.commit("evaluate fraud@1.1.0 in shadow")
    out = tmp_path / "public"
    _build(populated, out)
    section = _section_of((out / "models/fraud/1.1.0/index.html").read_text(), "evaluations")
    assert "<td>shadow</td>" in section and "shadowed prod for a week" in section
    assert "live-traffic" in section and "auc = 0.91" in section


def test_a_change_of_deployments_rebuilds_only_that_model(populated: Reg, tmp_path: Path) -> None:
    _deploy(populated)
    out = tmp_path / "public"
    _build(populated, out)
    tree = json.loads((out / MANIFEST).read_text())["models"]["fraud"]["tree"]
    populated.write("models/fraud/deployments.yaml", "prod-eu: {version: 1.1.0}\ncanary: {version: 1.1.0}\n")
    populated.commit("canary back to 1.1.0")
    result = _build(populated, out)
    assert result["full"] is False and result["rendered"] == ["fraud"]
    assert json.loads((out / MANIFEST).read_text())["models"]["fraud"]["tree"] != tree
    assert "canary" in _section_of((out / "models/fraud/1.1.0/index.html").read_text(), "runs-in")
    assert "canary" not in _section_of((out / "models/fraud/1.2.0/index.html").read_text(), "runs-in")
    index = (out / "index.html").read_text()
    assert '<span class="env">canary prod-eu</span> <a href="/models/fraud/1.1.0/">' in index  # one link


@pytest.mark.parametrize("extremes", [(1e308, -1e308), (0.0, 5e-324)])
def test_a_version_with_extreme_metrics_builds_the_site(
    reg: Reg, tmp_path: Path, extremes: tuple[float, float]
) -> None:
    """Finite metrics at a float's limits are drawn (the scale once raised there); the twin,
    ordinary values, draws the same chart shape."""
    for version, value in zip(("1.0.0", "1.1.0"), extremes, strict=True):
        reg.register("edge", version, metrics={"loss": value})
    reg.register("plain", "1.0.0", metrics={"loss": 0.25})
    reg.register("plain", "1.1.0", metrics={"loss": 0.5})
    out = tmp_path / "public"
    result = reg.cli("site", "-o", str(out))
    assert result.code == 0, result.err
    for name in ("edge", "plain"):
        chart = re.search(
            r'<svg class="chart".*?</svg>', (out / f"models/{name}/index.html").read_text(), re.S
        )
        assert chart is not None and len(re.findall(r'<circle class="point', chart.group())) == 2
        assert "nan" not in chart.group() and "inf" not in chart.group()


def test_a_site_without_a_repository_url_names_no_placeholder_and_counts_in_words(
    reg: Reg, tmp_path: Path
) -> None:
    """One model is "1 model, 1 version"; without --repo-url (nor a GitHub origin) the version
    page's `dvc get` runs in the clone (`dvc get .`) instead of naming a URL to fill in."""
    reg.register("fraud", "1.0.0")
    out = tmp_path / "public"
    _build(reg, out)
    index = (out / "index.html").read_text()
    assert "<p>1 model, 1 version.</p>" in index
    assert "1 version, newest first" in (out / "models/fraud/index.html").read_text()
    page = (out / "models/fraud/1.0.0/index.html").read_text()
    assert "or without modelreg, in the clone:" in page
    assert "dvc get . models/fraud/1.0.0/model.bin --rev " in page
    assert not re.search(r"\b[A-Z]{2,}_[A-Z_]*URL\b", "".join(p.read_text() for p in _pages(out)))
    reg.register("fraud", "1.1.0")
    _build(reg, out, "--repo-url", "https://github.com/acme/models")
    assert "<p>1 model, 2 versions.</p>" in (out / "index.html").read_text()
    page = (out / "models/fraud/1.1.0/index.html").read_text()
    assert "or without modelreg, from anywhere:" in page
    assert "dvc get https://github.com/acme/models models/fraud/1.1.0/model.bin --rev " in page


def test_by_default_every_link_is_relative_and_names_a_file_the_site_holds(
    populated: Reg, tmp_path: Path
) -> None:
    """Without --base-url the site works opened as a file (double-clicking index.html): each
    link and asset is relative to its page and names the file itself (`.../index.html`)."""
    out = tmp_path / "public"
    _build(populated, out, "--relative")
    checked = 0
    for page in _pages(out):
        for _, attrs in markup(page).elements:
            for name in ("href", "src"):
                url = attrs.get(name)
                if url is None or url.startswith(("https://", "http://", "#")):
                    continue
                assert not url.startswith("/"), (page, url)
                target = (page.parent / url.split("#")[0]).resolve()
                assert target.is_file() and out.resolve() in target.parents, (page, url)
                checked += 1
    assert checked > 50
    index = (out / "index.html").read_text()
    assert 'href="models/fraud/index.html"' in index and 'href="assets/site.css"' in index
