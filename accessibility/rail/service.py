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
        lookup = m.set_index("name")["matched_name"].dropna()
        names = names.map(lookup).fillna(names)  # matched names, else the stop list's own
        xy = stations.drop_duplicates("station_name")
        coords = dict(zip(xy["station_name"], zip(xy["lon"].astype(float).tolist(), xy["lat"].astype(float).tolist())))
    st = st.assign(node=names.to_numpy()).sort_values(["train_no", "seq"], kind="stable")

    # consecutive stops of each train, from arrays (no Python loop over trains or stops)
    train = st["train_no"].astype(str).to_numpy()
    node = st["node"].astype(str).to_numpy()
    nxt = np.flatnonzero((train[1:] == train[:-1]) & (node[1:] != node[:-1]))
    a_nodes, b_nodes = node[nxt], node[nxt + 1]
    first = a_nodes <= b_nodes
    hops = pd.DataFrame(
        {
            "a": np.where(first, a_nodes, b_nodes),
            "b": np.where(first, b_nodes, a_nodes),
            "cls": np.array([t[0] for t in train[nxt]], dtype=object),
            "train": train[nxt],
        }
    ).drop_duplicates()
    per_class = hops.groupby(["a", "b", "cls"], sort=False)["train"].nunique().unstack("cls")
    # keep the order in which trains first run each segment (node order breaks routing ties)
    per_class = per_class.reindex(pd.MultiIndex.from_frame(hops[["a", "b"]].drop_duplicates()))
    classes = [c for c in per_class.columns]
    counts = per_class.fillna(0).astype(int)
    edges = counts.index.to_frame(index=False)
    lon = {k: v[0] for k, v in coords.items()}
    lat = {k: v[1] for k, v in coords.items()}
    km: np.ndarray = great_circle_km(
        edges["a"].map(lon).to_numpy(float),
        edges["a"].map(lat).to_numpy(float),
        edges["b"].map(lon).to_numpy(float),
        edges["b"].map(lat).to_numpy(float),
    )
    has = counts.to_numpy() > 0
    fastest = np.where(has, np.array([spd[c] for c in classes], dtype=float), 0.0).max(axis=1)
    edge_classes = ["".join(sorted(c for c, h in zip(classes, row) if h)) for row in has]
    hsr_cols = [i for i, c in enumerate(classes) if c in HSR_CLASSES]
    is_hsr = np.asarray(has[:, hsr_cols].any(axis=1)) if hsr_cols else np.zeros(len(edges), bool)
    minutes = np.where(np.isfinite(km), km * DETOUR_FACTOR / fastest * 60, np.nan)
    cnt = counts.to_numpy()
    n_trains = cnt.sum(axis=1)
    g = nx.Graph()
    attrs = []
    for i in range(len(edges)):
        d = {
            "classes": edge_classes[i],
            "n_trains": int(n_trains[i]),
            "hsr": bool(is_hsr[i]),
            "km": float(km[i]),
            "min_time_min": float(minutes[i]),
        }
        d.update({f"n_trains_{c}": int(cnt[i, j]) for j, c in enumerate(classes) if has[i, j]})
        attrs.append(d)
    g.add_edges_from(zip(edges["a"], edges["b"], attrs))
    # per-train stop sequences (kept on the graph for routing with train changes)
    starts = np.flatnonzero(np.r_[True, train[1:] != train[:-1]])
    bounds = np.r_[starts, len(train)].tolist()
    node_list = node.tolist()
    trains: dict[str, tuple[str, tuple[str, ...]]] = {
        train[a]: (train[a][0], tuple(node_list[a:b])) for a, b in zip(bounds[:-1], bounds[1:])
    }
    per_node = st.groupby("node")["train_no"].nunique()
    nx.set_node_attributes(g, {n: int(per_node.get(n, 0)) for n in g.nodes}, "n_trains")
    nx.set_node_attributes(g, {n: coords[n][0] for n in g.nodes if n in coords}, "lon")
    nx.set_node_attributes(g, {n: coords[n][1] for n in g.nodes if n in coords}, "lat")
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
