"""Drivers derived from the maps (distance to classes, to large patches, class densities) by hand
on a 5 × 5 map, and their use in simulate() with contributions reported beside the others."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from landcarbon.core.errors import InputValidationError
from landcarbon.models.simulate import DerivedDrivers, LeasParams, derived_drivers, simulate
from landcarbon.models.simulate.derived import class_density, class_distance, patch_distance
from landcarbon.testing import make_lulc

# 100 m cells (1 ha); class 4 = built-up: a 1-ha hamlet at (0,4) and a 4-ha town at rows 2-3, cols 2-3
M = [[1, 1, 1, 2, 4],
     [1, 1, 1, 2, 2],
     [1, 1, 4, 4, 2],
     [3, 3, 4, 4, 2],
     [3, 3, 3, 3, 3]]


def test_class_distance_by_hand():
    d = class_distance(make_lulc(M), 4)
    # (0,0): nearest 4 is (2,2), √(2² + 2²) × 100 m = 282.84 m; (0,4) is itself 4; (4,0): (3,2) → √5 × 100
    assert d[0, 0] == pytest.approx(100 * np.sqrt(8), rel=1e-6)
    assert d[0, 4] == 0 and d[4, 0] == pytest.approx(100 * np.sqrt(5), rel=1e-6)
    assert d[1, 4] == pytest.approx(100.0)                       # next to the hamlet
    assert class_distance(make_lulc(M, cell_size=30), 4)[0, 0] == pytest.approx(30 * np.sqrt(8), rel=1e-6)


def test_patch_distance_keeps_patches_above_the_size():
    # patches ≥ 2 ha: only the 4-ha town; the 1-ha hamlet at (0,4) is not a target
    d = patch_distance(make_lulc(M), 4, 2.0)
    assert d[0, 4] == pytest.approx(100 * np.sqrt(5), rel=1e-6)   # (0,4) -> (2,3): √(2² + 1²)
    assert d[2, 2] == 0 and d[0, 0] == pytest.approx(100 * np.sqrt(8), rel=1e-6)
    # with 1 ha both count
    assert patch_distance(make_lulc(M), 4, 1.0)[0, 4] == 0
    with pytest.raises(InputValidationError, match="no patch of class 4 reaches 5 ha"):
        patch_distance(make_lulc(M), 4, 5.0)


def test_class_density_by_hand():
    # 3 × 3 windows (r = 1); outside the map counts as "not k", the denominator stays 9
    d1 = class_density(make_lulc(M), 1, 1)
    assert d1[0, 0] == pytest.approx(4 / 9) and d1[1, 1] == pytest.approx(8 / 9)
    d4 = class_density(make_lulc(M), 4, 1)
    assert d4[2, 2] == pytest.approx(4 / 9) and d4[0, 4] == pytest.approx(1 / 9)
    # 5 × 5 window at the centre covers the whole map: 4 built-up of 5 + hamlet = 5 / 25
    assert class_density(make_lulc(M), 4, 2)[2, 2] == pytest.approx(5 / 25)
    # nodata counts as not k
    m = [row[:] for row in M]
    m[0][0] = 0
    assert class_density(make_lulc(m, nodata=0), 1, 1)[0, 0] == pytest.approx(3 / 9)


def test_derived_drivers_names_and_units():
    out = derived_drivers(make_lulc(M), DerivedDrivers(class_distance=[4], patch_class=4, patch_min_ha=2,
                                                         density_radii=(1,), density_classes=[4]))
    assert list(out) == ["dist_class_4", "dist_patch_4_2ha", "density_4_r1"]
    assert out["dist_class_4"].attrs["units"] == "m" and out["density_4_r1"].attrs["units"] == "1"
    assert out["density_4_r1"].dtype == np.float32
    with pytest.raises(InputValidationError, match="radii"):
        derived_drivers(make_lulc(M), DerivedDrivers(density_radii=(0,)))


def test_simulate_with_derived_drivers_reports_their_contributions():
    n = 30
    yy, xx = np.mgrid[0:n, 0:n]
    r = np.hypot(yy - n / 2, xx - n / 2)
    a = np.where(r < 4, 2, 1).astype(np.int16)
    a[:, :5] = 3
    b = a.copy()
    b[(r < 7) & (a == 1)] = 2
    b[:12, 5:7] = 3                     # forest spreads east in the north: two kinds of expansion
    dem = make_lulc((xx + 0.3 * yy).astype(np.float32), nodata=None, dtype="float32", name="dem")
    cnt = {c: int((b == c).sum()) for c in (1, 2, 3)}
    cnt[1] -= 20
    cnt[2] += 20
    res = simulate(make_lulc(b), pd.DataFrame({"code": list(cnt), "cells": list(cnt.values())}),
                   calibrate_from=make_lulc(a), calibrate_to=make_lulc(b), drivers={"dem": dem}, seed=3,
                   leas_params=LeasParams(sample_rate=0.5, n_trees=5, n_jobs=1),
                   derived=DerivedDrivers(class_distance=[2], density_radii=(2,), density_classes=[2]))
    con = res.leas.contributions
    assert {"dem", "dist_class_2", "density_2_r2"} <= set(con.driver)
    assert res.info["derived_drivers"] == ["density_2_r2", "dist_class_2"]
    built = con[con.code == 2].set_index("driver").contribution
    assert built.sum() == pytest.approx(1.0)
    # growth is next to the town: the distance to built-up carries most of the built-up potential
    assert built["dist_class_2"] + built["density_2_r2"] > built["dem"]
    assert (res.maps[0].values == 2).sum() == cnt[2]
