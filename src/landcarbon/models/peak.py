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

from ..core.errors import InputValidationError, LandcarbonWarning
from ..core.spec import ModelSpec, NumberIn, TableIn, TableOut
from .weights import bad_input, check_seed, did_you_mean, unknown_names

SPEC = ModelSpec(
    id="peak", version="1", title_en="STIRPAT carbon-peak projection", title_zh="碳达峰预测 (STIRPAT)",
    inputs=(
        TableIn("history", index="year", columns={"year": "", "emissions_1e4tCO2": "10^4 t CO2/a",
                                                  "<driver>": "level (population 10^4 persons, pcgdp CNY …)"}),
        TableIn("scenarios", columns={"scenario": "", "period": "YYYY-YYYY", "<driver>_growth_pct": "%/a",
                                      "<driver>_level": "driver unit"}),
        NumberIn("ridge_k", units="-", minimum=0, maximum=1, required=False),
        NumberIn("horizon", units="year", default=2060),
    ),
    outputs=(TableOut("projection", columns={"emissions_1e4tCO2": "10^4 t CO2/a", "p05": "10^4 t CO2/a",
                                             "p95": "10^4 t CO2/a"}),
             TableOut("peaks", columns={"peak_year": "year", "peak_value": "10^4 t CO2/a"})),
    methods_ref="methods.md §5",
)

EMISSION_UNITS = {"1e4tco2": 1e4, "1e4tco2e": 1e4, "万吨": 1e4, "tco2": 1.0, "tco2e": 1.0, "mtco2": 1e6,
                  "mtco2e": 1e6}
K_GRID = np.round(np.arange(0.0, 1.0 + 1e-9, 0.01), 2)
VIF_MAX = 10.0
STABILITY = 0.01
PEAK_EPS = 0.01


# --------------------------------------------------------------------------------------------------
# history


def emissions_column(history: pd.DataFrame) -> tuple[str, float, str]:
    """The emissions column of a history table and its factor to t CO2."""
    for c in history.columns:
        m = re.fullmatch(r"(?:emissions?|co2|ce)_(.+)", str(c).strip(), flags=re.IGNORECASE)
        if m and m.group(1).lower().replace(" ", "") in EMISSION_UNITS:
            return c, EMISSION_UNITS[m.group(1).lower().replace(" ", "")], m.group(1)
    raise InputValidationError(
        f"history table has columns {list(history.columns)}; expected an emissions column with its unit: "
        f"emissions_1e4tCO2 (10^4 t CO2, the STIRPAT literature's unit), emissions_tCO2 or emissions_MtCO2")


def check_series(history: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Sorted by year; refuses duplicates, year gaps, missing or non-positive values (ln needs > 0)."""
    if "year" not in history.columns:
        raise InputValidationError(f"history table has columns {list(history.columns)}; it lacks 'year'")
    h = history.copy()
    h["year"] = pd.to_numeric(h["year"], errors="coerce")
    if h["year"].isna().any():
        raise InputValidationError("history table: some years are empty or not numbers")
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
        raise InputValidationError(
            f"history series {years[0]}-{years[-1]} has a year gap: {gaps} missing. STIRPAT needs an annual series "
            f"without gaps; add the missing years (interpolating them is your decision to record) or start the "
            f"series after the gap")
    for c in columns:
        v = pd.to_numeric(h[c], errors="coerce")
        if v.isna().any():
            bad = list(h.loc[v.isna(), "year"])
            raise InputValidationError(f"history column {c!r} is empty or not numeric in years {bad}; empty is not zero")
        if (v <= 0).any():
            bad = list(h.loc[v <= 0, "year"])
            raise InputValidationError(
                f"history column {c!r} has values ≤ 0 in years {bad}; STIRPAT takes logarithms, so every driver and "
                f"the emissions must be positive (shares in %, not as differences)")
        h[c] = v.astype(float)
    return h


# --------------------------------------------------------------------------------------------------
# ridge in correlation form


def _standardise(X: np.ndarray, y: np.ndarray):
    mx, sx = X.mean(axis=0), X.std(axis=0, ddof=1)
    my, sy = y.mean(), y.std(ddof=1)
    if np.any(sx == 0):
        raise InputValidationError("a driver is constant over the history; it carries no information: drop it")
    if sy == 0:
        raise InputValidationError("emissions are constant over the history; nothing to fit")
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
    n = len(h)
    p = len(drivers) + (1 if kuznets else 0)
    if n < p + 3:
        raise InputValidationError(f"history has {n} years for {p} regressors; STIRPAT needs at least {p + 3} "
                                   f"(10 or more recommended)")
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


# --------------------------------------------------------------------------------------------------
# scenarios


def _period(s) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{4})\s*[-–~至]\s*(\d{4})\s*", str(s))
    if not m:
        raise InputValidationError(f"scenario period {s!r}; expected 'YYYY-YYYY' (e.g. 2021-2025)")
    a, b = int(m.group(1)), int(m.group(2))
    if b < a:
        raise InputValidationError(f"scenario period {s!r} ends before it starts")
    return a, b


@dataclass
class Scenario:
    name: str
    periods: list[tuple[int, int]]
    # per driver: ("growth", [rate per period]) or ("level", [level per period])
    settings: dict[str, tuple[str, list[float]]]


def parse_scenarios(table: pd.DataFrame, drivers: list[str]) -> list[Scenario]:
    """Scenario table: columns scenario, period, and per driver ``<driver>_growth_pct`` (% per year) or
    ``<driver>_level`` (level at the period's end, interpolated linearly from the previous anchor).

    Every driver of the model must be set in every scenario, periods must be contiguous. Example columns
    for population, pcgdp, energy_intensity: population_growth_pct, pcgdp_growth_pct, energy_intensity_level.
    """
    cols = {str(c).strip(): c for c in table.columns}
    if "scenario" not in cols or "period" not in cols:
        raise bad_input("scenarios", f"scenario table has columns {list(table.columns)}; expected scenario, period "
                                     f"and <driver>_growth_pct or <driver>_level columns")
    if len(table) == 0:
        raise bad_input("scenarios", "the scenario table has no data rows; expected one row per scenario and period")
    spec = {}
    for d in drivers:
        g, lv = f"{d}_growth_pct", f"{d}_level"
        if g in cols and lv in cols:
            raise InputValidationError(f"driver {d}: give either {g} or {lv}, not both")
        if g in cols:
            spec[d] = ("growth", g)
        elif lv in cols:
            spec[d] = ("level", lv)
        else:
            raise InputValidationError(
                f"scenario table sets no path for driver {d!r}; add a column {g} (% per year) or {lv}")
    known = {"scenario", "period", *[c for _, c in spec.values()]}
    extra = [c for c in cols if c not in known and (c.endswith("_growth_pct") or c.endswith("_level"))]
    if extra:
        names = [f"{d}_growth_pct" for d in drivers] + [f"{d}_level" for d in drivers]
        raise bad_input("scenarios", "scenario columns " + ", ".join(f"{c!r}{did_you_mean(c, names)}" for c in extra)
                        + f" do not match any model driver {drivers}: rename or drop them")
    out = []
    for name, g in table.groupby(cols["scenario"], sort=False):
        per = [_period(p) for p in g[cols["period"]]]
        order = np.argsort([a for a, _ in per])
        g = g.iloc[order]
        per = [per[i] for i in order]
        for (a0, b0), (a1, _b1) in zip(per[:-1], per[1:]):
            if a1 != b0 + 1:
                raise InputValidationError(
                    f"scenario {name}: periods {a0}-{b0} and {a1}-{_b1} are not contiguous; periods must follow "
                    f"each other without gaps or overlaps")
        settings = {}
        for d, (kind, c) in spec.items():
            v = pd.to_numeric(g[cols[c]], errors="coerce")
            if v.isna().any():
                raise bad_input("scenarios", f"scenario {name}: {c} is empty or not a number in some period; empty "
                                             f"is not zero")
            if kind == "growth" and (v <= -100).any():
                i = int(np.flatnonzero((v <= -100).to_numpy())[0])
                a, b = per[i]
                raise bad_input("scenarios", f"scenario {name}, period {a}-{b}: {c} = {v.iloc[i]:g} %/a; expected a "
                                             f"growth rate > −100 %/a (−100 % sets the driver to 0 and the STIRPAT "
                                             f"log is undefined): give the rate in % per year, e.g. −2.5")
            if kind == "level" and (v <= 0).any():
                i = int(np.flatnonzero((v <= 0).to_numpy())[0])
                a, b = per[i]
                raise bad_input("scenarios", f"scenario {name}, period {a}-{b}: {c} = {v.iloc[i]:g}; expected a level "
                                             f"> 0 (STIRPAT takes its logarithm)")
            settings[d] = (kind, list(v.astype(float)))
        out.append(Scenario(str(name), per, settings))
    return out


REFERENCE_COLUMN_MAP = {"pop_growth_pct": "population", "gdp_or_pcgdp_growth_pct": "pcgdp",
                        "fdi_growth_pct": "fdi", "env_reg_growth_pct": "env_reg",
                        "energy_or_carbon_intensity_change_pct": "energy_intensity"}


def reference_scenarios(study: str) -> pd.DataFrame:
    """A published scenario set from reference/stirpat_scenarios.csv in the scenario-table format
    (columns renamed: population, pcgdp (or GDP for 董棒棒), fdi, env_reg, energy_intensity; empty columns dropped)."""
    from .coefficients import reference_table

    ref = reference_table("stirpat_scenarios.csv")
    rows = ref[ref["study"] == study]
    if rows.empty:
        raise InputValidationError(f"study {study!r} is not in stirpat_scenarios.csv; studies: "
                                   f"{sorted(set(ref['study']))}")
    out = pd.DataFrame({"scenario": rows["mode"].to_numpy(), "period": rows["period"].to_numpy()})
    for src, d in REFERENCE_COLUMN_MAP.items():
        v = pd.to_numeric(rows[src].replace("", np.nan), errors="coerce").to_numpy()
        if not np.all(np.isnan(v)):
            out[f"{d}_growth_pct"] = v
    return out


def driver_paths(scenario: Scenario, base_year: int, base_values: dict[str, float], horizon: int = 2060,
                 *, after_last: str = "hold") -> pd.DataFrame:
    """Annual driver levels from base_year + 1 to ``horizon`` (methods.md §5.3).

    After the last period: ``hold`` keeps the last period's growth rate (growth drivers) and the last level
    (level drivers) [D]; ``zero`` sets growth to 0; ``error`` refuses a horizon beyond the table.
    """
    first = scenario.periods[0][0]
    last = scenario.periods[-1][1]
    if first != base_year + 1:
        raise InputValidationError(
            f"scenario {scenario.name} starts in {first} but the history ends in {base_year}; the first period must "
            f"start in {base_year + 1}")
    if after_last not in ("hold", "zero", "error"):
        raise bad_input("after_last", f"found {after_last!r}{did_you_mean(after_last, ('hold', 'zero', 'error'))}; "
                                      f"expected hold, zero or error")
    if horizon <= base_year:
        raise bad_input("horizon", f"horizon {horizon} is not after the last history year {base_year}; expected a "
                                   f"later year (default 2060)")
    if horizon > last and after_last == "error":
        raise bad_input("scenarios", f"scenario {scenario.name} ends in {last}; extend it to {horizon} or allow "
                                     f"after_last='hold'")
    years = np.arange(base_year + 1, horizon + 1)
    pidx = np.full(len(years), -1)
    for i, (a, b) in enumerate(scenario.periods):
        pidx[(years >= a) & (years <= b)] = i
    beyond = years > last
    out = {"year": years}
    for d, (kind, vals) in scenario.settings.items():
        if d not in base_values:
            raise InputValidationError(f"scenario {scenario.name}: driver {d} has no base-year value")
        x0 = base_values[d]
        if kind == "growth":
            g = np.array([vals[i] if i >= 0 else (vals[-1] if after_last == "hold" else 0.0) for i in pidx])
            g[beyond] = vals[-1] if after_last == "hold" else 0.0
            if np.any(g <= -100):
                raise bad_input("scenarios", f"scenario {scenario.name}: driver {d} has a growth rate ≤ −100 %/a; "
                                             f"expected > −100 %/a")
            out[d] = x0 * np.cumprod(1.0 + g / 100.0)
        else:
            ax = [base_year] + [b for _, b in scenario.periods]
            ay = [x0] + list(vals)
            lv = np.interp(years, ax, ay)  # holds the last level beyond the last anchor
            if np.any(lv <= 0):
                raise InputValidationError(f"scenario {scenario.name}: driver {d} reaches a level ≤ 0")
            out[d] = lv
    return pd.DataFrame(out)


# --------------------------------------------------------------------------------------------------
# peak detection (§5.4)


def detect_peak(years, values, *, eps: float = PEAK_EPS) -> dict:
    """t* = argmax (earliest if tied); status not peaked / peaked / plateau; first decline year; local maxima."""
    y = np.asarray(years)
    v = np.asarray(values, dtype=float)
    i = int(np.argmax(v))
    t_star, c_star = int(y[i]), float(v[i])
    if i == len(v) - 1:
        status = "not peaked"
    elif v[-1] <= (1 - eps) * c_star:
        status = "peaked"
    else:
        status = "plateau"
    decl = np.nonzero((np.arange(len(v)) > i) & (np.diff(v, prepend=v[0]) < 0))[0]
    first_decline = int(y[decl[0]]) if decl.size and status != "not peaked" else None
    loc = [int(y[j]) for j in range(1, len(v) - 1) if v[j] > v[j - 1] and v[j] >= v[j + 1]]
    return {"peak_year": t_star, "peak_value": c_star, "status": status, "first_decline_year": first_decline,
            "peak_by_2030": bool(t_star <= 2030 and status != "not peaked"), "local_maxima": loc}


# --------------------------------------------------------------------------------------------------
# projection


def project(fit: StirpatFit, scenarios: list[Scenario], *, horizon: int = 2060, after_last: str = "hold",
            base_year: int | None = None, base_values: dict[str, float] | None = None,
            band: tuple[float, float] = (5.0, 95.0), sinks: pd.DataFrame | None = None
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Project every scenario to ``horizon``; returns (projection by scenario × year, peaks per scenario).

    The band is the (5, 95) percentile of the projection over the bootstrap coefficient draws. ``sinks``
    (year, absorption_tCO2 and optionally scenario) gives the gap to neutrality = emissions − sinks.
    """
    by = base_year if base_year is not None else fit.base_year
    bv = base_values if base_values is not None else fit.base_values
    if by is None or not bv:
        raise InputValidationError("projection needs the base year and base driver values (a fitted history)")
    rows, peaks = [], []
    for sc in scenarios:
        paths = driver_paths(sc, by, bv, horizon, after_last=after_last)
        c = fit.predict(paths)
        d = pd.DataFrame({"scenario": sc.name, "year": paths["year"]})
        d[f"emissions_{fit.unit}"] = c
        d["emissions_tCO2"] = c * fit.unit_to_tco2
        pk_band = {}
        if fit.draws is not None and len(fit.draws) > 1:
            D = fit.design(paths)
            sims = np.exp(fit.draws[:, :1].T + D @ fit.draws[:, 1:].T) * fit.smearing  # (T, n_boot)
            lo, hi = np.percentile(sims, band, axis=1)
            d[f"p{band[0]:02.0f}_{fit.unit}"] = lo
            d[f"p{band[1]:02.0f}_{fit.unit}"] = hi
            pys = paths["year"].to_numpy()[np.argmax(sims, axis=0)]
            pk_band = {f"peak_year_p{band[0]:02.0f}": int(np.percentile(pys, band[0])),
                       f"peak_year_p{band[1]:02.0f}": int(np.percentile(pys, band[1])),
                       f"peak_value_p{band[0]:02.0f}": float(np.percentile(sims.max(axis=0), band[0])),
                       f"peak_value_p{band[1]:02.0f}": float(np.percentile(sims.max(axis=0), band[1]))}
        for col in paths.columns:
            if col != "year":
                d[f"driver_{col}"] = paths[col].to_numpy()
        pk = detect_peak(d["year"], c)
        info = {"scenario": sc.name, **pk, "peak_unit": fit.unit, **pk_band}
        if sinks is not None:
            s = _sink_series(sinks, sc.name, d["year"].to_numpy())
            d["sinks_tCO2"] = s
            d["gap_to_neutrality_tCO2"] = d["emissions_tCO2"] - s
            neutral = d.loc[d["gap_to_neutrality_tCO2"] <= 0, "year"]
            info["gap_2030_tCO2"] = _at(d, 2030)
            info["gap_2060_tCO2"] = _at(d, 2060)
            info["neutral_year"] = int(neutral.iloc[0]) if len(neutral) else None
        rows.append(d)
        peaks.append(info)
    return pd.concat(rows, ignore_index=True), pd.DataFrame(peaks)


def _at(d: pd.DataFrame, year: int):
    r = d.loc[d["year"] == year, "gap_to_neutrality_tCO2"]
    return float(r.iloc[0]) if len(r) else None


def _sink_series(sinks: pd.DataFrame, scenario: str, years: np.ndarray) -> np.ndarray:
    """Sinks (t CO2/a) interpolated linearly on ``years``; outside the table's years they are held at the first /
    last value, and a warning says so (the run records it)."""
    if "year" not in sinks or "absorption_tCO2" not in sinks:
        raise bad_input("sinks", f"sinks table has columns {list(sinks.columns)}; expected year and "
                                 f"absorption_tCO2 (optionally scenario)")
    s = sinks
    if "scenario" in s.columns:
        own = s[s["scenario"].astype(str) == scenario]
        s = own if not own.empty else s[s["scenario"].isna() | (s["scenario"].astype(str) == "")]
        if s.empty:
            raise bad_input("sinks", f"sinks table has no rows for scenario {scenario!r} and no common rows"
                                     f"{did_you_mean(scenario, set(sinks['scenario'].dropna().astype(str)))}")
    yr = pd.to_numeric(s["year"], errors="coerce")
    if yr.isna().any():
        raise bad_input("sinks", f"sinks table: some years are empty or not numbers ({list(s['year'][yr.isna()])})")
    if yr.duplicated().any():
        raise bad_input("sinks", f"sinks table: years {sorted(set(yr[yr.duplicated()].astype(int)))} appear more than "
                                 f"once for scenario {scenario!r}; expected one row per year")
    v = pd.to_numeric(s["absorption_tCO2"], errors="coerce")
    if v.isna().any() or (v < 0).any():
        raise bad_input("sinks", "absorption_tCO2 must be a magnitude ≥ 0 in every row; empty is not zero")
    order = np.argsort(yr.to_numpy(float))
    x, y = yr.to_numpy(float)[order], v.to_numpy(float)[order]
    if years.size and (years.min() < x[0] or years.max() > x[-1]):
        warnings.warn(f"sinks for scenario {scenario!r} cover {int(x[0])}-{int(x[-1])}; outside those years they are "
                      f"held at the first / last value ({y[0]:g} / {y[-1]:g} t CO2/a)", LandcarbonWarning,
                      stacklevel=3)
    return np.interp(years, x, y)
