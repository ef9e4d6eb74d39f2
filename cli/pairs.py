"""``countylink pairs --optimise``: the cheapest one-to-one pairing beside the programme's actual one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from countylink.cli.cost import emit, format_option, load_context, optional_output, params_option, set_option
from countylink.cli.options import data_option, registry_option
from countylink.errors import CountylinkError

if TYPE_CHECKING:
    import pandas as pd

PAIRS_TABLE_COLUMNS = [
    "helper_name",
    "actual_helped_name",
    "optimal_helped_name",
    "changed",
    "fixed",
    "actual_travel_yuan_per_t",
    "optimal_travel_yuan_per_t",
    "travel_saving_yuan_per_t",
    "actual_cost",
    "optimal_cost",
    "cost_saving",
]


def _parse_pairs(items: tuple[str, ...], option: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        a, sep, b = item.partition(":")
        if not sep or not a.strip() or not b.strip():
            raise CountylinkError(f"{option} expects HELPER:HELPED adcodes, got {item!r}")
        out.append((a.strip(), b.strip()))
    return out


def read_industry_table(path: Path) -> pd.DataFrame:
    """County × industry CSV: an ``adcode`` column, then one numeric column per industry."""
    import pandas as pd

    from countylink.files import read_csv_table

    table = read_csv_table(path, what="industry table", dtype={"adcode": str})
    if "adcode" not in table.columns:
        raise CountylinkError(f"industry table {path} needs an adcode column")
    table = table.set_index("adcode")
    extra = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    if extra:
        raise CountylinkError(f"industry table {path}: non-numeric column(s) {extra}")
    return table


@click.command("pairs")
@click.option("--programme", default=None, help="Pairing programme id: shandong-2024 or zhejiang-2023.")
@registry_option
@click.option(
    "--optimise/--no-optimise",
    "optimise",
    default=False,
    help="Compute the optimal assignment beside the actual pairs.",
)
@click.option(
    "--fix",
    "fixed",
    multiple=True,
    metavar="HELPER:HELPED",
    help="Keep this pair (adcodes), e.g. --fix 370102:371524 (repeatable).",
)
@click.option(
    "--forbid", "forbidden", multiple=True, metavar="HELPER:HELPED", help="Never use this pair (adcodes) (repeatable)."
)
@click.option(
    "--weight",
    "weights",
    multiple=True,
    metavar="NAME=W",
    help="Cost weights: travel, gap, industry (defaults 1, 0.5, 0.5).",
)
@click.option(
    "--industry",
    "industry_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="County × industry CSV (adcode + one numeric column per industry) for the complementarity term.",
)
@format_option
@optional_output
@params_option
@set_option
@data_option
def pairs(
    programme, registry, optimise, fixed, forbidden, weights, industry_file, fmt, output, params_file, overrides, data
) -> None:
    """The optimal helper–helped pairing (Hungarian algorithm) beside the actual one.

    The pair cost combines freight cost (yuan/t, cheaper mode), the mismatch
    of the GDP gap with the programme's typical gap (when GDP is known for
    every county) and, with --industry, industrial similarity.

    \b
    Examples:
      countylink pairs --programme zhejiang-2023 --optimise
      countylink pairs --programme shandong-2024 --optimise --fix 370102:371524 --format csv -o sd.csv
    """
    from countylink.layers.cost import assignment_table, summary_lines

    if not optimise:
        raise CountylinkError("nothing to do: add --optimise (the pairs layer itself is `countylink export pairs`)")
    w: dict[str, float] = {}
    for item in weights:
        name, sep, value = item.partition("=")
        try:
            w[name.strip()] = float(value) if sep else float("nan")
        except ValueError:
            raise CountylinkError(f"--weight expects NAME=NUMBER, got {item!r}") from None
    industry = read_industry_table(industry_file) if industry_file is not None else None
    ctx = load_context(programme, registry=registry, data=data, params_file=params_file, overrides=overrides)
    table = assignment_table(
        ctx.pairs,
        counties=ctx.counties,
        freight=ctx.freight,
        road_network=ctx.road_network,
        params=ctx.params,
        weights=w or None,
        fixed=_parse_pairs(fixed, "--fix"),
        forbidden=_parse_pairs(forbidden, "--forbid"),
        industry=industry,
    )
    emit(table, fmt=fmt, output=output, table_columns=PAIRS_TABLE_COLUMNS, footer=summary_lines(table))
