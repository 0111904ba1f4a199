"""The static site in a real browser: Debian's Chromium driven by Selenium through
chromedriver (both installed by .ci/setup), the site served on 127.0.0.1 by http.server in a
thread. Every page loads without a console error or a failed request, every internal link
resolves, the filter box filters, the charts and the lineage graph draw their marks, hostile
registry text makes no element, and axe-core finds no serious or critical accessibility
problem. Screenshots go to test-output/site/ (ignored by Git)."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, Reg, Templates, build_populated, isolated
from site_corpus import build_hostile

from modelreg.operations.site import build_site

pytestmark = pytest.mark.slow  # a real Chromium through chromedriver

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE = ROOT / ".venv" / "axe-core" / "axe.min.js"  # put there by .ci/setup (npm pack, pinned)
SHOTS = ROOT / "test-output" / "site"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1600",
]

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    if os.environ.get("CI"):
        raise RuntimeError("Chromium and chromedriver are missing: .ci/setup installs them")
    pytest.skip("needs Debian's chromium and chromium-driver (bash .ci/setup)", allow_module_level=True)

webdriver = pytest.importorskip("selenium.webdriver")


def build_browsable(reg: Reg) -> None:
    build_populated(reg)
    build_hostile(reg)


@dataclass
class Served:
    root: Path
    url: str
    registry: Path = Path()  # the registry the site was built from
    statuses: list[tuple[str, int]] = field(default_factory=list)


class _Handler(http.server.SimpleHTTPRequestHandler):
    served: Served

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def send_response(self, code: int, message: str | None = None) -> None:
        self.served.statuses.append((self.path, code))
        super().send_response(code, message)


@pytest.fixture(scope="module")
def site(templates: Templates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    base = tmp_path_factory.mktemp("site-browser")
    reg = templates.copy("site-browser", build_browsable, base)
    out = base / "public"
    with isolated(base / "home"):
        build_site(reg.path, out, base_url="/", repo_url="https://github.com/acme/models")
    served = Served(out, "", registry=reg.path)
    handler = type("Handler", (_Handler,), {"served": served})

    def make(*args: Any) -> http.server.SimpleHTTPRequestHandler:
        return handler(*args, directory=str(out))

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make)
    served.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _pages(site: Served) -> list[str]:
    return sorted(
        "/" + p.relative_to(site.root).as_posix().removesuffix("index.html")
        for p in site.root.rglob("index.html")
    )


def _open(browser: Any, site: Served, path: str) -> list[str]:
    """Load ``path``; what went wrong: console errors and failed requests."""
    browser.get_log("browser")  # forget what earlier pages logged
    browser.get_log("performance")
    site.statuses.clear()
    browser.get(site.url + path)
    browser.execute_script("return document.readyState")
    problems = [f"console: {e['message']}" for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.loadingFailed":
            problems.append(f"request failed: {message['params'].get('errorText')}")
        if message["method"] == "Network.responseReceived":
            status = message["params"]["response"]["status"]
            if status >= 400:
                problems.append(f"HTTP {status}: {message['params']['response']['url']}")
    problems += [f"server answered {code} to {p}" for p, code in site.statuses if code >= 400]
    return problems


def test_every_page_loads_cleanly_and_every_internal_link_resolves(browser: Any, site: Served) -> None:
    pages = _pages(site)
    assert "/" in pages and "/models/fraud/1.1.0/" in pages and len(pages) >= 12
    targets: set[str] = set()
    for path in pages:
        assert _open(browser, site, path) == [], path
        hrefs = browser.execute_script(  # SVG links too, whose .href is no string
            "return Array.from(document.querySelectorAll('a[href]'), "
            "a => new URL(a.getAttribute('href'), document.baseURI).href)"
        )
        for href in hrefs:
            parsed = urllib.parse.urlsplit(href)
            if f"{parsed.scheme}://{parsed.netloc}" == site.url:
                targets.add(parsed.path)
            else:
                assert href.startswith("https://github.com/acme/models/"), (path, href)
    missing = [t for t in sorted(targets) if not (site.root / t.lstrip("/") / "index.html").is_file()]
    assert missing == []
    assert {"/models/fraud/", "/models/fraud/1.0.0/"} <= targets
    assert any(t.startswith("/datasets/") for t in targets)


def test_the_filter_box_filters_and_the_columns_sort(browser: Any, site: Served) -> None:
    from selenium.webdriver.common.by import By

    assert _open(browser, site, "/") == []
    shown = "return Array.from(document.querySelectorAll('#models tbody tr'))" + (
        ".filter(r => !r.hidden).map(r => r.cells[0].querySelector('a').textContent)"
    )
    assert sorted(browser.execute_script(shown)) == ["churn", "evil", "fraud", "shady"]
    box = browser.find_element(By.ID, "filter")
    box.send_keys("fraud")
    assert browser.execute_script(shown) == ["fraud"]
    assert browser.find_element(By.ID, "filter-status").text == "1 of 4 models"
    box.clear()
    box.send_keys("@acme/growth")
    assert browser.execute_script(shown) == ["churn"]
    box.clear()
    box.send_keys(" ")  # clear() fires no input event in every driver; a blank one does
    assert len(browser.execute_script(shown)) == 4
    browser.find_element(By.CSS_SELECTOR, '#models button[data-sort-col="0"]').click()
    first = browser.execute_script(shown)
    assert first == sorted(first)
    browser.find_element(By.CSS_SELECTOR, '#models button[data-sort-col="0"]').click()
    assert browser.execute_script(shown) == sorted(first, reverse=True)


def test_the_site_opened_as_a_file_has_its_styles_script_charts_and_links(
    browser: Any, site: Served, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Built without --base-url and opened from disk (file://, no server): the stylesheet
    applies, the script filters, the charts draw, and a link leads to the model's page."""
    from selenium.webdriver.common.by import By

    base = tmp_path_factory.mktemp("site-file")
    out = base / "public"
    with isolated(base / "home"):
        build_site(site.registry, out)
    browser.get((out / "index.html").as_uri())
    header = "return getComputedStyle(document.querySelector('header')).backgroundColor"
    assert browser.execute_script(header) not in ("", "rgba(0, 0, 0, 0)")  # site.css applied
    browser.find_element(By.ID, "filter").send_keys("fraud")
    assert browser.find_element(By.ID, "filter-status").text == "1 of 4 models"  # site.js ran
    browser.find_element(By.CSS_SELECTOR, '#models a[href="models/fraud/index.html"]').click()
    assert browser.current_url == (out / "models/fraud/index.html").as_uri()
    assert browser.execute_script("return document.querySelectorAll('svg.chart circle').length") > 0
    severe = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []


def test_each_chart_draws_one_point_per_version_and_the_graph_a_node_per_version(
    browser: Any, site: Served
) -> None:
    assert _open(browser, site, "/models/fraud/") == []
    counts = browser.execute_script(
        "return Array.from(document.querySelectorAll('svg.chart'), s => "
        "[s.dataset.metric, s.querySelectorAll('circle.point').length, "
        "s.querySelectorAll('line.requirement').length, s.querySelectorAll('rect.tenure').length])"
    )
    assert counts == [["auc", 3, 0, 1]]  # the test registry's production requires no metric
    nodes = browser.execute_script(
        "return Array.from(document.querySelectorAll('svg.lineage g.node:not(.external)'), g => g.dataset.ref)"
    )
    assert sorted(nodes) == ["fraud@1.0.0", "fraud@1.1.0", "fraud@1.2.0"]
    drawn = browser.execute_script(
        "const r = document.querySelector('svg.lineage g.node rect').getBoundingClientRect();"
        "return [r.width, r.height]"
    )
    assert drawn[0] > 50 and drawn[1] > 10  # laid out, not collapsed
    assert _open(browser, site, "/models/evil/") == []
    external = browser.execute_script(
        "return Array.from(document.querySelectorAll('svg.lineage g.node.external'), g => g.dataset.ref)"
    )
    assert external == ["shady@1.0.0"]


def test_hostile_text_makes_no_element_in_the_dom(browser: Any, site: Served) -> None:
    check = """
        const found = [];
        for (const el of document.querySelectorAll('*')) {
          if (['IMG', 'IFRAME', 'OBJECT', 'EMBED', 'B', 'FORM', 'BASE'].includes(el.tagName)) found.push(el.tagName);
          for (const a of el.attributes) {
            if (a.name.startsWith('on')) found.push(el.tagName + ' ' + a.name);
            if (/^\\s*javascript:/i.test(a.value) && ['href', 'src', 'action'].includes(a.name)) found.push(a.value);
          }
        }
        const scripts = Array.from(document.scripts, s => s.getAttribute('src'));
        return [found, scripts];
    """
    for path in _pages(site):
        if not path.startswith(("/models/evil", "/models/shady", "/datasets/", "/")):
            continue
        assert _open(browser, site, path) == [], path
        found, scripts = browser.execute_script(check)
        assert found == [], path
        assert scripts == ["/assets/site.js"], path
    assert _open(browser, site, "/models/shady/1.0.0/") == []
    text = browser.execute_script("return document.querySelector('main').innerText")
    assert "<script>alert('desc')</script>" in text  # shown as text


def test_screenshots_of_the_index_and_a_model_page(browser: Any, site: Served) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for path, name in (("/", "index.png"), ("/models/fraud/", "model-fraud.png")):
        assert _open(browser, site, path) == []
        target = SHOTS / name
        target.unlink(missing_ok=True)
        assert browser.save_screenshot(str(target))
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("path", ["/", "/models/fraud/", "/models/fraud/1.1.0/", "/models/evil/"])
def test_axe_finds_no_serious_accessibility_problem(browser: Any, site: Served, path: str) -> None:
    if not AXE.is_file():
        if os.environ.get("CI"):
            raise RuntimeError(f"axe-core is missing at {AXE}: .ci/setup installs it")
        pytest.skip("needs axe-core (bash .ci/setup)")
    assert _open(browser, site, path) == []
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    browser.set_script_timeout(60)
    violations = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map("
        "v => [v.id, v.impact, v.help, v.nodes.map(n => n.target.join(' ')).slice(0, 3)])))"
        ".catch(e => done([['axe failed', 'critical', String(e), []]]));"
    )
    serious = [v for v in violations if v[1] in {"serious", "critical"}]
    assert serious == []


def test_test_output_is_ignored_by_git() -> None:
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "/test-output/" in ignored
    assert shutil.which("git") is not None
