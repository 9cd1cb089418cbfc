"""Carbon stock run: load (io) → validate → one pass per window (models) → write → manifest.

Entry point: :func:`run_stock`. Every output of a window (storage, change and NPV maps, the
zone × class accounts) comes from one numba pass over that window (``models.carbon_stock.stock_window``),
run by the windowed engine (``workflow.engine``) on a thread pool (or on a Dask distributed cluster
with ``scheduler=``); each output raster is written by its own writer thread, so several rasters
compress in parallel. Accounts are added in window order, so totals do not depend on scheduling
(local and distributed runs agree exactly).
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import EmptyInputError, GridMismatchError, InputValidationError, MissingClassError
from ..core.grid import GridSpec, ensure_aligned, grid_of, row_areas_ha
from ..core.spec import Issue
from ..core.units import price_per_tc
from ..io import rasterize_zones, read_raster, read_table, read_vector
from ..io import rasters as _rasters
from ..io.windows import DEFAULT_WINDOW, RasterWindowReader, plan_windows, window_size
from ..models import carbon_stock as cs
from . import engine
from .common import RunFolder, dask_client

__all__ = ["DEFAULT_WINDOW", "GDAL_CACHE_MB", "run_stock"]

#: GDAL block cache while the run reads and writes (MB): dirty tiles are flushed instead of piling up
GDAL_CACHE_MB = 32


@dataclass
class _Input:
    """One input raster: its file (read window by window) or an in-memory/dask DataArray."""

    name: str
    path: Path | None
    da: Any
    nodata: Any
    dtype: Any
    source: Any = None            # what the engine reads: a RasterWindowReader or an engine.ArraySource

    def use_array(self, da: Any) -> None:
        self.da, self.path = da, None
        self.source = engine.ArraySource(da.data, nodata=self.nodata, name=self.name, da=da)


def _year_from_name(name: str) -> int | None:
    m = re.findall(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)", name)
    return int(m[-1]) if len(m) >= 1 else None


def _load_map(item: Any, i: int) -> _Input:
    import xarray as xr

    if isinstance(item, xr.DataArray):
        if not np.issubdtype(item.dtype, np.integer):
            raise InputValidationError(
                f"landuse map {i + 1} ({item.name}) has data type {item.dtype}; expected integer class codes. "
                f"Convert it to an integer raster (e.g. gdal_translate -ot Int16) first")
        # values come from the DataArray itself (it may differ from the file it was read from)
        s = _Input(str(item.name or f"map{i + 1}"), None, item, item.rio.nodata, item.dtype)
        s.use_array(item)
        return s
    p = Path(item)
    da = read_raster(p, categorical=True, name=p.stem)       # header, dtype and first/last block checked
    return _Input(p.stem, p, da, da.rio.nodata, da.dtype, RasterWindowReader(p, name=p.stem))


def _block_edge(sources: Sequence[_Input]) -> int:
    """A window edge aligned to the tiles of the input files (io.windows.window_size)."""
    return window_size([s.source.block_shape for s in sources if isinstance(s.source, RasterWindowReader)],
                       DEFAULT_WINDOW)


class _StockKernel:
    """The engine's kernel of a stock run: one window of every input → maps and accounts (picklable
    for a distributed run, where ``pool`` is None)."""

    def __init__(self, p: cs.StockPlan, infos, row_w, flags, n_maps: int, has_zone: bool,
                 density_nodata: Sequence[Any], pool: engine.BufferPool | None = None, full: int = 0):
        self.p, self.infos, self.row_w, self.flags = p, infos, row_w, flags
        self.n_maps, self.has_zone, self.density_nodata = n_maps, has_zone, list(density_nodata)
        self.pool, self.full = pool, full

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "pool": None}

    def __call__(self, block: engine.Block) -> tuple[dict[str, np.ndarray], Any, dict | None]:
        p, win = self.p, block.window
        maps = [block[f"map{i}"] for i in range(self.n_maps)]
        dens = [block[f"density{i}"] for i in range(len(self.density_nodata))]
        bufs = self.pool.get() if self.pool is not None else None
        kbufs = bufs
        if bufs is not None and not dens:
            kbufs = dict(bufs, cls=engine.scratch("cls", (p.n_maps, self.full, self.full), cs.slot_dtype(p)))
        try:
            out, acc = cs.stock_window(p, maps, self.infos, row_w=self.row_w[win.r0:win.r1],
                                       zone=block["zone"] if self.has_zone else None, densities=dens,
                                       density_nodata=self.density_nodata, write_storage=self.flags["storage"],
                                       write_change=self.flags["change"], write_npv=self.flags["npv"],
                                       pool_maps=self.flags["pools"], buffers=kbufs)
        except BaseException:
            if bufs is not None:
                self.pool.put(bufs)
            raise
        return out, acc, bufs


def run_stock(landuse: Sequence[Any], *, pools: Any, out: str | os.PathLike, years: Sequence[int] | None = None,
              names: Sequence[str] | None = None, zones: Any = None, zone_field: str | None = None,
              price: float | None = None, price_unit: str = "CNY/t C", discount_rate: float = 0.0,
              price_change: float = 0.0, price_growth: float | None = None, price_year: int | None = None,
              write_maps: bool = True, pool_maps: bool = False, pools_units: str | None = None,
              density_rasters: Mapping[str, Any] | None = None, scheduler: str | None = None,
              align: bool = False, mc_draws: int = 0, seed: int | None = None, mc_distribution: str = "normal",
              mc_cv: float | None = None, window: int | None = None, threads: int | None = None,
              overwrite: bool = True, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Run the carbon stock model and write a run folder; return the summary dict.

    ``landuse``: paths or integer DataArrays (one per year or scenario). ``years``: one per map (or
    read from 4-digit years in the file names). ``pools``: DataFrame or CSV/XLSX path (Mg C/ha unless
    ``pools_units`` or a units row/column says otherwise). ``zones``: GeoDataFrame or vector path, with
    ``zone_field``. ``price``: per t C (or per t CO2 with ``price_unit="CNY/t CO2"``); ``discount_rate``
    and ``price_change`` in %/a as InVEST (``price_growth`` for the real-price-growth variant).
    ``write_maps``: c_storage_<label>.tif, c_change_<a>_<b>.tif, npv_<a>_<b>.tif (float32, NaN nodata);
    ``pool_maps`` adds c_<pool>_<label>.tif. ``align``: resample later maps onto the first (nearest
    neighbour) instead of refusing different grids. ``mc_draws`` (> 0 needs ``seed``): Monte Carlo
    percentiles from the table's SDs. ``scheduler``: a Dask distributed address. ``window``: window
    edge in cells (default: aligned to the input tiles); ``threads``: worker threads; ``progress``:
    called as ``progress(windows_done, windows_total)``.
    Writes summary.json, zone_class.csv, by_class.csv, by_zone.csv, changes_by_zone.csv, transitions.csv,
    manifest.json into ``out``; nothing is left there on error.
    """
    t_start = time.perf_counter()
    if not landuse:
        raise InputValidationError([Issue("landuse", "no map given; give at least one land-use map")])
    if mc_draws and seed is None:
        raise InputValidationError([Issue("seed", "Monte Carlo (mc_draws > 0) needs a seed; it is recorded in "
                                                  "the manifest")])
    with RunFolder(out, "stock", overwrite=overwrite) as run:
        man = run.manifest
        man.model, man.model_version = cs.SPEC.id, cs.SPEC.version
        with man.timed("load"):
            sources, names_, yrs, grid, table = _load_inputs(run, landuse, names, years, align, pools, pools_units)
            win = int(window) if window else _block_edge(sources)
            zone_arr, zone_names = _load_zones(run, zones, zone_field, grid, align, win)
            extra_sources = _load_density_rasters(run, density_rasters, grid, sources, align)
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
            man.seeds["monte_carlo"] = int(seed)
        infos = [cs.code_info(p, s.nodata, s.dtype) for s in sources]
        man.parameters["window"] = win
        flags = {"storage": write_maps, "change": write_maps and len(p.pairs) > 0,
                 "npv": write_maps and price is not None and len(p.pairs) > 0, "pools": write_maps and pool_maps}
        # class-based maps are piecewise constant: ZSTD alone compresses them best and fastest; a floating-point
        # predictor pays off only when densities vary per cell (density rasters)
        pred = 3 if density_rasters else 1
        man.parameters["raster_format"] = (f"tiled GeoTIFF 512x512, ZSTD level 1, predictor {pred}, no overviews, "
                                           f"header first (COG layout), float32, NaN nodata")
        writers = engine.MapWriters()
        try:
            if write_maps:
                _add_writers(writers, run, grid, p, flags, pool_maps, pred)
            with man.timed("compute_and_write"):
                acc = _execute(p, infos, sources, zone_arr, extra_sources, grid, win, row_w, flags, writers,
                               scheduler, threads, man, progress)
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
        finally:
            for s in [*sources, *extra_sources]:
                if isinstance(s.source, RasterWindowReader):
                    s.source.close()
        with man.timed("tables"):
            summary = _write_tables(run, p, acc, cell_a, price_year, zone_names, mc_draws, seed, mc_distribution,
                                    mc_cv)
        summary["parameters"] = {k: man.parameters[k] for k in (
            "years", "labels", "price_per_tC", "discount_rate_pct", "price_change_pct", "valuation_mode",
            "area_method")}
        if write_maps:
            summary["maps_written"] = [f for f in run.manifest.outputs if f.endswith(".tif")]
        man.timings_s["total"] = round(time.perf_counter() - t_start, 4)
        run.summary = summary
    return summary


# -- inputs -----------------------------------------------------------------------------------------
def _load_inputs(run: RunFolder, landuse, names, years, align, pools, pools_units):
    man = run.manifest
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
    if isinstance(pools, pd.DataFrame):
        pools_df = pools
        man.add_input("pools", "<DataFrame>", None)
    else:
        pools_df = read_table(pools)
        run.add_input("pools", pools)
    table = cs.read_pools(pools_df, units=pools_units, nodata_values=[s.nodata for s in sources])
    man.notes.extend(table.notes)
    return sources, names_, yrs, grid, table


def _load_zones(run: RunFolder, zones, zone_field, grid: GridSpec, align: bool, win: int):
    """Zone index (numpy, or dask burnt window by window on large grids) and the zone names."""
    if zones is None:
        return None, []
    if hasattr(zones, "dims"):
        zone_arr, zone_names = _zone_raster(zones, grid, align)
        run.manifest.add_input("zones", f"<DataArray {zones.name}>", None)
        return zone_arr, zone_names
    gdf = zones if not isinstance(zones, str | os.PathLike) else read_vector(zones)
    if isinstance(zones, str | os.PathLike):
        run.add_input("zones", zones, field=zone_field)
    big = grid.shape[0] * grid.shape[1] > 40_000_000
    zone_arr, ztab = rasterize_zones(gdf, grid, zone_field, chunks=win if big else None)
    return zone_arr, [str(z) for z in ztab["zone"]]


def _load_density_rasters(run: RunFolder, density_rasters, grid: GridSpec, sources, align) -> list[_Input]:
    out = []
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
            da = _rasters.align_to(da, sources[0].da, categorical=False).compute()
            da.attrs.pop("source_path", None)
        s = _Input(f"c_{pool}", Path(da.attrs["source_path"]) if "source_path" in da.attrs else None,
                   da, da.rio.nodata, da.dtype, engine.as_source(da, name=f"c_{pool}"))
        out.append(s)
    return out


def _zone_raster(zones: Any, grid: GridSpec, align: bool) -> tuple[np.ndarray, list[str]]:
    """An integer zone raster (DataArray): each distinct value > 0 (and not nodata) is a zone."""
    if not np.issubdtype(zones.dtype, np.integer):
        raise InputValidationError([Issue("zones", f"the zones raster has data type {zones.dtype}; expected "
                                                   f"integer zone ids")])
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
            raise InputValidationError([Issue("years", f"{len(ys)} year(s) given for {n} map(s); give one year per "
                                                       f"land-use map, in the same order")])
        return ys
    guessed = [_year_from_name(nm) for nm in names]
    if all(g is not None for g in guessed):
        return guessed  # type: ignore[return-value]
    return [None] * n


def _align(sources: list[_Input], align: bool, man: Any) -> GridSpec:
    from ..io import align_to

    ref = grid_of(sources[0].da)
    for i, s in enumerate(sources[1:], start=1):
        g = grid_of(s.da)
        if g == ref:
            continue
        if not align:
            ensure_aligned(**{f"landuse map 1 ({sources[0].name})": ref, f"landuse map {i + 1} ({s.name})": g})
        if isinstance(s.source, RasterWindowReader):
            s.source.close()
        s.use_array(align_to(s.da, sources[0].da, categorical=True).compute())
        man.notes.append(f"landuse map {i + 1} ({s.name}) resampled onto the grid of map 1 by nearest "
                         f"neighbour (align): {g} → {ref}")
    return ref


# -- the windowed pass ------------------------------------------------------------------------------
def _add_writers(writers: engine.MapWriters, run: RunFolder, grid: GridSpec, p: cs.StockPlan, flags, pool_maps,
                 pred: int) -> None:
    def tw(rel: str) -> Any:
        return _rasters.TiledWriter(run.path(rel), grid, predictor=pred)

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


def _execute(p, infos, sources, zone_arr, extra_sources, grid, win, row_w, flags, writers, scheduler, threads,
             man, progress) -> cs.Accounts:
    import rasterio

    windows = plan_windows(grid.shape, win)
    n_threads = threads or engine.default_threads()
    man.parameters["threads"] = n_threads
    srcs: dict[str, Any] = {f"map{i}": s.source for i, s in enumerate(sources)}
    if zone_arr is not None:
        srcs["zone"] = engine.ArraySource(zone_arr, name="zones")
    for i, s in enumerate(extra_sources):
        srcs[f"density{i}"] = s.source
    dens_nd = [s.nodata for s in extra_sources]
    acc: Any = None
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB * 1024 * 1024, GDAL_NUM_THREADS=1), \
            dask_client(scheduler) as client:
        pool = None
        if client is None:
            shapes: dict[str, tuple[tuple[int, ...], Any]] = {}
            for key, n in (("storage", p.n_maps), ("change", len(p.pairs)), ("npv", len(p.pairs))):
                if flags[key]:
                    shapes[key] = ((n, win, win), np.float32)
            pool = engine.BufferPool(n_threads + 3, shapes)
        kernel = _StockKernel(p, infos, row_w, flags, len(sources), zone_arr is not None, dens_nd, pool, win)
        for w, (maps, a, bufs) in engine.map_windows(kernel, windows, sources=srcs, shape=grid.shape,
                                                     threads=n_threads, client=client, progress=progress,
                                                     reuse_inputs=client is None):
            acc = a if acc is None else cs.add_accounts(acc, a)   # a fresh object per window: safe to add into
            futs = _write_window(writers, p, maps, w.r0, w.c0)
            if bufs is not None:
                pool.release_when_done(futs, bufs)
            writers.drain()                                      # at most ~2 windows of pending writes per output
    return cs.to_accounts(p, acc)


def _write_window(writers: engine.MapWriters, p: cs.StockPlan, maps: dict[str, np.ndarray], r0: int, c0: int) -> list:
    futs = []
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
    return futs


def _missing_codes_error(p: cs.StockPlan, sources: Sequence[_Input], names: Sequence[str]) -> MissingClassError:
    """Read the maps again (error path only) to list the codes that are not in the table."""
    table = set(int(c) for c in p.codes)
    for i, s in enumerate(sources):
        rows, cols = s.source.shape
        def codes(block: engine.Block, nodata=s.nodata) -> set[int]:
            b = block["map"]
            if nodata is not None:
                b = b[b != nodata]
            return set(np.unique(b).tolist())

        found = engine.run_windows(codes, plan_windows((rows, cols), (2048, cols)), sources={"map": s.source},
                                   reduce=lambda x, y: x | y, threads=1) or set()
        missing = sorted(int(v) for v in found - table)
        if missing:
            return MissingClassError(
                f"landuse map {names[i]}: class code(s) {cs.fmt_codes(missing)} are not in the pools table "
                f"(it has {cs.fmt_codes(sorted(table))}); add rows for them or map them with a crosswalk",
                missing)
    return MissingClassError("landuse maps hold codes that are not in the pools table", ())


# -- tables -----------------------------------------------------------------------------------------
def _write_tables(run: RunFolder, p: cs.StockPlan, acc: cs.Accounts, cell_a: float, price_year, zone_names,
                  mc_draws, seed, mc_distribution, mc_cv) -> dict[str, Any]:
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
        summary["monte_carlo"] = cs.monte_carlo(p, acc, draws=int(mc_draws), seed=int(seed), cell_area_ha=cell_a,
                                                distribution=mc_distribution, cv=mc_cv)
    return summary
