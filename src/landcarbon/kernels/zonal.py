"""Zonal sums as one weighted bincount per chunk."""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def zone_class_sums(zone_idx, class_idx, weights, row_w, n_zones, n_classes):
    """Sum of ``weights[i, j] * row_w[i]`` and of ``row_w[i]`` per (zone, class).

    ``zone_idx``/``class_idx`` are 0-based indices, negative = skip. ``weights`` may contain NaN
    (skipped). Returns (sums, areas), each of shape (n_zones, n_classes), float64.
    """
    rows, cols = class_idx.shape
    sums = np.zeros((n_zones, n_classes), dtype=np.float64)
    areas = np.zeros((n_zones, n_classes), dtype=np.float64)
    for i in range(rows):
        a = row_w[i]
        for j in range(cols):
            z = zone_idx[i, j]
            k = class_idx[i, j]
            if z < 0 or k < 0:
                continue
            w = weights[i, j]
            if w != w:
                continue
            sums[z, k] += w * a
            areas[z, k] += a
    return sums, areas


@nb.njit(cache=True, nogil=True)
def pair_counts(a_idx, b_idx, row_w, n_a, n_b):
    """Cross-tabulation of two index maps: counts and area (row weight) per (a, b) pair."""
    rows, cols = a_idx.shape
    counts = np.zeros((n_a, n_b), dtype=np.int64)
    areas = np.zeros((n_a, n_b), dtype=np.float64)
    for i in range(rows):
        w = row_w[i]
        for j in range(cols):
            x = a_idx[i, j]
            y = b_idx[i, j]
            if x < 0 or y < 0:
                continue
            counts[x, y] += 1
            areas[x, y] += w
    return counts, areas
