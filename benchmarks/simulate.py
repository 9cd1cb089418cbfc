"""Benchmarks and accuracy checks of the land-use simulation (PLUS-equivalent, methods.md §8).

    .venv/bin/python benchmarks/simulate.py wuhan [--calibrate 2003-2010] [--jobs 2] [--leas '{"sample_rate": 0.05}']
    .venv/bin/python benchmarks/simulate.py heldout            # scoring on 2013 only; no tuning
    .venv/bin/python benchmarks/simulate.py synthetic --size 2000 [--zones 4]
    .venv/bin/python benchmarks/simulate.py dask --size 600 --zones 3
    .venv/bin/python benchmarks/simulate.py ooc --size 10000 --tiles 10    # out-of-core, files in /tmp/lc_bench_sim

Every case runs in a fresh child process (NUMBA/OMP threads = --jobs) that reports the wall time of
the ``simulate`` call (training, potential prediction, allocation) and the process's peak RSS.
Wuhan: calibrate on 2003 -> 2005 or 2003 -> 2010, start from 2005 and allocate the true 2010 class
counts (on the 2005 mask); scored against 2010 with landcarbon.models.validate.compare, beside the
persistence baseline. ``heldout`` scores the two 2013 runs (2003 -> 2013 over the same decade with
the true 2013 demand, as in the PLUS paper; and 2010 -> 2013 projected from a 2005 -> 2010
calibration): it reads 2013 only to build the demand and to score, never to tune.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("LANDCARBON_SHARED", ROOT.parent / "shared")) / "data" / "wuhan_plus"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _wuhan_case(cal: str, start_year: int, target_year: int, jobs: int, seed: int, extra: dict,
                leas: dict | None = None) -> dict:
    import numpy as np
    import pandas as pd

    from landcarbon.io import read_raster
    from landcarbon.models import validate
    from landcarbon.models.simulate import CarsParams, LeasParams, simulate

    y0, y1 = (int(v) for v in cal.split("-"))
    maps = {y: read_raster(DATA / f"wh{y}_refy.tif", chunks=None) for y in sorted({y0, y1, start_year, target_year})}
    drv = {"dem": read_raster(DATA / "wh_df_dem.tif", chunks=None),
           "pop": read_raster(DATA / "wh_Pop.tif", chunks=None),
           "soil": read_raster(DATA / "wh_soiltype.tif", chunks=None)}
    water = read_raster(DATA / "WaterWuhan.tif", chunks=None)
    start = maps[start_year]
    a0, nd0 = start.values, start.rio.nodata
    at, ndt = maps[target_year].values, maps[target_year].rio.nodata
    v0 = a0 != nd0
    target = np.where(at != ndt, at, a0)[v0]        # the target year's classes on the start mask
    codes = np.arange(1, 8)
    demand = pd.DataFrame({"code": codes, "cells": [(target == c).sum() for c in codes]})
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    res = simulate(start, demand, calibrate_from=maps[y0], calibrate_to=maps[y1], drivers=drv,
                   categorical=["soil"], dem="dem", restrict=water, seed=seed,
                   leas_params=LeasParams(**{"n_jobs": jobs, **(leas or {})}), cars_params=CarsParams(**extra), return_potential=False)
    wall = time.perf_counter() - t0
    sim = res.maps[0]
    v = validate.compare(start, maps[target_year], sim)
    m, b = v.metrics, v.baseline
    return {
        "case": f"calibrate {cal}, simulate {start_year} -> {target_year}", "seed": seed, "jobs": jobs,
        "cars": {k: res.info["cars"][k] for k in ("step_share", "delta", "mu", "seed_share", "control")},
        "leas": res.leas.params,
        "simulate_wall_s": round(wall, 2), "peak_rss_MB": round(_rss_mb(), 1), "rss_before_MB": round(rss0, 1),
        "iterations": int(res.summary.iterations.max()),
        "final_gap_cells": int(res.summary.gap_cells.abs().sum()),
        "sim": {k: round(getattr(m, k), 4) if isinstance(getattr(m, k), float) else getattr(m, k)
                for k in ("oa", "kappa", "fom", "hits", "misses", "wrong_hits", "false_alarms",
                          "quantity_disagreement", "allocation_disagreement", "simulated_change_share",
                          "observed_change_share")},
        "persistence": {k: round(getattr(b, k), 4) for k in ("oa", "kappa", "fom", "quantity_disagreement",
                                                                "allocation_disagreement")},
        "n_candidates": res.info["n_candidates"], "driver_holes": res.info["driver_holes"],
    }


def _synthetic(size: int, seed: int = 0):
    """A deterministic synthetic region: 6 classes, smooth DEM, population centres; 10-year demand."""
    import numpy as np
    import pandas as pd
    from scipy import ndimage

    from landcarbon.testing import make_lulc

    rng = np.random.default_rng(seed)
    lo = max(8, size // 50)
    base = rng.integers(1, 7, size=(lo, lo))
    base = np.where(base == 5, 1, base)                    # few built-up blocks at the start
    rep = -(-size // lo)
    lulc = np.kron(base, np.ones((rep, rep), np.int16))[:size, :size].astype(np.int16)
    noise = rng.random((size, size), dtype=np.float32)
    lulc[(noise < 0.02)] = 5                                # scattered villages
    yy = (np.arange(size, dtype=np.float32) / size)[:, None]      # broadcast, no full coordinate grids
    xx = (np.arange(size, dtype=np.float32) / size)[None, :]
    dem = ndimage.zoom(rng.random((lo, lo)).astype(np.float32) * 80, rep, order=1)[:size, :size]
    dem += 200 * xx
    dem += 100 * yy
    centres = rng.random((max(2, size // 400), 2)) * size
    pop = np.zeros((size, size), np.float32)
    s2 = np.float32(2 * (size / 15) ** 2)
    for cy, cx in centres:
        dy = ((np.arange(size, dtype=np.float32) - cy) ** 2 / s2)[:, None]
        dx = ((np.arange(size, dtype=np.float32) - cx) ** 2 / s2)[None, :]
        pop += np.exp(-(dy + dx))
    built = lulc == 5
    grow = ndimage.binary_dilation(built, iterations=2) & ~built & (pop > np.quantile(pop, 0.6)) & (lulc == 1)
    after = lulc.copy()
    after[grow] = 5
    b_da = make_lulc(lulc, cell_size=30, nodata=0, name="before")
    a_da = make_lulc(after, cell_size=30, nodata=0, name="after")
    drivers = {"dem": make_lulc(dem, cell_size=30, nodata=None, name="dem", dtype="float32"),
               "pop": make_lulc(pop * 1000, cell_size=30, nodata=None, name="pop", dtype="float32")}
    counts = np.bincount(after.ravel(), minlength=7)[1:]
    gain = 2 * int(grow.sum())                              # ten years at twice the calibration pace
    dem_cells = counts.copy()
    dem_cells[4] += gain
    dem_cells[0] -= gain
    demand = pd.DataFrame({"code": np.arange(1, 7), "cells": dem_cells})
    return b_da, a_da, drivers, demand


def _zones_and_demand(after, demand_total, n):
    import numpy as np
    import pandas as pd

    from landcarbon.testing import make_lulc

    size = after.shape[0]
    edges = np.linspace(0, size, n + 1).astype(int)
    z = np.zeros(after.shape, np.int32)
    for i in range(n):
        for j in range(n):
            z[edges[i]:edges[i + 1], edges[j]:edges[j + 1]] = i * n + j + 1
    a = after.values
    total = demand_total.set_index("code").cells
    start_counts = np.bincount(a.ravel(), minlength=7)[1:]
    gain = int(total[5] - start_counts[4])
    rows = []
    for zid in range(1, n * n + 1):
        m = z == zid
        c = np.bincount(a[m], minlength=7)[1:].astype(np.int64)
        crop = c[0]
        g = int(round(gain * crop / max(1, start_counts[0])))
        g = min(g, crop)
        c[0] -= g
        c[4] += g
        rows += [(zid, code, int(c[code - 1])) for code in range(1, 7)]
    return make_lulc(z, cell_size=30, nodata=0, name="zones"), pd.DataFrame(rows, columns=["zone", "code", "cells"])


def _synthetic_case(size: int, zones: int, jobs: int, seed: int) -> dict:
    from landcarbon.models.simulate import LeasParams, simulate

    before, after, drivers, demand = _synthetic(size)
    kw = {}
    if zones > 1:
        kw["zones"], demand = _zones_and_demand(after, demand, zones)
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    res = simulate(after, demand, calibrate_from=before, calibrate_to=after, drivers=drivers, dem="dem", seed=seed,
                   leas_params=LeasParams(n_jobs=jobs), return_potential=False, **kw)
    wall = time.perf_counter() - t0
    return {"case": f"synthetic {size}x{size}, {zones * zones if zones > 1 else 1} zone(s), 10-year demand",
            "simulate_wall_s": round(wall, 2), "peak_rss_MB": round(_rss_mb(), 1),
            "rss_before_MB": round(rss0, 1), "final_gap_cells": int(res.summary.gap_cells.abs().sum()),
            "iterations_max": int(res.summary.iterations.max()), "cells": size * size}


def _dask_case(size: int, zones: int, jobs: int, seed: int) -> dict:
    import numpy as np
    from distributed import Client, LocalCluster

    from landcarbon.models.simulate import LeasParams, simulate

    before, after, drivers, demand = _synthetic(size)
    z, zdem = _zones_and_demand(after, demand, zones)
    kw = dict(calibrate_from=before, calibrate_to=after, drivers=drivers, dem="dem", seed=seed, zones=z,
              leas_params=LeasParams(n_jobs=1), return_potential=False)
    t0 = time.perf_counter()
    serial = simulate(after, zdem, **kw)
    t_serial = time.perf_counter() - t0
    with LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
            Client(lc) as client:
        t0 = time.perf_counter()
        par = simulate(after, zdem, client=client, **kw)
        t_par = time.perf_counter() - t0
    same = bool(np.array_equal(serial.maps[0].values, par.maps[0].values))
    return {"case": f"zones {zones}x{zones} on {size}x{size}: serial vs Dask LocalCluster ({jobs} workers)",
            "identical_maps": same, "serial_s": round(t_serial, 2), "dask_s": round(t_par, 2)}


def _hash01(r0: int, r1: int, c0: int, c1: int, size: int, salt: int):
    """Per-cell uniform [0, 1) from a splitmix64 hash of the cell index: the same value whichever
    block (or halo) computes it, so the generated region does not depend on the block size."""
    import numpy as np

    with np.errstate(over="ignore"):
        rr = np.clip(np.arange(r0, r1), 0, size - 1).astype(np.uint64)
        cc = np.clip(np.arange(c0, c1), 0, size - 1).astype(np.uint64)
        idx = (rr[:, None] * np.uint64(size) + cc[None, :]) + np.uint64(salt * 0x9E3779B97F4A7C15 % 2**64)
        z = idx + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(2**53)


def generate_region(size: int, folder: Path, seed: int = 0, block: int = 1000) -> dict:
    """A deterministic patchy 6-class region written window by window as tiled GeoTIFFs (bounded memory).

    Classes: 1 cropland, 2 forest, 3 grassland, 4 water, 5 built-up, 6 unused; blocky classes from a
    coarse random grid (cells of size/50), 2 % scattered villages; DEM = bilinear coarse relief + slope
    trends (m); population = Gaussian centres (σ = 130 cells, one per 800 000 cells, so the pattern and
    the change share do not depend on the size). Calibration (before -> after): cropland becomes built-up
    within 2 cells of built-up where population > 0.35, and forest within 1 cell of forest where the
    DEM is above 150 m and a hash draw < 0.5. Regional 10-year demand: twice both gains, taken from
    cropland (net change of a few per cent).
    """
    import numpy as np
    import pandas as pd
    from rasterio.transform import from_origin
    from scipy import ndimage

    from landcarbon.core.grid import GridSpec
    from landcarbon.io.rasters import TiledWriter

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    lo = max(8, size // 50)
    base = rng.integers(1, 7, size=(lo, lo)).astype(np.int16)
    base = np.where(base == 5, 1, base)
    relief = rng.random((lo + 1, lo + 1)) * 80
    centres = rng.random((max(2, round(size * size / 800_000)), 2)) * size
    sig2 = 2 * 130.0 ** 2
    grid = GridSpec((size, size), from_origin(500_000.0, 3_400_000.0 + size * 30, 30, 30), "EPSG:32650")
    h = 2

    def cls_before(r0, r1, c0, c1):
        rr = np.clip(np.arange(r0, r1), 0, size - 1) * lo // size
        cc = np.clip(np.arange(c0, c1), 0, size - 1) * lo // size
        a = base[rr[:, None], cc[None, :]].copy()
        a[_hash01(r0, r1, c0, c1, size, seed + 1) < 0.02] = 5
        return a

    def pop_of(r0, r1, c0, c1):
        p = np.zeros((r1 - r0, c1 - c0), np.float32)
        ys = np.arange(r0, r1, dtype=np.float64)
        xs = np.arange(c0, c1, dtype=np.float64)
        for cy, cx in centres:
            p += (np.exp(-(ys - cy) ** 2 / sig2)[:, None] * np.exp(-(xs - cx) ** 2 / sig2)[None, :]).astype(np.float32)
        return p

    def dem_of(r0, r1, c0, c1):
        ys = np.arange(r0, r1, dtype=np.float64) * lo / size
        xs = np.arange(c0, c1, dtype=np.float64) * lo / size
        yy, xx = np.meshgrid(ys, xs, indexing="ij")
        d = ndimage.map_coordinates(relief, [yy, xx], order=1, mode="nearest")
        return (d + 200 * xx / lo + 100 * yy / lo).astype(np.float32)

    counts_after = np.zeros(7, np.int64)
    gains = np.zeros(7, np.int64)
    names = ("before", "after", "dem", "pop")
    writers = {n: TiledWriter(folder / f"{n}.tif", grid, dtype="int16" if n in ("before", "after") else "float32",
                              nodata=0 if n in ("before", "after") else None).open() for n in names}
    try:
        for r0 in range(0, size, block):
            for c0 in range(0, size, block):
                r1, c1 = min(size, r0 + block), min(size, c0 + block)
                g0, g1, k0, k1 = r0 - h, r1 + h, c0 - h, c1 + h          # halo (clipped by the hashes)
                a = cls_before(g0, g1, k0, k1)
                pop = pop_of(g0, g1, k0, k1)
                dem = dem_of(g0, g1, k0, k1)
                built = a == 5
                grow_b = ndimage.binary_dilation(built, iterations=2) & (a == 1) & (pop > 0.35)
                grow_f = (ndimage.binary_dilation(a == 2) & (a == 1) & (dem > 150)
                          & (_hash01(g0, g1, k0, k1, size, seed + 2) < 0.5))
                after = a.copy()
                after[grow_f] = 2
                after[grow_b] = 5
                sl = (slice(h, h + r1 - r0), slice(h, h + c1 - c0))
                writers["before"].write(a[sl], r0, c0)
                writers["after"].write(after[sl], r0, c0)
                writers["dem"].write(dem[sl], r0, c0)
                writers["pop"].write(pop[sl] * 1000, r0, c0)
                counts_after += np.bincount(after[sl].ravel(), minlength=7)
                gains[5] += int(grow_b[sl].sum())
                gains[2] += int((grow_f[sl] & ~grow_b[sl]).sum())
        for w in writers.values():
            w.commit()
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    dem_cells = counts_after.copy()
    for k in (2, 5):                                   # ten years at twice the calibration pace
        dem_cells[k] += 2 * gains[k]
        dem_cells[1] -= 2 * gains[k]
    pd.DataFrame({"code": np.arange(1, 7), "cells": dem_cells[1:]}).to_csv(folder / "demand.csv", index=False)
    return {"size": size, "cells": size * size, "net_change_share": round(float(2 * gains.sum() / size ** 2), 4),
            "start_counts": counts_after[1:].tolist(), "demand": dem_cells[1:].tolist()}


def _ooc_case(size: int, tiles: int, jobs: int, seed: int, folder: str) -> dict:
    import pandas as pd

    from landcarbon.models.simulate import LeasParams
    from landcarbon.workflow.simulate_zoned import run_simulate_zoned

    d = Path(folder) / str(size)
    if not (d / "demand.csv").exists():
        raise SystemExit(f"run the generation first: {d}")
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    run = run_simulate_zoned(start=str(d / "after.tif"), calibrate_from=str(d / "before.tif"),
                             calibrate_to=str(d / "after.tif"), drivers=[str(d / "dem.tif"), str(d / "pop.tif")],
                             demand=str(d / "demand.csv"), out=[str(d / "sim.tif")], seed=seed, tiles=tiles,
                             zone_workers=jobs, leas_params=LeasParams(n_jobs=1 if jobs > 1 else jobs))
    wall = time.perf_counter() - t0
    summ = pd.read_csv(run / "summary.csv")
    man = json.loads((run / "manifest.json").read_text())
    return {"case": f"out-of-core {size}x{size}, {tiles}x{tiles} tiles, 10-year demand, {jobs} zone workers",
            "cells": size * size,
            "wall_s": round(wall, 2), "peak_rss_MB": round(_rss_mb(), 1), "rss_before_MB": round(rss0, 1),
            "final_gap_cells": int(summ.gap_cells.abs().sum()), "iterations_max": int(summ.iterations.max()),
            "steps_s": man.get("timings", man.get("timings_s")),
            "largest_zone_window_cells": json.loads((run / "summary.json").read_text())["largest_zone_window_cells"]}


def _child(args: argparse.Namespace) -> None:
    if args.case == "generate":
        import rasterio

        t0 = time.perf_counter()
        with rasterio.Env(GDAL_CACHEMAX=128 * 1024 * 1024):      # GDAL's write cache, else 5 % of RAM
            out = generate_region(args.size, Path(args.folder) / str(args.size))
        out.update({"generate_s": round(time.perf_counter() - t0, 2), "peak_rss_MB": round(_rss_mb(), 1)})
        print("RESULT " + json.dumps(out, default=str))
        return
    if args.case == "ooc":
        out = _ooc_case(args.size, args.tiles, args.jobs, args.seed, args.folder)
    elif args.case == "wuhan":
        out = _wuhan_case(args.calibrate, args.start, args.target, args.jobs, args.seed, json.loads(args.cars),
                          json.loads(args.leas))
    elif args.case == "synthetic":
        out = _synthetic_case(args.size, args.zones, args.jobs, args.seed)
    else:
        out = _dask_case(args.size, args.zones, args.jobs, args.seed)
    print("RESULT " + json.dumps(out, default=str))


def _spawn(argv: list[str], jobs: int) -> dict:
    env = dict(os.environ, NUMBA_NUM_THREADS=str(jobs), OMP_NUM_THREADS=str(jobs), OPENBLAS_NUM_THREADS=str(jobs),
               MKL_NUM_THREADS=str(jobs))
    t0 = time.perf_counter()
    cp = subprocess.run([sys.executable, __file__, "--child", *argv], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    line = [ln for ln in cp.stdout.splitlines() if ln.startswith("RESULT ")]
    if cp.returncode != 0 or not line:
        raise SystemExit(f"benchmark child failed:\n{cp.stdout[-3000:]}\n{cp.stderr[-3000:]}")
    res = json.loads(line[-1][7:])
    res["process_wall_s"] = round(wall, 2)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", choices=["wuhan", "heldout", "synthetic", "dask", "ooc", "generate"])
    ap.add_argument("--tiles", type=int, default=10)
    ap.add_argument("--folder", default="/tmp/lc_bench_sim")
    ap.add_argument("--calibrate", default="2003-2010")
    ap.add_argument("--start", type=int, default=2005)
    ap.add_argument("--target", type=int, default=2010)
    ap.add_argument("--size", type=int, default=2000)
    ap.add_argument("--zones", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--cars", default="{}", help="JSON of CarsParams overrides")
    ap.add_argument("--leas", default="{}", help="JSON of LeasParams overrides (wuhan cases)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args)
        return
    common = ["--jobs", str(args.jobs), "--seed", str(args.seed), "--cars", args.cars, "--leas", args.leas]
    if args.case == "wuhan":
        runs = [["wuhan", "--calibrate", args.calibrate, "--start", str(args.start), "--target", str(args.target)]]
    elif args.case == "heldout":
        if args.target != 2010 or args.start != 2005:
            raise SystemExit("heldout runs fixed cases; do not pass --start/--target")
        runs = [["wuhan", "--calibrate", "2003-2013", "--start", "2003", "--target", "2013"],
                ["wuhan", "--calibrate", "2005-2010", "--start", "2010", "--target", "2013"]]
    elif args.case in ("ooc", "generate"):
        f = ["--size", str(args.size), "--folder", args.folder]
        runs = [["generate", *f]] if args.case == "generate" or not (Path(args.folder) / str(args.size) /
                                                                       "demand.csv").exists() else []
        if args.case == "ooc":
            runs.append(["ooc", *f, "--tiles", str(args.tiles)])
    else:
        runs = [[args.case, "--size", str(args.size), "--zones", str(args.zones)]]
    for r in runs:
        print(json.dumps(_spawn(r + common, args.jobs), indent=1))


if __name__ == "__main__":
    main()
