"""Indicator weighting shared by allocation (§6) and evaluation (§10–11): entropy weights."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core.errors import InputValidationError, LandcarbonWarning


def minmax_normalise(x: pd.DataFrame, directions: Sequence[int] | None = None) -> pd.DataFrame:
    """x' = (x − min)/(max − min) for positive (+1) indicators, (max − x)/(max − min) for negative (−1).

    A constant column (max = min) normalises to 0 everywhere.
    """
    x = x.astype(float)
    d = np.ones(x.shape[1]) if directions is None else np.asarray(directions, dtype=float)
    if d.shape != (x.shape[1],) or not np.all(np.isin(d, (-1, 1))):
        raise InputValidationError(f"directions must be +1 or -1 for each of the {x.shape[1]} indicators; found {list(d)}")
    lo, hi = x.min(), x.max()
    span = (hi - lo).replace(0, np.nan)
    pos = (x - lo) / span
    neg = (hi - x) / span
    out = pd.DataFrame(
        np.where(d > 0, pos.to_numpy(), neg.to_numpy()), index=x.index, columns=x.columns)
    return out.fillna(0.0)


def entropy_weights(x: pd.DataFrame, directions: Sequence[int] | None = None, *, shift: float = 0.0) -> pd.Series:
    """Entropy weights (熵权法, methods.md §6.2) of the indicator columns of ``x`` (rows = units).

    p_ij = x'_ij / Σ_i x'_ij; e_j = −(1/ln n) Σ_i p_ij ln p_ij (0 ln 0 := 0); d_j = 1 − e_j; w_j = d_j / Σ d.
    A constant indicator carries no information: weight 0 and a warning. ``shift`` (e.g. 1e-4) is the
    optional offset added to x' before p (default none).
    """
    n = len(x)
    if n < 2:
        raise InputValidationError(f"entropy weights need at least 2 units; found {n}")
    if x.isna().any().any():
        bad = list(x.columns[x.isna().any()])
        raise InputValidationError(f"entropy weights: indicators {bad} have missing values; fill or drop them")
    xn = minmax_normalise(x, directions) + shift
    const = (x.max() - x.min()) == 0
    if const.any():
        warnings.warn(f"indicators {list(x.columns[const])} are constant across units and get weight 0",
                      LandcarbonWarning, stacklevel=2)
    col_sum = xn.sum()
    p = xn / col_sum.replace(0, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(n)
    d = 1.0 - e
    d[const.to_numpy() | (col_sum.to_numpy() == 0)] = 0.0
    if d.sum() <= 0:
        raise InputValidationError("entropy weights: no indicator varies across units; nothing to weight")
    return pd.Series(d / d.sum(), index=x.columns, name="weight")
