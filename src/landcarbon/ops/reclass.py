"""Reclassify class maps through a lookup table: lazy on dask, numba per chunk, numpy or dask in.

    dens = reclassify(lulc, codes=[1, 2], values=[86.0, 28.0])            # Mg C/ha, NaN for nodata
    missing = codes_not_in(lulc, [1, 2])                                   # lazy: codes without a row

Cells whose code is nodata get ``fill``; codes that are not in the table get ``fill`` too, so check
them with :func:`codes_not_in` first (a missing class is an error, never a silent value).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..kernels import lookup as _lookup
from ..kernels import stock as _kstock


def _nodata_of(da: Any, nodata: Any) -> tuple[Any, bool]:
    if nodata is None and hasattr(da, "rio"):
        nodata = da.rio.nodata
    has = nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata))
    return (nodata if has else 0), has


def _data(da: Any) -> Any:
    return da.data if hasattr(da, "dims") else da


def _wrap(da: Any, arr: Any, name: str | None, units: str | None, nodata: Any) -> Any:
    if not hasattr(da, "dims"):
        return arr
    out = da.copy(data=arr)
    out.name = name or da.name
    out.attrs = {k: v for k, v in da.attrs.items() if k not in ("_FillValue", "source_path")}
    if units:
        out.attrs["units"] = units
    if hasattr(out, "rio"):
        out = out.rio.write_nodata(nodata, encoded=False)
    return out


def reclassify(da: Any, codes: Sequence[int], values: Sequence[float] | np.ndarray, *, nodata: Any = None,
               fill: float = np.nan, dtype: Any = np.float32, name: str | None = None,
               units: str | None = None) -> Any:
    """``values[k]`` where the map holds ``codes[k]``; ``fill`` for nodata and for codes not listed.

    ``da``: 2-D integer DataArray or array (numpy or dask); its nodata is ``nodata`` or
    ``da.rio.nodata``. Returns the same kind of object, lazy when ``da`` is dask-backed.
    """
    codes = np.asarray(list(codes), dtype=np.int64)
    vals = np.asarray(values, dtype=dtype)
    if codes.shape[0] != vals.shape[0]:
        raise ValueError(f"reclassify: {codes.size} codes but {vals.shape[0]} values; give one value per code")
    lut, offset = _lookup.dense_lut(codes, vals, fill=fill, dtype=dtype)
    nd, has_nd = _nodata_of(da, nodata)
    fill_v = np.asarray(fill, dtype=dtype)[()]
    arr = _data(da)
    if hasattr(arr, "dask"):
        out = arr.map_blocks(_lookup.lookup2d, lut, offset, arr.dtype.type(nd), has_nd, fill_v,
                             dtype=lut.dtype, meta=np.empty((0, 0), dtype=lut.dtype))
    else:
        a = np.ascontiguousarray(arr)
        out = _lookup.lookup2d(a, lut, offset, a.dtype.type(nd), has_nd, fill_v)
    return _wrap(da, out, name, units, float(fill) if np.issubdtype(np.dtype(dtype), np.floating) else fill)


def _seen_block(block: np.ndarray, lo: int, hi: int, nd: Any, has_nd: bool) -> np.ndarray:
    seen = np.zeros(hi - lo + 1, dtype=np.bool_)
    outside = _kstock.distinct_codes(np.ascontiguousarray(block), block.dtype.type(nd), has_nd, lo, hi, seen)
    extra = np.empty(0, dtype=np.int64)
    if outside:
        b = block[(block < lo) | (block > hi)]
        if has_nd:
            b = b[b != nd]
        extra = np.unique(b.astype(np.int64))
    return np.concatenate([np.nonzero(seen)[0].astype(np.int64) + lo, extra])


def distinct_codes(da: Any, *, nodata: Any = None) -> Any:
    """The distinct valid codes of a class map: a numpy array, or a lazy dask array for dask input."""
    nd, has_nd = _nodata_of(da, nodata)
    arr = _data(da)
    info = np.iinfo(arr.dtype)
    lo, hi = (int(info.min), int(info.max)) if arr.dtype.itemsize <= 2 else (0, 65_535)
    if not hasattr(arr, "dask"):
        return np.unique(_seen_block(np.asarray(arr), lo, hi, nd, has_nd))
    import dask
    import dask.array as dsa

    parts = [dask.delayed(_seen_block)(b, lo, hi, nd, has_nd) for b in arr.to_delayed().ravel()]
    lazy = dask.delayed(lambda *ps: np.unique(np.concatenate(ps)))(*parts)
    return dsa.from_delayed(lazy, shape=(np.nan,), dtype=np.int64)


def codes_not_in(da: Any, codes: Sequence[int], *, nodata: Any = None) -> Any:
    """Codes present in the map (nodata excluded) but not in ``codes``; lazy for dask input."""
    table = np.asarray(list(codes), dtype=np.int64)
    found = distinct_codes(da, nodata=nodata)
    if hasattr(found, "dask"):
        return found.map_blocks(lambda f: f[~np.isin(f, table)], dtype=np.int64, chunks=((np.nan,),))
    return found[~np.isin(found, table)]


__all__ = ["codes_not_in", "distinct_codes", "reclassify"]
