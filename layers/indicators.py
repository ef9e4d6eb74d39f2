"""County indicators: one long table, every value with its unit, year and source.

Long form (one row per county, indicator and year) keeps provenance exact:

========== ===========================================================
column     meaning
========== ===========================================================
adcode     6-digit county code
indicator  canonical name, see :data:`INDICATORS`
value      float (never a placeholder zero: missing stays missing)
unit       unit of ``value``
year       statistical year (int)
source     where the number comes from (table, page)
========== ===========================================================

:func:`indicators_wide` turns it into the columns the county layer carries:
``<indicator>``, ``<indicator>_year``, ``<indicator>_source``, ``<indicator>_unit``.

Readers
-------
* :func:`read_zhejiang_yearbook` -- Zhejiang Statistical Yearbook 2025 (2024 data),
  tables 17-25/17-26 (via the pack's cleaned CSV), 17-34 (freight) and 17-35 (roads).
* :func:`read_shandong_partial` -- the pack's Shandong figures (mostly third-party
  pages; partial-year and conflicting rows are kept out of the wide table).
* :func:`read_indicator_csv` -- a user's own file in the long schema (the import
  path for official figures), strictly checked: see :mod:`.indicator_import`.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from countylink.files import data_file, read_csv_table
from countylink.geo.registry import county_registry, match_county_names
from countylink.layers.indicator_import import LONG_COLUMNS, REGISTRY, _long
from countylink.layers.indicator_import import read_indicator_csv as read_indicator_csv  # re-exported
from countylink.layers.indicator_import import replace_report as replace_report  # re-exported
from countylink.layers.schemas import validate_layer

#: canonical indicator -> (unit, description); ranges and unit conversions in :mod:`.indicator_import`
INDICATORS: dict[str, tuple[str, str]] = {name: (spec.unit, spec.description) for name, spec in REGISTRY.items()}

ZJ_YEARBOOK = "Zhejiang Statistical Yearbook 2025 (浙江统计年鉴2025), table {table}"


def read_zhejiang_yearbook(*, data: str | os.PathLike | None = None) -> pd.DataFrame:
    """Zhejiang county indicators for 2024 from the data pack's yearbook files.

    Returns
    -------
    DataFrame
        Long form (:data:`LONG_COLUMNS`), 90 counties.
    """
    main = read_csv_table(
        data_file("economy/zhejiang_county_indicators_2024.csv", data=data),
        what="data-pack file",
        dtype={"adcode": str},
    )
    cols = {
        "gdp_100m_yuan": "gdp",
        "primary_100m": "gdp_primary",
        "secondary_100m": "gdp_secondary",
        "tertiary_100m": "gdp_tertiary",
        "gdp_per_capita_yuan": "gdp_per_capita",
        "resident_pop_10k": "resident_pop",
        "general_public_budget_revenue_100m": "budget_revenue",
    }
    frames = []
    for col, ind in cols.items():
        table = "17-26" if col == "resident_pop_10k" else "17-25"
        part = main[["adcode", col, "year"]].rename(columns={col: "value"})
        part = part.assign(indicator=ind, unit=INDICATORS[ind][0], source=ZJ_YEARBOOK.format(table=table))
        frames.append(part.dropna(subset=["value"]))
    reg = county_registry(["zhejiang"])
    frames.append(
        _read_zj_raw_table(
            data_file("economy/zhejiang_yearbook_2025/t17_35_county_road_mileage_post_power_2024.csv", data=data),
            {1: "road_km", 2: "expressway_km"},
            "17-35",
            reg,
        )
    )
    frames.append(
        _read_zj_raw_table(
            data_file("economy/zhejiang_yearbook_2025/t17_34_county_passenger_freight_volume_2024.csv", data=data),
            {3: "road_freight"},
            "17-34",
            reg,
        )
    )
    return _long(pd.concat(frames, ignore_index=True))


def _read_zj_raw_table(path: Path, columns: dict[int, str], table: str, reg: pd.DataFrame) -> pd.DataFrame:
    """Read a raw yearbook CSV (3 header rows, county names in column 0)."""
    raw = read_csv_table(path, what="data-pack file", header=None, skiprows=3, dtype=str)
    raw = raw[raw[0].notna() & (raw[0].str.strip() != "")]
    match = match_county_names(raw[0].str.strip(), registry=reg)
    bad = match["adcode"].isna()
    if bad.any():
        warnings.warn(f"table {table}: {int(bad.sum())} names not matched: {', '.join(raw.loc[bad, 0])}", stacklevel=3)
    frames = []
    for col, ind in columns.items():
        values = pd.to_numeric(raw[col], errors="coerce")
        part = pd.DataFrame(
            {
                "adcode": match["adcode"],
                "value": values,
                "indicator": ind,
                "unit": INDICATORS[ind][0],
                "year": 2024,
                "source": ZJ_YEARBOOK.format(table=table),
            }
        )
        frames.append(part[~bad & values.notna()])
    return pd.concat(frames, ignore_index=True)


# Shandong pack labels -> (indicator, factor to the canonical unit)
_SD_LABELS = {
    r"^GDP\(地区生产总值\)$": ("gdp", {"亿元": 1.0}),
    r"^常住人口": ("resident_pop", {"万人": 1.0, "人": 1e-4}),
    r"^一般公共预算收入$": ("budget_revenue", {"亿元": 1.0}),
}


def read_shandong_partial(*, data: str | os.PathLike | None = None) -> pd.DataFrame:
    """Shandong county figures from the data pack (``economy/shandong_partial``).

    Only full-year values are kept; rows whose year or label says *partial*,
    registered (户籍) rather than resident population, or whose source is
    flagged ``CONFLICT`` are left out, and the number left out is reported.

    Returns
    -------
    DataFrame
        Long form (:data:`LONG_COLUMNS`).
    """
    path = data_file("economy/shandong_partial/sd_county_indicators.csv", data=data)
    raw = read_csv_table(path, what="data-pack file", dtype=str)
    reg = county_registry(["shandong"])
    # "青岛市黄岛区(西海岸新区)" -> drop the bracketed alias before matching
    names = raw["county_name"].str.replace(r"[\(（].*?[\)）]", "", regex=True)
    match = match_county_names(names, registry=reg)
    rows, skipped = [], []
    for i, r in raw.iterrows():
        label, year, src = str(r["indicator"]), str(r["year"]), str(r["source"])
        spec = next((v for k, v in _SD_LABELS.items() if re.search(k, label)), None)
        reason = None
        if not re.fullmatch(r"\d{4}", year.strip()):
            reason = "partial year"
        elif spec is None:
            reason = f"indicator not used ({label})"
        elif "CONFLICT" in src:
            reason = "source flagged CONFLICT"
        elif r["unit"] not in spec[1]:
            reason = f"unit {r['unit']!r}"
        elif match.at[i, "adcode"] is None:
            reason = "county not matched"
        if reason:
            skipped.append((r["county_name"], label, year, reason))
            continue
        assert spec is not None  # no spec sets a reason above
        rows.append(
            {
                "adcode": match.at[i, "adcode"],
                "indicator": spec[0],
                "value": float(r["value"]) * spec[1][r["unit"]],
                "unit": INDICATORS[spec[0]][0],
                "year": int(year),
                "source": f"{src} (via data pack shandong_partial)",
            }
        )
    out = _long(pd.DataFrame(rows, columns=LONG_COLUMNS))
    out.attrs["skipped"] = pd.DataFrame(skipped, columns=["county_name", "indicator", "year", "reason"])
    return out


def default_indicators(*, data: str | os.PathLike | None = None) -> pd.DataFrame:
    """All indicators the data pack provides (Zhejiang yearbook + Shandong partial)."""
    long = pd.concat([read_zhejiang_yearbook(data=data), read_shandong_partial(data=data)], ignore_index=True)
    return validate_layer("indicators", long)


def indicators_wide(long: pd.DataFrame, *, prefer_year: int | None = None) -> pd.DataFrame:
    """Pick one value per county and indicator and spread to columns.

    The value chosen is ``prefer_year`` where present, else the latest year.
    Each indicator gives four columns: ``<ind>``, ``<ind>_year``,
    ``<ind>_source`` and ``<ind>_unit``.

    Returns
    -------
    DataFrame
        Indexed by ``adcode``.
    """
    if long.empty:
        return pd.DataFrame(index=pd.Index([], name="adcode", dtype=str))
    df = long.copy()
    df["_rank"] = df["year"] if prefer_year is None else np.where(df["year"] == prefer_year, 10_000, df["year"])
    df = df.sort_values("_rank").drop_duplicates(["adcode", "indicator"], keep="last")
    parts = []
    for ind, grp in df.groupby("indicator", sort=False):
        g = grp.set_index("adcode")
        parts.append(
            pd.DataFrame(
                {
                    ind: g["value"],
                    f"{ind}_year": g["year"].astype("Int64"),
                    f"{ind}_source": g["source"],
                    f"{ind}_unit": g["unit"] if "unit" in g.columns else INDICATORS.get(str(ind), ("",))[0],
                }
            )
        )
    out = pd.concat(parts, axis=1)
    out.index.name = "adcode"
    return out


def join_report(keys_left: pd.Series, keys_right: pd.Series) -> dict[str, list[str]]:
    """Report a join by adcode: keys only on one side and duplicated keys."""
    left, right = keys_left.astype(str), keys_right.astype(str)
    return {
        "unmatched_left": sorted(set(left) - set(right)),
        "unmatched_right": sorted(set(right) - set(left)),
        "duplicated_left": sorted(left[left.duplicated()].unique()),
        "duplicated_right": sorted(right[right.duplicated()].unique()),
    }
