"""Passenger railway stations: reading, checking, timetable matching, county join.

Three kinds of station source feed the same schema (one row per station:
``station_name``, ``lon``, ``lat`` in WGS-84, ``source``, ``year``, point
``geometry``):

* the data pack's ``rail/passenger_stations.csv`` (:func:`read_pack_stations`),
* any user CSV or GeoJSON in the same schema (:func:`read_station_file`), with
  ``coord_system="gcj02"`` / ``"bd09"`` for Chinese web-map coordinates,
* OpenStreetMap ``railway=station|halt`` features through OSMnx (Overpass or an
  ``.osm`` XML file) or pyrosm (an ``.osm.pbf`` extract) (:func:`stations_from_osm`).

Service figures come from the national timetable stop lists
(``rail/train_stops/train_{g,d,c,k,z,n}.txt``, one train a line,
``trainno:station1,station2,...``): :func:`read_stop_lists` parses them,
:func:`match_station_names` links their names to the coordinate file (exact
first, then the documented rules in :data:`MATCH_RULES`), and
:func:`station_service` counts distinct trains per station and class.
"""

from __future__ import annotations

import os
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from countylink.accessibility.road.crowfly import great_circle_km
from countylink.errors import DataError, NotFoundError
from countylink.files import data_file

# --------------------------------------------------------------------------- constants

#: Train-number prefix -> service group. T-class trains are absent from the pack.
TRAIN_CLASSES: dict[str, str] = {
    "G": "hsr",  # 高速动车组 (high-speed)
    "D": "hsr",  # 动车组 (EMU)
    "C": "hsr",  # 城际 (intercity EMU)
    "K": "conventional",  # 快速
    "Z": "conventional",  # 直达特快
    "N": "conventional",  # number-only trains (普快/普客, file train_n.txt): class letter "N" here
}
HSR_CLASSES: tuple[str, ...] = tuple(k for k, v in TRAIN_CLASSES.items() if v == "hsr")
CONVENTIONAL_CLASSES: tuple[str, ...] = tuple(k for k, v in TRAIN_CLASSES.items() if v == "conventional")

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


def _pick(columns: Sequence[str], aliases: Sequence[str]) -> str | None:
    lower = {str(c).lower(): c for c in columns}
    for a in aliases:
        if a.lower() in lower:
            return lower[a.lower()]
    return None


def normalise_station_name(name: object) -> str:
    """NFKC-normalise, drop all whitespace (full-width spaces included)."""
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name)))


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
        try:
            frame = pd.read_csv(p, dtype=str, encoding="utf-8-sig")
        except pd.errors.EmptyDataError as exc:
            raise DataError(f"{src}: the station file is empty") from exc
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
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
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


# --------------------------------------------------------------------------- OSM


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


def _tags_match(element_tags: dict, tags: dict) -> bool:
    """Whether an element passes an OSMnx ``tags`` query (any key/value listed)."""
    for key, want in tags.items():
        have = element_tags.get(key)
        if have is None:
            continue
        if want is True or have == want or (isinstance(want, list) and have in want):
            return True
    return False


def _select_elements(elements: list[dict], tags: dict) -> list[dict]:
    """Elements matching ``tags`` plus what Overpass's ``(._;>;)`` adds to them.

    That is the members of matching relations, and the nodes of matching and
    member ways: the same element set an Overpass features query returns, so an
    extract read this way gives the same features as the online path (and OSMnx
    never builds geometry for unrelated multipolygons clipped by the extract).
    """
    by_type: dict[str, dict[int, dict]] = {"node": {}, "way": {}, "relation": {}}
    for e in elements:
        by_type.setdefault(e["type"], {})[e["id"]] = e
    keep: dict[str, set[int]] = {"node": set(), "way": set(), "relation": set()}
    for kind, items in by_type.items():
        for eid, e in items.items():
            if _tags_match(e.get("tags", {}), tags):
                keep.setdefault(kind, set()).add(eid)
    for rid in list(keep["relation"]):
        for m in by_type["relation"][rid].get("members", ()):
            keep.setdefault(m["type"], set()).add(m["ref"])
    for wid in keep["way"]:
        if wid in by_type["way"]:
            keep["node"].update(by_type["way"][wid].get("nodes", ()))
    return [
        e
        for kind in ("node", "way", "relation")
        for eid, e in by_type.get(kind, {}).items()
        if eid in keep.get(kind, ())
    ]


def _features_from_answers(answers: list[dict], tags: dict, polygon=None) -> gpd.GeoDataFrame:
    """OSMnx features from Overpass-style JSON answers (OSMnx's own geometry builder).

    Ways clipped by an extract or an area lose the node references that are
    absent; ways left with fewer than two nodes are dropped (as pyrosm does).
    """
    import osmnx as ox
    from osmnx import features
    from shapely.geometry import Polygon

    have = {e["id"] for a in answers for e in a["elements"] if e["type"] == "node"}
    for a in answers:
        for e in a["elements"]:
            if e["type"] == "way":
                e["nodes"] = [r for r in e.get("nodes", ()) if r in have]
        a["elements"] = [e for e in a["elements"] if e["type"] != "way" or len(e["nodes"]) >= 2]
    try:
        return features._create_gdf(answers, polygon if polygon is not None else Polygon(), tags)
    except ox._errors.InsufficientResponseError:
        return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")


def osm_features(
    tags: dict,
    *,
    osm_file: str | os.PathLike | None = None,
    polygon=None,
    bbox: tuple[float, float, float, float] | None = None,
    what: str = "features",
    with_ways: bool = True,
    overpass_retries: int = 2,
    overpass_retry_pause: float = 30.0,
) -> tuple[gpd.GeoDataFrame, str]:
    """OSM features matching an OSMnx ``tags`` query from exactly one source.

    * ``.osm.pbf`` → pyrosm (OSMnx cannot read PBF); ``with_ways=False`` keeps
      only tagged nodes.
    * ``.osm``/``.xml`` → OSMnx's XML reader, limited to the elements an
      Overpass query would return (:func:`_select_elements`).
    * ``polygon``/``bbox`` ``(west, south, east, north)`` → Overpass, with
      OSMnx's own feature query and cache (``osmnx.settings.overpass_url``,
      ``cache_folder``, ``requests_timeout`` apply). HTTP errors, timeouts and
      unreachable servers raise :class:`~countylink.errors.CountylinkError`;
      HTTP 429/504 are retried ``overpass_retries`` times; failed answers
      are never cached.

    Returns
    -------
    (features, source)
        The features (may be empty) and the provenance text.
    """
    given = [x is not None for x in (osm_file, polygon, bbox)]
    if sum(given) != 1:
        raise DataError(f"give exactly one of osm_file, polygon or bbox for OSM {what}")
    if osm_file is not None:
        p = Path(osm_file).expanduser()
        if not p.exists():
            raise NotFoundError(f"OSM file not found: {p}")
        src = f"OpenStreetMap extract {p.name} (© OpenStreetMap contributors)"
        if p.name.lower().endswith(".pbf"):
            pbf_filter = {k: (v if isinstance(v, list) else [v]) for k, v in tags.items() if v is not True}
            return _pbf_features(p, pbf_filter, with_ways=with_ways), src
        from osmnx import _osm_xml

        try:
            answer = _osm_xml._overpass_json_from_xml(p, "utf-8")
        except Exception as exc:  # ParseError, bz2/encoding errors: all mean an unreadable file
            raise DataError(f"cannot read OSM XML file {p}: {exc}") from exc
        answer["elements"] = _select_elements(answer["elements"], tags)
        return _features_from_answers([answer], tags), src

    from collections import OrderedDict

    from osmnx import _overpass

    from countylink.accessibility.road.network import _overpass_request, _polygon_from

    area = _polygon_from(polygon if polygon is not None else tuple(bbox))
    if not area.is_valid:
        area = area.buffer(0)
    if area.is_empty:
        raise DataError("the area for the Overpass query is empty")
    answers = [
        _overpass_request(
            OrderedDict(data=_overpass._create_overpass_features_query(coords, tags)),
            retries=overpass_retries,
            retry_pause=overpass_retry_pause,
        )
        for coords in _overpass._make_overpass_polygon_coord_strs(area)
    ]
    return _features_from_answers(answers, tags, area), "OpenStreetMap via Overpass (© OpenStreetMap contributors)"


def _pbf_features(path: Path, custom_filter: dict, *, with_ways: bool) -> gpd.GeoDataFrame:
    """Read tagged features from an ``.osm.pbf`` with pyrosm (OSMnx cannot read PBF)."""
    import pyrosm

    osm = pyrosm.OSM(str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        feats = osm.get_data_by_custom_criteria(
            custom_filter=custom_filter,
            filter_type="keep",
            keep_nodes=not with_ways,
            keep_ways=True,
            keep_relations=False,
        )
    if feats is None:
        return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    # pyrosm keeps rare tags in a JSON 'tags' column; lift the ones we read.
    if "tags" in feats.columns:
        import json

        parsed = feats["tags"].map(lambda t: json.loads(t) if isinstance(t, str) else (t or {}))
        for key in (
            "name",
            "name:zh",
            "station",
            "subway",
            "tram",
            "light_rail",
            "train",
            "usage",
            "service",
            "highspeed",
            "railway:traffic_mode",
        ):
            if key not in feats.columns:
                feats[key] = parsed.map(lambda d, k=key: d.get(k))
    return feats


# --------------------------------------------------------------------------- stop lists


@dataclass
class StopLists:
    """Parsed timetable stop lists (long form) and what could not be parsed."""

    stops: pd.DataFrame  # train_no, train_class, seq, station_name
    bad_lines: list[str]
    files: list[str]
    source: str
    year: int | None


def read_stop_lists(
    paths: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
    *,
    data: str | os.PathLike | None = None,
    source: str | None = None,
    year: int | None = None,
) -> StopLists:
    """Parse timetable stop-list files ``trainno:station1,station2,...``.

    Parameters
    ----------
    paths
        A directory (all ``train_*.txt`` in it), one file, or a list of files.
        ``None`` reads the data pack's ``rail/train_stops``.

    Returns
    -------
    StopLists
        ``stops`` has one row per stop (``train_no`` upper-cased, number-only
        ordinary trains prefixed ``N``; ``train_class`` = its first letter, ``seq`` from 0, ``station_name`` normalised).
        Lines without ``:``, with fewer than two stops, or of an unknown class
        are listed in ``bad_lines`` and reported with a warning; a train
        number seen twice keeps the first line (also reported).

    Raises
    ------
    DataError
        No file, or no valid line at all.
    """
    if paths is None:
        directory = data_file("rail/train_stops", data=data)
        files = sorted(directory.glob("train_*.txt"))
        src, yr = PACK_SOURCES["train_stops"]
        source = source or src
        year = year if year is not None else yr
    elif isinstance(paths, (str, os.PathLike)) and Path(paths).is_dir():
        files = sorted(Path(paths).glob("*.txt"))
    elif isinstance(paths, (str, os.PathLike)):
        files = [Path(paths)]
    else:
        files = [Path(p) for p in paths]
    if not files:
        raise DataError(f"no stop-list files found in {paths}")
    for f in files:
        if not f.exists():
            raise NotFoundError(f"stop-list file not found: {f}")
    rows: list[tuple[str, str, int, str]] = []
    bad: list[str] = []
    seen: set[str] = set()
    dup: list[str] = []
    for f in files:
        with open(f, encoding="utf-8-sig") as fh:
            for lineno, raw in enumerate(fh, 1):
                line = raw.strip()
                if not line:
                    continue
                train, sep, rest = line.partition(":")
                train = train.strip().upper()
                if train[:1].isdigit():  # number-only ordinary trains get class "N"
                    train = "N" + train
                stations = [normalise_station_name(s) for s in rest.split(",")]
                stations = [s for s in stations if s]
                if not sep or not train or train[0] not in TRAIN_CLASSES or len(stations) < 2:
                    bad.append(f"{f.name}:{lineno}: {line[:60]}")
                    continue
                if train in seen:
                    dup.append(train)
                    continue
                seen.add(train)
                rows.extend((train, train[0], i, s) for i, s in enumerate(stations))
    if not rows:
        raise DataError(
            f"no valid stop-list lines in {', '.join(f.name for f in files)} "
            f"({len(bad)} unreadable lines; expected 'trainno:station1,station2,...')"
        )
    if bad or dup:
        warnings.warn(
            f"stop lists: {len(bad)} unreadable lines skipped"
            + (f" (first: {bad[0]})" if bad else "")
            + (f"; {len(dup)} repeated train numbers skipped ({', '.join(dup[:5])})" if dup else ""),
            stacklevel=2,
        )
    stops = pd.DataFrame(rows, columns=["train_no", "train_class", "seq", "station_name"])
    return StopLists(
        stops=stops,
        bad_lines=bad + [f"repeated train {t}" for t in dup],
        files=[str(f) for f in files],
        source=source or "stop lists " + ", ".join(f.name for f in files),
        year=year,
    )


# --------------------------------------------------------------------------- name matching


def _strip_trailing_zhan(name: str, known: set[str]) -> str | None:
    if name.endswith("站") and len(name) > 1 and name[:-1] in known:
        return name[:-1]
    return None


def _add_trailing_zhan(name: str, known: set[str]) -> str | None:
    return name + "站" if name + "站" in known else None


def _strip_admin_suffix(name: str, known: set[str]) -> str | None:
    # '蓬莱市' in the timetable, '蓬莱' in the coordinate file
    if len(name) > 2 and name[-1] in "市县" and name[:-1] in known:
        return name[:-1]
    return None


def _county_became_city(name: str, known: set[str]) -> str | None:
    # county-to-city upgrades renamed stations: '沙湾县' (timetable ~2021) -> '沙湾市'
    if name.endswith("县") and name[:-1] + "市" in known:
        return name[:-1] + "市"
    return None


def _strip_brackets(name: str, known: set[str]) -> str | None:
    # '某站(货)' / '某(客)' style annotations
    base = re.sub(r"[（(].*?[)）]$", "", name)
    return base if base != name and base in known else None


#: Rules tried in order after an exact match fails; each maps a name to a
#: known name or ``None``. Only one rule is applied, never chained.
MATCH_RULES: list[tuple[str, Callable[[str, set[str]], str | None]]] = [
    ("strip trailing 站", _strip_trailing_zhan),
    ("add trailing 站", _add_trailing_zhan),
    ("strip bracketed note", _strip_brackets),
    ("strip trailing 市/县", _strip_admin_suffix),
    ("县 renamed 市", _county_became_city),
]


def match_station_names(names: Iterable[str], known: Iterable[str]) -> pd.DataFrame:
    """Match names (e.g. stop-list stations) to ``known`` names (coordinate file).

    Exact (after :func:`normalise_station_name`) first, then each rule in
    :data:`MATCH_RULES` in order.

    Returns
    -------
    pandas.DataFrame
        One row per distinct input name: ``name``, ``matched_name`` (or NA),
        ``rule`` (``exact``, a rule name, or ``unmatched``).
    """
    known_set = {normalise_station_name(k) for k in known}
    out = []
    for raw in dict.fromkeys(names):
        n = normalise_station_name(raw)
        if n in known_set:
            out.append((raw, n, "exact"))
            continue
        for rule, fn in MATCH_RULES:
            hit = fn(n, known_set)
            if hit is not None:
                out.append((raw, hit, rule))
                break
        else:
            out.append((raw, pd.NA, "unmatched"))
    return pd.DataFrame(out, columns=["name", "matched_name", "rule"])


# --------------------------------------------------------------------------- service


def station_service(
    stops: StopLists | pd.DataFrame,
    stations: gpd.GeoDataFrame,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Attach distinct-train counts per class to each station.

    Parameters
    ----------
    stops
        :class:`StopLists` or its ``stops`` frame.
    stations
        Station schema (``station_name`` unique).

    Returns
    -------
    (stations, matches)
        ``stations`` gains ``n_trains``, ``n_trains_<X>`` for each class in
        :data:`TRAIN_CLASSES`, ``n_trains_hsr`` (G+D+C), ``n_trains_conventional``
        (K+Z+N), ``hsr_served``, ``service_source``, ``service_year``.
        ``matches`` is :func:`match_station_names`'s table with the number of
        trains for each stop-list name; unmatched names are also warned about.
    """
    sl = stops if isinstance(stops, StopLists) else StopLists(stops, [], [], "stop lists", None)
    st = sl.stops
    matches = match_station_names(st["station_name"].unique(), stations["station_name"])
    ntr = st.groupby("station_name")["train_no"].nunique()
    matches["n_trains"] = matches["name"].map(ntr).fillna(0).astype(int)
    unmatched = matches[matches["rule"] == "unmatched"].sort_values("n_trains", ascending=False)
    if len(unmatched):
        warnings.warn(
            f"{len(unmatched)} of {len(matches)} stop-list station names have no coordinates "
            f"({int(unmatched['n_trains'].sum())} train calls; busiest: "
            + ", ".join(f"{n} ({k})" for n, k in unmatched[["name", "n_trains"]].head(10).itertuples(index=False))
            + ")",
            stacklevel=2,
        )
    lookup = matches.dropna(subset=["matched_name"]).set_index("name")["matched_name"]
    st = st.assign(matched=st["station_name"].map(lookup)).dropna(subset=["matched"])
    counts = st.groupby(["matched", "train_class"])["train_no"].nunique().unstack(fill_value=0)
    out = stations.copy()
    total = st.groupby("matched")["train_no"].nunique()
    out["n_trains"] = out["station_name"].map(total).fillna(0).astype(int)
    for cls in TRAIN_CLASSES:
        s = counts[cls] if cls in counts.columns else pd.Series(dtype=int)
        out[f"n_trains_{cls}"] = out["station_name"].map(s).fillna(0).astype(int)
    out["n_trains_hsr"] = out[[f"n_trains_{c}" for c in HSR_CLASSES]].sum(axis=1)
    out["n_trains_conventional"] = out[[f"n_trains_{c}" for c in CONVENTIONAL_CLASSES]].sum(axis=1)
    out["hsr_served"] = out["n_trains_hsr"] > 0
    out["service_source"] = sl.source
    out["service_year"] = pd.array([sl.year] * len(out), dtype="Int64")
    out.attrs["unmatched_stop_names"] = unmatched["name"].tolist()
    geom = out.pop("geometry")
    out["geometry"] = geom
    return gpd.GeoDataFrame(out, geometry="geometry", crs=stations.crs), matches


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
