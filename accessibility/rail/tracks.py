"""The national railway track network (scgraph-data ``world_railways``): distances along tracks.

The network (see :mod:`countylink.accessibility.osm.scgraph_data`) is an
undirected set of straight segments between simplified OpenStreetMap railway
nodes, with lengths in km and nothing else: no usage (passenger, freight,
high-speed), electrification or gauge. It gives line-haul distances *along
tracks* between stations (``method="rail_tracks"``), instead of hops between
timetable stops or great-circle × detour.

Only distances are reported: the network carries no speed, and a shortest
path on it may use a high-speed line that carries no freight; callers that
model freight must exclude such lines themselves.
"""

from __future__ import annotations

import os
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd

from countylink.accessibility.osm.scgraph_data import (
    DEFAULT_BUFFER_KM,
    NetworkArrays,
    extract_network,
    network_edges_frame,
)
from countylink.accessibility.road.highways import point_connectivity, routing_network_from_arrays
from countylink.accessibility.road.travel_time import RoutingNetwork, points_frame, travel_time_matrix
from countylink.errors import DataError
from countylink.methods import Method

#: Stations farther than this from a track node are not routed, metres. Stations sit on
#: their tracks, so a larger gap means the line is missing from the network.
DEFAULT_STATION_SNAP_M = 3_000.0
# the routing engine needs edge times; with one speed everywhere the fastest path is the shortest
_NOMINAL_SPEED_KPH = 100.0


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
