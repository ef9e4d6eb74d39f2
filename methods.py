"""How a travel, rail or raster figure was obtained: one label per method.

Every travel figure the product shows carries one of these labels in a
``method`` column (``road_method``, ``rail_method`` …). They are plain strings
in files (``str`` enum values), so a GeoJSON or CSV reader sees
``"osm_network"``; in code, compare against :class:`Method` members, never
against string literals.

:data:`METHOD_DESCRIPTIONS` gives the sentence a map or a report shows for each.
"""

from __future__ import annotations

from enum import StrEnum


class Method(StrEnum):
    """Labels for how a figure was obtained."""

    #: routed on a full OpenStreetMap road graph with per-class speeds (OSMnx / pbf / Overpass)
    OSM_NETWORK = "osm_network"
    #: routed on the coarse OSM-derived national highway network (scgraph-data), time from an assumed speed
    HIGHWAY_NETWORK = "highway_network"
    #: great-circle distance × detour factor at an assumed road speed (no network connects the points)
    CROWFLY_ESTIMATE = "crowfly_estimate"
    #: rail distance along the timetable service network (hops between listed stops)
    RAIL_NETWORK = "rail_network"
    #: rail distance along railway tracks (scgraph-data world_railways)
    RAIL_TRACKS = "rail_tracks"
    #: rail distance as great-circle × rail detour factor
    GREATCIRCLE_DETOUR = "greatcircle_detour"
    #: rail time from timetable stop lists and per-class average speeds (no timetable times)
    STOP_LIST_CLASS_SPEED = "stop_list_class_speed_estimate"
    #: raster travel time, walking off-road only (no road network)
    FRICTION_OFFROAD_ONLY = "friction_offroad_only"
    #: raster travel time over rasterised OSM roads plus off-road walking
    FRICTION_OSM_ROADS = "friction_osm_roads"
    #: raster travel time over the rasterised coarse highway network plus off-road walking
    FRICTION_HIGHWAY_NETWORK = "friction_highway_network"


METHOD_DESCRIPTIONS: dict[Method, str] = {
    Method.OSM_NETWORK: "routed on an OpenStreetMap road graph (road-class speeds)",
    Method.HIGHWAY_NETWORK: "routed on the coarse OSM-derived national highway network (assumed average speed)",
    Method.CROWFLY_ESTIMATE: "crow-fly estimate (straight line × detour factor, assumed speed)",
    Method.RAIL_NETWORK: "along the timetable service network",
    Method.RAIL_TRACKS: "along OSM-derived railway tracks",
    Method.GREATCIRCLE_DETOUR: "straight line × rail detour factor",
    Method.STOP_LIST_CLASS_SPEED: "estimated from stop lists and train-class speeds (no timetable times)",
    Method.FRICTION_OFFROAD_ONLY: "walking, off-road only (no road network)",
    Method.FRICTION_OSM_ROADS: "OSM roads + off-road walking",
    Method.FRICTION_HIGHWAY_NETWORK: "coarse highway network + off-road walking",
}


def describe(method: object) -> str:
    """The human sentence for a method label (the label itself when unknown or missing)."""
    try:
        return METHOD_DESCRIPTIONS[Method(str(method))]
    except ValueError:
        return "" if method is None or method != method else str(method)
