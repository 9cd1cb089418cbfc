"""simulate(): LEAS + CARS on small synthetic maps (rules, errors, determinism, zones)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from landcarbon.core.errors import GridMismatchError, InfeasibleError, InputValidationError
from landcarbon.models.simulate import (
    CarsParams,
    LeasParams,
    distance_to,
    simulate,
    slope,
    transition_matrix,
)
from landcarbon.models.simulate.leas import expansion_map, expansion_shares
from landcarbon.testing import make_lulc

N = 40
FAST = LeasParams(sample_rate=0.5, n_trees=5, n_jobs=1)


def _world(codes=(1, 2, 3)):
    """Cropland (c1) with forest (c3) in the west; built-up (c2) grows from the centre."""
    crop, built, forest = codes
    yy, xx = np.mgrid[0:N, 0:N]
    r = np.hypot(yy - N / 2, xx - N / 2)
    a = np.full((N, N), crop, np.int16)
    a[:, :8] = forest
    a[r < 5] = built
    b = a.copy()
    b[(r < 8) & (a == crop)] = built
    dem = (xx * 2.0 + yy * 0.5).astype(np.float32)
    dem_da = make_lulc(dem, nodata=None, name="dem", dtype="float32")
    centre = make_lulc((r < 2).astype(np.uint8), nodata=None, name="centre")
    dist = distance_to(centre)
    return (make_lulc(a, nodata=0, name="a"), make_lulc(b, nodata=0, name="b"),
            {"dem": dem_da, "dist": dist})


def _demand(b, grow=30, codes=(1, 2, 3)):
    vals = np.asarray(b.values)
    cnt = {c: int((vals == c).sum()) for c in codes}
    cnt[codes[0]] -= grow
    cnt[codes[1]] += grow
    return pd.DataFrame({"code": list(cnt), "cells": list(cnt.values())})


def _sim(seed=7, **kw):
    a, b, drv = _world()
    args = dict(calibrate_from=a, calibrate_to=b, drivers=drv, seed=seed, dem="dem", leas_params=FAST)
    args.update(kw)
    dem = args.pop("demand", _demand(b))
    return b, simulate(b, dem, **args)


def test_expansion_map_and_shares_by_hand():
    l1 = np.array([[0, 0, 1], [1, 2, -1]], np.int8)
    l2 = np.array([[0, 1, 1], [2, 2, 0]], np.int8)
    # changed: (0,1) 0->1, (1,0) 1->2; (1,2) invalid in l1 -> not expansion
    assert expansion_map(l1, l2).tolist() == [[0, 2, 0], [3, 0, 0]]
    # TA = [0, 1, 1] -> shares 0, 0.5, 0.5
    assert expansion_shares(l1, l2, 3).tolist() == [0.0, 0.5, 0.5]


def test_simulate_meets_demand_and_grows_around_centre():
    b, res = _sim()
    sim = res.maps[0].values
    assert (sim == 2).sum() == (b.values == 2).sum() + 30
    assert (sim == 1).sum() == (b.values == 1).sum() - 30
    assert (sim == 3).sum() == (b.values == 3).sum()
    new = (sim == 2) & (b.values != 2)
    yy, xx = np.nonzero(new)
    # new built-up lies near the centre, not in the far corners
    assert np.hypot(yy - N / 2, xx - N / 2).mean() < 14
    assert res.summary.gap_cells.abs().sum() == 0
    assert set(res.gaps.columns) == {"stage", "zone", "iteration", "code", "gap_cells"}
    assert res.info["changed_share"][0] == pytest.approx(30 / N**2)
    # slope was added from the DEM and every driver has a contribution per class
    assert set(res.leas.contributions.driver) == {"dem", "dist", "slope"}
    pot = res.potential
    assert pot.shape == (3, N, N) and float(pot.max()) <= 1 and float(pot.min()) >= 0


def test_same_seed_same_map_different_seed_different_map():
    _, r1 = _sim(seed=7)
    _, r2 = _sim(seed=7)
    _, r3 = _sim(seed=8)
    assert np.array_equal(r1.maps[0].values, r2.maps[0].values)
    assert not np.array_equal(r1.maps[0].values, r3.maps[0].values)


def test_thread_count_does_not_change_the_map():
    _, r1 = _sim(leas_params=LeasParams(sample_rate=0.5, n_trees=5, n_jobs=1, predict_chunk=100))
    _, r2 = _sim(leas_params=LeasParams(sample_rate=0.5, n_trees=5, n_jobs=2, predict_chunk=100))
    assert np.array_equal(r1.maps[0].values, r2.maps[0].values)
    assert np.array_equal(r1.potential.values, r2.potential.values, equal_nan=True)


def test_non_consecutive_codes_are_remapped():
    codes = (10, 40, 7)
    a, b, drv = _world(codes)
    res = simulate(b, _demand(b, codes=codes), calibrate_from=a, calibrate_to=b, drivers=drv, seed=1,
                   leas_params=FAST)
    sim = res.maps[0].values
    assert set(np.unique(sim)) == {7, 10, 40}
    assert (sim == 40).sum() == (b.values == 40).sum() + 30
    assert res.info["codes"] == [7, 10, 40]


def test_demand_total_mismatch_names_both_numbers():
    a, b, drv = _world()
    dem = _demand(b)
    dem.loc[0, "cells"] += 5
    with pytest.raises(InputValidationError, match=f"totals {N * N + 5} pixels but the start map has {N * N}"):
        simulate(b, dem, calibrate_from=a, calibrate_to=b, drivers=drv, seed=1, leas_params=FAST)


def test_driver_on_another_grid():
    a, b, drv = _world()
    drv["dem"] = make_lulc(np.zeros((N, N), np.float32), nodata=None, origin=(500_030.0, 3_400_000.0))
    with pytest.raises(GridMismatchError, match="align"):
        simulate(b, _demand(b), calibrate_from=a, calibrate_to=b, drivers=drv, seed=1, leas_params=FAST)


def test_infeasible_demand_names_class_and_shortfall():
    a, b, drv = _world()
    restrict = make_lulc(np.zeros((N, N), np.uint8), nodata=255, name="r")
    r = restrict.values.copy()
    r[:2, :] = 1  # only 2 rows (80 cells, none built-up) may change
    restrict = restrict.copy(data=r)
    with pytest.raises(InfeasibleError, match=r"class 2 needs 100 more pixels.*shortfall"):
        simulate(b, _demand(b, grow=100), calibrate_from=a, calibrate_to=b, drivers=drv, seed=1,
                 restrict=restrict, leas_params=FAST)


def test_restriction_zero_cells_never_change():
    a, b, drv = _world()
    r = np.ones((N, N), np.uint8)
    r[N // 2 - 9:N // 2 + 9, N // 2 - 9:N // 2] = 0  # west half of the growth ring is frozen
    res = simulate(b, _demand(b, grow=20), calibrate_from=a, calibrate_to=b, drivers=drv, seed=3,
                   restrict=make_lulc(r, nodata=255), leas_params=FAST)
    sim = res.maps[0].values
    assert np.array_equal(sim[r == 0], b.values[r == 0])
    assert res.info["excluded_restricted"] == int((r == 0).sum())


def test_control_lines_redline_and_boundary():
    a, b, drv = _world()
    yy, xx = np.mgrid[0:N, 0:N]
    redline = make_lulc(((xx < 12)).astype(np.uint8), nodata=None)          # forest strip + 4 crop columns
    boundary = make_lulc((np.hypot(yy - N / 2, xx - N / 2) < 10).astype(np.uint8), nodata=None)
    res = simulate(b, _demand(b, grow=40), calibrate_from=a, calibrate_to=b, drivers=drv, seed=5,
                   lines={"eco_redline": redline, "urban_boundary": boundary},
                   groups={1: "cropland", 2: "built_up", 3: "forest"}, leas_params=FAST)
    sim = res.maps[0].values
    assert np.array_equal(sim[xx < 12], b.values[xx < 12])                  # red line: no change inside
    new = (sim == 2) & (b.values != 2)
    assert new.sum() == 40 and not new[boundary.values == 0].any()         # built-up only inside the boundary


def test_rule_table_needs_groups_or_codes():
    a, b, drv = _world()
    rules = pd.DataFrame([("basic_farmland", "inside", "cropland", "any", "forbid")],
                         columns=["line", "applies", "from", "to", "action"])
    pbf = make_lulc(np.ones((N, N), np.uint8), nodata=None)
    with pytest.raises(InputValidationError, match="group mapping"):
        simulate(b, _demand(b), calibrate_from=a, calibrate_to=b, drivers=drv, seed=1, rules=rules,
                 lines={"basic_farmland": pbf}, leas_params=FAST)
    # with codes instead of groups the farmland rule binds: cropland may not convert anywhere
    rules.loc[0, "from"] = "1"
    with pytest.raises(InfeasibleError, match="class 1 must lose 30 pixels"):
        simulate(b, _demand(b), calibrate_from=a, calibrate_to=b, drivers=drv, seed=1, rules=rules,
                 lines={"basic_farmland": pbf}, leas_params=FAST)


def test_transition_matrix_orientation_plus_is_transposed():
    # PLUS: rows = future class, columns = current class. Only 1 -> 2 allowed:
    # PLUS matrix [[1, 0], [1, 1]] (row 2 = future 2, column 1 = current 1 is 1)
    plus = pd.DataFrame([[1, 0], [1, 1]], index=[1, 2], columns=[1, 2])
    tm = transition_matrix(plus, [1, 2], orientation="plus")
    assert tm.tolist() == [[1, 1], [0, 1]]                                   # TM[from=1, to=2] = 1
    assert transition_matrix(plus, [1, 2]).tolist() == [[1, 0], [1, 1]]


def test_driver_nodata_is_excluded_and_reported():
    a, b, drv = _world()
    d = drv["dem"].values.copy()
    d[0, :5] = np.nan
    drv["dem"] = drv["dem"].copy(data=d)
    res = simulate(b, _demand(b), calibrate_from=a, calibrate_to=b, drivers=drv, seed=1, dem="dem",
                   leas_params=FAST)
    assert res.info["driver_holes"]["dem"] == 5
    assert res.info["excluded_driver_nodata"] >= 5
    with pytest.raises(InputValidationError, match="dem: 5"):
        simulate(b, _demand(b), calibrate_from=a, calibrate_to=b, drivers=drv, seed=1,
                 leas_params=LeasParams(sample_rate=0.5, n_trees=5, driver_nodata="error"))


def test_constant_driver_is_an_error():
    a, b, drv = _world()
    drv["flat"] = make_lulc(np.ones((N, N), np.float32), nodata=None)
    with pytest.raises(InputValidationError, match="constant"):
        simulate(b, _demand(b), calibrate_from=a, calibrate_to=b, drivers=drv, seed=1, leas_params=FAST)


def test_several_target_years():
    a, b, drv = _world()
    d1 = _demand(b, grow=20).assign(year=2030)
    d2 = _demand(b, grow=45).assign(year=2035)
    res = simulate(b, pd.concat([d1, d2]), calibrate_from=a, calibrate_to=b, drivers=drv, seed=2,
                   leas_params=FAST)
    assert list(res.maps) == [2030, 2035]
    m1, m2 = res.maps[2030].values, res.maps[2035].values
    assert (m1 == 2).sum() == (b.values == 2).sum() + 20 and (m2 == 2).sum() == (b.values == 2).sum() + 45
    assert ((m1 == 2) <= (m2 == 2)).all()                                      # 2035 grows from 2030


def test_zones_serial_equals_dask_cluster():
    a, b, drv = _world()
    z = np.where(np.arange(N)[None, :] < N // 2, 1, 2).repeat(N, axis=0).astype(np.int32)
    zones = make_lulc(z, nodata=0)
    rows = []
    for zid in (1, 2):
        m = z == zid
        vals = b.values[m]
        for c in (1, 2, 3):
            cells = int((vals == c).sum()) + {1: -10, 2: 10, 3: 0}[c]
            rows.append((zid, c, cells))
    dem = pd.DataFrame(rows, columns=["zone", "code", "cells"])
    kw = dict(calibrate_from=a, calibrate_to=b, drivers=drv, seed=11, zones=zones, leas_params=FAST)
    serial = simulate(b, dem, **kw)
    from distributed import Client, LocalCluster

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as lc, \
                Client(lc) as client:
            par = simulate(b, dem, client=client, **kw)
    assert np.array_equal(serial.maps[0].values, par.maps[0].values)
    sim = serial.maps[0].values
    for zid in (1, 2):
        assert (sim[z == zid] == 2).sum() == (b.values[z == zid] == 2).sum() + 10


def test_slope_and_distance_helpers_by_hand():
    # plane rising 3 m per 30 m cell eastward: slope = atan(0.1) = 5.7106°
    dem = make_lulc(np.tile(np.arange(5, dtype=np.float32) * 3, (5, 1)), cell_size=30, nodata=None)
    assert float(slope(dem).values[2, 2]) == pytest.approx(np.degrees(np.arctan(0.1)), rel=1e-5)
    # distance on 100 m cells to a single feature cell at (0, 0): cell (3, 4) -> 500 m
    m = np.zeros((5, 5), np.uint8)
    m[0, 0] = 1
    d = distance_to(make_lulc(m, nodata=None))
    assert float(d.values[3, 4]) == pytest.approx(500.0)


def test_cars_params_are_checked():
    with pytest.raises(InputValidationError):
        CarsParams(delta=1.5).check()
    with pytest.raises(InputValidationError):
        CarsParams(neighbourhood=4).check()


def test_restriction_value_2_needs_a_development_class():
    a, b, drv = _world()
    r = np.ones((N, N), np.uint8)
    r[:, -3:] = 2
    kw = dict(calibrate_from=a, calibrate_to=b, drivers=drv, seed=4, leas_params=FAST)
    with pytest.raises(InputValidationError, match="develop"):
        simulate(b, _demand(b, grow=40), restrict=make_lulc(r, nodata=255), **kw)
    res = simulate(b, _demand(b, grow=40), restrict=make_lulc(r, nodata=255), k_dev=2, **kw)
    assert res.info["k_dev"] == 2 and res.summary.gap_cells.abs().sum() == 0


def test_flus_demand_control_and_balanced_sampling_run():
    b, res = _sim(cars_params=CarsParams(control="flus"),
                  leas_params=LeasParams(sample_rate=0.5, n_trees=5, n_jobs=1, balanced=True))
    sim = res.maps[0].values
    assert (sim == 2).sum() == (b.values == 2).sum() + 30
    assert res.info["cars"]["control"] == "flus" and res.info["leas"]["balanced"]


def test_planned_driver_changes_potential_not_training():
    a, b, drv = _world()
    # a second expanding class (forest spreads east of its strip) so the forests depend on drivers
    b2 = b.values.copy()
    b2[:, 8:10][b2[:, 8:10] == 1] = 3
    b = b.copy(data=b2)
    far = drv["dist"].copy(data=np.full((N, N), float(drv["dist"].max()), np.float32))
    dem = _demand(b, grow=0)
    kw = dict(calibrate_from=a, calibrate_to=b, drivers=drv, seed=4, leas_params=FAST)
    res = simulate(b, dem, **kw)
    plan = simulate(b, dem, planned={"dist": far}, **kw)
    # same forests (same training), different potentials where the planned layer differs
    assert res.leas.contributions.equals(plan.leas.contributions)
    assert not np.allclose(np.nan_to_num(res.potential.values), np.nan_to_num(plan.potential.values))
