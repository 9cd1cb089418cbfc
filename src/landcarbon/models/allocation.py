"""Quota allocation among zones (methods.md §6.1–6.3).

Indicator allocation: s_{m,i} = share of unit i under principle m (Σ_i s = 1), Q_i = Q × Σ_m w_m s_{m,i}.

| principle        | indicator                         | share                  |
|------------------|-----------------------------------|------------------------|
| population       | population P_i                    | P_i / Σ P              |
| grandfathering   | historical emissions E_i          | E_i / Σ E              |
| ability_to_pay   | per-capita GDP y_i                | (1/y_i) / Σ (1/y)      |
| efficiency       | GDP G_i (equal intensity)         | G_i / Σ G              |
| productivity     | carbon productivity G_i / E_i     | x_i / Σ x              |

Composite weights are given by the user or are entropy weights (§6.2, computed with
:func:`landcarbon.models.weights.entropy_weights` over the principle shares). ZSG-DEA (§6.3) redistributes a
fixed total until every unit is efficient; each efficiency is an input-oriented CCR (or BCC) LP solved with
HiGHS (scipy's ``linprog(method="highs")``, or highspy directly when scipy is absent).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._optional import have, require
from ..core.errors import InfeasibleError, LandcarbonWarning
from ..core.spec import Column, Equals, Input, ModelSpec, NumberIn, Present, TableIn, TableOut
from .balance import check_per_capita_gdp, check_positive
from .weights import (
    bad_input,
    did_you_mean,
    entropy_weights,
    numeric_weights,
    unknown_names,
    weights_summing_to_one,
)

PRINCIPLES = ("population", "grandfathering", "ability_to_pay", "efficiency", "productivity")
#: principle → indicator columns it needs
NEEDS = {"population": ("population",), "grandfathering": ("emission_tCO2e",),
         "ability_to_pay": ("gdp_1e4CNY", "population"), "efficiency": ("gdp_1e4CNY",),
         "productivity": ("gdp_1e4CNY", "emission_tCO2e")}


METHODS = (*PRINCIPLES, "composite", "entropy", "zsg-dea")
#: quota units (the choices of quota_unit) → t CO2e; matched without spaces, case-insensitive
QUOTA_UNIT_NAMES = {"t CO2e": 1.0, "t CO2": 1.0, "1e4 t CO2e": 1e4, "1e4 t CO2": 1e4, "万吨": 1e4, "万吨 CO2": 1e4,
                    "Mt CO2e": 1e6, "Mt CO2": 1e6}
QUOTA_UNITS = {k.replace(" ", "").lower(): f for k, f in QUOTA_UNIT_NAMES.items()}
#: indicator columns in other units → (canonical column, factor)
_IND_UNITS = {"population_1e4": ("population", 1e4), "gdp_1e8cny": ("gdp_1e4CNY", 1e4),
              "gdp_cny": ("gdp_1e4CNY", 1e-4), "emission_1e4tco2e": ("emission_tCO2e", 1e4),
              "emission_1e4tco2": ("emission_tCO2e", 1e4), "emission_tco2": ("emission_tCO2e", 1.0)}


def quota_in_tco2e(value: float, unit: str) -> float:
    """The quota in t CO2e from a value in ``unit`` (one of :data:`QUOTA_UNIT_NAMES`)."""
    u = str(unit).strip().lower().replace(" ", "")
    if u not in QUOTA_UNITS:
        raise bad_input("quota_unit", f"quota unit {unit!r} is not understood{did_you_mean(u, QUOTA_UNITS)}; "
                                      f"expected one of {list(QUOTA_UNIT_NAMES)}")
    try:
        v = float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError):
        v = float("nan")
    if not (v >= 0 and v < float("inf")):
        raise bad_input("quota", f"found {value!r}; expected a number ≥ 0 (in quota_unit, here {unit})")
    return v * QUOTA_UNITS[u]


def prepare_indicators(df: pd.DataFrame) -> pd.DataFrame:
    """Index zone; columns in canonical units: population (persons), gdp_1e4CNY, emission_tCO2e, plus others.
    A zone listed twice is an error naming its rows (one row per zone: filter the year first)."""
    cols = {str(c).strip(): c for c in df.columns}
    if "zone" not in cols:
        raise bad_input("indicators", f"indicator table has columns {list(df.columns)}; it lacks 'zone'")
    if len(df) == 0:
        raise bad_input("indicators", "the indicator table has no data rows; expected one row per zone")
    out = df.copy()
    out.columns = [str(c).strip() for c in out.columns]
    for c in list(out.columns):
        key = c.lower()
        if key in _IND_UNITS:
            name, f = _IND_UNITS[key]
            if name in out.columns and name != c:
                raise bad_input("indicators", f"columns {name!r} and {c!r} both give {name.split('_')[0]}; expected "
                                              f"one of them: drop the other")
            v = pd.to_numeric(out[c], errors="coerce")
            if v.isna().any():
                raise bad_input("indicators", f"column {c!r} is empty or not a number for zone "
                                              f"{out.loc[v.isna(), 'zone'].iloc[0]}; empty is not zero: fill it")
            out[name] = v * f
    if "gdp" in [c.lower() for c in out.columns] and "gdp_1e4CNY" not in out.columns:
        raise bad_input("indicators", "indicator column 'gdp' has no unit; rename it gdp_1e4CNY, gdp_1e8CNY or "
                                      "gdp_CNY")
    out["zone"] = out["zone"].astype(str).str.strip()
    dup = out["zone"].duplicated(keep=False).to_numpy()
    if dup.any():
        rows = ", ".join(map(str, (np.flatnonzero(dup) + 1)[:10]))
        raise bad_input("indicators", f"zones {sorted(set(out['zone'][dup]))} appear more than once (data rows "
                                      f"{rows}); expected one row per zone: filter the year first")
    return out.set_index("zone")


#: Σ emissions / quota outside [1/1000, 1000] suggests a unit mix-up of the quota (t vs 10^4 t vs Mt) [D];
#: override: allow_implausible
QUOTA_RATIO_PLAUSIBLE = (1e-3, 1e3)


def _col(ind: pd.DataFrame, name: str) -> np.ndarray:
    if name not in ind.columns:
        raise bad_input("indicators", f"indicator table has columns {list(ind.columns)}; it lacks {name!r}"
                                      f"{did_you_mean(name, list(map(str, ind.columns)))}")
    v = pd.to_numeric(ind[name], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(v)
    if bad.any():
        raise bad_input("indicators", f"indicator {name!r} is empty or not a number for zone {ind.index[bad][0]}; "
                                      f"empty is not zero: fill it")
    if (v < 0).any():
        raise bad_input("indicators", f"indicator {name!r} has negative values (zone {ind.index[v < 0][0]}: "
                                      f"{v[v < 0][0]:g}); expected values ≥ 0")
    return v


def principle_shares(ind: pd.DataFrame, principles: Sequence[str] = PRINCIPLES) -> pd.DataFrame:
    """s_{m,i} for each principle (columns) and unit (index = ind.index); every column sums to 1."""
    out = {}
    unknown_names("principles", "allocation principles", list(principles), PRINCIPLES)
    if len(ind) == 0:
        raise bad_input("indicators", "the indicator table has no data rows; expected one row per zone")
    for m in principles:
        if m == "population":
            x = _col(ind, "population")
        elif m == "grandfathering":
            x = _col(ind, "emission_tCO2e")
        elif m == "efficiency":
            x = _col(ind, "gdp_1e4CNY")
        elif m == "ability_to_pay":
            g, p = _col(ind, "gdp_1e4CNY"), _col(ind, "population")
            why = "ability to pay divides by per-capita GDP (GDP / population)"
            check_positive(p, ind.index, None, column="population", key="indicators", why=why)
            check_positive(g, ind.index, None, column="GDP (gdp_1e4CNY)", key="indicators", why=why)
            x = 1.0 / (g / p)
        else:  # productivity
            e = _col(ind, "emission_tCO2e")
            check_positive(e, ind.index, None, column="emission_tCO2e", key="indicators",
                           why="carbon productivity divides GDP by emissions")
            x = _col(ind, "gdp_1e4CNY") / e
        if x.sum() <= 0:
            raise bad_input("indicators", f"principle {m}: the indicator sums to 0; no share can be formed: give "
                                          f"non-zero values or choose another principle")
        out[m] = x / x.sum()
    return pd.DataFrame(out, index=ind.index)


def allocate(ind: pd.DataFrame, quota: float, *, principles: Sequence[str] | None = None,
             weights: dict[str, float] | str | None = None, normalise_weights: bool = False,
             allow_implausible: bool = False) -> tuple[pd.DataFrame, pd.Series]:
    """Q_i = Q × Σ_m w_m s_{m,i}. One principle → that principle alone. ``weights``: a dict with one weight per
    principle, summing to 1 (no default), or ``"entropy"`` (entropy weights of the share matrix). Weights that
    do not sum to 1 are an error unless ``normalise_weights=True``: they are then divided by their sum, a warning
    says so and the returned weights carry ``.attrs["normalised_from_sum"]``. Returns (table, weights used).

    With GDP and population columns, a per-capita GDP outside the plausible range, and with emissions, a quota
    more than 1000× away from Σ emissions, are refused as unit errors unless ``allow_implausible=True``."""
    try:
        quota = float(quota) if not isinstance(quota, bool) else np.nan
    except (TypeError, ValueError):
        quota = np.nan
    if not np.isfinite(quota) or quota < 0:
        raise bad_input("quota", "the quota is not a number ≥ 0; expected a total in t CO2e (with its unit)")
    if isinstance(weights, str) and weights != "entropy":
        raise bad_input("weights", f"found {weights!r}; expected name=value pairs or 'entropy'"
                                   f"{did_you_mean(weights, ('entropy',))}")
    if not principles and isinstance(weights, dict):  # the principles are the weights' names
        unknown_names("weights", "principles in the weights", list(weights), PRINCIPLES)
    principles = list(principles or (list(weights) if isinstance(weights, dict) else PRINCIPLES))
    S = principle_shares(ind, principles)
    _check_amounts(ind, quota, allow_implausible)
    if isinstance(weights, dict) and len(principles) == 1 and list(weights) != principles:
        unknown_names("weights", "principles in the weights", list(weights), principles)
    if len(principles) == 1:
        w = pd.Series([1.0], index=principles, name="weight")
        w.attrs["normalised_from_sum"] = None
    elif weights == "entropy":
        w = entropy_weights(S)
        w.attrs["normalised_from_sum"] = None
    elif isinstance(weights, dict):
        unknown_names("weights", "principles in the weights", list(weights), principles)
        missing = [m for m in principles if m not in weights]
        if missing:
            raise bad_input("weights", f"principles {missing} have no weight; expected one weight for each of "
                                       f"{principles}: add them (or leave those principles out)")
        w = numeric_weights({m: weights[m] for m in principles}, "weights")
        w = weights_summing_to_one(w, key="weights", what="composite weights", normalise=normalise_weights)
    else:
        raise bad_input(
            "weights", "a composite of several principles needs weights: give them (e.g. population=0.3,"
                       "efficiency=0.7) or choose entropy weights; methods.md §6.1 names no default")
    share = S.to_numpy() @ w.reindex(S.columns).to_numpy()
    out = S.add_prefix("share_")
    out["share"] = share
    out["quota_tCO2e"] = quota * share
    return out, w


def _check_amounts(ind: pd.DataFrame, quota: float, allow_implausible: bool) -> None:
    """Plausibility of the indicator units and of the quota against Σ emissions (both suspect a unit)."""
    if allow_implausible:
        return
    if "gdp_1e4CNY" in ind.columns and "population" in ind.columns:
        g, p = _col(ind, "gdp_1e4CNY"), _col(ind, "population")
        ok = (p > 0) & (g > 0)  # zeros are refused where a principle divides by them, not here
        check_per_capita_gdp(g[ok], p[ok], ind.index[ok], None, key="indicators")
    if "emission_tCO2e" in ind.columns and quota > 0:
        e = float(_col(ind, "emission_tCO2e").sum())
        lo, hi = QUOTA_RATIO_PLAUSIBLE
        if e > 0 and not lo <= quota / e <= hi:
            raise bad_input("quota", f"the quota is {quota:.6g} t CO2e but the zones emit {e:.6g} t CO2e in all, "
                                     f"a ratio of {quota / e:.3g}, outside the plausible {lo:g}-{hi:g}; the quota unit "
                                     f"looks wrong (t vs 10^4 t vs Mt CO2e): give quota_unit, or pass "
                                     f"allow_implausible=True if the quota is right")


# --------------------------------------------------------------------------------------------------
# DEA with HiGHS


def _solve_lp(c, A_ub, b_ub, A_eq=None, b_eq=None):
    """min c·x s.t. A_ub x ≤ b_ub, A_eq x = b_eq, x ≥ 0 (θ free is handled by its bound in the caller)."""
    if have("scipy"):
        from scipy.optimize import linprog

        bounds = [(None, None)] + [(0, None)] * (len(c) - 1)
        res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if res.status != 0:
            raise InfeasibleError(f"DEA linear programme failed: {res.message}")
        return res.x
    highspy = require("highspy", extra="optimize")
    n = len(c)
    rows = [(A_ub, -np.inf, b_ub)] + ([(A_eq, b_eq, b_eq)] if A_eq is not None else [])
    A = np.vstack([r[0] for r in rows])
    lo = np.concatenate([np.broadcast_to(r[1], len(r[2])) for r in rows])
    hi = np.concatenate([np.asarray(r[2], float) for r in rows])
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, A.shape[0]
    lp.col_cost_ = np.asarray(c, float)
    lp.col_lower_ = np.array([-highspy.kHighsInf] + [0.0] * (n - 1))
    lp.col_upper_ = np.full(n, highspy.kHighsInf)
    lp.row_lower_ = np.where(np.isfinite(lo), lo, -highspy.kHighsInf)
    lp.row_upper_ = hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    start, index, value = [0], [], []
    for j in range(n):
        nz = np.nonzero(A[:, j])[0]
        index += nz.tolist()
        value += A[nz, j].tolist()
        start.append(len(index))
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = start, index, value
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise InfeasibleError(f"DEA linear programme failed: {h.modelStatusToString(h.getModelStatus())}")
    return np.asarray(h.getSolution().col_value)


def dea_efficiency(X: np.ndarray, Y: np.ndarray, *, vrs: bool = False, radial: np.ndarray | None = None
                   ) -> np.ndarray:
    """Input-oriented CCR (``vrs=False``) or BCC efficiency θ_o of every unit.

    θ_o = min θ  s.t.  Σ_j λ_j x_mj ≤ θ x_mo (radial inputs) or ≤ x_mo (non-radial); Σ_j λ_j y_rj ≥ y_ro; λ ≥ 0.
    ``X``: (n, m) inputs, ``Y``: (n, s) outputs; ``radial``: boolean per input (default all radial).
    """
    X = np.asarray(X, float)
    Y = np.asarray(Y, float)
    n, m = X.shape
    rad = np.ones(m, bool) if radial is None else np.asarray(radial, bool)
    theta = np.empty(n)
    for o in range(n):
        # variables: θ, λ_1..λ_n
        c = np.zeros(n + 1)
        c[0] = 1.0
        A_in = np.hstack([np.where(rad, -X[o], 0.0)[:, None], X.T])
        b_in = np.where(rad, 0.0, X[o])
        A_out = np.hstack([np.zeros((Y.shape[1], 1)), -Y.T])
        b_out = -Y[o]
        A_eq = b_eq = None
        if vrs:
            A_eq = np.concatenate([[0.0], np.ones(n)])[None, :]
            b_eq = np.array([1.0])
        x = _solve_lp(c, np.vstack([A_in, A_out]), np.concatenate([b_in, b_out]), A_eq, b_eq)
        theta[o] = x[0]
    return theta


def zsg_reallocate(q: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """q'_i = θ_i q_i + Σ_{j≠i} [q_i / Σ_{l≠j} q_l] × q_j (1 − θ_j)   (conserves Σ q)."""
    q = np.asarray(q, float)
    theta = np.asarray(theta, float)
    total = q.sum()
    cut = q * (1.0 - theta)                # what unit j gives up
    others = total - q                     # Σ_{l≠j} q_l
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(others > 0, cut / others, 0.0)   # q_j (1 − θ_j) / Σ_{l≠j} q_l
    gain = q * (per.sum() - per)           # Σ_{j≠i} q_i × per_j
    return theta * q + gain


def zsg_dea(ind: pd.DataFrame, initial_quota: pd.Series | np.ndarray, *, inputs: Sequence[str] = (),
            outputs: Sequence[str] = ("gdp_1e4CNY",), vrs: bool = False, tol: float = 1e-4, max_iter: int = 100,
            radial: str = "all") -> tuple[pd.DataFrame, pd.DataFrame]:
    """ZSG-DEA redistribution of a fixed total quota (methods.md §6.3).

    The quota is the zero-sum input; ``inputs`` are further fixed inputs (population, capital, energy),
    ``outputs`` the outputs (GDP). Iterates θ → q' until min θ ≥ 1 − ``tol`` or ``max_iter`` iterations [D].
    Each iteration takes the full proportional step of §6.3; if the largest change of q does not shrink
    (the full step overshoots and oscillates, as it does for two units with one input and one output), the step
    is halved (q ← q + α (q' − q), α = 1, ½, ¼ …), which keeps Σ q. ``radial="quota"`` scales only the quota
    in the LP (others fixed). Returns (final table, iteration log).
    """
    q = np.asarray(initial_quota, float).copy()
    if q.ndim != 1 or len(q) != len(ind):
        raise bad_input("quota", f"the initial quota has {q.size} values for {len(ind)} units; expected one per unit")
    if not np.all(np.isfinite(q)) or (q <= 0).any():
        raise bad_input("quota", "ZSG-DEA needs a positive initial quota for every unit; found zero, negative or "
                                 "missing ones (a principle that gives some zone nothing cannot start ZSG-DEA)")
    if not (tol > 0 and tol < 1) or int(max_iter) != max_iter or max_iter < 0:
        raise bad_input("tol", f"tol {tol!r} and max_iter {max_iter!r}; expected 0 < tol < 1 and an integer "
                               f"max_iter ≥ 0")
    Xf = np.column_stack([_col(ind, c) for c in inputs]) if inputs else np.empty((len(ind), 0))
    Y = np.column_stack([_col(ind, c) for c in outputs])
    if (Y <= 0).any():
        i, j = (int(x[0]) for x in np.nonzero(Y <= 0))
        raise bad_input("dea_outputs", f"ZSG-DEA output {outputs[j]!r} is {Y[i, j]:g} for zone {ind.index[i]}; "
                                       f"expected > 0 for every zone (the efficiency LP divides by it)")
    if radial not in ("all", "quota"):
        raise bad_input("radial", f"radial={radial!r}; expected 'all' or 'quota'")
    rad = np.array([True] + [radial == "all"] * Xf.shape[1])
    total = q.sum()
    alpha, last_change = 1.0, np.inf
    log = []
    q0 = q.copy()
    converged = False
    for it in range(max_iter + 1):
        theta = dea_efficiency(np.column_stack([q, Xf]), Y, vrs=vrs, radial=rad)
        log.append({"iteration": it, "min_theta": float(theta.min()), "mean_theta": float(theta.mean()),
                    "step": alpha, **{f"q_{i}": v for i, v in zip(ind.index, q)},
                    **{f"theta_{i}": v for i, v in zip(ind.index, theta)}})
        if theta.min() >= 1 - tol:
            converged = True
            break
        if it == max_iter:
            break
        target = zsg_reallocate(q, theta)
        change = np.abs(target - q).max()
        if change >= last_change * (1 - 1e-12) and alpha > 1 / 1024:
            alpha /= 2
        last_change = change
        q = q + alpha * (target - q)
        q *= total / q.sum()  # guard rounding drift; Σ q is conserved exactly by the formula
    if not converged:
        warnings.warn(f"ZSG-DEA did not reach min θ ≥ {1 - tol:g} in {max_iter} iterations (min θ = {theta.min():.5f})",
                      LandcarbonWarning, stacklevel=2)
    out = pd.DataFrame({"initial_quota_tCO2e": q0, "theta_initial": log[0]["min_theta"] * 0 + np.array(
        [log[0][f"theta_{i}"] for i in ind.index]), "quota_tCO2e": q, "theta_final": theta}, index=ind.index)
    out["change_tCO2e"] = out["quota_tCO2e"] - out["initial_quota_tCO2e"]
    out.attrs["converged"] = converged
    out.attrs["iterations"] = len(log) - 1
    return out, pd.DataFrame(log)


# --------------------------------------------------------------------------------------------------
# the spec

_ZSG = Equals("method", "zsg-dea")
SPEC = ModelSpec(
    id="allocation", version="2", title_en="Quota allocation and ZSG-DEA", title_zh="碳排放配额分配",
    methods_ref="methods.md §6",
    doc="Share a total quota among zones by a principle, a weighted or entropy-weighted composite, or ZSG-DEA; "
        "with a balance run, the compensation transfers between zones.",
    examples=("landcarbon allocate --indicators ind.csv --quota 900 --quota-unit '1e4 t CO2' --method entropy "
              "--out al",),
    inputs=(
        TableIn("indicators", required=True, label_zh="分区指标表",
                doc="One row per zone: zone and the indicators the method needs (units in the column names); "
                    "further DEA inputs such as capital or energy",
                columns=(Column("zone"),
                         Column("population", "persons", aliases=("population_1e4",), required=False,
                                doc="population (persons) or population_1e4 (10^4 persons)"),
                         Column("gdp_1e4CNY", "10^4 CNY", aliases=("gdp_1e8CNY", "gdp_CNY"), required=False),
                         Column("emission_tCO2e", "t CO2e/a", required=False,
                                aliases=("emission_1e4tCO2e", "emission_1e4tCO2", "emission_tCO2")))),
        Input("indicators_sheet", kind="text", label_zh="指标表工作表",
              doc="Sheet of an XLSX indicator table (default: the first sheet)"),
        NumberIn("quota", units="t CO2e | 1e4 t CO2e | Mt CO2e", minimum=0, required=True, label_zh="配额总量",
                 doc="Total quota to share, in quota_unit"),
        Input("quota_unit", kind="choice", choices=tuple(QUOTA_UNIT_NAMES), required=True, label_zh="配额单位",
              doc="Unit of quota (no default: t, 10^4 t and Mt are all in use)"),
        Input("method", kind="choice", choices=METHODS, default="entropy", label_zh="分配方法",
              doc="A principle alone, a composite with weights, entropy-weighted composite, or ZSG-DEA after an "
                  "initial allocation (dea_initial)"),
        Input("principles", kind="choice", choices=PRINCIPLES, multiple=True, label_zh="分配原则",
              doc="Principles of a composite or entropy allocation (default: all five)"),
        Input("weights", kind="pair", multiple=True, metavar="PRINCIPLE=WEIGHT", label_zh="原则权重",
              doc="Composite weights, one per principle, summing to 1 (no default), e.g. population=0.3 "
                  "efficiency=0.7"),
        Input("normalise_weights", kind="flag", default=False, label_zh="权重归一化",
              doc="Divide weights that do not sum to 1 by their sum (stated in the summary); without it they are "
                  "an error"),
        Input("dea_initial", kind="choice", choices=(*PRINCIPLES, "composite"), default="grandfathering",
              label_zh="ZSG-DEA 初始分配", doc="Initial allocation before ZSG-DEA: a principle or composite"),
        Input("dea_inputs", kind="text", multiple=True, label_zh="DEA 投入",
              doc="Further fixed DEA inputs, columns of the indicator table (e.g. population capital)"),
        Input("dea_outputs", kind="text", multiple=True, default=("gdp_1e4CNY",), label_zh="DEA 产出",
              doc="DEA outputs, columns of the indicator table"),
        Input("vrs", kind="flag", default=False, label_zh="规模报酬可变",
              doc="BCC (variable returns to scale) instead of CCR in ZSG-DEA"),
        TableIn("balance", label_zh="碳收支表",
                doc="balance_by_zone.csv of a balance run: also write the compensation transfers between zones "
                    "(Pearl-corrected values when present, else the allowance form)",
                columns=(Column("zone"), Column("year"), Column("value_allowance_CNY", "CNY/a"),
                         Column("value_pearl_CNY", "CNY/a", required=False))),
        Input("balance_sheet", kind="text", label_zh="碳收支表工作表",
              doc="Sheet of an XLSX balance table (default: the first sheet)"),
        Input("balance_year", kind="year", label_zh="补偿年份",
              doc="Year of the balance table for the transfers (default: every year)"),
        Input("allow_implausible", kind="flag", default=False, label_zh="允许异常值",
              doc="Accept a per-capita GDP outside 100-10^7 CNY/person or a quota more than 1000× away from the "
                  "zones' emissions (otherwise refused as suspected unit errors)"),
    ),
    outputs=(
        TableOut("allocation.csv", doc="Share per principle, composite share and quota per zone",
                 doc_zh="各分区各原则份额、综合份额与配额",
                 columns=(Column("zone"), Column("share", "-"), Column("quota_tCO2e", "t CO2e"))),
        TableOut("weights.csv", doc="Weight of each principle used", doc_zh="各原则权重",
                 columns=(Column("principle"), Column("weight", "-"))),
        TableOut("zsg_dea.csv", when=_ZSG, doc="ZSG-DEA: initial and final quota and efficiency per zone",
                 doc_zh="ZSG-DEA 初始与最终配额及效率",
                 columns=(Column("zone"), Column("initial_quota_tCO2e", "t CO2e"), Column("theta_initial", "-"),
                          Column("quota_tCO2e", "t CO2e"), Column("theta_final", "-"),
                          Column("change_tCO2e", "t CO2e"))),
        TableOut("zsg_dea_iterations.csv", when=_ZSG, doc="ZSG-DEA iterations: efficiency, step and quotas",
                 doc_zh="ZSG-DEA 迭代过程", columns=(Column("iteration"), Column("min_theta", "-"))),
        TableOut("compensation_transfers.csv", when=Present("balance"),
                 doc="Transfers payer → receiver per year from the balance table",
                 doc_zh="逐年补偿转移（支付方 → 受偿方）",
                 columns=(Column("year"), Column("payer"), Column("receiver"), Column("amount_CNY", "CNY/a"),
                          Column("value_form"))),
    ),
)
