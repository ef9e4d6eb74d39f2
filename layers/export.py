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


def to_rfc7946(gdf: gpd.GeoDataFrame, *, precision: int = 6) -> dict:
    """A GeoJSON FeatureCollection dict following RFC 7946."""
    g = gdf.to_crs(WGS84) if gdf.crs is not None and not gdf.crs.equals(WGS84) else gdf
    geoms = g.geometry.values
    present = ~pd.isna(geoms)
    geoms = np.asarray(geoms, dtype=object)
    # RFC 7946 section 3.1.6: exterior rings counter-clockwise, holes clockwise
    fixed = shapely.orient_polygons(geoms[present], exterior_cw=False)
    fixed = shapely.set_precision(fixed, 10.0**-precision, mode="pointwise")
    geoms[present] = fixed
    props = pd.DataFrame(g.drop(columns=g.geometry.name))
    features = []
    records = json.loads(props.to_json(orient="records", force_ascii=False, date_format="iso"))
    for geom, rec in zip(geoms, records):
        features.append(
            {
                "type": "Feature",
                "properties": rec,
                "geometry": None if geom is None else _round(shapely.geometry.mapping(geom), precision),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _round(obj, precision: int):
    if isinstance(obj, dict):
        return {k: _round(v, precision) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_round(v, precision) for v in obj]
    if isinstance(obj, float):
        return round(obj, precision)
    return obj


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
        Unknown format, or the output cannot be written.
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
    is_geo = isinstance(layer, gpd.GeoDataFrame) and layer.geometry.name in layer.columns
    if fmt != "csv" and not is_geo:
        raise CountylinkError(f"this layer has no geometry; write it as csv, not {fmt}")
    with atomic_output(p, suffix=FORMATS[fmt]) as tmp:
        if fmt == "geojson":
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(to_rfc7946(layer), fh, ensure_ascii=False, separators=(",", ":"))
        elif fmt == "gpkg":
            assert isinstance(layer, gpd.GeoDataFrame)  # is_geo, checked above
            layer.to_file(tmp, driver="GPKG", layer=p.stem)
        elif fmt == "parquet":
            layer.to_parquet(tmp, index=False)
        else:
            table = pd.DataFrame(layer.drop(columns=layer.geometry.name)) if is_geo else layer
            table.to_csv(tmp, index=False)
    return p
