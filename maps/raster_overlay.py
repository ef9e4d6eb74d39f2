"""Travel-time surfaces as an optional image layer of the pairing maps (offline).

Why one module of this size: warping, classing, colouring and placing one picture on the map are
one georeferencing chain; split, each part would be checked only through the others.

The raster step (:mod:`countylink.layers.access`) writes travel-time surfaces
as GeoTIFF in a projected CRS (``access_stations_<code>.tif``, and
``access_stations_crowfly_<code>.tif`` for the crow-fly drive estimate).
This module draws them on a Folium map as a classed, semi-transparent picture.

Georeferencing. Leaflet places an ``L.imageOverlay`` by the latitude/longitude
of two corners and stretches the picture linearly between them in Web
Mercator pixels. So the surface is warped to EPSG:3857 first (nearest
neighbour on the class numbers, so no class is invented at a class boundary)
and the overlay bounds are the lon/lat of the corners of that 3857 grid: each
image pixel then lands exactly where its 3857 cell is. (Giving the surface's
own lon/lat bounds to an unwarped picture misplaces it by kilometres.)

Display choices, stated in the legend: minutes classed by ``breaks``
(default 0–30, 30–60, 60–120, 120–240, > 240 min), nodata transparent,
cells no target can reach (``inf``) in their own colour; the picture is an
indexed PNG embedded as a ``data:`` URI (no file beside the map, no network),
at most ``max_side`` pixels on its longer side (coarser cells are used above
that, and the legend says so), so a map stays a few MB.
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import folium
import numpy as np
import pyproj
import rasterio.crs
import rasterio.errors
from affine import Affine
from branca.element import MacroElement
from jinja2 import Template
from rasterio.warp import Resampling, calculate_default_transform, reproject

from countylink.errors import CountylinkError, DataError
from countylink.geo.raster import RasterSurface, read_surface
from countylink.methods import Method, describe

#: Upper class bounds in minutes (a last open class ``> breaks[-1]`` follows).
DEFAULT_BREAKS_MIN: tuple[float, ...] = (30.0, 60.0, 120.0, 240.0)
#: Short → long: green → yellow → red (ColorBrewer RdYlGn reversed), one colour per default class,
#: distinct from the counties' YlGnBu shading.
TRAVEL_TIME_COLOURS: tuple[str, ...] = ("#1a9850", "#a6d96a", "#fee08b", "#f46d43", "#a50026")
UNREACHED_COLOUR = "#4d4d4d"
#: Longest side of the embedded picture, in pixels.
MAX_IMAGE_SIDE = 1024
DEFAULT_OPACITY = 0.7
#: Leaflet pane of the surfaces: above the vector layers' SVG (400) so county fills do not hide
#: them, below markers (600), and click-through so pair lines stay clickable.
PANE = "clTravelTime"
PANE_Z_INDEX = 450
WEB_MERCATOR = "EPSG:3857"

#: short layer-control names where :func:`countylink.methods.describe` is not the right words:
#: a crow-fly *surface* is a uniform-speed drive estimate, not a straight line between two points
METHOD_LABELS: dict[Method, str] = {Method.CROWFLY_ESTIMATE: "crow-fly drive estimate"}
TARGET_LABELS = {"stations": "passenger station", "hsr": "high-speed rail station", "seats": "county seat"}

_TO_LONLAT = pyproj.Transformer.from_crs(WEB_MERCATOR, "EPSG:4326", always_xy=True)
_TO_MERCATOR = pyproj.Transformer.from_crs("EPSG:4326", WEB_MERCATOR, always_xy=True)
_SURFACE_FILE = re.compile(r"^access_.*\.tif{1,2}$", re.IGNORECASE)


@dataclass(frozen=True)
class SurfaceImage:
    """A travel-time surface classed and warped to Web Mercator, ready for Leaflet.

    ``classes`` holds, per picture pixel, ``-1`` for nodata, ``0 .. len(breaks)``
    for the minute classes and ``len(breaks) + 1`` for unreached cells.
    ``bounds`` is ``((south, west), (north, east))`` in degrees, the corners of
    the EPSG:3857 grid ``transform`` (shifted to GCJ-02 when asked).
    """

    classes: np.ndarray
    transform: Affine
    bounds: tuple[tuple[float, float], tuple[float, float]]
    breaks: tuple[float, ...]
    colours: tuple[str, ...]
    method: str
    units: str
    target: str
    resolution_m: float
    display_cell_m: float
    downsampled: bool
    gcj02: bool

    @property
    def shape(self) -> tuple[int, int]:
        return self.classes.shape

    def class_labels(self) -> list[str]:
        """``["< 30 min", "30–60 min", ..., "> 240 min", "not reached"]``."""
        b = [f"{x:g}" for x in self.breaks]
        labels = [f"< {b[0]} min"] + [f"{lo}–{hi} min" for lo, hi in zip(b, b[1:])] + [f"> {b[-1]} min"]
        return [*labels, "not reached"]

    def rgba(self) -> np.ndarray:
        """The picture as an ``(height, width, 4)`` uint8 array (nodata: alpha 0)."""
        lut = np.zeros((len(self.colours) + 1, 4), dtype=np.uint8)
        for i, colour in enumerate(self.colours):
            lut[i + 1] = (*_hex_rgb(colour), 255)
        return lut[self.classes.astype(np.int16) + 1]

    def png(self) -> bytes:
        """An indexed (palette) PNG with a transparent nodata index."""
        from PIL import Image

        index = (self.classes.astype(np.int16) + 1).astype(np.uint8)
        img = Image.frombytes("P", (index.shape[1], index.shape[0]), np.ascontiguousarray(index).tobytes())
        palette = [0, 0, 0]
        for colour in self.colours:
            palette.extend(_hex_rgb(colour))
        img.putpalette(palette)
        buf = io.BytesIO()
        img.save(buf, format="PNG", optimize=True, transparency=bytes([0] + [255] * len(self.colours)))
        return buf.getvalue()

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png()).decode("ascii")

    def lonlat_to_pixel(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the picture pixel under WGS-84 points (as Leaflet draws it; no GCJ shift)."""
        x, y = _TO_MERCATOR.transform(np.asarray(lon, float), np.asarray(lat, float))
        inv = ~self.transform
        cols, rows = inv @ (np.asarray(x), np.asarray(y))
        return np.floor(rows).astype(int), np.floor(cols).astype(int)


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def as_travel_time_surface(surface: RasterSurface | str | os.PathLike) -> RasterSurface:
    """A :class:`RasterSurface` of minutes from a surface or a GeoTIFF path.

    GeoTIFFs written by :func:`countylink.geo.raster.write_geotiff`
    carry ``kind``/``units``/``method`` tags; a user GeoTIFF without them is
    taken as minutes with method ``unknown``.

    Raises
    ------
    CountylinkError
        If the file is missing or unreadable, has no CRS, or holds a friction
        (or other non-travel-time) surface.
    """
    if not isinstance(surface, RasterSurface):
        path = Path(surface)
        if not path.is_file():
            raise CountylinkError(f"travel-time surface not found: {path}")
        try:
            surface = read_surface(path)
        except rasterio.errors.RasterioIOError as exc:
            raise DataError(f"{path} is not a readable GeoTIFF ({exc})") from exc
    if surface.kind not in ("travel_time", "unknown"):
        raise DataError(f"a travel-time surface is needed, got a {surface.kind} surface ({surface.units})")
    if surface.units not in ("min", ""):
        raise DataError(f"travel-time surfaces must be in minutes, got {surface.units!r}")
    if surface.values.ndim != 2 or surface.values.size == 0:
        raise DataError("the travel-time surface is empty")
    return surface


def classify_minutes(values: np.ndarray, breaks: Sequence[float] = DEFAULT_BREAKS_MIN) -> np.ndarray:
    """Class number per cell: ``-1`` nodata (NaN), ``i`` for ``breaks[i-1] <= v < breaks[i]``,
    ``len(breaks)`` above the last break, ``len(breaks) + 1`` for ``inf`` (not reached)."""
    b = np.asarray(breaks, dtype=float)
    if b.ndim != 1 or len(b) == 0 or np.any(np.diff(b) <= 0) or b[0] <= 0:
        raise CountylinkError(f"travel-time breaks must be positive and increasing, got {list(breaks)}")
    v = np.asarray(values, dtype=float)
    out = np.digitize(np.where(np.isfinite(v), v, 0.0), b, right=False).astype(np.int8)
    out[np.isposinf(v)] = len(b) + 1
    out[np.isnan(v) | np.isneginf(v)] = -1
    return out


def surface_image(
    surface: RasterSurface | str | os.PathLike,
    *,
    breaks: Sequence[float] = DEFAULT_BREAKS_MIN,
    colours: Sequence[str] | None = None,
    max_side: int = MAX_IMAGE_SIDE,
    gcj02: bool = False,
) -> SurfaceImage:
    """Class a travel-time surface and warp it to Web Mercator for an image overlay.

    Parameters
    ----------
    surface
        A travel-time :class:`RasterSurface` (minutes) or a GeoTIFF path.
    breaks
        Upper class bounds in minutes.
    colours
        ``len(breaks) + 2`` colours (classes, then "not reached"); default
        :data:`TRAVEL_TIME_COLOURS` + :data:`UNREACHED_COLOUR`.
    max_side
        Longest side of the picture in pixels; larger surfaces get coarser
        display cells (nearest neighbour).
    gcj02
        Shift the bounds WGS-84 → GCJ-02 (to sit on AMap tiles, like the
        vector layers); the offset at the picture's centre is used for the
        whole picture (it varies by far less than a display cell).

    Returns
    -------
    SurfaceImage
    """
    surface = as_travel_time_surface(surface)
    breaks = tuple(float(b) for b in breaks)
    classes = classify_minutes(surface.values, breaks)
    if colours is None:
        n = len(breaks) + 1
        colours = (*(TRAVEL_TIME_COLOURS if n == len(TRAVEL_TIME_COLOURS) else _spread(n)), UNREACHED_COLOUR)
    colours = tuple(colours)
    if len(colours) != len(breaks) + 2:
        raise CountylinkError(f"{len(breaks) + 2} colours needed for {len(breaks)} breaks (classes + 'not reached')")
    if max_side < 16:
        raise CountylinkError("max_side must be at least 16 pixels")
    grid = surface.grid
    src_crs = rasterio.crs.CRS.from_wkt(grid.crs.to_wkt())
    left, bottom, right, top = grid.bounds
    dst_transform, width, height = calculate_default_transform(
        src_crs, WEB_MERCATOR, grid.width, grid.height, left, bottom, right, top
    )
    downsampled = max(width, height) > max_side
    if downsampled:
        cell = abs(dst_transform.a) * max(width, height) / max_side
        dst_transform, width, height = calculate_default_transform(
            src_crs, WEB_MERCATOR, grid.width, grid.height, left, bottom, right, top, resolution=cell
        )
        while max(width, height) > max_side:  # rounding up of the extent
            cell *= 1.01
            dst_transform, width, height = calculate_default_transform(
                src_crs, WEB_MERCATOR, grid.width, grid.height, left, bottom, right, top, resolution=cell
            )
    index = np.zeros((height, width), dtype=np.uint8)  # 0 = nodata, class + 1 otherwise
    reproject(
        source=(classes.astype(np.int16) + 1).astype(np.uint8),
        destination=index,
        src_transform=grid.transform,
        src_crs=src_crs,
        src_nodata=0,
        dst_transform=dst_transform,
        dst_crs=WEB_MERCATOR,
        dst_nodata=0,
        resampling=Resampling.nearest,
    )
    out_classes = index.astype(np.int8) - 1
    west, north = dst_transform @ (0, 0)
    east, south = dst_transform @ (width, height)
    (lon_w, lon_e), (lat_s, lat_n) = _TO_LONLAT.transform([west, east], [south, north])
    if gcj02:
        from countylink.geo.coords import wgs84_to_gcj02

        clon, clat = (lon_w + lon_e) / 2, (lat_s + lat_n) / 2
        glon, glat = wgs84_to_gcj02(np.array([clon]), np.array([clat]))
        dlon, dlat = float(glon[0]) - clon, float(glat[0]) - clat
        lon_w, lon_e, lat_s, lat_n = lon_w + dlon, lon_e + dlon, lat_s + dlat, lat_n + dlat
    # display cell size on the ground at the centre (3857 metres shrink by cos(lat))
    ground = abs(dst_transform.a) * np.cos(np.radians((lat_s + lat_n) / 2))
    return SurfaceImage(
        classes=out_classes,
        transform=dst_transform,
        bounds=((float(lat_s), float(lon_w)), (float(lat_n), float(lon_e))),
        breaks=breaks,
        colours=colours,
        method=surface.method,
        units=surface.units or "min",
        target=surface.tags.get("target", ""),
        resolution_m=float(grid.resolution[0]),
        display_cell_m=float(ground),
        downsampled=downsampled,
        gcj02=gcj02,
    )


def _spread(n: int) -> list[str]:
    """``n`` colours along :data:`TRAVEL_TIME_COLOURS` (linear in RGB)."""
    base = np.array([_hex_rgb(c) for c in TRAVEL_TIME_COLOURS], dtype=float)
    pos = np.linspace(0, len(base) - 1, n)
    lo = np.floor(pos).astype(int).clip(0, len(base) - 2)
    rgb = base[lo] + (pos - lo)[:, None] * (base[lo + 1] - base[lo])
    return ["#{:02x}{:02x}{:02x}".format(*tuple(int(round(v)) for v in row)) for row in rgb]


class _Pane(MacroElement):
    """A Leaflet pane for the travel-time pictures (see :data:`PANE`)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        if (!{{ this._parent.get_name() }}.getPane({{ this.name|tojson }})) {
            var p = {{ this._parent.get_name() }}.createPane({{ this.name|tojson }});
            p.style.zIndex = {{ this.z_index }};
            p.style.pointerEvents = 'none';
        }
        {% endmacro %}
        """
    )

    def __init__(self, name: str, z_index: int):
        super().__init__()
        self._name = "TravelTimePane"
        self.name, self.z_index = name, int(z_index)


def surface_lonlat_bounds(surface: RasterSurface | str | os.PathLike) -> tuple[float, float, float, float]:
    """``(west, south, east, north)`` of a surface's grid in WGS-84 degrees."""
    from rasterio.warp import transform_bounds

    surface = as_travel_time_surface(surface)
    crs = rasterio.crs.CRS.from_wkt(surface.grid.crs.to_wkt())
    west, south, east, north = transform_bounds(crs, "EPSG:4326", *surface.grid.bounds, densify_pts=21)
    return float(west), float(south), float(east), float(north)


def surface_title(method: str, target: str) -> str:
    """Layer-control name, for example ``"Travel time to passenger station — crow-fly drive estimate"``."""
    what = TARGET_LABELS.get(target, target or "target")
    return f"Travel time to {what} — {method_label(method)}"


def method_label(method: str) -> str:
    """Human name of a surface's method: :data:`METHOD_LABELS`, else :func:`countylink.methods.describe`."""
    try:
        return METHOD_LABELS[Method(method)]
    except (KeyError, ValueError):
        return describe(method)


def add_travel_time_layers(
    parent: folium.Map,
    surfaces: Iterable[RasterSurface | str | os.PathLike],
    *,
    breaks: Sequence[float] = DEFAULT_BREAKS_MIN,
    opacity: float = DEFAULT_OPACITY,
    max_side: int = MAX_IMAGE_SIDE,
    gcj02: bool = False,
    bbox: tuple[float, float, float, float] | None = None,
    show: bool = False,
) -> tuple[list[folium.FeatureGroup], list[str]]:
    """Add travel-time surfaces to a map, one layer-control entry per method and target.

    Surfaces of the same method and target (one per province) share a layer;
    each picture is an ``<img class="leaflet-image-layer cl-travel-time ...">``.

    Parameters
    ----------
    parent
        The :class:`folium.Map`.
    surfaces
        Travel-time surfaces or GeoTIFF paths.
    breaks, max_side, gcj02
        See :func:`surface_image`.
    opacity
        Picture opacity (the vector layers stay visible beneath).
    bbox
        ``(minx, miny, maxx, maxy)`` in degrees: surfaces wholly outside are left out.
    show
        Whether the layers are on when the map opens (default off).

    Returns
    -------
    (groups, legend rows)
        The FeatureGroups added and HTML legend rows (empty when nothing was drawn).
    """
    images: list[SurfaceImage] = []
    for s in surfaces:
        img = surface_image(s, breaks=breaks, max_side=max_side, gcj02=gcj02)
        (south, west), (north, east) = img.bounds
        if bbox is not None and (east < bbox[0] or west > bbox[2] or north < bbox[1] or south > bbox[3]):
            continue
        if not (img.classes >= 0).any():
            continue
        images.append(img)
    if not images:
        return [], []
    if PANE not in {getattr(c, "name", None) for c in parent._children.values() if isinstance(c, _Pane)}:
        parent.add_child(_Pane(PANE, PANE_Z_INDEX))
    by_layer: dict[tuple[str, str], list[SurfaceImage]] = {}
    for img in images:
        by_layer.setdefault((img.method, img.target), []).append(img)
    groups, notes = [], []
    for (method, target), imgs in by_layer.items():
        group = folium.FeatureGroup(name=surface_title(method, target), show=show)
        for img in imgs:
            folium.raster_layers.ImageOverlay(
                img.data_uri(),
                bounds=[list(img.bounds[0]), list(img.bounds[1])],
                opacity=opacity,
                pixelated=True,
                control=False,
                pane=PANE,
                className=f"cl-travel-time cl-travel-time-{method}",
                alt=surface_title(method, target),
            ).add_to(group)
        group.add_to(parent)
        groups.append(group)
        res = sorted({f"{i.resolution_m:g}" for i in imgs})
        display = max(i.display_cell_m for i in imgs)
        shrunk = any(i.downsampled for i in imgs)
        notes.append(
            f"<div class='note'><b>{html.escape(surface_title(method, target))}</b>: method "
            f"<code>{html.escape(method)}</code>, {'/'.join(res)} m cells"
            + (f", shown at about {display:,.0f} m (picture at most {max_side} px)" if shrunk else "")
            + f"; {len(imgs)} surface{'s' if len(imgs) > 1 else ''}.</div>"
        )
    first = images[0]
    units = html.escape(first.units)
    rows = [f"<h4>Travel-time surface ({units}) — off by default, see layer control</h4>"]
    used = set().union(*(set(np.unique(i.classes).tolist()) for i in images))
    for k, (colour, label) in enumerate(zip(first.colours, first.class_labels())):
        if k == len(first.breaks) + 1 and k not in used:
            continue  # "not reached" only when some cell is
        rows.append(f"<div><span class='swatch' style='background:{colour};opacity:{opacity:g}'></span>{label}</div>")
    rows.append(
        "<div><span class='swatch' style='background:none'></span>no data (outside the study area): transparent</div>"
    )
    rows.extend(notes)
    rows.append(
        "<div class='note'>Surfaces warped to Web Mercator for display (nearest neighbour); "
        + ("bounds shifted WGS-84 → GCJ-02; " if gcj02 else "")
        + "computed by countylink's raster step (friction surface + cost distance).</div>"
    )
    return groups, rows


def surface_files(folder: str | os.PathLike) -> list[Path]:
    """Travel-time GeoTIFFs of a run folder (``access_*.tif``), crow-fly drive estimates first."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CountylinkError(f"run output folder not found: {folder}")
    return order_surface_files(p for p in folder.iterdir() if p.is_file() and _SURFACE_FILE.match(p.name))


def order_surface_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Paths sorted crow-fly drive estimates first (the drive answer when there is no road graph), then by name."""
    return sorted((Path(p) for p in paths), key=lambda p: ("crowfly" not in p.name, p.name))


def is_surface_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is named like a travel-time surface of the raster step."""
    return bool(_SURFACE_FILE.match(Path(path).name))


__all__ = [
    "DEFAULT_BREAKS_MIN",
    "MAX_IMAGE_SIDE",
    "SurfaceImage",
    "add_travel_time_layers",
    "as_travel_time_surface",
    "classify_minutes",
    "is_surface_file",
    "method_label",
    "order_surface_files",
    "surface_files",
    "surface_image",
    "surface_lonlat_bounds",
    "surface_title",
]
