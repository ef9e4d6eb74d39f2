"""Isochrone polygons: the area reachable by road within given travel times.

For each source point (or the whole set, dissolved) a single Dijkstra from a
virtual source joined to every snapped node by its access time gives the
earliest arrival at every node. For a threshold ``T`` the reachable road
network is every edge fully reached plus the reached fraction of edges whose
far end is beyond ``T``; the isochrone is that road network buffered by
``buffer_m`` (in a local metric CRS) and unioned. Every node reachable within
``T`` therefore lies inside the ``T`` polygon, and polygons are nested.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix, hstack, vstack
from scipy.sparse.csgraph import dijkstra

from countylink.accessibility.road.travel_time import (
    DEFAULT_ACCESS_SPEED_KPH,
    DEFAULT_MAX_SNAP_M,
    RoutingNetwork,
    points_frame,
    prepare_network,
    snap_points,
)
from countylink.errors import DataError
from countylink.methods import Method

DEFAULT_THRESHOLDS_MIN: tuple[float, ...] = (30, 60, 120)


def arrival_times(
    network: RoutingNetwork, nodes: np.ndarray, offsets_s: np.ndarray, *, limit_s: float = np.inf
) -> np.ndarray:
    """Earliest arrival (s) at every node from several start nodes with start offsets."""
    n = network.n
    # virtual node n with edges to each start node weighted by its offset
    extra_row = csr_matrix((np.maximum(offsets_s, 1e-9), (np.zeros(len(nodes), int), nodes)), shape=(1, n))
    graph = vstack([hstack([network.times, csr_matrix((n, 1))]), hstack([extra_row, csr_matrix((1, 1))])]).tocsr()
    dist = dijkstra(graph, directed=True, indices=n, limit=limit_s)
    return dist[:n]


def _reach_lines(network: RoutingNetwork, arrival: np.ndarray, limit_s: float) -> list:
    u = network.edge_keys // network.n
    v = network.edge_keys % network.n
    tu = arrival[u]
    tv = arrival[v]
    full = (tu <= limit_s) & (tv <= limit_s)
    part = (tu <= limit_s) & ~(tv <= limit_s)
    lines = (
        shapely.linestrings(
            np.stack(
                [
                    np.column_stack([network.x[u[full]], network.y[u[full]]]),
                    np.column_stack([network.x[v[full]], network.y[v[full]]]),
                ],
                axis=1,
            )
        ).tolist()
        if full.any()
        else []
    )
    if part.any():
        frac = np.clip((limit_s - tu[part]) / np.maximum(network.edge_times[part], 1e-9), 0, 1)
        x0, y0 = network.x[u[part]], network.y[u[part]]
        x1 = x0 + frac * (network.x[v[part]] - x0)
        y1 = y0 + frac * (network.y[v[part]] - y0)
        lines += shapely.linestrings(np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1)).tolist()
    # reached nodes off every drawn edge (e.g. an isolated start node); the others lie on a line already,
    # and buffering them too cost a third of the union's time
    on_line = np.zeros(network.n, dtype=bool)
    on_line[u[full | part]] = True
    on_line[v[full]] = True
    reached = np.nonzero((arrival <= limit_s) & ~on_line)[0]
    lines += shapely.points(network.x[reached], network.y[reached]).tolist()
    return lines


def isochrones(
    graph: nx.MultiDiGraph | RoutingNetwork,
    points: pd.DataFrame,
    *,
    thresholds_min: Sequence[float] = DEFAULT_THRESHOLDS_MIN,
    dissolve: bool = False,
    buffer_m: float = 500.0,
    access_speed_kph: float = DEFAULT_ACCESS_SPEED_KPH,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    method: str = Method.OSM_NETWORK,
) -> gpd.GeoDataFrame:
    """Isochrone polygons around each point (or the dissolved point set).

    Parameters
    ----------
    graph
        Road graph (edges with ``travel_time``) or prepared :class:`RoutingNetwork`.
    points
        ``id``, ``lon``, ``lat`` table or point GeoDataFrame.
    thresholds_min
        Travel-time limits in minutes (e.g. 30, 60, 120).
    dissolve
        One polygon per threshold for the whole point set instead of per point.
    buffer_m
        Half-width of the reachable road corridor in the polygon, metres.
    access_speed_kph, max_snap_m
        Access leg from each point to its snapped node; points farther away are skipped.

    Returns
    -------
    geopandas.GeoDataFrame
        ``point_id`` (``"all"`` when dissolved), ``threshold_min``, ``reached_nodes``,
        ``area_km2``, ``method`` (default ``"osm_network"``; ``"highway_network"`` on the national
        highway network), (Multi)Polygon geometry (EPSG:4326).
    """
    network = prepare_network(graph)
    pts = points_frame(points, "points")
    thresholds = sorted(float(t) for t in thresholds_min)
    if not thresholds or thresholds[0] <= 0:
        raise DataError("isochrone thresholds must be positive minutes")
    if not buffer_m > 0:
        raise DataError("buffer_m must be positive")
    nodes, snap = snap_points(network, pts["lon"].to_numpy(float), pts["lat"].to_numpy(float), max_snap_m=max_snap_m)
    ok = nodes >= 0
    if not ok.any():
        raise DataError(f"no point lies within {max_snap_m:,.0f} m of the road network")
    if not ok.all():
        import warnings

        warnings.warn(
            f"{int((~ok).sum())} of {len(pts)} points lie off the road network and get no isochrone", stacklevel=2
        )
    offsets = snap / (access_speed_kph / 3.6)
    groups = [("all", np.nonzero(ok)[0])] if dissolve else [(pts["id"].iloc[i], [i]) for i in np.nonzero(ok)[0]]
    crs = gpd.GeoSeries(shapely.points(pts["lon"][ok], pts["lat"][ok]), crs=4326).estimate_utm_crs()
    rows = []
    for pid, members in groups:
        members = np.asarray(members)
        arrival = arrival_times(network, nodes[members], offsets[members], limit_s=thresholds[-1] * 60)
        for t in thresholds:
            parts = _reach_lines(network, arrival, t * 60)
            geo = gpd.GeoSeries(parts, crs=4326).to_crs(crs)
            poly = shapely.union_all(geo.buffer(buffer_m, quad_segs=4).to_numpy())
            poly_wgs = gpd.GeoSeries([poly], crs=crs).to_crs(4326).iloc[0]
            rows.append(
                {
                    "point_id": pid,
                    "threshold_min": t,
                    "reached_nodes": int((arrival <= t * 60).sum()),
                    "area_km2": poly.area / 1e6,
                    "method": method,
                    "geometry": poly_wgs,
                }
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
