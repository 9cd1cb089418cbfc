"""The `peak` step: STIRPAT ridge fit, scenario projection to the horizon, peak years (methods.md §5).

Outputs (``models.peak.SPEC``): coefficients.csv (B, bootstrap SE, Beta, VIF OLS and ridge), ridge_trace.csv,
fitted.csv, projection.csv (scenario × year, with the 5–95 % band and the gap to neutrality when sinks are
given), peaks.csv, scenarios_used.csv. The command draws peak_chart.png from the staged run (report layer).
Every check of the history, the scenarios and the sinks runs before the bootstrap fit.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.spec import Issue
from ..models import peak as _peak
from ..models.peak_scenarios import sink_series
from ..models.weights import Problems, bad_input, input_refs
from .runner import RunContext, run_model

PathLike = str | os.PathLike

#: the projection horizon a run accepts (years)
HORIZON = (2030, 2100)
_REF = "reference:"


def _names(ctx: RunContext) -> list[str]:
    return [i.name for i in ctx.spec.inputs]


def _drivers(ctx: RunContext) -> list[str] | None:
    """The driver names given (``--drivers a b`` or the old comma form ``a,b``), or None for every column."""
    out = [d.strip() for item in ctx.get("drivers", []) for d in str(item).split(",") if d.strip()]
    return out or None


def _scenario_table(ctx: RunContext) -> pd.DataFrame:
    v = ctx["scenarios"]
    if isinstance(v, pd.DataFrame):
        return v
    text = str(v)
    if text.startswith(_REF):
        return _peak.reference_scenarios(text[len(_REF):].strip())
    if not Path(text).is_file():
        from ..models.coefficients import reference_table

        studies = sorted(set(reference_table("stirpat_scenarios.csv")["study"]))
        raise bad_input("scenarios", f"found {text!r}, which is neither an existing table file nor reference:<study>; "
                                     f"expected a CSV/XLSX path or one of {[_REF + s for s in studies]}")
    return ctx.table("scenarios")


def _inputs(ctx: RunContext, pr: Problems | None = None) -> tuple[Any, ...]:
    """History, scenarios (parsed and projected as driver paths) and sinks, checked; with ``pr`` the problems
    are collected (and None returned for what failed), otherwise the first one is raised."""
    def run(fn, key):
        if pr is not None:
            return pr.run(fn, key)
        with input_refs(_names(ctx), key):
            return fn()

    horizon, after_last = int(ctx["horizon"]), ctx["after_last"]
    hist = ctx.table("history")
    prep = run(lambda: _peak.prepare_history(hist, _drivers(ctx), kuznets=ctx.get("kuznets")), "history")
    sc_df = run(lambda: _scenario_table(ctx), "scenarios")
    if prep is None or sc_df is None:
        return hist, prep, sc_df, None, None
    h, _, _, _, drivers = prep
    scs = run(lambda: _peak.parse_scenarios(sc_df, drivers), "scenarios")
    if scs is None:
        return hist, prep, sc_df, None, None
    base_year, base = int(h["year"].iloc[-1]), {d: float(h[d].iloc[-1]) for d in drivers}
    for sc in scs:
        run(lambda sc=sc: _peak.driver_paths(sc, base_year, base, horizon, after_last=after_last,
                                             allow_implausible=bool(ctx["allow_implausible"])), "scenarios")
    sinks = ctx.table("sinks")
    if sinks is not None:
        years = pd.RangeIndex(base_year + 1, horizon + 1).to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # execute states them once
            for sc in scs:
                run(lambda sc=sc: sink_series(sinks, sc.name, years), "sinks")
    return hist, prep, sc_df, scs, sinks


def check(ctx: RunContext) -> list[Issue]:
    """The horizon, the history (units, gaps, values > 0, drivers), every scenario path (periods, growth rates
    > −100 %/a, levels > 0, the first period right after the history), the sinks, and options that would do
    nothing — all before the bootstrap fit."""
    pr = Problems(_names(ctx))
    lo, hi = HORIZON
    if not lo <= int(ctx["horizon"]) <= hi:
        pr.add("horizon", f"found {ctx['horizon']}; expected a year between {lo} and {hi} (default 2060)")
        return pr.issues
    _, _, _, scs, _ = _inputs(ctx, pr)
    if ctx.given("seed") and int(ctx["n_boot"]) == 0:
        pr.add("seed", "is given but n_boot is 0, so nothing is drawn at random: leave the seed out, or give a "
                       "number of bootstrap resamples (⟨n_boot⟩)")
    if scs is not None and ctx.given("after_last"):
        last = min(sc.periods[-1][1] for sc in scs)
        if last >= int(ctx["horizon"]):
            pr.add("after_last", f"is given but every scenario reaches the horizon {ctx['horizon']} (the shortest ends "
                                 f"in {last}), so it changes nothing: leave it out, or extend ⟨horizon⟩")
    return pr.issues


def execute(ctx: RunContext) -> dict[str, Any]:
    names = _names(ctx)
    hist, (_, _, _, _, drivers), sc_df, scs, sinks = _inputs(ctx)
    n_boot, seed, horizon, after_last = int(ctx["n_boot"]), int(ctx["seed"]), int(ctx["horizon"]), ctx["after_last"]
    k = "auto" if ctx.get("ridge_k") is None else float(ctx["ridge_k"])
    m = ctx.manifest
    m.seeds["bootstrap"] = seed
    with input_refs(names), ctx.progress.step("STIRPAT fit and bootstrap", total=None):
        fit = _peak.fit_stirpat(hist, drivers, k=k, kuznets=ctx.get("kuznets"), n_boot=n_boot, seed=seed,
                                smearing=bool(ctx["smearing"]))
    with input_refs(names):
        proj, peaks = _peak.project(fit, scs, horizon=horizon, after_last=after_last, sinks=sinks,
                                    allow_implausible=bool(ctx["allow_implausible"]))
    notes = []
    if horizon > max(s.periods[-1][1] for s in scs):
        notes.append(f"scenario periods end before {horizon}; after the last period the drivers follow "
                     f"after_last={after_last!r}")
        m.notes.append(notes[-1])
    ctx.run.write_table(fit.coefficients_table(), "coefficients.csv")
    ctx.run.write_table(fit.trace, "ridge_trace.csv")
    ctx.run.write_table(fit.fitted, "fitted.csv")
    ctx.run.write_table(proj, "projection.csv")
    peaks_out = peaks.copy()
    peaks_out["local_maxima"] = peaks_out["local_maxima"].map(lambda v: " ".join(map(str, v)))
    ctx.run.write_table(peaks_out, "peaks.csv")
    ctx.run.write_table(sc_df, "scenarios_used.csv")
    unit = {"1e4tCO2": "10^4 t CO2/a", "1e4tCO2e": "10^4 t CO2e/a"}.get(fit.unit, fit.unit + "/a")
    headline = [{"label": "fit", "value": f"R² {fit.r2:.4f} (ln scale), k = {fit.k:g}, {fit.n_years} years",
                 "unit": ""}]
    for p in peaks.to_dict(orient="records"):
        what = p["status"] if p["status"] != "peaked" else f"peaks at {p['peak_value']:,.6g} {unit}"
        headline.append({"label": f"peak year {p['scenario']}", "value": int(p["peak_year"]),
                         "unit": f"({what})"})
    return {
        "headline": headline, "main_outputs": ["projection.csv", "peaks.csv", "coefficients.csv"],
        "methods": "methods.md §5", "unit": fit.unit, "drivers": fit.drivers, "kuznets": ctx.get("kuznets"),
        "ridge_k": fit.k, "k_rule": fit.k_rule, "r2_ln": fit.r2, "mape_pct": fit.mape_pct, "n_years": fit.n_years,
        "base_year": fit.base_year, "vif_ols": dict(zip(fit.terms, map(float, fit.vif_ols))),
        "vif_ridge": dict(zip(fit.terms, map(float, fit.vif_ridge))),
        "coefficients": fit.coefficients_table().to_dict(orient="records"),
        "bootstrap": {"n": n_boot, "seed": seed, "band": "5-95 % of the projection over the draws"},
        "peaks": peaks.to_dict(orient="records"), "horizon": horizon, "notes": notes,
    }


def run_peak(*, out: PathLike, history: Any, scenarios: Any, drivers: list[str] | None = None,
             k: float | str = "auto", kuznets: str | None = None, horizon: int = 2060, after_last: str = "hold",
             n_boot: int = 1000, seed: int = 0, smearing: bool = False, sinks: Any = None,
             overwrite: bool = True, allow_implausible: bool = False) -> dict[str, Any]:
    """Fit STIRPAT on ``history`` and project every scenario of ``scenarios`` (a CSV/XLSX, or
    ``reference:<study>`` for a published set of reference/stirpat_scenarios.csv) — the model ``peak`` through
    the runner. ``seed`` and ``n_boot`` are integers ≥ 0; growth rates in the scenarios must exceed −100 %/a;
    ``k`` is "auto" or a ridge parameter in [0, 1]."""
    values = dict(history=history, scenarios=scenarios, drivers=drivers, ridge_k=None if k == "auto" else k,
                  kuznets=kuznets, horizon=horizon, after_last=after_last, n_boot=n_boot, seed=seed,
                  smearing=smearing, sinks=sinks, allow_implausible=allow_implausible)
    return run_model("peak", {k_: v for k_, v in values.items() if v is not None}, out=out, overwrite=overwrite)
