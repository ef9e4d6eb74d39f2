"""The rail *service* network: which stations are linked by which trains.

Built from the timetable stop lists alone (no line geometry needed): every
pair of consecutive stops of a train becomes an edge between two stations,
carrying the classes and the number of trains that run on it. Times are
estimates: the pack has stop order, not timetable times, so a segment's time
is its straight-line length times :data:`DETOUR_FACTOR` divided by the
scheduled speed of the train's class (:data:`CLASS_SPEED_KMH`).

Class speeds (scheduled averages including stops, km/h) and where they come from:

==== ===== ==================================================================
G    230   Beijing–Shanghai 1,318 km in 4 h 48 – 5 h 06 (≈260–275 km/h non-stop
           and fast trains), Shanghai–Nanjing 301 km in 73 min (247 km/h),
           Zhengzhou–Xi'an 458 km in 2 h (229 km/h) — travelchinaguide.com
           "China train types" and es.cits.net "categories of Chinese trains";
           rounded down for stopping G trains.
D    170   "usually travel at 170–200 km/h" — shanghaihighlights.com "China
           train types" (lower end: many D trains run on 200 km/h lines).
C    160   intercity EMUs on 200–350 km/h lines with frequent stops; assumption
           between D and the Beijing–Tianjin 120 km / ~30 min example (cits.net).
Z    105   Beijing–Xi'an (≈1,200 km) in 11 h 15 — shanghaihighlights.com.
K     80   Beijing–Xi'an in 14 h 36 — shanghaihighlights.com.
N     60   number-only ordinary trains (普快/普客) "calling at ALL stops"
           (zhangjiajietravel.com "train types in China"): assumption, 20 km/h
           below K.
==== ===== ==================================================================

These are coarse, documented assumptions (pass ``speeds=`` to override); every
time computed here carries ``method="stop_list_class_speed_estimate"``.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from countylink.accessibility.rail.station_names import match_station_names
from countylink.accessibility.rail.stop_lists import HSR_CLASSES, StopLists
from countylink.accessibility.road.crowfly import great_circle_km
from countylink.errors import DataError
from countylink.methods import Method

CLASS_SPEED_KMH: dict[str, float] = {"G": 230.0, "D": 170.0, "C": 160.0, "Z": 105.0, "K": 80.0, "N": 60.0}
#: rail route length / straight-line length (assumption; typical for Chinese trunk lines)
DETOUR_FACTOR: float = 1.2
#: minutes added per change of train (assumption: walk, wait, buffer)
TRANSFER_MIN: float = 30.0


def service_network(
    stops: StopLists | pd.DataFrame,
    stations: gpd.GeoDataFrame | None = None,
    *,
    speeds: Mapping[str, float] | None = None,
) -> nx.Graph:
    """Undirected station graph: consecutive stops of any train become an edge.

    Parameters
    ----------
    stops
        :class:`~countylink.accessibility.rail.stop_lists.StopLists` or its ``stops`` frame.
    stations
        Optional station schema; stop names are matched to it
        (:func:`match_station_names`) so nodes use the coordinate file's names
        and carry ``lon``/``lat``; segment lengths and times are then estimated.

    Returns
    -------
    networkx.Graph
        Nodes: station names (attributes ``lon``, ``lat`` when known,
        ``n_trains``). Edges: ``classes`` (sorted string, e.g. ``"DG"``),
        ``n_trains``, ``n_trains_<X>`` per class, ``hsr`` (any G/D/C train),
        ``km`` (straight line, NaN if a coordinate is unknown),
        ``min_time_min`` (fastest class estimate). ``graph.graph`` holds the
        source, year, speeds and the per-train stop sequences (``trains``).
    """
    sl = stops if isinstance(stops, StopLists) else StopLists(stops, [], [], "stop lists", None)
    st = sl.stops
    if st.empty:
        raise DataError("the stop lists are empty: no service network can be built")
    spd = dict(CLASS_SPEED_KMH, **(speeds or {}))
    names = st["station_name"]
    coords: dict[str, tuple[float, float]] = {}
    if stations is not None:
        m = match_station_names(names.unique(), stations["station_name"])
        lookup = m.set_index("name")["matched_name"]
        names = names.map(lambda n: lookup.get(n) if pd.notna(lookup.get(n)) else n)
        xy = stations.drop_duplicates("station_name").set_index("station_name")[["lon", "lat"]]
        coords = {k: (float(a), float(b)) for k, (a, b) in xy.iterrows()}
    st = st.assign(node=names.to_numpy()).sort_values(["train_no", "seq"])

    g = nx.Graph()
    trains: dict[str, tuple[str, tuple[str, ...]]] = {}
    edge_trains: dict[tuple[str, str], dict[str, set]] = {}
    for train, grp in st.groupby("train_no", sort=False):
        seq = tuple(grp["node"])
        cls = str(train)[0]
        trains[str(train)] = (cls, seq)
        for a, b in zip(seq[:-1], seq[1:]):
            if a == b:
                continue
            key = (a, b) if a <= b else (b, a)
            edge_trains.setdefault(key, {}).setdefault(cls, set()).add(train)
    for (a, b), by_cls in edge_trains.items():
        km = _km(coords, a, b)
        classes = "".join(sorted(by_cls))
        fastest = max(spd[c] for c in by_cls)
        attrs = {
            "classes": classes,
            "n_trains": sum(len(v) for v in by_cls.values()),
            "hsr": any(c in HSR_CLASSES for c in by_cls),
            "km": km,
            "min_time_min": km * DETOUR_FACTOR / fastest * 60 if np.isfinite(km) else np.nan,
        }
        attrs.update({f"n_trains_{c}": len(v) for c, v in by_cls.items()})
        g.add_edge(a, b, **attrs)
    per_node = st.groupby("node")["train_no"].nunique()
    for n in g.nodes:
        g.nodes[n]["n_trains"] = int(per_node.get(n, 0))
        if n in coords:
            g.nodes[n]["lon"], g.nodes[n]["lat"] = coords[n]
    g.graph.update(source=sl.source, year=sl.year, speeds=spd, trains=trains, detour_factor=DETOUR_FACTOR)
    return g


def _km(coords: Mapping[str, tuple[float, float]], a: str, b: str) -> float:
    if a in coords and b in coords:
        return float(great_circle_km(coords[a][0], coords[a][1], coords[b][0], coords[b][1]))
    return float("nan")


def _train_segment_minutes(
    seq: tuple[str, ...], cls: str, coords: Mapping[str, tuple[float, float]], speeds: Mapping[str, float]
) -> list[float]:
    """Minutes for each consecutive segment; stops without coordinates share the
    straight line between the nearest known stops either side equally."""
    n = len(seq)
    known = [i for i, s in enumerate(seq) if s in coords]
    mins = [np.nan] * (n - 1)
    for i, j in zip(known[:-1], known[1:]):
        km = _km(coords, seq[i], seq[j])
        each = km * DETOUR_FACTOR / speeds[cls] * 60 / (j - i)
        for k in range(i, j):
            mins[k] = each
    return mins


@dataclass
class RailRoute:
    """A station-to-station rail route over the service network."""

    origin: str
    destination: str
    found: bool
    time_min: float = np.nan
    n_changes: int | None = None
    trains: tuple[str, ...] = ()
    via: tuple[str, ...] = ()
    method: str = Method.STOP_LIST_CLASS_SPEED

    def describe(self) -> str:
        if not self.found:
            return f"no rail route {self.origin} → {self.destination} in the stop lists"
        legs = " → ".join(
            f"{t} {a}–{b}" for t, a, b in zip(self.trains, (self.origin,) + self.via, self.via + (self.destination,))
        )
        return legs


class RailRouter:
    """Fastest-with-changes routing over the stop lists (time-expanded by train).

    States are (station, train currently on board). Riding a train to its next
    stop costs the estimated segment time; boarding a different train costs
    :data:`TRANSFER_MIN`. Dijkstra on these states gives the estimated fastest
    route and its number of changes.
    """

    def __init__(self, network: nx.Graph, *, transfer_min: float = TRANSFER_MIN):
        self.network = network
        self.transfer_min = transfer_min
        speeds = network.graph["speeds"]
        coords = {n: (d["lon"], d["lat"]) for n, d in network.nodes(data=True) if "lon" in d}
        # (train, index in its stop sequence) <- station; and segment minutes
        self._trains = network.graph["trains"]
        self._at: dict[str, list[tuple[str, int]]] = {}
        self._mins: dict[str, list[float]] = {}
        for t, (cls, seq) in self._trains.items():
            self._mins[t] = _train_segment_minutes(seq, cls, coords, speeds)
            for i, s in enumerate(seq):
                self._at.setdefault(s, []).append((t, i))

    def route(self, origin: str, destination: str) -> RailRoute:
        """Estimated fastest route; ``found=False`` when no train links the two."""
        if origin not in self._at or destination not in self._at:
            return RailRoute(origin, destination, False)
        if origin == destination:
            return RailRoute(origin, destination, True, 0.0, 0)
        counter = itertools.count()
        # state: (train, idx); cost includes one transfer per boarding, the first refunded at the end
        best: dict[tuple[str, int], float] = {}
        prev: dict[tuple[str, int], tuple[str, int] | None] = {}
        heap: list = []
        for t, i in self._at[origin]:
            best[(t, i)] = self.transfer_min
            prev[(t, i)] = None
            heapq.heappush(heap, (self.transfer_min, next(counter), t, i))
        boarded_from: set[str] = {origin}
        while heap:
            cost, _, t, i = heapq.heappop(heap)
            if cost > best.get((t, i), np.inf):
                continue
            seq = self._trains[t][1]
            station = seq[i]
            if station == destination:
                return self._build(origin, destination, (t, i), prev, cost - self.transfer_min)
            # ride on
            if i + 1 < len(seq):
                m = self._mins[t][i]
                step = m if np.isfinite(m) else np.inf
                nxt = (t, i + 1)
                if cost + step < best.get(nxt, np.inf):
                    best[nxt] = cost + step
                    prev[nxt] = (t, i)
                    heapq.heappush(heap, (cost + step, next(counter), t, i + 1))
            # change trains here (once per station is enough: costs only grow)
            if station not in boarded_from:
                boarded_from.add(station)
                for t2, i2 in self._at[station]:
                    if t2 == t:
                        continue
                    c2 = cost + self.transfer_min
                    if c2 < best.get((t2, i2), np.inf):
                        best[(t2, i2)] = c2
                        prev[(t2, i2)] = (t, i)
                        heapq.heappush(heap, (c2, next(counter), t2, i2))
        return RailRoute(origin, destination, False)

    def _build(self, origin, destination, end, prev, minutes) -> RailRoute:
        states = []
        s = end
        while s is not None:
            states.append(s)
            s = prev[s]
        states.reverse()
        trains: list[str] = []
        via: list[str] = []
        for _k, (t, i) in enumerate(states):
            if not trains or trains[-1] != t:
                if trains:
                    via.append(self._trains[t][1][i])
                trains.append(t)
        return RailRoute(origin, destination, True, float(minutes), len(trains) - 1, tuple(trains), tuple(via))


def rail_route(network: nx.Graph, origin: str, destination: str) -> RailRoute:
    """One-off :class:`RailRouter` query (build the router once for many queries)."""
    return RailRouter(network).route(origin, destination)
