"""An independent float32 re-implementation of InVEST 3.20's carbon algorithm (for parity tests).

Written from methods.md §2.1–2.3: each pool is reclassified to a float32 raster (nodata −1), the
four pools are summed in float32 (above + below + soil + dead), the change is the float32
difference alt − bas (nodata −1, so a true change of −1.0 is read back as nodata), the NPV is
float32(change) × K in float32, and each total is Σ valid float32 values (float64 accumulator)
× |pixel width × pixel height| / 10 000.
"""

from __future__ import annotations

import numpy as np

CARBON_NODATA = np.float32(-1.0)
POOLS = ("c_above", "c_below", "c_soil", "c_dead")


def valuation_constant(y0, y1, r, c, price):
    n = y1 - y0
    ratio = 1 / ((1 + r / 100) * (1 + c / 100))
    k = price / n
    return k * n if ratio == 1 else k * (1 - ratio ** n) / (1 - ratio)


def _reclass(lulc, nodata, table):
    out = np.full(lulc.shape, CARBON_NODATA, dtype=np.float32)
    valid = np.ones(lulc.shape, bool) if nodata is None else lulc != nodata
    for code, val in table.items():
        out[valid & (lulc == code)] = np.float32(val)
    return out


def storage(lulc, nodata, pools):
    """pools: {pool: {code: value}} -> float32 storage raster with nodata −1."""
    rasters = [_reclass(lulc, nodata, pools[p]) for p in POOLS]
    valid = np.logical_and.reduce([r != CARBON_NODATA for r in rasters])
    out = np.full(lulc.shape, CARBON_NODATA, dtype=np.float32)
    out[valid] = np.sum(np.stack([r[valid] for r in rasters]), axis=0, dtype=np.float32)
    return out


def change(bas, alt):
    valid = (bas != CARBON_NODATA) & (alt != CARBON_NODATA)
    out = np.full(bas.shape, CARBON_NODATA, dtype=np.float32)
    out[valid] = alt[valid] - bas[valid]
    return out


def npv(delta, k):
    valid = delta != CARBON_NODATA           # the −1.0 quirk: a true −1 change is nodata here
    out = np.full(delta.shape, np.finfo(np.float32).max, dtype=np.float32)
    out[valid] = delta[valid] * k            # float32 array × Python float stays float32
    return out


def total(raster, nodata, pixel_area_m2):
    valid = raster != nodata
    return float(np.sum(raster[valid], dtype=np.float64)) * pixel_area_m2 / 10000
