"""Travel estimates without a road network: great-circle distance × detour ÷ speed.

When no road graph is loaded, every travel figure in countylink comes from
this module and carries ``method="crowfly_estimate"`` so nobody mistakes it
for a routed time (routed figures carry ``method="osm_network"``).

**Stable API (committed early for the pairs layer):**
``crowfly_travel(lon1, lat1, lon2, lat2, *, detour=DEFAULT_DETOUR,
speed_kph=DEFAULT_SPEED_KPH)`` returns a DataFrame with columns
``distance_km, road_km, time_min, method``, vectorised over arrays/Series.

Parameters and their sources
----------------------------
Detour (circuity) factor, road distance ÷ great-circle distance:
    Published circuity factors for national road networks lie mostly between
    1.2 and 1.4 (Ballou, Rahardja & Sakai 2002, "Selected country circuity
    factors for road travel distance estimation", *Transportation Research
    Part A* 36(9):843-848; Giacomin & Levinson 2015, "Road network circuity
    in metropolitan areas", *Environment and Planning B* 42(6):1040-1053).
    Inter-county trips in the North China Plain (Shandong) are at the low end,
    mountain counties (southern Zhejiang, the Yimeng hills) at the high end.
    :data:`DEFAULT_DETOUR` = 1.3 is the middle of that range. It is an
    assumption, not a measurement for any particular pair: when a road graph is
    available, use :func:`countylink.accessibility.road.travel_time.travel_time_matrix`.
Average door-to-door speed:
    Inter-county car trips in Shandong and Zhejiang mix expressway running
    (legal maximum 120 km/h, minimum 60 km/h: Road Traffic Safety Law
    Implementing Regulations of the PRC, art. 78) with first/second-class
    highways and urban streets at each end (design speeds 60-100 km/h:
    JTG B01-2014 《公路工程技术标准》 table 3.5.1; 30-70 km/h legal limits on
    roads without speed signs: same Regulations, art. 45). :data:`DEFAULT_SPEED_KPH`
    = 80 km/h is the assumed door-to-door average of such a mix.
    Check against the seed report (Shandong 2024 field report, seed 000):
    山亭区–即墨区 "about 4 hours by car"; great-circle ≈ 300 km gives
    300 × 1.3 / 80 ≈ 4.9 h with the defaults, so the defaults are, if
    anything, conservative (slower) for expressway-connected pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from countylink.errors import DataError
from countylink.geo.crs import EARTH_RADIUS_M, haversine_m
from countylink.methods import Method

#: Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM = EARTH_RADIUS_M / 1000.0
#: Default circuity factor (road km per great-circle km); see module docstring.
DEFAULT_DETOUR = 1.3
#: Default average door-to-door speed for inter-county car trips, km/h.
DEFAULT_SPEED_KPH = 80.0

ArrayLike = float | Sequence[float] | np.ndarray | pd.Series


def great_circle_km(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> np.ndarray:
    """Great-circle (haversine) distance in km between WGS-84 points, vectorised.

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        Degrees; scalars or equal-length arrays (broadcast by NumPy).

    Returns
    -------
    numpy.ndarray
        Distances in km (NaN where any coordinate is NaN).
    """
    return haversine_m(lon1, lat1, lon2, lat2) / 1000.0


def crowfly_travel(
    lon1: ArrayLike,
    lat1: ArrayLike,
    lon2: ArrayLike,
    lat2: ArrayLike,
    *,
    detour: float = DEFAULT_DETOUR,
    speed_kph: float = DEFAULT_SPEED_KPH,
) -> pd.DataFrame:
    """Estimate road distance and car travel time from straight-line distance.

    ``road_km = distance_km × detour`` and ``time_min = road_km / speed_kph × 60``.
    Missing coordinates give NaN figures (never an exception), so pairs with an
    unknown helper keep their row.

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        WGS-84 degrees of the two ends; scalars, arrays or Series of equal length.
        When ``lon1`` is a Series its index is kept on the result.
    detour
        Circuity factor (≥ 1); default :data:`DEFAULT_DETOUR` (see module docstring).
    speed_kph
        Average door-to-door speed (> 0); default :data:`DEFAULT_SPEED_KPH`.

    Returns
    -------
    pandas.DataFrame
        Columns ``distance_km`` (great-circle), ``road_km``, ``time_min`` and
        ``method`` (always ``"crowfly_estimate"``).

    Raises
    ------
    DataError
        If ``detour`` < 1 or ``speed_kph`` ≤ 0, or the inputs have different lengths.

    Examples
    --------
    >>> est = crowfly_travel([117.0], [36.0], [118.0], [36.0])
    >>> round(float(est.distance_km[0])), round(float(est.road_km[0])), est.method[0]
    (90, 117, 'crowfly_estimate')
    """
    if not np.isfinite(detour) or detour < 1.0:
        raise DataError(f"detour factor must be a number ≥ 1, got {detour!r}")
    if not np.isfinite(speed_kph) or speed_kph <= 0:
        raise DataError(f"speed_kph must be a positive number, got {speed_kph!r}")
    index = lon1.index if isinstance(lon1, pd.Series) else None
    arrays = [np.atleast_1d(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2)]
    try:
        arrays = list(np.broadcast_arrays(*arrays))
    except ValueError as exc:
        raise DataError(f"coordinate arrays have different lengths: {[len(a) for a in arrays]}") from exc
    dist = great_circle_km(*arrays)
    road = dist * detour
    frame = pd.DataFrame(
        {
            "distance_km": dist,
            "road_km": road,
            "time_min": road / speed_kph * 60.0,
            "method": Method.CROWFLY_ESTIMATE,
        },
        index=index if index is not None and len(index) == len(dist) else None,
    )
    return frame


def crowfly_matrix(
    origins: pd.DataFrame,
    destinations: pd.DataFrame,
    *,
    detour: float = DEFAULT_DETOUR,
    speed_kph: float = DEFAULT_SPEED_KPH,
) -> pd.DataFrame:
    """All-pairs crow-fly estimate with the same columns as the routed matrix.

    Parameters
    ----------
    origins, destinations
        Tables with columns ``id``, ``lon``, ``lat`` (WGS-84).
    detour, speed_kph
        As in :func:`crowfly_travel`.

    Returns
    -------
    pandas.DataFrame
        One row per (origin, destination): ``origin_id``, ``destination_id``,
        ``time_s``, ``distance_m`` (estimated road metres), ``snap_m`` (0: no
        snapping) and ``method="crowfly_estimate"``, like
        :func:`countylink.accessibility.road.travel_time.travel_time_matrix`.
    """
    for name, frame in (("origins", origins), ("destinations", destinations)):
        missing = {"id", "lon", "lat"} - set(frame.columns)
        if missing:
            raise DataError(f"{name} lack column(s) {sorted(missing)}; need id, lon, lat")
    n_o, n_d = len(origins), len(destinations)
    oi = np.repeat(np.arange(n_o), n_d)
    di = np.tile(np.arange(n_d), n_o)
    est = crowfly_travel(
        origins["lon"].to_numpy(float)[oi],
        origins["lat"].to_numpy(float)[oi],
        destinations["lon"].to_numpy(float)[di],
        destinations["lat"].to_numpy(float)[di],
        detour=detour,
        speed_kph=speed_kph,
    )
    return pd.DataFrame(
        {
            "origin_id": origins["id"].to_numpy()[oi],
            "destination_id": destinations["id"].to_numpy()[di],
            "time_s": est["time_min"].to_numpy() * 60.0,
            "distance_m": est["road_km"].to_numpy() * 1000.0,
            "snap_m": 0.0,
            "method": Method.CROWFLY_ESTIMATE,
        }
    )
