"""Multi-criteria evaluation: weighted overlay of normalised criterion rasters (methods.md §10, §11.2).

    score(i) = Σ_j w_j × x'_j(i),   Σ_j w_j = 1

x'_j is the min–max normalised criterion (direction +1: larger is better, −1: smaller is better;
the range is taken over the valid cells), or the raw value when ``normalise="none"`` (criteria
already on a common 0–1 scale). Weights: user weights (checked to sum to 1), AHP (principal
eigenvector; CR ≥ 0.1 is an error unless forced) or entropy (§6.2) over the valid cells.
A cell is valid only where every criterion is valid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ...core.errors import InputValidationError
from ...core.grid import ensure_aligned
from ...core.spec import ModelSpec, RasterIn, RasterOut, TableIn, TableOut
from ..weights import bad_input, check_seed, did_you_mean, entropy_weights, unknown_names
from .ahp import AHPResult, ahp_weights, check_weights
from .suitability import _keep_geo, as_float

SPEC = ModelSpec(
    id="mce", version="1", title_en="Multi-criteria evaluation (weighted overlay)", title_zh="多因子加权叠加评价",
    inputs=(RasterIn("criteria", kind="continuous", doc="criterion rasters on one grid"),
            TableIn("weights", doc="criterion, weight (sum 1)", columns={"weight": "-"}, required=False),
            TableIn("ahp_matrix", doc="pairwise comparisons (Saaty 1/9-9)", required=False)),
    outputs=(RasterOut("mce_score", units="0-1"), TableOut("weights", columns={"weight": "-"})),
    methods_ref="methods.md §6.2, §11.2",
)

#: cells sampled for entropy weights when a map is large [D] (seeded)
ENTROPY_SAMPLE = 200_000


@dataclass
class MCEResult:
    score: xr.DataArray
    weights: pd.Series
    method: str
    ahp: AHPResult | None = None
    ranges: pd.DataFrame | None = None
    #: the sum of the user weights when they were normalised on request (normalise_weights=True), else None
    weights_normalised_from: float | None = None

    def weights_frame(self) -> pd.DataFrame:
        df = self.weights.rename("weight").rename_axis("criterion").reset_index()
        df["method"] = self.method
        if self.weights_normalised_from is not None:
            df["normalised_from_sum"] = self.weights_normalised_from
        if self.ahp is not None:
            df["ahp_cr"] = self.ahp.cr
            df["ahp_lambda_max"] = self.ahp.lambda_max
        return df


def _ranges(layers: Mapping[str, xr.DataArray]) -> pd.DataFrame:
    rows = []
    for k, v in layers.items():
        lo, hi = float(v.min(skipna=True)), float(v.max(skipna=True))
        rows.append({"criterion": k, "min": lo, "max": hi})
    return pd.DataFrame(rows).set_index("criterion")


def weighted_overlay(criteria: Mapping[str, xr.DataArray], *, weights: Mapping[str, float] | None = None,
                     ahp_matrix: Any = None, method: str | None = None, directions: Mapping[str, int] | None = None,
                     normalise: str = "minmax", force_ahp: bool = False, seed: int = 0,
                     normalise_weights: bool = False) -> MCEResult:
    """Weighted overlay of ``criteria`` (name → raster on one grid). ``method``: "user", "ahp" or "entropy"
    (inferred from ``weights`` / ``ahp_matrix`` when not given). Returns a score in [0, 1] with NaN nodata.

    User weights must sum to 1; ``normalise_weights=True`` divides them by their sum instead, and the result
    records it (``weights_normalised_from``, a ``normalised_from_sum`` column of the weights table).
    """
    names = list(criteria)
    if len(names) < 1:
        raise bad_input("criteria", "weighted overlay got no criterion raster; expected at least one: give them")
    seed = check_seed(seed)
    ensure_aligned(**criteria)
    unknown_names("directions", "criteria in the directions", list(directions or {}), names)
    dirs = {k: 1 for k in names} | dict(directions or {})
    bad = {k: v for k, v in dirs.items() if v not in (1, -1)}
    if bad:
        raise bad_input("directions", f"criterion directions {bad}; expected +1 (larger is better) or -1 (smaller "
                                      f"is better): correct them")
    if normalise not in ("minmax", "none"):
        raise bad_input("normalise", f"found {normalise!r}; expected 'minmax' or 'none'"
                                     f"{did_you_mean(normalise, ('minmax', 'none'))}")
    if method is None:
        if ahp_matrix is not None and weights is not None:
            raise bad_input("weights", "both user weights and an AHP matrix were given, and only one can be used; "
                                       "give one of them")
        method = "ahp" if ahp_matrix is not None else "user" if weights is not None else "entropy"
    unused = [k for k, v, m in (("weights", weights, "user"), ("ahp_matrix", ahp_matrix, "ahp")) if v is not None
              and method != m]
    if unused:
        raise bad_input(unused[0], f"is given but method is {method!r}, which does not use it; drop it or choose "
                                   f"the method that uses it")
    layers = {k: as_float(v) for k, v in criteria.items()}
    valid = None
    for v in layers.values():
        valid = v.notnull() if valid is None else (valid & v.notnull())
    ranges = _ranges({k: v.where(valid) for k, v in layers.items()})
    norm: dict[str, xr.DataArray] = {}
    for k, v in layers.items():
        if normalise == "none":
            norm[k] = v
            continue
        lo, hi = ranges.loc[k, "min"], ranges.loc[k, "max"]
        span = hi - lo
        if not np.isfinite(span):
            raise InputValidationError(f"criterion {k!r} has no valid cell where every criterion is valid")
        if span == 0:
            norm[k] = xr.zeros_like(v).where(valid)
        else:
            norm[k] = ((v - lo) / span) if dirs[k] > 0 else ((hi - v) / span)
    ahp = None
    normalised_from = None
    if method == "user":
        if weights is None:
            raise InputValidationError("method 'user' needs weights (one per criterion, summing to 1)")
        w = check_weights(weights, names, what="criterion weights", normalise=normalise_weights)
        normalised_from = w.attrs.get("normalised_from_sum")
    elif method == "ahp":
        if ahp_matrix is None:
            raise InputValidationError("method 'ahp' needs a pairwise-comparison matrix (criteria in order "
                                       f"{names})")
        ahp = ahp_weights(ahp_matrix, names if not isinstance(ahp_matrix, pd.DataFrame) else None, force=force_ahp)
        if list(ahp.weights.index) != names:
            if sorted(ahp.weights.index) != sorted(names):
                raise InputValidationError(f"AHP matrix criteria {list(ahp.weights.index)} differ from the "
                                           f"criterion rasters {names}")
        w = ahp.weights.loc[names]
    elif method == "entropy":
        stack = np.stack([np.asarray(layers[k].where(valid).data).ravel() for k in names], axis=1)
        ok = np.all(np.isfinite(stack), axis=1)
        sample = stack[ok]
        if sample.shape[0] > ENTROPY_SAMPLE:
            rng = np.random.default_rng(seed)
            sample = sample[np.sort(rng.choice(sample.shape[0], ENTROPY_SAMPLE, replace=False))]
        w = entropy_weights(pd.DataFrame(sample, columns=names), [dirs[k] for k in names])
    else:
        raise bad_input("method", f"found {method!r}; expected 'user', 'ahp' or 'entropy'"
                                  f"{did_you_mean(method, ('user', 'ahp', 'entropy'))}")
    score = sum(float(w[k]) * norm[k] for k in names)
    score = score.where(valid).astype(np.float32)
    score = _keep_geo(score, next(iter(criteria.values()))).rio.write_nodata(np.nan, encoded=False)
    score.name = "mce_score"
    return MCEResult(score, w, method, ahp, ranges, normalised_from)


def classify_score(score: xr.DataArray, breaks: Sequence[float] = (0.2, 0.4, 0.6, 0.8)) -> xr.DataArray:
    """Five classes of a 0–1 score, 1 = highest score (≥ the last break) … 5 = lowest; 0 = nodata [D]."""
    b = np.sort(np.asarray(breaks, float))

    def fn(v):
        idx = np.searchsorted(b, v, side="right")
        out = (len(b) + 1 - idx).astype(np.uint8)
        out[np.isnan(v)] = 0
        return out

    out = xr.apply_ufunc(fn, score, dask="parallelized", output_dtypes=[np.uint8])
    return _keep_geo(out, score).rio.write_nodata(0, encoded=False)
