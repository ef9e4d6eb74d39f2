"""Tables single commands print, built for a :class:`~countylink.pipeline.scope.Scope`.

``countylink gaps`` prints :func:`ranked_gaps`; ``cost``, ``pairs --optimise``
and ``scenario`` start from :func:`pair_inputs`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from countylink.errors import CountylinkError
from countylink.pipeline.scope import Scope

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from countylink.accessibility.road.travel_time import RoutingNetwork
    from countylink.layers.cost import FreightInputs


def ranked_gaps(
    scope: Scope,
    *,
    role: Literal["all", "helped", "helper"] = "all",
    data: str | os.PathLike | None = None,
    station_file: str | os.PathLike | None = None,
    coord_system: str | None = None,
    osm_file: str | os.PathLike | None = None,
) -> gpd.GeoDataFrame:
    """The gaps layer of the scope's provinces, worst first, with a ``gap_order`` column.

    With pairs in the scope, a ``role`` column says ``helped`` / ``helper`` and
    only the counties of that role (``all``: both) are kept.

    Raises
    ------
    CountylinkError
        If no county of the pairs lies in the provinces.
    """
    import pandas as pd

    from countylink.accessibility.rail.gaps import rank_gaps
    from countylink.layers.counties import counties_layer
    from countylink.layers.gaps import gaps_layer, load_rail_data

    counties = counties_layer(scope.provinces, data=data)
    rail = load_rail_data(data=data, station_file=station_file, coord_system=coord_system, osm_file=osm_file)
    gaps = gaps_layer(counties, rail)
    gaps["role"] = ""
    if scope.registry is not None:
        helped = set(scope.registry["helped_adcode"].dropna()) - {""}
        helper = set(scope.registry["helper_adcode"].dropna()) - {""}
        gaps["role"] = gaps["adcode"].map(lambda a: "helped" if a in helped else ("helper" if a in helper else ""))
        keep = {"helped": gaps["role"] == "helped", "helper": gaps["role"] == "helper"}.get(role, gaps["role"] != "")
        gaps = gaps[keep]
        if gaps.empty:
            raise CountylinkError(f"no county of programme {scope.label} lies in {', '.join(scope.provinces)}")
    ranked = rank_gaps(gaps).reset_index(drop=True)
    ranked.insert(0, "gap_order", pd.RangeIndex(1, len(ranked) + 1))
    return ranked


@dataclass
class PairInputs:
    """Everything the cost, pairs and scenario commands share."""

    label: str  # programme id, or "registry" for a user registry without --programme
    counties: gpd.GeoDataFrame
    pairs: gpd.GeoDataFrame
    freight: FreightInputs
    params: pd.DataFrame | None
    road_network: RoutingNetwork | None = None  # what the pairs' road legs were routed on


def pair_inputs(
    scope: Scope,
    *,
    data: str | os.PathLike | None = None,
    params: pd.DataFrame | None = None,
    progress=None,
) -> PairInputs:
    """Counties, the pairs layer, freight stations and logistics parameters of a scope with pairs.

    ``progress`` (a callable taking a message) hears about the slow part
    (freight stations and the rail service network).
    """
    from countylink.accessibility.road.highways import highway_routing_network
    from countylink.layers.corridors import join_road_travel, road_travel
    from countylink.layers.cost import freight_inputs
    from countylink.layers.counties import counties_layer
    from countylink.layers.pairs import build_pairs

    counties = counties_layer(scope.pair_provinces, data=data)
    pairs = build_pairs(scope.programme, counties=counties, registry=scope.registry_of(scope.programme))
    # the same road figures as `countylink run`: routed on the national highway network
    network = highway_routing_network(scope.pair_provinces, progress=False)
    pairs = join_road_travel(pairs, road_travel(pairs, network=network, highway=True))
    if progress is not None:
        progress(f"{scope.label}: {len(pairs)} pairs; loading freight stations and rail service network ...")
    return PairInputs(scope.label, counties, pairs, freight_inputs(data=data), params, network)
