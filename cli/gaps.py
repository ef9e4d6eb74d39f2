"""``countylink gaps``: the railway-gap table of a province or programme."""

from __future__ import annotations

from pathlib import Path

import click

from countylink.cli.options import data_option, programme_option, province_option
from countylink.errors import CountylinkError

TABLE_COLUMNS = [
    "adcode",
    "name",
    "role",
    "gap_class",
    "n_stations",
    "n_trains_hsr",
    "n_trains_conventional",
    "nearest_hsr",
    "nearest_hsr_km",
    "nearest_served",
    "nearest_served_km",
    "rail_line_km",
    "resident_pop",
    "resident_pop_year",
    "gdp",
    "gdp_year",
]


@click.command("gaps")
@province_option
@programme_option
@click.option(
    "--role",
    type=click.Choice(["all", "helped", "helper"]),
    default="all",
    show_default=True,
    help="With --programme: which side of the pairs to list.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "geojson"]), default="table", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Output file (csv/geojson; the table goes to stdout when omitted).",
)
@click.option(
    "--stations",
    "station_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Your own station CSV/GeoJSON (station_name, lon, lat) instead of the data pack's.",
)
@click.option(
    "--coord-system",
    type=click.Choice(["wgs84", "gcj02", "bd09"]),
    default=None,
    help="Coordinate system of --stations (GCJ-02/BD-09 are converted to WGS-84).",
)
@click.option(
    "--osm",
    "osm_file",
    type=click.Path(path_type=Path),
    default=None,
    help=".osm/.osm.pbf extract: stations (railway=station|halt) and railway=rail lines from OSM.",
)
@data_option
def gaps(provinces, programme, role, fmt, output, station_file, coord_system, osm_file, data) -> None:
    """Railway gaps per county, worst first (no rail → line without station → ... → HSR).

    \b
    Examples:
      countylink gaps --province shandong
      countylink gaps --programme shandong-2024 --role helped
      countylink gaps --province zhejiang --format csv -o zj_gaps.csv
    """
    import pandas as pd

    from countylink.files import data_dir
    from countylink.layers.export import export_layer
    from countylink.pipeline import resolve_scope
    from countylink.pipeline.tables import ranked_gaps

    scope = resolve_scope(programmes=programme, provinces=provinces, require="pairs_or_provinces")
    if fmt == "geojson" and output is None:
        raise CountylinkError("--format geojson needs -o FILE")
    folder = data_dir(data)
    click.echo("building rail gaps ...", err=True)
    ranked = ranked_gaps(
        scope,
        role=role,
        data=folder,
        station_file=station_file,
        coord_system=coord_system,
        osm_file=osm_file,
    )
    if fmt == "table":
        cols = ["gap_order"] + [c for c in TABLE_COLUMNS if c in ranked.columns and (c != "role" or programme)]
        text = pd.DataFrame(ranked[cols]).to_string(index=False, float_format=lambda v: f"{v:.1f}")
        foot = (
            f"\nstations: {ranked['station_source'].iloc[0]} ({ranked['station_year'].iloc[0]}); "
            f"trains: {ranked['service_source'].iloc[0]} ({ranked['service_year'].iloc[0]}); "
            f"lines: {ranked['line_source'].iloc[0]}; distances great-circle from the county seat"
        )
        if output is None:
            click.echo(text + foot)
        else:
            from countylink.files import atomic_output

            with atomic_output(output) as tmp:
                tmp.write_text(text + foot + "\n", encoding="utf-8")
            click.echo(f"wrote {len(ranked)} counties to {output}")
        return
    if output is None:  # csv to stdout
        click.echo(pd.DataFrame(ranked.drop(columns="geometry")).to_csv(index=False), nl=False)
        return
    export_layer(ranked, output, fmt=fmt)
    click.echo(f"wrote {len(ranked)} counties to {output}")
