"""Carbon stock kernels: one pass per chunk computes every map and every account (methods.md §2).

Class axis layout used by the accumulators (``nc`` = number of classes in the pools table):

- ``0 … nc-1``  classes of the table
- ``nc``        land-use nodata
- ``nc + 1``    a code that is not in the table (an error, reported after the pass)
- ``nc + 2``    no density: the table has no row for this zone/year, or a density raster is nodata

Float arithmetic follows InVEST 3.20: pool densities and their sum are float32, the change is the
float32 difference of the two float32 storage values, the NPV is float32(change) × float32(K) in
float32; accounts sum those float32 values in float64.
"""

from __future__ import annotations

import numba as nb
import numpy as np

#: offsets (from nc) of the extra class slots
NODATA, UNKNOWN, NO_DENSITY = 0, 1, 2
N_EXTRA = 3


@nb.njit(cache=True, nogil=True)
def class_index(arr, lut, offset, nodata, has_nodata, nodata_idx, unknown_idx, out):
    """out[i, j] = lut[arr[i, j] - offset] (class index); ``nodata_idx`` for nodata, ``unknown_idx``
    for codes outside the table (``lut`` holds −1 for codes inside its range but not in the table)."""
    rows, cols = arr.shape
    n = lut.shape[0]
    for i in range(rows):
        for j in range(cols):
            v = arr[i, j]
            if has_nodata and v == nodata:
                out[i, j] = nodata_idx
                continue
            k = np.int64(v) - offset
            if k < 0 or k >= n:
                out[i, j] = unknown_idx
            else:
                c = lut[k]
                out[i, j] = unknown_idx if c < 0 else c


@nb.njit(cache=True, nogil=True)
def stock_block(cls, zone, has_zone, dens, extra, has_extra, pairs, kf, row_w,
                out_storage, write_storage, out_change, write_change, out_npv, write_npv,
                acc_w, acc_v, miss, pair_w, pair_v, pair_n):
    """Storage, change and NPV of one chunk, and their sums per (map, zone, class) and per
    (pair, zone, class_from, class_to).

    cls       (M, h, w) int32 class indices (layout in the module docstring)
    zone      (h, w) int32 zone index, 0 = outside every zone (read only when ``has_zone``)
    dens      (M, Z, nc) float32 total density of each map, zone and class (NaN = no row)
    extra     (h, w) float32 sum of the density rasters (read only when ``has_extra``; NaN = nodata)
    pairs     (P, 2) int64 map indices (from, to); kf (P,) float32 valuation constant K
    row_w     (h,) float64 weight of each row (1 for projected grids, cell area in ha otherwise)
    outputs   (M|P, h, w) float32, NaN = nodata; written only when the matching flag is set
    acc_w     (M, Z, nc + 3) float64 Σ w;  acc_v (M, Z, nc + 3) float64 Σ C·w (valid cells)
    miss      (M, Z, nc) int64 cells whose class has no density row for their zone
    pair_w    (P, Z, nc + 3, nc + 3) float64 Σ w; pair_v / pair_n (P, Z, nc, nc) Σ ΔC·w / Σ NPV·w
    """
    n_maps, rows, cols = cls.shape
    n_pairs = pairs.shape[0]
    nc = dens.shape[2]
    nan32 = np.float32(np.nan)
    cval = np.empty(n_maps, dtype=np.float32)
    kidx = np.empty(n_maps, dtype=np.int64)
    for i in range(rows):
        w = row_w[i]
        for j in range(cols):
            z = zone[i, j] if has_zone else 0
            for m in range(n_maps):
                k = cls[m, i, j]
                c = nan32
                if k < nc:
                    c = dens[m, z, k]
                    if c != c:
                        miss[m, z, k] += 1
                        k = nc + NO_DENSITY
                    elif has_extra:
                        c = c + extra[i, j]
                        if c != c:
                            k = nc + NO_DENSITY
                kidx[m] = k
                cval[m] = c
                acc_w[m, z, k] += w
                if k < nc:
                    acc_v[m, z, k] += np.float64(c) * w
                if write_storage:
                    out_storage[m, i, j] = c
            for p in range(n_pairs):
                a = pairs[p, 0]
                b = pairs[p, 1]
                ka = kidx[a]
                kb = kidx[b]
                pair_w[p, z, ka, kb] += w
                if ka < nc and kb < nc:
                    d = np.float32(cval[b] - cval[a])
                    v = np.float32(d * kf[p])
                    pair_v[p, z, ka, kb] += np.float64(d) * w
                    pair_n[p, z, ka, kb] += np.float64(v) * w
                else:
                    d = nan32
                    v = nan32
                if write_change:
                    out_change[p, i, j] = d
                if write_npv:
                    out_npv[p, i, j] = v


@nb.njit(cache=True, nogil=True)
def distinct_codes(arr, nodata, has_nodata, lo, hi, seen):
    """Mark every code in [lo, hi] present in ``arr`` (``seen[code - lo] = True``); return the
    number of valid cells outside [lo, hi] (their codes are collected by the caller)."""
    outside = 0
    for v in arr.ravel():
        if has_nodata and v == nodata:
            continue
        k = np.int64(v) - lo
        if k < 0 or k > hi - lo:
            outside += 1
        else:
            seen[k] = True
    return outside


@nb.njit(cache=True, nogil=True)
def gather(arr, lut, base, out):
    """out[i, j] = lut[arr[i, j] - base]; ``lut`` covers the whole range of arr's (8/16-bit) dtype."""
    rows, cols = arr.shape
    for i in range(rows):
        for j in range(cols):
            out[i, j] = lut[np.int64(arr[i, j]) - base]


@nb.njit(cache=True, nogil=True)
def table_block(cls, zone, has_zone, n_slots, pairs, map_hist, row_w, st_tab, ch_tab, nv_tab,
                out_storage, write_storage, out_change, write_change, out_npv, write_npv, hist_m, hist_p):
    """Fast path when every density comes from the table: per cell only table look-ups and counts.

    cls (M, h, w) class indices (``n_slots`` = nc + 3 slots, layout in the module docstring);
    st_tab (M, Z·E) float32 storage of each (zone, class) slot, NaN for nodata slots;
    ch_tab / nv_tab (P, Z·E·E) float32 change and NPV of each (zone, from, to), NaN where invalid;
    hist_p (P, Z·E·E) float64 accumulates Σ w (cell counts on projected grids) of each pair;
    hist_m (M, Z·E) the same for maps with ``map_hist[m]`` set (maps in no pair: the others follow
    from the pair histograms). Counts are kept as run lengths along a row, so the patchy runs of real
    land-use maps cost one compare per cell instead of a dependent memory update.
    """
    n_maps, rows, cols = cls.shape
    n_pairs = pairs.shape[0]
    e = n_slots
    for i in range(rows):
        w = row_w[i]
        for m in range(n_maps):
            hist_this = map_hist[m]
            if not (write_storage or hist_this):
                continue
            cur = np.int64(-1)
            run = np.int64(0)
            for j in range(cols):
                zb = (np.int64(zone[i, j]) * e) if has_zone else np.int64(0)
                s = zb + cls[m, i, j]
                if write_storage:
                    out_storage[m, i, j] = st_tab[m, s]
                if hist_this:
                    if s == cur:
                        run += 1
                    else:
                        if run > 0:
                            hist_m[m, cur] += run * w
                        cur = s
                        run = 1
            if run > 0:
                hist_m[m, cur] += run * w
        for p in range(n_pairs):
            a = pairs[p, 0]
            b = pairs[p, 1]
            cur = np.int64(-1)
            run = np.int64(0)
            for j in range(cols):
                zb = (np.int64(zone[i, j]) * e) if has_zone else np.int64(0)
                idx = (zb + cls[a, i, j]) * e + cls[b, i, j]
                if write_change:
                    out_change[p, i, j] = ch_tab[p, idx]
                if write_npv:
                    out_npv[p, i, j] = nv_tab[p, idx]
                if idx == cur:
                    run += 1
                else:
                    if run > 0:
                        hist_p[p, cur] += run * w
                    cur = idx
                    run = 1
            if run > 0:
                hist_p[p, cur] += run * w
