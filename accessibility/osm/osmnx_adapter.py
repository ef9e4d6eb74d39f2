"""The one place that touches OSMnx's private API (``osmnx._*`` modules and ``_``-functions).

countylink builds Overpass queries, caches answers and builds graphs and
feature tables exactly as OSMnx does, so answers are shared with OSMnx's cache
and results match ``osmnx.graph_from_*`` / ``osmnx.features_from_*``. OSMnx
exposes none of these steps publicly; this adapter names each one we rely on
(pinned by ``tests/test_osmnx_adapter.py`` against OSMnx 2.x) so an OSMnx
upgrade breaks in one file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
from osmnx import _errors, _http, _osm_xml, _overpass
from osmnx import features as _features
from osmnx import graph as _graph
from shapely.geometry import MultiPolygon, Polygon

#: Raised by OSMnx when an answer holds no usable elements.
InsufficientResponseError = _errors.InsufficientResponseError


def cached_answer(url: str) -> dict[str, Any] | list[dict[str, Any]] | None:
    """The answer OSMnx's response cache holds for a prepared request URL (``None`` if none)."""
    return _http._retrieve_from_cache(url)


def save_answer(url: str, answer: dict[str, Any], *, ok: bool = True) -> None:
    """Store an answer in OSMnx's response cache (OSMnx skips answers with a ``remark``)."""
    _http._save_to_cache(url, answer, ok)


def http_headers() -> dict[str, str]:
    """OSMnx's HTTP headers (user agent, referer, language from ``osmnx.settings``)."""
    return _http._get_http_headers()


def overpass_pause(base_url: str) -> float:
    """Seconds OSMnx would wait before querying the Overpass server at ``base_url``."""
    return _overpass._get_overpass_pause(base_url)


def overpass_settings() -> str:
    """The ``[out:json][timeout:…]`` settings string OSMnx puts at the start of every query."""
    return _overpass._make_overpass_settings()


def polygon_coord_strs(polygon: Polygon | MultiPolygon) -> list[str]:
    """OSMnx's subdivision of ``polygon`` into Overpass ``poly:"lat lon …"`` strings."""
    return _overpass._make_overpass_polygon_coord_strs(polygon)


def features_query(polygon_coord_str: str, tags: dict[str, bool | str | list[str]]) -> str:
    """OSMnx's Overpass features query for one polygon string and an OSMnx ``tags`` dict."""
    return _overpass._create_overpass_features_query(polygon_coord_str, tags)


def overpass_json_from_xml(path: str | Path, *, encoding: str = "utf-8") -> dict[str, Any]:
    """Read an ``.osm`` XML file (also ``.bz2``) into Overpass-like JSON, as OSMnx does."""
    return _osm_xml._overpass_json_from_xml(Path(path), encoding)


def graph_from_answers(answers: Iterable[dict[str, Any]], *, bidirectional: bool = False) -> nx.MultiDiGraph:
    """OSMnx's unsimplified graph from Overpass-like answers (``osmnx.graph._create_graph``)."""
    return _graph._create_graph(answers, bidirectional=bidirectional)


def features_from_answers(
    answers: Iterable[dict[str, Any]], polygon: Polygon | MultiPolygon, tags: dict[str, bool | str | list[str]]
) -> gpd.GeoDataFrame:
    """OSMnx's feature GeoDataFrame from Overpass-like answers (``osmnx.features._create_gdf``).

    An empty ``polygon`` keeps every feature; otherwise features outside it are dropped.
    """
    return _features._create_gdf(answers, polygon, tags)
