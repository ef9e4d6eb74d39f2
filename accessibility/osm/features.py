"""OSM features (stations, railway lines …) matching an OSMnx ``tags`` query, from one source.

An ``.osm.pbf`` extract is read with pyrosm, an ``.osm`` XML file with OSMnx's
reader limited to what an Overpass query would return, and an area goes to
Overpass with OSMnx's own features query and cache; all three give the same
features for the same area.
"""

from __future__ import annotations

import os
import warnings
from collections import OrderedDict
from pathlib import Path

import geopandas as gpd

from countylink.errors import DataError, NotFoundError


def feature_tags_match(element_tags: dict, tags: dict) -> bool:
    """Whether an element passes an OSMnx ``tags`` query (any key/value listed)."""
    for key, want in tags.items():
        have = element_tags.get(key)
        if have is None:
            continue
        if want is True or have == want or (isinstance(want, list) and have in want):
            return True
    return False


def select_elements(elements: list[dict], tags: dict) -> list[dict]:
    """Elements matching ``tags`` plus what Overpass's ``(._;>;)`` adds to them.

    That is the members of matching relations, and the nodes of matching and
    member ways: the same element set an Overpass features query returns, so an
    extract read this way gives the same features as the online path (and OSMnx
    never builds geometry for unrelated multipolygons clipped by the extract).
    """
    by_type: dict[str, dict[int, dict]] = {"node": {}, "way": {}, "relation": {}}
    for e in elements:
        by_type.setdefault(e["type"], {})[e["id"]] = e
    keep: dict[str, set[int]] = {"node": set(), "way": set(), "relation": set()}
    for kind, items in by_type.items():
        for eid, e in items.items():
            if feature_tags_match(e.get("tags", {}), tags):
                keep.setdefault(kind, set()).add(eid)
    for rid in list(keep["relation"]):
        for m in by_type["relation"][rid].get("members", ()):
            keep.setdefault(m["type"], set()).add(m["ref"])
    for wid in keep["way"]:
        if wid in by_type["way"]:
            keep["node"].update(by_type["way"][wid].get("nodes", ()))
    return [
        e
        for kind in ("node", "way", "relation")
        for eid, e in by_type.get(kind, {}).items()
        if eid in keep.get(kind, ())
    ]


def _features_from_answers(answers: list[dict], tags: dict, polygon=None) -> gpd.GeoDataFrame:
    """OSMnx features from Overpass-style JSON answers (OSMnx's own geometry builder).

    Ways clipped by an extract or an area lose the node references that are
    absent; ways left with fewer than two nodes are dropped (as pyrosm does).
    """
    from shapely.geometry import Polygon

    from countylink.accessibility.osm import osmnx_adapter

    have = {e["id"] for a in answers for e in a["elements"] if e["type"] == "node"}
    for a in answers:
        for e in a["elements"]:
            if e["type"] == "way":
                e["nodes"] = [r for r in e.get("nodes", ()) if r in have]
        a["elements"] = [e for e in a["elements"] if e["type"] != "way" or len(e["nodes"]) >= 2]
    try:
        return osmnx_adapter.features_from_answers(answers, polygon if polygon is not None else Polygon(), tags)
    except osmnx_adapter.InsufficientResponseError:
        return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")


def osm_features(
    tags: dict,
    *,
    osm_file: str | os.PathLike | None = None,
    polygon=None,
    bbox: tuple[float, float, float, float] | None = None,
    what: str = "features",
    with_ways: bool = True,
    overpass_retries: int = 2,
    overpass_retry_pause: float = 30.0,
) -> tuple[gpd.GeoDataFrame, str]:
    """OSM features matching an OSMnx ``tags`` query from exactly one source.

    * ``.osm.pbf`` → pyrosm (OSMnx cannot read PBF); ``with_ways=False`` keeps
      only tagged nodes.
    * ``.osm``/``.xml`` → OSMnx's XML reader, limited to the elements an
      Overpass query would return (:func:`select_elements`).
    * ``polygon``/``bbox`` ``(west, south, east, north)`` → Overpass, with
      OSMnx's own feature query and cache (``osmnx.settings.overpass_url``,
      ``cache_folder``, ``requests_timeout`` apply). HTTP errors, timeouts and
      unreachable servers raise :class:`~countylink.errors.CountylinkError`;
      HTTP 429/504 are retried ``overpass_retries`` times; failed answers
      are never cached.

    Returns
    -------
    (features, source)
        The features (may be empty) and the provenance text.
    """
    given = [x is not None for x in (osm_file, polygon, bbox)]
    if sum(given) != 1:
        raise DataError(f"give exactly one of osm_file, polygon or bbox for OSM {what}")
    if osm_file is not None:
        p = Path(osm_file).expanduser()
        if not p.exists():
            raise NotFoundError(f"OSM file not found: {p}")
        src = f"OpenStreetMap extract {p.name} (© OpenStreetMap contributors)"
        if p.name.lower().endswith(".pbf"):
            pbf_filter = {k: (v if isinstance(v, list) else [v]) for k, v in tags.items() if v is not True}
            return _pbf_features(p, pbf_filter, with_ways=with_ways), src
        from countylink.accessibility.osm import osmnx_adapter

        try:
            answer = osmnx_adapter.overpass_json_from_xml(p, encoding="utf-8")
        except Exception as exc:  # ParseError, bz2/encoding errors: all mean an unreadable file
            raise DataError(f"cannot read OSM XML file {p}: {exc}") from exc
        answer["elements"] = select_elements(answer["elements"], tags)
        return _features_from_answers([answer], tags), src

    from countylink.accessibility.osm import osmnx_adapter
    from countylink.accessibility.osm.overpass import area_polygon, overpass_request

    if polygon is not None:
        area = area_polygon(polygon)
    else:
        assert bbox is not None  # exactly one source was given (checked above)
        area = area_polygon(tuple(bbox))
    if not area.is_valid:
        area = area.buffer(0)
    if area.is_empty:
        raise DataError("the area for the Overpass query is empty")
    answers = [
        overpass_request(
            OrderedDict(data=osmnx_adapter.features_query(coords, tags)),
            retries=overpass_retries,
            retry_pause=overpass_retry_pause,
        )
        for coords in osmnx_adapter.polygon_coord_strs(area)
    ]
    return _features_from_answers(answers, tags, area), "OpenStreetMap via Overpass (© OpenStreetMap contributors)"


def _pbf_features(path: Path, custom_filter: dict, *, with_ways: bool) -> gpd.GeoDataFrame:
    """Read tagged features from an ``.osm.pbf`` with pyrosm (OSMnx cannot read PBF)."""
    import pyrosm

    osm = pyrosm.OSM(str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        feats = osm.get_data_by_custom_criteria(
            custom_filter=custom_filter,
            filter_type="keep",
            keep_nodes=not with_ways,
            keep_ways=True,
            keep_relations=False,
        )
    if feats is None:
        return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    # pyrosm keeps rare tags in a JSON 'tags' column; lift the ones we read.
    if "tags" in feats.columns:
        import json

        parsed = feats["tags"].map(lambda t: json.loads(t) if isinstance(t, str) else (t or {}))
        for key in (
            "name",
            "name:zh",
            "station",
            "subway",
            "tram",
            "light_rail",
            "train",
            "usage",
            "service",
            "highspeed",
            "railway:traffic_mode",
        ):
            if key not in feats.columns:
                feats[key] = parsed.map(lambda d, k=key: d.get(k))
    return feats
