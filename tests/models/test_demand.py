"""Demand (methods.md §7.3–7.5): Markov powers incl. fractional horizons, rules, trend, tables."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from landcarbon.core.classes import ClassInfo, ClassScheme
from landcarbon.core.errors import InputValidationError, LandcarbonWarning, MissingClassError
from landcarbon.models import demand
from landcarbon.testing import make_lulc

P2 = np.array([[0.8, 0.2], [0.1, 0.9]])


def _pair_maps(n11=80, n12=20, n21=10, n22=90, codes=(1, 2), chunks=None):
    """map1: n11 + n12 cells of class a then n21 + n22 of class b; map2 per the counts (10 cols)."""
    a, b = codes
    m1 = [a] * (n11 + n12) + [b] * (n21 + n22)
    m2 = [a] * n11 + [b] * n12 + [a] * n21 + [b] * n22
    shape = (len(m1) // 10, 10)
    return (make_lulc(np.reshape(m1, shape), chunks=chunks), make_lulc(np.reshape(m2, shape), chunks=chunks))


def test_largest_remainder():
    # [1.5, 1.5, 1.0] -> floors 1, 1, 1 (3); one cell left -> the largest fraction, ties to the lower index
    assert demand.largest_remainder([1.5, 1.5, 1.0], 4).tolist() == [2, 1, 1]
    # values are scaled to the total first: [1, 1, 1] over 10 -> 3.33 each -> 4, 3, 3
    assert demand.largest_remainder([1, 1, 1], 10).tolist() == [4, 3, 3]
    assert demand.largest_remainder([0.2, 0.3, 0.5], 7).sum() == 7


def test_transition_probabilities_and_integer_power():
    p = demand.transition_probabilities(np.array([[8, 2], [1, 9]]))
    np.testing.assert_allclose(p, P2)
    # S = [100, 100]: S·P = [100×0.8 + 100×0.1, 100×0.2 + 100×0.9] = [90, 110]; S·P² = [90×0.8 + 110×0.1,
    # 90×0.2 + 110×0.9] = [83, 117]
    np.testing.assert_allclose(demand.project([100, 100], p, 1)[0], [90, 110])
    np.testing.assert_allclose(demand.project([100, 100], p, 2)[0], [83, 117])
    # a class absent at t1 persists (P_jj = 1)
    np.testing.assert_allclose(demand.transition_probabilities(np.array([[2, 2], [0, 0]])), [[0.5, 0.5], [0, 1]])


def test_fractional_power_eigen():
    # P = Π + 0.7^h (I − Π) with stationary π = [1/3, 2/3] (eigenvalues 1 and 0.7)
    r = demand.matrix_power(P2, 0.5)
    assert r.ok
    np.testing.assert_allclose(r.matrix @ r.matrix, P2, atol=1e-12)  # a square root of P
    # S = [100, 100]: S·Π = [66.667, 133.333]; S − S·Π = [33.333, −33.333]; × 0.7^0.5 = 0.836660
    # -> S·P^0.5 = [66.667 + 27.889, 133.333 − 27.889] = [94.555, 105.445]
    v, how = demand.project([100, 100], P2, 0.5)
    assert how == "eigen"
    np.testing.assert_allclose(v, [94.5553, 105.4447], atol=1e-4)


def test_fractional_power_fallback_interpolates():
    # P = [[0.2, 0.8], [0.8, 0.2]] has eigenvalue −0.6: no real root -> interpolate with a warning
    p = np.array([[0.2, 0.8], [0.8, 0.2]])
    assert not demand.matrix_power(p, 0.5).ok
    with pytest.warns(LandcarbonWarning, match="interpolating"):
        v, how = demand.project([100, 0], p, 0.5)
    # S·P⁰ = [100, 0], S·P¹ = [20, 80]; f = 0.5 -> [60, 40]
    assert how == "interpolate"
    np.testing.assert_allclose(v, [60, 40])


@pytest.mark.parametrize("chunks", [None, 7])
def test_markov_maps_fractional_horizon(chunks):
    m1, m2 = _pair_maps(chunks=chunks)
    # N = [[80, 20], [10, 90]] -> P = [[0.8, 0.2], [0.1, 0.9]], S(2010) = [90, 110], Δ = 10
    d = demand.markov(m1, m2, (2000, 2010), 2015)
    # h = 0.5: S·Π = [66.667, 133.333]; (S − S·Π) × 0.83666 = ±19.522 -> [86.189, 113.811]
    # -> floors 86 + 113 = 199; the last cell goes to the larger fraction (.811) -> [86, 114]
    assert d.columns.tolist() == ["code", "cells", "area_ha"]
    assert d["cells"].tolist() == [86, 114]
    assert d["area_ha"].tolist() == [86.0, 114.0]
    assert d.attrs["projection"] == {2015: "eigen"}
    # interpolation instead: (S + S·P)/2 = ([90, 110] + [83, 117])/2 = [86.5, 113.5] -> tie -> [87, 113]
    d2 = demand.markov(m1, m2, (2000, 2010), 2015, fractional="interpolate")
    assert d2["cells"].tolist() == [87, 113]
    # several targets: year column; 2010 = the start vector, 2020 = S·P = [83, 117]
    d3 = demand.markov(m1, m2, (2000, 2010), [2010, 2020, 2030])
    assert d3.columns.tolist() == ["year", "code", "cells", "area_ha"]
    assert d3[d3.year == 2010]["cells"].tolist() == [90, 110]
    assert d3[d3.year == 2020]["cells"].tolist() == [83, 117]
    # S·P² = [83×0.8 + 117×0.1, 83×0.2 + 117×0.9] = [78.1, 121.9] -> [78, 122]
    assert d3[d3.year == 2030]["cells"].tolist() == [78, 122]


def test_markov_flus_origin():
    m1, m2 = _pair_maps()
    # FLUS: S(t1) = [100, 100], n = (2020 − 2010)//10 + 1 = 2 steps -> S·P² = [83, 117]
    d = demand.markov(m1, m2, (2000, 2010), 2020, markov_origin="flus")
    assert d["cells"].tolist() == [83, 117]


def test_markov_non_consecutive_codes_keep_codes():
    m1, m2 = _pair_maps(codes=(10, 40))
    d = demand.markov(m1, m2, (2000, 2010), 2020)
    assert d["code"].tolist() == [10, 40] and d["cells"].tolist() == [83, 117]


def test_markov_start_on_map2_mask_conserves_its_valid_cells():
    m1, m2 = _pair_maps()
    a1 = m1.values.copy()
    a1[0, :3] = 0  # 3 cells nodata only in map1: P from 197 common cells, S(t2) over map2's 200 cells
    d = demand.markov(make_lulc(a1), m2, (2000, 2010), 2023)
    assert d["cells"].sum() == 200
    dc = demand.markov(make_lulc(a1), m2, (2000, 2010), 2023, start="common")
    assert dc["cells"].sum() == 197


SCHEME = ClassScheme("toy", (ClassInfo(1, "crop", "耕地", "Cropland", "#ff0", "cropland"),
                             ClassInfo(2, "forest", "林地", "Forest", "#0f0", "forest"),
                             ClassInfo(3, "urban", "建设用地", "Urban", "#f00", "built_up")))
P3 = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.0, 0.0, 1.0]])


def test_rules_renormalise_diagonal():
    # cropland -> built-up −70 %: P'13 = 0.1 × 0.3 = 0.03; P'11 = 1 − 0.2 − 0.03 = 0.77
    rules = [demand.Rule("cropland", "built_up", -0.7)]
    p = demand.apply_rules(P3, [1, 2, 3], rules, scheme=SCHEME)
    np.testing.assert_allclose(p[0], [0.77, 0.2, 0.03])
    np.testing.assert_allclose(p[1:], P3[1:])
    # the built-in scenario: same rule (the unused-land rule selects nothing here)
    sc = demand.get_scenario("cropland_protection")
    np.testing.assert_allclose(demand.apply_rules(P3, [1, 2, 3], sc.rules, scheme=SCHEME)[0], [0.77, 0.2, 0.03])
    # rules from a CSV-like table, by class code, two rules on one cell multiply: 0.1 × 1.5 × 2 = 0.3
    tbl = pd.DataFrame({"from": ["2", "2"], "to": ["3", "*"], "change_pct": [50, 100]})
    p = demand.apply_rules(P3, [1, 2, 3], demand.rules_from_frame(tbl))
    # forest row: P21 = 0.1 × 2 = 0.2, P23 = 0.1 × 1.5 × 2 = 0.3, P22 = 1 − 0.5 = 0.5
    np.testing.assert_allclose(p[1], [0.2, 0.5, 0.3])


def test_rules_errors():
    # forest -> cropland +900 %: 0.1 × 10 = 1.0, plus 0.1 to built-up = 1.1 > 1 -> P22 = −0.1
    with pytest.raises(InputValidationError, match=r"row 2 .*1\.1000 > 1.*\+0\.9000"):
        demand.apply_rules(P3, [1, 2, 3], [demand.Rule("forest", "cropland", 9.0)], scheme=SCHEME)
    with pytest.raises(InputValidationError, match="class scheme"):
        demand.apply_rules(P3, [1, 2, 3], [demand.Rule("forest", "cropland", 0.1)])
    with pytest.raises(MissingClassError):
        demand.apply_rules(P3, [1, 2, 3], [demand.Rule("9", "1", 0.1)])
    with pytest.raises(InputValidationError, match="unknown"):
        demand.get_scenario("moon_base")
    with pytest.raises(InputValidationError, match="change_pct"):
        demand.rules_from_frame(pd.DataFrame({"from": [1], "to": [2]}))


def test_markov_with_scenario():
    m1, m2 = _pair_maps(codes=(1, 3))  # cropland 1 -> built-up 3
    d = demand.markov(m1, m2, (2000, 2010), 2020, scenario="cropland_protection", scheme=SCHEME)
    # P13 = 0.2 × 0.3 = 0.06, P11 = 0.94 ; S = [90, 110] -> [90×0.94 + 110×0.1, 90×0.06 + 110×0.9] = [95.6, 104.4]
    assert d["cells"].tolist() == [96, 104]
    assert d.attrs["scenario"] == "cropland_protection"


def test_trend_by_hand():
    # three maps of 20 cells; class 1 has 10, 12, 14 cells in 2000, 2005, 2010 -> share 0.5, 0.6, 0.7,
    # slope 0.02/a -> 2015: 0.8 × 20 = 16 cells; class 2: 4
    maps = []
    for n1 in (10, 12, 14):
        maps.append(make_lulc(np.reshape([1] * n1 + [2] * (20 - n1), (4, 5))))
    d = demand.trend(maps, [2000, 2005, 2010], 2015)
    assert d["cells"].tolist() == [16, 4]
    # 2030: share 1.1 and −0.1 -> error unless rescale (then [20, 0])
    with pytest.raises(InputValidationError, match="below 0"):
        demand.trend(maps, [2000, 2005, 2010], 2030)
    assert demand.trend(maps, [2000, 2005, 2010], 2030, rescale=True)["cells"].tolist() == [20, 0]


def test_from_table_and_check_total():
    t = pd.DataFrame({"code": [1, 2, 3], "cells": [50, 30, 20]})
    assert demand.from_table(t, total_cells=100, codes=[1, 2, 3])["cells"].tolist() == [50, 30, 20]
    with pytest.raises(InputValidationError, match=r"totals 100 cells but the start map has 120 valid cells"):
        demand.from_table(t, total_cells=120)
    # rescale the non-fixed classes: class 1 fixed at 50, classes 2 and 3 share 70 as 30:20 -> 42, 28
    r = demand.from_table(t, total_cells=120, rescale=True, fixed=[1])
    assert r["cells"].tolist() == [50, 42, 28]
    with pytest.raises(MissingClassError):
        demand.from_table(t, total_cells=100, codes=[1, 2, 3, 4])
    multi = pd.DataFrame({"year": [2020, 2020, 2030, 2030], "code": [1, 2, 1, 2], "cells": [6, 4, 7, 3]})
    out = demand.from_table(multi, total_cells=10)
    assert out.columns.tolist() == ["year", "code", "cells", "area_ha"]
    demand.check_total(out, 10)
    with pytest.raises(InputValidationError, match="for 2020 totals 10 cells but the start map has 11"):
        demand.check_total(out, 11)


# ----------------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def wuhan(shared_data):
    from landcarbon.io import read_raster

    maps = {y: read_raster(shared_data / "wuhan_plus" / f"wh{y}_refy.tif", categorical=True)
            for y in (2003, 2005, 2010)}
    return maps


def test_wuhan_markov_2005_2010_reference(wuhan):
    # methods.md §7.3 [C]: 2005 -> 2010 on the 3-year mask, 2010 vector projected one step to 2015
    m3 = (wuhan[2003].values != 15) & (wuhan[2005].values != -128) & (wuhan[2010].values != -128)
    masked = [wuhan[y].copy(data=np.where(m3, wuhan[y].values, -128).astype(np.int8))
              .rio.write_nodata(-128, encoded=False) for y in (2005, 2010)]
    d = demand.markov(*masked, (2005, 2010), 2015)
    assert d.attrs["start_vector"] == [66_404, 162_614, 2_774_100, 612_477, 148_802, 1_433_653, 127_561]
    assert d["cells"].tolist() == [64_139, 156_200, 2_564_041, 826_003, 201_265, 1_414_209, 99_754]
    # P^0.6 (target 2013) has a smallest entry of −0.0030: the eigen root is refused
    r = demand.matrix_power(d.attrs["P"].to_numpy(), 0.6)
    assert not r.ok and "-0.0030" in r.reason


def test_wuhan_markov_to_2013_fractional(wuhan):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        d = demand.markov(wuhan[2005], wuhan[2010], (2005, 2010), [2013, 2015, 2018])
    assert any(issubclass(x.category, LandcarbonWarning) for x in w)
    # h = 0.6 has no valid root (interpolated); h = 1.6 = P·P^0.6 happens to be non-negative (eigen)
    assert d.attrs["projection"] == {2013: "interpolate", 2015: "power", 2018: "eigen"}
    valid_2010 = int((wuhan[2010].values != -128).sum())
    assert valid_2010 == 5_326_119
    for _, g in d.groupby("year"):
        assert g["cells"].sum() == valid_2010  # exact, by largest remainders
    # urban keeps growing: 612 505 cells in 2010
    urban = d[d.code == 4].set_index("year")["cells"]
    assert 612_505 < urban[2013] < urban[2015] < urban[2018]
    assert d["area_ha"].sum() == pytest.approx(3 * valid_2010 * 0.09)


def test_annual_matrix_recorded():
    m1, m2 = _pair_maps()
    d = demand.markov(m1, m2, (2000, 2010), 2020)
    p1 = d.attrs["P_annual"].to_numpy()  # P^(1/10): eigenvalues 1 and 0.7^0.1, a valid root
    np.testing.assert_allclose(np.linalg.matrix_power(p1, 10), P2, atol=1e-12)
