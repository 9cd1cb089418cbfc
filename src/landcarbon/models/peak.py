"""Carbon peak projection with an extended STIRPAT model fitted by ridge regression (methods.md §5).

    ln C = b0 + Σ_j b_j ln X_j [+ γ (ln A)²] + ε

Ridge on standardised variables (correlation form):

    β*(k) = (R + kI)⁻¹ r ;  b_j = β*_j sd_y / sd_j ;  b0 = mean_y − Σ b_j mean_j
    ridge VIF(k) = diag[(R + kI)⁻¹ R (R + kI)⁻¹]

With every OLS VIF ≤ 10 the fit is OLS (k = 0, step 1 of §5.2); otherwise k is chosen on the grid
0, 0.01 … 1 as the smallest k at which every ridge VIF ≤ 10 and every β*_j
changes by less than 1 % from k to k + 0.01 [D], or fixed by the user. SE(B) by bootstrap over years
(1 000 resamples [D], explicit seed); the same draws give the uncertainty band of each projection.

Scenarios set, per period, the growth rate (% per year) or the level of each driver; the projection runs
to 2060 (default), and the peak of each path is detected as in §5.4.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.errors import LandcarbonWarning
from ..core.spec import Column, Input, ModelSpec, NumberIn, Output, TableIn, TableOut
from .weights import bad_input, check_seed, did_you_mean, unknown_names

#: unit suffixes of the history's emissions column (emissions_<unit>, case-insensitive) → factor to t CO2
UNIT_NAMES = {"1e4tCO2": 1e4, "1e4tCO2e": 1e4, "万吨": 1e4, "tCO2": 1.0, "tCO2e": 1.0, "MtCO2": 1e6, "MtCO2e": 1e6}
EMISSION_UNITS = {k.lower(): f for k, f in UNIT_NAMES.items()}
AFTER_LAST = ("hold", "zero", "error")
K_GRID = np.round(np.arange(0.0, 1.0 + 1e-9, 0.01), 2)
VIF_MAX = 10.0
STABILITY = 0.01


# --------------------------------------------------------------------------------------------------
# history


def emissions_column(history: pd.DataFrame) -> tuple[str, float, str]:
    """The emissions column of a history table and its factor to t CO2."""
    hits = []
    for c in history.columns:
        m = re.fullmatch(r"(?:emissions?|co2|ce)_(.+)", str(c).strip(), flags=re.IGNORECASE)
        if m and m.group(1).lower().replace(" ", "") in EMISSION_UNITS:
            hits.append((c, EMISSION_UNITS[m.group(1).lower().replace(" ", "")], m.group(1)))
    if len(hits) > 1:
        # the second one would otherwise be taken as a driver: ln C regressed on ln C, a perfect and meaningless fit
        raise bad_input("history", f"history table has {len(hits)} emissions columns {[str(h[0]) for h in hits]}; "
                                   f"expected one (any other column is taken as a driver): keep one of them")
    if hits:
        return hits[0]
    raise bad_input("history",
                    f"history table has columns {list(history.columns)}; expected an emissions column with its unit: "
                    f"emissions_1e4tCO2 (10^4 t CO2, the STIRPAT literature's unit), emissions_tCO2 or emissions_MtCO2")


def check_series(history: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Sorted by year; refuses duplicates, year gaps, missing or non-positive values (ln needs > 0)."""
    if "year" not in history.columns:
        raise bad_input("history", f"history table has columns {list(history.columns)}; it lacks 'year'")
    h = history.copy()
    h["year"] = pd.to_numeric(h["year"], errors="coerce")
    if h["year"].isna().any():
        raise bad_input("history", "history table: some years are empty or not numbers; expected years such as 2020")
    h["year"] = h["year"].astype(int)
    dupmask = h["year"].duplicated(keep=False).to_numpy()
    if dupmask.any():
        rows = ", ".join(map(str, (np.flatnonzero(dupmask) + 1)[:10]))
        raise bad_input("history", f"history table: years {sorted(set(h['year'][dupmask]))} appear more than once "
                                   f"(data rows {rows}); expected one row per year: remove the duplicates")
    h = h.sort_values("year").reset_index(drop=True)
    years = h["year"].to_numpy()
    gaps = sorted(set(range(years[0], years[-1] + 1)) - set(years))
    if gaps:
        raise bad_input(
            "history", f"history series {years[0]}-{years[-1]} has a year gap: {gaps} missing. STIRPAT needs an annual series "
            f"without gaps; add the missing years (interpolating them is your decision to record) or start the "
            f"series after the gap")
    for c in columns:
        v = pd.to_numeric(h[c], errors="coerce")
        if v.isna().all():
            raise bad_input("history", f"history column {c!r} holds no numbers (found {h[c].iloc[0]!r}); every column "
                                       f"but year and the emissions is taken as a driver unless drivers are chosen: "
                                       f"drop the column, or name the driver columns (⟨drivers⟩)")
        if v.isna().any():
            bad = list(h.loc[v.isna(), "year"])
            raise bad_input("history", f"history column {c!r} is empty or not numeric in years {bad}; empty is not "
                                       f"zero: fill it, or leave the column out of the drivers")
        if (v <= 0).any():
            bad = list(h.loc[v <= 0, "year"])
            raise bad_input(
                "history", f"history column {c!r} has values ≤ 0 in years {bad}; STIRPAT takes logarithms, so every driver and "
                f"the emissions must be positive (shares in %, not as differences)")
        h[c] = v.astype(float)
    return h


# --------------------------------------------------------------------------------------------------
# ridge in correlation form


def _standardise(X: np.ndarray, y: np.ndarray):
    mx, sx = X.mean(axis=0), X.std(axis=0, ddof=1)
    my, sy = y.mean(), y.std(ddof=1)
    if np.any(sx == 0):
        raise bad_input("drivers", "a driver is constant over the history; it carries no information: drop it")
    if sy == 0:
        raise bad_input("history", "emissions are constant over the history; nothing to fit")
    Z = (X - mx) / sx
    n = len(y)
    R = (Z.T @ Z) / (n - 1)
    r = (Z.T @ ((y - my) / sy)) / (n - 1)
    return R, r, mx, sx, my, sy


def ridge_path(R: np.ndarray, r: np.ndarray, ks: np.ndarray = K_GRID) -> tuple[np.ndarray, np.ndarray]:
    """β*(k) and ridge VIF(k) for every k of the grid: arrays (len(ks), p)."""
    p = len(r)
    betas = np.empty((len(ks), p))
    vifs = np.empty((len(ks), p))
    eye = np.eye(p)
    for i, k in enumerate(ks):
        Ainv = np.linalg.pinv(R + k * eye)
        betas[i] = Ainv @ r
        vifs[i] = np.diag(Ainv @ R @ Ainv)
    return betas, vifs


def choose_k(betas: np.ndarray, vifs: np.ndarray, ks: np.ndarray = K_GRID) -> tuple[float, str]:
    """The default rule [D]: smallest k with every VIF ≤ 10 and every β* changing < 1 % to k + 0.01."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(betas[1:] - betas[:-1]) / np.abs(betas[:-1])
    rel = np.where(np.isfinite(rel), rel, np.inf)
    ok_vif = np.all(vifs[:-1] <= VIF_MAX, axis=1)
    stable = np.all(rel < STABILITY, axis=1)
    both = np.nonzero(ok_vif & stable)[0]
    if both.size:
        return float(ks[both[0]]), "smallest k with every ridge VIF ≤ 10 and every β* stable within 1 %"
    cand = np.nonzero(ok_vif)[0]
    if cand.size:
        i = cand[np.argmin(rel[cand].max(axis=1))]
        msg = (f"no k on 0..1 meets both VIF ≤ 10 and 1 % stability; chose k = {ks[i]:g}, the most stable k with "
               f"every VIF ≤ 10; inspect the ridge trace and consider fixing k")
        warnings.warn(msg, LandcarbonWarning, stacklevel=3)
        return float(ks[i]), msg
    msg = "even k = 1 leaves a ridge VIF above 10; chose k = 1; drop a collinear driver"
    warnings.warn(msg, LandcarbonWarning, stacklevel=3)
    return float(ks[-1]), msg


def _fit_k(X: np.ndarray, y: np.ndarray, k: float) -> np.ndarray:
    """(b0, b_1 … b_p) on the ln scale for a fixed k."""
    R, r, mx, sx, my, sy = _standardise(X, y)
    beta = np.linalg.pinv(R + k * np.eye(len(r))) @ r
    b = beta * sy / sx
    return np.concatenate([[my - b @ mx], b])


@dataclass
class StirpatFit:
    """A fitted (or given) STIRPAT model on the ln scale, in the history's emissions unit."""

    drivers: list[str]
    coef: np.ndarray                 # (b0, b_1 … b_p), the last one γ when kuznets
    unit: str                        # emissions unit of the history, e.g. "1e4tCO2"
    unit_to_tco2: float
    kuznets: str | None = None       # the driver A whose (ln A)² enters
    k: float | None = None
    k_rule: str = ""
    beta_std: np.ndarray | None = None
    se: np.ndarray | None = None
    draws: np.ndarray | None = None  # bootstrap coefficient draws (n_boot, 1 + p)
    r2: float | None = None
    mape_pct: float | None = None
    vif_ols: np.ndarray | None = None
    vif_ridge: np.ndarray | None = None
    trace: pd.DataFrame | None = None
    smearing: float = 1.0
    base_year: int | None = None
    base_values: dict[str, float] = field(default_factory=dict)
    fitted: pd.DataFrame | None = None
    n_years: int = 0

    @property
    def terms(self) -> list[str]:
        return [f"ln_{d}" for d in self.drivers] + ([f"ln_{self.kuznets}_sq"] if self.kuznets else [])

    def design(self, levels: pd.DataFrame) -> np.ndarray:
        ln = np.log(levels[self.drivers].to_numpy(float))
        if self.kuznets:
            ln = np.column_stack([ln, np.log(levels[self.kuznets].to_numpy(float)) ** 2])
        return ln

    def predict(self, levels: pd.DataFrame, coef: np.ndarray | None = None) -> np.ndarray:
        c = self.coef if coef is None else coef
        return np.exp(c[0] + self.design(levels) @ c[1:]) * self.smearing

    def coefficients_table(self) -> pd.DataFrame:
        names = ["constant"] + self.terms
        t = pd.DataFrame({"term": names, "B": self.coef})
        if self.se is not None:
            t["SE_bootstrap"] = self.se
        if self.beta_std is not None:
            t["Beta"] = np.concatenate([[np.nan], self.beta_std])
        if self.vif_ols is not None:
            t["VIF_ols"] = np.concatenate([[np.nan], self.vif_ols])
        if self.vif_ridge is not None:
            t["VIF_ridge"] = np.concatenate([[np.nan], self.vif_ridge])
        return t


def stirpat_from_coefficients(coefficients: dict[str, float], *, unit: str = "1e4tCO2",
                              kuznets: str | None = None, gamma: float | None = None) -> StirpatFit:
    """A STIRPAT model with published coefficients (e.g. the Tianjin fit of methods.md §5.2):
    ``{"constant": 3.983, "pcgdp": 0.142, …}`` on the ln scale."""
    if "constant" not in coefficients:
        raise bad_input("coefficients", f"coefficients need a 'constant' (b0) entry"
                                        f"{did_you_mean('constant', list(coefficients))}")
    drivers = [d for d in coefficients if d != "constant"]
    if kuznets is not None and kuznets not in drivers:
        raise bad_input("kuznets", f"kuznets driver {kuznets!r} is not among the drivers {drivers}"
                                   f"{did_you_mean(kuznets, drivers)}")
    coef = [coefficients["constant"]] + [coefficients[d] for d in drivers]
    if kuznets:
        if gamma is None:
            raise bad_input("gamma", "a Kuznets term needs its coefficient gamma; give it")
        coef.append(gamma)
    try:
        coef_a = np.asarray(coef, dtype=float)
    except (TypeError, ValueError):
        coef_a = np.array([np.nan])
    if not np.all(np.isfinite(coef_a)):
        raise bad_input("coefficients", f"coefficients {dict(coefficients)} include a non-numeric or missing value; "
                                        f"expected numbers on the ln scale")
    u = unit.lower().replace(" ", "")
    if u not in EMISSION_UNITS:
        raise bad_input("unit", f"emissions unit {unit!r}{did_you_mean(u, EMISSION_UNITS)}; expected one of "
                                f"{sorted(EMISSION_UNITS)}")
    return StirpatFit(drivers, coef_a, unit, EMISSION_UNITS[u], kuznets=kuznets,
                      k_rule="published coefficients")


def prepare_history(history: pd.DataFrame, drivers: list[str] | None = None, *, kuznets: str | None = None
                    ) -> tuple[pd.DataFrame, str, float, str, list[str]]:
    """The checked history (sorted; no duplicate or missing years; every value > 0; no constant driver; enough
    years for the regressors) → ``(history, emissions column, factor to t CO2, unit, drivers)``. Cheap."""
    ecol, to_t, unit = emissions_column(history)
    if drivers is None:
        drivers = [c for c in history.columns if c not in ("year", ecol)]
    if not drivers:
        raise bad_input("history", "history table has no driver columns (population, pcgdp, energy_intensity …); "
                                   "add them")
    unknown_names("drivers", "drivers (columns of the history table)", list(drivers),
                  [c for c in history.columns if c not in ("year", ecol)])
    if kuznets is not None and kuznets not in drivers:
        raise bad_input("kuznets", f"kuznets driver {kuznets!r} must be one of the drivers {drivers}"
                                   f"{did_you_mean(kuznets, drivers)}")
    h = check_series(history, [ecol, *drivers])
    const = [d for d in drivers if h[d].nunique() == 1]
    if const:
        raise bad_input("drivers", f"drivers {const} are constant over the history; a constant carries no "
                                   f"information for the fit: leave them out of the drivers")
    n = len(h)
    p = len(drivers) + (1 if kuznets else 0)
    if n < p + 3:
        raise bad_input("history", f"history has {n} years for {p} regressors; STIRPAT needs at least {p + 3} "
                                   f"(10 or more recommended)")
    return h, ecol, to_t, unit, list(drivers)


def fit_stirpat(history: pd.DataFrame, drivers: list[str] | None = None, *, k: float | str = "auto",
                kuznets: str | None = None, n_boot: int = 1000, seed: int = 0, smearing: bool = False,
                min_years: int = 10) -> StirpatFit:
    """Fit ln C on ln X_j by ridge regression (methods.md §5.2).

    ``history``: year, an emissions column with its unit (emissions_1e4tCO2 …) and the driver columns
    (levels > 0). ``drivers`` defaults to every other numeric column. ``k``: "auto" (default rule) or a
    number in [0, 1]. ``kuznets``: a driver whose squared log enters (EKC test).
    """
    seed = check_seed(seed)
    n_boot = check_seed(n_boot, "n_boot")
    if isinstance(k, str) and k != "auto":
        try:
            k = float(k)
        except ValueError:
            raise bad_input("k", f"ridge k {k!r}; expected 'auto' or a number in [0, 1]") from None
    h, ecol, to_t, unit, drivers = prepare_history(history, drivers, kuznets=kuznets)
    n = len(h)
    p = len(drivers) + (1 if kuznets else 0)
    if n < min_years:
        warnings.warn(f"history has {n} years; at least {min_years} are recommended (methods.md §5.2)",
                      LandcarbonWarning, stacklevel=2)
    fit = StirpatFit(list(drivers), np.zeros(p + 1), unit, to_t, kuznets=kuznets)
    X = fit.design(h)
    y = np.log(h[ecol].to_numpy(float))
    R, r, mx, sx, my, sy = _standardise(X, y)
    try:
        vif_ols = np.diag(np.linalg.inv(R))
    except np.linalg.LinAlgError:
        vif_ols = np.full(p, np.inf)
    betas, vifs = ridge_path(R, r)
    if k == "auto" and np.all(vif_ols <= VIF_MAX):
        kk, rule = 0.0, "OLS (k = 0): every VIF ≤ 10, so no ridge is needed (methods.md §5.2 step 1)"
    elif k == "auto":
        kk, rule = choose_k(betas, vifs)
    else:
        kk = float(k)
        if not 0 <= kk <= 1:
            raise bad_input("k", f"ridge k = {kk:g}; expected a number in [0, 1] or 'auto'")
        rule = "fixed by the user"
    beta = np.linalg.pinv(R + kk * np.eye(p)) @ r
    Ainv = np.linalg.pinv(R + kk * np.eye(p))
    b = beta * sy / sx
    coef = np.concatenate([[my - b @ mx], b])
    yhat = coef[0] + X @ coef[1:]
    ss_res = float(np.sum((y - yhat) ** 2))
    ss_tot = float(np.sum((y - my) ** 2))
    smear = float(np.mean(np.exp(y - yhat))) if smearing else 1.0
    chat = np.exp(yhat) * smear
    obs = h[ecol].to_numpy(float)
    # bootstrap over years (rows), fixed k, explicit seed
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(int(n_boot)):
        idx = rng.integers(0, n, n)
        Xb, yb = X[idx], y[idx]
        if np.any(Xb.std(axis=0, ddof=1) == 0) or yb.std(ddof=1) == 0:
            continue
        draws.append(_fit_k(Xb, yb, kk))
    draws_a = np.asarray(draws) if draws else None
    trace = pd.DataFrame(betas, columns=[f"beta_{t}" for t in fit.terms]).assign(k=K_GRID)
    for j, t in enumerate(fit.terms):
        trace[f"vif_{t}"] = vifs[:, j]
    fit.coef = coef
    fit.k, fit.k_rule = kk, rule
    fit.beta_std = beta
    fit.se = draws_a.std(axis=0, ddof=1) if draws_a is not None and len(draws_a) > 1 else None
    fit.draws = draws_a
    fit.r2 = 1.0 - ss_res / ss_tot
    fit.mape_pct = float(np.mean(np.abs(chat - obs) / obs) * 100.0)
    fit.vif_ols = vif_ols
    fit.vif_ridge = np.diag(Ainv @ R @ Ainv)
    fit.trace = trace[["k", *[c for c in trace.columns if c != "k"]]]
    fit.smearing = smear
    fit.base_year = int(h["year"].iloc[-1])
    fit.base_values = {d: float(h[d].iloc[-1]) for d in drivers}
    fit.fitted = pd.DataFrame({"year": h["year"], f"observed_{unit}": obs, f"fitted_{unit}": chat})
    fit.n_years = n
    return fit


from .peak_scenarios import (  # noqa: E402, F401  (the scenario half of the model)
    REFERENCE_COLUMN_MAP,
    Scenario,
    detect_peak,
    driver_paths,
    parse_scenarios,
    project,
    reference_scenarios,
)

# --------------------------------------------------------------------------------------------------
# the spec

_U = "history unit (e.g. 10^4 t CO2/a)"
SPEC = ModelSpec(
    id="peak", version="2", title_en="STIRPAT carbon-peak projection", title_zh="碳达峰预测 (STIRPAT)",
    methods_ref="methods.md §5",
    doc="Ridge (or OLS) fit of ln C on the log drivers, scenario projection with a bootstrap band, peak years.",
    examples=("landcarbon peak --history history.csv --scenarios scenarios.csv --bootstrap 1000 --seed 0 --out pk",),
    inputs=(
        TableIn("history", required=True, label_zh="历史序列",
                doc="Annual series without gaps: year, an emissions column with its unit (emissions_1e4tCO2, "
                    "emissions_tCO2, emissions_MtCO2 …) and one column per driver (levels > 0)",
                columns=(Column("year", "year"),
                         Column("emissions_1e4tCO2", "10^4 t CO2/a",
                                aliases=tuple(f"emissions_{u}" for u in UNIT_NAMES if u != "1e4tCO2"),
                                doc="emissions in the unit of the name; every other column is a driver"))),
        Input("history_sheet", kind="text", label_zh="历史序列工作表",
              doc="Sheet of an XLSX history table (default: the first sheet)"),
        TableIn("scenarios", kind="reference", required=True, label_zh="情景表",
                doc="Scenario table (scenario, period YYYY-YYYY, <driver>_growth_pct in %/a or <driver>_level), or "
                    "reference:<study> for a published set of reference/stirpat_scenarios.csv",
                columns=(Column("scenario"), Column("period", "YYYY-YYYY"))),
        Input("scenarios_sheet", kind="text", label_zh="情景表工作表",
              doc="Sheet of an XLSX scenario table (default: the first sheet)"),
        Input("drivers", kind="text", multiple=True, label_zh="驱动因素",
              doc="Driver columns of the history (default: every column but year and the emissions)"),
        NumberIn("ridge_k", units="-", minimum=0, maximum=1, label_zh="岭参数",
                 doc="Ridge parameter k (default: OLS when every VIF ≤ 10, else the smallest stable k with every "
                     "ridge VIF ≤ 10)"),
        Input("kuznets", kind="text", label_zh="库兹涅茨项",
              doc="A driver whose squared log enters too (environmental Kuznets curve test), e.g. pcgdp"),
        Input("horizon", kind="year", default=2060, label_zh="预测终年",
              doc="Last year of the projection, from 2030 to 2100"),
        Input("after_last", kind="choice", choices=AFTER_LAST, default="hold", label_zh="末期之后",
              doc="Driver paths after the last scenario period: hold the last growth rate and level, zero growth, "
                  "or error"),
        Input("n_boot", kind="integer", minimum=0, default=1000, flag="--bootstrap", label_zh="自助抽样次数",
              doc="Bootstrap resamples over years for SE(B) and the 5-95 % band (0: no band)"),
        Input("smearing", kind="flag", default=False, label_zh="Duan 平滑因子",
              doc="Multiply exp(ln C) by Duan's smearing factor"),
        TableIn("sinks", label_zh="碳汇预测表",
                doc="Projected sinks for the gap to neutrality: year, absorption_tCO2 and optionally scenario",
                columns=(Column("year", "year"), Column("absorption_tCO2", "t CO2/a"),
                         Column("scenario", required=False))),
        Input("sinks_sheet", kind="text", label_zh="碳汇预测表工作表",
              doc="Sheet of an XLSX sinks table (default: the first sheet)"),
        Input("seed", kind="integer", minimum=0, default=0, label_zh="随机种子", doc="Seed of the bootstrap"),
        Input("allow_implausible", kind="flag", default=False, label_zh="允许异常值",
              doc="Accept scenario growth rates above 100 %/a, or driver levels implying one (or a fall faster than "
                  "50 %/a), otherwise refused as suspected unit errors"),
        Input("lang", kind="choice", choices=("en", "zh"), default="en", label_zh="图表语言",
              doc="Language of the peak chart"),
    ),
    outputs=(
        TableOut("coefficients.csv", doc="B, bootstrap SE, Beta and VIF (OLS, ridge) per term",
                 doc_zh="回归系数、自助标准误、标准化系数与方差膨胀因子",
                 columns=(Column("term"), Column("B", "-"), Column("Beta", "-"), Column("VIF_ols", "-"),
                          Column("VIF_ridge", "-"), Column("SE_bootstrap", "-", required=False))),
        TableOut("ridge_trace.csv", doc="Standardised coefficients and ridge VIFs over k = 0 … 1",
                 doc_zh="岭迹（标准化系数与岭 VIF 随 k 变化）", columns=(Column("k", "-"),)),
        TableOut("fitted.csv", doc="Observed and fitted emissions per history year (in the history's unit)",
                 doc_zh="历史年份排放观测值与拟合值", columns=(Column("year", "year"),)),
        TableOut("projection.csv", doc="Emissions per scenario and year, 5-95 % band, drivers, gap to neutrality",
                 doc_zh="各情景逐年排放预测、5-95% 区间、驱动因素与碳中和缺口",
                 columns=(Column("scenario"), Column("year", "year"), Column("emissions_tCO2", "t CO2/a"),
                          Column("sinks_tCO2", "t CO2/a", required=False),
                          Column("gap_to_neutrality_tCO2", "t CO2/a", required=False))),
        TableOut("peaks.csv", doc="Peak year, value and status per scenario", doc_zh="各情景峰值年份、峰值与状态",
                 columns=(Column("scenario"), Column("peak_year", "year"), Column("peak_value", _U),
                          Column("status"), Column("peak_unit"))),
        TableOut("scenarios_used.csv", doc="The scenario table as used", doc_zh="所用情景表",
                 columns=(Column("scenario"), Column("period", "YYYY-YYYY"))),
        Output("peak_chart.png", kind="figure", doc="History, projections with their band, peak years (drawn by the "
               "command)", doc_zh="排放历史、情景预测与峰值图"),
        Output("peak_chart.svg", kind="figure", doc="The peak chart as SVG", doc_zh="峰值图（SVG）"),
    ),
)
