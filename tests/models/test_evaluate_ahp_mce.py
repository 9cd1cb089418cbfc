"""AHP weights with Saaty's CR, weight checks and the weighted overlay (MCE)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from landcarbon.core.errors import InputValidationError, LandcarbonWarning
from landcarbon.models.evaluate import ahp_weights, check_weights, weighted_overlay
from landcarbon.models.evaluate.ahp import RANDOM_INDEX
from landcarbon.testing import make_lulc


def test_ahp_consistent_matrix():
    # a_ij = w_i / w_j for w = (4, 2, 1)/7: perfectly consistent, lambda_max = n = 3, CR = 0
    r = ahp_weights([[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]], ["a", "b", "c"])
    assert r.weights.tolist() == pytest.approx([4 / 7, 2 / 7, 1 / 7])
    assert r.lambda_max == pytest.approx(3.0) and r.cr == pytest.approx(0.0, abs=1e-12)


def test_ahp_known_cr():
    # Saaty's classic 3x3 [[1,3,5],[1/3,1,3],[1/5,1/3,1]]: lambda_max = 3.0385, CI = (3.0385-3)/2 = 0.01926,
    # RI(3) = 0.58 -> CR = 0.0332; weights (0.637, 0.258, 0.105)
    r = ahp_weights([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    assert r.lambda_max == pytest.approx(3.0385, abs=1e-4)
    assert r.ci == pytest.approx(0.01926, abs=1e-5)
    assert r.ri == RANDOM_INDEX[3] == 0.58
    assert r.cr == pytest.approx(0.0332, abs=1e-4)
    assert r.weights.tolist() == pytest.approx([0.637, 0.258, 0.105], abs=1e-3)


def test_ahp_inconsistent_is_an_error_with_the_cr():
    bad = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]  # circular judgements
    with pytest.raises(InputValidationError, match=r"CR = \d+\.\d{4}"):
        ahp_weights(bad)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = ahp_weights(bad, force=True)
    assert r.cr >= 0.1 and any(issubclass(x.category, LandcarbonWarning) for x in w)


def test_ahp_not_reciprocal():
    with pytest.raises(InputValidationError, match="reciprocal"):
        ahp_weights([[1, 3], [3, 1]])


def test_weights_must_sum_to_one():
    with pytest.raises(InputValidationError, match="sum to 0.9"):
        check_weights({"a": 0.5, "b": 0.4})
    assert check_weights({"a": 0.25, "b": 0.75}).sum() == pytest.approx(1.0)


def test_weighted_overlay_by_hand():
    a = make_lulc([[0.0, 10.0], [5.0, 10.0]], nodata=None, dtype="float32")
    b = make_lulc([[4.0, 0.0], [2.0, np.nan]], nodata=None, dtype="float32")
    # valid where both valid (3 cells); min-max over them: a' = (0, 1, .5); b (direction -1): (4-b)/4 = (0, 1, .5)
    # score = 0.3 a' + 0.7 b': (0, 1, .5), NaN at the b-nodata cell
    r = weighted_overlay({"a": a, "b": b}, weights={"a": 0.3, "b": 0.7}, directions={"b": -1})
    s = r.score.values
    assert s[0, 0] == pytest.approx(0.0) and s[0, 1] == pytest.approx(1.0) and s[1, 0] == pytest.approx(0.5)
    assert np.isnan(s[1, 1])
    with pytest.raises(InputValidationError, match="sum to 1.1"):
        weighted_overlay({"a": a, "b": b}, weights={"a": 0.4, "b": 0.7})


def test_weighted_overlay_ahp_and_entropy():
    a = make_lulc([[1.0, 2.0], [3.0, 4.0]], nodata=None, dtype="float32")
    b = make_lulc([[1.0, 1.0], [1.0, 2.0]], nodata=None, dtype="float32")
    mat = pd.DataFrame([[1, 2], [0.5, 1]], index=["a", "b"], columns=["a", "b"])
    r = weighted_overlay({"a": a, "b": b}, ahp_matrix=mat)
    assert r.method == "ahp" and r.weights.tolist() == pytest.approx([2 / 3, 1 / 3])
    e = weighted_overlay({"a": a, "b": b}, method="entropy")
    assert e.method == "entropy" and e.weights.sum() == pytest.approx(1.0)
    with pytest.raises(InputValidationError, match="CR ="):
        weighted_overlay({"a": a, "b": b, "c": b}, ahp_matrix=[[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
