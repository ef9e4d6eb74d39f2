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


def gaps_table(
    provinces: tuple[str, ...],
    *,
    programme: str | None = None,
    role: str = "all",
    data=None,
    station_file=None,
    coord_system=None,
    osm_file=None,
):
    """Ranked gaps layer (worst first) for provinces, optionally limited to a programme's counties."""
    import pandas as pd

    from countylink.accessibility.rail.gaps import rank_gaps
    from countylink.layers.counties import counties_layer
    from countylink.layers.gaps import gaps_layer, load_rail_data

    counties = counties_layer(provinces, data=data)
    rail = load_rail_data(data=data, station_file=station_file, coord_system=coord_system, osm_file=osm_file)
    gaps = gaps_layer(counties, rail)
    gaps["role"] = ""
    if programme is not None:
        from countylink.layers.pairs import load_registry

        reg = load_registry(programme)
        helped = set(reg["helped_adcode"].dropna()) - {""}
        helper = set(reg["helper_adcode"].dropna()) - {""}
        gaps["role"] = gaps["adcode"].map(lambda a: "helped" if a in helped else ("helper" if a in helper else ""))
        keep = {"helped": gaps["role"] == "helped", "helper": gaps["role"] == "helper"}.get(role, gaps["role"] != "")
        gaps = gaps[keep]
        if gaps.empty:
            raise CountylinkError(f"no county of programme {programme} lies in {', '.join(provinces)}")
    ranked = rank_gaps(gaps).reset_index(drop=True)
    ranked.insert(0, "gap_order", pd.RangeIndex(1, len(ranked) + 1))
    return ranked


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
    from countylink.geo.provinces import province_key
    from countylink.layers.export import export_layer
    from countylink.layers.pairs import programme_province

    keys = tuple(province_key(p) for p in provinces)
    if programme is not None:
        keys = keys or (programme_province(programme),)
    if not keys:
        raise CountylinkError("name a province with --province (or a programme with --programme)")
    if fmt == "geojson" and output is None:
        raise CountylinkError("--format geojson needs -o FILE")
    folder = data_dir(data)
    click.echo("building rail gaps ...", err=True)
    ranked = gaps_table(
        keys,
        programme=programme,
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
