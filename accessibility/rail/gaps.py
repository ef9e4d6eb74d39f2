"""Railway-gap metrics per county and per trip between two counties (:func:`od_rail_metrics`).

:func:`county_rail_gaps` gives one row per county: stations inside it and the
trains that call there (timetable stop lists from about 2020, before 衢宁 (2020-09)
and 金台 (2021)), the nearest
passenger / served / high-speed station from the county seat (anywhere in
China, across provincial borders), the length of known rail line inside the
county, and a planner-readable ``gap_class``:

=========================== ==============================================================
``hsr``                     a station in the county is called at by G/D/C trains
``conventional_only``       stations served only by K/Z/N trains
``station_no_service_data`` a passenger station is listed (2026 list) but the stop lists
                            (about 2020) have no timetable data for it: a newer station/line
                            (衢宁 2020-09, 金台 2021 …), or a halt whose trains are missing
                            from the lists (e.g. T-class); not "unserved"
``line_no_station``         a known rail line (tracks, corridors) crosses the county (≥ 2 km
                            inside) but there is no passenger station — may be freight-only track
``no_rail``                 neither a station nor a known line
=========================== ==============================================================

:data:`GAP_ORDER` ranks them worst first. Every figure carries its source and
year (``*_source``/``*_year`` columns) and travel figures their ``method``.
Freight status (``freight_rail``, ``freight_evidence``, ``freight_source``,
``freight_year``) and ``timetable_note`` come from
:func:`~countylink.accessibility.rail.freight_status.county_freight_status`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.typing import NAType
from scipy.spatial import cKDTree

from countylink.accessibility.rail.service import RailRouter
from countylink.accessibility.rail.stop_lists import CONVENTIONAL_CLASSES, HSR_CLASSES, TRAIN_CLASSES
from countylink.accessibility.road.crowfly import crowfly_travel, great_circle_km
from countylink.errors import DataError
from countylink.methods import Method

GAP_ORDER: list[str] = ["no_rail", "line_no_station", "station_no_service_data", "conventional_only", "hsr"]
GAP_LABELS: dict[str, str] = {
    "no_rail": "no rail: no station and no known line",
    "line_no_station": "line crosses, no passenger station",
    "station_no_service_data": "station listed, no timetable data for this station (stop lists from about 2020)",
    "conventional_only": "conventional trains only (K/Z/N)",
    "hsr": "served by high-speed trains (G/D/C)",
}


def _unit_xyz(lon, lat) -> np.ndarray:
    lo, la = np.radians(np.asarray(lon, float)), np.radians(np.asarray(lat, float))
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def nearest_station(lon: np.ndarray, lat: np.ndarray, stations: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Name and great-circle km of the nearest station to each point (NaN/None if none)."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    names = np.full(len(lon), None, dtype=object)
    km = np.full(len(lon), np.nan)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if len(stations) == 0 or not ok.any():
        return names, km
    tree = cKDTree(_unit_xyz(stations["lon"], stations["lat"]))
    _, idx = tree.query(_unit_xyz(lon[ok], lat[ok]))
    hit = stations.iloc[idx]
    names[ok] = hit["station_name"].to_numpy()
    km[ok] = great_circle_km(lon[ok], lat[ok], hit["lon"].to_numpy(), hit["lat"].to_numpy())
    return names, km


def county_rail_gaps(
    counties: pd.DataFrame,
    stations: pd.DataFrame,
    lines_by_county: pd.DataFrame | None = None,
    *,
    road_times: pd.DataFrame | None = None,
    freight: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per-county railway-gap metrics.

    Parameters
    ----------
    counties
        County layer (``adcode``, ``name``, ``seat_lon``, ``seat_lat``).
    stations
        Stations with service figures (:func:`~countylink.accessibility.rail.stop_lists.station_service`)
        and ``adcode`` (:func:`~countylink.accessibility.rail.stations.join_counties`
        with ``keep_outside=True``), ideally national so the nearest station
        may lie across a provincial border.
    lines_by_county
        :func:`~countylink.accessibility.rail.lines.lines_in_counties` output
        (indexed by adcode); ``None`` means no line data (``rail_line_crosses``
        is then NA, never a silent False).
    road_times
        Optional routed seat→station times, indexed by adcode, columns
        ``nearest_station_road_min``, ``nearest_hsr_road_min``,
        ``road_method`` (``"osm_network"``). Missing → crow-fly estimates
        (:func:`countylink.accessibility.road.crowfly.crowfly_travel`,
        ``road_method="crowfly_estimate"``).
    freight
        :func:`~countylink.accessibility.rail.freight_status.county_freight_status`
        output (indexed by adcode); ``None``: ``freight_rail`` is ``unknown``
        ("no track data"), never a silent no.

    Returns
    -------
    pandas.DataFrame
        One row per county, in the order of ``counties``.
    """
    need = {"adcode", "seat_lon", "seat_lat"} - set(counties.columns)
    if need:
        raise DataError(f"county table lacks column(s): {', '.join(sorted(need))}")
    need = {"station_name", "lon", "lat", "n_trains", "hsr_served", "adcode"} - set(stations.columns)
    if need:
        raise DataError(
            f"station table lacks column(s): {', '.join(sorted(need))} (run station_service and join_counties first)"
        )
    st = pd.DataFrame(stations.drop(columns="geometry", errors="ignore"))
    cls_cols = [f"n_trains_{c}" for c in TRAIN_CLASSES] + ["n_trains_hsr", "n_trains_conventional"]
    out = pd.DataFrame({"adcode": counties["adcode"].to_numpy()})
    if "name" in counties.columns:
        out["name"] = counties["name"].to_numpy()
    for c in ("prefecture", "province"):
        if c in counties.columns:
            out[c] = counties[c].to_numpy()
    out["seat_lon"] = counties["seat_lon"].to_numpy(float)
    out["seat_lat"] = counties["seat_lat"].to_numpy(float)
    for col in ("seat_kind", "seat_source"):
        if col in counties.columns:
            out[col] = counties[col].to_numpy()
    inside = st[st["adcode"].notna()]
    grp = inside.groupby("adcode")
    out["n_stations"] = out["adcode"].map(grp.size()).fillna(0).astype(int)
    out["n_stations_served"] = (
        out["adcode"].map(grp["n_trains"].apply(lambda s: int((s > 0).sum()))).fillna(0).astype(int)
    )
    out["has_passenger_station"] = out["n_stations"] > 0
    out["has_hsr_station"] = out["adcode"].map(grp["hsr_served"].any()).fillna(False).astype(bool)
    # trains calling anywhere in the county: a train calling at two stations counts at each,
    # so sum per-station counts is an upper bound; report the busiest station's count too
    out["n_trains"] = out["adcode"].map(grp["n_trains"].sum()).fillna(0).astype(int)
    for c in cls_cols:
        out[c] = out["adcode"].map(grp[c].sum()).fillna(0).astype(int) if c in inside.columns else 0
    if inside.empty:  # no station in any of these counties: a legitimate answer, not an error
        out["stations"] = ""
    else:
        out["stations"] = (
            out["adcode"]
            .map(
                # selecting the columns leaves the grouping column out of each group
                grp[["station_name", "n_trains"]].apply(
                    lambda g: ", ".join(
                        f"{n} ({k})"
                        for n, k in g.sort_values("n_trains", ascending=False)[["station_name", "n_trains"]].itertuples(
                            index=False
                        )
                    )
                )
            )
            .fillna("")
        )
    out["station_source"] = _first(st, "source")
    out["station_year"] = pd.array([_first(st, "year")] * len(out), dtype="Int64")
    out["service_source"] = _first(st, "service_source")
    out["service_year"] = pd.array([_first(st, "service_year")] * len(out), dtype="Int64")

    slon, slat = counties["seat_lon"].to_numpy(float), counties["seat_lat"].to_numpy(float)
    for prefix, subset in (
        ("nearest_station", st),
        ("nearest_served", st[st["n_trains"] > 0]),
        ("nearest_hsr", st[st["hsr_served"].astype(bool)]),
    ):
        names, km = nearest_station(slon, slat, subset)
        out[prefix] = names
        out[f"{prefix}_km"] = km
    out["distance_method"] = "great_circle_from_seat"

    if lines_by_county is not None:
        lb = lines_by_county.reindex(out["adcode"])
        for c in ("rail_line_km", "hsr_line_km", "freight_line_km"):
            out[c] = lb[c].to_numpy()
        out["rail_line_in_county"] = lb["rail_line_in_county"].fillna(False).astype(bool).to_numpy()
        out["rail_line_crosses"] = out["rail_line_in_county"] & ~out["has_passenger_station"]
        out["line_source"] = lb["line_source"].to_numpy()
        out["line_year"] = lb["line_year"].to_numpy()
    else:
        out["rail_line_in_county"] = pd.array([pd.NA] * len(out), dtype="boolean")
        out["rail_line_crosses"] = pd.array([pd.NA] * len(out), dtype="boolean")
        out["line_source"] = "no line data"
        out["line_year"] = pd.array([pd.NA] * len(out), dtype="Int64")

    if freight is not None:
        fr = freight.reindex(out["adcode"])
        for c in ("freight_rail", "freight_evidence", "freight_source", "timetable_note"):
            out[c] = fr[c].to_numpy()
        out["freight_year"] = pd.array(fr["freight_year"].to_numpy(), dtype="Int64")
        out["freight_rail"] = out["freight_rail"].fillna("unknown")
    else:
        out["freight_rail"] = "unknown"
        out["freight_evidence"] = "no track data"
        out["freight_source"] = "no track data"
        out["freight_year"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["timetable_note"] = ""
    out["gap_class"] = _classify(out)
    out["gap_label"] = out["gap_class"].map(GAP_LABELS)
    out["gap_rank"] = out["gap_class"].map({g: i for i, g in enumerate(GAP_ORDER)}).astype(int)

    if road_times is not None:
        rt = road_times.reindex(out["adcode"])
        out["nearest_station_road_min"] = rt["nearest_station_road_min"].to_numpy()
        out["nearest_hsr_road_min"] = rt["nearest_hsr_road_min"].to_numpy()
        out["road_method"] = rt["road_method"].fillna("missing").to_numpy()
    else:
        lk = st.drop_duplicates("station_name").set_index("station_name")
        for prefix in ("nearest_station", "nearest_hsr"):
            nearest_names = out[prefix]
            known = nearest_names.where(nearest_names.isin(lk.index))
            lon2 = known.map(lk["lon"]).astype(float)
            lat2 = known.map(lk["lat"]).astype(float)
            est = crowfly_travel(slon, slat, lon2.to_numpy(), lat2.to_numpy())
            out[f"{prefix}_road_min"] = est["time_min"].to_numpy()
        out["road_method"] = Method.CROWFLY_ESTIMATE
    return out


def _first(frame: pd.DataFrame, col: str):
    if col not in frame.columns:
        return None
    vals = frame[col].dropna().unique()
    if len(vals) == 0:
        return None
    if len(vals) == 1:
        return vals[0]
    if np.issubdtype(np.asarray(vals).dtype, np.number):
        return int(min(vals))  # the oldest year
    return "; ".join(sorted(map(str, vals)))


def _classify(out: pd.DataFrame) -> pd.Series:
    line = out["rail_line_in_county"].fillna(False).astype(bool)
    return pd.Series(
        np.select(
            [
                out["has_hsr_station"],
                out["n_stations_served"] > 0,
                out["has_passenger_station"],
                line,
            ],
            ["hsr", "conventional_only", "station_no_service_data", "line_no_station"],
            default="no_rail",
        ),
        index=out.index,
    )


def rank_gaps(gaps: pd.DataFrame) -> pd.DataFrame:
    """Worst gaps first: by :data:`GAP_ORDER`, then farthest from a high-speed station."""
    return gaps.sort_values(["gap_rank", "nearest_hsr_km"], ascending=[True, False], kind="stable")


def od_rail_metrics(
    origin_adcodes: pd.Series,
    destination_adcodes: pd.Series,
    *,
    gaps: pd.DataFrame,
    router: RailRouter,
    stations: pd.DataFrame,
    road_time_min: pd.Series | None = None,
) -> pd.DataFrame:
    """Rail figures for trips between counties, index-aligned with ``origin_adcodes``.

    For each trip: both ends' ``gap_class``; the estimated rail route between
    the two seats' nearest *served* stations over the service network
    (``rail_changes``, ``rail_time_min`` station to station, ``rail_route``,
    ``rail_route_found``); ``rail_access_min`` (both seat↔station legs,
    crow-fly road estimates); ``rail_door_min`` = access + rail;
    ``rail_road_ratio`` = ``rail_door_min / road_time_min`` when
    ``road_time_min`` is given. Methods are in ``rail_method`` and
    ``rail_access_method``.

    Parameters
    ----------
    origin_adcodes, destination_adcodes
        County adcodes of the two ends (equal length; missing ends give NaN figures).
    gaps
        :func:`county_rail_gaps` output covering those counties (``adcode``,
        ``gap_class``, ``nearest_served``, ``nearest_served_km``, ``seat_lon``, ``seat_lat``).
    router
        Router over the rail service network.
    stations
        Stations with ``station_name``, ``lon``, ``lat``.
    road_time_min
        Road time of each trip (minutes), for ``rail_road_ratio``.

    Returns
    -------
    pandas.DataFrame
        ``origin_gap_class``, ``origin_rail_station``, ``origin_rail_station_km``,
        the same three for ``destination_``, then the ``rail_*`` columns above.
    """
    origins = pd.Series(origin_adcodes)
    if len(origins) != len(destination_adcodes):
        raise DataError(f"{len(origins)} origins but {len(destination_adcodes)} destinations")
    # both ends positionally on the origins' index, as pandas strings (missing ends stay NA)
    ends = {
        "origin": origins.astype("string"),
        "destination": pd.Series(np.asarray(destination_adcodes, dtype=object), index=origins.index).astype("string"),
    }
    out = pd.DataFrame(index=origins.index)
    g = gaps.set_index("adcode")
    st = (
        pd.DataFrame(stations.drop(columns="geometry", errors="ignore"))
        .drop_duplicates("station_name")
        .set_index("station_name")
    )
    for end, codes in ends.items():
        out[f"{end}_gap_class"] = codes.map(g["gap_class"]).astype(object)
        out[f"{end}_rail_station"] = codes.map(g["nearest_served"]).astype(object)
        out[f"{end}_rail_station_km"] = codes.map(g["nearest_served_km"]).astype(float)
    rows: list[tuple[float, int | NAType | None, str, bool]] = []
    for a, b in zip(out["origin_rail_station"], out["destination_rail_station"]):
        if not isinstance(a, str) or not isinstance(b, str):
            rows.append((np.nan, pd.NA, "", False))
            continue
        r = router.route(a, b)
        rows.append((r.time_min, r.n_changes if r.found else pd.NA, r.describe(), r.found))
    out["rail_time_min"] = [r[0] for r in rows]
    out["rail_changes"] = pd.array([r[1] for r in rows], dtype="Int64")
    out["rail_route"] = [r[2] for r in rows]
    out["rail_route_found"] = [r[3] for r in rows]
    out["rail_method"] = Method.STOP_LIST_CLASS_SPEED
    access = np.zeros(len(out))
    for end, codes in ends.items():
        slon = codes.map(g["seat_lon"]) if "seat_lon" in g.columns else pd.Series(np.nan, index=out.index)
        slat = codes.map(g["seat_lat"]) if "seat_lat" in g.columns else pd.Series(np.nan, index=out.index)
        name = out[f"{end}_rail_station"]
        lon2 = name.map(lambda n: st.at[n, "lon"] if isinstance(n, str) and n in st.index else np.nan).astype(float)
        lat2 = name.map(lambda n: st.at[n, "lat"] if isinstance(n, str) and n in st.index else np.nan).astype(float)
        access = (
            access
            + crowfly_travel(slon.to_numpy(float), slat.to_numpy(float), lon2.to_numpy(), lat2.to_numpy())[
                "time_min"
            ].to_numpy()
        )
    out["rail_access_min"] = access
    out["rail_access_method"] = Method.CROWFLY_ESTIMATE
    out["rail_door_min"] = out["rail_time_min"] + out["rail_access_min"]
    if road_time_min is not None:
        road = pd.to_numeric(pd.Series(road_time_min), errors="coerce").to_numpy(float)
        out["rail_road_ratio"] = out["rail_door_min"] / road
    else:
        out["rail_road_ratio"] = np.nan
    return out


__all__ = [
    "GAP_ORDER",
    "GAP_LABELS",
    "HSR_CLASSES",
    "CONVENTIONAL_CLASSES",
    "county_rail_gaps",
    "nearest_station",
    "od_rail_metrics",
    "rank_gaps",
]
