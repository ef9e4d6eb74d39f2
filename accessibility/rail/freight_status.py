"""Freight rail per county and freight stations, from tracks, stop lists and labelled outside knowledge.

None of the data has freight attributes, so the status is read from what the
data does show, and says so in ``freight_evidence``:

``yes``
    a station in the county is called at by conventional trains (K/Z/N) in
    the timetable stop lists and is not on high-speed track only: China's
    conventional lines carry mixed passenger and freight traffic; or a
    station of a line listed in :data:`FREIGHT_LINES_OUTSIDE_KNOWLEDGE` (a
    fact from outside the data, with its source) lies in the county.
``unknown``
    non-high-speed track (scgraph-data ``world_railways``, OSM 2024) runs
    inside the county, or an OSM station point lies on such track, but no
    conventional service is listed there: it may be a freight-only branch, a
    passenger line, or a high-speed line that is not among the pack's corridors.
``no``
    no track in the county, or only track along the pack's high-speed
    corridors: a high-speed line never counts as freight.

:func:`freight_stations` chooses the freight-capable stations of the cost
model by the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from countylink.accessibility.rail.tracks import TRACKS_SOURCE, TRACKS_YEAR
from countylink.geo.crs import CHINA_ALBERS

#: A station is on high-speed track only when no other track lies within this, metres: simplified
#: conventional edges pass up to ~3 km from stations they serve (衢州, 义乌).
HSR_ONLY_M = 5_000.0
#: Non-high-speed track shorter than this inside a county is a border graze, km.
MIN_TRACK_KM = 2.0
#: A station within this of a track edge is on that track, metres. Track edges are
#: straight segments between simplified nodes and lie up to ~1.2 km off the curving line.
STATION_TRACK_M = 1_500.0


@dataclass(frozen=True)
class OutsideFreightLine:
    """A freight-carrying line the data pack lacks: outside knowledge, with its source."""

    name: str
    stations: tuple[str, ...]  # station names as in the pack's passenger station list
    opened: str
    traffic: str
    source: str
    year: int

    def evidence(self, station: str) -> str:
        return (
            f"{station} on {self.name} (opened {self.opened}, {self.traffic}; outside knowledge, "
            f"not in the data pack: {self.source})"
        )


#: Lines opened after the timetable stop lists were made (they stop before 2020-09), which the
#: pack therefore shows without trains. Facts from outside the data, each with its source.
FREIGHT_LINES_OUTSIDE_KNOWLEDGE: tuple[OutsideFreightLine, ...] = (
    OutsideFreightLine(
        name="衢宁铁路",
        stations=("龙游南", "遂昌", "松阳", "龙泉市", "庆元"),
        opened="2020-09-27",
        traffic="国铁Ⅰ级客货共线: mixed passenger and freight, 5 pairs of freight trains from the 2020-10 timetable",
        source="新华社/新华财经 2020-09-25, 衢州至宁德铁路将于9月27日开通运营 (http://m.wqcgm.cn/news/1150621.html)",
        year=2020,
    ),
    OutsideFreightLine(
        name="金台铁路",
        stations=("仙居南", "磐安南"),
        opened="2021-06-25",
        traffic="以货运为主、兼顾客运: mainly freight, also passengers",
        source=(
            "浙江在线 2021-06-27, 金台铁路开通 结束仙居磐安不通火车的历史 "
            "(http://tz.zjol.com.cn/tzxw/202106/t20210627_22726384.shtml); 每日商报 2016-02-06 (line type)"
        ),
        year=2021,
    ),
)


def outside_station_lines(
    lines: tuple[OutsideFreightLine, ...] = FREIGHT_LINES_OUTSIDE_KNOWLEDGE,
) -> dict[str, OutsideFreightLine]:
    """Station name -> the outside-knowledge line serving it."""
    return {s: line for line in lines for s in line.stations}


def station_track_kind(
    points: pd.DataFrame, edges: gpd.GeoDataFrame, *, max_m: float = STATION_TRACK_M, hsr_only_m: float = HSR_ONLY_M
) -> pd.Series:
    """For each point (``lon``, ``lat``): ``"track"`` (a non-high-speed track within ``max_m``),
    ``"hsr_only"`` (high-speed track within ``max_m`` and no other track within ``hsr_only_m``)
    or ``"none"``."""
    out = pd.Series("none", index=points.index, dtype=object)
    if len(points) == 0 or edges is None or edges.empty:
        return out
    pts = gpd.GeoSeries(gpd.points_from_xy(points["lon"], points["lat"]), index=points.index, crs=4326).to_crs(
        CHINA_ALBERS
    )
    em = edges.to_crs(CHINA_ALBERS)
    hs = em["highspeed"].to_numpy(bool)

    def near(sel: np.ndarray, metres: float) -> np.ndarray:
        hit = np.zeros(len(pts), dtype=bool)
        if sel.any():
            pi, _ = em.geometry[sel].sindex.query(pts.to_numpy(), predicate="dwithin", distance=metres)
            hit[np.unique(pi)] = True
        return hit

    out[near(hs, max_m) & ~near(~hs, hsr_only_m)] = "hsr_only"
    out[near(~hs, max_m)] = "track"
    return out


def freight_stations(
    stations: pd.DataFrame,
    edges: gpd.GeoDataFrame | None,
    *,
    outside: tuple[OutsideFreightLine, ...] = FREIGHT_LINES_OUTSIDE_KNOWLEDGE,
    min_trains: int = 1,
) -> pd.DataFrame:
    """Freight-capable stations: conventional service not on high-speed track only, plus outside knowledge.

    Parameters
    ----------
    stations
        National stations with service counts (``station_name``, ``lon``, ``lat``,
        ``n_trains_conventional``).
    edges
        Track edges with ``highspeed`` (:func:`~countylink.accessibility.rail.tracks.mark_highspeed_tracks`);
        ``None``: conventional service alone decides.
    outside
        Lines the data lacks (their stations are added when in ``stations``).

    Returns
    -------
    pandas.DataFrame
        ``station_name``, ``lon``, ``lat``, ``station_basis`` (which rule chose
        the row), ``freight_source``, ``freight_year``.
    """
    st = pd.DataFrame(stations.drop(columns="geometry", errors="ignore")).drop_duplicates("station_name")
    conv = pd.to_numeric(st["n_trains_conventional"], errors="coerce").fillna(0) >= min_trains
    kind = station_track_kind(st, edges) if edges is not None else pd.Series("none", index=st.index)
    conv &= kind.ne("hsr_only")
    chosen = st[conv].copy()
    service = st["service_source"].iloc[0] if "service_source" in st.columns and len(st) else "stop lists"
    year = (
        st["service_year"].dropna().iloc[0]
        if "service_year" in st.columns and st["service_year"].notna().any()
        else None
    )
    chosen["station_basis"] = "conventional K/Z/N trains in the stop lists, not on high-speed track only"
    chosen["freight_source"] = service
    chosen["freight_year"] = year
    extra = []
    by_station = outside_station_lines(outside)
    for name, line in by_station.items():
        row = st[st["station_name"] == name]
        if row.empty or name in set(chosen["station_name"]):
            continue
        row = row.copy()
        row["station_basis"] = f"outside knowledge: {line.name} ({line.traffic}), opened {line.opened}"
        row["freight_source"] = line.source
        row["freight_year"] = line.year
        extra.append(row)
    out = pd.concat([chosen, *extra], ignore_index=True)
    out["freight_year"] = out["freight_year"].astype("Int64")
    return out.reset_index(drop=True)


def county_freight_status(
    counties: gpd.GeoDataFrame,
    stations: pd.DataFrame,
    edges: gpd.GeoDataFrame,
    *,
    osm_points: pd.DataFrame | None = None,
    outside: tuple[OutsideFreightLine, ...] = FREIGHT_LINES_OUTSIDE_KNOWLEDGE,
    min_track_km: float = MIN_TRACK_KM,
) -> pd.DataFrame:
    """Freight rail status of each county (module docstring for the rule).

    Parameters
    ----------
    counties
        ``adcode`` and polygons.
    stations
        Stations with service counts and the ``adcode`` they lie in
        (:func:`~countylink.accessibility.rail.stations.join_counties`).
    edges
        Track edges with ``length_km``, ``highspeed`` and ``corridor``.
    osm_points
        Optional OSM station points (``station_name`` may be empty, ``lon``, ``lat``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``adcode``: ``freight_rail`` (yes / no / unknown),
        ``freight_evidence``, ``freight_source``, ``freight_year``,
        ``track_km`` (non-high-speed track in the county), ``hsr_track_km``,
        ``timetable_note`` (stations without timetable data, and the line
        the data shows at them).
    """
    codes = counties["adcode"].astype(str).to_numpy()
    cm = counties[["adcode", "geometry"]].to_crs(CHINA_ALBERS)
    em = edges.to_crs(CHINA_ALBERS)
    near = em.sindex.query(cm.geometry.to_numpy(), predicate="intersects")
    hs = em["highspeed"].to_numpy(bool)
    km_in = np.zeros((len(cm), 2))
    corridors: dict[int, set[str]] = {}
    if near.shape[1]:
        pieces = shapely.intersection(em.geometry.to_numpy()[near[1]], cm.geometry.to_numpy()[near[0]])
        length = shapely.length(pieces) / 1000.0
        np.add.at(km_in, (near[0], hs[near[1]].astype(int)), length)
        for ci, ei, ln in zip(near[0], near[1], length, strict=True):
            if hs[ei] and ln > 0:
                corridors.setdefault(int(ci), set()).add(str(em["corridor"].iat[ei]))
    st = pd.DataFrame(stations.drop(columns="geometry", errors="ignore"))
    st = st[st["adcode"].notna()].copy()
    st["adcode"] = st["adcode"].astype(str)
    st["track_kind"] = station_track_kind(st, edges)
    lines_at = outside_station_lines(outside)
    pts = None
    if osm_points is not None and len(osm_points):
        pts = pd.DataFrame(osm_points.drop(columns="geometry", errors="ignore")).copy()
        gp = gpd.GeoDataFrame(pts, geometry=gpd.points_from_xy(pts["lon"], pts["lat"]), crs=4326)
        joined = gpd.sjoin(gp, counties[["adcode", "geometry"]].to_crs(4326), how="inner", predicate="within")
        joined = joined[~joined.index.duplicated()]
        pts = pd.DataFrame(joined.drop(columns=["geometry", "index_right"]))
        pts["track_kind"] = station_track_kind(pts, edges)
        pts = pts[pts["track_kind"] == "track"]
    service_source = st["service_source"].iloc[0] if "service_source" in st.columns and len(st) else "stop lists"
    service_year = st["service_year"].dropna().iloc[0] if "service_year" in st.columns and len(st) else None
    rows = []
    for i, code in enumerate(codes):
        track_km, hsr_km = float(km_in[i, 0]), float(km_in[i, 1])
        mine = st[st["adcode"] == code]
        conv = mine[(mine["n_trains_conventional"] > 0) & (mine["track_kind"] != "hsr_only")]
        out_lines = [(n, lines_at[n]) for n in mine["station_name"] if n in lines_at]
        silent = mine[mine["n_trains"] == 0]
        notes = []
        for n, kind in silent[["station_name", "track_kind"]].itertuples(index=False):
            where = (
                f"on {lines_at[n].name}, opened {lines_at[n].opened}: outside knowledge, source in freight_source"
                if n in lines_at
                else {
                    "track": "on non-high-speed track (world_railways; line not named in the data)",
                    "hsr_only": "on high-speed corridor track only",
                    "none": "no track within reach in world_railways",
                }[kind]
            )
            notes.append(f"no timetable data for this station: {n} ({where})")
        if len(conv):
            names = ", ".join(
                f"{n} ({k} K/Z/N trains)"
                for n, k in conv[["station_name", "n_trains_conventional"]].itertuples(index=False)
            )
            status, evidence, source, year = (
                "yes",
                f"conventional service in the stop lists (conventional lines carry mixed traffic): {names}",
                f"{service_source}; {TRACKS_SOURCE}",
                service_year,
            )
        elif out_lines:
            status = "yes"
            evidence = "; ".join(line.evidence(n) for n, line in out_lines)
            source = "; ".join(sorted({line.source for _, line in out_lines}))
            year = min(line.year for _, line in out_lines)
        elif track_km >= min_track_km or (pts is not None and (pts["adcode"] == code).any()):
            osm_here = pts[pts["adcode"] == code] if pts is not None else pd.DataFrame()
            named = [str(n) for n in osm_here.get("station_name", pd.Series(dtype=object)).dropna() if str(n)]
            bits = [
                f"{track_km:.1f} km of non-high-speed track with no usage data (freight, passenger or a "
                "high-speed line outside the pack's corridors)"
            ]
            if len(osm_here):
                bits.append(
                    f"{len(osm_here)} OSM station point(s) on it" + (f" ({', '.join(named[:5])})" if named else "")
                )
            bits.append("no conventional service in the stop lists")
            status, evidence, source, year = "unknown", "; ".join(bits), TRACKS_SOURCE, TRACKS_YEAR
        elif hsr_km > 0:
            names = ", ".join(sorted(corridors.get(i, set())))
            status = "no"
            evidence = f"only high-speed track ({names}): a high-speed line carries no freight"
            source, year = f"{TRACKS_SOURCE}; data pack hsr_corridors (2023)", TRACKS_YEAR
        else:
            status, evidence, source, year = "no", "no railway track in the county", TRACKS_SOURCE, TRACKS_YEAR
        rows.append((code, status, evidence, source, year, track_km, hsr_km, "; ".join(notes)))
    out = pd.DataFrame(
        rows,
        columns=[
            "adcode",
            "freight_rail",
            "freight_evidence",
            "freight_source",
            "freight_year",
            "track_km",
            "hsr_track_km",
            "timetable_note",
        ],
    ).set_index("adcode")
    out["freight_year"] = out["freight_year"].astype("Int64")
    return out
