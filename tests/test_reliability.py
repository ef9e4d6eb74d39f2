"""Reliability (issue #15): one error path, atomic outputs, the run's output folder, real faults.

Faults are real where the machine allows: a full disk is a small tmpfs mounted in a
private mount namespace (``unshare -m``, as root), a read-only folder a read-only bind
mount, a permission failure a path whose parent is a file (root ignores mode bits);
signals go to a real ``countylink run`` subprocess. Where a namespace cannot be made,
ENOSPC is injected at ``os.fsync``, the lowest call of every atomic write.

Why one file of this size: it follows the issue's failure classes in order (error path,
atomic outputs, the run folder, importers, points, interface), so the map from a class to
its test (docs/reliability.md) stays one file; the fuzz and serve tests have their own.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from countylink.cli import main
from countylink.errors import EnvironmentProblem
from countylink.files import atomic_output, read_csv_table
from countylink.pipeline import steps
from countylink.pipeline.run import MANIFEST, check_manifest, run_pipeline

REPO = Path(__file__).resolve().parents[1]


def invoke(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


def error_line(res) -> str:
    """The one error line of a failed command (and nothing that looks like a traceback)."""
    assert "Traceback" not in res.output, res.output
    errors = [line for line in res.output.splitlines() if line.startswith("countylink: error:")]
    assert len(errors) == 1, res.output
    return errors[0]


def _can_unshare() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


UNSHARE = _can_unshare()


def run_in_namespace(setup: str, code: str, *, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``setup`` (mount commands) then Python ``code`` in a private mount namespace."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    script = f"{setup} && exec {sys.executable} -c {shlex_quote(textwrap.dedent(code))}"
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, env=env, timeout=timeout
    )


def shlex_quote(s: str) -> str:
    import shlex

    return shlex.quote(s)


def cli_code(*args: str) -> str:
    return f"import sys; from countylink.cli import main; sys.argv = ['countylink', *{list(args)!r}]; main()"


# --- 1. one error path ------------------------------------------------------------------------


def test_internal_error_is_one_line_with_the_traceback_in_a_file(tmp_path, data_dir, monkeypatch):
    import countylink.layers.export as export_mod

    def broken(*a, **k):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(export_mod, "rfc7946_text", broken)
    monkeypatch.setenv("COUNTYLINK_CACHE", str(tmp_path))
    args = ("export", "counties", "--province", "zhejiang", "-o", tmp_path / "zj.geojson", "--data", data_dir)
    res = invoke(*args)
    assert res.exit_code == 3
    line = error_line(res)
    assert "internal error ZeroDivisionError: a bug" in line
    trace = Path(line.split("full traceback in ")[1].split(";")[0])
    assert trace.parent == tmp_path and "Traceback" in trace.read_text(encoding="utf-8")
    assert "in broken" in trace.read_text(encoding="utf-8")
    with pytest.raises(ZeroDivisionError):  # --debug shows the real exception
        invoke("--debug", *args)


def test_os_errors_are_one_line_exit_1(tmp_path, data_dir):
    # a path whose parent is a file: fails for root too (no permission bits involved)
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    res = invoke("export", "counties", "--province", "zhejiang", "-o", blocker / "x.geojson", "--data", data_dir)
    assert res.exit_code == 2 and "is a file; choose an existing folder" in error_line(res)
    res = invoke("run", "--out", blocker / "out", "--data", data_dir)
    assert res.exit_code == 2 and "is not a folder" in error_line(res)


@pytest.mark.skipif(not UNSHARE, reason="needs root and unshare -m (else covered by the injected ENOSPC tests)")
@pytest.mark.parametrize(
    "command, name",
    [
        (("export", "counties", "--province", "zhejiang"), "zj.geojson"),  # megabytes of polygons
        pytest.param(
            ("map", "--programme", "zhejiang-2023", "--layers", "none"), "zj.html", marks=pytest.mark.slow
        ),  # about 1 MB
    ],
)
def test_disk_full_during_export_or_map_is_one_line_and_keeps_the_old_file(tmp_path, data_dir, command, name):
    """A real full disk: a 64 KiB tmpfs holding an earlier, small output file."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    out = mnt / name
    code = f"from pathlib import Path; Path({str(out)!r}).write_text('earlier'); " + cli_code(
        *command, "-o", str(out), "--data", str(data_dir)
    )
    code += "; print('never reached')"
    code = (
        f"import sys\ntry:\n    exec({code!r})\nfinally:\n"
        f"    from pathlib import Path\n    print('LEFT', sorted(p.name for p in Path({str(mnt)!r}).iterdir()), "
        f"Path({str(out)!r}).read_text())"
    )
    res = run_in_namespace(f"mount -t tmpfs -o size=64k tmpfs {mnt}", code)
    assert res.returncode == 1, res.stderr
    lines = [x for x in res.stderr.splitlines() if x.startswith("countylink: error:")]
    assert lines == [f"countylink: error: cannot write {out}: the disk is full: free some space or write elsewhere"]
    assert "Traceback" not in res.stderr
    assert f"LEFT ['{name}'] earlier" in res.stdout


@pytest.mark.skipif(not UNSHARE, reason="needs root and unshare -m (read-only bind mount)")
def test_read_only_output_folder_fails_before_the_run(tmp_path, data_dir):
    ro = tmp_path / "ro"
    ro.mkdir()
    code = cli_code("run", "--out", str(ro / "out"), "--data", str(data_dir))
    t0 = time.perf_counter()
    res = run_in_namespace(f"mount --bind {ro} {ro} && mount -o remount,ro,bind {ro}", code)
    assert res.returncode == 1, res.stderr
    assert "the file system is read-only: write elsewhere" in res.stderr and "Traceback" not in res.stderr
    assert time.perf_counter() - t0 < 30  # refused up front, not after the whole run
    assert list(ro.iterdir()) == []


def test_gbk_file_is_read_with_a_warning(tmp_path):
    p = tmp_path / "gbk.csv"
    p.write_bytes("id,name,lon,lat\n1,山亭区,117.46,35.10\n".encode("gbk"))
    with pytest.warns(UserWarning, match="not UTF-8; read it as GB18030"):
        frame = read_csv_table(p, what="points file", dtype=str)
    assert frame.loc[0, "name"] == "山亭区"
    p.write_bytes(b"id,name\n1,\xff\xfe\xff\n")  # neither UTF-8 nor GB18030
    with pytest.raises(Exception, match="neither UTF-8 nor GB18030/GBK text; re-save it as UTF-8"):
        read_csv_table(p, what="points file")


def test_malformed_data_pack_csv_is_one_line(tmp_path, data_dir):
    """A data pack whose county indicator table is broken: no ParserError traceback."""
    pack = tmp_path / "pack"
    pack.mkdir()
    for item in data_dir.iterdir():
        if item.name != "economy":
            (pack / item.name).symlink_to(item)
    (pack / "economy").mkdir()
    for item in (data_dir / "economy").iterdir():
        (pack / "economy" / item.name).symlink_to(item)
    bad = pack / "economy" / "zhejiang_county_indicators_2024.csv"
    bad.unlink()
    bad.write_text('adcode,gdp_100m_yuan,year\n330102,"12,3\n330103,1,2,3,4\n', encoding="utf-8")
    res = invoke("export", "counties", "--province", "zhejiang", "-o", tmp_path / "x.geojson", "--data", pack)
    assert res.exit_code == 2
    assert f"data-pack file {bad} is not a well-formed CSV" in error_line(res)


# --- 2. atomic outputs ------------------------------------------------------------------------


def test_atomic_output_turns_enospc_at_fsync_into_one_sentence(tmp_path, monkeypatch):
    target = tmp_path / "t.csv"
    target.write_text("previous", encoding="utf-8")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with (
        pytest.raises(EnvironmentProblem, match=r"cannot write .*t.csv: the disk is full"),
        atomic_output(target) as tmp,
    ):
        tmp.write_text("new", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_atomic_output_refuses_an_empty_file(tmp_path):
    with pytest.raises(EnvironmentProblem, match="empty file"), atomic_output(tmp_path / "e.csv") as tmp:
        tmp.write_bytes(b"")
    assert list(tmp_path.iterdir()) == []


def test_a_segfaulted_writer_leaves_temp_files_the_next_write_removes(tmp_path):
    target = tmp_path / "layer.geojson"
    code = f"""
        import os, signal
        from countylink.files import atomic_output
        with atomic_output({str(target)!r}) as tmp:
            tmp.write_text("half", encoding="utf-8")
            os.kill(os.getpid(), signal.SIGSEGV)
    """
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, timeout=60)
    assert res.returncode == -signal.SIGSEGV
    orphans = [p.name for p in tmp_path.iterdir()]
    assert len(orphans) == 1 and orphans[0].startswith(".layer.tmp-")  # a crash cannot clean up after itself
    with atomic_output(target) as tmp:
        tmp.write_text("{}", encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["layer.geojson"]


def _big_surface():
    import pyproj
    import rasterio.transform

    from countylink.geo.raster import RasterGrid, RasterSurface

    rng = np.random.default_rng(15)
    values = rng.random((600, 600)) * 100  # random: compresses badly, about 1.4 MB
    grid = RasterGrid(
        pyproj.CRS.from_epsg(32650), rasterio.transform.from_origin(500_000, 4_000_000, 100, 100), 600, 600
    )
    return RasterSurface(values=values, grid=grid, kind="travel_time", units="min", method="test", tags={})


def test_truncated_geotiff_is_refused_by_the_read_back(tmp_path, monkeypatch):
    """GDAL may only warn on a short write: the read-back check catches a file cut short."""
    import countylink.geo.raster as raster_mod
    from countylink.geo.raster import verify_geotiff, write_geotiff

    good = tmp_path / "tt.tif"
    write_geotiff(_big_surface(), good)
    verify_geotiff(good)  # a complete file passes
    cut = tmp_path / "cut.tif"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(EnvironmentProblem, match="does not read back"):
        verify_geotiff(cut)
    # a writer whose output is cut short before the rename: the previous file stays
    real = raster_mod.verify_geotiff

    def truncate_then_verify(path):
        with open(path, "r+b") as fh:
            fh.truncate(Path(path).stat().st_size // 2)
        real(path)

    monkeypatch.setattr(raster_mod, "verify_geotiff", truncate_then_verify)
    before = good.read_bytes()
    with pytest.raises(EnvironmentProblem, match="does not read back"):
        write_geotiff(_big_surface(), good)
    assert good.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.tif", "tt.tif"]


@pytest.mark.skipif(not UNSHARE, reason="needs root and unshare -m (else the injected test above)")
def test_geotiff_on_a_nearly_full_disk_is_not_renamed_into_place(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    code = f"""
        import sys
        sys.path.insert(0, {str(REPO / "tests")!r})
        from pathlib import Path
        from test_reliability import _big_surface
        from countylink.errors import CountylinkError
        from countylink.geo.raster import write_geotiff
        target = Path({str(mnt)!r}) / "tt.tif"
        target.write_bytes(b"previous")
        try:
            write_geotiff(_big_surface(), target)
        except CountylinkError as exc:
            print("REFUSED", type(exc).__name__, exc)
        print("LEFT", sorted(p.name for p in target.parent.iterdir()), target.read_bytes()[:8])
    """
    res = run_in_namespace(f"mount -t tmpfs -o size=512k tmpfs {mnt}", code)
    assert "REFUSED EnvironmentProblem" in res.stdout, res.stdout + res.stderr
    assert "LEFT ['tt.tif'] b'previous'" in res.stdout


# --- 2b. the run's output folder ---------------------------------------------------------------


@pytest.fixture()
def quick_run(monkeypatch):
    """``run`` with counties and pairs only: these tests check the output folder, not the steps."""
    full = steps.build_layers
    monkeypatch.setattr(
        steps,
        "build_layers",
        lambda scope, res: full(scope, res, road=False, rail_layers=False, access_layers=False, cost_layers=False),
    )
    monkeypatch.setattr(steps, "maps", lambda layers, res: None)


def test_run_swaps_the_whole_folder_with_a_manifest(tmp_path, data_dir, quick_run):
    out = tmp_path / "out"
    run_pipeline(out_dir=out, data=data_dir, programmes=("zhejiang-2023",), progress=lambda m: None)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    listed = {f["path"] for f in manifest["files"]}
    assert listed == {p.name for p in out.iterdir()} - {MANIFEST}
    assert "counties.geojson" in listed and all(len(f["sha256"]) == 64 for f in manifest["files"])
    assert check_manifest(out) == []
    (out / "stale_from_an_old_version.geojson").write_text("{}", encoding="utf-8")
    (out / "counties.geojson").write_text("{}", encoding="utf-8")
    assert check_manifest(out) == ["not listed stale_from_an_old_version.geojson", "changed counties.geojson"]
    # a run killed by a crash (no cleanup) left its staging folder: the next run removes it
    (tmp_path / ".out.staging-99999-abc").mkdir()
    run_pipeline(out_dir=out, data=data_dir, programmes=("zhejiang-2023",), progress=lambda m: None)
    assert not (out / "stale_from_an_old_version.geojson").exists() and check_manifest(out) == []
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_run_refuses_a_folder_that_is_not_a_run(tmp_path, data_dir, quick_run):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.docx").write_text("precious", encoding="utf-8")
    res = invoke("run", "--out", home, "--data", data_dir, "--programme", "zhejiang-2023")
    assert res.exit_code == 2 and "holds files that are not a countylink run" in error_line(res)
    assert [p.name for p in home.iterdir()] == ["thesis.docx"]


def test_run_with_disk_full_at_the_end_keeps_the_previous_run(tmp_path, data_dir, quick_run, monkeypatch):
    out = tmp_path / "out"
    run_pipeline(out_dir=out, data=data_dir, programmes=("zhejiang-2023",), progress=lambda m: None)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real_fsync = os.fsync
    calls = {"n": 0}

    def fsync_fills_up(fd):  # the disk fills while the manifest flushes the staged files
        calls["n"] += 1
        if calls["n"] > 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_fills_up)
    res = invoke("run", "--out", out, "--data", data_dir, "--programme", "zhejiang-2023")
    assert res.exit_code == 1 and "the disk is full" in error_line(res)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder, no lock file


@pytest.mark.skipif(not UNSHARE, reason="needs root and unshare -m (else the injected ENOSPC run test above)")
def test_run_on_a_full_disk_keeps_the_previous_run(tmp_path, data_dir):
    """A real full disk under ``run`` (counties and pairs only, for speed): exit 1, previous run intact."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    code = f"""
        import sys
        from pathlib import Path
        from countylink.pipeline import steps
        full = steps.build_layers
        steps.build_layers = lambda scope, res: full(
            scope, res, road=False, rail_layers=False, access_layers=False, cost_layers=False
        )
        steps.maps = lambda layers, res: None
        out = Path({str(mnt)!r}) / "out"
        out.mkdir()
        (out / "summary.csv").write_text("earlier run\\n")
        (out / "manifest.json").write_text('{{"files": []}}\\n')
        from countylink.cli import main
        sys.argv = ["countylink", "run", "--out", str(out), "--data", {str(data_dir)!r}, "--programme", "zhejiang-2023"]
        try:
            main()
        finally:
            print("LEFT", sorted(p.name for p in out.parent.iterdir()), sorted(p.name for p in out.iterdir()))
            print("SUMMARY", (out / "summary.csv").read_text().strip())
    """
    res = run_in_namespace(f"mount -t tmpfs -o size=1m tmpfs {mnt}", code)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "the disk is full: free some space or write elsewhere" in res.stderr and "Traceback" not in res.stderr
    assert "LEFT ['out'] ['manifest.json', 'summary.csv']" in res.stdout
    assert "SUMMARY earlier run" in res.stdout


def _start_run(out: Path, data_dir: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), COUNTYLINK_DATA=str(data_dir))
    return subprocess.Popen(
        [sys.executable, "-c", cli_code("run", "--out", str(out), "--programme", "zhejiang-2023")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_for_staging(proc: subprocess.Popen, parent: Path, name: str, timeout: float = 90) -> None:
    t0 = time.perf_counter()
    while not list(parent.glob(f".{name}.staging-*")):
        assert proc.poll() is None, proc.communicate()
        assert time.perf_counter() - t0 < timeout, "the run never started staging"
        time.sleep(0.1)


def _earlier_run(out: Path) -> dict[str, bytes]:
    out.mkdir()
    (out / "summary.csv").write_text("layer,rows,file\nearlier,1,x\n", encoding="utf-8")
    (out / MANIFEST).write_text('{"files": []}\n', encoding="utf-8")
    return {p.name: p.read_bytes() for p in out.iterdir()}


@pytest.mark.parametrize(
    "signum", [pytest.param(signal.SIGTERM, marks=pytest.mark.slow), signal.SIGHUP, signal.SIGINT]
)  # SIGTERM also starts a second run, which takes a few seconds more
def test_signal_removes_staging_and_keeps_the_previous_run(tmp_path, data_dir, signum):
    out = tmp_path / "out"
    before = _earlier_run(out)
    proc = _start_run(out, data_dir)
    _wait_for_staging(proc, tmp_path, "out")
    if signum == signal.SIGTERM:  # meanwhile, a second run into the same folder is refused at once
        second = _start_run(out, data_dir)
        _, err2 = second.communicate(timeout=60)
        assert second.returncode == 1, err2
        assert "another countylink run (pid" in err2 and "is writing" in err2 and "Traceback" not in err2
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err
    assert f"interrupted ({signal.Signals(signum).name}); partial output was removed" in err
    assert "Traceback" not in err
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # staging and lock gone
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_concurrent_runs_in_process_lock(tmp_path):
    from countylink.pipeline.run import output_lock

    lock = tmp_path / ".out.lock"
    with output_lock(lock, what="out"):
        assert lock.read_text() == str(os.getpid())
        refused = pytest.raises(EnvironmentProblem, match=rf"another countylink run \(pid {os.getpid()}\)")
        with refused, output_lock(lock, what="out"):
            pass
    assert not lock.exists()


# --- 3. strict importers ----------------------------------------------------------------------


def _indicators(tmp_path, text, name="ind.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


HEAD = "adcode,indicator,value,unit,year,source\n"


@pytest.mark.parametrize(
    "text, message",
    [
        # an empty adcode cell and no name column: was KeyError 'name'
        (HEAD + ",gdp,10,亿元,2024,bulletin\n", "no county \\(adcode and name both empty\\) on line 2"),
        (
            HEAD + "330329,gdp,10,亿元,inf,bulletin\n",
            "year must be a whole number from 1949 to .* on line 2 \\('inf'\\)",
        ),
        (HEAD + "330329,gdp,10,亿元,2024.7,bulletin\n", "year must be a whole number .* \\('2024.7'\\)"),
        (HEAD + "330329,gdp,10,亿元,-5,bulletin\n", "year must be a whole number .* \\('-5'\\)"),
        (HEAD + "330329,gdp,10,亿元,1e20,bulletin\n", "year must be a whole number .* \\('1e20'\\)"),
        (HEAD + "330329,gdp,,亿元,2024,bulletin\n", "empty value \\(give the figure or remove the row\\) on line 2"),
        (HEAD + "330329,gdp,nan,亿元,2024,bulletin\n", "non-finite value|non-numeric value"),
        (HEAD + "330329,gdp,-3,亿元,2024,bulletin\n", "value outside the indicator's plausible range"),
        (HEAD + "330329,gdp,inf,亿元,2024,bulletin\n", "non-finite value on line 2 \\('inf'\\)"),
        (HEAD + "330329,gdp,10,万人,2024,bulletin\n", "unit is not one of the indicator's quantity .* \\('万人'\\)"),
        (HEAD + "330329,gdp,10,亿元,2024,\n", "empty source \\(say where the figure comes from\\) on line 2"),
        (HEAD + "330329,hospital_beds,10,beds,2024,bulletin\n", "unknown indicator .* \\('hospital_beds'\\)"),
        (
            "adcode,name,indicator,value,year,source\n330329,龙泉市,gdp,10,2024,bulletin\n",
            "adcode and name disagree \\(fix one of them\\) on line 2 \\('330329 龙泉市'\\)",
        ),
    ],
)
def test_bad_indicator_rows_are_refused_in_one_line(tmp_path, data_dir, text, message):
    p = _indicators(tmp_path, text)
    out = tmp_path / "o.geojson"
    res = invoke("export", "counties", "--province", "zhejiang", "--indicators", p, "-o", out, "--data", data_dir)
    assert res.exit_code == 2
    line = error_line(res)
    assert line.startswith(f"countylink: error: indicator file {p}: ")
    assert re.search(message, line), line
    assert not (tmp_path / "o.geojson").exists()


def test_indicator_names_units_and_replacements_are_reported(tmp_path, data_dir):
    from countylink.layers.indicators import read_indicator_csv

    p = _indicators(
        tmp_path,
        HEAD + "330329,GDP,1500000,万元,2024,Taishun bulletin 2025\n330329, Resident_Pop ,321000,人,2024,bulletin\n",
    )
    with pytest.warns(UserWarning, match=r"converted to the canonical units \(1 from 万元, 1 from 人\)"):
        table = read_indicator_csv(p)
    assert list(table["indicator"]) == ["gdp", "resident_pop"]  # case and spaces ignored: no new column
    assert table["value"].tolist() == pytest.approx([150.0, 32.1]) and list(table["unit"]) == [
        "100m yuan",
        "10k persons",
    ]
    assert table.attrs["report"] == {"rows": 2, "converted": {"万元": 1, "人": 1}}
    res = invoke(
        "export",
        "counties",
        "--province",
        "zhejiang",
        "--indicators",
        p,
        "-o",
        tmp_path / "zj.geojson",
        "--data",
        data_dir,
    )
    assert res.exit_code == 0, res.output
    assert "your indicator file replaces 2 data-pack value(s)" in res.output
    zj = json.loads((tmp_path / "zj.geojson").read_text(encoding="utf-8"))
    taishun = next(f["properties"] for f in zj["features"] if f["properties"]["adcode"] == "330329")
    assert taishun["gdp"] == pytest.approx(150.0) and taishun["gdp_source"] == "Taishun bulletin 2025"
    assert "GDP" not in taishun


# --- OSM XML, CRS options ---------------------------------------------------------------------

OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
 <node id="1" lat="47.10" lon="9.50"/>
 <node id="{id2}" lat="{lat2}" lon="9.51"/>
 <node id="3" lat="47.12" lon="9.52"/>
 <node id="4" lat="47.13" lon="9.53"/>
 <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/></way>
 <way id="11"><nd ref="3"/><nd ref="4"/><nd ref="5"/><tag k="highway" v="primary"/></way>
 <way id="12"><nd ref="6"/><nd ref="4"/><tag k="highway" v="primary"/></way>
</osm>
"""


@pytest.mark.parametrize(
    "id2, lat2, message", [("2", "600", "wrong format for coordinate: '600'"), ("abc", "47.11", "illegal id: 'abc'")]
)
def test_malformed_osm_xml_is_one_line(tmp_path, id2, lat2, message):
    osm = tmp_path / "bad.osm"
    osm.write_text(OSM.format(id2=id2, lat2=lat2), encoding="utf-8")
    res = invoke("network", "build", "--osm-xml", osm, "-o", tmp_path / "g.graphml")
    assert res.exit_code == 2
    assert f"cannot read OSM extract {osm}: {message}" in error_line(res)


def test_osm_ways_with_missing_nodes_are_counted(tmp_path):
    from countylink.accessibility.osm.elements import read_osm_elements

    osm = tmp_path / "holes.osm"
    osm.write_text(OSM.format(id2="2", lat2="47.11"), encoding="utf-8")
    with pytest.warns(UserWarning, match=r"2 node\(s\) .* missing .* 2 way\(s\) shortened, 1 of them dropped"):
        elements = read_osm_elements(osm, network_filter="drive", progress=False)["elements"]
    assert sorted(e["id"] for e in elements if e["type"] == "way") == [10, 11]


def test_invalid_dem_crs_is_one_line(tmp_path, data_dir):
    res = invoke(
        "access", "--province", "zhejiang", "--dem", data_dir / "terrain/ASTGTMV003_N36E122_dem.tif",
        "--dem-crs", "EPSG:99999", "-o", tmp_path / "a.tif", "--data", data_dir,
    )  # fmt: skip
    assert res.exit_code == 2
    assert "--dem-crs 'EPSG:99999' is not a coordinate reference system" in error_line(res)


# --- 4. one point reader --------------------------------------------------------------------------

#: the pack's check point: Jinan railway station, WGS-84 (OSM) and GCJ-02
JINAN_WGS, JINAN_GCJ = (116.98515, 36.67085), (116.99093, 36.67107)


def _points(tmp_path, rows, encoding="utf-8"):
    p = tmp_path / "pts.csv"
    p.write_bytes(("id,lon,lat\n" + "".join(f"{r}\n" for r in rows)).encode(encoding))
    return p


def test_points_gcj02_is_warned_about_and_converted(tmp_path):
    from countylink.geo.points import read_points

    p = _points(tmp_path, [f"jinan,{JINAN_GCJ[0]},{JINAN_GCJ[1]}"])
    with pytest.warns(UserWarning, match="read as WGS-84; .* --coord-system gcj02"):
        as_given = read_points(p)
    assert as_given.loc[0, "lon"] == JINAN_GCJ[0]
    converted = read_points(p, coord_system="gcj02")
    assert converted.loc[0, "lon"] == pytest.approx(JINAN_WGS[0], abs=2e-5)
    assert converted.loc[0, "lat"] == pytest.approx(JINAN_WGS[1], abs=2e-5)


@pytest.mark.parametrize(
    "rows, message",
    [
        (["a,117.0,36.6", "a,117.1,36.7"], r"2 rows share an id \(ids must be unique\) on line 2 \('a'\), 3 \('a'\)"),
        (["a,36.67,116.98", "b,36.6,117.1"], "lon and lat look swapped .* on line 2, 3; swap them"),
        (["a,117.0,600"], r"lat within ±90 degrees on line 2 \(got 117, 600\)"),
        (["a,117.0,inf"], "lon/lat missing or not finite numbers on line 2"),
        (["a,117.0,"], "lon/lat missing or not finite numbers on line 2"),
        (["a,117.0,north"], r"lat is not a number on line 2 \('north'\)"),
        ([",117.0,36.6"], "empty id on line 2"),
    ],
)
def test_bad_points_are_refused(tmp_path, rows, message):
    from countylink.errors import DataError
    from countylink.geo.points import read_points

    with pytest.raises(DataError, match=message):
        read_points(_points(tmp_path, rows), coord_system="wgs84")


def test_gbk_points_file_is_read(tmp_path):
    from countylink.geo.points import read_points

    p = tmp_path / "gbk.csv"
    p.write_bytes("id,lon,lat,名称\n济南站,116.98515,36.67085,济南\n".encode("gbk"))
    with pytest.warns(UserWarning, match="GB18030"):
        pts = read_points(p, coord_system="wgs84")
    assert pts.loc[0, "id"] == "济南站" and pts.loc[0, "名称"] == "济南"


def test_matrix_and_scenario_use_the_point_checks(tmp_path, data_dir):
    bad = _points(tmp_path, ["a,117.0,36.6", "a,117.1,36.7"])
    res = invoke("matrix", "--network", "highways", "--origins", bad, "--destinations", bad, "-o", tmp_path / "m.csv")
    assert res.exit_code == 2 and "ids must be unique" in error_line(res)
    res = invoke(
        "scenario", "--programme", "zhejiang-2023", "--station-at", "330329", "--lon", "27.6", "--lat", "119.7"
    )
    assert res.exit_code == 2 and "--lon/--lat: lon and lat look swapped" in error_line(res)
    res = invoke(
        "scenario", "--programme", "zhejiang-2023", "--station-at", "330329", "--lon", "519.7", "--lat", "27.6"
    )
    assert res.exit_code == 2 and "lon must be within ±180" in error_line(res)


# --- interface --------------------------------------------------------------------------------


def test_readme_export_examples_run_as_pasted(tmp_path, data_dir):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    examples = [line for line in readme.splitlines() if line.startswith("countylink export ")]
    assert examples and not any("|" in line.split("#")[0] for line in examples)  # no shell pipe if pasted
    registry = tmp_path / "my_pairs.csv"
    shutil.copy(REPO / "data/programmes/zhejiang-2023.csv", registry)
    (tmp_path / "official.csv").write_text(
        HEAD + "330329,gdp,160.5,亿元,2024,Taishun bulletin 2025\n", encoding="utf-8"
    )
    example = next(line for line in examples if "--registry" in line)
    args = example.split()[2:]
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        res = invoke("export", *args, "--data", data_dir)
    finally:
        os.chdir(cwd)
    assert res.exit_code == 0, res.output
    pairs = json.loads((tmp_path / "mine.geojson").read_text(encoding="utf-8"))
    taishun = next(f["properties"] for f in pairs["features"] if f["properties"]["helped_adcode"] == "330329")
    assert taishun["helped_gdp"] == pytest.approx(160.5)


def test_format_and_suffix_must_agree(tmp_path, data_dir):
    out = tmp_path / "zj.geojson"
    res = invoke("export", "counties", "--province", "zhejiang", "--format", "gpkg", "-o", out, "--data", data_dir)
    assert res.exit_code == 2 and "zj.geojson names a geojson file but the format asked for is gpkg" in error_line(res)
    assert not out.exists()


@pytest.mark.slow
def test_a_killed_run_leaves_leftovers_the_next_run_removes(tmp_path, data_dir, quick_run):
    """SIGKILL cannot be caught: the staging folder and lock file stay, the next run cleans them and succeeds."""
    out = tmp_path / "out"
    _earlier_run(out)
    proc = _start_run(out, data_dir)
    _wait_for_staging(proc, tmp_path, "out")
    proc.kill()
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    left = sorted(p.name for p in tmp_path.iterdir())
    assert ".out.lock" in left and any(n.startswith(".out.staging-") for n in left)
    run_pipeline(out_dir=out, data=data_dir, programmes=("zhejiang-2023",), progress=lambda m: None)
    assert [p.name for p in tmp_path.iterdir()] == ["out"] and check_manifest(out) == []
