"""Neighbourhood operations on DataArrays (numpy or dask): class shares in a Moore window, Horn slope."""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from ..core.grid import grid_of
from ..kernels import neighbourhood as _k


def _cell_metres(da: xr.DataArray) -> tuple[np.ndarray, float]:
    """Cell width per row and cell height, in metres (ellipsoidal approximation on geographic grids)."""
    g = grid_of(da)
    t = g.transform
    rows = g.shape[0]
    if g.is_geographic:
        ell = g.crs.ellipsoid
        a = ell.semi_major_metre
        f = 1.0 / ell.inverse_flattening if ell.inverse_flattening else 0.0
        e2 = f * (2 - f)
        lat = np.radians(t.f + t.e * (np.arange(rows) + 0.5))
        s2 = np.sin(lat) ** 2
        n_rad = a / np.sqrt(1 - e2 * s2)                      # prime-vertical radius
        m_rad = a * (1 - e2) / (1 - e2 * s2) ** 1.5            # meridional radius
        dx = n_rad * np.cos(lat) * math.radians(abs(t.a))
        dy = float(np.mean(m_rad) * math.radians(abs(t.e)))
        return dx.astype(np.float64), dy
    u = 1.0
    if g.crs is not None:
        try:
            u = float(g.crs.axis_info[0].unit_conversion_factor)
        except (IndexError, AttributeError):
            u = 1.0
    return np.full(rows, abs(t.a) * u, dtype=np.float64), abs(t.e) * u


def horn_slope(dem: xr.DataArray) -> xr.DataArray:
    """Slope in degrees (Horn 1981) of a DEM in metres; cell size from the grid (metres or degrees).

    Nodata cells (``dem.rio.nodata`` or NaN) give NaN; a missing neighbour takes the centre value.
    Lazy when ``dem`` is dask-backed (map_overlap with depth 1).
    """
    dx_row, dy = _cell_metres(dem)
    nodata = dem.rio.nodata

    def block(a: np.ndarray, r0: int) -> np.ndarray:
        valid = np.isfinite(a) if np.issubdtype(a.dtype, np.floating) else np.ones(a.shape, bool)
        if nodata is not None:
            valid &= a != nodata
        rows = np.clip(np.arange(r0, r0 + a.shape[0]), 0, dx_row.size - 1)
        return _k.horn_slope(a, valid, np.ascontiguousarray(dx_row[rows]), float(dy))

    data = dem.data
    if hasattr(data, "dask"):
        import dask.array as dsa

        def _blk(x, block_info=None):
            loc = block_info[0]["array-location"][0][0] if block_info else 0
            # a block carries a 1-row halo above, except the first one
            return block(np.asarray(x), loc - (1 if loc > 0 else 0))

        out = dsa.map_overlap(_blk, data, depth=1, boundary="none", dtype=np.float32, trim=True)
    else:
        out = block(np.asarray(data), 0)
    res = dem.copy(data=out)
    res.name = "slope_deg"
    res.attrs = {"units": "degree", "method": "Horn 1981"}
    return res.rio.write_nodata(np.nan, encoded=False)


def neighbourhood_shares(idx: xr.DataArray, n_classes: int, *, size: int = 3, weights=None) -> xr.DataArray:
    """Ω_{i,k} = share of class-k cells in the size × size window (centre excluded) × w_k.

    ``idx`` holds class indices 0 … K−1 (negative = nodata). Returns (class, y, x) float32;
    lazy when ``idx`` is dask-backed.
    """
    if size < 3 or size % 2 == 0:
        raise ValueError(f"neighbourhood size must be an odd number >= 3; got {size}")
    w = np.ones(n_classes, np.float32) if weights is None else np.asarray(weights, np.float32)
    data = idx.data
    if hasattr(data, "dask"):
        import dask.array as dsa

        h = size // 2

        def _one(k: int):
            def _blk(x):
                return _k.neighbour_shares(np.asarray(x), n_classes, size, w)[..., k]

            return dsa.map_overlap(_blk, data, depth=h, boundary=-1, dtype=np.float32, trim=True)

        out = dsa.stack([_one(k) for k in range(n_classes)], axis=0)
    else:
        out = np.moveaxis(_k.neighbour_shares(np.asarray(data), n_classes, size, w), -1, 0)
    return xr.DataArray(out, dims=("class", *idx.dims),
                        coords={"class": np.arange(n_classes), **{d: idx.coords[d] for d in idx.dims if d in idx.coords}},
                        name="neighbourhood_share")


#: public name of the cell-size helper (metres per cell: per-row width, height)
cell_metres = _cell_metres
