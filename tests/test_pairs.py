"""Programme registries and the pairs layer."""

import pytest

from countylink.errors import DataError, NotFoundError
from countylink.layers.counties import counties_layer
from countylink.layers.pairs import build_pairs, load_registry


@pytest.fixture(scope="module")
def counties(data_dir):
    return counties_layer(data=data_dir)


def test_shandong_programme(counties):
    p = build_pairs("shandong-2024", counties=counties)
    assert len(p) == 10
    assert p["status"].value_counts().to_dict() == {"named": 7, "confirmed": 1, "inferred": 2}
    inferred = p[p["status"] == "inferred"]
    assert set(inferred["helped_name"]) == {"峄城区", "高唐县"}
    assert inferred["helper_adcode"].isna().all() and inferred.geometry.isna().all()
    jimo = p.set_index("helped_adcode").loc["370406"]
    assert jimo["helper_name"] == "即墨区"
    # seed 000: 山亭 and 即墨 differ tenfold in GDP (years are stated with the ratio)
    assert 9 < jimo["gdp_ratio"] < 12 and jimo["gdp_ratio_years"] == "2022/2023"
    assert 250 < jimo["crowfly_km"] < 350
    line = jimo.geometry
    assert line.coords[0] == pytest.approx((jimo["helper_seat_lon"], jimo["helper_seat_lat"]))


def test_zhejiang_programme(counties):
    p = build_pairs("zhejiang-2023", counties=counties)
    assert len(p) == 18 and p.geometry.notna().all()
    assert p["gdp_ratio"].notna().all() and (p["gdp_ratio"] > 1).all()
    assert (p["helped_gdp_year"] == 2024).all()
    assert p["helper_gdp_source"].str.contains("Yearbook").all()
    assert set(p["helped_adcode"]) >= {"330329", "331127"}


def test_user_registry(tmp_path, counties):
    f = tmp_path / "mine.csv"
    f.write_text(
        "programme,helper_adcode,helper_name,helped_adcode,helped_name,status,source\n"
        "my-plan,330106,西湖区,330127,淳安县,named,planning note\n",
        encoding="utf-8",
    )
    reg = load_registry(path=f)
    p = build_pairs(counties=counties, registry=reg)
    assert len(p) == 1 and p.iloc[0]["helped_name"] == "淳安县"


HEADER = "programme,helper_adcode,helper_name,helped_adcode,helped_name,status,source\n"


@pytest.mark.parametrize(
    "body, message",
    [
        ("x,330106,a,339999,b,named,s\n", "unknown adcode"),
        ("x,330106,a,33012,b,named,s\n", "malformed adcode"),
        ("x,330106,a,330127,b,named,s\nx,330108,c,330127,b,named,s\n", "duplicated helped_adcode"),
        ("x,330106,a,330127,b,maybe,s\n", "unknown status"),
        ("x,330127,a,330127,b,named,s\n", "cannot help itself"),
    ],
)
def test_bad_registries(tmp_path, body, message):
    f = tmp_path / "r.csv"
    f.write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        load_registry(path=f)


def test_registry_missing_columns_and_unknown_programme(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("helper_adcode,helped_adcode\n330106,330127\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing column"):
        load_registry(path=f)
    with pytest.raises(NotFoundError, match="unknown programme"):
        load_registry("jiangsu-2099")
