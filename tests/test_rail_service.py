"""The service network built from the real timetable stop lists, and routing over it."""

from __future__ import annotations

import warnings

import pytest

from countylink.accessibility.rail import service as sv
from countylink.accessibility.rail import station_names
from countylink.accessibility.rail import stations as rs
from countylink.accessibility.rail import stop_lists as rsl
from countylink.accessibility.road.crowfly import great_circle_km
from countylink.errors import DataError


@pytest.fixture(scope="module")
def net(data_dir, rail_data):
    sl = rail_data.stop_lists  # the pack's stop lists, read once per session (conftest)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stations = rs.read_pack_stations(data=data_dir)
        g = sv.service_network(sl, stations)
    return g, sl, stations


@pytest.fixture(scope="module")
def router(net):
    return sv.RailRouter(net[0])


def test_consecutive_stops_become_edges(net):
    g, sl, stations = net
    m = station_names.match_station_names(sl.stops["station_name"].unique(), stations["station_name"]).set_index("name")
    node = lambda n: m.at[n, "matched_name"] if m.at[n, "rule"] != "unmatched" else n  # noqa: E731
    for cls in rsl.TRAIN_CLASSES:
        train = sl.stops.loc[sl.stops.train_class == cls, "train_no"].iloc[0]
        seq = [node(n) for n in sl.stops[sl.stops.train_no == train].sort_values("seq")["station_name"]]
        assert len(seq) >= 2, train
        for a, b in zip(seq[:-1], seq[1:]):
            assert g.has_edge(a, b), (train, a, b)
            assert train[0] in g.edges[a, b]["classes"]
    e = g.edges["济南西", "北京南"]
    assert "G" in e["classes"] and e["hsr"] and e["n_trains_G"] >= 1
    assert e["km"] == pytest.approx(
        great_circle_km(
            g.nodes["济南西"]["lon"], g.nodes["济南西"]["lat"], g.nodes["北京南"]["lon"], g.nodes["北京南"]["lat"]
        )
    )
    assert g.graph["year"] == 2020 and g.graph["speeds"]["G"] > g.graph["speeds"]["K"]
    # an edge only K/Z/N trains run on is not HSR
    conv = [d for _, _, d in g.edges(data=True) if set(d["classes"]) <= {"K", "Z", "N"}]
    assert conv and not any(d["hsr"] for d in conv)


def test_direct_route_time_is_segment_sum(net, router):
    g, sl, _ = net
    r = router.route("济南西", "北京南")
    assert r.found and r.n_changes == 0 and len(r.trains) == 1
    cls, seq = g.graph["trains"][r.trains[0]]
    i, j = seq.index("济南西"), seq.index("北京南")
    km = sum(
        great_circle_km(g.nodes[a]["lon"], g.nodes[a]["lat"], g.nodes[b]["lon"], g.nodes[b]["lat"])
        for a, b in zip(seq[i:j], seq[i + 1 : j + 1])
    )
    assert r.time_min == pytest.approx(km * sv.DETOUR_FACTOR / g.graph["speeds"][cls] * 60)
    assert r.method == "stop_list_class_speed_estimate"


def test_route_with_change(net, router):
    g, _, _ = net
    r = router.route("即墨北", "枣庄")
    assert r.found and r.n_changes >= 1 and len(r.via) == r.n_changes
    stops = ("即墨北",) + r.via + ("枣庄",)
    for t, a, b in zip(r.trains, stops[:-1], stops[1:]):
        seq = g.graph["trains"][t][1]
        assert seq.index(a) < seq.index(b)
    assert r.time_min >= sv.TRANSFER_MIN * r.n_changes


def test_unknown_station_has_no_route(router):
    r = router.route("济南西", "不存在的站")
    assert not r.found and r.n_changes is None and "no rail route" in r.describe()


def test_empty_stop_table_is_an_error():
    import pandas as pd

    with pytest.raises(DataError, match="empty"):
        sv.service_network(pd.DataFrame(columns=["train_no", "train_class", "seq", "station_name"]))
