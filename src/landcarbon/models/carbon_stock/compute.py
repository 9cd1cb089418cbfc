"""Whole arrays (numpy, or dask lazily): :func:`compute`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...core.errors import InputValidationError
from ...core.spec import Issue
from .accounts import sum_accounts, to_accounts
from .plan import StockPlan, plan
from .pools import PoolsTable, read_pools
from .window import code_info, stock_window


@dataclass
class StockResult:
    """Lazy result of :func:`compute`: float32 maps (DataArrays) and the accounts (numpy or dask)."""

    plan: StockPlan
    storage: list[Any]
    change: list[Any]
    npv: list[Any]
    accounts: Any                         # tuple of 6 arrays (numpy or dask)
    cell_area_ha: float
    geographic: bool


def compute(landuse: Sequence[Any], pools: pd.DataFrame | PoolsTable, *, years: Sequence[int | None] | None = None,
            labels: Sequence[str] | None = None, zones: Any = None, zone_names: Sequence[str] = (),
            density_rasters: Mapping[str, Any] | None = None, price: float | None = None,
            discount_rate: float = 0.0, price_change: float = 0.0, price_growth: float | None = None,
            pools_units: str | None = None) -> StockResult:
    """Carbon stock, change and NPV of land-use DataArrays (numpy- or dask-backed; lazy on dask).

    ``landuse``: integer DataArrays on one grid (rioxarray CRS/transform; nodata in ``.rio.nodata``).
    ``zones``: int DataArray/array of 1-based zone ids (0 = outside) with ``zone_names``.
    ``density_rasters``: pool name → float DataArray (Mg C/ha) used instead of the table for that
    pool (NaN or its nodata = no data). Returns a :class:`StockResult`; pass it to :func:`summarize`
    after computing its ``accounts``.
    """
    import xarray as xr

    from ...core.grid import ensure_aligned, row_areas_ha

    if not landuse:
        raise InputValidationError([Issue("landuse", "no map given; give at least one land-use map")])
    named = {f"map {i + 1}": da for i, da in enumerate(landuse)}
    if zones is not None and isinstance(zones, xr.DataArray):
        named["zones"] = zones
    for pool, da in (density_rasters or {}).items():
        named[f"density raster {pool}"] = da
    grid = ensure_aligned(**named)
    for i, da in enumerate(landuse):
        if not np.issubdtype(da.dtype, np.integer):
            raise InputValidationError(
                f"landuse map {i + 1} has data type {da.dtype}; expected integer class codes; convert it to an "
                f"integer raster first")
    years = list(years) if years is not None else [None] * len(landuse)
    if len(years) != len(landuse):
        raise InputValidationError(f"years: {len(years)} given for {len(landuse)} maps; give one per map")
    nodatas = [da.rio.nodata for da in landuse]
    table = pools if isinstance(pools, PoolsTable) else read_pools(pools, units=pools_units, nodata_values=nodatas)
    p = plan(table, years=years, labels=labels, zone_names=zone_names, price=price, discount_rate=discount_rate,
             price_change=price_change, price_growth=price_growth,
             raster_pools=tuple((density_rasters or {}).keys()))
    rows = row_areas_ha(grid)
    geographic = grid.is_geographic
    a = 1.0 if geographic else float(rows[0])
    row_w = rows if geographic else np.ones_like(rows)
    infos = [code_info(p, nd, da.dtype) for nd, da in zip(nodatas, landuse)]
    dens = list((density_rasters or {}).values())
    dens_nd = [da.rio.nodata for da in dens]
    data = [da.data for da in landuse]
    zdata = None if zones is None else (zones.data if isinstance(zones, xr.DataArray) else zones)
    ddata = [da.data for da in dens]
    is_dask = any(hasattr(x, "dask") for x in [*data, zdata, *ddata] if x is not None)
    coords = {"y": landuse[0].y, "x": landuse[0].x}
    n_pairs = len(p.pairs)

    if not is_dask:                           # the whole map is one window
        maps, acc = stock_window(p, [np.asarray(d) for d in data], infos, row_w=row_w,
                                 zone=None if zdata is None else np.asarray(zdata),
                                 densities=[np.asarray(d) for d in ddata], density_nodata=dens_nd)
        storage = [maps["storage"][i] for i in range(p.n_maps)]
        change = [maps["change"][i] for i in range(n_pairs)] if n_pairs else []
        npv = [maps["npv"][i] for i in range(n_pairs)] if n_pairs else []
        accounts = to_accounts(p, acc).as_tuple()
    else:                                     # lazily: the same window kernel on every dask chunk
        storage, change, npv, accounts = _lazy(p, infos, data, zdata, ddata, dens_nd, row_w)

    def wrap(arr, name, units):
        da = xr.DataArray(arr, dims=("y", "x"), coords=coords, name=name, attrs={"units": units})
        da = da.rio.write_crs(grid.crs) if grid.crs is not None else da
        return da.rio.write_transform(grid.transform).rio.write_nodata(np.nan, encoded=False)

    st = [wrap(s, f"c_storage_{lab}", "Mg C/ha") for s, lab in zip(storage, p.labels)]
    pl = [f"{p.labels[a]}_{p.labels[b]}" for a, b in p.pairs]
    chg = [wrap(c, f"c_change_{lab}", "Mg C/ha") for c, lab in zip(change, pl)]
    nv = [wrap(v, f"npv_{lab}", "CNY/ha") for v, lab in zip(npv, pl)]
    return StockResult(plan=p, storage=st, change=chg, npv=nv, accounts=accounts, cell_area_ha=a,
                       geographic=geographic)


def _lazy(p: StockPlan, infos, data, zdata, ddata, dens_nd, row_w) -> tuple[list, list, list, Any]:
    """The window kernel as a dask graph (one task per chunk of the first map) and a Delayed that adds
    the chunks' accounts in chunk order (deterministic); nothing is computed here."""
    import dask
    import dask.array as dsa

    chunks = dsa.asarray(data[0]).chunks
    nm, has_z, nd_ = len(data), zdata is not None, len(ddata)
    args: list[Any] = []
    for d in data:
        args += [dsa.asarray(d).rechunk(chunks), "ij"]
    args += [dsa.from_array(row_w.reshape(-1, 1), chunks=(chunks[0], 1)), "iq"]
    if has_z:
        args += [dsa.asarray(zdata).rechunk(chunks), "ij"]
    for d in ddata:
        args += [dsa.asarray(d).rechunk(chunks), "ij"]
    n_pairs = len(p.pairs)

    def window(*blocks):
        maps_, acc_ = stock_window(p, blocks[:nm], infos, row_w=blocks[nm].ravel(),
                                   zone=blocks[nm + 1] if has_z else None,
                                   densities=blocks[nm + 1 + has_z:nm + 1 + has_z + nd_], density_nodata=dens_nd)
        stack = [maps_["storage"]] + ([maps_["change"], maps_["npv"]] if n_pairs else [])
        return np.concatenate(stack, axis=0), acc_

    n_layers = p.n_maps + 2 * n_pairs
    fused = dsa.blockwise(window, "ij", *args, dtype=object, concatenate=True, meta=np.empty((0, 0), dtype=object))
    layers = fused.map_blocks(lambda t: t[0], dtype=np.float32, new_axis=0, chunks=((n_layers,),) + chunks,
                              meta=np.empty((0, 0, 0), np.float32))
    storage = [layers[i] for i in range(p.n_maps)]
    change = [layers[p.n_maps + i] for i in range(n_pairs)]
    npv = [layers[p.n_maps + n_pairs + i] for i in range(n_pairs)]
    parts = fused.to_delayed().ravel().tolist()
    accounts = dask.delayed(lambda *ps: sum_accounts(p, [q[1] for q in ps]))(*parts)
    return storage, change, npv, accounts


__all__ = ["StockResult", "compute"]
