"""The indicator registry: canonical names, units, plausible ranges and unit conversions.

A user's indicator file is checked against it (:func:`countylink.layers.indicators.read_indicator_csv`):
names are matched case-insensitively (``GDP`` is ``gdp``), a value in another unit of the
same quantity is converted (万元 -> 亿元, 人 -> 万人), anything else is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


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
