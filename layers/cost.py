"""Freight-cost and pairing layers: the ``cost_<programme>`` and ``assignment_<programme>`` tables.

Why one module of this size: the cost and the assignment tables share the freight inputs and the pair-to-county plumbing.

``cost_<programme>`` has one row per pair of the programme:

======================== ====================================================
column                   meaning
======================== ====================================================
programme, pair_id       as in the ``pairs`` layer
helper_*, helped_*       adcode and name of each side; ``status``
road_km, road_time_min   road distance / car time helper seat → helped seat
method                   ``osm_network`` (routed, from the pairs layer) or
                         ``crowfly_estimate``
road_cost                road haulage, yuan per tonne (with its components
                         ``road_linehaul``, ``road_toll``, ``road_time_cost``)
rail_cost                rail intermodal, yuan per tonne (``rail_drayage``,
                         ``rail_handling``, ``rail_linehaul``, ``rail_time_cost``)
origin_station, ...      nearest freight-capable station each end, road legs
                         ``access_km`` / ``egress_km``, ``rail_km``,
                         ``rail_method`` and ``station_basis`` (the proxy used)
cheaper_mode             ``road`` or ``rail``; ``saving_yuan_per_t``,
                         ``saving_pct``
market_access_share      share of the helped county's market access that the
                         helper provides (see
                         :mod:`countylink.accessibility.freight.market_access`), with
                         ``helped_market_access``, ``ma_mass`` (indicator),
                         ``ma_mass_years``, ``ma_mass_coverage``, ``ma_decay``
parameters               which parameter table the costs come from
geometry                 LineString helper seat → helped seat
======================== ====================================================

``assignment_<programme>`` has one row per helper: its actual and its optimal
partner (:func:`countylink.accessibility.freight.assignment.optimal_assignment`)
and the cost of each; totals and notes are in ``attrs``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from countylink.accessibility.freight import assignment as pa
from countylink.accessibility.freight import cost as lc
from countylink.accessibility.freight import market_access as mac
from countylink.accessibility.freight import stations as fst
from countylink.errors import DataError
from countylink.layers.pair_points import pair_market_access_share, pair_od, pair_station_scenario
from countylink.layers.schemas import validate_layer
from countylink.methods import Method

#: Columns of the cost table, in order (geometry last).
COST_COLUMNS = [
    "programme",
    "pair_id",
    "helper_adcode",
    "helper_name",
    "helped_adcode",
    "helped_name",
    "status",
    "helper_seat_kind",
    "helped_seat_kind",
    "road_km",
    "road_time_min",
    "method",
    "road_cost",
    "rail_cost",
    "cheaper_mode",
    "saving_yuan_per_t",
    "saving_pct",
    "market_access_share",
    "helped_market_access",
    "ma_mass",
    "ma_mass_years",
    "ma_mass_coverage",
    "ma_decay",
    "road_linehaul",
    "road_toll",
    "road_time_cost",
    "road_truck_h",
    "origin_station",
    "access_km",
    "destination_station",
    "egress_km",
    "rail_km",
    "rail_method",
    "station_basis",
    "rail_drayage",
    "rail_handling",
    "rail_linehaul",
    "rail_time_cost",
    "rail_door_h",
    "parameters",
]


@dataclass
class FreightInputs:
    """What the rail side of the cost model needs: stations and rail distances."""

    stations: pd.DataFrame
    rail_distance: Callable | None = None
    notes: list[str] = field(default_factory=list)


_FREIGHT_CACHE: dict[str, FreightInputs] = {}


def freight_inputs(
    *, data: str | os.PathLike | None = None, stations: pd.DataFrame | None = None, rail=None
) -> FreightInputs:
    """Freight-capable stations and a rail-distance function from the data pack.

    Parameters
    ----------
    data
        Data-pack directory (``--data``).
    stations
        A user's station table instead (``station_name``, ``lon``, ``lat`` and a
        boolean ``freight`` column or the service counts); then rail distances
        are great-circle × ``rail_detour_factor``.
    rail
        The run's rail data (:class:`countylink.layers.gaps.RailData`), so
        stations, stop lists and tracks are not read a second time.

    Returns
    -------
    FreightInputs
        Freight-capable stations by the rule of
        :func:`~countylink.accessibility.rail.freight_status.freight_stations`
        (conventional K/Z/N service not on high-speed track only, plus the
        lines known from outside the data, each row saying which in
        ``station_basis``) and line-haul distances along the non-high-speed
        tracks (``rail_method = "rail_tracks"``).
    """
    if stations is not None:
        return FreightInputs(fst.freight_station_proxy(stations), None, ["stations supplied by the user"])
    if rail is not None:  # the run's rail data (layers.gaps.RailData): already read and matched
        return _freight_from(rail, [])
    from countylink.files import data_dir
    from countylink.layers.gaps import load_rail_data

    key = str(data_dir(data).resolve())
    if key in _FREIGHT_CACHE:
        return _FREIGHT_CACHE[key]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = load_rail_data(data=data)
    inputs = _freight_from(loaded, [str(w.message) for w in caught])
    _FREIGHT_CACHE[key] = inputs
    return inputs


def _freight_from(rail, notes: list[str]) -> FreightInputs:
    from countylink.accessibility.rail.freight_status import freight_stations

    if rail.tracks is None:  # no track network: the conventional service network, labelled rail_network
        freight = fst.freight_station_proxy(rail.stations)
        notes.insert(
            0, f"{len(freight)} freight-capable stations ({fst.FREIGHT_PROXY_BASIS}); service-network distances"
        )
        return FreightInputs(freight, fst.rail_network_distance(rail.router.network), notes)
    freight = freight_stations(rail.stations, rail.tracks.edges)
    outside = freight["station_basis"].str.startswith("outside knowledge")
    notes.insert(
        0,
        f"{len(freight)} of {len(rail.stations)} stations used as freight-capable: {int((~outside).sum())} with "
        f"conventional K/Z/N service not on high-speed track only, {int(outside.sum())} on lines known from "
        "outside the data (" + ", ".join(sorted(freight.loc[outside, "station_name"])) + "); rail km along the "
        "non-high-speed tracks (rail_tracks)",
    )
    return FreightInputs(freight, rail.tracks.freight_distance(freight), notes)


def _params_label(params: pd.DataFrame | None) -> str:
    if params is None:
        return "countylink data/logistics_parameters.csv (shipped defaults)"
    overridden = params.index[params["source"].astype(str) == "user override"].tolist()
    return "logistics parameters" + (f" with user overrides: {', '.join(overridden)}" if overridden else "")


def province_cost_matrix(
    counties: pd.DataFrame,
    *,
    freight: FreightInputs,
    params: pd.DataFrame | None = None,
    value: str = "best",
    road_network=None,
) -> pd.DataFrame:
    """County × county freight cost (yuan/t) between the seats of ``counties``.

    Road legs are routed on ``road_network`` (the national highway
    :class:`~countylink.accessibility.road.travel_time.RoutingNetwork`; pairs it
    cannot connect, and every pair without a network, are crow-fly estimates).
    """
    pts = pd.DataFrame(counties[["adcode", "seat_lon", "seat_lat"]])
    if "province" in counties.columns:
        pts["province"] = counties["adcode"].astype(str).str[:2]
    road = None
    if road_network is not None:
        from countylink.accessibility.road.highways import highway_travel_time_matrix

        seats = pd.DataFrame({"id": pts["adcode"].to_numpy(), "lon": pts["seat_lon"], "lat": pts["seat_lat"]})
        routed = highway_travel_time_matrix(road_network, seats, seats, crowfly_fallback=False, progress=False)
        road = pd.DataFrame(
            {
                "road_km": routed["distance_m"].to_numpy() / 1000.0,
                "road_time_min": routed["time_s"].to_numpy() / 60.0,
                "method": routed["method"].to_numpy(),
            }
        )
    return lc.cost_matrix(
        pts, stations=freight.stations, params=params, value=value, rail_distance=freight.rail_distance, road=road
    )


def _mass(counties: pd.DataFrame, mass: str) -> tuple[pd.Series, str]:
    if mass not in counties.columns:
        raise DataError(f"the counties layer has no {mass!r} indicator for market access")
    m = pd.Series(pd.to_numeric(counties[mass], errors="coerce").to_numpy(), index=counties["adcode"].astype(str))
    years = counties.get(f"{mass}_year")
    yrs = sorted({int(y) for y in years.dropna()}) if years is not None else []
    label = "" if not yrs else (str(yrs[0]) if len(yrs) == 1 else f"{yrs[0]}-{yrs[-1]}")
    return m, label


def _programme_counties(pairs: pd.DataFrame, counties: pd.DataFrame) -> pd.DataFrame:
    codes = pd.concat([pairs["helper_adcode"], pairs["helped_adcode"]]).dropna().astype(str)
    provs = set(codes.str[:2])
    return counties[counties["adcode"].astype(str).str[:2].isin(provs)].reset_index(drop=True)


def cost_layer(
    pairs: gpd.GeoDataFrame,
    *,
    counties: pd.DataFrame,
    freight: FreightInputs,
    params: pd.DataFrame | None = None,
    mass: str = "gdp",
    decay: str = "power",
    gamma: float = mac.DEFAULT_GAMMA,
    beta: float = mac.DEFAULT_BETA,
    matrix: pd.DataFrame | None = None,
    road_network=None,
) -> gpd.GeoDataFrame:
    """Road versus rail freight cost and market-access share for every pair.

    Parameters
    ----------
    pairs
        The ``pairs`` layer (:func:`countylink.layers.pairs.build_pairs`); routed
        ``road_km`` / ``road_time_min`` / ``method`` columns are used when present.
    counties
        The counties layer (seats and the ``mass`` indicator); market access is
        computed over the counties of the programme's province(s).
    freight
        :func:`freight_inputs`.
    params
        :func:`countylink.accessibility.freight.parameters.load_parameters` table.
    mass, decay, gamma, beta
        Market-access mass indicator and distance decay.
    matrix
        A precomputed province cost matrix (:func:`province_cost_matrix`).
    road_network
        Road network for the matrix's road legs when it is built here (see
        :func:`province_cost_matrix`); None: crow-fly road legs.

    Returns
    -------
    GeoDataFrame
        :data:`COST_COLUMNS` + geometry; ``attrs["notes"]`` says what was
        dropped or estimated.
    """
    need = {
        "helper_adcode",
        "helped_adcode",
        "helper_seat_lon",
        "helper_seat_lat",
        "helped_seat_lon",
        "helped_seat_lat",
    }
    missing = sorted(need - set(pairs.columns))
    if missing:
        raise DataError(f"pairs layer lacks column(s) {missing}")
    notes: list[str] = list(freight.notes[:1])
    od = pair_od(pairs)
    for col in ("road_km", "road_time_min", "method"):
        if col in pairs.columns:
            od[col] = pairs[col].to_numpy()
    no_helper = pairs["helper_adcode"].isna() | (pairs["helper_adcode"].astype(str) == "")
    costs = lc.od_logistics_cost(od, stations=freight.stations, params=params, rail_distance=freight.rail_distance)
    # a pair without a known helper has no route: blank every figure rather than estimate from nowhere
    costs.loc[no_helper.to_numpy(), :] = None
    if no_helper.any():
        notes.append(
            f"{int(no_helper.sum())} pair(s) without a known helper have no cost: "
            + ", ".join(pairs.loc[no_helper, "helped_name"].astype(str))
        )
    n_est = int((costs["method"] == Method.CROWFLY_ESTIMATE).sum())
    if n_est:
        notes.append(f"{n_est} pair(s) use crow-fly road estimates (no routed road_km/road_time_min)")

    scope = _programme_counties(pairs, counties)
    if matrix is None:
        matrix = province_cost_matrix(scope, freight=freight, params=params, road_network=road_network)
    m, years = _mass(scope, mass)
    share = pair_market_access_share(
        pd.DataFrame(
            {"helper_adcode": pairs["helper_adcode"].where(~no_helper, None), "helped_adcode": pairs["helped_adcode"]},
            index=pairs.index,
        ),
        matrix,
        m,
        decay=decay,
        gamma=gamma,
        beta=beta,
    )
    coverage = float(m.notna().mean())
    if coverage < 0.9:
        notes.append(
            f"market access counts only the {int(m.notna().sum())} of {len(m)} counties with a {mass} figure "
            f"({coverage:.0%}): shares are relative to those counties only"
        )
    out = pd.DataFrame(
        {
            "programme": pairs.get("programme"),
            "pair_id": pairs.get("pair_id"),
            "helper_adcode": pairs["helper_adcode"],
            "helper_name": pairs.get("helper_name"),
            "helped_adcode": pairs["helped_adcode"],
            "helped_name": pairs.get("helped_name"),
            "status": pairs.get("status"),
            "helper_seat_kind": pairs.get("helper_seat_kind"),
            "helped_seat_kind": pairs.get("helped_seat_kind"),
        },
        index=pairs.index,
    )
    out = pd.concat([out, costs, share[["market_access_share", "helped_market_access"]]], axis=1)
    out["helped_mass_coverage"] = share["helped_mass_coverage"]
    out["ma_mass"] = mass
    out["ma_mass_years"] = years
    out["ma_mass_coverage"] = coverage
    out["ma_decay"] = (
        f"{decay} ({'gamma' if decay == 'power' else 'beta'}={gamma if decay == 'power' else beta:.4g}) on yuan/t"
    )
    out["parameters"] = _params_label(params)
    for col in out.columns:
        if (
            col in ("road_km", "road_time_min")
            or col.endswith(("_cost", "_yuan_per_t", "_km", "_pct", "_h"))
            or col
            in (
                "road_linehaul",
                "road_toll",
                "rail_drayage",
                "rail_handling",
                "rail_linehaul",
            )
        ):
            out[col] = pd.to_numeric(out[col], errors="coerce").round(2)
    out["market_access_share"] = pd.to_numeric(out["market_access_share"], errors="coerce").round(4)
    geometry = pairs.geometry if isinstance(pairs, gpd.GeoDataFrame) else None
    gdf = gpd.GeoDataFrame(out[COST_COLUMNS], geometry=geometry, crs="EPSG:4326")
    gdf.attrs["notes"] = notes
    return validate_layer("cost", gdf.reset_index(drop=True))


def _complete_pairs(pairs: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    has = pairs["helper_adcode"].notna() & (pairs["helper_adcode"].astype(str) != "")
    notes = []
    if (~has).any():
        notes.append(
            f"{int((~has).sum())} helped county/ies without a known helper left out of the assignment: "
            + ", ".join(pairs.loc[~has, "helped_name"].astype(str))
        )
    return pairs[has].reset_index(drop=True), notes


def assignment_table(
    pairs: pd.DataFrame,
    *,
    counties: pd.DataFrame,
    freight: FreightInputs,
    params: pd.DataFrame | None = None,
    weights: Mapping[str, float] | None = None,
    fixed: Iterable[tuple[str, str]] | None = None,
    forbidden: Iterable[tuple[str, str]] | None = None,
    industry: pd.DataFrame | None = None,
    matrix: pd.DataFrame | None = None,
    road_network=None,
) -> pd.DataFrame:
    """Optimal one-to-one pairing of the programme's helpers and helped counties beside the actual one.

    The travel component is the cheaper-mode freight cost (yuan/t); the gap
    component is used when every helper and helped county has a GDP figure
    (target ratio: the median of the actual pairs); the industry component
    when ``industry`` (county × industry table) is given.

    Returns
    -------
    pandas.DataFrame
        One row per helper: ``helper_adcode``, ``helper_name``,
        ``actual_helped_adcode``, ``actual_helped_name``,
        ``optimal_helped_adcode``, ``optimal_helped_name``, ``changed``,
        ``fixed``, ``actual_travel_yuan_per_t``, ``optimal_travel_yuan_per_t``,
        ``travel_saving_yuan_per_t``, ``actual_cost``, ``optimal_cost``,
        ``cost_saving`` (combined, dimensionless), ``components``.
        ``attrs["totals"]`` and ``attrs["notes"]``.
    """
    complete, notes = _complete_pairs(pairs)
    if len(complete) < 2:
        raise DataError("an assignment needs at least two complete pairs (helper and helped known)")
    helpers = complete["helper_adcode"].astype(str).tolist()
    helped = complete["helped_adcode"].astype(str).tolist()
    if matrix is None:
        matrix = province_cost_matrix(
            _programme_counties(complete, counties), freight=freight, params=params, road_network=road_network
        )
    travel = matrix.loc[helpers, helped]
    gdp = (
        pd.Series(pd.to_numeric(counties["gdp"], errors="coerce").to_numpy(), index=counties["adcode"].astype(str))
        if "gdp" in counties.columns
        else pd.Series(dtype=float)
    )
    helper_gdp = gdp.reindex(helpers)
    helped_gdp = gdp.reindex(helped)
    w = dict(pa.DEFAULT_WEIGHTS, **(weights or {}))
    use_gap = bool(helper_gdp.notna().all() and helped_gdp.notna().all()) and w.get("gap", 0) > 0
    if not use_gap and w.get("gap", 0) > 0:
        lacking = sorted(set(helper_gdp.index[helper_gdp.isna()]) | set(helped_gdp.index[helped_gdp.isna()]))
        names = counties.set_index(counties["adcode"].astype(str))["name"]
        notes.append(
            "economic-gap term left out: no GDP figure for " + ", ".join(f"{names.get(c, c)} ({c})" for c in lacking)
        )
    target = None
    if use_gap:
        target = float(np.exp(np.median(np.log(helper_gdp.to_numpy() / helped_gdp.to_numpy()))))
    combined, components, info = pa.combined_cost_matrix(
        travel,
        helper_gdp=helper_gdp if use_gap else None,
        helped_gdp=helped_gdp if use_gap else None,
        industry=industry,
        weights=weights,
        target_ratio=target,
    )
    optimal = pa.optimal_assignment(combined, fixed=fixed, forbidden=forbidden)
    actual = complete[["helper_adcode", "helped_adcode"]].astype(str)
    table = pa.compare_assignments(actual, optimal, combined, travel_cost=travel)
    names = counties.set_index(counties["adcode"].astype(str))["name"]
    table.insert(1, "helper_name", table["helper_adcode"].map(names))
    table.insert(3, "actual_helped_name", table["actual_helped_adcode"].map(names))
    table.insert(5, "optimal_helped_name", table["optimal_helped_adcode"].map(names))
    table["fixed"] = table["helper_adcode"].map(optimal.set_index("helper_adcode")["fixed"]).fillna(False).astype(bool)
    label = " + ".join(f"{k}×{v:g}" for k, v in info["weights"].items())
    table["components"] = label
    if info["target_ratio"] is not None:
        notes.append(f"gap target: helper/helped GDP ratio {info['target_ratio']:.2f} (median of the actual pairs)")
    for col in ("actual_travel_yuan_per_t", "optimal_travel_yuan_per_t", "travel_saving_yuan_per_t"):
        table[col] = table[col].round(2)
    for col in ("actual_cost", "optimal_cost", "cost_saving"):
        table[col] = table[col].round(4)
    totals = dict(table.attrs.get("totals", {}))
    table.attrs["totals"] = totals
    table.attrs["notes"] = notes + [f"cost = {label} (each component rescaled 0-1 over the candidate pairs)"]
    return validate_layer("assignment", table)


def summary_lines(table: pd.DataFrame) -> list[str]:
    """Human-readable totals of an :func:`assignment_table`."""
    t = table.attrs.get("totals", {})
    lines = [
        f"{t.get('changed', 0)} of {t.get('pairs', 0)} helpers would get a different partner",
        f"combined cost: actual {t.get('actual_cost', np.nan):.3f}, optimal {t.get('optimal_cost', np.nan):.3f} "
        f"(saving {t.get('cost_saving', np.nan):.3f})",
    ]
    if "actual_travel_yuan_per_t" in t:
        lines.append(
            f"freight cost summed over pairs: actual {t['actual_travel_yuan_per_t']:.1f} yuan/t, optimal "
            f"{t['optimal_travel_yuan_per_t']:.1f} yuan/t (saving {t['travel_saving_yuan_per_t']:.1f} yuan/t)"
        )
    return lines + list(table.attrs.get("notes", []))


#: Columns shown by ``countylink scenario --format table``.
SCENARIO_TABLE_COLUMNS = [
    "helper_name",
    "helped_name",
    "helper_gap_before",
    "helper_gap_after",
    "helped_gap_before",
    "helped_gap_after",
    "origin_station_after",
    "destination_station_after",
    "rail_km_before",
    "rail_km_after",
    "rail_door_h_before",
    "rail_door_h_after",
    "road_cost",
    "rail_cost_before",
    "rail_cost_after",
    "cheaper_mode_before",
    "cheaper_mode_after",
]


def scenario_table(
    pairs: pd.DataFrame,
    *,
    counties: gpd.GeoDataFrame,
    adcode: str,
    freight: FreightInputs,
    kind: str = "conventional",
    data: str | os.PathLike | None = None,
    params: pd.DataFrame | None = None,
    lon: float | None = None,
    lat: float | None = None,
    junction: str | None = None,
) -> pd.DataFrame:
    """:func:`countylink.layers.pair_points.pair_station_scenario` on the data pack's rail data.

    Gap classes use the pack's national stations (with timetable service) and
    line geometries, exactly as the ``gaps`` layer does.
    """
    from countylink.accessibility.rail.lines import lines_in_counties
    from countylink.accessibility.rail.stations import join_counties
    from countylink.layers.rail_lines import source_lines
    from countylink.layers.stations import national_stations

    code = str(adcode)
    known = set(counties["adcode"].astype(str))
    if code not in known:
        raise DataError(
            f"county {code} is not among the loaded counties (check the adcode and the programme's province)"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unmatched stop names: reported by the gaps layer
        stations, _ = national_stations(data=data)
    codes = {code} | set(pairs["helper_adcode"].dropna().astype(str)) | set(pairs["helped_adcode"].dropna().astype(str))
    sub = counties[counties["adcode"].astype(str).isin(codes)]
    national = join_counties(stations, sub, keep_outside=True)
    lines = lines_in_counties(source_lines(data=data), sub)
    table = pair_station_scenario(
        pairs,
        counties=sub,
        adcode=code,
        stations=national,
        freight_stations=freight.stations,
        kind=kind,
        rail_distance=freight.rail_distance,
        lines_by_county=lines,
        params=params,
        lon=lon,
        lat=lat,
        junction=junction,
    )
    return table
