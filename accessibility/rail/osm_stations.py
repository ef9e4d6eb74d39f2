"""Railway stations and halts from OpenStreetMap (extract or Overpass) in the station schema."""

from __future__ import annotations

import os

import geopandas as gpd
import pandas as pd

from countylink.accessibility.osm.features import osm_features
from countylink.accessibility.rail.stations import StationReport, clean_stations
from countylink.errors import DataError

_NON_RAIL_STATION = {"subway", "light_rail", "monorail", "tram", "funicular", "miniature"}


def stations_from_osm(
    *,
    osm_file: str | os.PathLike | None = None,
    polygon=None,
    bbox: tuple[float, float, float, float] | None = None,
    year: int | None = None,
    overpass_retries: int = 2,
    overpass_retry_pause: float = 30.0,
) -> gpd.GeoDataFrame:
    """Railway stations and halts from OpenStreetMap in the station schema.

    Exactly one of ``osm_file`` (``.osm``/``.xml`` read by OSMnx, ``.osm.pbf``
    read by pyrosm), ``polygon`` (shapely, WGS-84) or ``bbox``
    ``(west, south, east, north)`` must be given; see :func:`osm_features`
    for how each source is read and how Overpass errors are reported.

    Features tagged ``railway=station`` or ``railway=halt`` are kept unless
    tagged as metro/tram/monorail stations (``station=subway|light_rail|…``)
    or carrying ``subway=yes``/``tram=yes`` without ``train=yes``; the numbers
    of such rows and of unnamed stations are reported (``attrs["report"]``).
    Name is ``name:zh`` where present, else ``name``.
    """
    tags = {"railway": ["station", "halt"]}
    feats, src = osm_features(
        tags,
        osm_file=osm_file,
        polygon=polygon,
        bbox=bbox,
        what="stations",
        with_ways=False,
        overpass_retries=overpass_retries,
        overpass_retry_pause=overpass_retry_pause,
    )
    rep = StationReport(source=src)
    if feats is None or len(feats) == 0:
        raise DataError(f"{src}: no railway=station|halt features found")
    feats = feats.reset_index(drop=False)
    n_all = len(feats)
    col = lambda c: feats[c] if c in feats.columns else pd.Series(None, index=feats.index, dtype=object)  # noqa: E731
    kind = col("railway").astype(str)
    keep = kind.isin(["station", "halt"])
    station_tag = col("station").astype(str).str.lower()
    metro = station_tag.isin(_NON_RAIL_STATION) | (
        (
            col("subway").astype(str).eq("yes")
            | col("tram").astype(str).eq("yes")
            | col("light_rail").astype(str).eq("yes")
        )
        & ~col("train").astype(str).eq("yes")
    )
    name = col("name:zh").where(col("name:zh").notna(), col("name"))
    label = name.fillna("<unnamed>").astype(str)
    rep.drop("metro/tram/monorail station, not national rail", label[keep & metro])
    keep &= ~metro
    if feats.crs is not None and feats.crs.to_epsg() != 4326:
        feats = feats.to_crs("EPSG:4326")
    pts = feats.geometry.where(feats.geometry.geom_type == "Point", feats.geometry.representative_point())
    frame = pd.DataFrame({"station_name": name[keep], "lon": pts.x[keep], "lat": pts.y[keep]})
    frame["railway"] = kind[keep]
    rep.n_input = n_all
    gdf, rep2 = clean_stations(frame, source=src, year=year, bounds=None, report=rep)
    rep2.n_input = n_all
    gdf.attrs["report"] = rep2
    return gdf
