"""Carbon stock model (methods.md §1.3–1.4, §2): hand-computed cases, InVEST test vectors, parity."""

from __future__ import annotations

import sys
from pathlib import Path

import dask
import numpy as np
import pandas as pd
import pytest

from landcarbon.core.errors import InputValidationError, MissingClassError, UnitError
from landcarbon.models import carbon_stock as cs
from landcarbon.testing import make_lulc, no_compute

sys.path.insert(0, str(Path(__file__).parent))
import _invest_reference as ir  # noqa: E402

POOLS_2 = pd.DataFrame({"lucode": [1, 2], "C_above": [15, 5], "C_below": [10, 3], "C_soil": [60, 20],
                        "C_dead": [1, 0]})


def _run(maps, pools, chunks=None, **kw):
    if chunks:
        maps = [m.chunk({"y": chunks, "x": chunks}) for m in maps]
        if kw.get("zones") is not None:
            kw["zones"] = kw["zones"].chunk({"y": chunks, "x": chunks})
    r = cs.compute(maps, pools, **kw)
    acc = dask.compute(r.accounts)[0] if chunks else r.accounts
    return r, cs.summarize(r, acc)


# -- valuation constant: every test vector of methods.md §2.1 -----------------------------------------
@pytest.mark.parametrize("price,r,c,y0,y1,k", [
    (43, -7.1, 2.8, 2016, 2030, 59.00136),
    (43, 0, 0, 2016, 2030, 43.0),
    (50, 50, 5, 2010, 2012, 40.87302),
    (50, 7, 3, 2020, 2035, 27.61041843160285),
])
def test_valuation_constant_vectors(price, r, c, y0, y1, k):
    got = cs.valuation_constant(price, y0, y1, discount_rate=r, price_change=c)
    # the table prints K to 5 decimals (the last one to full precision)
    assert got == pytest.approx(k, abs=5e-6 if k != 27.61041843160285 else 1e-13)
    # independent check: the series (V/n) Σ_{t<n} ρ^t
    n = y1 - y0
    rho = 1 / ((1 + r / 100) * (1 + c / 100))
    assert got == pytest.approx(price / n * sum(rho ** t for t in range(n)), rel=1e-12)


def test_valuation_price_growth_and_order():
    # g = 3 %, r = 7 %, n = 2: K = 50/2 × (1 + 1.03/1.07)
    assert cs.valuation_constant(50, 2020, 2022, discount_rate=7, price_growth=3) == pytest.approx(
        25 * (1 + 1.03 / 1.07))
    with pytest.raises(InputValidationError, match="do not increase"):
        cs.valuation_constant(43, 2030, 2030)


# -- the InVEST one-pixel vector: 15/10/60/1 -> 5/3/20/0 on a 10 m pixel ------------------------------
@pytest.mark.parametrize("chunks", [None, 1])
def test_invest_vector_single_pixel(chunks):
    # C_bas = 15+10+60+1 = 86, C_alt = 5+3+20+0 = 28 Mg/ha; ΔC = -58; 10 m pixel = 0.01 ha
    # totals 0.86, 0.28, -0.58 Mg; K = 59.00136 -> NPV = -58 × 59.00136 × 0.01 = -34.2208
    a = make_lulc([[1]], cell_size=10, nodata=None)
    b = make_lulc([[2]], cell_size=10, nodata=None)
    r, s = _run([a, b], POOLS_2, chunks, years=[2016, 2030], price=43, discount_rate=-7.1, price_change=2.8)
    m, c = s["summary"]["maps"], s["summary"]["changes"][0]
    assert m[0]["total_MgC"] == pytest.approx(0.86, rel=1e-12)
    assert m[1]["total_MgC"] == pytest.approx(0.28, rel=1e-12)
    assert c["change_MgC"] == pytest.approx(-0.58, rel=1e-12)
    assert c["npv"] == pytest.approx(-34.2208, abs=5e-5)
    assert float(np.asarray(r.npv[0])[0, 0]) == pytest.approx(-3422.079, abs=1e-3)   # per ha
    assert np.asarray(r.storage[0]).dtype == np.float32


def test_invest_vector_zero_rates():
    # K = V = 43 when r = c = 0: NPV = -58 × 43 = -2494 per ha; a 100 m pixel is 1 ha
    a = make_lulc([[1]], cell_size=100, nodata=None)
    b = make_lulc([[2]], cell_size=100, nodata=None)
    r, s = _run([a, b], POOLS_2, years=[2016, 2030], price=43)
    assert s["summary"]["changes"][0]["npv"] == pytest.approx(-2494.0, rel=1e-7)
    assert float(np.asarray(r.npv[0])[0, 0]) == pytest.approx(-2494.0)


# -- hand-computed map with nodata and two classes ----------------------------------------------------
@pytest.mark.parametrize("chunks", [None, 1, 2])
def test_stock_by_hand(chunks):
    # 100 m cells = 1 ha; 0 = nodata.  class 1 = 86, class 2 = 28 Mg C/ha
    # map A: 1 1 / 2 0 -> 86 + 86 + 28 = 200 Mg C;  map B: 2 1 / 2 2 -> 28 + 86 + 28 + 28 = 170 Mg C
    # change where both valid: (28-86) + 0 + 0 = -58 Mg C (the nodata cell of A is valid only in B: 1 ha)
    a = make_lulc([[1, 1], [2, 0]])
    b = make_lulc([[2, 1], [2, 2]])
    r, s = _run([a, b], POOLS_2, chunks, years=[2020, 2030])
    maps, ch = s["summary"]["maps"], s["summary"]["changes"][0]
    assert maps[0]["total_MgC"] == pytest.approx(200.0)
    assert maps[1]["total_MgC"] == pytest.approx(170.0)
    assert ch["change_MgC"] == pytest.approx(-58.0)
    assert ch["stock_difference_MgC"] == pytest.approx(-30.0)
    assert ch["area_valid_to_only_ha"] == pytest.approx(1.0)
    st = np.asarray(r.storage[0])
    assert st[0, 0] == 86 and st[1, 0] == 28 and np.isnan(st[1, 1])
    d = np.asarray(r.change[0])
    assert d[0, 0] == -58 and d[0, 1] == 0 and np.isnan(d[1, 1])
    zc = s["zone_class"]
    # class 1 in 2030: 1 ha × 86 = 86 Mg C; change vs 2020 = 86 - 172 = -86
    row = zc[(zc.code == 1) & (zc.year == 2030)].iloc[0]
    assert row.area_ha == pytest.approx(1.0) and row.stock_MgC == pytest.approx(86.0)
    assert row.change_MgC == pytest.approx(-86.0)
    assert row.stock_tCO2 == pytest.approx(86.0 * 44 / 12)
    tr = s["transitions"]
    assert tr[(tr.code_from == 1) & (tr.code_to == 2)].change_MgC.item() == pytest.approx(-58.0)


def test_compute_is_lazy_on_dask():
    a = make_lulc([[1, 1], [2, 0]], chunks=1)
    b = make_lulc([[2, 1], [2, 2]], chunks=1)
    with no_compute():
        r = cs.compute([a, b], POOLS_2, years=[2020, 2030], price=10)
    assert hasattr(r.storage[0].data, "dask") and hasattr(r.accounts, "compute")


def test_minus_one_change_is_kept():
    # C_alt - C_bas = 85 - 86 = -1.0 Mg C/ha exactly: InVEST writes it as its nodata (-1) and drops it;
    # we keep it: total change = -1 Mg C on a 1 ha cell; the InVEST re-implementation loses it
    pools = pd.DataFrame({"lucode": [1, 2], "c_above": [15, 14], "c_below": [10, 10], "c_soil": [60, 60],
                          "c_dead": [1, 1]})
    a = make_lulc([[1, 1]])
    b = make_lulc([[2, 1]])
    r, s = _run([a, b], pools, years=[2020, 2021], price=10)
    assert s["summary"]["changes"][0]["change_MgC"] == pytest.approx(-1.0)
    assert s["summary"]["changes"][0]["npv"] == pytest.approx(-10.0)
    assert float(np.asarray(r.change[0])[0, 0]) == -1.0
    # InVEST-style: the -1 pixel becomes nodata, so its total change is 0 (the defect we do not copy)
    tbl = {p: dict(zip(pools.lucode, pools[p])) for p in ir.POOLS}
    d = ir.change(ir.storage(a.values, 0, tbl), ir.storage(b.values, 0, tbl))
    assert ir.total(d, -1.0, 100 * 100) == 0.0


def test_float32_arithmetic_like_invest():
    # 0.1 + 0.2 + 0.3 + 0.4 in float32 (above+below+soil+dead order) is not 1.0 in float64
    pools = pd.DataFrame({"lucode": [1], "c_above": [0.1], "c_below": [0.2], "c_soil": [0.3], "c_dead": [0.4]})
    r, s = _run([make_lulc([[1]])], pools)
    f32 = np.float32(np.float32(np.float32(np.float32(0.1) + np.float32(0.2)) + np.float32(0.3)) + np.float32(0.4))
    assert np.asarray(r.storage[0])[0, 0] == f32
    assert s["summary"]["maps"][0]["total_MgC"] == float(f32)


# -- more than two maps and scenarios -----------------------------------------------------------------
def test_three_dated_maps_consecutive_and_first_to_last():
    # class 1 = 86, class 2 = 28; maps: 1, 2, 1 on one 1 ha cell -> changes -58, +58 and first->last 0
    maps = [make_lulc([[1]]), make_lulc([[2]]), make_lulc([[1]])]
    _, s = _run(maps, POOLS_2, years=[2000, 2010, 2020])
    ch = s["summary"]["changes"]
    assert [(c["from"], c["to"], c["kind"]) for c in ch] == [
        (2000, 2010, "consecutive"), (2010, 2020, "consecutive"), (2000, 2020, "first_to_last")]
    assert [c["change_MgC"] for c in ch] == pytest.approx([-58.0, 58.0, 0.0])


def test_scenarios_share_a_year():
    maps = [make_lulc([[1]]), make_lulc([[2]]), make_lulc([[1]])]
    r, s = _run(maps, POOLS_2, years=[2020, 2035, 2035], labels=["2020", "2035_A", "2035_B"])
    ch = s["summary"]["changes"]
    assert [(c["from_label"], c["to_label"]) for c in ch] == [("2020", "2035_A"), ("2020", "2035_B")]
    assert [c["change_MgC"] for c in ch] == pytest.approx([-58.0, 0.0])


# -- zones, zone- and year-specific densities ---------------------------------------------------------
def test_zone_and_year_specific_densities():
    # zone A: class 1 = 100 (row for zone A), zone B falls back to the default 86; in 2030 the year row
    # (any zone) gives class 1 = 50 everywhere except zone A, whose zone row (any year) wins? No: the
    # order is (z,t) → (z,any) → (any,t) → default, so zone A keeps 100 and zone B takes 50 in 2030.
    pools = pd.DataFrame({
        "lucode": [1, 1, 1, 2], "zone": ["A", "", "", ""], "year": [None, None, 2030, None],
        "c_above": [100, 15, 50, 5], "c_below": [0, 10, 0, 3], "c_soil": [0, 60, 0, 20], "c_dead": [0, 1, 0, 0]})
    lulc = make_lulc([[1, 1]])
    zones = make_lulc([[1, 2]], nodata=None, dtype="int32", name="zones")
    _, s = _run([lulc, lulc], pools, years=[2020, 2030], zones=zones, zone_names=["A", "B"])
    m = s["summary"]["maps"]
    assert m[0]["total_MgC"] == pytest.approx(100 + 86)
    assert m[1]["total_MgC"] == pytest.approx(100 + 50)
    zc = s["zone_class"].set_index(["zone", "year"])
    assert zc.loc[("A", 2020), "density_source"] == "zone"
    assert zc.loc[("B", 2020), "density_source"] == "default"
    assert zc.loc[("B", 2030), "density_source"] == "year"
    assert zc.loc[("B", 2030), "change_MgC"] == pytest.approx(50 - 86)
    bz = s["by_zone"].set_index(["zone", "year"])
    assert bz.loc[("A", 2030), "stock_MgC"] == pytest.approx(100)


def test_zone_density_missing_is_an_error():
    pools = pd.DataFrame({"lucode": [1], "zone": ["A"], "c_above": [1], "c_below": [0], "c_soil": [0],
                          "c_dead": [0]})
    zones = make_lulc([[1, 2]], nodata=None, dtype="int32", name="zones")
    with pytest.raises(MissingClassError, match="zone B: code 1"):
        r, _ = _run([make_lulc([[1, 1]])], pools, zones=zones, zone_names=["A", "B"])
        cs.check_accounts(r.plan, r.accounts)


def test_density_rasters_replace_a_pool():
    # soil from a raster: 10 and 20 Mg C/ha; table soil ignored; class 1 other pools = 15+10+1 = 26
    soil = make_lulc([[10.0, 20.0]], nodata=None, dtype="float32", name="soil")
    lulc = make_lulc([[1, 1]])
    r, s = _run([lulc], POOLS_2, density_rasters={"soil": soil})
    assert np.asarray(r.storage[0]).tolist() == [[36.0, 46.0]]
    assert s["summary"]["maps"][0]["total_MgC"] == pytest.approx(82.0)


def test_geographic_cells_use_ellipsoidal_area():
    # WGS 84 row 30.00-30.05 N, Δλ = 0.05°: 2 673.27 ha (methods §1.3); class 1 = 86 Mg C/ha
    lulc = make_lulc([[1]], cell_size=0.05, crs="EPSG:4326", origin=(110.0, 30.05))
    _, s = _run([lulc], POOLS_2)
    assert s["summary"]["maps"][0]["area_valid_ha"] == pytest.approx(2673.27456, rel=1e-6)
    assert s["summary"]["maps"][0]["total_MgC"] == pytest.approx(86 * 2673.27456, rel=1e-6)


# -- pools table validation ---------------------------------------------------------------------------
def test_pools_columns_case_insensitive_and_code_alias():
    df = pd.DataFrame({"Code": [3], "C_ABOVE": [1], "c_Below": [2], "C_soil": [3], "C_Dead": [4]})
    t = cs.read_pools(df)
    assert t.frame["code"].tolist() == [3]
    assert t.frame[list(cs.POOL_COLUMNS)].to_numpy().tolist() == [[1, 2, 3, 4]]


@pytest.mark.parametrize("df,match", [
    (pd.DataFrame({"lucode": [1], "c_above": [1], "c_below": [1], "c_soil": [1]}), "c_dead"),
    (pd.DataFrame({"lucode": [1, 2], "c_above": [1, -2], "c_below": [1, 1], "c_soil": [1, 1], "c_dead": [0, 0]}),
     "negative for code"),
    (pd.DataFrame({"lucode": [1, 2], "c_above": [1, None], "c_below": [1, 1], "c_soil": [1, 1], "c_dead": [0, 0]}),
     "empty or not a number for code"),
    (pd.DataFrame({"lucode": [1.5], "c_above": [1], "c_below": [1], "c_soil": [1], "c_dead": [0]}), "integers"),
    (pd.DataFrame({"lucode": [1, 1], "c_above": [1, 1], "c_below": [1, 1], "c_soil": [1, 1], "c_dead": [0, 0]}),
     "more than once"),
    (pd.DataFrame({"name": [1], "c_above": [1], "c_below": [1], "c_soil": [1], "c_dead": [0]}), "lucode"),
])
def test_pools_invalid(df, match):
    with pytest.raises(InputValidationError, match=match):
        cs.read_pools(df)


def test_pools_nodata_as_class_is_refused():
    df = pd.DataFrame({"lucode": [0, 1], "c_above": [1, 1], "c_below": [1, 1], "c_soil": [1, 1], "c_dead": [0, 0]})
    with pytest.raises(InputValidationError, match="nodata value"):
        cs.read_pools(df, nodata_values=[0])


def test_pools_units():
    # 1 kg C/m² = 10 Mg C/ha: 1.5 + 1 + 6 + 0.1 kg/m² = 86 Mg C/ha
    base = {"lucode": [1], "c_above": [1.5], "c_below": [1.0], "c_soil": [6.0], "c_dead": [0.1]}
    t = cs.read_pools(pd.DataFrame(base), units="kg C/m2")
    assert t.frame[list(cs.POOL_COLUMNS)].sum(axis=1).item() == pytest.approx(86.0)
    # a units row
    row = pd.DataFrame({"lucode": ["units", "1"], "c_above": ["kg/m2", 1.5], "c_below": ["kg/m2", 1.0],
                        "c_soil": ["kg/m2", 6.0], "c_dead": ["kg/m2", 0.1]})
    t2 = cs.read_pools(row)
    assert t2.frame[list(cs.POOL_COLUMNS)].sum(axis=1).item() == pytest.approx(86.0)
    # a units column
    t3 = cs.read_pools(pd.DataFrame({**base, "units": ["kg C/m2"]}))
    assert t3.frame[list(cs.POOL_COLUMNS)].sum(axis=1).item() == pytest.approx(86.0)
    # implausibly large values (g C/m² read as Mg C/ha): 8600 > 2000
    with pytest.raises(UnitError, match="another unit"):
        cs.read_pools(pd.DataFrame({"lucode": [1], "c_above": [1500], "c_below": [1000], "c_soil": [6000],
                                    "c_dead": [100]}))
    # ... accepted once declared: 8600 g C/m² = 86 Mg C/ha
    t4 = cs.read_pools(pd.DataFrame({"lucode": [1], "c_above": [1500], "c_below": [1000], "c_soil": [6000],
                                     "c_dead": [100]}), units="g C/m2")
    assert t4.frame[list(cs.POOL_COLUMNS)].sum(axis=1).item() == pytest.approx(86.0)
    with pytest.raises(UnitError, match="not understood"):
        cs.read_pools(pd.DataFrame(base), units="bananas")


# -- Monte Carlo --------------------------------------------------------------------------------------
def test_monte_carlo_seeded_and_paired():
    pools = POOLS_2.assign(sd_above=[3.0, 1.0], sd_below=[0.0, 0.0], sd_soil=[10.0, 4.0], sd_dead=[0.0, 0.0])
    a = make_lulc([[1, 1], [2, 2]])
    r, s = _run([a, a], pools, years=[2020, 2030], price=10)
    mc1 = cs.monte_carlo(r.plan, r.accounts, draws=2000, seed=7, cell_area_ha=r.cell_area_ha)
    mc2 = cs.monte_carlo(r.plan, r.accounts, draws=2000, seed=7, cell_area_ha=r.cell_area_ha)
    assert mc1 == mc2
    tot = mc1["maps"][0]["total_MgC"]
    # mean 2 × 86 + 2 × 28 = 228; SD of 2·(a1+s1) + 2·(a2+s2) = 2·sqrt(9+100+1+16) ≈ 22.4
    assert tot["mean"] == pytest.approx(228, rel=0.02)
    assert tot["sd"] == pytest.approx(2 * np.sqrt(126), rel=0.08)
    assert tot["p5"] < tot["p50"] < tot["p95"]
    # identical maps, paired draws: the change is exactly 0 in every draw
    assert mc1["changes"][0]["change_MgC"]["sd"] == 0.0
    with pytest.raises(InputValidationError, match="seed"):
        cs.monte_carlo(r.plan, r.accounts, draws=10, seed=None, cell_area_ha=1.0)


# -- parity with the float32 InVEST re-implementation on the real Willamette maps --------------------
@pytest.mark.realdata
def test_parity_with_invest_reimplementation_willamette(shared_data):
    from landcarbon.io import read_raster

    d = shared_data / "invest_willamette"
    cur = read_raster(d / "lulc_current_willamette.tif", chunks=None)
    fut = read_raster(d / "lulc_future_willamette.tif", chunks=None)
    assert cur.dtype != fut.dtype and cur.rio.nodata != fut.rio.nodata     # int16/128 vs int8/0
    df = pd.read_csv(d / "carbon_pools_willamette.csv")
    r = cs.compute([cur, fut], df, years=[2020, 2050], price=43, discount_rate=7, price_change=3)
    s = cs.summarize(r, r.accounts)["summary"]
    low = df.rename(columns=str.lower)
    tbl = {p: dict(zip(low.lucode, low[p])) for p in ir.POOLS}
    px = 30.0 * 30.0
    sa = ir.storage(cur.values, cur.rio.nodata, tbl)
    sb = ir.storage(fut.values, fut.rio.nodata, tbl)
    dd = ir.change(sa, sb)
    k = ir.valuation_constant(2020, 2050, 7, 3, 43)
    nv = ir.npv(dd, k)
    assert s["maps"][0]["total_MgC"] == pytest.approx(ir.total(sa, -1, px), rel=1e-9)
    assert s["maps"][1]["total_MgC"] == pytest.approx(ir.total(sb, -1, px), rel=1e-9)
    assert s["changes"][0]["change_MgC"] == pytest.approx(ir.total(dd, -1, px), rel=1e-9)
    assert s["changes"][0]["npv"] == pytest.approx(ir.total(nv, np.finfo(np.float32).max, px), rel=1e-6)
    # density maps equal to float32 precision (bit-equal here), nodata NaN where InVEST has -1
    ours = np.asarray(r.storage[0])
    np.testing.assert_array_equal(np.where(np.isnan(ours), -1, ours), sa)
    ours_d = np.asarray(r.change[0])
    np.testing.assert_array_equal(np.where(np.isnan(ours_d), -1, ours_d), dd)
    ours_n = np.asarray(r.npv[0])
    np.testing.assert_array_equal(np.where(np.isnan(ours_n), np.finfo(np.float32).max, ours_n), nv)


def test_fast_and_general_kernels_agree():
    # the table fast path (counts x float32 values) and the per-cell kernel (used with density rasters;
    # here a raster of zeros) must give identical maps and accounts
    rng = np.random.default_rng(3)
    a = rng.integers(0, 4, size=(37, 41)).astype("int16")     # 0 = nodata, 3 = code not in POOLS_2
    a[a == 3] = 1
    b = np.roll(a, 5, axis=1)
    zone = rng.integers(0, 3, size=a.shape).astype("int32")
    p = cs.plan(cs.read_pools(POOLS_2), years=[2020, 2040], zone_names=["A", "B"], price=43, discount_rate=7)
    infos = [cs.code_info(p, 0, a.dtype)] * 2
    rw = np.ones(a.shape[0])
    m1, acc1 = cs.process_block(p, [a, b], infos, zone=zone, row_w=rw)
    m2, acc2 = cs.process_block(p, [a, b], infos, zone=zone, row_w=rw, extra=np.zeros(a.shape, np.float32))
    assert isinstance(acc1, cs.Hist) and isinstance(acc2, cs.Accounts)
    for k in ("storage", "change", "npv"):
        np.testing.assert_array_equal(m1[k], m2[k])
    for x, y in zip(cs.to_accounts(p, acc1).as_tuple(), acc2.as_tuple()):
        np.testing.assert_array_equal(x, y)


def test_dask_with_zones_equals_numpy():
    rng = np.random.default_rng(5)
    a = rng.integers(1, 3, size=(9, 11))
    zones = make_lulc(rng.integers(0, 3, size=(9, 11)), nodata=None, dtype="int32", name="zones")
    la, lb = make_lulc(a), make_lulc(np.flipud(a))
    kw = dict(years=[2020, 2030], price=43, discount_rate=7, zone_names=["A", "B"])
    _, s1 = _run([la, lb], POOLS_2, None, zones=zones, **kw)
    _, s2 = _run([la, lb], POOLS_2, 4, zones=zones, **kw)
    assert s1["summary"]["maps"] == s2["summary"]["maps"]
    assert s1["summary"]["changes"] == s2["summary"]["changes"]
    pd.testing.assert_frame_equal(s1["zone_class"], s2["zone_class"])
