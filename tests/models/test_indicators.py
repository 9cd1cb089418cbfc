"""Indicator monitoring (methods.md §14): hand-computed numbers on tiny inputs for each indicator and
each status rule, the trend warning, P_met, and the expression parser."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landcarbon.core.errors import InputValidationError, MissingClassError
from landcarbon.core.units import c_to_co2
from landcarbon.models import indicators as I
from landcarbon.models.indicators import REGION, Target, UserIndicator, assess, status_of, trend_crossing
from landcarbon.testing import make_lulc

GROUPS = {1: "cropland", 2: "forest", 3: "grassland", 4: "water", 5: "built_up", 6: "unused"}

# 100 m cells = 1 ha. Zone A = the two left columns, zone B = the two right ones; 0 = nodata.
LU_2020 = [[2, 2, 1, 1],
           [2, 3, 1, 5],
           [4, 1, 5, 0]]
LU_2030 = [[2, 5, 1, 1],
           [1, 3, 5, 5],
           [4, 1, 5, 0]]
ZONES = [[1, 1, 2, 2]] * 3
RED = [[1, 1, 0, 0],
       [1, 0, 0, 0],
       [0, 0, 0, 0]]
PBF = [[0, 0, 1, 1],
       [0, 0, 1, 0],
       [0, 1, 0, 0]]
UGB = [[0, 0, 0, 0],
       [0, 0, 1, 1],
       [0, 0, 1, 1]]


def _areas(chunks=None) -> pd.DataFrame:
    maps = {2020: make_lulc(LU_2020, chunks=chunks), 2030: make_lulc(LU_2030, chunks=chunks)}
    lines = {k: make_lulc(v, nodata=None, chunks=chunks, name=k)
             for k, v in (("eco_redline", RED), ("basic_farmland", PBF), ("urban_boundary", UGB))}
    zones = make_lulc(ZONES, nodata=None, chunks=chunks, name="zones")
    return I.land_areas(maps, GROUPS, zones=zones, zone_names={1: "A", 2: "B"}, lines=lines)


def _v(df: pd.DataFrame, zone: str, year: int, name: str, col: str = "variable") -> float:
    r = df[(df.zone == zone) & (df.year == year) & (df[col] == name)]
    assert len(r) == 1, (zone, year, name, r)
    return float(r["value"].iloc[0])


# --------------------------------------------------------------------------------------------------
# areas from maps


@pytest.mark.parametrize("chunks", [None, 2])            # numpy, then dask with tiny chunks
def test_land_areas_by_hand(chunks):
    a = _areas(chunks)
    # zone A 2020: forest (0,0) (0,1) (1,0); grassland (1,1); water (2,0); cropland (2,1) -> 6 ha
    assert _v(a, "A", 2020, "area_total_ha") == 6 and _v(a, "A", 2020, "area_forest_ha") == 3
    # zone B 2020: cropland 3, built-up 2 ((1,3), (2,2)); (2,3) is nodata -> 5 ha
    assert _v(a, "B", 2020, "area_total_ha") == 5 and _v(a, "B", 2020, "area_built_up_ha") == 2
    assert _v(a, REGION, 2030, "area_cropland_ha") == 4 and _v(a, REGION, 2030, "area_built_up_ha") == 4
    # red line in A: (0,0) forest->forest, (0,1) forest->built, (1,0) forest->cropland: 2 ha encroached by 2030
    assert _v(a, "A", 2030, "area_eco_redline_ha") == 3
    assert _v(a, "A", 2030, "area_redline_encroached_ha") == 2 and _v(a, "A", 2020, "area_redline_encroached_ha") == 0
    # basic farmland: A (2,1) cropland both years; B (0,2) (0,3) (1,2): (1,2) built by 2030
    assert _v(a, "B", 2030, "area_basic_farmland_ha") == 3 and _v(a, "B", 2030, "area_basic_farmland_cropland_ha") == 2
    # urban boundary: B (1,2) (1,3) (2,2) valid, (2,3) nodata; built at t0 inside: (1,3) (2,2)
    assert _v(a, "B", 2030, "area_urban_boundary_ha") == 3
    assert _v(a, "B", 2030, "area_urban_boundary_builtup_base_ha") == 2
    # new built-up outside the boundary: (0,1) forest -> built, in A; (1,2) is inside the boundary
    assert _v(a, "A", 2030, "area_new_builtup_outside_boundary_ha") == 1
    assert _v(a, "B", 2030, "area_new_builtup_outside_boundary_ha") == 0
    assert set(a["unit"]) == {"ha"}


def test_land_areas_numpy_and_dask_agree():
    pd.testing.assert_frame_equal(_areas(None), _areas(1))


def test_land_areas_refuse_unknown_codes_and_lines():
    maps = {2020: make_lulc([[1, 9]])}
    with pytest.raises(MissingClassError, match=r"\[9\]"):
        I.land_areas(maps, GROUPS)
    with pytest.raises(InputValidationError, match="urban_boundary"):
        I.land_areas({2020: make_lulc([[1, 2]])}, GROUPS, lines={"urban_boundry": make_lulc([[1, 0]])})
    with pytest.raises(InputValidationError, match="zone_names"):
        I.land_areas({2020: make_lulc([[1, 2]])}, GROUPS, zones=np.array([[1, 3]]), zone_names={1: "A"})


# --------------------------------------------------------------------------------------------------
# land indicators, one by one


def _land() -> pd.DataFrame:
    socio = pd.DataFrame({"zone": ["A", "A", "B", "B"], "year": [2030, 2030, 2030, 2030],
                          "variable": ["gdp_1e4CNY", "population"] * 2, "value": [50.0, 100.0, 300.0, 250.0],
                          "unit": ["10^4 CNY", "persons"] * 2})
    v = pd.concat([_areas(), socio], ignore_index=True)
    return I.land_indicators(v, crop_target={"A": 2.0, "B": 4.0, REGION: 6.0})


def test_fc_forest_coverage():
    x = _land()
    assert _v(x, "A", 2020, "FC", "indicator") == pytest.approx(3 / 6 * 100)           # 50 %
    assert _v(x, "A", 2030, "FC", "indicator") == pytest.approx(1 / 6 * 100)           # 16.67 %
    assert _v(x, "B", 2020, "FC", "indicator") == 0
    assert _v(x, REGION, 2020, "FC", "indicator") == pytest.approx(3 / 11 * 100)       # 27.27 %
    assert set(x[x.indicator == "FC"]["unit"]) == {"%"}


def test_cr_cropland_retention():
    x = _land()
    assert _v(x, "A", 2020, "CR", "indicator") == pytest.approx(50.0)     # 1 ha / 2 ha
    assert _v(x, "A", 2030, "CR", "indicator") == pytest.approx(100.0)    # 2 / 2
    assert _v(x, "B", 2030, "CR", "indicator") == pytest.approx(50.0)     # 2 / 4
    assert _v(x, REGION, 2020, "CR", "indicator") == pytest.approx(4 / 6 * 100)


def test_bf_basic_farmland_kept():
    x = _land()
    assert _v(x, "A", 2030, "BF", "indicator") == pytest.approx(100.0)
    assert _v(x, "B", 2020, "BF", "indicator") == pytest.approx(100.0)
    assert _v(x, "B", 2030, "BF", "indicator") == pytest.approx(2 / 3 * 100)
    assert _v(x, REGION, 2030, "BF", "indicator") == pytest.approx(3 / 4 * 100)


def test_es_ecological_share():
    x = _land()
    assert _v(x, "A", 2020, "ES", "indicator") == pytest.approx(5 / 6 * 100)   # forest 3 + grass 1 + water 1
    assert _v(x, "A", 2030, "ES", "indicator") == pytest.approx(3 / 6 * 100)
    assert _v(x, "B", 2030, "ES", "indicator") == 0


def test_re_ub_zero_indicators():
    x = _land()
    assert _v(x, "A", 2030, "RE", "indicator") == 2 and _v(x, "A", 2020, "RE", "indicator") == 0
    assert _v(x, REGION, 2030, "RE", "indicator") == 2
    assert _v(x, "A", 2030, "UB", "indicator") == 1 and _v(x, "B", 2030, "UB", "indicator") == 0
    assert set(x[x.indicator.isin(["RE", "UB"])]["unit"]) == {"ha"}


def test_ux_boundary_expansion_multiple():
    x = _land()
    assert _v(x, "B", 2030, "UX", "indicator") == pytest.approx(3 / 2)     # 3 ha boundary / 2 ha built at t0
    assert _v(x, REGION, 2030, "UX", "indicator") == pytest.approx(1.5)
    assert x[(x.indicator == "UX") & (x.zone == "A")].empty                 # A holds no boundary


def test_blg_pcb_per_gdp_and_per_capita():
    x = _land()
    # A 2030: 1 ha = 10 000 m² built-up; GDP 50 × 10^4 CNY; 100 persons
    assert _v(x, "A", 2030, "BLG", "indicator") == pytest.approx(10_000 / 50)      # 200 m² per 10^4 CNY
    assert _v(x, "A", 2030, "PCB", "indicator") == pytest.approx(10_000 / 100)     # 100 m²/person
    assert _v(x, "B", 2030, "BLG", "indicator") == pytest.approx(30_000 / 300)
    assert _v(x, "B", 2030, "PCB", "indicator") == pytest.approx(30_000 / 250)     # 120 m²/person
    assert x[(x.indicator == "BLG") & (x.year == 2020)].empty                      # no GDP in 2020: no row
    assert set(x[x.indicator == "BLG"]["unit"]) == {"m² per 10^4 CNY"}
    assert set(x[x.indicator == "PCB"]["unit"]) == {"m²/person"}


def test_land_zero_divisors_are_errors():
    a = _areas()
    gdp0 = pd.DataFrame({"zone": ["A"], "year": [2030], "variable": ["gdp_1e4CNY"], "value": [0.0],
                         "unit": ["10^4 CNY"]})
    with pytest.raises(InputValidationError, match="GDP.*zone 'A' 2030"):
        I.land_indicators(pd.concat([a, gdp0]), indicators=["BLG"])
    pop0 = gdp0.assign(variable="population", unit="persons")
    with pytest.raises(InputValidationError, match="population"):
        I.land_indicators(pd.concat([a, pop0]), indicators=["PCB"])
    with pytest.raises(InputValidationError, match="not positive"):
        I.land_indicators(a, crop_target={"A": 0.0})
    with pytest.raises(InputValidationError, match="did you mean 'A'"):
        I.land_indicators(a, crop_target={"a": 2.0})
    with pytest.raises(InputValidationError, match="needs variables"):
        I.land_indicators(a, indicators=["CR"])
    empty = a.copy()
    empty.loc[(empty.variable == "area_total_ha") & (empty.zone == "A"), "value"] = 0.0
    with pytest.raises(InputValidationError, match="valid area"):
        I.land_indicators(empty, indicators=["FC"])


def test_area_units_are_converted():
    v = pd.DataFrame({"zone": ["A", "A"], "year": [2020, 2020], "variable": ["area_forest_ha", "area_total_ha"],
                      "value": [15.0, 1.0], "unit": ["亩", "km²"]})
    # 15 mu = 1 ha; 1 km² = 100 ha -> FC = 1 %
    assert _v(I.land_indicators(v), "A", 2020, "FC", "indicator") == pytest.approx(1.0)
    with pytest.raises(InputValidationError, match="acre"):
        I.land_indicators(v.assign(unit="acre"))


# --------------------------------------------------------------------------------------------------
# carbon indicators, one by one


def _carbon_vars() -> pd.DataFrame:
    rows = [("", 2000, "A", "stock_MgC", 1000.0, "Mg C"), ("", 2010, "A", "stock_MgC", 1100.0, "Mg C"),
            ("", 2020, "A", "stock_MgC", 1150.0, "Mg C"),
            ("", 2005, "A", "emission_tCO2", 500.0, "t CO2/a"), ("", 2005, "A", "gdp_1e4CNY", 100.0, "10^4 CNY"),
            ("", 2020, "A", "emission_tCO2", 600.0, "t CO2/a"), ("", 2020, "A", "gdp_1e4CNY", 300.0, "10^4 CNY"),
            ("", 2020, "A", "absorption_tCO2", 150.0, "t CO2/a"), ("", 2020, "A", "population", 200.0, "persons"),
            ("", 2020, "A", "green_building_pct", 42.0, "%"),
            ("low", 2030, "A", "emission_tCO2", 400.0, "t CO2/a"), ("low", 2030, "A", "gdp_1e4CNY", 400.0, "10^4 CNY"),
            ("low", 2030, "A", "stock_MgC", 1250.0, "Mg C")]
    return pd.DataFrame(rows, columns=["scenario", "year", "zone", "variable", "value", "unit"])


def _carbon() -> pd.DataFrame:
    return I.carbon_indicators(_carbon_vars(), base_year=2005)


def _c(x, year, ind, scenario=""):
    r = x[(x.year == year) & (x.indicator == ind) & (x.scenario == scenario)]
    assert len(r) == 1, (year, ind, r)
    return float(r["value"].iloc[0])


def test_s_stock_and_k_sink():
    x = _carbon()
    assert _c(x, 2010, "S") == 1100
    assert _c(x, 2010, "K") == pytest.approx((1100 - 1000) / 10)          # 10 Mg C/a
    assert _c(x, 2020, "K") == pytest.approx((1150 - 1100) / 10)          # 5 Mg C/a
    assert x[(x.indicator == "K") & (x.year == 2000)].empty                # no previous year
    # the scenario's first year has no previous year of its own scenario
    assert x[(x.indicator == "K") & (x.scenario == "low")].empty
    assert set(x[x.indicator == "S"]["unit"]) == {"Mg C"} and set(x[x.indicator == "K"]["unit"]) == {"Mg C/a"}


def test_nce_ci_cir_pce_gb():
    x = _carbon()
    assert _c(x, 2020, "NCE") == 600 - 150                                 # t CO2/a
    assert _c(x, 2005, "CI") == pytest.approx(5.0)                        # 500 / 100
    assert _c(x, 2020, "CI") == pytest.approx(2.0)                        # 600 / 300
    assert _c(x, 2020, "CIR") == pytest.approx((1 - 2 / 5) * 100)         # 60 %
    assert _c(x, 2005, "CIR") == 0
    # a scenario without a base-year row compares with the observed base year: CI 1 -> 80 %
    assert _c(x, 2030, "CIR", "low") == pytest.approx(80.0)
    assert _c(x, 2020, "PCE") == pytest.approx(3.0)                       # 600 t / 200 persons
    assert _c(x, 2020, "GB") == 42
    units = dict(zip(x.indicator, x.unit, strict=False))
    assert units["NCE"] == "t CO2/a" and units["CI"] == "t CO2 per 10^4 CNY" and units["PCE"] == "t CO2/person"


def test_carbon_units_convert_c_and_co2_explicitly():
    v = pd.DataFrame({"zone": ["A", "A"], "year": [2020, 2020], "variable": ["stock_MgC", "emission_tCO2"],
                      "value": [c_to_co2(1000.0), 100.0], "unit": ["t CO2", "t C/a"]})
    x = I.carbon_indicators(v, indicators=["S"])
    assert _v(x, "A", 2020, "S", "indicator") == pytest.approx(1000.0)    # t CO2 -> Mg C
    v2 = v.assign(variable=["gdp_1e4CNY", "emission_tCO2"], value=[1.0, 100.0], unit=["10^8 CNY", "t C/a"])
    x = I.carbon_indicators(v2, indicators=["CI"])
    assert _v(x, "A", 2020, "CI", "indicator") == pytest.approx(c_to_co2(100.0) / 1e4)


def test_carbon_refusals():
    v = _carbon_vars()
    with pytest.raises(InputValidationError, match="base_year"):
        I.carbon_indicators(v, indicators=["CIR"])
    with pytest.raises(InputValidationError, match="base year 1990"):
        I.carbon_indicators(v, base_year=1990, indicators=["CIR"])
    bad = v.copy()
    bad.loc[bad.variable == "gdp_1e4CNY", "value"] = 0.0
    with pytest.raises(InputValidationError, match="GDP"):
        I.carbon_indicators(bad, indicators=["CI"])
    bad = v.copy()
    bad.loc[bad.variable == "population", "value"] = 0.0
    with pytest.raises(InputValidationError, match="population"):
        I.carbon_indicators(bad, indicators=["PCE"])
    bad = v.copy()
    bad.loc[bad.variable == "absorption_tCO2", "value"] = -150.0
    with pytest.raises(InputValidationError, match="magnitude of the sink"):
        I.carbon_indicators(bad)
    bad = v.copy()
    bad.loc[bad.variable == "green_building_pct", "value"] = 120.0
    with pytest.raises(InputValidationError, match="0–100"):
        I.carbon_indicators(bad)
    with pytest.raises(InputValidationError, match="more than|appears 2 times"):
        I.carbon_indicators(pd.concat([v, v.head(1)]))
    with pytest.raises(InputValidationError, match="unknown indicator"):
        I.carbon_indicators(v, indicators=["CO2"])


# --------------------------------------------------------------------------------------------------
# status rules (§14.4): T = 100, w = 0.05 -> band edge 95 / 105


@pytest.mark.parametrize("v, expected", [(120, "met"), (100, "met"), (99.99, "warning"), (95, "warning"),
                                         (94.99, "breached"), (0, "breached")])
def test_status_higher(v, expected):
    assert status_of(v, "higher", 100) == expected


@pytest.mark.parametrize("v, expected", [(0, "met"), (100, "met"), (100.01, "warning"), (105, "warning"),
                                         (105.01, "breached")])
def test_status_lower(v, expected):
    assert status_of(v, "lower", 100) == expected


@pytest.mark.parametrize("v, expected", [(65, "met"), (90, "met"), (115, "met"), (64.99, "warning"),
                                         (61.75, "warning"), (61.74, "breached"), (115.01, "warning"),
                                         (120.75, "warning"), (120.76, "breached")])
def test_status_band(v, expected):
    # GB 50137-2011 per-capita construction land 65–115 m²/person; w·lo = 3.25, w·hi = 5.75
    assert status_of(v, "band", (65, 115)) == expected


@pytest.mark.parametrize("v, eps, expected", [(0, 0, "met"), (0.01, 0, "breached"), (0.5, 0.5, "met"),
                                              (0.51, 0.5, "breached")])
def test_status_zero(v, eps, expected):
    assert status_of(v, "zero", tolerance=eps) == expected


def test_status_with_another_warning_band_and_negative_target():
    assert status_of(80, "higher", 100, warning=0.2) == "warning"
    assert status_of(79.9, "higher", 100, warning=0.2) == "breached"
    # a net-sink target (NCE ≤ −100): the band stays above it, |T|·w wide
    assert status_of(-100, "lower", -100) == "met"
    assert status_of(-96, "lower", -100) == "warning"
    assert status_of(-94, "lower", -100) == "breached"


@pytest.mark.parametrize("args, kw, match", [
    (("higher",), {}, "needs a target"),
    (("lower", None), {}, "needs a target"),
    (("band", (115, 65)), {}, "lo > hi"),
    (("band", 65), {}, "two numbers"),
    (("upward", 1), {}, "expected one of"),
    (("highr", 1), {}, "did you mean 'higher'"),
    (("higher", 1), {"warning": -0.1}, "warning band"),
    (("zero", 5), {}, "tolerance"),
    (("zero",), {"tolerance": -1}, "ε ≥ 0"),
    (("higher", (1, 2)), {}, "one number"),
])
def test_status_refusals(args, kw, match):
    with pytest.raises(InputValidationError, match=match):
        status_of(1.0, *args, **kw)
    with pytest.raises(InputValidationError, match="value"):
        status_of(float("nan"), "higher", 1)


# --------------------------------------------------------------------------------------------------
# trend warning


def test_trend_crossing_by_hand():
    # FC 30, 29, 28 in 2000, 2005, 2010: line 30 − 0.2 (t − 2000). Target 27.5, w 0.05: breached below
    # 26.125, i.e. t − 2000 > 19.375: first whole year 2020 (2019: 26.2 is only a warning)
    years, fc = [2000, 2005, 2010], [30.0, 29.0, 28.0]
    assert trend_crossing(years, fc, "higher", 27.5, target_year=2025) == 2020
    assert trend_crossing(years, fc, "higher", 27.5, target_year=2020) == 2020      # up to the target year
    assert trend_crossing(years, fc, "higher", 27.5, target_year=2019) is None
    assert trend_crossing(years[:2], fc[:2], "higher", 27.5, target_year=2025) is None   # < 3 years
    assert trend_crossing(years, [28.0, 29.0, 30.0], "higher", 27.5, target_year=2060) is None
    # zero: RE 0, 1, 2 ha -> line t − 2000)/5 > ε = 3 from 2016
    assert trend_crossing(years, [0.0, 1.0, 2.0], "zero", tolerance=3.0, target_year=2035) == 2016


def test_assess_status_and_trend_warning():
    rows = pd.DataFrame({"scenario": ["", "", "", "natural"], "zone": ["A"] * 4, "year": [2000, 2005, 2010, 2025],
                         "indicator": ["FC"] * 4, "value": [30.0, 29.0, 28.0, 27.6], "unit": ["%"] * 4,
                         "kind": ["observed"] * 3 + ["projected"]})
    a = assess(rows, [Target("FC", 27.5, year=2025)])
    assert a["status"].tolist() == ["met", "met", "warning", "met"]
    assert a["trend"].tolist() == [False, False, True, False]
    assert a["trend_year"].tolist()[2] == 2020 and pd.isna(a["trend_year"].iloc[3])
    assert a["target"].tolist() == [27.5] * 4 and a["warning"].tolist() == [0.05] * 4
    assert I.status_label("warning", True) == "warning (trend)" and I.status_label("warning", True, "zh") == "预警（趋势）"
    # without a target year there is no trend check; without a target no status
    a = assess(rows, [Target("FC", 27.5)])
    assert a["status"].tolist() == ["met"] * 4 and not a["trend"].any()
    assert assess(rows)["status"].isna().all()


def test_assess_zone_target_wins_and_band_columns():
    rows = pd.DataFrame({"zone": ["A", "B", "A"], "year": [2030] * 3, "indicator": ["PCB", "PCB", "RE"],
                         "value": [120.0, 120.0, 0.0], "unit": ["m²/person", "m²/person", "ha"]})
    a = assess(rows, [Target("PCB", (65, 115)), Target("PCB", (100, 130), zone="B"), Target("RE")])
    assert a["status"].tolist() == ["warning", "met", "met"]
    assert a[["target", "target_hi"]].values.tolist()[:2] == [[65.0, 115.0], [100.0, 130.0]]
    assert a["direction"].tolist() == ["band", "band", "zero"]
    with pytest.raises(InputValidationError, match="two targets"):
        assess(rows, [Target("RE"), Target("RE")])
    with pytest.raises(InputValidationError, match="did you mean 'PCB'"):
        assess(rows, [Target("PCBB", 1)])
    with pytest.raises(InputValidationError, match="needs a target"):
        assess(rows, [Target("PCB")])
    with pytest.raises(InputValidationError, match="no value"):
        assess(rows.assign(value=np.nan))


# --------------------------------------------------------------------------------------------------
# P_met


def test_p_met_over_realizations_and_draws():
    # FC 2035 in 4 realizations: 25, 24 met; 23 warning; 22 breached (T 24, w 0.05 -> 22.8) -> 0.5
    ens = pd.DataFrame({"scenario": ["eco"] * 4, "zone": [REGION] * 4, "year": [2035] * 4, "indicator": ["FC"] * 4,
                        "value": [25.0, 24.0, 23.0, 22.0], "unit": ["%"] * 4, "realization": [0, 1, 2, 3]})
    p = I.p_met(ens, [Target("FC", 24.0)])
    assert p[["scenario", "indicator", "p_met", "n"]].values.tolist() == [["eco", "FC", 0.5, 4]]
    # carbon: 2 realizations × 3 density draws, S ≥ 1000 Mg C met in 4 of 6
    s = pd.DataFrame({"zone": ["A"] * 6, "year": [2035] * 6, "indicator": ["S"] * 6,
                      "value": [990.0, 1000.0, 1010.0, 1001.0, 999.0, 1200.0], "unit": ["Mg C"] * 6,
                      "realization": [0, 0, 0, 1, 1, 1], "draw": [0, 1, 2, 0, 1, 2]})
    p = I.p_met(s, [Target("S", 1000.0)])
    assert p["p_met"].tolist() == [pytest.approx(4 / 6)] and p["n"].tolist() == [6]
    with pytest.raises(InputValidationError, match="realization"):
        I.p_met(s.drop(columns=["realization", "draw"]), [Target("S", 1000.0)])


# --------------------------------------------------------------------------------------------------
# user indicators and the expression parser


def test_expression_valid():
    e = I.parse_expression("area_forest_ha / area_total_ha * 100")
    assert e.names == ("area_forest_ha", "area_total_ha")
    assert e.evaluate({"area_forest_ha": 30.0, "area_total_ha": 120.0}) == 25.0
    assert I.parse_expression("−(a − b) × 2 ÷ 4").evaluate({"a": 1.0, "b": 3.0}) == 1.0
    assert I.parse_expression("max(a, b, 0) + min(a, -b) + abs(-2)").evaluate({"a": 1.0, "b": 3.0}) == 3 - 3 + 2
    assert I.parse_expression("1.5e3 + 2").evaluate({}) == 1502


@pytest.mark.parametrize("text, match", [
    ("a.b", "attribute access"),
    ("__import__('os').system('x')", "calling attribute access"),
    ("__import__('os')", "unknown function __import__"),
    ("open('x')", "unknown function open"),
    ("mx(a, b)", "did you mean 'max'"),
    ("a ** 2", "powers"),
    ("a // 2", "floor division"),
    ("a if b else c", "if … else"),
    ("a[0]", "subscripts"),
    ("'text'", "constant"),
    ("a < b", "comparisons"),
    ("lambda: 1", "lambda"),
    ("(a).__class__", "attribute access"),
    ("max(a)", "two or more"),
    ("max(a, key=b)", "keyword"),
    ("a +", "not a valid expression"),
    ("True + 1", "constant"),
    ("", "expected an arithmetic expression"),
])
def test_expression_forbidden(text, match):
    with pytest.raises(InputValidationError, match=match):
        I.parse_expression(text)


def test_expression_unknown_variable_names_the_known_ones():
    with pytest.raises(InputValidationError) as err:
        I.parse_expression("area_forest / area_total_ha", known=["area_forest_ha", "area_total_ha", "stock_MgC"])
    msg = str(err.value)
    assert "'area_forest'" in msg and "did you mean 'area_forest_ha'" in msg and "stock_MgC" in msg


def test_user_indicators_by_hand():
    a = _areas()
    defs = [UserIndicator("built_per_total", "area_built_up_ha / area_total_ha", "-", "lower", "建设用地比"),
            UserIndicator("wet", "area_water_ha × 15", "mu", "higher")]
    x = I.user_indicators(a, defs)
    # B 2030: built-up 3 ha of 5 -> 0.6; region 2030: 4 of 11
    assert _v(x, "B", 2030, "built_per_total", "indicator") == pytest.approx(0.6)
    assert _v(x, REGION, 2030, "built_per_total", "indicator") == pytest.approx(4 / 11)
    assert _v(x, "A", 2020, "wet", "indicator") == 15.0 and set(x[x.indicator == "wet"]["unit"]) == {"mu"}
    # zone A 2020 has no built-up land: a division by it is an error naming the place, never an inf
    with pytest.raises(InputValidationError, match="divides by zero.*zone 'A' 2020"):
        I.user_indicators(a, [UserIndicator("x", "area_forest_ha / area_built_up_ha", "-", "higher")])
    with pytest.raises(InputValidationError, match="did you mean 'area_forest_ha'"):
        I.user_indicators(a, [UserIndicator("x", "area_forrest_ha", "ha", "higher")])
    with pytest.raises(InputValidationError, match="shadow"):
        I.user_indicators(a, [UserIndicator("FC", "area_forest_ha", "ha", "higher")])
    with pytest.raises(InputValidationError, match="direction"):
        I.user_indicators(a, [UserIndicator("x", "area_forest_ha", "ha", "up")])


# --------------------------------------------------------------------------------------------------
# the whole model: definitions, compute, spec


def test_definitions_registry():
    zh = {"FC": "森林覆盖率", "CR": "耕地保有量完成率", "BF": "永久基本农田保护率", "ES": "生态用地占比",
          "RE": "生态保护红线侵占", "UB": "城镇开发边界外新增建设用地", "UX": "城镇开发边界扩展倍数",
          "BLG": "单位GDP建设用地", "PCB": "人均建设用地", "S": "碳储量", "K": "年碳汇", "NCE": "净碳排放",
          "CI": "碳排放强度", "CIR": "碳排放强度下降率", "PCE": "人均碳排放", "GB": "绿色建筑占比"}
    assert {k: d.name_zh for k, d in I.INDICATORS.items()} == zh
    directions = {k: d.direction for k, d in I.INDICATORS.items()}
    assert directions == {"FC": "higher", "CR": "higher", "BF": "higher", "ES": "higher", "RE": "zero", "UB": "zero",
                          "UX": "lower", "BLG": "lower", "PCB": "band", "S": "higher", "K": "higher", "NCE": "lower",
                          "CI": "lower", "CIR": "higher", "PCE": "lower", "GB": "higher"}
    for d in I.INDICATORS.values():
        assert d.unit and d.name_en and d.source.startswith("methods.md §14") and d.inputs
    assert list(I.definitions_frame().columns) == ["indicator", "name_zh", "name_en", "unit", "direction", "family",
                                                   "expression", "source"]


def test_compute_assesses_every_family():
    v = pd.concat([_areas().assign(scenario=""), _carbon_vars()], ignore_index=True)
    res = I.compute(v, targets=[Target("FC", 20.0, year=2035), Target("RE"), Target("CIR", 50.0)], base_year=2005,
                    user=[UserIndicator("crop_share", "area_cropland_ha / area_total_ha * 100", "%", "higher")])
    x = res.indicators
    assert {"FC", "ES", "RE", "UB", "UX", "BF", "S", "K", "NCE", "CI", "CIR", "PCE", "GB", "crop_share"} <= set(x.indicator)
    r = x[(x.indicator == "RE") & (x.zone == "A") & (x.year == 2030)].iloc[0]
    assert (r.value, r.status, r.kind) == (2.0, "breached", "observed")
    assert x[(x.indicator == "CIR") & (x.scenario == "low")]["kind"].tolist() == ["projected"]
    assert x[(x.indicator == "CIR") & (x.scenario == "low")]["status"].tolist() == ["met"]        # 80 % ≥ 50 %
    assert set(res.definitions["indicator"]) == set(x.indicator)
    assert res.definitions.set_index("indicator").loc["crop_share", "family"] == "user"


def test_spec():
    from landcarbon.core.validation import validate

    s = I.SPEC
    assert s.id == "indicators" and s.title_zh and s.methods_ref.startswith("methods.md §14")
    for inp in s.inputs:
        assert inp.doc and inp.label_zh, inp.name
    for o in s.outputs:
        assert o.doc and o.doc_zh, o.name
    _, issues = validate(s, {})
    assert [i.key for i in issues] == ["variables"]


def test_no_literal_co2_ratio_in_the_package():
    """44/12 comes from landcarbon.core.units only (methods.md §1.1, §4.4)."""
    root = Path(I.__file__).parent
    hits = []
    for p in root.glob("*.py"):
        toks = [t.string for t in tokenize.generate_tokens(io.StringIO(p.read_text(encoding="utf-8")).readline)
                if t.type in (tokenize.NUMBER, tokenize.OP)]
        for i, t in enumerate(toks):
            if t in ("3.67", "3.667", "3.6667", "0.2727", "0.27273"):
                hits.append((p.name, t))
            if i + 2 < len(toks) and toks[i + 1] == "/" and {t, toks[i + 2]} <= {"44", "12", "44.0", "12.0"} \
                    and t != toks[i + 2]:
                hits.append((p.name, f"{t}/{toks[i + 2]}"))
    assert hits == []
