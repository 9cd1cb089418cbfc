"""Quota allocation (methods.md §6.1-6.3): shares by hand, entropy composite, DEA / ZSG-DEA with HiGHS."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from landcarbon.core.errors import InputValidationError
from landcarbon.models import allocation as A
from landcarbon.models.weights import entropy_weights


def _ind():
    return pd.DataFrame({"population": [1000.0, 3000.0], "gdp_1e4CNY": [200.0, 600.0],
                         "emission_tCO2e": [300.0, 100.0]}, index=pd.Index(["a", "b"], name="zone"))


def test_principle_shares_by_hand():
    s = A.principle_shares(_ind())
    # population 1000 : 3000 -> .25, .75; grandfathering 300 : 100 -> .75, .25
    assert s["population"].tolist() == pytest.approx([0.25, 0.75])
    assert s["grandfathering"].tolist() == pytest.approx([0.75, 0.25])
    # per-capita GDP 0.2 and 0.2 -> equal ability to pay: .5, .5
    assert s["ability_to_pay"].tolist() == pytest.approx([0.5, 0.5])
    # efficiency (GDP) 200 : 600 -> .25, .75; productivity 200/300 = .667, 600/100 = 6 -> .1, .9
    assert s["efficiency"].tolist() == pytest.approx([0.25, 0.75])
    assert s["productivity"].tolist() == pytest.approx([0.1, 0.9])


def test_ability_to_pay_inverse():
    ind = pd.DataFrame({"population": [1.0, 1.0], "gdp_1e4CNY": [2.0, 4.0]}, index=["a", "b"])
    # y = 2, 4 -> 1/y = .5, .25 -> shares 2/3, 1/3
    assert A.principle_shares(ind, ["ability_to_pay"])["ability_to_pay"].tolist() == pytest.approx([2 / 3, 1 / 3])


def test_composite_weights_by_hand():
    out, w = A.allocate(_ind(), 1000.0, principles=["population", "grandfathering"],
                        weights={"population": 3, "grandfathering": 1}, normalise_weights=True)
    # w = .75, .25 -> share_a = .75 x .25 + .25 x .75 = .375 -> 375 t
    assert w.tolist() == pytest.approx([0.75, 0.25])
    assert out["quota_tCO2e"].tolist() == pytest.approx([375.0, 625.0])
    assert out["quota_tCO2e"].sum() == pytest.approx(1000.0)
    with pytest.raises(InputValidationError, match="needs weights"):
        A.allocate(_ind(), 1000.0, principles=["population", "grandfathering"])


def test_entropy_composite_uses_shared_entropy_weights():
    ind = pd.DataFrame({"population": [1.0, 2.0, 3.0, 4.0], "gdp_1e4CNY": [4.0, 1.0, 2.0, 8.0],
                        "emission_tCO2e": [5.0, 5.0, 1.0, 2.0]}, index=list("abcd"))
    out, w = A.allocate(ind, 100.0, weights="entropy")
    S = A.principle_shares(ind)
    pd.testing.assert_series_equal(w, entropy_weights(S))
    assert out["quota_tCO2e"].to_numpy() == pytest.approx(100 * S.to_numpy() @ w.to_numpy())


def test_dea_two_units_by_hand():
    # one input q, one output y: a (1, 1), b (1, 2): CCR θ_a = (1/1)/(2/1) = 0.5, θ_b = 1
    theta = A.dea_efficiency(np.array([[1.0], [1.0]]), np.array([[1.0], [2.0]]))
    assert theta == pytest.approx([0.5, 1.0])
    # one proportional step: q'_a = .5 x 1 = .5; q'_b = 1 + [1/1] x 1 x (1 - .5) = 1.5; total kept
    q1 = A.zsg_reallocate([1.0, 1.0], theta)
    assert q1 == pytest.approx([0.5, 1.5])


def test_zsg_dea_converges_and_conserves():
    ind = pd.DataFrame({"gdp_1e4CNY": [1.0, 2.0]}, index=["a", "b"])
    out, log = A.zsg_dea(ind, [1.0, 1.0])
    # the full step oscillates (1,1) -> (.5,1.5) -> (1,1); halved steps converge to q ∝ y: 2/3, 4/3
    assert out["quota_tCO2e"].tolist() == pytest.approx([2 / 3, 4 / 3], abs=1e-3)
    assert out.attrs["converged"] and log["min_theta"].iloc[-1] >= 1 - 1e-4
    rng = np.random.default_rng(4)
    n = 8
    ind = pd.DataFrame({"gdp_1e4CNY": rng.uniform(1, 10, n), "population": rng.uniform(1, 5, n)},
                       index=[f"z{i}" for i in range(n)])
    q0 = rng.uniform(1, 5, n)
    out, log = A.zsg_dea(ind, q0, inputs=["population"])
    assert out["quota_tCO2e"].sum() == pytest.approx(q0.sum(), rel=1e-12)
    assert out["theta_final"].min() >= 1 - 1e-4


def test_bcc_and_highspy_path(monkeypatch):
    X = np.array([[2.0], [4.0], [8.0]])
    Y = np.array([[1.0], [3.0], [4.0]])
    ccr = A.dea_efficiency(X, Y)
    # CCR: best y/x = 3/4 (unit 2): θ_1 = (1/2)/(3/4) = 2/3, θ_3 = (4/8)/(3/4) = 2/3
    assert ccr == pytest.approx([2 / 3, 1.0, 2 / 3])
    bcc = A.dea_efficiency(X, Y, vrs=True)
    assert bcc[0] == pytest.approx(1.0) and bcc[2] == pytest.approx(1.0)   # extremes of the VRS frontier
    monkeypatch.setattr(A, "have", lambda name: False if name == "scipy" else True)
    assert A.dea_efficiency(X, Y) == pytest.approx(ccr)                     # highspy directly


def test_bad_indicators():
    with pytest.raises(InputValidationError, match="lacks 'population'"):
        A.principle_shares(pd.DataFrame({"gdp_1e4CNY": [1.0]}), ["population"])
    with pytest.raises(InputValidationError, match="negative"):
        A.principle_shares(pd.DataFrame({"population": [1.0, -1.0]}), ["population"])
    with pytest.raises(InputValidationError, match="positive initial quota"):
        A.zsg_dea(pd.DataFrame({"gdp_1e4CNY": [1.0, 2.0]}), [0.0, 1.0])
