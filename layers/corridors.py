"""Road travel figures on the pairs layers, and the ``corridors`` layer.

:func:`add_road_travel` adds ``road_time_min``, ``road_km`` and ``method`` to a
pairs layer: routed on the road graph (``osm_network``) when one is given,
otherwise crow-fly estimates (``crowfly_estimate``, see
:mod:`countylink.accessibility.road.crowfly`). :func:`corridors_layer` gives the
fastest road route of each pair as a LineString with the counties it crosses.
The pipeline step :func:`run_step` does both for every ``pairs_<programme>``
layer of a run.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from countylink.accessibility.road.corridors import fastest_corridors
from countylink.accessibility.road.crowfly import crowfly_travel
from countylink.accessibility.road.travel_time import prepare_network, travel_time_pairs
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


def add_road_travel(pairs: gpd.GeoDataFrame, *, network=None, progress: bool = False) -> gpd.GeoDataFrame:
    """Return ``pairs`` with ``road_time_min``, ``road_km`` and ``method`` columns.

    Pairs whose helper is unknown keep NaN figures. With a graph, pairs that
    cannot be routed (seat off the network) stay NaN with ``method`` still
    ``osm_network`` and a warning from the router; nothing is silently estimated.
    """
    out = pairs.copy()
    o, d = _ends(out)
    if network is None:
        est = crowfly_travel(o["lon"], o["lat"], d["lon"], d["lat"])
        out["road_time_min"] = est["time_min"].round(1).to_numpy()
        out["road_km"] = est["road_km"].round(1).to_numpy()
        out["method"] = est["method"].to_numpy()
        return validate_layer("pairs", out, partial=True)
    res = travel_time_pairs(network, o, d, progress=progress)
    out["road_time_min"] = (res["time_s"] / 60.0).round(1).to_numpy()
    out["road_km"] = (res["distance_m"] / 1000.0).round(1).to_numpy()
    out["method"] = res["method"].to_numpy()
    return validate_layer("pairs", out, partial=True)


def corridors_layer(pairs: gpd.GeoDataFrame, network, *, counties: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Fastest road corridor of each pair with a known helper (one row per pair)."""
    known = pairs[pairs["helper_seat_lon"].notna() & pairs["helped_seat_lon"].notna()]
    o, d = _ends(known)
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
        },
        geometry=routes.geometry.to_numpy(),
        crs=4326,
    )
    return validate_layer("corridors", out)


def run_step(ctx) -> None:
    """Pipeline step: road travel columns on every pairs layer; corridors when a graph is loaded."""
    counties = ctx.layers.get("counties")
    network = prepare_network(ctx.network) if ctx.network is not None else None
    for key in [k for k in ctx.layers if k.startswith("pairs_")]:
        programme = key[len("pairs_") :]
        ctx.layers[key] = add_road_travel(ctx.layers[key], network=network)
        if network is None:
            continue
        ctx.progress(f"corridors: {programme}")
        ctx.layers[f"corridors_{programme}"] = corridors_layer(ctx.layers[key], ctx.network, counties=counties)
    if network is None:
        ctx.notes.append(
            "road: no --network given; road_time_min/road_km are crow-fly estimates "
            "(method=crowfly_estimate) and no corridors layer was built"
        )
