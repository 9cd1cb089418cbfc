"""Carbon balance, zoning and compensation (methods.md §4, §6.4): hand-computed checks and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from landcarbon.core.errors import InputValidationError, UnitError
from landcarbon.core.units import CO2_PER_C
from landcarbon.models import balance as B
from landcarbon.models import coefficients as C
from landcarbon.models import compensation as K


def _two_zones():
    em = pd.DataFrame({"zone": ["A", "B"], "year": [2020, 2020], "emission_tCO2e": [100.0, 50.0],
                       "absorption_tCO2": [10.0, 40.0]})
    se = B.prepare_socioeconomic(pd.DataFrame({"zone": ["A", "B"], "year": [2020, 2020],
                                               "gdp_1e4CNY": [60.0, 40.0], "population": [1000, 500],
                                               "engel": [0.30, 0.40]}))
    return B.prepare_emissions(em), se


def test_balance_by_hand():
    em, se = _two_zones()
    b = B.carbon_balance(em, se, price_cny_per_tco2=79.42).set_index("zone")
    # totals: CE 150, CA 50, G 100; NCE_A = 90, NCE_B = 10
    assert b.loc["A", "NCE_tCO2e"] == 90 and b.loc["B", "NCE_tCO2e"] == 10
    # CCR_A = 10/100 = 0.1, CCR_B = 40/50 = 0.8; CCR_R = 50/150 = 1/3
    assert b.loc["A", "CCR"] == pytest.approx(0.1) and b.loc["B", "CCR"] == pytest.approx(0.8)
    assert b.loc["A", "CCR_region"] == pytest.approx(1 / 3)
    # r_A = 0.3 < 0.8 -> payment; r_B = 2.4 > 1.2 -> receiving
    assert b.loc["A", "CCR_relative"] == pytest.approx(0.3)
    assert b.loc["A", "zone_balance3"] == "payment" and b.loc["B", "zone_balance3"] == "receiving"
    assert b.loc["A", "zone_balance3_zh"] == "支付区"
    # ECC_A = (60/100)/(100/150) = 0.9, ECC_B = (40/100)/(50/150) = 1.2
    assert b.loc["A", "ECC"] == pytest.approx(0.9) and b.loc["B", "ECC"] == pytest.approx(1.2)
    # ESC_A = (10/50)/(100/150) = 0.3, ESC_B = (40/50)/(50/150) = 2.4
    assert b.loc["A", "ESC"] == pytest.approx(0.3) and b.loc["B", "ESC"] == pytest.approx(2.4)
    assert b.loc["A", "zone_quadrant"] == "high_carbon_optimisation"
    assert b.loc["B", "zone_quadrant"] == "low_carbon_maintenance"
    # intensities: CI_A = 100/60 t per 10^4 CNY; per capita A = 100/1000 t/person
    assert b.loc["A", "CI_tCO2e_per_1e4CNY"] == pytest.approx(100 / 60)
    assert b.loc["A", "per_capita_tCO2e"] == pytest.approx(0.1)
    # V_A = 90 x 79.42 = 7 147.8 CNY
    assert b.loc["A", "value_CNY"] == pytest.approx(7147.8)
    # allowance: θ_A = NCE x G_A/G = 100 x 0.6 = 60 -> (90 - 60) x 79.42 = 2 382.6; θ_B = 40 -> -2 382.6
    assert b.loc["A", "value_allowance_CNY"] == pytest.approx(2382.6)
    assert b["value_allowance_CNY"].sum() == pytest.approx(0.0, abs=1e-9)
    t = K.transfers(b["value_allowance_CNY"])
    assert t.to_dict("records") == [{"payer": "A", "receiver": "B", "amount_CNY": pytest.approx(2382.6)}]


def test_pearl_factor_published_values():
    # methods.md §4.3 [C]: En = 0.30 -> L = 0.583; En = 0.40 -> L = 0.378
    assert B.pearl_factor([0.30, 0.40]) == pytest.approx([0.583, 0.378], abs=5e-4)
    em, se = _two_zones()
    b = B.carbon_balance(em, se, pearl=True).set_index("zone")
    assert b.loc["A", "value_pearl_CNY"] == pytest.approx(b.loc["A", "value_allowance_CNY"] * B.pearl_factor(0.3))


def test_tc_valued_at_co2_price_published_case():
    """methods.md §4.4 [C]: 1 000 t C valued at 79.42 CNY/t CO2 = 1 000 x 44/12 x 79.42 = 291 207 CNY."""
    em = B.prepare_emissions(pd.DataFrame({"zone": ["A", "B"], "year": [2020, 2020],
                                           "emission_tC": [1000.0, 1.0], "absorption_tC": [0.0, 1.0]}))
    se = B.prepare_socioeconomic(pd.DataFrame({"zone": ["A", "B"], "year": [2020] * 2, "gdp_1e8CNY": [1, 1],
                                               "population_1e4": [1, 1]}))
    b = B.carbon_balance(em, se, price_cny_per_tco2=C.carbon_price(79.42, "CNY/t CO2").per_tco2)
    assert b.set_index("zone").loc["A", "value_CNY"] == pytest.approx(291_206.67, abs=0.01)
    assert se["gdp_1e4CNY"].iloc[0] == 1e4 and se["population"].iloc[0] == 1e4     # 亿元, 万人 converted


def test_carbon_price_units_and_flags():
    assert C.carbon_price().per_tco2 == 79.42                                     # default: CEA 2023 close
    with pytest.warns(UserWarning, match="per t C"):
        p = C.carbon_price(260.90, "CNY/t C")
    assert p.per_tco2 == pytest.approx(260.90 / CO2_PER_C) and p.flagged
    # a per-t-C reference value labelled per t CO2 is the 3.67x mix-up: refused
    with pytest.raises(UnitError, match="per t C"):
        C.carbon_price(260.90, "CNY/t CO2")
    with pytest.raises(UnitError):
        C.carbon_price(50, "USD/barrel")
    named = C.carbon_price("afforestation cost method")
    assert named.per_tco2 == pytest.approx(260.90 / CO2_PER_C) and "converted" in named.flagged


def test_no_emission_zone_unclassified_and_band():
    em = B.prepare_emissions(pd.DataFrame({"zone": ["A", "B", "C"], "year": [2020] * 3,
                                           "emission_tCO2e": [100.0, 0.0, 100.0],
                                           "absorption_tCO2": [30.0, 5.0, 36.0]}))
    se = B.prepare_socioeconomic(pd.DataFrame({"zone": ["A", "B", "C"], "year": [2020] * 3,
                                               "gdp_1e4CNY": [1, 1, 1], "population": [1, 1, 1]}))
    b = B.carbon_balance(em, se).set_index("zone")
    assert b.loc["B", "zone_balance3"] == "no_emission" and b.loc["B", "status"] == "no emission"
    # CCR_R = 71/200 = 0.355; r_A = 0.3/0.355 = 0.845 and r_C = 0.36/0.355 = 1.014: both within b = 0.2
    assert set(b.loc[["A", "C"], "zone_balance3"]) == {"balance"}
    b2 = B.carbon_balance(em, se, band=0.1).set_index("zone")
    assert b2.loc["A", "zone_balance3"] == "payment"                       # 0.845 < 0.9


def test_bad_inputs():
    em, se = _two_zones()
    with pytest.raises(InputValidationError, match="has no unit"):
        B.prepare_socioeconomic(pd.DataFrame({"zone": ["A"], "year": [2020], "gdp": [1], "population": [1]}))
    with pytest.raises(InputValidationError, match="only in emissions"):
        B.carbon_balance(pd.concat([em, em.assign(zone="X")]), se)
    with pytest.raises(InputValidationError, match="magnitudes"):
        B.prepare_emissions(pd.DataFrame({"zone": ["A"], "year": [2020], "emission_tCO2e": [1.0],
                                          "absorption_tCO2": [-5.0]}))
    with pytest.raises(InputValidationError, match="no socio-economic row"):
        B.carbon_balance(pd.concat([em, em.assign(year=2021)]), se)


def test_sinks_from_stock_change():
    # ΔC = +120 Mg C over 10 years -> E = -120 x CO2_PER_C / 10 = -44 t CO2/a (a sink of 44)
    s = B.sinks_from_stock_change(pd.DataFrame({"zone": ["A", "B"], "delta_MgC": [120.0, -12.0], "t1": [2010, 2010],
                                                "t2": [2020, 2020]})).set_index("zone")
    assert s.loc["A", "absorption_tCO2"] == pytest.approx(44.0) and s.loc["A", "stock_loss_tCO2"] == 0
    assert s.loc["B", "stock_loss_tCO2"] == pytest.approx(4.4) and s.loc["B", "absorption_tCO2"] == 0


def test_transfers_pool_for_many_zones():
    v = pd.Series(np.r_[np.full(3, 10.0), np.full(2, -15.0)], index=list("abcde"))
    pair = K.transfers(v)
    assert len(pair) == 6 and pair["amount_CNY"].sum() == pytest.approx(30.0)
    pool = K.transfers(v, max_pairs=4)
    assert len(pool) == 5 and (pool["payer"] == K.POOL).sum() == 2


def test_balance_many_zones_vectorised():
    rng = np.random.default_rng(0)
    n, years = 300, list(range(2000, 2010))
    zones = [f"z{i}" for i in range(n)]
    idx = pd.MultiIndex.from_product([zones, years], names=["zone", "year"]).to_frame(index=False)
    em = idx.assign(emission_tCO2e=rng.uniform(1, 100, len(idx)), absorption_tCO2=rng.uniform(0, 50, len(idx)))
    se = B.prepare_socioeconomic(idx.assign(gdp_1e4CNY=rng.uniform(1, 9, len(idx)),
                                            population=rng.uniform(1, 9, len(idx))))
    b = B.carbon_balance(em, se)
    # per-year ECC weighted by emission shares averages to 1: Σ_i (CE_i/CE) ECC_i = Σ_i G_i/G = 1
    chk = (b["emission_tCO2e"] / b.groupby("year")["emission_tCO2e"].transform("sum") * b["ECC"]).groupby(
        b["year"]).sum()
    assert np.allclose(chk, 1.0)
    assert np.allclose(b.groupby("year")["value_allowance_CNY"].sum(), 0.0, atol=1e-3)
