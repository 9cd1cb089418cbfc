"""Accounts: sums over cells of one or more windows, and the errors they reveal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...core.errors import EmptyInputError, MissingClassError
from ...kernels import stock as _k
from .plan import StockPlan
from .pools import fmt_codes


@dataclass
class Accounts:
    """Sums over cells (see kernels.stock for the class-axis layout). Add chunk results with ``+=``."""

    acc_w: np.ndarray
    acc_v: np.ndarray
    miss: np.ndarray
    pair_w: np.ndarray
    pair_v: np.ndarray
    pair_n: np.ndarray

    @classmethod
    def zeros(cls, p: StockPlan) -> Accounts:
        m, nz, nc, np_ = p.n_maps, p.n_zones, p.n_classes, len(p.pairs)
        e = nc + _k.N_EXTRA
        return cls(np.zeros((m, nz, e)), np.zeros((m, nz, e)), np.zeros((m, nz, nc), np.int64),
                   np.zeros((np_, nz, e, e)), np.zeros((np_, nz, nc, nc)), np.zeros((np_, nz, nc, nc)))

    def __iadd__(self, other: Accounts) -> Accounts:
        for f in ("acc_w", "acc_v", "miss", "pair_w", "pair_v", "pair_n"):
            getattr(self, f).__iadd__(getattr(other, f))
        return self

    def copy(self) -> Accounts:
        return Accounts(*[x.copy() for x in self.as_tuple()])

    def as_tuple(self) -> tuple[np.ndarray, ...]:
        return (self.acc_w, self.acc_v, self.miss, self.pair_w, self.pair_v, self.pair_n)


@dataclass
class Hist:
    """Fast-path sums of one or more chunks: Σ w per (map, zone, slot) and per (pair, zone, from, to)."""

    hist_m: np.ndarray
    hist_p: np.ndarray

    def __iadd__(self, other: Hist) -> Hist:
        self.hist_m += other.hist_m
        self.hist_p += other.hist_p
        return self

    def copy(self) -> Hist:
        return Hist(self.hist_m.copy(), self.hist_p.copy())

    def to_accounts(self, p: StockPlan) -> Accounts:
        """The equivalent Accounts: count × float32 value is exact in float64 (count < 2**29)."""
        m, nz, nc, e = p.n_maps, p.n_zones, p.n_classes, p.n_slots
        n_pairs = len(p.pairs)
        hm = self.hist_m.reshape(m, nz, e).copy()
        hp = self.hist_p.reshape(n_pairs, nz, e, e).copy()
        filled = p.map_hist.copy()
        for pi, (a, b) in enumerate(p.pairs):       # maps in a pair: marginals of the pair histogram
            if not filled[a]:
                hm[a] = hp[pi].sum(axis=2)
                filled[a] = True
            if not filled[b]:
                hm[b] = hp[pi].sum(axis=1)
                filled[b] = True
        acc = Accounts.zeros(p)
        nan_d = np.isnan(p.dens)                                        # (M, Z, nc)
        acc.miss[:] = np.where(nan_d, np.rint(hm[:, :, :nc]), 0).astype(np.int64)
        moved = np.where(nan_d, hm[:, :, :nc], 0.0)
        hm[:, :, :nc] -= moved
        hm[:, :, nc + _k.NO_DENSITY] += moved.sum(axis=2)
        acc.acc_w[:] = hm
        acc.acc_v[:, :, :nc] = hm[:, :, :nc] * np.nan_to_num(p.dens.astype(np.float64))
        st, ch, nv = p.tables()
        for pi, (a, b) in enumerate(p.pairs):
            h = hp[pi]
            for side, mi in ((1, a), (2, b)):
                bad = nan_d[mi]                                         # (Z, nc)
                if bad.any():
                    if side == 1:
                        mv = np.where(bad[:, :, None], h[:, :nc, :], 0.0)
                        h[:, :nc, :] -= mv
                        h[:, nc + _k.NO_DENSITY, :] += mv.sum(axis=1)
                    else:
                        mv = np.where(bad[:, None, :], h[:, :, :nc], 0.0)
                        h[:, :, :nc] -= mv
                        h[:, :, nc + _k.NO_DENSITY] += mv.sum(axis=2)
            acc.pair_w[pi] = h
            c = ch[pi].reshape(nz, e, e)[:, :nc, :nc].astype(np.float64)
            v = nv[pi].reshape(nz, e, e)[:, :nc, :nc].astype(np.float64)
            hv = h[:, :nc, :nc]
            acc.pair_v[pi] = np.where(hv > 0, hv * np.nan_to_num(c), 0.0)
            acc.pair_n[pi] = np.where(hv > 0, hv * np.nan_to_num(v), 0.0)
        return acc


def to_accounts(p: StockPlan, acc: Accounts | Hist | Sequence[np.ndarray]) -> Accounts:
    """Accounts from whatever a chunk pass returned (Accounts, Hist, or a tuple of arrays)."""
    if isinstance(acc, Accounts):
        return acc
    if isinstance(acc, Hist):
        return acc.to_accounts(p)
    arrs = [np.asarray(x) for x in acc]
    if len(arrs) == 2:
        return Hist(*arrs).to_accounts(p)
    return Accounts(*arrs)


def add_accounts(total: Accounts | Hist, part: Accounts | Hist) -> Accounts | Hist:
    """Fold the sums of one more window into ``total`` (in place; windows are added in window order,
    so totals do not depend on scheduling). ``total`` must be an object no window still uses."""
    total += part
    return total


def sum_accounts(p: StockPlan, parts: Sequence[Accounts | Hist]) -> tuple[np.ndarray, ...]:
    """The accounts of several windows, added in the order given, as a tuple of arrays."""
    total: Accounts | Hist | None = None
    for part in parts:
        if total is None:
            total = part.copy()
        else:
            total = add_accounts(total, part)
    if total is None:
        return Accounts.zeros(p).as_tuple()
    return to_accounts(p, total).as_tuple()


def check_accounts(p: StockPlan, acc: Accounts | Sequence[np.ndarray], *, map_names: Sequence[str] | None = None) -> None:
    """Raise the errors only visible after the pass: unknown codes, densities missing for a zone or
    year, an empty map. (Unknown codes are listed by the caller, which can read the data again.)"""
    acc = to_accounts(p, acc)
    nc = p.n_classes
    names = list(map_names) if map_names is not None else p.labels
    for m in range(p.n_maps):
        if acc.acc_w[m, :, nc + _k.UNKNOWN].sum() > 0:
            raise MissingClassError(
                f"landuse map {names[m]} has class codes that are not in the pools table "
                f"(table codes: {fmt_codes(p.codes.tolist())}); add rows for them", ())
    miss = np.argwhere(acc.miss > 0)
    if miss.size:
        pairs = sorted({(p.labels[m], (p.zone_names[z - 1] if z > 0 else "outside zones"),
                         int(p.codes[k])) for m, z, k in miss})
        desc = "; ".join(f"map {lab}, zone {zn}: code {c}" for lab, zn, c in pairs[:12])
        raise MissingClassError(
            f"pools: no density row applies to {len(pairs)} (map, zone, class) combination(s) present in the maps "
            f"({desc}); add default rows (empty zone/year) or rows for those zones/years",
            [c for _, _, c in pairs])
    for m in range(p.n_maps):
        if acc.acc_w[m, :, :nc].sum() == 0:
            raise EmptyInputError(
                f"landuse map {names[m]} has no valid cell (every cell is nodata, or has no density); check the "
                f"map's nodata value and extent")


__all__ = ["Accounts", "Hist", "add_accounts", "check_accounts", "sum_accounts", "to_accounts"]
