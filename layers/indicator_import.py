"""The indicator registry and the strict importer of a user's indicator file.

The registry gives each indicator its canonical unit, plausible range and the
units it converts from. :func:`read_indicator_csv` checks a user's file against
it: names are matched case-insensitively (``GDP`` is ``gdp``), a value in another
unit of the same quantity is converted (万元 -> 亿元, 人 -> 万人), anything else is
refused with the file, the problem and its line numbers.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from countylink.errors import DataError
from countylink.files import read_csv_table
from countylink.geo.registry import county_registry, match_county_names
from countylink.layers.schemas import validate_layer

#: columns of the long indicator table (see :mod:`countylink.layers.indicators`)
LONG_COLUMNS = ["adcode", "indicator", "value", "unit", "year", "source"]


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator: canonical unit, description, and the plausible range of a county's value."""

    unit: str
    description: str
    low: float = 0.0
    high: float = math.inf


#: canonical indicator -> spec. Upper bounds are generous sanity limits for one county-level unit
#: (Kunshan's 2024 GDP is about 5,300 亿元, Pudong's about 17,000 亿元).
REGISTRY: dict[str, IndicatorSpec] = {
    "gdp": IndicatorSpec("100m yuan", "GDP (地区生产总值), 亿元", 0, 100_000),
    "gdp_primary": IndicatorSpec("100m yuan", "primary sector value added (第一产业), 亿元", 0, 100_000),
    "gdp_secondary": IndicatorSpec("100m yuan", "secondary sector value added (第二产业), 亿元", 0, 100_000),
    "gdp_tertiary": IndicatorSpec("100m yuan", "tertiary sector value added (第三产业), 亿元", 0, 100_000),
    "gdp_per_capita": IndicatorSpec("yuan", "GDP per resident (人均GDP), 元", 0, 10_000_000),
    "resident_pop": IndicatorSpec("10k persons", "resident population (常住人口), 万人", 0, 3_000),
    "budget_revenue": IndicatorSpec("100m yuan", "general public budget revenue (一般公共预算收入), 亿元", 0, 100_000),
    "road_km": IndicatorSpec("km", "road length inside the county (境内公路里程), km", 0, 100_000),
    "expressway_km": IndicatorSpec("km", "expressway length (高速公路里程), km", 0, 10_000),
    "road_freight": IndicatorSpec("10k t", "road and waterway freight volume (公路、水路货运量), 万吨", 0, 1_000_000),
}

#: canonical unit -> {spelling of a unit of the same quantity: factor to the canonical unit}
UNIT_FACTORS: dict[str, dict[str, float]] = {
    "100m yuan": {"100m yuan": 1.0, "亿元": 1.0, "亿": 1.0, "10k yuan": 1e-4, "万元": 1e-4, "yuan": 1e-8, "元": 1e-8},
    "yuan": {"yuan": 1.0, "元": 1.0, "10k yuan": 1e4, "万元": 1e4},
    "10k persons": {"10k persons": 1.0, "万人": 1.0, "persons": 1e-4, "人": 1e-4},
    "km": {"km": 1.0, "公里": 1.0, "千米": 1.0, "m": 1e-3, "米": 1e-3},
    "10k t": {"10k t": 1.0, "万吨": 1.0, "t": 1e-4, "吨": 1e-4},
}

#: earliest plausible statistical year (the People's Republic's first)
FIRST_YEAR = 1949


def canonical_indicator(name: str) -> str | None:
    """The registry name of ``name`` (case and surrounding space ignored), or None."""
    key = str(name).strip().lower()
    return key if key in REGISTRY else None


def unit_factor(indicator: str, unit: str) -> float | None:
    """Factor from ``unit`` to ``indicator``'s canonical unit (None: not a unit of that quantity)."""
    spec = REGISTRY.get(indicator)
    if spec is None:
        return 1.0 if unit.strip() else None
    factors = UNIT_FACTORS.get(spec.unit, {spec.unit: 1.0})
    return factors.get(unit.strip(), factors.get(unit.strip().lower()))


def _long(df: pd.DataFrame) -> pd.DataFrame:
    out = df[LONG_COLUMNS].copy()
    out["adcode"] = out["adcode"].astype(str)
    out["value"] = out["value"].astype(float)
    out["year"] = out["year"].astype(int)
    return out.reset_index(drop=True)


def read_indicator_csv(
    path: str | os.PathLike,
    *,
    provinces=("shandong", "zhejiang"),
    allow: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Read a user's indicator file in the long schema, strictly.

    Required columns: ``indicator``, ``value``, ``year``, ``source`` and
    ``adcode`` or ``name`` (optionally with ``prefecture``); ``unit`` defaults
    to the indicator's canonical unit. UTF-8 or GB18030/GBK text.

    Every row must hold a known indicator (:data:`REGISTRY`,
    case ignored, or one named in ``allow``), a finite value in the indicator's
    plausible range, a whole-number year from 1949 to this year, a unit of the
    indicator's quantity (converted: 万元 -> 亿元, 人 -> 万人 ...), a source, and a
    county: a known adcode, a matched name, and the two agreeing when both
    are given. A row with an empty value is refused rather than dropped (a
    dropped row would let an older data-pack figure show instead).

    Parameters
    ----------
    path
        The CSV file.
    provinces
        Provinces whose counties the file may name.
    allow
        Indicator names outside the registry to import as they are (their
        unit is taken as given; no range check).

    Returns
    -------
    DataFrame
        Long form (:data:`LONG_COLUMNS`); ``attrs["report"]`` counts rows read
        and values converted per unit.

    Raises
    ------
    DataError
        Naming the file, the problem and its line numbers (the first few problems).
    """
    from datetime import date

    p = Path(path)
    df = read_csv_table(p, what="indicator file", dtype=str, keep_default_na=False)
    df.columns = [str(c).strip().lower() for c in df.columns]
    need = ["indicator", "value", "year", "source"]
    missing = [c for c in need if c not in df.columns]
    if not {"adcode", "name"} & set(df.columns):
        missing.append("adcode or name")
    if missing:
        raise DataError(f"indicator file {p}: missing column(s) {', '.join(missing)}")
    if df.empty:
        raise DataError(f"indicator file {p} has a header but no rows")

    def cell(col: str) -> pd.Series:
        return df[col].astype(str).str.strip() if col in df.columns else pd.Series("", index=df.index, dtype=str)

    problems: list[str] = []

    def refuse(mask: pd.Series, what: str, shown: pd.Series | None = None) -> None:
        if mask.any():
            idx = df.index[mask.to_numpy()]
            items = [f"{i + 2}" + (f" ({shown.at[i]!r})" if shown is not None else "") for i in idx[:5]]
            more = f" and {len(idx) - 5} more" if len(idx) > 5 else ""
            problems.append(f"{what} on line {', '.join(items)}{more}")

    allowed_extra = {a.strip().lower() for a in allow}
    indicator = cell("indicator").str.lower()
    known = indicator.isin(list(REGISTRY))
    refuse(
        ~known & ~indicator.isin(allowed_extra),
        f"unknown indicator (known: {', '.join(REGISTRY)}; allow another explicitly)",
        cell("indicator"),
    )
    raw_value = cell("value")
    value = pd.to_numeric(raw_value, errors="coerce").astype(float)
    refuse(raw_value == "", "empty value (give the figure or remove the row)")
    refuse((raw_value != "") & value.isna(), "non-numeric value", raw_value)
    finite = value.abs() < np.inf
    refuse(value.notna() & ~finite, "non-finite value", raw_value)
    raw_year = cell("year")
    year = pd.to_numeric(raw_year, errors="coerce").astype(float)
    last = date.today().year
    refuse(
        ~((year.abs() < np.inf) & (year % 1 == 0) & year.between(FIRST_YEAR, last)),
        f"year must be a whole number from {FIRST_YEAR} to {last}",
        raw_year,
    )
    refuse(cell("source") == "", "empty source (say where the figure comes from)")
    unit_given = cell("unit")
    canonical_unit = indicator.map(lambda i: REGISTRY[i].unit if i in REGISTRY else "")
    unit_in = unit_given.where(unit_given != "", canonical_unit)
    factor = pd.Series(
        [unit_factor(i, u) if i in REGISTRY else 1.0 for i, u in zip(indicator, unit_in, strict=True)],
        index=df.index,
        dtype=float,
    )
    refuse(
        known & factor.isna(), "unit is not one of the indicator's quantity (e.g. 亿元, 万元, 万人, 人, km)", unit_in
    )
    value = value * factor
    low = indicator.map(lambda i: REGISTRY[i].low if i in REGISTRY else -np.inf).astype(float)
    high = indicator.map(lambda i: REGISTRY[i].high if i in REGISTRY else np.inf).astype(float)
    refuse(
        known & (value.abs() < np.inf) & ((value < low) | (value > high)),
        "value outside the indicator's plausible range (GDP >= 0 ...; check the unit)",
        raw_value,
    )
    codes = _county_codes(df, cell, provinces, refuse)
    if problems:
        more = f"; and {len(problems) - 4} more problem(s)" if len(problems) > 4 else ""
        raise DataError(f"indicator file {p}: {'; '.join(problems[:4])}{more}")
    out = pd.DataFrame(
        {
            "adcode": codes,
            "indicator": indicator,
            "value": value,
            "unit": np.where(known, canonical_unit, unit_in),
            "year": year.astype(int),
            "source": cell("source"),
        }
    )
    dup = out.duplicated(["adcode", "indicator", "year"], keep=False)
    if dup.any():
        d = out[dup].iloc[0]
        raise DataError(
            f"indicator file {p}: {int(dup.sum())} duplicated county/indicator/year rows "
            f"(first: {d['adcode']} {d['indicator']} {d['year']})"
        )
    converted = unit_in[known & (factor != 1.0)]
    by_unit = {str(u): int(n) for u, n in converted.value_counts().items()}
    report = {"rows": len(out), "converted": by_unit}
    if by_unit:
        what = ", ".join(f"{n} from {u}" for u, n in by_unit.items())
        warnings.warn(f"indicator file {p}: values converted to the canonical units ({what})", stacklevel=2)
    long = validate_layer("indicators", _long(out), source=f"indicator file {p}:")
    long.attrs["report"] = report
    return long


def _county_codes(df: pd.DataFrame, cell, provinces, refuse) -> pd.Series:
    """Each row's adcode: the given code, else the matched name; refuse unknown, unmatched and disagreeing ones."""
    reg = county_registry(provinces)
    codes, names = cell("adcode"), cell("name")
    refuse((codes == "") & (names == ""), "no county (adcode and name both empty)")
    refuse((codes != "") & ~codes.isin(set(reg["adcode"])), "unknown adcode", codes)
    by_name = pd.Series(None, index=df.index, dtype=object)
    named = names != ""
    if named.any():
        prefectures = cell("prefecture")[named] if "prefecture" in df.columns else None
        m = match_county_names(names[named], registry=reg, prefectures=prefectures)
        by_name[named] = m["adcode"].to_numpy()
    refuse((codes == "") & named & by_name.isna(), "county name not matched (add a prefecture or the adcode)", names)
    refuse(
        (codes != "") & by_name.notna() & (codes != by_name),
        "adcode and name disagree (fix one of them)",
        codes + " " + names,
    )
    return codes.where(codes != "", by_name)


def replace_report(base: pd.DataFrame, user: pd.DataFrame) -> int:
    """How many data-pack values (same county, indicator and year) a user's table replaces."""
    keys = ["adcode", "indicator", "year"]
    return len(base[keys].merge(user[keys].drop_duplicates(), on=keys))
