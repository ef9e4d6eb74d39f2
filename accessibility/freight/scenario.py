"""Scenarios: what if county X got a station or a freight line?

A hypothetical station is placed at the county seat (or a given point) and
linked by a new branch line to the nearest existing freight-capable station
(the *junction*; its length is great-circle × ``rail_detour_factor``). Then,
for every pair, the rail-gap class of both ends
(:func:`countylink.accessibility.rail.gaps.county_rail_gaps`), the freight rail
distance and door-to-door rail time, and the logistics cost of both modes
(:func:`countylink.accessibility.freight.cost.od_logistics_cost`) are
computed before and after; trips (origin county → destination county, for
example helper → helped of a pairing programme) where anything changes are
reported.

Kinds of scenario:

``conventional``
    a passenger station on a conventional (mixed passenger and freight) line:
    counts as one K-class train for the gap class and as a freight station.
``hsr``
    a high-speed station: changes the gap class only (high-speed lines carry
    no freight, so freight costs stay as they were).
``freight``
    a freight-only line and yard: a freight station, and for the gap class a
    rail line inside the county (no passenger station).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from countylink.accessibility.freight.cost import od_logistics_cost
from countylink.accessibility.freight.parameters import parameter_values
from countylink.accessibility.freight.stations import nearest_station
from countylink.accessibility.road.crowfly import great_circle_km
from countylink.errors import DataError, NotFoundError

KINDS = ("conventional", "hsr", "freight")
SCENARIO_SOURCE = "scenario: hypothetical station"


def hypothetical_station(
    stations: pd.DataFrame,
    *,
    name: str,
    lon: float,
    lat: float,
    adcode: str,
    kind: str = "conventional",
) -> pd.DataFrame:
    """``stations`` plus one hypothetical passenger station (service-count schema).

    The new row has one train of class K (``conventional``) or G (``hsr``), so
    :func:`~countylink.accessibility.rail.gaps.county_rail_gaps` sees it as
    served; ``source`` says it is a scenario.
    """
    if kind not in ("conventional", "hsr"):
        raise DataError(f"a passenger station is conventional or hsr, not {kind!r}")
    if name in set(stations["station_name"].astype(str)):
        raise DataError(f"a station called {name!r} already exists")
    row: dict[str, object] = {c: np.nan for c in stations.columns if c != "geometry"}
    row.update(station_name=name, lon=float(lon), lat=float(lat), adcode=str(adcode), source=SCENARIO_SOURCE)
    for c in stations.columns:
        if c.startswith("n_trains"):
            row[c] = 0
    cls = "K" if kind == "conventional" else "G"
    row.update({"n_trains": 1, f"n_trains_{cls}": 1})
    row["n_trains_conventional" if kind == "conventional" else "n_trains_hsr"] = 1
    row["hsr_served"] = kind == "hsr"
    plain = pd.DataFrame(stations.drop(columns="geometry", errors="ignore"))
    return pd.concat([plain, pd.DataFrame([row])], ignore_index=True)


def _gap_classes(counties, stations, lines_by_county) -> pd.Series:
    from countylink.accessibility.rail.gaps import county_rail_gaps

    gaps = county_rail_gaps(counties, stations, lines_by_county)
    return pd.Series(gaps["gap_class"].to_numpy(), index=gaps["adcode"].astype(str))


#: Columns a trips table must have (WGS-84 seats and adcodes of both ends; ``province`` is optional).
TRIP_COLUMNS = (
    "origin_adcode",
    "destination_adcode",
    "origin_lon",
    "origin_lat",
    "destination_lon",
    "destination_lat",
)


def station_scenario(
    trips: pd.DataFrame,
    *,
    counties: pd.DataFrame,
    adcode: str,
    stations: pd.DataFrame,
    freight_stations: pd.DataFrame,
    kind: str = "conventional",
    rail_distance=None,
    lines_by_county: pd.DataFrame | None = None,
    params: pd.DataFrame | None = None,
    lon: float | None = None,
    lat: float | None = None,
    junction: str | None = None,
) -> pd.DataFrame:
    """Before/after gap class, rail distance and time, and freight cost for every trip.

    Parameters
    ----------
    trips
        One row per trip between two counties: :data:`TRIP_COLUMNS`
        (``origin_adcode`` may be missing or empty: such a trip keeps its
        destination gap classes and gets no cost figures) and optionally
        ``province`` (toll row, as in :func:`od_logistics_cost`).
    counties
        County table (``adcode``, ``name``, ``seat_lon``, ``seat_lat``)
        covering county ``adcode`` and both ends of every trip.
    adcode
        The county that gets the station.
    stations
        National passenger stations with service counts and ``adcode``
        (:func:`~countylink.accessibility.rail.stop_lists.station_service` then
        :func:`~countylink.accessibility.rail.stations.join_counties`), for the
        gap classes.
    freight_stations
        Freight-capable stations (:func:`~countylink.accessibility.freight.stations.freight_station_proxy`).
    kind
        ``conventional``, ``hsr`` or ``freight`` (module docstring).
    rail_distance
        Network rail distances between existing stations
        (:func:`~countylink.accessibility.freight.stations.rail_network_distance`).
    lines_by_county
        :func:`~countylink.accessibility.rail.lines.lines_in_counties` output.
    params
        Logistics parameters.
    lon, lat
        Where the station goes (default: the county seat).
    junction
        The existing freight station the new branch joins (default: nearest).

    Returns
    -------
    pandas.DataFrame
        The trips where something changes (``trips``' index kept):
        ``origin_adcode``, ``destination_adcode``, ``origin_gap_before`` /
        ``_after``, ``destination_gap_before`` / ``_after``, the cost figures
        ``origin_station``, ``destination_station``, ``rail_km``,
        ``rail_door_h``, ``rail_cost``, ``cheaper_mode`` as ``*_before`` /
        ``*_after``, ``road_cost`` and ``rail_cost_change``;
        ``attrs["scenario"]`` describes the
        hypothetical station (county, kind, point, junction, branch km, the
        county's gap class before and after).

    Raises
    ------
    NotFoundError
        If ``adcode`` or the junction is unknown.
    DataError
        On an unknown kind or a trips table without :data:`TRIP_COLUMNS`.
    """
    missing_cols = [c for c in TRIP_COLUMNS if c not in trips.columns]
    if missing_cols:
        raise DataError(f"trips table lacks column(s) {missing_cols}")
    if kind not in KINDS:
        raise DataError(f"scenario kind must be one of {KINDS}, got {kind!r}")
    adcode = str(adcode)
    ctab = counties.assign(adcode=counties["adcode"].astype(str)).drop_duplicates("adcode").set_index("adcode")
    if adcode not in ctab.index:
        raise NotFoundError(f"county {adcode} is not in the county table")
    county = ctab.loc[adcode]
    assert isinstance(county, pd.Series)  # one row: adcodes are unique after drop_duplicates
    slon = float(county["seat_lon"]) if lon is None else float(lon)
    slat = float(county["seat_lat"]) if lat is None else float(lat)
    if not (np.isfinite(slon) and np.isfinite(slat)):
        raise DataError(f"county {adcode} has no seat coordinates; give lon and lat")
    name = f"{county.get('name', adcode)} (scenario)"
    values = parameter_values(params)

    # junction: nearest existing freight station, or the one the user names
    if junction is None:
        near = nearest_station(slon, slat, freight_stations).iloc[0]
        junction, jlon, jlat = near["station_name"], near["station_lon"], near["station_lat"]
    else:
        hit = freight_stations[freight_stations["station_name"].astype(str) == junction]
        if hit.empty:
            raise NotFoundError(f"junction {junction!r} is not a freight-capable station")
        jlon, jlat = float(hit["lon"].iloc[0]), float(hit["lat"].iloc[0])
    branch_km = float(great_circle_km(slon, slat, jlon, jlat)) * values["rail_detour_factor"]

    # gap classes of every county in the trips (and X), before and after
    codes = sorted(
        {adcode}
        | set(trips["origin_adcode"].dropna().astype(str))
        | set(trips["destination_adcode"].dropna().astype(str))
    )
    codes = [c for c in codes if c]
    missing = [c for c in codes if c not in ctab.index]
    if missing:
        raise NotFoundError(f"county/ies {missing} are not in the county table")
    sub = ctab.loc[codes].reset_index()
    lines_after = lines_by_county
    stations_after = stations
    if kind in ("conventional", "hsr"):
        stations_after = hypothetical_station(stations, name=name, lon=slon, lat=slat, adcode=adcode, kind=kind)
    elif lines_by_county is not None:
        lines_after = lines_by_county.copy()
        if adcode not in lines_after.index:
            lines_after.loc[adcode] = np.nan
        lines_after.loc[adcode, "rail_line_in_county"] = True
        lines_after.loc[adcode, "freight_line_km"] = branch_km
        lines_after.loc[adcode, "line_source"] = SCENARIO_SOURCE
    else:
        lines_after = pd.DataFrame(
            {
                "rail_line_km": [branch_km],
                "hsr_line_km": [0.0],
                "freight_line_km": [branch_km],
                "rail_line_in_county": [True],
                "line_source": [SCENARIO_SOURCE],
                "line_year": [pd.NA],
            },
            index=pd.Index([adcode], name="adcode"),
        )
    gap_before = _gap_classes(sub, stations, lines_by_county)
    gap_after = _gap_classes(sub, stations_after, lines_after)

    # freight: the new station joins the freight network through the junction
    od_columns = ["origin_lon", "origin_lat", "destination_lon", "destination_lat"]
    od = trips[od_columns + (["province"] if "province" in trips.columns else [])]
    before = od_logistics_cost(od, stations=freight_stations, params=params, rail_distance=rail_distance)
    if kind == "hsr":
        after = before.copy()
    else:
        new_row = pd.DataFrame(
            {"station_name": [name], "lon": [slon], "lat": [slat], "station_basis": [SCENARIO_SOURCE]}
        )
        fs_after = pd.concat([pd.DataFrame(freight_stations), new_row], ignore_index=True)

        def rail_after(a_names, b_names):
            a_names, b_names = list(a_names), list(b_names)
            a_eff = [junction if a == name else a for a in a_names]
            b_eff = [junction if b == name else b for b in b_names]
            if rail_distance is not None:
                base = np.asarray(rail_distance(a_eff, b_eff), dtype=float)
            else:
                lk = fs_after.drop_duplicates("station_name").set_index("station_name")
                base = np.array(
                    [
                        float(
                            great_circle_km(
                                float(np.asarray(lk.at[a, "lon"])),
                                float(np.asarray(lk.at[a, "lat"])),
                                float(np.asarray(lk.at[b, "lon"])),
                                float(np.asarray(lk.at[b, "lat"])),
                            )
                        )
                        * values["rail_detour_factor"]
                        if a in lk.index and b in lk.index
                        else np.nan
                        for a, b in zip(a_eff, b_eff)
                    ]
                )
            extra = np.array([(a == name) + (b == name) for a, b in zip(a_names, b_names)], dtype=float)
            same = np.array([a == b for a, b in zip(a_names, b_names)])
            base = np.where(np.array(a_eff) == np.array(b_eff), 0.0, base)
            out = base + extra * branch_km
            return np.where(same, 0.0, out)

        after = od_logistics_cost(od, stations=fs_after, params=params, rail_distance=rail_after)

    rows = pd.DataFrame(
        {"origin_adcode": trips["origin_adcode"], "destination_adcode": trips["destination_adcode"]},
        index=trips.index,
    )
    for end in ("origin", "destination"):
        code = trips[f"{end}_adcode"].astype(object).where(trips[f"{end}_adcode"].notna(), None)
        rows[f"{end}_gap_before"] = code.map(lambda c: gap_before.get(str(c)) if c else None)
        rows[f"{end}_gap_after"] = code.map(lambda c: gap_after.get(str(c)) if c else None)
    for col in ("origin_station", "destination_station", "rail_km", "rail_door_h", "rail_cost", "cheaper_mode"):
        rows[f"{col}_before"] = before[col]
        rows[f"{col}_after"] = after[col]
    rows["road_cost"] = before["road_cost"]
    rows["rail_cost_change"] = after["rail_cost"] - before["rail_cost"]
    no_origin = trips["origin_adcode"].isna() | (trips["origin_adcode"].astype(str) == "")
    rows.loc[
        no_origin.to_numpy(),
        [
            c
            for c in rows.columns
            if c.endswith(("_before", "_after", "_change", "road_cost")) and not c.startswith("destination_gap")
        ],
    ] = None
    changed = np.zeros(len(rows), dtype=bool)
    for col in ("origin_gap", "destination_gap", "origin_station", "destination_station", "cheaper_mode"):
        b, a = rows[f"{col}_before"].astype(object), rows[f"{col}_after"].astype(object)
        changed |= (b.fillna("") != a.fillna("")).to_numpy()
    for col in ("rail_km", "rail_cost"):
        num_before = pd.to_numeric(rows[f"{col}_before"], errors="coerce").to_numpy(float)
        num_after = pd.to_numeric(rows[f"{col}_after"], errors="coerce").to_numpy(float)
        changed |= ~np.isclose(np.nan_to_num(num_before, nan=-1), np.nan_to_num(num_after, nan=-1))
    out = rows[changed].copy()
    num = [c for c in out.columns if c.startswith(("rail_km", "rail_door_h", "rail_cost", "road_cost"))]
    out[num] = out[num].apply(pd.to_numeric, errors="coerce").round(2)
    out.attrs["scenario"] = {
        "adcode": adcode,
        "county": str(county.get("name", adcode)),
        "kind": kind,
        "station": name,
        "lon": round(slon, 6),
        "lat": round(slat, 6),
        "junction": junction,
        "branch_km": round(branch_km, 1),
        "gap_class_before": gap_before.get(adcode),
        "gap_class_after": gap_after.get(adcode),
        "pairs_changed": int(changed.sum()),
    }
    return out
