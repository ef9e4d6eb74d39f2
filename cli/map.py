"""``countylink map``: an interactive pairing map as one offline HTML file."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import click

from countylink.cli.options import data_option, indicators_option, output_option, registry_option
from countylink.errors import CountylinkError, NotFoundError

#: --layers keys -> the RunLayers field each draws (travel_time: GeoTIFF surfaces from
#: --surface FILE or the access_*.tif of a --from folder)
OPTIONAL = {
    "rail": "rail_lines",
    "stations": "stations",
    "gaps": "gaps",
    "corridors": "corridors",
    "travel_time": None,
}


def _parse_layers(text: str | None) -> tuple[set[str], bool]:
    """(--layers keys, whether the user named them explicitly)."""
    if text is None or text.strip() == "all":
        return set(OPTIONAL), False
    if text.strip() == "none":
        return set(), True
    keys = {k.strip() for k in text.split(",") if k.strip()}
    unknown = sorted(keys - set(OPTIONAL))
    if unknown:
        raise NotFoundError(
            f"unknown map layer(s) {', '.join(unknown)}; choose from {', '.join(OPTIONAL)}, all or none"
        )
    return keys, True


def build_map_layers(scope, data, wanted: set[str], indicators=None):
    """Counties, pairs and the wanted optional layers, built by the run's own steps.

    ``indicators``: the user's long indicator table, laid over the data pack's.
    """
    from countylink.files import data_dir
    from countylink.pipeline import RunLog, RunResources, build_layers

    log = RunLog(progress=lambda msg: click.echo(f"[countylink] {msg}", err=True))
    with tempfile.TemporaryDirectory(prefix="countylink-map-") as tmp:
        res = RunResources(data_dir=data_dir(data), out_dir=Path(tmp), log=log, indicators=indicators)
        return build_layers(
            scope,
            res,
            road="corridors" in wanted,
            rail_layers=bool(wanted & {"rail", "stations", "gaps"}),
            access_layers=False,
            cost_layers=False,
        )


@click.command("map")
@click.option(
    "--programme",
    "programmes",
    multiple=True,
    required=True,
    help="Programme id (repeatable: several programmes become separate layers).",
)
@click.option(
    "--indicator", default="gdp", show_default=True, help="County indicator to shade by ('none' for no shading)."
)
@click.option(
    "--scheme",
    type=click.Choice(["quantiles", "natural_breaks", "equal_interval"]),
    default="quantiles",
    show_default=True,
    help="Classification scheme (mapclassify).",
)
@click.option("--classes", "k", type=click.IntRange(1, 9), default=5, show_default=True, help="Number of classes.")
@click.option(
    "--pair-metric",
    default=None,
    help="Numeric pairs column that sets line width, e.g. gdp_ratio (default: one width; line style shows status).",
)
@click.option(
    "--layers",
    "layers_text",
    default=None,
    help="Extra layers, comma-separated: rail,stations,gaps,corridors,travel_time (default: all that exist; 'none').",
)
@click.option(
    "--from",
    "run_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Read the layers from a 'countylink run' output folder instead of building them.",
)
@click.option(
    "--surface",
    "surfaces",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Travel-time GeoTIFF (countylink access / run) to add as a hidden image layer (repeatable). "
    "With --from, the folder's access_*.tif are added too.",
)
@click.option(
    "--basemap",
    type=click.Choice(["none", "osm", "amap"]),
    default="none",
    show_default=True,
    help="Base tiles (need network). amap tiles are GCJ-02: vector layers are shifted to match.",
)
@click.option(
    "--tolerance",
    "tolerance_m",
    type=click.FloatRange(min=0),
    default=250.0,
    show_default=True,
    help="Display simplification tolerance in metres.",
)
@registry_option
@indicators_option
@data_option
@output_option
def map_command(
    programmes,
    indicator,
    scheme,
    k,
    pair_metric,
    layers_text,
    run_dir,
    surfaces,
    basemap,
    tolerance_m,
    registry,
    indicators,
    data,
    output,
):
    """Write an interactive pairing map (offline HTML) for one or more programmes.

    Counties are shaded by INDICATOR, each pair is a curved arrow helper →
    helped; rail lines, stations, gap classes and road corridors are added
    when available. The file opens with no internet connection.
    """
    from countylink.maps.pairing_map import counties_for_pairs, pairing_map, save_map
    from countylink.maps.raster_overlay import as_travel_time_surface
    from countylink.pipeline import read_run_layers, resolve_scope

    if not str(output).lower().endswith((".html", ".htm")):
        raise CountylinkError(f"map output must be an .html file, got {output}")
    if run_dir is not None and (registry is not None or indicators is not None):
        raise CountylinkError(
            "--registry and --indicators build new layers: leave out --from (or rerun 'countylink run' with them)"
        )
    if registry is not None and len(programmes) != 1:
        raise CountylinkError("--registry replaces one programme's registry: give exactly one --programme")
    scope = resolve_scope(programmes=programmes, registry=registry, require="pairs")
    programmes = scope.programmes
    wanted, explicit = _parse_layers(layers_text)
    # bad --surface files fail before the layers are built
    given = {Path(p).resolve(): as_travel_time_surface(p) for p in surfaces}
    user_indicators = None
    if indicators is not None:
        from countylink.layers.indicators import read_indicator_csv

        user_indicators = read_indicator_csv(indicators, provinces=scope.provinces)
    layers = read_run_layers(run_dir, programmes) if run_dir else build_map_layers(scope, data, wanted, user_indicators)
    missing_pairs = [p for p in programmes if p not in layers.pairs]
    if missing_pairs:
        raise NotFoundError(f"no pairs layer for {', '.join(missing_pairs)}")
    kwargs: dict[str, Any] = {}  # optional layers for pairing_map, by parameter name
    for key in sorted(wanted):
        name = OPTIONAL[key]
        if name == "corridors":
            found = {p: layers.corridors[p] for p in programmes if p in layers.corridors}
            if found:
                kwargs["corridors"] = found
            elif explicit:
                raise NotFoundError(f"layer '{key}' is not available (no corridors_<programme> layer)")
        elif name is not None:
            layer = getattr(layers, name)
            if layer is not None:
                kwargs[name] = layer
            elif explicit:
                raise NotFoundError(f"layer '{key}' is not available (no {name} layer)")
    for name in ("cost", "assignment"):  # freight cost and optimal pairing of a run folder
        found = {p: getattr(layers, name)[p] for p in programmes if p in getattr(layers, name)}
        if found:
            kwargs[name] = found
    if surfaces or "travel_time" in wanted:
        from countylink.maps.raster_overlay import surface_files

        run_surfaces = surface_files(run_dir) if run_dir and "travel_time" in wanted else []
        if explicit and "travel_time" in wanted and not run_surfaces and not surfaces:
            raise NotFoundError(
                "layer 'travel_time' is not available (no access_*.tif in a --from run folder; "
                "or give --surface FILE.tif)"
            )
        chosen = list(dict.fromkeys(Path(p).resolve() for p in [*surfaces, *run_surfaces]))
        if chosen:
            kwargs["travel_time_surfaces"] = [given[p] if p in given else as_travel_time_surface(p) for p in chosen]
    import pandas as pd

    pairs = {p: layers.pairs[p] for p in programmes}
    counties = counties_for_pairs(layers.counties, pd.concat(list(pairs.values()), ignore_index=True))
    if surfaces:
        from countylink.maps.raster_overlay import surface_lonlat_bounds

        minx, miny, maxx, maxy = counties.total_bounds
        for path, surface in zip(chosen, kwargs["travel_time_surfaces"]):
            w, s, e, n = surface_lonlat_bounds(surface)
            if e < minx or w > maxx or n < miny or s > maxy:
                click.echo(f"note: {path.name} lies outside the map's counties; not drawn", err=True)
    fmap = pairing_map(
        counties,
        pairs,
        indicator=None if indicator == "none" else indicator,
        scheme=scheme,
        k=k,
        pair_metric=pair_metric,
        basemap=None if basemap == "none" else basemap,
        tolerance_m=tolerance_m,
        **kwargs,
    )
    path = save_map(fmap, output)
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
    if basemap == "amap":
        click.echo("note: vector layers were shifted WGS-84 → GCJ-02 to line up with the AMap tiles", err=True)
