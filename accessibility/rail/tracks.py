"""The national railway track network (scgraph-data ``world_railways``): distances along tracks.

(Just over 400 lines: loading, high-speed marking and the two distance routines share the arrays.)

The network (see :mod:`countylink.accessibility.osm.scgraph_data`) is an
undirected set of straight segments between simplified OpenStreetMap railway
nodes, with lengths in km and nothing else: no usage (passenger, freight,
high-speed), electrification or gauge. It gives line-haul distances *along
tracks* between stations (``method="rail_tracks"``), instead of hops between
timetable stops or great-circle × detour.

Only distances are reported: the network carries no speed. Which tracks are
high-speed is not in the network either: :func:`mark_highspeed_tracks` marks the
edges that run along the data pack's high-speed corridor lines (京沪高铁, 沪昆高铁 …,
each corridor counted once), and :class:`TrackDistance` measures freight
distances avoiding them, because a high-speed line carries no freight. High-speed
lines that are not among the pack's corridors (济青, 甬台温 …) stay unmarked:
a freight route may still use one of them.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from countylink.accessibility.osm.scgraph_data import (
    DEFAULT_BUFFER_KM,
    NetworkArrays,
    extract_network,
    network_edges_frame,
    subset_network,
)
from countylink.accessibility.road.highways import point_connectivity, routing_network_from_arrays
from countylink.accessibility.road.travel_time import RoutingNetwork, points_frame, travel_time_matrix
from countylink.errors import DataError
from countylink.geo.crs import CHINA_ALBERS
from countylink.methods import Method

#: Stations farther than this from a track node are not routed, metres. Stations sit on
#: their tracks, so a larger gap means the line is missing from the network.
DEFAULT_STATION_SNAP_M = 3_000.0
# the routing engine needs edge times; with one speed everywhere the fastest path is the shortest
_NOMINAL_SPEED_KPH = 100.0
#: Freight routes pay this many times the length of a high-speed-marked edge ...
HSR_PENALTY = 3.0
#: ... and are refused when more than this share of their km is on such edges (conventional lines
#: beside the 沪昆 corridor are marked over a third of 杭州南–金华: a lower cap refuses real routes).
MAX_HSR_SHARE = 0.5
#: Source label and year of the track network (the package version is in the run's attribution).
TRACKS_SOURCE = "scgraph-data world_railways (OpenStreetMap, April 2024)"
TRACKS_YEAR = 2024
#: Both ends of a track edge within this of a high-speed corridor line make it a candidate, metres.
#: Nodes are rounded to 0.001° (≤ ~80 m) and OSM draws each track a few metres apart; wider
#: tolerances took conventional lines running beside the corridor near 金华 and 衢州.
HSR_END_TOLERANCE_M = 150.0
#: ... and its length must match the corridor's length between those two points within this
#: share: a conventional line that meets the corridor at both ends of an edge takes another way.
HSR_LENGTH_TOLERANCE = 0.15


def load_rail_tracks(
    provinces: str | tuple[str, ...] | list[str] | None = None,
    *,
    buffer_km: float = DEFAULT_BUFFER_KM,
    cache: str | os.PathLike | None = None,
    progress: bool = True,
) -> NetworkArrays:
    """The railway network of China (``None``/``"all"``) or of provinces plus ``buffer_km``, cached."""
    return extract_network("railways", provinces, buffer_km=buffer_km, cache=cache, progress=progress)


def rail_track_network(
    provinces: str | tuple[str, ...] | list[str] | None = None,
    *,
    buffer_km: float = DEFAULT_BUFFER_KM,
    cache: str | os.PathLike | None = None,
    progress: bool = True,
) -> RoutingNetwork:
    """The railway network prepared for shortest-distance routing (one nominal speed on every edge)."""
    arrays = load_rail_tracks(provinces, buffer_km=buffer_km, cache=cache, progress=progress)
    return routing_network_from_arrays(arrays, speed_kph=_NOMINAL_SPEED_KPH)


def track_lines(arrays: NetworkArrays) -> gpd.GeoDataFrame:
    """Track segments as LineStrings (``u``, ``v``, ``length_km``, geometry EPSG:4326)."""
    return network_edges_frame(arrays)


def track_distance_matrix(
    network: RoutingNetwork,
    origins: pd.DataFrame,
    destinations: pd.DataFrame | None = None,
    *,
    max_snap_m: float = DEFAULT_STATION_SNAP_M,
    progress: bool = True,
) -> pd.DataFrame:
    """Shortest distance along tracks between every origin and destination station.

    Parameters
    ----------
    network
        From :func:`rail_track_network`.
    origins, destinations
        ``id``, ``lon``, ``lat`` (WGS-84) or point GeoDataFrames; ``None`` uses the origins.
    max_snap_m
        Stations farther from the tracks get no distance (NaN) and a reason.
    progress
        Progress bar (stderr).

    Returns
    -------
    pandas.DataFrame
        ``origin_id``, ``destination_id``, ``distance_m`` (along tracks, plus
        the snap gaps at both ends), ``snap_m``, ``method="rail_tracks"``,
        ``unrouted_reason`` ('' where routed).

    Raises
    ------
    DataError
        If ``max_snap_m`` is not positive.
    """
    if not max_snap_m > 0:
        raise DataError(f"max_snap_m must be positive, got {max_snap_m!r}")
    o = points_frame(origins, "origins")
    d = o if destinations is None else points_frame(destinations, "destinations")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = travel_time_matrix(
            network, o, d, max_snap_m=max_snap_m, progress=progress, method=str(Method.RAIL_TRACKS)
        )
    result = result.drop(columns="time_s")
    oc = point_connectivity(network, o, max_snap_m=max_snap_m)
    dc = point_connectivity(network, d, max_snap_m=max_snap_m)
    oi = np.repeat(np.arange(len(o)), len(d))
    di = np.tile(np.arange(len(d)), len(o))
    reason = np.full(len(result), "", dtype=object)
    missing = result["distance_m"].isna().to_numpy()
    far_o = np.isnan(oc["snap_m"].to_numpy())[oi] | (oc["snap_m"].to_numpy()[oi] > max_snap_m)
    far_d = np.isnan(dc["snap_m"].to_numpy())[di] | (dc["snap_m"].to_numpy()[di] > max_snap_m)
    reason[missing & far_o] = f"origin farther than {max_snap_m / 1000:g} km from the tracks"
    reason[missing & ~far_o & far_d] = f"destination farther than {max_snap_m / 1000:g} km from the tracks"
    reason[missing & ~far_o & ~far_d] = "no track connects the two stations in the network"
    result["unrouted_reason"] = reason
    return result


def mark_highspeed_tracks(
    edges: gpd.GeoDataFrame,
    corridors: gpd.GeoDataFrame,
    *,
    end_tolerance_m: float = HSR_END_TOLERANCE_M,
    length_tolerance: float = HSR_LENGTH_TOLERANCE,
) -> pd.DataFrame:
    """Which track edges run along a high-speed corridor line.

    The edges are straight segments between simplified nodes (a 30 km edge may
    lie a kilometre off its curving track), so an edge is not tested by a
    buffer: it is high-speed when both its end nodes lie within
    ``end_tolerance_m`` of the same corridor line *and* its length (the
    package's km, the length of the way it replaced) matches the corridor's
    length between the two points within ``length_tolerance``.

    Parameters
    ----------
    edges
        :func:`track_lines` output (``length_km``, 2-point LineStrings, EPSG:4326).
    corridors
        Lines with ``line_name`` and a boolean ``highspeed``
        (:func:`~countylink.accessibility.rail.lines.read_corridors`: parallel
        tracks already collapsed, each corridor one line); only high-speed rows are used.

    Returns
    -------
    pandas.DataFrame
        Index-aligned with ``edges``: ``highspeed`` (bool) and ``corridor``
        (the corridor's name, '' for other edges).
    """
    out = pd.DataFrame({"highspeed": False, "corridor": ""}, index=edges.index)
    hs = corridors[corridors["highspeed"].fillna(False).astype(bool)]
    if hs.empty or edges.empty:
        return out
    parts = hs[["line_name", "geometry"]].to_crs(CHINA_ALBERS).copy()
    parts["geometry"] = shapely.line_merge(parts.geometry.to_numpy())
    parts = parts.explode(index_parts=False).reset_index(drop=True)
    tree = shapely.STRtree(parts.geometry.to_numpy())
    coords = shapely.get_coordinates(edges.to_crs(CHINA_ALBERS).geometry.to_numpy()).reshape(-1, 2, 2)
    p0, p1 = shapely.points(coords[:, 0]), shapely.points(coords[:, 1])
    hit = np.full((len(edges), 2), -1, dtype=np.int64)
    for k, pts in enumerate((p0, p1)):
        (pi, gi), _ = tree.query_nearest(pts, max_distance=end_tolerance_m, return_distance=True, all_matches=False)
        hit[pi, k] = gi
    cand = np.flatnonzero((hit[:, 0] >= 0) & (hit[:, 0] == hit[:, 1]))
    lines = parts.geometry.to_numpy()[hit[cand, 0]]
    along = np.abs(shapely.line_locate_point(lines, p1[cand]) - shapely.line_locate_point(lines, p0[cand]))
    km = edges["length_km"].to_numpy(float)[cand] * 1000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        same = np.abs(km / along - 1.0) <= length_tolerance
    # edges shorter than the end tolerance cannot be told apart by length: both ends on the line suffice
    same |= km <= end_tolerance_m
    chosen = cand[same]
    out.iloc[chosen, 0] = True
    out.iloc[chosen, 1] = parts["line_name"].to_numpy()[hit[chosen, 0]]
    return out


def edge_subnetwork(arrays: NetworkArrays, keep_edges: np.ndarray, *, region: str | None = None) -> NetworkArrays:
    """The network of the kept edges only (nodes left without an edge are dropped, renumbered)."""
    keep_edges = np.asarray(keep_edges, dtype=bool)
    used = np.zeros(arrays.n_nodes, dtype=bool)
    used[arrays.u[keep_edges]] = True
    used[arrays.v[keep_edges]] = True
    return subset_network(arrays, used, region=region or arrays.region, keep_edges=keep_edges)


class TrackDistance:
    """``rail_distance(from_names, to_names) -> km`` along tracks, avoiding high-speed lines, memoised.

    Freight runs on conventional track, but the edges marked high-speed
    (:func:`mark_highspeed_tracks`) also take in station tracks and conventional
    lines running right beside a corridor (at 义乌 or 杭州南 they cannot be
    told apart), so they are not removed: they cost ``hsr_penalty`` times
    their length, and a route with more than ``max_hsr_share`` of its km on
    them is refused (NaN: the caller falls back to a labelled estimate), as a
    high-speed line carries no freight.

    Track nodes are sparse (edges of 10–30 km are common), so a station is
    placed on its nearest edge (non-high-speed first, within ``max_snap_m``),
    at the point of the straight segment nearest to it; a distance is the
    snap gaps, plus the way along each station's edge to one of its ends,
    plus the path between those ends. Its ``method`` attribute
    (``rail_tracks``) labels the figures for
    :func:`~countylink.accessibility.freight.cost.od_logistics_cost`.

    Parameters
    ----------
    arrays
        The track network (:func:`load_rail_tracks`).
    highspeed
        One bool per edge (:func:`mark_highspeed_tracks`).
    stations
        ``station_name``, ``lon``, ``lat`` of the stations that may be asked for.
    max_snap_m
        Farthest a station may lie from a track edge.
    """

    method = Method.RAIL_TRACKS

    def __init__(
        self,
        arrays: NetworkArrays,
        highspeed: np.ndarray,
        stations: pd.DataFrame,
        *,
        max_snap_m: float = DEFAULT_STATION_SNAP_M,
        hsr_penalty: float = HSR_PENALTY,
        max_hsr_share: float = MAX_HSR_SHARE,
    ):
        from scipy.sparse import coo_matrix

        self._arrays = arrays
        self._hs = np.asarray(highspeed, dtype=bool)
        self._max_hsr_share = max_hsr_share
        weight = arrays.km * np.where(self._hs, hsr_penalty, 1.0)
        n = arrays.n_nodes
        # parallel edges between two nodes: the sparse matrix would add them up, keep the cheapest
        order = np.lexsort((weight, arrays.v, arrays.u))
        first = np.ones(len(order), dtype=bool)
        first[1:] = (arrays.u[order][1:] != arrays.u[order][:-1]) | (arrays.v[order][1:] != arrays.v[order][:-1])
        keep = order[first]
        self._edge = {(int(arrays.u[k]), int(arrays.v[k])): int(k) for k in keep}
        self._graph = coo_matrix(
            (
                np.concatenate([weight[keep], weight[keep]]),
                (np.concatenate([arrays.u[keep], arrays.v[keep]]), np.concatenate([arrays.v[keep], arrays.u[keep]])),
            ),
            shape=(n, n),
        ).tocsr()
        st = pd.DataFrame(stations.drop(columns="geometry", errors="ignore")).drop_duplicates("station_name")
        ends = np.stack(
            [
                np.column_stack([arrays.lon[arrays.u], arrays.lat[arrays.u]]),
                np.column_stack([arrays.lon[arrays.v], arrays.lat[arrays.v]]),
            ],
            axis=1,
        )
        segs = gpd.GeoSeries(shapely.linestrings(ends), crs=4326).to_crs(CHINA_ALBERS).to_numpy()
        pts = gpd.GeoSeries(gpd.points_from_xy(st["lon"], st["lat"]), crs=4326).to_crs(CHINA_ALBERS).to_numpy()
        names = st["station_name"].astype(str).to_numpy()
        # station -> (edge index, km from the edge's u end, snap km); non-high-speed edges first
        self._at: dict[str, tuple[int, float, float]] = {}
        for sel in (~self._hs, self._hs):
            idx = np.flatnonzero(sel)
            if not len(idx):
                continue
            tree = shapely.STRtree(segs[idx])
            (pi, ti), dist = tree.query_nearest(pts, max_distance=max_snap_m, return_distance=True, all_matches=False)
            frac = shapely.line_locate_point(segs[idx[ti]], pts[pi], normalized=True)
            for k, e, f, d in zip(pi, idx[ti], frac, dist, strict=True):
                self._at.setdefault(names[k], (int(e), float(f) * float(arrays.km[e]), float(d) / 1000.0))
        self._from: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def _tree(self, node: int) -> tuple[np.ndarray, np.ndarray]:
        if node not in self._from:
            from scipy.sparse.csgraph import dijkstra

            dist, pred = dijkstra(self._graph, directed=False, indices=node, return_predecessors=True)
            self._from[node] = (dist, pred)
        return self._from[node]

    def _path(self, source: int, target: int) -> tuple[float, float]:
        """True km and high-speed km of the cheapest path between two nodes."""
        _, pred = self._tree(source)
        km = hs = 0.0
        node = target
        while node != source:
            prev = int(pred[node])
            if prev < 0:
                return np.nan, np.nan
            k = self._edge[(min(prev, node), max(prev, node))]
            km += float(self._arrays.km[k])
            hs += float(self._arrays.km[k]) if self._hs[k] else 0.0
            node = prev
        return km, hs

    def route(self, a: str, b: str) -> tuple[float, float]:
        """Track km and the part of it on high-speed-marked edges (NaN, NaN off the tracks or unconnected)."""
        if a == b:
            return 0.0, 0.0
        if a not in self._at or b not in self._at:
            return np.nan, np.nan
        arr = self._arrays
        (ea, xa, sa), (eb, xb, sb) = self._at[a], self._at[b]
        if ea == eb:
            on = abs(xa - xb)
            return on + sa + sb, on if self._hs[ea] else 0.0
        best: tuple[float, int, int, float, float] | None = None
        for na, da in ((int(arr.u[ea]), xa), (int(arr.v[ea]), float(arr.km[ea]) - xa)):
            dist, _ = self._tree(na)
            for nb, db in ((int(arr.u[eb]), xb), (int(arr.v[eb]), float(arr.km[eb]) - xb)):
                cost = da + float(dist[nb]) + db
                if np.isfinite(cost) and (best is None or cost < best[0]):
                    best = (cost, na, nb, da, db)
        if best is None:
            return np.nan, np.nan
        _, na, nb, da, db = best
        km, hs = self._path(na, nb)
        hs += (da if self._hs[ea] else 0.0) + (db if self._hs[eb] else 0.0)
        return km + da + db + sa + sb, hs

    def km(self, a: str, b: str) -> float:
        """Track km between two stations; NaN off the tracks, unconnected, or mostly on high-speed edges."""
        km, hs = self.route(a, b)
        if not np.isfinite(km) or (km > 0 and hs / km > self._max_hsr_share):
            return np.nan
        return km

    def __call__(self, from_names, to_names) -> np.ndarray:
        return np.array(
            [
                self.km(a, b) if isinstance(a, str) and isinstance(b, str) else np.nan
                for a, b in zip(from_names, to_names, strict=True)
            ],
            dtype=float,
        )


@dataclass
class RailTracks:
    """The railway network with its high-speed edges marked (read once per run).

    Attributes
    ----------
    arrays
        :func:`load_rail_tracks` output.
    edges
        :func:`track_lines` plus ``highspeed`` and ``corridor`` (:func:`mark_highspeed_tracks`).
    """

    arrays: NetworkArrays
    edges: gpd.GeoDataFrame

    def freight_distance(self, stations: pd.DataFrame) -> TrackDistance:
        """Distances along the non-high-speed tracks between ``stations`` (:class:`TrackDistance`)."""
        return TrackDistance(self.arrays, self.edges["highspeed"].to_numpy(bool), stations)


def load_marked_tracks(
    corridors: gpd.GeoDataFrame,
    provinces: str | tuple[str, ...] | list[str] | None = None,
    *,
    cache: str | os.PathLike | None = None,
    progress: bool = False,
) -> RailTracks:
    """:func:`load_rail_tracks` with the edges along ``corridors``' high-speed lines marked."""
    arrays = load_rail_tracks(provinces, cache=cache, progress=progress)
    edges = track_lines(arrays)
    edges = edges.join(mark_highspeed_tracks(edges, corridors))
    return RailTracks(arrays, edges)
