"""xarray/dask neighbourhood ops used by the simulation: numpy and dask (tiny chunks) agree."""

from __future__ import annotations

import numpy as np
import pytest

from landcarbon.ops.neighbourhood import horn_slope, neighbourhood_shares
from landcarbon.testing import make_lulc


@pytest.mark.parametrize("size", [3, 5])
def test_neighbourhood_shares_numpy_equals_dask(size):
    rng = np.random.default_rng(3)
    idx = rng.integers(-1, 4, size=(23, 17)).astype(np.int8)
    a = neighbourhood_shares(make_lulc(idx, nodata=None, dtype="int8"), 4, size=size, weights=[1, 0.5, 0.25, 1])
    b = neighbourhood_shares(make_lulc(idx, nodata=None, dtype="int8", chunks=6), 4, size=size,
                             weights=[1, 0.5, 0.25, 1])
    assert a.shape == (4, 23, 17)
    np.testing.assert_allclose(a.values, b.values)
    # hand check at (5, 5): class-0 cells among the window's other cells / (n² − 1) × w_0
    h = size // 2
    win = idx[5 - h:5 + h + 1, 5 - h:5 + h + 1].copy()
    win[h, h] = -9
    if idx[5, 5] >= 0:
        assert float(a.values[0, 5, 5]) == pytest.approx((win == 0).sum() / (size * size - 1))


def test_horn_slope_numpy_equals_dask_and_geographic_cells():
    rng = np.random.default_rng(4)
    dem = (np.cumsum(rng.random((30, 20)), axis=1) * 10).astype(np.float32)
    a = horn_slope(make_lulc(dem, cell_size=30, nodata=None, dtype="float32"))
    b = horn_slope(make_lulc(dem, cell_size=30, nodata=None, dtype="float32", chunks=7))
    np.testing.assert_allclose(a.values, b.values, rtol=1e-6)
    assert a.attrs["units"] == "degree"
    # geographic grid: 1/3600° cells near 30° N are ~26.8 m wide and ~30.8 m tall, so an east-facing
    # plane rising 1 m per cell is steeper than on 30 m cells
    plane = np.tile(np.arange(6, dtype=np.float32), (6, 1))
    geo = make_lulc(plane, cell_size=1 / 3600, crs="EPSG:4326", origin=(114.0, 30.0), nodata=None, dtype="float32")
    s_geo = float(horn_slope(geo).values[3, 3])
    s_30 = float(horn_slope(make_lulc(plane, cell_size=30, nodata=None, dtype="float32")).values[3, 3])
    assert s_geo > s_30
    dx = 6378137 * np.cos(np.radians(30)) * np.radians(1 / 3600)  # ≈ 26.8 m (sphere; the code uses the ellipsoid)
    assert s_geo == pytest.approx(np.degrees(np.arctan(1 / dx)), rel=0.01)
