"""The synthetic county: deterministic, with change a simulation can learn, lines on the grid."""

from __future__ import annotations

import numpy as np
import rasterio

from landcarbon.datasets import county


def test_county_is_deterministic_and_changes(tmp_path):
    a = county.write_county(tmp_path / "a")
    b = county.write_county(tmp_path / "b")
    for role in ("landuse_2010", "landuse_2020", "eco_redline", "dem"):
        with rasterio.open(a[role]) as x, rasterio.open(b[role]) as y:
            assert np.array_equal(x.read(1), y.read(1))
    lu10, lu20 = county.landuse(2010), county.landuse(2020)
    assert int(((lu10 != 5) & (lu20 == 5)).sum()) > 2000          # towns grew
    assert int(((lu10 == 5) & (lu20 != 5)).sum()) == 0             # and never shrank
    assert set(np.unique(lu20)) == {0, 1, 2, 3, 4, 5, 6}
    lines = county.control_lines()
    assert not (lines["basic_farmland"] & lines["urban_boundary"]).any()
    assert all(m.sum() > 1000 for m in lines.values())
