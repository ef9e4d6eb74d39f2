"""Logistics cost parameters: the shipped table, user overrides, validation, provincial tolls.

Every parameter comes from one table, ``countylink/data/logistics_parameters.csv``
(shipped with the package), with its unit, source, year and a ``confidence``
grade. Users override any value (:func:`load_parameters` ``overrides=`` or
their own CSV); unknown names, missing names and negative values are errors.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from countylink.errors import DataError, NotFoundError
from countylink.files import read_csv_table

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
    table = read_csv_table(src, what="logistics parameter table", dtype={"parameter": str})
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


def parameter_values(params: pd.DataFrame | None) -> dict[str, float]:
    """``{parameter: value}`` of a checked table (``None``: the shipped table).

    Raises
    ------
    DataError
        If ``params`` is not a :func:`load_parameters` table or fails :func:`validate_parameters`.
    """
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
