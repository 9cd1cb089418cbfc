"""One window: every map and account of a chunk in a single pass (numba kernels)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...kernels import stock as _k
from .accounts import Accounts, Hist
from .plan import StockPlan
from .spec import POOLS


@dataclass(frozen=True)
class CodeInfo:
    """How to read one map's codes: dense code → class index table, and the map's nodata.

    For 8- and 16-bit maps ``full`` maps every value of the dtype (``full_base`` = dtype minimum) straight
    to its slot, nodata and unknown codes included, so the class index is a branch-free gather.
    """

    lut: np.ndarray
    offset: int
    nodata: Any
    has_nodata: bool
    full: np.ndarray | None = None
    full_base: int = 0


def _slot_dtype(n_slots: int) -> Any:
    return np.uint8 if n_slots <= 256 else (np.int16 if n_slots <= 32767 else np.int32)


def code_info(p: StockPlan, nodata: Any, dtype: Any) -> CodeInfo:
    codes = p.codes
    lo, hi = int(codes.min()), int(codes.max())
    lut = np.full(hi - lo + 1, -1, dtype=np.int32)
    lut[codes - lo] = np.arange(codes.size, dtype=np.int32)
    has = nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata))
    dt = np.dtype(dtype)
    nd = np.array(nodata if has else 0).astype(dt)[()]
    full, base = None, 0
    if dt.kind in "iu" and dt.itemsize <= 2:
        info = np.iinfo(dt)
        base = int(info.min)
        values = np.arange(info.min, int(info.max) + 1, dtype=np.int64)
        nc = p.n_classes
        full = np.full(values.size, nc + _k.UNKNOWN, dtype=_slot_dtype(p.n_slots))
        inside = (values >= lo) & (values <= hi)
        idx = np.full(values.size, -1, dtype=np.int64)
        idx[inside] = lut[values[inside] - lo]
        full[idx >= 0] = idx[idx >= 0]
        if has:
            full[int(nd) - base] = nc + _k.NODATA
    return CodeInfo(lut, lo, nd, has, full, base)


def process_block(p: StockPlan, blocks: Sequence[np.ndarray], infos: Sequence[CodeInfo], *,
                  zone: np.ndarray | None = None, extra: np.ndarray | None = None,
                  row_w: np.ndarray, write_storage: bool = True, write_change: bool = True,
                  write_npv: bool = True, pool_maps: bool = False,
                  buffers: Mapping[str, np.ndarray] | None = None
                  ) -> tuple[dict[str, np.ndarray], Accounts | Hist]:
    """Every map and account of one chunk, in one pass.

    ``blocks``: one 2-D integer array per map (same shape); ``zone``: int32 zone index (0 = outside);
    ``extra``: float32 sum of the density rasters (NaN = nodata); ``row_w``: weight of each row (1 on
    projected grids; cell area in ha on geographic grids). Returns float32 maps (NaN = nodata) keyed
    ``storage`` (M, h, w), ``change`` (P, h, w), ``npv`` (P, h, w) and optionally ``pools``
    (M, 4, h, w), and the chunk's sums (:class:`Hist` on the fast path when every density comes from
    the table, else :class:`Accounts`; :func:`to_accounts` converts either).
    ``buffers``: optional reusable arrays keyed ``cls``, ``storage``, ``change``, ``npv`` (at least the
    block's shape); the returned maps are then views of them (fresh arrays cost page faults).
    """
    m = len(blocks)
    h, w = blocks[0].shape
    nc = p.n_classes
    has_extra = extra is not None
    fast = not has_extra

    def buf(name: str, n: int, dtype: Any) -> np.ndarray:
        b = None if buffers is None else buffers.get(name)
        if b is not None and b.dtype == dtype and b.shape[0] >= n and b.shape[1] >= h and b.shape[2] >= w:
            return b[:n, :h, :w]
        return np.empty((n, h, w), dtype=dtype)

    cls = buf("cls", m, np.dtype(_slot_dtype(p.n_slots) if fast else np.int32))
    for i, (b, info) in enumerate(zip(blocks, infos)):
        b = np.ascontiguousarray(b)
        if info.full is not None and fast:
            _k.gather(b, info.full, info.full_base, cls[i])
        else:
            _k.class_index(b, info.lut, info.offset, info.nodata, info.has_nodata,
                           nc + _k.NODATA, nc + _k.UNKNOWN, cls[i])
    n_pairs = len(p.pairs)
    empty = np.empty((0, 0, 0), dtype=np.float32)
    f32 = np.dtype(np.float32)
    st = buf("storage", m, f32) if write_storage else empty
    ch = buf("change", n_pairs, f32) if write_change and n_pairs else empty
    nv = buf("npv", n_pairs, f32) if write_npv and n_pairs else empty
    has_zone = zone is not None
    zb = np.ascontiguousarray(zone, dtype=np.int32) if has_zone else np.zeros((1, 1), np.int32)
    rw = np.ascontiguousarray(row_w, dtype=np.float64)
    acc: Accounts | Hist
    if fast:
        e = p.n_slots
        acc = Hist(np.zeros((m, p.n_zones * e)), np.zeros((n_pairs, p.n_zones * e * e)))
        st_tab, ch_tab, nv_tab = p.tables()
        _k.table_block(cls, zb, has_zone, e, p.pairs, p.map_hist, rw, st_tab, ch_tab, nv_tab,
                       st, write_storage, ch, bool(write_change and n_pairs), nv, bool(write_npv and n_pairs),
                       acc.hist_m, acc.hist_p)
    else:
        acc = Accounts.zeros(p)
        eb = np.ascontiguousarray(extra, dtype=np.float32)
        _k.stock_block(cls, zb, has_zone, p.dens, eb, has_extra, p.pairs, p.kf, rw,
                       st, write_storage, ch, bool(write_change and n_pairs), nv, bool(write_npv and n_pairs),
                       *acc.as_tuple())
    out: dict[str, np.ndarray] = {}
    if write_storage:
        out["storage"] = st
    if write_change and n_pairs:
        out["change"] = ch
    if write_npv and n_pairs:
        out["npv"] = nv
    if pool_maps:
        pools = np.empty((m, 4, h, w), dtype=np.float32)
        zi = zb if has_zone else np.zeros((h, w), np.int32)
        for i in range(m):
            valid = cls[i] < nc
            ci = np.where(valid, cls[i], 0)
            for pi, pool in enumerate(POOLS):
                if pool in p.raster_pools and has_extra:
                    # a raster pool's own values are not kept per pool; only their sum is known
                    pools[i, pi] = np.nan
                    continue
                v = p.pool_dens[i, pi][zi, ci]
                pools[i, pi] = np.where(valid, v, np.float32(np.nan))
        out["pools"] = pools
    return out, acc


def density_sum(blocks: Sequence[np.ndarray], nodata: Sequence[Any]) -> np.ndarray | None:
    """The float32 sum of density-raster windows (Mg C/ha), NaN where any of them is nodata or NaN;
    None without density rasters. Each window is cast to float32 first, as InVEST does."""
    extra = None
    for b, nd in zip(blocks, nodata):
        b = np.array(b, dtype=np.float32)
        if nd is not None and not (isinstance(nd, float) and math.isnan(nd)):
            b[b == np.float32(nd)] = np.nan
        extra = b if extra is None else extra + b
    return extra


def stock_window(p: StockPlan, maps: Sequence[np.ndarray], infos: Sequence[CodeInfo], *, row_w: np.ndarray,
                 zone: np.ndarray | None = None, densities: Sequence[np.ndarray] = (),
                 density_nodata: Sequence[Any] = (), write_storage: bool = True, write_change: bool = True,
                 write_npv: bool = True, pool_maps: bool = False,
                 buffers: Mapping[str, np.ndarray] | None = None) -> tuple[dict[str, np.ndarray], Accounts | Hist]:
    """The kernel of one window: the land-use windows ``maps`` (one per map), the zone-index window and
    the density-raster windows in, every map and account of the window out (see :func:`process_block`).
    ``row_w``: the weight of each row of the window."""
    extra = density_sum(densities, density_nodata) if len(densities) else None
    return process_block(p, maps, infos, zone=zone, extra=extra, row_w=row_w, write_storage=write_storage,
                         write_change=write_change, write_npv=write_npv, pool_maps=pool_maps, buffers=buffers)


def slot_dtype(p: StockPlan) -> Any:
    """The dtype of the class-slot array of the fast path (:func:`process_block` buffer ``cls``)."""
    return np.dtype(_slot_dtype(p.n_slots))


__all__ = ["CodeInfo", "code_info", "density_sum", "process_block", "slot_dtype", "stock_window"]
