"""Calibration of the allocation parameters on Wuhan history (methods.md §15.2).

    nice -n 15 .venv/bin/python benchmarks/calibrate.py --workers 2 --out /tmp/lc_calibrate
    nice -n 15 .venv/bin/python benchmarks/calibrate.py --budget 10        # a short search

Forests fitted on 2003 -> 2005; every candidate simulates 2005 -> 2010 with the true 2010 class counts
(on the 2005 mask) as demand and is scored against the 2010 map, J averaged over R_cal = 3
realizations; defaults first, a seeded random search of B = 40 points, then a local refinement.
2013 is marked held out: the calibration refuses it (and this script never opens it).

Writes ``search_table.csv``, ``chosen_params.json``, ``scores.csv``, ``driver_contributions.csv`` and
``progress.jsonl`` (one line per candidate as it finishes) into ``--out`` (outside the repository), and
prints the before/after scores on 2010 and the single seed-7 runs of ``simulate()`` with the
defaults and with the chosen parameters.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("LANDCARBON_SHARED", ROOT.parent / "shared")) / "data" / "wuhan_plus"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--budget", type=int, default=None, help="most candidates evaluated (default: all)")
    ap.add_argument("--n-random", type=int, default=40)
    ap.add_argument("--refine-rounds", type=int, default=1)
    ap.add_argument("--realizations", type=int, default=3)
    ap.add_argument("--out", default="/tmp/lc_calibrate")
    ap.add_argument("--no-check", action="store_true", help="skip the single seed-7 runs after the search")
    args = ap.parse_args()
    os.environ.setdefault("NUMBA_NUM_THREADS", str(args.workers))

    import pandas as pd

    from landcarbon.io import read_raster
    from landcarbon.models import validate
    from landcarbon.models.simulate import CarsParams, LeasParams, calibrate, simulate
    from landcarbon.models.simulate.calibrate import observed_demand

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    maps = {y: read_raster(DATA / f"wh{y}_refy.tif", chunks=None) for y in (2003, 2005, 2010)}   # never 2013
    drv = {"dem": read_raster(DATA / "wh_df_dem.tif", chunks=None), "pop": read_raster(DATA / "wh_Pop.tif", chunks=None),
           "soil": read_raster(DATA / "wh_soiltype.tif", chunks=None)}
    water = read_raster(DATA / "WaterWuhan.tif", chunks=None)
    log = (out / "progress.jsonl").open("w", encoding="utf-8")

    def progress(row: dict) -> None:
        log.write(json.dumps(row, default=float) + "\n")
        log.flush()

    t0 = time.perf_counter()
    res = calibrate(maps, years=(2003, 2005, 2010), drivers=drv, seed=args.seed, held_out=[2013], budget=args.budget,
                    n_random=args.n_random, refine_rounds=args.refine_rounds, realizations=args.realizations,
                    workers=args.workers, categorical=["soil"], dem="dem", restrict=water,
                    leas_params=LeasParams(n_jobs=args.workers), progress=progress)
    wall = time.perf_counter() - t0
    res.table.to_csv(out / "search_table.csv", index=False)
    (out / "chosen_params.json").write_text(json.dumps({"cars_params": res.chosen, "years": list(res.years)}, indent=2))
    pd.DataFrame([{"run": "before (defaults)", **res.before}, {"run": "after (chosen)", **res.after}]).to_csv(
        out / "scores.csv", index=False)
    res.info["leas_contributions"].to_csv(out / "driver_contributions.csv", index=False)
    report = {"wall_s": round(wall, 1), "prepare_s": res.info["prepare_s"], "evaluated": res.info["evaluated"],
              "chosen": res.chosen, "chosen_candidate": res.info["chosen_candidate"],
              "before": {k: round(v, 4) for k, v in res.before.items()},
              "after": {k: round(v, 4) for k, v in res.after.items()}}
    if not args.no_check:
        demand = observed_demand(maps[2005], maps[2010], list(range(1, 8)))
        for label, cp in (("defaults", CarsParams()), ("chosen", res.cars_params())):
            t1 = time.perf_counter()
            sim = simulate(maps[2005], demand, calibrate_from=maps[2003], calibrate_to=maps[2005], drivers=drv,
                           categorical=["soil"], dem="dem", restrict=water, seed=args.seed,
                           leas_params=LeasParams(n_jobs=args.workers), cars_params=cp, return_potential=False)
            v = validate.compare(maps[2005], maps[2010], sim.maps[0])
            report[f"simulate_seed{args.seed}_{label}"] = {
                "wall_s": round(time.perf_counter() - t1, 1), "iterations": int(sim.summary.iterations.max()),
                "fom": round(v.fom, 4), "kappa": round(v.kappa, 4), "oa": round(v.oa, 4),
                "changed_share": round(v.simulated_change_share, 4), "j": round(v.objective.j, 4),
                "kappa_persistence": round(v.baseline.kappa, 4), "observed_change_share": round(v.observed_change_share, 4)}
    (out / "report.json").write_text(json.dumps(report, indent=2, default=float))
    print(json.dumps(report, indent=2, default=float))


if __name__ == "__main__":
    main()
