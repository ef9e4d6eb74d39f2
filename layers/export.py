"""Writing layers to GeoJSON (RFC 7946), GeoPackage and GeoParquet.

GeoJSON follows RFC 7946: WGS-84 longitude/latitude, exterior rings
counter-clockwise and holes clockwise, no ``crs`` member, coordinates rounded
to 6 decimals (about 0.1 m). Every writer goes through
:func:`countylink.files.atomic_output`, so a failure leaves no partial file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from countylink.errors import CountylinkError
from countylink.files import atomic_output
from countylink.geo.crs import WGS84

FORMATS = {"geojson": ".geojson", "gpkg": ".gpkg", "parquet": ".parquet", "csv": ".csv"}


def rfc7946_text(gdf: gpd.GeoDataFrame, *, precision: int = 6) -> str:
    """A GeoJSON FeatureCollection following RFC 7946, as compact UTF-8 text.

    Built from arrays: GEOS writes the geometries (``shapely.to_geojson``, after
    orienting rings and snapping coordinates to ``10**-precision`` degrees) and
    pandas the properties, so a layer of county polygons takes well under a
    second instead of a pure-Python walk over every coordinate.
    """
    g = gdf.to_crs(WGS84) if gdf.crs is not None and not gdf.crs.equals(WGS84) else gdf
    geoms = np.asarray(g.geometry.values, dtype=object)
    present = ~pd.isna(geoms)
    texts = np.full(len(geoms), "null", dtype=object)
    if present.any():
        # RFC 7946 section 3.1.6: exterior rings counter-clockwise, holes clockwise
        fixed = shapely.orient_polygons(geoms[present], exterior_cw=False)
        fixed = shapely.set_precision(fixed, 10.0**-precision, mode="pointwise")
        texts[present] = shapely.to_geojson(fixed)
    props = pd.DataFrame(g.drop(columns=g.geometry.name))
    records = json.loads(props.to_json(orient="records", force_ascii=False, date_format="iso"))
    features = ",".join(
        f'{{"type":"Feature","properties":{json.dumps(rec, ensure_ascii=False, separators=(",", ":"))},'
        f'"geometry":{geom}}}'
        for rec, geom in zip(records, texts)
    )
    return f'{{"type":"FeatureCollection","features":[{features}]}}'


def to_rfc7946(gdf: gpd.GeoDataFrame, *, precision: int = 6) -> dict:
    """A GeoJSON FeatureCollection dict following RFC 7946 (see :func:`rfc7946_text`)."""
    return json.loads(rfc7946_text(gdf, precision=precision))


def export_layer(layer: pd.DataFrame, path: str | os.PathLike, *, fmt: str | None = None) -> Path:
    """Write a layer atomically.

    Parameters
    ----------
    layer
        A GeoDataFrame (or a plain DataFrame for ``csv``).
    path
        Output file.
    fmt
        ``geojson``, ``gpkg``, ``parquet`` or ``csv``; inferred from the
        suffix when omitted.

    Raises
    ------
    CountylinkError
        Unknown format, a format the file's suffix contradicts (a GeoPackage
        named ``.geojson``), or the output cannot be written.
    """
    p = Path(path)
    if fmt is None:
        fmt = next((f for f, sfx in FORMATS.items() if p.suffix.lower() == sfx), None)
        if p.suffix.lower() == ".json":
            fmt = "geojson"
        if fmt is None:
            raise CountylinkError(f"cannot tell the format of {p}; use one of {', '.join(FORMATS)}")
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise CountylinkError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    implied = next((f for f, sfx in FORMATS.items() if p.suffix.lower() == sfx), None)
    if p.suffix.lower() == ".json":
        implied = "geojson"
    if implied is not None and implied != fmt:
        raise CountylinkError(
            f"{p.name} names a {implied} file but the format asked for is {fmt}; "
            f"use the suffix {FORMATS[fmt]} or drop --format"
        )
    is_geo = isinstance(layer, gpd.GeoDataFrame) and layer.geometry.name in layer.columns
    if fmt != "csv" and not is_geo:
        raise CountylinkError(f"this layer has no geometry; write it as csv, not {fmt}")
    with atomic_output(p, suffix=FORMATS[fmt]) as tmp:
        if fmt == "geojson":
            assert isinstance(layer, gpd.GeoDataFrame)  # is_geo, checked above
            tmp.write_text(rfc7946_text(layer), encoding="utf-8")
        elif fmt == "gpkg":
            assert isinstance(layer, gpd.GeoDataFrame)  # is_geo, checked above
            layer.to_file(tmp, driver="GPKG", layer=p.stem)
        elif fmt == "parquet":
            layer.to_parquet(tmp, index=False)
        else:
            table = pd.DataFrame(layer.drop(columns=layer.geometry.name)) if is_geo else layer
            table.to_csv(tmp, index=False)
    return p
