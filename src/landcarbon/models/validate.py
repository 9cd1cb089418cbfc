"""Validation of a simulated land-use map (methods.md §9).

Every metric is computed on the common valid mask of the start map (t1), the observed map (t2)
and the simulated map (S), from one (zone, L1, L2, S) count table, and is reported beside the
persistence baseline (S := L1, "nothing changes"), overall and by zone.

    OA    = Σ_k M_kk / N                         (M = confusion matrix, rows observed, cols simulated)
    Kappa = (N Σ M_kk − Σ M_k+ M_+k) / (N² − Σ M_k+ M_+k)
    FoM   = B / (A + B + C + D)   A misses, B hits, C wrong hits, D false alarms
    Q     = ½ Σ |p_+k − p_k+| ;  A = ½ Σ 2 min(p_k+ − p_kk, p_+k − p_kk) ;  Q + A = 1 − OA

Verdict (methods.md §15.2, against persistence):

    J = FoM − λ₁ · max(0, s_sim / s_obs − 1) − λ₂ · max(0, κ_pers − κ),   λ₁ = 0.1, λ₂ = 1

s = changed share of the valid cells (S ≠ L1 simulated, L2 ≠ L1 observed). The persistence
baseline scores J = 0 by construction (FoM 0, no churn, κ = κ_pers), so a run passes when J > 0:
it finds more change than it costs in churn and in Kappa below persistence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from ..core.classes import ClassScheme
from ..core.errors import EmptyInputError, InputValidationError
from ..core.spec import ModelSpec, NumberIn, RasterIn, TableOut, VectorIn
from ..ops import transitions as _tr
from . import change as _ch

SPEC = ModelSpec(
    id="validate", version="2", title_en="Validation of a simulated map", title_zh="模拟精度验证",
    methods_ref="methods.md §9",
    doc="Accuracy of a simulated map: OA, Kappa, Figure of Merit (hits, misses, wrong hits, false alarms), "
        "quantity and allocation disagreement, each beside the persistence baseline (nothing changes), overall "
        "and by zone.",
    examples=("landcarbon validate --landuse lu2005.tif --observed lu2010.tif --simulated sim2010.tif --out val/",),
    inputs=(
        RasterIn("landuse", required=True, label_zh="起始土地利用图", metavar="TIF", aliases=("--start",),
                 doc="Land-use map at t1, the simulation's start (GeoTIFF, integer class codes)"),
        RasterIn("observed", required=True, label_zh="观测土地利用图", metavar="TIF",
                 doc="Observed land-use map at t2, on the start map's grid"),
        RasterIn("simulated", required=True, label_zh="模拟土地利用图", metavar="TIF",
                 doc="Simulated land-use map for t2, on the start map's grid"),
        *_ch.zone_inputs(VectorIn),
        _ch.SCHEME,
        NumberIn("sample_rate", units="-", minimum=0.0, exclusive_minimum=True, maximum=1.0, default=1.0,
                 label_zh="抽样比例", doc="Share of the cells used (PLUS uses 0.1); the sample is fixed by seed"),
        _ch.Input("seed", kind="integer", minimum=0, label_zh="随机种子",
                  doc="Seed of the cell sample when sample_rate < 1 (default 0; recorded in the manifest)"),
        _ch.ALIGN,
        _ch.Input("fom_map", kind="flag", default=False, label_zh="FoM 分类图",
                  doc="Also write fom_categories.tif (1 correct persistence, 2 hit, 3 miss, 4 wrong hit, "
                      "5 false alarm, 0 = not compared)"),
        _ch.LANG,
        _ch.SCHEDULER,
    ),
    outputs=(
        TableOut("metrics.csv", doc="Each metric for the simulation and the persistence baseline, and which "
                 "direction is better", doc_zh="精度指标（模拟结果与不变基准对比）",
                 columns={"metric": "", "simulated": "-", "persistence": "-", "better": ""}),
        TableOut("metrics_by_zone.csv", doc="The metrics per unit ((all), each zone) and model (simulated, "
                 "persistence)", doc_zh="分区精度指标",
                 columns={"zone": "", "model": "", "oa": "-", "kappa": "-", "fom": "-", "hits": "cells"}),
        TableOut("per_class.csv", doc="Producer's and user's accuracy and the per-class FoM",
                 doc_zh="各地类生产者精度、用户精度与 FoM",
                 columns={"code": "", "pa": "-", "ua": "-", "fom": "-", "hits": "cells"}),
        TableOut("confusion_matrix.csv", doc="Confusion matrix in cells: rows = observed, columns = simulated, with "
                 "totals", doc_zh="混淆矩阵（像元数；行 = 观测，列 = 模拟）",
                 columns=(_ch.Column("total_observed", "cells"),)),
        _ch.Output("fom_categories.tif", kind="raster", units="-", when=_ch.Present("fom_map"),
                   doc="Agreement category per cell (uint8): 1 correct persistence, 2 hit, 3 miss, 4 wrong hit, "
                       "5 false alarm, 0 = not compared", doc_zh="逐像元 FoM 分类图"),
    ),
)


#: metrics where a larger value is better (the rest: smaller is better)
HIGHER_IS_BETTER = ("oa", "kappa", "fom", "pa_change", "ua_change", "hits")


@dataclass(frozen=True)
class Metrics:
    """Accuracy metrics of one (observed, simulated) comparison; counts in cells."""

    n: int
    oa: float
    kappa: float
    fom: float
    hits: int
    misses: int
    wrong_hits: int
    false_alarms: int
    pa_change: float
    ua_change: float
    quantity_disagreement: float
    allocation_disagreement: float
    observed_change_share: float
    simulated_change_share: float

    def as_dict(self) -> dict[str, float | int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


METRIC_NAMES = tuple(f.name for f in fields(Metrics))


#: weights of the §15.2 objective: churn (changed share above the observed one) and Kappa below persistence
LAMBDA_CHURN = 0.1
LAMBDA_KAPPA = 1.0
#: the pass rule, as stated in every verdict
PASS_RULE = ("passes when J > 0, the J of the persistence baseline (methods.md §15.2): "
             "J = FoM − 0.1·max(0, s_sim/s_obs − 1) − 1·max(0, κ_persistence − κ)")


@dataclass(frozen=True)
class Objective:
    """The §15.2 objective of one comparison and its terms (shares and Kappa in 1)."""

    fom: float
    simulated_change_share: float
    observed_change_share: float
    churn_penalty: float
    kappa: float
    kappa_persistence: float
    kappa_penalty: float
    j: float
    lambda_churn: float = LAMBDA_CHURN
    lambda_kappa: float = LAMBDA_KAPPA

    @property
    def passed(self) -> bool:
        return bool(np.isfinite(self.j) and self.j > 0.0)

    def as_dict(self) -> dict[str, Any]:
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "j_persistence": 0.0,
                "passed": self.passed, "rule": PASS_RULE}


def objective(metrics: Metrics, kappa_persistence: float, *, lambda_churn: float = LAMBDA_CHURN,
              lambda_kappa: float = LAMBDA_KAPPA) -> Objective:
    """J = FoM − λ₁·max(0, s_sim/s_obs − 1) − λ₂·max(0, κ_pers − κ) (methods.md §15.2).

    ``kappa_persistence``: Kappa of the persistence baseline on the same maps (``baseline.kappa``).
    With no observed change the churn ratio is 0 when nothing was simulated either, else infinite;
    an undefined FoM (nothing changed in either map) gives J = NaN, which does not pass.
    """
    s_sim, s_obs = float(metrics.simulated_change_share), float(metrics.observed_change_share)
    if s_obs > 0:
        ratio = s_sim / s_obs
    else:
        ratio = 0.0 if s_sim == 0 else float("inf")
    churn = lambda_churn * max(0.0, ratio - 1.0)
    kpen = lambda_kappa * max(0.0, float(kappa_persistence) - float(metrics.kappa))
    j = float(metrics.fom) - churn - kpen
    return Objective(float(metrics.fom), s_sim, s_obs, churn, float(metrics.kappa), float(kappa_persistence), kpen,
                     j, lambda_churn, lambda_kappa)


def _div(a: float, b: float) -> float:
    return float(a) / float(b) if b else float("nan")


def metrics_from_counts(t: np.ndarray) -> Metrics:
    """All metrics from a (K, K, K) count table t[L1, L2, S]."""
    t = np.asarray(t, dtype=np.int64)
    n = int(t.sum())
    m = t.sum(axis=0)  # confusion: observed (L2) x simulated (S)
    k = t.shape[0]
    idx = np.arange(k)
    # persistence cells (L1 = L2) and their simulated class
    l1_eq_l2 = t[idx, idx, :]  # (k, S)
    d_false = int(l1_eq_l2.sum() - np.trace(l1_eq_l2))  # L1 = L2, S != L1
    # observed change (L1 != L2)
    total_obs_change = n - int(l1_eq_l2.sum())
    s_eq_l1 = t[idx, :, idx]  # (L1, L2) where S = L1
    a_miss = int(s_eq_l1.sum() - np.trace(s_eq_l1))  # L1 != L2, S = L1
    s_eq_l2 = t[:, idx, idx]  # (L1, L2=S)
    b_hit = int(s_eq_l2.sum() - np.trace(s_eq_l2))  # L1 != L2, S = L2
    c_wrong = total_obs_change - a_miss - b_hit
    sim_change = n - int(s_eq_l1.sum())
    diag = float(np.trace(m))
    rows, cols = m.sum(axis=1).astype(np.float64), m.sum(axis=0).astype(np.float64)
    oa = _div(diag, n)
    pe_num = float((rows * cols).sum())
    kappa = _div(n * diag - pe_num, float(n) * n - pe_num)
    p = m / n if n else m.astype(np.float64)
    pr, pc, pd_ = p.sum(axis=1), p.sum(axis=0), np.diag(p)
    q = 0.5 * float(np.abs(pc - pr).sum())
    alloc = 0.5 * float((2 * np.minimum(pr - pd_, pc - pd_)).sum())
    return Metrics(
        n=n, oa=oa, kappa=kappa,
        fom=_div(b_hit, a_miss + b_hit + c_wrong + d_false),
        hits=b_hit, misses=a_miss, wrong_hits=c_wrong, false_alarms=d_false,
        pa_change=_div(b_hit, a_miss + b_hit + c_wrong), ua_change=_div(b_hit, b_hit + c_wrong + d_false),
        quantity_disagreement=q, allocation_disagreement=alloc,
        observed_change_share=_div(total_obs_change, n), simulated_change_share=_div(sim_change, n))


def persistence_counts(t: np.ndarray) -> np.ndarray:
    """The count table of the persistence baseline: S := L1, so t'[j, k, j] = Σ_s t[j, k, s]."""
    t = np.asarray(t)
    out = np.zeros_like(t)
    pair = t.sum(axis=2)  # (L1, L2)
    idx = np.arange(t.shape[0])
    out[idx, :, idx] = pair
    return out


def per_class_table(t: np.ndarray, codes: Sequence[int], scheme: ClassScheme | None = None,
                    lang: str = "en") -> pd.DataFrame:
    """Producer's / user's accuracy and per-class FoM for each class.

    Per-class FoM of class k [L]: cells with L1 != k and (L2 = k or S = k);
    hits = L2 = S = k, misses = L2 = k and S = L1, wrong hits = L2 = k and S not in {k, L1},
    false alarms = S = k and L2 != k.
    """
    t = np.asarray(t, dtype=np.int64)
    m = t.sum(axis=0)
    rows, cols = m.sum(axis=1), m.sum(axis=0)
    out = []
    k = len(codes)
    for i, code in enumerate(codes):
        not_i = np.arange(k) != i
        sub = t[not_i]  # L1 != i  -> (k-1, L2, S)
        l1 = np.arange(k)[not_i]
        hits = int(sub[:, i, i].sum())
        misses = int(sum(sub[r, i, l1[r]] for r in range(k - 1)))
        wrong = int(sub[:, i, :].sum()) - hits - misses
        fa = int(sub[:, :, i].sum() - sub[:, i, i].sum())
        out.append({"code": code, "name": _ch.class_label(code, scheme, lang),
                    "observed_cells": int(rows[i]), "simulated_cells": int(cols[i]),
                    "correct_cells": int(m[i, i]), "pa": _div(m[i, i], rows[i]), "ua": _div(m[i, i], cols[i]),
                    "hits": hits, "misses": misses, "wrong_hits": wrong, "false_alarms": fa,
                    "fom": _div(hits, hits + misses + wrong + fa)})
    return pd.DataFrame(out)


@dataclass(frozen=True)
class ValidationResult:
    """Metrics of the simulation (as attributes: ``oa``, ``kappa``, ``fom`` …) plus ``baseline``
    (the persistence model's Metrics), ``by_zone``, ``per_class`` and the confusion matrix."""

    metrics: Metrics
    baseline: Metrics
    codes: tuple[int, ...]
    counts: np.ndarray  # (B, K, K, K) zone bucket x L1 x L2 x S
    zone_names: tuple[str, ...] = ()
    excluded: dict[str, int] = field(default_factory=dict)
    sample_rate: float = 1.0
    scheme: ClassScheme | None = None

    def __getattr__(self, name: str) -> Any:
        if name in METRIC_NAMES:
            return getattr(self.metrics, name)
        raise AttributeError(name)

    @property
    def objective(self) -> Objective:
        """The methods.md §15.2 objective J of the simulation against the persistence baseline."""
        return objective(self.metrics, self.baseline.kappa)

    @property
    def passed(self) -> bool:
        """methods.md §15.2: the simulation passes when J > 0, the J of the persistence baseline
        (see :data:`PASS_RULE`). The former rule (FoM > 0 and allocation disagreement below
        persistence's) is replaced: it called a run that changes nearly nothing a pass."""
        return self.objective.passed

    def verdict(self) -> dict[str, Any]:
        """The verdict with its terms: FoM, changed shares, churn penalty, Kappa and the Kappa of
        persistence, the Kappa penalty, J (and J = 0 of persistence), ``passed`` and the rule."""
        return self.objective.as_dict()

    def summary(self) -> pd.DataFrame:
        """metric, simulated, persistence, better (which direction is better); the last rows are the
        §15.2 objective's terms (churn_penalty, kappa_penalty, objective_j) for both models."""
        rows = []
        for name in METRIC_NAMES:
            rows.append({"metric": name, "simulated": getattr(self.metrics, name),
                         "persistence": getattr(self.baseline, name),
                         "better": "higher" if name in HIGHER_IS_BETTER else
                         ("-" if name in ("n", "observed_change_share", "simulated_change_share") else "lower")})
        sim, base = self.objective, objective(self.baseline, self.baseline.kappa)
        for name, better in (("churn_penalty", "lower"), ("kappa_penalty", "lower"), ("j", "higher")):
            rows.append({"metric": "objective_j" if name == "j" else name, "simulated": getattr(sim, name),
                         "persistence": getattr(base, name), "better": better})
        return pd.DataFrame(rows)

    def units(self) -> list[str]:
        return [_ch.ALL, *self.zone_names] + ([_ch.OUTSIDE] if self.zone_names and self.counts[0].sum() else [])

    def _sel(self, unit: str) -> np.ndarray:
        if unit == _ch.ALL:
            return self.counts.sum(axis=0)
        if unit == _ch.OUTSIDE:
            return self.counts[0]
        return self.counts[self.zone_names.index(unit) + 1]

    @property
    def by_zone(self) -> pd.DataFrame:
        """One row per unit ('(all)', each zone) and model ('simulated', 'persistence')."""
        rows = []
        for unit in self.units():
            t = self._sel(unit)
            for model, mt in (("simulated", metrics_from_counts(t)),
                              ("persistence", metrics_from_counts(persistence_counts(t)))):
                rows.append({"zone": unit, "model": model, **mt.as_dict()})
        return pd.DataFrame(rows)

    def per_class(self, lang: str = "en") -> pd.DataFrame:
        return per_class_table(self.counts.sum(axis=0), self.codes, self.scheme, lang)

    def confusion(self, lang: str = "en") -> pd.DataFrame:
        """Confusion matrix in cells: rows = observed, columns = simulated, with totals."""
        m = self.counts.sum(axis=(0, 1))
        labels = [_ch.class_label(c, self.scheme, lang) for c in self.codes]
        df = pd.DataFrame(m, index=pd.Index(labels, name="observed \\ simulated"), columns=labels)
        df["total_observed"] = df.sum(axis=1)
        df.loc["total_simulated"] = df.sum(axis=0)
        return df


def fom_map(start: Any, observed: Any, simulated: Any, *, codes: Sequence[int], nodata: Any = "auto") -> Any:
    """Per-cell agreement categories, uint8: 1 correct persistence, 2 hit, 3 miss, 4 wrong hit,
    5 false alarm, 0 = not compared (nodata). Lazy (dask) when the maps are."""
    nds = _ch._pair(nodata, 3)
    maps = [_ch.as_map(x, nm, nd) for x, nm, nd in zip((start, observed, simulated),
                                                       ("start", "observed", "simulated"), nds)]
    _ch.check_grids(maps)
    return _tr.fom_categories(maps[0].data, maps[1].data, maps[2].data, codes, nodata_a=maps[0].nodata,
                              nodata_b=maps[1].nodata, nodata_c=maps[2].nodata)


def compare(start: Any, observed: Any, simulated: Any, *, nodata: Any = "auto", zones: Any = None,
            zone_names: Sequence[str] | pd.DataFrame | None = None, codes: Sequence[int] | None = None,
            sample_rate: float = 1.0, seed: int = 0, scheme: ClassScheme | None = None) -> ValidationResult:
    """Validate ``simulated`` against ``observed`` given the ``start`` map (methods.md §9).

    Maps: rioxarray DataArrays (grids checked) or plain 2-D integer arrays of one shape.
    ``nodata``: "auto" (each DataArray's ``rio.nodata``), one value for all, or a triple.
    ``zones``: integer zone ids 1..n (0 = outside) with ``zone_names``; zones only split the
    report, the overall metrics use every valid cell. ``sample_rate`` < 1 uses a deterministic
    pseudo-random share of the cells (PLUS computes Kappa on 10 %), chosen by ``seed``.
    """
    nds = _ch._pair(nodata, 3)
    maps = [_ch.as_map(x, nm, nd) for x, nm, nd in zip((start, observed, simulated),
                                                       ("start", "observed", "simulated"), nds)]
    _ch.check_grids(maps, zones)
    if not (0.0 < float(sample_rate) <= 1.0):
        raise InputValidationError(f"sample_rate {sample_rate}; expected a share in (0, 1]")
    zdata, nb, names = _ch.zone_setup(zones, zone_names)
    codes_t = _ch.find_codes(maps, codes)
    import dask

    res = _tr.cross_tab3(maps[0].data, maps[1].data, maps[2].data, codes_t, nodata_a=maps[0].nodata,
                         nodata_b=maps[1].nodata, nodata_c=maps[2].nodata, zones=zdata, n_zones=nb,
                         sample_rate=float(sample_rate), seed=int(seed))
    counts, ex = dask.compute(res["counts"], res["excluded"])
    _ch.check_unknown(ex, codes_t, ["start", "observed", "simulated"])
    total = counts.sum(axis=0)
    if total.sum() == 0:
        raise EmptyInputError("start, observed and simulated maps share no valid cell; check nodata values "
                              "and that the maps cover the same region")
    return ValidationResult(metrics_from_counts(total), metrics_from_counts(persistence_counts(total)),
                            codes_t, counts, names, _ch.excluded_dict(ex, ["start", "observed", "simulated"]),
                            float(sample_rate), scheme)
