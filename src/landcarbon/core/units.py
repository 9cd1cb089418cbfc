"""Canonical units and the only conversions landcarbon performs (methods.md §1.1).

The carbon ↔ CO2 mass ratio 44/12 is defined here and nowhere else.
"""

from __future__ import annotations

from fractions import Fraction

from .errors import UnitError

#: t CO2 per t C (molar masses 44 and 12). The only place this ratio appears in the code.
CO2_PER_C: float = float(Fraction(44, 12))
#: t C per t CO2
C_PER_CO2: float = 1.0 / CO2_PER_C

M2_PER_HA = 10_000.0
HA_PER_KM2 = 100.0
HA_PER_MU = 1.0 / 15.0

#: carbon density units accepted in a pools table, as a factor to Mg C/ha
DENSITY_TO_MgC_PER_HA: dict[str, float] = {
    "mg c/ha": 1.0,
    "mgc/ha": 1.0,
    "t c/ha": 1.0,
    "tc/ha": 1.0,
    "t/ha": 1.0,
    "mg/ha": 1.0,
    "t/hm2": 1.0,
    "t/hm²": 1.0,
    "mg c/hm2": 1.0,
    "kg c/m2": 10.0,
    "kg/m2": 10.0,
    "kg c/m²": 10.0,
    "kg/m²": 10.0,
    "g c/m2": 0.01,
    "g/m2": 0.01,
    "g c/m²": 0.01,
    "g/m²": 0.01,
}


def c_to_co2(t_c):
    """Convert a carbon mass (t C) to CO2 mass (t CO2)."""
    return t_c * CO2_PER_C


def co2_to_c(t_co2):
    """Convert a CO2 mass (t CO2) to carbon mass (t C)."""
    return t_co2 * C_PER_CO2


def price_per_tc(value: float, unit: str) -> float:
    """A carbon price in CNY per t C, from a value in ``CNY/t CO2`` or ``CNY/t C``."""
    u = unit.replace(" ", "").lower()
    if u in ("cny/tco2", "yuan/tco2", "元/tco2", "cny/tco2e"):
        return value * CO2_PER_C
    if u in ("cny/tc", "yuan/tc", "元/tc"):
        return float(value)
    raise UnitError(
        f"carbon price unit {unit!r} is not understood; expected 'CNY/t CO2' or 'CNY/t C'"
    )


def price_per_tco2(value: float, unit: str) -> float:
    """A carbon price in CNY per t CO2, from a value in ``CNY/t CO2`` or ``CNY/t C``."""
    return price_per_tc(value, unit) * C_PER_CO2


def density_factor(unit: str) -> float:
    """Factor that converts a carbon-density unit to Mg C/ha; UnitError names the accepted units."""
    key = " ".join(unit.strip().lower().replace("·", "").split())
    if key in DENSITY_TO_MgC_PER_HA:
        return DENSITY_TO_MgC_PER_HA[key]
    raise UnitError(
        f"carbon density unit {unit!r} is not understood; expected Mg C/ha (= t C/ha = t/hm²) "
        f"or one of: {', '.join(sorted(set(DENSITY_TO_MgC_PER_HA)))}"
    )
