"""Raster data types and raster I/O: regular grids, surfaces on them, GeoTIFF in and out.

A :class:`RasterGrid` is a north-up regular grid (CRS, affine transform,
shape); a :class:`RasterSurface` holds values on it (``NaN`` = nodata) with
its ``kind``, ``units``, ``method`` and free-form ``tags``. These are shared
by the friction / cost-distance / zonal code in ``accessibility.raster`` and
by the map overlays in ``maps``, so they live in ``geo``.

:func:`open_raster` opens any GDAL-readable raster with CRS checks,
:func:`read_to_grid` reprojects a user raster (DEM, population) onto a grid
with :func:`rasterio.warp.reproject`, and :func:`write_geotiff` /
:func:`read_surface` write and read a surface atomically with CRS, transform,
nodata, overviews and tags.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import rasterio
import rasterio.errors
import rasterio.warp
from affine import Affine
from rasterio.enums import Resampling

from countylink.errors import CountylinkError, DataError, EnvironmentProblem
from countylink.files import atomic_output
from countylink.geo.crs import parse_crs

NODATA = -9999.0


@dataclass(frozen=True)
class RasterGrid:
    """A north-up regular grid: CRS, affine transform and shape (rows = height)."""

    crs: pyproj.CRS
    transform: Affine
    width: int
    height: int

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    @property
    def resolution(self) -> tuple[float, float]:
        """Cell size ``(x, y)`` in CRS units (metres for the grids made here)."""
        return (abs(self.transform.a), abs(self.transform.e))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(minx, miny, maxx, maxy)``."""
        left, top = self.transform.c, self.transform.f
        return (left, top - self.height * abs(self.transform.e), left + self.width * self.transform.a, top)

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x and y of every cell centre, each of shape :attr:`shape`."""
        t = self.transform
        cols, rows = np.meshgrid(np.arange(self.width) + 0.5, np.arange(self.height) + 0.5)
        return t.c + cols * t.a + rows * t.b, t.f + cols * t.d + rows * t.e

    def rowcol(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column indices of points (may fall outside the grid; check with :meth:`inside`)."""
        t = ~self.transform  # north-up grids: no rotation terms
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        cols = t.c + x * t.a + y * t.b
        rows = t.f + x * t.d + y * t.e
        return np.floor(rows).astype(int), np.floor(cols).astype(int)

    def inside(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return (rows >= 0) & (rows < self.height) & (cols >= 0) & (cols < self.width)


@dataclass
class RasterSurface:
    """Values on a :class:`RasterGrid`; ``NaN`` marks nodata.

    ``kind`` is ``"friction"`` (minutes per metre) or ``"travel_time"`` (minutes);
    ``method`` says how it was made; ``tags`` are written into the GeoTIFF.
    """

    values: np.ndarray
    grid: RasterGrid
    kind: str
    units: str
    method: str
    tags: dict[str, str] = field(default_factory=dict)

    def sample(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Values at points given in the grid CRS (NaN outside the grid or on nodata)."""
        rows, cols = self.grid.rowcol(x, y)
        ok = self.grid.inside(rows, cols)
        out = np.full(rows.shape, np.nan)
        out[ok] = self.values[rows[ok], cols[ok]]
        return out


def as_geoseries(obj: Any, what: str) -> gpd.GeoSeries:
    """The non-empty geometries of a GeoDataFrame or GeoSeries, which must have a CRS.

    Raises
    ------
    DataError
        Not a GeoDataFrame/GeoSeries, no CRS, or no geometries (``what`` names the input).
    """
    if isinstance(obj, gpd.GeoDataFrame):
        gs = obj.geometry
    elif isinstance(obj, gpd.GeoSeries):
        gs = obj
    else:
        raise DataError(f"{what} must be a GeoDataFrame or GeoSeries, not {type(obj).__name__}")
    if gs.crs is None:
        raise DataError(f"{what} has no CRS; set one (for example EPSG:4326) before building rasters")
    gs = gs[gs.notna() & ~gs.is_empty]
    if gs.empty:
        raise DataError(f"{what} has no geometries")
    return gs


def open_raster(src: Any, *, assume_crs: Any = None, what: str = "input") -> tuple[Any, Any, bool]:
    """Open ``src`` (path or open rasterio dataset) and return ``(dataset, crs, should_close)``.

    ``crs`` is the file's CRS, or ``assume_crs`` when the file has none;
    ``should_close`` is True when this call opened the file (the caller closes it).

    Raises
    ------
    CountylinkError
        Missing or unreadable file, no CRS (and no ``assume_crs``), or a
        geographic CRS whose bounds are not degrees.
    """
    if isinstance(src, rasterio.io.DatasetReader):
        ds, close = src, False
    else:
        path = Path(os.fspath(src)).expanduser()
        if not path.exists():
            raise CountylinkError(f"{what} raster not found: {path}")
        try:
            ds, close = rasterio.open(path), True
        except rasterio.errors.RasterioIOError as exc:
            raise CountylinkError(f"{what} raster {path} cannot be read: {exc}") from None
    crs = ds.crs
    if crs is None:
        if assume_crs is None:
            if close:
                ds.close()
            raise CountylinkError(
                f"{what} raster {ds.name} has no CRS; give it one (gdal_edit.py -a_srs) or pass its CRS explicitly"
            )
        crs = rasterio.crs.CRS.from_wkt(parse_crs(assume_crs, what=f"the CRS given for {what} raster").to_wkt())
    if crs.is_geographic:
        left, bottom, right, top = ds.bounds
        if not (
            -180.5 <= left <= 360.5 and -180.5 <= right <= 360.5 and -90.5 <= bottom <= 90.5 and -90.5 <= top <= 90.5
        ):
            if close:
                ds.close()
            raise CountylinkError(
                f"{what} raster {ds.name} says its CRS is geographic ({crs.to_string()}) but its bounds "
                f"({left:.6g}, {bottom:.6g}, {right:.6g}, {top:.6g}) are not degrees: wrong CRS?"
            )
    return ds, crs, close


def read_to_grid(
    src: Any,
    grid: RasterGrid,
    *,
    resampling: Resampling = Resampling.bilinear,
    band: int = 1,
    assume_crs: Any = None,
    what: str = "input",
    min_overlap: float = 0.0,
) -> np.ndarray:
    """Reproject band ``band`` of a raster onto ``grid``; nodata becomes NaN.

    Parameters
    ----------
    src
        Path to any GDAL-readable raster (GeoTIFF, netCDF, ...) or an open rasterio dataset.
    grid
        Target grid.
    resampling
        ``bilinear`` for continuous fields such as elevation, ``sum`` for counts
        (population) when cells grow, ``average`` for densities.
    assume_crs
        CRS to use when the file has none (for example EPSG:4326 for a plain
        latitude/longitude netCDF). Without it a CRS-less raster is an error.
    what
        Name used in error messages ("DEM", "population").
    min_overlap
        Fraction of the grid that must receive data; below it a
        :class:`CountylinkError` is raised. Zero overlap is always an error.

    Raises
    ------
    CountylinkError
        Missing file, no CRS, a geographic CRS with non-degree bounds, or no overlap with the grid.
    """
    ds, crs, close = open_raster(src, assume_crs=assume_crs, what=what)
    try:
        if band < 1 or band > ds.count:
            raise CountylinkError(f"{what} raster {ds.name} has {ds.count} band(s), band {band} asked for")
        # Cheap overlap test on bounds before reading anything.
        gb = rasterio.warp.transform_bounds(grid.crs, crs, *grid.bounds, densify_pts=21)
        sb = ds.bounds
        if gb[0] >= sb.right or gb[2] <= sb.left or gb[1] >= sb.top or gb[3] <= sb.bottom:
            raise CountylinkError(
                f"{what} raster {ds.name} does not overlap the study area "
                f"(raster bounds {tuple(round(v, 4) for v in sb)} in {crs.to_string()})"
            )
        data = ds.read(band, masked=True).astype("float64")
        src_nodata = NODATA
        arr = data.filled(src_nodata)
        if ds.nodata is not None and not np.isnan(ds.nodata):
            arr[arr == ds.nodata] = src_nodata
        arr[~np.isfinite(arr)] = src_nodata
        out = np.full(grid.shape, NODATA, dtype="float64")
        rasterio.warp.reproject(
            source=arr,
            destination=out,
            src_transform=ds.transform,
            src_crs=crs,
            src_nodata=src_nodata,
            dst_transform=grid.transform,
            dst_crs=grid.crs,
            dst_nodata=NODATA,
            resampling=resampling,
        )
    finally:
        if close:
            ds.close()
    out[out == NODATA] = np.nan
    covered = float(np.isfinite(out).mean())
    if covered == 0.0:
        raise CountylinkError(f"{what} raster {ds.name} has no valid data over the study area (empty overlap)")
    if covered < min_overlap:
        raise CountylinkError(
            f"{what} raster {ds.name} covers only {covered:.1%} of the study area (need {min_overlap:.0%})"
        )
    return out


def write_geotiff(
    surface: RasterSurface,
    path: str | os.PathLike,
    *,
    overviews: tuple[int, ...] = (2, 4, 8, 16),
) -> Path:
    """Write ``surface`` as a tiled, compressed float32 GeoTIFF, atomically.

    CRS, transform, nodata (:data:`NODATA`), internal overviews (average) and the
    surface's ``kind``, ``units``, ``method`` and ``tags`` are stored.
    Overview levels larger than the raster are skipped.
    """
    grid = surface.grid
    target = Path(path)
    data = np.where(np.isfinite(surface.values), surface.values, NODATA).astype("float32")
    profile = {
        "driver": "GTiff",
        "dtype": "float32",
        "width": grid.width,
        "height": grid.height,
        "count": 1,
        "crs": rasterio.crs.CRS.from_wkt(grid.crs.to_wkt()),
        "transform": grid.transform,
        "nodata": NODATA,
        "compress": "deflate",
        "predictor": 3,
    }
    if grid.width >= 256 and grid.height >= 256:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    levels = [f for f in overviews if grid.width // f >= 1 and grid.height // f >= 1 and f > 1]
    with atomic_output(target, suffix=".tif", verify=verify_geotiff) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(kind=surface.kind, units=surface.units, method=surface.method, **surface.tags)
        dst.set_band_description(1, f"{surface.kind} ({surface.units})")
        if levels:
            dst.build_overviews(levels, Resampling.average)
            dst.update_tags(ns="rio_overview", resampling="average")
    return target


def verify_geotiff(path: str | os.PathLike) -> None:
    """Re-open a GeoTIFF and read every band and overview; raise if any part is missing.

    GDAL may report a short write (disk nearly full) only as a warning: reading
    the file back is what proves it is complete before it is renamed into place.

    Raises
    ------
    EnvironmentProblem
        The file cannot be opened or a block cannot be read.
    """
    try:
        with rasterio.Env(), rasterio.open(path) as ds:
            for band in range(1, ds.count + 1):
                ds.read(band)
                for factor in ds.overviews(band):
                    ds.read(band, out_shape=(max(1, ds.height // factor), max(1, ds.width // factor)))
    except (rasterio.errors.RasterioError, OSError) as exc:
        raise EnvironmentProblem(
            f"the GeoTIFF being written ({Path(path).name}) does not read back ({exc}); the disk may be full"
        ) from None


def read_surface(path: str | os.PathLike) -> RasterSurface:
    """Read a surface written by :func:`write_geotiff` back (tags included)."""
    with rasterio.open(path) as ds:
        if ds.crs is None:
            raise CountylinkError(f"{path} has no CRS")
        vals = ds.read(1).astype("float64")
        if ds.nodata is not None:
            vals[vals == ds.nodata] = np.nan
        tags = ds.tags()
        grid = RasterGrid(pyproj.CRS.from_wkt(ds.crs.to_wkt()), ds.transform, ds.width, ds.height)
    kind, units, method = tags.pop("kind", "unknown"), tags.pop("units", ""), tags.pop("method", "unknown")
    return RasterSurface(values=vals, grid=grid, kind=kind, units=units, method=method, tags=tags)


def with_values(surface: RasterSurface, values: np.ndarray, **changes: Any) -> RasterSurface:
    """A copy of ``surface`` with new values (same grid) and other fields changed."""
    return replace(surface, values=values, tags=dict(surface.tags), **changes)
