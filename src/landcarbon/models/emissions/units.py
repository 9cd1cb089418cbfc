"""Activity units → the canonical physical unit (kg for solids/liquids, m³ for gases, kWh, GJ, ha),
Chinese statistical units included (万吨, 亿立方米, 亿千瓦时, 万亩 …)."""

from __future__ import annotations

from ...core.errors import UnitError

_MASS = {"kg": 1.0, "千克": 1.0, "公斤": 1.0, "t": 1e3, "吨": 1e3, "tonne": 1e3, "tonnes": 1e3, "ton": 1e3,
         "万吨": 1e7, "10^4t": 1e7, "1e4t": 1e7, "10⁴t": 1e7, "万t": 1e7, "亿吨": 1e11, "kt": 1e6, "千吨": 1e6,
         "mt": 1e9, "百万吨": 1e9}
_VOLUME = {"m3": 1.0, "m³": 1.0, "立方米": 1.0, "方": 1.0, "万立方米": 1e4, "10^4m3": 1e4, "1e4m3": 1e4,
           "万m3": 1e4, "万m³": 1e4, "10⁴m³": 1e4, "亿立方米": 1e8, "10^8m3": 1e8, "1e8m3": 1e8, "亿m3": 1e8,
           "亿m³": 1e8, "10⁸m³": 1e8}
_ELEC = {"kwh": 1.0, "千瓦时": 1.0, "度": 1.0, "万千瓦时": 1e4, "10^4kwh": 1e4, "1e4kwh": 1e4, "万kwh": 1e4,
         "亿千瓦时": 1e8, "10^8kwh": 1e8, "1e8kwh": 1e8, "亿kwh": 1e8, "mwh": 1e3, "gwh": 1e6, "twh": 1e9}
_HEAT = {"gj": 1.0, "百万千焦": 1.0, "tj": 1e3, "mj": 1e-3, "万百万千焦": 1e4, "10^4gj": 1e4, "万gj": 1e4}
_AREA = {"ha": 1.0, "hm2": 1.0, "hm²": 1.0, "公顷": 1.0, "千公顷": 1e3, "khm2": 1e3, "10^3ha": 1e3,
         "km2": 100.0, "km²": 100.0, "平方公里": 100.0, "亩": 1.0 / 15.0, "mu": 1.0 / 15.0, "万亩": 1e4 / 15.0}
_UNIT_KIND = {"kg": _MASS, "m3": _VOLUME, "kWh": _ELEC, "GJ": _HEAT, "ha": _AREA}


def _norm_unit(u: str) -> str:
    return str(u).strip().lower().replace(" ", "").replace("（", "(").replace("）", ")")


def unit_factor(unit: str, canonical: str, *, what: str = "amount") -> float:
    """Factor converting ``unit`` to the canonical physical unit (kg, m3, kWh, GJ or ha).

    Accepts Chinese statistical units (万吨, 亿立方米, 亿千瓦时, 万亩 …). UnitError names the accepted ones.
    """
    table = _UNIT_KIND[canonical]
    key = _norm_unit(unit)
    if key in table:
        return table[key]
    raise UnitError(f"{what}: unit {unit!r} is not understood; expected a unit of {canonical}: "
                    f"{', '.join(sorted(table))}")

