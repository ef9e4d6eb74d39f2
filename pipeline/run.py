"""``run_pipeline``: every layer and map of ``countylink run``, written all at once.

The output folder is replaced whole: staged, listed in a manifest, swapped in
under a lock (see :func:`run_pipeline`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from countylink.errors import CountylinkError, EnvironmentProblem, environment_problem, signals_unwind
from countylink.methods import Method
from countylink.pipeline import steps
from countylink.pipeline.layers import RunLayers
from countylink.pipeline.resources import RunLog, RunResources, stderr_progress
from countylink.pipeline.scope import resolve_scope

if TYPE_CHECKING:
    import pandas as pd


def programme_summary(pairs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per programme with the headline figures of its pairs layer."""
    import pandas as pd

    rows = []
    for programme, layer in pairs.items():
        row = {
            "programme": programme,
            "pairs": len(layer),
            "confirmed": int((layer["status"] == "confirmed").sum()),
            "named": int((layer["status"] == "named").sum()),
            "inferred": int((layer["status"] == "inferred").sum()),
            "median_crowfly_km": round(float(layer["crowfly_km"].median()), 1),
            "median_gdp_ratio": round(float(layer["gdp_ratio"].median()), 2)
            if layer["gdp_ratio"].notna().any()
            else None,
            "pairs_with_gdp_ratio": int(layer["gdp_ratio"].notna().sum()),
        }
        if "road_time_min" in layer.columns:
            row["median_road_time_min"] = round(float(layer["road_time_min"].median()), 1)
            row["travel_method"] = ",".join(sorted(layer["method"].dropna().unique())) if "method" in layer else None
        if "road_time_min" in layer.columns and "method" in layer.columns:
            known = layer["helper_adcode"].notna()
            row["pairs_routed"] = int(
                (known & layer["method"].isin([Method.OSM_NETWORK, Method.HIGHWAY_NETWORK])).sum()
            )
            row["pairs_crowfly"] = int((known & (layer["method"] == Method.CROWFLY_ESTIMATE)).sum())
        seats = [c for c in ("helper_seat_kind", "helped_seat_kind") if c in layer.columns]
        if seats:
            # a synthetic seat (polygon pole) is not where the county government is: say how many pairs use one
            row["pairs_with_synthetic_seat"] = int((layer[seats] == "synthetic").any(axis=1).sum())
        if "helped_gap_class" in layer.columns:
            row["helped_without_passenger_rail"] = int(
                layer["helped_gap_class"].isin(["no_rail", "line_no_station"]).sum()
            )
        rows.append(row)
    return pd.DataFrame(rows)


def write_layers(layers: RunLayers, folder: Path) -> pd.DataFrame:
    """Write every layer into ``folder``; the ``summary.csv`` table (layer, rows, file)."""
    import pandas as pd

    from countylink.layers.export import export_layer

    written = []
    for fname, layer in layers.output_files():
        export_layer(layer, folder / fname, fmt=Path(fname).suffix[1:])
        written.append((Path(fname).stem, len(layer), fname))
    return pd.DataFrame(written, columns=["layer", "rows", "file"])


#: the run's list of files with sizes and SHA-256 checksums, written last
MANIFEST = "manifest.json"


def write_manifest(folder: Path, *, programmes: tuple[str, ...]) -> dict:
    """Write ``manifest.json`` listing every file in ``folder`` (size, SHA-256); flush each file to disk."""
    import hashlib
    import json
    from importlib.metadata import PackageNotFoundError, version

    from countylink.files import fsync_path

    files = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        fsync_path(path)
        files.append(
            {"path": path.relative_to(folder).as_posix(), "bytes": path.stat().st_size, "sha256": digest.hexdigest()}
        )
    try:
        tool = version("countylink")
    except PackageNotFoundError:
        tool = "unknown"
    manifest = {"countylink": tool, "programmes": list(programmes), "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    fsync_path(folder / MANIFEST)
    fsync_path(folder)
    return manifest


def check_manifest(folder: Path) -> list[str]:
    """Files of a run folder that are missing, changed or not listed in its manifest (empty when intact)."""
    import hashlib
    import json

    listed = {f["path"]: f for f in json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]}
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST}
    problems = [f"missing {n}" for n in sorted(set(listed) - present)]
    problems += [f"not listed {n}" for n in sorted(present - set(listed))]
    for name in sorted(present & set(listed)):
        if hashlib.sha256((folder / name).read_bytes()).hexdigest() != listed[name]["sha256"]:
            problems.append(f"changed {name}")
    return problems


def _is_run_folder(path: Path) -> bool:
    """True for a folder that holds nothing, or an earlier run's output (safe to replace whole)."""
    return not any(path.iterdir()) or (path / MANIFEST).is_file() or (path / "summary.csv").is_file()


def run_pipeline(
    *,
    out_dir: str | Path,
    data: str | Path | None = None,
    network: str | None = None,
    programmes: tuple[str, ...] | None = None,
    registry: str | Path | None = None,
    indicators: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Run every step and write all layers into ``out_dir``.

    The whole output is built in a hidden staging folder beside ``out_dir``
    (``.<name>.staging-<pid>``), listed with checksums in ``manifest.json``,
    flushed to disk, and then swapped for ``out_dir`` in two renames; the
    previous run is removed only after the swap succeeded (and put back if it
    failed). So ``out_dir`` holds either the previous run or this one, never a
    mix, and no file of an earlier run stays behind. A lock beside ``out_dir``
    (``.<name>.lock``) stops a second run into the same folder; SIGTERM/SIGHUP
    (and Ctrl-C) remove the staging folder; leftovers of a run that died
    without cleaning (a crash) are removed by the next run.

    ``registry`` (a pairing registry CSV) replaces the shipped registry of the
    one programme named; ``indicators`` (a long indicator CSV) adds the user's
    figures over the data pack's.

    Returns
    -------
    DataFrame
        The per-programme summary (``summary_programmes.csv``), or the layer
        summary (``summary.csv``) when the run has no pairs.

    Raises
    ------
    CountylinkError
        ``out_dir`` is a file, a symbolic link, or a folder that is not an earlier run's output.
    EnvironmentProblem
        Another run holds the lock, or the folder beside ``out_dir`` is not writable.
    """
    from countylink.files import data_dir

    folder = data_dir(data)
    out = Path(out_dir).expanduser()
    if out.is_symlink():
        raise CountylinkError(f"output {out} is a symbolic link; give the real folder")
    if out.exists() and not out.is_dir():
        raise CountylinkError(f"output {out} exists and is not a folder")
    parent = out.absolute().parent
    if not parent.is_dir():
        raise CountylinkError(f"cannot create output folder {out}: {parent} is not a folder")
    if registry is not None and len(programmes or ()) != 1:
        raise CountylinkError("--registry replaces one programme's registry: name that programme with --programme")
    scope = resolve_scope(programmes=programmes, registry=registry, all_programmes=True)
    user_indicators = None
    if indicators is not None:
        from countylink.layers.indicators import read_indicator_csv

        user_indicators = read_indicator_csv(indicators, provinces=scope.provinces)
    with signals_unwind(), output_lock(parent / f".{out.name}.lock", what=str(out)):
        if out.is_dir() and not _is_run_folder(out):
            raise CountylinkError(
                f"output folder {out} holds files that are not a countylink run (no {MANIFEST}); "
                "a run replaces its whole output folder: choose a new or empty folder"
            )
        _remove_leftovers(parent, out.name)
        log = RunLog(progress=progress or stderr_progress)
        graph = None
        if network is not None:
            from countylink.accessibility.road.network import load_network_for_run

            log.progress(f"loading road network {network}")
            graph = load_network_for_run(network, provinces=scope.provinces)
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-{os.getpid()}-", dir=parent))
        except OSError as exc:
            raise environment_problem(exc, action=f"cannot create the staging folder for {out}:") from None
        try:
            # steps that write files (maps, rasters) write into the staging folder
            res = RunResources(data_dir=folder, out_dir=tmp, graph=graph, log=log, indicators=user_indicators)
            layers = steps.build_layers(scope, res)
            with log.timed("maps"):
                steps.maps(layers, res)
            with log.timed("write layers"):
                summary = write_layers(layers, tmp)
            progs_table = programme_summary(layers.pairs)
            progs_table.to_csv(tmp / "summary_programmes.csv", index=False)
            summary.to_csv(tmp / "summary.csv", index=False)
            if log.notes:
                (tmp / "NOTES.txt").write_text("\n".join(log.notes) + "\n", encoding="utf-8")
            write_manifest(tmp, programmes=tuple(scope.programmes))
            swap_folder(tmp, out)
        except OSError as exc:
            raise environment_problem(exc, action=f"the run into {out} stopped:") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return progs_table if not progs_table.empty else summary


def swap_folder(new: Path, target: Path) -> None:
    """Put folder ``new`` at ``target``; an existing ``target`` is kept until the swap succeeded."""
    from countylink.files import fsync_path

    previous = target.absolute().parent / f".{target.name}.previous-{os.getpid()}"
    had_previous = target.exists()
    if had_previous:
        os.rename(target, previous)
    try:
        os.rename(new, target)
    except BaseException:
        if had_previous:
            os.rename(previous, target)
        raise
    fsync_path(target.absolute().parent)
    if had_previous:
        shutil.rmtree(previous, ignore_errors=True)


def _remove_leftovers(parent: Path, name: str) -> None:
    """Remove staging and previous-run folders of runs into ``name`` that died (the caller holds the lock)."""
    for pattern in (f".{name}.staging-*", f".{name}.previous-*"):
        for stale in parent.glob(pattern):
            shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def output_lock(path: Path, *, what: str) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created, removed at the end) or fail at once if another run holds it.

    Raises
    ------
    EnvironmentProblem
        Another process holds the lock, or the lock file cannot be created.
    """
    import fcntl

    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise environment_problem(exc, action=f"cannot lock output {what}:") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise EnvironmentProblem(
                f"another countylink run (pid {holder}) is writing {what}; wait for it or choose another --out"
            ) from None
        # the previous holder may have removed the file between our open and flock: lock the file on disk
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.close(fd)
