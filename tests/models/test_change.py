"""Transition matrix, gains/losses and dynamic degree (methods.md §7.1–7.2), by hand and on Wuhan."""

from __future__ import annotations

import numpy as np
import pytest

from landcarbon.core.errors import EmptyInputError, GridMismatchError, MissingClassError
from landcarbon.models import change
from landcarbon.testing import make_lulc

# map1 (t1)        map2 (t2)        0 = nodata, 100 m cells = 1 ha
#  1 1 2            1 2 2
#  2 3 0            3 3 3
# common valid cells: 5 (the last cell is nodata in map1)
# pairs: (1,1) (1,2) (2,2) (2,3) (3,3) ->  N = [[1,1,0],[0,1,1],[0,0,1]]
M1 = [[1, 1, 2], [2, 3, 0]]
M2 = [[1, 2, 2], [3, 3, 3]]
N = np.array([[1, 1, 0], [0, 1, 1], [0, 0, 1]])


@pytest.mark.parametrize("chunks", [None, 1])
def test_transition_matrix_by_hand(chunks):
    tt = change.transition_matrix(make_lulc(M1, chunks=chunks), make_lulc(M2, chunks=chunks), years=(2000, 2005))
    assert tt.codes == (1, 2, 3)
    np.testing.assert_array_equal(tt.counts.sum(axis=0), N)
    np.testing.assert_allclose(tt.area_ha.sum(axis=0), N * 1.0)  # 1 ha per cell
    assert tt.excluded == {"nodata in map1": 1, "nodata in map2": 0}
    m = tt.matrix("cells")
    assert list(m["total_t1"])[:3] == [2, 2, 1]  # row sums = t1 areas
    assert list(m.loc["total_t2"])[:3] == [1, 2, 2]  # column sums = t2 areas
    assert m.loc["total_t2", "total_t1"] == 5
    km2 = tt.matrix("km2", totals=False)
    assert km2.to_numpy().sum() == pytest.approx(0.05)  # 5 ha = 0.05 km²
    long = tt.long()
    assert long["cells"].sum() == 5 and long[long.changed]["cells"].sum() == 2


def test_class_change_and_dynamic_degree_by_hand():
    tt = change.transition_matrix(make_lulc(M1), make_lulc(M2), years=(2000, 2005))
    cc = change.class_change(tt).set_index("code")
    # gains: G1 = 0, G2 = N12 = 1, G3 = N23 = 1 ; losses: L1 = N12 = 1, L2 = N23 = 1, L3 = 0
    assert cc["gain_ha"].tolist() == [0, 1, 1]
    assert cc["loss_ha"].tolist() == [1, 1, 0]
    assert cc["net_ha"].tolist() == [-1, 0, 1]
    assert cc["swap_ha"].tolist() == [0, 2, 0]          # 2 min(G, L)
    assert cc["total_change_ha"].tolist() == [1, 2, 1]  # G + L = |net| + swap
    # K = (Ub - Ua)/Ua / T × 100, T = 5: class 1 (1-2)/2/5 = -10 %; class 2 0; class 3 (2-1)/1/5 = +20 %
    np.testing.assert_allclose(cc["K_pct_per_year"], [-10.0, 0.0, 20.0])
    dd = change.dynamic_degree(tt).iloc[0]
    # LC (loss-only) = Σ loss / (2 Σ area) / T × 100 = 2 / 10 / 5 × 100 = 4 %/a ; gross = 8 %/a
    assert dd["LC_pct_per_year"] == pytest.approx(4.0)
    assert change.dynamic_degree(tt, lc_count="gross").iloc[0]["LC_pct_per_year"] == pytest.approx(8.0)


def test_new_and_small_class_flags():
    # class 4 appears only at t2: K undefined ("new class"); 1 of 250 cells = 0.4 % < 0.5 % -> small
    m1 = np.ones((10, 25), dtype=np.int16)
    m1[0, 0] = 2
    m2 = m1.copy()
    m2[5, 5] = 4
    cc = change.class_change(change.transition_matrix(make_lulc(m1), make_lulc(m2), years=(2000, 2010)))
    cc = cc.set_index("code")
    assert np.isnan(cc.loc[4, "K_pct_per_year"]) and cc.loc[4, "K_flag"] == "new class"
    assert cc.loc[2, "K_flag"].startswith("small class")
    assert cc.loc[1, "K_flag"] == ""


def test_non_consecutive_codes_and_mixed_dtypes():
    # same layout with codes 10, 30, 60; map1 uint8 nodata 255, map2 int8 nodata -128
    lut = {1: 10, 2: 30, 3: 60, 0: 255}
    m1 = np.vectorize(lut.get)(M1).astype(np.uint8)
    m2 = np.vectorize(lambda v: {1: 10, 2: 30, 3: 60}[v])(M2).astype(np.int8)
    tt = change.transition_matrix(make_lulc(m1, nodata=255, dtype="uint8"),
                                  make_lulc(m2, nodata=-128, dtype="int8"))
    assert tt.codes == (10, 30, 60)
    np.testing.assert_array_equal(tt.counts.sum(axis=0), N)


@pytest.mark.parametrize("chunks", [None, 2])
def test_by_zone(chunks):
    zones = np.array([[1, 1, 1], [2, 2, 2]], dtype=np.int32)
    tt = change.transition_matrix(make_lulc(M1, chunks=chunks), make_lulc(M2, chunks=chunks),
                                  zones=zones, zone_names=["A", "B"])
    # zone A (top row): (1,1) (1,2) (2,2); zone B: (2,3) (3,3) and the nodata cell
    np.testing.assert_array_equal(tt.matrix("cells", "A", totals=False).to_numpy(),
                                  [[1, 1, 0], [0, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(tt.matrix("cells", "B", totals=False).to_numpy(),
                                  [[0, 0, 0], [0, 0, 1], [0, 0, 1]])
    assert tt.units() == ["(all)", "A", "B"]
    cc = change.class_change(tt, years=(2000, 2005))
    assert set(cc["zone"]) == {"(all)", "A", "B"}


def test_geographic_rows_weigh_by_row_area():
    m = make_lulc([[1, 1], [1, 2]], cell_size=0.05, crs="EPSG:4326", origin=(114.0, 30.10))
    tt = change.transition_matrix(m, m)
    # methods.md §1.3 test value: WGS 84 row 30.00–30.05°N, 0.05° wide = 2 673.27 ha per cell
    assert tt.area_ha[0, 1, 1] == pytest.approx(2673.27, abs=0.01)  # the one class-2 cell, bottom row
    # class 1 = two top-row cells (30.05–30.10°N, a little smaller) + one bottom-row cell
    top = (tt.area_ha[0, 0, 0] - 2673.27) / 2
    assert 2670 < top < 2673.27


def test_bad_inputs():
    a = make_lulc(M1)
    with pytest.raises(GridMismatchError, match="differs"):
        change.transition_matrix(a, make_lulc(M2, origin=(500_100.0, 3_400_000.0)))
    with pytest.raises(GridMismatchError):
        change.transition_matrix(a, make_lulc([[1, 2], [3, 3]]))
    with pytest.raises(EmptyInputError):
        change.transition_matrix(make_lulc([[1, 0]]), make_lulc([[0, 1]]))
    with pytest.raises(MissingClassError, match="outside the class list"):
        change.transition_matrix(a, make_lulc(M2), codes=[1, 2])


# ----------------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def wuhan(shared_data):
    from landcarbon.io import read_raster

    return {y: read_raster(shared_data / "wuhan_plus" / f"wh{y}_refy.tif", categorical=True)
            for y in (2003, 2005, 2010)}


def test_wuhan_transition_2005_2010(wuhan):
    a, b = wuhan[2005], wuhan[2010]
    assert a.dtype == np.int8 and wuhan[2003].dtype == np.uint8
    tt = change.transition_matrix(a, b, years=(2005, 2010))
    va, vb = a.values, b.values
    common = (va != -128) & (vb != -128)
    # independent count with numpy: cells on the common mask, and each pair
    assert tt.total_cells == int(common.sum()) == 5_325_855
    ref = np.zeros((7, 7), dtype=np.int64)
    np.add.at(ref, (va[common] - 1, vb[common] - 1), 1)
    np.testing.assert_array_equal(tt.counts.sum(axis=0), ref)
    assert tt.counts[0, 0, 0] == 1086 and tt.counts[0, 2, 3] == 205_668  # grass kept; cropland -> urban
    # 30 m cells = 0.09 ha
    assert tt.area_ha.sum() == pytest.approx(5_325_855 * 0.09)
    dd = change.dynamic_degree(tt).iloc[0]
    assert dd["changed_share"] == pytest.approx(0.19653, abs=1e-5)


def test_wuhan_dynamic_degree_reference(wuhan):
    # methods.md §7.2 [C]: 2003 -> 2010 on the 3-year mask, loss-only LC 1.436 %/a (gross 2.872);
    # bare land 2005 -> 2010: 6 297 -> 148 802 pixels, K = +452.61 %/a
    m03 = (wuhan[2003].values != 15) & (wuhan[2005].values != -128) & (wuhan[2010].values != -128)
    def masked(y):
        arr = np.where(m03, wuhan[y].values, -128).astype(np.int8)
        return wuhan[y].copy(data=arr).rio.write_nodata(-128, encoded=False)
    tt = change.transition_matrix(wuhan[2003], masked(2010), years=(2003, 2010))
    dd = change.dynamic_degree(tt).iloc[0]
    assert tt.total_cells == 5_325_611
    assert dd["LC_pct_per_year"] == pytest.approx(1.436, abs=5e-4)
    assert change.dynamic_degree(tt, lc_count="gross").iloc[0]["LC_pct_per_year"] == pytest.approx(2.872, abs=1e-3)
    cc = change.class_change(change.transition_matrix(masked(2005), masked(2010), years=(2005, 2010)))
    bare = cc.set_index("code").loc[5]
    assert (bare["cells_t1"], bare["cells_t2"]) == (6297, 148_802)
    assert bare["K_pct_per_year"] == pytest.approx(452.61, abs=0.01)
    assert bare["K_flag"].startswith("small class")
