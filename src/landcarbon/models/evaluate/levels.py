"""Level algebra of the 双评价: classification by breaks, modifiers, integration matrices,
most-severe / best-level rules and the fragility score (pure numpy, applied with xarray so dask
stays lazy)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from ...core.errors import InputValidationError
from .terrain import _keep_geo, as_float

#: modifier variables: CSV word → factor key
_MOD_VARS = {"silt": "silt_content", "elev": "elevation", "elevation": "elevation", "relief": "relief"}


# --------------------------------------------------------------------------------------------------
# classification and modifiers (pure numpy, applied with xarray so dask stays lazy)
def _classify_np(v: np.ndarray, breaks: np.ndarray, higher_better: bool) -> np.ndarray:
    asc = np.sort(breaks)
    idx = np.searchsorted(asc, v, side="left")  # intervals (lower, upper], lowest closed
    lev = (5 - idx) if higher_better else (idx + 1)
    lev = lev.astype(np.uint8)
    lev[np.isnan(v)] = 0
    return lev


def check_breaks(breaks: Sequence[float], direction: str) -> str | None:
    """Why four classification breaks (best → worst) and a direction cannot be used, or None."""
    try:
        b = np.asarray(breaks, dtype=float)
    except (TypeError, ValueError):
        return f"classification breaks {breaks!r}; expected four numbers (best → worst)"
    if b.shape != (4,) or not np.all(np.isfinite(b)):
        return f"classification breaks {list(np.atleast_1d(breaks))}; expected four numbers (best → worst)"
    if direction not in ("lower_is_better", "higher_is_better"):
        return f"direction {direction!r}; expected lower_is_better or higher_is_better"
    hb = direction == "higher_is_better"
    if (hb and not np.all(np.diff(b) < 0)) or (not hb and not np.all(np.diff(b) > 0)):
        return (f"breaks {b.tolist()} are not ordered best → worst for {direction} (expected "
                f"{'decreasing' if hb else 'increasing'} values)")
    return None


def classify(values: xr.DataArray, breaks: Sequence[float], direction: str) -> xr.DataArray:
    """Level 1 … 5 of each cell (0 = nodata) from four breaks (best → worst) and a direction.

    Intervals are (lower, upper] in value order with the lowest one closed (methods.md §10.3):
    slope 2° with breaks 2/6/15/25 is level 1; precipitation 1 200 mm with 1200/800/400/200 is level 2.
    """
    problem = check_breaks(breaks, direction)
    if problem:
        raise InputValidationError(problem)
    b = np.asarray(breaks, dtype=float)
    hb = direction == "higher_is_better"
    v = as_float(values) if values.dtype.kind != "f" or values.rio.nodata is not None else values
    out = xr.apply_ufunc(_classify_np, v, kwargs={"breaks": b, "higher_better": hb},
                         dask="parallelized", output_dtypes=[np.uint8])
    return _keep_geo(out, values).rio.write_nodata(0, encoded=False)


_RANGE = re.compile(r"^(?:(?P<var>[a-z_]+)\s+)?(?:(?P<lo>-?[\d.]+)\s*-\s*(?P<hi>-?[\d.]+)|(?P<op>[<>])\s*(?P<x>-?[\d.]+))"
                    r"\s*(?P<act>down\d|up\d|lowest|keep|->\s*\d)$")


@dataclass(frozen=True)
class Modifier:
    var: str | None  # factor key; None = the factor being modified
    lo: float | None  # lo < v
    hi: float | None  # v <= hi
    action: str  # down<n>, up<n>, lowest, keep, set<n>

    def describe(self) -> str:
        rng = (f"{self.lo:g} < v <= {self.hi:g}" if self.lo is not None and self.hi is not None else
               f"v > {self.lo:g}" if self.lo is not None else f"v <= {self.hi:g}")
        return f"{self.var or 'value'}: {rng} -> {self.action}"


def parse_modifiers(text: str) -> tuple[list[Modifier], list[str]]:
    """Parse the ``modifiers`` column: '; '-separated clauses like 'silt 0.6-0.8 down1', '>0.8 lowest'.

    A clause without a variable keeps the previous clause's variable. Returns (modifiers, clauses
    that could not be read) — the latter are reported, never silently dropped.
    """
    mods: list[Modifier] = []
    unread: list[str] = []
    var: str | None = None
    for raw in str(text or "").split(";"):
        c = raw.strip().lower()
        if not c:
            continue
        m = _RANGE.match(c)
        if not m:
            unread.append(raw.strip())
            continue
        if m["var"]:
            var = _MOD_VARS.get(m["var"], m["var"])
        if m["op"]:
            x = float(m["x"])
            lo, hi = (x, None) if m["op"] == ">" else (None, x)
        else:
            lo, hi = float(m["lo"]), float(m["hi"])
        act = m["act"].replace(" ", "")
        if act.startswith("->"):
            act = "set" + act[2:]
        mods.append(Modifier(var, lo, hi, act))
    return mods, unread


def _apply_mod_np(level: np.ndarray, v: np.ndarray, lo: float, hi: float, action: str) -> np.ndarray:
    sel = np.ones(level.shape, dtype=bool)
    if not math.isnan(lo):
        sel &= v > lo
    if not math.isnan(hi):
        sel &= v <= hi
    sel &= (level > 0) & ~np.isnan(v)
    out = level.astype(np.int16)
    if action.startswith("down"):
        out = np.where(sel, out + int(action[4:]), out)
    elif action.startswith("up"):
        out = np.where(sel, out - int(action[2:]), out)
    elif action == "lowest":
        out = np.where(sel, 5, out)
    elif action.startswith("set"):
        out = np.where(sel, int(action[3:]), out)
    out = np.where(level > 0, np.clip(out, 1, 5), 0)
    return out.astype(np.uint8)


def apply_modifier(level: xr.DataArray, values: xr.DataArray, mod: Modifier) -> xr.DataArray:
    lo = math.nan if mod.lo is None else mod.lo
    hi = math.nan if mod.hi is None else mod.hi
    out = xr.apply_ufunc(_apply_mod_np, level, values, kwargs={"lo": lo, "hi": hi, "action": mod.action},
                         dask="parallelized", output_dtypes=[np.uint8])
    return _keep_geo(out, level)


def _matrix_np(a: np.ndarray, b: np.ndarray, m: np.ndarray) -> np.ndarray:
    ok = (a > 0) & (b > 0)
    out = np.zeros(a.shape, np.uint8)
    out[ok] = m[a[ok].astype(np.intp) - 1, b[ok].astype(np.intp) - 1]
    return out


def combine_matrix(a: xr.DataArray, b: xr.DataArray, matrix: np.ndarray) -> xr.DataArray:
    """level = matrix[a, b] (levels 1…5; 0 where either input is nodata)."""
    out = xr.apply_ufunc(_matrix_np, a, b, kwargs={"m": np.asarray(matrix, np.uint8)}, dask="parallelized",
                         output_dtypes=[np.uint8])
    return _keep_geo(out, a)


def _worst_np(*levels: np.ndarray) -> np.ndarray:
    st = np.stack(levels)
    out = st.max(axis=0)
    out[(st == 0).any(axis=0)] = 0
    return out.astype(np.uint8)


def worst(*levels: xr.DataArray) -> xr.DataArray:
    """Most severe level wins (max code; 0 where any is nodata) — the 'short plank' rule per cell."""
    if len(levels) == 1:
        return levels[0]
    out = xr.apply_ufunc(_worst_np, *levels, dask="parallelized", output_dtypes=[np.uint8])
    return _keep_geo(out, levels[0])


def _best_np(*levels: np.ndarray) -> np.ndarray:
    st = np.stack(levels).astype(np.int16)
    st = np.where(st == 0, 99, st)
    out = st.min(axis=0)
    return np.where(out == 99, 0, out).astype(np.uint8)


def most_important(*levels: xr.DataArray) -> xr.DataArray:
    """Ecology: the more important level wins (smallest code; nodata only where all are nodata)."""
    if len(levels) == 1:
        return levels[0]
    out = xr.apply_ufunc(_best_np, *levels, dask="parallelized", output_dtypes=[np.uint8])
    return _keep_geo(out, levels[0])


def _map_np(level: np.ndarray, lut: np.ndarray) -> np.ndarray:
    return lut[level.astype(np.intp)]


def remap_levels(level: xr.DataArray, mapping: Mapping[int, int]) -> xr.DataArray:
    lut = np.zeros(256, np.uint8)
    for k, v in mapping.items():
        lut[int(k)] = int(v)
    out = xr.apply_ufunc(_map_np, level, kwargs={"lut": lut}, dask="parallelized", output_dtypes=[np.uint8])
    return _keep_geo(out, level).rio.write_nodata(0, encoded=False)


def fragility_index(scores: Sequence[xr.DataArray]) -> xr.DataArray:
    """s = (Π s_f)^(1/n) of 1/3/5 factor scores; s ≤ 2.33 → 1, ≤ 3.66 → 3, else 5 (5 = most prone)."""
    def fn(*arrs: np.ndarray) -> np.ndarray:
        st = np.stack(arrs).astype(np.float64)
        bad = (st == 0).any(axis=0)
        s = np.exp(np.log(np.where(st == 0, 1, st)).mean(axis=0))
        out = np.where(s <= 2.33, 1, np.where(s <= 3.66, 3, 5)).astype(np.uint8)
        out[bad] = 0
        return out

    out = xr.apply_ufunc(fn, *scores, dask="parallelized", output_dtypes=[np.uint8])
    return _keep_geo(out, scores[0])


def score3(values: xr.DataArray, b1: float, b2: float, direction: str) -> xr.DataArray:
    """3-class score 1/3/5 (5 = most severe); ``direction`` higher_is_more_severe or lower_is_more_severe."""
    hi = direction == "higher_is_more_severe"
    if direction not in ("higher_is_more_severe", "lower_is_more_severe"):
        raise InputValidationError(f"fragility direction {direction!r}; expected higher_is_more_severe or "
                                   f"lower_is_more_severe")

    def fn(v: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(np.array([b1, b2]), v, side="left")
        s = np.array([1, 3, 5], np.uint8)[idx] if hi else np.array([5, 3, 1], np.uint8)[idx]
        s[np.isnan(v)] = 0
        return s

    v = as_float(values)
    out = xr.apply_ufunc(fn, v, dask="parallelized", output_dtypes=[np.uint8])
    return _keep_geo(out, values)


