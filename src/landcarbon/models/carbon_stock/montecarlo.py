"""Monte Carlo intervals (methods.md §2.4): draws per table row and pool, paired across maps."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...core.errors import InputValidationError
from ...core.spec import Issue
from .accounts import to_accounts
from .plan import StockPlan
from .spec import POOL_COLUMNS, POOLS


def row_density_draws(p: StockPlan, draws: int, seed: int, distribution: str = "normal",
                      cv: float | None = None) -> np.ndarray:
    """Total density (Mg C/ha) of each table row in each draw, shape (draws, rows): one draw per (row,
    pool); ``normal`` truncated at 0 by redrawing, or ``lognormal`` with the same mean and SD. Pools
    taken from density rasters draw 0. The same seed gives the same draws (stock and ensembles share them).
    """
    fr = p.pools.frame if p.pools is not None else None
    if fr is None:
        raise InputValidationError("Monte Carlo needs the pools table")
    mean = fr[list(POOL_COLUMNS)].to_numpy(np.float64)
    sd = fr[[f"sd_{q}" for q in POOLS]].to_numpy(np.float64)
    if cv is not None:
        sd = np.where(np.isnan(sd), mean * float(cv), sd)
    if np.all(np.isnan(sd) | (sd == 0)):
        raise InputValidationError(
            "Monte Carlo: the pools table has no sd_above … sd_dead or cv column (or all are 0); add standard "
            "deviations, or give mc_cv, one CV for all cells")
    sd = np.nan_to_num(sd)
    for qi, q in enumerate(POOLS):
        if q in p.raster_pools:
            mean[:, qi] = 0.0
            sd[:, qi] = 0.0
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    n_rows = mean.shape[0]
    shape = (draws, n_rows, 4)
    if distribution == "normal":
        x = rng.normal(mean, sd, size=shape)
        bad = x < 0
        for _ in range(100):
            if not bad.any():
                break
            x[bad] = rng.normal(np.broadcast_to(mean, shape)[bad], np.broadcast_to(sd, shape)[bad])
            bad = x < 0
        x = np.maximum(x, 0.0)
    elif distribution == "lognormal":
        with np.errstate(divide="ignore", invalid="ignore"):
            s2 = np.log1p(np.where(mean > 0, (sd / mean) ** 2, 0.0))
            mu = np.log(np.where(mean > 0, mean, 1.0)) - s2 / 2
        x = np.where(mean > 0, rng.lognormal(mu, np.sqrt(s2), size=shape), 0.0)
    else:
        raise InputValidationError(f"Monte Carlo distribution {distribution!r} is unknown; use normal or lognormal")
    return x.sum(axis=2)


def monte_carlo(p: StockPlan, accounts: Sequence[np.ndarray], *, draws: int, seed: int,
                cell_area_ha: float, distribution: str = "normal", cv: float | None = None
                ) -> dict[str, Any]:
    """Percentiles of S (each map), ΔS and NPV (each change), total and per zone.

    One draw per (table row, pool): every cell of a class (and zone/year row) shares it, so density
    error is systematic; the same draw serves both maps of a change (paired). ``distribution``:
    ``normal`` (truncated at 0 by redrawing) or ``lognormal`` (same mean and SD). ``cv`` applies one
    coefficient of variation where the table gives no SD (assumption-driven; say so in reports).
    """
    if draws <= 0:
        return {}
    if seed is None:
        raise InputValidationError([Issue("seed", "Monte Carlo needs a seed; it is recorded in the manifest")])
    row_total = row_density_draws(p, draws, seed, distribution, cv)  # (draws, rows)
    acc = to_accounts(p, accounts)
    nc = p.n_classes
    a = cell_area_ha
    has_zones = bool(p.zone_names)
    zn = p.zone_names

    def density_draws(m: int) -> np.ndarray:     # (draws, Z, nc)
        ri = p.row_idx[m]
        d = np.where(ri >= 0, row_total[:, np.maximum(ri, 0)], np.nan)
        return d

    q = (2.5, 5, 50, 95, 97.5)

    def stats(v: np.ndarray) -> dict[str, float]:
        pc = np.percentile(v, q)
        return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if v.size > 1 else 0.0,
                "p2_5": float(pc[0]), "p5": float(pc[1]), "p50": float(pc[2]), "p95": float(pc[3]),
                "p97_5": float(pc[4])}

    extra_stock = acc.acc_v[:, :, :nc] - acc.acc_w[:, :, :nc] * np.nan_to_num(p.dens.astype(np.float64))
    out_maps = []
    dd = [density_draws(m) for m in range(p.n_maps)]
    for m in range(p.n_maps):
        w = acc.acc_w[m, :, :nc]
        per_zone = np.nansum(dd[m] * w[None], axis=2) + extra_stock[m].sum(axis=1)[None]   # (draws, Z)
        entry = {"year": p.years[m], "label": p.labels[m], "total_MgC": stats(per_zone.sum(axis=1) * a)}
        if has_zones:
            entry["zones"] = {zn[z - 1]: stats(per_zone[:, z] * a) for z in range(1, p.n_zones)}
        out_maps.append(entry)
    out_changes = []
    for pi, (fa, fb) in enumerate(p.pairs):
        pw = acc.pair_w[pi, :, :nc, :nc]
        w_from = pw.sum(axis=2)                      # area valid in both, by from-class
        w_to = pw.sum(axis=1)                        # by to-class
        per_zone = (np.nansum(dd[fb] * w_to[None], axis=2) - np.nansum(dd[fa] * w_from[None], axis=2))
        # density-raster pools do not vary between draws: add their exact change
        fixed = acc.pair_v[pi].sum(axis=(1, 2)) - (
            (w_to * np.nan_to_num(p.dens[fb].astype(np.float64))).sum(axis=1)
            - (w_from * np.nan_to_num(p.dens[fa].astype(np.float64))).sum(axis=1))
        per_zone = per_zone + (fixed[None] if p.raster_pools else 0.0)
        tot = per_zone.sum(axis=1) * a
        entry = {"from": p.years[fa], "to": p.years[fb], "from_label": p.labels[fa], "to_label": p.labels[fb],
                 "change_MgC": stats(tot)}
        if p.price is not None and not math.isnan(p.k[pi]):
            entry["npv"] = stats(tot * p.k[pi])
        if has_zones:
            entry["zones"] = {zn[z - 1]: stats(per_zone[:, z] * a) for z in range(1, p.n_zones)}
        out_changes.append(entry)
    return {"draws": int(draws), "seed": int(seed), "distribution": distribution,
            "cv_assumed": cv, "maps": out_maps, "changes": out_changes,
            "note": "one draw per (table row, pool), shared by every cell and by both maps of a change"}


__all__ = ["monte_carlo"]
