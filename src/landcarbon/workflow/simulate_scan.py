"""The windowed passes of the out-of-core simulation (``workflow.simulate_zoned``), on the engine.

- :class:`ZoneLayout`: the zones of the region (a zone raster, or a regular tiling).
- :func:`scan_region`: pass 1, window by window (a 1-cell halo on the DEM for the slope): class
  codes, driver bounds and categories, driver holes, expansion shares, per-zone start counts,
  calibration gains and bounding boxes, and the LEAS training sample (Bernoulli, one child
  ``SeedSequence`` per window in raster order). Nothing region-sized is kept.
- :func:`sample_stack`: the sample as a DriverStack, normalised with the region's bounds.
- :func:`assemble`: the simulated map, window by window, from the start map and the zones' results.

Windows are read through ``io.windows`` (a corrupt block names the file and the block) by the
windowed engine (``workflow.engine``); results are merged in window order, so the scan (and its
sample) does not depend on the number of threads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import InputValidationError
from ..core.grid import grid_of
from ..core.spec import Issue
from ..io.rasters import TiledWriter
from ..io.windows import RasterWindowReader, Window, plan_windows
from ..models.simulate.drivers import DriverStack, slope
from ..models.simulate.drivers import valid_mask as _valid
from . import engine

#: scan and assembly window (cells per side) [D]
BLOCK = 2048


@dataclass
class ZoneLayout:
    """Zones of the region: a zone raster (ids > 0) or a regular tile grid of ``tile`` cells."""

    shape: tuple[int, int]
    tile: tuple[int, int] | None = None
    path: str | None = None
    _reader: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def tiles(cls, shape: tuple[int, int], *, n: int | None = None, size: int | None = None) -> ZoneLayout:
        """``n`` × ``n`` tiles or square tiles of ``size`` cells."""
        rows, cols = shape
        if (n is None) == (size is None):
            # names the options too: tests/models/test_simulate_zoned.py matches "--tiles" in this message
            raise InputValidationError("give either the number of tiles per side (tiles, --tiles N) or the tile size "
                                       "in cells (zone_size, --zone-size CELLS)")
        if n is not None:
            if n < 1:
                raise InputValidationError([Issue("tiles", f"found {n}; expected a positive number of tiles per "
                                                           f"side")])
            return cls(shape, tile=(-(-rows // n), -(-cols // n)))
        if size < 8:
            raise InputValidationError([Issue("zone_size", f"found {size}; expected at least 8 cells per side")])
        return cls(shape, tile=(int(size), int(size)))

    @property
    def n_tile_cols(self) -> int:
        return -(-self.shape[1] // self.tile[1])

    def reader(self) -> RasterWindowReader:
        if self._reader is None:
            self._reader = RasterWindowReader(self.path, name="zones")
        return self._reader

    def block(self, r0: int, r1: int, c0: int, c1: int, reader: Any = None) -> np.ndarray:
        """Zone ids (int64, 0 = no zone) of a window (``reader``: a zones DataArray to slice instead)."""
        if self.tile is not None:
            th, tw = self.tile
            rz = (np.arange(r0, r1) // th)[:, None]
            cz = (np.arange(c0, c1) // tw)[None, :]
            return (rz * self.n_tile_cols + cz + 1).astype(np.int64)
        if reader is not None:
            arr, nd = np.asarray(reader.isel(y=slice(r0, r1), x=slice(c0, c1)).values), reader.rio.nodata
        else:
            src = self.reader()
            arr, nd = src.read(r0, c0, r1 - r0, c1 - c0), src.nodata
        out = arr.astype(np.int64)
        if nd is not None:
            out[arr == nd] = 0
        out[out < 0] = 0
        return out

    def source(self, reader: Any = None) -> engine.FunctionSource:
        """The zone ids as a window source of the engine."""
        return engine.FunctionSource(lambda w: self.block(w.r0, w.r1, w.c0, w.c1, reader), self.shape, np.int64,
                                     name="zones")

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_reader": None}


def release_memory() -> None:
    """Hand freed heap pages back to the OS (glibc ``malloc_trim``; a no-op elsewhere). Window- and
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


def _key_counts(zv: np.ndarray, codes: np.ndarray) -> dict[tuple[int, int], int]:
    """Cells per (zone, code) of the selected cells."""
    key = (zv << 32) + (codes.astype(np.int64) + 2**31)
    u, c = np.unique(key, return_counts=True)
    return {(kk >> 32, (kk & 0xFFFFFFFF) - 2**31): cnt for kk, cnt in zip(u.tolist(), c.tolist())}


class _ScanKernel:
    """One window of the scan → its block-local statistics (merged in window order by the caller)."""

    def __init__(self, headers: Mapping[str, Any], names: Sequence[str], categorical: Sequence[str],
                 dem: str | None, with_slope: bool, sample_rate: float, seeds: Sequence[np.random.SeedSequence]):
        self.headers, self.names, self.cats = headers, list(names), set(categorical)
        self.dem, self.with_slope, self.rate, self.seeds = dem, with_slope, sample_rate, seeds

    def __call__(self, block: engine.Block) -> dict[str, Any]:
        w = block.window
        h = self.headers
        a0, af, at = block["start"], block["cal_from"], block["cal_to"]
        v0, vf, vt = _valid(h["start"], a0), _valid(h["cal_from"], af), _valid(h["cal_to"], at)
        codes: set[int] = set()
        for a, v in ((a0, v0), (af, vf), (at, vt)):
            codes.update(int(c) for c in np.unique(a[v]))
        mask = v0 | vf | vt
        valid = mask.copy()
        holes: dict[str, int] = {}
        layers: dict[str, np.ndarray] = {}
        for n in self.names:
            if n == "slope" and self.with_slope:
                continue
            arr = block.core(f"driver:{n}")
            v = _valid(h[f"driver:{n}"], arr)
            holes[n] = int(np.count_nonzero(mask & ~v))
            valid &= v
            layers[n] = arr
        if self.with_slope:
            o = block.outer[f"driver:{self.dem}"]
            dem = h[f"driver:{self.dem}"].isel(y=slice(o.r0, o.r1), x=slice(o.c0, o.c1))
            sl = np.asarray(slope(dem.copy(data=block[f"driver:{self.dem}"])).values)[block.inner(f"driver:{self.dem}")]
            v = np.isfinite(sl)
            holes["slope"] = int(np.count_nonzero(mask & ~v))
            valid &= v
            layers["slope"] = sl
        lo: dict[str, float] = {}
        hi: dict[str, float] = {}
        cats: dict[str, set[int]] = {}
        for n, arr in layers.items():
            vals = arr[valid]
            if vals.size == 0:
                continue
            if n in self.cats:
                cats[n] = {int(c) for c in np.unique(vals)}
            else:
                lo[n], hi[n] = float(vals.min()), float(vals.max())
        # expansion X = L2 where L1 ≠ L2 (both valid); weights count every expansion cell
        ch = vf & vt & (af != at)
        u, c = np.unique(at[ch], return_counts=True)
        exp = dict(zip(u.tolist(), c.tolist()))
        # LEAS sample: Bernoulli(rate) over expansion cells with valid drivers, window child seed
        s_raw: dict[str, np.ndarray] = {}
        s_lab = None
        pool = np.flatnonzero((ch & valid).ravel())
        if pool.size:
            keep = pool[np.random.default_rng(self.seeds[w.index]).random(pool.size) < self.rate]
            s_raw = {n: arr.ravel()[keep].copy() for n, arr in layers.items()}
            s_lab = at.ravel()[keep].astype(np.int64)
        # zones
        zv = np.where(v0, block["zones"], 0)
        sel = zv > 0
        counts: dict[tuple[int, int], int] = {}
        gains: dict[tuple[int, int], int] = {}
        bbox: dict[int, list[int]] = {}
        if sel.any():
            counts = _key_counts(zv[sel], a0[sel])
            gsel = sel & ch
            if gsel.any():
                gains = _key_counts(zv[gsel], at[gsel])
            for z in np.unique(zv[sel]).tolist():
                m = zv == z
                rr = np.flatnonzero(m.any(axis=1))
                cc = np.flatnonzero(m.any(axis=0))
                bbox[z] = [w.r0 + int(rr[0]), w.r0 + int(rr[-1]) + 1, w.c0 + int(cc[0]), w.c0 + int(cc[-1]) + 1]
        return {"codes": codes, "holes": holes, "lo": lo, "hi": hi, "cats": cats, "exp": exp, "s_raw": s_raw,
                "s_lab": s_lab, "n_valid": int(np.count_nonzero(sel)), "counts": counts, "gains": gains, "bbox": bbox}


def scan_region(start, cal_from, cal_to, drivers: Mapping[str, Any], layout: ZoneLayout, *, categorical: Sequence[str],
                dem: str | None, add_slope: bool, sample_rate: float, seed_seq: np.random.SeedSequence,
                block: int = BLOCK, zone_reader: Any = None, threads: int = 1,
                progress: engine.ProgressFn | None = None) -> RegionScan:
    """Pass 1 over the region, window by window (``block`` cells; a 1-cell halo for the slope).

    ``start``, ``cal_from``, ``cal_to`` and ``drivers``: DataArrays on one grid (read lazily from
    their GeoTIFFs, window by window, or sliced when in memory). ``threads``: windows scanned at once
    (each holds a window of every layer); the result does not depend on it.
    """
    if not 0 < sample_rate <= 1:
        raise InputValidationError([Issue("sample_rate", f"found {sample_rate}, outside (0, 1]; the PLUS "
                                                         f"default is 0.01")])
    rows, cols = start.shape
    windows = plan_windows((rows, cols), block)
    seeds = seed_seq.spawn(len(windows))
    with_slope = dem is not None and add_slope
    names = list(drivers) + (["slope"] if with_slope else [])
    headers = {"start": start, "cal_from": cal_from, "cal_to": cal_to} | {f"driver:{n}": da for n, da in drivers.items()}
    sources: dict[str, Any] = dict(headers)
    sources["zones"] = layout.source(zone_reader)
    halo = {f"driver:{dem}": 1} if with_slope else 0
    kernel = _ScanKernel(headers, names, categorical, dem, with_slope, sample_rate, seeds)
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
    for _w, r in engine.map_windows(kernel, windows, sources=sources, shape=(rows, cols), halo=halo,
                                    threads=threads, progress=progress):
        codes |= r["codes"]
        for n, v in r["holes"].items():
            holes[n] += v
        for n, v in r["lo"].items():
            lo[n] = min(lo[n], v)
            hi[n] = max(hi[n], r["hi"][n])
        for n, v in r["cats"].items():
            cats[n] |= v
        for k, v in r["exp"].items():
            exp_counts[k] = exp_counts.get(k, 0) + v
        if r["s_lab"] is not None:
            for n, v in r["s_raw"].items():
                s_raw[n].append(v)
            s_lab.append(r["s_lab"])
        n_valid += r["n_valid"]
        for k, v in r["counts"].items():
            key_counts[k] = key_counts.get(k, 0) + v
        for k, v in r["gains"].items():
            key_gains[k] = key_gains.get(k, 0) + v
        for z, b in r["bbox"].items():
            o = bbox.get(z)
            bbox[z] = b if o is None else [min(o[0], b[0]), max(o[1], b[1]), min(o[2], b[2]), max(o[3], b[3])]
        del r
        release_memory()
    return _finish_scan(codes, lo, hi, cats, holes, exp_counts, bbox, key_counts, key_gains, s_raw, s_lab, n_valid,
                        len(windows))


def _finish_scan(codes, lo, hi, cats, holes, exp_counts, bbox, key_counts, key_gains, s_raw, s_lab, n_valid,
                 n_blocks) -> RegionScan:
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
            raise InputValidationError([Issue("drivers", f"driver {n!r} is constant ({lo[n]:g}) over the valid "
                                                         f"cells; a constant layer carries no information: drop it")])
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
                      zone_ids, sc, gn, bbox, raw, lab, n_valid, {"n_blocks": n_blocks})


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


def read_window(path: str, window: Window, **kw) -> Any:
    """One window of a raster as an in-memory DataArray (coordinates as ``read_raster`` gives them;
    values read through ``io.windows``, so a corrupt block names the file and the block). The file is
    closed again: xarray's file cache would otherwise keep up to 128 datasets open."""
    from ..io import read_raster

    da = read_raster(path, chunks=None, **kw)
    try:
        sub = da.isel(y=slice(window.r0, window.r1), x=slice(window.c0, window.c1))
        with RasterWindowReader(path) as r:
            return sub.copy(data=r.read_window(window))
    finally:
        da.close()


class _AssembleKernel:
    """One window of a simulated map: the start classes, then each zone's cells from its result."""

    def __init__(self, boxes: np.ndarray, zs: list[int], files: Mapping[int, str]):
        self.boxes, self.zs, self.files = boxes, zs, files

    def __call__(self, block: engine.Block) -> np.ndarray:
        w = block.window
        r0, r1, c0, c1 = w.r0, w.r1, w.c0, w.c1
        out = block["start"].copy()
        zb = block["zones"]
        b = self.boxes
        hit = np.flatnonzero((b[:, 0] < r1) & (b[:, 1] > r0) & (b[:, 2] < c1) & (b[:, 3] > c0))
        for i in hit.tolist():
            z = self.zs[i]
            wr0, wr1, wc0, wc1 = b[i]
            a0, a1, b0, b1 = max(r0, wr0), min(r1, wr1), max(c0, wc0), min(c1, wc1)
            res = np.load(self.files[z], mmap_mode="r")[a0 - wr0:a1 - wr0, b0 - wc0:b1 - wc0]
            sel = zb[a0 - r0:a1 - r0, b0 - c0:b1 - c0] == z
            out[a0 - r0:a1 - r0, b0 - c0:b1 - c0][sel] = res[sel]
        return out


def assemble(path: Path, start, layout: ZoneLayout, windows: Mapping[int, tuple[int, int, int, int]],
             files: Mapping[int, str], block: int = BLOCK, *, threads: int = 1,
             progress: engine.ProgressFn | None = None) -> None:
    """Write one simulated map window by window into a tiled GeoTIFF (ZSTD), atomically."""
    zs = sorted(files)
    boxes = np.array([windows[z] for z in zs], dtype=np.int64).reshape(-1, 4)
    kernel = _AssembleKernel(boxes, zs, files)
    with TiledWriter(path, grid_of(start), dtype=str(start.dtype), nodata=start.rio.nodata) as wr:
        for w, out in engine.map_windows(kernel, plan_windows(start.shape, block),
                                         sources={"start": start, "zones": layout.source()}, shape=start.shape,
                                         threads=threads, progress=progress):
            wr.write(out, w.r0, w.c0)


__all__ = ["BLOCK", "RegionScan", "ZoneLayout", "assemble", "read_window", "release_memory", "sample_stack",
           "scan_region"]
