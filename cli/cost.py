"""``countylink cost``: road versus rail-intermodal freight cost for every pair of a programme."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from countylink.cli.options import data_option, registry_option
from countylink.errors import CountylinkError

if TYPE_CHECKING:
    import pandas as pd

    from countylink.pipeline.tables import PairInputs

TABLE_FORMATS = ("table", "csv", "geojson")

#: Columns shown by ``--format table`` (all columns go to csv / geojson).
COST_TABLE_COLUMNS = [
    "helper_name",
    "helped_name",
    "method",
    "road_km",
    "road_cost",
    "rail_cost",
    "cheaper_mode",
    "saving_yuan_per_t",
    "market_access_share",
    "origin_station",
    "destination_station",
    "rail_km",
    "rail_method",
]


def parse_overrides(items: tuple[str, ...]) -> dict[str, float]:
    """``("road_rate_yuan_per_tkm=0.5", ...)`` -> ``{name: value}``; bad items raise CountylinkError."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CountylinkError(f"--set expects NAME=VALUE, got {item!r}")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise CountylinkError(f"--set {name.strip()}: {value!r} is not a number") from None
    return out


def load_context(
    programme: str | None, *, registry: Path | None, data, params_file: Path | None, overrides: tuple[str, ...]
) -> PairInputs:
    """Counties, pairs, freight stations and parameters of ``--programme`` / ``--registry``."""
    from countylink.accessibility.freight.parameters import load_parameters
    from countylink.files import data_dir
    from countylink.pipeline import resolve_scope
    from countylink.pipeline.tables import pair_inputs

    scope = resolve_scope(programmes=programme, registry=registry, require="pairs")
    ov = parse_overrides(overrides)
    params = load_parameters(params_file, overrides=ov) if (params_file is not None or ov) else None
    return pair_inputs(scope, data=data_dir(data), params=params, progress=lambda msg: click.echo(msg, err=True))


def emit(
    frame: pd.DataFrame, *, fmt: str, output: Path | None, table_columns: list[str] | None, footer: Sequence[str] = ()
) -> None:
    """Write ``frame`` as a text table, CSV or GeoJSON to ``output`` (atomically) or stdout."""
    import pandas as pd

    from countylink.files import atomic_output
    from countylink.layers.export import export_layer, to_rfc7946

    fmt = fmt.lower()
    if fmt not in TABLE_FORMATS:
        raise CountylinkError(f"unknown format {fmt!r}; use one of {', '.join(TABLE_FORMATS)}")
    is_geo = hasattr(frame, "geometry") and getattr(frame, "_geometry_column_name", None) in frame.columns
    if fmt == "geojson" and not is_geo:
        raise CountylinkError("this table has no geometry; use --format table or csv")
    if fmt == "table":
        cols = [c for c in (table_columns or list(frame.columns)) if c in frame.columns]
        text = pd.DataFrame(frame[cols]).to_string(index=False, na_rep="-")
        text += "\n" + "\n".join(f"# {line}" for line in footer) + ("\n" if footer else "")
    elif fmt == "csv":
        plain = pd.DataFrame(frame.drop(columns=frame.geometry.name)) if is_geo else pd.DataFrame(frame)
        text = plain.to_csv(index=False)
    else:
        text = None
    if output is None:
        if text is None:
            text = json.dumps(to_rfc7946(frame), ensure_ascii=False)
        click.echo(text.rstrip("\n"))
        if fmt != "table":
            for line in footer:
                click.echo(f"note: {line}", err=True)
        return
    if text is None:
        export_layer(frame, output, fmt="geojson")
    else:
        with atomic_output(output) as tmp:
            tmp.write_text(text, encoding="utf-8")
    for line in footer:
        click.echo(f"note: {line}", err=True)
    click.echo(f"wrote {len(frame)} rows to {output}", err=True)


params_option = click.option(
    "--params",
    "params_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Your own logistics parameter CSV (schema: countylink/data/logistics_parameters.csv).",
)
set_option = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override one logistics parameter, e.g. --set road_rate_yuan_per_tkm=0.35 (repeatable).",
)
format_option = click.option(
    "--format",
    "fmt",
    default="table",
    show_default=True,
    type=click.Choice(TABLE_FORMATS, case_sensitive=False),
    help="Output format.",
)
optional_output = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Output file (default: standard output).",
)


@click.command("cost")
@click.option("--programme", default=None, help="Pairing programme id: shandong-2024 or zhejiang-2023.")
@registry_option
@format_option
@optional_output
@params_option
@set_option
@data_option
def cost(programme, registry, fmt, output, params_file, overrides, data) -> None:
    """Freight cost per pair: road, rail intermodal, the cheaper mode, market-access share.

    Costs are yuan per tonne door to door between the county seats. Without a
    routed road graph the road figures are crow-fly estimates (column method).

    \b
    Examples:
      countylink cost --programme shandong-2024
      countylink cost --programme zhejiang-2023 --format geojson -o zj_cost.geojson
      countylink cost --programme zhejiang-2023 --set road_rate_yuan_per_tkm=0.35
    """
    from countylink.layers.cost import cost_layer

    ctx = load_context(programme, registry=registry, data=data, params_file=params_file, overrides=overrides)
    layer = cost_layer(
        ctx.pairs, counties=ctx.counties, freight=ctx.freight, params=ctx.params, road_network=ctx.road_network
    )
    emit(layer, fmt=fmt, output=output, table_columns=COST_TABLE_COLUMNS, footer=layer.attrs.get("notes", []))
