"""Scenario: a hypothetical station or freight line, on the data pack's rail data."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from countylink.accessibility.freight.scenario import hypothetical_station
from countylink.errors import DataError, NotFoundError
from countylink.layers.pair_points import pair_station_scenario

SHANTING = "370406"  # 山亭区: a helped county of shandong-2024 (helper 即墨区 370215)


@pytest.fixture(scope="module")
def shandong(data_dir):
    from countylink.layers.cost import freight_inputs
    from countylink.layers.counties import counties_layer
    from countylink.layers.pairs import build_pairs

    counties = counties_layer(("shandong",), data=data_dir)
    return counties, build_pairs("shandong-2024", counties=counties), freight_inputs(data=data_dir)


@pytest.fixture(scope="module")
def conventional(shandong, data_dir):
    from countylink.layers.cost import scenario_table

    counties, pairs, freight = shandong
    return scenario_table(pairs, counties=counties, adcode=SHANTING, freight=freight, data=data_dir)


@pytest.mark.slow
def test_conventional_station_changes_the_pair(conventional):
    s = conventional.attrs["scenario"]
    # seed 000: none of the ten helped counties has passenger rail
    assert s["gap_class_before"] in ("no_rail", "line_no_station")
    assert s["gap_class_after"] == "conventional_only"
    row = conventional.set_index("helped_adcode").loc[SHANTING]
    assert row["helped_gap_after"] == "conventional_only"
    assert row["destination_station_after"] == s["station"]
    assert row["destination_station_before"] != s["station"]
    # the long truck leg to the old station becomes the minimum leg; the branch adds rail km
    assert row["rail_km_after"] != row["rail_km_before"]
    assert row["rail_cost_after"] < row["rail_cost_before"]
    assert row["rail_cost_change"] == pytest.approx(row["rail_cost_after"] - row["rail_cost_before"], abs=0.02)
    assert s["branch_km"] > 0 and s["junction"]


@pytest.mark.slow
def test_only_affected_pairs_are_reported(conventional, shandong):
    _, pairs, _ = shandong
    assert 1 <= len(conventional) < len(pairs)
    assert SHANTING in set(conventional["helped_adcode"].astype(str))


@pytest.mark.slow
def test_hsr_station_leaves_freight_alone(shandong, data_dir):
    from countylink.layers.cost import scenario_table

    counties, pairs, freight = shandong
    got = scenario_table(pairs, counties=counties, adcode=SHANTING, freight=freight, data=data_dir, kind="hsr")
    assert got.attrs["scenario"]["gap_class_after"] == "hsr"
    row = got.set_index("helped_adcode").loc[SHANTING]
    assert row["rail_cost_after"] == row["rail_cost_before"]
    assert row["origin_station_after"] == row["origin_station_before"]


def test_freight_line_scenario_on_synthetic_data():
    """A freight line gives a freight station (costs change) and a line without a passenger station."""
    counties = pd.DataFrame(
        {"adcode": ["379901", "379902"], "name": ["East", "West"], "seat_lon": [118.0, 116.0], "seat_lat": [36.0, 36.0]}
    )
    pairs = pd.DataFrame(
        {
            "pair_id": ["p:379902"],
            "helper_adcode": ["379901"],
            "helper_name": ["East"],
            "helped_adcode": ["379902"],
            "helped_name": ["West"],
            "helper_seat_lon": [118.0],
            "helper_seat_lat": [36.0],
            "helped_seat_lon": [116.0],
            "helped_seat_lat": [36.0],
        }
    )
    stations = pd.DataFrame(
        {
            "station_name": ["E", "J"],
            "lon": [118.0, 116.5],
            "lat": [36.0, 36.0],
            "n_trains": [5, 5],
            "n_trains_K": [5, 5],
            "n_trains_G": [0, 0],
            "n_trains_hsr": [0, 0],
            "n_trains_conventional": [5, 5],
            "hsr_served": [False, False],
            "adcode": ["379901", None],
        }
    )
    freight = stations.assign(station_basis="test")
    got = pair_station_scenario(
        pairs, counties=counties, adcode="379902", stations=stations, freight_stations=freight, kind="freight"
    )
    s = got.attrs["scenario"]
    assert s["junction"] == "J"
    assert (s["gap_class_before"], s["gap_class_after"]) == ("no_rail", "line_no_station")
    row = got.iloc[0]
    assert row["destination_station_after"] == "West (scenario)"
    # rail km: E→J great-circle×detour plus the branch J→West: the same line, so about E→West × detour
    from countylink.accessibility.freight.parameters import load_parameters
    from countylink.accessibility.road.crowfly import great_circle_km

    detour = load_parameters().at["rail_detour_factor", "value"]
    assert row["rail_km_after"] == pytest.approx(float(great_circle_km(118.0, 36.0, 116.0, 36.0)) * detour, rel=1e-3)
    assert row["rail_cost_after"] < row["rail_cost_before"]  # the 45 km truck leg is gone


@pytest.mark.slow
def test_bad_scenarios(shandong, data_dir):
    from countylink.layers.cost import scenario_table

    counties, pairs, freight = shandong
    with pytest.raises(DataError, match="999999"):
        scenario_table(pairs, counties=counties, adcode="999999", freight=freight, data=data_dir)
    with pytest.raises(DataError, match="kind"):
        pair_station_scenario(
            pairs,
            counties=counties,
            adcode=SHANTING,
            stations=freight.stations,
            freight_stations=freight.stations,
            kind="maglev",
        )
    with pytest.raises(NotFoundError, match="junction"):
        pair_station_scenario(
            pairs,
            counties=counties,
            adcode=SHANTING,
            stations=freight.stations,
            freight_stations=freight.stations,
            junction="Atlantis",
        )
    with pytest.raises(DataError, match="already exists"):
        hypothetical_station(freight.stations, name="济南", lon=117.0, lat=36.6, adcode="370102")


@pytest.mark.slow
def test_scenario_cli(data_dir, tmp_path):
    from countylink.cli import main

    runner = CliRunner()
    out = tmp_path / "scen.csv"
    res = runner.invoke(
        main,
        [
            "scenario",
            "--programme",
            "shandong-2024",
            "--station-at",
            SHANTING,
            "--format",
            "csv",
            "-o",
            str(out),
            "--data",
            str(data_dir),
        ],
    )
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out, dtype={"helped_adcode": str})
    assert SHANTING in set(table["helped_adcode"])
    res = runner.invoke(
        main, ["scenario", "--programme", "shandong-2024", "--station-at", "330329", "--data", str(data_dir)]
    )
    assert res.exit_code == 2 and "330329" in res.output
    res = runner.invoke(
        main,
        [
            "scenario",
            "--programme",
            "shandong-2024",
            "--station-at",
            SHANTING,
            "--lon",
            "117.4",
            "--data",
            str(data_dir),
        ],
    )
    assert res.exit_code == 2 and "--lat" in res.output
