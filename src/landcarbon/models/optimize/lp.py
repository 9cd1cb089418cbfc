"""Linear programming with HiGHS (methods.md §12.2): single objectives, payoff table, weighted sum.

Infeasibility is diagnosed, never returned as an empty result: the cheap pre-check of
:func:`problem.check_feasibility` runs first; if HiGHS still reports the model infeasible, an
elastic model (every constraint and bound gets non-negative slack, Σ slack minimised) names the
constraints that cannot hold together and by how many ha.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..._optional import require
from ...core.errors import InfeasibleError, InputValidationError, LandcarbonWarning
from .problem import StructureProblem, check_feasibility


@dataclass
class LPResult:
    x: pd.Series  # ha per class
    objective: str
    objective_value: float
    values: dict[str, float]
    status: str


_BANNER_SHOWN = False


def _new_highs(highspy):
    """A Highs instance; the copyright banner HiGHS prints on stdout at its first construction in a
    process is kept off stdout (the CLI writes JSON there)."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return highspy.Highs()
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        _BANNER_SHOWN = True
    return h


def _solve(cost: np.ndarray, maximize: bool, col_lo, col_hi, a_rows: np.ndarray, row_lo, row_hi):
    """Solve min/max cost·x s.t. row_lo ≤ A x ≤ row_hi, col_lo ≤ x ≤ col_hi; returns (status, x, obj)."""
    highspy = require("highspy", extra="optimize")
    inf = highspy.kHighsInf
    h = _new_highs(highspy)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    lp = highspy.HighsLp()
    n = len(cost)
    m = a_rows.shape[0]
    lp.num_col_ = n
    lp.num_row_ = m
    lp.col_cost_ = np.asarray(cost, dtype=np.float64)
    lp.col_lower_ = np.where(np.isfinite(col_lo), col_lo, -inf).astype(np.float64)
    lp.col_upper_ = np.where(np.isfinite(col_hi), col_hi, inf).astype(np.float64)
    lp.row_lower_ = np.where(np.isfinite(row_lo), row_lo, -inf).astype(np.float64)
    lp.row_upper_ = np.where(np.isfinite(row_hi), row_hi, inf).astype(np.float64)
    start, index, value = [0], [], []
    for j in range(n):
        nz = np.flatnonzero(a_rows[:, j])
        index.extend(nz.tolist())
        value.extend(a_rows[nz, j].tolist())
        start.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array(start, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value, dtype=np.float64)
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    h.passModel(lp)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    x = np.array(h.getSolution().col_value, dtype=float) if status == "Optimal" else None
    obj = float(h.getInfo().objective_function_value) if x is not None else float("nan")
    return status, x, obj


def _rows(p: StructureProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    a, lo, hi, names = [], [], [], []
    for name, idx, tot in p.parts:
        row = np.zeros(p.k)
        row[idx] = 1.0
        a.append(row)
        lo.append(tot)
        hi.append(tot)
        names.append(name if name.startswith("total area") else f"{name} = {tot:,.1f} ha")
    for c in p.constraints:
        a.append(c.coeffs)
        lo.append(c.lo)
        hi.append(c.hi)
        names.append(c.source)
    return np.vstack(a), np.array(lo, float), np.array(hi, float), names


def diagnose_infeasible(p: StructureProblem) -> str:
    """Elastic LP: minimise Σ slack over every bound and row; report those with slack > 0."""
    a, lo, hi, names = _rows(p)
    k, m = p.k, a.shape[0]
    # variables: x (k, free ≥ 0), then for each bound and row a (+) and (−) slack
    cons = []  # (coeffs over x, lo, hi, name)
    for i in range(k):
        e = np.zeros(k)
        e[i] = 1
        cons.append((e, p.lower[i], np.inf, p.lower_src[i] + f" ({p.classes[i]} >= {p.lower[i]:,.1f} ha)"))
        cons.append((e, -np.inf, p.upper[i], p.upper_src[i] + f" ({p.classes[i]} <= {p.upper[i]:,.1f} ha)"))
    for r in range(m):
        cons.append((a[r], lo[r], hi[r], names[r]))
    nc = len(cons)
    big = np.zeros((nc, k + 2 * nc))
    rlo, rhi = np.zeros(nc), np.zeros(nc)
    for r, (coef, l_, h_, _) in enumerate(cons):
        big[r, :k] = coef
        big[r, k + 2 * r] = 1.0  # s+ raises the row
        big[r, k + 2 * r + 1] = -1.0  # s- lowers it
        rlo[r], rhi[r] = l_, h_
    cost = np.r_[np.zeros(k), np.ones(2 * nc)]
    status, x, _ = _solve(cost, False, np.zeros(k + 2 * nc), np.full(k + 2 * nc, np.inf), big, rlo, rhi)
    if x is None:
        return f"(elastic diagnosis failed: {status})"
    parts = []
    xs = x[:k]
    for r, (coef, _, _, name) in enumerate(cons):
        sp, sm = x[k + 2 * r], x[k + 2 * r + 1]
        if sp > 1e-6 or sm > 1e-6:
            # the bounds that hold tight on the classes of this row are what it conflicts with
            tight = []
            for i in np.flatnonzero(coef):
                if r >= 2 * k or i != r // 2:
                    if abs(xs[i] - p.lower[i]) < 1e-6 and p.lower[i] > 0:
                        tight.append(f"{p.lower_src[i]} ({p.classes[i]} >= {p.lower[i]:,.1f} ha)")
                    elif abs(xs[i] - p.upper[i]) < 1e-6 and p.upper[i] < p.total:
                        tight.append(f"{p.upper_src[i]} ({p.classes[i]} <= {p.upper[i]:,.1f} ha)")
            if r < 2 * k:
                for pname, idx, tot in p.parts:
                    if r // 2 in idx and abs(xs[idx].sum() - tot) < 1e-6:
                        tight.append(pname if pname.startswith("total area") else f"{pname} = {tot:,.1f} ha")
            with_ = f", given {' and '.join(tight)}" if tight else ""
            parts.append(f"'{name}' misses by {max(sp, sm):,.1f} ha{with_}")
    return "; ".join(parts) if parts else "(no single constraint identified)"


def solve_lp(p: StructureProblem, objective: str | Mapping[str, float]) -> LPResult:
    """Optimise one objective (name) or a weighted sum of normalised objectives ({name: λ})."""
    check_feasibility(p)
    if isinstance(objective, str):
        if objective not in p.objectives:
            raise InputValidationError(f"objective {objective!r} is not defined; available: {list(p.objectives)}")
        o = p.objectives[objective]
        cost, maximize, label = o.coeffs, o.sense == "max", objective
    else:
        cost, label = weighted_cost(p, objective), "weighted_sum"
        maximize = True
    a, lo, hi, _ = _rows(p)
    status, x, obj = _solve(cost, maximize, p.lower, p.upper, a, lo, hi)
    if status == "Infeasible":
        raise InfeasibleError("the optimisation constraints cannot all hold (HiGHS: infeasible); "
                              + diagnose_infeasible(p) + ". Relax the constraints named")
    if x is None:
        raise InfeasibleError(f"HiGHS could not solve the structure LP (status: {status}); check the bounds")
    xs = pd.Series(np.clip(x, 0, None), index=p.classes, name="area_ha")
    return LPResult(xs, label, obj, p.evaluate(xs.to_numpy()), status)


def payoff_table(p: StructureProblem, objectives: list[str] | None = None) -> pd.DataFrame:
    """Rows: the single-objective optimum of each objective; columns: every objective's value there."""
    names = objectives or list(p.objectives)
    rows = {}
    for n in names:
        rows[n] = solve_lp(p, n).values
    return pd.DataFrame(rows).T.loc[names, names]


def weighted_cost(p: StructureProblem, weights: Mapping[str, float]) -> np.ndarray:
    """Σ λ_m F'_m as a linear cost (max), F'_m = (F_m − F_m^w)/(F_m* − F_m^w) from the payoff table."""
    from ..evaluate.ahp import check_weights

    names = list(weights)
    w = check_weights(weights, names, what="objective weights")
    pay = payoff_table(p, names)
    cost = np.zeros(p.k)
    for n in names:
        o = p.objectives[n]
        col = pay[n]
        best = col.max() if o.sense == "max" else col.min()
        worst = col.min() if o.sense == "max" else col.max()
        if abs(best - worst) < 1e-9 * max(1.0, abs(best)):
            warnings.warn(f"objective {n} is constant over the payoff table; dropped from the weighted sum",
                          LandcarbonWarning, stacklevel=2)
            continue
        cost += float(w[n]) * o.coeffs / (best - worst)
    return cost
