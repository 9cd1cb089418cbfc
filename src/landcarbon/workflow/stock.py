"""The ``carbon_stock`` step (``landcarbon stock``): one pass per window over every map (models.carbon_stock).

The runner resolves, validates and hashes the inputs (``models.carbon_stock.SPEC``) and stages the run
folder; :func:`check` adds the model's cheap checks (years and their order, the pools table, the valuation
and Monte Carlo options, zones, density rasters), all reported at once, before any map is read; :func:`execute`
runs the windowed pass. Every output of a window (storage, change and NPV maps, the zone × class accounts)
comes from one numba pass over that window (``models.carbon_stock.stock_window``), run by the windowed engine
(``workflow.engine``) on a thread pool (or on a Dask distributed cluster with ``scheduler``); each output
raster has its own writer thread. Accounts are added in window order, so totals do not depend on scheduling.
Each map is opened once for its header (:class:`io.windows.RasterWindowReader`, shared by check and
execute) and read once, window by window; the pools table is read once by the resolver and validated once.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np

from ..core.errors import EmptyInputError, InputValidationError, LandcarbonError, MissingClassError
from ..core.grid import GridSpec, ensure_aligned, grid_of, row_areas_ha
from ..core.spec import Issue
from ..core.validation import did_you_mean
from ..io import rasters as _rasters
from ..io.resolve import is_raster_path
from ..io.windows import DEFAULT_WINDOW, RasterWindowReader, plan_windows, window_size
from ..kernels import stock as _k
from ..models import carbon_stock as cs
from ..models.change import name_order_issue, year_from_name
from ..models.prices import CarbonPrice, carbon_price
from ..models.weights import Problems
from . import engine
from .runner import Progress, RunContext, run_model

__all__ = ["DEFAULT_WINDOW", "GDAL_CACHE_MB", "check", "execute", "run_stock"]

#: GDAL block cache while the run reads and writes (MB): dirty tiles are flushed instead of piling up
GDAL_CACHE_MB = 32
#: grids with more cells than this burn vector zones window by window (io.rasters.AUTO_CHUNK_CELLS)
_BIG = _rasters.AUTO_CHUNK_CELLS

_VALUATION_KEYS = ("price_unit", "discount_rate", "price_change", "price_growth", "price_year")


# -- what a run reads once (shared by check and execute through the run's resolver) ----------------------
_MEMO: WeakKeyDictionary = WeakKeyDictionary()


def _memo(ctx: RunContext, key: str, fn: Callable[[], Any]) -> Any:
    d = _MEMO.setdefault(ctx.resolver, {})
    if key not in d:
        d[key] = fn()
    return d[key]


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

    @property
    def grid(self) -> GridSpec:
        return self.source.grid if isinstance(self.source, RasterWindowReader) else grid_of(self.da)


def _open_map(item: Any, i: int) -> _Input:
    import xarray as xr

    if isinstance(item, xr.DataArray):
        if not np.issubdtype(item.dtype, np.integer):
            raise InputValidationError([Issue("landuse", f"map {i + 1} ({item.name}) has data type {item.dtype}; "
                                                         f"expected integer class codes: convert it first")])
        s = _Input(str(item.name or f"map{i + 1}"), None, item, item.rio.nodata, item.dtype)
        s.use_array(item)          # values come from the DataArray itself (it may differ from its file)
        return s
    p = Path(item)
    r = RasterWindowReader(p, name=p.stem)        # the header, once; windows are read in the pass
    return _Input(p.stem, p, None, r.nodata, r.dtype, r)


def _maps(ctx: RunContext) -> list[_Input]:
    return _memo(ctx, "maps", lambda: [_open_map(v, i) for i, v in enumerate(ctx["landuse"])])


def _labels(ctx: RunContext, maps: Sequence[_Input]) -> tuple[list[int | None], list[str], list[str], str | None]:
    """(years, labels, names, note) of the maps; raises for counts, order and repeated years. ``note``: the
    years given differ from those in the file names (stated as a warning by execute)."""
    def resolve() -> tuple[list[int | None], list[str], list[str], str | None]:
        n = len(maps)
        issues = []
        names = list(ctx.get("names") or [])
        if names and len(names) != n:
            issues.append(Issue("names", f"found {len(names)} name(s) for {n} map(s); expected one name per map "
                                         f"of ⟨landuse⟩, in the same order"))
        if not names or len(names) != n:
            names = [m.name for m in maps]
        given = list(ctx.get("years") or [])
        if given and len(given) != n:
            issues.append(Issue("years", f"{len(given)} year(s) given for {n} map(s); give one year per land-use "
                                         f"map, in the same order"))
        files = [m.path.name if m.path is not None else None for m in maps]
        order, note = name_order_issue("landuse", files, given if len(given) == n else ())
        if order is not None:
            issues.append(order)
        years: list[int | None]
        if given and len(given) == n:
            years = [int(y) for y in given]
        else:
            guessed = [year_from_name(nm) for nm in names]
            years = guessed if all(g is not None for g in guessed) else [None] * n
        dated = [y for y in years if y is not None]
        rep = sorted({y for y in dated if dated.count(y) > 1})
        if rep and not ctx.given("names") and not issues:
            shown = ", ".join(map(str, years))
            issues.append(Issue("years", f"found {shown} ({', '.join(map(str, rep))} repeated); expected "
                                         f"increasing years, oldest first, one per map; maps that share a year are "
                                         f"scenarios: give each map a name (⟨names⟩) to compare them as such, or "
                                         f"correct the years"))
        if issues:
            raise InputValidationError(issues)
        return years, cs.map_labels(years, names), names, note

    return _memo(ctx, "labels", resolve)


def _pools(ctx: RunContext, maps: Sequence[_Input]) -> cs.PoolsTable:
    return _memo(ctx, "pools", lambda: cs.read_pools(
        ctx.table("pools"), units=ctx.get("pools_units"), nodata_values=[m.nodata for m in maps],
        allow_implausible=bool(ctx.get("allow_implausible"))))


def _price(ctx: RunContext) -> CarbonPrice | None:
    """The price with its unit (a number with price_unit, or a named basis), or None without valuation."""
    def resolve() -> CarbonPrice | None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")    # a price per t C is InVEST's unit: recorded, not warned about
            if ctx.given("price"):
                return carbon_price(ctx["price"], ctx["price_unit"])
            if ctx.given("price_basis"):
                return carbon_price(ctx["price_basis"])
        return None

    return _memo(ctx, "price", resolve)


def _pool_name(raw: str) -> str:
    return str(raw).strip().lower().removeprefix("c_")


def _density(ctx: RunContext, maps: Sequence[_Input]) -> list[tuple[str, _Input]]:
    """The density rasters (pool, input): pool names known, files readable, on the maps' grid (or align)."""
    def resolve() -> list[tuple[str, _Input]]:
        issues, out = [], []
        grid = maps[0].grid
        for raw, item in ctx.get("density_raster") or []:
            pool = _pool_name(raw)
            if pool not in cs.POOLS:
                issues.append(Issue("density_raster", f"pool {raw!r} is unknown{did_you_mean(pool, cs.POOLS)}; "
                                                      f"expected one of {', '.join(cs.POOLS)} (e.g. soil=soc.tif)"))
                continue
            p = Path(item)
            if not p.is_file():
                what = "is a folder" if p.is_dir() else "does not exist"
                issues.append(Issue("density_raster", f"{pool}: file {item} {what}; expected a GeoTIFF of "
                                                      f"{pool} carbon density in Mg C/ha"))
                continue
            try:
                r = RasterWindowReader(p, name=f"c_{pool}")
            except LandcarbonError as err:
                issues.append(Issue("density_raster", f"{pool}: {err}"))
                continue
            if r.grid != grid and not ctx.get("align"):
                issues.append(Issue("density_raster", f"{pool}: {p.name} is on grid {r.grid}, but the maps are on "
                                                      f"{grid}; expected one grid: resample it, or set ⟨align⟩"))
                continue
            out.append((pool, _Input(f"c_{pool}", p, None, r.nodata, r.dtype, r)))
        if issues:
            raise InputValidationError(issues)
        return out

    return _memo(ctx, "density", resolve)


# -- check: the model's own cheap checks ----------------------------------------------------------------
def check(ctx: RunContext) -> list[Issue]:
    """Every problem found without reading a map: years and names, the pools table, valuation and Monte
    Carlo options, zone options, density rasters; options that would do nothing are errors."""
    pr = Problems([i.name for i in ctx.spec.inputs])
    maps = pr.run(lambda: _maps(ctx), "landuse")
    if maps is None:
        return pr.issues
    n = len(maps)
    labels = pr.run(lambda: _labels(ctx, maps), "years")
    table = pr.run(lambda: _pools(ctx, maps), "pools")
    priced = ctx.given("price") or ctx.given("price_basis")
    if priced:
        key = "price" if ctx.given("price") else "price_basis"
        pr.run(lambda: _price(ctx), key)
        if n < 2:
            pr.add(key, "is given but there is one map: the valuation values the change between two dated maps; "
                        "give a later map too, or leave the price out")
        elif labels is not None:
            years = labels[0]
            if any(y is None for y in years):
                pr.add("years", "are needed for the valuation: give the year of every map (the file names hold none)")
            elif not cs.default_pairs(years)[0]:
                pr.add(key, f"is given but every map has the year {years[0]}: there is no change to value; give "
                            f"maps of different years, or leave the price out")
        if ctx.given("price_unit") and not ctx.given("price"):
            pr.add("price_unit", "is given with ⟨price_basis⟩, which carries its own unit; leave it out")
    else:
        for k in _VALUATION_KEYS:
            if ctx.given(k):
                pr.add(k, "is given but no ⟨price⟩ (or ⟨price_basis⟩) is: it only applies to the valuation; give "
                          "the price too, or leave it out")
    if not ctx.get("write_maps", True) and ctx.given("pool_maps"):
        pr.add("pool_maps", "is given but the maps are switched off (⟨write_maps⟩ off); drop one of the two")
    if int(ctx.get("mc_draws", 0)) > 0:
        if ctx.get("seed") is None:
            pr.add("seed", "is required for Monte Carlo (mc_draws > 0); it is recorded in the manifest: give one, "
                           "e.g. 1")
        if table is not None and not table.has_sd and ctx.get("mc_cv") is None:
            pr.add("mc_draws", "needs standard deviations: the pools table has no sd_above … sd_dead or cv column; "
                               "add them, or give ⟨mc_cv⟩ (the interval is then assumption-driven)")
    else:
        for k in ("mc_cv", "mc_distribution", "seed"):
            if ctx.given(k):
                pr.add(k, "is given but no Monte Carlo is run (⟨mc_draws⟩ is 0); give mc_draws too, or leave it out")
    _check_zones(ctx, pr, table)
    if ctx.get("density_raster"):
        pr.run(lambda: _density(ctx, maps), "density_raster")
    return pr.issues


def _is_raster(v: Any) -> bool:
    import xarray as xr

    return isinstance(v, xr.DataArray) or (isinstance(v, str | os.PathLike) and is_raster_path(v))


def _check_zones(ctx: RunContext, pr: Problems, table: cs.PoolsTable | None) -> None:
    zones = ctx.get("zones")
    if zones is None:
        for k in ("zone_field", "zone_layer"):
            if ctx.given(k):
                pr.add(k, "is given but no zones are; give ⟨zones⟩ too, or leave it out")
        if table is not None and table.has_zone:
            pr.add("zones", "are needed: the pools table has a zone column; give the zones (and zone_field) whose "
                            "names match it")
        return
    if _is_raster(zones):
        for k in ("zone_field", "zone_layer"):
            if ctx.given(k):
                pr.add(k, "is given but the zones are a raster of zone ids, which has no fields or layers; leave it "
                          "out, or give the zones as a vector file")
        return
    if table is not None and table.has_zone and isinstance(zones, str | os.PathLike) and ctx.get("zone_field"):
        try:
            import pyogrio

            names = pyogrio.read_dataframe(zones, layer=ctx.get("zone_layer"), columns=[ctx["zone_field"]],
                                           read_geometry=False)[ctx["zone_field"]].astype(str).tolist()
        except Exception:  # noqa: BLE001 - the resolver has reported an unreadable layer
            return
        pr.run(lambda: cs.plan(table, years=[None], zone_names=list(dict.fromkeys(names))))


# -- execute ------------------------------------------------------------------------------------------
def execute(ctx: RunContext) -> dict[str, Any]:
    t_start = time.perf_counter()
    m = ctx.manifest
    write_maps, pool_maps = bool(ctx.get("write_maps", True)), bool(ctx.get("pool_maps"))
    mc_draws, seed = int(ctx.get("mc_draws", 0)), ctx.get("seed")
    with m.timed("load"):
        sources = _maps(ctx)
        yrs, labels, names, note = _labels(ctx, sources)
        table = _pools(ctx, sources)
        for s in sources:
            if s.path is None:
                m.add_input("landuse", f"<DataArray {s.name}>", None, dtype=str(s.dtype), nodata=s.nodata,
                            derived_from=s.da.attrs.get("source_path"))
        grid = _align(ctx, sources)
        win = int(ctx["window"]) if ctx.get("window") else _block_edge(sources)
        zone_arr, zone_names = _zones(ctx, grid, sources, win)
        dens = _density_sources(ctx, sources, grid)
    cp = _price(ctx)
    price_tc = None if cp is None else cp.per_tc
    for w in (*table.warnings, *([note] if note else [])):
        ctx.warn(w)
    r, c, g = ctx.get("discount_rate"), ctx.get("price_change"), ctx.get("price_growth")
    if cp is not None:
        for key, val, what in (("discount_rate", r, "discount rate r"), ("price_change", c if g is None else 0,
                                                                          "price change c")):
            if val is None:
                ctx.warn(f"valuation: no {what} was given ({key}); 0 %/a is used (InVEST requires both the "
                         f"discount rate and the price change): give it to value the change as intended")
    r, c = float(r or 0.0), float(c or 0.0)
    with m.timed("plan"):
        p = cs.plan(table, years=yrs, labels=labels, zone_names=zone_names, price=price_tc, discount_rate=r,
                    price_change=c, price_growth=g, raster_pools=tuple(pool for pool, _ in dens))
    geographic = grid.is_geographic
    rows = row_areas_ha(grid)
    cell_a = 1.0 if geographic else float(rows[0])
    row_w = rows if geographic else np.ones_like(rows)
    m.parameters.update({
        "years": yrs, "labels": p.labels, "pairs": [[p.labels[a], p.labels[b]] for a, b in p.pairs],
        "pair_kind": p.pair_kind, "pools_units": table.unit, "n_zones": len(zone_names),
        "price_per_tC": price_tc, "price_input": None if cp is None else cp.value,
        "price_unit_used": None if cp is None else cp.unit, "price_conversion": None if cp is None else cp.conversion,
        "price_basis_used": None if cp is None else cp.basis,
        "discount_rate_pct": r, "price_change_pct": c, "price_growth_pct": g,
        "valuation_defaults": [k for k, v in (("discount_rate", ctx.get("discount_rate")),
                                              ("price_change", ctx.get("price_change") if g is None else 0))
                               if cp is not None and v is None],
        "valuation_mode": ("none" if cp is None else "invest (price change acts as a second discount rate)"
                           if g is None else "price_growth (real price increase)"),
        "valuation_constant_K": [None if math.isnan(v) else float(v) for v in p.k],
        "area_method": ("ellipsoidal per-row cell area (geographic CRS, methods §1.3)" if geographic
                        else "nominal |A·E−B·D| cell area (projected CRS, as InVEST)"),
        "cell_area_ha": None if geographic else cell_a, "grid": str(grid), "write_maps": write_maps,
        "pool_maps": pool_maps, "density_rasters": [pool for pool, _ in dens], "aligned": bool(ctx.get("align")),
        "mc_draws": mc_draws, "mc_distribution": ctx.get("mc_distribution") if mc_draws else None,
        "scheduler": ctx.scheduler or ctx.get("scheduler") or "local threads", "window": win,
        "float_arithmetic": "pool densities, storage, change, NPV per cell in float32 (as InVEST 3.20); "
                            "sums in float64",
    })
    m.notes.extend(n for n in table.notes if n not in m.notes)
    if mc_draws:
        m.seeds["monte_carlo"] = int(seed)
    infos = [cs.code_info(p, s.nodata, s.dtype) for s in sources]
    flags = {"storage": write_maps, "change": write_maps and len(p.pairs) > 0,
             "npv": write_maps and cp is not None and len(p.pairs) > 0, "pools": write_maps and pool_maps}
    # class-based maps are piecewise constant: ZSTD alone compresses them best and fastest; a floating-point
    # predictor pays off only when densities vary per cell (density rasters)
    pred = 3 if dens else 1
    m.parameters["raster_format"] = (f"tiled GeoTIFF 512x512, ZSTD level 1, predictor {pred}, no overviews, "
                                     f"header first (COG layout), float32, NaN nodata, band units")
    writers = engine.MapWriters()
    try:
        if write_maps:
            _add_writers(writers, ctx, grid, p, flags, pool_maps, pred)
        with m.timed("compute_and_write"):
            try:
                acc = _execute(ctx, p, infos, sources, zone_arr, [s for _, s in dens], grid, win, row_w, flags,
                               writers)
            except _UnknownCodes:
                raise _missing_codes_error(p, sources, names) from None
        try:
            cs.check_accounts(p, acc, map_names=names)
        except MissingClassError as err:
            raise (_missing_codes_error(p, sources, names) if not err.missing else _keyed(err, "pools")) from None
        if zone_names and acc.acc_w[:, 1:, :].sum() == 0:
            raise EmptyInputError(
                f"zones: the zones ({len(zone_names)} features) cover no cell of the map ({grid}); check that both "
                f"cover the same region and that the zones' CRS is declared correctly")
        with m.timed("finish_maps"):
            writers.commit()
    except BaseException:
        writers.abort()
        raise
    finally:
        for s in [*sources, *(s for _, s in dens)]:
            if isinstance(s.source, RasterWindowReader):
                s.source.close()
    with m.timed("tables"):
        summary = _write_tables(ctx, p, acc, cell_a, zone_names, mc_draws, seed)
    _warn_dropped(ctx, summary, bool(dens))
    summary["parameters"] = {k: m.parameters[k] for k in (
        "years", "labels", "price_per_tC", "discount_rate_pct", "price_change_pct", "valuation_mode",
        "area_method")}
    tifs = [f for f in m.outputs if f.endswith(".tif")]
    if write_maps:
        summary["maps_written"] = tifs
    summary["headline"] = _headline(summary, cp)
    summary["main_outputs"] = [*(f for f in tifs if not f.startswith("intermediate/")),
                               *(f for f in m.outputs if f.endswith(".csv"))]
    m.timings_s["total"] = round(time.perf_counter() - t_start, 4)
    return summary


def _keyed(err: LandcarbonError, key: str) -> LandcarbonError:
    err.key = key  # the input the interface names (runner.translate_error)
    return err


def _headline(summary: dict[str, Any], cp: CarbonPrice | None) -> list[dict[str, Any]]:
    out = [{"label": f"stock {mp['label']}", "value": mp["total_MgC"], "unit": "Mg C"} for mp in summary["maps"]]
    for ch in summary["changes"]:
        out.append({"label": f"change {ch['from_label']} → {ch['to_label']}", "value": ch["change_MgC"],
                    "unit": "Mg C"})
        if ch.get("npv") is not None:
            out.append({"label": f"NPV {ch['from_label']} → {ch['to_label']}", "value": ch["npv"],
                        "unit": f"CNY (price year {ch['price_year']})"})
    return out


def _warn_dropped(ctx: RunContext, summary: dict[str, Any], has_density: bool) -> None:
    """Cells left out of the totals for a reason the user may not expect, on the console with their area."""
    for mp in summary["maps"]:
        if has_density and mp["area_no_density_ha"] > 0:
            ctx.warn(f"map {mp['label']}: cells with a class but no value in a density raster (its nodata) are "
                     f"left out of the stock", area_ha=mp["area_no_density_ha"])
        if mp.get("area_outside_zones_ha", 0) > 0:
            ctx.warn(f"map {mp['label']}: cells outside every zone are in the totals and by_class.csv but in no "
                     f"zone's row of the zone tables", area_ha=mp["area_outside_zones_ha"])


# -- inputs -----------------------------------------------------------------------------------------
def _block_edge(sources: Sequence[_Input]) -> int:
    """A window edge aligned to the tiles of the input files (io.windows.window_size)."""
    return window_size([s.source.block_shape for s in sources if isinstance(s.source, RasterWindowReader)],
                       DEFAULT_WINDOW)


def _align(ctx: RunContext, sources: list[_Input]) -> GridSpec:
    """The grid of the first map; maps on other grids are resampled onto it (align) or refused."""
    ref = sources[0].grid
    for i, s in enumerate(sources[1:], start=1):
        g = s.grid
        if g == ref:
            continue
        if not ctx.get("align"):
            ensure_aligned(**{f"landuse map 1 ({sources[0].name})": ref, f"landuse map {i + 1} ({s.name})": g})
        first = _dataarray(ctx, sources[0], 0)
        da = _dataarray(ctx, s, i)
        if isinstance(s.source, RasterWindowReader):
            s.source.close()
        s.use_array(_rasters.align_to(da, first, categorical=True).compute())
        ctx.manifest.notes.append(f"landuse map {i + 1} ({s.name}) resampled onto the grid of map 1 by nearest "
                                  f"neighbour (align): {g} → {ref}")
    return ref


def _dataarray(ctx: RunContext, s: _Input, i: int) -> Any:
    return s.da if s.da is not None else ctx.raster("landuse", index=i)


def _zones(ctx: RunContext, grid: GridSpec, sources: Sequence[_Input], win: int) -> tuple[Any, list[str]]:
    """Zone index (numpy, or dask burnt window by window on large grids) and the zone names."""
    v = ctx.get("zones")
    if v is None:
        return None, []
    chunk = win if grid.shape[0] * grid.shape[1] > _BIG else None
    if hasattr(v, "geometry"):                          # an in-memory GeoDataFrame (Python API)
        from ..io import rasterize_zones

        field = ctx.get("zone_field")
        arr, table = rasterize_zones(v, grid, field, chunks=chunk)
        ctx.manifest.add_input("zones", "<GeoDataFrame>", None, field=field)
        return arr, [str(z) for z in table["zone"]]
    from ..io.inputs import load_zones

    like = sources[0].da if sources[0].da is not None and grid_of(sources[0].da) == grid else engine.grid_like(grid,
                                                                                                            chunk)
    z, zone_names = load_zones(v, field=ctx.get("zone_field"), layer=ctx.get("zone_layer"), like=like,
                               align=bool(ctx.get("align")))
    if not isinstance(v, str | os.PathLike):
        ctx.manifest.add_input("zones", f"<DataArray {getattr(v, 'name', '')}>", None)
    return z.data, zone_names


def _density_sources(ctx: RunContext, sources: Sequence[_Input], grid: GridSpec) -> list[tuple[str, _Input]]:
    out = []
    for pool, s in _density(ctx, sources) if ctx.get("density_raster") else []:
        ctx.manifest.add_input(f"density_raster:{pool}", str(s.path), ctx.resolver.sha256(s.path))
        if s.source.grid != grid:                      # align: bilinear onto the first map, in memory
            da = _rasters.read_raster(s.path, chunks=None, name=s.name)
            s.source.close()
            s.use_array(_rasters.align_to(da, _dataarray(ctx, sources[0], 0), categorical=False).compute())
            ctx.manifest.notes.append(f"density raster {pool} resampled onto the grid of map 1 (bilinear, align)")
        out.append((pool, s))
    return out


# -- the windowed pass ------------------------------------------------------------------------------
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


def _add_writers(writers: engine.MapWriters, ctx: RunContext, grid: GridSpec, p: cs.StockPlan, flags, pool_maps,
                 pred: int) -> None:
    def tw(rel: str, units: str) -> Any:
        return _rasters.TiledWriter(ctx.run.path(rel), grid, predictor=pred, units=units)

    for lab in p.labels:
        writers.add(f"storage:{lab}", tw(f"c_storage_{lab}.tif", "Mg C/ha"))
    for a, b in p.pairs:
        pl = f"{p.labels[a]}_{p.labels[b]}"
        writers.add(f"change:{pl}", tw(f"c_change_{pl}.tif", "Mg C/ha"))
        if flags["npv"]:
            writers.add(f"npv:{pl}", tw(f"npv_{pl}.tif", "CNY/ha"))
    if pool_maps:
        for lab in p.labels:
            for pool in cs.POOLS:
                writers.add(f"pool:{pool}:{lab}", tw(f"intermediate/c_{pool}_{lab}.tif", "Mg C/ha"))


@contextmanager
def _client(ctx: RunContext) -> Iterator[Any]:
    """The runner's Dask client (``run_model(scheduler=…)``), or one opened here for a scheduler given as a
    value only, or None for local threads."""
    from .common import dask_client

    if ctx.scheduler:
        from distributed import get_client

        yield get_client()
        return
    with dask_client(ctx.get("scheduler")) as client:
        yield client


class _UnknownCodes(Exception):
    """A window holds codes that are not in the pools table (listed by _missing_codes_error)."""


def _unknown_codes(p: cs.StockPlan, a: Any) -> bool:
    """True when the sums of one window hold cells whose code is not in the pools table."""
    u, nz, e = p.n_classes + _k.UNKNOWN, p.n_zones, p.n_slots
    if isinstance(a, cs.Hist):
        if a.hist_m.reshape(p.n_maps, nz, e)[:, :, u].any():
            return True
        hp = a.hist_p.reshape(len(p.pairs), nz, e, e)
        return bool(hp[:, :, u, :].any() or hp[:, :, :, u].any())
    return bool(a.acc_w[:, :, u].any())


def _execute(ctx, p, infos, sources, zone_arr, extra_sources, grid, win, row_w, flags, writers) -> cs.Accounts:
    import rasterio

    windows = plan_windows(grid.shape, win)
    n_threads = int(ctx.get("threads") or engine.default_threads())
    ctx.manifest.parameters["threads"] = n_threads
    srcs: dict[str, Any] = {f"map{i}": s.source for i, s in enumerate(sources)}
    if zone_arr is not None:
        srcs["zone"] = engine.ArraySource(zone_arr, name="zones")
    for i, s in enumerate(extra_sources):
        srcs[f"density{i}"] = s.source
    dens_nd = [s.nodata for s in extra_sources]
    acc: Any = None
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB * 1024 * 1024, GDAL_NUM_THREADS=1), _client(ctx) as client, \
            ctx.progress.step("carbon stock", total=len(windows)) as advance:
        pool = None
        if client is None:
            shapes: dict[str, tuple[tuple[int, ...], Any]] = {}
            for key, n in (("storage", p.n_maps), ("change", len(p.pairs)), ("npv", len(p.pairs))):
                if flags[key]:
                    shapes[key] = ((n, win, win), np.float32)
            pool = engine.BufferPool(n_threads + 3, shapes)
        kernel = _StockKernel(p, infos, row_w, flags, len(sources), zone_arr is not None, dens_nd, pool, win)
        gen = engine.map_windows(kernel, windows, sources=srcs, shape=grid.shape, threads=n_threads, client=client,
                                 progress=lambda done, total: advance(1), reuse_inputs=client is None)
        try:
            for w, (maps, a, bufs) in gen:
                if _unknown_codes(p, a):                    # stop at the first window that shows one
                    raise _UnknownCodes()
                acc = a if acc is None else cs.add_accounts(acc, a)   # a fresh object per window: safe to add into
                futs = _write_window(writers, p, maps, w.r0, w.c0)
                if bufs is not None:
                    pool.release_when_done(futs, bufs)
                writers.drain()                                      # ~2 windows of pending writes per output
        finally:
            gen.close()
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
    """Read the maps again (error path only) to list every code that is not in the table."""
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
            return _keyed(MissingClassError(
                f"landuse map {names[i]}: class code(s) {cs.fmt_codes(missing)} are not in the pools table "
                f"(it has {cs.fmt_codes(sorted(table))}); add rows for them or map them with a crosswalk",
                missing), "pools")
    return _keyed(MissingClassError("landuse maps hold codes that are not in the pools table", ()), "pools")


# -- tables -----------------------------------------------------------------------------------------
def _write_tables(ctx: RunContext, p: cs.StockPlan, acc: cs.Accounts, cell_a: float, zone_names, mc_draws,
                  seed) -> dict[str, Any]:
    py = ctx.get("price_year")
    res = cs.summarize(p, acc, cell_area_ha=cell_a, price_year=None if py is None else [py] * len(p.pairs))
    summary = res["summary"]
    ctx.run.write_table(res["zone_class"], "zone_class.csv")
    ctx.run.write_table(res["by_class"], "by_class.csv")
    if zone_names:
        ctx.run.write_table(res["by_zone"], "by_zone.csv")
    if len(p.pairs):
        ctx.run.write_table(res["zone_change"], "changes_by_zone.csv")
        ctx.run.write_table(res["transitions"], "transitions.csv")
    if mc_draws:
        summary["monte_carlo"] = cs.monte_carlo(p, acc, draws=int(mc_draws), seed=int(seed), cell_area_ha=cell_a,
                                                distribution=ctx.get("mc_distribution", "normal"),
                                                cv=ctx.get("mc_cv"))
    return summary


# -- the Python API -----------------------------------------------------------------------------------
class _CallbackProgress(Progress):
    """``progress(windows_done, windows_total)`` of the old API, as a runner progress."""

    def __init__(self, fn: Callable[[int, int], None]):
        super().__init__(False)
        self.fn = fn

    @contextmanager
    def step(self, label: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        done = [0]

        def advance(n: int = 1) -> None:
            done[0] += n
            self.fn(done[0], total or 0)

        yield advance


def run_stock(landuse: Sequence[Any], *, pools: Any, out: str | os.PathLike, years: Sequence[int] | None = None,
              names: Sequence[str] | None = None, zones: Any = None, zone_field: str | None = None,
              price: float | None = None, price_unit: str | None = None, discount_rate: float | None = None,
              price_change: float | None = None, price_growth: float | None = None, price_year: int | None = None,
              write_maps: bool = True, pool_maps: bool = False, pools_units: str | None = None,
              density_rasters: Mapping[str, Any] | None = None, scheduler: str | None = None,
              align: bool = False, mc_draws: int = 0, seed: int | None = None, mc_distribution: str = "normal",
              mc_cv: float | None = None, window: int | None = None, threads: int | None = None,
              overwrite: bool = True, progress: Callable[[int, int], None] | None = None,
              zone_layer: str | None = None, price_basis: str | None = None,
              allow_implausible: bool = False) -> dict[str, Any]:
    """Run the carbon stock model (``carbon_stock`` through the runner) into the run folder ``out``; return
    the summary dict.

    ``landuse``: paths or integer DataArrays (one per year or scenario, oldest first). ``years``: one per
    map (or read from 4-digit years in the file names). ``pools``: DataFrame or CSV/XLSX path (Mg C/ha
    unless ``pools_units`` or a units row/column says otherwise). ``zones``: a vector path (with
    ``zone_field``), an integer zone raster (path or DataArray) or a GeoDataFrame. ``price`` with its
    ``price_unit`` ("CNY/t C" or "CNY/t CO2": required with a price), or ``price_basis``;
    ``discount_rate`` and ``price_change`` in %/a as InVEST (0 with a warning when not given;
    ``price_growth`` for the real-price-growth variant). ``density_rasters``: pool → raster path.
    ``write_maps``: c_storage_<label>.tif, c_change_<a>_<b>.tif, npv_<a>_<b>.tif (float32, NaN nodata,
    band units); ``pool_maps`` adds intermediate/c_<pool>_<label>.tif. ``align``: resample later maps
    onto the first. ``mc_draws`` (> 0 needs ``seed``): Monte Carlo percentiles. ``scheduler``: a Dask
    distributed address. ``progress``: called as ``progress(windows_done, windows_total)``.
    Writes the spec's outputs (``models.carbon_stock.SPEC``); nothing is left in ``out`` on error.
    """
    values = dict(landuse=list(landuse), years=list(years) if years is not None else None,
                  names=list(names) if names is not None else None, pools=pools, pools_units=pools_units,
                  zones=zones, zone_field=zone_field, zone_layer=zone_layer, price=price, price_unit=price_unit,
                  price_basis=price_basis, discount_rate=discount_rate, price_change=price_change,
                  price_growth=price_growth, price_year=price_year, write_maps=write_maps, pool_maps=pool_maps,
                  density_raster=[(k, str(v)) for k, v in (density_rasters or {}).items()] or None,
                  align=align, mc_draws=mc_draws, seed=seed, mc_distribution=mc_distribution, mc_cv=mc_cv,
                  window=window, threads=threads, scheduler=scheduler, allow_implausible=allow_implausible)
    return run_model("carbon_stock", {k: v for k, v in values.items() if v is not None}, out=out,
                     overwrite=overwrite, scheduler=scheduler,
                     progress=_CallbackProgress(progress) if progress is not None else None)
