"""Passenger railway stations: reading and checking station files, GCJ-02 detection, county join.

(Just over 400 lines: the station schema, its row checks and the readers that share them stay together.)

Three kinds of station source feed the same schema (one row per station:
``station_name``, ``lon``, ``lat`` in WGS-84, ``source``, ``year``, point
``geometry``):

* the data pack's ``rail/passenger_stations.csv`` (:func:`read_pack_stations`),
* any user CSV or GeoJSON in the same schema (:func:`read_station_file`), with
  ``coord_system="gcj02"`` / ``"bd09"`` for Chinese web-map coordinates,
* OpenStreetMap ``railway=station|halt`` features through OSMnx (Overpass or an
  ``.osm`` XML file) or pyrosm (an ``.osm.pbf`` extract)
  (:func:`countylink.accessibility.rail.osm_stations.stations_from_osm`).

Service figures (trains per station) come from the timetable stop lists:
:mod:`countylink.accessibility.rail.stop_lists`; name matching rules are in
:mod:`countylink.accessibility.rail.station_names`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from countylink.accessibility.rail.station_names import normalise_station_name
from countylink.accessibility.road.crowfly import great_circle_km
from countylink.errors import DataError, NotFoundError
from countylink.files import data_file, read_csv_table

# --------------------------------------------------------------------------- constants


#: Provenance of the data-pack rail files (source text, data year).
PACK_SOURCES: dict[str, tuple[str, int]] = {
    "passenger_stations": (
        "data pack rail/passenger_stations.csv (wensimehrp/chinese-railway-gtfs @ 3f527cf, "
        "2026-07; coordinates © OpenStreetMap contributors)",
        2026,
    ),
    "train_stops": (
        "data pack rail/train_stops (12306 timetable stop lists, Sythens88/"
        "Chinese-Railway-Network @ e6749d3, about 2021; no T-class trains)",
        2021,
    ),
    "trunk_lines": (
        "data pack rail/trunk_lines_generalised.gpkg (gmt-china/china-geospatial-data, "
        "2021; generalised ~1 km, no HSR, incomplete)",
        2021,
    ),
    "hsr_corridors": (
        "data pack rail/hsr_corridors (OSM-derived corridors, Raymond1030/"
        "China-High-speed-railway-Mapbox-Visualization, 2023)",
        2023,
    ),
}

#: Mainland China plus Hainan, generous: points outside are reported as out of range.
CHINA_BOUNDS: tuple[float, float, float, float] = (73.0, 17.5, 135.5, 54.0)

STATION_COLUMNS = ["station_name", "lon", "lat", "source", "year", "geometry"]
_NAME_ALIASES = ("station_name", "name", "station", "车站", "站名")
_LON_ALIASES = ("lon", "lng", "longitude", "x", "经度")
_LAT_ALIASES = ("lat", "latitude", "y", "纬度")


# --------------------------------------------------------------------------- reports


@dataclass
class StationReport:
    """What happened to the rows of a station source (nothing is dropped silently)."""

    source: str
    n_input: int = 0
    n_kept: int = 0
    dropped: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def drop(self, reason: str, names: Iterable[str]) -> None:
        names = [str(n) for n in names]
        if names:
            self.dropped.setdefault(reason, []).extend(names)

    @property
    def n_dropped(self) -> int:
        return sum(len(v) for v in self.dropped.values())

    def summary(self) -> str:
        parts = [f"{self.source}: {self.n_input} rows read, {self.n_kept} kept"]
        for reason, names in self.dropped.items():
            shown = ", ".join(names[:8]) + (" …" if len(names) > 8 else "")
            parts.append(f"{len(names)} dropped ({reason}: {shown})")
        parts.extend(self.notes)
        return "; ".join(parts)


# --------------------------------------------------------------------------- station files


def _pick(columns: Iterable[str], aliases: Sequence[str]) -> str | None:
    lower = {str(c).lower(): c for c in columns}
    for a in aliases:
        if a.lower() in lower:
            return lower[a.lower()]
    return None


def convert_coords(lon: np.ndarray, lat: np.ndarray, coord_system: str) -> tuple[np.ndarray, np.ndarray]:
    """Return WGS-84 ``lon, lat`` from ``coord_system`` (``wgs84``, ``gcj02``, ``bd09``)."""
    from countylink.geo import coords

    cs = coord_system.lower().replace("-", "").replace("_", "")
    if cs not in coords.SYSTEMS:
        raise DataError(f"unknown coordinate system {coord_system!r}: use 'wgs84', 'gcj02' or 'bd09'")
    out = coords.convert_lonlat(lon, lat, source=cs, target="wgs84")
    return np.asarray(out[0], dtype=float), np.asarray(out[1], dtype=float)


def clean_stations(
    frame: pd.DataFrame,
    *,
    source: str,
    year: int | None,
    coord_system: str = "wgs84",
    bounds: tuple[float, float, float, float] | None = CHINA_BOUNDS,
    report: StationReport | None = None,
) -> tuple[gpd.GeoDataFrame, StationReport]:
    """Validate a raw station table and return the station schema plus a report.

    Rows with a missing name, missing or non-numeric coordinates, or
    coordinates outside valid WGS-84 ranges (or ``bounds``) are dropped and
    counted; duplicate names keep the first row and are counted too.

    Parameters
    ----------
    frame
        Table with a name column (``station_name``/``name``/``车站``) and
        ``lon``/``lat`` (or ``longitude``/``latitude``/``经度``/``纬度``).
    source, year
        Provenance written to every row.
    coord_system
        ``"wgs84"`` (default), ``"gcj02"`` or ``"bd09"``; non-WGS input is converted.
    bounds
        ``(min_lon, min_lat, max_lon, max_lat)``; points outside are dropped as
        out of range. ``None`` checks only the global WGS-84 ranges.

    Raises
    ------
    DataError
        Missing columns, an empty table, or no row surviving the checks.
    """
    rep = report or StationReport(source=source)
    rep.n_input = rep.n_input or len(frame)
    if frame.empty:
        raise DataError(f"{source}: the station table is empty")
    name_col = _pick(frame.columns, _NAME_ALIASES)
    lon_col = _pick(frame.columns, _LON_ALIASES)
    lat_col = _pick(frame.columns, _LAT_ALIASES)
    missing = [k for k, c in (("station_name", name_col), ("lon", lon_col), ("lat", lat_col)) if c is None]
    if missing:
        raise DataError(
            f"{source}: missing column(s) {', '.join(missing)} (have: {', '.join(map(str, frame.columns))})"
        )
    names = frame[name_col].map(normalise_station_name)
    lon = pd.to_numeric(frame[lon_col], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(frame[lat_col], errors="coerce").to_numpy(dtype=float)
    label = names.where(names != "", "<row " + pd.Series(range(len(frame)), index=frame.index).astype(str) + ">")

    no_name = (names == "").to_numpy()
    rep.drop("no station name", label[no_name])
    no_xy = ~no_name & (np.isnan(lon) | np.isnan(lat))
    rep.drop("missing coordinates", label[no_xy])
    ok = ~no_name & ~no_xy
    if bounds is not None:
        x0, y0, x1, y1 = bounds
        in_box = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
        swapped = ok & ~in_box & (lat >= x0) & (lat <= x1) & (lon >= y0) & (lon <= y1)
        if swapped.any():
            rep.notes.append(
                f"{int(swapped.sum())} dropped row(s) look like lon/lat swapped: " + ", ".join(label[swapped].head(5))
            )
    bad_range = ok & ((np.abs(lon) > 180) | (np.abs(lat) > 90))
    rep.drop("coordinates outside WGS-84 ranges", label[bad_range])
    ok &= ~bad_range
    if bounds is not None:
        x0, y0, x1, y1 = bounds
        outside = ok & ((lon < x0) | (lon > x1) | (lat < y0) | (lat > y1))
        rep.drop(f"outside the expected extent {bounds}", label[outside])
        ok &= ~outside

    kept = pd.DataFrame({"station_name": names[ok].to_numpy(), "lon": lon[ok], "lat": lat[ok]})
    dup = kept["station_name"].duplicated(keep="first")
    if dup.any():
        rep.drop("duplicate name, first row kept", kept.loc[dup, "station_name"])
        kept = kept.loc[~dup]
    if kept.empty:
        raise DataError(f"{source}: no usable station rows ({rep.summary()})")
    if coord_system.lower().replace("-", "") not in ("wgs84",):
        kept["lon"], kept["lat"] = convert_coords(kept["lon"].to_numpy(), kept["lat"].to_numpy(), coord_system)
        rep.notes.append(f"converted from {coord_system} to WGS-84")
    kept["source"] = source
    kept["year"] = pd.array([year] * len(kept), dtype="Int64")
    rep.n_kept = len(kept)
    if rep.n_dropped:
        warnings.warn(rep.summary(), stacklevel=2)
    gdf = gpd.GeoDataFrame(
        kept.reset_index(drop=True),
        geometry=gpd.points_from_xy(kept["lon"], kept["lat"]),
        crs="EPSG:4326",
    )
    gdf.attrs["report"] = rep
    return gdf[STATION_COLUMNS], rep


def read_station_file(
    path: str | os.PathLike,
    *,
    coord_system: str | None = None,
    crs: str | None = None,
    source: str | None = None,
    year: int | None = None,
    bounds: tuple[float, float, float, float] | None = CHINA_BOUNDS,
    reference: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Read a user station file (CSV or GeoJSON) in the station schema.

    Parameters
    ----------
    path
        ``.csv`` with ``station_name, lon, lat`` (aliases accepted), or a GeoJSON
        / GeoPackage of points with a name property.
    coord_system, crs
        Same thing (either may be given): ``"wgs84"`` (default), ``"gcj02"``
        or ``"bd09"``. Declared GCJ-02/BD-09 coordinates are converted to WGS-84.
    source, year
        Provenance; defaults to the file name and no year.
    reference
        Stations known to be WGS-84 (for example :func:`read_pack_stations`).
        When given and ``coord_system`` is WGS-84, stations sharing a name are
        compared and a warning is raised if the file looks GCJ-02 offset
        (see :func:`detect_gcj02_offset`).

    Returns
    -------
    geopandas.GeoDataFrame
        Station schema; ``attrs["report"]`` holds the :class:`StationReport`.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise NotFoundError(f"station file not found: {p}")
    if coord_system and crs and coord_system.lower() != crs.lower():
        raise DataError(f"conflicting coordinate systems given: {coord_system!r} and {crs!r}")
    cs = (coord_system or crs or "wgs84").lower()
    src = source or f"user file {p.name}"
    if p.stat().st_size == 0:
        raise DataError(f"{src}: the station file is empty")
    if p.suffix.lower() in (".csv", ".txt"):
        frame = read_csv_table(p, what="station file", dtype=str)
    else:
        try:
            g = gpd.read_file(p)
        except Exception as exc:  # pyogrio raises several types
            raise DataError(f"{src}: cannot read {p.name} as a vector file ({exc})") from exc
        if g.empty:
            raise DataError(f"{src}: the station file is empty")
        frame = pd.DataFrame(g.drop(columns="geometry"))
        pts = g.geometry
        if not (pts.geom_type == "Point").all():
            pts = pts.representative_point()
        frame["lon"] = pts.x.where(~pts.is_empty)
        frame["lat"] = pts.y.where(~pts.is_empty)
        for c in list(frame.columns):
            if c not in ("lon", "lat") and _pick([c], _LON_ALIASES + _LAT_ALIASES):
                frame = frame.drop(columns=c)
    gdf, rep = clean_stations(frame, source=src, year=year, coord_system=cs, bounds=bounds)
    if reference is not None and cs == "wgs84":
        check = detect_gcj02_offset(gdf, reference)
        if check["suspicious"]:
            msg = (
                f"{src}: coordinates look GCJ-02 (Chinese web-map offset): for "
                f"{check['n_matched']} stations also in the reference, the median distance is "
                f"{check['median_m_as_given']:.0f} m as given but {check['median_m_if_gcj02']:.0f} m "
                "if read as GCJ-02; pass coord_system='gcj02' if that is what the file holds"
            )
            rep.notes.append(msg)
            warnings.warn(msg, stacklevel=2)
    gdf.attrs["report"] = rep
    return gdf


def read_pack_stations(*, data: str | os.PathLike | None = None) -> gpd.GeoDataFrame:
    """The data pack's 4,761 China Railway passenger stations (WGS-84)."""
    src, year = PACK_SOURCES["passenger_stations"]
    path = data_file("rail/passenger_stations.csv", data=data)
    frame = read_csv_table(path, what="data-pack file", dtype=str)
    gdf, rep = clean_stations(frame, source=src, year=year)
    gdf.attrs["report"] = rep
    return gdf


def detect_gcj02_offset(
    stations: gpd.GeoDataFrame,
    reference: gpd.GeoDataFrame,
    *,
    min_matched: int = 3,
    min_offset_m: float = 150.0,
) -> dict:
    """Compare stations to a WGS-84 reference by name; say whether they look GCJ-02.

    The GCJ-02 offset in China is a few hundred metres, roughly constant over
    a region. If reading the coordinates as GCJ-02 (converting them to WGS-84)
    brings the stations at least twice as close to the reference positions
    and the raw median distance exceeds ``min_offset_m``, the input is
    flagged as suspicious.

    Returns
    -------
    dict
        ``n_matched``, ``median_m_as_given``, ``median_m_if_gcj02``, ``suspicious``.
    """
    ref = reference.drop_duplicates("station_name").set_index("station_name")
    common = stations[stations["station_name"].isin(ref.index)]
    out = {"n_matched": len(common), "median_m_as_given": np.nan, "median_m_if_gcj02": np.nan, "suspicious": False}
    if len(common) < min_matched:
        return out
    r = ref.loc[common["station_name"]]
    d_raw = great_circle_km(common["lon"], common["lat"], r["lon"], r["lat"]) * 1000
    lon_c, lat_c = convert_coords(common["lon"].to_numpy(), common["lat"].to_numpy(), "gcj02")
    d_conv = great_circle_km(lon_c, lat_c, r["lon"], r["lat"]) * 1000
    out["median_m_as_given"] = float(np.median(d_raw))
    out["median_m_if_gcj02"] = float(np.median(d_conv))
    out["suspicious"] = bool(
        out["median_m_as_given"] > min_offset_m and out["median_m_if_gcj02"] * 2 < out["median_m_as_given"]
    )
    return out


# --------------------------------------------------------------------------- county join


def join_counties(
    stations: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    *,
    keep_outside: bool = False,
) -> gpd.GeoDataFrame:
    """Add ``adcode`` (and ``county_name``) of the county polygon each station falls in.

    Stations outside every given county get NA (``keep_outside=True``) or are
    left out; either way the count is in ``attrs["n_outside"]``.

    Raises
    ------
    DataError
        The stations and the counties do not even share an extent (for
        example an OSM extract of another region): no station can lie in any
        county, and every gap figure would be wrong.
    """
    if counties.crs is not None and stations.crs is not None and counties.crs != stations.crs:
        counties = counties.to_crs(stations.crs)
    if len(stations) and len(counties):
        sx0, sy0, sx1, sy1 = stations.total_bounds
        cx0, cy0, cx1, cy1 = counties.total_bounds
        if sx1 < cx0 or sx0 > cx1 or sy1 < cy0 or sy0 > cy1:
            src = (
                ", ".join(map(str, stations["source"].dropna().unique()[:2]))
                if "source" in stations
                else "the station source"
            )
            raise DataError(
                f"none of the {len(stations)} stations ({src}) lies in or near the {len(counties)} counties: "
                f"the stations cover lon {sx0:.2f}..{sx1:.2f}, lat {sy0:.2f}..{sy1:.2f}, the counties "
                f"lon {cx0:.2f}..{cx1:.2f}, lat {cy0:.2f}..{cy1:.2f}; use a station file or OSM extract "
                "that covers these counties"
            )
    poly = counties[["adcode", "name", "geometry"]].rename(columns={"name": "county_name"})
    joined = gpd.sjoin(stations, poly, how="left", predicate="within")
    # a point on a shared border falls in two polygons: keep the first match only
    joined = joined[~joined.index.duplicated(keep="first")].drop(columns="index_right")
    outside = joined["adcode"].isna()
    n_out = int(outside.sum())
    if not keep_outside:
        joined = joined[~outside]
    joined.attrs["n_outside"] = n_out
    return joined


def read_pack_osm_points(*, data: str | os.PathLike | None = None) -> gpd.GeoDataFrame:
    """The pack's OSM station points (2025-01-24) limited to ``station=train``.

    Two thirds of the points are unnamed; unnamed train stations are dropped
    and counted in the report (they cannot be matched to the timetable), as
    are repeated names (platform nodes of one station), keeping the first.
    """
    path = data_file("rail/osm_station_points.zip", data=data)
    g = gpd.read_file(f"zip://{path}")
    rep = StationReport(source="data pack rail/osm_station_points.zip (OpenQGIS/OMap-GeoDB, OSM 2025-01-24)")
    other = g["station"].astype(str) != "train"
    rep.notes.append(f"{int(other.sum())} metro/tram/monorail points left out")
    g = g[~other]
    frame = pd.DataFrame({"station_name": g["name"], "lon": g.geometry.x, "lat": g.geometry.y})
    gdf, rep = clean_stations(frame, source=rep.source, year=2025, report=rep)
    gdf.attrs["report"] = rep
    return gdf
