"""Pairing programmes and the ``pairs`` layer.

Registries ship as CSV in ``data/programmes/`` (schema in its README): one row
per pair with both adcodes, a ``status`` (``confirmed`` / ``named`` /
``inferred``) and a ``source``. Users may load their own registry CSV in the
same schema.

The ``pairs`` layer has one row per pair:

=================== =========================================================
column              meaning
=================== =========================================================
programme, pair_id  programme id and ``<programme>:<helped_adcode>``
helper_*, helped_*  adcode, name, prefecture of each side
status, source      from the registry
crowfly_km          great-circle distance between the two county seats
helper_<ind> ...    each side's indicators with ``_year`` / ``_source`` / ``_unit``
gdp_ratio           helper GDP / helped GDP where both are known
gdp_ratio_years     the two GDP years the ratio uses (``2024/2024``)
geometry            LineString helper seat -> helped seat (None if no helper)
=================== =========================================================
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from countylink.errors import DataError, NotFoundError
from countylink.files import read_csv_table
from countylink.geo.crs import WGS84, haversine_m
from countylink.geo.registry import county_registry
from countylink.layers.schemas import validate_layer

PROGRAMME_DIR = Path(__file__).resolve().parents[1] / "data" / "programmes"
REGISTRY_COLUMNS = ["programme", "helper_adcode", "helper_name", "helped_adcode", "helped_name", "status", "source"]
STATUSES = ("confirmed", "named", "inferred")

#: programme id -> (province key, description)
PROGRAMMES: dict[str, tuple[str, str]] = {
    "shandong-2024": (
        "shandong",
        "Shandong 强县产业帮扶弱县: 10 strong counties help the 10 lowest-GDP counties (Sept 2024)",
    ),
    "zhejiang-2023": (
        "zhejiang",
        "Zhejiang 工业大县结对山区县: 18 industrial counties paired with 18 mountain counties (2023)",
    ),
}

#: indicators copied onto both sides of each pair
PAIR_INDICATORS = ("gdp", "resident_pop", "gdp_per_capita", "budget_revenue")


def programme_province(programme: str) -> str:
    """Province key of a shipped programme."""
    if programme not in PROGRAMMES:
        raise NotFoundError(f"unknown programme {programme!r}; known: {', '.join(PROGRAMMES)}")
    return PROGRAMMES[programme][0]


def load_registry(programme: str | None = None, *, path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Read a programme registry and check it.

    Parameters
    ----------
    programme
        A shipped programme id (``shandong-2024``, ``zhejiang-2023``).
    path
        A user's registry CSV instead (same schema).

    Raises
    ------
    NotFoundError
        Unknown programme or missing file.
    DataError
        Missing columns, unknown or malformed adcodes, a county helped twice,
        an unknown ``status``.
    """
    if path is None:
        if programme is None:
            raise NotFoundError("name a programme or a registry file")
        programme_province(programme)
        path = PROGRAMME_DIR / f"{programme}.csv"
    p = Path(path)
    if not p.is_file():
        raise NotFoundError(f"registry file not found: {p}")
    df = read_csv_table(p, what="registry", dtype=str, keep_default_na=False)
    missing = [c for c in REGISTRY_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"registry {p}: missing column(s) {', '.join(missing)}")
    if df.empty:
        raise DataError(f"registry {p}: no pairs")
    df = df[REGISTRY_COLUMNS].apply(lambda s: s.str.strip())
    bad_status = sorted(set(df["status"]) - set(STATUSES))
    if bad_status:
        raise DataError(f"registry {p}: unknown status {', '.join(bad_status)}; use {', '.join(STATUSES)}")
    if (df["helped_adcode"] == "").any():
        raise DataError(f"registry {p}: every pair needs a helped_adcode")
    reg = county_registry()
    codes = pd.concat([df["helper_adcode"], df["helped_adcode"]])
    codes = codes[codes != ""]
    malformed = sorted({c for c in codes if not (len(c) == 6 and c.isdigit())})
    if malformed:
        raise DataError(f"registry {p}: malformed adcode(s) {', '.join(malformed[:10])} (6 digits expected)")
    unknown = sorted(set(codes) - set(reg["adcode"]))
    if unknown:
        raise DataError(f"registry {p}: unknown adcode(s) {', '.join(unknown[:10])}")
    dup = df.duplicated(["programme", "helped_adcode"], keep=False)  # one helper per helped county
    if dup.any():
        raise DataError(
            f"registry {p}: duplicated helped_adcode {', '.join(sorted(set(df.loc[dup, 'helped_adcode'])))}"
        )
    same = df["helper_adcode"] == df["helped_adcode"]
    if same.any():
        raise DataError(f"registry {p}: a county cannot help itself ({', '.join(df.loc[same, 'helped_adcode'])})")
    if programme is not None:
        df = df[df["programme"] == programme]
        if df.empty:
            raise DataError(f"registry {p}: no rows for programme {programme}")
    return validate_layer("registry", df.reset_index(drop=True), source=f"registry {p}:")


def build_pairs(
    programme: str | None = None,
    *,
    counties: gpd.GeoDataFrame,
    registry: pd.DataFrame | None = None,
    indicators: tuple[str, ...] = PAIR_INDICATORS,
) -> gpd.GeoDataFrame:
    """Build the ``pairs`` layer of a programme.

    Parameters
    ----------
    programme
        Shipped programme id; ignored when ``registry`` is given.
    counties
        The counties layer (:func:`countylink.layers.counties.counties_layer`)
        covering both sides of every pair.
    registry
        A registry table (:func:`load_registry`), for user-supplied pairs.
    indicators
        Indicators to copy onto both sides.

    Returns
    -------
    GeoDataFrame
        Schema in the module docstring, EPSG:4326.
    """
    reg = load_registry(programme) if registry is None else registry
    c = counties.set_index("adcode")
    missing = sorted((set(reg["helped_adcode"]) | set(reg["helper_adcode"]) - {""}) - set(c.index))
    if missing:
        raise DataError(f"counties layer lacks adcode(s) {', '.join(missing)}: load their province")
    out = reg.copy()
    out["pair_id"] = out["programme"] + ":" + out["helped_adcode"]
    # pandas-stubs type a nested replacement value as a scalar, and None is not one
    out = out.replace({"helper_adcode": {"": None}, "helper_name": {"": None}})  # type: ignore[arg-type]
    for side in ("helper", "helped"):
        codes = out[f"{side}_adcode"]
        known = codes.notna()
        out[f"{side}_name"] = np.where(known, codes.map(c["name"]), out[f"{side}_name"])
        out[f"{side}_prefecture"] = codes.map(c["prefecture"])
        out[f"{side}_seat_lon"] = codes.map(c["seat_lon"])
        out[f"{side}_seat_lat"] = codes.map(c["seat_lat"])
        # where the seat came from, so a planner sees which figures start at a synthetic seat
        for col in ("seat_kind", "seat_source"):
            if col in c.columns:
                out[f"{side}_{col}"] = codes.map(c[col])
        for ind in indicators:
            for suffix in ("", "_year", "_source", "_unit"):
                col = f"{ind}{suffix}"
                out[f"{side}_{col}"] = codes.map(c[col]) if col in c.columns else np.nan
    out["crowfly_km"] = np.round(
        haversine_m(out["helper_seat_lon"], out["helper_seat_lat"], out["helped_seat_lon"], out["helped_seat_lat"])
        / 1000.0,
        1,
    )
    both = out["helper_gdp"].notna() & out["helped_gdp"].notna()
    out["gdp_ratio"] = np.where(both, out["helper_gdp"] / out["helped_gdp"], np.nan).round(2)
    out["gdp_ratio_years"] = (
        (out["helper_gdp_year"].astype(str) + "/" + out["helped_gdp_year"].astype(str)).astype(object).where(both, None)
    )
    has_helper = out["helper_adcode"].notna().to_numpy()
    lines = np.full(len(out), None, dtype=object)
    lines[has_helper] = shapely.linestrings(
        np.stack(
            [
                out.loc[has_helper, ["helper_seat_lon", "helper_seat_lat"]].to_numpy(float),
                out.loc[has_helper, ["helped_seat_lon", "helped_seat_lat"]].to_numpy(float),
            ],
            axis=1,
        )
    )
    front = [
        "programme",
        "pair_id",
        "helper_adcode",
        "helper_name",
        "helper_prefecture",
        "helped_adcode",
        "helped_name",
        "helped_prefecture",
        "status",
        "source",
        "crowfly_km",
        "gdp_ratio",
        "gdp_ratio_years",
    ]
    rest = [col for col in out.columns if col not in front]
    return validate_layer("pairs", gpd.GeoDataFrame(out[front + rest], geometry=lines, crs=WGS84))


def join_pair_columns(pairs: gpd.GeoDataFrame, table: pd.DataFrame) -> gpd.GeoDataFrame:
    """A new pairs layer with the columns of ``table`` joined on ``pair_id``.

    Columns of ``pairs`` with the same name are replaced; pairs missing from
    ``table`` get NaN. ``pairs`` itself is not changed.

    Raises
    ------
    DataError
        If ``table`` has no ``pair_id`` column or lists a pair twice.
    """
    if "pair_id" not in table.columns:
        raise DataError("the table to join onto the pairs layer has no pair_id column")
    if table["pair_id"].duplicated().any():
        raise DataError("the table to join onto the pairs layer lists a pair_id twice")
    by_pair = table.set_index("pair_id")
    out = pairs.copy()
    for col in by_pair.columns:
        out[col] = out["pair_id"].map(by_pair[col])
    return out
