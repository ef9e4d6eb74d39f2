"""``countylink matrix``: many-to-many road travel times between two CSV point sets."""

from __future__ import annotations

from pathlib import Path

import click

from countylink.errors import DataError


def _read_points(path: Path, name: str):
    import pandas as pd

    if not path.is_file():
        raise DataError(f"{name} file not found: {path}")
    try:
        frame = pd.read_csv(path)
    except Exception as exc:
        raise DataError(f"cannot read {name} CSV {path}: {exc}") from exc
    missing = {"id", "lon", "lat"} - set(frame.columns)
    if missing:
        raise DataError(f"{name} CSV {path} lacks column(s) {sorted(missing)}; need id, lon, lat")
    return frame


@click.command("matrix")
@click.option(
    "--network",
    "network_path",
    type=click.Path(path_type=Path),
    required=True,
    help="Road graph: GraphML from 'countylink network build', or a .osm.pbf/.osm file.",
)
@click.option("--origins", type=click.Path(path_type=Path), required=True, help="CSV with id,lon,lat (WGS-84).")
@click.option("--destinations", type=click.Path(path_type=Path), required=True, help="CSV with id,lon,lat.")
@click.option(
    "--access-speed",
    "access_speed_kph",
    type=float,
    default=30.0,
    show_default=True,
    help="Speed of the access legs point <-> network, km/h.",
)
@click.option(
    "--max-snap",
    "max_snap_m",
    type=float,
    default=10_000.0,
    show_default=True,
    help="Points farther than this from the network (m) get no figures.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Output CSV.")
def matrix(network_path, origins, destinations, access_speed_kph, max_snap_m, output) -> None:
    """Fastest travel time and road distance for every origin-destination pair."""
    import warnings

    from countylink.accessibility.road.network import load_network_for_run
    from countylink.accessibility.road.travel_time import travel_time_matrix
    from countylink.files import atomic_output

    o = _read_points(origins, "origins")
    d = _read_points(destinations, "destinations")
    graph = load_network_for_run(network_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = travel_time_matrix(graph, o, d, access_speed_kph=access_speed_kph, max_snap_m=max_snap_m)
    for w in caught:
        click.echo(f"countylink: warning: {w.message}", err=True)
    with atomic_output(output, suffix=".csv") as tmp:
        result.to_csv(tmp, index=False)
    n_missing = int(result["time_s"].isna().sum())
    click.echo(f"wrote {output}: {len(result):,} pairs ({n_missing:,} without a route)")
