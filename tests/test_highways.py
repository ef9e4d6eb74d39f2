"""The embedded national highway network (scgraph-data world_highways): extracts, snapping, islands, routing."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from countylink.accessibility.osm.scgraph_data import (
    extract_network,
    load_network_arrays,
    parse_network_module,
    read_world_network,
    subset_network,
)
from countylink.accessibility.road.highways import (
    DEFAULT_HIGHWAY_SPEED_KPH,
    REASON_ISLAND,
    highway_corridors,
    highway_travel_time_matrix,
    highway_travel_time_pairs,
    point_connectivity,
    routing_network_from_arrays,
    unconnected_pairs,
)
from countylink.accessibility.road.travel_time import DEFAULT_ACCESS_SPEED_KPH
from countylink.cli import main
from countylink.errors import DataError
from countylink.geo.boundaries import load_counties, province_outlines
from countylink.geo.crs import haversine_m
from countylink.methods import Method

ZHOUSHAN_AND_YUHUAN = {"定海区", "普陀区", "岱山县", "嵊泗县", "玉环市"}


@pytest.fixture(scope="module")
def world(network_cache):
    return read_world_network("highways", cache=network_cache, progress=False)


@pytest.fixture(scope="module")
def shandong(network_cache, world):
    return extract_network("highways", "shandong", cache=network_cache, progress=False)


@pytest.fixture(scope="module")
def zhejiang(network_cache, world):
    return extract_network("highways", "zhejiang", cache=network_cache, progress=False)


@pytest.fixture(scope="module")
def seats():
    c = load_counties()
    return c.rename(columns={"adcode": "id", "seat_lon": "lon", "seat_lat": "lat"})[
        ["id", "name", "province", "lon", "lat"]
    ]


def _seats_of(seats, province):
    return seats[seats["province"] == province].reset_index(drop=True)


def test_world_parse_sizes_and_sanity(world):
    # the package's stated size, and every node a real coordinate
    assert world.n_nodes == 560_282
    assert np.all(np.abs(world.lat) <= 90) and np.all(np.abs(world.lon) <= 180)
    assert np.all(world.u < world.v)
    assert len(np.unique(world.u.astype(np.int64) * world.n_nodes + world.v)) == world.n_edges
    assert np.all(world.km >= 0)


def test_data_note_check_point_reproduced(world):
    # The data notes' figure (9,638 nodes, 15,558 edges) was measured with a "20 km"
    # buffer drawn in Web Mercator (about 16 km true at 36 N): reproducing it exactly
    # confirms that the text parse reads the package as it is.
    outline = province_outlines("shandong").to_crs(3857)
    region = outline.buffer(20_000).to_crs(4326).iloc[0]
    mercator = subset_network(world, shapely.contains_xy(region, world.lon, world.lat), region="check")
    assert (mercator.n_nodes, mercator.n_edges) == (9_638, 15_558)


def test_shandong_extract_true_20km(shandong, world):
    outline = province_outlines("shandong")
    assert shandong.region == "shandong+20km"
    # a true 20 km buffer (UTM) is wider than the Web Mercator one: a superset of the check point
    assert 9_638 < shandong.n_nodes < 10_500 and 15_558 < shandong.n_edges < 17_000
    # every kept node within 20 km of the province, and nodes just outside the buffer dropped
    utm = outline.estimate_utm_crs()
    region = outline.to_crs(utm).geometry.iloc[0]
    pts = pd.Series(shapely.points(shandong.lon, shandong.lat))
    import geopandas as gpd

    xy = gpd.GeoSeries(pts, crs=4326).to_crs(utm)
    assert float(xy.distance(region).max()) <= 20_000.0 + 1.0
    dropped = np.setdiff1d(np.arange(world.n_nodes), shandong.node_id)
    box = (
        (world.lon[dropped] > 114)
        & (world.lon[dropped] < 123.5)
        & (world.lat[dropped] > 34)
        & (world.lat[dropped] < 38.8)
    )
    near = gpd.GeoSeries(shapely.points(world.lon[dropped][box], world.lat[dropped][box]), crs=4326).to_crs(utm)
    assert float(near.distance(region).min()) > 20_000.0 - 1.0


def test_edge_lengths_are_the_package_km(shandong):
    h_km = (
        haversine_m(
            shandong.lon[shandong.u], shandong.lat[shandong.u], shandong.lon[shandong.v], shandong.lat[shandong.v]
        )
        / 1000.0
    )
    diff = shandong.km - h_km
    # never shorter than the straight segment; most edges are just it (to 0.5 %, the
    # package's own rounding and Earth radius), the rest follow the original way's bends
    assert diff.min() > -0.001
    assert np.mean(np.abs(diff) <= np.maximum(0.002, 0.005 * h_km)) > 0.9
    net = routing_network_from_arrays(shandong)
    pos = np.searchsorted(net.edge_keys, shandong.u.astype(np.int64) * net.n + shandong.v)
    assert np.allclose(net.edge_lengths[pos], shandong.km * 1000.0)
    assert np.allclose(net.edge_times[pos], shandong.km * 1000.0 / (DEFAULT_HIGHWAY_SPEED_KPH / 3.6))


def test_extract_is_cached_and_reproducible(shandong, network_cache, tmp_path):
    again = extract_network("highways", "shandong", cache=network_cache, progress=False)
    assert np.array_equal(again.node_id, shandong.node_id) and np.array_equal(again.km, shandong.km)
    rebuilt = extract_network("highways", "山东省", cache=network_cache, rebuild=True, progress=False)
    assert np.array_equal(rebuilt.u, shandong.u) and np.array_equal(rebuilt.v, shandong.v)
    copy = load_network_arrays(shandong.save(tmp_path / "sd.npz"))
    assert (copy.region, copy.n_nodes, copy.n_edges) == (shandong.region, shandong.n_nodes, shandong.n_edges)


def test_shandong_seats_all_snap_close_and_connected(shandong, seats):
    net = routing_network_from_arrays(shandong)
    sd = _seats_of(seats, "山东省")
    conn = point_connectivity(net, sd)
    assert len(conn) == 136
    assert conn["connected"].all()
    assert conn["snap_m"].max() < 7_100.0  # the data notes' 7.1 km


def test_zhejiang_islands_are_reported(zhejiang, seats):
    net = routing_network_from_arrays(zhejiang)
    zj = _seats_of(seats, "浙江省")
    # unlimited snapping (as in the data notes): 85 of 90 on the main component
    conn = point_connectivity(net, zj, max_snap_m=np.inf).assign(name=zj["name"])
    assert conn["connected"].sum() == 85
    assert set(conn.loc[~conn["connected"], "name"]) == ZHOUSHAN_AND_YUHUAN
    reasons = conn.set_index("name")["unrouted_reason"]
    # 舟山's seats lie off the mainland land outline: islands; 玉环 is joined to it by the
    # 漩门 dam, so its 30-node component is reported as a missing link, not as an island
    assert (reasons[["定海区", "普陀区", "岱山县", "嵊泗县"]] == REASON_ISLAND).all()
    assert reasons["玉环市"].startswith("seat snaps to a network component of 30 nodes not connected")
    # default 10 km snap: 洞头区's seat (joined to the mainland outline by the 温州半岛 causeway) is too far
    conn10 = point_connectivity(net, zj).assign(name=zj["name"])
    dongtou = conn10.set_index("name").loc["洞头区"]
    assert not dongtou["connected"] and dongtou["unrouted_reason"] == "seat farther than 10 km from the network"
    assert (conn10.set_index("name").loc[["定海区", "普陀区"], "unrouted_reason"] == REASON_ISLAND).all()


def test_island_programme_pair_reported_not_silently_crowflown(zhejiang, seats, data_dir):
    pairs = pd.read_csv(data_dir / "economy" / "programme_pairs_sources.csv", dtype=str)
    pairs = pairs[pairs["province"] == "浙江省"]
    zj = _seats_of(seats, "浙江省").set_index("id")
    o = zj.loc[pairs["helper_adcode"]].reset_index()
    d = zj.loc[pairs["helped_adcode"]].reset_index()
    net = routing_network_from_arrays(zhejiang)
    bad = unconnected_pairs(net, o, d)
    # 玉环市 (helper of 仙居县) is the only island among the 18 pairs
    assert list(bad["origin_id"]) == ["331083"] and list(bad["destination_id"]) == ["331024"]
    assert bad["unrouted_reason"].iloc[0].startswith("origin seat snaps to a network component")
    res = highway_travel_time_pairs(net, o, d, progress=False)
    on_island = res["origin_id"] == "331083"
    assert (res.loc[on_island, "method"] == Method.CROWFLY_ESTIMATE).all()
    assert res.loc[on_island, "unrouted_reason"].str.contains("not connected to the main network").all()
    assert (res.loc[~on_island, "method"] == Method.HIGHWAY_NETWORK).all()
    assert (res.loc[~on_island, "unrouted_reason"] == "").all()
    assert res["time_s"].notna().all()
    no_fallback = highway_travel_time_pairs(net, o, d, crowfly_fallback=False, progress=False)
    assert no_fallback.loc[on_island, "time_s"].isna().all()


def test_matrix_equals_plain_dijkstra(shandong, seats):
    sd = _seats_of(seats, "山东省")
    net = routing_network_from_arrays(shandong)
    origins = sd.iloc[::9].reset_index(drop=True)  # 16 origins x 136 destinations
    res = highway_travel_time_matrix(net, origins, sd, progress=False)
    assert len(res) == len(origins) * len(sd)
    assert (res["method"] == Method.HIGHWAY_NETWORK).all()
    # independent check: NetworkX Dijkstra on km weights from brute-force nearest nodes
    graph = nx.Graph()
    graph.add_weighted_edges_from(zip(shandong.u.tolist(), shandong.v.tolist(), shandong.km.tolist()))

    def nearest(lon, lat):
        dist = haversine_m(lon, lat, shandong.lon, shandong.lat)
        return int(np.argmin(dist)), float(dist.min())

    ends = {r.id: nearest(r.lon, r.lat) for r in sd.itertuples()}
    speed = DEFAULT_HIGHWAY_SPEED_KPH / 3.6
    access = DEFAULT_ACCESS_SPEED_KPH / 3.6
    for oid in origins["id"]:
        src, o_snap = ends[oid]
        lengths = nx.single_source_dijkstra_path_length(graph, src)
        rows = res[res["origin_id"] == oid]
        for row in rows.itertuples():
            dst, d_snap = ends[row.destination_id]
            net_m = lengths[dst] * 1000.0
            assert row.distance_m == pytest.approx(net_m + o_snap + d_snap, abs=0.05)
            assert row.time_s == pytest.approx(net_m / speed + (o_snap + d_snap) / access, abs=0.01)


def test_speed_is_overridable(shandong, seats):
    sd = _seats_of(seats, "山东省").iloc[:5]
    slow = highway_travel_time_matrix(routing_network_from_arrays(shandong, speed_kph=40.0), sd, progress=False)
    fast = highway_travel_time_matrix(routing_network_from_arrays(shandong), sd, progress=False)
    access_s = slow["snap_m"] / (DEFAULT_ACCESS_SPEED_KPH / 3.6)
    ratio = (slow["time_s"] - access_s) / (fast["time_s"] - access_s)
    moving = (fast["distance_m"] - fast["snap_m"]) > 0
    assert np.allclose(ratio[moving], DEFAULT_HIGHWAY_SPEED_KPH / 40.0)
    with pytest.raises(DataError, match="speed_kph"):
        routing_network_from_arrays(shandong, speed_kph=0)


def test_shanting_jimo_close_to_reported_four_hours(shandong, seats):
    sd = _seats_of(seats, "山东省").set_index("id")
    pair = highway_travel_time_pairs(
        routing_network_from_arrays(shandong),
        sd.loc[["370406"]].reset_index(),
        sd.loc[["370215"]].reset_index(),
        progress=False,
    )
    hours = pair["time_s"].iloc[0] / 3600
    # seed 000: "about 4 hours by car"; the assumed 80 km/h is on the cautious side
    assert 4.0 <= hours <= 5.0
    assert 300_000 < pair["distance_m"].iloc[0] < 420_000


def test_corridors_follow_network_edges(shandong, seats):
    sd = _seats_of(seats, "山东省").set_index("id")
    o = sd.loc[["370406", "370202", "370681"]].reset_index()
    d = sd.loc[["370215", "371603", "371428"]].reset_index()
    net = routing_network_from_arrays(shandong)
    counties = load_counties("shandong")
    cor = highway_corridors(net, o, d, counties=counties)
    times = highway_travel_time_pairs(net, o, d, progress=False)
    edges = {
        (round(a, 6), round(b, 6), round(c, 6), round(e, 6))
        for a, b, c, e in zip(
            shandong.lon[shandong.u], shandong.lat[shandong.u], shandong.lon[shandong.v], shandong.lat[shandong.v]
        )
    }
    for i, row in cor.iterrows():
        assert row["method"] == Method.HIGHWAY_NETWORK and row["unrouted_reason"] == ""
        coords = np.asarray(row.geometry.coords)
        assert tuple(coords[0]) == (o["lon"][i], o["lat"][i]) and tuple(coords[-1]) == (d["lon"][i], d["lat"][i])
        inner = coords[1:-1]
        for (x1, y1), (x2, y2) in zip(inner[:-1], inner[1:]):
            key = (round(x1, 6), round(y1, 6), round(x2, 6), round(y2, 6))
            rev = (round(x2, 6), round(y2, 6), round(x1, 6), round(y1, 6))
            assert key in edges or rev in edges
        assert row["length_m"] == pytest.approx(times["distance_m"][i], abs=0.05)
        assert row["time_s"] == pytest.approx(times["time_s"][i], abs=0.01)
        names = row["counties"].split(";")
        assert names[0] == o["name"][i] and d["name"][i] in names


def test_parser_refuses_code(tmp_path):
    bad = tmp_path / "evil.py"
    bad.write_text("graph=[__import__('os').system('true')]\nnodes=[[1.0, 2.0]]\n", encoding="utf-8")
    with pytest.raises(DataError, match="more than numbers"):
        parse_network_module(bad, progress=False)
    mismatch = tmp_path / "mismatch.py"
    mismatch.write_text("graph=[{1: 2.0}, {0: 2.0}]\nnodes=[[1.0, 2.0]]\n", encoding="utf-8")
    with pytest.raises(DataError, match="adjacency"):
        parse_network_module(mismatch, progress=False)


def test_cli_network_build_and_matrix(shandong, network_cache, tmp_path, monkeypatch):
    monkeypatch.setenv("COUNTYLINK_CACHE", str(network_cache))
    runner = CliRunner()
    out = tmp_path / "sd.npz"
    res = runner.invoke(main, ["network", "build", "--source", "highways", "--province", "shandong", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert f"{shandong.n_nodes:,} nodes" in res.output and "OpenStreetMap" in res.output
    assert load_network_arrays(out).n_edges == shandong.n_edges
    edges = tmp_path / "sd.parquet"
    res = runner.invoke(main, ["network", "build", "--source", "highways", "--province", "shandong", "-o", str(edges)])
    assert res.exit_code == 0, res.output
    import geopandas as gpd

    assert len(gpd.read_parquet(edges)) == shandong.n_edges
    matrix = tmp_path / "m.parquet"
    res = runner.invoke(
        main, ["matrix", "--counties", "shandong", "--network", "highways", "-o", str(matrix)], catch_exceptions=False
    )
    assert res.exit_code == 0, res.output
    table = pd.read_parquet(matrix)
    assert len(table) == 136 * 136
    assert {"origin_id", "destination_id", "time_s", "distance_m", "method"} <= set(table.columns)
    assert (table["method"] == Method.HIGHWAY_NETWORK).all()
    bad = runner.invoke(main, ["network", "build", "--source", "highways", "--pbf", "x.pbf"])
    assert bad.exit_code == 2 and "not both" in bad.output


@pytest.mark.slow
def test_national_network_connects_mainland_seats(network_cache, monkeypatch):
    monkeypatch.setenv("COUNTYLINK_CACHE", str(network_cache))
    from countylink.geo import boundaries

    boundaries._load.cache_clear()
    counties = load_counties("all")
    boundaries._load.cache_clear()
    arrays = extract_network("highways", None, cache=network_cache, progress=False)
    assert arrays.region == "china+20km" and 100_000 < arrays.n_nodes < 155_000
    net = routing_network_from_arrays(arrays)
    pts = counties.rename(columns={"adcode": "id", "seat_lon": "lon", "seat_lat": "lat"})
    conn = point_connectivity(net, pts).assign(province=pts["province"], name=pts["name"])
    assert conn["connected"].mean() > 0.93
    hainan = conn[conn["province"] == "海南省"].set_index("name")
    # Hainan island has its own network: its seats are islands, never routed to the mainland
    assert not hainan["connected"].any()
    assert (hainan.drop(index=["西沙区", "南沙区"])["unrouted_reason"] == REASON_ISLAND).all()
    assert (
        hainan.loc[["西沙区", "南沙区"], "unrouted_reason"] == "island: seat farther than 10 km from the network"
    ).all()
    pick = pts.set_index("id").loc[["370102", "460106", "650102"]].reset_index()  # 济南历下, 海口龙华, 乌鲁木齐天山
    res = highway_travel_time_matrix(net, pick, progress=False).set_index(["origin_id", "destination_id"])
    jinan_urumqi = res.loc[("370102", "650102")]
    assert jinan_urumqi["method"] == Method.HIGHWAY_NETWORK
    gc = haversine_m(*pick.loc[0, ["lon", "lat"]], *pick.loc[2, ["lon", "lat"]])
    assert gc < jinan_urumqi["distance_m"] < 1.5 * gc
    assert res.loc[("370102", "460106"), "method"] == Method.CROWFLY_ESTIMATE
    assert res.loc[("370102", "460106"), "unrouted_reason"] == "destination " + REASON_ISLAND
    # one speed on every edge: the network distance is the network time at that speed, for
    # long routes too (a 120,000-node network overflowed int32 edge keys once)
    sample = pts[conn["connected"].to_numpy()].iloc[::95].reset_index(drop=True)
    many = highway_travel_time_matrix(net, sample, progress=False)
    net_m = many["distance_m"] - many["snap_m"]
    net_s = many["time_s"] - many["snap_m"] / (DEFAULT_ACCESS_SPEED_KPH / 3.6)
    assert (many["method"] == Method.HIGHWAY_NETWORK).all() and net_m.max() > 3_000_000
    assert np.allclose(net_m, net_s * DEFAULT_HIGHWAY_SPEED_KPH / 3.6, rtol=1e-6, atol=1.0)


def test_long_routes_redone_exactly_along_predecessor_trees(shandong):
    """The exact fallback for routes beyond the packing (> ~1,300 km or 9 h) reads lengths along the trees.

    Shandong's network at 10 km/h makes every route 'long'; its lengths must equal
    NetworkX's shortest-path lengths (constant speed: fastest = shortest).
    """
    from countylink.accessibility.road.travel_time import _route_pairs_predecessors

    net = routing_network_from_arrays(shandong, speed_kph=10.0)
    rng = np.random.default_rng(5)
    src, dst = rng.integers(0, net.n, 400), rng.integers(0, net.n, 400)
    src[:50] = src[0]  # many targets in one tree: the memoised walk is reused
    time_s, dist_m = _route_pairs_predecessors(net, src, dst, progress=False)
    graph = nx.Graph()
    graph.add_weighted_edges_from(zip(shandong.u.tolist(), shandong.v.tolist(), shandong.km.tolist()))
    reached = 0
    for s, d, t, m in zip(src, dst, time_s, dist_m):
        try:
            km = nx.dijkstra_path_length(graph, int(s), int(d))
        except nx.NetworkXNoPath:
            assert np.isnan(t) and np.isnan(m)
            continue
        reached += 1
        assert m == pytest.approx(km * 1000.0, abs=0.05)
        assert t == pytest.approx(km * 1000.0 / (10.0 / 3.6), rel=1e-9)
    assert reached > 300
