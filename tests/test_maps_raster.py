"""Travel-time surfaces as an image layer: georeferencing, nodata, size, wiring, CLI and browser.

The pictures are checked the way a reader's eye would: take a place by its
longitude/latitude, find the pixel Leaflet draws there (Web Mercator between
the overlay's lat/lon corners), and compare its colour with the raster's
class at that place.
"""

from __future__ import annotations

import base64
import io
import re
import shutil

import numpy as np
import pyproj
import pytest
import rasterio
from affine import Affine
from click.testing import CliRunner
from PIL import Image

from countylink.errors import CountylinkError, DataError
from countylink.geo.raster import RasterGrid, RasterSurface, write_geotiff
from countylink.maps.raster_overlay import (
    DEFAULT_BREAKS_MIN,
    TRAVEL_TIME_COLOURS,
    UNREACHED_COLOUR,
    classify_minutes,
    surface_image,
)
from tests.test_maps_browser import OfflinePage, browser  # noqa: F401  (browser is a fixture)

TO_MERC = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
OVERLAY = re.compile(r'L\.imageOverlay\(\s*"data:image/png;base64,([^"]+)",\s*(\[\[[^\]]+\],\s*\[[^\]]+\]\])')
CLASS_COLOURS = [*TRAVEL_TIME_COLOURS, UNREACHED_COLOUR]


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def _overlays(page: str) -> list[tuple[np.ndarray, list]]:
    """(RGBA picture, [[south, west], [north, east]]) of every image overlay in a map page."""
    import json

    out = []
    for b64, bounds in OVERLAY.findall(page):
        img = Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGBA")
        out.append((np.asarray(img), json.loads(bounds)))
    return out


def _pixel_at(rgba: np.ndarray, bounds, lon, lat) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RGBA under lon/lat as Leaflet places the picture (linear in Web Mercator between the corners)."""
    (south, west), (north, east) = bounds
    (x0, x1), (y0, y1) = TO_MERC.transform([west, east], [south, north])
    x, y = TO_MERC.transform(np.asarray(lon, float), np.asarray(lat, float))
    h, w = rgba.shape[:2]
    cols = np.floor((x - x0) / (x1 - x0) * w).astype(int)
    rows = np.floor((y1 - y) / (y1 - y0) * h).astype(int)
    ok = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    out = np.zeros((len(cols), 4), dtype=np.uint8)
    out[ok] = rgba[rows[ok], cols[ok]]
    return out, rows, cols


def _ring_surface(cell_m: float, size_km: tuple[float, float]) -> RasterSurface:
    """Minutes = km from the centre (UTM 50N, over Shandong), a nodata corner and an unreachable block."""
    w, h = int(size_km[0] * 1000 / cell_m), int(size_km[1] * 1000 / cell_m)
    left, top = 600_000 - size_km[0] * 500, 4_000_000 + size_km[1] * 500
    grid = RasterGrid(pyproj.CRS("EPSG:32650"), Affine(cell_m, 0, left, 0, -cell_m, top), w, h)
    x, y = grid.cell_centres()
    minutes = np.hypot(x - 600_000, y - 4_000_000) / 1000.0
    minutes[(x > 600_000 + size_km[0] * 250) & (y > 4_000_000 + size_km[1] * 250)] = np.nan
    minutes[(x < left + 60_000) & (y < top - size_km[1] * 1000 + 60_000)] = np.inf
    return RasterSurface(
        values=minutes,
        grid=grid,
        kind="travel_time",
        units="min",
        method="crowfly_estimate",
        tags={"target": "stations"},
    )


def _random_lonlat(surface: RasterSurface, n: int, seed: int):
    rng = np.random.default_rng(seed)
    left, bottom, right, top = surface.grid.bounds
    x, y = rng.uniform(left, right, n), rng.uniform(bottom, top, n)
    lon, lat = pyproj.Transformer.from_crs(surface.grid.crs, "EPSG:4326", always_xy=True).transform(x, y)
    return x, y, np.asarray(lon), np.asarray(lat)


def _expected_rgba(classes: np.ndarray) -> np.ndarray:
    lut = np.array([[0, 0, 0, 0]] + [[*_rgb(c), 255] for c in CLASS_COLOURS], dtype=np.uint8)
    return lut[classes + 1]


# --- georeferencing, nodata, size (no browser) ----------------------------------------------


def test_pixels_at_known_lonlat_carry_the_raster_class_there():
    surface = _ring_surface(2000.0, (600, 600))
    img = surface_image(surface)
    rgba = np.asarray(Image.open(io.BytesIO(img.png())).convert("RGBA"))
    assert rgba.shape[:2] == img.shape and not img.downsampled
    x, y, lon, lat = _random_lonlat(surface, 4000, seed=7)
    truth = classify_minutes(surface.sample(x, y))
    # keep places whose 3 x 3 cells share one class: the display grid may take a neighbouring cell
    rows, cols = surface.grid.rowcol(x, y)
    cls = classify_minutes(surface.values)
    padded = np.pad(cls, 1, constant_values=-2)
    block = np.stack([padded[rows + 1 + dr, cols + 1 + dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1)])
    uniform = (block == block[4]).all(axis=0)
    assert uniform.sum() > 2500
    got, _, _ = _pixel_at(rgba, [list(img.bounds[0]), list(img.bounds[1])], lon[uniform], lat[uniform])
    want = _expected_rgba(truth[uniform])
    assert (got == want).all(axis=1).all(), f"{(~(got == want).all(axis=1)).sum()} places drawn in the wrong class"
    # every class is exercised: 5 minute classes, 'not reached' and transparent nodata
    assert set(truth[uniform].tolist()) == set(range(-1, len(DEFAULT_BREAKS_MIN) + 2))
    assert (got[truth[uniform] == -1, 3] == 0).all()
    # the check is sharp: the same picture placed 3 display cells east is caught
    (s, w), (n, e) = img.bounds
    shift = 3 * (e - w) / img.shape[1]
    moved, _, _ = _pixel_at(rgba, [[s, w + shift], [n, e + shift]], lon[uniform], lat[uniform])
    assert (~(moved == want).all(axis=1)).sum() > 50
    # and so is the unwarped picture stretched over lon/lat bounds (Mercator stretch ignored)
    naive_rows = np.floor((n - lat[uniform]) / (n - s) * img.shape[0]).astype(int)
    merc_rows = _pixel_at(rgba, [[s, w], [n, e]], lon[uniform], lat[uniform])[1]
    assert np.abs(naive_rows - merc_rows).max() >= 1


@pytest.mark.slow
def test_large_surfaces_are_downsampled_to_a_bounded_picture():
    surface = _ring_surface(100.0, (300, 240))  # 3000 x 2400 cells
    img = surface_image(surface, max_side=400)
    png = img.png()
    assert img.downsampled and max(img.shape) <= 400 and max(img.shape) >= 390
    assert img.display_cell_m > 700
    assert len(png) < 40_000
    rgba = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    x, y, lon, lat = _random_lonlat(surface, 3000, seed=3)
    km = np.hypot(x - 600_000, y - 4_000_000) / 1000.0
    truth = classify_minutes(surface.sample(x, y))
    # far (2 display cells) from any ring or from the nodata / unreachable edges
    margin = 2 * img.display_cell_m / 1000.0
    far = np.min(np.abs(km[:, None] - np.asarray(DEFAULT_BREAKS_MIN)[None, :]), axis=1) > margin
    left, bottom, right, top = surface.grid.bounds
    far &= np.abs(x - (600_000 + 75_000)) / 1000 > margin  # nodata corner edges
    far &= np.abs(y - (4_000_000 + 60_000)) / 1000 > margin
    far &= np.abs(x - (left + 60_000)) / 1000 > margin
    far &= np.abs(y - (bottom + 60_000)) / 1000 > margin
    far &= np.minimum.reduce([x - left, right - x, y - bottom, top - y]) / 1000 > margin  # the raster's own edge
    assert far.sum() > 1500
    got, _, _ = _pixel_at(rgba, [list(img.bounds[0]), list(img.bounds[1])], lon[far], lat[far])
    assert (got == _expected_rgba(truth[far])).all()


def test_bad_surfaces_and_breaks_are_refused(tmp_path):
    surface = _ring_surface(4000.0, (200, 200))
    friction = RasterSurface(values=surface.values, grid=surface.grid, kind="friction", units="min/m", method="x")
    with pytest.raises(DataError, match="travel-time surface is needed"):
        surface_image(friction)
    with pytest.raises(CountylinkError, match="not found"):
        surface_image(tmp_path / "missing.tif")
    (tmp_path / "notes.tif").write_text("not a raster", encoding="utf-8")
    with pytest.raises(CountylinkError, match="not a readable GeoTIFF"):
        surface_image(tmp_path / "notes.tif")
    with pytest.raises(CountylinkError, match="increasing"):
        surface_image(surface, breaks=(60, 30))
    # a GeoTIFF round trip keeps method and places the picture identically
    # (write_geotiff stores unreachable cells, inf, as nodata)
    path = write_geotiff(surface, tmp_path / "access_stations_crowfly_xx.tif")
    a, b = surface_image(surface), surface_image(path)
    unreached = len(DEFAULT_BREAKS_MIN) + 1
    assert (a.classes == unreached).any()
    assert b.method == "crowfly_estimate" and a.bounds == b.bounds
    assert (b.classes == np.where(a.classes == unreached, -1, a.classes)).all()


def test_gcj02_basemap_shifts_the_picture_like_the_vector_layers():
    from countylink.geo.coords import wgs84_to_gcj02

    surface = _ring_surface(4000.0, (200, 200))
    plain, shifted = surface_image(surface), surface_image(surface, gcj02=True)
    assert (plain.classes == shifted.classes).all()
    (s0, w0), (n0, e0) = plain.bounds
    (s1, w1), (n1, e1) = shifted.bounds
    glon, glat = wgs84_to_gcj02(np.array([(w0 + e0) / 2]), np.array([(s0 + n0) / 2]))
    dlon, dlat = glon[0] - (w0 + e0) / 2, glat[0] - (s0 + n0) / 2
    metres = np.hypot(dlon * 111_320 * np.cos(np.radians((s0 + n0) / 2)), dlat * 110_574)
    assert 100 < metres < 1000  # the GCJ-02 offset in eastern China is a few hundred metres
    for a, b, d in ((w0, w1, dlon), (e0, e1, dlon), (s0, s1, dlat), (n0, n1, dlat)):
        assert b - a == pytest.approx(d, abs=1e-9)


# --- the maps of a run -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run(run_context):
    """A run without road graph: counties, pairs, corridors, rail gaps, access surfaces, maps (conftest)."""
    return run_context


def _file(ctx, name):
    return next(p for p in ctx.extra_files if p.name == name)


def test_run_maps_carry_the_surfaces_of_their_province(run, artifacts_dir):
    sizes = {p.name: p.stat().st_size for p in run.extra_files if p.suffix == ".html"}
    assert set(sizes) == {"map_shandong-2024.html", "map_zhejiang-2023.html", "map_all.html"}
    # both provinces, every layer (counties, pairs, rail, stations, gaps, 4 surfaces): a few MB
    assert sizes["map_all.html"] < 6e6, sizes
    (artifacts_dir / "map_sizes_with_surfaces.txt").write_text(
        "".join(f"{k}\t{v / 1e6:.2f} MB\n" for k, v in sorted(sizes.items())), encoding="utf-8"
    )
    page_all = _file(run, "map_all.html").read_text(encoding="utf-8")
    assert len(_overlays(page_all)) == 4
    sd = _file(run, "map_shandong-2024.html").read_text(encoding="utf-8")
    overlays = _overlays(sd)
    assert len(overlays) == 2  # walking and crow-fly drive estimate of Shandong, not Zhejiang's
    for _, ((south, west), (north, east)) in overlays:
        assert 34 < south < 35 and 38 < north < 39 and 114 < west < 116 and 122 < east < 123.5
    assert "Travel time to passenger station — crow-fly drive estimate" in sd
    assert "Travel time to passenger station — walking, off-road only" in sd
    for text in ("<code>crowfly_estimate</code>", "<code>friction_offroad_only</code>", "2000 m cells"):
        assert text in sd
    # the crow-fly drive estimate comes first in the layer control
    assert sd.index("cl-travel-time-crowfly_estimate") < sd.index("cl-travel-time-friction_offroad_only")


def test_surface_pixels_sit_on_the_counties(run):
    """Real Shandong surface: inside the counties the colour is the GeoTIFF's class, outside it is clear."""
    import geopandas as gpd

    tif = _file(run, "access_stations_crowfly_37.tif")
    page = _file(run, "map_shandong-2024.html").read_text(encoding="utf-8")
    rgba, bounds = _crowfly_overlay(page)
    counties = run.layers.counties
    sd = counties[counties["adcode"].str.startswith("37")]
    # county seats: the drawn class is the GeoTIFF's class at the seat (read straight from the file)
    with rasterio.open(tif) as ds:
        vals = ds.read(1).astype(float)
        vals[vals == ds.nodata] = np.nan
        to_grid = pyproj.Transformer.from_crs("EPSG:4326", ds.crs.to_wkt(), always_xy=True)
        gx, gy = to_grid.transform(sd["seat_lon"].to_numpy(), sd["seat_lat"].to_numpy())
        rows, cols = rasterio.transform.rowcol(ds.transform, gx, gy)
        rows, cols = np.asarray(rows), np.asarray(cols)
    cls = classify_minutes(vals)
    padded = np.pad(cls, 1, constant_values=-2)
    block = np.stack([padded[rows + 1 + dr, cols + 1 + dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1)])
    uniform = (block == block[4]).all(axis=0) & (block[4] >= 0)
    assert uniform.sum() >= 0.6 * len(sd)
    got, _, _ = _pixel_at(rgba, bounds, sd["seat_lon"].to_numpy()[uniform], sd["seat_lat"].to_numpy()[uniform])
    assert (got == _expected_rgba(cls[rows[uniform], cols[uniform]])).all()
    # away from the border: opaque inside the province, transparent outside (sea, Hebei, Henan, Jiangsu)
    (south, west), (north, east) = bounds
    rng = np.random.default_rng(11)
    pts = gpd.GeoSeries(gpd.points_from_xy(rng.uniform(west, east, 3000), rng.uniform(south, north, 3000)), crs=4326)
    metric = "EPSG:32650"
    shape = sd.to_crs(metric).union_all()
    d = pts.to_crs(metric).distance(shape.boundary).to_numpy()
    inside = pts.to_crs(metric).within(shape).to_numpy()
    got, _, _ = _pixel_at(rgba, bounds, pts.x.to_numpy(), pts.y.to_numpy())
    far = d > 4000  # two 2 km cells from the border
    assert (inside & far).sum() > 500 and (~inside & far).sum() > 500
    assert (got[inside & far, 3] == 255).all()
    assert (got[~inside & far, 3] == 0).all()


def _crowfly_overlay(page: str):
    """The crow-fly picture of a map page (its ImageOverlay carries the method's class name)."""
    blocks = re.split(r"(?=L\.imageOverlay\()", page)[1:]
    for block in blocks:
        head = block[: block.index(");")]
        if "cl-travel-time-crowfly_estimate" in head:
            return _overlays(head)[0]
    raise AssertionError("no crow-fly overlay")


def test_cli_map_takes_surfaces_from_files_and_run_folders(run, tmp_path):
    from countylink.cli import main
    from countylink.layers.export import export_layer

    runner = CliRunner()
    tif33, tif37 = _file(run, "access_stations_33.tif"), _file(run, "access_stations_crowfly_37.tif")
    folder = tmp_path / "run"
    folder.mkdir()
    export_layer(run.layers.counties, folder / "counties.geojson", fmt="geojson")
    export_layer(run.layers.pairs["zhejiang-2023"], folder / "pairs_zhejiang-2023.geojson", fmt="geojson")
    out = tmp_path / "zj.html"
    res = runner.invoke(
        main,
        [
            "map",
            "--programme",
            "zhejiang-2023",
            "--from",
            str(folder),
            "--layers",
            "travel_time",
            "--surface",
            str(tif33),
            "--surface",
            str(tif37),
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "access_stations_crowfly_37.tif lies outside" in res.output
    page = out.read_text(encoding="utf-8")
    assert len(_overlays(page)) == 1 and "cl-travel-time-friction_offroad_only" in page
    # --from picks up the run folder's surfaces (crow-fly and walking of both provinces)
    for tif in run.extra_files:
        if tif.suffix == ".tif":
            shutil.copy(tif, folder / tif.name)
    res = runner.invoke(main, ["map", "--programme", "zhejiang-2023", "--from", str(folder), "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    assert len(_overlays(page)) == 2
    assert page.index("cl-travel-time-crowfly_estimate") < page.index("cl-travel-time-friction_offroad_only")
    # bad input: one clear line, exit 2, nothing written
    (tmp_path / "friction.tif").write_bytes(b"")
    target = tmp_path / "bad.html"
    for args, message in [
        (["--layers", "travel_time", "--from", str(tmp_path)], "no counties.geojson"),
        (["--surface", str(tmp_path / "nope.tif"), "--from", str(folder)], "not found"),
        (["--surface", str(tmp_path / "friction.tif"), "--from", str(folder)], "not a readable GeoTIFF"),
    ]:
        res = runner.invoke(main, ["map", "--programme", "zhejiang-2023", *args, "-o", str(target)])
        assert res.exit_code == 2 and message in res.output, (args, res.output)
        assert not target.exists()
    empty = tmp_path / "run2"
    empty.mkdir()
    for name in ("counties.geojson", "pairs_zhejiang-2023.geojson"):
        shutil.copy(folder / name, empty / name)
    res = runner.invoke(
        main,
        ["map", "--programme", "zhejiang-2023", "--from", str(empty), "--layers", "travel_time", "-o", str(target)],
    )
    assert res.exit_code == 2 and "'travel_time' is not available" in res.output
    assert not target.exists()


# --- in the browser ----------------------------------------------------------------------------


@pytest.mark.browser
def test_surface_layer_is_hidden_then_drawn_in_the_browser(browser, run, artifacts_dir):  # noqa: F811
    view = OfflinePage(browser, _file(run, "map_all.html"))
    try:
        control = view.page.locator(".cl-layers label")
        crowfly = control.filter(has_text="Travel time to passenger station — crow-fly drive estimate").locator("input")
        walking = control.filter(has_text="Travel time to passenger station — walking, off-road only").locator("input")
        assert crowfly.count() == 1 and walking.count() == 1
        assert not crowfly.is_checked() and not walking.is_checked()
        assert view.count("img.leaflet-image-layer") == 0
        crowfly.check()
        view.page.wait_for_timeout(300)
        assert view.count("img.leaflet-image-layer.cl-travel-time-crowfly_estimate") == 2  # Shandong, Zhejiang
        # each picture sits exactly on its lat/lon corners as Leaflet projects them
        placed = view.page.evaluate(
            """() => {
                const out = [];
                const map = window.countylinkMap;
                map.eachLayer(l => {
                    if (!(l instanceof L.ImageOverlay)) return;
                    const b = l.getBounds(), r = l.getElement().getBoundingClientRect();
                    const box = map.getContainer().getBoundingClientRect();
                    const nw = map.latLngToContainerPoint(b.getNorthWest()), se = map.latLngToContainerPoint(b.getSouthEast());
                    out.push([r.left - box.left - nw.x, r.top - box.top - nw.y, r.right - box.left - se.x,
                              r.bottom - box.top - se.y, l.getElement().complete, l.getElement().naturalWidth]);
                });
                return out;
            }"""
        )
        assert len(placed) == 2
        for dl, dt, dr, db, complete, natural in placed:
            assert max(abs(dl), abs(dt), abs(dr), abs(db)) < 1.5 and complete and natural > 100
        # the layer panes: the picture is above the county fills and lets clicks through to the pair lines
        assert (
            view.page.evaluate("() => getComputedStyle(window.countylinkMap.getPane('clTravelTime')).pointerEvents")
            == "none"
        )
        view.page.screenshot(path=str(artifacts_dir / "pairing_map_travel_time_crowfly.png"))
        # close up on the Shandong peninsula: the cells should follow the coast
        view.page.evaluate("() => window.countylinkMap.setView([37.2, 121.0], 9, {animate: false})")
        view.page.wait_for_timeout(300)
        view.page.screenshot(path=str(artifacts_dir / "pairing_map_travel_time_crowfly_peninsula.png"))
        walking.check()
        crowfly.uncheck()
        assert view.count("img.leaflet-image-layer.cl-travel-time-friction_offroad_only") == 2
        assert view.count("img.leaflet-image-layer.cl-travel-time-crowfly_estimate") == 0
        walking.uncheck()
        assert view.count("img.leaflet-image-layer") == 0
        assert view.errors == [] and view.blocked == []
    finally:
        view.close()
