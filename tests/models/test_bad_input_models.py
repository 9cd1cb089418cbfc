"""Bad input, by class, at the model layer (issue 8 item 6): emission factors and coefficients, balance,
peak, allocation, weights and the evaluations.

Every case is a tiny hand-made input. A refused input is an ``InputValidationError`` whose message names the
input's key, the value found and what was expected; a fixed input gives the number computed by hand.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from landcarbon.core.errors import InputValidationError, LandcarbonWarning
from landcarbon.core.units import CO2_PER_C
from landcarbon.models import allocation as A
from landcarbon.models import balance as B
from landcarbon.models import coefficients as C
from landcarbon.models import peak as P
from landcarbon.models.evaluate import ahp, control_lines, esv, intensive, mce
from landcarbon.models.weights import check_seed, entropy_weights
from landcarbon.testing import make_lulc


def _issue(err: pytest.ExceptionInfo) -> tuple[str, str]:
    """(key, message) of the single issue of an InputValidationError."""
    issues = err.value.issues
    assert len(issues) == 1
    return issues[0].key, issues[0].message


def _no_flags(msg: str) -> None:
    assert "--" not in msg, msg   # messages name the input key, never a command-line flag


# --------------------------------------------------------------------------------------------------
# emission factors and land-use coefficients (coefficients.py)


def test_negative_grid_factor_is_refused_with_value_and_range():
    with pytest.raises(InputValidationError) as e:
        C.user_grid_factor(-0.5366, 2022)
    key, msg = _issue(e)
    assert key == "grid_factor" and "-0.5366" in msg and "≥ 0" in msg and "kg CO2/kWh" in msg
    _no_flags(msg)
    gf = C.user_grid_factor(0.5366, 2022)
    assert gf.value_kgCO2_per_kWh == 0.5366 and gf.scope == "user"
    # 1 000 kWh x 0.5366 kg/kWh = 0.5366 t CO2
    assert 1000 * gf.value_kgCO2_per_kWh / 1000 == pytest.approx(0.5366)


def test_grid_factor_in_g_per_kwh_is_implausible_unless_allowed():
    with pytest.raises(InputValidationError, match="g CO2/kWh") as e:
        C.user_grid_factor(536.6)
    assert "allow_implausible=True" in _issue(e)[1]
    assert C.user_grid_factor(536.6, allow_implausible=True).value_kgCO2_per_kWh == 536.6


@pytest.mark.parametrize("bad", [float("nan"), "abc", None, True])
def test_grid_factor_not_a_number(bad):
    with pytest.raises(InputValidationError, match="expected a number ≥ 0"):
        C.user_grid_factor(bad)


def test_fuel_and_heat_factor_overrides():
    with pytest.raises(InputValidationError) as e:
        C.check_factor_overrides({"原煤": -1.9})
    key, msg = _issue(e)
    assert key == "factor_overrides" and "-1.9" in msg and "≥ 0" in msg
    assert C.check_factor_overrides({"原煤": 1.9, "diesel": 3.1}) == {"raw_coal": 1.9, "diesel": 3.1}
    with pytest.raises(InputValidationError, match="did you mean 'raw_coal'"):
        C.check_factor_overrides({"raw_coa": 1.9})
    with pytest.raises(InputValidationError, match="ambiguous"):
        C.check_factor_overrides({"天然气": 2.0})
    with pytest.raises(InputValidationError, match="heat emission factor"):
        C.check_heat_factor(-0.11)
    assert C.check_heat_factor(0.11) == 0.11


def test_landuse_sink_given_positive_is_refused():
    """methods.md §3.2: + = source, − = sink; inventory tables print sinks as + (§13.8)."""
    with pytest.raises(InputValidationError) as e:
        C.coefficients_from_frame(pd.DataFrame({"group": ["forest"], "coef_tC_per_ha_yr": [0.581]}))
    key, msg = _issue(e)
    assert key == "coefficients" and "0.581" in msg and "sinks are negative" in msg and "-0.581" in msg
    ok = C.coefficients_from_frame(pd.DataFrame({"group": ["forest", "cropland"],
                                                 "coef_tC_per_ha_yr": [-0.581, 0.422]}))
    assert ok.coefficients == {"forest": -0.581, "cropland": 0.422}
    # a source given negative is refused too, unless the role column states otherwise
    with pytest.raises(InputValidationError, match="sources are positive"):
        C.coefficients_from_frame(pd.DataFrame({"group": ["cropland"], "coef_tC_per_ha_yr": [-0.007]}))
    crop_sink = C.coefficients_from_frame(pd.DataFrame({"group": ["cropland"], "coef_tC_per_ha_yr": [-0.007],
                                                        "role": ["sink"]}))
    assert crop_sink.coefficient("cropland") == -0.007


def test_landuse_overrides_checked():
    base = C.load_landuse_coefficients("cn_common_A")
    with pytest.raises(InputValidationError, match="sinks are negative") as e:
        base.with_overrides({"forest": 0.6})
    assert _issue(e)[0] == "coef_overrides"
    assert base.with_overrides({"forest": -0.6}).coefficient("forest") == -0.6
    with pytest.raises(InputValidationError, match="did you mean 'forest'"):
        base.with_overrides({"forset": -0.6})
    with pytest.raises(InputValidationError, match="finite number"):
        base.with_overrides({"forest": float("nan")})   # NaN used to give 0 emissions for every forest cell
    with pytest.raises(InputValidationError, match="kg C"):
        base.with_overrides({"cropland": 422.0})          # kg C/ha given as Mg C/ha
    assert base.with_overrides({"cropland": 422.0}, allow_implausible=True).coefficient("cropland") == 422.0
    assert base.with_overrides({"cropland": -0.1}, roles={"cropland": "sink"}).coefficient("cropland") == -0.1


def test_coefficient_table_duplicate_and_empty():
    with pytest.raises(InputValidationError, match="more than once"):
        C.coefficients_from_frame(pd.DataFrame({"group": ["forest", "林地"], "coef_tC_per_ha_yr": [-0.5, -0.6]}))
    with pytest.raises(InputValidationError, match="no data rows"):
        C.coefficients_from_frame(pd.DataFrame({"group": [], "coef_tC_per_ha_yr": []}))


# --------------------------------------------------------------------------------------------------
# carbon prices: explicit unit, default CNY/t CO2, both conversions recorded


def test_price_default_unit_and_both_conversions():
    p = C.carbon_price(79.42)
    assert p.unit == C.DEFAULT_PRICE_UNIT == "CNY/t CO2"
    assert p.per_tco2 == 79.42 and p.per_tc == pytest.approx(79.42 * CO2_PER_C)
    assert "no conversion" in p.conversion and p.to_dict()["CNY_per_tC"] == pytest.approx(291.2067, abs=1e-4)
    with pytest.warns(LandcarbonWarning):
        q = C.carbon_price(260.90, "CNY/t C")
    assert q.per_tco2 == pytest.approx(71.1545, abs=1e-4) and q.in_unit("CNY/t C") == pytest.approx(260.90)
    assert q.in_unit("CNY/t CO2") == pytest.approx(260.90 / CO2_PER_C) and "÷ 44/12" in q.conversion
    with pytest.raises(InputValidationError, match="price_unit"):
        q.in_unit("USD/barrel")


def test_price_bad_values():
    with pytest.raises(InputValidationError) as e:
        C.carbon_price(-5)
    assert _issue(e)[0] == "price"
    with pytest.raises(InputValidationError, match="did you mean 'cea_2023_year_end_close'"):
        C.carbon_price("cea_2023_year_end_clse")
    with pytest.raises(Exception) as e:
        C.carbon_price(260.90, "CNY/t CO2")             # a per-t-C reference value labelled per t CO2
    assert "price_unit 'CNY/t C'" in str(e.value)
    _no_flags(str(e.value))


# --------------------------------------------------------------------------------------------------
# balance (balance.py)


def _em(**over):
    d = {"zone": ["a", "c"], "year": [2020, 2020], "emission_tCO2e": [100.0, 30.0], "absorption_tCO2": [10.0, 10.0]}
    return pd.DataFrame(d | over)


def _se(**over):
    d = {"zone": ["a", "c"], "year": [2020, 2020], "gdp_1e4CNY": [50.0, 50.0], "population": [1000.0, 1000.0]}
    return pd.DataFrame(d | over)


def test_zero_gdp_would_flip_receiving_to_paying_and_is_refused():
    """c: NCE_c = 20, NCE = 110, s_c = 0.5 -> V_c = (20 - 55) x 79.42 = -2 779.7 CNY (receives). With GDP 0 the
    share would be 0 and V_c = 20 x 79.42 > 0 (pays): refused instead."""
    bal = B.carbon_balance(B.prepare_emissions(_em()), B.prepare_socioeconomic(_se())).set_index("zone")
    assert bal.loc["c", "value_allowance_CNY"] == pytest.approx(-35 * 79.42)
    assert bal.loc["c", "ECC"] == pytest.approx((50 / 100) / (30 / 130))
    with pytest.raises(InputValidationError) as e:
        B.prepare_socioeconomic(_se(gdp_1e4CNY=[50.0, 0.0]))
    key, msg = _issue(e)
    assert key == "socioeconomic" and "zone c" in msg and "year 2020" in msg and "gdp_1e4CNY" in msg
    assert "expected > 0" in msg
    _no_flags(msg)
    # the same check guards carbon_balance for callers that skip prepare_socioeconomic
    with pytest.raises(InputValidationError, match="zone c, year 2020"):
        B.carbon_balance(B.prepare_emissions(_em()), _se(gdp_1e4CNY=[50.0, 0.0]))
    with pytest.raises(InputValidationError, match="zone c, year 2020"):
        B.carbon_balance(B.prepare_emissions(_em()), _se(gdp_1e4CNY=[50.0, -5.0]))


def test_zero_population_is_refused_naming_the_column():
    with pytest.raises(InputValidationError) as e:
        B.prepare_socioeconomic(_se(population=None, population_1e4=[0.1, 0.0]).drop(columns="population"))
    msg = _issue(e)[1]
    assert "population (population_1e4)" in msg and "zone c" in msg and "year 2020" in msg


def test_duplicate_zone_years_name_the_rows():
    em = pd.concat([_em(), _em().iloc[[0]]], ignore_index=True)
    with pytest.raises(InputValidationError) as e:
        B.prepare_emissions(em)
    key, msg = _issue(e)
    assert key == "emissions" and "(a, 2020)" in msg and "data rows 1, 3" in msg
    se = pd.concat([_se(), _se().iloc[[1]]], ignore_index=True)
    with pytest.raises(InputValidationError, match=r"\(c, 2020\)") as e:
        B.prepare_socioeconomic(se)
    assert _issue(e)[0] == "socioeconomic"
    # raw frames straight into carbon_balance: an error, not a pandas MergeError
    with pytest.raises(InputValidationError, match=r"\(a, 2020\)"):
        B.carbon_balance(em, B.prepare_socioeconomic(_se()), check_zones=False)


def test_balance_empty_tables_and_bad_years():
    with pytest.raises(InputValidationError, match="no data rows"):
        B.prepare_emissions(_em().iloc[0:0])
    with pytest.raises(InputValidationError, match="no data rows"):
        B.prepare_socioeconomic(_se().iloc[0:0])
    with pytest.raises(InputValidationError, match="not an integer year"):
        B.prepare_emissions(_em(year=[2020.5, 2020]))
    with pytest.raises(InputValidationError, match="engel"):
        B.prepare_socioeconomic(_se(engel=[0.3, np.nan]))


def test_balance_price_and_allowance_share_checked():
    em, se = B.prepare_emissions(_em()), B.prepare_socioeconomic(_se())
    for bad in (-5.0, float("nan")):
        with pytest.raises(InputValidationError) as e:
            B.carbon_balance(em, se, price_cny_per_tco2=bad)
        assert _issue(e)[0] == "price"
    with pytest.raises(InputValidationError, match="did you mean 'population'"):
        B.carbon_balance(em, se, allowance_share="populaton")


def test_allowance_share_by_area_now_reaches_the_model():
    """area_ha is kept by prepare_emissions: s = (1, 3)/4 -> θ = 110 x (.25, .75); V_c = (20 - 82.5) x 1."""
    em = B.prepare_emissions(_em(area_ha=[100.0, 300.0]))
    bal = B.carbon_balance(em, B.prepare_socioeconomic(_se()), price_cny_per_tco2=1.0,
                           allowance_share="area").set_index("zone")
    assert bal.loc["c", "value_allowance_CNY"] == pytest.approx(20 - 82.5)


def test_per_capita_gdp_implausible_names_the_suspected_unit():
    """GDP 500 亿元 = 5e6 万元 for 800 万人 typed into a persons column: 62.5 million CNY/person."""
    se = B.prepare_socioeconomic(_se(gdp_1e4CNY=[5e6, 5e6], population=[800.0, 800.0]))
    em = B.prepare_emissions(_em())
    with pytest.raises(InputValidationError) as e:
        B.carbon_balance(em, se)
    key, msg = _issue(e)
    assert key == "socioeconomic" and "10^4 persons" in msg and "allow_implausible=True" in msg
    bal = B.carbon_balance(em, se, allow_implausible=True).set_index("zone")
    assert bal.loc["a", "per_capita_tCO2e"] == pytest.approx(100 / 800)


def test_stock_change_table_checked():
    with pytest.raises(InputValidationError, match="more than once"):
        B.sinks_from_stock_change(pd.DataFrame({"zone": ["a", "a"], "delta_MgC": [1.0, 2.0], "t1": 2000, "t2": 2010}))
    with pytest.raises(InputValidationError, match="'t1'"):
        B.sinks_from_stock_change(pd.DataFrame({"zone": ["a"], "delta_MgC": [1.0], "t1": ["x"], "t2": [2010]}))
    s = B.sinks_from_stock_change(pd.DataFrame({"zone": ["a"], "delta_MgC": [12.0], "t1": [2000], "t2": [2010]}))
    assert s["absorption_tCO2"].iloc[0] == pytest.approx(12 * CO2_PER_C / 10)   # 4.4 t CO2/a


def test_run_balance_map_year_checked_before_anything_is_written(tmp_path):
    from landcarbon.workflow.balance import run_balance

    em, se = tmp_path / "em.csv", tmp_path / "se.csv"
    _em().to_csv(em, index=False)
    _se().to_csv(se, index=False)
    out = tmp_path / "bal"
    with pytest.raises(InputValidationError) as e:
        run_balance(out=out, emissions=em, socioeconomic=se, map_year=2019)
    key, msg = _issue(e)
    assert key == "map_year" and "2019" in msg and "[2020]" in msg
    _no_flags(msg)
    assert not (out / "balance_by_zone.csv").exists()
    s = run_balance(out=out, emissions=em, socioeconomic=se)
    assert s["map_year"] == 2020
    assert s["price"]["unit"] == "CNY/t CO2" and s["price"]["CNY_per_tCO2"] == 79.42
    assert s["price"]["CNY_per_tC"] == pytest.approx(79.42 * CO2_PER_C) and "conversion" in s["price"]


# --------------------------------------------------------------------------------------------------
# peak (peak.py)


def _history():
    t = np.arange(15)
    return pd.DataFrame({"year": 2000 + t, "emissions_1e4tCO2": 100 * 1.05 ** t * (1 + 0.01 * np.sin(t)),
                         "population": 50 + 0.5 * t + 0.3 * np.cos(t), "pcgdp": 1e4 * 1.08 ** t})


def _scen(pop_growth, kind="growth"):
    col = "population_growth_pct" if kind == "growth" else "population_level"
    return pd.DataFrame({"scenario": ["s", "s"], "period": ["2015-2020", "2021-2030"], col: pop_growth,
                         "pcgdp_growth_pct": [5.0, 4.0]})


@pytest.mark.parametrize("rate", [-100.0, -150.0])
def test_growth_rate_at_or_below_minus_100_pct_is_refused(rate):
    with pytest.raises(InputValidationError) as e:
        P.parse_scenarios(_scen([1.0, rate]), ["population", "pcgdp"])
    key, msg = _issue(e)
    assert key == "scenarios" and f"{rate:g}" in msg and "> −100 %/a" in msg and "2021-2030" in msg


def test_negative_growth_above_minus_100_is_projected_exactly():
    sc = P.parse_scenarios(_scen([-50.0, -50.0]), ["population", "pcgdp"])[0]
    paths = P.driver_paths(sc, 2014, {"population": 100.0, "pcgdp": 1.0}, horizon=2016)
    assert paths["population"].tolist() == pytest.approx([50.0, 25.0])


def test_scenario_level_not_positive_is_refused():
    with pytest.raises(InputValidationError, match="level > 0"):
        P.parse_scenarios(_scen([60.0, 0.0], kind="level"), ["population", "pcgdp"])


@pytest.mark.parametrize("kw, key", [({"seed": -1}, "seed"), ({"n_boot": -5}, "n_boot"), ({"seed": 1.5}, "seed"),
                                     ({"k": "abc"}, "k")])
def test_peak_seed_n_boot_and_k_checked(kw, key):
    with pytest.raises(InputValidationError) as e:
        P.fit_stirpat(_history(), **({"n_boot": 5} | kw))
    assert _issue(e)[0] == key


def test_peak_history_duplicates_and_misspelt_driver():
    h = _history()
    with pytest.raises(InputValidationError, match=r"years \[2003\] appear more than once \(data rows 4, 16\)"):
        P.fit_stirpat(pd.concat([h, h.iloc[[3]]], ignore_index=True), n_boot=5)
    with pytest.raises(InputValidationError, match="did you mean 'population'"):
        P.fit_stirpat(h, ["populaton", "pcgdp"], n_boot=5)


def test_projection_horizon_and_sinks_outside_their_years():
    fit = P.fit_stirpat(_history(), n_boot=5)
    scs = P.parse_scenarios(_scen([1.0, 0.5]), fit.drivers)
    with pytest.raises(InputValidationError, match="horizon"):
        P.project(fit, scs, horizon=2014)
    sinks = pd.DataFrame({"year": [2015, 2020], "absorption_tCO2": [10.0, 20.0]})
    with pytest.warns(LandcarbonWarning, match="held at the first / last value"):
        proj, _ = P.project(fit, scs, horizon=2025, sinks=sinks)
    assert proj.set_index("year").loc[2025, "sinks_tCO2"] == 20.0
    with pytest.raises(InputValidationError, match="appear more than once"):
        P.project(fit, scs, horizon=2025, sinks=pd.concat([sinks, sinks]))


def test_run_peak_negative_seed_refused_before_the_run(tmp_path):
    from landcarbon.workflow.peak import run_peak

    hp, sp = tmp_path / "h.csv", tmp_path / "s.csv"
    _history().to_csv(hp, index=False)
    _scen([1.0, 0.5]).to_csv(sp, index=False)
    with pytest.raises(InputValidationError) as e:
        run_peak(out=tmp_path / "o", history=hp, scenarios=sp, seed=-3)
    assert _issue(e)[0] == "seed" and not (tmp_path / "o").exists()
    with pytest.raises(InputValidationError, match="between 2030 and 2100") as e:
        run_peak(out=tmp_path / "o", history=hp, scenarios=sp, horizon=2200)
    _no_flags(str(e.value))


def test_check_seed():
    assert check_seed(0) == 0 and check_seed(np.int64(7)) == 7 and check_seed("3") == 3
    for bad in (-1, 2.5, "x", None, True):
        with pytest.raises(InputValidationError, match="integer seed ≥ 0"):
            check_seed(bad)


# --------------------------------------------------------------------------------------------------
# allocation (allocation.py, workflow/allocate.py)


def _ind():
    return pd.DataFrame({"population": [1000.0, 3000.0], "gdp_1e4CNY": [200.0, 600.0],
                         "emission_tCO2e": [300.0, 100.0]}, index=pd.Index(["a", "b"], name="zone"))


def test_weights_not_summing_to_one_need_explicit_normalisation():
    with pytest.raises(InputValidationError) as e:
        A.allocate(_ind(), 1000.0, weights={"population": 3, "grandfathering": 1})
    key, msg = _issue(e)
    assert key == "weights" and "sum to 4" in msg and "normalise_weights=True" in msg
    with pytest.warns(LandcarbonWarning, match="normalised to 1"):
        out, w = A.allocate(_ind(), 1000.0, weights={"population": 3, "grandfathering": 1}, normalise_weights=True)
    assert w.tolist() == pytest.approx([0.75, 0.25]) and w.attrs["normalised_from_sum"] == 4
    assert out["quota_tCO2e"].tolist() == pytest.approx([375.0, 625.0])
    out, w = A.allocate(_ind(), 1000.0, weights={"population": 0.75, "grandfathering": 0.25})
    assert out["quota_tCO2e"].tolist() == pytest.approx([375.0, 625.0]) and w.attrs["normalised_from_sum"] is None


def test_non_numeric_and_misspelt_weights():
    with pytest.raises(InputValidationError, match="weight of 'population' is 'x'"):
        A.allocate(_ind(), 1000.0, weights={"population": "x", "grandfathering": 0.5})
    with pytest.raises(InputValidationError, match="did you mean 'grandfathering'"):
        A.allocate(_ind(), 1000.0, principles=["population", "grandfathering"],
                   weights={"population": 0.5, "grandfatering": 0.5})
    with pytest.raises(InputValidationError, match=r"\['grandfathering'\] have no weight"):
        A.allocate(_ind(), 1000.0, principles=["population", "grandfathering"], weights={"population": 1.0})
    with pytest.raises(InputValidationError, match="did you mean 'population'"):
        A.principle_shares(_ind(), ["populaton"])
    from landcarbon.workflow.allocate import _parse_weights

    with pytest.raises(InputValidationError, match="'abc'"):
        _parse_weights("population=abc,efficiency=0.5")
    assert _parse_weights("population=0.3, efficiency=0.7") == {"population": 0.3, "efficiency": 0.7}


def test_ability_to_pay_names_the_zone_and_column():
    ind = _ind()
    ind.loc["b", "gdp_1e4CNY"] = 0.0
    with pytest.raises(InputValidationError) as e:
        A.principle_shares(ind, ["ability_to_pay"])
    key, msg = _issue(e)
    assert key == "indicators" and "zone b" in msg and "gdp_1e4CNY" in msg
    ind = _ind()
    ind.loc["a", "population"] = 0.0
    with pytest.raises(InputValidationError, match="population is 0 for zone a"):
        A.principle_shares(ind, ["ability_to_pay"])
    # per-capita GDP 2 000 and 2 000 CNY/person: equal shares
    assert A.principle_shares(_ind(), ["ability_to_pay"])["ability_to_pay"].tolist() == pytest.approx([.5, .5])


def test_quota_unit_implausible_against_emissions():
    """Σ emissions 400 t; a quota of 9e6 t is 22 500 x larger (10^4 t read as t, or the reverse)."""
    with pytest.raises(InputValidationError) as e:
        A.allocate(_ind(), 9e6, principles=["population"])
    key, msg = _issue(e)
    assert key == "quota" and "quota unit" in msg and "allow_implausible=True" in msg
    out, _ = A.allocate(_ind(), 9e6, principles=["population"], allow_implausible=True)
    assert out["quota_tCO2e"].tolist() == pytest.approx([2.25e6, 6.75e6])
    with pytest.raises(InputValidationError, match="quota"):
        A.allocate(_ind(), "lots", principles=["population"])


def test_run_allocate_records_normalisation_and_refuses_unused_options(tmp_path):
    from landcarbon.workflow.allocate import run_allocate

    p = tmp_path / "ind.csv"
    _ind().reset_index().to_csv(p, index=False)
    with pytest.warns(LandcarbonWarning, match="normalised"):
        s = run_allocate(out=tmp_path / "o", indicators=p, quota=1000, principles=["population", "grandfathering"],
                         weights="population=3,grandfathering=1", normalise_weights=True)
    assert s["weights"] == pytest.approx({"population": 0.75, "grandfathering": 0.25})
    assert s["weights_normalised_from_sum"] == 4 and any("normalised" in n for n in s["notes"])
    with pytest.raises(InputValidationError, match="sum to 4"):
        run_allocate(out=tmp_path / "o2", indicators=p, quota=1000, principles=["population", "grandfathering"],
                     weights="population=3,grandfathering=1")
    with pytest.raises(InputValidationError, match="does not use them") as e:
        run_allocate(out=tmp_path / "o3", indicators=p, quota=1000, method="population", weights="population=1")
    assert _issue(e)[0] == "weights"
    with pytest.raises(InputValidationError, match="did you mean 'composite'") as e:
        run_allocate(out=tmp_path / "o4", indicators=p, quota=1000, method="compsite")
    _no_flags(str(e.value))


def test_run_allocate_balance_year_absent(tmp_path):
    from landcarbon.workflow.allocate import run_allocate

    p, b = tmp_path / "ind.csv", tmp_path / "bal.csv"
    _ind().reset_index().to_csv(p, index=False)
    pd.DataFrame({"zone": ["a", "b"], "year": [2020, 2020], "value_allowance_CNY": [5.0, -5.0]}).to_csv(b, index=False)
    with pytest.raises(InputValidationError, match=r"year 2021 is not in the balance table, whose years are \[2020\]"):
        run_allocate(out=tmp_path / "o", indicators=p, quota=400, method="population", balance=b, balance_year=2021)
    s = run_allocate(out=tmp_path / "o", indicators=p, quota=400, method="population", balance=b, balance_year=2020)
    assert s["compensation"]["total_CNY"] == pytest.approx(5.0)


# --------------------------------------------------------------------------------------------------
# weights (weights.py, evaluate/ahp.py, evaluate/mce.py)


def test_check_weights_non_numeric_and_normalisation():
    with pytest.raises(InputValidationError, match="weight of 'a' is 'x'"):
        ahp.check_weights({"a": "x", "b": 0.5}, ["a", "b"])
    with pytest.raises(InputValidationError, match="did you mean 'slope'"):
        ahp.check_weights({"slop": 0.5, "dem": 0.5}, ["slope", "dem"])
    with pytest.warns(LandcarbonWarning):
        w = ahp.check_weights({"a": 0.4, "b": 0.7}, ["a", "b"], normalise=True)
    assert w.tolist() == pytest.approx([0.4 / 1.1, 0.7 / 1.1]) and w.attrs["normalised_from_sum"] == pytest.approx(1.1)


def test_entropy_weights_non_numeric_is_an_error_not_a_traceback():
    with pytest.raises(InputValidationError, match="non-numeric value 'x'"):
        entropy_weights(pd.DataFrame({"a": ["x", "1", "2"], "b": [1, 2, 3]}))
    with pytest.raises(InputValidationError, match="infinite"):
        entropy_weights(pd.DataFrame({"a": [np.inf, 1.0, 2.0], "b": [1, 2, 3]}))


def test_ahp_matrix_non_numeric():
    with pytest.raises(InputValidationError, match="non-numeric") as e:
        ahp.ahp_weights(pd.DataFrame([[1, "x"], [1, 1]], columns=["a", "b"]))
    assert _issue(e)[0] == "ahp_matrix"


def test_mce_normalise_weights_seed_and_conflicting_inputs():
    a = make_lulc([[0.0, 10.0], [5.0, 10.0]], nodata=None, dtype="float32")
    b = make_lulc([[4.0, 0.0], [2.0, 1.0]], nodata=None, dtype="float32")
    with pytest.warns(LandcarbonWarning):
        r = mce.weighted_overlay({"a": a, "b": b}, weights={"a": 3, "b": 7}, directions={"b": -1},
                                 normalise_weights=True)
    assert r.weights.tolist() == pytest.approx([0.3, 0.7]) and r.weights_normalised_from == 10
    assert r.weights_frame()["normalised_from_sum"].tolist() == [10, 10]
    # cell (0, 1): a' = 1, b' = (4 - 0)/4 = 1 -> 1; cell (1, 0): a' = .5, b' = (4 - 2)/4 = .5 -> .5
    assert r.score.values[0, 1] == pytest.approx(1.0) and r.score.values[1, 0] == pytest.approx(0.5)
    with pytest.raises(InputValidationError, match="integer seed") as e:
        mce.weighted_overlay({"a": a, "b": b}, method="entropy", seed=-1)
    assert _issue(e)[0] == "seed"
    with pytest.raises(InputValidationError, match="only one can be used"):
        mce.weighted_overlay({"a": a, "b": b}, weights={"a": .5, "b": .5}, ahp_matrix=[[1, 1], [1, 1]])
    with pytest.raises(InputValidationError, match="does not use it") as e:
        mce.weighted_overlay({"a": a, "b": b}, weights={"a": .5, "b": .5}, method="entropy")
    assert _issue(e)[0] == "weights"
    with pytest.raises(InputValidationError, match="did you mean 'bb'"):
        mce.weighted_overlay({"a": a, "bb": b}, directions={"b": -1}, weights={"a": .5, "bb": .5})


# --------------------------------------------------------------------------------------------------
# evaluations: intensive use, ESV, control lines


ZONES = pd.DataFrame({"pop_t1": [100, 200], "pop_t2": [110, 210], "gdp_t1": [1000, 2000], "gdp_t2": [1200, 2100],
                      "land_t1_ha": [10, 20], "land_t2_ha": [11, 23]}, index=pd.Index(["A", "B"], name="zone"))


def test_intensive_missing_and_non_numeric_inputs():
    z = ZONES.astype(float)
    z.loc["A", "pop_t2"] = np.nan        # used to drop the indicator silently and score the rest
    with pytest.raises(InputValidationError, match="'pop_t2' is empty or not a number for zone A") as e:
        intensive.evaluate_intensive(z)
    assert _issue(e)[0] == "zones"
    z = ZONES.astype(object)
    z.loc["A", "pop_t2"] = "x"
    with pytest.raises(InputValidationError, match="'x'"):
        intensive.evaluate_intensive(z)


def test_intensive_density_implausible_unless_allowed():
    z = ZONES.copy()
    z[["pop_t1", "pop_t2"]] = z[["pop_t1", "pop_t2"]] / 1e4      # 万人 in a persons column: 0.1 person/km²
    with pytest.raises(InputValidationError, match="10\\^4 persons") as e:
        intensive.evaluate_intensive(z)
    assert "allow_implausible=True" in _issue(e)[1]
    res = intensive.evaluate_intensive(z, allow_implausible=True)
    assert res.indicators.loc["A", "pop_density_person_per_km2"] == pytest.approx(0.011 / 0.11)


def test_intensive_weights_ideals_and_conflicts():
    z = ZONES[["pop_t2", "gdp_t2", "land_t2_ha"]]
    with pytest.raises(InputValidationError, match="sum to 2"):
        intensive.evaluate_intensive(z, weights={"pop_density_person_per_km2": 1,
                                                 "econ_intensity_1e4CNY_per_km2": 1})
    with pytest.warns(LandcarbonWarning):
        res = intensive.evaluate_intensive(z, weights={"pop_density_person_per_km2": 1,
                                                       "econ_intensity_1e4CNY_per_km2": 1},
                                           ideals={"pop_density_person_per_km2": 2000,
                                                   "econ_intensity_1e4CNY_per_km2": 10_000},
                                           normalise_weights=True)
    # A: 1000/2000 -> 50, econ capped 100; I = .5 x 50 + .5 x 100 = 75 (as with weights .5/.5)
    assert res.composite.loc["A", "index"] == pytest.approx(75) and res.weights_normalised_from == 2
    assert "normalised" in res.weighting and res.weights_frame()["normalised_from_sum"].iloc[0] == 2
    with pytest.raises(InputValidationError, match="did you mean 'pop_density_person_per_km2'") as e:
        intensive.evaluate_intensive(z, ideals={"pop_density_person_per_km": 2000,
                                                "econ_intensity_1e4CNY_per_km2": 10_000})
    assert _issue(e)[0] == "ideals"
    with pytest.raises(InputValidationError, match="only one can be used"):
        intensive.evaluate_intensive(z, weights={"pop_density_person_per_km2": 1}, ahp_matrix=[[1, 1], [1, 1]])
    with pytest.raises(InputValidationError, match="did you mean 'eei'"):
        intensive.evaluate_intensive(ZONES, indicators=["eeii"])


def test_esv_areas_checked_and_value_by_hand():
    coef = esv.coefficients("2003", unit_value_CNY_per_ha=1000)
    for bad in (-5.0, np.nan, "x"):
        with pytest.raises(InputValidationError, match="area_ha") as e:
            esv.esv(pd.DataFrame({"group": ["forest"], "area_ha": [bad]}), coef)
        assert _issue(e)[0] == "areas"
    tot = esv.esv(pd.DataFrame({"group": ["forest"], "area_ha": [2.0]}), coef)["esv_CNY_per_yr"].sum()
    assert tot == pytest.approx(2.0 * coef.per_ha["forest"])
    with pytest.raises(InputValidationError, match="did you mean 'forest'"):
        esv.esv(pd.DataFrame({"group": ["forests"], "area_ha": [2.0]}), coef)


def test_esv_options_checked():
    with pytest.raises(InputValidationError, match="did you mean 'forest'"):
        esv.coefficients("2003", unit_value_CNY_per_ha=1000, crosswalk={"forst": {"forest": 1.0}})
    with pytest.raises(InputValidationError, match="≥ 0"):
        esv.coefficients("2003", unit_value_CNY_per_ha=1000, crosswalk={"forest": {"forest": 1.5, "grassland": -0.5}})
    with pytest.raises(InputValidationError, match="not used") as e:
        esv.coefficients("2003", unit_value_CNY_per_ha=1000, paddy_share=0.4)
    assert _issue(e)[0] == "paddy_share"
    with pytest.raises(InputValidationError, match="unit_value_CNY_per_ha"):
        esv.coefficients("2003", unit_value_CNY_per_ha="abc")
    with pytest.raises(InputValidationError, match="'sown_area_ha'"):
        esv.unit_value(pd.DataFrame({"sown_area_ha": ["x"], "price_CNY_per_kg": [1.0], "yield_kg_per_ha": [1.0]}))
    with pytest.raises(InputValidationError, match="did you mean 'unit_value_CNY_per_ha'"):
        esv.check_options({"unit_value_CNY_per_h": 3406.5, "version": "2015"})
    esv.check_options({"unit_value_CNY_per_ha": 3406.5, "paddy_share": 0.5})


def test_control_lines_slope_threshold_and_zone_shape():
    from landcarbon.core.classes import NATIONAL6

    lu = make_lulc([[1, 2], [5, 1]], nodata=0)
    pbf = make_lulc([[1, 0], [0, 1]], nodata=None, dtype="uint8", name="basic_farmland")
    slope = make_lulc([[30, 2], [2, 2]], nodata=None, dtype="float32")
    with pytest.raises(InputValidationError) as e:
        control_lines.conflicts(lu, {"basic_farmland": pbf}, NATIONAL6.group_of(), slope=slope, steep_slope_deg=-25)
    assert _issue(e)[0] == "steep_slope_deg"
    res = control_lines.conflicts(lu, {"basic_farmland": pbf}, NATIONAL6.group_of(), slope=slope)
    assert res.table.set_index("check").loc["pbf_on_steep_slope", "cells"] == 1
    with pytest.raises(InputValidationError, match="shape") as e:
        control_lines.conflicts(lu, {"basic_farmland": pbf}, NATIONAL6.group_of(), zones=np.ones((3, 3), int))
    assert _issue(e)[0] == "zones"


def test_no_message_names_a_flag():
    """A sample of the model messages: none mentions a command-line option."""
    cases = [lambda: C.grid_factor("全国", 1990), lambda: B.carbon_balance(B.prepare_emissions(_em()),
                                                                          B.prepare_socioeconomic(_se()), band=2),
             lambda: ahp.ahp_weights([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])]
    for f in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(InputValidationError) as e:
                f()
        _no_flags(str(e.value))


def test_compensation_transfers_refuse_duplicates_and_missing_columns():
    from landcarbon.models import compensation as K

    bal = pd.DataFrame({"zone": ["a", "b", "b"], "year": [2020, 2020, 2020], "value_allowance_CNY": [5.0, -5.0, -1.0]})
    with pytest.raises(InputValidationError, match=r"\(b, 2020\)") as e:
        K.transfers_by_year(bal)
    assert _issue(e)[0] == "balance"
    with pytest.raises(InputValidationError, match="lacks"):
        K.transfers_by_year(bal.drop(columns="year"))
    t = K.transfers_by_year(bal.iloc[:2])
    assert t["amount_CNY"].tolist() == [5.0]   # a pays b its whole 5 CNY


def test_run_peak_checks_the_scenarios_before_the_fit(tmp_path, monkeypatch):
    from landcarbon.workflow import peak as wp

    hp, sp = tmp_path / "h.csv", tmp_path / "s.csv"
    _history().to_csv(hp, index=False)
    _scen([1.0, -100.0]).to_csv(sp, index=False)
    monkeypatch.setattr(wp._peak, "fit_stirpat", lambda *a, **k: pytest.fail("fitted before the scenario check"))
    with pytest.raises(InputValidationError, match="> −100 %/a") as e:
        wp.run_peak(out=tmp_path / "o", history=hp, scenarios=sp)
    assert _issue(e)[0] == "scenarios"
