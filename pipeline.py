"""The main job behind ``countylink run``.

A run is a list of steps. Each step takes the shared :class:`RunContext`,
builds one or more layers (GeoDataFrames or DataFrames) and stores them in
``ctx.layers``; later steps may read earlier layers. After all steps the
layers are written to the output directory (GeoJSON for geometry layers,
CSV for tables), plus ``summary.csv``.

Feature modules add their step to :data:`STEPS` as ``"module:function"``; a
step is skipped only when its inputs are absent (for example no road graph),
and it says so in ``ctx.notes``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass
class RunContext:
    """State shared by the steps of one run."""

    data_dir: Path
    out_dir: Path
    provinces: tuple[str, ...] = ("shandong", "zhejiang")
    programmes: tuple[str, ...] = ("shandong-2024", "zhejiang-2023")
    network: Any = None  # a networkx MultiDiGraph with travel_time, or None
    layers: dict[str, pd.DataFrame] = field(default_factory=dict)
    extra_files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    progress: Callable[[str], None] = print


Step = Callable[[RunContext], None]

# (layer-group name, "module:function"), run in this order.
STEPS: list[tuple[str, str]] = [
    ("counties", "countylink.layers.counties:run_step"),
    ("pairs", "countylink.layers.pairs:run_step"),
]


def load_step(spec: str) -> Step:
    """Import ``"package.module:function"`` and return the function."""
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)
