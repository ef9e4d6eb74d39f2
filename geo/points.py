"""The one reader of point files (``id, lon, lat``) for every command that takes points.

``matrix --origins/--destinations``, ``export isochrones --points`` and the
single point of ``scenario --lon/--lat`` all go through here, so every point
is checked the same way: unique non-empty ids, finite longitudes and latitudes
in range, columns that look swapped, and the coordinate system. Chinese web
maps (AMap, Tencent) give GCJ-02 and Baidu gives BD-09, offset from WGS-84 by
about 0.5 km: ``coord_system`` converts them; a file read as WGS-84 without
being told so is warned about when its points lie in China.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from countylink.errors import DataError
from countylink.files import read_csv_table
from countylink.geo.coords import SYSTEMS, convert_lonlat, in_china_bbox

#: the rough box of mainland China, for the swapped-columns test (lon, lat)
CHINA_LON, CHINA_LAT = (73.0, 135.5), (18.0, 54.0)


def _lines(mask: np.ndarray, values: pd.Series | None = None, *, offset: int = 2) -> str:
    idx = np.flatnonzero(mask)
    shown = [f"{i + offset}" + (f" ({values.iloc[i]!r})" if values is not None else "") for i in idx[:5]]
    return ", ".join(shown) + (f" and {len(idx) - 5} more" if len(idx) > 5 else "")


def check_coord_system(coord_system: str | None) -> str:
    """The normalised name (``wgs84``, ``gcj02``, ``bd09``); None means WGS-84 assumed."""
    if coord_system is None:
        return "wgs84"
    key = coord_system.lower().replace("-", "").replace("_", "")
    if key not in SYSTEMS:
        raise DataError(f"unknown coordinate system {coord_system!r}: use one of {', '.join(SYSTEMS)}")
    return key


def checked_lonlat(
    lon: ArrayLike,
    lat: ArrayLike,
    *,
    what: str,
    coord_system: str | None = None,
    line_offset: int | None = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """Check longitudes and latitudes and return them in WGS-84.

    Parameters
    ----------
    lon, lat
        Degrees (floats; NaN for cells that were not numbers).
    what
        The file or option, for messages ("origins file o.csv", "--lon/--lat").
    coord_system
        ``wgs84``, ``gcj02`` or ``bd09``; None: WGS-84 assumed, with a warning
        when points lie in China (where web-map coordinates are offset).
    line_offset
        Line number of the first value (2 for a CSV with a header line;
        None for values given as options).

    Raises
    ------
    DataError
        Missing or non-finite values, values out of range, or columns that
        look swapped (latitudes in China's longitude range and vice versa).
    """
    system = check_coord_system(coord_system)
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)

    def where(mask: np.ndarray) -> str:
        return "" if line_offset is None else f" on line {_lines(mask, offset=line_offset)}"

    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    if bad.any():
        raise DataError(f"{what}: lon/lat missing or not finite numbers{where(bad)}")
    in_lon_box = (lon >= CHINA_LON[0]) & (lon <= CHINA_LON[1]) & (lat >= CHINA_LAT[0]) & (lat <= CHINA_LAT[1])
    swapped_box = (lat >= CHINA_LON[0]) & (lat <= CHINA_LON[1]) & (lon >= CHINA_LAT[0]) & (lon <= CHINA_LAT[1])
    if swapped_box.any() and swapped_box.sum() >= in_lon_box.sum():
        raise DataError(
            f"{what}: lon and lat look swapped (latitude {lat[swapped_box][0]:g} is a longitude in China)"
            f"{where(swapped_box)}; swap them"
        )
    out = (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if out.any():
        raise DataError(
            f"{what}: lon must be within ±180 and lat within ±90 degrees{where(out)} (got {lon[out][0]:g}, {lat[out][0]:g})"
        )
    if coord_system is None and in_china_bbox(lon, lat).any():
        warnings.warn(
            f"{what}: coordinates read as WGS-84; if they come from AMap, Tencent (GCJ-02) or Baidu (BD-09) "
            "maps they are about 0.5 km off: say so with --coord-system gcj02|bd09 (or wgs84 to silence this)",
            stacklevel=2,
        )
    return convert_lonlat(lon, lat, source=system, target="wgs84")


def read_points(
    path: str | os.PathLike,
    *,
    what: str = "points file",
    coord_system: str | None = None,
) -> pd.DataFrame:
    """Read a CSV of points with columns ``id, lon, lat`` (more columns are kept).

    Parameters
    ----------
    path
        The CSV (UTF-8, or GB18030/GBK with a warning).
    what
        What the file is, for messages ("origins file").
    coord_system
        ``wgs84``, ``gcj02`` or ``bd09`` (see :func:`checked_lonlat`).

    Returns
    -------
    DataFrame
        ``id`` (text), ``lon``, ``lat`` (float, WGS-84) and the file's other columns.

    Raises
    ------
    DataError
        Missing columns, empty or duplicated ids, bad coordinates (see :func:`checked_lonlat`).
    """
    label = f"{what} {path}"
    frame = read_csv_table(path, what=what, dtype=str, keep_default_na=False)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("id", "lon", "lat") if c not in frame.columns]
    if missing:
        raise DataError(f"{label} lacks column(s) {', '.join(missing)}; need id, lon, lat (WGS-84 unless told)")
    if frame.empty:
        raise DataError(f"{label} has a header but no points")
    ids = frame["id"].astype(str).str.strip()
    empty = (ids == "").to_numpy()
    if empty.any():
        raise DataError(f"{label}: empty id on line {_lines(empty)}")
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataError(f"{label}: {int(dup.sum())} rows share an id (ids must be unique) on line {_lines(dup, ids)}")
    for col in ("lon", "lat"):
        raw = frame[col].astype(str).str.strip()
        num = pd.to_numeric(raw, errors="coerce")
        bad = (num.isna() & (raw != "")).to_numpy()
        if bad.any():
            raise DataError(f"{label}: {col} is not a number on line {_lines(bad, raw)}")
    lon, lat = checked_lonlat(
        pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float),
        pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float),
        what=label,
        coord_system=coord_system,
    )
    out = frame.assign(id=ids, lon=lon, lat=lat)
    out.attrs["coord_system"] = check_coord_system(coord_system)
    return out
