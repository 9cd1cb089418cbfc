"""Zonal accounting: sums per (zone, class) as one weighted bincount per chunk. Lazy on dask."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..kernels import lookup as _lookup
from ..kernels import zonal as _zonal


def class_index_lut(codes: Sequence[int]) -> tuple[np.ndarray, int]:
    """Lookup vector mapping class code → 0-based index (−1 for codes not listed)."""
    codes = np.asarray(list(codes), dtype=np.int64)
    return _lookup.dense_lut(codes, np.arange(codes.size), fill=-1, dtype=np.int32)


def _block_sums(cls_block, zone_block, w_block, row_block, lut, offset, nodata, has_nodata, nz, nc):
    cidx = _lookup.lookup2d(cls_block, lut, offset, nodata, has_nodata, -1)
    zidx = (zone_block.astype(np.int32) - 1) if zone_block is not None else np.zeros(cls_block.shape, np.int32)
    w = w_block if w_block is not None else np.ones(cls_block.shape, dtype=np.float64)
    sums, areas = _zonal.zone_class_sums(zidx, cidx, w, row_block.ravel(), nz, nc)
    return np.stack([sums, areas])[None, None]


def zone_class_sums(lulc, codes: Sequence[int], row_area_ha: np.ndarray, *, nodata=None, zones=None,
                    n_zones: int = 1, weights=None):
    """Σ weight × cell area and Σ cell area per (zone, class).

    ``lulc``: 2-D integer array (numpy or dask) of class codes; cells whose code is nodata or not
    in ``codes`` are skipped. ``zones``: 2-D int array of 1-based zone ids (0 = outside), or None for
    one zone. ``weights``: 2-D float array (NaN skipped), e.g. a density in Mg C/ha, or None.
    ``row_area_ha``: cell area of each row (ha). Returns an array of shape (2, n_zones, n_classes):
    [0] = Σ weight × area, [1] = Σ area (ha) — a lazy dask array when any input is dask.
    """
    lut, offset = class_index_lut(codes)
    nc = len(codes)
    nz = n_zones if zones is not None else 1
    has_nd = nodata is not None
    nd = nodata if has_nd else 0
    row = np.asarray(row_area_ha, dtype=np.float64).reshape(-1, 1)
    is_dask = any(hasattr(a, "dask") for a in (lulc, zones, weights))
    if not is_dask:
        out = _block_sums(np.asarray(lulc), None if zones is None else np.asarray(zones),
                          None if weights is None else np.asarray(weights, dtype=np.float64), row,
                          lut, offset, nd, has_nd, nz, nc)
        return out[0, 0]
    import dask.array as dsa

    lulc = dsa.asarray(lulc)
    chunks = lulc.chunks
    rows = dsa.from_array(row, chunks=(chunks[0], 1))
    args = [lulc, "ij", rows, "iq"]
    has_z, has_w = zones is not None, weights is not None
    if has_z:
        args += [dsa.asarray(zones).rechunk(chunks), "ij"]
    if has_w:
        args += [dsa.asarray(weights).rechunk(chunks), "ij"]

    def fn(c, r, *rest):
        it = iter(rest)
        z = next(it) if has_z else None
        w = next(it) if has_w else None
        return _block_sums(c, z, w, r, lut, offset, nd, has_nd, nz, nc)

    parts = dsa.blockwise(fn, "ijabc", *args, new_axes={"a": 2, "b": nz, "c": nc},
                          dtype=np.float64, concatenate=True, adjust_chunks={"i": 1, "j": 1})
    return parts.sum(axis=(0, 1))
