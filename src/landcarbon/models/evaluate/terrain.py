"""Terrain factors of the 双评价: slope (Horn), relief (地形起伏度) and the float / geo helpers
the evaluation models share (numpy or dask)."""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from ...core.errors import InputValidationError
from ...ops.neighbourhood import cell_metres, horn_slope

#: default relief (地形起伏度) window: about 1 km [D]
RELIEF_WINDOW_M = 1000.0


# --------------------------------------------------------------------------------------------------
# terrain
def as_float(da: xr.DataArray) -> xr.DataArray:
    """float32 copy with the declared nodata (and non-finite values) as NaN; keeps coords and CRS."""
    nd = da.rio.nodata if hasattr(da, "rio") else None
    out = da.astype(np.float32)
    if nd is not None and not (isinstance(nd, float) and math.isnan(nd)):
        out = out.where(da != nd)
    out = out.where(np.isfinite(out))
    out = _keep_geo(out, da)
    return out.rio.write_nodata(np.nan, encoded=False)


def _keep_geo(out: xr.DataArray, like: xr.DataArray) -> xr.DataArray:
    crs = like.rio.crs
    if crs is not None:
        out = out.rio.write_crs(crs)
    try:
        out = out.rio.write_transform(like.rio.transform(recalc=False))
    except Exception:  # pragma: no cover
        pass
    return out


def slope_degrees(dem: xr.DataArray) -> xr.DataArray:
    """Slope (°) from a DEM by Horn's 3 × 3 method (the one slope of landcarbon:
    :func:`landcarbon.ops.neighbourhood.horn_slope`); numpy or dask."""
    res = horn_slope(dem)
    res.name = "slope_deg"
    res.attrs = {"units": "degree", "method": "Horn 1981 3x3"}
    return res


def relief(dem: xr.DataArray, window_cells: int) -> xr.DataArray:
    """地形起伏度: max − min elevation (m) in a square moving window of ``window_cells`` (odd)."""
    from scipy import ndimage

    w = int(window_cells)
    if w < 3 or w % 2 == 0:
        raise InputValidationError(f"relief window is {w} cells; expected an odd number >= 3")
    z = as_float(dem)

    def block(zb: np.ndarray) -> np.ndarray:
        hi = ndimage.maximum_filter(np.where(np.isnan(zb), -np.inf, zb), size=w, mode="nearest")
        lo = ndimage.minimum_filter(np.where(np.isnan(zb), np.inf, zb), size=w, mode="nearest")
        r = (hi - lo).astype(np.float32)
        r[np.isnan(zb)] = np.nan
        return r

    data = z.data
    if hasattr(data, "dask"):
        import dask.array as dsa

        out = dsa.map_overlap(block, data, depth=w // 2, boundary="nearest", dtype=np.float32)
    else:
        out = block(np.asarray(data))
    res = z.copy(data=out)
    res.name = "relief_m"
    res.attrs = {"units": "m", "window_cells": w}
    return res


def default_relief_window(dem: xr.DataArray) -> int:
    rx = float(np.mean(cell_metres(dem)[0]))
    w = max(3, int(round(RELIEF_WINDOW_M / rx)))
    return w if w % 2 else w + 1


