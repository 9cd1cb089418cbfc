"""Markov-chain arithmetic (methods.md §7.3): transition probabilities, matrix powers for any
horizon (eigen root or interpolation for fractional steps) and integer rounding by largest
remainders."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...core.errors import InputValidationError, LandcarbonWarning

#: tolerances of the eigen method for non-integer powers (methods.md §7.3) [D]
EIGEN_TOL = 1e-9


# --------------------------------------------------------------------------------------------
# integer rounding
# --------------------------------------------------------------------------------------------
def largest_remainder(values: Sequence[float], total: int) -> np.ndarray:
    """Round non-negative ``values`` to integers summing to ``total`` exactly (Hamilton method).

    Each value is floored; the cells still missing go to the largest fractional parts (ties to the
    lower index). ``values`` are first scaled to sum to ``total``.
    """
    v = np.asarray(values, dtype=np.float64)
    total = int(total)
    if v.size == 0:
        return np.zeros(0, dtype=np.int64)
    if (v < 0).any() or not np.isfinite(v).all():
        raise InputValidationError(f"demand values {v.tolist()} contain negative or non-finite numbers")
    s = v.sum()
    if s <= 0:
        if total == 0:
            return np.zeros(v.size, dtype=np.int64)
        raise InputValidationError("demand values are all zero; cannot spread the valid cells over them")
    x = v * (total / s)
    fl = np.floor(x).astype(np.int64)
    rest = total - int(fl.sum())
    if rest > 0:
        order = np.lexsort((np.arange(v.size), -(x - fl)))
        fl[order[:rest]] += 1
    elif rest < 0:  # only through float noise
        order = np.lexsort((np.arange(v.size), x - fl))
        fl[order[:-rest]] -= 1
    return fl


# --------------------------------------------------------------------------------------------
# Markov chain
# --------------------------------------------------------------------------------------------
def transition_probabilities(counts: np.ndarray) -> np.ndarray:
    """Row-stochastic P_jk = N_jk / Σ_k N_jk. A class absent at t1 gets P_jj = 1 (it persists)."""
    n = np.asarray(counts, dtype=np.float64)
    rs = n.sum(axis=1, keepdims=True)
    p = np.divide(n, rs, out=np.zeros_like(n), where=rs > 0)
    empty = rs.ravel() == 0
    p[empty, :] = 0.0
    p[empty, np.nonzero(empty)[0]] = 1.0
    return p


@dataclass(frozen=True)
class PowerResult:
    matrix: np.ndarray | None
    ok: bool
    reason: str = ""


def matrix_power(p: np.ndarray, h: float) -> PowerResult:
    """P^h. Integer h: repeated multiplication. Otherwise the eigen method of methods.md §7.3:
    P^h = V diag(λ^h) V⁻¹, accepted only if imaginary parts < 1e-9, entries ≥ −1e-9 (then clipped
    to 0) and rows sum to 1 ± 1e-9; ``ok=False`` with the reason otherwise."""
    p = np.asarray(p, dtype=np.float64)
    if h < 0:
        raise InputValidationError(f"matrix power {h}: expected a horizon ≥ 0")
    if float(h).is_integer():
        return PowerResult(np.linalg.matrix_power(p, int(h)), True)
    lam, vec = np.linalg.eig(p)
    try:
        inv = np.linalg.inv(vec)
    except np.linalg.LinAlgError:
        return PowerResult(None, False, "P is not diagonalisable (singular eigenvector matrix)")
    if np.linalg.cond(vec) > 1e12:
        return PowerResult(None, False, "P is (nearly) not diagonalisable")
    lam_h = np.power(lam.astype(np.complex128), h)
    ph = (vec * lam_h) @ inv
    imag = float(np.max(np.abs(ph.imag)))
    if imag >= EIGEN_TOL:
        return PowerResult(None, False, f"P^{h:g} has imaginary parts up to {imag:.2g}")
    real = ph.real
    lo = float(real.min())
    if lo < -EIGEN_TOL:
        return PowerResult(None, False, f"P^{h:g} has a negative entry ({lo:.4f}): P has no valid "
                                        f"stochastic root (the embedding problem)")
    real = np.clip(real, 0.0, None)
    dev = float(np.max(np.abs(real.sum(axis=1) - 1.0)))
    if dev > EIGEN_TOL:
        return PowerResult(None, False, f"rows of P^{h:g} sum to 1 ± {dev:.2g}")
    return PowerResult(real, True)


def project(s: Sequence[float], p: np.ndarray, h: float, *, fractional: str = "eigen") -> tuple[np.ndarray, str]:
    """S · P^h (float), and the method used: 'power', 'eigen' or 'interpolate'.

    For non-integer h, ``fractional="eigen"`` tries the eigen root and falls back, with a
    LandcarbonWarning, to interpolation between the neighbouring whole steps:
    S(t) = (1 − f) S P^⌊h⌋ + f S P^⌈h⌉, f = h − ⌊h⌋. ``fractional="interpolate"`` uses it directly.
    """
    s = np.asarray(s, dtype=np.float64)
    if fractional not in ("eigen", "interpolate"):
        raise InputValidationError(f"fractional {fractional!r}; expected 'eigen' or 'interpolate'")
    if float(h).is_integer():
        return s @ np.linalg.matrix_power(p, int(h)), "power"
    if fractional == "eigen":
        r = matrix_power(p, h)
        if r.ok:
            return s @ r.matrix, "eigen"
        warnings.warn(f"Markov: {r.reason}; interpolating between whole steps instead (methods.md §7.3)",
                      LandcarbonWarning, stacklevel=3)
    lo = math.floor(h)
    f = h - lo
    s_lo = s @ np.linalg.matrix_power(p, lo)
    s_hi = s_lo @ p
    return (1 - f) * s_lo + f * s_hi, "interpolate"


