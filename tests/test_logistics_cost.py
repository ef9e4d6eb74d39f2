"""Logistics cost model: hand-checkable cases, mode choice, parameters, real stations, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from countylink.accessibility.freight import cost as lc
from countylink.accessibility.freight import parameters as fp
from countylink.accessibility.freight import stations as fst
from countylink.accessibility.road.crowfly import great_circle_km
from countylink.errors import DataError, NotFoundError
from countylink.methods import Method

# round numbers so every expected cost below can be checked by hand
ROUND = {
    "road_rate_yuan_per_tkm": 0.5,
    "expressway_share": 1.0,
    "toll_yuan_per_vkm_shandong": 3.0,
    "toll_yuan_per_vkm_default": 6.0,
    "truck_payload_t": 30,
    "value_of_time_yuan_per_t_h": 1.0,
    "truck_time_factor": 1.0,
    "rail_base_yuan_per_t": 10.0,
    "rail_rate_yuan_per_tkm": 0.1,
    "rail_construction_fund_yuan_per_tkm": 0.0,
    "handling_yuan_per_t_per_end": 5.0,
    "drayage_rate_yuan_per_tkm": 1.0,
    "drayage_min_km": 5.0,
    "rail_terminal_dwell_h": 0.0,
    "rail_speed_kph": 50.0,
}


@pytest.fixture(scope="module")
def round_params():
    return fp.load_parameters(overrides=ROUND)


@pytest.fixture(scope="module")
def freight(data_dir):
    from countylink.layers.cost import freight_inputs

    return freight_inputs(data=data_dir)


def test_shipped_table_is_documented():
    table = fp.load_parameters()
    assert set(fp.REQUIRED_PARAMETERS) <= set(table.index)
    for col in ("unit", "description", "source", "confidence"):
        assert table[col].astype(str).str.strip().ne("").all(), col
    assert table["year"].between(2000, 2030).all()
    assert set(table["confidence"]) <= {"low", "medium", "high"}


def test_road_cost_by_hand(round_params):
    # 100 km, 120 min: 100×0.5 + 100×1×3/30 + 2 h×1 = 50 + 10 + 2
    got = lc.road_freight_cost([100.0], [120.0], province="山东省", params=round_params).iloc[0]
    assert got["road_linehaul"] == pytest.approx(50.0)
    assert got["road_toll"] == pytest.approx(10.0)
    assert got["road_time_cost"] == pytest.approx(2.0)
    assert got["road_cost"] == pytest.approx(62.0)
    # a province without its own toll row uses the default (6/30 per km)
    other = lc.road_freight_cost([100.0], [120.0], province="32", params=round_params).iloc[0]
    assert other["road_toll"] == pytest.approx(20.0)


def test_rail_cost_by_hand(round_params):
    # drayage max(3,5)+20 = 25; handling 2×5 = 10; line haul 10 + 200×0.1 = 30;
    # time (6+30)/60 h + 200/50 h = 4.6 h × 1 yuan
    got = lc.rail_intermodal_cost(
        [200.0],
        access_km=[3.0],
        access_time_min=[6.0],
        egress_km=[20.0],
        egress_time_min=[30.0],
        params=round_params,
    ).iloc[0]
    assert got["rail_drayage"] == pytest.approx(25.0)
    assert got["rail_handling"] == pytest.approx(10.0)
    assert got["rail_linehaul"] == pytest.approx(30.0)
    assert got["rail_door_h"] == pytest.approx(4.6)
    assert got["rail_cost"] == pytest.approx(69.6)


def test_same_station_has_no_rail_option(round_params):
    rail = lc.rail_intermodal_cost(
        [0.0], access_km=[4], access_time_min=[5], egress_km=[4], egress_time_min=[5], params=round_params
    )
    assert np.isnan(rail["rail_cost"].iloc[0])
    mode = lc.choose_mode([30.0], rail["rail_cost"])
    assert mode["cheaper_mode"].iloc[0] == "road"
    assert np.isnan(mode["saving_yuan_per_t"].iloc[0])


def test_mode_choice_flips_with_distance():
    """Default parameters: short hauls go by road, long hauls by rail, with one break-even."""
    params = fp.load_parameters()
    km = np.arange(20.0, 1500.0, 10.0)
    road = lc.road_freight_cost(km * 1.3, km * 1.3 / 80 * 60, params=params)["road_cost"]
    rail = lc.rail_intermodal_cost(
        km * 1.25, access_km=10, access_time_min=10, egress_km=10, egress_time_min=10, params=params
    )["rail_cost"]
    mode = lc.choose_mode(road, rail)["cheaper_mode"].to_numpy()
    assert mode[0] == "road" and mode[-1] == "rail"
    flips = np.flatnonzero(mode[1:] != mode[:-1])
    assert len(flips) == 1  # a single break-even distance
    # cheaper road rates push the break-even further out
    cheap_road = fp.load_parameters(overrides={"road_rate_yuan_per_tkm": 0.25})
    road2 = lc.road_freight_cost(km * 1.3, km * 1.3 / 80 * 60, params=cheap_road)["road_cost"]
    mode2 = lc.choose_mode(road2, rail)["cheaper_mode"].to_numpy()
    flips2 = np.flatnonzero(mode2[1:] != mode2[:-1])
    assert len(flips2) == 0 or flips2[0] > flips[0]


def test_break_even_distance_from_the_shipped_parameters():
    km = lc.break_even_road_km(province="zhejiang")
    # the same crossing found by brute force on a 1 km grid (seats at their stations, rail as long as road)
    d = np.arange(50.0, 800.0, 1.0)
    road = lc.road_freight_cost(d, d / 80.0 * 60.0, province="zhejiang")["road_cost"].to_numpy()
    rail = lc.rail_intermodal_cost(d, access_km=0, access_time_min=0, egress_km=0, egress_time_min=0)["rail_cost"]
    assert km == pytest.approx(d[np.argmax(rail.to_numpy() < road)], abs=1.0)
    # well under the hand-written "300–350 km" of earlier docs: that needs ~20 km truck legs at each end
    assert 150 < km < 250
    assert 280 < lc.break_even_road_km(access_km=20, egress_km=20, province="zhejiang") < 350
    assert lc.break_even_road_km(rail_per_road=1.2) > km
    assert lc.break_even_road_km(params=fp.load_parameters(overrides={"road_rate_yuan_per_tkm": 0.05})) == np.inf


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"road_rate_yuan_per_tkm": -0.1}, "must not be negative"),
        ({"truck_payload_t": 0}, "greater than zero"),
        ({"expressway_share": 1.5}, "fraction"),
        ({"rail_detour_factor": 0.9}, "rail_detour_factor"),
        ({"road_rate_per_km": 1.0}, "unknown logistics parameter"),
        ({"toll_yuan_per_vkm_atlantis": 1.0}, "unknown logistics parameter"),
        ({"road_rate_yuan_per_tkm": "cheap"}, "must be a number"),
    ],
)
def test_bad_overrides(overrides, message):
    with pytest.raises(DataError, match=message):
        fp.load_parameters(overrides=overrides)


def test_bad_tables(tmp_path):
    table = pd.read_csv(fp.PARAMETERS_PATH)
    missing = tmp_path / "missing.csv"
    table[table["parameter"] != "rail_speed_kph"].to_csv(missing, index=False)
    with pytest.raises(DataError, match="missing .*rail_speed_kph"):
        fp.load_parameters(missing)
    unknown = tmp_path / "unknown.csv"
    extra = table.iloc[:1].assign(parameter="ferry_rate")
    pd.concat([table, extra]).to_csv(unknown, index=False)
    with pytest.raises(DataError, match="unknown logistics parameter.*ferry_rate"):
        fp.load_parameters(unknown)
    negative = tmp_path / "negative.csv"
    table.assign(value=np.where(table["parameter"] == "handling_yuan_per_t_per_end", -5, table["value"])).to_csv(
        negative, index=False
    )
    with pytest.raises(DataError, match="handling_yuan_per_t_per_end=-5"):
        fp.load_parameters(negative)
    nocol = tmp_path / "nocol.csv"
    table.drop(columns="source").to_csv(nocol, index=False)
    with pytest.raises(DataError, match="source"):
        fp.load_parameters(nocol)
    with pytest.raises(NotFoundError):
        fp.load_parameters(tmp_path / "nowhere.csv")
    with pytest.raises(DataError, match="negative"):
        lc.road_freight_cost([-1.0], [10.0])


def test_routed_figures_are_used_and_labelled(round_params):
    stations = pd.DataFrame({"station_name": ["A", "B"], "lon": [117.0, 118.0], "lat": [36.0, 36.0]})
    od = pd.DataFrame(
        {
            "origin_lon": [117.0, 117.0],
            "origin_lat": [36.0, 36.0],
            "destination_lon": [118.0, 118.0],
            "destination_lat": [36.0, 36.0],
            "road_km": [150.0, np.nan],
            "road_time_min": [120.0, np.nan],
            "method": ["osm_network", None],
        }
    )
    res = lc.od_logistics_cost(od, stations=stations, params=round_params)
    assert list(res["method"]) == ["osm_network", "crowfly_estimate"]
    assert res["road_km"].iloc[0] == 150.0
    assert res["road_cost"].iloc[0] == pytest.approx(150 * 0.5 + 150 * 6 / 30 + 2.0)
    gc = float(great_circle_km(117.0, 36.0, 118.0, 36.0))
    assert res["road_km"].iloc[1] == pytest.approx(gc * 1.3)
    # stations at the seats: drayage is the charged minimum at both ends, rail km is great-circle × detour
    assert res["rail_drayage"].iloc[0] == pytest.approx(10.0)
    assert res["rail_km"].iloc[0] == pytest.approx(gc * round_params.at["rail_detour_factor", "value"])
    assert res["rail_method"].iloc[0] == "greatcircle_detour"


@pytest.mark.slow
def test_freight_stations_and_track_distances_on_pack(freight):
    st = freight.stations.set_index("station_name")
    outside = st["station_basis"].str.startswith("outside knowledge")
    conventional = st[~outside]
    assert (conventional["n_trains_conventional"] > 0).all()
    assert conventional["station_basis"].str.contains("conventional K/Z/N").all()
    assert (conventional["freight_year"] == 2020).all()
    # 衢宁 (2020-09) and 金台 (2021) are not in the stop lists: their stations come from outside
    # knowledge, labelled with the line, its source and year, never passed off as pack data
    quning = {"龙游南", "遂昌", "松阳", "龙泉市", "庆元"}
    assert quning | {"仙居南"} <= set(st.index[outside])
    assert st.loc[sorted(quning), "station_basis"].str.contains("衢宁铁路").all()
    assert st.loc[sorted(quning), "freight_source"].str.contains("http").all()
    assert (st.loc[sorted(quning), "freight_year"] == 2020).all() and st.at["仙居南", "freight_year"] == 2021
    # a station served only by high-speed trains is never freight-capable
    assert not (st.loc[~outside, "n_trains_conventional"] == 0).any()
    assert freight.rail_distance.method == Method.RAIL_TRACKS
    km = freight.rail_distance(["济南", "杭州南", "温州"], ["青岛", "龙泉市", "温州"])
    gc = [
        float(great_circle_km(st.at[a, "lon"], st.at[a, "lat"], st.at[b, "lon"], st.at[b, "lat"]))
        for a, b in (("济南", "青岛"), ("杭州南", "龙泉市"))
    ]
    assert gc[0] < km[0] < 1.3 * gc[0]  # 胶济 line, close to straight (胶济铁路 384 km, outside knowledge)
    # 杭州南 -> 龙泉市 runs 沪昆 to 衢州, then 衢宁 south: a long way round the mountains
    assert 1.2 * gc[1] < km[1] < 2.0 * gc[1]
    assert km[2] == 0.0


def test_track_distance_keeps_off_high_speed_lines(freight):
    # 北京 -> 上海: along the conventional 京沪铁路 (1,463 km), not the 京沪高铁 (1,318 km; both
    # outside knowledge, China Railway): under a tenth of the way on high-speed-marked edges
    km, hsr_km = freight.rail_distance.route("北京", "上海")
    assert 1_300 < km < 1_550 and hsr_km / km < 0.1
    # 松阳 (衢宁) is ~20 km from any track of the 2024 network: no invented distance
    assert np.isnan(freight.rail_distance(["松阳"], ["杭州南"])[0])


def test_user_freight_flag():
    stations = pd.DataFrame(
        {"station_name": ["A", "B"], "lon": [117.0, 118.0], "lat": [36.0, 36.0], "freight": [True, False]}
    )
    out = fst.freight_station_proxy(stations)
    assert list(out["station_name"]) == ["A"]
    assert out["station_basis"].iloc[0] == "user-supplied freight flag"
    with pytest.raises(DataError, match="freight"):
        fst.freight_station_proxy(stations.drop(columns="freight"))


@pytest.mark.slow
def test_cost_cli_csv_and_geojson(data_dir, tmp_path):
    from countylink.cli import main

    runner = CliRunner()
    out = tmp_path / "zj.csv"
    res = runner.invoke(
        main, ["cost", "--programme", "zhejiang-2023", "--format", "csv", "-o", str(out), "--data", str(data_dir)]
    )
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out)
    assert len(table) == 18
    assert set(table["cheaper_mode"]) <= {"road", "rail"}
    both = table.dropna(subset=["rail_cost"])
    cheaper = np.where(both["rail_cost"] < both["road_cost"], "rail", "road")
    assert (both["cheaper_mode"] == cheaper).all()
    assert table["market_access_share"].between(0, 1).all()
    by = table.set_index("helped_name")
    # the 衢宁 counties get their own stations (outside knowledge, labelled) and rail becomes cheaper
    for helped, station in (("龙泉市", "龙泉市"), ("遂昌县", "遂昌"), ("庆元县", "庆元")):
        assert by.at[helped, "destination_station"] == station
        assert "outside knowledge" in by.at[helped, "station_basis"]
        assert by.at[helped, "cheaper_mode"] == "rail", helped
    assert by.at["龙泉市", "rail_method"] == Method.RAIL_TRACKS
    assert set(table["rail_method"].dropna()) <= {Method.RAIL_TRACKS, Method.GREATCIRCLE_DETOUR}
    gj = tmp_path / "sd.geojson"
    res = runner.invoke(
        main, ["cost", "--programme", "shandong-2024", "--format", "geojson", "-o", str(gj), "--data", str(data_dir)]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(gj.read_text(encoding="utf-8"))
    assert len(doc["features"]) == 10
    props = [f["properties"] for f in doc["features"]]
    assert sum(p["road_cost"] is None for p in props) == 2  # the two pairs without a known helper


def test_cost_cli_bad_input(data_dir, tmp_path):
    from countylink.cli import main

    runner = CliRunner()
    out = tmp_path / "bad.csv"
    res = runner.invoke(
        main,
        [
            "cost",
            "--programme",
            "zhejiang-2023",
            "--set",
            "rail_rate_yuan_per_tkm=-0.1",
            "--format",
            "csv",
            "-o",
            str(out),
            "--data",
            str(data_dir),
        ],
    )
    assert res.exit_code == 2
    assert "must not be negative" in res.output and "Traceback" not in res.output
    assert not out.exists()
    res = runner.invoke(main, ["cost", "--programme", "nowhere-2030", "--data", str(data_dir)])
    assert res.exit_code == 2 and "unknown programme" in res.output
