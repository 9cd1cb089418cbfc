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
from ..weights import (
    bad_input,
    entropy_weights,
    minmax_normalise,
    numeric_weights,
    unknown_names,
    weights_summing_to_one,
)

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
    try:
        if isinstance(matrix, pd.DataFrame):
            names = list(names) if names is not None else [str(c) for c in matrix.columns]
            a = matrix.to_numpy(dtype=float)
        else:
            a = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError):
        raise bad_input("ahp_matrix", "the pairwise-comparison matrix has non-numeric entries; expected numbers "
                                      "on the Saaty scale 1/9 … 9: correct the matrix") from None
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
            raise bad_input("ahp_matrix", msg + ", or force it (force_ahp=True)")
        warnings.warn(msg + "; used anyway because it was forced", LandcarbonWarning, stacklevel=2)
    return res


def check_weights(weights: Mapping[str, float] | pd.Series, expected: Sequence[str] | None = None, *,
                  what: str = "weights", tol: float = WEIGHT_SUM_TOL, key: str = "weights",
                  normalise: bool = False) -> pd.Series:
    """Validate user weights: numeric, ≥ 0, covering ``expected`` (a misspelt name is an error with a
    did-you-mean), summing to 1 within ``tol``. A sum other than 1 is an error unless ``normalise=True``
    (then w / Σw, a warning says so and ``.attrs["normalised_from_sum"]`` holds the sum given)."""
    w = numeric_weights(weights, key)
    if expected is not None:
        expected = list(expected)
        unknown_names(key, f"names in the {what}", list(w.index), expected)
        missing = [e for e in expected if e not in w.index]
        if missing:
            raise bad_input(key, f"{what}: missing weights for {missing}; expected one weight for each of "
                                 f"{expected}: add them (0 to leave one out)")
        w = w.loc[expected]
    return weights_summing_to_one(w, key=key, what=what, tol=tol, normalise=normalise)
