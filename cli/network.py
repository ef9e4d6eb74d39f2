"""``countylink network build``: a road graph from OSM (GraphML), or the national scgraph-data networks."""

from __future__ import annotations

from pathlib import Path

import click

from countylink.errors import CountylinkError


@click.group("network")
def network() -> None:
    """Road graphs from OpenStreetMap (Overpass, .osm.pbf, .osm XML) and the embedded national networks."""


@network.command("build")
@click.option(
    "--source",
    type=click.Choice(["highways", "railways"]),
    default=None,
    help="Embedded national network (scgraph-data, OSM-derived, coarse): highways or railways.",
)
@click.option(
    "--province",
    "provinces",
    multiple=True,
    help="With --source: clip to this province plus --buffer (repeatable).",
)
@click.option("--all", "all_china", is_flag=True, help="With --source: all of mainland China (the default).")
@click.option(
    "--buffer",
    "buffer_km",
    type=float,
    default=20.0,
    show_default=True,
    help="With --source: buffer around the provinces, km.",
)
@click.option("--pbf", type=click.Path(path_type=Path), default=None, help="Local .osm.pbf extract (e.g. Geofabrik).")
@click.option("--osm-xml", "osm_xml", type=click.Path(path_type=Path), default=None, help="Local .osm XML file.")
@click.option(
    "--overpass",
    default=None,
    help="Area to fetch from Overpass: place name, 'bbox:W,S,E,N' or a polygon file (GeoJSON/GPKG).",
)
@click.option(
    "--filter",
    "network_filter",
    default="intercounty",
    show_default=True,
    help="Preset (intercounty, drive) or an Overpass way filter string.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Output file: GraphML for OSM sources (required); for --source a copy of the extract "
    "(.npz arrays, or .parquet edges with WKB geometry), else it stays in the cache only.",
)
def build(source, provinces, all_china, buffer_km, pbf, osm_xml, overpass, network_filter, output) -> None:
    """Build a routable network: full-detail OSM graph (saved as GraphML) or a national extract (cached)."""
    given = [x for x in (pbf, osm_xml, overpass) if x is not None]
    if source is not None:
        if given:
            raise CountylinkError("give either --source or one of --pbf, --osm-xml, --overpass, not both")
        if all_china and provinces:
            raise CountylinkError("give either --all or --province, not both")
        _build_embedded(source, provinces or None, buffer_km, output)
        return
    if provinces or all_china:
        raise CountylinkError("--province and --all go with --source highways|railways")
    from countylink.accessibility.road.network import build_road_network, save_road_network

    if len(given) != 1:
        raise CountylinkError("give exactly one of --source, --pbf, --osm-xml or --overpass")
    if output is None:
        raise CountylinkError("give -o/--output FILE.graphml for an OSM road graph")
    from countylink.accessibility.road.ch import attach_ordering

    graph = build_road_network(pbf=pbf, osm_xml=osm_xml, overpass=overpass, network_filter=network_filter)
    # the contraction-hierarchy node ordering is computed once here and stored beside the GraphML
    click.echo("computing the contraction-hierarchy node ordering ...", err=True)
    save_road_network(attach_ordering(graph), output)
    click.echo(
        f"wrote {output}: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges; "
        f"{graph.graph.get('component_report', '')}"
    )


def _build_embedded(source: str, provinces, buffer_km: float, output: Path | None) -> None:
    from countylink.accessibility.osm.scgraph_data import attribution, extract_network, network_edges_frame
    from countylink.files import atomic_output

    arrays = extract_network(source, provinces, buffer_km=buffer_km)
    if source == "highways":
        from countylink.accessibility.road.highways import build_highway_ordering

        click.echo("computing the contraction-hierarchy node ordering ...", err=True)
        ordering = build_highway_ordering(provinces, buffer_km=buffer_km, progress=False)
        click.echo(f"node ordering: {ordering}", err=True)
    where = "cache"
    if output is not None:
        suffix = output.suffix.lower()
        if suffix == ".npz":
            arrays.save(output)
        elif suffix in (".parquet", ".geoparquet"):
            with atomic_output(output) as tmp:
                network_edges_frame(arrays).to_parquet(tmp, index=False, compression="zstd")
        else:
            raise CountylinkError(f"cannot write a network as {output.name}; use .npz or .parquet")
        where = str(output)
    click.echo(
        f"{source} {arrays.region}: {arrays.n_nodes:,} nodes, {arrays.n_edges:,} edges, "
        f"{arrays.km.sum():,.0f} km (in {where}); {attribution(arrays)}"
    )
