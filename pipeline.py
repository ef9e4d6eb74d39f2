"""The main job behind ``countylink run``.

A run is a list of steps. Each step takes the shared :class:`RunContext`,
builds one or more layers (GeoDataFrames or DataFrames) and stores them in
``ctx.layers``; later steps may read earlier layers. After all steps the
layers are written to the output directory (GeoJSON for geometry layers,
CSV for tables), plus ``summary.csv``.

Feature modules add their step to :data:`STEPS` as ``"module:function"``; a
step is skipped only when its inputs are absent (for example no road graph),
and it says so in ``ctx.notes``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass
class RunContext:
    """State shared by the steps of one run."""

    data_dir: Path
    out_dir: Path
    provinces: tuple[str, ...] = ("shandong", "zhejiang")
    programmes: tuple[str, ...] = ("shandong-2024", "zhejiang-2023")
    network: Any = None  # a networkx MultiDiGraph with travel_time, or None
    rail: Any = None  # stations, stop lists and service network, read once by the gaps step
    layers: dict[str, pd.DataFrame] = field(default_factory=dict)
    extra_files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    progress: Callable[[str], None] = print


Step = Callable[[RunContext], None]

# (layer-group name, "module:function"), run in this order.
STEPS: list[tuple[str, str]] = [
    ("counties", "countylink.layers.counties:run_step"),
    ("pairs", "countylink.layers.pairs:run_step"),
    ("corridors", "countylink.layers.corridors:run_step"),  # road_time_min/road_km/method on pairs
    ("isochrones", "countylink.layers.isochrones:run_step"),  # only with a road graph
    ("gaps", "countylink.layers.gaps:run_step"),
    ("access", "countylink.layers.access:run_step"),  # after gaps: adds columns to it
    ("cost", "countylink.layers.cost:run_step"),
    ("maps", "countylink.maps.run_step:run_step"),  # last: draws the layers above
]


def load_step(spec: str) -> Step:
    """Import ``"package.module:function"`` and return the function."""
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def _write_layers(ctx: RunContext, folder: Path) -> list[tuple[str, int, str]]:
    import geopandas as gpd

    from countylink.layers.export import export_layer

    written = []
    for name, layer in ctx.layers.items():
        is_geo = isinstance(layer, gpd.GeoDataFrame) and layer.geometry.name in layer.columns
        if is_geo and layer.geometry.notna().any():
            fname = f"{name}.geojson"
            export_layer(layer, folder / fname, fmt="geojson")
        else:
            fname = f"{name}.csv"
            export_layer(layer, folder / fname, fmt="csv")
        written.append((name, len(layer), fname))
    return written


def programme_summary(ctx: RunContext) -> pd.DataFrame:
    """One row per programme with the headline figures of its pairs layer."""
    rows = []
    for programme in ctx.programmes:
        pairs = ctx.layers.get(f"pairs_{programme}")
        if pairs is None:
            continue
        row = {
            "programme": programme,
            "pairs": len(pairs),
            "confirmed": int((pairs["status"] == "confirmed").sum()),
            "named": int((pairs["status"] == "named").sum()),
            "inferred": int((pairs["status"] == "inferred").sum()),
            "median_crowfly_km": round(float(pairs["crowfly_km"].median()), 1),
            "median_gdp_ratio": round(float(pairs["gdp_ratio"].median()), 2)
            if pairs["gdp_ratio"].notna().any()
            else None,
            "pairs_with_gdp_ratio": int(pairs["gdp_ratio"].notna().sum()),
        }
        if "road_time_min" in pairs.columns:
            row["median_road_time_min"] = round(float(pairs["road_time_min"].median()), 1)
            row["travel_method"] = ",".join(sorted(pairs["method"].dropna().unique())) if "method" in pairs else None
        if "helped_gap_class" in pairs.columns:
            row["helped_without_passenger_rail"] = int(
                pairs["helped_gap_class"].isin(["no_rail", "line_no_station"]).sum()
            )
        rows.append(row)
    return pd.DataFrame(rows)


def run_pipeline(
    *,
    out_dir: str | Path,
    data: str | Path | None = None,
    network: str | None = None,
    programmes: tuple[str, ...] | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Run every step and write all layers into ``out_dir``.

    Layers are first written into a temporary folder beside ``out_dir`` and
    moved into place only when every step succeeded, so a failed run leaves
    no half-written output.

    Returns
    -------
    DataFrame
        The layer summary that is also written to ``summary.csv``.
    """
    import os
    import shutil
    import sys
    import tempfile
    import time

    from countylink.errors import CountylinkError
    from countylink.files import data_dir
    from countylink.layers.pairs import PROGRAMMES, programme_province

    folder = data_dir(data)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise CountylinkError(f"output {out} exists and is not a folder")
    parent = out.resolve().parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise CountylinkError(f"cannot create output folder {out}: {parent} is not a writable folder")
    progs = tuple(programmes) if programmes else tuple(PROGRAMMES)
    for p in progs:
        programme_province(p)
    provinces = tuple(dict.fromkeys(programme_province(p) for p in progs))

    def say(msg: str) -> None:
        print(f"[countylink] {msg}", file=sys.stderr, flush=True)

    ctx = RunContext(data_dir=folder, out_dir=out, provinces=provinces, programmes=progs, progress=progress or say)
    if network is not None:
        from countylink.accessibility.road.network import load_network_for_run

        ctx.progress(f"loading road network {network}")
        ctx.network = load_network_for_run(network, provinces=provinces)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        ctx.out_dir = tmp  # steps that write files (maps, rasters) write here first
        for name, spec in STEPS:
            t0 = time.perf_counter()
            load_step(spec)(ctx)
            ctx.progress(f"{name}: done in {time.perf_counter() - t0:.1f} s")
        written = _write_layers(ctx, tmp)
        summary = pd.DataFrame(written, columns=["layer", "rows", "file"])
        progs_table = programme_summary(ctx)
        progs_table.to_csv(tmp / "summary_programmes.csv", index=False)
        summary.to_csv(tmp / "summary.csv", index=False)
        if ctx.notes:
            (tmp / "NOTES.txt").write_text("\n".join(ctx.notes) + "\n", encoding="utf-8")
        out.mkdir(exist_ok=True)
        for item in tmp.iterdir():
            dest = out / item.name
            if dest.is_dir() and not dest.is_symlink():
                shutil.rmtree(dest)
            os.replace(item, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ctx.out_dir = out
    return progs_table if not progs_table.empty else summary
