"""Friction surfaces: grid, road burning, slope from the real ASTER tile, raster I/O and bad rasters."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import rasterio.warp
from rasterio.enums import Resampling
from shapely.geometry import LineString, box

from countylink.accessibility.raster.friction import (
    OFFROAD_WALK_KPH,
    ROAD_CLASS_KPH,
    cnmaps_dem_path,
    friction_surface,
    kph_to_min_per_m,
    tobler_speed_ratio,
)
from countylink.accessibility.raster.grid import grid_for_area
from countylink.errors import CountylinkError
from countylink.geo.raster import NODATA, read_surface, read_to_grid, write_geotiff

UTM51 = "EPSG:32651"  # the zone of the Weihai tile (120-126 E)


@pytest.fixture(scope="module")
def dem_crop(data_dir, tmp_path_factory):
    """A 1,500 × 900 cell window of the real ASTER tile (hills and sea of southern Weihai)."""
    src = data_dir / "terrain" / "ASTGTMV003_N36E122_dem.tif"
    out = tmp_path_factory.mktemp("dem") / "weihai_crop.tif"
    with rasterio.open(src) as ds:
        win = rasterio.windows.Window(300, 0, 1500, 900)
        data = ds.read(1, window=win)
        prof = ds.profile | {"width": 1500, "height": 900, "transform": ds.window_transform(win)}
    with rasterio.open(out, "w", **prof) as dst:
        dst.write(data, 1)
    return out


@pytest.fixture(scope="module")
def crop_area(dem_crop):
    with rasterio.open(dem_crop) as ds:
        b = ds.bounds
    # a little inside the crop so that the DEM covers every cell
    return gpd.GeoSeries([box(b.left + 0.01, b.bottom + 0.01, b.right - 0.01, b.top - 0.01)], crs=4326)


def square(side_m=10_000.0, crs=UTM51, x0=500_000.0, y0=4_000_000.0):
    return gpd.GeoSeries([box(x0, y0, x0 + side_m, y0 + side_m)], crs=crs)


def test_grid_is_regular_metric_and_covers_area():
    area = square()
    grid = grid_for_area(area, resolution=250, crs=UTM51)
    assert grid.resolution == (250.0, 250.0)
    assert grid.shape == (40, 40)
    minx, miny, maxx, maxy = grid.bounds
    assert minx <= 500_000 and maxx >= 510_000 and miny <= 4_000_000 and maxy >= 4_010_000
    # default CRS: equal-area LAEA centred on the area
    g2 = grid_for_area(area, resolution=500)
    assert g2.crs.is_projected and "Lambert Azimuthal Equal Area" in g2.crs.to_wkt().replace("_", " ")


def test_bad_grid_requests_raise_clear_errors():
    with pytest.raises(CountylinkError, match="resolution must be a positive"):
        grid_for_area(square(), resolution=0)
    with pytest.raises(CountylinkError, match="projected CRS in metres"):
        grid_for_area(square(), resolution=100, crs="EPSG:4326")
    with pytest.raises(CountylinkError, match="choose a coarser"):
        grid_for_area(square(side_m=1e7), resolution=1)
    with pytest.raises(CountylinkError, match="no CRS"):
        friction_surface(gpd.GeoSeries([box(0, 0, 1, 1)]), resolution=100)


def test_offroad_surface_is_uniform_inside_and_nodata_outside():
    area = gpd.GeoSeries([box(500_000, 4_000_000, 505_000, 4_010_000)], crs=UTM51)
    grid = grid_for_area(square(), resolution=500, crs=UTM51)  # grid wider than the area
    f = friction_surface(area, grid=grid)
    assert f.method == "friction_offroad_only"
    inside = np.isfinite(f.values)
    assert inside[:, :10].all() and not inside[:, 10:].any()
    assert np.allclose(f.values[inside], 60 / (OFFROAD_WALK_KPH * 1000))
    assert f.tags["slope_model"] == "none"


def test_roads_burn_their_speed_and_class_defaults():
    area = square()
    roads = gpd.GeoDataFrame(
        {"speed_kph": [60.0, None, None], "highway": ["primary", "motorway", "footway"]},
        geometry=[
            LineString([(500_000, 4_005_100), (510_000, 4_005_100)]),
            LineString([(505_100, 4_000_000), (505_100, 4_010_000)]),
            LineString([(500_000, 4_001_100), (510_000, 4_001_100)]),
        ],
        crs=UTM51,
    )
    with pytest.warns(UserWarning, match="1 of 3 road edges"):
        f = friction_surface(area, resolution=200, crs=UTM51, roads=roads)
    assert f.method == "friction_osm_roads"
    speed = 60 / (f.values * 1000)
    grid = f.grid
    r_h, _ = grid.rowcol(np.array([502_000.0]), np.array([4_005_100.0]))
    _, c_v = grid.rowcol(np.array([505_100.0]), np.array([4_002_000.0]))
    row_speeds = speed[r_h[0], :]
    assert np.isclose(np.nanmedian(row_speeds), 60.0)
    col_speeds = speed[:, c_v[0]]
    assert np.isclose(np.nanmedian(col_speeds), ROAD_CLASS_KPH["motorway"])
    # the crossing cell takes the faster road
    assert np.isclose(speed[r_h[0], c_v[0]], ROAD_CLASS_KPH["motorway"])
    # the footway (no class speed) stays off-road
    r_f, _ = grid.rowcol(np.array([502_000.0]), np.array([4_001_100.0]))
    assert np.isclose(np.nanmedian(speed[r_f[0], :]), OFFROAD_WALK_KPH)


def test_roads_elsewhere_are_an_error():
    roads = gpd.GeoDataFrame({"highway": ["primary"]}, geometry=[LineString([(0, 0), (1000, 0)])], crs=UTM51)
    with pytest.raises(CountylinkError, match="covers another place"):
        friction_surface(square(), resolution=500, crs=UTM51, roads=roads)


def test_tobler_ratio():
    assert tobler_speed_ratio(np.array([0.0]))[0] == 1.0
    r = tobler_speed_ratio(np.array([0.1, -0.1, 0.2]))
    assert np.allclose(r[:2], np.exp(-0.35)) and r[2] < r[0]
    # Tobler's flat-ground speed is the documented off-road default
    assert abs(6 * np.exp(-3.5 * 0.05) - OFFROAD_WALK_KPH) < 0.1


def test_slope_from_real_dem_slows_hills_not_sea(dem_crop, crop_area):
    flat = friction_surface(crop_area, resolution=250)
    hilly = friction_surface(crop_area, resolution=250, dem=dem_crop)
    assert hilly.tags["slope_model"].startswith("tobler")
    assert float(hilly.tags["dem_coverage"]) == 1.0
    ratio = flat.values / hilly.values  # speed with slope / flat speed
    ok = np.isfinite(ratio)
    elev = read_to_grid(dem_crop, hilly.grid)
    # the sea (elevation 0 on all sides) keeps the flat speed
    sea = ok & (elev <= 0)
    sea[1:-1, 1:-1] &= (elev[:-2, 1:-1] <= 0) & (elev[2:, 1:-1] <= 0) & (elev[1:-1, :-2] <= 0) & (elev[1:-1, 2:] <= 0)
    sea[0, :] = sea[-1, :] = sea[:, 0] = sea[:, -1] = False  # one-sided differences at the edge
    assert sea.sum() > 100 and np.allclose(ratio[sea], 1.0)
    # high ground (over 200 m) is clearly slower, never faster
    high = ok & (elev > 200)
    assert high.sum() > 50
    assert np.median(ratio[high]) < 0.9
    assert ratio[ok].max() <= 1.0 + 1e-9 and ratio[ok].min() > 0.1


def test_dem_in_another_crs_gives_the_same_slope(dem_crop, crop_area, tmp_path):
    """A user DEM in UTM is reprojected onto the grid: same friction as the geographic original."""
    utm = tmp_path / "dem_utm.tif"
    with rasterio.open(dem_crop) as ds:
        transform, w, h = rasterio.warp.calculate_default_transform(ds.crs, UTM51, ds.width, ds.height, *ds.bounds)
        prof = ds.profile | {
            "crs": UTM51,
            "transform": transform,
            "width": w,
            "height": h,
            "dtype": "float32",
            "nodata": -32768.0,
        }
        with rasterio.open(utm, "w", **prof) as dst:
            rasterio.warp.reproject(rasterio.band(ds, 1), rasterio.band(dst, 1), resampling=Resampling.bilinear)
    a = friction_surface(crop_area, resolution=500, dem=dem_crop)
    b = friction_surface(crop_area, resolution=500, dem=utm)
    ok = np.isfinite(a.values) & np.isfinite(b.values)
    rel = np.abs(a.values[ok] - b.values[ok]) / a.values[ok]
    assert np.median(rel) < 0.01 and np.percentile(rel, 95) < 0.1


def test_geotiff_round_trip_has_crs_transform_nodata_overviews(tmp_path, crop_area):
    f = friction_surface(crop_area, resolution=100)
    path = write_geotiff(f, tmp_path / "friction.tif")
    with rasterio.open(path) as ds:
        assert ds.crs is not None and ds.crs.is_projected
        assert ds.transform == f.grid.transform
        assert ds.nodata == NODATA
        assert len(ds.overviews(1)) == 4 and ds.overviews(1)[:2] == [2, 4]  # GDAL rounds the last factors
        assert ds.tags()["method"] == "friction_offroad_only"
        assert ds.tags()["units"] == "min/m"
        band = ds.read(1)
    assert (band == NODATA).sum() == (~np.isfinite(f.values)).sum()
    back = read_surface(path)
    assert back.kind == "friction" and back.method == f.method
    assert np.allclose(back.values[np.isfinite(f.values)], f.values[np.isfinite(f.values)], rtol=1e-6)
    assert list(tmp_path.iterdir()) == [path]  # no temporary files left


def test_failed_write_leaves_nothing(tmp_path, crop_area):
    f = friction_surface(crop_area, resolution=1000)
    with pytest.raises(CountylinkError, match="does not exist"):
        write_geotiff(f, tmp_path / "missing" / "f.tif")
    assert list(tmp_path.iterdir()) == []


def test_raster_without_crs_is_refused_unless_told(dem_crop, crop_area, tmp_path):
    nocrs = tmp_path / "nocrs.tif"
    with rasterio.open(dem_crop) as ds:
        prof = ds.profile | {"crs": None}
        data = ds.read(1)
    with rasterio.open(nocrs, "w", **prof) as dst:
        dst.write(data, 1)
    with pytest.raises(CountylinkError, match="has no CRS"):
        friction_surface(crop_area, resolution=1000, dem=nocrs)
    f = friction_surface(crop_area, resolution=1000, dem=nocrs, dem_crs="EPSG:4326")
    assert f.tags["slope_model"].startswith("tobler")


def test_raster_with_wrong_crs_is_refused(dem_crop, crop_area, tmp_path):
    """Metre coordinates labelled as degrees: a classic wrong-CRS file."""
    wrong = tmp_path / "wrong.tif"
    with rasterio.open(dem_crop) as ds:
        data = ds.read(1)
        prof = ds.profile | {"transform": rasterio.transform.from_origin(500_000, 4_100_000, 30, 30)}
    with rasterio.open(wrong, "w", **prof) as dst:
        dst.write(data, 1)
    with pytest.raises(CountylinkError, match="wrong CRS"):
        friction_surface(crop_area, resolution=1000, dem=wrong)


def test_raster_elsewhere_is_an_empty_overlap(dem_crop):
    hangzhou = gpd.GeoSeries([box(120.0, 30.0, 120.3, 30.3)], crs=4326)
    with pytest.raises(CountylinkError, match="does not overlap"):
        friction_surface(hangzhou, resolution=1000, dem=dem_crop)


def test_missing_and_unreadable_rasters(tmp_path, crop_area):
    with pytest.raises(CountylinkError, match="not found"):
        friction_surface(crop_area, resolution=1000, dem=tmp_path / "none.tif")
    junk = tmp_path / "junk.tif"
    junk.write_text("not a raster")
    with pytest.raises(CountylinkError, match="cannot be read"):
        friction_surface(crop_area, resolution=1000, dem=junk)


def test_cnmaps_national_dem_reads_with_assumed_crs():
    path = cnmaps_dem_path()
    with rasterio.open(path) as ds:
        assert ds.crs is None and ds.res[0] == pytest.approx(0.2)
    shandong = gpd.GeoSeries([box(115.0, 34.5, 122.5, 38.3)], crs=4326)
    grid = grid_for_area(shandong, resolution=20_000)
    with pytest.raises(CountylinkError, match="no CRS"):
        read_to_grid(path, grid, what="DEM")
    elev = read_to_grid(path, grid, assume_crs="EPSG:4326", what="DEM")
    # Mount Tai area (about 117.1 E, 36.25 N) stands well above the Yellow River delta (about 118.8 E, 37.6 N)
    x, y = rasterio.warp.transform("EPSG:4326", grid.crs.to_wkt(), [117.1, 118.8], [36.25, 37.6])
    rows, cols = grid.rowcol(np.array(x), np.array(y))
    assert elev[rows[0], cols[0]] > 200 and elev[rows[1], cols[1]] < 30


def test_speed_conversion():
    assert kph_to_min_per_m(60.0) == pytest.approx(0.001)
