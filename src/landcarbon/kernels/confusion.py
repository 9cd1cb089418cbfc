"""Cross-tabulation of two or three class maps in one pass (transition and confusion counts).

The kernels take the raw class maps (any integer dtype, each with its own nodata), one shared
lookup vector ``lut[code - offset]`` -> 0-based class index (-1 = code not in the table), a zone
index map and the per-row cell area. They return small tables; every metric of methods.md §7.1
and §9 is derived from them in numpy.

``excluded`` counts skipped cells by reason (a cell can count under several map reasons):

    [0] nodata in map a   [1] nodata in map b   [2] nodata in map c (0 for two maps)
    [3] valid in every map but a code not in the table   [4] zone index outside 0 .. nz-1
    [5] valid everywhere but left out by sampling
"""

from __future__ import annotations

import numba as nb
import numpy as np

N_EXCLUDED = 6
EXCLUDED_REASONS = ("nodata_a", "nodata_b", "nodata_c", "unknown_code", "outside_zones", "not_sampled")


@nb.njit(cache=True, nogil=True, inline="always")
def _splitmix64(x):
    x = (x + np.uint64(0x9E3779B97F4A7C15))
    z = x
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@nb.njit(cache=True, nogil=True)
def cell_uniform(seed, index):
    """A uniform number in [0, 1) for cell ``index`` (global row * cols + col) under ``seed``.

    Depends only on (seed, index), so a sample does not depend on chunking or scheduling.
    """
    h = _splitmix64(np.uint64(seed) ^ _splitmix64(np.uint64(index)))
    return np.float64(h >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@nb.njit(cache=True, nogil=True)
def cross2(a, b, nd_a, has_a, nd_b, has_b, lut, offset, zones, has_zones, row_w, nz, k):
    """Counts and area of every (zone, class in a, class in b) triple.

    Returns ``counts`` int64 (nz, k, k), ``area`` float64 (nz, k, k) (Σ row_w of the cells) and
    ``excluded`` int64 (N_EXCLUDED,).
    """
    rows, cols = a.shape
    counts = np.zeros((nz, k, k), dtype=np.int64)
    area = np.zeros((nz, k, k), dtype=np.float64)
    excluded = np.zeros(N_EXCLUDED, dtype=np.int64)
    n = lut.shape[0]
    for i in range(rows):
        w = row_w[i]
        for j in range(cols):
            va = a[i, j]
            vb = b[i, j]
            bad = False
            if has_a and va == nd_a:
                excluded[0] += 1
                bad = True
            if has_b and vb == nd_b:
                excluded[1] += 1
                bad = True
            if bad:
                continue
            ia = np.int64(va) - offset
            ib = np.int64(vb) - offset
            x = -1
            y = -1
            if 0 <= ia < n:
                x = lut[ia]
            if 0 <= ib < n:
                y = lut[ib]
            if x < 0 or y < 0:
                excluded[3] += 1
                continue
            z = 0
            if has_zones:
                z = zones[i, j]
                if z < 0 or z >= nz:
                    excluded[4] += 1
                    continue
            counts[z, x, y] += 1
            area[z, x, y] += w
    return counts, area, excluded


@nb.njit(cache=True, nogil=True)
def cross3(a, b, c, nd_a, has_a, nd_b, has_b, nd_c, has_c, lut, offset, zones, has_zones, nz, k,
           rate, seed, row0, col0, total_cols):
    """Counts of every (zone, class in a, class in b, class in c) quadruple: int64 (nz, k, k, k).

    ``rate`` < 1 keeps a deterministic pseudo-random sample of the cells: cell (row0 + i, col0 + j)
    is kept when ``cell_uniform(seed, (row0 + i) * total_cols + col0 + j) < rate``.
    Returns (counts, excluded).
    """
    rows, cols = a.shape
    counts = np.zeros((nz, k, k, k), dtype=np.int64)
    excluded = np.zeros(N_EXCLUDED, dtype=np.int64)
    n = lut.shape[0]
    sample = rate < 1.0
    for i in range(rows):
        for j in range(cols):
            va = a[i, j]
            vb = b[i, j]
            vc = c[i, j]
            bad = False
            if has_a and va == nd_a:
                excluded[0] += 1
                bad = True
            if has_b and vb == nd_b:
                excluded[1] += 1
                bad = True
            if has_c and vc == nd_c:
                excluded[2] += 1
                bad = True
            if bad:
                continue
            ia = np.int64(va) - offset
            ib = np.int64(vb) - offset
            ic = np.int64(vc) - offset
            x = -1
            y = -1
            s = -1
            if 0 <= ia < n:
                x = lut[ia]
            if 0 <= ib < n:
                y = lut[ib]
            if 0 <= ic < n:
                s = lut[ic]
            if x < 0 or y < 0 or s < 0:
                excluded[3] += 1
                continue
            z = 0
            if has_zones:
                z = zones[i, j]
                if z < 0 or z >= nz:
                    excluded[4] += 1
                    continue
            if sample:
                idx = (np.int64(row0) + i) * np.int64(total_cols) + np.int64(col0) + j
                if cell_uniform(seed, idx) >= rate:
                    excluded[5] += 1
                    continue
            counts[z, x, y, s] += 1
    return counts, excluded


#: categories of :func:`fom_categories` (0 = not compared: nodata or unknown code)
FOM_CATEGORIES = {1: "correct persistence", 2: "hit", 3: "miss", 4: "wrong hit", 5: "false alarm"}


@nb.njit(cache=True, nogil=True)
def fom_categories(a, b, c, nd_a, has_a, nd_b, has_b, nd_c, has_c, lut, offset):
    """Per cell: 1 correct persistence (L1 = L2 = S), 2 hit, 3 miss, 4 wrong hit, 5 false alarm,
    0 where a map is nodata or holds a code outside the table (uint8)."""
    rows, cols = a.shape
    out = np.zeros((rows, cols), dtype=np.uint8)
    n = lut.shape[0]
    for i in range(rows):
        for j in range(cols):
            va = a[i, j]
            vb = b[i, j]
            vc = c[i, j]
            if (has_a and va == nd_a) or (has_b and vb == nd_b) or (has_c and vc == nd_c):
                continue
            ia = np.int64(va) - offset
            ib = np.int64(vb) - offset
            ic = np.int64(vc) - offset
            if not (0 <= ia < n and 0 <= ib < n and 0 <= ic < n):
                continue
            x = lut[ia]
            y = lut[ib]
            s = lut[ic]
            if x < 0 or y < 0 or s < 0:
                continue
            if x == y:
                out[i, j] = 1 if s == x else 5
            elif s == y:
                out[i, j] = 2
            elif s == x:
                out[i, j] = 3
            else:
                out[i, j] = 4
    return out
