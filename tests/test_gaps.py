"""County rail gaps, pair rail columns, the gaps CLI and the pipeline step, on the data pack."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from countylink.accessibility.rail import gaps as rg
from countylink.accessibility.road.crowfly import crowfly_travel, great_circle_km
from countylink.layers.counties import counties_layer
from countylink.layers.gaps import add_pair_rail_columns, gaps_layer


@pytest.fixture(scope="module")
def rail(rail_data):
    return rail_data  # read once per session (conftest)


@pytest.fixture(scope="module")
def sd(data_dir, rail):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        counties = counties_layer(("shandong",), data=data_dir)
        return counties, gaps_layer(counties, rail)


def test_one_row_per_county_with_sources(sd):
    counties, gaps = sd
    assert gaps["adcode"].tolist() == counties["adcode"].tolist()
    for col in (
        "station_source",
        "station_year",
        "service_source",
        "service_year",
        "line_source",
        "line_year",
        "road_method",
    ):
        assert gaps[col].notna().all(), col
    assert (gaps["service_year"] == 2020).all() and (gaps["station_year"] == 2026).all()
    assert set(gaps["road_method"]) == {"crowfly_estimate"}
    assert set(gaps["gap_class"]) <= set(rg.GAP_ORDER)


def test_gap_class_follows_the_evidence(sd, rail):
    _, gaps = sd
    st = rail.stations.set_index("station_name")
    for row in gaps.itertuples():
        if row.has_hsr_station:
            assert row.gap_class == "hsr"
        elif row.n_stations_served:
            assert row.gap_class == "conventional_only" and row.n_trains_hsr == 0
        elif row.n_stations:
            assert row.gap_class == "station_no_service_data" and row.n_trains == 0
        elif row.rail_line_in_county:
            assert row.gap_class == "line_no_station" and row.rail_line_crosses and row.rail_line_km >= 2
        else:
            assert row.gap_class == "no_rail" and not row.rail_line_crosses
        assert st.at[row.nearest_hsr, "hsr_served"]
    jinan = gaps.set_index("adcode").loc["370105"]  # 天桥区 holds 济南站
    assert jinan["has_hsr_station"] and "济南" in jinan["stations"]


@pytest.fixture(scope="module")
def zj(data_dir, rail):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        counties = counties_layer(("zhejiang",), data=data_dir)
        return counties, gaps_layer(counties, rail)


def test_freight_status_follows_the_evidence(sd, zj):
    for _, gaps in (sd, zj):
        assert set(gaps["freight_rail"]) == {"yes", "unknown", "no"}
        assert gaps["freight_source"].notna().all() and gaps["freight_year"].notna().all()
        for row in gaps.itertuples():
            if row.freight_rail == "yes":
                if "outside knowledge" in row.freight_evidence:
                    assert "http" in row.freight_source and row.freight_year in (2020, 2021)
                else:  # conventional trains call in the county, and the evidence names the station
                    assert row.n_trains_conventional > 0 and "K/Z/N trains" in row.freight_evidence
                    assert row.freight_year == 2020
            elif row.freight_rail == "unknown":
                assert "non-high-speed track" in row.freight_evidence and row.n_trains_conventional == 0
            else:
                assert row.freight_evidence.startswith(("no railway track", "only high-speed track"))
                assert row.n_trains_conventional == 0


def test_high_speed_line_alone_is_never_freight(sd):
    _, gaps = sd
    g = gaps.set_index("adcode")
    # 台儿庄: crossed by 京沪高铁 only (about 6 km of route): rail line yes, freight no
    tai = g.loc["370405"]
    assert tai["freight_rail"] == "no" and "京沪高铁" in tai["freight_evidence"]
    assert 3 < tai["hsr_line_km"] < 8 and tai["rail_line_km"] == pytest.approx(tai["hsr_line_km"])
    # 峄城: 京沪高铁 plus a few km of unnamed track; no conventional service: not a freight county
    assert g.at["370404", "freight_rail"] != "yes"


def test_lines_opened_after_the_stop_lists(zj):
    _, gaps = zj
    g = gaps.set_index("adcode")
    assert (gaps["service_year"] == 2020).all()
    assert gaps["service_source"].str.contains("before 衢宁 \\(2020-09\\) and 金台 \\(2021\\)").all()
    for code, station in (("331181", "龙泉市"), ("331123", "遂昌"), ("331126", "庆元")):
        row = g.loc[code]
        assert row["freight_rail"] == "yes" and row["freight_year"] == 2020
        assert "衢宁铁路" in row["freight_evidence"] and "outside knowledge" in row["freight_evidence"]
        # the station exists (2026 list) but the stop lists predate the line: no timetable data, not unserved
        assert row["gap_class"] == "station_no_service_data"
        assert "no timetable data for this station" in row["gap_label"]
        assert f"no timetable data for this station: {station} (on 衢宁铁路" in row["timetable_note"]
    xianju = g.loc["331024"]
    assert xianju["freight_rail"] == "yes" and "金台铁路" in xianju["freight_evidence"]
    assert xianju["freight_year"] == 2021
    # 缙云 has conventional trains in the stop lists (金温 line): freight from the pack's own data
    jinyun = g.loc["331122"]
    assert jinyun["freight_rail"] == "yes" and "缙云 (" in jinyun["freight_evidence"]
    assert "outside knowledge" not in jinyun["freight_evidence"]
    # 龙游: 沪昆高铁 counted once (~25 km of route, 49 km when both tracks were summed)
    assert g.at["330825", "hsr_line_km"] == pytest.approx(25, abs=4)


def test_nearest_stations_are_nearest(sd, rail):
    _, gaps = sd
    st = rail.stations
    hsr = st[st["hsr_served"]]
    for row in gaps.sample(15, random_state=1).itertuples():
        d = great_circle_km(row.seat_lon, row.seat_lat, hsr["lon"], hsr["lat"])
        assert row.nearest_hsr_km == pytest.approx(d.min(), rel=1e-6)
        assert hsr["station_name"].iloc[int(np.argmin(d))] == row.nearest_hsr
        dall = great_circle_km(row.seat_lon, row.seat_lat, st["lon"], st["lat"])
        assert row.nearest_station_km == pytest.approx(dall.min(), rel=1e-6)
    # crow-fly road time labelled as such and consistent with the crowfly module
    r = gaps.iloc[0]
    s = st.set_index("station_name").loc[r["nearest_hsr"]]
    est = crowfly_travel([r["seat_lon"]], [r["seat_lat"]], [s["lon"]], [s["lat"]])
    assert r["nearest_hsr_road_min"] == pytest.approx(est["time_min"].iloc[0])


def test_shandong_helped_counties_against_seed(sd, data_dir):
    """Seed 000: none of the 10 helped counties has passenger rail; one has freight rail."""
    from countylink.layers.pairs import load_registry

    _, gaps = sd
    helped = load_registry("shandong-2024")["helped_adcode"]
    table = gaps.set_index("adcode").loc[helped]
    assert len(table) == 10
    assert not table["has_passenger_station"].any()  # agrees with the seed (2026 station list)
    # line data cannot tell freight from passenger: counties crossed by a known line are listed
    crossed = table[table["rail_line_crosses"]]
    assert set(crossed["gap_class"]) <= {"line_no_station"}
    # "only one has freight": the data shows no freight for certain anywhere, and leaves a few open
    assert (table["freight_rail"] == "yes").sum() <= 1
    assert (table["freight_rail"] != "no").sum() >= 1


def test_pair_rail_columns(sd, rail, data_dir):
    from countylink.layers.pairs import build_pairs

    counties, gaps = sd
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pairs = build_pairs("shandong-2024", counties=counties)
    road = crowfly_travel(
        pairs["helper_seat_lon"], pairs["helper_seat_lat"], pairs["helped_seat_lon"], pairs["helped_seat_lat"]
    )
    pairs = pairs.assign(road_time_min=road["time_min"].to_numpy())
    out = add_pair_rail_columns(pairs, gaps, rail)
    assert len(out) == len(pairs) and out.crs == pairs.crs
    known = out["helper_adcode"].fillna("").ne("")
    assert out.loc[known, "helper_gap_class"].notna().all() and out["helped_gap_class"].notna().all()
    found = out[out["rail_route_found"]]
    assert len(found) >= 1
    assert (found["rail_changes"] >= 0).all() and (found["rail_time_min"] > 0).all()
    assert np.allclose(found["rail_road_ratio"], found["rail_door_min"] / found["road_time_min"])
    assert out.loc[~known, "rail_time_min"].isna().all()  # unknown helper: no route invented
    assert set(out["rail_method"]) == {"stop_list_class_speed_estimate"}


def test_cli_gaps_outputs_and_errors(tmp_path, data_dir, shared_rail_data):
    from countylink.cli import main

    runner = CliRunner()
    env = {"COUNTYLINK_DATA": str(data_dir)}
    out = tmp_path / "g.csv"
    r = runner.invoke(
        main, ["gaps", "--programme", "shandong-2024", "--role", "helped", "--format", "csv", "-o", str(out)], env=env
    )
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out, dtype={"adcode": str})
    assert len(table) == 10 and (table["role"] == "helped").all()
    assert table["gap_rank"].is_monotonic_increasing
    r = runner.invoke(main, ["gaps", "--province", "zhejiang"], env=env)
    assert r.exit_code == 0 and "gap_class" in r.output and "(2020)" in r.output
    r = runner.invoke(main, ["gaps", "--province", "atlantis"], env=env)
    assert r.exit_code == 2 and "error" in r.output
    r = runner.invoke(main, ["gaps", "--province", "shandong", "--format", "geojson"], env=env)
    assert r.exit_code == 2 and "needs -o" in r.output
    bad = tmp_path / "empty.csv"
    bad.write_text("")
    target = tmp_path / "never.csv"
    r = runner.invoke(
        main, ["gaps", "--province", "shandong", "--stations", str(bad), "--format", "csv", "-o", str(target)], env=env
    )
    assert r.exit_code == 2 and "empty" in r.output and not target.exists()


def test_pipeline_rail_step_adds_layers_and_pair_columns(run_context):
    layers = run_context.layers  # the run's steps, once per session (conftest)
    assert layers.stations is not None and layers.rail_lines is not None
    assert len(layers.gaps) == len(layers.counties)
    assert set(layers.stations["adcode"]) <= set(layers.counties["adcode"])
    assert list(layers.pairs) == ["shandong-2024", "zhejiang-2023"]
    for pairs in layers.pairs.values():
        assert "rail_changes" in pairs.columns and "helped_gap_class" in pairs.columns
    assert any("rail:" in n for n in run_context.notes)


def test_counties_without_any_station(sd, rail):
    """Only counties with no station at all (e.g. a scenario or an extract of a neighbour): no crash."""
    counties, _ = sd
    helped = counties[counties["adcode"].isin(["370406", "371423", "371524"])]  # 山亭, 庆云, 东阿
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gaps = gaps_layer(helped, rail)
    assert len(gaps) == 3 and (gaps["n_stations"] == 0).all() and (gaps["stations"] == "").all()
    assert set(gaps["gap_class"]) == {"no_rail"}
    assert gaps["nearest_station"].notna().all()  # nearest stations are searched nationally
