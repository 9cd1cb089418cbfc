"""Writing an ensemble of simulations (methods.md §15.1) into a run folder.

``landcarbon.models.simulate.simulate_ensemble`` computes; :func:`write_ensemble` writes what it
computed, under the names of :data:`ENSEMBLE_OUTPUTS` (for the ``simulate --realizations N`` spec);
:func:`ensemble_summary` gives the JSON-able headline (convergence verdicts, validation means,
carbon P5 / P50 / P95).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core.grid import grid_of
from ..io import write_raster

#: (file or glob, kind, units, description) of every ensemble output
ENSEMBLE_OUTPUTS: tuple[tuple[str, str, str, str], ...] = (
    ("modal_*.tif", "raster", "class code", "modal map per target year (ties: start class if tied, else lowest code)"),
    ("p_change_*.tif", "raster", "1", "probability of change per target year (float32, NaN outside the map)"),
    ("probability_*_*.tif", "raster", "%", "probability of each class per target year, whole percent (uint8, "
                                           "255 outside the map); probability_<year>_<code>.tif"),
    ("ensemble_areas.csv", "table", "ha", "class areas per target year and zone: mean, sd, min, max, P5, P50, P95 "
                                          "over realizations, the modal map's area and the demand"),
    ("ensemble_areas_by_realization.csv", "table", "ha", "class area (and cells) per realization, year and zone"),
    ("ensemble_realizations.csv", "table", "1", "per realization and year: changed share, iterations, final gap "
                                                "(cells) and, with observed maps, FoM, Kappa, OA, J"),
    ("ensemble_validation.csv", "table", "1", "FoM, Kappa, OA, changed share and J: mean, sd, min, max over "
                                              "realizations, of the modal map and of persistence"),
    ("ensemble_convergence.csv", "table", "1", "standard error sd/√R of each mean (relative) and mean |ΔP_change| "
                                               "when the last 10 % of realizations are added, with the thresholds"),
    ("ensemble_carbon.csv", "table", "Mg C / CNY", "stock, change and value over realizations × density draws: "
                                                   "mean, sd, P2.5 … P97.5 and the variance split"),
)


def _label(stage: Any) -> str:
    return "sim" if stage == 0 else str(stage)


def write_ensemble(result: Any, run: Any, *, probabilities: bool = True) -> list[str]:
    """Write rasters and tables of an :class:`~landcarbon.models.simulate.EnsembleResult` through
    ``run`` (a :class:`landcarbon.workflow.common.RunFolder`: ``run.path``, ``run.write_table``);
    returns the relative names written."""
    grid = grid_of(result.start)
    nodata = result.start.rio.nodata
    dtype = str(np.asarray(result.start.values[:1, :1]).dtype)
    written: list[str] = []
    for s in result.stages:
        lab = _label(s)
        name = f"modal_{lab}.tif"
        write_raster(result.modal[s], run.path(name), grid, nodata=nodata, dtype=dtype)
        written.append(name)
        name = f"p_change_{lab}.tif"
        write_raster(result.p_change[s], run.path(name), grid, dtype="float32")
        written.append(name)
        if probabilities:
            prob = result.probability(s, percent=True)
            for i, code in enumerate(result.codes):
                name = f"probability_{lab}_{code}.tif"
                write_raster(prob.data[i], run.path(name), grid, nodata=255, dtype="uint8")
                written.append(name)
    tables = {"ensemble_areas.csv": result.area_summary, "ensemble_areas_by_realization.csv": result.areas,
              "ensemble_realizations.csv": result.realization_table, "ensemble_convergence.csv": result.convergence}
    if result.validation is not None:
        tables["ensemble_validation.csv"] = result.validation
    if result.carbon is not None:
        tables["ensemble_carbon.csv"] = result.carbon.summary
    for name, df in tables.items():
        run.write_table(df, name, index=False)
        written.append(name)
    return written


def ensemble_summary(result: Any) -> dict[str, Any]:
    """Headline of an ensemble (JSON-able): realizations, seed, converged per year, the worst
    relative standard error, mean |ΔP_change|, validation means and carbon P5 / P50 / P95 (region)."""
    conv = result.convergence
    out: dict[str, Any] = {"realizations": result.realizations, "seed": result.seed, "codes": result.codes,
                           "stages": [int(s) if isinstance(s, (int, np.integer)) else s for s in result.stages],
                           "converged": {str(k): bool(v) for k, v in result.converged.items()}}
    dp = conv[conv.quantity.str.startswith("mean |ΔP_change|")]
    out["mean_abs_delta_p_change"] = {str(r.stage): float(r["mean"]) for _, r in dp.iterrows()}
    se = conv.dropna(subset=["se_rel"])
    if len(se):
        worst = se.loc[se.se_rel.idxmax()]
        out["worst_relative_se"] = {"quantity": str(worst.quantity), "se_rel": float(worst.se_rel)}
    if result.validation is not None:
        out["validation"] = {f"{r.stage}:{r.metric}": {"mean": float(r["mean"]), "sd": float(r["sd"]),
                                                        "modal": float(r.modal), "persistence": float(r.persistence)}
                             for _, r in result.validation.iterrows()}
    if result.carbon is not None:
        c = result.carbon.summary
        c = c[c.zone == "(all)"]
        out["carbon"] = {f"{r.quantity}:{r.label}": {"unit": r.unit, "p5": float(r.p5), "p50": float(r.p50),
                                                      "p95": float(r.p95), "share_between": float(r.share_between)}
                         for _, r in c.iterrows()}
    return out


def area_table_wide(result: Any) -> pd.DataFrame:
    """ensemble_areas in one row per (year, zone, code) with P5 / P50 / P95 only (for reports)."""
    s = result.area_summary
    return s[["stage", "zone", "code", "p5_ha", "p50_ha", "p95_ha", "mean_ha", "sd_ha", "modal_ha", "demand_ha"]]


__all__ = ["ENSEMBLE_OUTPUTS", "area_table_wide", "ensemble_summary", "write_ensemble"]
