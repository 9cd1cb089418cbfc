"""ops.reclass: lookup of class values, lazy on dask, numpy and dask agree."""

from __future__ import annotations

import numpy as np
import pytest

from landcarbon.ops.reclass import codes_not_in, distinct_codes, reclassify
from landcarbon.testing import make_lulc, no_compute


@pytest.mark.parametrize("chunks", [None, 1, 2])
def test_reclassify_by_hand(chunks):
    # codes 1 -> 86, 2 -> 28; 0 = nodata -> NaN; 5 is not listed -> NaN (check codes_not_in first)
    lulc = make_lulc([[1, 2, 0], [5, 1, 2]], chunks=chunks)
    out = reclassify(lulc, [1, 2], [86.0, 28.0], units="Mg C/ha")
    got = np.asarray(out.values)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, np.array([[86, 28, np.nan], [np.nan, 86, 28]], dtype=np.float32))
    assert out.attrs["units"] == "Mg C/ha" and np.isnan(out.rio.nodata)
    assert np.asarray(codes_not_in(lulc, [1, 2])).tolist() == [5]
    assert np.asarray(distinct_codes(lulc)).tolist() == [1, 2, 5]


def test_reclassify_is_lazy():
    lulc = make_lulc([[1, 2], [2, 1]], chunks=1)
    with no_compute():
        out = reclassify(lulc, [1, 2], [1.0, 2.0])
        missing = codes_not_in(lulc, [1])
    assert hasattr(out.data, "dask") and hasattr(missing, "dask")
    assert np.asarray(missing.compute()).tolist() == [2]


def test_int32_codes_outside_the_dense_range():
    arr = np.array([[100000, 3], [-7, 3]], dtype=np.int32)
    assert distinct_codes(arr, nodata=-7).tolist() == [3, 100000]
    assert reclassify(arr, [3], [1.5], nodata=-7).tolist() == [[pytest.approx(np.nan, nan_ok=True), 1.5],
                                                                [pytest.approx(np.nan, nan_ok=True), 1.5]]
