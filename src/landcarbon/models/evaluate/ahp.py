"""Analytic hierarchy process (AHP) weights and weight checks (methods.md §11.2, §10).

Weights are the normalised principal eigenvector of a reciprocal pairwise-comparison matrix
(Saaty 1980, *The Analytic Hierarchy Process*, McGraw-Hill). Consistency:

    CI = (λ_max − n) / (n − 1),   CR = CI / RI(n)

with Saaty's random index RI (n = 1 … 15) below [L: Saaty 1980 table as reproduced in the AHP
literature]. CR ≥ 0.1 means the judgements are too inconsistent to use: an error unless forced.
Entropy weights live in :mod:`landcarbon.models.weights` (§6.2) and are re-exported here.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...core.errors import InputValidationError, LandcarbonWarning
from ..weights import entropy_weights, minmax_normalise

__all__ = ["AHPResult", "RANDOM_INDEX", "ahp_weights", "check_weights", "entropy_weights", "minmax_normalise"]

#: Saaty's random consistency index RI(n) for n = 1 … 15
RANDOM_INDEX: dict[int, float] = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
                                  9: 1.45, 10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}

#: CR at or above this is inconsistent (Saaty's 10 % rule)
CR_LIMIT = 0.1

#: tolerance for Σ w = 1
WEIGHT_SUM_TOL = 1e-6


@dataclass(frozen=True)
class AHPResult:
    weights: pd.Series
    lambda_max: float
    ci: float
    ri: float
    cr: float

    @property
    def consistent(self) -> bool:
        return self.cr < CR_LIMIT

    def to_dict(self) -> dict:
        return {"weights": {str(k): float(v) for k, v in self.weights.items()}, "lambda_max": self.lambda_max,
                "ci": self.ci, "ri": self.ri, "cr": self.cr, "consistent": self.consistent}


def ahp_weights(matrix, names: Sequence[str] | None = None, *, force: bool = False,
                tol: float = 1e-6) -> AHPResult:
    """AHP weights of a pairwise-comparison matrix ``a`` (a_ij = importance of i over j, a_ji = 1/a_ij).

    Raises InputValidationError for a matrix that is not square, not positive or not reciprocal,
    and for CR ≥ 0.1 (with the CR value) unless ``force=True`` (then a warning).
    """
    if isinstance(matrix, pd.DataFrame):
        names = list(names) if names is not None else [str(c) for c in matrix.columns]
        a = matrix.to_numpy(dtype=float)
    else:
        a = np.asarray(matrix, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 1:
        raise InputValidationError(f"AHP matrix has shape {a.shape}; expected a square n x n matrix")
    n = a.shape[0]
    names = [f"c{i + 1}" for i in range(n)] if names is None else [str(x) for x in names]
    if len(names) != n:
        raise InputValidationError(f"AHP matrix is {n} x {n} but {len(names)} criterion names were given")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise InputValidationError("AHP matrix has zero, negative or missing entries; every a_ij must be > 0 "
                                   "(Saaty scale 1/9 … 9)")
    if not np.allclose(np.diag(a), 1.0, atol=tol):
        raise InputValidationError(f"AHP matrix diagonal is {np.diag(a).tolist()}; expected all 1")
    recip = np.abs(a * a.T - 1.0)
    if np.max(recip) > 1e-3:
        i, j = np.unravel_index(int(np.argmax(recip)), a.shape)
        raise InputValidationError(
            f"AHP matrix is not reciprocal: a[{names[i]},{names[j]}] = {a[i, j]:g} but a[{names[j]},{names[i]}] = "
            f"{a[j, i]:g} (expected {1 / a[i, j]:g}); enter a_ji = 1/a_ij")
    if n > max(RANDOM_INDEX):
        raise InputValidationError(f"AHP with {n} criteria: Saaty's random index is tabulated for n <= "
                                   f"{max(RANDOM_INDEX)}; group the criteria hierarchically")
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    lam = float(vals[k].real)
    w = np.abs(vecs[:, k].real)
    w = w / w.sum()
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ri = RANDOM_INDEX[n]
    cr = ci / ri if ri > 0 else 0.0
    res = AHPResult(pd.Series(w, index=names, name="weight"), lam, float(ci), ri, float(cr))
    if cr >= CR_LIMIT:
        msg = (f"AHP matrix is inconsistent: CR = {cr:.4f} (lambda_max = {lam:.4f}, CI = {ci:.4f}, RI = {ri:.2f} "
               f"for n = {n}); expected CR < {CR_LIMIT}. Revise the pairwise judgements")
        if not force:
            raise InputValidationError(msg + ", or force it (force=True / --force-ahp)")
        warnings.warn(msg + "; used anyway because it was forced", LandcarbonWarning, stacklevel=2)
    return res


def check_weights(weights: Mapping[str, float] | pd.Series, expected: Sequence[str] | None = None, *,
                  what: str = "weights", tol: float = WEIGHT_SUM_TOL) -> pd.Series:
    """Validate user weights: numeric, ≥ 0, summing to 1 (within ``tol``), covering ``expected``."""
    w = pd.Series(weights, dtype=object) if not isinstance(weights, pd.Series) else weights.astype(object)
    try:
        w = w.astype(float)
    except (TypeError, ValueError):
        raise InputValidationError(f"{what}: found non-numeric values {dict(w)}; expected numbers") from None
    if expected is not None:
        missing = [e for e in expected if e not in w.index]
        extra = [e for e in w.index if e not in expected]
        if missing or extra:
            raise InputValidationError(
                f"{what}: missing weights for {missing}, unknown names {extra}; expected one weight for each "
                f"of {list(expected)}")
        w = w.loc[list(expected)]
    if (w < 0).any() or not np.all(np.isfinite(w)):
        raise InputValidationError(f"{what}: found negative or missing values {w.to_dict()}; expected w >= 0")
    s = float(w.sum())
    if abs(s - 1.0) > tol:
        raise InputValidationError(
            f"{what} sum to {s:.6g}; expected 1 (within {tol:g}). Rescale them (divide each by {s:.6g})")
    return w.rename("weight")
