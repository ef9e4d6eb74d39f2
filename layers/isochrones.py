"""The ``isochrones`` layer: areas reachable by road within 30/60/120 minutes."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from countylink.accessibility.road.isochrones import DEFAULT_THRESHOLDS_MIN, isochrones
from countylink.layers.schemas import validate_layer
from countylink.methods import Method


def isochrones_layer(
    points: pd.DataFrame,
    network,
    *,
    thresholds_min: Sequence[float] = DEFAULT_THRESHOLDS_MIN,
    dissolve: bool = False,
    names: pd.Series | None = None,
    method: str = Method.OSM_NETWORK,
) -> gpd.GeoDataFrame:
    """Isochrone polygons around ``points`` (``id, lon, lat``), ready for ``export_layer``.

    ``names`` (indexed like ``points`` ids) adds a ``name`` column. Largest
    threshold first so smaller polygons draw on top.
    """
    layer = isochrones(network, points, thresholds_min=thresholds_min, dissolve=dissolve, method=method)
    if names is not None:
        layer.insert(1, "name", layer["point_id"].map(names))
    layer = layer.sort_values("threshold_min", ascending=False, kind="stable").reset_index(drop=True)
    return validate_layer("isochrones", layer)


def county_seat_isochrones(
    counties: gpd.GeoDataFrame,
    network,
    *,
    adcodes: Sequence[str] | None = None,
    thresholds_min: Sequence[float] = DEFAULT_THRESHOLDS_MIN,
    method: str = Method.OSM_NETWORK,
) -> gpd.GeoDataFrame:
    """Isochrones around county seats (``seat_lon``/``seat_lat`` of the counties layer)."""
    sel = counties if adcodes is None else counties[counties["adcode"].isin(list(adcodes))]
    pts = pd.DataFrame(
        {"id": sel["adcode"].to_numpy(), "lon": sel["seat_lon"].to_numpy(float), "lat": sel["seat_lat"].to_numpy(float)}
    )
    return isochrones_layer(
        pts,
        network,
        thresholds_min=thresholds_min,
        names=pd.Series(sel["name"].to_numpy(), index=sel["adcode"].to_numpy()),
        method=method,
    )
