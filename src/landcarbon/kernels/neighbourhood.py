"""Neighbourhood kernels on plain arrays: class counts in a Moore window, shares, Horn slope.

Class maps here are *index* maps: 0 … K−1 for valid cells, any negative value for nodata or
outside. Windows are n × n (n odd) and exclude the centre cell; window cells outside the array or
with a negative index count as "not k", and the denominator stays n² − 1 (methods.md §8.4 step 1).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def neighbour_counts(idx, n_classes, size):
    """Number of cells of each class in the ``size`` × ``size`` window around every cell, centre excluded.

    ``idx`` is a 2-D integer index map (negative = nodata). Returns uint16 (rows, cols, n_classes).
    """
    rows, cols = idx.shape
    h = size // 2
    out = np.zeros((rows, cols, n_classes), dtype=np.uint16)
    for i in range(rows):
        for j in range(cols):
            k = idx[i, j]
            if k < 0:
                continue
            # scatter this cell into the windows of its neighbours (not into itself)
            for di in range(-h, h + 1):
                ii = i + di
                if ii < 0 or ii >= rows:
                    continue
                for dj in range(-h, h + 1):
                    if di == 0 and dj == 0:
                        continue
                    jj = j + dj
                    if jj < 0 or jj >= cols:
                        continue
                    out[ii, jj, k] += 1
    return out


@nb.njit(cache=True, nogil=True)
def neighbour_counts_flat(idx, rows, cols, n_classes, size):
    """:func:`neighbour_counts` on a flat (row-major) index map; returns uint16 (rows*cols, n_classes)."""
    h = size // 2
    out = np.zeros((rows * cols, n_classes), dtype=np.uint16)
    for i in range(rows):
        for j in range(cols):
            k = idx[i * cols + j]
            if k < 0:
                continue
            for di in range(-h, h + 1):
                ii = i + di
                if ii < 0 or ii >= rows:
                    continue
                for dj in range(-h, h + 1):
                    if di == 0 and dj == 0:
                        continue
                    jj = j + dj
                    if jj < 0 or jj >= cols:
                        continue
                    out[ii * cols + jj, k] += 1
    return out


@nb.njit(cache=True, nogil=True)
def move_cell_counts(counts, cell, old, new, rows, cols, size):
    """Update flat neighbour counts after cell ``cell`` changed from class ``old`` to ``new``."""
    h = size // 2
    i = cell // cols
    j = cell - i * cols
    for di in range(-h, h + 1):
        ii = i + di
        if ii < 0 or ii >= rows:
            continue
        for dj in range(-h, h + 1):
            if di == 0 and dj == 0:
                continue
            jj = j + dj
            if jj < 0 or jj >= cols:
                continue
            c = ii * cols + jj
            if old >= 0:
                counts[c, old] -= 1
            if new >= 0:
                counts[c, new] += 1


def neighbour_shares(idx: np.ndarray, n_classes: int, size: int = 3, weights=None) -> np.ndarray:
    """Ω_{i,k} = (count of class-k cells in the window, centre excluded) / (n² − 1) × w_k.

    Returns float32 (rows, cols, n_classes); nodata cells (negative index) get 0.
    """
    if size < 3 or size % 2 == 0:
        raise ValueError(f"neighbourhood size must be an odd number >= 3; got {size}")
    counts = neighbour_counts(np.ascontiguousarray(idx), int(n_classes), int(size))
    w = np.ones(n_classes, dtype=np.float32) if weights is None else np.asarray(weights, dtype=np.float32)
    out = counts.astype(np.float32) / np.float32(size * size - 1) * w[None, None, :]
    out[np.asarray(idx) < 0] = 0.0
    return out


@nb.njit(cache=True, nogil=True)
def horn_slope(dem, valid, dx_row, dy):
    """Slope in degrees by Horn's (1981) 3 × 3 method.

    dz/dx = ((c + 2f + i) − (a + 2d + g)) / (8 dx),  dz/dy = ((g + 2h + i) − (a + 2b + c)) / (8 dy),
    slope = atan(√(dz/dx² + dz/dy²)), window  a b c / d e f / g h i.  ``dx_row`` is the cell width in
    metres for each row (constant for projected grids, shrinking with latitude for geographic ones),
    ``dy`` the cell height in metres. A neighbour outside the array or invalid takes the centre
    value. Invalid centres get NaN.
    """
    rows, cols = dem.shape
    out = np.empty((rows, cols), dtype=np.float32)
    for r in range(rows):
        dx = dx_row[r]
        for c in range(cols):
            if not valid[r, c]:
                out[r, c] = np.nan
                continue
            e = np.float64(dem[r, c])
            w = np.empty(9, dtype=np.float64)
            n = 0
            for di in range(-1, 2):
                for dj in range(-1, 2):
                    rr = r + di
                    cc = c + dj
                    if 0 <= rr < rows and 0 <= cc < cols and valid[rr, cc]:
                        w[n] = np.float64(dem[rr, cc])
                    else:
                        w[n] = e
                    n += 1
            a, b, cc_, d, f, g, h, i_ = w[0], w[1], w[2], w[3], w[5], w[6], w[7], w[8]
            dzdx = ((cc_ + 2 * f + i_) - (a + 2 * d + g)) / (8.0 * dx)
            dzdy = ((g + 2 * h + i_) - (a + 2 * b + cc_)) / (8.0 * dy)
            out[r, c] = math.degrees(math.atan(math.sqrt(dzdx * dzdx + dzdy * dzdy)))
    return out
