"""``countylink export``: write one layer to a file."""

from __future__ import annotations

from pathlib import Path

import click

from countylink.cli.options import (
    coord_system_option,
    data_option,
    indicators_option,
    output_option,
    programme_option,
    province_option,
    registry_option,
)
from countylink.errors import CountylinkError

#: the keys of countylink.layers.export.FORMATS (that module imports geopandas: not at --help time)
FORMAT_NAMES = ("geojson", "gpkg", "parquet", "csv")


@click.command("export")
@click.argument("layer")
@province_option
@programme_option
@registry_option
@indicators_option
@click.option(
    "--network",
    "network_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Road graph (GraphML, .osm.pbf, .osm) for corridors and isochrones.",
)
@click.option(
    "--points",
    type=click.Path(path_type=Path),
    default=None,
    help="CSV id,lon,lat for isochrones (default: county seats of --province).",
)
@coord_system_option
@click.option("--format", "fmt", default=None, help=f"One of {', '.join(FORMAT_NAMES)} (default: from the suffix).")
@output_option
@data_option
def export(
    layer: str,
    provinces,
    programme,
    registry: Path | None,
    indicators,
    network_path,
    points,
    coord_system,
    fmt,
    output: Path,
    data,
) -> None:
    """Write LAYER (counties, pairs, ...) for a province or programme to a file.

    \b
    Examples:
      countylink export counties --province shandong --format geojson -o sd.geojson
      countylink export pairs --programme zhejiang-2023 --format gpkg -o zj_pairs.gpkg
      countylink export corridors --programme shandong-2024 --network sd.graphml -o corridors.geojson
      countylink export isochrones --network sd.graphml --points seats.csv -o iso.geojson
    """
    from countylink.files import data_dir
    from countylink.layers.catalog import LAYERS, NETWORK_LAYERS, PROGRAMME_LAYERS, build_layer
    from countylink.layers.export import FORMATS, export_layer
    from countylink.pipeline import resolve_scope

    if layer not in LAYERS:
        raise CountylinkError(f"unknown layer {layer!r}; available: {', '.join(sorted(LAYERS))}")
    if fmt is not None and fmt.lower() not in FORMATS:
        raise CountylinkError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    scope = resolve_scope(programmes=programme, registry=registry, provinces=provinces)
    # a registry alone (no --province): the provinces of its counties
    keys = scope.provinces or (scope.pair_provinces if scope.registry is not None else ())
    if layer in PROGRAMME_LAYERS and scope.registry is None:
        raise CountylinkError(f"layer {layer!r} needs --programme (or --registry)")
    if layer in NETWORK_LAYERS and network_path is None:
        raise CountylinkError(f"layer {layer!r} is routed on a road graph: give --network GRAPH")
    if not keys and not (layer == "isochrones" and points is not None):
        raise CountylinkError("name a province with --province (or a programme with --programme)")
    graph = None
    if network_path is not None:
        from countylink.accessibility.road.network import load_network_for_run

        graph = load_network_for_run(str(network_path), provinces=keys)
    point_table = None
    if points is not None:
        from countylink.geo.points import read_points

        point_table = read_points(points, what="points file", coord_system=coord_system)
    folder = data_dir(data)
    user_indicators = None
    if indicators is not None:
        from countylink.layers.indicators import read_indicator_csv

        user_indicators = read_indicator_csv(indicators, provinces=keys)
    click.echo(f"building {layer} ...", err=True)
    gdf = build_layer(
        layer,
        provinces=keys,
        programme=scope.programme,
        pair_provinces=scope.pair_provinces,
        data=folder,
        registry=scope.registry,
        indicators=user_indicators,
        network=graph,
        points=point_table,
    )
    path = export_layer(gdf, output, fmt=fmt)
    click.echo(f"wrote {len(gdf)} features to {path}")
