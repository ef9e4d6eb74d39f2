"""Road travel figures on the pairs layers, and the ``corridors`` layer.

:func:`road_travel` gives ``road_time_min``, ``road_km`` and ``method`` per
pair: routed on the road graph (``osm_network``) when one is given, otherwise
crow-fly estimates (``crowfly_estimate``, see
:mod:`countylink.accessibility.road.crowfly`); :func:`join_road_travel` joins
them onto a pairs layer (:func:`add_road_travel` does both).
:func:`corridors_layer` gives the fastest road route of each pair as a
LineString with the counties it crosses.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from countylink.accessibility.road.corridors import fastest_corridors
from countylink.accessibility.road.crowfly import crowfly_travel
from countylink.accessibility.road.highways import highway_corridors, highway_travel_time_pairs
from countylink.accessibility.road.travel_time import travel_time_pairs
from countylink.layers.pairs import join_pair_columns
from countylink.layers.schemas import validate_layer

CORRIDOR_COLUMNS = [
    "programme",
    "pair_id",
    "helper_adcode",
    "helper_name",
    "helped_adcode",
    "helped_name",
    "road_time_min",
    "road_km",
    "snap_m",
    "counties",
    "county_adcodes",
    "n_counties",
    "method",
    "unrouted_reason",
]


def _ends(pairs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    o = pd.DataFrame(
        {
            "id": pairs["pair_id"].to_numpy(),
            "lon": pairs["helper_seat_lon"].to_numpy(float),
            "lat": pairs["helper_seat_lat"].to_numpy(float),
        }
    )
    d = pd.DataFrame(
        {
            "id": pairs["pair_id"].to_numpy(),
            "lon": pairs["helped_seat_lon"].to_numpy(float),
            "lat": pairs["helped_seat_lat"].to_numpy(float),
        }
    )
    return o, d


def road_travel(pairs: pd.DataFrame, *, network=None, highway: bool = False, progress: bool = False) -> pd.DataFrame:
    """Road ``road_time_min``, ``road_km``, ``method`` and ``road_unrouted_reason`` per pair (``pair_id``).

    Seat to seat. Without a network, crow-fly estimates. With an OSM graph,
    pairs that cannot be routed (seat off the network) stay NaN with ``method``
    still ``osm_network`` and a warning from the router. On the national highway
    network (``highway=True``), pairs it cannot connect (islands, cut-off
    fragments, seats far from any road) get a crow-fly estimate labelled
    ``crowfly_estimate`` with the reason in ``road_unrouted_reason`` -- never
    silently. Pairs whose helper is unknown keep NaN figures.
    """
    o, d = _ends(pairs)
    reason = pd.Series([None] * len(o), dtype=object)
    if network is None:
        est = crowfly_travel(o["lon"], o["lat"], d["lon"], d["lat"])
        time_min, km, method = est["time_min"].round(1), est["road_km"].round(1), est["method"]
        reason = pd.Series(["no road network given"] * len(o), dtype=object)
    elif highway:
        known = o["lon"].notna() & d["lon"].notna()
        res = highway_travel_time_pairs(network, o[known], d[known], progress=progress)
        full = pd.DataFrame(index=o.index, columns=["time_s", "distance_m", "method", "unrouted_reason"], dtype=object)
        full.loc[known, ["time_s", "distance_m", "method", "unrouted_reason"]] = res[
            ["time_s", "distance_m", "method", "unrouted_reason"]
        ].to_numpy()
        time_min = (pd.to_numeric(full["time_s"]) / 60.0).round(1)
        km = (pd.to_numeric(full["distance_m"]) / 1000.0).round(1)
        method = full["method"]  # unknown helper: no figure, no method
        reason = full["unrouted_reason"].where(known, "helper unknown")
    else:
        res = travel_time_pairs(network, o, d, progress=progress)
        time_min, km, method = (res["time_s"] / 60.0).round(1), (res["distance_m"] / 1000.0).round(1), res["method"]
    return pd.DataFrame(
        {
            "pair_id": pairs["pair_id"].to_numpy(),
            "road_time_min": time_min.to_numpy(),
            "road_km": km.to_numpy(),
            "method": method.to_numpy(),
            "road_unrouted_reason": reason.to_numpy(),
        }
    )


def join_road_travel(pairs: gpd.GeoDataFrame, travel: pd.DataFrame) -> gpd.GeoDataFrame:
    """A new pairs layer with the :func:`road_travel` columns joined on ``pair_id``."""
    return join_pair_columns(pairs, travel)


def add_road_travel(pairs: gpd.GeoDataFrame, *, network=None, progress: bool = False) -> gpd.GeoDataFrame:
    """Return ``pairs`` with ``road_time_min``, ``road_km`` and ``method`` columns (see :func:`road_travel`)."""
    return validate_layer(
        "pairs", join_road_travel(pairs, road_travel(pairs, network=network, progress=progress)), partial=True
    )


def corridors_layer(
    pairs: gpd.GeoDataFrame, network, *, counties: gpd.GeoDataFrame | None = None, highway: bool = False
) -> gpd.GeoDataFrame:
    """Fastest road corridor of each pair with a known helper (one row per pair).

    ``network`` is an OSM graph or, with ``highway=True``, the national highway
    :class:`~countylink.accessibility.road.travel_time.RoutingNetwork`; pairs the
    network cannot connect keep NaN figures, no geometry and an ``unrouted_reason``.
    """
    known = pairs[pairs["helper_seat_lon"].notna() & pairs["helped_seat_lon"].notna()]
    o, d = _ends(known)
    if highway:
        routes = highway_corridors(network, o, d, counties=counties)
    else:
        routes = fastest_corridors(network, o, d, counties=counties)
    out = gpd.GeoDataFrame(
        {
            "programme": known["programme"].to_numpy(),
            "pair_id": known["pair_id"].to_numpy(),
            "helper_adcode": known["helper_adcode"].to_numpy(),
            "helper_name": known["helper_name"].to_numpy(),
            "helped_adcode": known["helped_adcode"].to_numpy(),
            "helped_name": known["helped_name"].to_numpy(),
            "road_time_min": routes["time_min"].round(1).to_numpy(),
            "road_km": (routes["length_m"] / 1000.0).round(1).to_numpy(),
            "snap_m": routes["snap_m"].round(0).to_numpy(),
            "counties": routes.get("counties", pd.Series([None] * len(routes))).to_numpy(),
            "county_adcodes": routes.get("county_adcodes", pd.Series([None] * len(routes))).to_numpy(),
            "n_counties": routes.get("n_counties", pd.Series(np.zeros(len(routes), int))).to_numpy(),
            "method": routes["method"].to_numpy(),
            "unrouted_reason": routes.get("unrouted_reason", pd.Series([None] * len(routes))).to_numpy(),
        },
        geometry=routes.geometry.to_numpy(),
        crs=4326,
    )
    return validate_layer("corridors", out)
