"""Out-of-core zone-partitioned simulation (landcarbon.workflow.simulate_zoned) on a 300 x 300 map."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from landcarbon.core.errors import InfeasibleError, InputValidationError
from landcarbon.core.grid import grid_of
from landcarbon.io import read_raster, write_raster
from landcarbon.models.simulate import CarsParams, LeasParams, simulate
from landcarbon.models.simulate.leas import fit_forests
from landcarbon.testing import make_lulc
from landcarbon.workflow.simulate_zoned import (
    ZoneLayout,
    apportion_demand,
    run_simulate_zoned,
    sample_stack,
    scan_region,
)

N = 300
FAST = LeasParams(sample_rate=0.3, n_trees=5, n_jobs=1)
CENTRES = [(60, 200), (150, 150), (240, 90), (100, 40)]


def test_apportion_demand_by_hand():
    # zones z1 = [6, 2, 2], z2 = [8, 2, 0] (classes 1, 2, 3); region [14, 4, 2] -> demand [11, 8, 1]:
    # Δ = [-3, +4, -1]. Class 2's gain split by calibration gains 3 : 1 -> [3, 1] = T (losses per zone).
    # z2 holds no class 3, so it loses 1 of class 1; z1 loses the rest: 2 of class 1 and 1 of class 3.
    # z1 = [6-2, 2+3, 2-1] = [4, 5, 1]; z2 = [8-1, 2+1, 0] = [7, 3, 0]; columns sum to [11, 8, 1].
    s = np.array([[6, 2, 2], [8, 2, 0]])
    gains = np.array([[0, 3, 0], [5, 1, 0]])
    out = apportion_demand(np.array([11, 8, 1]), s, gains, [1, 2], [1, 2, 3])
    assert out.tolist() == [[4, 5, 1], [7, 3, 0]]
    # equal gains 1 : 1 with Δ_2 = +1 -> 0.5 / 0.5; the largest-remainder tie goes to the first zone
    out = apportion_demand(np.array([13, 5, 2]), s, np.array([[0, 1, 0], [0, 1, 0]]), [1, 2], [1, 2, 3])
    assert out.tolist() == [[5, 3, 2], [8, 2, 0]]
    with pytest.raises(InputValidationError, match="valid cells"):
        apportion_demand(np.array([11, 8, 2]), s, gains, [1, 2], [1, 2, 3])
    # zone 2 holds only the growing class: it cannot give cells for its share of the gain
    with pytest.raises(InfeasibleError, match="zone 2"):
        apportion_demand(np.array([8, 12]), np.array([[10, 0], [0, 10]]), np.array([[0, 1], [0, 1]]), [1, 2], [1, 2])


def test_tile_layout_ids():
    lay = ZoneLayout.tiles((10, 7), n=2)          # tiles of ceil(10/2)=5 x ceil(7/2)=4 cells
    z = lay.block(0, 10, 0, 7)
    assert z[0, 0] == 1 and z[0, 3] == 1 and z[0, 4] == 2 and z[5, 0] == 3 and z[9, 6] == 4
    assert ZoneLayout.tiles((10, 7), size=8).block(0, 10, 0, 7).max() == 2     # 2 x 1 tiles of 8
    with pytest.raises(InputValidationError, match="--tiles"):
        ZoneLayout.tiles((10, 7))


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    d = tmp_path_factory.mktemp("zoned")
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:N, 0:N]
    a = np.ones((N, N), np.int16)
    a[:, :60] = 3
    for cy, cx in CENTRES:
        a[np.hypot(yy - cy, xx - cx) < 12] = 2
    a[rng.random((N, N)) < 0.01] = 2
    a[:3, :3] = 0
    b = a.copy()
    for cy, cx in CENTRES:
        b[(np.hypot(yy - cy, xx - cx) < 20) & (a == 1)] = 2
    dem = (xx * 2.0 + yy * 0.5 + rng.random((N, N)) * 5).astype(np.float32)
    pop = sum(np.exp(-np.hypot(yy - cy, xx - cx) / 30) for cy, cx in CENTRES).astype(np.float32)
    red = np.zeros((N, N), np.uint8)
    red[140:160, 100:200] = 1                      # a red-line strip across the middle centre and a seam
    paths = {}
    for nm, arr, nd, dt in (("a", a, 0, "int16"), ("b", b, 0, "int16"), ("dem", dem, None, "float32"),
                            ("pop", pop, None, "float32"), ("red", red, None, "uint8")):
        da = make_lulc(arr, nodata=nd, dtype=dt)
        paths[nm] = str(d / f"{nm}.tif")
        write_raster(da, paths[nm], grid_of(da), nodata=nd)
    cnt = {c: int((b == c).sum()) for c in (1, 2, 3)}
    cnt[1] -= 2000
    cnt[2] += 2000
    rows = [(2020, c, n) for c, n in cnt.items()]
    cnt[1] -= 1000
    cnt[2] += 1000
    rows += [(2025, c, n) for c, n in cnt.items()]
    paths["demand"] = str(d / "demand.csv")
    pd.DataFrame(rows, columns=["year", "code", "cells"]).to_csv(paths["demand"], index=False)
    return d, paths, a, b, red


def _run(paths, out, **kw):
    args = dict(start=paths["b"], calibrate_from=paths["a"], calibrate_to=paths["b"],
                drivers=[paths["dem"], paths["pop"]], demand=paths["demand"], out=[str(out)], seed=7, tiles=3,
                block=128, lines=[f"eco_redline={paths['red']}"], leas_params=FAST)
    args.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_simulate_zoned(**args)


def test_out_of_core_tiles_meet_demand_and_equal_in_memory(region):
    d, paths, a, b, red = region
    run = _run(paths, d / "run1")
    sims = {y: read_raster(run / f"sim_{y}.tif", chunks=None).values for y in (2020, 2025)}
    zd = pd.read_csv(run / "zone_demand.csv")
    lay = ZoneLayout.tiles((N, N), n=3)
    z = lay.block(0, N, 0, N)
    dem = pd.read_csv(paths["demand"])
    for y, sim in sims.items():
        assert ((sim == 0) == (b == 0)).all()
        for c in (1, 2, 3):                              # the region meets its demand exactly
            assert (sim == c).sum() == int(dem[(dem.year == y) & (dem.code == c)].cells.iloc[0])
        for zid in range(1, 10):                         # ... and every zone its own
            for c in (1, 2, 3):
                want = int(zd[(zd.year == y) & (zd.zone == zid) & (zd.code == c)].cells.iloc[0])
                assert (sim[z == zid] == c).sum() == want
        assert (sim[red == 1] == b[red == 1]).all()      # red line: no change inside
    summ = pd.read_csv(run / "summary.csv")
    assert (summ.gap_cells == 0).all()
    # same seed -> same map; rerun
    run2 = _run(paths, d / "run2")
    assert np.array_equal(read_raster(run2 / "sim_2025.tif", chunks=None).values, sims[2025])
    # the same as the in-memory zoned simulate() given the region's model, weights and zone seeds: tile
    # seams see the neighbours of the adjacent tile exactly as in one whole-map array
    st = read_raster(paths["b"], chunks=None)
    drv = {"dem": read_raster(paths["dem"], chunks=None), "pop": read_raster(paths["pop"], chunks=None)}
    root = np.random.SeedSequence(7)
    s_scan, s_forest, s_perm, s_zones = root.spawn(4)
    scan = scan_region(st, read_raster(paths["a"], chunks=None), st, drv, lay, categorical=[], dem="dem",
                       add_slope=True, sample_rate=FAST.sample_rate, seed_seq=s_scan, block=128)
    stack = sample_stack(scan, grid_of(st), [], "onehot")
    lab = np.searchsorted(np.asarray(scan.codes), scan.sample_label)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        leas = fit_forests(stack.features(np.arange(lab.size)), lab, 3, stack.feature_groups(), stack.feature_names,
                           s_forest=s_forest, s_perm=s_perm, sample_rate=FAST.sample_rate, n_trees=5,
                           min_samples_leaf=5, n_jobs=1, class_labels=scan.codes)
    zdem = zd.copy()
    mem = simulate(st, zdem, calibrate_from=None, calibrate_to=None, drivers=drv, seed=7, dem="dem",
                   zones=make_lulc(z.astype(np.int32), nodata=0), lines={"eco_redline": make_lulc(red, nodata=None)},
                   leas=leas, codes=scan.codes, driver_bounds=scan.bounds,
                   cars_params=CarsParams(weights=tuple(scan.weights)), leas_params=FAST,
                   zone_seeds=dict(zip(scan.zone_ids, s_zones.spawn(9))), return_potential=False)
    assert np.array_equal(mem.maps[2025].values, sims[2025])
    assert np.array_equal(mem.maps[2020].values, sims[2020])


def test_out_of_core_serial_equals_dask_cluster(region):
    d, paths, a, b, red = region
    from distributed import Client, LocalCluster

    serial = _run(paths, d / "s.tif", tiles=None, zone_size=120, demand=_one_year(paths, d))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as lc, \
                Client(lc):
            par = _run(paths, d / "p.tif", tiles=None, zone_size=120, demand=_one_year(paths, d),
                       scheduler=lc.scheduler_address)
    threads = _run(paths, d / "t.tif", tiles=None, zone_size=120, demand=_one_year(paths, d), zone_workers=2)
    assert serial.name == "s_run" and par.name == "p_run" and threads.name == "t_run"
    ref = read_raster(d / "s.tif", chunks=None).values
    assert np.array_equal(ref, read_raster(d / "p.tif", chunks=None).values)
    assert np.array_equal(ref, read_raster(d / "t.tif", chunks=None).values)
    # zone-size 120 on 300 cells: 3 x 3 tiles of 120, 120 and 60 cells; every zone meets its demand
    zd = pd.read_csv(serial / "zone_demand.csv")
    z = ZoneLayout.tiles((N, N), size=120).block(0, N, 0, N)
    assert sorted(zd.zone.unique()) == list(range(1, 10))
    for zid in (1, 5, 9):
        for c in (1, 2, 3):
            assert (ref[z == zid] == c).sum() == int(zd[(zd.zone == zid) & (zd.code == c)].cells.iloc[0])


def _one_year(paths, d):
    dem = pd.read_csv(paths["demand"])
    p = d / "one.csv"
    dem[dem.year == 2020].drop(columns="year").to_csv(p, index=False)
    return str(p)


def test_zone_too_large_names_the_fix(region):
    d, paths, *_ = region
    with pytest.raises(InputValidationError, match="more, smaller zones"):
        _run(paths, d / "big", max_zone_bytes=1e5)
    assert not (d / "big").exists()


def test_given_zone_demand_infeasible_names_zone(region):
    d, paths, a, b, red = region
    lay = ZoneLayout.tiles((N, N), n=3)
    z = lay.block(0, N, 0, N)
    rows = []
    for zid in range(1, 10):
        cnt = {c: int(((b == c) & (z == zid)).sum()) for c in (1, 2, 3)}
        if zid == 5:                                   # zone 5 holds the red line: ask for more than it allows
            cnt[2] += cnt[1] - 5
            cnt[1] = 5
        rows += [(zid, c, n) for c, n in cnt.items()]
    p = d / "zd.csv"
    pd.DataFrame(rows, columns=["zone", "code", "cells"]).to_csv(p, index=False)
    with pytest.raises(InfeasibleError, match="zone 5"):
        _run(paths, d / "inf", demand=str(p))


def test_derived_zone_demand_infeasible_says_how_it_was_derived(region):
    d, paths, a, b, red = region
    red2 = np.zeros((N, N), np.uint8)
    red2[:100] = 1                                     # red line over tiles 1-3: no change allowed there,
    p = str(d / "red2.tif")                            # but tiles there had calibration gains
    da = make_lulc(red2, nodata=None, dtype="uint8")
    write_raster(da, p, grid_of(da), nodata=None)
    with pytest.raises(InfeasibleError, match="in zone [123],.*eco_redline.*apportioned from the regional demand"):
        _run(paths, d / "blocked", demand=_one_year(paths, d), lines=[f"eco_redline={p}"])
    assert not (d / "blocked").exists()
