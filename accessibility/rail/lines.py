"""Railway line geometries: tracks (scgraph-data), the pack's corridors and generalised lines, OSM ``railway=rail``.

The run's lines come from :func:`track_rail_lines`: the ``world_railways``
tracks merged into lines, except where they run along one of the pack's
high-speed corridors, which is drawn once, as the corridor's collapsed line.

All sources come out in one schema (WGS-84):
``line_name``, ``kind`` (``track`` / ``trunk_generalised`` / ``corridor`` / ``osm_rail``),
``highspeed`` (bool or NA), ``usage``, ``service``, ``freight`` (bool or NA:
unknown), ``source``, ``year``, ``geometry`` (LineString/MultiLineString).

The pack has no freight attributes: for its lines ``freight`` is NA, and a
county crossed by one of them may have freight-only track, passenger track or
both. OSM users get ``usage``/``service``/``highspeed`` tags, and
``freight`` is True where ``usage=freight|industrial`` or
``railway:traffic_mode=freight|mixed``, False on passenger-only track
(``railway:traffic_mode=passenger``), NA when the tags do not say.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from countylink.accessibility.osm.features import osm_features
from countylink.accessibility.rail.single_track import collapse_parallel_tracks
from countylink.accessibility.rail.stations import PACK_SOURCES
from countylink.accessibility.rail.tracks import TRACKS_SOURCE, TRACKS_YEAR
from countylink.errors import CountylinkError, DataError
from countylink.files import atomic_output, cache_dir, data_file, read_csv_table

#: OSM ``usage`` / ``railway:traffic_mode`` values meaning freight trains run on the track
FREIGHT_USAGE = ("freight", "industrial")
FREIGHT_TRAFFIC_MODES = ("freight", "mixed")

LINE_COLUMNS = ["line_name", "kind", "highspeed", "usage", "service", "freight", "source", "year", "geometry"]


def _schema(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    for c in LINE_COLUMNS:
        if c not in gdf.columns:
            gdf[c] = pd.NA
    gdf["year"] = gdf["year"].astype("Int64")
    return gpd.GeoDataFrame(gdf[LINE_COLUMNS], geometry="geometry", crs="EPSG:4326")


def read_trunk_lines(*, data: str | os.PathLike | None = None) -> gpd.GeoDataFrame:
    """The pack's 189 generalised (~1 km) trunk railway polylines (no HSR, incomplete)."""
    src, year = PACK_SOURCES["trunk_lines"]
    gdf = gpd.read_file(data_file("rail/trunk_lines_generalised.gpkg", data=data))
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        gdf = gdf.set_crs("EPSG:4326", allow_override=True) if gdf.crs is None else gdf.to_crs("EPSG:4326")
    gdf = gdf[~gdf.geometry.is_empty & gdf.geometry.notna()].copy()
    gdf["line_name"] = [f"trunk line {i}" for i in range(len(gdf))]
    gdf["kind"] = "trunk_generalised"
    gdf["highspeed"] = False
    gdf["source"], gdf["year"] = src, year
    return _schema(gdf)


#: bump when collapse_parallel_tracks changes its output (invalidates the cached single-track lines)
COLLAPSE_VERSION = 1


def _single_track(path: Path, lines: gpd.GeoSeries) -> shapely.Geometry:
    """The corridor file's tracks collapsed into one line, cached by the file's content.

    Why a cache: collapsing the pack's corridors costs about 5 s on every run
    and their files never change; a cache that cannot be written is skipped.
    """
    key = hashlib.sha256(path.read_bytes()).hexdigest()[:24]
    try:
        target = cache_dir() / "rail" / f"single_track_{key}_v{COLLAPSE_VERSION}.wkb"
        if target.exists():
            return shapely.from_wkb(target.read_bytes())
    except (OSError, CountylinkError, shapely.errors.GEOSException):
        target = None
    geom = collapse_parallel_tracks(lines.union_all(), crs=lines.crs or "EPSG:4326")
    if target is not None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_output(target) as tmp:
                tmp.write_bytes(shapely.to_wkb(geom))
        except (OSError, CountylinkError):
            pass  # no cache this time; the result stands
    return geom


def read_corridors(*, data: str | os.PathLike | None = None) -> gpd.GeoDataFrame:
    """The pack's 13 OSM-derived trunk corridors (``hsr_corridors/*.json`` + ``NAMES.csv``).

    ``highspeed`` is True for corridors whose Chinese name says 高铁/高速铁路.
    Each corridor is counted once: its two parallel tracks are collapsed into one
    line (:func:`~countylink.accessibility.rail.single_track.collapse_parallel_tracks`).
    """
    src, year = PACK_SOURCES["hsr_corridors"]
    directory = data_file("rail/hsr_corridors", data=data)
    names = read_csv_table(directory / "NAMES.csv", what="data-pack file")
    frames = []
    for file, zh in names.itertuples(index=False):
        if "station" in file:  # hsr_stations*.json are points, not lines
            continue
        path = directory / file
        if not path.exists():
            warnings.warn(f"corridor file listed in NAMES.csv is missing: {path}", stacklevel=2)
            continue
        g = gpd.read_file(path)
        g = g[g.geom_type.isin(["LineString", "MultiLineString"])]
        if g.empty:
            continue
        frames.append(
            gpd.GeoDataFrame(
                {"line_name": [zh], "kind": ["corridor"], "highspeed": ["高铁" in zh or "高速" in zh]},
                # the file holds both tracks ~5 m apart: keep one so lengths are route lengths
                geometry=[_single_track(path, g.geometry)],
                crs=g.crs or "EPSG:4326",
            ).to_crs("EPSG:4326")
        )
    if not frames:
        raise DataError(f"no corridor lines found in {directory}")
    gdf = pd.concat(frames, ignore_index=True)
    gdf["source"], gdf["year"] = src, year
    return _schema(gpd.GeoDataFrame(gdf, geometry="geometry", crs="EPSG:4326"))


def read_pack_lines(*, data: str | os.PathLike | None = None) -> gpd.GeoDataFrame:
    """Trunk lines and corridors together (:func:`read_trunk_lines` + :func:`read_corridors`)."""
    return _schema(
        gpd.GeoDataFrame(
            pd.concat([read_trunk_lines(data=data), read_corridors(data=data)], ignore_index=True),
            geometry="geometry",
            crs="EPSG:4326",
        )
    )


def track_rail_lines(
    edges: gpd.GeoDataFrame, corridors: gpd.GeoDataFrame, *, simplify_m: float = 20.0
) -> gpd.GeoDataFrame:
    """The rail network as lines: non-high-speed tracks merged, high-speed corridors once each.

    Parameters
    ----------
    edges
        Track edges with ``highspeed`` (:class:`~countylink.accessibility.rail.tracks.RailTracks`).
    corridors
        :func:`read_corridors` (parallel tracks already collapsed): its
        high-speed rows replace the track edges marked along them, so each
        corridor is counted once and drawn with its detailed geometry.
    simplify_m
        Tolerance for simplifying the corridor lines (keeps map files small).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`LINE_COLUMNS`; tracks have ``kind="track"``, ``highspeed=False``
        and ``freight`` NA (the tracks carry no usage); corridors
        ``highspeed=True`` and ``freight=False`` (a high-speed line carries no freight).
    """
    import shapely

    other = edges[~edges["highspeed"].to_numpy(bool)]
    merged = shapely.line_merge(shapely.multilinestrings(other.geometry.to_numpy()))
    parts = list(getattr(merged, "geoms", [merged])) if not merged.is_empty else []
    tracks = gpd.GeoDataFrame(
        {"line_name": "", "kind": "track", "highspeed": False, "freight": pd.NA},
        index=range(len(parts)),
        geometry=parts,
        crs="EPSG:4326",
    )
    tracks["freight"] = tracks["freight"].astype("boolean")
    tracks["source"], tracks["year"] = TRACKS_SOURCE, TRACKS_YEAR
    hs = corridors[corridors["highspeed"].fillna(False).astype(bool)].copy()
    hs["kind"], hs["freight"] = "corridor", False
    if len(hs) and simplify_m > 0:
        from countylink.geo.crs import CHINA_ALBERS

        hs["geometry"] = hs.geometry.to_crs(CHINA_ALBERS).simplify(simplify_m).to_crs("EPSG:4326")
    out = pd.concat([_schema(tracks), _schema(hs)], ignore_index=True)
    out["freight"] = out["freight"].astype("boolean")
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")


def rail_lines_from_osm(
    *,
    osm_file: str | os.PathLike | None = None,
    polygon=None,
    bbox: tuple[float, float, float, float] | None = None,
    year: int | None = None,
    overpass_retries: int = 2,
    overpass_retry_pause: float = 30.0,
) -> gpd.GeoDataFrame:
    """``railway=rail`` ways from OSM (freight and passenger), with their tags.

    Exactly one of ``osm_file`` (``.osm`` XML via OSMnx, ``.osm.pbf`` via
    pyrosm), ``polygon`` or ``bbox`` ``(west, south, east, north)`` (Overpass
    via OSMnx's query and cache) must be given; see
    :func:`~countylink.accessibility.osm.features.osm_features`.
    Ways tagged ``service=siding|yard|spur|crossover`` are kept (they are real
    track, e.g. freight spurs) and keep their ``service`` value.

    ``freight`` is True where freight trains are tagged to run
    (``usage=freight|industrial`` or ``railway:traffic_mode=freight|mixed``),
    False where the track is tagged passenger-only
    (``railway:traffic_mode=passenger``) and NA otherwise: ``usage=main``
    alone does not say whether freight runs.
    """
    feats, src = osm_features(
        {"railway": "rail"},
        osm_file=osm_file,
        polygon=polygon,
        bbox=bbox,
        what="rail lines",
        with_ways=True,
        overpass_retries=overpass_retries,
        overpass_retry_pause=overpass_retry_pause,
    )
    if feats is None or len(feats) == 0:
        raise DataError(f"{src}: no railway=rail ways found")
    feats = feats.reset_index(drop=False)
    feats = feats[feats.geom_type.isin(["LineString", "MultiLineString"])]
    if feats.crs is not None and feats.crs.to_epsg() != 4326:
        feats = feats.to_crs("EPSG:4326")
    col = lambda c: feats[c] if c in feats.columns else pd.Series(pd.NA, index=feats.index, dtype=object)  # noqa: E731
    usage = col("usage")
    mode = col("railway:traffic_mode")
    hs = col("highspeed")
    runs = usage.isin(FREIGHT_USAGE) | mode.isin(FREIGHT_TRAFFIC_MODES)
    # passenger-only track is known not to carry freight; anything else is unknown
    freight = pd.Series(pd.NA, index=feats.index, dtype="boolean")
    freight[mode.eq("passenger").fillna(False).to_numpy(dtype=bool)] = False
    freight[runs.fillna(False).to_numpy(dtype=bool)] = True
    out = gpd.GeoDataFrame(
        {
            "line_name": col("name").fillna("").astype(str),
            "kind": "osm_rail",
            "highspeed": hs.astype(str).eq("yes").astype("boolean").where(hs.notna()),  # NA where unknown
            "usage": usage,
            "service": col("service"),
            "freight": freight,
            "source": src,
            "year": year,
        },
        geometry=feats.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    return _schema(out)


def lines_in_counties(
    lines: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    *,
    min_km: float = 2.0,
) -> pd.DataFrame:
    """Length of rail line inside each county, by kind.

    Parameters
    ----------
    min_km
        A county counts as crossed only if at least this much line lies inside:
        generalised (~1 km) lines graze neighbours at borders.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``adcode``: ``rail_line_km`` (all lines), ``hsr_line_km``,
        ``freight_line_km`` (OSM ``usage=freight`` only), ``rail_line_in_county``
        (≥ ``min_km``), ``line_source`` (distinct sources used), ``line_year``
        (oldest year).
    """
    from countylink.geo.crs import CHINA_ALBERS

    empty = pd.DataFrame(
        {"rail_line_km": 0.0, "hsr_line_km": 0.0, "freight_line_km": 0.0},
        index=pd.Index(counties["adcode"], name="adcode"),
    )
    if lines is None or lines.empty:
        empty["rail_line_in_county"] = False
        empty["line_source"] = "no line data"
        empty["line_year"] = pd.array([pd.NA] * len(empty), dtype="Int64")
        return empty
    ln = lines.to_crs(CHINA_ALBERS)
    cp = counties[["adcode", "geometry"]].to_crs(CHINA_ALBERS)
    pieces = gpd.overlay(ln.reset_index(drop=True), cp, how="intersection", keep_geom_type=True)
    pieces["km"] = pieces.length / 1000.0
    by = pieces.groupby("adcode")
    out = empty.copy()
    out["rail_line_km"] = by["km"].sum().reindex(out.index).fillna(0.0)
    hs = pieces[pieces["highspeed"].fillna(False).astype(bool)]
    out["hsr_line_km"] = hs.groupby("adcode")["km"].sum().reindex(out.index).fillna(0.0)
    fr = pieces[pieces["freight"].fillna(False).astype(bool)]
    out["freight_line_km"] = fr.groupby("adcode")["km"].sum().reindex(out.index).fillna(0.0)
    out["rail_line_in_county"] = out["rail_line_km"] >= min_km
    sources = "; ".join(sorted(lines["source"].dropna().unique()))
    out["line_source"] = sources
    out["line_year"] = pd.array([lines["year"].min()] * len(out), dtype="Int64")
    return out
