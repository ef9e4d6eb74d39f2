"""``countylink network build``: build a road graph from OSM and save it as GraphML."""

from __future__ import annotations

from pathlib import Path

import click

from countylink.errors import CountylinkError


@click.group("network")
def network() -> None:
    """Road graphs from OpenStreetMap (Overpass, .osm.pbf, .osm XML)."""


@network.command("build")
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
    required=True,
    help="Output GraphML file (readable by osmnx.load_graphml).",
)
def build(pbf, osm_xml, overpass, network_filter, output) -> None:
    """Build a routable road graph (speeds, travel times, strongly connected) and save it."""
    from countylink.accessibility.road.network import build_road_network, save_road_network

    given = [x for x in (pbf, osm_xml, overpass) if x is not None]
    if len(given) != 1:
        raise CountylinkError("give exactly one of --pbf, --osm-xml or --overpass")
    graph = build_road_network(pbf=pbf, osm_xml=osm_xml, overpass=overpass, network_filter=network_filter)
    save_road_network(graph, output)
    click.echo(
        f"wrote {output}: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges; "
        f"{graph.graph.get('component_report', '')}"
    )
