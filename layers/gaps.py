"""The ``gaps`` layer (one row per county) and rail columns on the pairs layers.

:func:`gaps_layer` builds the county table from :class:`RailData` (read once
with :func:`load_rail_data`); :func:`pair_rail_table` gives the rail columns of
:func:`countylink.layers.pair_points.pair_rail_metrics` per pair and
:func:`join_pair_rail` joins them onto a pairs layer.

Gap-layer schema: the columns of
:func:`~countylink.accessibility.rail.gaps.county_rail_gaps` plus, where the
counties layer has them, ``gdp``/``resident_pop`` with their ``_year``,
``_source`` and ``_unit``, and the county polygon.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from countylink.accessibility.rail import freight_status as rfs
from countylink.accessibility.rail import gaps as rg
from countylink.accessibility.rail import lines as rl
from countylink.accessibility.rail.service import RailRouter, service_network
from countylink.accessibility.rail.stations import join_counties, read_pack_osm_points
from countylink.accessibility.rail.stop_lists import StopLists
from countylink.accessibility.rail.tracks import RailTracks, load_marked_tracks
from countylink.errors import CountylinkError
from countylink.layers.pair_points import pair_rail_metrics
from countylink.layers.pairs import join_pair_columns
from countylink.layers.rail_lines import lines_near, source_lines
from countylink.layers.schemas import validate_layer
from countylink.layers.stations import national_stations
from countylink.methods import Method

#: indicator columns of the counties layer carried into the gaps table
CONTEXT_INDICATORS = ("resident_pop", "gdp", "gdp_per_capita")


@dataclass
class RailData:
    """Everything the rail layers are built from (read once per run)."""

    stations: gpd.GeoDataFrame  # national, with service figures
    stop_lists: StopLists
    lines: gpd.GeoDataFrame
    router: RailRouter
    tracks: RailTracks | None = None  # the national track network, high-speed edges marked
    osm_points: pd.DataFrame | None = None  # the pack's named OSM station points (freight evidence)


def load_rail_data(
    *,
    data: str | os.PathLike | None = None,
    station_file: str | os.PathLike | None = None,
    coord_system: str | None = None,
    osm_file: str | os.PathLike | None = None,
    stop_lists: str | os.PathLike | None = None,
    cache: str | os.PathLike | None = None,
) -> RailData:
    """Read stations, stop lists, corridors and tracks, and build the service-network router.

    ``cache`` is where the scgraph-data track extract is kept
    (:func:`countylink.files.cache_dir` by default).
    """
    stations, sl = national_stations(
        data=data, station_file=station_file, coord_system=coord_system, osm_file=osm_file, stop_lists=stop_lists
    )
    corridors = rl.read_corridors(data=data)
    tracks = load_marked_tracks(corridors, cache=cache)
    lines = source_lines(data=data, osm_file=osm_file, tracks=tracks, corridors=corridors)
    router = RailRouter(service_network(sl, stations))
    try:
        osm_points: pd.DataFrame | None = pd.DataFrame(read_pack_osm_points(data=data).drop(columns="geometry"))
    except CountylinkError:  # a user's data folder without the pack's OSM points: the evidence is left out
        osm_points = None
    return RailData(stations, sl, lines, router, tracks, osm_points)


def road_times_to_stations(graph, gaps: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    """Routed seat → nearest (HSR) station car times over a road graph.

    Uses :func:`countylink.accessibility.road.travel_time.travel_time_pairs`;
    seats or stations the graph does not reach keep NaN (filled later with a
    crow-fly estimate whose ``road_method`` says so).
    """
    from countylink.accessibility.road.travel_time import travel_time_pairs

    lk = (
        pd.DataFrame(stations.drop(columns="geometry", errors="ignore"))
        .drop_duplicates("station_name")
        .set_index("station_name")
    )
    out = pd.DataFrame(index=pd.Index(gaps["adcode"], name="adcode"))
    for prefix in ("nearest_station", "nearest_hsr"):
        ok = gaps[prefix].isin(lk.index).to_numpy()
        o = pd.DataFrame(
            {
                "id": gaps["adcode"][ok].to_numpy(),
                "lon": gaps["seat_lon"][ok].to_numpy(),
                "lat": gaps["seat_lat"][ok].to_numpy(),
            }
        )
        names = gaps[prefix][ok]
        d = pd.DataFrame(
            {
                "id": gaps["adcode"][ok].to_numpy(),
                "lon": lk.loc[names, "lon"].to_numpy(),
                "lat": lk.loc[names, "lat"].to_numpy(),
            }
        )
        res = travel_time_pairs(graph, o, d)
        out[f"{prefix}_road_min"] = pd.Series(res["time_s"].to_numpy() / 60.0, index=o["id"].to_numpy()).reindex(
            out.index
        )
    out["road_method"] = pd.Series(Method.OSM_NETWORK.value, index=out.index, dtype=object).where(
        out["nearest_station_road_min"].notna(), None
    )
    return out


def gaps_layer(
    counties: gpd.GeoDataFrame,
    rail: RailData,
    *,
    road_graph=None,
) -> gpd.GeoDataFrame:
    """One row per county of ``counties`` with rail-gap metrics and the county polygon."""
    national = join_counties(rail.stations, counties, keep_outside=True)
    lines_by_county = rl.lines_in_counties(lines_near(rail.lines, counties), counties)
    freight = (
        rfs.county_freight_status(counties, national, rail.tracks.edges, osm_points=rail.osm_points)
        if rail.tracks is not None
        else None
    )
    gaps = rg.county_rail_gaps(counties, national, lines_by_county, freight=freight)
    if road_graph is not None:
        routed = road_times_to_stations(road_graph, gaps, rail.stations).reindex(gaps["adcode"])
        for c in ("nearest_station_road_min", "nearest_hsr_road_min"):
            got = routed[c].to_numpy()
            gaps[c] = np.where(np.isfinite(got), got, gaps[c])
        gaps["road_method"] = np.where(
            routed["road_method"].notna().to_numpy(), Method.OSM_NETWORK.value, Method.CROWFLY_ESTIMATE.value
        )
        n_missing = int((gaps["road_method"] == Method.CROWFLY_ESTIMATE.value).sum())
        if n_missing:
            warnings.warn(
                f"{n_missing} counties not reachable on the road graph: crow-fly estimates kept", stacklevel=2
            )
    for ind in CONTEXT_INDICATORS:
        for suffix in ("", "_year", "_source", "_unit"):
            col = f"{ind}{suffix}"
            if col in counties.columns:
                gaps[col] = counties[col].to_numpy()
    out = gpd.GeoDataFrame(gaps, geometry=counties.geometry.to_numpy(), crs=counties.crs)
    out.attrs["unmatched_stop_names"] = rail.stations.attrs.get("unmatched_stop_names", [])
    return validate_layer("gaps", out)


def add_pair_rail_columns(pairs: gpd.GeoDataFrame, gaps: pd.DataFrame, rail: RailData) -> gpd.GeoDataFrame:
    """Pairs layer with the rail columns of :func:`~countylink.layers.pair_points.pair_rail_metrics`."""
    out = pair_rail_metrics(pairs, gaps, rail.router, rail.stations)
    if isinstance(pairs, gpd.GeoDataFrame):
        out = gpd.GeoDataFrame(out, geometry=pairs.geometry.name, crs=pairs.crs)
    return validate_layer("pairs", out, partial=True)


def pair_rail_table(pairs: pd.DataFrame, gaps: pd.DataFrame, rail: RailData) -> pd.DataFrame:
    """``pair_id`` and the rail columns of :func:`~countylink.layers.pair_points.pair_rail_metrics`."""
    full = pair_rail_metrics(pairs, gaps, rail.router, rail.stations)
    added = [c for c in full.columns if c not in pairs.columns]
    return pd.DataFrame(full[["pair_id", *added]]).reset_index(drop=True)


def join_pair_rail(pairs: gpd.GeoDataFrame, rail_metrics: pd.DataFrame) -> gpd.GeoDataFrame:
    """A new pairs layer with the :func:`pair_rail_table` columns joined on ``pair_id``."""
    return join_pair_columns(pairs, rail_metrics)
