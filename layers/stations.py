"""The ``stations`` layer: passenger stations with county and timetable service.

Schema (one row per station, EPSG:4326 points): ``station_name``, ``lon``,
``lat``, ``adcode``, ``county_name``, ``n_trains``, ``n_trains_<G|D|C|K|Z|N>``,
``n_trains_hsr``, ``n_trains_conventional``, ``hsr_served``, ``source``,
``year`` (of the coordinates), ``service_source``, ``service_year`` (of the
stop lists). ``attrs["report"]`` tells how many rows each input lost and why,
``attrs["unmatched_stop_names"]`` the stop-list names without coordinates.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd

from countylink.accessibility.rail import osm_stations
from countylink.accessibility.rail import stations as rs
from countylink.accessibility.rail import stop_lists as rsl
from countylink.errors import CountylinkError
from countylink.layers.schemas import validate_layer


def national_stations(
    *,
    data: str | os.PathLike | None = None,
    station_file: str | os.PathLike | None = None,
    coord_system: str | None = None,
    osm_file: str | os.PathLike | None = None,
    stop_lists: str | os.PathLike | None = None,
) -> tuple[gpd.GeoDataFrame, rsl.StopLists]:
    """All stations of the chosen source with service figures (not yet joined to counties).

    Parameters
    ----------
    station_file
        A user CSV/GeoJSON in the station schema instead of the data pack's list;
        checked against the pack list for a GCJ-02 offset when the pack is available.
    coord_system
        Coordinate system of ``station_file`` (``wgs84``, ``gcj02``, ``bd09``).
    osm_file
        An ``.osm``/``.osm.pbf`` extract: stations from OSM ``railway=station|halt``.
    stop_lists
        Directory or file of stop lists; default the data pack's.
    """
    if station_file is not None:
        try:
            reference = rs.read_pack_stations(data=data)
        except CountylinkError:  # no pack: nothing to compare with
            reference = None
        stations = rs.read_station_file(station_file, coord_system=coord_system, reference=reference)
    elif osm_file is not None:
        stations = osm_stations.stations_from_osm(osm_file=osm_file)
    else:
        stations = rs.read_pack_stations(data=data)
    report = stations.attrs.get("report")
    sl = rsl.read_stop_lists(Path(stop_lists) if stop_lists is not None else None, data=data)
    served, matches = rsl.station_service(sl, stations)
    served.attrs["report"] = report
    served.attrs["matches"] = matches
    return served, sl


def stations_layer(
    counties: gpd.GeoDataFrame,
    national: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Stations inside ``counties`` with ``adcode``/``county_name`` (spatial join, WGS-84)."""
    joined = rs.join_counties(national, counties)
    joined.attrs.update({k: v for k, v in national.attrs.items() if k not in joined.attrs})
    return validate_layer("stations", joined.reset_index(drop=True))
