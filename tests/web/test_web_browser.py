"""The dashboard in a real browser: Debian's chromium, headless, driven by Playwright with the system binary
(never `playwright install`). Opens the dashboard on a live server, switches the map layer, clicks a zone,
checks the panel shows that zone's numbers from the catalog, switches the language and saves a screenshot.
Every request the page makes is intercepted: any that leaves 127.0.0.1 fails the test.

LANDCARBON_WEB_CATALOG=<folder or URL> points it at another catalog (e.g. the demo study's) instead of the
sample; LANDCARBON_SCREENSHOT_DIR keeps the screenshots there.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed "
                                "(apt-get install chromium; .ci/run does it)")


def _fmt(v: float) -> str:
    from landcarbon.report.style import fmt_number

    return fmt_number(v)


@pytest.fixture(scope="module")
def server(sample_dir):
    from landcarbon.web import Settings, create_app
    from landcarbon.web.dashboard import missing_assets

    if missing_assets():
        pytest.skip(f"the dashboard's JavaScript libraries are not installed ({missing_assets()}); make install")
    from .conftest import LiveServer

    catalog = os.environ.get("LANDCARBON_WEB_CATALOG") or str(sample_dir)
    with LiveServer(create_app(Settings(catalog=catalog))) as srv:
        srv.catalog = catalog
        yield srv


def test_dashboard_in_chromium(server, tmp_path):
    from playwright.sync_api import sync_playwright

    from landcarbon.io.catalog import Catalog

    cat = Catalog.open(server.catalog)
    outside, failed, console_errors = [], [], []

    def guard(route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1",):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            ctx = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="zh-CN")
            ctx.route("**/*", guard)
            page = ctx.new_page()
            page.on("requestfailed", lambda r: failed.append(r.url) if urlparse(r.url).hostname == "127.0.0.1" else None)
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.goto(server.url + "/?lang=zh", wait_until="networkidle")
            study = page.locator("#study").input_value()
            assert page.locator("#title").inner_text() == "国土空间碳监测评估"

            # the land-use layer of the base year is on the map, with its legend from the class scheme
            page.wait_for_function("document.body.dataset.tiles && document.body.dataset.tiles.startsWith('loaded')",
                                   timeout=20000)
            first_layer = page.evaluate("document.body.dataset.layer")
            assert page.locator("img.leaflet-tile-loaded").count() > 0
            page.wait_for_selector("#legend div[data-code]")
            assert "林地" in page.locator("#legend").inner_text()

            # switch the layer: a scenario's target year, then the continuous / zoning layer
            scen = cat.scenarios(study)["scenario"].tolist()
            page.select_option("#scenario", scen[-1])
            target = int(cat.years(study).query("kind == 'target'")["year"].max())
            page.select_option("#year", str(target))
            page.wait_for_function(f"document.body.dataset.tiles === 'loaded:' + document.body.dataset.layer && "
                                   f"document.body.dataset.layer !== '{first_layer}'", timeout=20000)
            second_layer = page.evaluate("document.body.dataset.layer")
            assert page.locator(f"img.leaflet-tile-loaded[src*='{second_layer}']").count() > 0
            opts = page.locator("#layer option").evaluate_all("os => os.map(o => o.value)")
            other = next(v for v in opts if v not in ("landuse", "none"))
            page.select_option("#layer", other)
            page.wait_for_function(f"document.body.dataset.layer !== '{second_layer}'")
            page.select_option("#layer", "landuse")
            page.wait_for_function(f"document.body.dataset.tiles === 'loaded:{second_layer}'", timeout=20000)

            # click a zone: the panel shows its indicators, as the catalog has them
            zones = cat.zones(study)
            zone = zones["zone"].iloc[min(2, len(zones) - 1)]
            cls = "zone-" + "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in zone)
            page.locator(f"path.{cls}").click()
            key = f"{zone}|{scen[-1]}|{target}|zh"
            page.wait_for_function(f"document.getElementById('zone-panel').dataset.loaded === {key!r}", timeout=20000)
            assert page.locator("#zone-name").inner_text() == (zones.set_index("zone").loc[zone, "name"] or zone)
            want = cat.indicators(study, zone=zone, scenario=scen[-1], year=target)
            assert len(want) > 0
            for r in want.itertuples():
                cell = page.locator(f"#zone-indicators td.value[data-indicator='{r.indicator}']")
                assert float(cell.get_attribute("data-value")) == pytest.approx(r.value, rel=1e-12)
                assert cell.inner_text() == _fmt(r.value)
                row = page.locator(f"#zone-indicators tr[data-indicator='{r.indicator}'] .status")
                assert row.get_attribute("data-status") == (r.status or "")
            page.wait_for_function("document.body.dataset.state === 'idle'")
            assert page.locator("#chart-trend canvas").count() == 1
            assert page.locator("#indicator-table tbody tr").count() == cat.count_indicators(study, scenario=scen[-1],
                                                                                             year=target)
            page.screenshot(path=str(tmp_path / "dashboard_zh.png"), full_page=True)

            # switch the language: page words, legend, zone name and statuses in English
            page.click("#lang-en")
            page.wait_for_function(f"document.getElementById('zone-panel').dataset.loaded === {key.replace('|zh', '|en')!r}",
                                   timeout=20000)
            page.wait_for_function("document.body.dataset.state === 'idle'")
            assert page.locator("#title").inner_text() == "Territorial carbon monitoring"
            assert page.evaluate("document.documentElement.lang") == "en"
            page.wait_for_function("document.getElementById('legend').innerText.includes('Forest')")
            en_name = zones.set_index("zone").loc[zone, "name_en"]
            assert page.locator("#zone-name").inner_text() == (en_name or zone)
            statuses = page.locator("#zone-indicators .status[data-status='breached'], "
                                    "#zone-indicators .status[data-status='met']").all_inner_texts()
            assert statuses and set(statuses) <= {"breached", "met", "breached (trend)", "met (trend)"}
            shot = tmp_path / "dashboard_en.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    cat.close()
    keep = os.environ.get("LANDCARBON_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for f in tmp_path.glob("dashboard_*.png"):
            shutil.copy(f, Path(keep) / f.name)
    assert shot.stat().st_size > 20_000
    assert outside == [], f"requests left localhost: {outside}"
    assert failed == [], f"failed requests: {failed}"
    assert console_errors == [], console_errors
