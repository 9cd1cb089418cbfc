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
from ...core.spec import Column, Input, ModelSpec, RasterOut, TableIn, TableOut
from ..weights import bad_input, check_seed, did_you_mean, entropy_weights, unknown_names
from .ahp import AHPResult, ahp_weights, check_weights
from .suitability import _keep_geo, as_float

#: weighting methods
METHODS = ("user", "ahp", "entropy")

SPEC = ModelSpec(
    id="mce", version="2", title_en="Multi-criteria evaluation (weighted overlay)", title_zh="多因子加权叠加评价",
    methods_ref="methods.md §6.2, §11.2",
    doc="score = Σ w_j x'_j over criterion rasters min-max normalised on the cells valid in every criterion; "
        "weights given (summing to 1), from an AHP matrix (CR < 0.1) or by entropy.",
    examples=("landcarbon evaluate mce --criteria slope=slope.tif dist=dist_road.tif \\",
              "    --directions slope=-1 dist=-1 --ahp-matrix ahp.csv --out mce/"),
    inputs=(
        Input("criteria", kind="pair", multiple=True, required=True, metavar="NAME=TIF", label_zh="评价因子",
              aliases=("--criterion",), doc="Criterion rasters NAME=TIF (repeat), on one grid"),
        Input("weights", kind="pair", multiple=True, metavar="NAME=WEIGHT", label_zh="因子权重",
              aliases=("--weight",), excludes=("ahp_matrix",),
              doc="User weights NAME=WEIGHT, one per criterion, summing to 1 (or set normalise_weights)"),
        TableIn("ahp_matrix", label_zh="AHP 判断矩阵", aliases=("--ahp",),
                doc="AHP pairwise-comparison matrix (CSV: first column and header = the criterion names; Saaty "
                    "1/9 … 9; a_ji = 1/a_ij)"),
        Input("method", kind="choice", choices=METHODS, label_zh="赋权方法",
              doc="Weighting: user (weights), ahp (ahp_matrix) or entropy; default: inferred from what is given "
                  "(entropy when neither)"),
        Input("directions", kind="pair", multiple=True, metavar="NAME=1|-1", label_zh="因子方向",
              aliases=("--direction",), doc="Direction of a criterion: 1 larger is better (default), -1 smaller "
                                            "is better"),
        Input("normalise", kind="choice", choices=("minmax", "none"), default="minmax", label_zh="标准化",
              doc="minmax over the valid cells, or none (criteria already on one 0-1 scale)"),
        Input("normalise_weights", kind="flag", default=False, label_zh="权重归一化",
              doc="Divide user weights by their sum instead of refusing weights that do not sum to 1"),
        Input("force_ahp", kind="flag", default=False, label_zh="强制使用 AHP",
              doc="Use an AHP matrix even when its consistency ratio CR ≥ 0.1 (recorded as a warning)"),
        Input("seed", kind="integer", minimum=0, default=0, label_zh="随机种子",
              doc="Seed of the cell sample for entropy weights on large maps (recorded)"),
    ),
    outputs=(
        RasterOut("mce_score.tif", units="score 0-1", doc="Weighted score, 0-1 (NaN where a criterion is nodata)",
                  doc_zh="综合评价得分（0-1）"),
        RasterOut("mce_class.tif", dtype="uint8", units="class 1-5 (1 = highest score)",
                  doc="Five classes of the score by 0.2 steps [D]: 1 = score ≥ 0.8 … 5 = < 0.2 (0 = nodata)",
                  doc_zh="得分五级分类（1 = 最高）"),
        TableOut("weights.csv", doc="Criterion weights and how they were obtained (AHP CR when used)",
                 doc_zh="因子权重", columns=(Column("criterion"), Column("weight", "-"), Column("method"))),
        TableOut("criterion_ranges.csv", doc="Range of each criterion over the cells valid in every criterion "
                 "(the min-max normalisation)", doc_zh="因子取值范围",
                 columns=(Column("criterion"), Column("min", "criterion unit"), Column("max", "criterion unit"))),
    ),
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
