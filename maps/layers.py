"""Draw data for the planner map: countylink layers turned into small JSON records.

The browser side (``maps/client/planner.js``) draws every layer from one data
object; this module only shapes existing layers into that object (no analysis).
County polygons are written once (:func:`county_features`) and every county-based
layer (indicator shading, helper/helped outlines, rail-gap fill) restyles those
same features, so the file carries each county's geometry a single time.

Columns are read by their schema names (``PAIRS.cols.road_time_min`` …);
optional columns that a layer lacks are simply not shown.

Why one module of this size (just over 400 lines): one record shaper per map layer, all sharing the
same escaping and number formatting; split, each would import the same helpers for a few dozen lines.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from countylink.layers.indicators import INDICATORS
from countylink.layers.schemas import ASSIGNMENT, CORRIDORS, COST, GAPS, PAIRS, RAIL_LINES, STATIONS, indicator_fields
from countylink.maps.classify import NO_DATA_COLOUR, Classification
from countylink.maps.geometry import DISPLAY_DECIMALS, curved_line
from countylink.methods import describe

HELPER_OUTLINE = "#1a1a1a"
HELPED_OUTLINE = "#c51b7d"
HSR_COLOUR = "#e41a1c"  # red means high-speed rail, nothing else
RAIL_COLOUR = "#555555"
CORRIDOR_COLOUR = "#00838f"
#: one colour per pair (no red: red is high-speed rail; no teal: corridors)
PAIR_COLOURS = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1",
]  # fmt: skip
#: rail gap classes, worst first: purple → blue (never red)
GAP_COLOURS = {
    "no_rail": "#3f007d",
    "line_no_station": "#807dba",
    "station_no_service_data": "#bcbddc",
    "conventional_only": "#9ecae1",
    "hsr": "#2171b5",
}
#: status -> (SVG/Leaflet dash pattern, words for the legend); solid = most certain
STATUS_STYLE = {
    "confirmed": (None, "confirmed (official document)"),
    "named": ("10 6", "named (news / programme text)"),
    "inferred": ("2 6", "inferred (helper not known)"),
}
#: indicators shown when a county is clicked (those present)
CLICK_INDICATORS = ("gdp", "gdp_per_capita", "resident_pop", "budget_revenue")


def _isna(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _esc(value) -> str:
    return html.escape("" if _isna(value) else str(value))


def year_text(value) -> str:
    """A year as text without ``.0`` (years often arrive as floats)."""
    if _isna(value):
        return ""
    text = str(value)
    return text[:-2] if text.endswith(".0") else text


def fmt_number(value, digits: int = 3) -> str:
    """Compact human number with at most ``digits`` significant figures (``"—"`` when missing)."""
    if _isna(value):
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        if v == 0:
            return "0"
        mag = math.floor(math.log10(abs(v)))
        decimals = max(0, digits - 1 - mag)
        rounded = round(v, decimals)
        return f"{rounded:,.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{round(rounded):,}"
    return str(value)


def fmt_minutes(minutes) -> str:
    """``"3 h 30 min"`` / ``"45 min"``, rounded to 5 min above an hour (the figures are estimates)."""
    if _isna(minutes):
        return "—"
    m = float(minutes)
    if m < 60:
        return f"{round(m):d} min"
    m = 5 * round(m / 5)
    return f"{m // 60:.0f} h {m % 60:02.0f} min"


def method_text(method) -> str:
    """A method label in words (``crowfly_estimate`` → its sentence), never the raw code alone."""
    if _isna(method):
        return "method not stated"
    return describe(method) or str(method)


def indicator_title(indicator: str, *, unit: str = "", years: Sequence[str] = ()) -> str:
    """``"GDP (地区生产总值) — 100m yuan, 2023–2024"``: a readable indicator name with unit and years."""
    unit_default, description = INDICATORS.get(indicator, ("", indicator))
    name = description.rsplit(",", 1)[0] if "," in description else description
    ys = sorted({y for y in years if y})
    span = "" if not ys else (ys[0] if len(ys) == 1 else f"{ys[0]}–{ys[-1]}")
    tail = ", ".join(x for x in (unit or unit_default, span) if x)
    return f"{name}{f' — {tail}' if tail else ''}"


def linkify(text: str) -> str:
    """Escape ``text`` and turn http(s) addresses in it into links that open in a new tab."""
    out = []
    for word in str(text).split(" "):
        if word.startswith(("http://", "https://")):
            url = html.escape(word.rstrip(".,;)"), quote=True)
            out.append(f"<a href='{url}' target='_blank' rel='noopener'>{html.escape(word)}</a>")
        else:
            out.append(html.escape(word))
    return " ".join(out)


#: coordinates are written as integers of 10^-DISPLAY_DECIMALS degrees, each a delta to the previous one
SCALE = 10**DISPLAY_DECIMALS
_DEPTH = {"LineString": 0, "MultiLineString": 1, "Polygon": 1, "MultiPolygon": 2}


def encode_coordinates(coords, depth: int) -> list:
    """Nested coordinate lists → flat delta-encoded integer rings (``[x0, y0, dx1, dy1, …]``).

    About 10 m precision (:data:`DISPLAY_DECIMALS`) and a third of the size of
    plain GeoJSON numbers; ``planner.js`` decodes it (``decodeGeometry``).
    """
    if depth > 0:
        return [encode_coordinates(c, depth - 1) for c in coords]
    pts = np.round(np.asarray(coords, dtype=float)[:, :2] * SCALE).astype(np.int64)
    keep = np.ones(len(pts), dtype=bool)
    keep[1:] = np.any(pts[1:] != pts[:-1], axis=1)  # repeated points after rounding
    pts = pts[keep]
    deltas = np.vstack([pts[:1], np.diff(pts, axis=0)])
    return deltas.ravel().tolist()


def _feature(geom, props: dict) -> dict:
    """A feature whose geometry is delta-encoded (:func:`encode_coordinates`); parts of collections kept if lines/polygons."""
    if geom.geom_type == "GeometryCollection":
        parts = [g for g in geom.geoms if g.geom_type in _DEPTH]
        geom = shapely.union_all(parts) if parts else shapely.LineString()
    mapping = shapely.geometry.mapping(geom)
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": geom.geom_type, "q": encode_coordinates(mapping["coordinates"], _DEPTH[geom.geom_type])},
    }


def county_features(
    counties: gpd.GeoDataFrame,
    *,
    indicator: str | None,
    classification: Classification | None,
    unit: str,
) -> dict:
    """The county polygons once, with name, prefecture, indicator fill and click figures."""
    feats = []
    present = [i for i in dict.fromkeys([*(x for x in [indicator] if x), *CLICK_INDICATORS]) if i in counties.columns]
    for label, row in counties.iterrows():
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        props: dict = {"a": str(row["adcode"]), "n": str(row["name"]), "p": _esc(row.get("prefecture"))}
        if not _isna(row.get("seat_lat")):
            props["s"] = [round(float(row["seat_lat"]), 4), round(float(row["seat_lon"]), 4)]
        if indicator is not None and classification is not None:
            props["f"] = classification.colour_of(label)
            props["v"] = "no data" if _isna(row[indicator]) else f"{fmt_number(row[indicator])} {unit}".strip()
        else:
            props["f"] = NO_DATA_COLOUR
        figures = []
        for ind in present:
            value, year_col, source_col, unit_col = indicator_fields(ind)
            if _isna(row.get(value)):
                continue
            u = row.get(unit_col)
            u = INDICATORS.get(ind, ("",))[0] if _isna(u) else str(u)
            where = ", ".join(x for x in (_esc(row.get(source_col)), year_text(row.get(year_col))) if x)
            figures.append([indicator_title(ind).split(" — ")[0], f"{fmt_number(row[value])} {u}".strip(), where])
        props["i"] = figures
        feats.append(_feature(geom, props))
    return {"type": "FeatureCollection", "features": feats}


def _lookup(table: pd.DataFrame | None, key: str, value: str) -> pd.Series | None:
    if table is None or key not in table.columns:
        return None
    hit = table[table[key].astype(str) == value]
    return None if hit.empty else hit.iloc[0]


def pair_records(
    pairs: gpd.GeoDataFrame,
    *,
    programme: str,
    colours: Sequence[str] = PAIR_COLOURS,
    gaps: pd.DataFrame | None = None,
    cost: pd.DataFrame | None = None,
    assignment: pd.DataFrame | None = None,
) -> list[dict]:
    """One record per pair: names, colour, status, arc, list summary and popup rows (label, value)."""
    out = []
    for k, (_, row) in enumerate(pairs.iterrows()):
        helper = (
            None if _isna(row.get("helper_adcode")) or not str(row.get("helper_adcode")) else str(row["helper_adcode"])
        )
        helped = str(row["helped_adcode"])
        status = str(row.get(PAIRS.cols.status) or "inferred")
        geom = row.geometry
        arc = None
        if geom is not None and not geom.is_empty:
            coords = list(geom.coords)
            arc = [[lat, lon] for lon, lat in curved_line(coords[0][:2], coords[-1][:2]).coords]
        rows: list[list[str]] = [["Status", _esc(STATUS_STYLE.get(status, (None, status))[1])]]
        summary: list[str] = []
        ratio = row.get(PAIRS.cols.gdp_ratio)
        if not _isna(ratio):
            years = _esc(row.get(PAIRS.cols.gdp_ratio_years))
            rows.append(["GDP ratio (helper ÷ helped)", f"×{fmt_number(ratio)} <small>(GDP years {years})</small>"])
            summary.append(f"GDP ×{fmt_number(ratio)} ({years})")
        for role in ("helper", "helped"):
            value, year_col, source_col, unit_col = indicator_fields(f"{role}_gdp")
            if not _isna(row.get(value)):
                u = row.get(unit_col)
                src = ", ".join(x for x in (_esc(row.get(source_col)), year_text(row.get(year_col))) if x)
                rows.append(
                    [f"GDP, {role}", f"{fmt_number(row[value])} {'' if _isna(u) else _esc(u)} <small>({src})</small>"]
                )
        minutes, km, method = (row.get(c) for c in (PAIRS.cols.road_time_min, PAIRS.cols.road_km, PAIRS.cols.method))
        if not _isna(minutes):
            dist = "" if _isna(km) else f", {fmt_number(km)} km"
            rows.append(["Road", f"{fmt_minutes(minutes)}{dist} <small>({_esc(method_text(method))})</small>"])
            summary.append(f"road {fmt_minutes(minutes)}{dist}")
        elif not _isna(row.get(PAIRS.cols.crowfly_km)):
            rows.append(["Straight-line distance", f"{fmt_number(row[PAIRS.cols.crowfly_km])} km"])
        rail = row.get(PAIRS.cols.rail_time_min)
        if not _isna(rail):
            rmethod = row.get(PAIRS.cols.rail_method)
            rows.append(
                ["Rail, station to station", f"{fmt_minutes(rail)} <small>({_esc(method_text(rmethod))})</small>"]
            )
            summary.append(f"rail {fmt_minutes(rail)}")
        door = row.get(PAIRS.cols.rail_door_min)
        if not _isna(door):
            rows.append(["Rail, door to door", fmt_minutes(door)])
        gap = _lookup(gaps, GAPS.cols.adcode, helped)
        if gap is not None:
            rows.append(["Helped county's rail", _esc(gap.get(GAPS.cols.gap_label))])
            summary.append(f"helped: {_esc(gap.get(GAPS.cols.gap_label))}")
        elif not _isna(row.get(PAIRS.cols.helped_gap_class)):
            rows.append(["Helped county's rail", _esc(row[PAIRS.cols.helped_gap_class])])
        freight = _lookup(cost, COST.cols.pair_id, str(row.get(PAIRS.cols.pair_id)))
        if freight is not None and not _isna(freight.get(COST.cols.road_cost)):
            mode = freight.get(COST.cols.cheaper_mode)
            rows.append(
                [
                    "Freight cost (yuan/t)",
                    f"road {fmt_number(freight[COST.cols.road_cost])}, rail {fmt_number(freight.get(COST.cols.rail_cost))}"
                    + ("" if _isna(mode) else f"; <b>{_esc(mode)} cheaper</b>"),
                ]
            )
            if not _isna(mode):
                summary.append(f"freight: {_esc(mode)} cheaper")
        best = _lookup(assignment, ASSIGNMENT.cols.helper_adcode, helper or "")
        if best is not None and not _isna(best.get(ASSIGNMENT.cols.optimal_helped_name)):
            same = not bool(best.get(ASSIGNMENT.cols.changed))
            text = "the actual partner" if same else _esc(best[ASSIGNMENT.cols.optimal_helped_name])
            rows.append(["Cheapest-freight partner (optimal pairing)", text])
            summary.append(f"optimal: {text}")
        src = row.get(PAIRS.cols.source)
        if not _isna(src):
            rows.append(["Source", linkify(str(src))])
        out.append(
            {
                "id": str(row.get(PAIRS.cols.pair_id) or f"{programme}:{helped}"),
                "prog": programme,
                "colour": colours[k % len(colours)],
                "status": status,
                "dash": STATUS_STYLE.get(status, (None, ""))[0],
                "helper": helper,
                "helper_name": "helper unknown" if helper is None else _esc(row.get("helper_name")),
                "helped": helped,
                "helped_name": _esc(row.get("helped_name")),
                "arc": arc,
                "summary": " · ".join(summary),
                "rows": rows,
            }
        )
    return out


def gap_records(
    gaps: pd.DataFrame, *, adcodes: Sequence[str], stations: gpd.GeoDataFrame | None = None
) -> dict[str, dict]:
    """Rail class, nearest station (with its position when the stations layer has it) per helped county."""
    by_name = {}
    if stations is not None and STATIONS.cols.station_name in stations.columns:
        pts = stations.drop_duplicates(STATIONS.cols.station_name)
        by_name = {
            str(n): (round(g.y, 4), round(g.x, 4)) for n, g in zip(pts[STATIONS.cols.station_name], pts.geometry)
        }
    out = {}
    table = gaps[gaps[GAPS.cols.adcode].astype(str).isin(set(adcodes))]
    for _, row in table.iterrows():
        cls = str(row[GAPS.cols.gap_class])
        station = row.get(GAPS.cols.nearest_station)
        rec: dict = {
            "cls": cls,
            "label": _esc(row.get(GAPS.cols.gap_label) or cls),
            "colour": GAP_COLOURS.get(cls, NO_DATA_COLOUR),
            "station": None if _isna(station) else _esc(station),
            "km": None
            if _isna(row.get(GAPS.cols.nearest_station_km))
            else fmt_number(row[GAPS.cols.nearest_station_km]),
            "hsr": None if _isna(row.get(GAPS.cols.nearest_hsr)) else _esc(row[GAPS.cols.nearest_hsr]),
            "hsr_km": None if _isna(row.get(GAPS.cols.nearest_hsr_km)) else fmt_number(row[GAPS.cols.nearest_hsr_km]),
        }
        status = row.get(GAPS.cols.freight_rail) if GAPS.cols.freight_rail in row.index else None
        if not _isna(status):
            evidence = row.get(GAPS.cols.freight_evidence)
            rec["freight"] = _esc(f"{status}: {evidence}" if not _isna(evidence) else status)
        freight_km = row.get(GAPS.cols.freight_line_km) if GAPS.cols.freight_line_km in row.index else None
        if not _isna(freight_km):
            rec["freight_km"] = fmt_number(freight_km)
        if rec["station"] is not None and str(station) in by_name and not _isna(row.get(GAPS.cols.seat_lat)):
            rec["line"] = [
                [round(float(row[GAPS.cols.seat_lat]), 4), round(float(row[GAPS.cols.seat_lon]), 4)],
                by_name[str(station)],
            ]
        out[str(row[GAPS.cols.adcode])] = rec
    return out


def corridor_features(corridors: gpd.GeoDataFrame, *, programme: str) -> list[dict]:
    """Routed corridors with time, length, method in words and the counties crossed."""
    feats = []
    for _, row in corridors.iterrows():
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        crossed = row.get(CORRIDORS.cols.counties)
        props = {
            "prog": programme,
            "pair": str(row.get(CORRIDORS.cols.pair_id)),
            "name": f"{_esc(row.get(CORRIDORS.cols.helper_name))} → {_esc(row.get(CORRIDORS.cols.helped_name))}",
            "time": fmt_minutes(row.get(CORRIDORS.cols.road_time_min)),
            "km": fmt_number(row.get(CORRIDORS.cols.road_km)),
            "method": _esc(method_text(row.get(CORRIDORS.cols.method))),
            "code": _esc(row.get(CORRIDORS.cols.method)),
            "crossed": "" if _isna(crossed) else _esc(str(crossed).replace(";", "、")),
        }
        feats.append(_feature(geom, props))
    return feats


def high_speed_mask(lines: gpd.GeoDataFrame) -> pd.Series:
    """Which rail lines are high-speed: the ``highspeed`` flag of the rail_lines layer (unknown = no)."""
    flag = lines.get(RAIL_LINES.cols.highspeed)
    if flag is None:
        return pd.Series(False, index=lines.index)
    return flag.astype("boolean").fillna(False).astype(bool)


def rail_line_features(lines: gpd.GeoDataFrame) -> list[dict]:
    """Rail lines with a high-speed flag and name."""
    hsr = high_speed_mask(lines)
    feats = []
    for (_, row), fast in zip(lines.iterrows(), hsr):
        if row.geometry is None or row.geometry.is_empty:
            continue
        feats.append(_feature(row.geometry, {"h": int(bool(fast)), "n": _esc(row.get(RAIL_LINES.cols.line_name))}))
    return feats


def station_records(stations: gpd.GeoDataFrame) -> list[list]:
    """``[lat, lon, name, high-speed served (0/1), trains stopping]`` per station."""
    flag = stations.get(STATIONS.cols.hsr_served)
    hsr = pd.Series(False, index=stations.index) if flag is None else flag.astype("boolean").fillna(False).astype(bool)
    trains = stations.get(STATIONS.cols.n_trains, pd.Series(np.nan, index=stations.index))
    return [
        [round(g.y, 4), round(g.x, 4), _esc(n), int(bool(h)), None if _isna(t) else int(t)]
        for g, n, h, t in zip(stations.geometry, stations[STATIONS.cols.station_name], hsr, trains)
        if g is not None and not g.is_empty
    ]


def source_year(layer: pd.DataFrame | None, source_col: str, year_col: str) -> str:
    """``"source (year)"`` of a layer's most common source, or ``""``."""
    if layer is None or source_col not in layer.columns or layer[source_col].dropna().empty:
        return ""
    src = str(layer[source_col].dropna().astype(str).mode().iloc[0])
    years = layer[year_col].dropna().map(year_text) if year_col in layer.columns else pd.Series(dtype=str)
    return f"{src} ({', '.join(sorted(set(years)))})" if len(years) else src
