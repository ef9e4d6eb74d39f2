"""``countylink matrix``: many-to-many road travel times between point sets or county seats."""

from __future__ import annotations

from pathlib import Path

import click

from countylink.cli.options import coord_system_option
from countylink.errors import CountylinkError


def _read_points(path: Path, name: str, coord_system: str | None):
    from countylink.geo.points import read_points

    return read_points(path, what=f"{name} file", coord_system=coord_system)[["id", "lon", "lat"]]


def _county_seats(counties: tuple[str, ...]):
    from countylink.geo.boundaries import load_counties

    gdf = load_counties(counties)
    return gdf[["adcode", "seat_lon", "seat_lat"]].rename(
        columns={"adcode": "id", "seat_lon": "lon", "seat_lat": "lat"}
    )


@click.command("matrix")
@click.option(
    "--network",
    "network_path",
    default=None,
    help="'highways' (the embedded national network, clipped to the counties' provinces) or a road graph: "
    "GraphML from 'countylink network build', or a .osm.pbf/.osm file.",
)
@click.option(
    "--origins", type=click.Path(path_type=Path), default=None, help="CSV with id,lon,lat (see --coord-system)."
)
@click.option("--destinations", type=click.Path(path_type=Path), default=None, help="CSV with id,lon,lat.")
@coord_system_option
@click.option(
    "--counties",
    multiple=True,
    help="Instead of CSVs: every county seat to every other of these provinces, or 'all' (repeatable).",
)
@click.option(
    "--access-speed",
    "access_speed_kph",
    type=float,
    default=30.0,
    show_default=True,
    help="Speed of the access legs point <-> network, km/h.",
)
@click.option(
    "--speed",
    "speed_kph",
    type=float,
    default=None,
    help="With --network highways: average speed on the network, km/h (default 80, see highways module).",
)
@click.option(
    "--max-snap",
    "max_snap_m",
    type=float,
    default=10_000.0,
    show_default=True,
    help="Points farther than this from the network (m) get no figures.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Output .csv or .parquet.",
)
def matrix(
    network_path, origins, destinations, coord_system, counties, access_speed_kph, speed_kph, max_snap_m, output
) -> None:
    """Fastest travel time and road distance for every origin-destination pair."""
    import warnings

    from countylink.files import atomic_output

    if network_path is None:
        raise CountylinkError("give --network highways or a road graph file")
    if counties and (origins or destinations):
        raise CountylinkError("give either --counties or --origins/--destinations, not both")
    if not counties and not (origins and destinations):
        raise CountylinkError("give --origins and --destinations CSVs, or --counties")
    if counties:
        o = d = _county_seats(counties)
    else:
        o = _read_points(origins, "origins", coord_system)
        d = _read_points(destinations, "destinations", coord_system)
    suffix = output.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise CountylinkError(f"cannot write a matrix as {output.name}; use .csv or .parquet")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if str(network_path) == "highways":
            result = _highway_matrix(o, d, counties, access_speed_kph, speed_kph, max_snap_m)
        else:
            if speed_kph is not None:
                raise CountylinkError("--speed goes with --network highways (OSM graphs carry road-class speeds)")
            from countylink.accessibility.road.network import load_network_for_run
            from countylink.accessibility.road.travel_time import travel_time_matrix

            graph = load_network_for_run(Path(network_path))
            result = travel_time_matrix(graph, o, d, access_speed_kph=access_speed_kph, max_snap_m=max_snap_m)
    for w in caught:
        click.echo(f"countylink: warning: {w.message}", err=True)
    with atomic_output(output, suffix=suffix) as tmp:
        if suffix == ".parquet":
            result.to_parquet(tmp, index=False, compression="zstd")
        else:
            result.to_csv(tmp, index=False)
    n_missing = int(result["time_s"].isna().sum())
    extra = ""
    if "unrouted_reason" in result.columns:
        n_crow = int((result["method"] != "highway_network").sum())
        extra = f", {n_crow:,} crow-fly estimates where the network does not connect (see unrouted_reason)"
    click.echo(f"wrote {output}: {len(result):,} pairs ({n_missing:,} without a route{extra})")


def _highway_matrix(o, d, counties, access_speed_kph, speed_kph, max_snap_m):
    from countylink.accessibility.road.highways import (
        DEFAULT_HIGHWAY_SPEED_KPH,
        highway_routing_network,
        highway_travel_time_matrix,
    )

    # the counties' provinces (plus the default buffer), else all of China for arbitrary points
    provinces = counties if counties else None
    network = highway_routing_network(provinces, speed_kph=speed_kph or DEFAULT_HIGHWAY_SPEED_KPH)
    result = highway_travel_time_matrix(
        network, o, None if d is o else d, access_speed_kph=access_speed_kph, max_snap_m=max_snap_m
    )
    # compact columns for millions of rows: categories instead of repeated strings
    for col in ("origin_id", "destination_id", "method", "unrouted_reason"):
        result[col] = result[col].astype("category")
    return result
