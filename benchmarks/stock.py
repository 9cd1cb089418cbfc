"""Benchmark of ``landcarbon stock`` (methods.md §2) on synthetic patchy land-use maps.

Usage::

    python benchmarks/stock.py [--folder /tmp/lc_bench] [--size 8000] [--big 40000] [--threads 2]
                               [--repeat 3] [--profile]

Maps are generated once, deterministically (seeded value noise: smooth multi-scale fields cut into
8 classes, so classes form patches, not white noise), as tiled GeoTIFFs (512 × 512, ZSTD) in
``--folder`` outside the repository. Each case runs ``landcarbon stock`` in a fresh child process;
wall time and peak RSS come from ``os.wait4`` of that child (``ru_maxrss``), and the in-run time from
the run's manifest (``timings_s.total``: loading to the last file, without Python start-up).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CELL = 30.0
ORIGIN = (400_000.0, 3_500_000.0)
# Albers equal-area for China (CGCS2000-like WGS 84 ellipsoid): a 40000 x 30 m map spans 1 200 km, too
# wide for nominal areas in UTM (landcarbon refuses > 1 % areal distortion), exact in an equal-area CRS
CRS = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
N_CLASSES = 8
# density (Mg C/ha) of each class: cropland, forest, grassland, water, built-up, unused, wetland, shrub
POOLS = [
    (1, "cropland", 5.0, 1.2, 80.0, 0.5), (2, "forest", 60.0, 15.0, 120.0, 6.0),
    (3, "grassland", 3.5, 8.0, 90.0, 1.0), (4, "water", 0.0, 0.0, 0.0, 0.0),
    (5, "built_up", 2.0, 0.4, 30.0, 0.0), (6, "unused", 0.3, 0.1, 20.0, 0.0),
    (7, "wetland", 4.0, 2.0, 150.0, 2.0), (8, "shrub", 12.0, 6.0, 70.0, 1.5),
]


def _field(seed: int, scale: int, r0: int, c0: int, h: int, w: int) -> np.ndarray:
    """Bilinear value noise with cell ``scale`` evaluated on rows r0..r0+h, cols c0..c0+w (float32)."""
    gr0, gc0 = r0 // scale, c0 // scale
    gh, gw = (r0 + h) // scale - gr0 + 2, (c0 + w) // scale - gc0 + 2
    # lattice values hashed from their global coordinates: the same wherever the window is
    ii = (np.arange(gr0, gr0 + gh, dtype=np.uint64)[:, None] * np.uint64(73856093))
    jj = (np.arange(gc0, gc0 + gw, dtype=np.uint64)[None, :] * np.uint64(19349663))
    hsh = (ii ^ jj ^ np.uint64(seed * 83492791 + scale)) * np.uint64(0x9E3779B97F4A7C15)
    hsh ^= hsh >> np.uint64(29)
    grid = ((hsh >> np.uint64(40)).astype(np.float64) / float(1 << 24)).astype(np.float32)
    y = (np.arange(r0, r0 + h) / scale - gr0).astype(np.float32)
    x = (np.arange(c0, c0 + w) / scale - gc0).astype(np.float32)
    yi, xi = y.astype(np.int64), x.astype(np.int64)
    fy, fx = (y - yi)[:, None], (x - xi)[None, :]
    a = grid[yi][:, xi]
    b = grid[yi][:, xi + 1]
    c = grid[yi + 1][:, xi]
    d = grid[yi + 1][:, xi + 1]
    return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy


def patchy_window(seed: int, r0: int, c0: int, h: int, w: int, *, changed: bool = False,
                  border: int = 0) -> np.ndarray:
    """Land-use classes 1..8 of one window; ``changed``: the later map (about 15 % of cells change,
    in patches: forest and cropland lose to built-up and cropland)."""
    f = _field(seed, 400, r0, c0, h, w) + 0.5 * _field(seed + 1, 90, r0, c0, h, w) \
        + 0.2 * _field(seed + 2, 17, r0, c0, h, w)
    from scipy.special import ndtr  # cut the field at its approximate quantiles: classes of similar share

    cls = np.clip((ndtr((f - 0.85) / 0.2) * N_CLASSES).astype(np.int16), 0, N_CLASSES - 1).astype(np.uint8) + 1
    if changed:
        m = _field(seed + 10, 150, r0, c0, h, w) + 0.3 * _field(seed + 11, 25, r0, c0, h, w)
        conv = m > 0.95
        cls = np.where(conv & (cls == 2), 1, cls)
        cls = np.where(conv & (cls == 1) & (m > 1.05), 5, cls)
        cls = np.where(conv & (cls == 3), 8, cls).astype(np.uint8)
    # speckle: 3 % of cells take another class (classification noise of real 30 m products)
    ii = np.arange(r0, r0 + h, dtype=np.uint64)[:, None] * np.uint64(2654435761)
    jj = np.arange(c0, c0 + w, dtype=np.uint64)[None, :] * np.uint64(40503)
    hsh = (ii ^ (jj + np.uint64(seed * 7919 + (13 if changed else 0)))) * np.uint64(0x9E3779B97F4A7C15)
    hsh ^= hsh >> np.uint64(31)
    u = (hsh >> np.uint64(40)).astype(np.uint32)
    speck = (u % np.uint32(1000)) < 30
    cls = np.where(speck, (u // np.uint32(1000) % np.uint32(N_CLASSES) + 1).astype(np.uint8), cls)
    # a nodata border on the left (real maps rarely fill their rectangle)
    cols = np.arange(c0, c0 + w)
    cls[:, cols < border] = 0
    return cls


def make_map(path: Path, size: int, *, seed: int, changed: bool, window: int = 2048) -> Path:
    import rasterio
    import rasterio.crs
    from affine import Affine
    from rasterio.windows import Window

    if path.exists():
        with rasterio.open(path) as src:
            same = src.crs is not None and src.crs == rasterio.crs.CRS.from_user_input(CRS)
        if not same:                                   # maps generated before the CRS choice: relabel
            with rasterio.open(path, "r+") as dst:
                dst.crs = rasterio.crs.CRS.from_user_input(CRS)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.tif")
    prof = dict(driver="GTiff", height=size, width=size, count=1, dtype="uint8", crs=CRS, nodata=0,
                transform=Affine(CELL, 0, ORIGIN[0], 0, -CELL, ORIGIN[1] + CELL * size), tiled=True,
                blockxsize=512, blockysize=512, compress="ZSTD", zstd_level=3, predictor=2, bigtiff="IF_SAFER")
    with rasterio.open(tmp, "w", **prof) as dst:
        for r0 in range(0, size, window):
            for c0 in range(0, size, window):
                h, w = min(window, size - r0), min(window, size - c0)
                dst.write(patchy_window(seed, r0, c0, h, w, changed=changed, border=size * 3 // 100), 1,
                          window=Window(c0, r0, w, h))
    os.replace(tmp, path)
    return path


def write_pools(folder: Path) -> Path:
    p = folder / "pools.csv"
    lines = ["lucode,name,c_above,c_below,c_soil,c_dead"] + [",".join(str(v) for v in row) for row in POOLS]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def run_case(args: list[str], out: Path, threads: int | None, env_extra: dict | None = None) -> dict:
    """Run ``landcarbon stock`` in a child process; wall time, peak RSS and the manifest timings."""
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "landcarbon.cli.main", "stock", *args, "--out", str(out)]
    if threads:
        cmd += ["--threads", str(threads)]
    env = dict(os.environ, **(env_extra or {}))
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"stock failed: {err}")
    man = json.loads((out / "manifest.json").read_text())
    return {"wall_s": round(wall, 3), "run_s": man["timings_s"].get("total"), "peak_rss_MB": round(ru.ru_maxrss / 1024, 1),
            "timings": man["timings_s"], "out_MB": round(sum(f.stat().st_size for f in out.rglob("*.tif")) / 2**20, 1)}


def profile(m1: Path, m2: Path, pools: Path, folder: Path, window: int = 512) -> dict:
    """Single-threaded breakdown of one full run (same io classes and kernels as the workflow)."""
    import pandas as pd

    from landcarbon.core.grid import GridSpec
    from landcarbon.io import rasters as R
    from landcarbon.io.windows import RasterWindowReader
    from landcarbon.models import carbon_stock as cs

    p = cs.plan(cs.read_pools(pd.read_csv(pools)), years=[2020, 2050], price=43.0, discount_rate=7.0)
    r1, r2 = RasterWindowReader(m1), RasterWindowReader(m2)
    import rasterio

    with rasterio.open(m1) as src:
        grid = GridSpec(src.shape, src.transform, src.crs)
        dt = src.dtypes[0]
    infos = [cs.code_info(p, 0, np.dtype(dt))] * 2
    rows, cols = grid.shape
    t = dict.fromkeys(("read", "compute", "write_storage", "write_change", "write_npv", "close"), 0.0)
    names = ["c_storage_2020", "c_storage_2050", "c_change", "npv"]
    writers = [R.TiledWriter(folder / "prof" / f"{n}.tif", grid, predictor=1).open() for n in names]
    bufs = {"storage": np.empty((2, window, window), np.float32), "change": np.empty((1, window, window), np.float32),
            "npv": np.empty((1, window, window), np.float32)}
    with rasterio.Env(GDAL_CACHEMAX=32 * 2**20):
        for r0 in range(0, rows, window):
            for c0 in range(0, cols, window):
                h, w = min(window, rows - r0), min(window, cols - c0)
                t0 = time.perf_counter()
                a, b = r1.read(r0, c0, h, w), r2.read(r0, c0, h, w)
                t1 = time.perf_counter()
                maps, _ = cs.stock_window(p, [a, b], infos, row_w=np.ones(h), buffers=bufs)
                t2 = time.perf_counter()
                writers[0].write(maps["storage"][0], r0, c0)
                writers[1].write(maps["storage"][1], r0, c0)
                t3 = time.perf_counter()
                writers[2].write(maps["change"][0], r0, c0)
                t4 = time.perf_counter()
                writers[3].write(maps["npv"][0], r0, c0)
                t5 = time.perf_counter()
                t["read"] += t1 - t0
                t["compute"] += t2 - t1
                t["write_storage"] += t3 - t2
                t["write_change"] += t4 - t3
                t["write_npv"] += t5 - t4
        t0 = time.perf_counter()
        for wr in writers:
            wr.commit()
        t["close"] = time.perf_counter() - t0
    return {k: round(v, 3) for k, v in t.items()} | {"sum_s": round(sum(t.values()), 3)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--folder", default="/tmp/lc_bench")
    ap.add_argument("--size", type=int, default=8000)
    ap.add_argument("--big", type=int, default=0, help="also run a BIG x BIG map (e.g. 40000), totals + maps")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="", help="comma list of cases: full,nomaps,big")
    ap.add_argument("--profile", action="store_true", help="single-threaded time breakdown, then exit")
    a = ap.parse_args(argv)
    folder = Path(a.folder)
    t0 = time.perf_counter()
    m1 = make_map(folder / f"lulc_{a.size}_2020.tif", a.size, seed=1, changed=False)
    m2 = make_map(folder / f"lulc_{a.size}_2050.tif", a.size, seed=1, changed=True)
    pools = write_pools(folder)
    print(f"maps ready in {time.perf_counter() - t0:.1f} s: {m1}, {m2}", flush=True)
    base = ["--landuse", str(m1), "--landuse", str(m2), "--years", "2020", "2050", "--pools", str(pools),
            "--price", "43", "--discount-rate", "7", "--price-change", "0"]
    if a.profile:
        profile(m1, m2, pools, folder)                      # warm-up (numba cache, page cache)
        print(json.dumps({"profile_single_thread_s": profile(m1, m2, pools, folder)}))
        return
    only = set(filter(None, a.only.split(","))) or {"full", "nomaps", "big"}
    # warm-up: numba caches compiled kernels on first use
    run_case(base + ["--no-maps"], folder / "out_warmup", a.threads)
    results: dict[str, list[dict]] = {}
    cells = a.size * a.size
    for name, extra in (("full", []), ("nomaps", ["--no-maps"])):
        if name not in only:
            continue
        results[name] = []
        for _ in range(a.repeat):
            r = run_case(base + extra, folder / f"out_{name}", a.threads)
            r["grid_cells_per_s_run"] = round(cells / r["run_s"]) if r["run_s"] else None
            results[name].append(r)
            print(name, json.dumps(r), flush=True)
    if a.big and "big" in only:
        t1 = time.perf_counter()
        b1 = make_map(folder / f"lulc_{a.big}_2020.tif", a.big, seed=2, changed=False)
        b2 = make_map(folder / f"lulc_{a.big}_2050.tif", a.big, seed=2, changed=True)
        print(f"big maps ready in {time.perf_counter() - t1:.1f} s", flush=True)
        bargs = ["--landuse", str(b1), "--landuse", str(b2), "--years", "2020", "2050", "--pools", str(pools),
                 "--price", "43", "--discount-rate", "7"]
        for name, extra in (("big_nomaps", ["--no-maps"]), ("big_full", [])):
            r = run_case(bargs + extra, folder / f"out_{name}", a.threads)
            r["grid_cells_per_s_run"] = round(a.big * a.big / r["run_s"]) if r["run_s"] else None
            results[name] = [r]
            print(name, json.dumps(r), flush=True)
    print(json.dumps({"size": a.size, "threads": a.threads or os.cpu_count(), "results": results}, indent=1))


if __name__ == "__main__":
    main()
