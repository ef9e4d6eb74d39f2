"""The layers of one run, as typed fields, and how they map to output files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from countylink.errors import NotFoundError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd


@dataclass
class RunLayers:
    """Every layer a run builds; a field stays None (or an empty dict) when its step did not run.

    Per-programme layers are dicts keyed by programme id, in the run's
    programme order. Output files are named after the fields
    (:meth:`output_files`): ``counties.geojson``, ``pairs_<programme>.geojson``,
    ``access_helped_<programme>.csv`` ...
    """

    counties: gpd.GeoDataFrame | None = None
    pairs: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    corridors: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    isochrones: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    stations: gpd.GeoDataFrame | None = None
    rail_lines: gpd.GeoDataFrame | None = None
    gaps: gpd.GeoDataFrame | None = None
    # the access step joins its columns onto gaps (or counties); these are its zonal tables
    access_stations: pd.DataFrame | None = None
    access_stations_crowfly: pd.DataFrame | None = None
    access_helped: dict[str, pd.DataFrame] = field(default_factory=dict)
    cost: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    assignment: dict[str, pd.DataFrame] = field(default_factory=dict)

    def named_layers(self) -> list[tuple[str, pd.DataFrame]]:
        """(layer name, layer) for every built layer, in the order the files are listed in ``summary.csv``."""
        items: list[tuple[str, pd.DataFrame | None]] = [("counties", self.counties)]
        items += [(f"pairs_{p}", layer) for p, layer in self.pairs.items()]
        items += [(f"corridors_{p}", layer) for p, layer in self.corridors.items()]
        items += [(f"isochrones_{p}", layer) for p, layer in self.isochrones.items()]
        items += [("stations", self.stations), ("rail_lines", self.rail_lines), ("gaps", self.gaps)]
        items += [("access_stations", self.access_stations), ("access_stations_crowfly", self.access_stations_crowfly)]
        items += [(f"access_helped_{p}", layer) for p, layer in self.access_helped.items()]
        for p in dict.fromkeys([*self.cost, *self.assignment]):
            items += [(f"cost_{p}", self.cost.get(p)), (f"assignment_{p}", self.assignment.get(p))]
        return [(name, layer) for name, layer in items if layer is not None]

    def output_files(self) -> list[tuple[str, pd.DataFrame]]:
        """(file name, layer) to write: GeoJSON for layers with geometry, CSV for tables."""
        import geopandas as gpd

        files = []
        for name, layer in self.named_layers():
            is_geo = isinstance(layer, gpd.GeoDataFrame) and layer.geometry.name in layer.columns
            files.append((f"{name}.geojson" if is_geo and layer.geometry.notna().any() else f"{name}.csv", layer))
        return files


def read_run_layers(folder: str | Path, programmes: tuple[str, ...]) -> RunLayers:
    """The map layers a ``countylink run`` wrote into ``folder`` (counties, pairs, rail, gaps, corridors, freight cost).

    Raises
    ------
    NotFoundError
        If ``folder`` is missing or has no ``counties.geojson``.
    """
    import geopandas as gpd
    import pandas as pd

    folder = Path(folder)
    if not folder.is_dir():
        raise NotFoundError(f"run output folder not found: {folder}")

    def read(name: str) -> gpd.GeoDataFrame | None:
        path = folder / f"{name}.geojson"
        if not path.exists():
            return None
        layer = gpd.read_file(path)
        # GeoJSON readers turn adcodes into numbers; they are 6-character codes
        for col in [c for c in layer.columns if c == "adcode" or c.endswith("_adcode")]:
            layer[col] = layer[col].map(lambda v: None if v is None or v != v else str(v).split(".")[0])
        return layer

    counties = read("counties")
    if counties is None:
        raise NotFoundError(f"{folder} has no counties.geojson (is it a countylink run folder?)")
    pairs = {p: layer for p in programmes if (layer := read(f"pairs_{p}")) is not None}
    corridors = {p: layer for p in programmes if (layer := read(f"corridors_{p}")) is not None}
    cost = {p: layer for p in programmes if (layer := read(f"cost_{p}")) is not None}
    assignment = {}
    for p in programmes:
        path = folder / f"assignment_{p}.csv"
        if path.exists():
            table = pd.read_csv(path, dtype=str)
            assignment[p] = (
                table.assign(changed=table["changed"].str.lower().eq("true")) if "changed" in table else table
            )
    return RunLayers(
        counties=counties,
        pairs=pairs,
        corridors=corridors,
        stations=read("stations"),
        rail_lines=read("rail_lines"),
        gaps=read("gaps"),
        cost=cost,
        assignment=assignment,
    )
