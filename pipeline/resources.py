"""What the steps of a run share: inputs read once, and the run's log."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx

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
        The road graph as loaded (networkx MultiDiGraph with ``travel_time``), or None.
    log
        Progress reporter, notes and written files.
    """

    data_dir: Path
    out_dir: Path
    graph: nx.MultiDiGraph | None = None
    log: RunLog = field(default_factory=RunLog)

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
