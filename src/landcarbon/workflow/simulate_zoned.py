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

Peak memory is set by the largest zone window (checked before the run, see :func:`zone_limit_bytes`)
and by ``block``, not by the region.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.classes import ClassScheme
from ..core.errors import InfeasibleError, InputValidationError
from ..core.grid import grid_of
from ..io import read_raster, read_table
from ..io.rasters import TiledWriter
from ..models.simulate import SPEC, CarsParams, LeasParams, simulate
from ..models.simulate.drivers import DriverStack, slope
from ..models.simulate.drivers import valid_mask as _valid
from ..models.simulate.leas import fit_forests

#: estimated peak bytes per cell of one zone window inside ``simulate()`` (inputs, normalised
#: drivers, masks, state, rule maps, prediction), plus 8 bytes per driver feature and per class; a
#: conservative estimate: 1 M-cell zones stayed below the scan's peak in the benchmark
#: (docs/benchmarks/simulate.md) [D]
ZONE_BYTES_PER_CELL = 400
#: default share of the available memory one zone may use [D]
ZONE_MEMORY_SHARE = 0.5
#: scan and assembly block (cells per side) [D]
BLOCK = 2048
#: GDAL block cache during the run (MB); GDAL's default (5 % of RAM) would let the cache grow with
#: the region up to that cap [D]
GDAL_CACHE_MB = 128


@dataclass
class ZoneLayout:
    """Zones of the region: a zone raster (ids > 0) or a regular tile grid of ``tile`` cells."""

    shape: tuple[int, int]
    tile: tuple[int, int] | None = None
    path: str | None = None

    @classmethod
    def tiles(cls, shape: tuple[int, int], *, n: int | None = None, size: int | None = None) -> ZoneLayout:
        """``n`` × ``n`` tiles (``--tiles N``) or square tiles of ``size`` cells (``--zone-size``)."""
        rows, cols = shape
        if (n is None) == (size is None):
            raise InputValidationError("give either the number of tiles per side (--tiles N) or the tile size in "
                                       "cells (--zone-size CELLS)")
        if n is not None:
            if n < 1:
                raise InputValidationError(f"--tiles {n}: expected a positive number of tiles per side")
            return cls(shape, tile=(-(-rows // n), -(-cols // n)))
        if size < 8:
            raise InputValidationError(f"--zone-size {size}: expected at least 8 cells per side")
        return cls(shape, tile=(int(size), int(size)))

    @property
    def n_tile_cols(self) -> int:
        return -(-self.shape[1] // self.tile[1])

    def block(self, r0: int, r1: int, c0: int, c1: int, reader: Any = None) -> np.ndarray:
        """Zone ids (int64, 0 = no zone) of a window."""
        if self.tile is not None:
            th, tw = self.tile
            rz = (np.arange(r0, r1) // th)[:, None]
            cz = (np.arange(c0, c1) // tw)[None, :]
            return (rz * self.n_tile_cols + cz + 1).astype(np.int64)
        da = reader if reader is not None else read_raster(self.path, chunks=None, categorical=True, name="zones")
        arr = np.asarray(da.isel(y=slice(r0, r1), x=slice(c0, c1)).values)
        if reader is None:
            da.close()
        nd = da.rio.nodata
        out = arr.astype(np.int64)
        if nd is not None:
            out[arr == nd] = 0
        out[out < 0] = 0
        return out


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


# -- window helpers ------------------------------------------------------------------------------
def _win(da, r0: int, r1: int, c0: int, c1: int):
    sub = da.isel(y=slice(r0, r1), x=slice(c0, c1))
    return sub.copy(data=np.asarray(sub.values))


def _release_memory() -> None:
    """Hand freed heap pages back to the OS (glibc ``malloc_trim``; a no-op elsewhere). Block- and
    zone-sized numpy arrays freed between windows otherwise stay in the process as fragmented heap,
    which made the peak RSS creep up with the number of windows processed."""
    import ctypes
    import ctypes.util

    try:
        name = ctypes.util.find_library("c")
        if name:
            ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def _read_window(path: str, r0: int, r1: int, c0: int, c1: int, **kw):
    """One window of a raster as an in-memory DataArray; the file is closed again (xarray's file
    cache would otherwise keep up to 128 datasets open, a memory cost that grows with the zones)."""
    da = read_raster(path, chunks=None, **kw)
    try:
        return _win(da, r0, r1, c0, c1)
    finally:
        da.close()


def _blocks(shape: tuple[int, int], block: int):
    for r0 in range(0, shape[0], block):
        for c0 in range(0, shape[1], block):
            yield r0, min(shape[0], r0 + block), c0, min(shape[1], c0 + block)


@dataclass
class RegionScan:
    """What one pass over the region learns (all small)."""

    codes: list[int]
    bounds: dict[str, tuple[float, float]]
    categories: dict[str, np.ndarray]
    holes: dict[str, int]
    weights: np.ndarray
    zone_ids: list[int]
    start_counts: np.ndarray                 # (Z, K) valid start cells per class
    gains: np.ndarray                        # (Z, K) calibration cells that became k
    bbox: dict[int, list[int]]               # zone -> [r0, r1, c0, c1] of its valid start cells
    sample_raw: dict[str, np.ndarray]        # raw driver values of the sampled cells
    sample_label: np.ndarray                 # class code each sampled cell became
    n_valid: int
    info: dict = field(default_factory=dict)


def scan_region(start, cal_from, cal_to, drivers: Mapping[str, Any], layout: ZoneLayout, *, categorical: Sequence[str],
                dem: str | None, add_slope: bool, sample_rate: float, seed_seq: np.random.SeedSequence,
                block: int = BLOCK, zone_reader: Any = None) -> RegionScan:
    """Pass 1: block by block (a 1-cell halo for the slope), nothing region-sized kept."""
    if not 0 < sample_rate <= 1:
        raise InputValidationError(f"sample rate {sample_rate} is outside (0, 1]; the PLUS default is 0.01")
    rows, cols = start.shape
    blocks = list(_blocks((rows, cols), block))
    block_seeds = seed_seq.spawn(len(blocks))
    names = list(drivers) + (["slope"] if dem is not None and add_slope else [])
    lo = {n: np.inf for n in names if n not in categorical}
    hi = {n: -np.inf for n in names if n not in categorical}
    cats: dict[str, set] = {n: set() for n in names if n in categorical}
    holes = dict.fromkeys(names, 0)
    key_counts: dict[tuple[int, int], int] = {}
    key_gains: dict[tuple[int, int], int] = {}
    exp_counts: dict[int, int] = {}
    codes: set[int] = set()
    bbox: dict[int, list[int]] = {}
    s_raw: dict[str, list[np.ndarray]] = {n: [] for n in names}
    s_lab: list[np.ndarray] = []
    n_valid = 0
    for (r0, r1, c0, c1), bseed in zip(blocks, block_seeds):
        a0 = np.asarray(start.isel(y=slice(r0, r1), x=slice(c0, c1)).values)
        af = np.asarray(cal_from.isel(y=slice(r0, r1), x=slice(c0, c1)).values)
        at = np.asarray(cal_to.isel(y=slice(r0, r1), x=slice(c0, c1)).values)
        v0, vf, vt = _valid(start, a0), _valid(cal_from, af), _valid(cal_to, at)
        for a, v in ((a0, v0), (af, vf), (at, vt)):
            codes.update(int(c) for c in np.unique(a[v]))
        mask = v0 | vf | vt
        valid = mask.copy()
        layers = {}
        for n, da in drivers.items():
            arr = np.asarray(da.isel(y=slice(r0, r1), x=slice(c0, c1)).values)
            v = _valid(da, arr)
            holes[n] += int(np.count_nonzero(mask & ~v))
            valid &= v
            layers[n] = arr
        if "slope" in holes:
            h0, h1 = max(0, r0 - 1), min(rows, r1 + 1)
            g0, g1 = max(0, c0 - 1), min(cols, c1 + 1)
            sl = np.asarray(slope(_win(drivers[dem], h0, h1, g0, g1)).values)[r0 - h0:r0 - h0 + (r1 - r0),
                                                                               c0 - g0:c0 - g0 + (c1 - c0)]
            v = np.isfinite(sl)
            holes["slope"] += int(np.count_nonzero(mask & ~v))
            valid &= v
            layers["slope"] = sl
        for n, arr in layers.items():
            vals = arr[valid]
            if vals.size == 0:
                continue
            if n in cats:
                cats[n].update(int(c) for c in np.unique(vals))
            else:
                lo[n] = min(lo[n], float(vals.min()))
                hi[n] = max(hi[n], float(vals.max()))
        # expansion X = L2 where L1 ≠ L2 (both valid); weights count every expansion cell
        ch = vf & vt & (af != at)
        u, c = np.unique(at[ch], return_counts=True)
        for code, cnt in zip(u.tolist(), c.tolist()):
            exp_counts[code] = exp_counts.get(code, 0) + cnt
        # LEAS sample: Bernoulli(rate) over expansion cells with valid drivers, block child seed
        pool = np.flatnonzero((ch & valid).ravel())
        if pool.size:
            keep = pool[np.random.default_rng(bseed).random(pool.size) < sample_rate]
            for n, arr in layers.items():
                s_raw[n].append(arr.ravel()[keep].copy())
            s_lab.append(at.ravel()[keep].astype(np.int64))
        # zones
        zb = layout.block(r0, r1, c0, c1, zone_reader)
        zv = np.where(v0, zb, 0)
        n_valid += int(np.count_nonzero(zv > 0))
        sel = zv > 0
        if sel.any():
            key = (zv[sel] << 32) + (a0[sel].astype(np.int64) + 2**31)
            u, c = np.unique(key, return_counts=True)
            for kk, cnt in zip(u.tolist(), c.tolist()):
                kz = (kk >> 32, (kk & 0xFFFFFFFF) - 2**31)
                key_counts[kz] = key_counts.get(kz, 0) + cnt
            gsel = sel & ch
            if gsel.any():
                key = (zv[gsel] << 32) + (at[gsel].astype(np.int64) + 2**31)
                u, c = np.unique(key, return_counts=True)
                for kk, cnt in zip(u.tolist(), c.tolist()):
                    kz = (kk >> 32, (kk & 0xFFFFFFFF) - 2**31)
                    key_gains[kz] = key_gains.get(kz, 0) + cnt
            zs = np.unique(zv[sel])
            for z in zs.tolist():
                m = zv == z
                rr = np.flatnonzero(m.any(axis=1))
                cc = np.flatnonzero(m.any(axis=0))
                b = [r0 + int(rr[0]), r0 + int(rr[-1]) + 1, c0 + int(cc[0]), c0 + int(cc[-1]) + 1]
                if z in bbox:
                    o = bbox[z]
                    bbox[z] = [min(o[0], b[0]), max(o[1], b[1]), min(o[2], b[2]), max(o[3], b[3])]
                else:
                    bbox[z] = b
        del a0, af, at, layers, zb, zv
        _release_memory()
    code_list = sorted(codes)
    if len(code_list) < 2:
        raise InputValidationError("the maps hold fewer than two classes; nothing to simulate")
    if len(code_list) > 127:
        raise InputValidationError(f"{len(code_list)} land-use classes found; the simulation supports at most 127")
    for n in lo:
        if not np.isfinite(lo[n]):
            raise InputValidationError("no cell is valid in the land-use map and in every driver; check the "
                                       "drivers' nodata values and extent")
        if hi[n] <= lo[n]:
            raise InputValidationError(f"driver {n!r} is constant ({lo[n]:g}) over the valid cells; a constant "
                                       f"layer carries no information: drop it")
    ta = np.array([exp_counts.get(c, 0) for c in code_list], dtype=np.float64)
    if ta.sum() == 0:
        raise InputValidationError("the two calibration maps are identical (no expansion); LEAS needs at least "
                                   "one changed cell")
    zone_ids = sorted(bbox)
    if not zone_ids:
        raise InputValidationError("no zone holds a valid cell of the start map")
    zi = {z: i for i, z in enumerate(zone_ids)}
    ci = {c: i for i, c in enumerate(code_list)}
    sc = np.zeros((len(zone_ids), len(code_list)), dtype=np.int64)
    gn = np.zeros_like(sc)
    for (z, c), n in key_counts.items():
        sc[zi[z], ci[c]] += n
    for (z, c), n in key_gains.items():
        gn[zi[z], ci[c]] += n
    raw = {n: (np.concatenate(v) if v else np.zeros(0)) for n, v in s_raw.items()}
    lab = np.concatenate(s_lab) if s_lab else np.zeros(0, np.int64)
    return RegionScan(code_list, {n: (lo[n], hi[n]) for n in lo},
                      {n: np.array(sorted(v), dtype=np.int64) for n, v in cats.items()}, holes, ta / ta.sum(),
                      zone_ids, sc, gn, bbox, raw, lab, n_valid, {"n_blocks": len(blocks)})


def sample_stack(scan: RegionScan, grid, categorical: Sequence[str], encoding: str) -> DriverStack:
    """The sampled cells as a 1 × n DriverStack, normalised with the region's bounds."""
    cont, cat = {}, {}
    for n, v in scan.sample_raw.items():
        if n in categorical:
            cat[n] = np.searchsorted(scan.categories[n], v).astype(np.int32)[None, :]
        else:
            lo, hi = scan.bounds[n]
            cont[n] = ((v.astype(np.float64) - lo) / (hi - lo)).astype(np.float32)[None, :]
    n = scan.sample_label.size
    return DriverStack(grid, cont, dict(scan.bounds), cat, {k: scan.categories[k] for k in cat},
                       np.ones((1, n), bool), dict(scan.holes), encoding)


# -- one zone ----------------------------------------------------------------------------------
def _zone_job(job: dict) -> dict:
    """Read the zone's window, simulate it with the region's model, save the result window."""
    import rasterio

    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB * 1024 * 1024):
        try:
            return _zone_job_inner(job)
        finally:
            _release_memory()


def _zone_job_inner(job: dict) -> dict:
    z = job["zone"]
    r0, r1, c0, c1 = job["window"]
    st = _read_window(job["start"], r0, r1, c0, c1, categorical=True, name="start")
    drv = {n: _read_window(p, r0, r1, c0, c1, categorical=n in job["categorical"], name=n)
           for n, p in job["drivers"].items()}
    layout: ZoneLayout = job["layout"]
    zb = layout.block(r0, r1, c0, c1)
    zone_da = st.copy(data=np.where(zb == z, z, 0).astype(np.int32)).rio.write_nodata(None, encoded=False)
    restrict = None
    if job["restrict"]:
        restrict = _read_window(job["restrict"], r0, r1, c0, c1, categorical=True, name="restrict")
    lines = {}
    for ln, p in job["lines"].items():
        lines[ln] = _read_window(p, r0, r1, c0, c1, name=ln)
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
                       leas_params: LeasParams | None = None, cars_params: CarsParams | None = None) -> Path:
    """Out-of-core run from files (``landcarbon simulate --tiles N | --zone-size CELLS | --zones Z.tif
    --out-of-core``); returns the run folder. Outputs as :func:`run_simulate` (tiled GeoTIFF maps,
    tables, manifest) without the potential rasters. ``zone_workers`` zones run at once on local
    threads (the kernels release the GIL); the map does not depend on it."""
    kw = dict(locals())
    import rasterio

    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB * 1024 * 1024):
        return _run_zoned(**kw)


def _run_zoned(*, start, calibrate_from, calibrate_to, drivers, demand, out, seed, tiles, zone_size, zones,
               restrict, develop_class, rules, lines, classes, transition, transition_orientation, no_slope,
               scheduler, overwrite, block, max_zone_bytes, zone_workers, leas_params, cars_params) -> Path:
    from .common import RunFolder, dask_client
    from .simulate import dem_driver, parse_driver, resolve_outputs

    if seed is None:
        raise InputValidationError("--seed is required for a simulation (it is recorded in the manifest)")
    lp = leas_params or LeasParams()
    cp = cars_params or CarsParams()
    cp.check()
    if lp.balanced:
        raise InputValidationError("balanced sampling is not available in the out-of-core run (the sample is drawn "
                                   "window by window); drop --balanced or run in memory")
    outs, tif_out, run_dir = resolve_outputs(out)

    start_da = read_raster(start, chunks=None, categorical=True, name="start")
    grid = grid_of(start_da)
    cf = read_raster(calibrate_from, chunks=None, categorical=True, name="calibrate_from")
    ct = read_raster(calibrate_to, chunks=None, categorical=True, name="calibrate_to")
    specs = [parse_driver(d) for d in drivers]
    names = [n for n, _, _ in specs]
    if len(set(names)) != len(names):
        raise InputValidationError(f"driver names {names} repeat (names come from the file stems); rename a file")
    categorical = [n for n, _, f in specs if "categorical" in f]
    drv = {n: read_raster(p, chunks=None, categorical=n in categorical, name=n) for n, p, _ in specs}
    others = {"calibrate_from": cf, "calibrate_to": ct} | {f"driver {k}": v for k, v in drv.items()}
    line_paths = {}
    for spec in lines:
        if "=" not in spec:
            raise InputValidationError(f"--line {spec!r}: expected NAME=PATH, e.g. eco_redline=redline.tif")
        ln, lpath = spec.split("=", 1)
        if Path(lpath).suffix.lower() not in (".tif", ".tiff"):
            raise InputValidationError(f"--line {spec!r}: the out-of-core run reads control lines as rasters "
                                       f"(non-zero = inside) on the start grid; rasterise the vector first")
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
                                       f"e.g. gdalwarp, or run in memory with --align)")
    if zones:
        layout = ZoneLayout(start_da.shape, path=str(zones))
    else:
        layout = ZoneLayout.tiles(start_da.shape, n=tiles, size=zone_size)
    dem = dem_driver(specs)
    add_slope = dem is not None and not no_slope
    if add_slope and "slope" in drv:
        raise InputValidationError("a driver is already named 'slope'; rename it or pass --no-slope")
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
                               sample_rate=lp.sample_rate, seed_seq=s_scan, block=block)
        _release_memory()
        codes = scan.codes
        k_n = len(codes)
        # -- zone size check before anything heavy -------------------------------------------------
        h = cp.neighbourhood // 2
        rows, cols = start_da.shape
        windows = {}
        for z in scan.zone_ids:
            b = scan.bbox[z]
            windows[z] = (max(0, b[0] - h), min(rows, b[1] + h), max(0, b[2] - h), min(cols, b[3] + h))
        n_feat = sum(1 for n in scan.bounds) + sum(v.size for v in scan.categories.values())
        limit = zone_limit_bytes(max_zone_bytes)
        big = max(scan.zone_ids, key=lambda z: (windows[z][1] - windows[z][0]) * (windows[z][3] - windows[z][2]))
        wz = windows[big]
        cells = (wz[1] - wz[0]) * (wz[3] - wz[2])
        workers = max(1, int(zone_workers)) if not scheduler else 1
        need = zone_bytes(cells, n_feat, k_n)
        if need * workers > limit:
            raise InputValidationError(
                f"zone {big} spans a window of {wz[1] - wz[0]} x {wz[3] - wz[2]} = {cells} cells, estimated "
                f"{need / 1e6:.1f} MB ({ZONE_BYTES_PER_CELL}+8 x {n_feat} features+8 x {k_n} classes bytes per cell) "
                f"x {workers} zone worker(s), but the zones may use {limit / 1e6:.1f} MB; use more, smaller zones "
                f"(--tiles / --zone-size), fewer --zone-workers, or raise the limit (--max-zone-memory)")
        # -- demand per zone ------------------------------------------------------------------------
        dtab = read_table(demand)
        dtab.columns = [str(c).strip().lower() for c in dtab.columns]
        for c in ("code", "cells"):
            if c not in dtab.columns:
                raise InputValidationError(f"demand table lacks column {c!r}; expected code,cells (optionally "
                                           f"year and zone)")
        if "year" not in dtab.columns:
            dtab["year"] = 0
        extra = sorted(set(dtab["code"].astype(int)) - set(codes))
        if extra:
            raise InputValidationError(f"demand names class codes {extra} absent from the maps (codes: {codes})")
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
                    raise InputValidationError(f"demand for year {y} lacks class codes {missing}; give a row for "
                                               f"every class (0 cells for a class that disappears)")
                per_zone[y] = apportion_demand(vec, prev, scan.gains, scan.zone_ids, codes)
                prev = per_zone[y]
        else:
            zi = {z: i for i, z in enumerate(scan.zone_ids)}
            for y in years:
                arr = np.zeros((len(scan.zone_ids), k_n), np.int64)
                sub = dtab[dtab.year == y]
                unknown = sorted(set(sub.zone.astype(int)) - set(zi))
                if unknown:
                    raise InputValidationError(f"demand names zones {unknown[:10]} that hold no valid start cell")
                for zz, c, n in zip(sub.zone.astype(int), sub.code.astype(int), sub.cells):
                    arr[zi[zz], codes.index(c)] += int(round(float(n)))
                per_zone[y] = arr
        zrows = []
        for y in years:
            for i, z in enumerate(scan.zone_ids):
                zrows += [(y, z, codes[k], int(per_zone[y][i, k])) for k in range(k_n)]
        zone_demand = pd.DataFrame(zrows, columns=["year", "zone", "code", "cells"])
        run.write_table(zone_demand, "zone_demand.csv")
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
            with m.timed("zones"), dask_client(scheduler) as client:
                if client is not None:
                    results = client.gather(client.map(_zone_job, jobs, pure=False))
                elif workers > 1:
                    from concurrent.futures import ThreadPoolExecutor

                    with ThreadPoolExecutor(max_workers=workers) as ex:
                        results = list(ex.map(_zone_job, jobs))
                else:
                    results = [_zone_job(j) for j in jobs]
            results.sort(key=lambda r: r["zone"])
            stages = list(results[0]["files"])
            if tif_out and len(outs) != len(stages):
                raise InputValidationError(f"{len(outs)} --out files for {len(stages)} target years {stages}; give "
                                           f"one .tif per year or an output folder")
            written = []
            with m.timed("write"):
                for i, s in enumerate(stages):
                    path = outs[i] if tif_out else run.path("sim.tif" if len(stages) == 1 and s == 0 else f"sim_{s}.tif")
                    _assemble(path, start_da, layout, windows, {r["zone"]: r["files"][s] for r in results}, block)
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
                                        "zone_limit_bytes": limit, "zone_workers": workers, "largest_zone_window_cells": int(cells),
                                        "demand_per_zone": "derived (apportion_demand)" if derived else "given"}}
        tot = summary.groupby(["stage", "code"])[["demand_cells", "simulated_cells", "gap_cells"]].sum()
        run.summary = {
            "maps": written, "stages": [str(s) for s in stages], "codes": codes, "zones": len(scan.zone_ids),
            "final_gap_cells": {str(s): {str(c): int(g) for c, g in tot.loc[s].gap_cells.items()} for s in stages},
            "iterations": {str(s): int(summary[summary.stage == s].iterations.max()) for s in stages},
            "driver_holes": scan.holes, "n_valid": int(scan.n_valid),
            "neighbourhood_weights": dict(zip(map(str, codes), scan.weights.tolist())),
            "leas_samples": int(leas.n_samples), "largest_zone_window_cells": int(cells),
        }
        if tif_out:
            m.notes.append("maps written outside the run folder: " + ", ".join(written))
        m.notes.append("out-of-core zone-partitioned run: " + json.dumps({"zones": len(scan.zone_ids),
                                                                          "scan_blocks": scan.info["n_blocks"]}))
    return run_dir


def _assemble(path: Path, start, layout: ZoneLayout, windows: dict, files: dict, block: int) -> None:
    """Write one simulated map block by block: start classes, then each zone's cells from its result."""
    nodata = start.rio.nodata
    grid = grid_of(start)
    boxes = np.array([windows[z] for z in sorted(files)], dtype=np.int64).reshape(-1, 4)
    zs = sorted(files)
    with TiledWriter(path, grid, dtype=str(start.dtype), nodata=nodata) as w:
        for r0, r1, c0, c1 in _blocks(start.shape, block):
            out = np.asarray(start.isel(y=slice(r0, r1), x=slice(c0, c1)).values).copy()
            zb = layout.block(r0, r1, c0, c1)
            hit = np.flatnonzero((boxes[:, 0] < r1) & (boxes[:, 1] > r0) & (boxes[:, 2] < c1) & (boxes[:, 3] > c0))
            for i in hit.tolist():
                z = zs[i]
                wr0, wr1, wc0, wc1 = boxes[i]
                a0, a1, b0, b1 = max(r0, wr0), min(r1, wr1), max(c0, wc0), min(c1, wc1)
                res = np.load(files[z], mmap_mode="r")[a0 - wr0:a1 - wr0, b0 - wc0:b1 - wc0]
                sel = zb[a0 - r0:a1 - r0, b0 - c0:b1 - c0] == z
                out[a0 - r0:a1 - r0, b0 - c0:b1 - c0][sel] = res[sel]
            w.write(out, r0, c0)
