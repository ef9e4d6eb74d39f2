"""``countylink run``: the main job -- every layer for both programmes."""

from __future__ import annotations

from pathlib import Path

import click

from countylink.cli.options import data_option, indicators_option, registry_option


@click.command("run")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Output folder (created if missing).",
)
@data_option
@click.option(
    "--network", default=None, help="Road graph for routed travel times: a GraphML/.osm.pbf/.osm file, or 'overpass'."
)
@click.option(
    "--programme",
    "programmes",
    multiple=True,
    help="Limit to these programmes (default: shandong-2024 and zhejiang-2023).",
)
@registry_option
@indicators_option
def run(out: Path, data, network, programmes, registry, indicators) -> None:
    """Build every layer for the pairing programmes and write them to OUT.

    Writes GeoJSON layers, CSV tables, maps and summary.csv. Without
    --network, travel figures are crow-fly estimates (method=crowfly_estimate).
    """
    from countylink.pipeline import run_pipeline

    summary = run_pipeline(
        out_dir=out,
        data=data,
        network=network,
        programmes=programmes or None,
        registry=registry,
        indicators=indicators,
    )
    click.echo(summary.to_string(index=False))
    click.echo(f"\nwrote {out}/")
