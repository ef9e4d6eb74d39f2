"""Timetable stop lists: train classes, parsing ``trainno:station1,station2,...`` files, trains per station.

The national timetable stop lists (``rail/train_stops/train_{g,d,c,k,z,n}.txt``
in the data pack, one train a line) are parsed by :func:`read_stop_lists`;
:func:`station_service` links their names to a station table
(:func:`~countylink.accessibility.rail.station_names.match_station_names`) and
counts distinct trains per station and class.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from countylink.accessibility.rail.station_names import match_station_names, normalise_station_name
from countylink.accessibility.rail.stations import PACK_SOURCES
from countylink.errors import DataError, NotFoundError
from countylink.files import data_file

#: Train-number prefix -> service group. T-class trains are absent from the pack.
TRAIN_CLASSES: dict[str, str] = {
    "G": "hsr",  # 高速动车组 (high-speed)
    "D": "hsr",  # 动车组 (EMU)
    "C": "hsr",  # 城际 (intercity EMU)
    "K": "conventional",  # 快速
    "Z": "conventional",  # 直达特快
    "N": "conventional",  # number-only trains (普快/普客, file train_n.txt): class letter "N" here
}


HSR_CLASSES: tuple[str, ...] = tuple(k for k, v in TRAIN_CLASSES.items() if v == "hsr")


CONVENTIONAL_CLASSES: tuple[str, ...] = tuple(k for k, v in TRAIN_CLASSES.items() if v == "conventional")


@dataclass
class StopLists:
    """Parsed timetable stop lists (long form) and what could not be parsed."""

    stops: pd.DataFrame  # train_no, train_class, seq, station_name
    bad_lines: list[str]
    files: list[str]
    source: str
    year: int | None


def read_stop_lists(
    paths: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
    *,
    data: str | os.PathLike | None = None,
    source: str | None = None,
    year: int | None = None,
) -> StopLists:
    """Parse timetable stop-list files ``trainno:station1,station2,...``.

    Parameters
    ----------
    paths
        A directory (all ``train_*.txt`` in it), one file, or a list of files.
        ``None`` reads the data pack's ``rail/train_stops``.

    Returns
    -------
    StopLists
        ``stops`` has one row per stop (``train_no`` upper-cased, number-only
        ordinary trains prefixed ``N``; ``train_class`` = its first letter, ``seq`` from 0, ``station_name`` normalised).
        Lines without ``:``, with fewer than two stops, or of an unknown class
        are listed in ``bad_lines`` and reported with a warning; a train
        number seen twice keeps the first line (also reported).

    Raises
    ------
    DataError
        No file, or no valid line at all.
    """
    if paths is None:
        directory = data_file("rail/train_stops", data=data)
        files = sorted(directory.glob("train_*.txt"))
        src, yr = PACK_SOURCES["train_stops"]
        source = source or src
        year = year if year is not None else yr
    elif isinstance(paths, (str, os.PathLike)) and Path(paths).is_dir():
        files = sorted(Path(paths).glob("*.txt"))
    elif isinstance(paths, (str, os.PathLike)):
        files = [Path(paths)]
    else:
        files = [Path(p) for p in paths]
    if not files:
        raise DataError(f"no stop-list files found in {paths}")
    for f in files:
        if not f.exists():
            raise NotFoundError(f"stop-list file not found: {f}")
    rows: list[tuple[str, str, int, str]] = []
    bad: list[str] = []
    seen: set[str] = set()
    dup: list[str] = []
    for f in files:
        with open(f, encoding="utf-8-sig") as fh:
            for lineno, raw in enumerate(fh, 1):
                line = raw.strip()
                if not line:
                    continue
                train, sep, rest = line.partition(":")
                train = train.strip().upper()
                if train[:1].isdigit():  # number-only ordinary trains get class "N"
                    train = "N" + train
                stations = [normalise_station_name(s) for s in rest.split(",")]
                stations = [s for s in stations if s]
                if not sep or not train or train[0] not in TRAIN_CLASSES or len(stations) < 2:
                    bad.append(f"{f.name}:{lineno}: {line[:60]}")
                    continue
                if train in seen:
                    dup.append(train)
                    continue
                seen.add(train)
                rows.extend((train, train[0], i, s) for i, s in enumerate(stations))
    if not rows:
        raise DataError(
            f"no valid stop-list lines in {', '.join(f.name for f in files)} "
            f"({len(bad)} unreadable lines; expected 'trainno:station1,station2,...')"
        )
    if bad or dup:
        warnings.warn(
            f"stop lists: {len(bad)} unreadable lines skipped"
            + (f" (first: {bad[0]})" if bad else "")
            + (f"; {len(dup)} repeated train numbers skipped ({', '.join(dup[:5])})" if dup else ""),
            stacklevel=2,
        )
    stops = pd.DataFrame(rows, columns=["train_no", "train_class", "seq", "station_name"])
    return StopLists(
        stops=stops,
        bad_lines=bad + [f"repeated train {t}" for t in dup],
        files=[str(f) for f in files],
        source=source or "stop lists " + ", ".join(f.name for f in files),
        year=year,
    )


def station_service(
    stops: StopLists | pd.DataFrame,
    stations: gpd.GeoDataFrame,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Attach distinct-train counts per class to each station.

    Parameters
    ----------
    stops
        :class:`StopLists` or its ``stops`` frame.
    stations
        Station schema (``station_name`` unique).

    Returns
    -------
    (stations, matches)
        ``stations`` gains ``n_trains``, ``n_trains_<X>`` for each class in
        :data:`TRAIN_CLASSES`, ``n_trains_hsr`` (G+D+C), ``n_trains_conventional``
        (K+Z+N), ``hsr_served``, ``service_source``, ``service_year``.
        ``matches`` is :func:`match_station_names`'s table with the number of
        trains for each stop-list name; unmatched names are also warned about.
    """
    sl = stops if isinstance(stops, StopLists) else StopLists(stops, [], [], "stop lists", None)
    st = sl.stops
    matches = match_station_names(st["station_name"].unique(), stations["station_name"])
    ntr = st.groupby("station_name")["train_no"].nunique()
    matches["n_trains"] = matches["name"].map(ntr).fillna(0).astype(int)
    unmatched = matches[matches["rule"] == "unmatched"].sort_values("n_trains", ascending=False)
    if len(unmatched):
        warnings.warn(
            f"{len(unmatched)} of {len(matches)} stop-list station names have no coordinates "
            f"({int(unmatched['n_trains'].sum())} train calls; busiest: "
            + ", ".join(f"{n} ({k})" for n, k in unmatched[["name", "n_trains"]].head(10).itertuples(index=False))
            + ")",
            stacklevel=2,
        )
    lookup = matches.dropna(subset=["matched_name"]).set_index("name")["matched_name"]
    st = st.assign(matched=st["station_name"].map(lookup)).dropna(subset=["matched"])
    counts = st.groupby(["matched", "train_class"])["train_no"].nunique().unstack(fill_value=0)
    out = stations.copy()
    total = st.groupby("matched")["train_no"].nunique()
    out["n_trains"] = out["station_name"].map(total).fillna(0).astype(int)
    for cls in TRAIN_CLASSES:
        s = counts[cls] if cls in counts.columns else pd.Series(dtype=int)
        out[f"n_trains_{cls}"] = out["station_name"].map(s).fillna(0).astype(int)
    out["n_trains_hsr"] = out[[f"n_trains_{c}" for c in HSR_CLASSES]].sum(axis=1)
    out["n_trains_conventional"] = out[[f"n_trains_{c}" for c in CONVENTIONAL_CLASSES]].sum(axis=1)
    out["hsr_served"] = out["n_trains_hsr"] > 0
    out["service_source"] = sl.source
    out["service_year"] = pd.array([sl.year] * len(out), dtype="Int64")
    out.attrs["unmatched_stop_names"] = unmatched["name"].tolist()
    geom = out.pop("geometry")
    out["geometry"] = geom
    return gpd.GeoDataFrame(out, geometry="geometry", crs=stations.crs), matches
