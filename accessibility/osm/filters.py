"""Overpass way-filter strings: presets, parsing, and matching tags against them.

The same filter is applied to extracts (:mod:`countylink.accessibility.osm.elements`)
and to Overpass queries (:mod:`countylink.accessibility.osm.overpass`), so the two
sources give the same elements for the same area.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from countylink.errors import DataError

_HIGHWAYS = (
    "motorway|motorway_link|trunk|trunk_link|primary|primary_link|secondary|secondary_link|tertiary|tertiary_link"
)


#: Default way filter: the inter-county road hierarchy (motorway … tertiary and links).
DEFAULT_NETWORK_FILTER = f'["highway"~"^({_HIGHWAYS})$"]["area"!~"yes"]["access"!~"private"]'


#: Named presets accepted as ``network_filter``.
NETWORK_FILTERS: dict[str, str] = {
    "intercounty": DEFAULT_NETWORK_FILTER,
    # OSMnx's "drive" network filter (osmnx._overpass._get_network_filter), copied so the
    # same preset works on extracts.
    "drive": (
        '["highway"]["area"!~"yes"]["access"!~"private"]'
        '["highway"!~"abandoned|bridleway|bus_guideway|construction|corridor|cycleway|elevator|'
        "escalator|footway|no|path|pedestrian|planned|platform|proposed|raceway|razed|rest_area|"
        'service|services|steps|track"]'
        '["motor_vehicle"!~"no"]["motorcar"!~"no"]'
        '["service"!~"alley|driveway|emergency_access|parking|parking_aisle|private"]'
    ),
}


_CLAUSE = re.compile(r'\[\s*(!?)\s*"([^"]+)"\s*(?:(!?[~=])\s*"((?:[^"\\]|\\.)*)"\s*(,\s*i)?)?\s*\]')


def resolve_filter(network_filter: str | Sequence[str] | None) -> list[str]:
    """Return the list of Overpass way-filter strings for a filter or preset name."""
    if network_filter is None:
        return [DEFAULT_NETWORK_FILTER]
    if isinstance(network_filter, str):
        return [NETWORK_FILTERS.get(network_filter, network_filter)]
    filters = [NETWORK_FILTERS.get(f, f) for f in network_filter]
    if not filters:
        raise DataError("network_filter is an empty list")
    return filters


def parse_way_filter(way_filter: str) -> list[tuple[str, str, re.Pattern[str] | str | None]]:
    """Parse an Overpass tag filter such as ``["highway"~"^primary$"]["area"!~"yes"]``.

    Returns a list of ``(key, op, value)`` clauses with ``op`` one of ``has``,
    ``not_has``, ``=``, ``!=``, ``~``, ``!~`` (regex values compiled).

    Raises
    ------
    DataError
        If the string is not a sequence of ``[...]`` tag clauses.
    """
    clauses: list[tuple[str, str, re.Pattern[str] | str | None]] = []
    pos = 0
    text = way_filter.strip()
    while pos < len(text):
        m = _CLAUSE.match(text, pos)
        if not m:
            raise DataError(f"cannot parse the network filter near {text[pos : pos + 40]!r}")
        neg, key, op, value, icase = m.groups()
        if op is None:
            clauses.append((key, "not_has" if neg else "has", None))
        elif "~" in op:
            clauses.append((key, op, re.compile(value.replace('\\"', '"'), re.IGNORECASE if icase else 0)))
        else:
            clauses.append((key, op, value))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return clauses


def tags_match(tags: dict[str, str], clauses: list[tuple[str, str, Any]]) -> bool:
    """Whether an element's tags pass all clauses, with Overpass semantics.

    Negative clauses (``!=``, ``!~``) also pass when the key is absent.
    """
    for key, op, value in clauses:
        present = key in tags
        if op == "has":
            ok = present
        elif op == "not_has":
            ok = not present
        elif op == "=":
            ok = present and tags[key] == value
        elif op == "!=":
            ok = not present or tags[key] != value
        elif op == "~":
            ok = present and value.search(tags[key]) is not None
        else:  # "!~"
            ok = not present or value.search(tags[key]) is None
        if not ok:
            return False
    return True
