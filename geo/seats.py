"""County seats: where each county's government sits, and how we know.

The seat point comes from ``cpca``'s ``adcodes.csv`` (AMap district centres,
i.e. the county government, in GCJ-02). ``cpca`` predates several boundary
reforms, so a unit created or renamed since (即墨市 370282 → 即墨区 370215,
临安市 → 临安区, 莱城区 → 莱芜区 …) has no row under its current code, although
``cpca`` still holds its government under the *old* code. :func:`county_seats`
looks the seat up in this order and records which one it used:

1. the current adcode;
2. the unit's previous code: a ``cpca`` unit in the same prefecture whose name
   has the same stem (临安市 for 临安区, 邹平县 for 邹平市) or, for the few
   renames a stem cannot find, an entry of :data:`PREVIOUS_CODES`;
3. the polygon's pole of inaccessibility — a synthetic seat, labelled so.

A point is used only if it lies inside the unit's current polygon (a stale
point of a split unit falls outside it and is not used).
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from countylink.geo.coords import gcj02_to_wgs84

#: current adcode -> (previous adcode in cpca, why). Only renames whose old name
#: has a different stem; same-stem renames (即墨市 → 即墨区) are found by rule.
PREVIOUS_CODES: dict[str, tuple[str, str]] = {
    # 2021: 余杭区 split; the old 余杭区 government (临平街道) is in today's 临平区
    "330113": ("330110", "seat of the former 余杭区 government, in 临平 (2021 split of 余杭区)"),
    # 2019: 莱芜市 merged into 济南; 莱城区 became 莱芜区
    "370116": ("371202", "莱城区 became 莱芜区 when 莱芜市 merged into 济南市 (2019)"),
    # 2019: 钢城区 moved from 莱芜市 (371203) to 济南市 (370117)
    "370117": ("371203", "钢城区 of the former 莱芜市 (2019)"),
}

SEAT_CURRENT = "cpca {version} adcodes.csv {code} (AMap district centre = county government, GCJ-02 → WGS-84)"
SEAT_PREVIOUS = (
    "cpca {version} adcodes.csv {code} {old_name}, the unit's code before {why} "
    "(AMap district centre = county government, GCJ-02 → WGS-84)"
)
SEAT_POLE = "synthetic: pole of inaccessibility of the polygon (no seat of this unit in cpca {version})"

#: ``seat_kind`` values: where a seat came from
SEAT_KINDS = ("cpca", "cpca_previous_code", "synthetic")


def cpca_table() -> tuple[pd.DataFrame, str]:
    """``cpca``'s county-level units: adcode (6 digits) -> name, lon, lat (GCJ-02); and cpca's version."""
    import cpca

    path = Path(cpca.__file__).resolve().parent / "resources" / "adcodes.csv"
    df = pd.read_csv(path, dtype={"adcode": str, "name": str})
    df = df[df["adcode"].str.endswith("000000")].copy()
    df["adcode"] = df["adcode"].str[:6]
    df = df.drop_duplicates("adcode").set_index("adcode")[["name", "longitude", "latitude"]]
    return df, metadata.version("cpca")


def _stem(name: str) -> str:
    from countylink.geo.registry import normalise_name

    return normalise_name(name)


def _previous_code(adcode: str, name: str, cpca_units: pd.DataFrame, stems: pd.Series) -> tuple[str, str] | None:
    if adcode in PREVIOUS_CODES:
        return PREVIOUS_CODES[adcode]
    same_prefecture = stems.index.str[:4] == adcode[:4]
    hits = stems.index[same_prefecture & (stems.to_numpy() == _stem(name))]
    hits = [h for h in hits if h != adcode]
    if len(hits) == 1:
        return hits[0], f"it became {name} {adcode}"
    return None


def county_seats(counties: gpd.GeoDataFrame) -> pd.DataFrame:
    """Seat point of every county-level unit with where it came from.

    Parameters
    ----------
    counties
        ``adcode``, ``name`` and WGS-84 polygon ``geometry``.

    Returns
    -------
    DataFrame
        Index-aligned with ``counties``: ``seat_lon``, ``seat_lat`` (WGS-84, 6
        decimals), ``seat_kind`` (:data:`SEAT_KINDS`), ``seat_source`` (the
        sentence a planner reads, naming the ``cpca`` code and any rename).
    """
    units, version = cpca_table()
    stems = units["name"].map(_stem)
    n = len(counties)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    kind = np.full(n, "synthetic", dtype=object)
    source = np.full(n, SEAT_POLE.format(version=version), dtype=object)
    geoms = counties.geometry.to_numpy()
    for i, (adcode, name) in enumerate(zip(counties["adcode"], counties["name"])):
        candidates: list[tuple[str, str, str]] = []
        if adcode in units.index:
            candidates.append((adcode, "cpca", SEAT_CURRENT.format(version=version, code=adcode)))
        prev = _previous_code(adcode, name, units, stems)
        if prev is not None and prev[0] in units.index:
            old, why = prev
            text = SEAT_PREVIOUS.format(version=version, code=old, old_name=units.at[old, "name"], why=why)
            candidates.append((old, "cpca_previous_code", text))
        for code, k, text in candidates:
            x, y = gcj02_to_wgs84(
                float(np.asarray(units.at[code, "longitude"])), float(np.asarray(units.at[code, "latitude"]))
            )
            # a point outside today's polygon is stale (the unit was split or moved): not used
            if geoms[i] is not None and shapely.contains_xy(geoms[i], float(x), float(y)):
                lon[i], lat[i], kind[i], source[i] = float(x), float(y), k, text
                break
    synthetic = kind == "synthetic"
    for i in np.flatnonzero(synthetic).tolist():
        pole = shapely.ops.polylabel(_largest_part(geoms[i]), tolerance=0.001)
        lon[i], lat[i] = pole.x, pole.y
    return pd.DataFrame(
        {"seat_lon": np.round(lon, 6), "seat_lat": np.round(lat, 6), "seat_kind": kind, "seat_source": source},
        index=counties.index,
    )


def _largest_part(geom):
    if geom.geom_type == "MultiPolygon":
        return max(geom.geoms, key=lambda g: g.area)
    return geom
