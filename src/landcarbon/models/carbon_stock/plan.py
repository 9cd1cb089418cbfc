"""The plan of a run: densities per (map, zone, class), pairs of maps and K."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ...core.errors import InputValidationError
from ...core.spec import Issue
from ...kernels import stock as _k
from .pools import PoolsTable, fmt_codes
from .spec import POOL_COLUMNS, POOLS
from .valuation import valuation_constant

SOURCE_LABELS = ("zone+year", "zone", "year", "default")


@dataclass
class StockPlan:
    """Everything a chunk needs: class index, densities per (map, zone, class), pairs and K."""

    codes: np.ndarray                    # (nc,) class codes of the table
    labels: list[str]                    # one per map
    years: list[int | None]              # one per map
    zone_names: list[str]                # index 1..nz; index 0 = outside every zone
    dens: np.ndarray                     # (M, Z, nc) float32 total of the table pools
    pool_dens: np.ndarray                # (M, 4, Z, nc) float32
    row_idx: np.ndarray                  # (M, Z, nc) int64 table row used (−1 none)
    source: np.ndarray                   # (M, Z, nc) int8 index into SOURCE_LABELS (−1 none)
    pairs: np.ndarray                    # (P, 2) int64
    k: np.ndarray                        # (P,) float64 valuation constant (NaN without price)
    raster_pools: tuple[str, ...] = ()
    pools: PoolsTable | None = None
    price: float | None = None
    class_names: dict[int, str] = field(default_factory=dict)
    pair_kind: list[str] = field(default_factory=list)

    @property
    def n_maps(self) -> int:
        return len(self.labels)

    @property
    def n_classes(self) -> int:
        return int(self.codes.size)

    @property
    def n_zones(self) -> int:
        return len(self.zone_names) + 1

    @property
    def kf(self) -> np.ndarray:
        return np.where(np.isnan(self.k), 0.0, self.k).astype(np.float32)

    @property
    def n_slots(self) -> int:
        return self.n_classes + _k.N_EXTRA

    @property
    def map_hist(self) -> np.ndarray:
        """Maps that need their own histogram on the fast path (those in no pair)."""
        need = np.ones(self.n_maps, dtype=np.bool_)
        for a, b in self.pairs:
            need[a] = need[b] = False
        return need

    def tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Float32 look-up tables of the fast path (cached): storage (M, Z·E), change and NPV (P, Z·E·E).

        Values are computed exactly as the per-cell kernel does (float32 pools summed in float32,
        float32 difference, float32 × float32 K), so both paths give identical maps and sums.
        """
        cached = getattr(self, "_tables", None)
        if cached is not None:
            return cached
        m, nz, nc, e = self.n_maps, self.n_zones, self.n_classes, self.n_slots
        st = np.full((m, nz, e), np.nan, dtype=np.float32)
        st[:, :, :nc] = self.dens
        n_pairs = len(self.pairs)
        ch = np.full((n_pairs, nz, e, e), np.nan, dtype=np.float32)
        nv = np.full((n_pairs, nz, e, e), np.nan, dtype=np.float32)
        kf = self.kf
        for pi, (a, b) in enumerate(self.pairs):
            d = (self.dens[b][:, None, :] - self.dens[a][:, :, None]).astype(np.float32)   # (Z, from, to)
            ch[pi, :, :nc, :nc] = d
            nv[pi, :, :nc, :nc] = (d * kf[pi]).astype(np.float32)
        out = (st.reshape(m, nz * e), ch.reshape(n_pairs, nz * e * e), nv.reshape(n_pairs, nz * e * e))
        object.__setattr__(self, "_tables", out)
        return out


def map_labels(years: Sequence[int | None], names: Sequence[str] | None = None) -> list[str]:
    """A unique label per map: the year, or year_name when several maps share a year."""
    names = list(names) if names is not None else [f"map{i + 1}" for i in range(len(years))]
    out = []
    for i, y in enumerate(years):
        if y is None:
            out.append(_safe(names[i]))
        elif sum(1 for v in years if v == y) > 1:
            out.append(f"{y}_{_safe(names[i])}")
        else:
            out.append(str(y))
    if len(set(out)) != len(out):
        out = [f"{lab}_{i + 1}" for i, lab in enumerate(out)]
    return out


def _safe(s: str) -> str:
    return re.sub(r"[^\w.-]+", "_", str(s)).strip("_") or "map"


def default_pairs(years: Sequence[int | None]) -> tuple[list[tuple[int, int]], list[str]]:
    """Consecutive changes (and first → last when there are more than two dated steps).

    Maps sharing a year are scenarios: each is compared with the first map of the previous year.
    """
    m = len(years)
    if m < 2:
        return [], []
    if any(y is None for y in years):
        pairs = [(i, i + 1) for i in range(m - 1)]
        return pairs, ["consecutive"] * len(pairs)
    distinct = sorted(set(years))
    first_of = {y: years.index(y) for y in distinct}
    pairs: list[tuple[int, int]] = []
    kinds: list[str] = []
    for j in range(1, len(distinct)):
        a = first_of[distinct[j - 1]]
        for b in [i for i, y in enumerate(years) if y == distinct[j]]:
            pairs.append((a, b))
            kinds.append("consecutive")
    if len(distinct) > 2:
        a = first_of[distinct[0]]
        for b in [i for i, y in enumerate(years) if y == distinct[-1]]:
            pairs.append((a, b))
            kinds.append("first_to_last")
    return pairs, kinds


def plan(pools: PoolsTable, *, years: Sequence[int | None], labels: Sequence[str] | None = None,
         zone_names: Sequence[str] = (), pairs: Sequence[tuple[int, int]] | None = None,
         price: float | None = None, discount_rate: float = 0.0, price_change: float = 0.0,
         price_growth: float | None = None, raster_pools: Sequence[str] = ()) -> StockPlan:
    """Lookup tables for a run: densities of each (map, zone, class), pairs of maps and K.

    Pools named in ``raster_pools`` come from rasters and are left out of the table densities.
    """
    years = [None if y is None else int(y) for y in years]
    labels = list(labels) if labels is not None else map_labels(years)
    kinds: list[str]
    if pairs is None:
        pairs, kinds = default_pairs(years)
    else:
        pairs = [tuple(p) for p in pairs]
        kinds = ["requested"] * len(pairs)
    bad_rp = set(raster_pools) - set(POOLS)
    if bad_rp:
        raise InputValidationError(f"density rasters: unknown pool(s) {sorted(bad_rp)}; expected {POOLS}")
    fr = pools.frame
    codes = pools.codes
    nc = codes.size
    zone_names = [str(z) for z in zone_names]
    nz1 = len(zone_names) + 1
    m = len(years)
    # (zone, year) → {code: row}
    index: dict[tuple[str, int], dict[int, int]] = {}
    for i, (c, z, y) in enumerate(zip(fr["code"], fr["zone"], fr["year"])):
        index.setdefault((str(z), int(y)), {})[int(c)] = i
    unknown_zones = sorted({z for z, _ in index if z and z not in zone_names})
    if pools.has_zone and not zone_names:
        raise InputValidationError([Issue(
            "zones", "the pools table has a zone column but no zones were given; zones and zone_field are "
                     "needed, with zone names that match the table's zone column")])
    if unknown_zones and zone_names:
        raise InputValidationError([Issue(
            "zone_field", f"zone(s) {fmt_codes(unknown_zones)} of the pools table are not among the zones of the "
                          f"zone layer ({fmt_codes(zone_names)}); check the spelling, or choose the zone_field "
                          f"that holds those names")])
    vals = fr[list(POOL_COLUMNS)].to_numpy(np.float64).astype(np.float32)
    row_idx = np.full((m, nz1, nc), -1, dtype=np.int64)
    source = np.full((m, nz1, nc), -1, dtype=np.int8)
    for mi, y in enumerate(years):
        yk = -1 if y is None else y
        for zi in range(nz1):
            zn = zone_names[zi - 1] if zi > 0 else None
            order = []
            if zn is not None:
                order += [((zn, yk), 0), ((zn, -1), 1)]
            order += [(("", yk), 2), (("", -1), 3)]
            for key, src in order:
                if key[1] == -1 and src in (0, 2) and yk == -1:
                    continue
                rows = index.get(key)
                if not rows:
                    continue
                for ci, code in enumerate(codes):
                    if row_idx[mi, zi, ci] < 0 and int(code) in rows:
                        row_idx[mi, zi, ci] = rows[int(code)]
                        source[mi, zi, ci] = src
    pool_dens = np.full((m, 4, nz1, nc), np.nan, dtype=np.float32)
    ok = row_idx >= 0
    for pi, p in enumerate(POOLS):
        if p in raster_pools:
            pool_dens[:, pi][ok] = np.float32(0.0)
            continue
        pool_dens[:, pi][ok] = vals[row_idx[ok], pi]
    # InVEST: float32 pool rasters summed in float32, above + below + soil + dead in that order
    dens = np.full((m, nz1, nc), np.nan, dtype=np.float32)
    acc = pool_dens[:, 0].copy()
    for pi in range(1, 4):
        acc = (acc + pool_dens[:, pi]).astype(np.float32)
    dens[ok] = acc[ok]
    k = np.full(len(pairs), np.nan)
    if price is not None:
        for pi, (a, b) in enumerate(pairs):
            if years[a] is None or years[b] is None:
                raise InputValidationError([Issue("years", "valuation needs a year for every map; give one year "
                                                                    "per map")])
            k[pi] = valuation_constant(price, years[a], years[b], discount_rate=discount_rate,
                                       price_change=price_change, price_growth=price_growth)
    return StockPlan(codes=codes, labels=labels, years=list(years), zone_names=zone_names, dens=dens,
                     pool_dens=pool_dens, row_idx=row_idx, source=source,
                     pairs=np.asarray(pairs, dtype=np.int64).reshape(-1, 2), k=k,
                     raster_pools=tuple(raster_pools), pools=pools, price=price,
                     class_names=pools.class_names(), pair_kind=kinds)


__all__ = ["SOURCE_LABELS", "StockPlan", "default_pairs", "map_labels", "plan"]
