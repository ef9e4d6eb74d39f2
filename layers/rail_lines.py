"""The ``rail_lines`` layer: known railway lines crossing the run's counties.

Schema: :data:`countylink.accessibility.rail.lines.LINE_COLUMNS` (``line_name``,
``kind``, ``highspeed``, ``usage``, ``service``, ``freight``, ``source``,
``year``, geometry), clipped to the counties' outline.
"""

from __future__ import annotations

import os

import geopandas as gpd
import pandas as pd

from countylink.accessibility.rail import lines as rl
from countylink.layers.schemas import validate_layer


def source_lines(
    *,
    data: str | os.PathLike | None = None,
    osm_file: str | os.PathLike | None = None,
) -> gpd.GeoDataFrame:
    """Line geometries: the data pack's (default) plus OSM ``railway=rail`` from ``osm_file``."""
    frames = [rl.read_pack_lines(data=data)]
    if osm_file is not None:
        frames.append(rl.rail_lines_from_osm(osm_file=osm_file))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")


def rail_lines_layer(counties: gpd.GeoDataFrame, lines: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Lines clipped to the union of ``counties`` (empty pieces removed)."""
    area = counties.to_crs("EPSG:4326").geometry.union_all()
    clipped = gpd.clip(lines, area)
    clipped = clipped[~clipped.geometry.is_empty]
    return validate_layer("rail_lines", clipped.reset_index(drop=True))
