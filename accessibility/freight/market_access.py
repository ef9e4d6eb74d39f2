"""Economic pull: market access (market potential) of counties and the share a partner provides.

Market access of county *i* is the size of the other counties' economies,
discounted by what it costs to reach them::

    MA_i = Σ_{j ≠ i} M_j · f(c_ij)

with ``M_j`` a mass (GDP or resident population, with its source and year) and
``c_ij`` a travel cost (here normally the cheaper-mode freight cost in yuan per
tonne from :func:`countylink.accessibility.freight.cost.cost_matrix`).

Decay functions
---------------
``power`` (default): ``f(c) = c^-γ`` with :data:`DEFAULT_GAMMA` = 1, the
classic market-potential form of Harris (1954, "The market as a factor in the
localization of industry in the United States", *Annals of the Association of
American Geographers* 44(4):315-348), who divided each market's size by its
transport cost. ``exponential``: ``f(c) = exp(-β c)``; :data:`DEFAULT_BETA`
is a chosen half-life (weight halves every ``ln 2 / β`` units of cost, 50
yuan/t by default — about 110 km of road haulage at the default rates), an
assumption to override, not an estimate.

The county itself is left out (its own market has no inter-county cost), so a
pair's *share* — the helper's term over the helped county's total — says how
much of the helped county's reachable outside economy the helper is.
Counties without a mass are left out of the sums and counted
(``n_partners``, ``mass_coverage``): with thin data (Shandong in the offline
pack) the figures describe the covered counties only, and say so.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from countylink.errors import DataError, NotFoundError

#: Harris (1954) market potential: inverse cost.
DEFAULT_GAMMA = 1.0
#: Exponential decay rate per yuan/t: half-life 50 yuan/t (assumption).
DEFAULT_BETA = math.log(2) / 50.0
DECAYS = ("power", "exponential")


def decay_weights(cost, *, decay: str = "power", gamma: float = DEFAULT_GAMMA, beta: float = DEFAULT_BETA):
    """Distance-decay weights ``f(c)`` for an array or frame of costs.

    Raises
    ------
    DataError
        On an unknown decay, a negative parameter or negative costs.
    """
    if decay not in DECAYS:
        raise DataError(f"decay must be one of {DECAYS}, got {decay!r}")
    arr = np.asarray(cost, dtype=float)
    if np.any(arr[np.isfinite(arr)] < 0):
        raise DataError("travel costs must not be negative")
    if decay == "power":
        if not np.isfinite(gamma) or gamma < 0:
            raise DataError(f"power decay exponent gamma must be ≥ 0, got {gamma!r}")
        with np.errstate(divide="ignore"):
            w = np.where(arr > 0, np.power(np.where(arr > 0, arr, 1.0), -gamma), np.nan)
    else:
        if not np.isfinite(beta) or beta < 0:
            raise DataError(f"exponential decay rate beta must be ≥ 0, got {beta!r}")
        w = np.exp(-beta * arr)
    if isinstance(cost, pd.DataFrame):
        return pd.DataFrame(w, index=cost.index, columns=cost.columns)
    return w


def _check_matrix(cost: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(cost, pd.DataFrame):
        raise DataError("cost must be a square DataFrame indexed and columned by adcode")
    idx = cost.index.astype(str)
    cols = cost.columns.astype(str)
    if set(idx) != set(cols) or len(idx) != len(cols):
        raise DataError("cost matrix must be square with the same adcodes as rows and columns")
    out = cost.copy()
    out.index, out.columns = idx, cols
    return out.loc[idx, idx]


def market_access(
    cost: pd.DataFrame,
    mass: pd.Series,
    *,
    decay: str = "power",
    gamma: float = DEFAULT_GAMMA,
    beta: float = DEFAULT_BETA,
) -> pd.DataFrame:
    """Market access of every county in a cost matrix.

    Parameters
    ----------
    cost
        Square matrix of travel costs (rows origins, columns destinations,
        adcodes as labels), e.g. yuan per tonne.
    mass
        Size of each county's economy (GDP, population) indexed by adcode; NaN
        or absent counties are not counted as destinations.
    decay, gamma, beta
        Distance decay (see module docstring).

    Returns
    -------
    pandas.DataFrame
        Indexed by adcode: ``market_access`` (mass units per cost unit for
        ``power``, mass units for ``exponential``), ``n_partners`` (counties
        with a mass counted), ``mass_coverage`` (share of the other counties
        with a mass), ``decay`` and ``decay_parameter``.
    """
    c = _check_matrix(cost)
    m = _mass(mass, c.index)
    w = decay_weights(c, decay=decay, gamma=gamma, beta=beta).to_numpy(copy=True)
    np.fill_diagonal(w, 0.0)
    has = np.isfinite(m)
    terms = np.where(has[None, :] & np.isfinite(w), w * np.where(has, m, 0.0)[None, :], 0.0)
    n_partners = (has[None, :] & np.isfinite(w) & ~np.eye(len(m), dtype=bool)).sum(axis=1)
    others = max(len(m) - 1, 1)
    return pd.DataFrame(
        {
            "market_access": terms.sum(axis=1),
            "n_partners": n_partners,
            "mass_coverage": n_partners / others,
            "decay": decay,
            "decay_parameter": gamma if decay == "power" else beta,
        },
        index=pd.Index(c.index, name="adcode"),
    )


def _mass(mass: pd.Series, index: pd.Index) -> np.ndarray:
    if not isinstance(mass, pd.Series):
        raise DataError("mass must be a Series indexed by adcode")
    m = pd.to_numeric(mass, errors="coerce")
    m.index = m.index.astype(str)
    if m.index.duplicated().any():
        raise DataError(f"mass has duplicated adcodes: {sorted(set(m.index[m.index.duplicated()]))}")
    if (m.dropna() < 0).any():
        raise DataError("masses (GDP, population) must not be negative")
    return m.reindex(index).to_numpy(float)


def market_access_share(
    counties,
    partners,
    cost: pd.DataFrame,
    mass: pd.Series,
    *,
    decay: str = "power",
    gamma: float = DEFAULT_GAMMA,
    beta: float = DEFAULT_BETA,
) -> pd.DataFrame:
    """For each county, the share of its market access that one partner county provides.

    Parameters
    ----------
    counties
        Adcodes whose market access is measured (for a pairing programme the
        helped counties); missing entries give NaN figures. When a Series,
        its index is kept on the result.
    partners
        One partner adcode per county (the helpers); a missing partner gives
        NaN contribution and share.
    cost, mass, decay, gamma, beta
        As in :func:`market_access`.

    Returns
    -------
    pandas.DataFrame
        ``market_access`` (of the county), ``partner_contribution`` (partner
        mass × decay of the county→partner cost), ``market_access_share``
        (0–1) and ``mass_coverage`` (of the county).

    Raises
    ------
    NotFoundError
        If a county or partner is not in the cost matrix.
    DataError
        If ``counties`` and ``partners`` differ in length.
    """
    index = counties.index if isinstance(counties, pd.Series) else None
    helped = [None if pd.isna(w) else w for w in np.asarray(counties, dtype=object)]
    helper = [None if pd.isna(h) else h for h in np.asarray(partners, dtype=object)]
    if len(helped) != len(helper):
        raise DataError(f"{len(helped)} counties but {len(helper)} partners")
    c = _check_matrix(cost)
    ma = market_access(c, mass, decay=decay, gamma=gamma, beta=beta)
    m = pd.Series(_mass(mass, c.index), index=c.index)
    known = set(c.index)
    for code in list(helped) + list(helper):
        if code not in (None, "") and str(code) not in known:
            raise NotFoundError(f"county {code} is not in the cost matrix")
    rows = []
    for h, w in zip(helper, helped, strict=True):
        if w in (None, ""):
            rows.append((np.nan, np.nan, np.nan, np.nan))
            continue
        w = str(w)
        total = float(np.asarray(ma.at[w, "market_access"]))
        coverage = float(np.asarray(ma.at[w, "mass_coverage"]))
        if h in (None, ""):
            rows.append((total, np.nan, np.nan, coverage))
            continue
        h = str(h)
        weight = float(decay_weights(np.array([c.at[w, h]]), decay=decay, gamma=gamma, beta=beta)[0])
        contrib = m[h] * weight if np.isfinite(m[h]) else np.nan
        share = contrib / total if total > 0 and np.isfinite(contrib) else np.nan
        rows.append((total, contrib, share, coverage))
    return pd.DataFrame(
        rows,
        columns=["market_access", "partner_contribution", "market_access_share", "mass_coverage"],
        index=index,
    )
