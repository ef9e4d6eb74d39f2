"""Pipeline step: the pairing maps of a ``countylink run``, next to the layers.

Writes ``map_<programme>.html`` for every programme of the run and, when the
run has more than one, ``map_all.html`` with each programme as its own layer.
Rail stations, rail lines, gap classes and road corridors are drawn when
earlier steps produced those layers; the raster step's travel-time surfaces
(``access_*.tif`` in ``ctx.extra_files``, crow-fly drive estimate first) are
added as image layers that start hidden.
"""

from __future__ import annotations

from countylink.maps.pairing_map import counties_for_pairs, pairing_map, save_map
from countylink.maps.raster_overlay import as_travel_time_surface, is_surface_file, order_surface_files

OPTIONAL_LAYERS = ("stations", "rail_lines", "gaps")


def map_layers(layers: dict, programmes) -> dict:
    """Keyword arguments of :func:`pairing_map` taken from a run's layers."""
    pairs = {p: layers[f"pairs_{p}"] for p in programmes if f"pairs_{p}" in layers}
    corridors = {p: layers[f"corridors_{p}"] for p in programmes if f"corridors_{p}" in layers}
    kwargs = {name: layers[name] for name in OPTIONAL_LAYERS if name in layers}
    return {"pairs": pairs, "corridors": corridors or None, **kwargs}


def run_step(ctx) -> None:
    """Write the maps into ``ctx.out_dir`` (skipped, with a note, without counties or pairs)."""
    counties = ctx.layers.get("counties")
    layers = map_layers(ctx.layers, ctx.programmes)
    if counties is None or not layers["pairs"]:
        ctx.notes.append("maps: skipped (no counties or pairs layer in this run)")
        return
    indicator = "gdp" if "gdp" in counties.columns else None
    # read once, drawn on every map (each map keeps those over its counties)
    surfaces = [
        as_travel_time_surface(p) for p in order_surface_files(f for f in ctx.extra_files if is_surface_file(f))
    ]
    jobs = [(f"map_{p}.html", [p]) for p in layers["pairs"]]
    if len(layers["pairs"]) > 1:
        jobs.append(("map_all.html", list(layers["pairs"])))
    for fname, progs in jobs:
        sub = map_layers(ctx.layers, progs)
        shown = counties_for_pairs(counties, _concat(sub["pairs"].values()))
        fmap = pairing_map(shown, sub.pop("pairs"), indicator=indicator, travel_time_surfaces=surfaces or None, **sub)
        path = save_map(fmap, ctx.out_dir / fname)
        ctx.extra_files.append(path)
        ctx.progress(f"maps: {fname} ({path.stat().st_size / 1e6:.1f} MB)")


def _concat(frames):
    import pandas as pd

    return pd.concat(list(frames), ignore_index=True)
