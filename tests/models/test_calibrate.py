"""Calibration on history (methods.md §15.2): J by hand, the held-out refusal, the search (seeded,
budgeted, deterministic for any number of workers), refinement moves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from landcarbon.core.errors import InputValidationError
from landcarbon.models import validate
from landcarbon.models.simulate import CarsParams, LeasParams, calibrate, simulate
from landcarbon.models.simulate.calibrate import SEARCH_SPACE, check_held_out, observed_demand, refine_moves
from landcarbon.testing import make_lulc


def test_objective_j_by_hand():
    m = validate.Metrics(n=100, oa=0.8, kappa=0.60, fom=0.20, hits=10, misses=20, wrong_hits=5, false_alarms=15,
                         pa_change=0.3, ua_change=0.3, quantity_disagreement=0.0, allocation_disagreement=0.2,
                         observed_change_share=0.20, simulated_change_share=0.30)
    ob = validate.objective(m, 0.65)
    # churn: 0.1 × (0.30 / 0.20 − 1) = 0.05; Kappa: 1 × (0.65 − 0.60) = 0.05; J = 0.20 − 0.05 − 0.05 = 0.10
    assert ob.churn_penalty == pytest.approx(0.05) and ob.kappa_penalty == pytest.approx(0.05)
    assert ob.j == pytest.approx(0.10) and ob.passed
    # no penalty when less changes than observed and Kappa is above persistence
    ob2 = validate.objective(m, 0.55)
    assert ob2.kappa_penalty == 0 and ob2.j == pytest.approx(0.15)
    m3 = validate.Metrics(**{**m.as_dict(), "simulated_change_share": 0.1, "fom": 0.02, "kappa": 0.5})
    assert validate.objective(m3, 0.65).j == pytest.approx(0.02 - 0.15) and not validate.objective(m3, 0.65).passed


N = 30


def _history():
    """Three dated maps: built-up (2) spreads from the centre, forest (3) in the west."""
    yy, xx = np.mgrid[0:N, 0:N]
    r = np.hypot(yy - N / 2, xx - N / 2)
    m = {}
    for y, rad in ((2000, 4), (2005, 6), (2010, 8)):
        a = np.where(r < rad, 2, 1).astype(np.int16)
        a[:, :5] = 3
        m[y] = make_lulc(a, name=f"lu{y}")
    dem = make_lulc((xx * 2.0 + yy * 0.5).astype(np.float32), nodata=None, name="dem", dtype="float32")
    return m, {"dem": dem}


FAST = LeasParams(sample_rate=0.5, n_trees=5, n_jobs=1)
SMALL = {"neighbourhood": SEARCH_SPACE["neighbourhood"], "mu": SEARCH_SPACE["mu"], "inertia": SEARCH_SPACE["inertia"]}


def test_held_out_year_is_refused_with_its_name():
    maps, drv = _history()
    with pytest.raises(InputValidationError, match="held-out year 2010"):
        calibrate(maps, years=(2000, 2005, 2010), drivers=drv, seed=1, held_out=[2010], leas_params=FAST)
    # a map of the held-out year among the maps is refused even if the periods do not use it
    extra = {**maps, 2013: maps[2010]}
    with pytest.raises(InputValidationError, match="held-out year 2013"):
        calibrate(extra, years=(2000, 2005, 2010), drivers=drv, seed=1, held_out=[2013], leas_params=FAST)
    # a map read from a file of the held-out year, given under another year
    fake = maps[2010].copy()
    fake.encoding["source"] = "/data/wuhan_plus/wh2013_refy.tif"
    with pytest.raises(InputValidationError, match="wh2013_refy.tif.*held-out year 2013"):
        check_held_out({2010: fake}, (2000, 2005, 2010), [2013])
    check_held_out(maps, (2000, 2005, 2010), [2013])          # nothing held out is used: fine


def test_observed_demand_keeps_start_class_where_observed_is_nodata():
    s = make_lulc([[1, 1], [2, 2]])
    o = make_lulc([[2, 0], [2, 2]])               # (0,1) nodata in the observed map -> keeps class 1
    d = observed_demand(s, o, [1, 2])
    assert d.cells.tolist() == [1, 3] and d.cells.sum() == 4


def test_refine_moves_by_hand():
    pt = {"neighbourhood": 3, "mu": 0.1, "inertia": 1.0}
    mv = refine_moves(pt, SMALL, 0)
    # n: 3 -> 5 only (3 is the smallest); mu ÷2, ×2; inertia ÷1.5 clipped to 1 (= current, left out), ×1.5
    assert mv == [{**pt, "neighbourhood": 5}, {**pt, "mu": 0.05}, {**pt, "mu": 0.2}, {**pt, "inertia": 1.5}]
    mv2 = refine_moves(pt, SMALL, 1)                # round 2: factors square-rooted
    assert mv2[1]["mu"] == pytest.approx(0.1 / np.sqrt(2)) and mv2[3]["inertia"] == pytest.approx(np.sqrt(1.5))


def test_calibration_search_is_seeded_budgeted_and_worker_independent():
    maps, drv = _history()
    kw = dict(years=(2000, 2005, 2010), drivers=drv, seed=4, held_out=[2013], leas_params=FAST, space=SMALL,
              n_random=3, refine_rounds=1, budget=6)
    res = calibrate(maps, workers=1, **kw)
    t = res.table
    assert len(t) == 6 and t.phase.tolist()[:4] == ["default", "random", "random", "random"]
    assert (t.phase.iloc[4:].str.startswith("refine")).all()
    assert {"neighbourhood", "mu", "inertia", "fom_mean", "fom_sd", "kappa_mean", "kappa_sd", "changed_share_mean",
            "changed_share_sd", "j_mean", "j_sd"} <= set(t.columns)
    best = t.loc[t.j_mean.idxmax()]
    assert res.chosen == {"neighbourhood": int(best.neighbourhood), "mu": best.mu, "inertia": best.inertia}
    assert res.before["j_mean"] == t.j_mean.iloc[0] and res.after["j_mean"] == best.j_mean
    assert res.after["j_mean"] >= res.before["j_mean"]
    # the default row is the PLUS defaults
    assert (t.neighbourhood.iloc[0], t.mu.iloc[0], t.inertia.iloc[0]) == (3, 0.1, 1.0)
    # J of each row from its own means is not asserted (J is averaged per realization); check one realization
    res2 = calibrate(maps, workers=2, **kw)
    pd.testing.assert_frame_equal(t.drop(columns="wall_s"), res2.table.drop(columns="wall_s"))
    # the chosen parameters feed simulate
    p = res.cars_params()
    assert isinstance(p, CarsParams) and p.neighbourhood == res.chosen["neighbourhood"]
    d = observed_demand(maps[2005], maps[2010], [1, 2, 3])
    sim = simulate(maps[2005], d, calibrate_from=maps[2000], calibrate_to=maps[2005], drivers=drv, seed=4,
                   leas_params=FAST, cars_params=p)
    assert int(sim.summary.gap_cells.abs().sum()) == 0


def test_default_row_scores_equal_a_plain_simulation():
    """Realization r of a candidate = simulate() with child seed r: the default row's first realization
    is reproduced by hand through the public API."""
    maps, drv = _history()
    res = calibrate(maps, years=(2000, 2005, 2010), drivers=drv, seed=4, leas_params=FAST, space=SMALL, n_random=0,
                    refine_rounds=0, realizations=1)
    from landcarbon.models.simulate import prepare_simulation

    d = observed_demand(maps[2005], maps[2010], [1, 2, 3])
    prep = prepare_simulation(maps[2005], d, calibrate_from=maps[2000], calibrate_to=maps[2005], drivers=drv, seed=4,
                              leas_params=FAST, return_potential=False)
    st = prep.stage_states(prep.allocate(prep.predict(), np.random.SeedSequence(4).spawn(1)[0]))[0]
    v = validate.compare(maps[2005], maps[2010], prep.to_map(st))
    row = res.table.iloc[0]
    assert row.fom_mean == pytest.approx(v.fom) and row.kappa_mean == pytest.approx(v.kappa)
    assert row.j_mean == pytest.approx(v.objective.j)


def test_run_calibrate_refuses_a_held_out_file_before_reading_it(tmp_path):
    from landcarbon.core.grid import grid_of
    from landcarbon.io import write_raster
    from landcarbon.workflow.calibrate import run_calibrate

    maps, drv = _history()
    paths = {}
    for y, m in maps.items():
        paths[y] = tmp_path / f"lu{y}.tif"
        write_raster(m, paths[y], grid_of(m), nodata=0)
    dpath = tmp_path / "dem.tif"
    write_raster(drv["dem"], dpath, grid_of(drv["dem"]))
    missing = tmp_path / "lu2013.tif"          # never created: the check must come before any read
    with pytest.raises(InputValidationError, match="held-out year 2013"):
        run_calibrate(maps={**paths, 2013: missing}, years=(2000, 2005, 2010), drivers={"dem": dpath},
                      out=tmp_path / "cal", seed=1, held_out=[2013])
    with pytest.raises(InputValidationError, match="lu2013.tif.*held-out year 2013"):
        run_calibrate(maps={2000: paths[2000], 2005: paths[2005], 2010: missing}, years=(2000, 2005, 2010),
                      drivers={"dem": dpath}, out=tmp_path / "cal", seed=1, held_out=[2013])
    assert not (tmp_path / "cal").exists()
    out = run_calibrate(maps=paths, years=(2000, 2005, 2010), drivers={"dem": dpath}, out=tmp_path / "cal", seed=1,
                        held_out=[2013], space=SMALL, n_random=2, refine_rounds=0, leas_params=FAST)
    t = pd.read_csv(out / "search_table.csv", encoding="utf-8-sig")
    assert len(t) == 3 and {"j_mean", "fom_mean", "kappa_mean", "changed_share_mean"} <= set(t.columns)
    import json

    chosen = json.loads((out / "chosen_params.json").read_text(encoding="utf-8"))
    assert set(chosen["cars_params"]) == set(SMALL) and chosen["held_out"] == [2013]
    assert (out / "scores.csv").exists() and (out / "manifest.json").exists()
