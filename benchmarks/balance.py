"""Benchmarks of issue 4: carbon balance at scale and zonal emissions on a 1e8-cell map in bounded memory.

    .venv/bin/python benchmarks/balance.py balance [--zones 3000] [--years 30] [--repeat 3]
    .venv/bin/python benchmarks/balance.py emissions-map [--size 10000] [--zones 100] [--folder /tmp/lc_bench_em]

``balance``: synthetic zone × year tables (seeded); times (a) the model alone (indicators, three zonings,
value forms, per-year totals) and (b) the whole `landcarbon balance` workflow (CSV in, CSV out, transfers,
manifest). Target: ≤ 5 s for 3 000 zones × 30 years.

``emissions-map``: writes a synthetic size × size national-6 map (uint8, 0 = nodata) and a grid of zones to
``--folder`` (never the repo), then runs `landcarbon emissions` in a child process through the chunked dask
path (landcarbon.ops.zonal.zone_class_sums); wall time and peak RSS come from os.wait4 of the child.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def _tables(n_zones: int, n_years: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    zones = np.repeat([f"zone_{i:05d}" for i in range(n_zones)], n_years)
    years = np.tile(np.arange(1995, 1995 + n_years), n_zones)
    em = pd.DataFrame({"zone": zones, "year": years, "emission_tCO2e": rng.uniform(1e3, 1e6, len(zones)),
                       "absorption_tCO2": rng.uniform(0, 3e5, len(zones))})
    se = pd.DataFrame({"zone": zones, "year": years, "gdp_1e4CNY": rng.uniform(1e4, 1e7, len(zones)),
                       "population": rng.uniform(1e4, 2e6, len(zones)), "engel": rng.uniform(0.2, 0.5, len(zones))})
    return em, se


def bench_balance(n_zones: int, n_years: int, repeat: int) -> dict:
    from landcarbon.models import balance as B
    from landcarbon.models import compensation as K
    from landcarbon.workflow.balance import run_balance

    em, se = _tables(n_zones, n_years)
    model_t = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        bal = B.carbon_balance(B.prepare_emissions(em), B.prepare_socioeconomic(se), pearl=True)
        B.balance_totals(bal)
        K.transfers_by_year(bal, value_col="value_pearl_CNY")
        model_t.append(time.perf_counter() - t0)
    with tempfile.TemporaryDirectory() as d:
        em_p, se_p = Path(d) / "em.csv", Path(d) / "se.csv"
        em.to_csv(em_p, index=False)
        se.to_csv(se_p, index=False)
        wf_t = []
        for i in range(repeat):
            t0 = time.perf_counter()
            run_balance(out=Path(d) / f"out{i}", emissions=em_p, socioeconomic=se_p, pearl=True)
            wf_t.append(time.perf_counter() - t0)
    return {"zones": n_zones, "years": n_years, "rows": n_zones * n_years,
            "model_s_min": min(model_t), "model_s_median": float(np.median(model_t)),
            "workflow_s_min": min(wf_t), "workflow_s_median": float(np.median(wf_t)), "target_s": 5.0}


def _write_map(folder: Path, size: int, n_side: int) -> tuple[Path, Path]:
    import dask.array as dsa
    import geopandas as gpd
    from affine import Affine
    from shapely.geometry import box

    from landcarbon.core.grid import GridSpec
    from landcarbon.io import write_gpkg, write_raster

    folder.mkdir(parents=True, exist_ok=True)
    lu, zp = folder / f"lu_{size}.tif", folder / f"zones_{n_side}.gpkg"
    cell = 30.0
    x0, y0 = 500_000.0, 3_500_000.0
    grid = GridSpec((size, size), Affine(cell, 0, x0, 0, -cell, y0), "EPSG:32650")
    if not lu.exists():
        def block(b, block_info=None):
            (r0, r1), (c0, c1) = block_info[None]["array-location"]
            rr, cc = np.mgrid[r0:r1, c0:c1]
            v = ((rr // 7 + cc // 11 + (rr * cc) % 5) % 6 + 1).astype(np.uint8)   # deterministic pattern 1..6
            v[(rr % 997) == 0] = 0                                                  # some nodata rows
            return v

        arr = dsa.zeros((size, size), chunks=2048, dtype=np.uint8).map_blocks(block, dtype=np.uint8)
        write_raster(arr, lu, grid, nodata=0, dtype="uint8")
    if not zp.exists():
        step = size * cell / n_side
        boxes, names = [], []
        for i in range(n_side):
            for j in range(n_side):
                boxes.append(box(x0 + j * step, y0 - (i + 1) * step, x0 + (j + 1) * step, y0 - i * step))
                names.append(f"z{i:02d}_{j:02d}")
        write_gpkg(gpd.GeoDataFrame({"name": names}, geometry=boxes, crs="EPSG:32650"), zp)
    return lu, zp


def bench_emissions_map(size: int, n_side: int, folder: Path) -> dict:
    t0 = time.perf_counter()
    lu, zp = _write_map(folder, size, n_side)
    t_write = time.perf_counter() - t0
    out = folder / "run"
    cmd = [sys.executable, "-m", "landcarbon.cli.main", "emissions", "--landuse", str(lu), "--year", "2020",
           "--zones", str(zp), "--zone-field", "name", "--coef", "built_up=0.0", "--out", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"emissions run failed: {err}")
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    ez = pd.read_csv(out / "emissions_by_zone.csv", encoding="utf-8-sig")
    raw_mb = size * size / 2**20
    return {"cells": size * size, "zones": n_side * n_side, "map_write_s": round(t_write, 1),
            "wall_s": round(wall, 1), "peak_rss_MiB": round(usage.ru_maxrss / 1024, 1),
            "map_uint8_in_memory_MiB": round(raw_mb, 1), "timings_s": man["timings_s"],
            "area_ha_total": float(ez["area_ha"].sum())}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["balance", "emissions-map"])
    ap.add_argument("--zones", type=int, default=None)
    ap.add_argument("--years", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--folder", default="/tmp/lc_bench_em")
    a = ap.parse_args()
    if a.what == "balance":
        r = bench_balance(a.zones or 3000, a.years, a.repeat)
    else:
        r = bench_emissions_map(a.size, int(round(np.sqrt(a.zones or 100))), Path(a.folder))
    print(json.dumps(r, indent=1))


if __name__ == "__main__":
    main()
