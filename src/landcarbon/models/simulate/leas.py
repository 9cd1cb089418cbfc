"""LEAS — land expansion analysis strategy (methods.md §8.2–8.3).

Expansion map X = L2 where L1 ≠ L2 (both valid); one uniform sample of expansion cells serves
every class; one random-forest regressor per class on the 0/1 label "became k"; the development
potential P_k is the forest mean; driver contributions by permutation.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...core.errors import EmptyInputError, InputValidationError, LandcarbonWarning
from ...kernels.forest import flatten_forests, forest_predict
from .drivers import DriverStack

#: prediction chunk (cells); bounds the feature-matrix memory [D]
PREDICT_CHUNK = 400_000


def expansion_map(l1_idx: np.ndarray, l2_idx: np.ndarray) -> np.ndarray:
    """X(i) = index of L2 + 1 where L1 ≠ L2 and both valid, else 0 (int16)."""
    x = np.zeros(l1_idx.shape, dtype=np.int16)
    ch = (l1_idx >= 0) & (l2_idx >= 0) & (l1_idx != l2_idx)
    x[ch] = l2_idx[ch] + 1
    return x


def expansion_shares(l1_idx: np.ndarray, l2_idx: np.ndarray, n_classes: int) -> np.ndarray:
    """w_k = TA_k / Σ TA: share of each class in the expansion map (the PLUS default weights)."""
    x = expansion_map(l1_idx, l2_idx)
    ta = np.bincount(x[x > 0].ravel() - 1, minlength=n_classes)[:n_classes].astype(np.float64)
    if ta.sum() == 0:
        raise EmptyInputError("the two calibration maps are identical (no expansion); LEAS and the default "
                              "neighbourhood weights need at least one changed cell")
    return ta / ta.sum()


@dataclass
class LeasModel:
    """Fitted LEAS: one forest per class (None where the class has no positive sample)."""

    forests: list
    feature_names: list[str]
    n_samples: int
    positives: np.ndarray
    rmse: np.ndarray
    oob_rmse: np.ndarray
    contributions: pd.DataFrame
    params: dict = field(default_factory=dict)

    def predict(self, stack: DriverStack, flat: np.ndarray, chunk: int = PREDICT_CHUNK,
                n_jobs: int | None = None) -> np.ndarray:
        """P (len(flat), K) float32 in [0, 1] for the given flat cell indices.

        Cells with identical driver values share one prediction (drivers are often integer DEMs,
        census blocks and soil units, so the distinct rows are far fewer than the cells). Trees are
        flattened into numba arrays and summed in a fixed order per row, chunk by chunk on
        ``n_jobs`` threads: the result is bit-identical for any thread count and equals the mean of
        scikit-learn's tree predictions.
        """
        k_n = len(self.forests)
        flat = np.asarray(flat, dtype=np.int64)
        if flat.size == 0:
            return np.zeros((0, k_n), dtype=np.float32)
        reps, inverse = distinct_rows(stack, flat)
        nodes = flatten_forests(self.forests)
        uniq = np.zeros((reps.size, k_n), dtype=np.float64)
        starts = list(range(0, reps.size, chunk))

        def one(s: int) -> None:
            feats = stack.features(reps[s:s + chunk])
            forest_predict(feats, *nodes, uniq[s:s + chunk])

        jobs = n_jobs or self.params.get("n_jobs", 1) or 1
        if jobs > 1 and len(starts) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=jobs) as ex:
                list(ex.map(one, starts))
        else:
            for s in starts:
                one(s)
        out = np.clip(uniq, 0.0, 1.0).astype(np.float32)
        return out if inverse is None else out[inverse]


def distinct_rows(stack: DriverStack, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Representative cells of the distinct driver rows among ``flat`` and, for each cell, its row.

    Each driver's values are ranked; the ranks are packed into one int64 key (mixed radix). When
    the packed key would overflow, every cell is its own row (``inverse`` None).
    """
    layers = [a.ravel() for a in stack.continuous.values()] + [a.ravel() for a in stack.categorical.values()]
    key = np.zeros(flat.size, dtype=np.int64)
    radix = 1
    for a in layers:
        u, inv = np.unique(a[flat], return_inverse=True)
        if radix * max(u.size, 1) >= 2**62:
            return flat, None
        key += inv.astype(np.int64).ravel() * radix
        radix *= max(u.size, 1)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    if first.size > 0.8 * flat.size:
        return flat, None
    return flat[first], inverse.ravel()


def sample_expansion(x: np.ndarray, valid: np.ndarray, n_classes: int, *, rate: float, balanced: bool,
                     rng: np.random.Generator) -> np.ndarray:
    """Flat indices of the training sample: uniform without replacement at ``rate`` from expansion
    cells (valid drivers); ``balanced`` draws equal numbers per class, capped by availability."""
    if not 0 < rate <= 1:
        raise InputValidationError(f"sample rate {rate} is outside (0, 1]; the PLUS default is 0.01")
    xf = x.ravel()
    pool = np.flatnonzero((xf > 0) & valid.ravel())
    if pool.size == 0:
        raise EmptyInputError("no expansion cell has valid drivers; LEAS cannot be trained")
    n = max(1, int(round(rate * pool.size)))
    if not balanced:
        return np.sort(rng.choice(pool, size=n, replace=False))
    per = max(1, n // n_classes)
    parts = []
    lab = xf[pool] - 1
    for k in range(n_classes):
        cells = pool[lab == k]
        if cells.size:
            parts.append(rng.choice(cells, size=min(per, cells.size), replace=False))
    return np.sort(np.concatenate(parts))


def fit_leas(x: np.ndarray, stack: DriverStack, n_classes: int, *, sample_rate: float = 0.01,
             balanced: bool = False, n_trees: int = 20, max_depth: int | None = None,
             min_samples_leaf: int = 1, max_features=None, n_jobs: int = 2, seed: int = 0,
             class_labels: list | None = None) -> LeasModel:
    """Train one RandomForestRegressor per class on a sample of the expansion map ``x``.

    Defaults follow PLUS: rate 0.01, 20 trees, all drivers tried per split, bootstrap rows.
    Reports RMSE, out-of-bag RMSE and permutation contributions per (class, driver).
    """
    ss = np.random.SeedSequence(seed)
    s_sample, s_forest, s_perm = ss.spawn(3)
    rng = np.random.default_rng(s_sample)
    cells = sample_expansion(x, stack.valid, n_classes, rate=sample_rate, balanced=balanced, rng=rng)
    feats = stack.features(cells)
    lab = x.ravel()[cells].astype(np.int64) - 1
    return fit_forests(feats, lab, n_classes, stack.feature_groups(), stack.feature_names,
                       s_forest=s_forest, s_perm=s_perm, sample_rate=sample_rate, balanced=balanced,
                       n_trees=n_trees, max_depth=max_depth, min_samples_leaf=min_samples_leaf,
                       max_features=max_features, n_jobs=n_jobs, class_labels=class_labels)


def fit_forests(feats: np.ndarray, lab: np.ndarray, n_classes: int, groups: list, feature_names: list[str], *,
                s_forest: np.random.SeedSequence, s_perm: np.random.SeedSequence, sample_rate: float,
                balanced: bool = False, n_trees: int = 20, max_depth: int | None = None,
                min_samples_leaf: int = 1, max_features=None, n_jobs: int = 2,
                class_labels: list | None = None) -> LeasModel:
    """Fit the per-class forests on a drawn sample: ``feats`` (n, features) float32, ``lab`` the
    class index each sampled cell became. Used by :func:`fit_leas` and by the out-of-core run, which
    draws its sample window by window."""
    from sklearn.ensemble import RandomForestRegressor

    if lab.size == 0:
        raise EmptyInputError("the LEAS sample is empty (no expansion cell with valid drivers was drawn); "
                              "raise the sample rate")
    cells = np.arange(lab.size)
    forest_seeds = s_forest.generate_state(n_classes, dtype=np.uint32)
    forests: list = []
    rmse = np.full(n_classes, np.nan)
    oob = np.full(n_classes, np.nan)
    positives = np.bincount(lab, minlength=n_classes)[:n_classes]
    rows = []
    labels = class_labels or list(range(n_classes))
    prng = np.random.default_rng(s_perm)
    perms = [prng.permutation(cells.size) for _ in groups]
    for k in range(n_classes):
        y = (lab == k).astype(np.float64)
        if positives[k] == 0:
            warnings.warn(f"class {labels[k]} has no expansion cell in the sample; its development "
                          f"potential is 0 everywhere, so it cannot gain cells (raise the sample rate or use balanced sampling)",
                          LandcarbonWarning, stacklevel=2)
            forests.append(None)
            for name, _ in groups:
                rows.append((labels[k], name, 0.0))
            continue
        rf = RandomForestRegressor(n_estimators=n_trees, max_features=max_features, max_depth=max_depth,
                                   min_samples_leaf=min_samples_leaf, bootstrap=True,
                                   oob_score=cells.size > 1, n_jobs=n_jobs,
                                   random_state=int(forest_seeds[k]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # few-sample OOB warnings
            rf.fit(feats, y)
        pred = rf.predict(feats)
        rmse[k] = float(np.sqrt(np.mean((pred - y) ** 2)))
        if getattr(rf, "oob_prediction_", None) is not None:
            op = np.asarray(rf.oob_prediction_).ravel()
            ok = np.isfinite(op)
            if ok.any():
                oob[k] = float(np.sqrt(np.mean((op[ok] - y[ok]) ** 2)))
        gains = []
        for (_name, cols), perm in zip(groups, perms):
            f2 = feats.copy()
            f2[:, cols] = feats[perm][:, cols]
            r2 = float(np.sqrt(np.mean((rf.predict(f2) - y) ** 2)))
            gains.append(max(0.0, r2 - rmse[k]))
        tot = sum(gains)
        for (name, _), g in zip(groups, gains):
            rows.append((labels[k], name, g / tot if tot > 0 else 0.0))
        forests.append(rf)
    contrib = pd.DataFrame(rows, columns=["code", "driver", "contribution"])
    return LeasModel(forests, list(feature_names), int(cells.size), positives, rmse, oob, contrib,
                     {"sample_rate": sample_rate, "balanced": balanced, "n_trees": n_trees,
                      "max_depth": max_depth, "min_samples_leaf": min_samples_leaf,
                      "max_features": max_features, "n_jobs": n_jobs})
