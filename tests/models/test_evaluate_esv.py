"""Ecosystem service value with the Xie 2003 / 2015 equivalents (methods.md §12.4)."""

from __future__ import annotations

import pandas as pd
import pytest

from landcarbon.core.errors import InputValidationError
from landcarbon.models.evaluate import esv as esv_mod


def test_unit_value_one_seventh_rule():
    crops = pd.DataFrame({"sown_area_ha": [100, 300], "price_CNY_per_kg": [2.5, 2.0], "yield_kg_per_ha": [7000, 5000]})
    # (100*2.5*7000 + 300*2*5000) / 400 / 7 = 4.75e6 / 400 / 7 = 1696.43 CNY/ha
    assert esv_mod.unit_value(crops) == pytest.approx(4.75e6 / 400 / 7)


def test_totals_match_methods():
    t03 = esv_mod.load_equivalents("2003").drop(columns=["type_cn", "tag"]).sum(axis=1)
    assert t03["forest"] == pytest.approx(21.85) and t03["water"] == pytest.approx(45.97)
    t15 = esv_mod.load_equivalents("2015").drop(columns=["type_cn", "tag"]).sum(axis=1)
    assert t15["water body"] == pytest.approx(125.61) and t15["dry farmland"] == pytest.approx(4.01)


def test_coefficients_and_change_by_hand():
    c = esv_mod.coefficients("2003", unit_value_CNY_per_ha=1000)
    assert c.per_ha["forest"] == pytest.approx(21850) and c.per_ha["built_up"] == 0
    c15 = esv_mod.coefficients("2015", unit_value_CNY_per_ha=1000, paddy_share=0.5)
    # cropland = 0.5 paddy (3.89) + 0.5 dry (4.01) = 3.95; grassland = mean(5.07, 11.43) = 8.25
    assert c15.per_ha["cropland"] == pytest.approx(3950) and c15.per_ha["grassland"] == pytest.approx(8250)
    a = pd.DataFrame({"group": ["cropland", "forest"], "area_ha": [10.0, 5.0]})
    b = pd.DataFrame({"group": ["cropland", "forest"], "area_ha": [8.0, 7.0]})
    ch = esv_mod.esv_change(a, b, c)
    # -2 ha x 6910 + 2 ha x 21850 = 29 880 CNY/a
    assert ch["change_CNY_per_yr"].sum() == pytest.approx(29880)


def test_paddy_share_required_for_2015_and_no_mixing():
    with pytest.raises(InputValidationError, match="paddy share"):
        esv_mod.coefficients("2015", unit_value_CNY_per_ha=1000)
    with pytest.raises(InputValidationError, match="mixes"):
        esv_mod.check_not_mixed(esv_mod.coefficients("2003", unit_value_CNY_per_ha=1),
                                esv_mod.coefficients("2015", unit_value_CNY_per_ha=1, paddy_share=0.2))
