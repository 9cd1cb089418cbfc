"""Out-of-core, zone-partitioned land-use simulation (methods.md §8; design.md "simulation by zone").

Nothing here holds a whole-region array. The region is read window by window from the GeoTIFFs:

1. **Scan** (blocks of ``block`` × ``block`` cells, a 1-cell halo for slope): class codes, driver
   min/max and categories over the valid cells, driver holes, the expansion shares (neighbourhood
   weights), per-zone start counts, calibration gains and bounding boxes, and the LEAS training
   sample: each expansion cell with valid drivers is kept with probability ``sample_rate``
   (Bernoulli), with one child ``SeedSequence`` per block in raster order.
2. **LEAS**: the forests are fitted once on that sample (:func:`landcarbon.models.simulate.leas.fit_forests`).
3. **Zones**: each zone is simulated on its own window (bounding box of its valid cells + a halo of
   ``neighbourhood // 2`` cells, so neighbourhood shares are right at borders; only the zone's cells
   change) by :func:`landcarbon.models.simulate.simulate` with the region's model, codes,
   normalisation, weights and the zone's child seed ``SeedSequence(seed).spawn(n_zones)[i]`` (zones
   in ascending id order). Serially or as Dask tasks: the same map either way. Each zone's result
   window goes to a scratch ``.npy`` file.
4. **Assembly**: every output map is written block by block into a tiled GeoTIFF (ZSTD) from the
   start map and the zone results.

The scan and the assembly run on the windowed engine (``workflow.engine``; they live in
``workflow.simulate_scan``); every window, the zones' included, is read through ``io.windows``.

Peak memory is set by the largest zone window (checked before the run, see :func:`zone_limit_bytes`)
and by ``block``, not by the region.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.classes import ClassScheme
from ..core.errors import InfeasibleError, InputValidationError
from ..core.grid import grid_of
from ..core.spec import Issue
from ..io import read_raster, read_table
from ..io.windows import Window
from ..models.simulate import SPEC, CarsParams, LeasParams, simulate
from ..models.simulate.leas import fit_forests
from .simulate_scan import (
    BLOCK,
    RegionScan,
    ZoneLayout,
    assemble,
    read_window,
    release_memory,
    sample_stack,
    scan_region,
)

__all__ = ["BLOCK", "GDAL_CACHE_MB", "ZONE_BYTES_PER_CELL", "ZONE_MEMORY_SHARE", "RegionScan", "ZoneLayout",
           "apportion_demand", "run_simulate_zoned", "sample_stack", "scan_region", "zone_bytes", "zone_limit_bytes"]

#: estimated peak bytes per cell of one zone window inside ``simulate()`` (inputs, normalised
#: drivers, masks, state, rule maps, prediction), plus 8 bytes per driver feature and per class; a
#: conservative estimate: 1 M-cell zones stayed below the scan's peak in the benchmark
#: (docs/benchmarks/simulate.md) [D]
ZONE_BYTES_PER_CELL = 400
#: default share of the available memory one zone may use [D]
ZONE_MEMORY_SHARE = 0.5
#: GDAL block cache during the run (MB); GDAL's default (5 % of RAM) would let the cache grow with
#: the region up to that cap [D]
GDAL_CACHE_MB = 128


def zone_limit_bytes(limit: float | None = None) -> float:
    """Bytes one zone window may use: ``limit`` when given, else ZONE_MEMORY_SHARE × available memory."""
    if limit is not None:
        return float(limit)
    try:
        import psutil

        return ZONE_MEMORY_SHARE * float(psutil.virtual_memory().available)
    except ImportError:  # pragma: no cover - psutil ships with distributed
        return 4e9


def zone_bytes(cells: int, n_features: int, n_classes: int) -> float:
    """Estimated peak bytes of simulating one zone window of ``cells`` cells."""
    return float(cells) * (ZONE_BYTES_PER_CELL + 8 * n_features + 8 * n_classes)


# -- demand per zone -------------------------------------------------------------------------------
def _largest_remainder(x: np.ndarray, total: int) -> np.ndarray:
    base = np.floor(x).astype(np.int64)
    rest = int(total - base.sum())
    if rest > 0:
        order = np.argsort(-(x - base), kind="stable")
        base[order[:rest]] += 1
    return base


def apportion_demand(regional: np.ndarray, start: np.ndarray, gains: np.ndarray, zone_ids: Sequence[int],
                     codes: Sequence[int]) -> np.ndarray:
    """Zone demands (Z, K) from a regional demand (K,), documented rule (docs/simulate.md):

    Δ_k = D_k − Σ_z S_{z,k}. A growing class's gain is split over the zones by their share of its
    calibration gains ``gains`` (cells that became k between the calibration maps; by valid cells
    when the class gained nowhere), rounded by largest remainders, so gains sum to Δ_k exactly. Each
    zone then loses as many cells as it gains (T_z): the losses of the shrinking classes are fitted
    to row sums T_z and column sums −Δ_k by iterative proportional fitting from the zone's start
    counts (never more than a zone has), then rounded with both sums kept. Returns S + G − L.
    """
    s = np.asarray(start, dtype=np.int64)
    z_n, k_n = s.shape
    d = np.asarray(regional, dtype=np.int64)
    if int(d.sum()) != int(s.sum()):
        raise InputValidationError(f"the regional demand totals {int(d.sum())} pixels but the zones hold "
                                   f"{int(s.sum())} valid cells; the demand must sum to the valid cells inside the "
                                   f"zones exactly (cells outside every zone keep their start class)")
    delta = d - s.sum(axis=0)
    g = np.zeros((z_n, k_n), dtype=np.int64)
    size = s.sum(axis=1).astype(np.float64)
    for k in np.flatnonzero(delta > 0):
        w = gains[:, k].astype(np.float64)
        if w.sum() <= 0:
            w = size
        g[:, k] = _largest_remainder(delta[k] * w / w.sum(), int(delta[k]))
    t = g.sum(axis=1)
    lose = np.flatnonzero(delta < 0)
    loss = np.zeros((z_n, k_n), dtype=np.int64)
    if lose.size:
        cap = s[:, lose].astype(np.float64)
        need = -delta[lose].astype(np.float64)
        short = np.flatnonzero(cap.sum(axis=1) < t)
        if short.size:
            z = zone_ids[int(short[0])]
            raise InfeasibleError(f"zone {z} gets {int(t[short[0]])} pixels of growing classes but holds only "
                                  f"{int(cap[short[0]].sum())} cells of shrinking classes; the regional demand "
                                  f"cannot be apportioned by the rule: give a per-zone demand (zone,code,cells)")
        m = cap.copy()
        for _ in range(500):
            rs = m.sum(axis=1)
            m *= np.divide(t, rs, out=np.zeros_like(rs), where=rs > 0)[:, None]
            cs = m.sum(axis=0)
            m *= np.divide(need, cs, out=np.zeros_like(cs), where=cs > 0)[None, :]
            m = np.minimum(m, cap)
            if np.abs(m.sum(axis=1) - t).max() < 1e-6 and np.abs(m.sum(axis=0) - need).max() < 1e-6:
                break
        f = np.floor(m + 1e-9).astype(np.int64)
        f = np.minimum(f, s[:, lose])
        rd = t - f.sum(axis=1)
        cd = need.astype(np.int64) - f.sum(axis=0)
        frac = (m - f).ravel()
        order = np.argsort(-frac, kind="stable")
        capi = s[:, lose]
        for _sweep in range(3):
            for flat in order:
                zi, ki = divmod(int(flat), lose.size)
                if rd[zi] > 0 and cd[ki] > 0 and f[zi, ki] < capi[zi, ki]:
                    f[zi, ki] += 1
                    rd[zi] -= 1
                    cd[ki] -= 1
            if not rd.any():
                break
        if rd.any() or cd.any():
            zi = int(np.flatnonzero(rd)[0]) if rd.any() else 0
            raise InfeasibleError(f"the regional demand cannot be apportioned to the zones by the rule (zone "
                                  f"{zone_ids[zi]} still needs {int(rd[zi])} pixels of losses that no shrinking "
                                  f"class can give there); give a per-zone demand table (zone,code,cells)")
        loss[:, lose] = f
    out = s + g - loss
    if (out < 0).any():  # pragma: no cover - the caps above prevent it
        raise InfeasibleError("apportioned zone demand is negative; give a per-zone demand table")
    return out



# -- one zone ----------------------------------------------------------------------------------
def _zone_job(job: dict) -> dict:
    """Read the zone's window, simulate it with the region's model, save the result window."""
    import rasterio

    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB * 1024 * 1024):
        try:
            return _zone_job_inner(job)
        finally:
            release_memory()


def _zone_job_inner(job: dict) -> dict:
    z = job["zone"]
    r0, r1, c0, c1 = job["window"]
    win = Window(0, 0, 0, r0, c0, r1 - r0, c1 - c0)
    st = read_window(job["start"], win, categorical=True, name="start")
    drv = {n: read_window(p, win, categorical=n in job["categorical"], name=n) for n, p in job["drivers"].items()}
    layout: ZoneLayout = job["layout"]
    zb = layout.block(r0, r1, c0, c1)
    zone_da = st.copy(data=np.where(zb == z, z, 0).astype(np.int32)).rio.write_nodata(None, encoded=False)
    restrict = None
    if job["restrict"]:
        restrict = read_window(job["restrict"], win, categorical=True, name="restrict")
    lines = {ln: read_window(p, win, name=ln) for ln, p in job["lines"].items()}
    try:
        res = _simulate_window(job, st, drv, zone_da, restrict, lines, z)
    except InfeasibleError as err:
        if job.get("derived"):
            raise InfeasibleError(f"{err} [this zone demand was apportioned from the regional demand by the "
                                  f"calibration-gain rule (zone_demand.csv); use fewer, larger zones or give a "
                                  f"per-zone demand table (zone,code,cells)]") from None
        raise
    files = {}
    for s, da in res.maps.items():
        f = Path(job["scratch"]) / f"zone_{z}_stage_{s}.npy"
        np.save(f, np.asarray(da.values))
        files[s] = str(f)
    info = {k: v for k, v in res.info.items() if k.startswith("excluded_") or k in ("n_candidates", "n_valid")}
    return {"zone": z, "files": files, "gaps": res.gaps, "summary": res.summary, "info": info,
            "changed": res.info["changed_share"]}


def _simulate_window(job: dict, st, drv, zone_da, restrict, lines, z: int):
    return simulate(st, job["demand"], calibrate_from=None, calibrate_to=None, drivers=drv, seed=job["seed_int"],
                    categorical=job["categorical"], dem=job["dem"], add_slope=job["add_slope"], restrict=restrict,
                    k_dev=job["k_dev"], lines=lines, rules=job["rules"], groups=job["groups"],
                    transition=job["transition"], transition_orientation=job["transition_orientation"],
                    zones=zone_da, leas_params=job["leas_params"], cars_params=job["cars_params"],
                    return_potential=False, leas=job["leas"], codes=job["codes"], driver_bounds=job["bounds"],
                    driver_categories=job["categories"], zone_seeds={z: job["seed"]})


# -- the run ---------------------------------------------------------------------------------------
def run_simulate_zoned(*, start: str, calibrate_from: str, calibrate_to: str, drivers: Sequence[str],
                       demand: str, out: Sequence[str], seed: int, tiles: int | None = None,
                       zone_size: int | None = None, zones: str | None = None, restrict: str | None = None,
                       develop_class: int | None = None, rules: str | None = "default", lines: Sequence[str] = (),
                       classes: str | None = None, transition: str | None = None,
                       transition_orientation: str = "from_to", no_slope: bool = False,
                       scheduler: str | None = None, overwrite: bool = True, block: int = BLOCK,
                       max_zone_bytes: float | None = None, zone_workers: int = 1,
                       leas_params: LeasParams | None = None, cars_params: CarsParams | None = None,
                       progress: Any = None) -> Path:
    """Out-of-core run from files (the ``tiles`` / ``zone_size`` / ``zones`` raster forms of
    ``landcarbon simulate``); returns the run folder. Outputs as :func:`run_simulate` (tiled GeoTIFF
    maps, tables, manifest) without the potential rasters. ``zone_workers`` zones run at once on
    local threads (the kernels release the GIL); the map does not depend on it. ``progress``:
    called as ``progress(done, total)`` for the scan windows, the zones and the assembly windows."""
    kw = dict(locals())
    import rasterio

    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB * 1024 * 1024):
        return _run_zoned(**kw)


def _open_layers(start, calibrate_from, calibrate_to, drivers, lines, restrict, zones):
    """Every layer's header (lazy DataArrays, read window by window later), checked onto one grid."""
    from .simulate import parse_driver

    start_da = read_raster(start, chunks=None, categorical=True, name="start")
    grid = grid_of(start_da)
    cf = read_raster(calibrate_from, chunks=None, categorical=True, name="calibrate_from")
    ct = read_raster(calibrate_to, chunks=None, categorical=True, name="calibrate_to")
    specs = [parse_driver(d) for d in drivers]
    names = [n for n, _, _ in specs]
    if len(set(names)) != len(names):
        raise InputValidationError([Issue("drivers", f"driver names {names} repeat (names come from the file "
                                                     f"stems); rename a file")])
    categorical = [n for n, _, f in specs if "categorical" in f]
    drv = {n: read_raster(p, chunks=None, categorical=n in categorical, name=n) for n, p, _ in specs}
    others = {"calibrate_from": cf, "calibrate_to": ct} | {f"driver {k}": v for k, v in drv.items()}
    line_paths = {}
    for spec in lines:
        if "=" not in spec:
            raise InputValidationError([Issue("lines", f"found {spec!r}; expected NAME=PATH, e.g. "
                                                       f"eco_redline=redline.tif")])
        ln, lpath = spec.split("=", 1)
        if Path(lpath).suffix.lower() not in (".tif", ".tiff"):
            raise InputValidationError([Issue("lines", f"{spec!r}: the out-of-core run reads control lines as "
                                                       f"rasters (non-zero = inside) on the start grid; rasterise "
                                                       f"the vector first")])
        line_paths[ln.strip()] = lpath
        others[f"line {ln}"] = read_raster(lpath, chunks=None, name=ln)
    if restrict:
        others["restrict"] = read_raster(restrict, chunks=None, categorical=True, name="restrict")
    if zones:
        others["zones"] = read_raster(zones, chunks=None, categorical=True, name="zones")
    for k, da in others.items():
        if grid_of(da) != grid:
            raise InputValidationError(f"{k} is on grid {grid_of(da)} but the start map is on {grid}; the "
                                       f"out-of-core run needs every layer on the start grid (resample it first, "
                                       f"e.g. gdalwarp, or run in memory with align)")
    return start_da, cf, ct, specs, categorical, drv, line_paths


def _zone_windows(scan: RegionScan, shape: tuple[int, int], halo: int) -> dict[int, tuple[int, int, int, int]]:
    rows, cols = shape
    out = {}
    for z in scan.zone_ids:
        b = scan.bbox[z]
        out[z] = (max(0, b[0] - halo), min(rows, b[1] + halo), max(0, b[2] - halo), min(cols, b[3] + halo))
    return out


def _check_zone_size(scan: RegionScan, windows, max_zone_bytes, workers: int) -> tuple[float, int]:
    """Refuse, before anything heavy, a zone window larger than the zones may use."""
    k_n = len(scan.codes)
    n_feat = sum(1 for n in scan.bounds) + sum(v.size for v in scan.categories.values())
    limit = zone_limit_bytes(max_zone_bytes)
    big = max(scan.zone_ids, key=lambda z: (windows[z][1] - windows[z][0]) * (windows[z][3] - windows[z][2]))
    wz = windows[big]
    cells = (wz[1] - wz[0]) * (wz[3] - wz[2])
    need = zone_bytes(cells, n_feat, k_n)
    if need * workers > limit:
        raise InputValidationError([Issue(
            "max_zone_memory",
            f"zone {big} spans a window of {wz[1] - wz[0]} x {wz[3] - wz[2]} = {cells} cells, estimated "
            f"{need / 1e6:.1f} MB ({ZONE_BYTES_PER_CELL}+8 x {n_feat} features+8 x {k_n} classes bytes per cell) "
            f"x {workers} zone worker(s), but the zones may use {limit / 1e6:.1f} MB; use more, smaller zones "
            f"(tiles / zone_size), fewer zone_workers, or raise the limit (max_zone_memory)")])
    return limit, int(cells)


def _zone_demand(demand, scan: RegionScan) -> tuple[list, dict[Any, np.ndarray], bool]:
    """Demand per (year, zone, class): given per zone, or apportioned from the regional demand."""
    codes = scan.codes
    k_n = len(codes)
    dtab = read_table(demand)
    dtab.columns = [str(c).strip().lower() for c in dtab.columns]
    for c in ("code", "cells"):
        if c not in dtab.columns:
            raise InputValidationError([Issue("demand", f"the table lacks column {c!r}; expected code,cells "
                                                        f"(optionally year and zone)")])
    if "year" not in dtab.columns:
        dtab["year"] = 0
    extra = sorted(set(dtab["code"].astype(int)) - set(codes))
    if extra:
        raise InputValidationError([Issue("demand", f"names class codes {extra} absent from the maps (codes: "
                                                    f"{codes})")])
    years = sorted(dtab["year"].unique().tolist())
    per_zone: dict[Any, np.ndarray] = {}
    derived = "zone" not in dtab.columns
    if derived:
        prev = scan.start_counts
        for y in years:
            sub = dtab[dtab.year == y]
            vec = np.zeros(k_n, np.int64)
            for c, n in zip(sub.code.astype(int), sub.cells):
                vec[codes.index(c)] += int(round(float(n)))
            missing = sorted(set(codes) - set(sub.code.astype(int)))
            if missing:
                raise InputValidationError([Issue("demand", f"year {y} lacks class codes {missing}; give a row for "
                                                            f"every class (0 cells for a class that disappears)")])
            per_zone[y] = apportion_demand(vec, prev, scan.gains, scan.zone_ids, codes)
            prev = per_zone[y]
    else:
        zi = {z: i for i, z in enumerate(scan.zone_ids)}
        for y in years:
            arr = np.zeros((len(scan.zone_ids), k_n), np.int64)
            sub = dtab[dtab.year == y]
            unknown = sorted(set(sub.zone.astype(int)) - set(zi))
            if unknown:
                raise InputValidationError([Issue("demand", f"names zones {unknown[:10]} that hold no valid start "
                                                            f"cell")])
            for zz, c, n in zip(sub.zone.astype(int), sub.code.astype(int), sub.cells):
                arr[zi[zz], codes.index(c)] += int(round(float(n)))
            per_zone[y] = arr
    return years, per_zone, derived


def _run_zones(jobs: list[dict], scheduler, workers: int, progress) -> list[dict]:
    from .common import dask_client

    with dask_client(scheduler) as client:
        if client is not None:
            results = client.gather(client.map(_zone_job, jobs, pure=False))
        elif workers > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=workers) as ex:
                results = []
                for r in ex.map(_zone_job, jobs):
                    results.append(r)
                    if progress is not None:
                        progress(len(results), len(jobs))
        else:
            results = []
            for j in jobs:
                results.append(_zone_job(j))
                if progress is not None:
                    progress(len(results), len(jobs))
    return sorted(results, key=lambda r: r["zone"])


def _run_zoned(*, start, calibrate_from, calibrate_to, drivers, demand, out, seed, tiles, zone_size, zones,
               restrict, develop_class, rules, lines, classes, transition, transition_orientation, no_slope,
               scheduler, overwrite, block, max_zone_bytes, zone_workers, leas_params, cars_params, progress) -> Path:
    from .common import RunFolder
    from .simulate import dem_driver, resolve_outputs

    if seed is None:
        raise InputValidationError([Issue("seed", "is required for a simulation (it is recorded in the manifest)")])
    lp = leas_params or LeasParams()
    cp = cars_params or CarsParams()
    cp.check()
    if lp.balanced:
        raise InputValidationError([Issue("balanced", "balanced sampling is not available in the out-of-core run "
                                                      "(the sample is drawn window by window); leave balanced off "
                                                      "or run in memory")])
    outs, tif_out, run_dir = resolve_outputs(out)
    start_da, cf, ct, specs, categorical, drv, line_paths = _open_layers(start, calibrate_from, calibrate_to,
                                                                         drivers, lines, restrict, zones)
    grid = grid_of(start_da)
    if zones:
        layout = ZoneLayout(start_da.shape, path=str(zones))
    else:
        layout = ZoneLayout.tiles(start_da.shape, n=tiles, size=zone_size)
    dem = dem_driver(specs)
    add_slope = dem is not None and not no_slope
    if add_slope and "slope" in drv:
        raise InputValidationError([Issue("drivers", "a driver is already named 'slope'; rename it, or set "
                                                     "no_slope")])
    root = np.random.SeedSequence(seed)
    s_scan, s_forest, s_perm, s_zones = root.spawn(4)

    scheme = ClassScheme.from_frame(read_table(classes), name=Path(classes).stem) if classes else None
    groups = scheme.group_of() if scheme is not None else None
    if rules is None or str(rules).lower() == "none":
        rule_arg: Any = None
    elif str(rules).lower() in ("default", "soft-redline"):
        rule_arg = str(rules).lower()
    else:
        rule_arg = read_table(rules)
    tm = read_table(transition, index_col=0) if transition else None

    with RunFolder(run_dir, "simulate", overwrite=overwrite) as run:
        m = run.manifest
        m.model, m.model_version = SPEC.id, SPEC.version
        for role, p in (("start", start), ("calibrate_from", calibrate_from), ("calibrate_to", calibrate_to),
                        ("demand", demand), ("restrict", restrict), ("classes", classes),
                        ("transition", transition), ("zones", zones)):
            run.add_input(role, p)
        for name, p, flags in specs:
            run.add_input(f"driver:{name}", p, kind="categorical" if "categorical" in flags else "continuous")
        m.seeds["simulate"] = int(seed)
        with m.timed("scan"):
            scan = scan_region(start_da, cf, ct, drv, layout, categorical=categorical, dem=dem, add_slope=add_slope,
                               sample_rate=lp.sample_rate, seed_seq=s_scan, block=block, progress=progress)
        release_memory()
        codes = scan.codes
        k_n = len(codes)
        windows = _zone_windows(scan, start_da.shape, cp.neighbourhood // 2)
        workers = max(1, int(zone_workers)) if not scheduler else 1
        limit, cells = _check_zone_size(scan, windows, max_zone_bytes, workers)
        years, per_zone, derived = _zone_demand(demand, scan)
        zrows = []
        for y in years:
            for i, z in enumerate(scan.zone_ids):
                zrows += [(y, z, codes[k], int(per_zone[y][i, k])) for k in range(k_n)]
        run.write_table(pd.DataFrame(zrows, columns=["year", "zone", "code", "cells"]), "zone_demand.csv")
        # -- LEAS once on the window-drawn sample ----------------------------------------------------
        with m.timed("leas"):
            stack = sample_stack(scan, grid, categorical, lp.encoding)
            lab = np.searchsorted(np.asarray(codes), scan.sample_label)
            leas = fit_forests(stack.features(np.arange(lab.size)), lab, k_n, stack.feature_groups(),
                               stack.feature_names, s_forest=s_forest, s_perm=s_perm, sample_rate=lp.sample_rate,
                               n_trees=lp.n_trees, max_depth=lp.max_depth, min_samples_leaf=lp.min_samples_leaf,
                               max_features=lp.max_features, n_jobs=lp.n_jobs, class_labels=codes)
        del stack
        scan.sample_raw = {}
        cpz = replace(cp, weights=tuple(float(w) for w in scan.weights) if cp.weights is None else cp.weights)
        scratch = Path(tempfile.mkdtemp(prefix=".sim_zones_", dir=run_dir.parent if run_dir.parent.exists()
                                        else None))
        try:
            zseeds = s_zones.spawn(len(scan.zone_ids))
            jobs = []
            for i, z in enumerate(scan.zone_ids):
                dz = pd.DataFrame([(y, z, codes[k], int(per_zone[y][i, k])) for y in years for k in range(k_n)],
                                  columns=["year", "zone", "code", "cells"])
                if years == [0]:
                    dz = dz.drop(columns="year")
                jobs.append({
                    "zone": z, "window": windows[z], "start": str(start), "drivers": {n: str(p) for n, p, _ in specs},
                    "categorical": categorical, "layout": layout, "restrict": restrict, "lines": line_paths,
                    "demand": dz, "seed_int": int(seed), "seed": zseeds[i], "dem": dem, "add_slope": add_slope,
                    "k_dev": develop_class, "rules": rule_arg, "groups": groups, "transition": tm,
                    "transition_orientation": transition_orientation, "leas_params": lp, "cars_params": cpz,
                    "leas": leas, "codes": codes, "bounds": scan.bounds, "categories": scan.categories,
                    "scratch": str(scratch), "derived": derived})
            with m.timed("zones"):
                results = _run_zones(jobs, scheduler, workers, progress)
            stages = list(results[0]["files"])
            if tif_out and len(outs) != len(stages):
                raise InputValidationError([Issue("out", f"{len(outs)} .tif files for {len(stages)} target years "
                                                         f"{stages}; give one .tif per year or an output folder")])
            written = []
            with m.timed("write"):
                for i, s in enumerate(stages):
                    path = outs[i] if tif_out else run.path("sim.tif" if len(stages) == 1 and s == 0 else f"sim_{s}.tif")
                    assemble(path, start_da, layout, windows, {r["zone"]: r["files"][s] for r in results}, block,
                             progress=progress)
                    written.append(str(path) if tif_out else path.name)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        gaps = pd.concat([r["gaps"] for r in results], ignore_index=True)
        summary = pd.concat([r["summary"] for r in results], ignore_index=True)
        run.write_table(gaps, "demand_gap.csv")
        run.write_table(summary, "summary.csv")
        run.write_table(leas.contributions, "driver_contributions.csv")
        run.write_table(pd.DataFrame({"code": codes, "positives": leas.positives, "rmse": leas.rmse,
                                      "oob_rmse": leas.oob_rmse}), "leas_accuracy.csv")
        m.parameters = {"leas": asdict(lp), "cars": cpz.to_dict(),
                        "dem_driver": dem, "slope_added": add_slope, "rules": rules,
                        "transition_orientation": transition_orientation, "develop_class": develop_class,
                        "out_of_core": {"tiles": tiles, "zone_size": zone_size, "zones": zones, "block": block,
                                        "zone_limit_bytes": limit, "zone_workers": workers,
                                        "largest_zone_window_cells": cells,
                                        "demand_per_zone": "derived (apportion_demand)" if derived else "given"}}
        tot = summary.groupby(["stage", "code"])[["demand_cells", "simulated_cells", "gap_cells"]].sum()
        run.summary = {
            "maps": written, "stages": [str(s) for s in stages], "codes": codes, "zones": len(scan.zone_ids),
            "final_gap_cells": {str(s): {str(c): int(g) for c, g in tot.loc[s].gap_cells.items()} for s in stages},
            "iterations": {str(s): int(summary[summary.stage == s].iterations.max()) for s in stages},
            "driver_holes": scan.holes, "n_valid": int(scan.n_valid),
            "neighbourhood_weights": dict(zip(map(str, codes), scan.weights.tolist())),
            "leas_samples": int(leas.n_samples), "largest_zone_window_cells": cells,
        }
        if tif_out:
            m.notes.append("maps written outside the run folder: " + ", ".join(written))
        m.notes.append("out-of-core zone-partitioned run: " + json.dumps({"zones": len(scan.zone_ids),
                                                                          "scan_blocks": scan.info["n_blocks"]}))
    return run_dir
