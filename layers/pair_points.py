"""Picking trip ends out of a pairs layer, and naming trip results after the pair's ends.

``accessibility`` knows nothing about the pairs layer: its functions take
plain origin/destination inputs (point tables ``id, lon, lat``, adcode
arrays, origin–destination tables). This module is the one place that reads
the pairs layer's columns for them (helper seat → helped seat, see the pairs
schema in ``CONTRIBUTING.md``) and turns their ``origin_*`` / ``destination_*``
results back into ``helper_*`` / ``helped_*`` columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from countylink.accessibility.freight.market_access import market_access_share
from countylink.accessibility.freight.scenario import station_scenario
from countylink.accessibility.rail.gaps import od_rail_metrics
from countylink.accessibility.rail.service import RailRouter
from countylink.errors import DataError

#: Trip end -> pairs-layer prefix: trips run from the helper's seat to the helped county's seat.
END_PREFIX: dict[str, str] = {"origin": "helper", "destination": "helped"}


def _numeric(pairs: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(pairs[column], errors="coerce").to_numpy(float)


def pair_endpoints(pairs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Origin (helper seat) and destination (helped seat) point tables of a pairs layer.

    Returns
    -------
    (origins, destinations)
        Two tables with ``id`` (the ``pair_id``), ``adcode``, ``lon``, ``lat``
        (WGS-84; NaN for an unknown helper), index-aligned with ``pairs``.
    """
    ids = pairs["pair_id"].to_numpy() if "pair_id" in pairs.columns else np.arange(len(pairs))
    ends = []
    for prefix in END_PREFIX.values():
        ends.append(
            pd.DataFrame(
                {
                    "id": ids,
                    "adcode": pairs[f"{prefix}_adcode"].to_numpy(),
                    "lon": _numeric(pairs, f"{prefix}_seat_lon"),
                    "lat": _numeric(pairs, f"{prefix}_seat_lat"),
                },
                index=pairs.index,
            )
        )
    return ends[0], ends[1]


def pair_od(pairs: pd.DataFrame) -> pd.DataFrame:
    """Origin–destination table of a pairs layer for the freight cost functions.

    Helper seat -> helped seat as ``origin_lon``/``origin_lat``/
    ``destination_lon``/``destination_lat`` and the helped county's province
    prefix (``province``, for tolls), index-aligned with ``pairs``.
    """
    origins, destinations = pair_endpoints(pairs)
    return pd.DataFrame(
        {
            "origin_lon": origins["lon"].to_numpy(),
            "origin_lat": origins["lat"].to_numpy(),
            "destination_lon": destinations["lon"].to_numpy(),
            "destination_lat": destinations["lat"].to_numpy(),
            "province": pairs["helped_adcode"].astype(str).str[:2].to_numpy(),
        },
        index=pairs.index,
    )


def pair_trips(pairs: pd.DataFrame) -> pd.DataFrame:
    """:func:`pair_od` plus both ends' adcodes (``origin_adcode``, ``destination_adcode``)."""
    od = pair_od(pairs)
    od.insert(0, "destination_adcode", pairs["helped_adcode"].to_numpy())
    od.insert(0, "origin_adcode", pairs["helper_adcode"].to_numpy())
    return od


def pair_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Rename ``origin_*`` / ``destination_*`` columns of trip-end results to ``helper_*`` / ``helped_*``.

    Only the trip-end columns listed by ``trip_end_columns`` are renamed; cost
    columns such as ``origin_station`` keep their names.
    """
    return frame.rename(columns=trip_end_columns(frame.columns))


def trip_end_columns(columns) -> dict[str, str]:
    """``{origin_x: helper_x, destination_x: helped_x}`` for the trip-end columns among ``columns``."""
    ends = ("adcode", "gap_class", "rail_station", "rail_station_km", "gap_before", "gap_after")
    mapping = {}
    for end, prefix in END_PREFIX.items():
        for name in ends:
            if f"{end}_{name}" in columns:
                mapping[f"{end}_{name}"] = f"{prefix}_{name}"
    return mapping


def pair_rail_metrics(
    pairs: pd.DataFrame,
    gaps: pd.DataFrame,
    router: RailRouter,
    stations: pd.DataFrame,
) -> pd.DataFrame:
    """Add rail columns to a pairs table (returns a copy).

    :func:`~countylink.accessibility.rail.gaps.od_rail_metrics` for helper →
    helped; its ``origin_*`` / ``destination_*`` end columns become
    ``helper_*`` / ``helped_*`` (``helper_gap_class``, ``helper_rail_station``,
    ``helper_rail_station_km`` …); ``rail_road_ratio`` uses the pairs'
    ``road_time_min`` when present.
    """
    metrics = od_rail_metrics(
        pairs["helper_adcode"],
        pairs["helped_adcode"],
        gaps=gaps,
        router=router,
        stations=stations,
        road_time_min=pairs["road_time_min"] if "road_time_min" in pairs.columns else None,
    )
    metrics = pair_columns(metrics)
    out = pairs.copy()
    for column in metrics.columns:
        out[column] = metrics[column]
    return out


def pair_station_scenario(pairs: pd.DataFrame, **scenario) -> pd.DataFrame:
    """:func:`~countylink.accessibility.freight.scenario.station_scenario` for the pairs of a programme.

    Trips run helper seat → helped seat (:func:`pair_trips`); keyword
    arguments are those of ``station_scenario``. Returns the pairs where
    something changes: ``pair_id``, ``helper_adcode``, ``helper_name``,
    ``helped_adcode``, ``helped_name``, ``helper_gap_before`` / ``_after``,
    ``helped_gap_before`` / ``_after`` and the cost ``*_before`` / ``*_after``
    columns; ``attrs["scenario"]`` as ``station_scenario`` sets it.
    """
    changed = pair_columns(station_scenario(pair_trips(pairs), **scenario))
    picked = pairs.loc[changed.index]
    names = pd.DataFrame(
        {
            "pair_id": picked.get("pair_id"),
            "helper_adcode": changed["helper_adcode"],
            "helper_name": picked.get("helper_name"),
            "helped_adcode": changed["helped_adcode"],
            "helped_name": picked.get("helped_name"),
        },
        index=changed.index,
    )
    out = pd.concat([names, changed.drop(columns=["helper_adcode", "helped_adcode"])], axis=1)
    out.attrs["scenario"] = changed.attrs["scenario"]
    return out.reset_index(drop=True)


def pair_market_access_share(pairs: pd.DataFrame, cost: pd.DataFrame, mass: pd.Series, **decay) -> pd.DataFrame:
    """For each pair, the share of the helped county's market access its helper provides.

    :func:`~countylink.accessibility.freight.market_access.market_access_share`
    with the helped counties measured and the helpers as partners (a missing
    helper gives NaN figures); ``decay`` takes its ``decay``, ``gamma``, ``beta``.

    Returns
    -------
    pandas.DataFrame
        Index-aligned with ``pairs``: ``helped_market_access``,
        ``helper_contribution``, ``market_access_share`` and ``helped_mass_coverage``.
    """
    for column in ("helper_adcode", "helped_adcode"):
        if column not in pairs.columns:
            raise DataError(f"pairs table lacks column {column!r}")
    share = market_access_share(pairs["helped_adcode"], pairs["helper_adcode"], cost, mass, **decay)
    return share.rename(
        columns={
            "market_access": "helped_market_access",
            "partner_contribution": "helper_contribution",
            "mass_coverage": "helped_mass_coverage",
        }
    )
