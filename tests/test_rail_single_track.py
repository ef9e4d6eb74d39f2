"""Corridor files hold both tracks: every corridor is counted once (route length, not track length)."""

import geopandas as gpd
import pytest

from countylink.accessibility.rail import lines as rl
from countylink.accessibility.rail.single_track import collapse_parallel_tracks
from countylink.geo.boundaries import load_counties
from countylink.geo.crs import CHINA_ALBERS


def _km(geom) -> float:
    return float(gpd.GeoSeries([geom], crs=4326).to_crs(CHINA_ALBERS).length.iloc[0] / 1000.0)


def test_jinghu_hsr_is_route_length_not_twice_it(data_dir):
    raw = gpd.read_file(data_dir / "rail" / "hsr_corridors" / "jinghu_hsr.json").geometry.union_all()
    one = collapse_parallel_tracks(raw)
    # 京沪高铁 is 1,318 km from Beijing South to Shanghai Hongqiao (outside knowledge: China Railway);
    # the file holds both tracks, about twice that
    assert 1.9 < _km(raw) / _km(one) < 2.1
    assert 1250 < _km(one) < 1360


def test_corridor_layer_and_county_lengths_use_the_route(data_dir):
    corridors = rl.read_corridors(data=data_dir).set_index("line_name")
    assert 1250 < _km(corridors.at["京沪高铁", "geometry"]) < 1360
    counties = load_counties(("zhejiang", "shandong"))
    per_county = rl.lines_in_counties(rl.read_pack_lines(data=data_dir), counties)
    # 龙游 330825: 沪昆高铁 runs about 25 km through the county (49 km when both tracks were summed)
    assert per_county.at["330825", "hsr_line_km"] == pytest.approx(25, abs=4)
    # 台儿庄 / 峄城 are crossed by 京沪高铁 only: a few km of route, no freight line
    for code in ("370405", "370404"):
        assert 3 < per_county.at[code, "hsr_line_km"] < 8
        assert per_county.at[code, "freight_line_km"] == 0


def test_collapsed_corridors_are_cached_by_file_content(data_dir, tmp_path, monkeypatch):
    """The second read takes the single-track lines from the cache, equal to the computed ones."""
    monkeypatch.setenv("COUNTYLINK_CACHE", str(tmp_path))
    first = rl.read_corridors(data=data_dir)
    cached = sorted((tmp_path / "rail").glob("single_track_*_v*.wkb"))
    assert len(cached) == len(first)

    def fail(*args, **kwargs):
        raise AssertionError("collapsed again despite the cache")

    monkeypatch.setattr(rl, "collapse_parallel_tracks", fail)
    second = rl.read_corridors(data=data_dir)
    assert second.geometry.geom_equals_exact(first.geometry, tolerance=0).all()
