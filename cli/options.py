"""Click options shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click

from countylink.files import DATA_ENV

data_option = click.option(
    "--data",
    "data",
    type=click.Path(path_type=Path),
    default=None,
    envvar=DATA_ENV,
    help=f"Offline data-pack directory (default: ${DATA_ENV}).",
)
province_option = click.option(
    "--province",
    "provinces",
    multiple=True,
    help="Province key or name, e.g. shandong, zhejiang, 山东省 (repeatable).",
)
programme_option = click.option(
    "--programme",
    default=None,
    help="Pairing programme id: shandong-2024 or zhejiang-2023.",
)
registry_option = click.option(
    "--registry",
    type=click.Path(path_type=Path),
    default=None,
    help="Your own pairing registry CSV (schema: data/programmes/README.md).",
)
output_option = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Output file.",
)
coord_system_option = click.option(
    "--coord-system",
    "coord_system",
    type=click.Choice(["wgs84", "gcj02", "bd09"]),
    default=None,
    help="Coordinate system of the given points: wgs84 (GPS, OSM), gcj02 (AMap, Tencent), bd09 (Baidu). "
    "Default wgs84, with a warning for points in China.",
)
indicators_option = click.option(
    "--indicators",
    type=click.Path(path_type=Path),
    default=None,
    help="Your own indicator CSV (long form: adcode or name, indicator, value, year, source).",
)
