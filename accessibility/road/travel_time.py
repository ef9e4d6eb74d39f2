"""Many-to-many travel times and distances on a road graph.

Why one module of this size: snapping, the two engines' dispatch and the array-built result table form one routing API whose parts only make sense together.

The graph is turned once into a compressed sparse row (CSR) matrix of edge
travel times (:func:`prepare_network`; parallel edges keep the fastest). Two
engines answer the same objective -- the fastest route at 1 ms resolution, ties
broken by length, and the length along it, both exact:

* ``"dijkstra"``: ``scipy.sparse.csgraph.dijkstra`` from the *unique* origin
  nodes only, over packed (milliseconds, centimetres) weights, in chunks that
  keep memory bounded;
* ``"ch"``: a contraction hierarchy (:mod:`~countylink.accessibility.road.ch`)
  with bucket many-to-many queries.

:func:`choose_engine` picks one (see its rule): the hierarchy costs a
preparation (5-7 µs CPU per node with a stored node ordering, 13-21 µs per node
without, on the Helsinki and Liechtenstein all-roads graphs) that pays back
once there are more than a few dozen origins (one scipy Dijkstra costs about
0.3 µs per node).

Points are snapped to the nearest graph node (great-circle distance, KD-tree
on the unit sphere); the snap distance is reported and an access leg at
``access_speed_kph`` is added at each end. Results match plain Dijkstra
(NetworkX) exactly up to floating-point rounding; pairs that cannot be routed
(unreachable, or a point farther than ``max_snap_m`` from the network) are NaN
and counted in a warning, never an exception.

Results are r5py-like DataFrames: ``origin_id, destination_id, time_s,
distance_m, snap_m, method`` with ``method="osm_network"``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Any, Literal

import networkx as nx
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from tqdm.auto import tqdm

from countylink.accessibility.road import ch
from countylink.accessibility.road.crowfly import EARTH_RADIUS_KM
from countylink.errors import DataError
from countylink.methods import Method

#: Default speed of the access leg between a point and its snapped node, km/h.
#: 30 km/h is the legal limit on unsigned urban streets without a centre line
#: (Road Traffic Safety Law Implementing Regulations, art. 45), a fair speed for
#: the local streets between a county seat point and the inter-county network.
DEFAULT_ACCESS_SPEED_KPH = 30.0
#: Points farther than this from any graph node are not routed (NaN), metres.
DEFAULT_MAX_SNAP_M = 10_000.0
_R_M = EARTH_RADIUS_KM * 1000.0
# bytes allowed for one chunk of Dijkstra distance + predecessor rows
_CHUNK_BYTES = 256 * 1024**2
#: Engines of :func:`travel_time_matrix` / :func:`travel_time_pairs`.
Engine = Literal["auto", "ch", "dijkstra"]
#: Unique origins from which the contraction hierarchy is used when a node ordering
#: is stored (the contraction alone costs about 20 scipy Dijkstra runs) and when the
#: ordering must be computed too (about 60 runs); set above those break-even points,
#: measured on the Helsinki (6,721 nodes) and Liechtenstein (53,708 nodes)
#: all-roads graphs, to leave room for the first call's load of compiled code.
CH_MIN_ORIGINS_WITH_ORDERING = 32
CH_MIN_ORIGINS_FROM_SCRATCH = 256


@dataclass
class RoutingNetwork:
    """A road graph prepared for fast routing (see :func:`prepare_network`)."""

    node_ids: np.ndarray  # OSM/graph node id per matrix index
    x: np.ndarray
    y: np.ndarray
    times: csr_matrix  # seconds, fastest parallel edge
    edge_keys: np.ndarray  # sorted u * n + v of the kept edges
    edge_lengths: np.ndarray  # metres, aligned with edge_keys
    edge_times: np.ndarray  # seconds, aligned with edge_keys
    edge_ref: np.ndarray  # (u_id, v_id, key) of the kept MultiDiGraph edge, aligned with edge_keys
    tree: cKDTree
    ordering: np.ndarray | None = None  # node ids in contraction order (see countylink.accessibility.road.ch)

    @property
    def n(self) -> int:
        return len(self.node_ids)


def _unit_xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lon = np.radians(np.asarray(lon, dtype=float))
    lat = np.radians(np.asarray(lat, dtype=float))
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def prepare_network(
    graph: nx.MultiDiGraph | RoutingNetwork, *, weight: str = "travel_time", ordering: np.ndarray | None = None
) -> RoutingNetwork:
    """Convert an OSMnx graph to a :class:`RoutingNetwork` (CSR matrix + KD-tree).

    Do this once when routing repeatedly on the same graph; the routing
    functions accept either form.

    Parameters
    ----------
    graph
        OSMnx-style graph, or an already prepared network (returned as is unless
        ``ordering`` is given).
    weight
        Edge attribute holding the travel time in seconds.
    ordering
        Node ids in contraction-hierarchy order
        (:func:`~countylink.accessibility.road.ch.compute_ordering`, stored with
        :func:`~countylink.accessibility.road.ch.save_ordering`); defaults to
        ``graph.graph["ch_ordering"]`` when the graph carries one.

    Raises
    ------
    DataError
        If the graph is empty or edges lack ``weight`` or ``length``, or nodes lack x/y.
    """
    if isinstance(graph, RoutingNetwork):
        return graph if ordering is None else replace(graph, ordering=np.asarray(ordering))
    if ordering is None:
        ordering = graph.graph.get("ch_ordering")
    nodes = list(graph.nodes(data=True))
    node_ids = np.empty(len(nodes), dtype=object)
    node_ids[:] = [n for n, _ in nodes]
    try:
        x = np.fromiter((d["x"] for _, d in nodes), dtype=float, count=len(nodes))
        y = np.fromiter((d["y"] for _, d in nodes), dtype=float, count=len(nodes))
    except KeyError as exc:
        raise DataError("graph nodes need x (longitude) and y (latitude) attributes") from exc
    index = {n: i for i, (n, _) in enumerate(nodes)}
    # one pass over NetworkX's plain successor dicts into a list, then arrays: the edge and
    # adjacency views add a Python call per item, and per-element numpy stores cost more still
    succ = getattr(graph, "_succ", None)
    if graph.is_multigraph() and graph.is_directed() and isinstance(succ, dict):
        edges = [(a, b, k, d) for a, nbrs in succ.items() for b, keyed in nbrs.items() for k, d in keyed.items()]
    else:
        edges = list(graph.edges(keys=True, data=True))
    m = len(edges)
    if m == 0:
        raise DataError("the road graph has no edges")
    try:
        t = np.fromiter((d[weight] for _, _, _, d in edges), dtype=float, count=m)
        length = np.fromiter((d["length"] for _, _, _, d in edges), dtype=float, count=m)
    except KeyError:
        a, b = next((a, b) for a, b, _, d in edges if weight not in d or "length" not in d)
        raise DataError(
            f"edge {a}->{b} lacks {weight!r} or 'length'; build the graph with build_road_network"
        ) from None
    u = np.fromiter((index[a] for a, _, _, _ in edges), dtype=np.int64, count=m)
    v = np.fromiter((index[b] for _, b, _, _ in edges), dtype=np.int64, count=m)
    refs = [(a, b, k) for a, b, k, _ in edges]
    del edges
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise DataError(f"edge {weight!r} values must be finite and non-negative")
    n = len(node_ids)
    # parallel edges: keep the fastest (then shortest); csr_matrix would sum duplicates
    order = np.lexsort((length, t, v, u))
    u, v, t, length = u[order], v[order], t[order], length[order]
    ref_arr = np.empty(m, dtype=object)
    ref_arr[:] = refs
    ref_arr = ref_arr[order]
    keys = u * n + v
    first = np.ones(m, dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    u, v, t, length, keys, ref_arr = u[first], v[first], t[first], length[first], keys[first], ref_arr[first]
    # scipy ignores stored zeros in some code paths: keep zero-time edges routable
    t_csr = np.maximum(t, 1e-9)
    times = csr_matrix((t_csr, (u, v)), shape=(n, n))
    return RoutingNetwork(
        node_ids=node_ids,
        x=x,
        y=y,
        times=times,
        edge_keys=keys,
        edge_lengths=length,
        edge_times=t,
        edge_ref=ref_arr,
        tree=cKDTree(_unit_xyz(x, y)),
        ordering=None if ordering is None else np.asarray(ordering),
    )


def points_frame(frame: Any, name: str) -> pd.DataFrame:
    """A plain ``id, lon, lat`` table (WGS-84) from a DataFrame with those columns or a point GeoDataFrame.

    A GeoDataFrame gives its ``id`` column (else its index) and point coordinates
    in EPSG:4326; non-numeric ``lon``/``lat`` become NaN. ``name`` names the
    input in error messages.

    Raises
    ------
    DataError
        Not a DataFrame, missing columns, or non-point geometries.
    """
    if hasattr(frame, "geometry") and "lon" not in getattr(frame, "columns", []):
        geo = frame.to_crs(4326) if frame.crs is not None else frame
        ids = geo["id"].to_numpy() if "id" in geo.columns else geo.index.to_numpy()
        pts = geo.geometry
        if not (pts.geom_type == "Point").all():
            raise DataError(f"{name} geometries must all be points")
        return pd.DataFrame({"id": ids, "lon": pts.x.to_numpy(), "lat": pts.y.to_numpy()})
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{name} must be a DataFrame with columns id, lon, lat")
    missing = {"id", "lon", "lat"} - set(frame.columns)
    if missing:
        raise DataError(f"{name} lack column(s) {sorted(missing)}; need id, lon, lat")
    out = frame[["id", "lon", "lat"]].reset_index(drop=True).copy()
    out["lon"] = pd.to_numeric(out["lon"], errors="coerce")
    out["lat"] = pd.to_numeric(out["lat"], errors="coerce")
    return out


def snap_points(
    network: RoutingNetwork, lon: ArrayLike, lat: ArrayLike, *, max_snap_m: float = DEFAULT_MAX_SNAP_M
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest graph node index and great-circle snap distance (m) of each point.

    Points with missing coordinates or farther than ``max_snap_m`` get index -1.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    idx = np.full(len(lon), -1, dtype=np.int64)
    snap = np.full(len(lon), np.nan)
    if ok.any():
        chord, nearest = network.tree.query(_unit_xyz(lon[ok], lat[ok]))
        dist = 2.0 * _R_M * np.arcsin(np.clip(chord / 2.0, 0, 1))
        snap[ok] = dist
        idx[ok] = np.where(dist <= max_snap_m, nearest, -1)
    return idx, snap


# Time and length packed into one exact float64 weight: whole milliseconds in the
# high 26 bits, whole centimetres in the low 27 bits (sums stay below 2**53, so
# float addition is exact). Dijkstra on the packed weight finds the fastest path
# (ties broken by length) and its length in one pass, without predecessor trees.
# Routes that could overflow a field (over about 9 h, or 1,300 km) are redone
# exactly with predecessor trees -- inter-county trips inside a province fit.
# The contraction hierarchy packs the same rounded values into int64 (any route
# below 596 h and 42,949 km) and redoes nothing: up to that limit both engines
# give the same bits; beyond it they agree to the rounding of the edge values
# (at most 0.5 ms and 0.5 cm per edge of the route).
_LEN_BITS = 27
_LEN_SCALE = float(2**_LEN_BITS)
_LEN_UNIT_M = 0.01
_MAX_MS = float(2**26)


def _packed_weights(network: RoutingNetwork) -> tuple[csr_matrix, float] | None:
    """CSR matrix of packed (ms, m) weights and the graph's top speed in m/ms, or None if unsafe."""
    cached = getattr(network, "_packed", None)
    if cached is not None:
        return cached
    t_ms = np.round(network.edge_times * 1000.0)
    len_m = np.round(network.edge_lengths / _LEN_UNIT_M)  # in centimetres
    moving = network.edge_times > 0
    if np.any(len_m[~moving] > 0) or np.any(len_m < 0):
        result = None  # zero-time edges with length: no speed bound, use the exact fallback
    else:
        # top speed in centimetres per millisecond bounds a route's length by its time
        vmax = float(
            np.max(network.edge_lengths[moving] / _LEN_UNIT_M / (network.edge_times[moving] * 1000.0), initial=0.0)
        )
        u, v = np.divmod(network.edge_keys, network.n)
        packed = np.maximum(t_ms * _LEN_SCALE + len_m, 1.0)  # explicit zeros would drop the edge
        result = (csr_matrix((packed, (u, v)), shape=(network.n, network.n)), vmax)
    object.__setattr__(network, "_packed", result)
    return result


def _pair_arrays(src, dst) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Node-index arrays, NaN result arrays, and which pairs have both ends snapped."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    return src, dst, np.full(len(src), np.nan), np.full(len(src), np.nan), (src >= 0) & (dst >= 0)


def route_pairs(
    network: RoutingNetwork, src: np.ndarray, dst: np.ndarray, *, progress: bool = True, desc: str = "routing"
) -> tuple[np.ndarray, np.ndarray]:
    """Fastest network time (s) and its length (m) for node-index pairs ``src[i] → dst[i]``.

    One Dijkstra per unique source node over packed (milliseconds, centimetres)
    weights gives both figures exactly for edge values rounded to 1 ms and
    1 cm; pairs that could overflow the packing (routes over about 9 h or
    1,300 km) are recomputed with predecessor trees. Index -1 or unreachable pairs give NaN.
    """
    packed = _packed_weights(network)
    if packed is None:
        return _route_pairs_predecessors(network, src, dst, progress=progress, desc=desc)
    weights, vmax = packed
    src, dst, time_s, dist_m, valid = _pair_arrays(src, dst)
    if not valid.any():
        return time_s, dist_m
    sources, inverse = np.unique(src[valid], return_inverse=True)
    rows_per_chunk = max(1, _CHUNK_BYTES // (network.n * 8))
    bar = tqdm(
        total=len(sources), desc=desc, unit=" origins", disable=not progress or len(sources) < 50, mininterval=0.5
    )
    pair_idx = np.nonzero(valid)[0]
    for start in range(0, len(sources), rows_per_chunk):
        chunk = sources[start : start + rows_per_chunk]
        dist = dijkstra(weights, directed=True, indices=chunk)
        sel = (inverse >= start) & (inverse < start + len(chunk))
        total = dist[inverse[sel] - start, dst[pair_idx[sel]]]
        total[~np.isfinite(total)] = np.nan  # unreachable
        ms = np.floor(total / _LEN_SCALE)
        time_s[pair_idx[sel]] = ms / 1000.0
        dist_m[pair_idx[sel]] = (total - ms * _LEN_SCALE) * _LEN_UNIT_M
        bar.update(len(chunk))
    bar.close()
    # a route whose length could fill the length bits, or whose time the time bits
    ms_all = time_s * 1000.0
    risky = np.isfinite(time_s) & ((ms_all * vmax + 10_000.0 >= _LEN_SCALE) | (ms_all >= _MAX_MS / 2))
    if risky.any():
        t2, d2 = _route_pairs_predecessors(network, src[risky], dst[risky], progress=False, desc=desc)
        time_s[risky], dist_m[risky] = t2, d2
    return time_s, dist_m


def _edge_rows(network: RoutingNetwork) -> np.ndarray:
    """CSR row pointer of ``edge_keys`` (sorted ``u * n + v``): node ``u``'s edges are ``[ptr[u], ptr[u + 1])``."""
    cached = getattr(network, "_edge_rows", None)
    if cached is None:
        cached = np.searchsorted(network.edge_keys, np.arange(network.n + 1, dtype=np.int64) * network.n)
        object.__setattr__(network, "_edge_rows", cached)
    return cached


def _route_pairs_predecessors(
    network: RoutingNetwork, src: np.ndarray, dst: np.ndarray, *, progress: bool = True, desc: str = "routing"
) -> tuple[np.ndarray, np.ndarray]:
    """Exact float times with lengths read back along predecessor trees (fallback path)."""
    src, dst, time_s, dist_m, valid = _pair_arrays(src, dst)
    if not valid.any():
        return time_s, dist_m
    sources = np.unique(src[valid])
    rows_per_chunk = max(1, _CHUNK_BYTES // (network.n * 12))
    chunks = [sources[i : i + rows_per_chunk] for i in range(0, len(sources), rows_per_chunk)]
    bar = tqdm(
        total=len(sources), desc=desc, unit=" origins", disable=not progress or len(sources) < 50, mininterval=0.5
    )
    for chunk in chunks:
        dist, pred = dijkstra(network.times, directed=True, indices=chunk, return_predecessors=True)
        in_chunk = valid & np.isin(src, chunk)
        pair_idx = np.nonzero(in_chunk)[0]
        row = np.searchsorted(chunk, src[pair_idx])
        d = dst[pair_idx]
        t = dist[row, d]
        reach = np.isfinite(t)
        time_s[pair_idx[reach]] = t[reach]
        # lengths along the predecessor trees, each tree walked once (compiled; memoised per source row)
        by_row = np.argsort(row[reach], kind="stable")  # grouped by tree, so each tree's memo is reused
        lengths = ch.tree_path_lengths(
            pred,
            row[reach][by_row],
            d[reach][by_row],
            _edge_rows(network),
            network.edge_keys % network.n,
            network.edge_lengths,
        )
        out_idx = pair_idx[reach]
        dist_m[out_idx[by_row]] = lengths
        bar.update(len(chunk))
    bar.close()
    return time_s, dist_m


def choose_engine(network: RoutingNetwork, n_origins: int) -> Literal["ch", "dijkstra"]:
    """The engine ``engine="auto"`` uses for ``n_origins`` unique origin nodes.

    The rule: the contraction hierarchy (``"ch"``) when ``network`` already holds
    one (built by an earlier call); otherwise ``"ch"`` when there are at least
    :data:`CH_MIN_ORIGINS_WITH_ORDERING` unique origins and the network carries a
    stored node ordering (only the contraction is left to do), or at least
    :data:`CH_MIN_ORIGINS_FROM_SCRATCH` without one; else plain Dijkstra
    (``"dijkstra"``), whose cost grows with the origins but needs no preparation.
    Graphs whose weights cannot be packed exactly (zero-time edges with a
    length) always use Dijkstra.
    """
    if _packed_weights(network) is None:
        return "dijkstra"
    if getattr(network, "_ch", None) is not None:
        return "ch"
    limit = CH_MIN_ORIGINS_WITH_ORDERING if network.ordering is not None else CH_MIN_ORIGINS_FROM_SCRATCH
    return "ch" if n_origins >= limit else "dijkstra"


def hierarchy(network: RoutingNetwork) -> ch.ContractionHierarchy:
    """The network's contraction hierarchy, built on first use (with its stored ordering) and kept."""
    cached = getattr(network, "_ch", None)
    if cached is None:
        try:
            cached = ch.contract(network, ordering=network.ordering)
        except DataError as exc:
            if network.ordering is None:
                raise
            # a stale stored ordering (the graph changed since) costs time, not correctness
            warnings.warn(f"stored node ordering not used ({exc}); computing a new one", stacklevel=2)
            cached = ch.contract(network)
        object.__setattr__(network, "_ch", cached)
    return cached


def _resolve_engine(network: RoutingNetwork, engine: str, n_origins: int) -> Engine:
    if engine not in ("auto", "ch", "dijkstra"):
        raise DataError(f"engine must be 'auto', 'ch' or 'dijkstra', got {engine!r}")
    if engine == "auto":
        return choose_engine(network, n_origins)
    if engine == "ch" and _packed_weights(network) is None:
        return "dijkstra"  # no exact packing: only the predecessor-tree fallback is exact
    return "ch" if engine == "ch" else "dijkstra"


def _redo_risky(network: RoutingNetwork, src, dst, time_s: np.ndarray, dist_m: np.ndarray) -> None:
    """Recompute in place the pairs whose route could overflow the Dijkstra engine's packing.

    ``time_s``/``dist_m`` are per pair (``src``, ``dst`` node indices) or a matrix
    (``src`` rows × ``dst`` columns). Both engines apply the same rule so that
    they agree to the bit.
    """
    packed = _packed_weights(network)
    if packed is None:
        return
    _, vmax = packed
    ms_all = time_s * 1000.0
    risky = np.isfinite(time_s) & ((ms_all * vmax + 10_000.0 >= _LEN_SCALE) | (ms_all >= _MAX_MS / 2))
    if risky.any():
        if time_s.ndim == 2:
            rows, cols = np.nonzero(risky)
            s_idx, d_idx = src[rows], dst[cols]
        else:
            s_idx, d_idx = src[risky], dst[risky]
        t2, d2 = _route_pairs_predecessors(network, s_idx, d_idx, progress=False)
        time_s[risky], dist_m[risky] = t2, d2


def _dijkstra_matrix(
    network: RoutingNetwork, sources: np.ndarray, targets: np.ndarray, *, progress: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Time and length matrices from unique source to unique target node indices (Dijkstra engine)."""
    packed = _packed_weights(network)
    if packed is None:
        t, d = _route_pairs_predecessors(
            network, np.repeat(sources, len(targets)), np.tile(targets, len(sources)), progress=progress
        )
        return t.reshape(len(sources), len(targets)), d.reshape(len(sources), len(targets))
    weights, _ = packed
    total = np.empty((len(sources), len(targets)))
    rows_per_chunk = max(1, _CHUNK_BYTES // (network.n * 8))
    bar = tqdm(
        total=len(sources), desc="routing", unit=" origins", disable=not progress or len(sources) < 50, mininterval=0.5
    )
    for start in range(0, len(sources), rows_per_chunk):
        chunk = sources[start : start + rows_per_chunk]
        total[start : start + len(chunk)] = dijkstra(weights, directed=True, indices=chunk)[:, targets]
        bar.update(len(chunk))
    bar.close()
    total[~np.isfinite(total)] = np.nan
    ms = np.floor(total / _LEN_SCALE)
    return ms / 1000.0, (total - ms * _LEN_SCALE) * _LEN_UNIT_M


def route_matrix(
    network: RoutingNetwork,
    src: np.ndarray,
    dst: np.ndarray,
    *,
    engine: Engine = "auto",
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Fastest network time (s) and its length (m) from every ``src`` node index to every ``dst`` one.

    Returns two ``(len(src), len(dst))`` arrays; index -1 or unreachable pairs
    are NaN. Routes run between the unique nodes only; the full matrices are
    gathered from theirs by array indexing.
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    ok_s, ok_d = src >= 0, dst >= 0
    sources, inv_s = np.unique(src[ok_s], return_inverse=True)
    targets, inv_d = np.unique(dst[ok_d], return_inverse=True)
    if not len(sources) or not len(targets):
        return np.full((len(src), len(dst)), np.nan), np.full((len(src), len(dst)), np.nan)
    if _resolve_engine(network, engine, len(sources)) == "ch":
        # the hierarchy's int64 packing holds any route (< 596 h, < 42,949 km): no redo needed
        t, d = ch.unpack(hierarchy(network).many_to_many(sources, targets))
    else:
        t, d = _dijkstra_matrix(network, sources, targets, progress=progress)
        _redo_risky(network, sources, targets, t, d)
    if ok_s.all() and ok_d.all():
        return t[np.ix_(inv_s, inv_d)], d[np.ix_(inv_s, inv_d)]
    time_s = np.full((len(src), len(dst)), np.nan)
    dist_m = np.full((len(src), len(dst)), np.nan)
    rows, cols = np.nonzero(ok_s)[0], np.nonzero(ok_d)[0]
    time_s[np.ix_(rows, cols)] = t[np.ix_(inv_s, inv_d)]
    dist_m[np.ix_(rows, cols)] = d[np.ix_(inv_s, inv_d)]
    return time_s, dist_m


def route_pairs_with(
    network: RoutingNetwork,
    src: np.ndarray,
    dst: np.ndarray,
    *,
    engine: Engine = "auto",
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`route_pairs` (pairs ``src[i] → dst[i]``), with the engine chosen as in :func:`choose_engine`."""
    src, dst, time_s, dist_m, valid = _pair_arrays(src, dst)
    if not valid.any():
        return time_s, dist_m
    if _resolve_engine(network, engine, len(np.unique(src[valid]))) != "ch":
        return route_pairs(network, src, dst, progress=progress)
    t, d = ch.unpack(hierarchy(network).pairwise(src[valid], dst[valid]))  # exact for any route, no redo
    time_s[valid], dist_m[valid] = t, d
    return time_s, dist_m


def _constant_strings(value: str, n: int) -> Any:
    """``n`` copies of ``value`` in pandas' default string dtype, built by Arrow when it is that dtype.

    Broadcasting a scalar costs about 0.2 µs per row (0.8 s for a 2000 × 2000 matrix); Arrow's
    ``repeat`` builds the same column in a few milliseconds.
    """
    dtype = pd.Series([value]).dtype
    try:
        import pyarrow as pa

        column = pa.chunked_array([pa.repeat(pa.scalar(value, pa.large_string()), n)])
        return pd.arrays.ArrowStringArray(column, dtype=dtype)  # type: ignore[call-arg]  # stubs lack pandas 3's dtype=
    except (ImportError, TypeError, ValueError, AttributeError):
        return value


def _frame(
    origin_ids: pd.Series,
    destination_ids: pd.Series,
    oi: np.ndarray | None,
    di: np.ndarray | None,
    block: np.ndarray,
    method: str = Method.OSM_NETWORK,
) -> pd.DataFrame:
    """The result table from arrays; the float block ``(3, rows)`` becomes its columns without a copy.

    ``oi``/``di`` give each row's origin and destination position; ``None`` means
    the full matrix, origins major.
    """
    n_o, n_d = len(origin_ids), len(destination_ids)
    out = pd.DataFrame(block.T, columns=["time_s", "distance_m", "snap_m"], copy=False)
    out.insert(0, "origin_id", _ids(origin_ids, oi, repeat=n_d))
    out.insert(1, "destination_id", _ids(destination_ids, di, tile=n_o))
    out["method"] = _constant_strings(str(method), block.shape[1])
    return out


def _ids(ids: pd.Series, index: np.ndarray | None, *, repeat: int = 1, tile: int = 1) -> Any:
    values = ids.reset_index(drop=True).array
    if index is None:
        if isinstance(values, np.ndarray) or type(values).__name__ == "NumpyExtensionArray":
            return np.tile(np.repeat(values.to_numpy() if hasattr(values, "to_numpy") else values, repeat), tile)
        index = np.tile(np.repeat(np.arange(len(values)), repeat), tile)
    return values.take(index)


def _block(
    time_s: np.ndarray, dist_m: np.ndarray, o_snap: np.ndarray, d_snap: np.ndarray, oi, di, speed: float
) -> np.ndarray:
    block = np.empty((3, len(oi)))
    snap = np.add(o_snap[oi], d_snap[di], out=block[2])
    np.add(time_s, snap / speed, out=block[0])
    np.add(dist_m, snap, out=block[1])
    return block


def _result(
    origins: pd.DataFrame,
    destinations: pd.DataFrame,
    network: RoutingNetwork,
    *,
    pairs: bool,
    engine: Engine,
    access_speed_kph: float,
    max_snap_m: float,
    progress: bool,
    method: str = Method.OSM_NETWORK,
) -> pd.DataFrame:
    if not access_speed_kph > 0:
        raise DataError(f"access_speed_kph must be positive, got {access_speed_kph!r}")
    if engine not in ("auto", "ch", "dijkstra"):
        raise DataError(f"engine must be 'auto', 'ch' or 'dijkstra', got {engine!r}")
    o_node, o_snap = snap_points(network, origins["lon"], origins["lat"], max_snap_m=max_snap_m)
    d_node, d_snap = snap_points(network, destinations["lon"], destinations["lat"], max_snap_m=max_snap_m)
    for name, node, frame in (("origin", o_node, origins), ("destination", d_node, destinations)):
        far = int((node < 0).sum())
        if far:
            warnings.warn(
                f"{far} of {len(frame)} {name}s have no coordinates or lie more than "
                f"{max_snap_m:,.0f} m from the road network; their travel figures are NaN",
                stacklevel=3,
            )
    speed = access_speed_kph / 3.6
    block = None
    if not pairs:
        engine = _resolve_engine(network, engine, len(np.unique(o_node[o_node >= 0])))
    if not pairs and engine == "ch":
        # the whole table in one compiled pass over the pairs (the int64 packing needs no redo)
        block, unreachable = hierarchy(network).result_block(o_node, d_node, o_snap, d_snap, speed=speed)
        oi = di = None
    if block is None:
        if pairs:
            oi = di = np.arange(len(origins))
            t, dist = route_pairs_with(network, o_node, d_node, engine=engine, progress=progress)
        else:
            oi = np.repeat(np.arange(len(origins)), len(destinations))
            di = np.tile(np.arange(len(destinations)), len(origins))
            t, dist = route_matrix(network, o_node, d_node, engine=engine, progress=progress)
            t, dist = t.reshape(-1), dist.reshape(-1)
        block = _block(t, dist, o_snap, d_snap, oi, di, speed)
        unreachable = int(((o_node[oi] >= 0) & (d_node[di] >= 0) & np.isnan(t)).sum())
    out = _frame(origins["id"], destinations["id"], oi, di, block, method=method)
    if unreachable:
        warnings.warn(
            f"{unreachable} of {len(out)} origin-destination pairs are unreachable on the road "
            "network (disconnected parts); their travel figures are NaN",
            stacklevel=3,
        )
    return out


def travel_time_matrix(
    graph: nx.MultiDiGraph | RoutingNetwork,
    origins: pd.DataFrame,
    destinations: pd.DataFrame | None = None,
    *,
    access_speed_kph: float = DEFAULT_ACCESS_SPEED_KPH,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    progress: bool = True,
    method: str = Method.OSM_NETWORK,
    engine: Engine = "auto",
) -> pd.DataFrame:
    """All-pairs fastest car travel time and road distance between two point sets.

    Parameters
    ----------
    graph
        Graph from :func:`~countylink.accessibility.road.network.build_road_network`
        (edges with ``travel_time`` and ``length``) or a prepared :class:`RoutingNetwork`.
    origins, destinations
        DataFrames with ``id``, ``lon``, ``lat`` (WGS-84) or point GeoDataFrames
        (``id`` column or the index). ``destinations=None`` uses the origins.
    access_speed_kph
        Speed of the access legs (point ↔ snapped node), default
        :data:`DEFAULT_ACCESS_SPEED_KPH`.
    max_snap_m
        Points farther from the network are not routed (NaN plus a warning).
    progress
        tqdm progress bar for many origins.
    method
        Label of the ``method`` column: ``"osm_network"`` for OSM graphs (the
        default); :mod:`countylink.accessibility.road.highways` passes
        ``Method.HIGHWAY_NETWORK``.
    engine
        ``"auto"`` (:func:`choose_engine`), ``"ch"`` (contraction hierarchy, built
        once per prepared network and kept on it) or ``"dijkstra"``; all give the
        same figures.

    Returns
    -------
    pandas.DataFrame
        One row per (origin, destination), origins major: ``origin_id``,
        ``destination_id``, ``time_s`` (network + access legs), ``distance_m``
        (along the fastest path + snap distances), ``snap_m`` (origin + destination
        snap distance) and ``method="osm_network"``.
    """
    network = prepare_network(graph)
    o = points_frame(origins, "origins")
    d = o if destinations is None else points_frame(destinations, "destinations")
    return _result(
        o,
        d,
        network,
        pairs=False,
        engine=engine,
        access_speed_kph=access_speed_kph,
        max_snap_m=max_snap_m,
        progress=progress,
        method=method,
    )


def travel_time_pairs(
    graph: nx.MultiDiGraph | RoutingNetwork,
    origins: pd.DataFrame,
    destinations: pd.DataFrame,
    *,
    access_speed_kph: float = DEFAULT_ACCESS_SPEED_KPH,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    progress: bool = True,
    method: str = Method.OSM_NETWORK,
    engine: Engine = "auto",
) -> pd.DataFrame:
    """Row-wise travel time: ``origins.iloc[i]`` → ``destinations.iloc[i]``.

    Same columns as :func:`travel_time_matrix`, one row per input row, in order;
    ``engine`` as there.
    """
    network = prepare_network(graph)
    o = points_frame(origins, "origins")
    d = points_frame(destinations, "destinations")
    if len(o) != len(d):
        raise DataError(f"origins ({len(o)}) and destinations ({len(d)}) must have the same length")
    return _result(
        o,
        d,
        network,
        pairs=True,
        engine=engine,
        access_speed_kph=access_speed_kph,
        max_snap_m=max_snap_m,
        progress=progress,
        method=method,
    )


def fastest_node_path(network: RoutingNetwork, src: int, dst: int) -> list[int] | None:
    """Node indices of the fastest path ``src → dst`` (``None`` if unreachable)."""
    dist, pred = dijkstra(network.times, directed=True, indices=int(src), return_predecessors=True)
    if not np.isfinite(dist[dst]):
        return None
    path = [int(dst)]
    while path[-1] != src:
        path.append(int(pred[path[-1]]))
    return path[::-1]
