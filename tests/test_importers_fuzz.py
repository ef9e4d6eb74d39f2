"""Fuzz every CSV importer (issue #15): any text gives a checked table or one CountylinkError.

Two kinds of input per importer: arbitrary bytes shaped like CSV (wrong columns,
quotes, stray encodings), and well-formed files whose values are drawn from the
hostile set (empty, NaN, inf, negative, 1e20, fractional years, wrong units, unknown
names). Examples are bounded so the file runs in seconds; hypothesis's database is off
so a run does not depend on an earlier one.
"""

from __future__ import annotations

import math
import uuid
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from countylink.errors import CountylinkError
from countylink.layers.indicator_import import REGISTRY

FUZZ = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

CELLS = st.sampled_from(
    ["", " ", "nan", "NaN", "inf", "-inf", "-5", "0", "1e20", "2024.7", "2024", "abc", '"', "1,5", "亿元", "370406"]
) | st.text(max_size=8)


def csv_like(columns: list[str]):
    """Text that looks like a CSV with (some of) ``columns``: header, then rows of hostile cells."""
    header = st.lists(st.sampled_from([*columns, "extra", "GDP", ""]), min_size=1, max_size=len(columns) + 2)
    row = st.lists(CELLS, min_size=0, max_size=len(columns) + 2)
    return st.tuples(header, st.lists(row, max_size=6)).map(
        lambda hr: "\n".join([",".join(hr[0])] + [",".join(r) for r in hr[1]]) + "\n"
    )


def _file(tmp_path: Path, payload: str | bytes, suffix: str = ".csv") -> Path:
    p = tmp_path / f"{uuid.uuid4().hex}{suffix}"
    if isinstance(payload, str):
        encoding = "gbk" if "gbk" in p.name else "utf-8"
        p.write_text(payload, encoding=encoding)
    else:
        p.write_bytes(payload)
    return p


def accepted_or_refused(read, path):
    """Call ``read(path)``: a table, or None when it raised a CountylinkError (any other exception fails)."""
    try:
        return read(path)
    except CountylinkError as exc:
        assert "\n" not in str(exc).strip() or "Traceback" not in str(exc)
        return None


# --- indicator files ------------------------------------------------------------------------------

INDICATOR_COLUMNS = ["adcode", "name", "indicator", "value", "unit", "year", "source"]


@FUZZ
@given(text=csv_like(INDICATOR_COLUMNS))
def test_indicator_importer_on_arbitrary_text(tmp_path, text):
    from countylink.layers.indicators import read_indicator_csv

    table = accepted_or_refused(read_indicator_csv, _file(tmp_path, text))
    if table is not None:
        _check_indicator_table(table)


def _check_indicator_table(table):
    assert table["value"].map(math.isfinite).all() and table["source"].str.strip().ne("").all()
    assert table["year"].between(1949, 2100).all() and table["adcode"].str.fullmatch(r"\d{6}").all()
    for name, spec in REGISTRY.items():
        vals = table.loc[table["indicator"] == name, "value"]
        assert vals.between(spec.low, spec.high).all() and (table.loc[vals.index, "unit"] == spec.unit).all()


@FUZZ
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["370406", "330329", "", "379999", "33O329"]),
            st.sampled_from(["gdp", "GDP", " Resident_Pop ", "road_km", "hospital_beds", ""]),
            st.one_of(
                st.floats(allow_nan=True, allow_infinity=True, width=32).map(repr),
                st.sampled_from(["", "12.5", "-3", "1e20"]),
            ),
            st.sampled_from(["", "亿元", "万元", "万人", "人", "km", "米", "吨", "beds"]),
            st.sampled_from(["2024", "2023.0", "2024.7", "-5", "1e20", "", "inf", "1949", "2999"]),
            st.sampled_from(["yearbook", "", " "]),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_indicator_importer_on_hostile_values(tmp_path, rows):
    from countylink.layers.indicators import read_indicator_csv

    text = "adcode,indicator,value,unit,year,source\n" + "\n".join(",".join(r) for r in rows) + "\n"
    table = accepted_or_refused(read_indicator_csv, _file(tmp_path, text))
    if table is None:
        return
    _check_indicator_table(table)
    assert len(table) == len(rows)  # accepted means every row: nothing dropped silently


# --- point files (matrix, isochrones) -------------------------------------------------------------


@FUZZ
@given(text=csv_like(["id", "lon", "lat", "name"]))
def test_point_reader_on_arbitrary_text(tmp_path, text):
    from countylink.geo.points import read_points

    table = accepted_or_refused(lambda p: read_points(p, coord_system="wgs84"), _file(tmp_path, text))
    if table is not None:
        assert table["id"].is_unique and (table["id"] != "").all()
        assert np.isfinite(table[["lon", "lat"]].to_numpy()).all()
        assert table["lon"].abs().le(180).all() and table["lat"].abs().le(90).all()


@FUZZ
@given(
    points=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "a", ""]),
            st.floats(min_value=-400, max_value=400) | st.just(math.nan),
            st.floats(min_value=-400, max_value=400) | st.just(math.nan),
        ),
        min_size=1,
        max_size=4,
    ),
    system=st.sampled_from(["wgs84", "gcj02", "bd09"]),
)
def test_point_reader_on_hostile_coordinates(tmp_path, points, system):
    from countylink.geo.points import read_points

    text = "id,lon,lat\n" + "\n".join(f"{i},{x!r},{y!r}" for i, x, y in points) + "\n"
    table = accepted_or_refused(lambda p: read_points(p, coord_system=system), _file(tmp_path, text))
    if table is not None:
        assert len(table) == len(points) and table["id"].is_unique
        assert table["lon"].abs().le(180.1).all() and table["lat"].abs().le(90.1).all()


# --- registries, station files, industry tables, logistics parameters -----------------------------


@FUZZ
@given(text=csv_like(["programme", "helper_adcode", "helper_name", "helped_adcode", "helped_name", "status", "source"]))
def test_registry_importer_on_arbitrary_text(tmp_path, text):
    from countylink.layers.pairs import load_registry

    table = accepted_or_refused(lambda p: load_registry(path=p), _file(tmp_path, text))
    if table is not None:
        assert table["helped_adcode"].str.fullmatch(r"\d{6}").all()


@FUZZ
@given(text=csv_like(["station_name", "lon", "lat"]))
def test_station_importer_on_arbitrary_text(tmp_path, text):
    from countylink.accessibility.rail.stations import read_station_file

    table = accepted_or_refused(lambda p: read_station_file(p, coord_system="wgs84"), _file(tmp_path, text))
    if table is not None:
        assert table.geometry.notna().all()


@FUZZ
@given(text=csv_like(["adcode", "industries"]))
def test_industry_table_importer_on_arbitrary_text(tmp_path, text):
    from countylink.cli.pairs import read_industry_table

    accepted_or_refused(read_industry_table, _file(tmp_path, text))


@FUZZ
@given(text=csv_like(["parameter", "value", "unit", "source"]))
def test_logistics_parameter_importer_on_arbitrary_text(tmp_path, text):
    from countylink.accessibility.freight.parameters import load_parameters

    accepted_or_refused(load_parameters, _file(tmp_path, text))


@FUZZ
@given(raw=st.binary(max_size=200))
@pytest.mark.parametrize("reader", ["indicators", "points", "registry"])
def test_importers_on_arbitrary_bytes(tmp_path, raw, reader):
    from countylink.geo.points import read_points
    from countylink.layers.indicators import read_indicator_csv
    from countylink.layers.pairs import load_registry

    read = {
        "indicators": read_indicator_csv,
        "points": lambda p: read_points(p, coord_system="wgs84"),
        "registry": lambda p: load_registry(path=p),
    }[reader]
    accepted_or_refused(read, _file(tmp_path, raw))
