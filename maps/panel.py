"""The planner map's side panel: page element, legend snippets, headline and caveats.

:class:`Planner` puts the panel (beside the map, never over it), the styles and
``client/planner.js`` into the page and hands the script the map's data object.
:func:`headline` and :func:`caveats` are computed from the layers drawn.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from countylink.layers.schemas import GAPS, RAIL_LINES, STATIONS, indicator_fields
from countylink.maps import layers as L

CLIENT_DIR = Path(__file__).resolve().parent / "client"
PROGRAMME_LABELS = {"shandong-2024": "Shandong 2024 (强县帮扶弱县)", "zhejiang-2023": "Zhejiang 2023 (山海协作 18+18)"}


def programme_label(programme: str) -> str:
    """Readable name of a programme id."""
    return PROGRAMME_LABELS.get(programme, programme)


@cache
def _client_text(name: str) -> str:
    return (CLIENT_DIR / name).read_text(encoding="utf-8")


def _js_string(value) -> str:
    """JSON for a script element: readable UTF-8, and no ``</script`` that would end the element early."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE).replace("<!--", "<\\!--")


class Planner(MacroElement):
    """Side panel, styles and the client script that draws every layer from ``data``."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>{{ this.css }}</style>
        <script>{{ this.js }}</script>
        {% endmacro %}
        {% macro html(this, kwargs) %}
        <div id="cl-panel">
          <button id="cl-panel-toggle" title="hide panel">«</button>
          <h1 id="cl-title">{{ this.title }}</h1>
          <div id="cl-headline">{{ this.headline }}</div>
          <section><input id="cl-search" list="cl-search-options" placeholder="Find a county (name)…" autocomplete="off">
            <datalist id="cl-search-options"></datalist></section>
          <h2>Layers</h2><section class="cl-layers" id="cl-layer-list"></section>
          <section><div class="note" id="cl-tiles-note"></div></section>
          <h2>Legend</h2><section class="cl-legend" id="cl-legend"></section>
          <h2>Pairs (click to zoom)</h2><section class="cl-legend" id="cl-pair-list"></section>
          <h2>Caveats</h2><section id="cl-notes">{{ this.notes }}</section>
        </div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        window.countylinkMap = {{ this._parent.get_name() }};
        countylinkPlanner({{ this._parent.get_name() }}, {{ this.data }},
          [{% for name, var, legend in this.extra %}{name: {{ name }}, layer: {{ var }}, legend: {{ legend }}},{% endfor %}]);
        {% endmacro %}
        """
    )

    def __init__(self, *, title: str, headline: str, notes: str, data: dict, extra: list[tuple[str, str, str]]):
        super().__init__()
        self._name = "CountylinkPlanner"
        self.title, self.headline, self.notes = title, headline, notes
        self.extra = [(_js_string(name), var, _js_string(legend)) for name, var, legend in extra]
        # "</" inside the data would end the script element early
        self.data = _js_string(data)
        self.css, self.js = _client_text("planner.css"), _client_text("planner.js")


def row(swatch: str, text: str) -> str:
    return f"<div class='row'>{swatch}<span>{text}</span></div>"


def line_svg(colour: str, width: float = 3, dash: str | None = None) -> str:
    d = f" stroke-dasharray='{dash}'" if dash else ""
    return f"<svg width='30' height='10'><line x1='1' y1='5' x2='29' y2='5' stroke='{colour}' stroke-width='{width}'{d}/></svg>"


def box(fill: str, stroke: str = "#999", width: float = 1) -> str:
    return f"<svg width='18' height='12'><rect x='1' y='1' width='16' height='10' fill='{fill}' stroke='{stroke}' stroke-width='{width}'/></svg>"


def source_summary(counties: pd.DataFrame, indicator: str) -> list[tuple[str, str, int]]:
    """``(source, year, n counties)`` of an indicator's values, most counties first."""
    have = counties[counties[indicator].notna()]
    _, year_col, source_col, _ = indicator_fields(indicator)
    src = have.get(source_col, pd.Series("source not stated", index=have.index)).fillna("source not stated")
    yr = have.get(year_col, pd.Series("", index=have.index)).map(L.year_text)
    counts = pd.DataFrame({"s": src.astype(str), "y": yr}).value_counts(sort=True).reset_index(name="n")
    return [(str(s), str(y), int(n)) for s, y, n in counts.itertuples(index=False)]


def headline(gaps: pd.DataFrame | None, by_programme: Mapping[str, pd.DataFrame]) -> list[str]:
    """One sentence per programme: how many helped counties lack a passenger station / high-speed service."""
    if gaps is None or GAPS.cols.has_passenger_station not in gaps.columns:
        return []
    table = pd.DataFrame(gaps.drop(columns="geometry", errors="ignore"))
    table = table.assign(**{GAPS.cols.adcode: table[GAPS.cols.adcode].astype(str)}).set_index(GAPS.cols.adcode)
    out = []
    for programme, pairs in by_programme.items():
        helped = [c for c in dict.fromkeys(pairs["helped_adcode"].astype(str)) if c in table.index]
        if not helped:
            continue
        rows = table.loc[helped]
        no_station = int((~rows[GAPS.cols.has_passenger_station].astype("boolean").fillna(False)).sum())
        text = f"{programme_label(programme)}: <b>{no_station} of {len(helped)}</b> helped counties have no passenger station"
        if GAPS.cols.has_hsr_station in rows.columns:
            no_hsr = int((~rows[GAPS.cols.has_hsr_station].astype("boolean").fillna(False)).sum())
            text += f"; {no_hsr} of {len(helped)} have no high-speed service"
        out.append(text + ".")
    return out


def caveats(
    *,
    counties: pd.DataFrame,
    indicator: str | None,
    rail_lines: gpd.GeoDataFrame | None,
    stations: gpd.GeoDataFrame | None,
) -> list[str]:
    """Warnings drawn from the data: mixed indicator years/sources, incomplete rail lines, timetable age."""
    out = []
    if indicator is not None:
        sources = source_summary(counties, indicator)
        years = sorted({y for _, y, _ in sources if y})
        names = sorted({s for s, _, _ in sources})
        if len(years) > 1 or len(names) > 1:
            out.append(
                f"The {html.escape(indicator)} classes mix {len(years)} year(s) ({', '.join(years)}) and "
                f"{len(names)} source(s): counties are compared across them. "
                + "; ".join(f"{html.escape(s)} ({y}): {n}" for s, y, n in sources[:4])
                + ("; …" if len(sources) > 4 else "")
            )
    if rail_lines is not None and stations is not None and len(stations):
        n_lines = int(L.high_speed_mask(rail_lines).sum())
        served = stations.get(STATIONS.cols.hsr_served)
        n_stations = 0 if served is None else int(served.astype("boolean").fillna(False).sum())
        src = L.source_year(rail_lines, "source", "year")
        hsr_names = ""
        if RAIL_LINES.cols.line_name in rail_lines.columns:
            fast = rail_lines[L.high_speed_mask(rail_lines)][RAIL_LINES.cols.line_name].dropna().astype(str)
            hsr_names = "、".join(sorted(set(fast)))
        out.append(
            f"Rail line data is incomplete: high-speed lines are marked only along the data pack's corridors"
            f"{f' ({html.escape(hsr_names)})' if hsr_names else ''}: {n_lines} drawn beside {n_stations} stations with "
            "high-speed service; other high-speed lines are drawn as ordinary tracks"
            f"{f' (lines: {html.escape(src)})' if src else ''}. Judge service by the stations, not the lines."
        )
    if stations is not None:
        src = L.source_year(stations, STATIONS.cols.service_source, STATIONS.cols.service_year)
        if src:
            out.append(
                f"Train service comes from national stop lists, {html.escape(src)}: lines and stations opened "
                "since then look unserved (rail gap classes and station counts)."
            )
    return out
