"""Validation metrics (methods.md §9): OA, Kappa, FoM counts, Pontius components, persistence."""

from __future__ import annotations

import numpy as np
import pytest

from landcarbon.core.errors import GridMismatchError, InputValidationError
from landcarbon.models import validate
from landcarbon.testing import make_lulc

# nine cells, classes 1..3:      L1 L2 S
#   c1 1 1 1  persistence, simulated persistence      (no FoM category)
#   c2 1 2 2  hit B
#   c3 1 2 1  miss A
#   c4 2 2 2  -
#   c5 2 1 2  miss A
#   c6 2 2 1  false alarm D
#   c7 1 1 2  false alarm D
#   c8 2 1 3  wrong hit C
#   c9 3 3 3  -
L1 = [[1, 1, 1], [2, 2, 2], [1, 2, 3]]
L2 = [[1, 2, 2], [2, 1, 2], [1, 1, 3]]
S = [[1, 2, 1], [2, 2, 1], [2, 3, 3]]


@pytest.mark.parametrize("chunks", [None, 1, 2])
def test_metrics_by_hand(chunks):
    r = validate.compare(make_lulc(L1, chunks=chunks), make_lulc(L2, chunks=chunks), make_lulc(S, chunks=chunks))
    assert (r.misses, r.hits, r.wrong_hits, r.false_alarms) == (2, 1, 1, 2)
    assert r.fom == pytest.approx(1 / 6)        # B / (A + B + C + D) = 1 / 6
    assert r.pa_change == pytest.approx(1 / 4)  # B / (A + B + C) = 1 / 4
    assert r.ua_change == pytest.approx(1 / 4)  # B / (B + C + D) = 1 / 4
    # confusion (rows observed L2, cols simulated S):
    #   [[1, 2, 1],      N = 9, diag = 4 -> OA = 4/9
    #    [2, 2, 0],      row sums 4, 4, 1 ; col sums 3, 4, 2 ; Σ rows×cols = 12 + 16 + 2 = 30
    #    [0, 0, 1]]      Kappa = (9×4 − 30) / (81 − 30) = 6/51
    np.testing.assert_array_equal(r.confusion().to_numpy()[:3, :3], [[1, 2, 1], [2, 2, 0], [0, 0, 1]])
    assert r.n == 9
    assert r.oa == pytest.approx(4 / 9)
    assert r.kappa == pytest.approx(6 / 51)
    # Q = ½ (|3−4| + |4−4| + |2−1|) / 9 = 1/9
    # A = ½ × 2 × [min(4−1, 3−1) + min(4−2, 4−2) + min(1−1, 2−1)] / 9 = (2 + 2 + 0)/9 = 4/9
    assert r.quantity_disagreement == pytest.approx(1 / 9)
    assert r.allocation_disagreement == pytest.approx(4 / 9)
    assert r.quantity_disagreement + r.allocation_disagreement == pytest.approx(1 - r.oa)
    assert r.observed_change_share == pytest.approx(4 / 9)   # c2, c3, c5, c8
    assert r.simulated_change_share == pytest.approx(4 / 9)  # c2, c6, c7, c8


def test_persistence_baseline_by_hand():
    r = validate.compare(make_lulc(L1), make_lulc(L2), make_lulc(S))
    b = r.baseline
    # S := L1 -> confusion (L2 x L1) [[2,2,0],[2,2,0],[0,0,1]]: OA = 5/9;
    # row sums 4,4,1, col sums 4,4,1 -> Σ = 33, Kappa = (45 − 33)/(81 − 33) = 12/48 = 0.25
    assert b.oa == pytest.approx(5 / 9) and b.kappa == pytest.approx(0.25)
    # FoM = 0 by construction: every observed change is a miss (4), no hit, no false alarm
    assert (b.fom, b.hits, b.misses, b.wrong_hits, b.false_alarms) == (0, 0, 4, 0, 0)
    # quantities of L1 and L2 agree -> Q = 0, A = 1 − OA = 4/9
    assert b.quantity_disagreement == pytest.approx(0) and b.allocation_disagreement == pytest.approx(4 / 9)
    # verdict (methods.md §15.2, replaces the former "FoM > 0 and A below persistence's" rule, which
    # said False here): s_sim = s_obs = 4/9 -> no churn penalty; Kappa 6/51 below persistence's 0.25
    # -> penalty 0.25 − 6/51 = 0.13235; J = 1/6 − 0.13235 = 0.03431 > 0 = J of persistence -> passes
    v = r.verdict()
    assert v["churn_penalty"] == 0 and v["kappa_penalty"] == pytest.approx(0.25 - 6 / 51)
    assert v["j"] == pytest.approx(1 / 6 - (0.25 - 6 / 51)) and v["j_persistence"] == 0
    assert r.passed is True and v["passed"] is True and "J > 0" in v["rule"]
    s = r.summary().set_index("metric")
    assert s.loc["fom", "simulated"] == pytest.approx(1 / 6) and s.loc["fom", "persistence"] == 0


def test_per_class():
    pc = validate.compare(make_lulc(L1), make_lulc(L2), make_lulc(S)).per_class().set_index("code")
    # class 2: PA = UA = 2/4. Per-class FoM: cells with L1 != 2 and (L2 = 2 or S = 2):
    # c2 hit, c3 miss (S = L1), c7 false alarm -> 1 / 3
    assert pc.loc[2, "pa"] == pytest.approx(0.5) and pc.loc[2, "ua"] == pytest.approx(0.5)
    assert (pc.loc[2, "hits"], pc.loc[2, "misses"], pc.loc[2, "wrong_hits"], pc.loc[2, "false_alarms"]) == (1, 1, 0, 1)
    assert pc.loc[2, "fom"] == pytest.approx(1 / 3)
    # class 3: c8 (L1 2, L2 1, S 3) is a false alarm for class 3; no other -> FoM 0
    assert pc.loc[3, "false_alarms"] == 1 and pc.loc[3, "fom"] == 0


def test_nodata_per_map_and_zones():
    # the simulated map is int8 with nodata -128 at c9, the start map uint8 with nodata 255
    s = np.array(S, dtype=np.int8)
    s[2, 2] = -128
    zones = np.array([[1, 1, 1], [1, 1, 1], [2, 2, 2]], dtype=np.int32)
    r = validate.compare(make_lulc(np.array(L1, dtype=np.uint8), nodata=255, dtype="uint8"),
                         make_lulc(L2), make_lulc(s, nodata=-128, dtype="int8"),
                         zones=zones, zone_names=["north", "south"])
    assert r.n == 8 and r.excluded["nodata in simulated"] == 1
    bz = r.by_zone.set_index(["zone", "model"])
    # south: c7 (1,1,2) false alarm, c8 (2,1,3) wrong hit; c9 excluded -> FoM 0/2
    assert bz.loc[("south", "simulated"), "false_alarms"] == 1
    assert bz.loc[("south", "simulated"), "wrong_hits"] == 1
    assert bz.loc[("south", "simulated"), "n"] == 2
    # north: c1..c6 -> hits 1 (c2), misses 2 (c3, c5), false alarm 1 (c6): FoM 1/4
    assert bz.loc[("north", "simulated"), "fom"] == pytest.approx(0.25)
    assert bz.loc[("north", "persistence"), "fom"] == 0


def test_sampling_is_seeded_and_chunk_independent():
    rng = np.random.default_rng(1)
    a = rng.integers(1, 4, (60, 50))
    b = np.where(rng.random((60, 50)) < 0.2, rng.integers(1, 4, (60, 50)), a)
    s = np.where(rng.random((60, 50)) < 0.2, rng.integers(1, 4, (60, 50)), a)
    r1 = validate.compare(make_lulc(a), make_lulc(b), make_lulc(s), sample_rate=0.1, seed=7)
    r2 = validate.compare(make_lulc(a, chunks=16), make_lulc(b, chunks=16), make_lulc(s, chunks=16),
                          sample_rate=0.1, seed=7)
    r3 = validate.compare(make_lulc(a), make_lulc(b), make_lulc(s), sample_rate=0.1, seed=8)
    assert r1.metrics == r2.metrics
    assert r1.metrics != r3.metrics
    assert 220 < r1.n < 380  # about 10 % of 3 000 cells
    with pytest.raises(InputValidationError):
        validate.compare(make_lulc(a), make_lulc(b), make_lulc(s), sample_rate=0)


def test_plain_arrays_and_grid_errors():
    r = validate.compare(np.array(L1), np.array(L2), np.array(S), nodata=0)
    assert r.fom == pytest.approx(1 / 6)
    with pytest.raises(GridMismatchError):
        validate.compare(make_lulc(L1), make_lulc(L2), make_lulc(S, cell_size=30))
    with pytest.raises(GridMismatchError):
        validate.compare(np.array(L1), np.array(L2), np.zeros((2, 2), dtype=int))


# ----------------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def wuhan(shared_data):
    from landcarbon.io import read_raster

    maps = {y: read_raster(shared_data / "wuhan_plus" / f"wh{y}_refy.tif", categorical=True)
            for y in (2003, 2005, 2010)}
    m3 = (maps[2003].values != 15) & (maps[2005].values != -128) & (maps[2010].values != -128)
    masked = {y: maps[y].copy(data=np.where(m3, maps[y].values, -128).astype(np.int8))
              .rio.write_nodata(-128, encoded=False) for y in (2005, 2010)}
    return maps, masked


def test_wuhan_persistence_baseline_2005_2010(wuhan):
    maps, masked = wuhan
    r = validate.compare(maps[2005], maps[2010], maps[2005])  # uint8/int8 maps, each its own nodata
    assert r.fom == 0 and r.hits == 0 and r.false_alarms == 0
    assert r.summary()["simulated"].equals(r.summary()["persistence"])  # UA_change is NaN in both
    assert np.isnan(r.ua_change)  # B + C + D = 0: no simulated change
    # methods.md §9 table [C], 2005 -> 2010 on the 3-year mask (N = 5 325 611)
    m = validate.compare(masked[2005], masked[2010], masked[2005])
    assert m.n == 5_325_611
    assert m.oa == pytest.approx(0.8035, abs=5e-5)
    assert m.kappa == pytest.approx(0.6799, abs=5e-5)
    assert m.quantity_disagreement == pytest.approx(0.0764, abs=5e-5)
    assert m.allocation_disagreement == pytest.approx(0.1201, abs=5e-5)
    assert m.observed_change_share == pytest.approx(0.1965, abs=5e-5)


def test_wuhan_2003_2010_reference(wuhan):
    maps, masked = wuhan
    m = validate.compare(maps[2003], masked[2010], maps[2003])
    # methods.md §9 table [C], 2003 -> 2010: OA 0.7989, Kappa 0.6756, Q 0.0601, A 0.1410
    assert m.n == 5_325_611
    assert (round(m.oa, 4), round(m.kappa, 4)) == (0.7989, 0.6756)
    assert (round(m.quantity_disagreement, 4), round(m.allocation_disagreement, 4)) == (0.0601, 0.1410)


def test_plain_simulated_array_without_nodata():
    # a simulation may hand back a plain array with a fill value (-1) where the maps are nodata (0):
    # the codes come from the maps that declare nodata, the fill cells are excluded by them
    l1 = make_lulc([[1, 2], [2, 0]])
    l2 = make_lulc([[1, 1], [2, 0]])
    s = np.array([[1, 1], [2, -1]])
    r = validate.compare(l1, l2, s)
    assert r.codes == (1, 2) and r.n == 3 and r.hits == 1 and r.fom == 1.0


@pytest.mark.parametrize("chunks", [None, 2])
def test_fom_map_by_hand(chunks):
    # categories per cell of the nine-cell case: c1 correct persistence 1, c2 hit 2, c3 miss 3, c4 1,
    # c5 miss 3, c6 false alarm 5, c7 false alarm 5, c8 wrong hit 4, c9 1
    cats = validate.fom_map(make_lulc(L1, chunks=chunks), make_lulc(L2, chunks=chunks),
                            make_lulc(S, chunks=chunks), codes=[1, 2, 3])
    np.testing.assert_array_equal(np.asarray(cats), [[1, 2, 3], [1, 3, 5], [5, 4, 1]])
