"""Corridor geometry continuity and isochrone containment on the real Helsinki graph."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from countylink.accessibility.road.corridors import fastest_corridors
from countylink.accessibility.road.isochrones import arrival_times, isochrones
from countylink.accessibility.road.travel_time import prepare_network, snap_points, travel_time_pairs


@pytest.fixture(scope="module")
def graph(helsinki_drive):
    return helsinki_drive  # built once per session (conftest)


def test_corridors_are_continuous_and_match_the_matrix(graph):
    net = prepare_network(graph)
    rng = np.random.default_rng(5)
    a, b = rng.choice(net.n, 6, replace=False), rng.choice(net.n, 6, replace=False)
    o = pd.DataFrame({"id": range(6), "lon": net.x[a] + 0.0003, "lat": net.y[a]})
    d = pd.DataFrame({"id": range(6), "lon": net.x[b], "lat": net.y[b] - 0.0003})
    # two "counties": west and east halves of the extract
    mid = float(np.median(net.x))
    counties = gpd.GeoDataFrame(
        {"name": ["West", "East"], "adcode": ["000001", "000002"]},
        geometry=[shapely.box(20, 59, mid, 61), shapely.box(mid, 59, 30, 61)],
        crs=4326,
    )
    routes = fastest_corridors(graph, o, d, counties=counties)
    times = travel_time_pairs(net, o, d, progress=False)
    # the matrix sums edge times rounded to 1 ms; the corridor sums exact float times
    assert routes["time_s"].to_numpy() == pytest.approx(times["time_s"].to_numpy(), rel=1e-4)
    for i, row in routes.iterrows():
        coords = np.asarray(row.geometry.coords)
        assert tuple(coords[0]) == (o.lon[i], o.lat[i]) and tuple(coords[-1]) == (d.lon[i], d.lat[i])
        # continuity: the line visits the snapped nodes and its length tracks the routed length
        metric = gpd.GeoSeries([row.geometry], crs=4326).to_crs(3067).length.iloc[0]
        assert metric == pytest.approx(row.length_m, rel=0.02)
        sides = {"West" if x < mid else "East" for x in coords[:, 0]}
        assert set(row.counties.split(";")) == sides


def test_isochrones_contain_reached_nodes_and_nest(graph):
    net = prepare_network(graph)
    pts = pd.DataFrame({"id": ["c"], "lon": [float(np.median(net.x))], "lat": [float(np.median(net.y))]})
    iso = isochrones(graph, pts, thresholds_min=(1, 2, 4), buffer_m=50)
    node, snap = snap_points(net, pts.lon, pts.lat)
    arrival = arrival_times(net, node, snap / (30 / 3.6))
    polys = iso.set_index("threshold_min").geometry
    for t, poly in polys.items():
        inside = shapely.contains_xy(poly.buffer(1e-7), net.x, net.y)
        assert inside[arrival <= t * 60].all()
    assert polys[1.0].area < polys[2.0].area <= polys[4.0].area
    assert polys[2.0].buffer(1e-7).contains(polys[1.0])
