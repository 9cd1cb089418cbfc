"""Carbon stock run: load (io) → validate → one pass per window (models) → write → manifest.

Entry point: :func:`run_stock`. Every output of a window (storage, change and NPV maps, the
zone × class accounts) comes from one numba pass over that window; windows run on a thread pool
(or on a Dask distributed cluster with ``scheduler=``), and each output raster is written by its
own writer thread, so several rasters compress in parallel. Accounts are added in window order, so
totals do not depend on scheduling (local and distributed runs agree exactly).
"""

from __future__ import annotations

import math
import os
import queue
import re
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import (
    EmptyInputError,
    GridMismatchError,
    InputValidationError,
    MissingClassError,
)
from ..core.grid import GridSpec, ensure_aligned, grid_of, row_areas_ha
from ..core.units import price_per_tc
from ..io import rasterize_zones, read_raster, read_table, read_vector
from ..io import rasters as _rasters
from ..models import carbon_stock as cs
from .common import RunFolder, dask_client

#: default window edge (cells): one 512 x 512 output tile; input tiles of 256 or 512 fit in it evenly
DEFAULT_WINDOW = 512
#: GDAL block cache while the run reads and writes (MB): dirty tiles are flushed instead of piling up
GDAL_CACHE_MB = 32


@dataclass
class _Source:
    """One input raster: read windows from its file, or slice an in-memory/dask DataArray."""

    name: str
    path: Path | None
    da: Any
    nodata: Any
    dtype: Any
    reader: Any = None

    def read(self, r0: int, c0: int, h: int, w: int, out: np.ndarray | None = None) -> np.ndarray:
        if self.reader is not None:
            return self.reader.read(r0, c0, h, w, out=out)
        block = self.da.data[r0:r0 + h, c0:c0 + w]
        if hasattr(block, "dask"):
            block = block.compute(scheduler="sync")
        return np.asarray(block)


def _year_from_name(name: str) -> int | None:
    m = re.findall(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)", name)
    return int(m[-1]) if len(m) >= 1 else None


def _load_map(item: Any, i: int) -> _Source:
    import xarray as xr

    if isinstance(item, xr.DataArray):
        if not np.issubdtype(item.dtype, np.integer):
            raise InputValidationError(
                f"landuse map {i + 1} ({item.name}) has data type {item.dtype}; expected integer class codes. "
                f"Convert it to an integer raster (e.g. gdal_translate -ot Int16) first")
        # values come from the DataArray itself (it may differ from the file it was read from)
        return _Source(str(item.name or f"map{i + 1}"), None, item, item.rio.nodata, item.dtype)
    p = Path(item)
    da = read_raster(p, categorical=True, name=p.stem)
    return _Source(p.stem, p, da, da.rio.nodata, da.dtype)


def _window_grid(shape: tuple[int, int], window: int) -> list[tuple[int, int, int, int, int, int]]:
    rows, cols = shape
    out = []
    for bi, r0 in enumerate(range(0, rows, window)):
        for bj, c0 in enumerate(range(0, cols, window)):
            out.append((bi, bj, r0, c0, min(window, rows - r0), min(window, cols - c0)))
    return out


def _pick_window(sources: Sequence[_Source], window: int | None) -> int:
    if window:
        return int(window)
    blocks = []
    for s in sources:
        if s.path is not None and s.reader is not None:
            try:
                blocks.append(_rasters.block_shape(s.path))
            except Exception:  # noqa: BLE001 - an unreadable header was reported when the map was opened
                continue
    size = DEFAULT_WINDOW
    tiled = [b for b in blocks if 1 < b[0] == b[1]]
    if tiled:
        edge = max(b[0] for b in tiled)
        if edge > size:              # large input tiles: one window per tile (a multiple of 512)
            size = -(-edge // DEFAULT_WINDOW) * DEFAULT_WINDOW
    return size


_TLS = threading.local()


class _BufferPool:
    """Reusable output arrays, one set per window in flight; a set returns when its writes are done."""

    def __init__(self, n_sets: int, shapes: Mapping[str, tuple[tuple[int, ...], Any]]):
        self._q: queue.Queue = queue.Queue()
        for _ in range(n_sets):
            self._q.put({k: np.empty(shape, dtype) for k, (shape, dtype) in shapes.items()})

    def get(self) -> dict[str, np.ndarray]:
        return self._q.get()

    def put(self, bufs: dict[str, np.ndarray]) -> None:
        self._q.put(bufs)


def _thread_buffer(key: Any, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    cache = getattr(_TLS, "bufs", None)
    if cache is None:
        cache = _TLS.bufs = {}
    b = cache.get(key)
    if b is None or b.shape != shape or b.dtype != dtype:
        b = cache[key] = np.empty(shape, dtype)
    return b


def _task(plan: cs.StockPlan, infos, sources, zones, extra_sources, win, row_w, flags, pool=None, full=0):
    """Process one window (runs on a worker thread or a Dask worker)."""
    bi, bj, r0, c0, h, w = win
    reuse = pool is not None and h == full and w == full
    blocks = []
    for i, s in enumerate(sources):
        if isinstance(s, np.ndarray):
            blocks.append(s)
        else:
            out = _thread_buffer(("in", i), (h, w), np.dtype(s.dtype)) if reuse else None
            blocks.append(s.read(r0, c0, h, w, out=out))
    zone = None
    if zones is not None:
        zone = zones if isinstance(zones, np.ndarray) else np.asarray(
            zones.blocks[bi, bj].compute(scheduler="sync"))
    extra = None
    for es in extra_sources:
        b = es.read(r0, c0, h, w) if not isinstance(es, np.ndarray) else es
        b = b.astype(np.float32)
        nd = getattr(es, "nodata", None)
        if nd is not None and not (isinstance(nd, float) and math.isnan(nd)):
            b[b == np.float32(nd)] = np.nan
        extra = b if extra is None else extra + b
    bufs = pool.get() if pool is not None else None
    try:
        if pool is not None and extra is None:
            slot = np.dtype(np.uint8 if plan.n_slots <= 256 else np.int16 if plan.n_slots <= 32767 else np.int32)
            bufs = dict(bufs, cls=_thread_buffer("cls", (plan.n_maps, full, full), slot))
        maps, acc = cs.process_block(plan, blocks, infos, zone=zone, extra=extra, row_w=row_w[r0:r0 + h],
                                     write_storage=flags["storage"], write_change=flags["change"],
                                     write_npv=flags["npv"], pool_maps=flags["pools"], buffers=bufs)
    except BaseException:
        if bufs is not None:
            pool.put({k: v for k, v in bufs.items() if k != "cls"})
        raise
    if bufs is not None:
        bufs = {k: v for k, v in bufs.items() if k != "cls"}
    return maps, acc, bufs


class _Writers:
    """One TiledWriter and one writer thread per output raster; writes go in window order."""

    def __init__(self):
        self.items: dict[str, tuple[_rasters.TiledWriter, ThreadPoolExecutor]] = {}
        self.pending: deque[Future] = deque()

    def add(self, key: str, writer: _rasters.TiledWriter) -> None:
        writer.open()
        self.items[key] = (writer, ThreadPoolExecutor(1, thread_name_prefix=f"write-{key}"))

    def write(self, key: str, arr: np.ndarray, r0: int, c0: int) -> Future:
        w, ex = self.items[key]
        fut = ex.submit(w.write, arr, r0, c0)
        self.pending.append(fut)
        return fut

    def drain(self, keep: int) -> None:
        while len(self.pending) > keep:
            self.pending.popleft().result()

    def commit(self) -> None:
        self.drain(0)
        errs = []
        futs = [ex.submit(w.commit) for w, ex in self.items.values()]
        for f in futs:
            try:
                f.result()
            except Exception as err:  # noqa: BLE001
                errs.append(err)
        for _, ex in self.items.values():
            ex.shutdown()
        if errs:
            raise errs[0]

    def abort(self) -> None:
        for w, ex in self.items.values():
            ex.shutdown(wait=True, cancel_futures=True)
            w.abort()


def run_stock(landuse: Sequence[Any], *, pools: Any, out: str | os.PathLike, years: Sequence[int] | None = None,
              names: Sequence[str] | None = None, zones: Any = None, zone_field: str | None = None,
              price: float | None = None, price_unit: str = "CNY/t C", discount_rate: float = 0.0,
              price_change: float = 0.0, price_growth: float | None = None, price_year: int | None = None,
              write_maps: bool = True, pool_maps: bool = False, pools_units: str | None = None,
              density_rasters: Mapping[str, Any] | None = None, scheduler: str | None = None,
              align: bool = False, mc_draws: int = 0, seed: int | None = None, mc_distribution: str = "normal",
              mc_cv: float | None = None, window: int | None = None, threads: int | None = None,
              overwrite: bool = True) -> dict[str, Any]:
    """Run the carbon stock model and write a run folder; return the summary dict.

    ``landuse``: paths or integer DataArrays (one per year or scenario). ``years``: one per map (or
    read from 4-digit years in the file names). ``pools``: DataFrame or CSV/XLSX path (Mg C/ha unless
    ``pools_units`` or a units row/column says otherwise). ``zones``: GeoDataFrame or vector path, with
    ``zone_field``. ``price``: per t C (or per t CO2 with ``price_unit="CNY/t CO2"``); ``discount_rate``
    and ``price_change`` in %/a as InVEST (``price_growth`` for the real-price-growth variant).
    ``write_maps``: c_storage_<label>.tif, c_change_<a>_<b>.tif, npv_<a>_<b>.tif (float32, NaN nodata);
    ``pool_maps`` adds c_<pool>_<label>.tif. ``align``: resample later maps onto the first (nearest
    neighbour) instead of refusing different grids. ``mc_draws`` (> 0 needs ``seed``): Monte Carlo
    percentiles from the table's SDs. ``scheduler``: a Dask distributed address.
    Writes summary.json, zone_class.csv, by_class.csv, by_zone.csv, changes_by_zone.csv, transitions.csv,
    manifest.json into ``out``; nothing is left there on error.
    """
    t_start = time.perf_counter()
    if not landuse:
        raise InputValidationError("landuse: no map given; pass at least one --landuse")
    with RunFolder(out, "stock", overwrite=overwrite) as run:
        man = run.manifest
        man.model, man.model_version = cs.SPEC.id, cs.SPEC.version
        with man.timed("load"):
            sources = [_load_map(item, i) for i, item in enumerate(landuse)]
            for s in sources:
                if s.path is not None:
                    run.add_input("landuse", s.path, dtype=str(s.dtype), nodata=s.nodata)
                else:
                    man.add_input("landuse", f"<DataArray {s.name}>", None, dtype=str(s.dtype), nodata=s.nodata,
                                  derived_from=s.da.attrs.get("source_path"))
            names_ = list(names) if names is not None else [s.name for s in sources]
            yrs = _resolve_years(years, names_, len(sources))
            grid = _align(sources, align, man)
            # pools
            if isinstance(pools, pd.DataFrame):
                pools_df = pools
                man.add_input("pools", "<DataFrame>", None)
            else:
                pools_df = read_table(pools)
                run.add_input("pools", pools)
            table = cs.read_pools(pools_df, units=pools_units, nodata_values=[s.nodata for s in sources])
            man.notes.extend(table.notes)
            # zones
            zone_arr, zone_names = None, []
            if zones is not None and hasattr(zones, "dims"):
                zone_arr, zone_names = _zone_raster(zones, grid, align)
                man.add_input("zones", f"<DataArray {zones.name}>", None)
            elif zones is not None:
                gdf = zones if not isinstance(zones, str | os.PathLike) else read_vector(zones)
                if isinstance(zones, str | os.PathLike):
                    run.add_input("zones", zones, field=zone_field)
                big = grid.shape[0] * grid.shape[1] > 40_000_000
                zone_arr, ztab = rasterize_zones(gdf, grid, zone_field,
                                                 chunks=_pick_window(sources, window) if big else None)
                zone_names = [str(z) for z in ztab["zone"]]
            # density rasters
            extra_sources = []
            for pool, item in (density_rasters or {}).items():
                if isinstance(item, str | os.PathLike):
                    da = read_raster(item, name=f"c_{pool}")
                    run.add_input(f"density_{pool}", item)
                else:
                    da = item
                try:
                    ensure_aligned(landuse=grid, **{f"density raster {pool}": da})
                except GridMismatchError:
                    if not align:
                        raise
                    da = _rasters.align_to(da, sources[0].da, categorical=False)
                    da.attrs.pop("source_path", None)
                src = _Source(f"c_{pool}", Path(da.attrs["source_path"]) if "source_path" in da.attrs else None,
                              da, da.rio.nodata, da.dtype)
                if src.path is not None:
                    src.reader = _rasters.WindowReader(src.path)
                extra_sources.append(src)
        price_tc = None if price is None else price_per_tc(float(price), price_unit)
        with man.timed("plan"):
            p = cs.plan(table, years=yrs, labels=cs.map_labels(yrs, names_), zone_names=zone_names,
                        price=price_tc, discount_rate=discount_rate, price_change=price_change,
                        price_growth=price_growth, raster_pools=tuple((density_rasters or {}).keys()))
        geographic = grid.is_geographic
        rows = row_areas_ha(grid)
        cell_a = 1.0 if geographic else float(rows[0])
        row_w = rows if geographic else np.ones_like(rows)
        man.parameters.update({
            "years": yrs, "labels": p.labels, "pairs": [[p.labels[a], p.labels[b]] for a, b in p.pairs],
            "pair_kind": p.pair_kind, "pools_units": table.unit, "zone_field": zone_field,
            "n_zones": len(zone_names), "price_per_tC": price_tc, "price_input": price, "price_unit": price_unit,
            "discount_rate_pct": discount_rate, "price_change_pct": price_change, "price_growth_pct": price_growth,
            "valuation_mode": ("none" if price is None else "invest (price change acts as a second discount rate)"
                               if price_growth is None else "price_growth (real price increase)"),
            "valuation_constant_K": [None if math.isnan(v) else float(v) for v in p.k],
            "area_method": ("ellipsoidal per-row cell area (geographic CRS, methods §1.3)" if geographic
                            else "nominal |A·E−B·D| cell area (projected CRS, as InVEST)"),
            "cell_area_ha": None if geographic else cell_a, "grid": str(grid), "write_maps": write_maps,
            "pool_maps": pool_maps, "density_rasters": sorted((density_rasters or {}).keys()),
            "aligned": align, "mc_draws": mc_draws, "mc_distribution": mc_distribution if mc_draws else None,
            "mc_cv": mc_cv, "scheduler": scheduler or "local threads",
            "float_arithmetic": "pool densities, storage, change, NPV per cell in float32 (as InVEST 3.20); "
                                "sums in float64",
        })
        if mc_draws:
            if seed is None:
                raise InputValidationError("--mc-draws needs --seed (recorded in the manifest)")
            man.seeds["monte_carlo"] = int(seed)
        infos = [cs.code_info(p, s.nodata, s.dtype) for s in sources]
        win = _pick_window(sources, window)
        man.parameters["window"] = win
        flags = {"storage": write_maps, "change": write_maps and len(p.pairs) > 0,
                 "npv": write_maps and price is not None and len(p.pairs) > 0, "pools": write_maps and pool_maps}
        # class-based maps are piecewise constant: ZSTD alone compresses them best and fastest; a floating-point
        # predictor pays off only when densities vary per cell (density rasters)
        pred = 3 if density_rasters else 1
        man.parameters["raster_format"] = (f"tiled GeoTIFF 512x512, ZSTD level 1, predictor {pred}, no overviews, "
                                           f"header first (COG layout), float32, NaN nodata")

        def tw(rel: str) -> Any:
            return _rasters.TiledWriter(run.path(rel), grid, predictor=pred)

        writers = _Writers()
        try:
            if write_maps:
                for lab in p.labels:
                    writers.add(f"storage:{lab}", tw(f"c_storage_{lab}.tif"))
                for a, b in p.pairs:
                    pl = f"{p.labels[a]}_{p.labels[b]}"
                    writers.add(f"change:{pl}", tw(f"c_change_{pl}.tif"))
                    if flags["npv"]:
                        writers.add(f"npv:{pl}", tw(f"npv_{pl}.tif"))
                if pool_maps:
                    for lab in p.labels:
                        for pool in cs.POOLS:
                            writers.add(f"pool:{pool}:{lab}", tw(f"intermediate/c_{pool}_{lab}.tif"))
            with man.timed("compute_and_write"):
                acc = _execute(p, infos, sources, zone_arr, extra_sources, grid, win, row_w, flags, writers,
                               scheduler, threads, man)
            try:
                cs.check_accounts(p, acc, map_names=names_)
            except MissingClassError as err:
                if err.missing:
                    raise
                raise _missing_codes_error(p, sources, names_) from None
            if zone_names and acc.acc_w[:, 1:, :].sum() == 0:
                raise EmptyInputError(
                    f"the zones ({len(zone_names)} features) cover no cell of the map ({grid}); check that both "
                    f"cover the same region and that the zones' CRS is declared correctly")
            with man.timed("finish_maps"):
                writers.commit()
        except BaseException:
            writers.abort()
            raise
        with man.timed("tables"):
            res = cs.summarize(p, acc, cell_area_ha=cell_a,
                               price_year=None if price_year is None else [price_year] * len(p.pairs))
            summary = res["summary"]
            run.write_table(res["zone_class"], "zone_class.csv")
            run.write_table(res["by_class"], "by_class.csv")
            if zone_names:
                run.write_table(res["by_zone"], "by_zone.csv")
            if len(p.pairs):
                run.write_table(res["zone_change"], "changes_by_zone.csv")
                run.write_table(res["transitions"], "transitions.csv")
            if mc_draws:
                summary["monte_carlo"] = cs.monte_carlo(p, acc, draws=int(mc_draws), seed=int(seed),
                                                        cell_area_ha=cell_a, distribution=mc_distribution, cv=mc_cv)
        summary["parameters"] = {k: man.parameters[k] for k in (
            "years", "labels", "price_per_tC", "discount_rate_pct", "price_change_pct", "valuation_mode",
            "area_method")}
        if write_maps:
            summary["maps_written"] = [f for f in run.manifest.outputs if f.endswith(".tif")]
        man.timings_s["total"] = round(time.perf_counter() - t_start, 4)
        run.summary = summary
    return summary


def _zone_raster(zones: Any, grid: GridSpec, align: bool) -> tuple[np.ndarray, list[str]]:
    """An integer zone raster (DataArray): each distinct value > 0 (and not nodata) is a zone."""
    if not np.issubdtype(zones.dtype, np.integer):
        raise InputValidationError(f"zones raster has data type {zones.dtype}; expected integer zone ids")
    ensure_aligned(landuse=grid, zones=zones)
    z = np.asarray(zones.values)
    nd = zones.rio.nodata
    valid = z > 0 if nd is None else (z > 0) & (z != nd)
    ids = np.unique(z[valid])
    if ids.size == 0:
        raise EmptyInputError("the zones raster holds no zone id (> 0); check its values and nodata")
    idx = np.zeros(z.shape, dtype=np.int32)
    idx[valid] = np.searchsorted(ids, z[valid]).astype(np.int32) + 1
    return idx, [str(int(v)) for v in ids]


def _resolve_years(years: Sequence[int] | None, names: Sequence[str], n: int) -> list[int | None]:
    if years is not None:
        ys = [None if y is None else int(y) for y in years]
        if len(ys) != n:
            raise InputValidationError(f"--years: {len(ys)} year(s) given for {n} map(s); give one year per "
                                       f"--landuse, in the same order")
        return ys
    guessed = [_year_from_name(nm) for nm in names]
    if all(g is not None for g in guessed):
        return guessed  # type: ignore[return-value]
    return [None] * n


def _align(sources: list[_Source], align: bool, man: Any) -> GridSpec:
    from ..io import align_to

    ref = grid_of(sources[0].da)
    for i, s in enumerate(sources[1:], start=1):
        g = grid_of(s.da)
        if g == ref:
            continue
        if not align:
            ensure_aligned(**{f"landuse map 1 ({sources[0].name})": ref, f"landuse map {i + 1} ({s.name})": g})
        s.da = align_to(s.da, sources[0].da, categorical=True).compute()
        s.reader = None
        s.path = None
        man.notes.append(f"landuse map {i + 1} ({s.name}) resampled onto the grid of map 1 by nearest "
                         f"neighbour (--align): {g} → {ref}")
    for s in sources:
        if s.path is not None:
            s.reader = _rasters.WindowReader(s.path)
    return ref


def _execute(p, infos, sources, zone_arr, extra_sources, grid, win, row_w, flags, writers, scheduler, threads,
             man) -> cs.Accounts:
    import rasterio

    windows = _window_grid(grid.shape, win)
    acc: Any = None
    n_threads = threads or max(1, min(os.cpu_count() or 1, 32))
    man.parameters["threads"] = n_threads
    zones_d = None
    if zone_arr is not None:
        import dask.array as dsa

        zones_d = dsa.from_array(zone_arr, chunks=(win, win)) if isinstance(zone_arr, np.ndarray) else zone_arr

    bufpool = None
    if not scheduler:
        shapes: dict[str, tuple[tuple[int, ...], Any]] = {}
        if flags["storage"]:
            shapes["storage"] = ((p.n_maps, win, win), np.float32)
        if flags["change"]:
            shapes["change"] = ((len(p.pairs), win, win), np.float32)
        if flags["npv"]:
            shapes["npv"] = ((len(p.pairs), win, win), np.float32)
        bufpool = _BufferPool(n_threads + 3, shapes)

    def consume(res, w):
        maps, a, bufs = res
        nonlocal acc
        if acc is None:
            acc = a                      # a fresh object per window: safe to accumulate into
        else:
            acc += a
        _, _, r0, c0, _, _ = w
        futs: list[Future] = []
        for i, lab in enumerate(p.labels):
            if "storage" in maps:
                futs.append(writers.write(f"storage:{lab}", maps["storage"][i], r0, c0))
            if "pools" in maps:
                for pi, pool in enumerate(cs.POOLS):
                    futs.append(writers.write(f"pool:{pool}:{lab}", maps["pools"][i, pi], r0, c0))
        for j, (a_, b_) in enumerate(p.pairs):
            pl = f"{p.labels[a_]}_{p.labels[b_]}"
            if "change" in maps:
                futs.append(writers.write(f"change:{pl}", maps["change"][j], r0, c0))
            if "npv" in maps:
                futs.append(writers.write(f"npv:{pl}", maps["npv"][j], r0, c0))
        if bufs is not None:
            _release_when_done(futs, bufpool, bufs)
        # bound memory: at most ~2 windows of pending writes per output
        writers.drain(keep=2 * max(1, len(writers.items)))

    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB * 1024 * 1024, GDAL_NUM_THREADS=1):
        with dask_client(scheduler) as client:
            if client is None:
                with ThreadPoolExecutor(n_threads, thread_name_prefix="stock") as pool:
                    inflight: deque = deque()
                    for w in windows:
                        zb = zones_d  # the task slices its own block
                        inflight.append((pool.submit(_task, p, infos, sources, zb, extra_sources, w, row_w,
                                                     flags, bufpool, win), w))
                        if len(inflight) >= n_threads + 1:
                            f, ww = inflight.popleft()
                            consume(f.result(), ww)
                    while inflight:
                        f, ww = inflight.popleft()
                        consume(f.result(), ww)
            else:
                pdata = client.scatter(p, broadcast=True)
                inflight = deque()
                n_workers = max(1, sum(client.nthreads().values()))
                for w in windows:
                    bi, bj, r0, c0, h, ww_ = w
                    srcs = [s if s.reader is not None else s.read(r0, c0, h, ww_) for s in sources]
                    exs = [s if s.reader is not None else s.read(r0, c0, h, ww_) for s in extra_sources]
                    zb = None if zones_d is None else np.asarray(zones_d.blocks[bi, bj].compute(scheduler="sync"))
                    inflight.append((client.submit(_task, pdata, infos, srcs, zb, exs, w, row_w, flags, None, 0,
                                                   pure=False), w))
                    if len(inflight) >= 2 * n_workers:
                        f, wq = inflight.popleft()
                        consume(f.result(), wq)
                while inflight:
                    f, wq = inflight.popleft()
                    consume(f.result(), wq)
    for s in [*sources, *extra_sources]:
        if s.reader is not None:
            s.reader.close()
    return cs.to_accounts(p, acc)


def _release_when_done(futs: list[Future], pool: _BufferPool | None, bufs: dict[str, np.ndarray]) -> None:
    """Return ``bufs`` to ``pool`` once every write future of its window has finished."""
    if pool is None:
        return
    if not futs:
        pool.put(bufs)
        return
    left = [len(futs)]
    lock = threading.Lock()

    def done(_f: Future) -> None:
        with lock:
            left[0] -= 1
            last = left[0] == 0
        if last:
            pool.put(bufs)

    for f in futs:
        f.add_done_callback(done)


def _missing_codes_error(p: cs.StockPlan, sources: Sequence[_Source], names: Sequence[str]) -> MissingClassError:
    """Read the maps again (error path only) to list the codes that are not in the table."""
    table = set(int(c) for c in p.codes)
    for i, s in enumerate(sources):
        rows, cols = s.da.shape
        found: set[int] = set()
        for r0 in range(0, rows, 2048):
            h = min(2048, rows - r0)
            b = s.read(r0, 0, h, cols)
            if s.nodata is not None:
                b = b[b != s.nodata]
            found.update(int(v) for v in np.unique(b))
        missing = sorted(found - table)
        if missing:
            return MissingClassError(
                f"landuse map {names[i]}: class code(s) {cs._fmt_codes(missing)} are not in the pools table "
                f"(it has {cs._fmt_codes(sorted(table))}); add rows for them or map them with a crosswalk",
                missing)
    return MissingClassError("landuse maps hold codes that are not in the pools table", ())


__all__ = ["run_stock"]
