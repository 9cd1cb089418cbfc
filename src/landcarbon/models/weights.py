"""Indicator weighting shared by allocation (§6) and evaluation (§10–11): entropy weights, and the small
input-checking helpers the weighting models share (one-input errors, did-you-mean, seeds)."""

from __future__ import annotations

import difflib
import math
import numbers
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import numpy as np
import pandas as pd

from ..core.errors import InputFileError, InputValidationError, LandcarbonError, LandcarbonWarning
from ..core.spec import Issue


def bad_input(key: str, message: str) -> InputValidationError:
    """An error about one input: ``key`` is the input's key (never a command-line flag)."""
    return InputValidationError([Issue(key, message)])


def refer_inputs(message: str, names: Iterable[str]) -> str:
    """A model message for an interface: the Python spellings of input keys (``allow_implausible=True``,
    ``price_unit``; keys with an underscore only, which cannot be ordinary words) become ``⟨key⟩`` references,
    which the CLI shows as its option and a plan file as its key."""
    keys = sorted((n for n in names if "_" in n), key=len, reverse=True)
    if not keys:
        return message
    pat = re.compile(r"(?<![\w⟨-])(" + "|".join(map(re.escape, keys)) + r")(?:=True)?(?![\w⟩-])")
    return pat.sub(lambda m: f"⟨{m.group(1)}⟩", message)


def _issues_of(err: LandcarbonError, names: Sequence[str], key: str) -> list[Issue]:
    if isinstance(err, InputValidationError):
        raw = err.issues
    else:
        raw = [Issue(getattr(err, "key", None) or "", str(err))]
    out = []
    for i in raw:
        k, msg = (i.key, i.message) if isinstance(i, Issue) else ("", str(i))
        out.append(Issue(k or key, refer_inputs(msg, names)))
    return out


@contextmanager
def input_refs(names: Sequence[str], key: str = "") -> Iterator[None]:
    """Re-raise a model's error with ``⟨key⟩`` references (see :func:`refer_inputs`); key-less problems get
    ``key``. File errors pass through unchanged."""
    try:
        yield
    except InputFileError:
        raise
    except LandcarbonError as err:
        raise InputValidationError(_issues_of(err, names, key)) from None


T = TypeVar("T")


class Problems:
    """Collects the problems of several independent checks, so a step reports them all at once."""

    def __init__(self, names: Sequence[str]):
        self.names = list(names)
        self.issues: list[Issue] = []

    def run(self, fn: Callable[[], T], key: str = "") -> T | None:
        """``fn()``, or None when it raised a model error (recorded, with ``key`` for key-less problems)."""
        try:
            return fn()
        except InputFileError:
            raise
        except LandcarbonError as err:
            for i in _issues_of(err, self.names, key):
                if i not in self.issues:  # the same problem found by several checks is reported once
                    self.issues.append(i)
            return None

    def add(self, key: str, message: str) -> None:
        i = Issue(key, refer_inputs(message, self.names))
        if i not in self.issues:
            self.issues.append(i)


def did_you_mean(word: object, candidates: Iterable[object]) -> str:
    """`` (did you mean 'x'?)`` for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_names(key: str, what: str, names: Iterable[object], known: Sequence[object]) -> None:
    """Raise for names not in ``known``, each with a did-you-mean; a misspelt key is never ignored."""
    bad = [n for n in names if n not in known]
    if bad:
        hints = "; ".join(f"{n!r}{did_you_mean(n, known)}" for n in bad)
        raise bad_input(key, f"unknown {what} {hints}; expected some of {list(known)}: correct the name")


def check_seed(seed: object, key: str = "seed") -> int:
    """A random seed (or another count such as ``n_boot``): an integer ≥ 0 (numpy refuses negative seeds)."""
    what = "an integer seed ≥ 0 (numpy refuses negative seeds)" if key == "seed" else "an integer ≥ 0"
    f = math.nan
    if not isinstance(seed, bool) and isinstance(seed, numbers.Real | str):
        try:
            f = float(seed)
        except ValueError:
            pass
    if not math.isfinite(f) or f != int(f) or f < 0:
        raise bad_input(key, f"found {seed!r}; expected {what}: give a non-negative integer"
                             + (f" such as {abs(int(f))}" if math.isfinite(f) else ""))
    return int(f)


def show(v: object) -> str:
    """A value for a message: numpy scalars as plain Python values."""
    return repr(v.item() if isinstance(v, np.generic) else v)


def numeric_weights(weights: object, key: str = "weights") -> pd.Series:
    """User weights as a float Series; a non-numeric, missing or negative value is an error naming it."""
    w = weights.astype(object) if isinstance(weights, pd.Series) else pd.Series(dict(weights), dtype=object)
    vals = {}
    for k, v in w.items():
        try:
            x = float(v) if not isinstance(v, bool) else math.nan
        except (TypeError, ValueError):
            x = math.nan
        if not math.isfinite(x) or x < 0:
            raise bad_input(key, f"weight of {k!r} is {v!r}; expected a number ≥ 0: give a numeric weight for it")
        vals[k] = x
    return pd.Series(vals, dtype=float, name="weight")


def weights_summing_to_one(w: pd.Series, *, key: str = "weights", what: str = "weights", tol: float = 1e-6,
                           normalise: bool = False) -> pd.Series:
    """``w`` if it sums to 1 (within ``tol``); with ``normalise=True`` w / Σw, stated by a warning and in
    ``.attrs["normalised_from_sum"]``; otherwise an error (weights are never rescaled silently)."""
    s = float(w.sum())
    if abs(s - 1.0) <= tol:
        out = w.rename("weight")
        out.attrs["normalised_from_sum"] = None
        return out
    if not normalise:
        raise bad_input(key, f"{what} sum to {s:.6g}; expected 1 (within {tol:g}): rescale them (divide each by "
                             f"{s:.6g}) or ask for normalisation (normalise_weights=True)")
    if not s > 0:
        raise bad_input(key, f"{what} sum to {s:.6g}; normalisation needs a positive sum: give a positive weight")
    out = (w / s).rename("weight")
    out.attrs["normalised_from_sum"] = s
    warnings.warn(f"{what} summed to {s:.6g}; normalised to 1 as requested: "
                  + ", ".join(f"{k}={v:.6g}" for k, v in out.items()), LandcarbonWarning, stacklevel=3)
    return out


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
    raw = x
    x = x.apply(pd.to_numeric, errors="coerce")
    nonnum = [c for c in x.columns if (x[c].isna() & raw[c].notna()).any()]
    if nonnum:
        c = nonnum[0]
        v = raw[c][x[c].isna() & raw[c].notna()].iloc[0]
        raise InputValidationError(f"entropy weights: indicator {c!r} has the non-numeric value {v!r}; expected "
                                   f"numbers: correct or drop it")
    if x.isna().any().any():
        bad = list(x.columns[x.isna().any()])
        raise InputValidationError(f"entropy weights: indicators {bad} have missing values; fill or drop them")
    if np.isinf(x.to_numpy(float)).any():
        bad = list(x.columns[np.isinf(x.to_numpy(float)).any(axis=0)])
        raise InputValidationError(f"entropy weights: indicators {bad} have infinite values; expected finite "
                                   f"numbers: check the divisions that produced them")
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
