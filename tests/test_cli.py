"""The command line itself: light start-up, warnings shown once, one scope resolver."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from countylink.cli import CountylinkGroup, main
from countylink.errors import CountylinkError, NotFoundError
from countylink.pipeline import resolve_scope

HEAVY = ("geopandas", "osmnx", "folium", "shapely", "networkx", "rasterio")


def test_help_imports_no_geospatial_library():
    """``countylink --help`` (and a command's help) must start fast: no geopandas, osmnx, folium ..."""
    code = (
        "import sys\n"
        "from countylink.cli import main\n"
        "for args in (['--help'], ['map', '--help'], ['export', '--help']):\n"
        "    try:\n"
        "        main.main(args, standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print('heavy:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    res = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert res.returncode == 0, res.stderr[-2000:]
    last = res.stdout.strip().splitlines()[-1]
    assert last == "heavy:", f"imported by --help: {last}"
    assert "Usage: " in res.stdout and "export" in res.stdout
    # -X importtime lists every module imported; none of the heavy ones
    imported = {line.rsplit("|", 1)[-1].strip() for line in res.stderr.splitlines() if "|" in line}
    assert not imported & set(HEAVY)
    assert "click" in imported  # the importtime listing is real


def _warning_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "warning" in line.lower()]


def test_library_warnings_shown_once_and_formatted(data_dir):
    """The same library warning raised twice during a command is printed once, without path or category."""
    from countylink.layers.counties import counties_layer

    long = pd.DataFrame(
        {"adcode": ["379999"], "indicator": ["gdp"], "value": [1.0], "year": [2024], "source": ["test"]}
    )

    @click.group(cls=CountylinkGroup)
    def group() -> None:
        pass

    @group.command("twice")
    def twice() -> None:
        for _ in range(2):  # 379999 is no Shandong county: counties_layer warns each time
            counties_layer(("shandong",), indicators=long, data=data_dir)
        click.echo("done")

    res = CliRunner().invoke(group, ["twice"])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == "done"
    assert _warning_lines(res.stderr) == ["countylink: warning: indicators for 1 unknown adcode(s): 379999"]


def test_warnings_of_a_failing_command_come_before_the_error(data_dir):
    from countylink.layers.counties import counties_layer

    long = pd.DataFrame(
        {"adcode": ["379999"], "indicator": ["gdp"], "value": [1.0], "year": [2024], "source": ["test"]}
    )

    @click.group(cls=CountylinkGroup)
    def group() -> None:
        pass

    @group.command("fail")
    def fail() -> None:
        counties_layer(("shandong",), indicators=long, data=data_dir)
        resolve_scope(programmes="jiangsu-2030")

    res = CliRunner().invoke(group, ["fail"])
    assert res.exit_code == 2
    lines = res.stderr.splitlines()
    assert lines[0] == "countylink: warning: indicators for 1 unknown adcode(s): 379999"
    assert lines[1].startswith("countylink: error: unknown programme 'jiangsu-2030'")
    assert len(lines) == 2


def test_real_command_warnings_are_formatted(data_dir):
    """``countylink gaps`` reads the pack's stop lists, which report unmatched station names."""
    res = CliRunner().invoke(main, ["gaps", "--province", "shandong", "--format", "csv", "--data", str(data_dir)])
    assert res.exit_code == 0, res.output
    warned = _warning_lines(res.stderr)
    assert warned, res.stderr
    assert all(line.startswith("countylink: warning: ") for line in warned)
    assert len(warned) == len(set(warned))
    assert "UserWarning" not in res.stderr and ".py:" not in res.stderr
    assert any("station names have no coordinates" in line for line in warned)


# --- the scope resolver ----------------------------------------------------------------------


def test_scope_of_programmes_and_provinces():
    run = resolve_scope(all_programmes=True)
    assert run.programmes == ("shandong-2024", "zhejiang-2023")
    assert run.provinces == ("shandong", "zhejiang") == run.pair_provinces
    assert len(run.registry) == 28 and set(run.registry["programme"]) == set(run.programmes)
    assert len(run.registry_of("shandong-2024")) == 10
    zj = resolve_scope(programmes="zhejiang-2023", provinces=("山东省",))
    assert zj.programme == "zhejiang-2023" and zj.provinces == ("shandong",)
    assert zj.pair_provinces == ("zhejiang",)  # a shipped programme's pairs lie in its province
    assert set(zj.adcodes) == set(zj.registry["helper_adcode"]) | set(zj.registry["helped_adcode"])
    prov = resolve_scope(provinces=("37", "zhejiang"))
    assert prov.provinces == ("shandong", "zhejiang") and prov.registry is None and prov.adcodes == ()


def test_scope_of_a_user_registry_spans_its_provinces(tmp_path):
    reg = tmp_path / "reg.csv"
    reg.write_text(
        "programme,helper_adcode,helper_name,helped_adcode,helped_name,status,source\n"
        "x,330102,上城区,370406,山亭区,named,test\n",
        encoding="utf-8",
    )
    scope = resolve_scope(registry=reg, require="pairs")
    assert scope.user_registry and scope.programmes == () and scope.label == "registry"
    assert scope.provinces == () and scope.pair_provinces == ("shandong", "zhejiang")
    assert scope.adcodes == ("330102", "370406")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"programmes": "jiangsu-2030"}, NotFoundError, "unknown programme"),
        ({"provinces": "atlantis"}, NotFoundError, "unknown province"),
        ({"require": "pairs"}, CountylinkError, "--programme"),
        ({"require": "provinces"}, CountylinkError, "--province"),
        ({"require": "pairs_or_provinces"}, CountylinkError, "--province"),
        ({"registry": Path("/nonexistent/reg.csv")}, NotFoundError, "registry file not found"),
    ],
)
def test_scope_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        resolve_scope(**kwargs)


@pytest.mark.parametrize(
    "args",
    [
        ["map", "--programme", "jiangsu-2030", "-o", "{tmp}/x.html"],
        ["export", "pairs", "--programme", "jiangsu-2030", "-o", "{tmp}/x.geojson"],
        ["gaps", "--programme", "jiangsu-2030"],
        ["cost", "--programme", "jiangsu-2030"],
        ["pairs", "--programme", "jiangsu-2030", "--optimise"],
        ["scenario", "--programme", "jiangsu-2030", "--station-at", "370406"],
        ["run", "--programme", "jiangsu-2030", "--out", "{tmp}/o"],
    ],
)
def test_every_scoped_command_rejects_an_unknown_programme_alike(args, data_dir, tmp_path):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    res = CliRunner().invoke(main, [*args, "--data", str(data_dir)])
    assert res.exit_code == 2, res.output
    assert "countylink: error: unknown programme 'jiangsu-2030'; known: shandong-2024, zhejiang-2023" in res.stderr
    assert list(tmp_path.iterdir()) == []
