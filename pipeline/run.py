"""``run_pipeline``: every layer and map of ``countylink run``, written all at once."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from countylink.errors import CountylinkError
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

    Layers are first written into a temporary folder beside ``out_dir`` and
    moved into place only when every step succeeded, so a failed run leaves
    no half-written output. ``registry`` (a pairing registry CSV) replaces the
    shipped registry of the one programme named; ``indicators`` (a long indicator
    CSV) adds the user's figures over the data pack's.

    Returns
    -------
    DataFrame
        The per-programme summary (``summary_programmes.csv``), or the layer
        summary (``summary.csv``) when the run has no pairs.
    """
    from countylink.files import data_dir

    folder = data_dir(data)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise CountylinkError(f"output {out} exists and is not a folder")
    parent = out.resolve().parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise CountylinkError(f"cannot create output folder {out}: {parent} is not a writable folder")
    if registry is not None and len(programmes or ()) != 1:
        raise CountylinkError("--registry replaces one programme's registry: name that programme with --programme")
    scope = resolve_scope(programmes=programmes, registry=registry, all_programmes=True)
    user_indicators = None
    if indicators is not None:
        from countylink.layers.indicators import read_indicator_csv

        user_indicators = read_indicator_csv(indicators, provinces=scope.provinces)
    log = RunLog(progress=progress or stderr_progress)
    graph = None
    if network is not None:
        from countylink.accessibility.road.network import load_network_for_run

        log.progress(f"loading road network {network}")
        graph = load_network_for_run(network, provinces=scope.provinces)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
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
        out.mkdir(exist_ok=True)
        for item in tmp.iterdir():
            dest = out / item.name
            if dest.is_dir() and not dest.is_symlink():
                shutil.rmtree(dest)
            os.replace(item, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return progs_table if not progs_table.empty else summary
