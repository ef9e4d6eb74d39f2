"""``countylink scenario``: what if a county got a station or a freight line?"""

from __future__ import annotations

import click

from countylink.cli.cost import emit, format_option, load_context, optional_output, params_option, set_option
from countylink.cli.options import coord_system_option, data_option, registry_option


@click.command("scenario")
@click.option("--programme", default=None, help="Pairing programme id: shandong-2024 or zhejiang-2023.")
@registry_option
@click.option(
    "--station-at",
    "adcode",
    required=True,
    metavar="ADCODE",
    help="The county (6-digit code) that gets the hypothetical station.",
)
@click.option(
    "--kind",
    type=click.Choice(["conventional", "hsr", "freight"]),
    default="conventional",
    show_default=True,
    help="conventional: passenger+freight line; hsr: high-speed station (no freight); freight: freight line only.",
)
@click.option("--lon", type=float, default=None, help="Station longitude (default: the county seat).")
@click.option("--lat", type=float, default=None, help="Station latitude (default: the county seat).")
@coord_system_option
@click.option("--junction", default=None, help="Existing freight station the new branch joins (default: nearest).")
@format_option
@optional_output
@params_option
@set_option
@data_option
def scenario(
    programme, registry, adcode, kind, lon, lat, coord_system, junction, fmt, output, params_file, overrides, data
) -> None:
    """Gap classes, rail distance/time and freight cost of the pairs, before and after a new station.

    \b
    Examples:
      countylink scenario --programme shandong-2024 --station-at 370406
      countylink scenario --programme zhejiang-2023 --station-at 330329 --kind freight --format csv -o taishun.csv
    """
    from countylink.errors import CountylinkError
    from countylink.files import data_dir
    from countylink.layers.cost import SCENARIO_TABLE_COLUMNS, scenario_table

    if (lon is None) != (lat is None):
        raise CountylinkError("give both --lon and --lat, or neither")
    if lon is not None:
        from countylink.geo.points import checked_lonlat

        (lon,), (lat,) = checked_lonlat([lon], [lat], what="--lon/--lat", coord_system=coord_system, line_offset=None)
        lon, lat = float(lon), float(lat)
    ctx = load_context(programme, registry=registry, data=data, params_file=params_file, overrides=overrides)
    table = scenario_table(
        ctx.pairs,
        counties=ctx.counties,
        adcode=adcode,
        freight=ctx.freight,
        kind=kind,
        data=data_dir(data),
        params=ctx.params,
        lon=lon,
        lat=lat,
        junction=junction,
    )
    s = table.attrs["scenario"]
    footer = [
        f"{s['county']} ({s['adcode']}) gets a {s['kind']} station at {s['lon']}, {s['lat']}, "
        f"joined to {s['junction']} by a {s['branch_km']} km branch (great-circle × rail_detour_factor)",
        f"gap class of {s['county']}: {s['gap_class_before']} -> {s['gap_class_after']}",
        f"{s['pairs_changed']} pair(s) change",
    ]
    emit(table, fmt=fmt, output=output, table_columns=SCENARIO_TABLE_COLUMNS, footer=footer)
