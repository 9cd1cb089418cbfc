"""节约集约用地评价 (methods.md §11): indicators, scores, weights, index and grade by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from landcarbon.core.errors import InputValidationError
from landcarbon.models.evaluate import evaluate_intensive
from landcarbon.models.evaluate.intensive import compute_indicators

ZONES = pd.DataFrame({
    "pop_t1": [100, 200], "pop_t2": [110, 210],
    "gdp_t1": [1000, 2000], "gdp_t2": [1200, 2100],
    "land_t1_ha": [10, 20], "land_t2_ha": [11, 23],
}, index=pd.Index(["A", "B"], name="zone"))


def test_indicators_by_hand():
    ind, flags = compute_indicators(ZONES)
    a, b = ind.loc["A"], ind.loc["B"]
    assert a.pop_density_person_per_km2 == pytest.approx(110 / 0.11)  # 1000 person/km2
    assert b.econ_intensity_1e4CNY_per_km2 == pytest.approx(2100 / 0.23)
    assert a.land_per_new_resident_m2_per_person == pytest.approx(10_000 / 10)  # 1 ha / 10 persons
    assert b.land_per_gdp_growth_m2_per_1e4CNY == pytest.approx(30_000 / 100)
    assert a.land_per_gdp_decline_pct == pytest.approx(100 * (1 - (11 / 1200) / (10 / 1000)))  # 8.333 %
    assert b.pei == pytest.approx(0.15 / 0.05) and a.eei == pytest.approx(0.1 / 0.2)
    assert any("B: population-land elasticity 3.000 > 1.12" in f for f in flags)


def test_entropy_default_and_grades():
    res = evaluate_intensive(ZONES)
    # A is better than B on every indicator: min-max scores 100 / 0; with 2 units each p = (1, 0),
    # e_j = 0, d_j = 1 -> equal entropy weights 1/7
    assert res.weights.tolist() == pytest.approx([1 / 7] * 7)
    assert res.composite.loc["A", "index"] == pytest.approx(100) and res.composite.loc["B", "index"] == 0
    assert res.composite.loc["A", "grade_zh"] == "高度集约" and res.composite.loc["B", "grade_zh"] == "粗放"
    assert res.scoring == "minmax" and res.weighting == "entropy"


def test_ideal_scoring_and_user_weights():
    z = ZONES[["pop_t2", "gdp_t2", "land_t2_ha"]]
    res = evaluate_intensive(z, weights={"pop_density_person_per_km2": 0.5, "econ_intensity_1e4CNY_per_km2": 0.5},
                             ideals={"pop_density_person_per_km2": 2000, "econ_intensity_1e4CNY_per_km2": 10_000})
    # A: pop 1000/2000 -> 50; econ 10909 >= 10000 -> 100 (capped); I = 0.5*50 + 0.5*100 = 75
    assert res.composite.loc["A", "index"] == pytest.approx(75)
    with pytest.raises(InputValidationError, match="sum to 0.9"):
        evaluate_intensive(z, weights={"pop_density_person_per_km2": 0.5, "econ_intensity_1e4CNY_per_km2": 0.4})


def test_undefined_indicator_is_flagged_not_zero():
    z = ZONES.copy()
    z.loc["B", "pop_t2"] = 190  # population falls in B: land per new resident and PEI undefined there
    res = evaluate_intensive(z)
    assert "land_per_new_resident_m2_per_person" not in res.weights.index and "pei" not in res.weights.index
    assert any("undefined" in f for f in res.flags)
