"""Railway tracks from scgraph-data world_railways: parse, extracts, distances along tracks."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from countylink.accessibility.osm.scgraph_data import load_network_arrays, read_world_network
from countylink.accessibility.rail.lines import read_corridors, track_rail_lines
from countylink.accessibility.rail.tracks import (
    load_marked_tracks,
    load_rail_tracks,
    rail_track_network,
    track_distance_matrix,
    track_lines,
)
from countylink.cli import main
from countylink.geo.boundaries import load_counties
from countylink.geo.crs import CHINA_ALBERS, haversine_m
from countylink.layers.rail_lines import rail_lines_layer
from countylink.methods import Method


@pytest.fixture(scope="module")
def world(network_cache):
    return read_world_network("railways", cache=network_cache, progress=False)


@pytest.fixture(scope="module")
def shandong(network_cache, world):
    return load_rail_tracks("shandong", cache=network_cache, progress=False)


@pytest.fixture(scope="module")
def stations(data_dir):
    st = pd.read_csv(data_dir / "rail" / "passenger_stations.csv")
    return st.rename(columns={"station_name": "id"}).set_index("id", drop=False)


def test_world_railways_size(world):
    assert world.n_nodes == 274_974
    assert np.all(world.u < world.v) and np.all(world.km >= 0)


@pytest.mark.slow
def test_text_parse_equals_importing_the_module(world):
    # the slow, memory-hungry way (executes the module; needs scgraph 2.x) must give the same arrays
    from scgraph_data.world_railways import graph, nodes

    assert np.array_equal(np.asarray(nodes)[:, 0], world.lat)
    assert np.array_equal(np.asarray(nodes)[:, 1], world.lon)
    pairs = {(min(i, j), max(i, j)) for i, adj in enumerate(graph) for j in adj if i != j}
    assert len(pairs) == world.n_edges
    for k in range(0, world.n_edges, 997):
        i, j = int(world.u[k]), int(world.v[k])
        assert world.km[k] == min(graph[i][j], graph[j][i])


def test_shandong_tracks_extract(shandong, world):
    assert shandong.source == "railways" and shandong.region == "shandong+20km"
    assert np.all(np.isin(shandong.node_id, np.arange(world.n_nodes)))
    # Shandong has about 7,400 km of railway in operation (2023); the extract adds the 20 km
    # buffer and counts parallel tracks drawn as separate lines, but misses newer lines
    assert 5_000 < shandong.km.sum() < 12_000
    lines = track_lines(shandong)
    assert len(lines) == shandong.n_edges and lines.crs.to_epsg() == 4326
    seg = haversine_m(
        shandong.lon[shandong.u], shandong.lat[shandong.u], shandong.lon[shandong.v], shandong.lat[shandong.v]
    )
    assert np.all(shandong.km * 1000.0 >= seg - 1.0)


def test_distances_along_tracks(network_cache, stations):
    net = rail_track_network("shandong", cache=network_cache, progress=False)
    pts = stations.loc[["济南", "淄博", "潍坊", "青岛", "一步滩"]].reset_index(drop=True)
    res = track_distance_matrix(net, pts, progress=False).set_index(["origin_id", "destination_id"])
    assert (res["method"] == Method.RAIL_TRACKS).all()
    assert "time_s" not in res.columns
    jq = res.loc[("济南", "青岛")]
    gc = haversine_m(*stations.loc["济南", ["lon", "lat"]], *stations.loc["青岛", ["lon", "lat"]])
    # 胶济 corridor: about 1.1 x the straight line (the 胶济客专 is 362 km long)
    assert gc < jq["distance_m"] < 1.3 * gc
    assert jq["distance_m"] == pytest.approx(res.loc[("青岛", "济南"), "distance_m"], abs=0.05)
    # along the line: Jinan -> Zibo -> Weifang -> Qingdao adds up (shortest paths obey the triangle inequality)
    via = res.loc[("济南", "淄博"), "distance_m"] + res.loc[("淄博", "青岛"), "distance_m"]
    assert jq["distance_m"] <= via + 1.0
    # a station in Sichuan is not on the Shandong tracks: NaN and the reason, no invented figure
    far = res.loc[("济南", "一步滩")]
    assert np.isnan(far["distance_m"]) and "destination farther than 3 km" in far["unrouted_reason"]
    assert (res.loc[("济南", "青岛"), "unrouted_reason"]) == ""


def test_cli_builds_railways(network_cache, tmp_path, monkeypatch, world):
    monkeypatch.setenv("COUNTYLINK_CACHE", str(network_cache))
    out = tmp_path / "zj_rail.npz"
    res = CliRunner().invoke(
        main, ["network", "build", "--source", "railways", "--province", "zhejiang", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    arrays = load_network_arrays(out)
    assert arrays.source == "railways" and arrays.region == "zhejiang+20km"
    assert f"{arrays.n_nodes:,} nodes" in res.output
    assert arrays.n_edges > 500


@pytest.fixture(scope="module")
def marked(network_cache, data_dir, world):
    corridors = read_corridors(data=data_dir)
    return corridors, load_marked_tracks(corridors, ("shandong", "zhejiang"), cache=network_cache)


@pytest.fixture(scope="module")
def counties():
    return load_counties(("shandong", "zhejiang")).set_index("adcode")


def _km_inside(lines, polygon) -> float:
    metric = lines.to_crs(CHINA_ALBERS).intersection(gpd.GeoSeries([polygon], crs=4326).to_crs(CHINA_ALBERS).iloc[0])
    return float(metric.length.sum() / 1000.0)


def test_high_speed_edges_follow_the_corridors(marked, counties):
    corridors, tracks = marked
    e = tracks.edges
    assert set(e.loc[e["highspeed"], "corridor"]) == {"京沪高铁", "沪昆高铁"}
    assert (e.loc[~e["highspeed"], "corridor"] == "").all()
    hs_corr = corridors[corridors["highspeed"].astype(bool)]
    # where a corridor crosses a county the marked track matches its route length (滕州: 京沪高铁, 龙游: 沪昆高铁)
    for code in ("370481", "330825"):
        poly = counties.at[code, "geometry"]
        route = _km_inside(hs_corr, poly)
        assert route > 20
        assert _km_inside(e[e["highspeed"]], poly) == pytest.approx(route, rel=0.25)
    # 缙云: the conventional 金温 line and no high-speed corridor: tracks, none marked
    poly = counties.at["331122", "geometry"]
    assert _km_inside(e[~e["highspeed"]], poly) > 20 and _km_inside(e[e["highspeed"]], poly) == 0


def test_rail_lines_layer_from_tracks(marked, counties):
    corridors, tracks = marked
    area = counties.reset_index()
    layer = rail_lines_layer(area, track_rail_lines(tracks.edges, corridors))
    kinds = layer["kind"].value_counts()
    assert set(kinds.index) == {"track", "corridor"}
    corr = layer[layer["kind"] == "corridor"]
    # each corridor drawn once, as one feature, high-speed and never freight
    assert sorted(corr["line_name"]) == ["京沪高铁", "沪昆高铁"]
    assert corr["highspeed"].all() and not corr["freight"].any()
    tr = layer[layer["kind"] == "track"]
    assert not tr["highspeed"].any() and tr["freight"].isna().all()  # the tracks carry no usage: unknown
    # merged into lines: far fewer features than edges, a size maps can carry
    assert len(layer) < tracks.arrays.n_edges / 2 and len(layer) < 3_000
    # Shandong and Zhejiang have about 7,400 + 3,900 km of railway in operation (2023, outside
    # knowledge: provincial statistical bulletins); the 2024 network misses some and draws some twice
    km = layer.to_crs(CHINA_ALBERS).length.sum() / 1000.0
    assert 7_000 < km < 14_000
