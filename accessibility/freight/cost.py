"""Generalised freight cost between counties: road haulage against rail intermodal.

Every figure is in **yuan per tonne** of goods moved door to door between two
county seats, and every parameter comes from one table,
``countylink/data/logistics_parameters.csv`` (shipped with the package), with
its unit, source, year and a ``confidence`` grade. Users override any value
(:func:`load_parameters` ``overrides=`` or their own CSV); unknown names,
missing names and negative values are errors.

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
passes one, else great-circle × ``rail_detour_factor`` (``rail_method =
"greatcircle_detour"``).

Freight-capable stations
------------------------
The offline data pack has **no freight attributes** for stations or lines.
:func:`freight_station_proxy` therefore uses a documented proxy: stations that
conventional passenger trains (K, Z and N classes in the national timetable)
stop at lie on conventional lines, which in China carry mixed passenger and
freight traffic; stations served only by G/D/C (high-speed) trains do not
handle freight. Every result carries ``station_basis`` saying so. A user with
a real list of freight stations (货运站) passes it instead (a boolean
``freight`` column).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from countylink.accessibility.road.crowfly import crowfly_travel, great_circle_km
from countylink.errors import DataError, NotFoundError

#: The parameter table shipped with the package.
PARAMETERS_PATH = Path(__file__).resolve().parents[2] / "data" / "logistics_parameters.csv"

#: Columns every parameter table must have.
PARAMETER_COLUMNS = ("parameter", "value", "unit", "description", "source", "year", "confidence")

#: Parameters the cost model needs (the provincial toll rows are optional
#: ``toll_yuan_per_vkm_<province key>``; the default row is required).
REQUIRED_PARAMETERS = (
    "road_rate_yuan_per_tkm",
    "truck_payload_t",
    "toll_yuan_per_vkm_default",
    "expressway_share",
    "value_of_time_yuan_per_t_h",
    "rail_base_yuan_per_t",
    "rail_rate_yuan_per_tkm",
    "rail_construction_fund_yuan_per_tkm",
    "rail_detour_factor",
    "rail_speed_kph",
    "rail_terminal_dwell_h",
    "handling_yuan_per_t_per_end",
    "drayage_rate_yuan_per_tkm",
    "drayage_min_km",
    "truck_time_factor",
)

TOLL_PREFIX = "toll_yuan_per_vkm_"

# Parameters that must be strictly positive (they divide or scale distances).
_POSITIVE = ("truck_payload_t", "rail_detour_factor", "rail_speed_kph", "truck_time_factor")
# Parameters that are fractions.
_FRACTIONS = ("expressway_share",)

#: ``station_basis`` label of :func:`freight_station_proxy`.
FREIGHT_PROXY_BASIS = "proxy: station served by conventional K/Z/N trains (the data has no freight attributes)"

ROUTED = "osm_network"
ESTIMATED = "crowfly_estimate"
RAIL_NETWORK = "rail_network"
RAIL_GREATCIRCLE = "greatcircle_detour"


# ---------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------


def _is_known_parameter(name: str) -> bool:
    if name in REQUIRED_PARAMETERS:
        return True
    if name.startswith(TOLL_PREFIX):
        from countylink.geo.provinces import PROVINCES

        return name[len(TOLL_PREFIX) :] in PROVINCES
    return False


def load_parameters(
    path: str | Path | None = None,
    *,
    overrides: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Read and validate the logistics parameter table.

    Parameters
    ----------
    path
        A CSV with columns ``parameter, value, unit, description, source, year,
        confidence``; default the table shipped with countylink
        (:data:`PARAMETERS_PATH`).
    overrides
        ``{parameter: value}`` replacing single values; their ``source`` becomes
        ``"user override"`` and their ``confidence`` ``"user"``.

    Returns
    -------
    pandas.DataFrame
        The table indexed by ``parameter``.

    Raises
    ------
    DataError
        On missing columns, duplicated, unknown or missing parameters,
        non-numeric or negative values (or zero where a value divides).
    NotFoundError
        If ``path`` does not exist.
    """
    src = Path(path) if path is not None else PARAMETERS_PATH
    if not src.is_file():
        raise NotFoundError(f"logistics parameter table not found: {src}")
    try:
        table = pd.read_csv(src, dtype={"parameter": str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read logistics parameter table {src}: {exc}") from exc
    missing_cols = [c for c in PARAMETER_COLUMNS if c not in table.columns]
    if missing_cols:
        raise DataError(f"logistics parameter table {src.name} lacks column(s) {missing_cols}")
    table = table.loc[:, list(PARAMETER_COLUMNS)].copy()
    table["parameter"] = table["parameter"].astype(str).str.strip()
    dup = table["parameter"][table["parameter"].duplicated()].tolist()
    if dup:
        raise DataError(f"logistics parameter(s) listed twice in {src.name}: {sorted(set(dup))}")
    table = table.set_index("parameter")
    table["value"] = pd.to_numeric(table["value"], errors="coerce")
    table["source"] = table["source"].astype(object)
    table["confidence"] = table["confidence"].astype(object)
    if overrides:
        for name, value in overrides.items():
            if not _is_known_parameter(str(name)):
                raise DataError(
                    f"unknown logistics parameter {name!r}; known: {', '.join(REQUIRED_PARAMETERS)} "
                    f"and {TOLL_PREFIX}<province key>"
                )
            try:
                num = float(value)
            except (TypeError, ValueError) as exc:
                raise DataError(f"logistics parameter {name!r} must be a number, got {value!r}") from exc
            if name not in table.index:
                table.loc[name, ["unit", "description"]] = ["yuan/(vehicle·km)", "user-supplied toll"]
            table.loc[name, "value"] = num
            table.loc[name, "source"] = "user override"
            table.loc[name, "confidence"] = "user"
    validate_parameters(table, origin=src.name)
    return table


def validate_parameters(table: pd.DataFrame, *, origin: str = "parameter table") -> None:
    """Check a parameter table (indexed by ``parameter``); raise :class:`DataError` on problems."""
    unknown = [p for p in table.index if not _is_known_parameter(str(p))]
    if unknown:
        raise DataError(f"unknown logistics parameter(s) in {origin}: {unknown}")
    missing = [p for p in REQUIRED_PARAMETERS if p not in table.index]
    if missing:
        raise DataError(f"logistics parameter(s) missing from {origin}: {missing}")
    values = table["value"]
    bad = values.index[~np.isfinite(values.to_numpy(dtype=float))].tolist()
    if bad:
        raise DataError(f"logistics parameter(s) without a numeric value in {origin}: {bad}")
    negative = values.index[values < 0].tolist()
    if negative:
        raise DataError(
            f"logistics parameter(s) must not be negative in {origin}: "
            + ", ".join(f"{p}={values[p]:g}" for p in negative)
        )
    zero = [p for p in _POSITIVE if values[p] <= 0]
    if zero:
        raise DataError(f"logistics parameter(s) must be greater than zero in {origin}: {zero}")
    if values["rail_detour_factor"] < 1:
        raise DataError(f"rail_detour_factor must be ≥ 1 in {origin}, got {values['rail_detour_factor']:g}")
    over = [p for p in _FRACTIONS if values[p] > 1]
    if over:
        raise DataError(f"logistics parameter(s) must be a fraction between 0 and 1 in {origin}: {over}")


def _values(params: pd.DataFrame | None) -> dict[str, float]:
    if params is None:
        params = load_parameters()
    elif not isinstance(params, pd.DataFrame) or "value" not in params.columns:
        raise DataError("params must be a table from load_parameters()")
    else:
        validate_parameters(params)
    return {str(k): float(v) for k, v in params["value"].items()}


def toll_rate(values: Mapping[str, float], province: str | None) -> float:
    """Class-6 truck toll (yuan per vehicle-km) for a province key, name or adcode.

    Falls back to ``toll_yuan_per_vkm_default`` when the province has no row.
    """
    if province is None or (isinstance(province, float) and math.isnan(province)) or str(province) == "":
        return values["toll_yuan_per_vkm_default"]
    from countylink.geo.provinces import province_key

    text = str(province)
    key = province_key(text[:2] if text[:2].isdigit() else text)
    return values.get(TOLL_PREFIX + key, values["toll_yuan_per_vkm_default"])


# ---------------------------------------------------------------------------
# Cost components
# ---------------------------------------------------------------------------


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
        Table from :func:`load_parameters` (default: the shipped table).

    Returns
    -------
    pandas.DataFrame
        ``road_linehaul``, ``road_toll``, ``road_time_cost``, ``road_cost``
        (yuan/t) and ``road_truck_h``.
    """
    v = _values(params)
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
        Table from :func:`load_parameters`.

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
    v = _values(params)
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
    mode = np.where(~np.isfinite(road), None, np.where(rail_ok & (rail < road), "rail", "road"))
    saving = np.abs(road - rail)
    dearer = np.maximum(road, rail)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(dearer > 0, saving / dearer * 100.0, np.nan)
    return pd.DataFrame({"cheaper_mode": mode.astype(object), "saving_yuan_per_t": saving, "saving_pct": pct})


# ---------------------------------------------------------------------------
# Stations
# ---------------------------------------------------------------------------


def freight_station_proxy(stations: pd.DataFrame, *, min_trains: int = 1) -> pd.DataFrame:
    """Stations treated as freight-capable.

    Parameters
    ----------
    stations
        Station table with ``station_name``, ``lon``, ``lat`` and either a
        boolean ``freight`` column (a user's own list of freight stations, used
        as given) or the service counts of
        :func:`countylink.accessibility.rail.stations.station_service`
        (``n_trains_conventional`` = K + Z + N trains stopping there).
    min_trains
        Fewest conventional trains for the proxy (default 1).

    Returns
    -------
    pandas.DataFrame
        The freight-capable rows with ``station_basis`` saying which rule chose them.

    Notes
    -----
    The proxy is not freight data: conventional lines carry freight in China,
    but not every conventional stop has a freight yard, and freight-only
    stations (no passenger trains) are missed.
    """
    for col in ("station_name", "lon", "lat"):
        if col not in stations.columns:
            raise DataError(f"stations table lacks column {col!r}")
    if "freight" in stations.columns:
        out = stations[stations["freight"].fillna(False).astype(bool)].copy()
        out["station_basis"] = "user-supplied freight flag"
    elif "n_trains_conventional" in stations.columns:
        out = stations[pd.to_numeric(stations["n_trains_conventional"], errors="coerce").fillna(0) >= min_trains].copy()
        out["station_basis"] = FREIGHT_PROXY_BASIS
    else:
        raise DataError(
            "stations need a boolean 'freight' column or the service counts from station_service() "
            "(n_trains_conventional) to pick freight-capable stations"
        )
    if out.empty:
        raise DataError("no freight-capable station in the stations table")
    return pd.DataFrame(out.drop(columns="geometry", errors="ignore")).reset_index(drop=True)


def rail_network_distance(network, *, classes: Iterable[str] = ("K", "Z", "N")):
    """A ``rail_distance`` function over a rail service network.

    Parameters
    ----------
    network
        :func:`countylink.accessibility.rail.service.service_network` graph
        (edges with ``classes`` and straight-line ``km``; ``graph["detour_factor"]``
        scales segment lengths to track length).
    classes
        Train classes whose edges count as freight-capable track (default the
        conventional K/Z/N; high-speed lines carry no freight).

    Returns
    -------
    callable
        ``f(from_names, to_names) -> numpy array of km`` (NaN where the two
        stations are not linked), suitable for :func:`od_logistics_cost`.
    """
    import networkx as nx

    wanted = set(classes)
    sub = nx.Graph()
    for a, b, d in network.edges(data=True):
        km = d.get("km", np.nan)
        if wanted & set(str(d.get("classes", ""))) and np.isfinite(km):
            sub.add_edge(a, b, km=float(km))
    factor = float(network.graph.get("detour_factor", 1.0))
    cache: dict[str, dict[str, float]] = {}

    def distance(from_names, to_names) -> np.ndarray:
        out = np.full(len(from_names), np.nan)
        for k, (a, b) in enumerate(zip(from_names, to_names, strict=True)):
            if a is None or b is None or a not in sub or b not in sub:
                continue
            if a not in cache:
                cache[a] = nx.single_source_dijkstra_path_length(sub, a, weight="km")
            d = cache[a].get(b)
            if d is not None:
                out[k] = d * factor
        return out

    return distance


def nearest_station(lon, lat, stations: pd.DataFrame) -> pd.DataFrame:
    """Nearest station (great-circle) to each point.

    Parameters
    ----------
    lon, lat
        WGS-84 degrees, scalars or arrays.
    stations
        Table with ``station_name``, ``lon``, ``lat``.

    Returns
    -------
    pandas.DataFrame
        ``station_name``, ``station_lon``, ``station_lat``, ``station_gc_km``
        (great-circle km from the point), one row per point; NaN rows for NaN points.
    """
    if stations is None or len(stations) == 0:
        raise DataError("no stations given")
    lon, lat = np.broadcast_arrays(
        np.atleast_1d(np.asarray(lon, dtype=float)), np.atleast_1d(np.asarray(lat, dtype=float))
    )
    slon = stations["lon"].to_numpy(float)
    slat = stations["lat"].to_numpy(float)
    # All-pairs OD tables repeat each seat many times: search once per distinct point.
    pts, inverse = np.unique(np.column_stack([lon, lat]), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    dist = great_circle_km(pts[:, :1], pts[:, 1:], slon[None, :], slat[None, :])
    dist = np.where(np.isfinite(dist), dist, np.inf)
    best = np.argmin(dist, axis=1)
    best_km = dist[np.arange(len(pts)), best]
    idx = best[inverse]
    ok = np.isfinite(lon) & np.isfinite(lat)
    names = stations["station_name"].astype(object).to_numpy()[idx]
    return pd.DataFrame(
        {
            "station_name": np.where(ok, names, None),
            "station_lon": np.where(ok, slon[idx], np.nan),
            "station_lat": np.where(ok, slat[idx], np.nan),
            "station_gc_km": np.where(ok, best_km[inverse], np.nan),
        }
    )


# ---------------------------------------------------------------------------
# Origin–destination costs
# ---------------------------------------------------------------------------


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
        :func:`freight_station_proxy`). An optional ``station_basis`` column is
        carried into the result.
    params
        Table from :func:`load_parameters`.
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
    v = _values(params)
    n = len(od)
    olon, olat, dlon, dlat = (od[c].to_numpy(float) for c in need)

    # Road: routed where given, crow-fly estimate elsewhere.
    est = crowfly_travel(olon, olat, dlon, dlat)
    road_km = est["road_km"].to_numpy().copy()
    road_min = est["time_min"].to_numpy().copy()
    method = np.full(n, ESTIMATED, dtype=object)
    if {"road_km", "road_time_min"} <= set(od.columns):
        rk = pd.to_numeric(od["road_km"], errors="coerce").to_numpy(float)
        rt = pd.to_numeric(od["road_time_min"], errors="coerce").to_numpy(float)
        routed = np.isfinite(rk) & np.isfinite(rt)
        road_km[routed] = rk[routed]
        road_min[routed] = rt[routed]
        if "method" in od.columns:
            given = od["method"].astype(object).to_numpy()
            method[routed] = np.where(pd.isna(given[routed]), ROUTED, given[routed])
        else:
            method[routed] = ROUTED
    province = od["province"].tolist() if "province" in od.columns else None
    road = road_freight_cost(road_km, road_min, province=province, params=params)

    # Rail: nearest proxy freight station at each end.
    o_st = nearest_station(olon, olat, stations)
    d_st = nearest_station(dlon, dlat, stations)
    access = crowfly_travel(olon, olat, o_st["station_lon"], o_st["station_lat"])
    egress = crowfly_travel(d_st["station_lon"], d_st["station_lat"], dlon, dlat)
    gc_rail = great_circle_km(o_st["station_lon"], o_st["station_lat"], d_st["station_lon"], d_st["station_lat"])
    rail_km = gc_rail * v["rail_detour_factor"]
    rail_method = np.full(n, RAIL_GREATCIRCLE, dtype=object)
    if rail_distance is not None and n:
        net = np.asarray(rail_distance(o_st["station_name"].tolist(), d_st["station_name"].tolist()), dtype=float)
        if net.shape != (n,):
            raise DataError(f"rail_distance returned {net.shape} values for {n} trips")
        good = np.isfinite(net)
        rail_km[good] = net[good]
        rail_method[good] = RAIL_NETWORK
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
    basis = (
        stations["station_basis"].iloc[0]
        if "station_basis" in stations.columns and len(stations)
        else "stations as given by the caller"
    )
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

    Returns
    -------
    pandas.DataFrame
        Square matrix indexed and columned by ``adcode``; diagonal 0. Distances
        are crow-fly estimates (labelled in :func:`od_logistics_cost`).
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


def pair_od(pairs: pd.DataFrame) -> pd.DataFrame:
    """Origin/destination table of a pairs layer for the cost functions.

    Helper seat -> helped seat as ``origin_lon``/``origin_lat``/
    ``destination_lon``/``destination_lat`` and the helped county's province
    prefix (``province``, for tolls), index-aligned with ``pairs``.
    """
    return pd.DataFrame(
        {
            "origin_lon": pd.to_numeric(pairs["helper_seat_lon"], errors="coerce").to_numpy(float),
            "origin_lat": pd.to_numeric(pairs["helper_seat_lat"], errors="coerce").to_numpy(float),
            "destination_lon": pd.to_numeric(pairs["helped_seat_lon"], errors="coerce").to_numpy(float),
            "destination_lat": pd.to_numeric(pairs["helped_seat_lat"], errors="coerce").to_numpy(float),
            "province": pairs["helped_adcode"].astype(str).str[:2].to_numpy(),
        },
        index=pairs.index,
    )
