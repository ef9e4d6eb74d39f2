"""Pairing maps in a real headless Chromium, with every network request blocked.

Debian's ``chromium`` (``make browser``) driven by Playwright from PyPI.
Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from countylink.maps.pairing_map import counties_for_pairs, pairing_map, save_map
from countylink.pipeline import RunLayers

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PROGRAMMES = {"shandong-2024": "shandong", "zhejiang-2023": "zhejiang"}


@pytest.fixture(scope="module")
def run_layers(run_context) -> RunLayers:
    """Layers from the run's own steps (crow-fly road figures: no road graph offline), once per session."""
    return run_context.layers


@pytest.fixture(scope="module")
def maps(run_layers, tmp_path_factory) -> dict[str, Path]:
    """One map per programme and one with both, all layers, written to disk."""
    folder = tmp_path_factory.mktemp("maps")
    out = {}
    extra = {k: getattr(run_layers, k) for k in ("stations", "rail_lines", "gaps")}
    for programme in PROGRAMMES:
        pairs = run_layers.pairs[programme]
        counties = counties_for_pairs(run_layers.counties, pairs)
        out[programme] = save_map(pairing_map(counties, {programme: pairs}, **extra), folder / f"{programme}.html")
    both = {p: run_layers.pairs[p] for p in PROGRAMMES}
    out["both"] = save_map(pairing_map(run_layers.counties, both, **extra), folder / "both.html")
    return out


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium not installed: run 'make browser' (Debian package chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class OfflinePage:
    """A page whose only allowed requests are file: and data: URLs (and 127.0.0.1)."""

    def __init__(self, browser, path: Path):
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function("() => window.countylinkMap !== undefined", timeout=20_000)
        self.page.wait_for_timeout(300)  # let Leaflet finish its first render

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:", "http://127.0.0.1")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def count(self, selector: str) -> int:
        return self.page.evaluate(f"() => document.querySelectorAll({selector!r}).length")

    def close(self):
        self.page.close()


def _drawn_pairs(layer) -> int:
    return int(layer.geometry.notna().sum())


@pytest.mark.parametrize("programme", list(PROGRAMMES))
def test_programme_map_renders_offline(browser, maps, run_layers, artifacts_dir, programme):
    pairs = run_layers.pairs[programme]
    n_counties = len(counties_for_pairs(run_layers.counties, pairs))
    view = OfflinePage(browser, maps[programme])
    try:
        assert view.blocked == [], "the map asked for network resources"
        assert view.errors == []
        assert view.count("path.cl-county") == n_counties
        assert view.count("path.cl-pair") == _drawn_pairs(pairs)
        assert view.count("textPath") == _drawn_pairs(pairs)  # one direction arrow per pair line
        helped = pairs["helped_adcode"].nunique()
        assert view.count("path.cl-helped") == helped
        assert view.count("path.cl-helper") == pairs["helper_adcode"].dropna().nunique()
        assert view.count("path.cl-station-hsr") > 0 and view.count("path.cl-rail-hsr") > 0
        legend = view.page.inner_text("#cl-legend")
        assert "gdp (100m yuan)" in legend and "no data" in legend and "Source (year)" in legend
        attribution = view.page.inner_text(".leaflet-control-attribution")
        assert "OpenStreetMap contributors" in attribution
        view.page.screenshot(path=str(artifacts_dir / f"pairing_map_{PROGRAMMES[programme]}.png"))
    finally:
        view.close()


def _click_first_pair_line(page) -> None:
    """Click on the line itself (a point 30 % along the SVG path), not its bounding box."""
    point = page.evaluate(
        """() => {
            for (const path of document.querySelectorAll('path.cl-pair')) {
                for (const f of [0.3, 0.7, 0.2, 0.8]) {
                    const p = path.getPointAtLength(path.getTotalLength() * f);
                    const m = path.getScreenCTM();
                    const x = p.x * m.a + p.y * m.c + m.e, y = p.x * m.b + p.y * m.d + m.f;
                    if (document.elementFromPoint(x, y) === path) return {x, y};
                }
            }
            return null;
        }"""
    )
    assert point is not None, "no pair line is clickable"
    page.mouse.click(point["x"], point["y"])


def test_clicking_a_pair_line_opens_its_figures(browser, maps, run_layers, artifacts_dir):
    pairs = run_layers.pairs["zhejiang-2023"]
    view = OfflinePage(browser, maps["zhejiang-2023"])
    try:
        assert view.count(".leaflet-popup") == 0
        _click_first_pair_line(view.page)
        view.page.wait_for_selector(".leaflet-popup-content table.cl-pair-figures", timeout=5_000)
        text = view.page.inner_text(".leaflet-popup-content")
        shown = [r for _, r in pairs.iterrows() if f"{r['helper_name']} → {r['helped_name']}" in text]
        assert len(shown) == 1, text
        row = shown[0]
        assert "GDP ratio" in text and f"{row['gdp_ratio']:g}" in text
        assert "Road time" in text and f"method: {row['method']}" in text
        assert f"{row['helper_gap_class']}" in text and f"{row['helped_gap_class']}" in text
        view.page.wait_for_timeout(600)  # popup fade-in and auto-pan
        view.page.screenshot(path=str(artifacts_dir / "pairing_map_zhejiang_popup.png"))
        assert view.errors == [] and view.blocked == []
    finally:
        view.close()


def test_layer_control_toggles_layers(browser, maps, run_layers):
    view = OfflinePage(browser, maps["both"])
    try:
        n_sd = _drawn_pairs(run_layers.pairs["shandong-2024"])
        n_zj = _drawn_pairs(run_layers.pairs["zhejiang-2023"])
        assert view.count("path.cl-pair") == n_sd + n_zj
        assert view.count("path.cl-county") == len(run_layers.counties)
        control = view.page.locator(".leaflet-control-layers-overlays label")
        sd_pairs = control.filter(has_text="Pairs — Shandong 2024").locator("input")
        sd_pairs.uncheck()
        assert view.count("path.cl-pair-shandong-2024") == 0
        assert view.count("path.cl-pair-zhejiang-2023") == n_zj
        sd_pairs.check()
        assert view.count("path.cl-pair-shandong-2024") == n_sd
        # the rail-gap layer starts hidden and appears on demand
        assert view.count("path.cl-gap") == 0
        control.filter(has_text="Rail gap classes").locator("input").check()
        assert view.count("path.cl-gap") == len(run_layers.gaps)
        control.filter(has_text="Counties — gdp").locator("input").uncheck()
        assert view.count("path.cl-county") == 0
        assert view.errors == [] and view.blocked == []
    finally:
        view.close()
