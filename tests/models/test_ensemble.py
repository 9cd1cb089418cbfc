"""Ensembles of the simulation (methods.md §15.1): hand-computed statistics on a 3 × 3 map with four
realizations given directly, P_met, carbon over realizations × density draws, and determinism of
simulate_ensemble for any number of workers and on a Dask LocalCluster."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from landcarbon.core.errors import InputValidationError
from landcarbon.kernels import ensemble as ke
from landcarbon.models.simulate import LeasParams, prepare_simulation, simulate, simulate_ensemble
from landcarbon.models.simulate.ensemble import CarbonOptions, ensemble_statistics, p_met
from landcarbon.testing import make_lulc

# start map (0 = nodata at the bottom right) and four realizations; 100 m cells = 1 ha
L0 = [[1, 1, 2], [2, 2, 3], [3, 3, 0]]
R0 = [[1, 2, 2], [2, 3, 3], [3, 3, 0]]
R1 = [[2, 2, 2], [2, 1, 3], [3, 1, 0]]
R2 = [[1, 3, 2], [3, 3, 3], [3, 1, 0]]
R3 = [[2, 1, 2], [3, 1, 3], [3, 3, 0]]
# cell by cell (values over R0..R3):
#   (0,0) start 1: 1 2 1 2 -> p1 = p2 = 0.5, tie includes the start class -> modal 1; P_change 0.5
#   (0,1) start 1: 2 2 3 1 -> p2 = 0.5 -> modal 2; P_change 0.75
#   (0,2) start 2: 2 2 2 2 -> modal 2; P_change 0
#   (1,0) start 2: 2 2 3 3 -> tie 2/3 with the start class -> 2; P_change 0.5
#   (1,1) start 2: 3 1 3 1 -> tie 1/3 without the start class -> lowest code 1; P_change 1
#   (1,2), (2,0) start 3: always 3; (2,1) start 3: 3 1 1 3 -> tie with the start class -> 3; P_change 0.5
MODAL = [[1, 2, 2], [2, 1, 3], [3, 3, 0]]
P_CHANGE = [[0.5, 0.75, 0.0], [0.5, 1.0, 0.0], [0.0, 0.5, np.nan]]
ZONES = [[1, 1, 2], [1, 1, 2], [2, 2, 0]]
OBSERVED = [[2, 2, 2], [2, 1, 3], [3, 3, 0]]


def _given(**kw):
    maps = [make_lulc(m) for m in (R0, R1, R2, R3)]
    return ensemble_statistics(make_lulc(L0), maps, **kw)


def test_probabilities_change_and_modal_by_hand():
    res = _given()
    p = res.probability(0)
    np.testing.assert_allclose(p.sel(code=1).values, [[0.5, 0.25, 0], [0, 0.5, 0], [0, 0.5, np.nan]])
    np.testing.assert_allclose(p.sel(code=2).values, [[0.5, 0.5, 1], [0.5, 0, 0], [0, 0, np.nan]])
    np.testing.assert_allclose(p.sel(code=3).values, [[0, 0.25, 0], [0.5, 0.5, 1], [1, 0.5, np.nan]])
    pc = res.probability(0, percent=True)
    assert pc.dtype == np.uint8 and pc.sel(code=1).values.tolist() == [[50, 25, 0], [0, 50, 0], [0, 50, 255]]
    np.testing.assert_allclose(res.p_change[0].values, P_CHANGE)
    assert res.modal[0].values.tolist() == MODAL and res.modal[0].rio.nodata == 0
    # the kernel's tie rule directly: counts (K=3, 4 cells), start classes
    counts = np.array([[2, 0, 1, 1], [2, 2, 1, 0], [0, 2, 1, 1]], np.uint16)
    assert ke.modal_class(counts, np.array([1, 0, 2, -1], np.int8)).tolist() == [1, 1, 2, -1]
    #   cell 0: tie 0/1, start 1 tied -> 1; cell 1: tie 1/2, start 0 not tied -> lowest 1; cell 2: three-way
    #   tie, start 2 tied -> 2; cell 3: nodata


def test_zone_areas_by_hand():
    res = _given(zones=make_lulc(ZONES), zone_names={1: "A", 2: "B"})
    a = res.areas
    z1 = a[(a.zone == "A") & (a.stage == 0)].pivot(index="realization", columns="code", values="area_ha")
    # zone A = (0,0) (0,1) (1,0) (1,1): R0 -> 1,2,2,3; R1 -> 2,2,2,1; R2 -> 1,3,3,3; R3 -> 2,1,3,1
    assert z1[2].tolist() == [2, 3, 0, 1] and z1[3].tolist() == [1, 0, 3, 1]
    s = res.area_summary.set_index(["zone", "code"])
    row = s.loc[("A", 2)]
    # [2, 3, 0, 1]: mean 1.5, sd sqrt(5/3); sorted 0 1 2 3 -> P5 at 0.15 -> 0.15, P50 1.5, P95 at 2.85 -> 2.85
    assert row.mean_ha == pytest.approx(1.5) and row.sd_ha == pytest.approx(np.sqrt(5 / 3))
    assert (row.p5_ha, row.p50_ha, row.p95_ha) == pytest.approx((0.15, 1.5, 2.85))
    row = s.loc[("A", 3)]
    # [1, 0, 3, 1] sorted 0 1 1 3: P5 0.15, P50 1, P95 at 2.85 -> 1 + 0.85 × 2 = 2.7
    assert (row.mean_ha, row.p5_ha, row.p50_ha, row.p95_ha) == pytest.approx((1.25, 0.15, 1.0, 2.7))
    # the whole region: 8 valid cells in every realization; modal map areas beside them
    tot = s.loc[[("(all)", c) for c in (1, 2, 3)]]
    assert tot.mean_ha.sum() == pytest.approx(8) and tot.modal_ha.tolist() == [2, 3, 3]  # MODAL: 1 at (0,0) (1,1)
    assert res.area_values(0, [2, 3], zone="A").tolist() == [3, 3, 3, 2]


def test_convergence_by_hand():
    res = _given()
    c = res.convergence
    dp = c[c.quantity.str.startswith("mean |ΔP_change|")].iloc[0]
    # R = 4: the last 10 % is one realization; P_change from R0..R2 vs all four differs by
    # 1/6 (0,0), 1/4 (0,1), 1/6 (1,0), 1/6 (2,1) -> 0.75 / 8 valid cells = 0.09375 >= 0.005
    assert dp["mean"] == pytest.approx(0.09375) and not dp.ok
    area = c[c.quantity == "area_ha (all) class 3"].iloc[0]
    # (all) class 3 over R0..R3 = 4, 2, 5, 4 ha -> mean 3.75, sd = sqrt(4.75 / 3), se = sd / √4
    sd = np.sqrt(4.75 / 3)
    assert area["mean"] == pytest.approx(3.75) and area.se == pytest.approx(sd / 2)
    assert area.se_rel == pytest.approx(sd / 2 / 3.75) and not area.ok
    assert res.converged[0] is False


def test_ensemble_validation_by_hand():
    res = _given(observed={0: make_lulc(OBSERVED)})
    rt = res.realization_table
    # observed change: (0,0) 1->2, (0,1) 1->2, (1,1) 2->1
    # R0: miss, hit, wrong hit -> 1/3; R1: hit, hit, hit + false alarm (2,1) -> 3/4
    # R2: miss, wrong, wrong + false alarms (1,0) (2,1) -> 0; R3: hit, miss, hit + false alarm (1,0) -> 2/4
    np.testing.assert_allclose(rt.fom, [1 / 3, 3 / 4, 0, 1 / 2])
    v = res.validation.set_index("metric")
    assert v.loc["fom", "mean"] == pytest.approx((1 / 3 + 3 / 4 + 0 + 1 / 2) / 4)
    assert (v.loc["fom", "min"], v.loc["fom", "max"]) == (0, 0.75)
    # the modal map: (0,0) miss, (0,1) hit, (1,1) hit, no false alarm -> 2/3
    assert v.loc["fom", "modal"] == pytest.approx(2 / 3) and v.loc["fom", "persistence"] == 0
    # changed cells vs the start map: R0 2, R1 4, R2 4, R3 3 of 8; their mean = Σ P_change / 8 = 3.25 / 8
    np.testing.assert_allclose(rt.changed_share, [2 / 8, 4 / 8, 4 / 8, 3 / 8])
    assert v.loc["changed_share", "mean"] == pytest.approx(3.25 / 8)


def test_p_met_by_hand():
    v = [1.0, 2.0, 3.0, 4.0]
    assert p_met(v, 2.5, "higher") == 0.5 and p_met(v, 2.0, "higher") == 0.75
    assert p_met(v, 2.5, "lower") == 0.5 and p_met(v, 1.0, "zero", tolerance=1.0) == 0.25
    assert p_met(v, (2.0, 3.0), "band") == 0.5
    assert p_met([1.0, np.nan], 0.0, "higher") == 0.5       # NaN is not met
    with pytest.raises(InputValidationError, match="direction"):
        p_met(v, 1.0, "up")


POOLS = pd.DataFrame({"lucode": [1, 2, 3], "C_above": [15.0, 5.0, 30.0], "C_below": [10.0, 3.0, 8.0],
                      "C_soil": [60.0, 20.0, 40.0], "C_dead": [1.0, 0.0, 2.0], "sd_above": [3.0, 1.0, 5.0],
                      "sd_below": [0.0, 0.0, 1.0], "sd_soil": [10.0, 4.0, 6.0], "sd_dead": [0.0, 0.0, 0.0]})


def test_carbon_one_realization_equals_carbon_stock_monte_carlo():
    from landcarbon.models import carbon_stock as cs

    start, one = make_lulc(L0), make_lulc(R1)
    res = ensemble_statistics(start, [one], carbon=CarbonOptions(POOLS, draws=500, seed=3))
    r = cs.compute([start, one], POOLS, labels=["start", "sim"])
    mc = cs.monte_carlo(r.plan, r.accounts, draws=500, seed=3, cell_area_ha=r.cell_area_ha)
    s = res.carbon.summary.set_index(["quantity", "label", "zone"])
    for lab, ref in (("start", mc["maps"][0]["total_MgC"]), ("sim", mc["maps"][1]["total_MgC"])):
        got = s.loc[("stock", lab, "(all)")]
        for k in ("mean", "sd", "p5", "p50", "p95"):
            assert got[k] == pytest.approx(ref[k], rel=1e-12), (lab, k)
    ch = s.loc[("change", "start->sim", "(all)")]
    ref = mc["changes"][0]["change_MgC"]
    assert (ch["mean"], ch["p5"], ch["p95"]) == pytest.approx((ref["mean"], ref["p5"], ref["p95"]), rel=1e-12)
    assert ch["var_between_realizations"] == 0                     # one realization: no spread between


def test_carbon_variance_split_over_realizations_and_draws():
    res = _given(carbon=CarbonOptions(POOLS, draws=64, seed=5))
    v = res.carbon.values("stock", "sim")                             # (R = 4, D = 64) Mg C
    assert v.shape == (4, 64)
    s = res.carbon.summary.set_index(["quantity", "label", "zone"]).loc[("stock", "sim", "(all)")]
    # law of total variance with population variances
    assert s.var_total == pytest.approx(v.var())
    assert s.var_total == pytest.approx(s.var_between_realizations + s.var_within_density)
    assert s.var_between_realizations == pytest.approx(v.mean(axis=1).var())
    assert (s.p5, s.p50, s.p95) == pytest.approx(tuple(np.percentile(v.ravel(), [5, 50, 95])))
    # the start map is the same in every realization: all its spread is density spread
    st = res.carbon.summary.set_index(["quantity", "label", "zone"]).loc[("stock", "start", "(all)")]
    assert st.var_between_realizations == pytest.approx(0, abs=1e-9) and st.var_within_density > 0
    # P_met over R × D
    assert p_met(v, float(np.median(v)), "higher") == pytest.approx(0.5, abs=0.02)


# -- simulate_ensemble -----------------------------------------------------------------------------
N = 30
FAST = LeasParams(sample_rate=0.5, n_trees=5, n_jobs=1)


def _world():
    yy, xx = np.mgrid[0:N, 0:N]
    r = np.hypot(yy - N / 2, xx - N / 2)
    a = np.full((N, N), 1, np.int16)
    a[:, :6] = 3
    a[r < 4] = 2
    b = a.copy()
    b[(r < 7) & (a == 1)] = 2
    dem = make_lulc((xx * 2.0 + yy * 0.5).astype(np.float32), nodata=None, name="dem", dtype="float32")
    cnt = {c: int((b == c).sum()) for c in (1, 2, 3)}
    cnt[1] -= 25
    cnt[2] += 25
    demand = pd.DataFrame({"code": list(cnt), "cells": list(cnt.values())})
    return make_lulc(a, name="a"), make_lulc(b, name="b"), {"dem": dem}, demand


def _same(e1, e2):
    for s in e1.stages:
        assert np.array_equal(e1.counts[s], e2.counts[s])
        assert np.array_equal(e1.modal[s].values, e2.modal[s].values)
    pd.testing.assert_frame_equal(e1.areas, e2.areas)
    pd.testing.assert_frame_equal(e1.realization_table, e2.realization_table)


def test_ensemble_identical_for_any_number_of_workers_and_realization_matches_simulate():
    a, b, drv, demand = _world()
    kw = dict(calibrate_from=a, calibrate_to=b, drivers=drv, dem="dem", leas_params=FAST)
    e1 = simulate_ensemble(b, demand, realizations=6, seed=9, workers=1, observed={0: b}, **kw)
    e3 = simulate_ensemble(b, demand, realizations=6, seed=9, workers=3, observed={0: b}, **kw)
    _same(e1, e3)
    # each realization meets the demand (net control), so regional areas have no spread
    s = e1.area_summary[e1.area_summary.zone == "(all)"].set_index("code")
    assert s.sd_ha.abs().max() == 0 and s.mean_ha.to_dict() == pytest.approx(
        {int(c): float(v) for c, v in zip(demand.code, demand.cells * 1.0)})
    assert (e1.realization_table.final_gap_cells == 0).all()
    # realizations differ (placement), and probabilities sum to 1 on valid cells
    assert e1.p_change[0].values.max() > 0
    p = e1.probability(0).values
    np.testing.assert_allclose(np.nansum(p, axis=0), 1.0)
    # realization r allocates as simulate() would with its allocation seed replaced by child r
    prep = prepare_simulation(b, demand, seed=9, **kw)
    child0 = np.random.SeedSequence(9).spawn(6)[0]
    r0 = prep.to_map(prep.stage_states(prep.allocate(prep.predict(), child0))[0])
    single = simulate_ensemble(b, demand, realizations=1, seed=9, **kw)
    assert np.array_equal(single.modal[0].values, r0.values)      # R = 1: the modal map is realization 0
    assert single.counts[0].sum(axis=0).max() == 1
    # and simulate() itself is the same allocation with the root seed
    sim = simulate(b, demand, seed=9, **kw)
    again = prep.to_map(prep.stage_states(prep.allocate(prep.predict(), 9))[0])
    assert np.array_equal(sim.maps[0].values, again.values)


def test_ensemble_dask_local_cluster_equals_serial():
    from distributed import Client, LocalCluster

    a, b, drv, demand = _world()
    kw = dict(calibrate_from=a, calibrate_to=b, drivers=drv, dem="dem", leas_params=FAST)
    serial = simulate_ensemble(b, demand, realizations=4, seed=21, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as lc, \
                Client(lc) as client:
            par = simulate_ensemble(b, demand, realizations=4, seed=21, client=client, **kw)
    _same(serial, par)


def test_ensemble_checks_its_arguments():
    a, b, drv, demand = _world()
    kw = dict(calibrate_from=a, calibrate_to=b, drivers=drv, leas_params=FAST)
    with pytest.raises(InputValidationError, match="realizations"):
        simulate_ensemble(b, demand, realizations=0, seed=1, **kw)
    with pytest.raises(InputValidationError, match="zone_seeds"):
        simulate_ensemble(b, demand, realizations=2, seed=1, zone_seeds={}, **kw)


def test_write_ensemble_into_a_run_folder(tmp_path):
    from landcarbon.io import read_raster
    from landcarbon.workflow.common import RunFolder
    from landcarbon.workflow.ensemble import ensemble_summary, write_ensemble

    res = _given(observed={0: make_lulc(OBSERVED)}, carbon=CarbonOptions(POOLS, draws=16, seed=1))
    with RunFolder(tmp_path / "ens", "simulate") as run:
        names = write_ensemble(res, run)
        run.summary = ensemble_summary(res)
    d = tmp_path / "ens"
    assert {"modal_sim.tif", "p_change_sim.tif", "probability_sim_1.tif", "ensemble_areas.csv",
            "ensemble_validation.csv", "ensemble_convergence.csv", "ensemble_carbon.csv"} <= set(names)
    assert read_raster(d / "modal_sim.tif").values.tolist() == MODAL
    assert read_raster(d / "probability_sim_1.tif").values.tolist() == [[50, 25, 0], [0, 50, 0], [0, 50, 255]]
    s = ensemble_summary(res)
    assert s["realizations"] == 4 and s["converged"] == {"0": False}
    assert s["validation"]["0:fom"]["modal"] == pytest.approx(2 / 3)
