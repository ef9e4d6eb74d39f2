"""Pairing maps in a real headless Chromium, with every network request blocked.

Debian's ``chromium`` (``make browser``) driven by Playwright from PyPI.
Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from countylink.maps.layers import fmt_number
from countylink.maps.pairing_map import counties_for_pairs, pairing_map, save_map
from countylink.methods import describe
from countylink.pipeline import RunLayers
from countylink.pipeline.steps import map_kwargs

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
    """One map per programme and one with both, every layer the run built, as the maps step draws them."""
    folder = tmp_path_factory.mktemp("maps")
    out = {}
    for key, programmes in [*((p, [p]) for p in PROGRAMMES), ("both", list(PROGRAMMES))]:
        kwargs = map_kwargs(run_layers, programmes)
        pairs = kwargs.pop("pairs")
        counties = counties_for_pairs(run_layers.counties, pd.concat(list(pairs.values()), ignore_index=True))
        out[key] = save_map(pairing_map(counties, pairs, **kwargs), folder / f"{key}.html")
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

    def __init__(self, browser, path: Path, *, size: tuple[int, int] = (1280, 720)):
        self.page = browser.new_page(viewport={"width": size[0], "height": size[1]})
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

    def layer(self, layer_id: str):
        """The panel's switch of a layer (``counties``, ``gaps``, ``pairs@zhejiang-2023`` …)."""
        return self.page.locator(f'.cl-layers input[data-layer="{layer_id}"]')


def _drawn_pairs(layer) -> int:
    return int(layer.geometry.notna().sum())


#: points along every path of a CSS class that are inside the viewport and what element is on top there
COVERED_POINTS = """(cls) => {
    const out = [];
    for (const path of document.querySelectorAll('path.' + cls)) {
        const n = path.getTotalLength(), m = path.getScreenCTM();
        for (let k = 0; k < 60; k++) {
            const p = path.getPointAtLength(n * k / 60);
            const x = p.x * m.a + p.y * m.c + m.e, y = p.x * m.b + p.y * m.d + m.f;
            const top = document.elementFromPoint(x, y);
            out.push({x, y, inside: x >= 0 && y >= 0 && x < innerWidth && y < innerHeight,
                      covered: !!(top && top.closest('.leaflet-control, #cl-panel'))});
        }
    }
    return out;
}"""

#: a point on a line of the class where that line is the element on top, or null
TOP_POINT = """(cls) => {
    for (const path of document.querySelectorAll('path.' + cls)) {
        for (const f of [0.3, 0.7, 0.2, 0.8, 0.5, 0.4, 0.6]) {
            const p = path.getPointAtLength(path.getTotalLength() * f), m = path.getScreenCTM();
            const x = p.x * m.a + p.y * m.c + m.e, y = p.x * m.b + p.y * m.d + m.f;
            if (document.elementFromPoint(x, y) === path) return {x, y};
        }
    }
    return null;
}"""


def _inside(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"] - 1
        and inner["y"] >= outer["y"] - 1
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 1
    )


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
        assert view.count(".cl-arrow") == _drawn_pairs(pairs)  # one direction arrow per pair line
        assert view.count("path.cl-helped") == pairs["helped_adcode"].nunique()
        assert view.count("path.cl-helper") == pairs["helper_adcode"].dropna().nunique()
        assert view.count("path.cl-gap") == pairs["helped_adcode"].nunique()  # only helped counties get a rail fill
        assert view.count("path.cl-station-hsr") > 0 and view.count("path.cl-rail-hsr") > 0
        assert view.count("path.cl-province-line") > 0 and view.count(".cl-seat-label") > 0
        # labels: every paired county has one, none overlaps another that is shown
        assert view.count(".cl-label-helped") == pairs["helped_adcode"].nunique()
        shown = view.page.evaluate(
            "() => [...document.querySelectorAll('.cl-label:not(.cl-hidden) span')].map(e => e.getBoundingClientRect().toJSON())"
        )
        assert len(shown) >= pairs["helped_adcode"].nunique()
        for i, a in enumerate(shown):
            for b in shown[i + 1 :]:
                assert not (
                    a["left"] < b["right"]
                    and b["left"] < a["right"]
                    and a["top"] < b["bottom"]
                    and b["top"] < a["bottom"]
                )
        legend = view.page.inner_text("#cl-legend")
        assert "GDP (地区生产总值) — 100m yuan" in legend and "no data" in legend and "Source (year)" in legend
        assert "confirmed" in legend or "named" in legend  # pair status in line style, explained
        assert (
            "km" in view.page.inner_text(".leaflet-control-scale")
            and view.count(".leaflet-control-scale-imperial") == 0
        )
        attribution = view.page.inner_text(".leaflet-control-attribution")
        assert "OpenStreetMap contributors" in attribution
        headline = view.page.inner_text("#cl-headline")
        assert re.search(
            rf"\d+ of {pairs['helped_adcode'].nunique()} helped counties have no passenger station", headline
        )
        # the programme fills the map: its counties span most of the map's width or height
        box = view.page.evaluate(
            """() => { const b = L.featureGroup(); window.countylinkMap.eachLayer(l => { if (l.feature && l.options.className === 'cl-county') b.addLayer(l); });
                const bb = b.getBounds(), m = window.countylinkMap;
                const a = m.latLngToContainerPoint(bb.getNorthWest()), c = m.latLngToContainerPoint(bb.getSouthEast()), s = m.getSize();
                return [(c.x - a.x) / s.x, (c.y - a.y) / s.y]; }"""
        )
        assert max(box) > 0.8, box
        view.page.screenshot(path=str(artifacts_dir / f"pairing_map_{PROGRAMMES[programme]}.png"))
    finally:
        view.close()


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)])
def test_no_control_covers_a_paired_county(browser, maps, size):
    view = OfflinePage(browser, maps["both"], size=size)
    try:
        for cls in ("cl-helped", "cl-helper"):
            points = view.page.evaluate(COVERED_POINTS, cls)
            assert points and all(p["inside"] for p in points), f"{cls} outline outside the window at {size}"
            covered = [p for p in points if p["covered"]]
            assert covered == [], f"{len(covered)} points of {cls} outlines under a control at {size}"
        assert view.errors == [] and view.blocked == []
    finally:
        view.close()


def test_panel_collapses_and_the_map_takes_the_room(browser, maps, artifacts_dir):
    view = OfflinePage(browser, maps["both"], size=(1024, 768))
    try:
        width = "() => window.countylinkMap.getSize().x"
        before = view.page.evaluate(width)
        assert before <= 1024 - 250  # the panel sits beside the map, not over it
        view.page.click("#cl-panel-toggle")
        view.page.wait_for_timeout(100)
        assert view.page.evaluate(width) >= 1024 - 40
        assert not view.page.is_visible("#cl-legend") and view.page.is_visible("#cl-panel-toggle")
        view.page.screenshot(path=str(artifacts_dir / "pairing_map_panel_collapsed.png"))
        view.page.click("#cl-panel-toggle")
        view.page.wait_for_timeout(100)
        assert view.page.evaluate(width) == before and view.page.is_visible("#cl-legend")
        assert view.errors == []
    finally:
        view.close()


def test_drawing_order_holds_whatever_is_toggled(browser, maps, run_layers):
    view = OfflinePage(browser, maps["both"])
    try:
        n_sd = _drawn_pairs(run_layers.pairs["shandong-2024"])
        n_zj = _drawn_pairs(run_layers.pairs["zhejiang-2023"])
        assert view.count("path.cl-pair") == n_sd + n_zj
        view.layer("pairs@shandong-2024").uncheck()
        assert view.count("path.cl-pair-shandong-2024") == 0
        assert view.count("path.cl-pair-zhejiang-2023") == n_zj
        # the legend follows what is on
        assert "Pairs — Shandong 2024" not in view.page.inner_text("#cl-legend")
        # re-add in the "wrong" order: pairs first, then the fills that used to cover them
        for layer in ("gaps", "counties", "roles@zhejiang-2023", "corridors@zhejiang-2023"):
            if view.layer(layer).count():
                view.layer(layer).uncheck()
        view.layer("pairs@shandong-2024").check()
        for layer in ("corridors@zhejiang-2023", "roles@zhejiang-2023", "counties", "gaps"):
            if view.layer(layer).count():
                view.layer(layer).check()
        assert view.count("path.cl-pair-shandong-2024") == n_sd
        assert view.count("path.cl-gap") == sum(p["helped_adcode"].nunique() for p in run_layers.pairs.values())
        assert "Pairs — Shandong 2024" in view.page.inner_text("#cl-legend")
        # pairs stay above gap fills and counties: some point of a pair line is on top
        assert view.page.evaluate(TOP_POINT, "cl-pair") is not None
        order = view.page.evaluate(
            """() => ['clCounties', 'clGaps', 'clOutlines', 'clCorridors', 'clRail', 'clPairs', 'clStations', 'clLabels']
                .map(p => +getComputedStyle(window.countylinkMap.getPane(p)).zIndex)"""
        )
        assert order == sorted(order) and len(set(order)) == len(order)
        for pane, cls in (("clGaps", "cl-gap"), ("clPairs", "cl-pair"), ("clCounties", "cl-county")):
            assert view.page.evaluate(
                f"() => [...document.querySelectorAll('path.{cls}')].every(p => p.closest('.leaflet-{pane}-pane'))"
            )
        view.layer("counties").uncheck()
        assert view.count("path.cl-county") == 0
        assert view.errors == [] and view.blocked == []
    finally:
        view.close()


@pytest.mark.parametrize("programme", list(PROGRAMMES))
def test_pair_list_click_zooms_highlights_and_opens_figures(browser, maps, run_layers, artifacts_dir, programme):
    pairs = run_layers.pairs[programme]
    row = pairs[pairs["helper_adcode"].notna()].iloc[0]
    view = OfflinePage(browser, maps[programme], size=(1024, 768))
    try:
        zoom0 = view.page.evaluate("() => window.countylinkMap.getZoom()")
        view.page.click(f'.cl-pair-item[data-pair="{row["pair_id"]}"]')
        view.page.wait_for_selector(".leaflet-popup-content table.cl-figures", timeout=5_000)
        view.page.wait_for_timeout(400)
        assert view.page.evaluate("() => window.countylinkMap.getZoom()") > zoom0
        assert view.count("path.cl-highlight-county") == 2 and view.count("path.cl-pair.cl-highlight") == 1
        text = view.page.inner_text(".leaflet-popup-content")
        assert f"{row['helper_name']} → {row['helped_name']}" in text
        assert "GDP ratio" in text or pd.isna(row["gdp_ratio"])
        assert "Road" in text and "Helped county's rail" in text
        popup = view.page.locator(".leaflet-popup").last.bounding_box()
        frame = view.page.locator(".folium-map").bounding_box()
        assert _inside(popup, frame), (popup, frame)  # kept on screen, beside the panel
        view.page.screenshot(path=str(artifacts_dir / f"pairing_map_{PROGRAMMES[programme]}_pair.png"))
        assert view.errors == [] and view.blocked == []
    finally:
        view.close()


def test_unknown_helper_pairs_can_be_inspected(browser, maps, run_layers):
    pairs = run_layers.pairs["shandong-2024"]
    unknown = pairs[pairs["helper_adcode"].isna()]
    assert len(unknown) == 2
    view = OfflinePage(browser, maps["shandong-2024"])
    try:
        for _, row in unknown.iterrows():
            view.page.click(f'.cl-pair-item[data-pair="{row["pair_id"]}"]')
            view.page.wait_for_function(
                "(name) => (document.querySelector('.leaflet-popup-content') || {innerText: ''}).innerText.includes(name)",
                arg=str(row["helped_name"]),
                timeout=5_000,
            )
            text = view.page.inner_text(".leaflet-popup-content")
            assert f"helper unknown → {row['helped_name']}" in text and "inferred" in text
            assert view.count("path.cl-highlight-county") == 1
        assert view.errors == []
    finally:
        view.close()


def test_clicking_a_pair_line_opens_its_figures(browser, maps, run_layers, artifacts_dir):
    pairs = run_layers.pairs["zhejiang-2023"]
    view = OfflinePage(browser, maps["zhejiang-2023"])
    try:
        assert view.count(".leaflet-popup") == 0
        point = view.page.evaluate(TOP_POINT, "cl-pair")
        assert point is not None, "no pair line is clickable"
        view.page.mouse.click(point["x"], point["y"])
        view.page.wait_for_selector(".leaflet-popup-content table.cl-figures", timeout=5_000)
        text = view.page.inner_text(".leaflet-popup-content")
        shown = [r for _, r in pairs.iterrows() if f"{r['helper_name']} → {r['helped_name']}" in text]
        assert len(shown) == 1, text
        row = shown[0]
        assert "GDP ratio" in text and f"×{fmt_number(row['gdp_ratio'])}" in text
        assert describe(row["method"]) in text and row["method"] not in text  # method in words
        view.page.wait_for_timeout(600)  # popup fade-in and auto-pan
        popup = view.page.locator(".leaflet-popup").last.bounding_box()
        assert _inside(popup, view.page.locator(".folium-map").bounding_box())
        view.page.screenshot(path=str(artifacts_dir / "pairing_map_zhejiang_popup.png"))
        assert view.errors == [] and view.blocked == []
    finally:
        view.close()


def test_county_search_and_click_show_role_partner_and_figures(browser, maps, run_layers):
    pairs = run_layers.pairs["shandong-2024"]
    row = pairs[pairs["helped_name"] == "山亭区"].iloc[0]
    view = OfflinePage(browser, maps["both"], size=(1024, 768))
    try:
        view.page.fill("#cl-search", "山亭区")
        view.page.press("#cl-search", "Enter")
        view.page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
        text = view.page.inner_text(".leaflet-popup-content")
        assert "山亭区" in text and f"Helped by\t{row['helper_name']}" in text
        assert "GDP (地区生产总值)" in text or "Role" in text
        assert view.count("path.cl-highlight-county") == 1
        popup = view.page.locator(".leaflet-popup").last.bounding_box()
        assert _inside(popup, view.page.locator(".folium-map").bounding_box())
        # the county tooltip wraps instead of running 1,228 px on one line
        view.page.keyboard.press("Escape")
        view.page.evaluate("() => window.countylinkMap.closePopup()")
        centre = view.page.evaluate(
            """() => { const b = document.querySelector('path.cl-highlight-county').getBoundingClientRect();
                       return {x: b.left + b.width / 2, y: b.top + b.height / 2}; }"""
        )
        view.page.mouse.move(centre["x"], centre["y"])
        view.page.wait_for_selector(".leaflet-tooltip", timeout=3_000)
        tip = view.page.locator(".leaflet-tooltip").bounding_box()
        assert tip["width"] <= 260
        assert view.errors == [] and view.blocked == []
    finally:
        view.close()


@pytest.mark.parametrize("programme", list(PROGRAMMES))
def test_gap_view(browser, maps, run_layers, artifacts_dir, programme):
    """Rail gaps on their own: helped counties by rail class, line and km to the nearest station."""
    view = OfflinePage(browser, maps[programme])
    try:
        for layer in (f"pairs@{programme}", f"corridors@{programme}", "counties"):
            if view.layer(layer).count():
                view.layer(layer).uncheck()
        n_links = view.count("path.cl-gap-link")
        assert n_links > 0 and view.count(".cl-distance-label") == n_links
        legend = view.page.inner_text("#cl-legend")
        assert "Rail in the helped counties" in legend and "GDP" not in legend
        assert "incomplete" in view.page.inner_text("#cl-notes")
        view.page.screenshot(path=str(artifacts_dir / f"pairing_map_{PROGRAMMES[programme]}_gaps.png"))
        assert view.errors == [] and view.blocked == []
    finally:
        view.close()


def test_online_base_map_stays_quiet_offline(browser, run_layers, tmp_path):
    """--basemap osm on a machine without network: no request, no console error, the panel says why."""
    pairs = run_layers.pairs["zhejiang-2023"]
    path = save_map(
        pairing_map(counties_for_pairs(run_layers.counties, pairs), pairs, basemap="osm"), tmp_path / "osm.html"
    )
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.set_offline(True)
    page = context.new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(path.resolve().as_uri())
        page.wait_for_function("() => window.countylinkMap !== undefined", timeout=20_000)
        page.wait_for_timeout(500)
        assert requests == [] and errors == []
        assert "Offline" in page.inner_text("#cl-tiles-note")
        assert not page.locator('.cl-layers input[data-layer="tiles"]').is_checked()
    finally:
        context.close()


def test_default_run_map_draws_routed_corridors_with_popups(browser, main_run, artifacts_dir):
    """The default run's own map (routed on the national highway network): corridors drawn, clickable, explained."""
    import geopandas as gpd

    corridors = gpd.read_file(main_run / "corridors_zhejiang-2023.geojson")
    # every Zhejiang pair the network connects is drawn (玉环 is an island in it: no corridor invented)
    view = OfflinePage(browser, main_run / "map_zhejiang-2023.html")
    try:
        assert view.count("path.cl-corridor") == int(corridors.geometry.notna().sum()) >= 17
        point = view.page.evaluate(TOP_POINT, "cl-corridor")
        if point is None:  # pair arcs lie above the corridors: switch them off to reach one
            view.layer("pairs@zhejiang-2023").uncheck()
            point = view.page.evaluate(TOP_POINT, "cl-corridor")
        assert point is not None, "no corridor is clickable"
        view.page.mouse.click(point["x"], point["y"])
        view.page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
        text = view.page.inner_text(".leaflet-popup-content")
        assert "Road corridor" in text and "Counties crossed" in text, text
        assert describe("highway_network") in text
        tooltip = view.page.locator(".leaflet-tooltip").last.bounding_box()
        assert tooltip is None or tooltip["width"] > 120  # one line of words, not one word per line
        names = {f"{a} → {b}" for a, b in zip(corridors["helper_name"], corridors["helped_name"])}
        assert any(name in text for name in names), text
        view.page.wait_for_timeout(600)  # popup fade-in
        view.page.screenshot(path=str(artifacts_dir / "pairing_map_zhejiang_corridor.png"))
        assert view.errors == [] and view.blocked == []
    finally:
        view.close()
