"""Count a railway once: collapse the parallel tracks of a corridor into one line.

The data pack's corridor files (``rail/hsr_corridors/*.json``) hold each
corridor as both of its tracks, two lines about 5 m apart, so any length summed
over them is about twice the route length (京沪高铁: 2,603 km in the file, 1,318 km
of route). :func:`collapse_parallel_tracks` keeps the longest parts and drops,
from every further part, what lies within ``tolerance_m`` of what is already
kept: what remains is one line along the route, plus the stretches where the
file has only one track.
"""

from __future__ import annotations

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from countylink.geo.crs import local_metric_crs

#: Parallel tracks closer than this are one route, metres (tracks are ~5 m apart;
#: 20 m also absorbs OSM's small offsets at stations without merging distinct lines).
TRACK_TOLERANCE_M = 20.0
#: Leftover pieces shorter than this are crossover slivers, not route, metres.
MIN_PIECE_M = 50.0


def collapse_parallel_tracks(
    line: BaseGeometry, *, crs: object = "EPSG:4326", tolerance_m: float = TRACK_TOLERANCE_M
) -> BaseGeometry:
    """One line along a railway drawn as parallel tracks.

    Parameters
    ----------
    line
        A LineString or MultiLineString (all the tracks of one corridor).
    crs
        CRS of ``line``; the work is done in a local metric CRS.
    tolerance_m
        Parts within this distance of an already kept part count as the same route.

    Returns
    -------
    BaseGeometry
        A (Multi)LineString in ``crs`` whose length is the route length.
    """
    if line is None or line.is_empty:
        return line
    series = gpd.GeoSeries([line], crs=crs)
    metric = local_metric_crs(series)
    merged = shapely.line_merge(series.to_crs(metric).iloc[0])
    parts = sorted(getattr(merged, "geoms", [merged]), key=lambda g: -g.length)
    kept: list[BaseGeometry] = []
    covered: BaseGeometry | None = None
    for part in parts:
        if covered is not None:
            part = part.difference(covered)
            if part.is_empty or part.length < MIN_PIECE_M:
                continue
        kept.append(part)
        covered = shapely.union_all(kept).buffer(tolerance_m)
    single = shapely.line_merge(shapely.union_all(kept))
    return gpd.GeoSeries([single], crs=metric).to_crs(crs).iloc[0]
