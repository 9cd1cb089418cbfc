"""Hand-computed cases for the simulation formulas (methods.md §8.4) on tiny maps."""

from __future__ import annotations

import numpy as np
import pytest

from landcarbon.kernels.allocation import (
    TN_TABLE,
    adaptive_coefficient,
    cars_allocate,
    overall_probability,
    rng_truncnormal,
    rng_uniform,
)
from landcarbon.kernels.neighbourhood import (
    horn_slope,
    move_cell_counts,
    neighbour_counts,
    neighbour_counts_flat,
    neighbour_shares,
)


def test_neighbour_share_by_hand():
    # 3x3 map, class indices; -1 = nodata
    #   0 0 1
    #   1 1 1
    #   0 -1 2
    idx = np.array([[0, 0, 1], [1, 1, 1], [0, -1, 2]], dtype=np.int8)
    counts = neighbour_counts(idx, 3, 3)
    # centre (1,1): neighbours 0,0,1,1,1,0,-1,2 -> class0: 3, class1: 3, class2: 1
    assert counts[1, 1].tolist() == [3, 3, 1]
    # corner (0,0): neighbours (0,1)=0, (1,0)=1, (1,1)=1 -> [1, 2, 0]; outside cells count as "not k"
    assert counts[0, 0].tolist() == [1, 2, 0]
    w = np.array([0.5, 1.0, 0.25])
    om = neighbour_shares(idx, 3, 3, w)
    # Ω = count / (n² − 1) × w: centre class 0: 3/8 × 0.5 = 0.1875; corner class 1: 2/8 × 1 = 0.25
    assert om[1, 1, 0] == pytest.approx(0.1875)
    assert om[1, 1, 2] == pytest.approx(1 / 8 * 0.25)
    assert om[0, 0, 1] == pytest.approx(0.25)
    # denominator stays n² − 1 = 8 at the edge: (0,0) class 0 -> 1/8 × 0.5
    assert om[0, 0, 0] == pytest.approx(0.0625)
    assert om[2, 1].tolist() == [0, 0, 0]  # nodata cell


def test_neighbour_share_5x5_window():
    idx = np.zeros((5, 5), dtype=np.int8)
    idx[0, 0] = 1
    # centre (2,2) with n = 5: 24 neighbours, one of class 1 -> Ω_1 = 1/24
    om = neighbour_shares(idx, 2, 5)
    assert om[2, 2, 1] == pytest.approx(1 / 24)
    assert om[2, 2, 0] == pytest.approx(23 / 24)
    with pytest.raises(ValueError):
        neighbour_shares(idx, 2, 4)


def test_flat_counts_and_incremental_update():
    rng = np.random.default_rng(1)
    idx = rng.integers(-1, 3, size=(6, 7)).astype(np.int8)
    flat = neighbour_counts_flat(idx.ravel(), 6, 7, 3, 3)
    assert np.array_equal(flat.reshape(6, 7, 3), neighbour_counts(idx, 3, 3))
    # move cell (2,3) to class 2 and compare with a recount
    cell = 2 * 7 + 3
    old = int(idx[2, 3])
    idx2 = idx.copy()
    idx2[2, 3] = 2
    move_cell_counts(flat, cell, old, 2, 6, 7, 3)
    assert np.array_equal(flat.reshape(6, 7, 3), neighbour_counts(idx2, 3, 3))


def test_adaptive_coefficient_by_hand():
    # |G^{t-1}| <= |G^{t-2}|: unchanged
    assert adaptive_coefficient(1.2, 50.0, 80.0) == 1.2
    # under-supplied and falling behind: 0 < G2=40 < G1=50 -> D × 50/40 = 1.25
    assert adaptive_coefficient(1.0, 50.0, 40.0) == pytest.approx(1.25)
    # over-supplied and overshooting further: G1=-50 < G2=-40 < 0 -> D × (-40)/(-50) = 0.8
    assert adaptive_coefficient(1.0, -50.0, -40.0) == pytest.approx(0.8)
    # sign change while |G| grows (G2=10, G1=-30): unchanged
    assert adaptive_coefficient(2.0, -30.0, 10.0) == 2.0


def test_overall_probability_branches():
    # Ω = 0 and r < P: seed branch, OP = P × r × μ × D = 0.6 × 0.5 × 0.1 × 2 = 0.06
    op, seeded = overall_probability(0.6, 0.0, 2.0, 0.5, 0.1)
    assert seeded and op == pytest.approx(0.06)
    # Ω = 0 and r >= P: OP = P × Ω × D = 0
    op, seeded = overall_probability(0.4, 0.0, 2.0, 0.5, 0.1)
    assert not seeded and op == 0.0
    # Ω > 0: OP = P × Ω × D = 0.5 × 0.25 × 1.5 = 0.1875
    op, seeded = overall_probability(0.5, 0.25, 1.5, 0.1, 0.1)
    assert not seeded and op == pytest.approx(0.1875)


def test_rng_is_explicit_and_reproducible():
    s1 = np.array([42], dtype=np.uint64)
    s2 = np.array([42], dtype=np.uint64)
    a = [rng_uniform(s1) for _ in range(5)]
    b = [rng_uniform(s2) for _ in range(5)]
    assert a == b and all(0 <= v < 1 for v in a) and len(set(a)) == 5
    vals = np.array([rng_truncnormal(s1, 1.0, 0.5, 0.0, 2.0) for _ in range(4000)])
    assert vals.min() >= 0 and vals.max() <= 2
    assert vals.mean() == pytest.approx(1.0, abs=0.03)
    # the quantile table of r1: symmetric around 1 on [0, 2]; median 1; P(r1 < 0.5) = (Φ(−1) − Φ(−2)) /
    # (Φ(2) − Φ(−2)) = (0.158655 − 0.022750) / 0.954500 = 0.142384
    assert TN_TABLE[0] > 0 and TN_TABLE[-1] < 2
    assert TN_TABLE[2047] == pytest.approx(1.0, abs=1e-3)
    assert np.mean(TN_TABLE < 0.5) == pytest.approx(0.142384, abs=1 / 4096)


def test_horn_slope_by_hand():
    # a plane rising 1 m per 10 m eastward: dz/dx = ((c+2f+i) − (a+2d+g)) / (8 dx)
    # columns z = 0, 1, 2 -> ((2+4+2) − (0+0+0)) / (8 × 10) = 0.1 -> atan(0.1) = 5.7106°
    dem = np.tile(np.array([0.0, 1.0, 2.0]), (3, 1))
    s = horn_slope(dem, np.ones((3, 3), bool), np.full(3, 10.0), 10.0)
    assert s[1, 1] == pytest.approx(np.degrees(np.arctan(0.1)), rel=1e-6)
    # same plane on 20 m cells: 0.05 -> 2.8624°
    s20 = horn_slope(dem, np.ones((3, 3), bool), np.full(3, 20.0), 20.0)
    assert s20[1, 1] == pytest.approx(np.degrees(np.arctan(0.05)), rel=1e-6)
    # invalid centre -> NaN; invalid neighbour takes the centre value
    valid = np.ones((3, 3), bool)
    valid[0, 0] = False
    s2 = horn_slope(dem, valid, np.full(3, 10.0), 10.0)
    assert np.isnan(s2[0, 0])
    # (1,1) with a = e = 1 instead of 0: dz/dx = (8 − (1+0+0))/80 = 0.0875, dz/dy = ((0+2+2) − (1+2+2))/80 = −0.0125
    exp = np.degrees(np.arctan(np.hypot(0.0875, 0.0125)))
    assert s2[1, 1] == pytest.approx(exp, rel=1e-6)


def _run(state2d, prob, demand, seed=3, control=0, allow=None, delta=0.5, max_iter=200, seed_cap=1000,
         relay=0):
    rows, cols = state2d.shape
    k = prob.shape[1]
    state = state2d.ravel().astype(np.int8).copy()
    cand = np.flatnonzero(state >= 0).astype(np.int64)
    block = 4
    perm = np.arange(-(-cand.size // block), dtype=np.int64)
    allow = np.ones((1, k, k), np.uint8) if allow is None else allow
    p32 = prob.astype(np.float32)
    out = cars_allocate(state, rows, cols, cand, perm, block, p32, p32.max(axis=1),
                        np.ones(cand.size, np.uint8), np.zeros(cand.size, np.uint8), allow,
                        np.asarray(demand, np.int64), np.ones(k), np.full(k, 0.1), delta, seed_cap, -1, 0.5, 3,
                        max_iter, control, np.full(k, relay, np.int64), 1.5, 30, int(cand.size), 0.001, 3,
                        TN_TABLE, np.array([seed], np.uint64))
    return state.reshape(rows, cols), out


def test_cars_meets_demand_and_respects_forbidden_transitions():
    # 6x6 map of class 0 with a class-1 block; class 1 must grow by 6, class 0 shrink by 6
    st = np.zeros((6, 6), np.int8)
    st[2:4, 2:4] = 1
    prob = np.zeros((36, 2))
    prob[:, 1] = 0.9
    new, (hist, nchg, nseed, d, dcoef) = _run(st, prob, [26, 10])
    assert np.bincount(new.ravel(), minlength=2).tolist() == [26, 10]
    assert hist[0].tolist() == [26 - 32, 10 - 4] and hist[-1].tolist() == [0, 0]
    assert nchg.sum() == 6
    # original class-1 cells never change (net control: class 1 is below demand, it gives up nothing)
    assert (new[2:4, 2:4] == 1).all()
    # forbid 0 -> 1: nothing can change, gaps stay and the run stops by patience
    allow = np.ones((1, 2, 2), np.uint8)
    allow[0, 0, 1] = 0
    new2, (hist2, *_rest) = _run(st, prob, [26, 10], allow=allow)
    assert (new2 == st).all() and hist2[-1].tolist() == [-6, 6]


def test_cars_same_seed_same_map_different_seed_differs():
    rng = np.random.default_rng(0)
    st = rng.integers(0, 3, size=(30, 30)).astype(np.int8)
    prob = rng.random((900, 3))
    amounts = np.bincount(st.ravel(), minlength=3)
    demand = amounts + np.array([-60, 20, 40])
    a, _ = _run(st, prob, demand, seed=5)
    b, _ = _run(st, prob, demand, seed=5)
    c, _ = _run(st, prob, demand, seed=6)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.bincount(a.ravel(), minlength=3).tolist() == demand.tolist()


def test_forest_predict_equals_sklearn():
    from sklearn.ensemble import RandomForestRegressor

    from landcarbon.kernels.forest import flatten_forests, forest_predict

    rng = np.random.default_rng(0)
    x = rng.random((300, 3)).astype(np.float32)
    y = (x[:, 0] > 0.5).astype(float)
    f1 = RandomForestRegressor(5, max_features=None, random_state=1).fit(x, y)
    f2 = RandomForestRegressor(3, max_features=None, random_state=2).fit(x, 1 - y)
    out = np.zeros((300, 3))
    forest_predict(x, *flatten_forests([f1, None, f2]), out)
    assert np.array_equal(out[:, 0], f1.predict(x))
    assert np.allclose(out[:, 2], f2.predict(x), atol=1e-12)
    assert (out[:, 1] == 0).all()


def test_planned_zone_rule_raises_development_class():
    # one row of 400 cells of class 0 (P_0 = 0.9), class 1 absent (P_1 = 0.6, no neighbours):
    # OP_0 = 0.9 × Ω_0 × D, OP_1 = 0.6 × r × 0.1 (seed branch, r < 0.6). In R = 2 cells for k_dev = 1,
    # when P_1 > r2: OP_1 = min(r2 + OP_1, 1) × w_dev, which wins the roulette far more often.
    k = 2
    rows, cols = 1, 400
    prob = np.tile(np.array([0.9, 0.6], np.float32), (cols, 1))

    def one_iteration(rz_value, k_dev):
        state = np.zeros(cols, np.int8)
        cand = np.arange(cols, dtype=np.int64)
        hist, nchg, *_ = cars_allocate(
            state, rows, cols, cand, np.arange(100, dtype=np.int64), 4, prob, prob.max(axis=1),
            np.full(cols, rz_value, np.uint8), np.zeros(cols, np.uint8), np.ones((1, k, k), np.uint8),
            np.array([200, 200], np.int64), np.ones(k), np.full(k, 0.1), 0.5, 10_000, k_dev, 0.5, 3, 1, 0,
            np.zeros(k, np.int64), 1.5, 30, cols, 0.001, 3, TN_TABLE, np.array([9], np.uint64))
        return int(nchg[0])

    plain = one_iteration(1, -1)
    planned = one_iteration(2, 1)
    assert planned > 2 * max(plain, 1)
