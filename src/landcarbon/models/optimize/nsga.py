"""NSGA-II with pymoo (methods.md §12.3; Deb, Pratap, Agarwal & Meyarivan 2002 [L]) and the choice
of a compromise solution.

All objectives are minimised internally (max objectives negated). Σ x = S is kept by a repair
operator: clip to the bounds, spread the remaining difference over the classes that still have
room (in proportion to that room), at most 50 passes [D]. Other rows are constraints g(x) ≤ 0.
Defaults [D]: population 100, 200 generations, SBX (η = 15, p = 0.9), polynomial mutation
(η = 20, p = 1/K); the seed is required. Same seed → identical front.

Compromise (stated in every output): ``ideal`` — closest to the ideal point in min–max normalised
objective space, Euclidean (default, methods.md §12.3); ``topsis`` — TOPSIS closeness with equal
weights on vector-normalised objectives; ``knee`` — the point farthest from the hyperplane
through the extreme points in normalised space.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..._optional import require
from ...core.errors import InfeasibleError, InputValidationError
from .problem import StructureProblem, check_feasibility

COMPROMISE_METHODS = ("ideal", "topsis", "knee")
REPAIR_PASSES = 50


def repair_sum(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, total: float) -> np.ndarray:
    """Project rows of ``x`` onto Σ x = total within [lo, hi] (proportional to the room left)."""
    x = np.clip(np.atleast_2d(np.asarray(x, float)).copy(), lo, hi)
    for _ in range(REPAIR_PASSES):
        diff = total - x.sum(axis=1)
        if np.all(np.abs(diff) <= 1e-9 * max(total, 1.0)):
            break
        room = np.where(diff[:, None] > 0, hi - x, x - lo)
        rs = room.sum(axis=1)
        ok = rs > 0
        step = np.zeros_like(x)
        step[ok] = room[ok] * (diff[ok] / rs[ok])[:, None]
        x = np.clip(x + step, lo, hi)
    return x


@dataclass
class ParetoResult:
    x: pd.DataFrame  # one row per Pareto solution, ha per class
    f: pd.DataFrame  # objective values in natural units (senses as defined)
    chosen: int  # row of the compromise
    method: str
    seed: int
    pop_size: int
    n_gen: int

    def front(self) -> pd.DataFrame:
        df = pd.concat([self.f.add_prefix("obj_"), self.x.add_prefix("area_ha_")], axis=1)
        df.insert(0, "solution", np.arange(len(df)))
        df["chosen"] = df["solution"] == self.chosen
        df["compromise_method"] = self.method
        return df

    @property
    def compromise(self) -> pd.Series:
        return self.x.iloc[self.chosen].rename("area_ha")


def _min_matrix(f: np.ndarray, senses: Sequence[str]) -> np.ndarray:
    return np.column_stack([f[:, i] if s == "min" else -f[:, i] for i, s in enumerate(senses)])


def _normalise(fm: np.ndarray) -> np.ndarray:
    lo, hi = fm.min(axis=0), fm.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    return (fm - lo) / span


def ideal_point_choice(f: np.ndarray, senses: Sequence[str]) -> int:
    z = _normalise(_min_matrix(f, senses))
    return int(np.argmin(np.sqrt((z ** 2).sum(axis=1))))


def topsis(f: np.ndarray, senses: Sequence[str], weights: Sequence[float] | None = None) -> np.ndarray:
    """TOPSIS closeness C_i = d⁻/(d⁺ + d⁻) (Hwang & Yoon 1981) with vector normalisation."""
    f = np.asarray(f, float)
    w = np.full(f.shape[1], 1.0 / f.shape[1]) if weights is None else np.asarray(weights, float)
    norm = np.sqrt((f ** 2).sum(axis=0))
    v = f / np.where(norm > 0, norm, 1.0) * w
    best = np.array([v[:, i].max() if s == "max" else v[:, i].min() for i, s in enumerate(senses)])
    worst = np.array([v[:, i].min() if s == "max" else v[:, i].max() for i, s in enumerate(senses)])
    dp = np.sqrt(((v - best) ** 2).sum(axis=1))
    dm = np.sqrt(((v - worst) ** 2).sum(axis=1))
    return dm / np.where(dp + dm > 0, dp + dm, 1.0)


def knee_point(f: np.ndarray, senses: Sequence[str]) -> int:
    """Farthest point (towards the ideal) from the hyperplane through the extreme points (normalised)."""
    z = _normalise(_min_matrix(np.asarray(f, float), senses))
    m = z.shape[1]
    ext = np.array([z[np.argmin(z[:, i])] for i in range(m)])
    # hyperplane a·z = 1 through the extreme points; fallback to the simplex Σ z = 1
    try:
        a = np.linalg.solve(ext, np.ones(m))
        if not np.all(np.isfinite(a)):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        a = np.ones(m)
    d = (1.0 - z @ a) / np.linalg.norm(a)
    return int(np.argmax(d))


def choose(f: np.ndarray, senses: Sequence[str], method: str = "ideal") -> int:
    if method == "ideal":
        return ideal_point_choice(f, senses)
    if method == "topsis":
        return int(np.argmax(topsis(f, senses)))
    if method == "knee":
        return knee_point(f, senses)
    raise InputValidationError(f"compromise method {method!r}; expected one of {COMPROMISE_METHODS}")


def solve_nsga2(p: StructureProblem, objectives: Sequence[str] | None = None, *, seed: int, pop_size: int = 100,
                n_gen: int = 200, compromise: str = "ideal") -> ParetoResult:
    """Pareto front of the structure problem over ``objectives`` (default: all defined) by NSGA-II."""
    if seed is None:
        raise InputValidationError("NSGA-II needs an explicit seed (same seed -> identical front)")
    if compromise not in COMPROMISE_METHODS:
        raise InputValidationError(f"compromise method {compromise!r}; expected one of {COMPROMISE_METHODS}")
    names = list(objectives or p.objectives)
    if len(names) < 2:
        raise InputValidationError(f"NSGA-II needs at least two objectives; got {names} (use the LP for one)")
    bad = [n for n in names if n not in p.objectives]
    if bad:
        raise InputValidationError(f"objectives {bad} are not defined; available: {list(p.objectives)}")
    check_feasibility(p)
    require("pymoo", extra="optimize")
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.problem import Problem
    from pymoo.core.repair import Repair
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.optimize import minimize

    lo, hi, total = p.lower.astype(float), p.upper.astype(float), float(p.total)
    parts = p.parts

    def repair_all(x: np.ndarray) -> np.ndarray:
        x = np.array(x, dtype=float, copy=True)
        for _, idx, tot in parts:
            x[:, idx] = repair_sum(x[:, idx], lo[idx], hi[idx], tot)
        return x
    cm = np.vstack([p.objectives[n].coeffs * (1.0 if p.objectives[n].sense == "min" else -1.0) for n in names])
    rows = [(c.coeffs, c.lo, c.hi) for c in p.constraints]
    g_rows = []
    for a, rlo, rhi in rows:
        if np.isfinite(rlo):
            g_rows.append((-a, -rlo))
        if np.isfinite(rhi):
            g_rows.append((a, rhi))
    scale = max(total, 1.0)

    class _P(Problem):
        def __init__(self):
            super().__init__(n_var=p.k, n_obj=len(names), n_ieq_constr=len(g_rows), xl=lo, xu=hi)

        def _evaluate(self, x, out, *args, **kwargs):
            out["F"] = x @ cm.T
            if g_rows:
                out["G"] = np.column_stack([(x @ a - b) / scale for a, b in g_rows])

    class _Repair(Repair):
        def _do(self, problem, x, **kwargs):
            return repair_all(x)

    algo = NSGA2(pop_size=int(pop_size), crossover=SBX(eta=15, prob=0.9), mutation=PM(eta=20),
                 repair=_Repair(), eliminate_duplicates=True)
    res = minimize(_P(), algo, ("n_gen", int(n_gen)), seed=int(seed), verbose=False)
    if res.X is None:
        raise InfeasibleError("NSGA-II found no feasible structure; check the constraints (the LP reports which "
                              "conflict: landcarbon optimize --method lp)")
    x = np.atleast_2d(res.X)
    x = repair_all(x)
    f = np.column_stack([x @ p.objectives[n].coeffs for n in names])
    order = np.lexsort(f.T[::-1])
    x, f = x[order], f[order]
    senses = [p.objectives[n].sense for n in names]
    k = choose(f, senses, compromise)
    return ParetoResult(pd.DataFrame(x, columns=p.classes), pd.DataFrame(f, columns=names), k, compromise,
                        int(seed), int(pop_size), int(n_gen))
