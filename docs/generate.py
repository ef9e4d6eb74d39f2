"""Regenerate the tables in ``docs/*.md`` from the product's functions on the data pack.

Each generated block sits between ``<!-- generated:NAME -->`` and ``<!-- /generated -->``;
everything outside the markers is hand-written prose and left alone.

    python docs/generate.py [--data DIR] [--check]

``--check`` writes nothing and exits 1 when a committed doc differs from what
this script would write (``tests/test_docs.py`` does the same).
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

DOCS = Path(__file__).resolve().parent
PROGRAMMES = ("shandong-2024", "zhejiang-2023")
BLOCK = re.compile(r"(<!-- generated:(?P<name>[\w.-]+) -->\n)(?P<body>.*?)(<!-- /generated -->)", re.S)

GAP_COLUMNS = [
    "gap_order",
    "adcode",
    "name",
    "gap_class",
    "n_stations",
    "stations",
    "n_trains_hsr",
    "n_trains_conventional",
    "nearest_hsr",
    "nearest_hsr_km",
    "rail_line_km",
    "freight_rail",
    "gdp",
    "gdp_year",
]
FREIGHT_COLUMNS = ["adcode", "name", "gap_class", "freight_rail", "freight_evidence", "freight_year", "timetable_note"]
PARAMETER_COLUMNS = ["parameter", "value", "unit", "year", "confidence"]


def markdown_table(frame: pd.DataFrame, *, floats: dict[str, str] | None = None, na: str = "") -> str:
    """A GitHub markdown table; ``floats`` maps a column to its format (e.g. ``"{:.2f}"``)."""
    floats = floats or {}

    def cell(column: str, value) -> str:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return na
        if column in floats and not isinstance(value, str | bool):
            return floats[column].format(value)
        return str(value)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(cell(c, v) for c, v in zip(frame.columns, row)) + " |")
    return "\n".join(lines) + "\n"


def notes_list(lines: list[str]) -> str:
    return "".join(f"- {line}\n" for line in lines)


# --- the tables ----------------------------------------------------------------------------


def rail_gap_tables(*, data: Path) -> dict[str, str]:
    """``gaps-<programme>``: ``countylink gaps --programme P --role helped`` (columns abridged)."""
    from countylink.pipeline import resolve_scope
    from countylink.pipeline.tables import ranked_gaps

    out = {}
    for programme in PROGRAMMES:
        ranked = ranked_gaps(resolve_scope(programmes=(programme,)), role="helped", data=data)
        frame = ranked[GAP_COLUMNS].copy()
        frame["gdp_year"] = frame["gdp_year"].map(lambda y: "" if pd.isna(y) else str(int(y)))
        out[f"gaps-{programme}"] = markdown_table(
            frame, floats={"nearest_hsr_km": "{:.1f}", "rail_line_km": "{:.1f}", "gdp": "{:.1f}"}
        )
        freight = ranked[FREIGHT_COLUMNS].copy()
        freight["freight_year"] = freight["freight_year"].map(lambda y: "" if pd.isna(y) else str(int(y)))
        # the pipe would end the table cell
        freight = freight.map(lambda v: v.replace("|", "/") if isinstance(v, str) else v)
        out[f"freight-{programme}"] = markdown_table(freight)
    return out


def logistics_tables(*, data: Path) -> dict[str, str]:
    """Parameter table, and per programme the cost and optimal-versus-actual tables with their notes."""
    from countylink.accessibility.freight.cost import break_even_road_km
    from countylink.accessibility.freight.parameters import load_parameters
    from countylink.cli.cost import COST_TABLE_COLUMNS
    from countylink.cli.pairs import PAIRS_TABLE_COLUMNS
    from countylink.layers.cost import assignment_table, cost_layer, freight_inputs, summary_lines
    from countylink.pipeline import resolve_scope
    from countylink.pipeline.tables import pair_inputs

    params = load_parameters().reset_index()
    params["value"] = params["value"].map(lambda v: f"{v:.3f}" if abs(v - round(v, 2)) > 1e-9 else f"{v:.2f}")
    out = {"logistics-parameters": markdown_table(params[PARAMETER_COLUMNS])}
    cases = []
    for legs in (0.0, 10.0, 20.0, 40.0):
        for ratio in (1.0, 1.2):
            km = break_even_road_km(access_km=legs, egress_km=legs, rail_per_road=ratio, province="zhejiang")
            cases.append(
                {
                    "truck leg at each end (km)": f"{legs:g}",
                    "rail km ÷ road km": f"{ratio:g}",
                    "break-even road km": f"{km:.0f}",
                }
            )
    out["break-even"] = markdown_table(pd.DataFrame(cases))
    from countylink.layers import gaps

    # the run's way: freight stations and rail network from the rail data (stop lists read once)
    freight = freight_inputs(data=data, rail=gaps.load_rail_data(data=data))
    money = {
        c: "{:.2f}"
        for c in (
            "road_km",
            "road_cost",
            "rail_cost",
            "saving_yuan_per_t",
            "rail_km",
            "actual_travel_yuan_per_t",
            "optimal_travel_yuan_per_t",
            "travel_saving_yuan_per_t",
            "actual_cost",
            "optimal_cost",
        )
    }
    for programme in PROGRAMMES:
        # the run's inputs: pairs with road legs routed on the national highway network
        inputs = pair_inputs(resolve_scope(programmes=(programme,)), data=data)
        counties, pairs, network = inputs.counties, inputs.pairs, inputs.road_network
        cost = cost_layer(pairs, counties=counties, freight=freight, road_network=network)
        cols = [c for c in COST_TABLE_COLUMNS if c != "method"]
        out[f"cost-{programme}"] = (
            markdown_table(pd.DataFrame(cost[cols]), floats=money | {"market_access_share": "{:.3f}"}, na="-")
            + "\n"
            + notes_list(cost.attrs.get("notes", []))
        )
        table = assignment_table(pairs, counties=counties, freight=freight, road_network=network)
        cols = [c for c in PAIRS_TABLE_COLUMNS if c not in ("fixed", "cost_saving")]
        out[f"assignment-{programme}"] = (
            markdown_table(table[cols], floats=money, na="-") + "\n" + notes_list(summary_lines(table))
        )
    return out


def raster_access_tables(*, data: Path) -> dict[str, str]:
    """``access-helped``: helped counties' share of area within 30/60/120 min of a station (1 km, walking)."""
    from countylink.accessibility.raster.friction import cnmaps_dem_path
    from countylink.accessibility.raster.zonal import zonal_ruggedness
    from countylink.geo.boundaries import load_counties
    from countylink.layers.access import access_table
    from countylink.layers.pairs import build_pairs, programme_province

    rows = []
    for programme in PROGRAMMES:
        counties = load_counties(programme_province(programme))
        _, table = access_table(counties, target="stations", resolution=1000, data=data)
        tri = zonal_ruggedness(cnmaps_dem_path(), counties, dem_crs="EPSG:4326")["tri_mean_m"]  # by adcode
        pairs = build_pairs(programme, counties=counties)
        for pair in pairs.itertuples():
            figures = table.loc[pair.helped_adcode]
            rows.append(
                {
                    "programme": programme,
                    "adcode": pair.helped_adcode,
                    "helped county": pair.helped_name,
                    "pair status": pair.status,
                    **{f"area ≤ {m} min": f"{100 * figures[f'area_share_within_{m}min']:.1f} %" for m in (30, 60, 120)},
                    "median min": f"{figures['tt_median_min']:.0f}",
                    "p90 min": f"{figures['tt_p90_min']:.0f}",
                    "TRI mean (m, 0.2° DEM)": f"{tri[pair.helped_adcode]:.0f}",
                }
            )
    text = markdown_table(pd.DataFrame(rows))
    # right-align the figures, as the hand-made table did
    head, rule, *body = text.split("\n")
    rule = "|---|---|---|---|" + "---:|" * 6
    return {"access-helped": "\n".join([head, rule, *body])}


#: doc file -> function giving its generated blocks
GENERATORS: dict[str, Callable[..., dict[str, str]]] = {
    "rail_gaps.md": rail_gap_tables,
    "logistics.md": logistics_tables,
    "raster_access.md": raster_access_tables,
}


# --- writing -------------------------------------------------------------------------------


def fill(text: str, blocks: dict[str, str], *, doc: str = "") -> str:
    """``text`` with every generated block replaced; a marker without a table is an error."""
    names = set()

    def replace(match: re.Match) -> str:
        name = match["name"]
        if name not in blocks:
            raise KeyError(f"{doc}: no generator for block {name!r}")
        names.add(name)
        return match.group(1) + blocks[name] + match.group(4)

    filled = BLOCK.sub(replace, text)
    missing = sorted(set(blocks) - names)
    if missing:
        raise KeyError(f"{doc}: no <!-- generated:NAME --> marker for {missing}")
    return filled


def generated_docs(*, data: Path) -> dict[Path, str]:
    """Every doc with generated blocks: path -> the text this script would write."""
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unmatched-station reports of the rail data; not documentation
        for name, generator in GENERATORS.items():
            path = DOCS / name
            out[path] = fill(path.read_text(encoding="utf-8"), generator(data=data), doc=name)
    return out


def main(argv: list[str] | None = None) -> int:
    from countylink.files import data_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="data pack (default: COUNTYLINK_DATA or ../shared/data)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a doc is out of date")
    args = parser.parse_args(argv)
    stale = []
    for path, text in generated_docs(data=data_dir(args.data)).items():
        if path.read_text(encoding="utf-8") != text:
            stale.append(path.name)
            if not args.check:
                path.write_text(text, encoding="utf-8")
    verb = "out of date" if args.check else "regenerated"
    print(f"docs {verb}: {', '.join(stale)}" if stale else "docs up to date", file=sys.stderr)
    return 1 if (stale and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
