"""Unit conversions (methods.md §1.1)."""

from __future__ import annotations

import numpy as np
import pytest

from landcarbon.core import units
from landcarbon.core.errors import UnitError
from landcarbon.core.units import (
    C_PER_CO2,
    CO2_PER_C,
    c_to_co2,
    co2_to_c,
    density_factor,
    price_per_tc,
    price_per_tco2,
)


def test_co2_ratio_is_exact():
    assert CO2_PER_C == 44 / 12
    assert CO2_PER_C != 3.67  # never the rounded form
    assert C_PER_CO2 * CO2_PER_C == pytest.approx(1.0, abs=1e-15)
    assert c_to_co2(12.0) == pytest.approx(44.0, rel=1e-15)
    assert co2_to_c(44.0) == pytest.approx(12.0, rel=1e-15)
    np.testing.assert_allclose(c_to_co2(np.array([3.0, 6.0])), [11.0, 22.0], rtol=1e-15)


def test_area_constants():
    assert units.M2_PER_HA == 10_000
    assert units.HA_PER_KM2 == 100
    assert units.HA_PER_MU * 15 == pytest.approx(1.0)  # 1 mu = 1/15 ha


def test_carbon_prices():
    # methods.md §2.1: CEA 2023 close 79.42 CNY/t CO2 = 291.21 CNY/t C
    assert price_per_tc(79.42, "CNY/t CO2") == pytest.approx(291.2067, abs=1e-4)
    assert round(price_per_tc(79.42, "CNY/tCO2"), 2) == 291.21
    assert price_per_tc(100.0, "CNY/t C") == 100.0
    assert price_per_tco2(291.2066666, "CNY/t C") == pytest.approx(79.42, abs=1e-6)
    assert price_per_tco2(79.42, "元/tCO2") == pytest.approx(79.42)
    with pytest.raises(UnitError, match="CNY/t CO2"):
        price_per_tc(50.0, "USD/t")


@pytest.mark.parametrize("unit,factor", [
    ("Mg C/ha", 1.0), ("t C/ha", 1.0), ("t/hm²", 1.0), ("T/HM2", 1.0), ("Mg/ha", 1.0),
    ("kg C/m2", 10.0), ("kg/m²", 10.0), ("g C/m2", 0.01), (" Mg  C/ha ", 1.0),
])
def test_density_units(unit, factor):
    # 1 kg/m2 = 10 000 kg/ha = 10 t/ha; 1 g/m2 = 0.01 t/ha
    assert density_factor(unit) == factor


def test_unknown_density_unit_lists_the_accepted_ones():
    with pytest.raises(UnitError) as ei:
        density_factor("lb/acre")
    assert "lb/acre" in str(ei.value) and "Mg C/ha" in str(ei.value)
    with pytest.raises(ValueError):  # UnitError is a ValueError
        density_factor("t CO2/ha")
