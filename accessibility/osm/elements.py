"""OSM road elements from local extracts (``.osm.pbf``, ``.osm`` XML), streamed with pyosmium."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from countylink.accessibility.osm.filters import parse_way_filter, resolve_filter, tags_match
from countylink.errors import DataError, NotFoundError


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
            # the processor was asked for ways only; narrows osmium's entity union
            assert isinstance(obj, osmium.osm.Way)
            bar.update()
            tags = {t.k: t.v for t in obj.tags}
            if any(tags_match(tags, f) for f in filters):
                ways.append({"type": "way", "id": obj.id, "nodes": [n.ref for n in obj.nodes], "tags": tags})
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:
        raise DataError(f"cannot read OSM extract {src}: {exc} (a malformed element; re-export the extract)") from None
    finally:
        bar.close()
    if not ways:
        raise DataError(f"OSM extract {src} has no roads matching the network filter")
    wanted = np.unique(np.fromiter((r for w in ways for r in w["nodes"]), dtype=np.int64))
    nodes = _read_wanted_nodes(src, wanted, progress=progress)
    if len(nodes) < len(wanted):
        # ways clipped at the extract boundary reference nodes that are not in it
        have = np.fromiter((n["id"] for n in nodes), dtype=np.int64)
        present = set(have.tolist())
        kept = []
        shortened = 0
        for w in ways:
            refs = [r for r in w["nodes"] if r in present]
            shortened += len(refs) < len(w["nodes"])
            w["nodes"] = refs
            if len(w["nodes"]) >= 2:
                kept.append(w)
        warnings.warn(
            f"OSM extract {src}: {len(wanted) - len(nodes)} node(s) referenced by roads are missing or have no "
            f"valid location; {shortened} way(s) shortened, {len(ways) - len(kept)} of them dropped (fewer than "
            "2 nodes left)",
            stacklevel=2,
        )
        ways = kept
    if not nodes or not ways:
        raise DataError(f"OSM extract {src} has no node coordinates for its roads")
    return {"elements": nodes + ways}


#: nodes buffered before one vectorised membership test against the wanted ids
_NODE_CHUNK = 262_144


def _read_wanted_nodes(src: Path, wanted: np.ndarray, *, progress: bool) -> list[dict[str, Any]]:
    """The nodes of ``src`` whose id is in the sorted array ``wanted``, as Overpass-like dicts.

    Why not ``osmium.filter.IdFilter``: its id set is a dense bitmap allocated
    in chunks over the id range, so 24,000 ids spread over OSM's id space cost
    about 1.4 GB. Here memory is the wanted ids (8 bytes each) plus one chunk of
    buffered nodes; every node of the file passes through Python once.
    """
    import osmium

    ids = np.empty(_NODE_CHUNK, dtype=np.int64)
    lon = np.empty(_NODE_CHUNK)
    lat = np.empty(_NODE_CHUNK)
    tags: dict[int, dict[str, str]] = {}
    nodes: list[dict[str, Any]] = []

    def flush(n: int) -> None:
        keep = np.flatnonzero(np.isin(ids[:n], wanted, assume_unique=False))
        for i in keep.tolist():
            node: dict[str, Any] = {"type": "node", "id": int(ids[i]), "lat": float(lat[i]), "lon": float(lon[i])}
            t = tags.get(int(ids[i]))
            if t:
                node["tags"] = t
            nodes.append(node)
        tags.clear()
        bar.update(len(keep))

    bar = tqdm(
        desc=f"reading nodes of {src.name}", total=len(wanted), unit=" nodes", disable=not progress, mininterval=1.0
    )
    lo, hi = (int(wanted[0]), int(wanted[-1])) if len(wanted) else (0, -1)
    n = 0
    try:
        for obj in osmium.FileProcessor(str(src), osmium.osm.NODE):
            assert isinstance(obj, osmium.osm.Node)  # the processor was asked for nodes only
            oid = obj.id
            if oid < lo or oid > hi:
                continue
            loc = obj.location
            if not loc.valid():
                continue
            ids[n], lon[n], lat[n] = oid, loc.lon, loc.lat
            if len(obj.tags):
                tags[oid] = {t.k: t.v for t in obj.tags}
            n += 1
            if n == _NODE_CHUNK:
                flush(n)
                n = 0
        flush(n)
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:
        raise DataError(f"cannot read OSM extract {src}: {exc} (a malformed element; re-export the extract)") from None
    finally:
        bar.close()
    return nodes
