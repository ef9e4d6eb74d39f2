"""Overpass API requests: the query area, one cached request with bounded retries, road queries.

Queries are built exactly as OSMnx builds them (same polygon subdivision and
query strings) and answers go through OSMnx's response cache
(``osmnx.settings.cache_folder``), so OSMnx and countylink share the cache.
Unlike OSMnx, HTTP 429/504 are retried a bounded number of times and errors,
timeouts and server "remarks" become one clear
:class:`~countylink.errors.CountylinkError`; failed answers are never cached.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from countylink.accessibility.osm.filters import resolve_filter
from countylink.errors import CountylinkError, DataError, NotFoundError


def area_polygon(overpass: Any):
    """Turn a query area into a WGS-84 shapely (Multi)Polygon.

    Parameters
    ----------
    overpass
        A shapely (Multi)Polygon; a GeoDataFrame or GeoSeries (union of its
        geometries); a ``(west, south, east, north)`` bbox; a string
        ``"bbox:W,S,E,N"``, a polygon file path (GeoJSON, GeoPackage,
        Shapefile, GeoParquet) or a place name geocoded by OSMnx/Nominatim.

    Raises
    ------
    CountylinkError
        An empty area, a bad bbox, a missing file, a failed geocode or an unusable type.
    """
    import geopandas as gpd
    import osmnx as ox
    from shapely.geometry import MultiPolygon, Polygon, box

    if isinstance(overpass, (Polygon, MultiPolygon)):
        return overpass
    if isinstance(overpass, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if overpass.empty:
            raise DataError("the area for the Overpass query is empty")
        geo = overpass.to_crs(4326) if overpass.crs is not None else overpass
        return geo.geometry.union_all() if isinstance(geo, gpd.GeoDataFrame) else geo.union_all()
    if isinstance(overpass, (tuple, list)) and len(overpass) == 4:
        west, south, east, north = map(float, overpass)
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise DataError(f"bbox must be (west, south, east, north) in degrees, got {overpass!r}")
        return box(west, south, east, north)
    if isinstance(overpass, str):
        m = re.fullmatch(r"\s*bbox:\s*([-\d.]+),([-\d.]+),([-\d.]+),([-\d.]+)\s*", overpass)
        if m:
            return area_polygon(tuple(float(v) for v in m.groups()))
        if Path(overpass).suffix.lower() in {".geojson", ".json", ".gpkg", ".shp", ".parquet"}:
            p = Path(overpass)
            if not p.is_file():
                raise NotFoundError(f"area file not found: {p}")
            gdf = gpd.read_parquet(p) if p.suffix == ".parquet" else gpd.read_file(p)
            return area_polygon(gdf)
        try:
            gdf = ox.geocode_to_gdf(overpass)
        except Exception as exc:
            raise CountylinkError(f"could not geocode {overpass!r} with Nominatim: {exc}") from exc
        return area_polygon(gdf)
    raise DataError(f"cannot use {type(overpass).__name__} as an Overpass area")


def overpass_request(data: OrderedDict, *, retries: int = 2, retry_pause: float = 30.0) -> dict[str, Any]:
    """POST one query as OSMnx does, through OSMnx's cache, with bounded retries.

    Parameters
    ----------
    data
        The request form, ``OrderedDict(data=query)``.
    retries, retry_pause
        How many times HTTP 429/504 are retried, and the pause (s) between tries.

    Returns
    -------
    dict
        The Overpass JSON answer (with ``elements``); a cached answer when OSMnx's cache has one.

    Raises
    ------
    CountylinkError
        Timeout, unreachable server, an HTTP error, an answer that is not
        Overpass JSON, or a server "remark" reporting an error.
    """
    import requests
    from osmnx import settings

    from countylink.accessibility.osm import osmnx_adapter

    url = settings.overpass_url.rstrip("/") + "/interpreter"
    prepared_url = str(requests.Request("GET", url, params=data).prepare().url)
    cached = osmnx_adapter.cached_answer(prepared_url)
    if isinstance(cached, dict):
        return cached
    for attempt in range(retries + 1):
        if settings.overpass_rate_limit:
            time.sleep(min(osmnx_adapter.overpass_pause(settings.overpass_url), 60))
        try:
            response = requests.post(
                url,
                data=data,
                timeout=settings.requests_timeout,
                headers=osmnx_adapter.http_headers(),
                **settings.requests_kwargs,
            )
        except requests.Timeout as exc:
            raise CountylinkError(
                f"Overpass server {settings.overpass_url} did not answer within "
                f"{settings.requests_timeout} s; try a smaller area or a larger osmnx.settings.requests_timeout"
            ) from exc
        except requests.ConnectionError as exc:
            raise CountylinkError(f"cannot reach the Overpass server {settings.overpass_url}: {exc}") from exc
        if response.status_code in {429, 504} and attempt < retries:
            time.sleep(retry_pause)
            continue
        if not response.ok:
            reason = " ".join(response.text.split())[:200]
            raise CountylinkError(
                f"Overpass server {settings.overpass_url} answered HTTP {response.status_code} "
                f"{response.reason}"
                + (f" after {retries + 1} tries" if response.status_code in {429, 504} else "")
                + (f": {reason}" if reason else "")
            )
        try:
            answer = response.json()
        except ValueError as exc:
            raise CountylinkError(f"Overpass server {settings.overpass_url} sent an answer that is not JSON") from exc
        if not isinstance(answer, dict) or "elements" not in answer:
            raise CountylinkError(f"Overpass server {settings.overpass_url} sent JSON without 'elements'")
        if "remark" in answer and "error" in str(answer["remark"]).lower():
            raise CountylinkError(f"Overpass server reported an error: {answer['remark']}")
        osmnx_adapter.save_answer(prepared_url, answer, ok=response.ok)  # skips answers with a remark
        return answer
    raise AssertionError("unreachable")  # pragma: no cover


def overpass_elements(
    overpass: Any,
    *,
    network_filter: str | Sequence[str] | None = None,
    retries: int = 2,
    retry_pause: float = 30.0,
    progress: bool = True,
) -> Iterator[dict[str, Any]]:
    """Yield Overpass answers (JSON) for the roads in an area, one per sub-polygon and filter.

    The query strings are OSMnx's own (``(way{filter}(poly:"…");>;);out;`` with
    ``osmnx.settings.overpass_settings``), so cached answers are shared with OSMnx.
    """
    from countylink.accessibility.osm import osmnx_adapter

    polygon = area_polygon(overpass)
    if polygon.is_empty or not polygon.is_valid:
        polygon = polygon.buffer(0)
    if polygon.is_empty:
        raise DataError("the area for the Overpass query is empty")
    settings_str = osmnx_adapter.overpass_settings()
    coord_strs = osmnx_adapter.polygon_coord_strs(polygon)
    filters = resolve_filter(network_filter)
    queries = [f"{settings_str};(way{f}(poly:{c!r});>;);out;" for c in coord_strs for f in filters]
    for query in tqdm(queries, desc="Overpass queries", unit=" query", disable=not progress or len(queries) < 2):
        yield overpass_request(OrderedDict(data=query), retries=retries, retry_pause=retry_pause)
