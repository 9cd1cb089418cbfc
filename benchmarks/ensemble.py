"""Benchmark of simulation ensembles (methods.md §15.1) on the Wuhan maps.

    nice -n 15 .venv/bin/python benchmarks/ensemble.py --realizations 20 --workers 2
    nice -n 15 .venv/bin/python benchmarks/ensemble.py --realizations 20 --calibrate 2003-2005

Forests fitted once on the calibration maps (default 2003 -> 2010, as in benchmarks/simulate.py),
start 2005, the true 2010 class counts as demand (on the 2005 mask), R realizations from
``SeedSequence(seed).spawn(R)`` on ``--workers`` threads; validation of every realization and of the
modal map against 2010; carbon over R × D (an illustrative pools table from the demo national-6
densities with CV 0.2). The case runs in a fresh child process (NUMBA/OMP threads = --workers) that
reports the wall time of ``simulate_ensemble`` and the process's peak RSS (``ru_maxrss``, and psutil
sampling every 0.2 s when psutil is installed). 2013 is never read.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("LANDCARBON_SHARED", ROOT.parent / "shared")) / "data" / "wuhan_plus"
DENSITIES = ROOT / "src" / "landcarbon" / "data" / "carbon_density_demo_national6.csv"
#: Wuhan class -> national-6 group row of the demo density table
WUHAN_GROUP = {1: "grassland", 2: "forest", 3: "cropland", 4: "built_up", 5: "unused", 6: "water", 7: "forest"}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _pools():
    import pandas as pd

    d = pd.read_csv(DENSITIES).set_index("group")
    rows = [{"lucode": c, **{f"C_{p}": float(d.loc[g, f"c_{p}"]) for p in ("above", "below", "soil", "dead")}}
            for c, g in WUHAN_GROUP.items()]
    return pd.DataFrame(rows)


def _case(args) -> dict:
    import numpy as np

    from landcarbon.io import read_raster
    from landcarbon.models.simulate import CarsParams, LeasParams, simulate_ensemble
    from landcarbon.models.simulate.calibrate import observed_demand
    from landcarbon.models.simulate.ensemble import CarbonOptions

    y0, y1 = (int(v) for v in args.calibrate.split("-"))
    years = sorted({y0, y1, 2005, 2010})
    assert 2013 not in years
    maps = {y: read_raster(DATA / f"wh{y}_refy.tif", chunks=None) for y in years}
    drv = {"dem": read_raster(DATA / "wh_df_dem.tif", chunks=None), "pop": read_raster(DATA / "wh_Pop.tif", chunks=None),
           "soil": read_raster(DATA / "wh_soiltype.tif", chunks=None)}
    water = read_raster(DATA / "WaterWuhan.tif", chunks=None)
    demand = observed_demand(maps[2005], maps[2010], list(range(1, 8)))
    cars = CarsParams(**json.loads(args.cars)) if args.cars else CarsParams()
    peak = {"mb": 0.0}
    stop = threading.Event()

    def sample():
        try:
            import psutil
        except ImportError:
            return
        proc = psutil.Process()
        while not stop.is_set():
            peak["mb"] = max(peak["mb"], proc.memory_info().rss / 2**20)
            time.sleep(0.2)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    res = simulate_ensemble(maps[2005], demand, realizations=args.realizations, seed=args.seed, workers=args.workers,
                            calibrate_from=maps[y0], calibrate_to=maps[y1], drivers=drv, categorical=["soil"],
                            dem="dem", restrict=water, leas_params=LeasParams(n_jobs=args.workers), cars_params=cars,
                            observed={0: maps[2010]},
                            carbon=CarbonOptions(_pools(), draws=args.draws, cv=0.2) if args.draws else None)
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    v = res.validation.set_index("metric")
    rt = res.realization_table
    conv = res.convergence
    dp = conv[conv.quantity.str.startswith("mean |ΔP_change|")].iloc[0]
    se = conv.dropna(subset=["se_rel"])
    worst = se.loc[se.se_rel.idxmax()] if len(se) else None
    out = {
        "case": f"Wuhan, calibrate {args.calibrate}, start 2005 -> 2010, {args.realizations} realizations, "
                f"{args.workers} workers", "seed": args.seed, "cars": cars.to_dict(),
        "ensemble_wall_s": round(wall, 1), "peak_rss_MB": round(_rss_mb(), 1),
        "peak_rss_sampled_MB": round(peak["mb"], 1) or None, "rss_before_MB": round(rss0, 1),
        "iterations_mean": float(rt.iterations.mean()), "final_gap_max": int(rt.final_gap_cells.max()),
        "validation": {m: {k: round(float(v.loc[m, k]), 4) for k in ("mean", "sd", "min", "max", "modal", "persistence")}
                       for m in v.index},
        "observed_change_share": round(float(v.observed_change_share.iloc[0]), 4),
        "p_change_mean": round(float(np.nanmean(res.p_change[0].values)), 4),
        "cells_p_change_ge_0.5": int(np.nansum(res.p_change[0].values >= 0.5)),
        "convergence": {"mean_abs_dP_change": round(float(dp["mean"]), 5),
                        "worst_se_rel": None if worst is None else [str(worst.quantity), float(worst.se_rel)],
                        "converged": res.converged[0]},
    }
    if res.carbon is not None:
        c = res.carbon.summary
        c = c[c.zone == "(all)"]
        out["carbon_MgC"] = {f"{r.quantity} {r.label}": {k: round(float(r[k]), 0) for k in ("p5", "p50", "p95")}
                             | {"share_between": round(float(r.share_between), 4)} for _, r in c.iterrows()}
    if args.areas:
        s = res.area_summary
        out["areas_ha"] = s[s.zone == "(all)"][["code", "mean_ha", "sd_ha", "p5_ha", "p95_ha", "modal_ha",
                                                 "demand_ha"]].round(1).to_dict("records")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--realizations", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--calibrate", default="2003-2010", choices=["2003-2010", "2003-2005"])
    ap.add_argument("--draws", type=int, default=200, help="carbon density draws (0 = no carbon)")
    ap.add_argument("--cars", default="", help="JSON of CarsParams overrides")
    ap.add_argument("--areas", action="store_true", help="also print the regional class areas")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_case(args)))
        return
    env = {**os.environ, "NUMBA_NUM_THREADS": str(args.workers), "OMP_NUM_THREADS": str(args.workers)}
    cmd = [sys.executable, __file__, "--child", *sys.argv[1:]]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode:
        sys.stderr.write(r.stderr)
        raise SystemExit(r.returncode)
    print(json.dumps(json.loads(r.stdout.strip().splitlines()[-1]), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
