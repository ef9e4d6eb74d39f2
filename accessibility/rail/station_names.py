"""Station names: normalisation and the rules matching timetable names to coordinate-file names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
from pandas.api.typing import NAType


def normalise_station_name(name: object) -> str:
    """NFKC-normalise, drop all whitespace (full-width spaces included)."""
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name)))


def _strip_trailing_zhan(name: str, known: set[str]) -> str | None:
    if name.endswith("站") and len(name) > 1 and name[:-1] in known:
        return name[:-1]
    return None


def _add_trailing_zhan(name: str, known: set[str]) -> str | None:
    return name + "站" if name + "站" in known else None


def _strip_admin_suffix(name: str, known: set[str]) -> str | None:
    # '蓬莱市' in the timetable, '蓬莱' in the coordinate file
    if len(name) > 2 and name[-1] in "市县" and name[:-1] in known:
        return name[:-1]
    return None


def _county_became_city(name: str, known: set[str]) -> str | None:
    # county-to-city upgrades renamed stations: '沙湾县' (timetable ~2020) -> '沙湾市'
    if name.endswith("县") and name[:-1] + "市" in known:
        return name[:-1] + "市"
    return None


def _strip_brackets(name: str, known: set[str]) -> str | None:
    # '某站(货)' / '某(客)' style annotations
    base = re.sub(r"[（(].*?[)）]$", "", name)
    return base if base != name and base in known else None


#: Rules tried in order after an exact match fails; each maps a name to a
#: known name or ``None``. Only one rule is applied, never chained.
MATCH_RULES: list[tuple[str, Callable[[str, set[str]], str | None]]] = [
    ("strip trailing 站", _strip_trailing_zhan),
    ("add trailing 站", _add_trailing_zhan),
    ("strip bracketed note", _strip_brackets),
    ("strip trailing 市/县", _strip_admin_suffix),
    ("县 renamed 市", _county_became_city),
]


def match_station_names(names: Iterable[str], known: Iterable[str]) -> pd.DataFrame:
    """Match names (e.g. stop-list stations) to ``known`` names (coordinate file).

    Exact (after :func:`normalise_station_name`) first, then each rule in
    :data:`MATCH_RULES` in order.

    Returns
    -------
    pandas.DataFrame
        One row per distinct input name: ``name``, ``matched_name`` (or NA),
        ``rule`` (``exact``, a rule name, or ``unmatched``).
    """
    known_set = {normalise_station_name(k) for k in known}
    out: list[tuple[str, str | NAType, str]] = []
    for raw in dict.fromkeys(names):
        n = normalise_station_name(raw)
        if n in known_set:
            out.append((raw, n, "exact"))
            continue
        for rule, fn in MATCH_RULES:
            hit = fn(n, known_set)
            if hit is not None:
                out.append((raw, hit, rule))
                break
        else:
            out.append((raw, pd.NA, "unmatched"))
    return pd.DataFrame(out, columns=["name", "matched_name", "rule"])
