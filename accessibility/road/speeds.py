"""Edge speeds and travel times for Chinese road graphs, and the strongly connected core.

Speeds come from the OSM ``maxspeed`` tag where a way has one; otherwise from
per-class defaults for China (:data:`CHINA_DEFAULT_SPEEDS_KPH`), which callers
may override. Every edge gets ``speed_kph``, ``speed_source`` (``maxspeed`` or
``default``) and ``travel_time`` (seconds).

Sources of the defaults
-----------------------
OSM China tagging maps administrative road classes to ``highway`` values:
expressway (高速公路) → ``motorway``, national road (国道) → ``trunk``,
provincial road (省道) → ``primary``, county road (县道) → ``secondary``,
township road (乡道) → ``tertiary`` (OpenStreetMap wiki, "China/Road tagging").
Design speeds of those classes are fixed by the national standard
JTG B01-2014 《公路工程技术标准》 (Technical Standard of Highway Engineering),
section 3.5: expressway 120/100/80 km/h, first-class highway 100/80/60,
second-class 80/60, third-class 40/30, fourth-class 30/20. Legal limits come
from the Road Traffic Safety Law Implementing Regulations of the PRC
(《道路交通安全法实施条例》): art. 78, expressway maximum 120 km/h and minimum
60 km/h; art. 45, roads without speed signs: 30 km/h (urban) / 40 km/h
(highway) without a centre line, 50 / 70 km/h with one lane each way.
The defaults below take a running speed at or below the middle design speed
of the class a ``highway`` value usually carries, and the lower legal limits
for unsigned minor roads; link (ramp) speeds are about half of the main road.
They are planning assumptions for free-flow car travel, not measurements.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import networkx as nx

from countylink.errors import DataError

#: Default free-flow car speeds (km/h) by OSM ``highway`` value for China; see module docstring.
CHINA_DEFAULT_SPEEDS_KPH: dict[str, float] = {
    "motorway": 100.0,  # 高速公路: design 80-120 (JTG B01-2014), limit 120 (art. 78)
    "motorway_link": 50.0,  # interchange ramps
    "trunk": 80.0,  # 国道, mostly first-class: design 60-100
    "trunk_link": 40.0,
    "primary": 60.0,  # 省道, first/second-class: design 60-100 / 60-80
    "primary_link": 40.0,
    "secondary": 50.0,  # 县道, second/third-class
    "secondary_link": 30.0,
    "tertiary": 40.0,  # 乡道, third/fourth-class: design 20-40
    "tertiary_link": 30.0,
    "unclassified": 30.0,  # unsigned minor roads: art. 45 lower limits
    "residential": 30.0,
    "living_street": 10.0,
    "service": 20.0,
    "road": 30.0,
}
#: Speed (km/h) for a ``highway`` value absent from the table.
FALLBACK_SPEED_KPH = 30.0

_MPH = 1.609344
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)


def parse_maxspeed(value: object) -> float | None:
    """Return a ``maxspeed`` tag value in km/h, or ``None`` when it is not numeric.

    Handles ``"80"``, ``"50 mph"``, ``"60 km/h"``, multi-values (``"60;80"`` or a
    list as OSMnx stores merged ways: the mean is used), and returns ``None`` for
    symbolic values such as ``"CN:urban"``, ``"signals"`` or ``"none"``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    parts = value if isinstance(value, list) else re.split(r"[;|]", str(value))
    speeds = []
    for part in parts:
        if isinstance(part, (int, float)):
            speeds.append(float(part))
            continue
        m = _NUMBER.match(str(part))
        if m:
            v = float(m.group(1))
            speeds.append(v * _MPH if (m.group(2) or "").lower() == "mph" else v)
    speeds = [s for s in speeds if 0 < s <= 200]
    return sum(speeds) / len(speeds) if speeds else None


def _highway_speed(highway: object, table: Mapping[str, float], fallback: float) -> float:
    # OSMnx stores merged ways with several highway values as a list: use the mean.
    values = highway if isinstance(highway, list) else [highway]
    speeds = [table.get(str(h), fallback) for h in values]
    return sum(speeds) / len(speeds)


def add_speeds_and_times(
    graph: nx.MultiDiGraph,
    *,
    default_speeds_kph: Mapping[str, float] | None = None,
    fallback_kph: float = FALLBACK_SPEED_KPH,
    use_maxspeed: bool = True,
) -> nx.MultiDiGraph:
    """Set ``speed_kph``, ``speed_source`` and ``travel_time`` on every edge, in place.

    Parameters
    ----------
    graph
        OSMnx-style MultiDiGraph whose edges have ``length`` (m) and ``highway``.
    default_speeds_kph
        Overrides merged onto :data:`CHINA_DEFAULT_SPEEDS_KPH` (e.g. ``{"trunk": 70}``).
    fallback_kph
        Speed for ``highway`` values missing from the table.
    use_maxspeed
        Use a numeric ``maxspeed`` tag when present (default). ``False`` uses class
        defaults everywhere.

    Returns
    -------
    networkx.MultiDiGraph
        The same graph (modified in place) for chaining.

    Raises
    ------
    DataError
        If an override is not a positive number or an edge lacks ``length``.
    """
    table = dict(CHINA_DEFAULT_SPEEDS_KPH)
    for key, val in (default_speeds_kph or {}).items():
        if not isinstance(val, (int, float)) or not val > 0:
            raise DataError(f"speed for highway={key!r} must be a positive number of km/h, got {val!r}")
        table[key] = float(val)
    if not fallback_kph > 0:
        raise DataError(f"fallback_kph must be positive, got {fallback_kph!r}")
    for u, v, data in graph.edges(data=True):
        if "length" not in data:
            raise DataError(f"edge {u}->{v} has no length attribute; is this an OSMnx graph?")
        speed = parse_maxspeed(data.get("maxspeed")) if use_maxspeed else None
        if speed is None:
            data["speed_kph"] = _highway_speed(data.get("highway"), table, fallback_kph)
            data["speed_source"] = "default"
        else:
            data["speed_kph"] = speed
            data["speed_source"] = "maxspeed"
        data["travel_time"] = float(data["length"]) / (data["speed_kph"] / 3.6)
    graph.graph["speed_defaults"] = (
        "countylink China defaults (JTG B01-2014; RTSL Implementing Regulations arts. 45, 78)"
    )
    return graph


@dataclass
class ComponentReport:
    """What :func:`keep_largest_strong_component` kept and dropped."""

    nodes_before: int
    edges_before: int
    nodes_kept: int
    edges_kept: int
    components: int
    dropped_node_ids: list = field(default_factory=list, repr=False)

    @property
    def nodes_dropped(self) -> int:
        return self.nodes_before - self.nodes_kept

    @property
    def edges_dropped(self) -> int:
        return self.edges_before - self.edges_kept

    def __str__(self) -> str:
        return (
            f"kept the largest strongly connected component: {self.nodes_kept:,} of "
            f"{self.nodes_before:,} nodes and {self.edges_kept:,} of {self.edges_before:,} edges "
            f"({self.nodes_dropped:,} nodes in {self.components - 1:,} smaller components dropped)"
        )


def keep_largest_strong_component(
    graph: nx.MultiDiGraph, *, warn: bool = True
) -> tuple[nx.MultiDiGraph, ComponentReport]:
    """Return the largest strongly connected component and a report of what was dropped.

    Routing only makes sense where every node can reach every other; dead-end
    one-way fragments (clipped at the extract boundary, mis-tagged ramps) are
    dropped and counted. A warning is issued when anything is dropped.

    Raises
    ------
    DataError
        If the graph has no nodes.
    """
    if graph.number_of_nodes() == 0:
        raise DataError("the road graph is empty: no roads to route on")
    components = list(nx.strongly_connected_components(graph))
    largest = max(components, key=len)
    core = graph.subgraph(largest).copy()
    dropped = [n for n in graph.nodes if n not in largest] if len(largest) < len(graph) else []
    report = ComponentReport(
        nodes_before=graph.number_of_nodes(),
        edges_before=graph.number_of_edges(),
        nodes_kept=core.number_of_nodes(),
        edges_kept=core.number_of_edges(),
        components=len(components),
        dropped_node_ids=dropped,
    )
    core.graph["component_report"] = str(report)
    if warn and report.nodes_dropped:
        warnings.warn(str(report), stacklevel=2)
    return core, report
