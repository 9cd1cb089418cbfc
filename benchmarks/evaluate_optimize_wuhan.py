"""Issue 5 on the Wuhan PLUS sample: 双评价 from the DEM + land use, an optimised 2030 structure
(cropland >= 0.95 x 2010, forest >= 2010) written as a demand table, and its carbon against the
Markov natural trend (2005 -> 2010 -> 2030). Usage: python benchmarks/evaluate_optimize_wuhan.py OUT
(data from ../shared/data/wuhan_plus; 2013 is never read)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "wuhan_plus"

SCHEME = pd.DataFrame({
    "code": [1, 2, 3, 4, 5, 6, 7],
    "key": ["grassland", "deciduous_forest", "cropland", "urban", "bare", "water", "evergreen_forest"],
    "group": ["grassland", "forest", "cropland", "built_up", "unused", "water", "forest"],
})


def main(out: Path) -> None:
    from landcarbon.io import read_raster, write_csv
    from landcarbon.models.demand import markov
    from landcarbon.report.charts_plan import render_run
    from landcarbon.workflow.evaluate import run_suitability
    from landcarbon.workflow.optimize import group_densities_from_set, run_optimize

    out.mkdir(parents=True, exist_ok=True)
    scheme = out / "wuhan_scheme.csv"
    write_csv(SCHEME, scheme)
    t = {}
    t0 = time.perf_counter()
    s = run_suitability(out / "suitability", dem=DATA / "wh_df_dem.tif", landuse=DATA / "wh2010_refy.tif",
                        evaluations=("ecology", "agriculture", "urban"))
    t["suitability_s"] = time.perf_counter() - t0
    render_run(out / "suitability")
    # natural trend: Markov 2005 -> 2010, projected to 2030
    t0 = time.perf_counter()
    m05 = read_raster(DATA / "wh2005_refy.tif", categorical=True, chunks=None)
    m10 = read_raster(DATA / "wh2010_refy.tif", categorical=True, chunks=None)
    trend = markov(m05, m10, (2005, 2010), 2030)
    write_csv(trend[["code", "cells", "area_ha"]], out / "trend_demand_2030.csv")
    t["markov_s"] = time.perf_counter() - t0
    base = {
        "objectives": ["carbon"], "method": "lp", "lp_objective": "carbon",
        "compare": str(out / "trend_demand_2030.csv"),
    }
    a10 = np.asarray(m10.data)
    cell = 0.09
    crop = float((a10 == 3).sum()) * cell
    forest = float(((a10 == 2) | (a10 == 7)).sum()) * cell
    built = float((a10 == 4).sum()) * cell
    # built-up >= what the 2030 population needs at the 2010 per-capita built-up area, with population
    # growing 8 per mille a year (the rate of 包蕊 et al. 2018, methods.md §12.1; an assumption for Wuhan [D]).
    # wh_Pop.tif is a density surface, not a head count, so only the growth factor is used.
    need = built * 1.008 ** (2030 - 2010)
    cons = {"cropland_min_ha": 0.95 * crop, "forest_min_ha": forest, "built_up_min_ha": need,
            "water_tolerance": 0.01, "unused_max_current": True, "max_change": 0.3}
    t0 = time.perf_counter()
    o = run_optimize(out / "optimize", landuse=DATA / "wh2010_refy.tif", scheme=scheme,
                     config={**base, "constraints": cons})
    t["optimize_lp_s"] = time.perf_counter() - t0
    dens, cite = group_densities_from_set()
    summary = {"suitability": {k: s[k] for k in ("evaluated", "area_ha_level3")},
               "missing_factors": s["missing_factors"],
               "optimize": o, "constraints": cons, "densities_MgC_per_ha": dens, "density_citation": cite,
               "timings_s": {k: round(v, 2) for k, v in t.items()}}
    (out / "wuhan_issue5_summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1, default=str),
                                                  encoding="utf-8")
    c_opt = o["objectives_demand_table"]["carbon"]
    c_trend = o["objectives_compare"]["carbon"]
    c_now = o["objectives_current"]["carbon"]
    print(json.dumps({"carbon_2010_MgC": c_now, "carbon_2030_optimised_MgC": c_opt, "carbon_2030_trend_MgC": c_trend,
                      "optimised_minus_trend_MgC": c_opt - c_trend, "timings_s": summary["timings_s"]}, indent=1))


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default="/tmp/landcarbon_issue5_wuhan", help="output folder (outside the repo)")
    main(Path(ap.parse_args().out))
