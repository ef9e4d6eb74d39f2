"""Indicators: Zhejiang yearbook, Shandong partial figures, user files, the join."""

import numpy as np
import pandas as pd
import pytest

from countylink.errors import DataError
from countylink.geo.registry import county_registry, match_county_names
from countylink.layers.counties import counties_layer
from countylink.layers.indicators import (
    indicators_wide,
    read_indicator_csv,
    read_shandong_partial,
    read_zhejiang_yearbook,
)


def test_zhejiang_yearbook_covers_90_counties(data_dir):
    z = read_zhejiang_yearbook(data=data_dir)
    gdp = z[z["indicator"] == "gdp"].set_index("adcode")["value"]
    assert len(gdp) == 90 and (gdp > 0).all()
    raw = pd.read_csv(data_dir / "economy/zhejiang_county_indicators_2024.csv", dtype={"adcode": str})
    assert np.allclose(gdp.loc[raw["adcode"]].to_numpy(), raw["gdp_100m_yuan"].to_numpy())
    assert (z["year"] == 2024).all()
    assert z["source"].str.contains("Zhejiang Statistical Yearbook 2025").all()
    # road length and freight come from the raw tables 17-35 and 17-34, matched by name
    road = z[z["indicator"] == "road_km"].set_index("adcode")["value"]
    assert road.loc["330109"] == 1901.0  # 萧山区
    assert road.loc["331127"] == 1895.0  # 景宁县 in the table, 景宁畲族自治县 in the registry
    freight = z[z["indicator"] == "road_freight"].set_index("adcode")["value"]
    assert freight.loc["331181"] == 462.0  # 龙泉市


def test_shandong_partial_keeps_full_years_only(data_dir):
    s = read_shandong_partial(data=data_dir)
    skipped = s.attrs["skipped"]
    assert set(skipped["reason"]) >= {"partial year", "source flagged CONFLICT"}
    assert not s["source"].str.contains("CONFLICT").any()
    shanting = s[(s["adcode"] == "370406") & (s["indicator"] == "gdp") & (s["year"] == 2023)]
    assert shanting["value"].item() == pytest.approx(142.54)
    # population given in persons is converted to 10k persons
    pop = s[(s["adcode"] == "370406") & (s["indicator"] == "resident_pop")]
    assert pop["value"].item() == pytest.approx(40.6722)


def test_missing_values_stay_missing(data_dir):
    layer = counties_layer("shandong", data=data_dir)
    # Shandong counties with no figure in the pack have NaN, never 0
    assert layer["gdp"].isna().sum() > 100
    assert (layer["gdp"].dropna() > 0).all()
    row = layer.set_index("adcode").loc["370406"]
    assert row["gdp_year"] == 2023 and "alqotr" in row["gdp_source"]


def test_wide_prefers_latest_year():
    long = pd.DataFrame(
        {
            "adcode": ["370406"] * 2,
            "indicator": ["gdp"] * 2,
            "value": [119.82, 142.54],
            "unit": ["100m yuan"] * 2,
            "year": [2020, 2023],
            "source": ["a", "b"],
        }
    )
    w = indicators_wide(long)
    assert w.loc["370406", "gdp"] == 142.54 and w.loc["370406", "gdp_source"] == "b"
    assert indicators_wide(long, prefer_year=2020).loc["370406", "gdp"] == 119.82


def test_name_matching_rules_are_reported():
    reg = county_registry(["shandong"])
    m = match_county_names(pd.Series(["青岛市即墨区", "即墨市", "历下", "市中区", "火星县"]), registry=reg)
    assert list(m["rule"]) == ["exact", "renamed", "normalised", "ambiguous", "unmatched"]
    assert list(m["adcode"][:3]) == ["370215", "370215", "370102"]


def _write(tmp_path, text):
    p = tmp_path / "ind.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_user_indicator_file(tmp_path):
    p = _write(tmp_path, "name,prefecture,indicator,value,year,source\n山亭区,枣庄市,gdp,150.1,2024,bulletin\n")
    df = read_indicator_csv(p)
    assert df.iloc[0]["adcode"] == "370406" and df.iloc[0]["unit"] == "100m yuan"


@pytest.mark.parametrize(
    "text, message",
    [
        ("adcode,indicator,value,year,source\n370406,gdp,abc,2024,x\n", "non-numeric"),
        ("adcode,indicator,value,source\n370406,gdp,1,x\n", "missing column"),
        ("adcode,indicator,value,year,source\n379999,gdp,1,2024,x\n", "unknown adcode"),
        ("name,indicator,value,year,source\n火星县,gdp,1,2024,x\n", "not matched"),
        ("adcode,indicator,value,year,source\n370406,gdp,1,2024,x\n370406,gdp,2,2024,y\n", "duplicated"),
        ("adcode,indicator,value,year,source\n370406,gdp,1,last year,x\n", "year"),
    ],
)
def test_bad_indicator_files(tmp_path, text, message):
    with pytest.raises(DataError, match=message):
        read_indicator_csv(_write(tmp_path, text))
