"""Raster accessibility columns for the ``counties`` and ``gaps`` layers.

:func:`access_table` builds a friction surface over a set of counties, the
travel time to the nearest target (passenger stations, HSR-served stations or
county seats) and the zonal statistics per county; :func:`join_access`
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
from typing import Any

import geopandas as gpd
import pandas as pd

from countylink.accessibility.raster.cost_distance import travel_time_surface
from countylink.accessibility.raster.friction import OFFROAD_WALK_KPH, friction_surface
from countylink.accessibility.raster.zonal import THRESHOLDS_MIN, zonal_travel_time
from countylink.errors import CountylinkError, DataError
from countylink.geo.raster import RasterSurface
from countylink.layers.schemas import validate_layer
from countylink.methods import Method

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
    by G/D/C trains in the timetable stop lists (about 2020); ``seats``: the
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
    from countylink.accessibility.rail import stop_lists as sl

    stations = rs.read_pack_stations(data=data)
    if target == "hsr":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unmatched stop-list names are the rail layer's report
            stations, _ = sl.station_service(sl.read_stop_lists(data=data), stations)
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
    roads_method: str = Method.FRICTION_OSM_ROADS,
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
        counties,
        resolution=resolution,
        roads=roads,
        roads_method=roads_method,
        dem=dem,
        dem_crs=dem_crs,
        offroad_kph=offroad_kph,
    )
    surface = travel_time_surface(friction, pts, target_name=target)
    table = zonal_travel_time(
        surface, counties, thresholds=thresholds, population=population, population_crs=population_crs
    )
    front = counties.set_index("adcode")[[c for c in ("name", "province") if c in counties.columns]]
    table = front.join(table, how="right")
    table.attrs["targets"] = {k: v for k, v in surface.tags.items() if k.startswith("targets_")}
    return surface, validate_layer("access", table)


def join_access(
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


#: The former name of :func:`join_access`.
add_access_columns = join_access


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


__all__ = [
    "PIPELINE_RESOLUTION_M",
    "TARGETS",
    "access_by_province",
    "access_table",
    "add_access_columns",
    "helped_county_access",
    "join_access",
    "station_targets",
]
