"""Folium layers for countylink's layers: counties, pairs, rail, gaps, corridors.

Every function draws an existing layer; none computes analysis. Each SVG
path gets a ``cl-*`` CSS class (``cl-county``, ``cl-helper``, ``cl-helped``,
``cl-pair``, ``cl-rail``, ``cl-rail-hsr``, ``cl-station``, ``cl-station-hsr``,
``cl-gap``, ``cl-corridor``) so that stylesheets and browser tests can find
them. Each function returns a list of legend rows (HTML snippets).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.plugins import PolyLineTextPath
from jinja2 import Template

from countylink.layers.schemas import CORRIDORS, GAPS, PAIRS, RAIL_LINES, STATIONS, indicator_fields
from countylink.maps.classify import NO_DATA_COLOUR, Classification
from countylink.maps.geometry import curved_line, round_coordinates
from countylink.methods import describe

HELPER_OUTLINE = "#1a1a1a"
HELPED_OUTLINE = "#e7298a"
PROGRAMME_COLOURS = ["#d95f02", "#7570b3", "#1b9e77", "#66a61e", "#a6761d"]
HSR_COLOUR = "#e41a1c"
RAIL_COLOUR = "#4d4d4d"
GAP_OUTLINE = "#ff7f00"

#: rail columns of the pairs layer shown in a pair's popup, labelled by their schema description
PAIR_RAIL_COLUMNS = (
    PAIRS.cols.helper_gap_class,
    PAIRS.cols.helped_gap_class,
    PAIRS.cols.helper_rail_station,
    PAIRS.cols.helped_rail_station,
    PAIRS.cols.rail_time_min,
    PAIRS.cols.rail_door_min,
    PAIRS.cols.rail_changes,
    PAIRS.cols.rail_method,
    PAIRS.cols.rail_road_ratio,
)


class HtmlPopup(MacroElement):
    """A Leaflet popup bound from an HTML string (folium's Popup needs jQuery)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindPopup({{ this.content|tojson }}, {maxWidth: {{ this.max_width }}, minWidth: {{ this.min_width }}});
        {% endmacro %}
        """
    )

    def __init__(self, content: str, *, max_width: int = 400, min_width: int = 50):
        super().__init__()
        self._name = "HtmlPopup"
        self.content, self.max_width, self.min_width = content, int(max_width), int(min_width)


def _esc(value) -> str:
    return html.escape("" if value is None else str(value))


def _isna(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text(series: pd.Series | None, i: int) -> str:
    return "" if series is None or _isna(series.iloc[i]) else str(series.iloc[i])


def _year_text(series: pd.Series | None, i: int) -> str:
    """Years print without a decimal point even when the column is float."""
    text = _text(series, i)
    return text[:-2] if text.endswith(".0") else text


def fmt_number(value, digits: int = 3) -> str:
    """Compact human number (``"—"`` when missing)."""
    if _isna(value):
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
            return f"{v:,.{digits}g}"
        return f"{v:,.2f}".rstrip("0").rstrip(".") if not v.is_integer() else f"{int(v):,}"
    return str(value)


def _features(gdf: gpd.GeoDataFrame, props: pd.DataFrame) -> dict:
    """GeoJSON FeatureCollection with only ``props`` as properties."""
    out = gpd.GeoDataFrame(props.copy(), geometry=gdf.geometry.values, crs=gdf.crs)
    out.index = [str(i) for i in range(len(out))]
    return json.loads(out.to_json(drop_id=False, na="null"))


def add_county_layer(
    parent,
    counties: gpd.GeoDataFrame,
    *,
    indicator: str | None,
    classification: Classification | None,
    units: str,
    name: str,
) -> folium.FeatureGroup:
    """County polygons filled by indicator class (no-data grey), with tooltips."""
    group = folium.FeatureGroup(name=name, show=True)
    props = pd.DataFrame(
        {
            "name": counties["name"].astype(str),
            "prefecture": counties.get("prefecture", pd.Series("", index=counties.index)).astype(str),
        },
        index=counties.index,
    )
    if indicator is not None and classification is not None:
        values = counties[indicator]
        props["value"] = ["no data" if _isna(v) else f"{fmt_number(v)} {units}".strip() for v in values]
        _, year_col, source_col, _ = indicator_fields(indicator)
        src, yr = counties.get(source_col), counties.get(year_col)
        props["source"] = [
            "" if _isna(values.iloc[i]) else ", ".join(x for x in (_text(src, i), _year_text(yr, i)) if x)
            for i in range(len(counties))
        ]
        props["fill"] = [classification.colour_of(label) for label in counties.index]
        fields, aliases = ["name", "prefecture", "value", "source"], ["County", "Prefecture", indicator, "Source, year"]
    else:
        props["fill"] = NO_DATA_COLOUR
        fields, aliases = ["name", "prefecture"], ["County", "Prefecture"]

    folium.GeoJson(
        _features(counties, props),
        name=name,
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "fillOpacity": 0.75,
            "color": "#ffffff",
            "weight": 0.6,
            "className": "cl-county",
        },
        highlight_function=lambda f: {"weight": 2, "color": "#333333"},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True),
        smooth_factor=0.5,
    ).add_to(group)
    group.add_to(parent)
    return group


def add_role_outlines(
    parent,
    counties: gpd.GeoDataFrame,
    pairs: pd.DataFrame,
    *,
    programme_label: str,
    show: bool = True,
) -> folium.FeatureGroup:
    """Outline helper counties (solid dark) and helped counties (dashed pink)."""
    group = folium.FeatureGroup(name=f"Helper / helped counties — {programme_label}", show=show)
    by_code = counties.set_index("adcode")
    for role, colour, dash in (("helper", HELPER_OUTLINE, None), ("helped", HELPED_OUTLINE, "6 4")):
        codes = [c for c in pairs[f"{role}_adcode"].dropna().astype(str) if c and c in by_code.index]
        if not codes:
            continue
        sub = by_code.loc[list(dict.fromkeys(codes))].reset_index()
        props = pd.DataFrame({"name": sub["name"].astype(str), "role": role})
        folium.GeoJson(
            _features(sub, props),
            name=f"{role} counties",
            style_function=lambda f, colour=colour, dash=dash, role=role: {
                "fill": False,
                "color": colour,
                "weight": 2.6,
                "dashArray": dash,
                "interactive": False,
                "className": f"cl-{role}",
            },
        ).add_to(group)
    group.add_to(parent)
    return group


def road_time(row: pd.Series) -> tuple[float | None, str | None]:
    """Road time in minutes and its ``method`` label of a pairs or corridors row (None when absent).

    Both schemas declare the same names (``road_time_min``, ``method``; tests/test_schemas.py checks).
    """
    minutes = row.get(PAIRS.cols.road_time_min)
    method = row.get(PAIRS.cols.method)
    return (None if minutes is None or _isna(minutes) else float(minutes)), (None if _isna(method) else str(method))


def pair_popup_html(row: pd.Series, *, indicators: Sequence[str] = ("gdp",)) -> str:
    """HTML table with a pair's figures (names, GDP ratio, road time + method, rail gap classes)."""
    rows: list[tuple[str, str]] = [
        ("Helper → helped", f"{_esc(row.get('helper_name') or 'unknown')} → {_esc(row.get('helped_name'))}"),
        ("Adcodes", f"{_esc(row.get('helper_adcode') or '—')} → {_esc(row.get('helped_adcode'))}"),
        ("Status", _esc(row.get("status"))),
    ]
    if "gdp_ratio" in row.index:
        rows.append(("GDP ratio (helper / helped)", fmt_number(row["gdp_ratio"])))
    for ind in indicators:
        for role in ("helper", "helped"):
            col, year_col, source_col, unit_col = indicator_fields(f"{role}_{ind}")
            if col in row.index:
                extra = [str(row[c]) for c in (year_col, source_col) if c in row.index and not _isna(row[c])]
                tail = f" <small>({_esc(', '.join(extra))})</small>" if extra else ""
                unit = row.get(unit_col)
                unit = "" if _isna(unit) or _isna(row[col]) else f" {_esc(unit)}"
                rows.append((f"{ind}, {role}", fmt_number(row[col]) + unit + tail))
    if PAIRS.cols.crowfly_km in row.index:
        rows.append(("Crow-fly distance (km)", fmt_number(row[PAIRS.cols.crowfly_km])))
    minutes, method = road_time(row)
    if minutes is not None or method is not None:
        t = "—" if minutes is None else f"{minutes / 60:.1f} h ({minutes:.0f} min)"
        rows.append(("Road time", f"{t} <small>[method: {_method_text(method)}]</small>"))
    for col in PAIR_RAIL_COLUMNS:
        if col in row.index:
            value = _method_text(row[col]) if col == PAIRS.cols.rail_method else _esc(fmt_number(row[col]))
            rows.append((PAIRS.label(col).capitalize(), value))
    if "source" in row.index and not _isna(row["source"]):
        src = str(row["source"])
        rows.append(("Pair source", _esc(src if len(src) <= 240 else src[:237] + "…")))
    body = "".join(f"<tr><th style='text-align:left;padding-right:6px'>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table class='cl-pair-figures'>{body}</table>"


def _method_text(method) -> str:
    """A method label with its human sentence (:func:`countylink.methods.describe`)."""
    if _isna(method):
        return "not stated"
    sentence = describe(method)
    tail = f" — {_esc(sentence)}" if sentence and sentence != str(method) else ""
    return f"{_esc(method)}{tail}"


def _scale_widths(values: pd.Series, lo: float = 1.5, hi: float = 6.0) -> tuple[pd.Series, float, float]:
    v = pd.to_numeric(values, errors="coerce").astype(float)
    vmin, vmax = (float(v.min()), float(v.max())) if v.notna().any() else (math.nan, math.nan)
    if v.notna().sum() == 0:
        return pd.Series(lo, index=values.index), vmin, vmax
    span = vmax - vmin
    # all known values equal: every known pair gets the middle width
    scaled = (v - vmin) / span if span > 0 else pd.Series(0.5, index=v.index).where(v.notna())
    w = lo + (hi - lo) * scaled
    return w.fillna(lo), vmin, vmax


def add_pair_layer(
    parent,
    pairs: gpd.GeoDataFrame,
    *,
    programme: str,
    programme_label: str,
    colour: str,
    metric: str | None = "gdp_ratio",
    indicators: Sequence[str] = ("gdp",),
    show: bool = True,
) -> tuple[folium.FeatureGroup, list[str]]:
    """One curved, arrowed line per pair (helper → helped), width by ``metric``.

    Pairs without geometry (helper unknown) get no line; the legend says how
    many.
    """
    group = folium.FeatureGroup(name=f"Pairs — {programme_label}", show=show)
    has_metric = metric is not None and metric in pairs.columns
    widths, vmin, vmax = _scale_widths(pairs[metric] if has_metric else pd.Series(np.nan, index=pairs.index))
    drawn = 0
    for label, row in pairs.iterrows():
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        coords = list(geom.coords)
        arc = curved_line(coords[0][:2], coords[-1][:2])
        tip = f"{row.get('helper_name')} → {row.get('helped_name')}"
        if has_metric and not _isna(row[metric]):
            tip += f" · {metric} {fmt_number(row[metric])}"
        line = folium.PolyLine(
            [(lat, lon) for lon, lat in arc.coords],
            color=colour,
            weight=float(widths[label]),
            opacity=0.9,
            dash_array=None if (has_metric and not _isna(row[metric])) else "5 5",
            class_name=f"cl-pair cl-pair-{programme}",
            tooltip=folium.Tooltip(_esc(tip)),
        )
        line.add_to(group)
        line.add_child(HtmlPopup(pair_popup_html(row, indicators=indicators), max_width=460, min_width=340))
        PolyLineTextPath(
            line,
            "►",
            center=True,
            offset=5,
            attributes={"fill": colour, "font-size": "16", "class": "cl-arrow"},
        ).add_to(group)
        drawn += 1
    group.add_to(parent)
    legend = [
        f"<div><svg width='34' height='12'><line x1='2' y1='6' x2='26' y2='6' stroke='{colour}' stroke-width='3'/>"
        f"<text x='24' y='10' font-size='10' fill='{colour}'>►</text></svg> {_esc(programme_label)}: "
        f"{drawn} pair line{'s' * (drawn != 1)} helper → helped</div>"
    ]
    if has_metric and not math.isnan(vmin):
        legend.append(
            f"<div style='padding-left:38px'>width: {_esc(metric)} {fmt_number(vmin)} (thin) – {fmt_number(vmax)} (thick); dashed = unknown</div>"
        )
    missing = len(pairs) - drawn
    if missing:
        legend.append(
            f"<div style='padding-left:38px'>{missing} pair{'s' * (missing != 1)} with unknown helper: helped county outlined, no line</div>"
        )
    return group, legend


def _flag(series: pd.Series | None, index) -> pd.Series:
    if series is None:
        return pd.Series(False, index=index)
    s = series
    if s.dtype == object:
        s = s.astype(str).str.lower().isin({"yes", "true", "1", "highspeed", "high-speed", "hsr"})
    return s.fillna(False).astype(bool)


def high_speed_mask(lines: gpd.GeoDataFrame) -> pd.Series:
    """Which rail lines are high-speed: the ``highspeed`` flag of the rail_lines layer (unknown = no)."""
    return _flag(lines.get(RAIL_LINES.cols.highspeed), lines.index)


def add_rail_line_layer(parent, rail_lines: gpd.GeoDataFrame) -> tuple[list[folium.FeatureGroup], list[str]]:
    """Rail lines, high-speed (red, thick) separate from conventional (grey)."""
    hsr = high_speed_mask(rail_lines)
    name_col = RAIL_LINES.cols.line_name if RAIL_LINES.cols.line_name in rail_lines.columns else None
    groups, legend = [], []
    for flag, label, colour, weight, cls in (
        (True, "Rail lines — high-speed corridors", HSR_COLOUR, 3.0, "cl-rail-hsr"),
        # tracks off the pack's corridors: mostly conventional, but usage is not in the data
        (False, "Rail lines — other tracks", RAIL_COLOUR, 1.8, "cl-rail"),
    ):
        sub = rail_lines[hsr == flag]
        sub = sub[sub.geometry.notna() & ~sub.geometry.is_empty]
        if sub.empty:
            continue
        props = pd.DataFrame({"name": sub[name_col].astype(str) if name_col else label}, index=sub.index)
        group = folium.FeatureGroup(name=label, show=True)
        folium.GeoJson(
            _features(sub, props),
            style_function=lambda f, colour=colour, weight=weight, cls=cls: {
                "color": colour,
                "weight": weight,
                "opacity": 0.85,
                "className": cls,
                "dashArray": None if cls == "cl-rail-hsr" else "4 3",
            },
            tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=[label]),
        ).add_to(group)
        group.add_to(parent)
        groups.append(group)
        dash = "" if flag else " stroke-dasharray='4 3'"
        legend.append(
            f"<div><svg width='34' height='12'><line x1='2' y1='6' x2='30' y2='6' stroke='{colour}' "
            f"stroke-width='{weight}'{dash}/></svg> {label} ({len(sub)})</div>"
        )
    return groups, legend


def add_station_layer(parent, stations: gpd.GeoDataFrame) -> tuple[folium.FeatureGroup, list[str]]:
    """Passenger stations; stations with high-speed service drawn larger and red."""
    hsr = _flag(stations.get(STATIONS.cols.hsr_served), stations.index)
    name_col = STATIONS.cols.station_name if STATIONS.cols.station_name in stations.columns else None
    props = pd.DataFrame(index=stations.index)
    props["name"] = stations[name_col].astype(str) if name_col else ""
    props["hsr"] = np.where(hsr, "yes", "no")
    fields, aliases = ["name", "hsr"], ["Station", "High-speed service"]
    for col, alias in ((STATIONS.cols.n_trains, "Trains stopping"), (STATIONS.cols.n_trains_hsr, "High-speed trains")):
        if col in stations.columns:
            props[col] = [fmt_number(v) for v in stations[col]]
            fields.append(col)
            aliases.append(alias)
    stations = stations.set_geometry(round_coordinates(stations.geometry))
    group = folium.FeatureGroup(name="Rail stations", show=True)
    folium.GeoJson(
        _features(stations, props),
        marker=folium.CircleMarker(radius=3),
        style_function=lambda f: (
            {
                "radius": 5,
                "fill": True,
                "color": "#ffffff",
                "weight": 1.2,
                "fillColor": HSR_COLOUR,
                "fillOpacity": 1,
                "className": "cl-station cl-station-hsr",
            }
            if f["properties"]["hsr"] == "yes"
            else {
                "radius": 3,
                "fill": True,
                "color": "#222222",
                "weight": 1,
                "fillColor": "#ffffff",
                "fillOpacity": 1,
                "className": "cl-station",
            }
        ),
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
    ).add_to(group)
    group.add_to(parent)
    n_hsr = int(hsr.sum())
    legend = [
        f"<div><svg width='34' height='12'><circle cx='16' cy='6' r='5' fill='{HSR_COLOUR}' stroke='#fff'/></svg> station with high-speed service ({n_hsr})</div>",
        f"<div><svg width='34' height='12'><circle cx='16' cy='6' r='3' fill='#fff' stroke='#222'/></svg> other passenger station ({len(stations) - n_hsr})</div>",
    ]
    return group, legend


GAP_PALETTE = ["#d7191c", "#fdae61", "#ffffbf", "#abd9e9", "#2c7bb6", "#5e3c99"]  # worst gap first


def add_gap_layer(parent, gaps: pd.DataFrame, counties: gpd.GeoDataFrame) -> tuple[folium.FeatureGroup, list[str]]:
    """Counties by rail ``gap_class``; counties without a passenger station outlined orange.

    Drawn on the (simplified) county polygons joined by ``adcode``; off by
    default so the indicator shading stays readable.
    """
    table = pd.DataFrame(gaps.drop(columns="geometry", errors="ignore"))
    table[GAPS.cols.adcode] = table[GAPS.cols.adcode].astype(str)
    merged = counties[["adcode", "name", "geometry"]].merge(
        table.drop(columns=[GAPS.cols.name], errors="ignore"), left_on="adcode", right_on=GAPS.cols.adcode, how="inner"
    )
    merged = gpd.GeoDataFrame(merged, geometry="geometry", crs=counties.crs)
    # classes in words, worst (rank 0, red) to best (blue)
    ranks = merged[[GAPS.cols.gap_label, GAPS.cols.gap_rank]].dropna().drop_duplicates(GAPS.cols.gap_label)
    classes = ranks.sort_values(GAPS.cols.gap_rank)[GAPS.cols.gap_label].astype(str).tolist()
    colours = {c: GAP_PALETTE[i % len(GAP_PALETTE)] for i, c in enumerate(classes)}
    no_station = ~_flag(merged[GAPS.cols.has_passenger_station], merged.index)
    props = pd.DataFrame(
        {
            "name": merged["name"].astype(str),
            "gap_class": merged[GAPS.cols.gap_label].astype(str),
            "no_station": np.where(no_station, "yes", "no"),
            # older gaps tables have no freight status: say so rather than guess
            "freight": (
                merged[GAPS.cols.freight_rail].astype(str)
                if GAPS.cols.freight_rail in merged.columns
                else pd.Series("not in this table", index=merged.index)
            ),
        },
        index=merged.index,
    )
    group = folium.FeatureGroup(name="Rail gap classes", show=False)
    folium.GeoJson(
        _features(merged, props),
        style_function=lambda f: {
            "fillColor": colours.get(f["properties"]["gap_class"], NO_DATA_COLOUR),
            "fillOpacity": 0.6,
            "color": GAP_OUTLINE if f["properties"]["no_station"] == "yes" else "#ffffff",
            "weight": 2.5 if f["properties"]["no_station"] == "yes" else 0.5,
            "className": "cl-gap",
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "gap_class", "no_station", "freight"],
            aliases=["County", "Rail gap class", "No passenger station", "Freight rail"],
        ),
    ).add_to(group)
    group.add_to(parent)
    legend = [
        f"<div><svg width='34' height='12'><rect x='8' y='1' width='16' height='10' fill='{colours[c]}'/></svg> gap class: {_esc(c)}</div>"
        for c in classes
    ]
    if no_station.any():
        legend.append(
            f"<div><svg width='34' height='12'><rect x='8' y='1' width='16' height='10' fill='none' stroke='{GAP_OUTLINE}' stroke-width='2.5'/></svg> no passenger station ({int(no_station.sum())})</div>"
        )
    return group, legend


def add_corridor_layer(
    parent, corridors: gpd.GeoDataFrame, *, programme_label: str, colour: str
) -> tuple[folium.FeatureGroup, list[str]]:
    """Road corridors between partners (fastest routes), with time and ``method``."""
    sub = corridors[corridors.geometry.notna() & ~corridors.geometry.is_empty]
    props = pd.DataFrame(index=sub.index)
    props["pair"] = [f"{r[CORRIDORS.cols.helper_name]} → {r[CORRIDORS.cols.helped_name]}" for _, r in sub.iterrows()]
    props["time"] = ["—" if (m := road_time(r)[0]) is None else f"{m / 60:.1f} h" for _, r in sub.iterrows()]
    props["method"] = [road_time(r)[1] or "not stated" for _, r in sub.iterrows()]
    group = folium.FeatureGroup(name=f"Road corridors — {programme_label}", show=True)
    folium.GeoJson(
        _features(sub, props),
        style_function=lambda f: {
            "color": colour,
            "weight": 2.2,
            "opacity": 0.7,
            "dashArray": "1 4",
            "className": "cl-corridor",
        },
        tooltip=folium.GeoJsonTooltip(fields=["pair", "time", "method"], aliases=["Corridor", "Road time", "Method"]),
    ).add_to(group)
    group.add_to(parent)
    legend = [
        f"<div><svg width='34' height='12'><line x1='2' y1='6' x2='30' y2='6' stroke='{colour}' stroke-width='2.2' "
        f"stroke-dasharray='1 4'/></svg> road corridors, {_esc(programme_label)} ({len(sub)})</div>"
    ]
    return group, legend
