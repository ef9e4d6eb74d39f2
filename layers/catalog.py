"""The layers users can export by name (``countylink export LAYER``).

Each entry maps a layer name to ``"module:function"``; the function takes
keyword arguments ``provinces`` (tuple of keys), ``programme`` (id or None),
``pair_provinces`` (province keys the pairs touch, see
:attr:`countylink.pipeline.scope.Scope.pair_provinces`),
``data`` (data-pack dir), ``registry`` (a registry DataFrame or None),
``indicators`` (a user's long indicator table or None), ``network`` (a road
graph or None), ``points`` (id/lon/lat table or None) and
returns a (Geo)DataFrame. Feature modules add their layers here.
"""

from __future__ import annotations

import importlib

from countylink.errors import NotFoundError

LAYERS: dict[str, str] = {
    "counties": "countylink.layers.catalog:_counties",
    "pairs": "countylink.layers.catalog:_pairs",
    "stations": "countylink.layers.catalog:_stations",
    "rail_lines": "countylink.layers.catalog:_rail_lines",
    "gaps": "countylink.layers.catalog:_gaps",
    "corridors": "countylink.layers.catalog:_corridors",
    "isochrones": "countylink.layers.catalog:_isochrones",
}

#: layers that belong to a programme (need --programme)
PROGRAMME_LAYERS = {"pairs", "corridors"}
#: layers routed on a road graph (need --network)
NETWORK_LAYERS = {"corridors", "isochrones"}


def build_layer(name: str, **kwargs):
    """Build the layer called ``name`` (see :data:`LAYERS`)."""
    if name not in LAYERS:
        raise NotFoundError(f"unknown layer {name!r}; available: {', '.join(sorted(LAYERS))}")
    module, _, attr = LAYERS[name].partition(":")
    return getattr(importlib.import_module(module), attr)(**kwargs)


def _indicator_table(data, indicators):
    """Data-pack indicators, plus a user's table (which wins for the same county/indicator/year)."""
    import warnings

    import pandas as pd

    from countylink.layers.indicators import default_indicators, replace_report

    base = default_indicators(data=data)
    if indicators is None:
        return base
    replaced = replace_report(base, indicators)
    if replaced:
        warnings.warn(
            f"your indicator file replaces {replaced} data-pack value(s) (same county, indicator and year)",
            stacklevel=2,
        )
    both = pd.concat([base, indicators], ignore_index=True)
    return both.drop_duplicates(["adcode", "indicator", "year"], keep="last")


def _counties(*, provinces, data, indicators=None, **_):
    from countylink.layers.counties import counties_layer

    return counties_layer(provinces, data=data, indicators=_indicator_table(data, indicators))


def _pairs(*, programme, pair_provinces, data, registry=None, indicators=None, counties=None, **_):
    from countylink.layers.pairs import build_pairs

    if counties is None:
        counties = _counties(provinces=pair_provinces, data=data, indicators=indicators)
    return build_pairs(programme, counties=counties, registry=registry)


def _rail(provinces, data, indicators):
    from countylink.layers.counties import counties_layer
    from countylink.layers.gaps import load_rail_data

    counties = counties_layer(provinces, data=data, indicators=_indicator_table(data, indicators))
    return counties, load_rail_data(data=data)


def _stations(*, provinces, data, indicators=None, **_):
    from countylink.layers.stations import stations_layer

    counties, rail = _rail(provinces, data, indicators)
    return stations_layer(counties, rail.stations)


def _rail_lines(*, provinces, data, indicators=None, **_):
    from countylink.layers.rail_lines import rail_lines_layer

    counties, rail = _rail(provinces, data, indicators)
    return rail_lines_layer(counties, rail.lines)


def _gaps(*, provinces, data, indicators=None, **_):
    from countylink.layers.gaps import gaps_layer

    counties, rail = _rail(provinces, data, indicators)
    return gaps_layer(counties, rail)


def _corridors(*, programme, pair_provinces, data, network, registry=None, indicators=None, **_):
    from countylink.layers.corridors import add_road_travel, corridors_layer

    counties = _counties(provinces=pair_provinces, data=data, indicators=indicators)
    pairs = _pairs(programme=programme, pair_provinces=pair_provinces, data=data, registry=registry, counties=counties)
    return corridors_layer(add_road_travel(pairs, network=network), network, counties=counties)


def _isochrones(*, provinces, data, network, points=None, **_):
    from countylink.geo.boundaries import load_counties
    from countylink.layers.isochrones import county_seat_isochrones, isochrones_layer

    if points is not None:
        return isochrones_layer(points, network)
    return county_seat_isochrones(load_counties(provinces), network)
