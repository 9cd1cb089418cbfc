"""Ensemble kernels (methods.md §15.1) on plain arrays: class counts per cell accumulated one
realization at a time, the modal class with its tie rule, and the few statistics over
realizations. Counts are uint16 (at most 65 535 realizations), so R maps are never held at once.
"""

from __future__ import annotations

import numba as nb
import numpy as np

#: the largest number of realizations a uint16 count holds
MAX_REALIZATIONS = int(np.iinfo(np.uint16).max)


@nb.njit(cache=True, nogil=True)
def accumulate_counts(counts, state):
    """counts[k, i] += 1 where state[i] == k (state int8, −1 = nodata, skipped); in place."""
    for i in range(state.shape[0]):
        s = state[i]
        if s >= 0:
            counts[s, i] += 1


@nb.njit(cache=True, nogil=True)
def accumulate_stay(stay, state, start):
    """stay[i] += 1 where state[i] == start[i] (a valid start class); in place."""
    for i in range(state.shape[0]):
        if start[i] >= 0 and state[i] == start[i]:
            stay[i] += 1


@nb.njit(cache=True, nogil=True)
def modal_class(counts, start):
    """m(i) = argmax_k counts[k, i]; ties go to start[i] if it is among the tied classes, else to the
    lowest class index (= lowest code: indices follow the sorted codes). −1 where start[i] < 0."""
    k_n, n = counts.shape
    out = np.full(n, -1, dtype=np.int8)
    for i in range(n):
        s = start[i]
        if s < 0:
            continue
        best = 0
        bc = counts[0, i]
        for k in range(1, k_n):
            c = counts[k, i]
            if c > bc:
                best = k
                bc = c
        if counts[s, i] == bc:
            best = s
        out[i] = best
    return out


def class_probability(counts: np.ndarray, realizations: int) -> np.ndarray:
    """p_k(i) = counts[k, i] / R as float32 (K, n)."""
    return (counts.astype(np.float32) / np.float32(realizations)).astype(np.float32)


def percent_probability(counts: np.ndarray, realizations: int) -> np.ndarray:
    """p_k(i) in whole percent, uint8 (K, n), rounded half up: 100 × counts / R."""
    return np.floor(counts.astype(np.float64) * 100.0 / realizations + 0.5).astype(np.uint8)


def change_probability(counts: np.ndarray, start: np.ndarray, realizations: int) -> np.ndarray:
    """P_change(i) = 1 − p_{start(i)}(i), float32 (NaN where start < 0)."""
    n = start.shape[0]
    out = np.full(n, np.nan, dtype=np.float32)
    ok = start >= 0
    idx = np.flatnonzero(ok)
    out[idx] = 1.0 - counts[start[idx].astype(np.int64), idx].astype(np.float64) / realizations
    return out


def spread(values: np.ndarray, axis: int = 0) -> dict[str, np.ndarray]:
    """mean, sd (ddof 1; 0 for one value), min, max and P5 / P50 / P95 (numpy's linear
    interpolation between order statistics) over ``axis``."""
    v = np.asarray(values, dtype=np.float64)
    n = v.shape[axis]
    with np.errstate(invalid="ignore"):       # an undefined metric (NaN) stays NaN
        q = np.percentile(v, [5, 50, 95], axis=axis)
        return {"mean": v.mean(axis=axis),
                "sd": v.std(axis=axis, ddof=1) if n > 1 else np.zeros_like(v.mean(axis=axis)),
                "min": v.min(axis=axis), "max": v.max(axis=axis), "p5": q[0], "p50": q[1], "p95": q[2]}
