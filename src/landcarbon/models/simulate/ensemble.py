"""Ensembles of the simulation (methods.md §15.1).

R realizations use the child seeds ``SeedSequence(seed).spawn(R)`` in fixed order. The LEAS forests
are fitted once (seeded by ``seed``, as :func:`~landcarbon.models.simulate.simulate` fits them) and the
potential is predicted once; realization r then allocates exactly as ``simulate`` would with its
allocation seed replaced by child r (zone seeds ``child_r.spawn(n_zones)``, stage seeds below them).
Realizations run on threads (the CARS kernel releases the GIL) or as Dask tasks; every statistic is
accumulated by realization index, so the result is identical whatever the number of workers.

Per target year t, class k, valid cell i, start map L0:

    p_k(i)      = (1/R) Σ_r 1(L_r(i) = k)                  class probability
    P_change(i) = 1 − p_{L0(i)}(i)                          probability of change
    m(i)        = argmax_k p_k(i); ties → L0(i) if tied, else the lowest code     modal map
    A_z,k,r     = area of class k in zone z in realization r (ha): mean, sd, P5, P50, P95

Quantiles: numpy's linear interpolation. Counts per class and cell are uint16, accumulated one
realization at a time (R maps are never held). Carbon (optional): each realization's stock,
change and value from ``landcarbon.models.carbon_stock`` accounts, crossed with D paired density
draws (the draws of ``carbon_stock.monte_carlo`` for the same seed, shared by every realization and
by both maps of a change); the R × D values give P5 / P50 / P95 and the variance split by the law
of total variance: var = var_r(mean_d S) + mean_r(var_d S) (population variances).

Convergence: the standard error sd/√R of every reported mean (relative to the mean) and the mean
absolute change of P_change over the valid cells when the last 10 % of realizations (at least one)
are added; R is enough when every relative standard error is below 0.1 % and that change below 0.005.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ...core.errors import InputValidationError
from ...core.grid import grid_of, row_areas_ha
from ...kernels import ensemble as _ke
from .. import validate as _val

#: convergence thresholds [D]: relative standard error of a mean, mean |ΔP_change|
SE_REL_MAX = 0.001
DP_CHANGE_MAX = 0.005
#: the zone label of the whole region
ALL = "(all)"

_DIRECTIONS = ("higher", "lower", "zero", "band")


def p_met(values: Any, target: float | tuple[float, float], direction: str = "higher", *,
          tolerance: float = 0.0) -> float:
    """Share of realizations (or realization × draw values) whose value meets the target
    (methods.md §14.4 "met"): ``higher`` v ≥ T, ``lower`` v ≤ T, ``zero`` v ≤ tolerance,
    ``band`` lo ≤ v ≤ hi with ``target=(lo, hi)``. NaN values count as not met."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        raise InputValidationError("p_met needs at least one value")
    if direction not in _DIRECTIONS:
        raise InputValidationError(f"direction {direction!r} is unknown; use one of {', '.join(_DIRECTIONS)}")
    with np.errstate(invalid="ignore"):
        if direction == "higher":
            met = v >= float(target)
        elif direction == "lower":
            met = v <= float(target)
        elif direction == "zero":
            met = v <= float(tolerance)
        else:
            lo, hi = (float(t) for t in target)  # type: ignore[union-attr]
            if lo > hi:
                raise InputValidationError(f"band target ({lo}, {hi}): the lower bound exceeds the upper")
            met = (v >= lo) & (v <= hi)
    return float(np.count_nonzero(met)) / v.size


@dataclass
class CarbonOptions:
    """Carbon of an ensemble: the pools table (``landcarbon.models.carbon_stock.read_pools`` format,
    with sd_* columns or ``cv`` for the density draws), D draws, their seed (default: the ensemble
    seed), years of the start map and the stages (valuation needs them), price (CNY/t C), discount
    rate and price change (% per year), distribution ('normal' or 'lognormal')."""

    pools: Any
    draws: int = 200
    seed: int | None = None
    start_year: int | None = None
    price: float | None = None
    discount_rate: float = 0.0
    price_change: float = 0.0
    distribution: str = "normal"
    cv: float | None = None
    pools_units: str | None = None


@dataclass
class EnsembleCarbon:
    """Carbon over R realizations × D density draws.

    ``stock``: label -> (R, D, Z) Mg C per zone index (0 = outside every zone); ``change`` and
    ``npv``: 'from->to' -> (R, D, Z) Mg C and CNY; ``summary``: one row per quantity and zone with
    mean, sd, P2.5 … P97.5 and the variance split (between realizations / within: the density draws).
    """

    stock: dict[str, np.ndarray]
    change: dict[str, np.ndarray]
    npv: dict[str, np.ndarray]
    zone_names: list[str]
    summary: pd.DataFrame
    draws: int
    seed: int
    distribution: str

    def values(self, kind: str, label: str, zone: str = ALL) -> np.ndarray:
        """(R, D) values of one quantity ('stock', 'change', 'npv') for a zone (or the whole region)."""
        arr = {"stock": self.stock, "change": self.change, "npv": self.npv}[kind][label]
        if zone == ALL:
            return arr.sum(axis=2)
        return arr[:, :, self.zone_names.index(zone) + 1]


@dataclass
class EnsembleResult:
    """Ensemble statistics per target year (``stages``: years, or 0 for one unnamed stage).

    counts: stage -> (K, n_valid) uint16 realizations per class and valid cell (``valid_index``
    = flat indices of the start map's valid cells); modal: stage -> modal map (class codes, the start
    map's dtype and nodata); p_change: stage -> float32 DataArray (NaN outside the valid cells).
    areas: stage, zone, code, realization, cells, area_ha (one row each); area_summary: stage,
    zone, code, mean_ha, sd_ha, min_ha, max_ha, p5_ha, p50_ha, p95_ha, modal_ha, demand_ha (ha);
    realization_table: stage, realization, changed_share, iterations, final_gap_cells (and with
    observed maps fom, kappa, oa, j); validation: stage, metric, mean, sd, min, max, modal,
    persistence; convergence: quantity rows with mean, sd, se, se_rel, threshold, ok and the
    P_change row; converged: the verdict per stage.
    """

    realizations: int
    seed: int
    codes: list[int]
    stages: list
    start: xr.DataArray
    valid_index: np.ndarray
    start_valid: np.ndarray
    counts: dict[Any, np.ndarray]
    modal: dict[Any, xr.DataArray]
    p_change: dict[Any, xr.DataArray]
    areas: pd.DataFrame
    area_summary: pd.DataFrame
    realization_table: pd.DataFrame
    validation: pd.DataFrame | None
    convergence: pd.DataFrame
    converged: dict[Any, bool]
    carbon: EnsembleCarbon | None = None
    zone_names: list[str] = field(default_factory=list)
    info: dict = field(default_factory=dict)
    leas: Any = None

    def _full(self, vec: np.ndarray, fill: Any, dtype: Any) -> np.ndarray:
        out = np.full(self.start.shape[0] * self.start.shape[1], fill, dtype=dtype)
        out[self.valid_index] = vec
        return out.reshape(self.start.shape)

    def probability(self, stage: Any, *, percent: bool = False) -> xr.DataArray:
        """(code, y, x) class probabilities: float32 p_k (NaN outside the valid cells) or, with
        ``percent``, uint8 whole percent (255 outside)."""
        c = self.counts[stage]
        vals = _ke.percent_probability(c, self.realizations) if percent else _ke.class_probability(c, self.realizations)
        fill, dt = (255, np.uint8) if percent else (np.nan, np.float32)
        data = np.stack([self._full(vals[k], fill, dt) for k in range(len(self.codes))])
        da = xr.DataArray(data, dims=("code", *self.start.dims),
                          coords={"code": self.codes, **{d: self.start.coords[d] for d in self.start.dims}},
                          name="probability", attrs={"units": "%" if percent else "1"})
        if self.start.rio.crs is not None:
            da = da.rio.write_crs(self.start.rio.crs)
        return da.rio.write_transform(self.start.rio.transform())

    def area_values(self, stage: Any, codes: Sequence[int], zone: str = ALL) -> np.ndarray:
        """Area (ha) of the classes ``codes`` together in ``zone``, one value per realization (R,)."""
        a = self.areas
        sel = a[(a.stage == stage) & (a.zone == zone) & a.code.isin([int(c) for c in codes])]
        if sel.empty:
            raise InputValidationError(f"no area for stage {stage}, zone {zone!r}, codes {list(codes)}")
        return sel.groupby("realization").area_ha.sum().reindex(range(self.realizations), fill_value=0.0).to_numpy()


def _metric_row(m: _val.Metrics, kappa_pers: float) -> dict[str, float]:
    ob = _val.objective(m, kappa_pers)
    return {"fom": m.fom, "kappa": m.kappa, "oa": m.oa, "changed_share": m.simulated_change_share,
            "hits": m.hits, "false_alarms": m.false_alarms, "j": ob.j}


class EnsembleAccumulator:
    """Accumulates realizations one at a time, by index (thread-safe; order does not matter).

    start_idx: 2-D int8 class index of the start map (−1 nodata); zone_idx: 2-D int zone index
    (0 = outside every zone, 1 … Z−1 = ``zone_names``) or None; row_ha: cell area per row (ha);
    observed: stage -> 2-D int8 class index of the observed map (−1 nodata) for validation.
    """

    def __init__(self, start_idx: np.ndarray, codes: Sequence[int], stages: Sequence[Any], realizations: int, *,
                 zone_idx: np.ndarray | None = None, zone_names: Sequence[str] = (), row_ha: np.ndarray,
                 observed: Mapping[Any, np.ndarray] | None = None,
                 carbon_fn: Callable[[dict], Any] | None = None):
        if not 1 <= int(realizations) <= _ke.MAX_REALIZATIONS:
            raise InputValidationError(f"realizations={realizations}; expected 1 … {_ke.MAX_REALIZATIONS}")
        self.R = int(realizations)
        self.codes = [int(c) for c in codes]
        self.K = len(self.codes)
        self.stages = list(stages)
        self.shape = start_idx.shape
        self.vi = np.flatnonzero(start_idx.ravel() >= 0)
        self.start_v = np.ascontiguousarray(start_idx.ravel()[self.vi])
        self.zone_names = list(zone_names)
        self.Z = len(self.zone_names) + 1
        self.zone_v = (np.zeros(self.vi.size, np.int64) if zone_idx is None
                       else np.asarray(zone_idx).ravel()[self.vi].astype(np.int64))
        rows = self.vi // self.shape[1]
        ha = np.asarray(row_ha, dtype=np.float64)
        self.cell_ha = ha[rows] if np.ptp(ha) > 0 else None
        self.ha = float(ha[0])
        self.n_last = max(1, int(round(0.1 * self.R)))
        self.r_first = self.R - self.n_last
        ns = len(self.stages)
        self.counts = {s: np.zeros((self.K, self.vi.size), np.uint16) for s in self.stages}
        self.stay_first = {s: np.zeros(self.vi.size, np.uint16) for s in self.stages}
        self.cells = np.zeros((ns, self.R, self.Z, self.K), np.int64)
        self.area = np.zeros((ns, self.R, self.Z, self.K), np.float64)
        self.changed = np.zeros((ns, self.R), np.float64)
        self.iterations = np.full((ns, self.R), -1, np.int64)
        self.final_gap = np.full((ns, self.R), -1, np.int64)
        self.observed = {}
        for s, o in (observed or {}).items():
            if s not in self.stages:
                raise InputValidationError(f"observed map for stage {s}, which is not a target year {self.stages}")
            ov = np.asarray(o).ravel()[self.vi].astype(np.int64)
            self.observed[s] = ov
        self.tables = {s: np.zeros((self.R, self.K, self.K, self.K), np.int64) for s in self.observed}
        self.carbon_fn = carbon_fn
        self.carbon: list[Any] = [None] * self.R
        self.seen = np.zeros(self.R, bool)
        self._lock = threading.Lock()

    def table(self, sv: np.ndarray, ov: np.ndarray) -> np.ndarray:
        """t[L0, L_obs, S] counts over the cells valid in all three."""
        k = self.K
        ok = (ov >= 0) & (sv >= 0)
        key = (self.start_v[ok].astype(np.int64) * k + ov[ok]) * k + sv[ok]
        return np.bincount(key, minlength=k ** 3)[: k ** 3].reshape(k, k, k)

    def add(self, r: int, states: Mapping[Any, np.ndarray], diag: Mapping[Any, tuple[int, int]] | None = None) -> None:
        """Add realization ``r``: ``states`` stage -> 2-D int8 class index map; ``diag`` stage ->
        (iterations, final |gap| cells)."""
        if not 0 <= r < self.R:
            raise InputValidationError(f"realization index {r} outside 0 … {self.R - 1}")
        k = self.K
        per: dict[Any, Any] = {}
        for si, s in enumerate(self.stages):
            sv = np.ascontiguousarray(np.asarray(states[s]).ravel()[self.vi], dtype=np.int8)
            ok = sv >= 0
            key = self.zone_v[ok] * k + sv[ok]
            cells = np.bincount(key, minlength=self.Z * k)[: self.Z * k].reshape(self.Z, k)
            if self.cell_ha is None:
                area = cells * self.ha
            else:
                area = np.bincount(key, weights=self.cell_ha[ok], minlength=self.Z * k)[: self.Z * k].reshape(self.Z, k)
            changed = float(np.count_nonzero(ok & (sv != self.start_v))) / max(1, self.vi.size)
            tab = self.table(sv, self.observed[s]) if s in self.observed else None
            per[s] = (si, sv, cells, area, changed, tab)
        carbon = self.carbon_fn(states) if self.carbon_fn is not None else None
        with self._lock:
            if self.seen[r]:
                raise InputValidationError(f"realization {r} was added twice")
            self.seen[r] = True
            for s, (si, sv, cells, area, changed, tab) in per.items():
                _ke.accumulate_counts(self.counts[s], sv)
                if r < self.r_first:
                    _ke.accumulate_stay(self.stay_first[s], sv, self.start_v)
                self.cells[si, r] = cells
                self.area[si, r] = area
                self.changed[si, r] = changed
                if tab is not None:
                    self.tables[s][r] = tab
                if diag is not None and s in diag:
                    self.iterations[si, r], self.final_gap[si, r] = diag[s]
            self.carbon[r] = carbon

    # -- results ----------------------------------------------------------------------------------
    def finish(self, start: xr.DataArray, *, seed: int, demand_cells: Mapping[Any, np.ndarray] | None = None,
               to_map: Callable[[np.ndarray], xr.DataArray], carbon_finish: Callable[[list], Any] | None = None,
               info: dict | None = None, leas: Any = None) -> EnsembleResult:
        if not self.seen.all():
            missing = np.flatnonzero(~self.seen).tolist()
            raise InputValidationError(f"realizations {missing[:10]} were never added")
        R, K, codes = self.R, self.K, self.codes
        znames = [ALL, *self.zone_names]
        area_rows, sum_rows, real_rows, val_rows, conv_rows = [], [], [], [], []
        modal, p_change, converged = {}, {}, {}
        full_shape = self.shape
        for si, s in enumerate(self.stages):
            cnt = self.counts[s]
            mv = _ke.modal_class(cnt, self.start_v)
            mfull = np.full(full_shape[0] * full_shape[1], -1, np.int8)
            mfull[self.vi] = mv
            mfull = mfull.reshape(full_shape)
            modal[s] = to_map(mfull)
            modal[s].name = "modal"
            pc = _ke.change_probability(cnt, self.start_v, R)
            pfull = np.full(full_shape[0] * full_shape[1], np.nan, np.float32)
            pfull[self.vi] = pc
            pda = start.copy(data=pfull.reshape(full_shape)).astype(np.float32)
            pda.name, pda.attrs = "p_change", {"units": "1"}
            p_change[s] = pda.rio.write_nodata(np.nan, encoded=False)
            # areas: zone 0 of the accumulator = outside every zone; "(all)" = every zone together
            ok = mv >= 0
            mkey = self.zone_v[ok] * K + mv[ok]
            if self.cell_ha is None:
                m_area = np.bincount(mkey, minlength=self.Z * K)[: self.Z * K].reshape(self.Z, K) * self.ha
            else:
                m_area = np.bincount(mkey, weights=self.cell_ha[ok], minlength=self.Z * K)[: self.Z * K].reshape(self.Z, K)
            a_all = np.concatenate([self.area[si].sum(axis=1, keepdims=True), self.area[si][:, 1:]], axis=1)  # (R, Zr, K)
            c_all = np.concatenate([self.cells[si].sum(axis=1, keepdims=True), self.cells[si][:, 1:]], axis=1)
            m_all = np.concatenate([m_area.sum(axis=0, keepdims=True), m_area[1:]], axis=0)
            st = _ke.spread(a_all, axis=0)
            dem = None if demand_cells is None or s not in demand_cells else np.asarray(demand_cells[s])
            for zi, zn in enumerate(znames):
                for kk, code in enumerate(codes):
                    for r in range(R):
                        area_rows.append((s, zn, code, r, int(c_all[r, zi, kk]), float(a_all[r, zi, kk])))
                    row = {"stage": s, "zone": zn, "code": code,
                           **{f"{k}_ha": float(v[zi, kk]) for k, v in st.items()},
                           "modal_ha": float(m_all[zi, kk]),
                           "demand_ha": float(dem[kk] * self.ha) if (dem is not None and zi == 0 and
                                                                     self.cell_ha is None) else np.nan,
                           "demand_cells": int(dem[kk]) if (dem is not None and zi == 0) else np.nan,
                           "modal_cells": int(np.count_nonzero(mv == kk)) if zi == 0 else np.nan}
                    sum_rows.append(row)
                    m, sd = row["mean_ha"], row["sd_ha"]
                    if m > 0:
                        se = sd / np.sqrt(R)
                        conv_rows.append({"stage": s, "quantity": f"area_ha {zn} class {code}", "mean": m, "sd": sd,
                                          "se": se, "se_rel": se / m, "threshold": SE_REL_MAX,
                                          "ok": bool(se / m < SE_REL_MAX)})
            # per realization: changed share, allocation diagnostics, validation
            metrics = []
            if s in self.tables:
                tabs = self.tables[s]
                kp = _val.metrics_from_counts(_val.persistence_counts(tabs[0])).kappa
                metrics = [_metric_row(_val.metrics_from_counts(tabs[r]), kp) for r in range(R)]
            for r in range(R):
                row = {"stage": s, "realization": r, "changed_share": self.changed[si, r],
                       "iterations": int(self.iterations[si, r]), "final_gap_cells": int(self.final_gap[si, r])}
                if metrics:
                    row |= {k: v for k, v in metrics[r].items() if k != "changed_share"}
                real_rows.append(row)
            if s in self.tables:
                tab_m = self.table(mv, self.observed[s])
                mm = _val.metrics_from_counts(tab_m)
                base = _val.metrics_from_counts(_val.persistence_counts(tab_m))
                modal_row = _metric_row(mm, base.kappa)
                pers_row = _metric_row(base, base.kappa)
                for name in ("fom", "kappa", "oa", "changed_share", "j"):
                    v = np.asarray([mt[name] for mt in metrics], dtype=np.float64)
                    sp = _ke.spread(v)
                    val_rows.append({"stage": s, "metric": name, "mean": float(sp["mean"]), "sd": float(sp["sd"]),
                                     "min": float(sp["min"]), "max": float(sp["max"]), "modal": modal_row[name],
                                     "persistence": pers_row[name], "observed_change_share": mm.observed_change_share})
                    se = float(sp["sd"]) / np.sqrt(R)
                    mean = float(sp["mean"])
                    if name != "j" and mean > 0:
                        conv_rows.append({"stage": s, "quantity": f"{name} (mean over realizations)", "mean": mean,
                                          "sd": float(sp["sd"]), "se": se, "se_rel": se / mean,
                                          "threshold": SE_REL_MAX, "ok": bool(se / mean < SE_REL_MAX)})
            # P_change: the last 10 % of realizations added
            if self.r_first >= 1:
                p_r = 1.0 - cnt[self.start_v, np.arange(self.vi.size)].astype(np.float64) / R
                p_first = 1.0 - self.stay_first[s].astype(np.float64) / self.r_first
                dp = float(np.mean(np.abs(p_r - p_first))) if self.vi.size else 0.0
            else:
                dp = float("nan")
            conv_rows.append({"stage": s, "quantity": f"mean |ΔP_change| adding the last {self.n_last} of {R} "
                              f"realizations", "mean": dp, "sd": np.nan, "se": np.nan, "se_rel": np.nan,
                              "threshold": DP_CHANGE_MAX, "ok": bool(np.isfinite(dp) and dp < DP_CHANGE_MAX)})
        carbon = carbon_finish(self.carbon) if carbon_finish is not None else None
        if carbon is not None:
            for _, row in carbon.summary.iterrows():
                if row["zone"] == ALL and row["quantity"] == "stock" and row["mean_r_mean"] > 0:
                    se = row["sd_r_mean"] / np.sqrt(R)
                    conv_rows.append({"stage": row["label"], "quantity": f"carbon stock {row['label']} (Mg C, mean "
                                      f"over realizations)", "mean": row["mean_r_mean"], "sd": row["sd_r_mean"],
                                      "se": se, "se_rel": se / row["mean_r_mean"], "threshold": SE_REL_MAX,
                                      "ok": bool(se / row["mean_r_mean"] < SE_REL_MAX)})
        conv = pd.DataFrame(conv_rows, columns=["stage", "quantity", "mean", "sd", "se", "se_rel", "threshold", "ok"])
        for s in self.stages:
            sub = conv[conv.stage.astype(str) == str(s)]
            converged[s] = bool(len(sub) and sub.ok.all())
        areas = pd.DataFrame(area_rows, columns=["stage", "zone", "code", "realization", "cells", "area_ha"])
        summ = pd.DataFrame(sum_rows)
        realt = pd.DataFrame(real_rows)
        valid = pd.DataFrame(val_rows) if val_rows else None
        return EnsembleResult(R, seed, codes, self.stages, start, self.vi, self.start_v, self.counts, modal, p_change,
                              areas, summ, realt, valid, conv, converged, carbon, list(self.zone_names),
                              dict(info or {}), leas)


# -- carbon ----------------------------------------------------------------------------------------
def _density_draws(p: Any, draws: int, seed: int, distribution: str, cv: float | None) -> np.ndarray:
    """Row totals (draws, rows) of the density draws, drawn exactly as
    ``landcarbon.models.carbon_stock.monte_carlo`` draws them for the same seed (one draw per table row
    and pool; normal truncated at 0 by redrawing, or lognormal with the same mean and SD). The
    equality is a test (tests/models/test_ensemble.py)."""
    from ..carbon_stock.montecarlo import row_density_draws

    return row_density_draws(p, draws, seed, distribution, cv)


def _carbon_stats(v: np.ndarray) -> dict[str, float]:
    """v: (R, D) values -> pooled stats over R × D and the law-of-total-variance split."""
    flat = v.ravel()
    pc = np.percentile(flat, [2.5, 5, 50, 95, 97.5])
    r_mean = v.mean(axis=1)
    var_between = float(r_mean.var())
    var_within = float(v.var(axis=1).mean())
    var_total = float(flat.var())
    return {"mean": float(flat.mean()), "sd": float(flat.std(ddof=1)) if flat.size > 1 else 0.0,
            "p2_5": float(pc[0]), "p5": float(pc[1]), "p50": float(pc[2]), "p95": float(pc[3]), "p97_5": float(pc[4]),
            "var_total": var_total, "var_between_realizations": var_between, "var_within_density": var_within,
            "share_between": var_between / var_total if var_total > 0 else float("nan"),
            "mean_r_mean": float(r_mean.mean()), "sd_r_mean": float(r_mean.std(ddof=1)) if r_mean.size > 1 else 0.0}


class _CarbonAccounting:
    """Per realization: accounts of the start map and every stage map from carbon_stock.compute; at the
    end: R × D values from the paired density draws."""

    def __init__(self, opts: CarbonOptions, start: xr.DataArray, stages: Sequence[Any],
                 to_map: Callable[[np.ndarray], xr.DataArray], zones: np.ndarray | None, zone_names: Sequence[str],
                 seed: int):
        from .. import carbon_stock as cs

        self.cs = cs
        self.opts = opts
        self.start = start
        self.stages = list(stages)
        self.to_map = to_map
        self.zones = zones
        self.zone_names = list(zone_names)
        self.seed = int(opts.seed if opts.seed is not None else seed)
        if opts.draws < 1:
            raise InputValidationError(f"carbon draws={opts.draws}; expected at least 1")
        yrs = [opts.start_year, *self.stages] if opts.start_year is not None else None
        if yrs is not None and any(not isinstance(y, (int, np.integer)) or y <= 0 for y in yrs[1:]):
            raise InputValidationError("ensemble carbon with start_year needs target years as stages (demand 'year')")
        self.years = yrs
        self.labels = ["start"] + [f"sim_{s}" if s != 0 else "sim" for s in self.stages]
        self.plan = None
        self.cell_area_ha = None

    def __call__(self, states: Mapping[Any, np.ndarray]) -> tuple[np.ndarray, ...]:
        maps = [self.start, *[self.to_map(states[s]) for s in self.stages]]
        o = self.opts
        res = self.cs.compute(maps, o.pools, years=self.years, labels=self.labels, zones=self.zones,
                              zone_names=self.zone_names, price=o.price, discount_rate=o.discount_rate,
                              price_change=o.price_change, pools_units=o.pools_units)
        acc = self.cs.to_accounts(res.plan, [np.asarray(a) for a in res.accounts])
        if self.plan is None:
            self.cs.check_accounts(res.plan, acc)
            self.plan, self.cell_area_ha = res.plan, res.cell_area_ha
        return acc.acc_w.copy(), acc.acc_v.copy(), acc.pair_w.copy()

    def finish(self, per_r: list) -> EnsembleCarbon:
        p, o, a = self.plan, self.opts, self.cell_area_ha
        nc = p.n_classes
        row_total = _density_draws(p, o.draws, self.seed, o.distribution, o.cv)
        dd = []
        for m in range(p.n_maps):
            ri = p.row_idx[m]
            dd.append(np.where(ri >= 0, row_total[:, np.maximum(ri, 0)], np.nan))   # (D, Z, nc)
        stock: dict[str, np.ndarray] = {}
        change: dict[str, np.ndarray] = {}
        npv: dict[str, np.ndarray] = {}
        for m in range(p.n_maps):
            vals = []
            for acc_w, acc_v, _ in per_r:
                w = acc_w[m, :, :nc]
                extra = acc_v[m, :, :nc] - w * np.nan_to_num(p.dens[m].astype(np.float64))
                vals.append((np.nansum(dd[m] * w[None], axis=2) + extra.sum(axis=1)[None]) * a)   # (D, Z)
            stock[p.labels[m]] = np.stack(vals)
        for pi, (fa, fb) in enumerate(p.pairs):
            vals = []
            for _, _, pair_w in per_r:
                pw = pair_w[pi, :, :nc, :nc]
                per_zone = (np.nansum(dd[fb] * pw.sum(axis=1)[None], axis=2)
                            - np.nansum(dd[fa] * pw.sum(axis=2)[None], axis=2))
                vals.append(per_zone * a)
            key = f"{p.labels[fa]}->{p.labels[fb]}"
            change[key] = np.stack(vals)
            if p.price is not None and not np.isnan(p.k[pi]):
                npv[key] = change[key] * p.k[pi]
        rows = []
        zn = [ALL, *self.zone_names]
        for kind, d, unit in (("stock", stock, "Mg C"), ("change", change, "Mg C"), ("npv", npv, "CNY")):
            for label, arr in d.items():
                for zi, z in enumerate(zn):
                    v = arr.sum(axis=2) if zi == 0 else arr[:, :, zi]
                    rows.append({"quantity": kind, "label": label, "zone": z, "unit": unit, **_carbon_stats(v)})
        return EnsembleCarbon(stock, change, npv, self.zone_names, pd.DataFrame(rows), int(o.draws), self.seed,
                              o.distribution)


# -- running ---------------------------------------------------------------------------------------
def _zone_index(zones: xr.DataArray | np.ndarray | None, zone_names: Mapping[int, str] | Sequence[str] | None,
                shape: tuple[int, int]) -> tuple[np.ndarray | None, list[str], list[int]]:
    """Zone ids (> 0) -> 1-based index map and names (id as text unless named)."""
    if zones is None:
        return None, [], []
    arr = np.asarray(zones.values if isinstance(zones, xr.DataArray) else zones)
    if arr.shape != shape:
        raise InputValidationError(f"zones have shape {arr.shape}; the maps {shape}")
    valid = np.ones(arr.shape, bool)
    if isinstance(zones, xr.DataArray):
        from .drivers import valid_mask

        valid = valid_mask(zones, arr)
    z = np.where(valid, arr, 0).astype(np.int64)
    ids = [int(v) for v in np.unique(z[z > 0])]
    lut = np.zeros(max(ids, default=0) + 1, np.int64)
    lut[ids] = np.arange(1, len(ids) + 1)
    idx = np.where(z > 0, lut[np.maximum(z, 0)], 0)
    if zone_names is None:
        names = [str(i) for i in ids]
    elif isinstance(zone_names, Mapping):
        names = [str(zone_names.get(i, i)) for i in ids]
    else:
        names = [str(n) for n in zone_names]
        if len(names) != len(ids):
            raise InputValidationError(f"{len(names)} zone names for {len(ids)} zones")
    return idx, names, ids


def _observed_index(observed: Mapping[Any, xr.DataArray] | None, codes: np.ndarray, shape) -> dict:
    from . import _index_map
    from .drivers import valid_mask

    out = {}
    for s, da in (observed or {}).items():
        a = np.asarray(da.values)
        if a.shape != shape:
            raise InputValidationError(f"observed map for {s} has shape {a.shape}; the start map {shape}")
        out[s] = _index_map(a, valid_mask(da, a), codes)
    return out


def _realization(payloads: list[dict], probs: list[np.ndarray], seed: np.random.SeedSequence, n_windows: int) -> list:
    """One realization of every window (a pure function for Dask): per window [(stage, state, iterations, gap)]."""
    from . import _allocate_window

    out = []
    for p, pr, zs in zip(payloads, probs, seed.spawn(n_windows)):
        out.append([(s, zr.state, int(zr.gaps.shape[0] - 1), int(np.abs(zr.gaps[-1]).sum()))
                    for s, zr in _allocate_window(p, pr, zs)])
    return out


def simulate_ensemble(start: xr.DataArray, demand: pd.DataFrame | Mapping[int, int], *, realizations: int,
                      seed: int, workers: int = 1, client: Any = None,
                      observed: Mapping[Any, xr.DataArray] | None = None,
                      report_zones: xr.DataArray | None = None,
                      zone_names: Mapping[int, str] | Sequence[str] | None = None,
                      carbon: CarbonOptions | None = None, **simulate_kwargs: Any) -> EnsembleResult:
    """Run ``realizations`` allocations of one simulation (methods.md §15.1) and summarise them.

    Arguments of :func:`~landcarbon.models.simulate.simulate` pass through (``calibrate_from``,
    ``calibrate_to``, ``drivers``, ``restrict``, ``lines``, ``zones``, ``cars_params`` …; not
    ``zone_seeds``). ``workers``: realizations allocated at once on threads (1 = serial); ``client``: a
    Dask client instead (one task per realization, inputs scattered once). The result is identical for
    any ``workers`` and for Dask. ``observed``: stage -> observed map, for ensemble validation (FoM,
    Kappa, OA, changed share and J per realization and of the modal map). ``report_zones`` (default:
    the allocation ``zones``) with ``zone_names`` (id -> name): zones of the area and carbon
    statistics. ``carbon``: :class:`CarbonOptions` for stock / change / value over R × D.
    """
    from . import prepare_simulation

    if "zone_seeds" in simulate_kwargs:
        raise InputValidationError("zone_seeds cannot be given to an ensemble; realizations use child seeds of seed")
    R = int(realizations)
    if not 1 <= R <= _ke.MAX_REALIZATIONS:
        raise InputValidationError(f"realizations={realizations}; expected 1 … {_ke.MAX_REALIZATIONS}")
    if int(workers) < 1:
        raise InputValidationError(f"workers={workers}; expected at least 1")
    simulate_kwargs.setdefault("return_potential", False)
    prep = prepare_simulation(start, demand, seed=seed, **simulate_kwargs)
    probs = prep.predict(client)
    for p in prep.payloads:             # the normalised drivers are not needed once the potential is known
        p.pop("stack", None)
    shape = prep.start_idx.shape
    rz = report_zones if report_zones is not None else simulate_kwargs.get("zones")
    zidx, znames, _ = _zone_index(rz, zone_names, shape)
    obs = _observed_index(observed, prep.codes, shape)
    carbon_acc = None
    if carbon is not None:
        carbon_acc = _CarbonAccounting(carbon, start, prep.stages, prep.to_map, zidx, znames, seed)
    acc = EnsembleAccumulator(prep.start_idx, prep.code_list, prep.stages, R, zone_idx=zidx, zone_names=znames,
                              row_ha=row_areas_ha(prep.grid), observed=obs, carbon_fn=carbon_acc)
    children = np.random.SeedSequence(seed).spawn(R)
    n_win = len(prep.windows)

    def add(r: int, window_out: list) -> None:
        states = {s: prep.start_idx.copy() for s in prep.stages}
        diag: dict[Any, list[int]] = {s: [0, 0] for s in prep.stages}
        for (_z, rs, cs, zm), stages in zip(prep.windows, window_out):
            for s, state, iters, gap in stages:
                blk = states[s][rs, cs]
                blk[zm] = state[zm]
                diag[s][0] = max(diag[s][0], iters)
                diag[s][1] += gap
        acc.add(r, states, {s: tuple(v) for s, v in diag.items()})

    alloc_payloads = [{k: v for k, v in p.items() if k not in ("leas", "stack")} for p in prep.payloads]
    if client is not None:
        from distributed import as_completed

        data = client.scatter([(alloc_payloads, probs)], broadcast=True)[0]
        futs = {client.submit(lambda d, sd: _realization(d[0], d[1], sd, n_win), data, children[r], pure=False): r
                for r in range(R)}
        for fut in as_completed(list(futs)):
            add(futs[fut], fut.result())
            fut.release()
    else:
        def one(r: int) -> None:
            add(r, _realization(alloc_payloads, probs, children[r], n_win))

        if workers == 1 or R == 1:
            for r in range(R):
                one(r)
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=int(workers)) as ex:
                list(ex.map(one, range(R)))
    demand_cells = {}
    for s in prep.stages:
        tot = np.zeros(prep.n_classes, np.int64)
        for vec in prep.dem_stages[s].values():
            tot += vec
        if prep.zone_ids is not None:   # valid cells outside every zone keep their start class
            inside = np.zeros(shape, bool)
            for _z, rs, cs, zm in prep.windows:
                inside[rs, cs] |= zm
            out = prep.start_idx[(prep.start_idx >= 0) & ~inside]
            tot += np.bincount(out, minlength=prep.n_classes)[: prep.n_classes]
        demand_cells[s] = tot
    info = dict(prep.info)
    info |= {"realizations": R, "workers": int(workers), "dask": client is not None,
             "child_seeds": "SeedSequence(seed).spawn(R), realization r -> child r -> spawn(n_zones) per zone"}
    return acc.finish(start, seed=seed, demand_cells=demand_cells, to_map=prep.to_map,
                      carbon_finish=None if carbon_acc is None else carbon_acc.finish, info=info, leas=prep.leas)


def ensemble_statistics(start: xr.DataArray, realizations: Sequence[xr.DataArray] | Mapping[Any, Sequence[xr.DataArray]],
                        *, zones: xr.DataArray | np.ndarray | None = None,
                        zone_names: Mapping[int, str] | Sequence[str] | None = None,
                        observed: Mapping[Any, xr.DataArray] | None = None, carbon: CarbonOptions | None = None,
                        seed: int = 0, codes: Sequence[int] | None = None) -> EnsembleResult:
    """The ensemble statistics of realization maps given directly (the same code as
    :func:`simulate_ensemble`): ``realizations`` is a list of maps (one stage, 0) or stage -> list
    (each of the same length R). Maps are class-code DataArrays on the start map's grid."""
    from . import _index_map
    from .drivers import valid_mask

    per_stage = dict(realizations) if isinstance(realizations, Mapping) else {0: list(realizations)}
    stages = list(per_stage)
    lens = {len(v) for v in per_stage.values()}
    if len(lens) != 1:
        raise InputValidationError(f"every stage needs the same number of realizations; found {sorted(lens)}")
    R = lens.pop()
    a0 = np.asarray(start.values)
    v0 = valid_mask(start, a0)
    if codes is None:
        seen = [np.unique(a0[v0])]
        for maps in per_stage.values():
            for m in maps:
                a = np.asarray(m.values)
                seen.append(np.unique(a[valid_mask(m, a)]))
        codes_arr = np.unique(np.concatenate(seen)).astype(np.int64)
    else:
        codes_arr = np.asarray(sorted(int(c) for c in codes), np.int64)
    start_idx = _index_map(a0, v0, codes_arr)
    zidx, znames, _ = _zone_index(zones, zone_names, a0.shape)
    obs = _observed_index(observed, codes_arr, a0.shape)

    def to_map(state: np.ndarray) -> xr.DataArray:
        nodata = start.rio.nodata
        out = np.full(state.shape, nodata if nodata is not None else 0, dtype=a0.dtype)
        out[state >= 0] = codes_arr[state[state >= 0]].astype(a0.dtype)
        return start.copy(data=out)

    carbon_acc = None if carbon is None else _CarbonAccounting(carbon, start, stages, to_map, zidx, znames, seed)
    acc = EnsembleAccumulator(start_idx, codes_arr.tolist(), stages, R, zone_idx=zidx, zone_names=znames,
                              row_ha=row_areas_ha(grid_of(start)), observed=obs, carbon_fn=carbon_acc)
    for r in range(R):
        states = {}
        for s in stages:
            m = per_stage[s][r]
            a = np.asarray(m.values)
            st = _index_map(a, valid_mask(m, a), codes_arr)
            st[start_idx < 0] = -1
            states[s] = st
        acc.add(r, states)
    return acc.finish(start, seed=seed, to_map=to_map,
                      carbon_finish=None if carbon_acc is None else carbon_acc.finish)


__all__ = ["ALL", "DP_CHANGE_MAX", "SE_REL_MAX", "CarbonOptions", "EnsembleAccumulator", "EnsembleCarbon",
           "EnsembleResult", "ensemble_statistics", "p_met", "simulate_ensemble"]
