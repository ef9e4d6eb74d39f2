"""Fastest road corridors between point pairs, with the counties they cross.

For each pair the fastest route on the road graph becomes one LineString
(access leg from the origin point to its snapped node, the edges' own
geometries in travel direction, access leg to the destination point), with
its length, time and the ordered list of counties it passes through. The
counties are passed in by the caller (``accessibility`` does not import
``layers``).
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from shapely.geometry import LineString

from countylink.accessibility.road.travel_time import (
    DEFAULT_ACCESS_SPEED_KPH,
    DEFAULT_MAX_SNAP_M,
    RoutingNetwork,
    fastest_node_path,
    points_frame,
    prepare_network,
    snap_points,
)
from countylink.errors import DataError
from countylink.methods import Method


def _edge_coords(graph: nx.MultiDiGraph, u, v, key) -> list[tuple[float, float]]:
    data = graph.edges[u, v, key]
    start = (graph.nodes[u]["x"], graph.nodes[u]["y"])
    if "geometry" in data and data["geometry"] is not None:
        coords = list(data["geometry"].coords)
        # OSMnx stores geometry u→v; be robust to reversed copies
        if np.hypot(coords[0][0] - start[0], coords[0][1] - start[1]) > np.hypot(
            coords[-1][0] - start[0], coords[-1][1] - start[1]
        ):
            coords = coords[::-1]
        return coords
    return [start, (graph.nodes[v]["x"], graph.nodes[v]["y"])]


def route_geometry(
    graph: nx.MultiDiGraph | None, network: RoutingNetwork, node_path: list[int]
) -> list[tuple[float, float]]:
    """Coordinates of a node-index path using the fastest parallel edge's geometry.

    Without a graph (``graph=None``, a network built from arrays such as the
    scgraph-data highways) edges are straight segments between nodes, which is
    the true geometry of such a network.
    """
    if graph is None:
        return list(zip(network.x[node_path].tolist(), network.y[node_path].tolist()))
    coords: list[tuple[float, float]] = [(network.x[node_path[0]], network.y[node_path[0]])]
    for a, b in zip(node_path[:-1], node_path[1:]):
        pos = np.searchsorted(network.edge_keys, a * network.n + b)
        u, v, k = network.edge_ref[pos]
        seg = _edge_coords(graph, u, v, k)
        coords.extend(seg[1:])
    return coords


def fastest_corridors(
    graph: nx.MultiDiGraph | RoutingNetwork,
    origins: pd.DataFrame,
    destinations: pd.DataFrame,
    *,
    counties: gpd.GeoDataFrame | None = None,
    county_name_col: str = "name",
    access_speed_kph: float = DEFAULT_ACCESS_SPEED_KPH,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    method: str = Method.OSM_NETWORK,
) -> gpd.GeoDataFrame:
    """Fastest road route for each row pair ``origins[i] → destinations[i]``.

    Parameters
    ----------
    graph
        Road graph from :func:`~countylink.accessibility.road.network.build_road_network`
        (edge geometries from the graph), or a :class:`RoutingNetwork` alone
        (straight segments between nodes, e.g. from
        :func:`~countylink.accessibility.road.highways.highway_routing_network`).
    origins, destinations
        Equal-length tables with ``id``, ``lon``, ``lat`` (or point GeoDataFrames).
    counties
        Optional county polygons (EPSG:4326); when given, ``counties`` lists
        the counties the route crosses in travel order (``;``-separated) and
        ``n_counties`` counts them.
    county_name_col
        Column of ``counties`` to list (``adcode`` is listed too when present).
    access_speed_kph, max_snap_m
        As in :func:`~countylink.accessibility.road.travel_time.travel_time_matrix`.
    method
        Label of the ``method`` column (default ``"osm_network"``).

    Returns
    -------
    geopandas.GeoDataFrame
        ``origin_id``, ``destination_id``, ``time_s``, ``time_min``,
        ``length_m``, ``snap_m``, ``counties``, ``county_adcodes``, ``n_counties``,
        ``method`` (default ``"osm_network"``), LineString geometry (EPSG:4326); rows whose
        route cannot be found have NaN figures and no geometry.
    """
    network = prepare_network(graph)
    edge_graph = None if isinstance(graph, RoutingNetwork) else graph
    o = points_frame(origins, "origins")
    d = points_frame(destinations, "destinations")
    if len(o) != len(d):
        raise DataError(f"origins ({len(o)}) and destinations ({len(d)}) must have the same length")
    o_node, o_snap = snap_points(network, o["lon"], o["lat"], max_snap_m=max_snap_m)
    d_node, d_snap = snap_points(network, d["lon"], d["lat"], max_snap_m=max_snap_m)
    rows = []
    for i in range(len(o)):
        rec = {
            "origin_id": o["id"].iloc[i],
            "destination_id": d["id"].iloc[i],
            "time_s": np.nan,
            "length_m": np.nan,
            "snap_m": o_snap[i] + d_snap[i],
            "geometry": None,
        }
        if o_node[i] >= 0 and d_node[i] >= 0:
            path = fastest_node_path(network, o_node[i], d_node[i])
            if path is not None:
                coords = (
                    [(o["lon"].iloc[i], o["lat"].iloc[i])]
                    + route_geometry(edge_graph, network, path)
                    + [(d["lon"].iloc[i], d["lat"].iloc[i])]
                )
                pos = np.searchsorted(network.edge_keys, np.array(path[:-1]) * network.n + np.array(path[1:]))
                net_t = float(network.edge_times[pos].sum())
                net_l = float(network.edge_lengths[pos].sum())
                rec["time_s"] = net_t + rec["snap_m"] / (access_speed_kph / 3.6)
                rec["length_m"] = net_l + rec["snap_m"]
                rec["geometry"] = LineString(coords)
        rows.append(rec)
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    out["time_min"] = out["time_s"] / 60.0
    out["method"] = method
    if counties is not None:
        names, codes, counts = counties_along(out, counties, name_col=county_name_col)
        out["counties"], out["county_adcodes"], out["n_counties"] = names, codes, counts
    return out


def counties_along(
    routes: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, *, name_col: str = "name"
) -> tuple[list[str | None], list[str | None], list[int]]:
    """Counties each route crosses, ordered by where the route first enters them."""
    if name_col not in counties.columns:
        raise DataError(f"counties have no {name_col!r} column")
    cty = counties.to_crs(4326) if counties.crs is not None else counties
    names: list[str | None] = []
    codes: list[str | None] = []
    counts: list[int] = []
    for geom in routes.geometry:
        if geom is None or geom.is_empty:
            names.append(None)
            codes.append(None)
            counts.append(0)
            continue
        hit = cty[cty.intersects(geom)]
        if hit.empty:
            names.append("")
            codes.append("")
            counts.append(0)
            continue
        # order by the position along the route of the first piece inside each county
        first = []
        for poly in hit.geometry:
            inter = geom.intersection(poly)
            pieces = getattr(inter, "geoms", [inter])
            first.append(
                min(geom.project(p.interpolate(0)) if hasattr(p, "interpolate") else geom.project(p) for p in pieces)
            )
        hit = hit.assign(_pos=first).sort_values("_pos")
        names.append(";".join(map(str, hit[name_col])))
        codes.append(";".join(map(str, hit["adcode"])) if "adcode" in hit.columns else "")
        counts.append(len(hit))
    return names, codes, counts
