"""Display geometry: simplified county coverage, curved flow lines, GCJ-02 shift.

Nothing here is analysis: these functions only change how layers are drawn.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString

from countylink.errors import DataError

#: Default display tolerance for the county coverage, in metres.
DEFAULT_TOLERANCE_M = 250.0
#: Coordinates are written with 4 decimals (about 10 m), far below the tolerance.
DISPLAY_DECIMALS = 4


def _metric_crs():
    from countylink.geo.crs import CHINA_ALBERS

    return CHINA_ALBERS


def simplify_coverage(counties: gpd.GeoDataFrame, *, tolerance_m: float = DEFAULT_TOLERANCE_M) -> gpd.GeoDataFrame:
    """Simplify a county coverage for display, keeping shared borders shared.

    Uses :func:`shapely.coverage_simplify` (topology-preserving over the
    whole coverage: neighbours keep one common edge, no gaps or overlaps
    appear) in an equal-area metric CRS, so ``tolerance_m`` is in metres.

    Parameters
    ----------
    counties
        Polygons in any CRS (WGS-84 in countylink).
    tolerance_m
        Douglas–Peucker-like tolerance in metres (0 keeps every vertex).

    Returns
    -------
    geopandas.GeoDataFrame
        Copy in EPSG:4326 with simplified geometries, coordinates rounded to
        :data:`DISPLAY_DECIMALS` decimals.
    """
    if counties.crs is None:
        raise DataError("county layer has no CRS; expected WGS-84 (EPSG:4326)")
    if tolerance_m < 0:
        raise DataError(f"simplification tolerance must be >= 0 m, got {tolerance_m}")
    out = counties.copy()
    if tolerance_m > 0 and len(out):
        metric = out.geometry.to_crs(_metric_crs())
        simplified = shapely.coverage_simplify(metric.values, tolerance_m)
        out = out.set_geometry(gpd.GeoSeries(simplified, index=out.index, crs=metric.crs).to_crs(4326))
    else:
        out = out.to_crs(4326)
    out.geometry = round_coordinates(out.geometry)
    return out


def simplify_lines(lines: gpd.GeoDataFrame, *, tolerance_m: float = DEFAULT_TOLERANCE_M) -> gpd.GeoDataFrame:
    """Simplify line layers (rail, corridors) with the same metric tolerance."""
    if lines.crs is None:
        raise DataError("line layer has no CRS; expected WGS-84 (EPSG:4326)")
    out = lines.copy()
    if tolerance_m > 0 and len(out):
        metric = out.geometry.to_crs(_metric_crs())
        out = out.set_geometry(metric.simplify(tolerance_m, preserve_topology=True).to_crs(4326))
    else:
        out = out.to_crs(4326)
    out.geometry = round_coordinates(out.geometry)
    return out


def round_coordinates(geoms: gpd.GeoSeries, decimals: int = DISPLAY_DECIMALS) -> gpd.GeoSeries:
    """Snap every coordinate to a 10^-decimals degree grid (4 decimals ≈ 10 m).

    Uses :func:`shapely.set_precision` (snap rounding), so polygons stay
    valid and neighbours that shared a border still share it; plain rounding
    can make an island ring cross its neighbour.
    """
    values = shapely.set_precision(geoms.values, 10.0**-decimals)
    return gpd.GeoSeries(values, index=geoms.index, crs=geoms.crs)


def curved_line(start: tuple[float, float], end: tuple[float, float], *, bend: float = 0.18, n: int = 32) -> LineString:
    """A quadratic Bézier arc from ``start`` to ``end`` (lon, lat).

    The control point sits ``bend`` × the chord length to the right of the
    chord's midpoint (computed with longitude scaled by cos(latitude), so the
    arc looks the same at any latitude). Always bending right means A→B and
    B→A arcs never overlap. The first vertex is ``start``: the line's own
    direction is the flow direction.
    """
    (x0, y0), (x1, y1) = start, end
    k = np.cos(np.radians((y0 + y1) / 2.0))
    dx, dy = (x1 - x0) * k, (y1 - y0)
    # right-hand normal of the direction (dx, dy) is (dy, -dx)
    cx = (x0 + x1) / 2.0 + bend * dy / k
    cy = (y0 + y1) / 2.0 - bend * dx
    t = np.linspace(0.0, 1.0, n)[:, None]
    p0, p1, p2 = np.array([x0, y0]), np.array([cx, cy]), np.array([x1, y1])
    pts = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2
    return LineString(np.round(pts, DISPLAY_DECIMALS))


def shift_to_gcj02(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Move a WGS-84 layer to GCJ-02 so it lines up with AMap-style tiles."""
    from countylink.geo.coords import convert_geoseries

    out = gdf.copy()
    out.geometry = convert_geoseries(out.geometry, source="wgs84", target="gcj02")
    return out
