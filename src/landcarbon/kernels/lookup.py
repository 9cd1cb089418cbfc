"""Class-code lookups: dense tables indexed by code, applied with numba."""

from __future__ import annotations

import numba as nb
import numpy as np


def dense_lut(codes, values, fill=np.nan, dtype=np.float64) -> tuple[np.ndarray, int]:
    """A dense lookup vector ``lut[code - offset]`` (``fill`` where no code) and its offset.

    ``values`` may be 1-D (one value per code) or 2-D (codes × k) for several columns at once.
    """
    codes = np.asarray(codes, dtype=np.int64)
    values = np.asarray(values, dtype=dtype)
    if codes.size == 0:
        return np.full((1,) + values.shape[1:], fill, dtype=dtype), 0
    lo, hi = int(codes.min()), int(codes.max())
    lut = np.full((hi - lo + 1,) + values.shape[1:], fill, dtype=dtype)
    lut[codes - lo] = values
    return lut, lo


@nb.njit(cache=True, nogil=True)
def lookup2d(arr, lut, offset, nodata, has_nodata, fill):
    """out[i, j] = lut[arr[i, j] - offset]; ``fill`` for nodata and codes outside the table."""
    rows, cols = arr.shape
    out = np.empty((rows, cols), dtype=lut.dtype)
    n = lut.shape[0]
    for i in range(rows):
        for j in range(cols):
            v = arr[i, j]
            if has_nodata and v == nodata:
                out[i, j] = fill
                continue
            k = np.int64(v) - offset
            if k < 0 or k >= n:
                out[i, j] = fill
            else:
                out[i, j] = lut[k]
    return out


@nb.njit(cache=True, nogil=True)
def code_counts(arr, nodata, has_nodata, lo, hi):
    """Count of each code in [lo, hi] (index code - lo), plus counts below/above and of nodata.

    Returns (counts, n_outside, n_nodata).
    """
    counts = np.zeros(hi - lo + 1, dtype=np.int64)
    outside = 0
    nd = 0
    for v in arr.ravel():
        if has_nodata and v == nodata:
            nd += 1
            continue
        k = np.int64(v) - lo
        if k < 0 or k > hi - lo:
            outside += 1
        else:
            counts[k] += 1
    return counts, outside, nd


def unique_codes(arr: np.ndarray, nodata=None) -> np.ndarray:
    """The distinct valid codes of an integer array (nodata excluded)."""
    a = np.asarray(arr)
    if nodata is not None:
        a = a[a != nodata]
    if a.size == 0:
        return np.empty(0, dtype=np.int64)
    lo, hi = int(a.min()), int(a.max())
    if hi - lo < 1_000_000:
        counts = np.bincount((a.astype(np.int64) - lo).ravel(), minlength=hi - lo + 1)
        return np.nonzero(counts)[0].astype(np.int64) + lo
    return np.unique(a).astype(np.int64)
