"""Random-forest prediction on plain arrays (numba, no GIL): trees flattened from scikit-learn.

Each row sums its trees in a fixed order, so the result does not depend on how rows are split
among threads. Comparison ``x[f] <= threshold`` with float32 features and float64 thresholds is
scikit-learn's own rule, so predictions equal ``DecisionTreeRegressor.predict``.
"""

from __future__ import annotations

import numba as nb
import numpy as np


def flatten_forests(forests) -> tuple[np.ndarray, ...]:
    """Concatenate the trees of several single-output regressors.

    Returns (left, right, feature, threshold, value, roots, tree_class, n_per_class): node arrays
    with child indices made global; ``roots[t]`` is tree t's root; ``tree_class[t]`` its class index.
    Classes without a forest (None) get no trees and predict 0.
    """
    lefts, rights, feats, thrs, vals, roots, tcls = [], [], [], [], [], [], []
    n_per = np.zeros(len(forests), dtype=np.int64)
    off = 0
    for k, rf in enumerate(forests):
        if rf is None:
            continue
        for est in rf.estimators_:
            t = est.tree_
            n = t.node_count
            left = t.children_left.astype(np.int64)
            right = t.children_right.astype(np.int64)
            lefts.append(np.where(left >= 0, left + off, -1).astype(np.int32))
            rights.append(np.where(right >= 0, right + off, -1).astype(np.int32))
            feats.append(t.feature.astype(np.int32))
            thrs.append(t.threshold.astype(np.float64))
            vals.append(t.value.reshape(n, -1)[:, 0].astype(np.float64))
            roots.append(off)
            tcls.append(k)
            off += n
        n_per[k] = len(rf.estimators_)
    if not roots:
        z = np.zeros(0, np.int32)
        return z, z, z, np.zeros(0), np.zeros(0), z, z, n_per
    return (np.concatenate(lefts), np.concatenate(rights), np.concatenate(feats), np.concatenate(thrs),
            np.concatenate(vals), np.asarray(roots, np.int64), np.asarray(tcls, np.int64), n_per)


@nb.njit(cache=True, nogil=True)
def forest_predict(x, left, right, feature, threshold, value, roots, tree_class, n_per_class, out):
    """out[i, k] = mean over the trees of class k of the leaf value reached by row x[i].

    Rows are taken in blocks of 256 and each tree is run over the whole block before the next
    (the tree stays in cache); every row still adds its trees in the same fixed order.
    """
    n = x.shape[0]
    k_n = out.shape[1]
    n_trees = roots.shape[0]
    blk = 256
    acc = np.zeros((blk, k_n), dtype=np.float64)
    for b0 in range(0, n, blk):
        b1 = min(b0 + blk, n)
        acc[:, :] = 0.0
        for t in range(n_trees):
            root = roots[t]
            kc = tree_class[t]
            for i in range(b0, b1):
                node = root
                while left[node] >= 0:
                    if x[i, feature[node]] <= threshold[node]:
                        node = left[node]
                    else:
                        node = right[node]
                acc[i - b0, kc] += value[node]
        for i in range(b0, b1):
            for k in range(k_n):
                if n_per_class[k] > 0:
                    out[i, k] = acc[i - b0, k] / n_per_class[k]
                else:
                    out[i, k] = 0.0
