"""Choropleth classes for county indicators (mapclassify), with no-data kept apart.

Missing values are never classed: they get class ``<NA>`` and are drawn in the
no-data colour, so an unknown GDP is not shown as a small one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import mapclassify
import numpy as np
import pandas as pd

from countylink.errors import DataError

#: Scheme names accepted by :func:`classify` -> (mapclassify class, label used in legends).
SCHEMES: dict[str, tuple[type, str]] = {
    "quantiles": (mapclassify.Quantiles, "quantiles"),
    # Fisher–Jenks is the exact optimum of Jenks natural breaks (deterministic,
    # unlike mapclassify.NaturalBreaks' k-means start)
    "natural_breaks": (mapclassify.FisherJenks, "natural breaks (Fisher–Jenks)"),
    "equal_interval": (mapclassify.EqualInterval, "equal interval"),
}

#: ColorBrewer YlGnBu, 9 classes (sequential, colour-blind safe).
YLGNBU_9 = ["#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58"]
#: Fill for counties without a value: neutral grey, outside the colour ramp.
NO_DATA_COLOUR = "#bdbdbd"


@dataclass(frozen=True)
class Classification:
    """Result of :func:`classify`."""

    classes: pd.Series  # Int64 class index per county, <NA> where the value is missing
    bins: list[float]  # upper bound of each class
    lower: float  # minimum observed value (lower bound of the first class)
    colours: list[str]  # one colour per class
    scheme: str  # human label of the scheme
    n_missing: int

    def colour_of(self, label) -> str:
        """Fill colour for a row label (no-data colour when missing)."""
        c = self.classes.get(label, pd.NA)
        return NO_DATA_COLOUR if pd.isna(c) else self.colours[int(c)]

    def class_labels(self, fmt=lambda v: f"{v:,.4g}") -> list[str]:
        """``"lo – hi"`` text for each class."""
        lows = [self.lower, *self.bins[:-1]]
        return [f"{fmt(lo)} – {fmt(hi)}" for lo, hi in zip(lows, self.bins)]


def palette(k: int) -> list[str]:
    """``k`` colours spread over YlGnBu (light = low)."""
    if not 1 <= k <= len(YLGNBU_9):
        raise DataError(f"number of classes must be 1–{len(YLGNBU_9)}, got {k}")
    idx = np.round(np.linspace(0, len(YLGNBU_9) - 1, k)).astype(int) if k > 1 else [4]
    return [YLGNBU_9[i] for i in idx]


def classify(values: pd.Series, *, scheme: str = "quantiles", k: int = 5) -> Classification:
    """Class a numeric indicator with a named mapclassify scheme.

    Parameters
    ----------
    values
        One value per county (missing values allowed).
    scheme
        ``"quantiles"``, ``"natural_breaks"`` (Fisher–Jenks) or ``"equal_interval"``.
    k
        Number of classes; reduced to the number of distinct values when
        there are fewer.

    Returns
    -------
    Classification
        Class per row (``<NA>`` for missing values), upper bounds, colours.

    Raises
    ------
    DataError
        Unknown scheme, non-numeric values, or no value at all.
    """
    if scheme not in SCHEMES:
        raise DataError(f"unknown classification scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    try:
        numeric = pd.to_numeric(values, errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"indicator {values.name!r} is not numeric: {exc}") from None
    present = numeric.dropna()
    if present.empty:
        raise DataError(f"indicator {values.name!r} has no values to classify")
    k = max(1, min(k, present.nunique()))
    cls, label = SCHEMES[scheme]
    if k == 1:
        bins = [float(present.max())]
        yb = np.zeros(len(present), dtype=int)
    else:
        with warnings.catch_warnings():
            # mapclassify's Fisher–Jenks falls back to pure Python without numba: fine for counties
            warnings.filterwarnings("ignore", message="Numba not installed")
            fitted = cls(present.to_numpy(), k=k)
        bins = [float(b) for b in fitted.bins]
        yb = np.asarray(fitted.yb, dtype=int)
    classes = pd.Series(pd.NA, index=numeric.index, dtype="Int64")
    classes.loc[present.index] = yb
    return Classification(
        classes=classes,
        bins=bins,
        lower=float(present.min()),
        colours=palette(len(bins)),
        scheme=label,
        n_missing=int(numeric.isna().sum()),
    )
