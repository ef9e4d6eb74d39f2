"""Study-area grids: an equal-area CRS centred on the area, a grid covering it, its cell mask."""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import rasterio.features
from affine import Affine

from countylink.errors import CountylinkError
from countylink.geo.raster import RasterGrid, as_geoseries

MAX_CELLS = 60_000_000  # about 240 MB as float32: beyond this ask for a coarser resolution


def study_area_crs(area: gpd.GeoDataFrame | gpd.GeoSeries) -> pyproj.CRS:
    """A Lambert azimuthal equal-area CRS centred on ``area``.

    Equal-area so that cell counts are area shares; centred so that distances
    within a province are distorted by well under 1 %.
    """
    minx, miny, maxx, maxy = as_geoseries(area, "area").to_crs(4326).total_bounds
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
    gs = as_geoseries(area, "area")
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
    gs = as_geoseries(area, "area").to_crs(grid.crs)
    return rasterio.features.rasterize(
        ((g, 1) for g in gs), out_shape=grid.shape, transform=grid.transform, fill=0, dtype="uint8"
    ).astype(bool)
