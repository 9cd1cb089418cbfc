"""Cross-tabulation op: numpy and dask agree, dask stays lazy, excluded cells are counted."""

from __future__ import annotations

import dask
import dask.array as dsa
import numpy as np

from landcarbon.kernels import confusion
from landcarbon.ops import transitions
from landcarbon.testing import no_compute


def _maps(seed=0):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 5, (37, 23)).astype(np.uint8)   # 0 = nodata in a
    b = rng.integers(-1, 5, (37, 23)).astype(np.int8)   # -1 = nodata in b
    b[b == 0] = 4
    c = rng.integers(1, 5, (37, 23)).astype(np.int16)
    return a, b, c


def test_cross_tab_numpy_vs_dask_and_lazy():
    a, b, _ = _maps()
    zones = np.repeat(np.arange(3, dtype=np.int32), 37 * 23 // 3 + 1)[: 37 * 23].reshape(37, 23)
    rows = np.linspace(1.0, 2.0, 37)
    ref = transitions.cross_tab(a, b, [1, 2, 3, 4], rows, nodata_a=0, nodata_b=-1, zones=zones, n_zones=3)
    with no_compute():
        lazy = transitions.cross_tab(dsa.from_array(a, chunks=8), dsa.from_array(b, chunks=9), [1, 2, 3, 4], rows,
                                     nodata_a=0, nodata_b=-1, zones=dsa.from_array(zones, chunks=5), n_zones=3)
    got = dask.compute(lazy)[0]
    np.testing.assert_array_equal(got["counts"], ref["counts"])
    np.testing.assert_allclose(got["area_ha"], ref["area_ha"])
    np.testing.assert_array_equal(got["excluded"], ref["excluded"])
    # independent count: cells valid in both maps
    valid = (a != 0) & (b != -1)
    assert ref["counts"].sum() == valid.sum()
    assert ref["excluded"][0] == (a == 0).sum() and ref["excluded"][1] == (b == -1).sum()
    # area = Σ row area of the counted cells
    assert ref["area_ha"].sum() == np.sum(valid * rows[:, None])


def test_cross_tab3_matches_numpy_histogram():
    a, b, c = _maps(1)
    r = transitions.cross_tab3(a, b, c, [1, 2, 3, 4], nodata_a=0, nodata_b=-1, nodata_c=None)
    v = (a != 0) & (b != -1)
    ref = np.zeros((4, 4, 4), dtype=np.int64)
    np.add.at(ref, (a[v].astype(int) - 1, b[v].astype(int) - 1, c[v] - 1), 1)
    np.testing.assert_array_equal(r["counts"][0], ref)


def test_unknown_codes_counted():
    a = np.array([[1, 2], [9, 1]])
    r = transitions.cross_tab(a, a, [1, 2], np.ones(2))
    assert r["excluded"][3] == 1 and r["counts"].sum() == 3


def test_cell_uniform_range_and_determinism():
    u = np.array([confusion.cell_uniform(np.uint64(5), i) for i in range(20_000)])
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    assert confusion.cell_uniform(np.uint64(5), 123) == confusion.cell_uniform(np.uint64(5), 123)
    assert confusion.cell_uniform(np.uint64(6), 123) != confusion.cell_uniform(np.uint64(5), 123)


def test_present_codes_dask():
    a, _, _ = _maps()
    got = dask.compute(transitions.present_codes(dsa.from_array(a, chunks=10), 0))[0]
    assert got.tolist() == [1, 2, 3, 4]
