"""What the steps of a run share: inputs read once, and the run's log."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from countylink.methods import Method

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

    from countylink.accessibility.road.travel_time import RoutingNetwork
    from countylink.layers.gaps import RailData


def stderr_progress(message: str) -> None:
    """Default progress reporter: ``[countylink] message`` on stderr."""
    print(f"[countylink] {message}", file=sys.stderr, flush=True)


@dataclass
class RunLog:
    """Progress messages, notes for ``NOTES.txt`` and the files steps wrote (maps, rasters)."""

    progress: Callable[[str], None] = stderr_progress
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Report ``<step>: done in <s> s`` when the block finishes."""
        t0 = time.perf_counter()
        yield
        self.progress(f"{step}: done in {time.perf_counter() - t0:.1f} s")


@dataclass(frozen=True)
class RoadNetwork:
    """The road network of a run: what to draw corridors on and what to route on.

    ``graph`` is the user's OSM graph (corridors follow its edge geometry) or the
    highway :class:`RoutingNetwork` itself; ``routing`` is the prepared form;
    ``highway`` says which (figures are ``highway_network`` vs ``osm_network``).
    Both None: no network, crow-fly estimates.
    """

    graph: object
    routing: RoutingNetwork | None
    highway: bool

    @property
    def method(self) -> Method | None:
        if self.routing is None:
            return None
        return Method.HIGHWAY_NETWORK if self.highway else Method.OSM_NETWORK


@dataclass
class RunResources:
    """Inputs the steps share, each read or prepared once per run.

    Attributes
    ----------
    data_dir
        The data pack.
    out_dir
        Where steps write files (the run's staging folder).
    graph
        The road graph as loaded (networkx MultiDiGraph with ``travel_time``), or None:
        then roads are routed on the national highway network (scgraph-data, OSM-derived).
    log
        Progress reporter, notes and written files.
    use_highways
        Route on the national highway network when no graph is given (the default);
        False gives crow-fly estimates, labelled so.
    indicators
        The user's own indicator table (long form, ``--indicators FILE``), laid over
        the data pack's figures (a user's figure wins for the same county and indicator).
    """

    data_dir: Path
    out_dir: Path
    graph: nx.MultiDiGraph | None = None
    log: RunLog = field(default_factory=RunLog)
    use_highways: bool = True
    indicators: pd.DataFrame | None = None
    _highways: dict[tuple[str, ...], RoutingNetwork] = field(default_factory=dict, repr=False)

    def highway_network(self, provinces: Iterable[str]) -> RoutingNetwork:
        """The national highway network around ``provinces`` (built or read from the cache once per run)."""
        from countylink.accessibility.road.highways import highway_routing_network

        key = tuple(sorted(set(provinces)))
        if key not in self._highways:
            self.log.progress(f"road: national highway network (scgraph-data) around {', '.join(key)}")
            self._highways[key] = highway_routing_network(key, progress=False)
        return self._highways[key]

    def road_network(self, provinces: Iterable[str]) -> RoadNetwork:
        """What roads are routed on: the user's graph, else the national highway network, else nothing."""
        if self.graph is not None:
            return RoadNetwork(self.graph, self.network, highway=False)
        if self.use_highways:
            network = self.highway_network(provinces)
            return RoadNetwork(network, network, highway=True)
        return RoadNetwork(None, None, highway=False)

    @cached_property
    def network(self) -> RoutingNetwork | None:
        """The road graph prepared for routing (CSR matrix + KD-tree), or None without a graph."""
        if self.graph is None:
            return None
        from countylink.accessibility.road.travel_time import prepare_network

        return prepare_network(self.graph)

    @cached_property
    def rail(self) -> RailData:
        """Stations, stop lists, lines and the service-network router of the data pack (read on first use)."""
        from countylink.layers.gaps import load_rail_data

        self.log.progress("rail: stations, stop lists, service network")
        return load_rail_data(data=self.data_dir)
