"""Freight-capable stations: the conventional-service proxy, nearest station, rail network distance.

The offline data pack has **no freight attributes** for stations or lines.
:func:`freight_station_proxy` therefore uses a documented proxy: stations that
conventional passenger trains (K, Z and N classes in the national timetable)
stop at lie on conventional lines, which in China carry mixed passenger and
freight traffic; stations served only by G/D/C (high-speed) trains do not
handle freight. Every result carries ``station_basis`` saying so. A user with
a real list of freight stations (货运站) passes it instead (a boolean
``freight`` column).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from countylink.accessibility.road.crowfly import great_circle_km
from countylink.errors import DataError

#: ``station_basis`` label of :func:`freight_station_proxy`.
FREIGHT_PROXY_BASIS = "proxy: station served by conventional K/Z/N trains (the data has no freight attributes)"


def freight_station_proxy(stations: pd.DataFrame, *, min_trains: int = 1) -> pd.DataFrame:
    """Stations treated as freight-capable.

    Parameters
    ----------
    stations
        Station table with ``station_name``, ``lon``, ``lat`` and either a
        boolean ``freight`` column (a user's own list of freight stations, used
        as given) or the service counts of
        :func:`countylink.accessibility.rail.stop_lists.station_service`
        (``n_trains_conventional`` = K + Z + N trains stopping there).
    min_trains
        Fewest conventional trains for the proxy (default 1).

    Returns
    -------
    pandas.DataFrame
        The freight-capable rows with ``station_basis`` saying which rule chose them.

    Notes
    -----
    The proxy is not freight data: conventional lines carry freight in China,
    but not every conventional stop has a freight yard, and freight-only
    stations (no passenger trains) are missed.
    """
    for col in ("station_name", "lon", "lat"):
        if col not in stations.columns:
            raise DataError(f"stations table lacks column {col!r}")
    if "freight" in stations.columns:
        out = stations[stations["freight"].fillna(False).astype(bool)].copy()
        out["station_basis"] = "user-supplied freight flag"
    elif "n_trains_conventional" in stations.columns:
        out = stations[pd.to_numeric(stations["n_trains_conventional"], errors="coerce").fillna(0) >= min_trains].copy()
        out["station_basis"] = FREIGHT_PROXY_BASIS
    else:
        raise DataError(
            "stations need a boolean 'freight' column or the service counts from station_service() "
            "(n_trains_conventional) to pick freight-capable stations"
        )
    if out.empty:
        raise DataError("no freight-capable station in the stations table")
    return pd.DataFrame(out.drop(columns="geometry", errors="ignore")).reset_index(drop=True)


def rail_network_distance(network, *, classes: Iterable[str] = ("K", "Z", "N")):
    """A ``rail_distance`` function over a rail service network.

    Parameters
    ----------
    network
        :func:`countylink.accessibility.rail.service.service_network` graph
        (edges with ``classes`` and straight-line ``km``; ``graph["detour_factor"]``
        scales segment lengths to track length).
    classes
        Train classes whose edges count as freight-capable track (default the
        conventional K/Z/N; high-speed lines carry no freight).

    Returns
    -------
    callable
        ``f(from_names, to_names) -> numpy array of km`` (NaN where the two
        stations are not linked), suitable for :func:`od_logistics_cost`.
    """
    import networkx as nx

    wanted = set(classes)
    sub = nx.Graph()
    for a, b, d in network.edges(data=True):
        km = d.get("km", np.nan)
        if wanted & set(str(d.get("classes", ""))) and np.isfinite(km):
            sub.add_edge(a, b, km=float(km))
    factor = float(network.graph.get("detour_factor", 1.0))
    cache: dict[str, dict[str, float]] = {}

    def distance(from_names, to_names) -> np.ndarray:
        out = np.full(len(from_names), np.nan)
        for k, (a, b) in enumerate(zip(from_names, to_names, strict=True)):
            if a is None or b is None or a not in sub or b not in sub:
                continue
            if a not in cache:
                cache[a] = nx.single_source_dijkstra_path_length(sub, a, weight="km")
            d = cache[a].get(b)
            if d is not None:
                out[k] = d * factor
        return out

    return distance


def nearest_station(lon, lat, stations: pd.DataFrame) -> pd.DataFrame:
    """Nearest station (great-circle) to each point.

    Parameters
    ----------
    lon, lat
        WGS-84 degrees, scalars or arrays.
    stations
        Table with ``station_name``, ``lon``, ``lat``.

    Returns
    -------
    pandas.DataFrame
        ``station_name``, ``station_lon``, ``station_lat``, ``station_gc_km``
        (great-circle km from the point), one row per point; NaN rows for NaN points.
    """
    if stations is None or len(stations) == 0:
        raise DataError("no stations given")
    lon, lat = np.broadcast_arrays(
        np.atleast_1d(np.asarray(lon, dtype=float)), np.atleast_1d(np.asarray(lat, dtype=float))
    )
    slon = stations["lon"].to_numpy(float)
    slat = stations["lat"].to_numpy(float)
    # All-pairs OD tables repeat each seat many times: search once per distinct point.
    pts, inverse = np.unique(np.column_stack([lon, lat]), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    dist = great_circle_km(pts[:, :1], pts[:, 1:], slon[None, :], slat[None, :])
    dist = np.where(np.isfinite(dist), dist, np.inf)
    best = np.argmin(dist, axis=1)
    best_km = dist[np.arange(len(pts)), best]
    idx = best[inverse]
    ok = np.isfinite(lon) & np.isfinite(lat)
    names = stations["station_name"].astype(object).to_numpy()[idx]
    return pd.DataFrame(
        {
            "station_name": np.where(ok, names, None),
            "station_lon": np.where(ok, slon[idx], np.nan),
            "station_lat": np.where(ok, slat[idx], np.nan),
            "station_gc_km": np.where(ok, best_km[inverse], np.nan),
        }
    )
