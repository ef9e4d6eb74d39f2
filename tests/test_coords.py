"""GCJ-02 / BD-09 conversion: check point, round trips, outside China, GeoSeries."""

import geopandas as gpd
import numpy as np
import prcoords
import pytest
import shapely

from countylink.errors import CountylinkError
from countylink.geo.coords import (
    bd09_to_wgs84,
    convert_geoseries,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from countylink.geo.crs import haversine_m

# Jinan railway station (DEVELOPERS.md): WGS-84 from OSM, GCJ-02 from AMap
JINAN_WGS = (116.98515, 36.67085)
JINAN_GCJ = (116.99093, 36.67107)


def test_jinan_station_forward_within_1m():
    lon, lat = wgs84_to_gcj02(*JINAN_WGS)
    assert haversine_m(lon, lat, *JINAN_GCJ) < 1.0


def test_jinan_station_inverse_within_1m():
    lon, lat = gcj02_to_wgs84(*JINAN_GCJ)
    assert haversine_m(lon, lat, *JINAN_WGS) < 1.0
    # the offset itself is about half a kilometre
    assert 400 < haversine_m(*JINAN_GCJ, *JINAN_WGS) < 700


def test_inverse_round_trip_below_1cm_over_china():
    rng = np.random.default_rng(7)
    lon = rng.uniform(74, 134, 5000)
    lat = rng.uniform(18, 53, 5000)
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    back_lon, back_lat = gcj02_to_wgs84(g_lon, g_lat)
    assert haversine_m(lon, lat, back_lon, back_lat).max() < 0.01


def test_bd09_round_trip_and_matches_prcoords():
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(100, 125, 200), rng.uniform(20, 45, 200)
    b_lon, b_lat = wgs84_to_bd09(lon, lat)
    ref = np.array([prcoords.wgs_bd((la, lo)) for lo, la in zip(lon, lat)])  # prcoords is (lat, lon)
    assert haversine_m(b_lon, b_lat, ref[:, 1], ref[:, 0]).max() < 0.01
    w_lon, w_lat = bd09_to_wgs84(b_lon, b_lat)
    assert haversine_m(lon, lat, w_lon, w_lat).max() < 0.01


def test_forward_matches_prcoords():
    rng = np.random.default_rng(11)
    lon, lat = rng.uniform(100, 125, 200), rng.uniform(20, 45, 200)
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    ref = np.array([prcoords.wgs_gcj((la, lo)) for lo, la in zip(lon, lat)])
    assert np.allclose(g_lon, ref[:, 1], atol=1e-9) and np.allclose(g_lat, ref[:, 0], atol=1e-9)


@pytest.mark.parametrize("point", [(-0.1276, 51.5072), (24.9384, 60.1699), (151.2, -33.9)])
def test_points_outside_china_unchanged(point):
    assert np.allclose(wgs84_to_gcj02(*point), point)
    assert np.allclose(gcj02_to_wgs84(*point), point)


def test_geoseries_conversion_keeps_index_and_shapes():
    poly = shapely.Polygon([(116.9, 36.6), (117.1, 36.6), (117.1, 36.7), (116.9, 36.6)])
    s = gpd.GeoSeries([shapely.Point(JINAN_GCJ), poly], index=["station", "area"], crs="EPSG:4326")
    out = convert_geoseries(s, source="gcj02", target="wgs84")
    assert list(out.index) == ["station", "area"]
    assert haversine_m(out["station"].x, out["station"].y, *JINAN_WGS) < 1.0
    assert out["area"].geom_type == "Polygon" and len(out["area"].exterior.coords) == 4


def test_geoseries_rejects_projected_input_and_unknown_system():
    s = gpd.GeoSeries([shapely.Point(500000, 4000000)], crs="EPSG:32650")
    with pytest.raises(CountylinkError, match="lon/lat"):
        convert_geoseries(s, source="gcj02", target="wgs84")
    with pytest.raises(CountylinkError, match="unknown coordinate system"):
        convert_geoseries(s.to_crs(4326), source="mars", target="wgs84")


def test_gcj_bd_inverse_pair():
    lon, lat = gcj02_to_bd09(*JINAN_GCJ)
    assert haversine_m(lon, lat, *JINAN_GCJ) > 500  # BD-09 adds another ~0.7 km
