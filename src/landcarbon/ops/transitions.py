"""Transition and confusion cross-tabulations of class maps (methods.md §7.1, §9). Lazy on dask.

``cross_tab`` counts every (zone, class at t1, class at t2) pair, with cell areas, in one pass;
``cross_tab3`` counts every (zone, start, observed, simulated) triple. Both accept numpy or dask
arrays: with dask each chunk is tabulated by the numba kernel and the small tables are summed,
so nothing is computed until the caller asks (``dask.compute``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..kernels import confusion as _conf
from ..kernels import lookup as _lookup

EXCLUDED_REASONS = _conf.EXCLUDED_REASONS


def class_index_lut(codes: Sequence[int]) -> tuple[np.ndarray, int]:
    """Lookup vector mapping class code -> 0-based index (-1 for codes not listed)."""
    codes = np.asarray(list(codes), dtype=np.int64)
    return _lookup.dense_lut(codes, np.arange(codes.size), fill=-1, dtype=np.int32)


def _nd(nodata: Any, arr: Any) -> tuple[int, bool]:
    """(value, has) for the kernels; a nodata the dtype cannot hold marks no cell."""
    if nodata is None:
        return 0, False
    try:
        if float(nodata) != float(nodata):  # NaN on an integer map marks nothing
            return 0, False
    except (TypeError, ValueError):
        return 0, False
    dt = np.dtype(arr.dtype)
    if np.issubdtype(dt, np.integer):
        info = np.iinfo(dt)
        if not (info.min <= nodata <= info.max) or float(nodata) != int(nodata):
            return 0, False
    return int(nodata), True


def _is_dask(*arrs: Any) -> bool:
    return any(hasattr(a, "dask") for a in arrs if a is not None)


def _dummy_zones() -> np.ndarray:
    return np.zeros((1, 1), dtype=np.int32)


def cross_tab(a, b, codes: Sequence[int], row_area_ha: np.ndarray, *, nodata_a=None, nodata_b=None,
              zones=None, n_zones: int = 1) -> dict[str, Any]:
    """Cross-tabulate two class maps: counts and area per (zone, class in ``a``, class in ``b``).

    ``a``, ``b``: 2-D integer arrays (numpy or dask) on one grid; ``codes``: the class codes (the
    table axes, in this order); ``row_area_ha``: cell area of each row (ha); ``zones``: 2-D int
    array of 0-based zone indices (0 .. n_zones-1), or None for one zone.

    Returns a dict: ``counts`` int64 (n_zones, K, K), ``area_ha`` float64 (n_zones, K, K),
    ``excluded`` int64 (6,) (reasons in ``EXCLUDED_REASONS``) — lazy dask arrays if any input is.
    """
    lut, offset = class_index_lut(codes)
    k = len(codes)
    nz = int(n_zones) if zones is not None else 1
    nda, hasa = _nd(nodata_a, a)
    ndb, hasb = _nd(nodata_b, b)
    row = np.asarray(row_area_ha, dtype=np.float64).ravel()
    has_z = zones is not None

    def block(ab, bb, rb, zb=None):
        zz = np.asarray(zb, dtype=np.int32) if zb is not None else _dummy_zones()
        c, ar, ex = _conf.cross2(ab, bb, nda, hasa, ndb, hasb, lut, offset, zz, zb is not None, rb, nz, k)
        return c, ar, ex

    # equal rows (projected CRS): area = count × cell area, free of float accumulation error
    uniform = row.size > 0 and bool(np.all(row == row[0]))
    if not _is_dask(a, b, zones):
        c, ar, ex = block(np.asarray(a), np.asarray(b), row, None if zones is None else np.asarray(zones))
        return {"counts": c, "area_ha": c * row[0] if uniform else ar, "excluded": ex}

    import dask.array as dsa

    a = dsa.asarray(a)
    chunks = a.chunks
    b = dsa.asarray(b).rechunk(chunks)
    rows = dsa.from_array(row, chunks=(chunks[0],))
    size = nz * k * k

    def fn(ab, bb, rb, *rest):
        c, ar, ex = block(ab, bb, rb, rest[0] if rest else None)
        out = np.concatenate([c.ravel().astype(np.float64), ar.ravel(), ex.astype(np.float64)])
        return out[None, None, :]

    args: list[Any] = [a, "ij", b, "ij", rows, "i"]
    if has_z:
        args += [dsa.asarray(zones).rechunk(chunks), "ij"]
    parts = dsa.blockwise(fn, "ijv", *args, new_axes={"v": 2 * size + _conf.N_EXCLUDED},
                          dtype=np.float64, concatenate=True, adjust_chunks={"i": 1, "j": 1})
    tot = parts.sum(axis=(0, 1))
    counts = tot[:size].reshape(nz, k, k).round().astype(np.int64)
    return {"counts": counts,
            "area_ha": counts * row[0] if uniform else tot[size:2 * size].reshape(nz, k, k),
            "excluded": tot[2 * size:].round().astype(np.int64)}


def cross_tab3(a, b, c, codes: Sequence[int], *, nodata_a=None, nodata_b=None, nodata_c=None,
               zones=None, n_zones: int = 1, sample_rate: float = 1.0, seed: int = 0) -> dict[str, Any]:
    """Cross-tabulate three class maps: counts per (zone, class in a, class in b, class in c).

    Used for validation with a = start map (t1), b = observed (t2), c = simulated. With
    ``sample_rate`` < 1 a deterministic pseudo-random share of the cells is kept (same ``seed`` ->
    same cells, whatever the chunking). Returns ``counts`` int64 (n_zones, K, K, K) and
    ``excluded`` int64 (6,), lazy if any input is a dask array.
    """
    lut, offset = class_index_lut(codes)
    k = len(codes)
    nz = int(n_zones) if zones is not None else 1
    nda, hasa = _nd(nodata_a, a)
    ndb, hasb = _nd(nodata_b, b)
    ndc, hasc = _nd(nodata_c, c)
    rate = float(sample_rate)
    seed = int(seed) & 0xFFFFFFFFFFFFFFFF
    total_cols = int(a.shape[1])
    has_z = zones is not None

    def block(ab, bb, cb, r0, c0, zb=None):
        zz = np.asarray(zb, dtype=np.int32) if zb is not None else _dummy_zones()
        return _conf.cross3(ab, bb, cb, nda, hasa, ndb, hasb, ndc, hasc, lut, offset, zz, zb is not None,
                            nz, k, rate, np.uint64(seed), r0, c0, total_cols)

    if not _is_dask(a, b, c, zones):
        cnt, ex = block(np.asarray(a), np.asarray(b), np.asarray(c), 0, 0,
                        None if zones is None else np.asarray(zones))
        return {"counts": cnt, "excluded": ex}

    import dask.array as dsa

    a = dsa.asarray(a)
    chunks = a.chunks
    b = dsa.asarray(b).rechunk(chunks)
    c = dsa.asarray(c).rechunk(chunks)
    rid = dsa.arange(a.shape[0], chunks=(chunks[0],), dtype=np.int64)
    cid = dsa.arange(a.shape[1], chunks=(chunks[1],), dtype=np.int64)
    size = nz * k * k * k

    def fn(ab, bb, cb, ri, ci, *rest):
        cnt, ex = block(ab, bb, cb, int(ri[0]), int(ci[0]), rest[0] if rest else None)
        return np.concatenate([cnt.ravel(), ex]).astype(np.float64)[None, None, :]

    args: list[Any] = [a, "ij", b, "ij", c, "ij", rid, "i", cid, "j"]
    if has_z:
        args += [dsa.asarray(zones).rechunk(chunks), "ij"]
    parts = dsa.blockwise(fn, "ijv", *args, new_axes={"v": size + _conf.N_EXCLUDED},
                          dtype=np.float64, concatenate=True, adjust_chunks={"i": 1, "j": 1})
    tot = parts.sum(axis=(0, 1)).round().astype(np.int64)
    return {"counts": tot[:size].reshape(nz, k, k, k), "excluded": tot[size:]}


def present_codes(arr, nodata=None) -> Any:
    """The distinct valid codes of an integer map: an int64 array (numpy input) or a
    ``dask.delayed`` of it (dask input; one ``unique`` per chunk, then a union)."""
    nd, has = _nd(nodata, arr)
    if not _is_dask(arr):
        return _lookup.unique_codes(np.asarray(arr), nd if has else None)
    import dask

    per = [dask.delayed(_lookup.unique_codes)(blk, nd if has else None) for blk in arr.to_delayed().ravel()]
    return dask.delayed(lambda parts: np.unique(np.concatenate(parts)).astype(np.int64))(per)


def fom_categories(a, b, c, codes: Sequence[int], *, nodata_a=None, nodata_b=None, nodata_c=None) -> Any:
    """Per-cell Figure-of-Merit categories (uint8; see ``kernels.confusion.FOM_CATEGORIES``, 0 = not
    compared) of start ``a``, observed ``b`` and simulated ``c``; lazy (map_blocks) on dask."""
    lut, offset = class_index_lut(codes)
    nda, hasa = _nd(nodata_a, a)
    ndb, hasb = _nd(nodata_b, b)
    ndc, hasc = _nd(nodata_c, c)

    def fn(ab, bb, cb):
        return _conf.fom_categories(ab, bb, cb, nda, hasa, ndb, hasb, ndc, hasc, lut, offset)

    if not _is_dask(a, b, c):
        return fn(np.asarray(a), np.asarray(b), np.asarray(c))
    import dask.array as dsa

    a = dsa.asarray(a)
    return dsa.map_blocks(fn, a, dsa.asarray(b).rechunk(a.chunks), dsa.asarray(c).rechunk(a.chunks),
                          dtype=np.uint8)
