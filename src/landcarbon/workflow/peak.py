"""`landcarbon peak`: STIRPAT ridge fit, scenario projection to 2060, peak years (methods.md §5).

Outputs: coefficients.csv (B, bootstrap SE, Beta, VIF OLS and ridge), ridge_trace.csv, fitted.csv,
projection.csv (scenario × year, with the 5–95 % band and the gap to neutrality when sinks are given),
peaks.csv, scenarios_used.csv, summary.json, manifest.json. The chart is drawn by
``landcarbon.report.charts_carbon.peak_chart(run_dir)``.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from ..io import read_table
from ..models import peak as _peak
from ..models.weights import bad_input, check_seed, unknown_names
from .common import RunFolder

PathLike = str | os.PathLike


def run_peak(*, out: PathLike, history: PathLike, scenarios: PathLike | str, drivers: list[str] | None = None,
             k: float | str = "auto", kuznets: str | None = None, horizon: int = 2060, after_last: str = "hold",
             n_boot: int = 1000, seed: int = 0, smearing: bool = False, sinks: PathLike | None = None,
             overwrite: bool = True) -> dict[str, Any]:
    """Fit STIRPAT on ``history`` and project every scenario of ``scenarios`` (a CSV/XLSX, or
    ``reference:<study>`` for a published set of reference/stirpat_scenarios.csv). ``seed`` and ``n_boot`` are
    integers ≥ 0; growth rates in the scenarios must exceed −100 %/a."""
    seed = check_seed(seed)
    n_boot = check_seed(n_boot, "n_boot")
    try:
        h_ok = float(horizon) == int(horizon) and 2030 <= int(horizon) <= 2100
    except (TypeError, ValueError):
        h_ok = False
    if not h_ok:
        raise bad_input("horizon", f"found {horizon!r}; expected a year between 2030 and 2100 (default 2060)")
    horizon = int(horizon)
    with RunFolder(out, "peak", overwrite=overwrite) as run:
        m = run.manifest
        m.model, m.model_version = _peak.SPEC.id, _peak.SPEC.version
        run.add_input("history", history)
        run.add_input("sinks", sinks)
        hist = read_table(history)
        if isinstance(scenarios, str) and scenarios.startswith("reference:"):
            sc_df = _peak.reference_scenarios(scenarios.split(":", 1)[1])
            m.parameters["scenarios"] = scenarios
        else:
            run.add_input("scenarios", scenarios)
            sc_df = read_table(scenarios)
        m.seeds["bootstrap"] = int(seed)
        m.parameters.update(dict(drivers=drivers, k=k, kuznets=kuznets, horizon=horizon, after_last=after_last,
                                 n_boot=n_boot, smearing=smearing))
        # cheap checks first: the scenario table (growth rates, periods, driver columns) before the bootstrap fit
        ecol = _peak.emissions_column(hist)[0]
        known = [c for c in hist.columns if c not in ("year", ecol)]
        unknown_names("drivers", "drivers (columns of the history table)", list(drivers or []), known)
        scs = _peak.parse_scenarios(sc_df, list(drivers) if drivers else known)
        with m.timed("fit"), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit = _peak.fit_stirpat(hist, drivers, k=k, kuznets=kuznets, n_boot=n_boot, seed=seed,
                                    smearing=smearing)
        for w in caught:
            m.notes.append(str(w.message))
            warnings.warn(w.message, stacklevel=2)
        sk = read_table(sinks) if sinks is not None else None
        with m.timed("project"), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            proj, peaks = _peak.project(fit, scs, horizon=horizon, after_last=after_last, sinks=sk)
        for w in caught:
            m.notes.append(str(w.message))
            warnings.warn(w.message, stacklevel=2)
        if horizon > max(p[-1][1] for p in (s.periods for s in scs)):
            m.notes.append(f"scenario periods end before {horizon}; after the last period the drivers follow "
                           f"after_last={after_last!r}")
        run.write_table(fit.coefficients_table(), "coefficients.csv")
        run.write_table(fit.trace, "ridge_trace.csv")
        run.write_table(fit.fitted, "fitted.csv")
        run.write_table(proj, "projection.csv")
        peaks_out = peaks.copy()
        peaks_out["local_maxima"] = peaks_out["local_maxima"].map(lambda v: " ".join(map(str, v)))
        run.write_table(peaks_out, "peaks.csv")
        run.write_table(sc_df, "scenarios_used.csv")
        run.summary = {
            "command": "peak", "methods": "methods.md §5", "unit": fit.unit,
            "drivers": fit.drivers, "kuznets": kuznets, "ridge_k": fit.k, "k_rule": fit.k_rule,
            "r2_ln": fit.r2, "mape_pct": fit.mape_pct, "n_years": fit.n_years, "base_year": fit.base_year,
            "vif_ols": dict(zip(fit.terms, map(float, fit.vif_ols))),
            "vif_ridge": dict(zip(fit.terms, map(float, fit.vif_ridge))),
            "coefficients": fit.coefficients_table().to_dict(orient="records"),
            "bootstrap": {"n": int(n_boot), "seed": int(seed), "band": "5-95 % of the projection over the draws"},
            "peaks": peaks.to_dict(orient="records"), "horizon": horizon, "notes": list(m.notes),
        }
        return run.summary
