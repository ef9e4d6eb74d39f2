"""The ``counties`` layer: county polygons joined with indicators.

Schema: the county columns of :func:`countylink.geo.boundaries.load_counties`
(``adcode``, ``name``, ``prefecture``, ``province``, ``area_km2``, ``seat_lon``,
``seat_lat``, ``seat_source``, ``geometry``) plus, for each indicator in the
table, ``<indicator>``, ``<indicator>_year``, ``<indicator>_source`` and
``<indicator>_unit`` (see :mod:`countylink.layers.indicators`; every column is
declared in :data:`countylink.layers.schemas.COUNTIES`). A county with no
figure has NaN, never 0.
"""

from __future__ import annotations

import os
import warnings

import geopandas as gpd
import pandas as pd

from countylink.geo.boundaries import load_counties
from countylink.layers.indicators import default_indicators, indicators_wide, join_report
from countylink.layers.schemas import validate_layer


def counties_layer(
    provinces: str | tuple[str, ...] | list[str] = ("shandong", "zhejiang"),
    *,
    indicators: pd.DataFrame | None = None,
    data: str | os.PathLike | None = None,
) -> gpd.GeoDataFrame:
    """Counties of ``provinces`` with indicator columns.

    Parameters
    ----------
    provinces
        Province keys or names.
    indicators
        Long indicator table; defaults to what the data pack provides.
    data
        Data-pack directory (``--data``), used when ``indicators`` is None.

    Returns
    -------
    GeoDataFrame
        One row per county, EPSG:4326. ``attrs["join_report"]`` lists
        indicator keys with no county and duplicated keys.
    """
    counties = load_counties(provinces)
    long = default_indicators(data=data) if indicators is None else indicators
    wide = indicators_wide(long)
    report = join_report(pd.Series(wide.index), counties["adcode"])
    # indicators for counties of other provinces are expected; anything else is reported
    in_scope = [k for k in report["unmatched_left"] if k[:2] in set(counties["adcode"].str[:2])]
    if in_scope:
        warnings.warn(f"indicators for {len(in_scope)} unknown adcode(s): {', '.join(in_scope[:10])}", stacklevel=2)
    if report["duplicated_right"]:
        warnings.warn(f"duplicated county adcodes: {', '.join(report['duplicated_right'])}", stacklevel=2)
    out = counties.merge(wide, left_on="adcode", right_index=True, how="left")
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=counties.crs)
    out.attrs["join_report"] = report
    return validate_layer("counties", out)
