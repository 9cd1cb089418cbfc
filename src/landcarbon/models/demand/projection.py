"""Demand from maps (methods.md §7.3–7.5): the Markov projection of two maps and the linear
trend of several, each summing exactly to the start map's valid cells."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...core.classes import ClassScheme
from ...core.errors import InputValidationError
from ...ops import transitions as _tr
from .. import change as _ch
from .markov import largest_remainder, matrix_power, project, transition_probabilities
from .rules import Rule, Scenario, apply_rules, resolve_rules
from .table import _frame


# --------------------------------------------------------------------------------------------
# demand from maps
# --------------------------------------------------------------------------------------------
def _targets(target_year: int | Sequence[int]) -> tuple[list[int], bool]:
    if isinstance(target_year, Iterable) and not isinstance(target_year, str | bytes):
        ys = [int(y) for y in target_year]
        return ys, True
    return [int(target_year)], False


def _class_counts(m: _ch.MapIn, codes: Sequence[int], grid) -> tuple[np.ndarray, float]:
    """Valid cells per class of one map on its own mask, and the mean valid-cell area (ha)."""
    import dask

    rows = _ch.row_weights(grid, m.data.shape[0])
    r = _tr.cross_tab(m.data, m.data, codes, rows, nodata_a=m.nodata, nodata_b=m.nodata)
    c, a, ex = dask.compute(r["counts"], r["area_ha"], r["excluded"])
    _ch.check_unknown(ex, codes, [m.name])
    cnt = np.diag(c[0]).astype(np.int64)
    area = float(np.trace(a[0]))
    return cnt, (area / cnt.sum() if cnt.sum() else float("nan"))


def markov(map1: Any, map2: Any, years: tuple[int, int], target_year: int | Sequence[int], *,
           codes: Sequence[int] | None = None, nodata: Any = "auto", scenario: str | Scenario | None = None,
           rules: Iterable[Rule] | pd.DataFrame | None = None, scheme: ClassScheme | None = None,
           fractional: str = "eigen", markov_origin: str = "landcarbon", start: str = "map2") -> pd.DataFrame:
    """Markov-chain demand for ``target_year`` (one year or several), methods.md §7.3–7.4.

    P is estimated from the transition counts of ``map1`` (t1 = years[0]) → ``map2`` (t2 = years[1])
    on their common valid mask, optionally adjusted by scenario rules, then
    S(target) = S(t2) · P^h with h = (target − t2)/Δ (non-integer h: eigen root, or interpolation
    if P has no valid root). ``start="map2"`` takes S(t2) over every valid cell of map2 (the
    simulation's start), ``"common"`` over the common mask. ``markov_origin="flus"`` reproduces
    GeoSOS-FLUS: S(t1) · P^n, n = (target − t2)//Δ + 1.

    Returns a DataFrame ``code, cells, area_ha`` (``year`` first when several targets) whose cells
    sum to the valid cells of the start vector exactly. ``.attrs`` holds ``P`` (as used),
    ``P_observed``, ``method`` per year, ``scenario`` and ``rules``.
    """
    t1, t2 = int(years[0]), int(years[1])
    if t2 <= t1:
        raise InputValidationError(f"years ({t1}, {t2}): the second map must be later than the first")
    delta = t2 - t1
    targets, multi = _targets(target_year)
    for y in targets:
        if y < t2:
            raise InputValidationError(f"target year {y} is before the last map ({t2}); expected a target ≥ {t2}")
    if markov_origin not in ("landcarbon", "flus"):
        raise InputValidationError(f"markov_origin {markov_origin!r}; expected 'landcarbon' or 'flus'")
    if start not in ("map2", "common"):
        raise InputValidationError(f"start {start!r}; expected 'map2' or 'common'")
    tt = _ch.transition_matrix(map1, map2, codes=codes, nodata=nodata)
    codes_t = tt.codes
    n = tt.counts.sum(axis=0)
    p_obs = transition_probabilities(n)
    scen_name, rule_t = resolve_rules(scenario, rules)
    p = apply_rules(p_obs, codes_t, rule_t, scheme=scheme) if rule_t else p_obs
    cell_ha = float(tt.area_ha.sum() / n.sum())
    if markov_origin == "flus":
        s0 = n.sum(axis=1).astype(np.float64)
        total = int(n.sum())
    elif start == "common":
        s0 = n.sum(axis=0).astype(np.float64)
        total = int(n.sum())
    else:
        nd2 = _ch._pair(nodata, 2)[1]
        m2 = _ch.as_map(map2, "map2", nd2)
        s0_int, cell_ha2 = _class_counts(m2, codes_t, m2.grid)
        s0 = s0_int.astype(np.float64)
        total = int(s0_int.sum())
        if math.isfinite(cell_ha2):
            cell_ha = cell_ha2
    cells, methods = [], {}
    for y in targets:
        if markov_origin == "flus":
            steps = (y - t2) // delta + 1
            v, how = s0 @ np.linalg.matrix_power(p, steps), f"flus ({steps} steps from {t1})"
        else:
            v, how = project(s0, p, (y - t2) / delta, fractional=fractional)
        cells.append(largest_remainder(np.clip(v, 0.0, None), total))
        methods[y] = how
    df = _frame(targets, multi, codes_t, cells, cell_ha)
    annual = matrix_power(p, 1.0 / delta)  # P₁ = P^(1/Δ), same checks (methods.md §7.3)
    df.attrs.update({
        "P_annual": None if not annual.ok else pd.DataFrame(annual.matrix, index=list(codes_t),
                                                            columns=list(codes_t)),
        "P_annual_note": "" if annual.ok else annual.reason,
        "method": "markov", "years": (t1, t2), "targets": targets, "projection": methods,
        "P": pd.DataFrame(p, index=list(codes_t), columns=list(codes_t)),
        "P_observed": pd.DataFrame(p_obs, index=list(codes_t), columns=list(codes_t)),
        "scenario": scen_name, "rules": [r.__dict__ for r in rule_t], "start_cells": total,
        "common_cells": int(n.sum()),
        "start_vector": s0.astype(np.int64).tolist(), "markov_origin": markov_origin, "start": start,
        "cell_area_ha": cell_ha})
    return df


def trend(maps: Sequence[Any], years: Sequence[int], target_year: int | Sequence[int], *,
          codes: Sequence[int] | None = None, nodata: Any = "auto", rescale: bool = False) -> pd.DataFrame:
    """Linear trend per class (the PLUS demand tool, methods.md §7.5) from two or more maps.

    Class shares are taken on the common valid mask of all maps, fitted by least squares against
    the year and extrapolated; shares of a linear fit sum to 1 by construction, so the demand
    (shares × valid cells of the last map, largest-remainder rounding) conserves the total. A class
    whose trend falls below 0 stops the run unless ``rescale=True`` (then it is set to 0 and the
    other classes are scaled proportionally).
    """
    if len(maps) != len(years):
        raise InputValidationError(f"{len(maps)} maps but {len(years)} years; give one year per map")
    if len(maps) < 2:
        raise InputValidationError("the linear trend needs at least two maps (three or more recommended)")
    ys = [int(y) for y in years]
    if sorted(ys) != ys or len(set(ys)) != len(ys):
        raise InputValidationError(f"years {ys}: expected strictly increasing years, one per map")
    targets, multi = _targets(target_year)
    nds = _ch._pair(nodata, len(maps))
    ms = [_ch.as_map(m, f"map{i + 1}", nd) for i, (m, nd) in enumerate(zip(maps, nds))]
    grid = _ch.check_grids(ms)
    codes_t = _ch.find_codes(ms, codes)
    valid = None
    for m in ms:
        nd, has = _tr._nd(m.nodata, m.data)
        v = (m.data != nd) if has else None
        if v is not None:
            valid = v if valid is None else (valid & v)
    counts = []
    for m in ms:
        nd, has = _tr._nd(m.nodata, m.data)
        data = m.data
        if valid is not None:
            fill = nd if has else _fill_value(m.data)
            data = _where(valid, m.data, fill)
            m = _ch.MapIn(m.name, data, fill, m.grid)
        c, _ = _class_counts(m, codes_t, grid)
        counts.append(c)
    counts_a = np.asarray(counts, dtype=np.float64)
    tot = counts_a.sum(axis=1, keepdims=True)
    shares = counts_a / tot
    x = np.asarray(ys, dtype=np.float64)
    xm = x.mean()
    slope = ((x - xm)[:, None] * (shares - shares.mean(axis=0))).sum(axis=0) / ((x - xm) ** 2).sum()
    last_n, cell_ha = _class_counts(ms[-1], codes_t, grid)
    total = int(last_n.sum())
    cells = []
    for y in targets:
        s = shares.mean(axis=0) + slope * (y - xm)
        if (s < 0).any():
            neg = [c for c, v in zip(codes_t, s) if v < 0]
            if not rescale:
                raise InputValidationError(
                    f"the linear trend of classes {neg} falls below 0 by {y}; the demand would not conserve the "
                    f"total. Choose an earlier target, another method, or set rescale=True to set "
                    f"them to 0 and scale the other classes proportionally")
            s = np.clip(s, 0.0, None)
        cells.append(largest_remainder(s, total))
    df = _frame(targets, multi, codes_t, cells, cell_ha)
    df.attrs.update({"method": "trend", "years": ys, "targets": targets,
                     "shares": pd.DataFrame(shares, index=ys, columns=list(codes_t)),
                     "slope_per_year": dict(zip(codes_t, slope.tolist())), "start_cells": total})
    return df


def _fill_value(data: Any) -> int:
    dt = np.dtype(data.dtype)
    return int(np.iinfo(dt).min) if np.issubdtype(dt, np.integer) else -1


def _where(mask: Any, a: Any, fill: int) -> Any:
    if hasattr(mask, "dask") or hasattr(a, "dask"):
        import dask.array as dsa

        return dsa.where(mask, a, np.asarray(fill, dtype=a.dtype))
    return np.where(mask, a, np.asarray(fill, dtype=a.dtype))


