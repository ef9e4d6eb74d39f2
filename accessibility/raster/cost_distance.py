"""Travel-time rasters: minutes from every cell to the nearest target.

The accumulated cost over a friction surface (:mod:`countylink.accessibility.raster.friction`)
is computed with scikit-image's :class:`skimage.graph.MCP_Geometric`, a
maintained minimum-cost-path implementation (Dijkstra on the 8-connected grid;
a step between two cells costs the mean of their frictions times the step
length, so with minutes per metre and cell sizes in metres it yields minutes).
This is the same scheme as AccessMod's isotropic mode and Weiss et al. (2018).

Targets are any geometries: points (stations, county seats, expressway
junctions) start from their cell; lines and polygons start from every cell
they touch. :func:`compare_with_network` checks a raster against the
shortest-path answer on the road graph it was built from.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio.features
from scipy import ndimage
from skimage.graph import MCP_Geometric

from countylink.errors import CountylinkError
from countylink.geo.raster import RasterSurface, as_geoseries
from countylink.methods import Method


def target_cells(
    friction: RasterSurface,
    targets: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    snap_m: float | None = None,
) -> tuple[np.ndarray, dict[str, int]]:
    """Start cells ``(n, 2)`` (row, col) for ``targets`` on the friction grid, and a report.

    Points in an impassable (nodata) cell move to the nearest passable cell if
    it is within ``snap_m`` metres (default 1.5 cells: a station on the coast
    line or just over a county border); farther ones (typically stations in a
    neighbouring province inside the grid's rectangle) and targets off the grid
    are not used. The report counts each case (``outside_grid``, ``snapped``,
    ``unreachable``); :func:`travel_time_surface` stores it in the result's tags.
    """
    grid = friction.grid
    gs = as_geoseries(targets, "targets").to_crs(grid.crs)
    passable = np.isfinite(friction.values)
    snap = 1.5 * grid.resolution[0] if snap_m is None else float(snap_m)
    is_point = gs.geom_type == "Point"
    cells: list[tuple[int, int]] = []
    report = {"targets": int(len(gs)), "outside_grid": 0, "snapped": 0, "unreachable": 0}

    if is_point.any():
        pts = gs[is_point]
        rows, cols = grid.rowcol(pts.x.to_numpy(), pts.y.to_numpy())
        inside = grid.inside(rows, cols)
        report["outside_grid"] += int((~inside).sum())
        rows, cols = rows[inside], cols[inside]
        ok = passable[rows, cols]
        cells.extend(zip(rows[ok].tolist(), cols[ok].tolist()))
        if (~ok).any():
            # index of the nearest passable cell for every cell, and its distance in cells
            dist, (nr, nc) = ndimage.distance_transform_edt(~passable, return_indices=True)
            for r, c in zip(rows[~ok], cols[~ok]):
                if dist[r, c] * grid.resolution[0] <= snap:
                    cells.append((int(nr[r, c]), int(nc[r, c])))
                    report["snapped"] += 1
                else:
                    report["unreachable"] += 1
    if (~is_point).any():
        burned = rasterio.features.rasterize(
            ((g, 1) for g in gs[~is_point]),
            out_shape=grid.shape,
            transform=grid.transform,
            fill=0,
            dtype="uint8",
            all_touched=True,
        ).astype(bool)
        hit = burned & passable
        cells.extend(zip(*(a.tolist() for a in np.nonzero(hit))))
    arr = np.array(sorted(set(cells)), dtype=int).reshape(-1, 2)
    return arr, report


def travel_time_surface(
    friction: RasterSurface,
    targets: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    target_name: str = "targets",
    snap_m: float | None = None,
) -> RasterSurface:
    """Minutes from every passable cell to the nearest of ``targets``.

    Parameters
    ----------
    friction
        A friction surface (minutes per metre, NaN = impassable).
    targets
        Geometries in any CRS (points, lines, polygons).
    target_name
        Stored in the result's tags (``stations``, ``hsr``, ``seats`` ...).
    snap_m
        See :func:`target_cells`.

    Returns
    -------
    RasterSurface
        ``kind="travel_time"``, ``units="min"``; NaN on nodata cells and
        ``inf`` on passable cells that no target can reach (islands).

    Raises
    ------
    CountylinkError
        If ``friction`` is not a friction surface or no target falls on a passable cell.
    """
    if friction.kind != "friction":
        raise CountylinkError(f"travel_time_surface needs a friction surface, got a {friction.kind} surface")
    starts, report = target_cells(friction, targets, snap_m=snap_m)
    dropped = report["outside_grid"] + report["unreachable"]
    if len(starts) == 0:
        raise CountylinkError(
            f"none of the {report['targets']} {target_name} lies on a passable cell of the study area"
        )
    costs = np.where(np.isfinite(friction.values), friction.values, np.inf)
    ry, rx = friction.grid.resolution[1], friction.grid.resolution[0]
    mcp = MCP_Geometric(costs, sampling=(ry, rx), fully_connected=True)
    minutes, _ = mcp.find_costs([tuple(s) for s in starts])
    minutes = np.asarray(minutes, dtype="float64")
    minutes[~np.isfinite(friction.values)] = np.nan
    tags = dict(friction.tags)
    tags.update(
        target=target_name,
        targets_used=str(len(starts)),
        targets_given=str(report["targets"]),
        targets_outside_grid=str(report["outside_grid"]),
        targets_snapped=str(report["snapped"]),
        targets_dropped=str(dropped),
        solver="skimage.graph.MCP_Geometric (8-connected)",
    )
    return RasterSurface(
        values=minutes, grid=friction.grid, kind="travel_time", units="min", method=friction.method, tags=tags
    )


def _points_xy(points: Any, crs) -> tuple[np.ndarray, np.ndarray]:
    gs = as_geoseries(points, "sample points").to_crs(crs)
    if not (gs.geom_type == "Point").all():
        raise CountylinkError("sample points must be Point geometries")
    return gs.x.to_numpy(), gs.y.to_numpy()


def network_travel_minutes(
    graph: Any,
    origins: gpd.GeoDataFrame | gpd.GeoSeries,
    targets: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    access_speed_kph: float | None = None,
) -> pd.DataFrame:
    """Fastest road time (minutes) from each origin to its nearest target.

    Uses the road engineer's :func:`countylink.accessibility.road.travel_time.travel_time_matrix`
    (scipy Dijkstra on the graph's ``travel_time``; points snap to the nearest
    node, plus an access leg at ``access_speed_kph``), then keeps the nearest
    target per origin. The graph must be in EPSG:4326, as
    :func:`~countylink.accessibility.road.network.build_road_network` returns it.
    """
    from countylink.accessibility.road.travel_time import DEFAULT_ACCESS_SPEED_KPH, travel_time_matrix

    o = as_geoseries(origins, "sample points").to_crs(4326)
    t = as_geoseries(targets, "targets").to_crs(4326)
    if not ((o.geom_type == "Point").all() and (t.geom_type == "Point").all()):
        raise CountylinkError("network comparison needs point origins and point targets")
    of = gpd.GeoDataFrame({"id": np.arange(len(o))}, geometry=o.to_numpy(), crs=4326)
    tf = gpd.GeoDataFrame({"id": np.arange(len(t))}, geometry=t.to_numpy(), crs=4326)
    speed = DEFAULT_ACCESS_SPEED_KPH if access_speed_kph is None else access_speed_kph
    m = travel_time_matrix(graph, of, tf, access_speed_kph=speed, progress=False)
    best = m.groupby("origin_id")["time_s"].min().reindex(np.arange(len(o)))
    snap = m.groupby("origin_id")["snap_m"].min().reindex(np.arange(len(o)))
    return pd.DataFrame(
        {"network_min": best.to_numpy() / 60.0, "snap_m": snap.to_numpy(), "network_method": Method.OSM_NETWORK},
        index=o.index,
    )


def compare_with_network(
    travel_time: RasterSurface,
    graph: Any,
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    targets: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    access_speed_kph: float | None = None,
) -> pd.DataFrame:
    """Raster travel time next to the road-network answer at sample ``points``.

    Returns
    -------
    DataFrame
        Index of ``points``; ``raster_min`` (the raster at the point),
        ``network_min`` (:func:`network_travel_minutes`), ``ratio`` = raster /
        network, ``snap_m``, ``network_method`` (``osm_network``) and
        ``raster_method`` (the surface's method).
    """
    if travel_time.kind != "travel_time":
        raise CountylinkError("compare_with_network needs a travel-time surface")
    x, y = _points_xy(points, travel_time.grid.crs)
    out = network_travel_minutes(graph, points, targets, access_speed_kph=access_speed_kph)
    out.insert(0, "raster_min", travel_time.sample(x, y))
    out["raster_method"] = travel_time.method
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio"] = out["raster_min"] / out["network_min"]
    return out


__all__ = ["compare_with_network", "network_travel_minutes", "target_cells", "travel_time_surface"]
