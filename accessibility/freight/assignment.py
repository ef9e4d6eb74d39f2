"""Pairing analysis: the cheapest one-to-one assignment of helpers to helped counties.

A pairing programme assigns each helper county to one helped county. Given a
cost for every possible (helper, helped) pair, the assignment with the lowest
total cost is a linear assignment problem, solved exactly by
:func:`scipy.optimize.linear_sum_assignment` (a Hungarian-type algorithm).

The pair cost (:func:`combined_cost_matrix`) is a weighted sum of components,
each rescaled to 0–1 over the candidate matrix (min–max) so that the weights
are comparable:

``travel``
    Freight cost between the two seats, yuan per tonne (cheaper mode).
``gap``
    ``|ln(GDP_helper / GDP_helped) − ln(target_ratio)|``: how far a pair's
    economic gap is from a target gap. A purely additive "big helper is good"
    term would not change the optimum (every helper and every helped county is
    used exactly once), so the gap enters as a *match* between the two sides.
    The default target is the median ratio over all candidate pairs; the
    ``countylink pairs`` command uses the median of the programme's actual
    pairs, i.e. "keep gaps like the programme's own".
``industry``
    Cosine similarity of the two counties' industry structures from a
    user-supplied county × industry table (output, employment or firm counts);
    a low similarity means the counties complement each other, so the cost is
    the similarity. Skipped when no table is given.

Constraints: ``fixed`` pairs are kept as they are and their counties are
removed from the problem; ``forbidden`` pairs get an infinite cost; when no
complete assignment avoids them, a :class:`~countylink.errors.CountylinkError`
says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypedDict

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from countylink.errors import CountylinkError, DataError, NotFoundError

#: Default component weights of :func:`combined_cost_matrix`.
DEFAULT_WEIGHTS: dict[str, float] = {"travel": 1.0, "gap": 0.5, "industry": 0.5}


class CostInfo(TypedDict):
    """What :func:`combined_cost_matrix` actually used."""

    weights: dict[str, float]  #: weight of each component used, by name
    target_ratio: float | None  #: helper/helped GDP ratio of the gap component (None without it)


def _labels(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.index = out.index.astype(str)
    out.columns = out.columns.astype(str)
    if out.index.duplicated().any() or out.columns.duplicated().any():
        raise DataError("cost matrix has duplicated county codes")
    return out


def _minmax(frame: pd.DataFrame) -> pd.DataFrame:
    arr = frame.to_numpy(float)
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return frame * np.nan
    lo, hi = finite.min(), finite.max()
    scaled = (arr - lo) / (hi - lo) if hi > lo else np.where(np.isfinite(arr), 0.0, arr)
    return pd.DataFrame(scaled, index=frame.index, columns=frame.columns)


def gap_mismatch(
    helper_gdp: pd.Series,
    helped_gdp: pd.Series,
    *,
    target_ratio: float | None = None,
) -> tuple[pd.DataFrame, float]:
    """``|ln(GDP_helper/GDP_helped) − ln(target_ratio)|`` for every candidate pair.

    Returns the matrix (helpers × helped) and the target ratio used.

    Raises
    ------
    DataError
        If a GDP is missing, zero or negative, or the target is not positive.
    """
    h = pd.to_numeric(helper_gdp, errors="coerce")
    w = pd.to_numeric(helped_gdp, errors="coerce")
    h.index, w.index = h.index.astype(str), w.index.astype(str)
    bad = [str(k) for k, v in pd.concat([h, w]).items() if not (np.isfinite(v) and v > 0)]
    if bad:
        raise DataError(f"GDP missing or not positive for {sorted(set(bad))}: the gap term needs it for every county")
    log_ratio = np.log(h.to_numpy())[:, None] - np.log(w.to_numpy())[None, :]
    if target_ratio is None:
        target_ratio = float(np.exp(np.median(log_ratio)))
    if not (np.isfinite(target_ratio) and target_ratio > 0):
        raise DataError(f"target GDP ratio must be positive, got {target_ratio!r}")
    mism = np.abs(log_ratio - np.log(target_ratio))
    return pd.DataFrame(mism, index=h.index, columns=w.index), float(target_ratio)


def industry_similarity(industry: pd.DataFrame, helpers: Iterable[str], helped: Iterable[str]) -> pd.DataFrame:
    """Cosine similarity of industry structures, helpers × helped.

    Parameters
    ----------
    industry
        County × industry table (rows adcodes, columns industries, non-negative
        numbers such as output or employment).

    Raises
    ------
    NotFoundError
        If a county has no row in the table.
    DataError
        On negative or non-numeric values, or an all-zero row.
    """
    tab = industry.copy()
    tab.index = tab.index.astype(str)
    tab = tab.apply(pd.to_numeric, errors="coerce")
    helpers, helped = [str(x) for x in helpers], [str(x) for x in helped]
    missing = [c for c in helpers + helped if c not in tab.index]
    if missing:
        raise NotFoundError(f"county/ies {missing} not in the industry table")
    sub = tab.loc[helpers + helped]
    if sub.isna().any().any():
        raise DataError("industry table has missing or non-numeric values for the paired counties")
    if (sub < 0).any().any():
        raise DataError("industry table values must not be negative")
    norms = np.linalg.norm(sub.to_numpy(float), axis=1)
    if np.any(norms == 0):
        zero = [c for c, n in zip(sub.index, norms, strict=True) if n == 0]
        raise DataError(f"industry table rows are all zero for {zero}")
    unit = sub.to_numpy(float) / norms[:, None]
    a, b = unit[: len(helpers)], unit[len(helpers) :]
    return pd.DataFrame(a @ b.T, index=helpers, columns=helped)


def combined_cost_matrix(
    travel_cost: pd.DataFrame,
    *,
    helper_gdp: pd.Series | None = None,
    helped_gdp: pd.Series | None = None,
    industry: pd.DataFrame | None = None,
    weights: Mapping[str, float] | None = None,
    target_ratio: float | None = None,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], CostInfo]:
    """Weighted pair cost from travel cost, economic gap and industry structure.

    Parameters
    ----------
    travel_cost
        Helpers × helped matrix (rows helper adcodes, columns helped adcodes),
        e.g. freight yuan per tonne.
    helper_gdp, helped_gdp
        GDP by adcode; when both are given the ``gap`` component is used.
    industry
        County × industry table; when given the ``industry`` component is used.
    weights
        ``{"travel": w, "gap": w, "industry": w}`` (defaults
        :data:`DEFAULT_WEIGHTS`); unknown keys or negative weights are errors.
    target_ratio
        Target helper/helped GDP ratio of the gap component.

    Returns
    -------
    (combined, components, info)
        ``combined`` helpers × helped; ``components`` the raw (unscaled)
        matrices by name; ``info`` the weights and target ratio actually used.
    """
    w = dict(DEFAULT_WEIGHTS)
    if weights:
        unknown = set(weights) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise DataError(f"unknown cost weight(s) {sorted(unknown)}; use travel, gap, industry")
        w.update({k: float(v) for k, v in weights.items()})
    neg = [k for k, v in w.items() if not (np.isfinite(v) and v >= 0)]
    if neg:
        raise DataError(f"cost weights must be non-negative numbers: {neg}")
    travel = _labels(travel_cost)
    arr = travel.to_numpy(float)
    if np.any(np.isnan(arr)):
        raise DataError("travel cost matrix has missing values")
    if np.any(arr[np.isfinite(arr)] < 0):
        raise DataError("travel costs must not be negative")
    components: dict[str, pd.DataFrame] = {"travel": travel}
    info: CostInfo = {"weights": {}, "target_ratio": None}
    if helper_gdp is not None and helped_gdp is not None and w["gap"] > 0:
        h = pd.Series(helper_gdp).copy()
        g = pd.Series(helped_gdp).copy()
        h.index, g.index = h.index.astype(str), g.index.astype(str)
        gap, used = gap_mismatch(h.reindex(travel.index), g.reindex(travel.columns), target_ratio=target_ratio)
        components["gap"] = gap
        info["target_ratio"] = used
    if industry is not None and w["industry"] > 0:
        components["industry"] = industry_similarity(industry, travel.index, travel.columns)
    combined = pd.DataFrame(0.0, index=travel.index, columns=travel.columns)
    for name, comp in components.items():
        combined = combined + w[name] * _minmax(comp)
        info["weights"][name] = w[name]
    # keep forbidden (infinite) travel entries infinite
    combined = combined.where(np.isfinite(travel.to_numpy(float)), np.inf)
    return combined, components, info


def _pairs_list(pairs, name: str) -> list[tuple[str, str]]:
    if pairs is None:
        return []
    if isinstance(pairs, pd.DataFrame):
        if not {"helper_adcode", "helped_adcode"} <= set(pairs.columns):
            raise DataError(f"{name} pairs need columns helper_adcode and helped_adcode")
        pairs = zip(pairs["helper_adcode"], pairs["helped_adcode"], strict=True)
    out = []
    for p in pairs:
        if len(p) != 2:
            raise DataError(f"{name} pairs must be (helper, helped) tuples, got {p!r}")
        out.append((str(p[0]), str(p[1])))
    return out


def optimal_assignment(
    cost: pd.DataFrame,
    *,
    fixed: Iterable[tuple[str, str]] | pd.DataFrame | None = None,
    forbidden: Iterable[tuple[str, str]] | pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Lowest-total-cost one-to-one assignment of helpers (rows) to helped counties (columns).

    Parameters
    ----------
    cost
        Helpers × helped cost matrix; ``inf`` marks a pair that is not allowed.
        With more columns than rows some helped counties stay unassigned (and
        vice versa).
    fixed
        (helper, helped) pairs that must be kept.
    forbidden
        (helper, helped) pairs that must not be used.

    Returns
    -------
    pandas.DataFrame
        ``helper_adcode``, ``helped_adcode``, ``cost``, ``fixed`` (bool), one row
        per assigned helper, sorted by helper.

    Raises
    ------
    NotFoundError
        If a fixed or forbidden pair names a county not in the matrix.
    CountylinkError
        If constraints contradict each other (a pair fixed and forbidden, a
        county fixed twice, a fixed pair with infinite cost) or no complete
        assignment avoids the forbidden pairs.
    DataError
        If the matrix has missing (NaN) costs.
    """
    c = _labels(cost).astype(float)
    if c.isna().any().any():
        cells = [(r, k) for r, k in zip(*np.where(c.isna().to_numpy()), strict=True)][:5]
        raise DataError(
            "cost matrix has missing values, e.g. " + ", ".join(f"{c.index[r]}→{c.columns[k]}" for r, k in cells)
        )
    fixed_l = _pairs_list(fixed, "fixed")
    forb_l = _pairs_list(forbidden, "forbidden")
    for h, w in fixed_l + forb_l:
        if h not in c.index:
            raise NotFoundError(f"helper county {h} is not among the helpers")
        if w not in c.columns:
            raise NotFoundError(f"helped county {w} is not among the helped counties")
    both = set(fixed_l) & set(forb_l)
    if both:
        raise CountylinkError(f"pair(s) both fixed and forbidden: {sorted(both)}")
    fh = [h for h, _ in fixed_l]
    fw = [w for _, w in fixed_l]
    dup = {x for x in fh if fh.count(x) > 1} | {x for x in fw if fw.count(x) > 1}
    if dup:
        raise CountylinkError(f"county/ies fixed in more than one pair: {sorted(dup)}")
    for h, w in forb_l:
        c.at[h, w] = np.inf
    rows = []
    for h, w in fixed_l:
        fixed_cost = float(np.asarray(c.at[h, w]))
        if not np.isfinite(fixed_cost):
            raise CountylinkError(f"fixed pair {h}→{w} is not allowed by the cost matrix (infinite cost)")
        rows.append((h, w, fixed_cost, True))
    free = c.drop(index=fh, columns=fw)
    if free.shape[0] and free.shape[1]:
        try:
            r, k = linear_sum_assignment(free.to_numpy())
        except ValueError as exc:
            raise CountylinkError("no complete assignment avoids the forbidden pairs: relax the constraints") from exc
        for i, j in zip(r, k, strict=True):
            rows.append((free.index[i], free.columns[j], float(np.asarray(free.iat[i, j])), False))
    out = pd.DataFrame(rows, columns=["helper_adcode", "helped_adcode", "cost", "fixed"])
    return out.sort_values("helper_adcode", kind="stable").reset_index(drop=True)


def compare_assignments(
    actual: pd.DataFrame,
    optimal: pd.DataFrame,
    cost: pd.DataFrame,
    *,
    travel_cost: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Actual versus optimal partner of each helper, with what the change saves.

    Parameters
    ----------
    actual, optimal
        Tables with ``helper_adcode`` and ``helped_adcode``.
    cost
        The combined cost matrix the optimum minimised (helpers × helped).
    travel_cost
        Optional helpers × helped freight cost (yuan/t) to report in money.

    Returns
    -------
    pandas.DataFrame
        One row per helper: ``helper_adcode``, ``actual_helped_adcode``,
        ``optimal_helped_adcode``, ``changed``, ``actual_cost``,
        ``optimal_cost``, ``cost_saving`` and, with ``travel_cost``,
        ``actual_travel_yuan_per_t``, ``optimal_travel_yuan_per_t``,
        ``travel_saving_yuan_per_t``. Totals are in the ``attrs["totals"]``
        dict.

    Raises
    ------
    NotFoundError
        If an actual pair names a county not in the cost matrix.
    """
    c = _labels(cost)
    t = _labels(travel_cost) if travel_cost is not None else None
    act = {str(h): str(w) for h, w in _pairs_list(actual, "actual")}
    opt = {str(h): str(w) for h, w in _pairs_list(optimal, "optimal")}
    for h, w in act.items():
        if h not in c.index or w not in c.columns:
            raise NotFoundError(f"actual pair {h}→{w} names a county outside the cost matrix")
    helpers = [h for h in c.index if h in act or h in opt]
    rows = []
    for h in helpers:
        a, o = act.get(h), opt.get(h)
        ac = float(np.asarray(c.at[h, a])) if a else np.nan
        oc = float(np.asarray(c.at[h, o])) if o else np.nan
        row = {
            "helper_adcode": h,
            "actual_helped_adcode": a,
            "optimal_helped_adcode": o,
            "changed": a != o,
            "actual_cost": ac,
            "optimal_cost": oc,
            "cost_saving": ac - oc,
        }
        if t is not None:
            at_ = float(np.asarray(t.at[h, a])) if a else np.nan
            ot = float(np.asarray(t.at[h, o])) if o else np.nan
            row.update(
                actual_travel_yuan_per_t=at_,
                optimal_travel_yuan_per_t=ot,
                travel_saving_yuan_per_t=at_ - ot,
            )
        rows.append(row)
    out = pd.DataFrame(rows)
    totals = {
        "pairs": len(out),
        "changed": int(out["changed"].sum()) if len(out) else 0,
        "actual_cost": float(out["actual_cost"].sum()),
        "optimal_cost": float(out["optimal_cost"].sum()),
    }
    totals["cost_saving"] = totals["actual_cost"] - totals["optimal_cost"]
    if t is not None:
        totals["actual_travel_yuan_per_t"] = float(out["actual_travel_yuan_per_t"].sum())
        totals["optimal_travel_yuan_per_t"] = float(out["optimal_travel_yuan_per_t"].sum())
        totals["travel_saving_yuan_per_t"] = totals["actual_travel_yuan_per_t"] - totals["optimal_travel_yuan_per_t"]
    out.attrs["totals"] = totals
    return out
