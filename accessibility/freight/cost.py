"""Generalised freight cost between counties: road haulage against rail intermodal.

Why one module of this size: the road and rail cost functions, the mode choice built on them, the
OD and matrix drivers and the break-even distance all read the same parameter table and must agree.

Every figure is in **yuan per tonne** of goods moved door to door between two
county seats; every parameter comes from the table of
:mod:`countylink.accessibility.freight.parameters` (:func:`load_parameters`).

Road freight (one truck from seat to seat)::

    road_cost = road_km × road_rate
              + road_km × expressway_share × toll(province) / truck_payload
              + road_time_h × truck_time_factor × value_of_time

Rail intermodal (truck to the nearest freight-capable station, train, truck)::

    rail_cost = drayage_rate × (max(access_km, drayage_min_km) + max(egress_km, drayage_min_km))
              + 2 × handling_per_end
              + rail_base + rail_km × (rail_rate + construction_fund)
              + (access_h + egress_h) × truck_time_factor × value_of_time
              + (2 × terminal_dwell + rail_km / rail_speed) × value_of_time

The rail line-haul follows the structure of the China Railway wagon-load tariff
(运费 = 基价1 + 基价2 × 运价里程, plus 铁路建设基金 per tonne-km). The road
distance and time are routed figures when the caller has them (``method =
"osm_network"``) and crow-fly estimates otherwise
(:func:`countylink.accessibility.road.crowfly.crowfly_travel`, ``method =
"crowfly_estimate"``); rail distance is a network distance when the caller
passes one (``rail_method = "rail_tracks"`` along the non-high-speed tracks,
``"rail_network"`` over the timetable service network), else great-circle ×
``rail_detour_factor`` (``rail_method = "greatcircle_detour"``).

Freight-capable stations come from
:func:`countylink.accessibility.rail.freight_status.freight_stations` (the data
pack has no freight attributes: each station says which rule chose it), the
nearest one to each seat from :mod:`countylink.accessibility.freight.stations`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from countylink.accessibility.freight.parameters import load_parameters, parameter_values, toll_rate
from countylink.accessibility.freight.stations import nearest_station
from countylink.accessibility.road.crowfly import crowfly_travel, great_circle_km
from countylink.errors import DataError
from countylink.methods import Method


def _arr(x, name: str) -> np.ndarray:
    a = np.atleast_1d(np.asarray(x, dtype=float))
    if np.any(a[np.isfinite(a)] < 0):
        raise DataError(f"{name} must not be negative")
    return a


def road_freight_cost(
    road_km,
    road_time_min,
    *,
    province: str | Iterable[str | None] | None = None,
    params: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Door-to-door road haulage cost in yuan per tonne, vectorised.

    Parameters
    ----------
    road_km, road_time_min
        Road distance and **car** travel time between the two ends (routed or
        estimated); scalars or equal-length arrays. Truck time is car time ×
        ``truck_time_factor``.
    province
        Province key, Chinese name or adcode (one, or one per row) choosing the
        toll row; ``None`` uses ``toll_yuan_per_vkm_default``.
    params
        Table from :func:`~countylink.accessibility.freight.parameters.load_parameters` (default: the shipped table).

    Returns
    -------
    pandas.DataFrame
        ``road_linehaul``, ``road_toll``, ``road_time_cost``, ``road_cost``
        (yuan/t) and ``road_truck_h``.
    """
    v = parameter_values(params)
    km = _arr(road_km, "road_km")
    minutes = _arr(road_time_min, "road_time_min")
    km, minutes = np.broadcast_arrays(km, minutes)
    if province is None or isinstance(province, str):
        tolls = np.full(km.shape, toll_rate(v, province))
    else:
        provs = list(province)
        if len(provs) != len(km):
            raise DataError(f"province has {len(provs)} entries for {len(km)} trips")
        tolls = np.array([toll_rate(v, p) for p in provs], dtype=float)
    truck_h = minutes / 60.0 * v["truck_time_factor"]
    linehaul = km * v["road_rate_yuan_per_tkm"]
    toll = km * v["expressway_share"] * tolls / v["truck_payload_t"]
    time_cost = truck_h * v["value_of_time_yuan_per_t_h"]
    return pd.DataFrame(
        {
            "road_linehaul": linehaul,
            "road_toll": toll,
            "road_time_cost": time_cost,
            "road_cost": linehaul + toll + time_cost,
            "road_truck_h": truck_h,
        }
    )


def rail_intermodal_cost(
    rail_km,
    *,
    access_km,
    access_time_min,
    egress_km,
    egress_time_min,
    params: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Truck–train–truck cost in yuan per tonne, vectorised.

    Parameters
    ----------
    rail_km
        Rail distance between the two freight stations (charged distance).
    access_km, access_time_min
        Road leg from the origin seat to its station (car time; truck time is ×
        ``truck_time_factor``).
    egress_km, egress_time_min
        Road leg from the destination's station to the destination seat.
    params
        Table from :func:`~countylink.accessibility.freight.parameters.load_parameters`.

    Returns
    -------
    pandas.DataFrame
        ``rail_drayage``, ``rail_handling``, ``rail_linehaul``,
        ``rail_time_cost``, ``rail_cost`` (yuan/t) and ``rail_door_h``
        (door-to-door hours including terminal dwell).

    Notes
    -----
    When both seats share the same station (``rail_km`` = 0) the train leg is
    meaningless; the cost is then NaN and the caller should treat road as the
    only mode.
    """
    v = parameter_values(params)
    rkm = _arr(rail_km, "rail_km")
    akm, amin, ekm, emin = (
        _arr(x, n)
        for x, n in (
            (access_km, "access_km"),
            (access_time_min, "access_time_min"),
            (egress_km, "egress_km"),
            (egress_time_min, "egress_time_min"),
        )
    )
    rkm, akm, amin, ekm, emin = np.broadcast_arrays(rkm, akm, amin, ekm, emin)
    floor = v["drayage_min_km"]
    drayage = v["drayage_rate_yuan_per_tkm"] * (np.maximum(akm, floor) + np.maximum(ekm, floor))
    handling = np.full(rkm.shape, 2.0 * v["handling_yuan_per_t_per_end"])
    linehaul = v["rail_base_yuan_per_t"] + rkm * (
        v["rail_rate_yuan_per_tkm"] + v["rail_construction_fund_yuan_per_tkm"]
    )
    truck_h = (amin + emin) / 60.0 * v["truck_time_factor"]
    door_h = truck_h + 2.0 * v["rail_terminal_dwell_h"] + rkm / v["rail_speed_kph"]
    time_cost = door_h * v["value_of_time_yuan_per_t_h"]
    total = drayage + handling + linehaul + time_cost
    same = rkm <= 0
    total = np.where(same, np.nan, total)
    return pd.DataFrame(
        {
            "rail_drayage": drayage,
            "rail_handling": handling,
            "rail_linehaul": np.where(same, np.nan, linehaul),
            "rail_time_cost": time_cost,
            "rail_cost": total,
            "rail_door_h": door_h,
        }
    )


def choose_mode(road_cost, rail_cost) -> pd.DataFrame:
    """Cheaper mode per trip and what it saves against the other mode.

    Returns
    -------
    pandas.DataFrame
        ``cheaper_mode`` (``"road"``, ``"rail"``; ``"road"`` when rail is not
        available), ``saving_yuan_per_t`` (other mode − cheaper mode, NaN when
        rail is unavailable) and ``saving_pct`` (of the dearer mode's cost).
    """
    road = np.atleast_1d(np.asarray(road_cost, dtype=float))
    rail = np.atleast_1d(np.asarray(rail_cost, dtype=float))
    road, rail = np.broadcast_arrays(road, rail)
    rail_ok = np.isfinite(rail)
    mode = np.where(rail_ok & (rail < road), "rail", "road").astype(object)
    mode[~np.isfinite(road)] = None
    saving = np.abs(road - rail)
    dearer = np.maximum(road, rail)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(dearer > 0, saving / dearer * 100.0, np.nan)
    return pd.DataFrame({"cheaper_mode": mode.astype(object), "saving_yuan_per_t": saving, "saving_pct": pct})


def od_logistics_cost(
    od: pd.DataFrame,
    *,
    stations: pd.DataFrame,
    params: pd.DataFrame | None = None,
    rail_distance=None,
) -> pd.DataFrame:
    """Road and rail-intermodal cost for origin–destination pairs of county seats.

    Parameters
    ----------
    od
        One row per trip with ``origin_lon``, ``origin_lat``,
        ``destination_lon``, ``destination_lat`` (WGS-84) and optionally
        ``province`` (toll row), ``road_km``, ``road_time_min`` and ``method``
        (routed figures; rows where they are missing fall back to the crow-fly
        estimate and say ``method = "crowfly_estimate"``).
    stations
        Freight-capable stations (``station_name``, ``lon``, ``lat``; see
        :func:`~countylink.accessibility.freight.stations.freight_station_proxy`). An optional ``station_basis`` column is
        carried into the result.
    params
        Table from :func:`~countylink.accessibility.freight.parameters.load_parameters`.
    rail_distance
        Optional callable ``(from_station_names, to_station_names) -> array of
        km`` giving network rail distances (NaN where unknown); rows it cannot
        answer use great-circle × ``rail_detour_factor``.

    Returns
    -------
    pandas.DataFrame
        Index-aligned with ``od``: the road figures (``road_km``,
        ``road_time_min``, ``method``), the stations and legs
        (``origin_station``, ``access_km``, ``destination_station``,
        ``egress_km``, ``rail_km``, ``rail_method``, ``station_basis``), every
        cost component of :func:`road_freight_cost` and
        :func:`rail_intermodal_cost`, and :func:`choose_mode`'s columns.
    """
    need = ["origin_lon", "origin_lat", "destination_lon", "destination_lat"]
    missing = [c for c in need if c not in od.columns]
    if missing:
        raise DataError(f"origin–destination table lacks column(s) {missing}")
    if params is None:
        params = load_parameters()
    v = parameter_values(params)
    n = len(od)
    olon, olat, dlon, dlat = (od[c].to_numpy(float) for c in need)

    # Road: routed where given, crow-fly estimate elsewhere.
    est = crowfly_travel(olon, olat, dlon, dlat)
    road_km = est["road_km"].to_numpy().copy()
    road_min = est["time_min"].to_numpy().copy()
    method = np.full(n, Method.CROWFLY_ESTIMATE, dtype=object)
    if {"road_km", "road_time_min"} <= set(od.columns):
        rk = pd.to_numeric(od["road_km"], errors="coerce").to_numpy(float)
        rt = pd.to_numeric(od["road_time_min"], errors="coerce").to_numpy(float)
        routed = np.isfinite(rk) & np.isfinite(rt)
        road_km[routed] = rk[routed]
        road_min[routed] = rt[routed]
        if "method" in od.columns:
            given = od["method"].astype(object).to_numpy()
            method[routed] = np.where(pd.isna(given[routed]), Method.OSM_NETWORK, given[routed])
        else:
            method[routed] = Method.OSM_NETWORK
    province = od["province"].tolist() if "province" in od.columns else None
    road = road_freight_cost(road_km, road_min, province=province, params=params)

    # Rail: nearest proxy freight station at each end.
    o_st = nearest_station(olon, olat, stations)
    d_st = nearest_station(dlon, dlat, stations)
    access = crowfly_travel(olon, olat, o_st["station_lon"], o_st["station_lat"])
    egress = crowfly_travel(d_st["station_lon"], d_st["station_lat"], dlon, dlat)
    gc_rail = great_circle_km(o_st["station_lon"], o_st["station_lat"], d_st["station_lon"], d_st["station_lat"])
    rail_km = gc_rail * v["rail_detour_factor"]
    rail_method = np.full(n, Method.GREATCIRCLE_DETOUR, dtype=object)
    if rail_distance is not None and n:
        net = np.asarray(rail_distance(o_st["station_name"].tolist(), d_st["station_name"].tolist()), dtype=float)
        if net.shape != (n,):
            raise DataError(f"rail_distance returned {net.shape} values for {n} trips")
        good = np.isfinite(net)
        rail_km[good] = net[good]
        # a distance function may say how it measures (TrackDistance: along tracks)
        rail_method[good] = getattr(rail_distance, "method", Method.RAIL_NETWORK)
    rail_method[~np.isfinite(rail_km)] = None
    rail = rail_intermodal_cost(
        rail_km,
        access_km=access["road_km"],
        access_time_min=access["time_min"],
        egress_km=egress["road_km"],
        egress_time_min=egress["time_min"],
        params=params,
    )
    mode = choose_mode(road["road_cost"], rail["rail_cost"])
    basis: object = "stations as given by the caller"
    if "station_basis" in stations.columns and len(stations):
        # each end says which rule made its station freight-capable (one text when both agree)
        lookup = stations.drop_duplicates("station_name").set_index("station_name")["station_basis"]
        ob = o_st["station_name"].map(lookup).to_numpy(dtype=object)
        db = d_st["station_name"].map(lookup).to_numpy(dtype=object)
        basis = [
            a if a == b else f"origin: {a}; destination: {b}" if isinstance(a, str) else None
            for a, b in zip(ob, db, strict=True)
        ]
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "road_km": road_km,
                    "road_time_min": road_min,
                    "method": method,
                    "origin_station": o_st["station_name"],
                    "access_km": access["road_km"],
                    "destination_station": d_st["station_name"],
                    "egress_km": egress["road_km"],
                    "rail_km": rail_km,
                    "rail_method": rail_method,
                    "station_basis": basis,
                }
            ),
            road,
            rail,
            mode,
        ],
        axis=1,
    )
    frame.index = od.index
    return frame


def cost_matrix(
    points: pd.DataFrame,
    *,
    stations: pd.DataFrame,
    params: pd.DataFrame | None = None,
    value: str = "best",
    rail_distance=None,
    road: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """All-pairs logistics cost between county seats (yuan per tonne).

    Parameters
    ----------
    points
        Table with ``adcode``, ``seat_lon``, ``seat_lat`` and optionally ``province``.
    stations, params, rail_distance
        As in :func:`od_logistics_cost`.
    value
        ``"best"`` (cheaper of the two modes), ``"road"`` or ``"rail"``.
    road
        Routed road figures for every ordered pair, origins major (``road_km``,
        ``road_time_min``, ``method``; e.g. a travel-time matrix of the seats on a
        road network); pairs without a figure keep the crow-fly estimate.

    Returns
    -------
    pandas.DataFrame
        Square matrix indexed and columned by ``adcode``; diagonal 0. Road legs
        are routed where ``road`` gives them, else crow-fly estimates (labelled in
        :func:`od_logistics_cost`).
    """
    for col in ("adcode", "seat_lon", "seat_lat"):
        if col not in points.columns:
            raise DataError(f"county table lacks column {col!r}")
    if value not in ("best", "road", "rail"):
        raise DataError(f"value must be best, road or rail, got {value!r}")
    codes = points["adcode"].astype(str).to_numpy()
    if len(set(codes)) != len(codes):
        raise DataError("county table has duplicated adcodes")
    n = len(points)
    oi = np.repeat(np.arange(n), n)
    di = np.tile(np.arange(n), n)
    od = pd.DataFrame(
        {
            "origin_lon": points["seat_lon"].to_numpy(float)[oi],
            "origin_lat": points["seat_lat"].to_numpy(float)[oi],
            "destination_lon": points["seat_lon"].to_numpy(float)[di],
            "destination_lat": points["seat_lat"].to_numpy(float)[di],
        }
    )
    if "province" in points.columns:
        od["province"] = points["province"].to_numpy()[oi]
    if road is not None:
        if len(road) != len(od):
            raise DataError(f"road figures for {len(road)} pairs, expected {len(od)} (every ordered pair)")
        for col in ("road_km", "road_time_min", "method"):
            od[col] = road[col].to_numpy()
    res = od_logistics_cost(od, stations=stations, params=params, rail_distance=rail_distance)
    if value == "road":
        vals = res["road_cost"].to_numpy()
    elif value == "rail":
        vals = res["rail_cost"].to_numpy()
    else:
        vals = np.fmin(res["road_cost"].to_numpy(), res["rail_cost"].to_numpy())
    mat = vals.reshape(n, n)
    np.fill_diagonal(mat, 0.0)
    return pd.DataFrame(mat, index=pd.Index(codes, name="origin"), columns=pd.Index(codes, name="destination"))


def break_even_road_km(
    *,
    access_km: float = 0.0,
    egress_km: float = 0.0,
    rail_per_road: float = 1.0,
    road_speed_kph: float = 80.0,
    province: str | None = None,
    params: pd.DataFrame | None = None,
) -> float:
    """Road distance beyond which rail intermodal is cheaper than road, from the parameters.

    Both costs are linear in distance (:func:`road_freight_cost`,
    :func:`rail_intermodal_cost`), so the crossing is solved exactly from two
    evaluations.

    Parameters
    ----------
    access_km, egress_km
        Truck legs between the seats and their freight stations (charged at
        least ``drayage_min_km`` each; driven at ``road_speed_kph``).
    rail_per_road
        Rail km per road km between the two places (1.0: as long as the road).
    road_speed_kph
        Car speed giving the road time (truck time is × ``truck_time_factor``).
    province
        Toll row (``None``: ``toll_yuan_per_vkm_default``).
    params
        Parameter table (default: the shipped one).

    Returns
    -------
    float
        Road km of the break-even; ``inf`` when rail never gets cheaper.
    """
    if not (road_speed_kph > 0 and rail_per_road > 0):
        raise DataError("road_speed_kph and rail_per_road must be positive")
    d = np.array([100.0, 200.0])
    road = road_freight_cost(d, d / road_speed_kph * 60.0, province=province, params=params)["road_cost"].to_numpy()
    rail = rail_intermodal_cost(
        d * rail_per_road,
        access_km=access_km,
        access_time_min=access_km / road_speed_kph * 60.0,
        egress_km=egress_km,
        egress_time_min=egress_km / road_speed_kph * 60.0,
        params=params,
    )["rail_cost"].to_numpy()
    gap = rail - road  # linear in d: rail's fixed costs minus road's lower slope
    slope = (gap[1] - gap[0]) / (d[1] - d[0])
    if slope >= 0:
        return float("inf")
    return float(d[0] - gap[0] / slope)
