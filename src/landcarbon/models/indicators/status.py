"""Status rules (methods.md §14.4): met / warning / breached, the trend warning, and P_met.

Target T, warning band w (default 0.05 = 5 % of T [D]), tolerance ε of ``zero`` indicators (default
0 [D]):

=========  ================  ==========================================  ================
direction  met               warning                                     breached
=========  ================  ==========================================  ================
higher     v ≥ T             T(1 − w) ≤ v < T                            v < T(1 − w)
lower      v ≤ T             T < v ≤ T(1 + w)                            v > T(1 + w)
band       lo ≤ v ≤ hi       lo(1 − w) ≤ v < lo  or  hi < v ≤ hi(1 + w)  beyond that
zero       v ≤ ε             —                                           v > ε
=========  ================  ==========================================  ================

The band is w·|T| wide, so a negative target (a net sink, NCE < 0) keeps a band on the right side;
for T ≥ 0 this is the table above exactly.

Trend warning [D]: through the observed years up to year t (at least three), the least-squares line
v = a + b·t; if it is breached in some whole year after t and no later than the target year, an
otherwise ``met`` status becomes ``warning`` with ``trend`` set and ``trend_year`` = the first such year
(the report says "warning (trend), crossing in <year>").

P_met: the share of an ensemble's realizations (and density draws) whose status is ``met``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..weights import bad_input, did_you_mean
from . import _tables as T
from .definitions import DIRECTIONS, INDICATORS, IndicatorDef

DEFAULT_WARNING = 0.05
DEFAULT_TOLERANCE = 0.0
MIN_TREND_YEARS = 3
MET, WARNING, BREACHED = "met", "warning", "breached"


@dataclass(frozen=True)
class Target:
    """A plan's target for one indicator.

    ``value``: T for higher / lower; ``(lo, hi)`` for band; not needed for zero (give ``tolerance`` ε).
    ``year``: the target year (the trend warning looks up to it). ``zone``: None for every zone, or
    one zone id (it wins over the zone-wide target). ``direction``: default the indicator's own."""

    indicator: str
    value: float | tuple[float, float] | None = None
    year: int | None = None
    zone: str | None = None
    warning: float = DEFAULT_WARNING
    tolerance: float = DEFAULT_TOLERANCE
    direction: str | None = None


def _num(x: Any, key: str, what: str) -> float:
    try:
        f = float(x)
    except (TypeError, ValueError):
        raise bad_input(key, f"{what} is {x!r}; expected a number") from None
    if not math.isfinite(f):
        raise bad_input(key, f"{what} is {x!r}; expected a finite number")
    return f


def check_rule(direction: str, target: Any = None, *, warning: float = DEFAULT_WARNING,
               tolerance: float = DEFAULT_TOLERANCE, key: str = "target") -> tuple[float | None, float | None]:
    """Validate a rule; returns (T or lo or ε, hi or None) as stored in the catalog."""
    if direction not in DIRECTIONS:
        raise bad_input("direction", f"found {direction!r}{did_you_mean(direction, DIRECTIONS)}; expected one of "
                                     f"{list(DIRECTIONS)}")
    w = _num(warning, "warning", "the warning band w")
    if not 0 <= w < 1:
        raise bad_input("warning", f"the warning band w is {w:g}; expected a share of the target in [0, 1) "
                                   f"(default {DEFAULT_WARNING})")
    if direction == "zero":
        eps = _num(tolerance, "tolerance", "the tolerance ε")
        if eps < 0:
            raise bad_input("tolerance", f"the tolerance ε is {eps:g}; expected ε ≥ 0 (default 0)")
        if target is not None and _num(target, key, "the target") != 0:
            raise bad_input(key, f"a 'zero' indicator takes no target (found {target!r}); expected a tolerance ε "
                                 f"instead: give tolerance={target!r}")
        return eps, None
    if target is None:
        form = "(lo, hi)" if direction == "band" else "a number T"
        raise bad_input(key, f"direction {direction!r} needs a target; found none; expected {form}: add it to "
                             f"the plan's indicator targets")
    if direction == "band":
        if not isinstance(target, Sequence) or isinstance(target, str) or len(target) != 2:
            raise bad_input(key, f"a band target is {target!r}; expected two numbers (lo, hi), e.g. (65, 115)")
        lo, hi = _num(target[0], key, "the band's lo"), _num(target[1], key, "the band's hi")
        if lo > hi:
            raise bad_input(key, f"the band ({lo:g}, {hi:g}) has lo > hi; expected lo ≤ hi: swap them")
        return lo, hi
    if isinstance(target, Sequence) and not isinstance(target, str):
        raise bad_input(key, f"direction {direction!r} takes one number T; found {target!r} (a band needs "
                             f"direction 'band')")
    return _num(target, key, "the target"), None


def _status_arrays(v: np.ndarray, direction: str, t: float, hi: float | None, w: float) -> np.ndarray:
    """Vectorised status of values ``v`` (no NaN) under a checked rule."""
    out = np.full(v.shape, BREACHED, dtype=object)
    if direction == "higher":
        out[v >= t - w * abs(t)] = WARNING
        out[v >= t] = MET
    elif direction == "lower":
        out[v <= t + w * abs(t)] = WARNING
        out[v <= t] = MET
    elif direction == "band":
        out[(v >= t - w * abs(t)) & (v <= hi + w * abs(hi))] = WARNING
        out[(v >= t) & (v <= hi)] = MET
    else:  # zero: t is ε
        out[v <= t] = MET
    return out


def status_of(value: float, direction: str, target: Any = None, *, warning: float = DEFAULT_WARNING,
              tolerance: float = DEFAULT_TOLERANCE) -> str:
    """``"met"``, ``"warning"`` or ``"breached"`` for one value (methods.md §14.4)."""
    t, hi = check_rule(direction, target, warning=warning, tolerance=tolerance)
    v = _num(value, "value", "the indicator value")
    return str(_status_arrays(np.array([v]), direction, t, hi, float(warning))[0])


def trend_crossing(years: Sequence[int], values: Sequence[float], direction: str, target: Any = None, *,
                   target_year: int, warning: float = DEFAULT_WARNING,
                   tolerance: float = DEFAULT_TOLERANCE) -> int | None:
    """The first whole year after the last observed one, up to ``target_year``, in which the least-squares
    line through (years, values) is breached; None when it is not, or with fewer than three years."""
    t, hi = check_rule(direction, target, warning=warning, tolerance=tolerance)
    y = np.asarray(years, dtype=float)
    v = np.asarray(values, dtype=float)
    if y.shape != v.shape or np.isnan(v).any():
        raise bad_input("values", "the observed series needs one finite value per year")
    if len(np.unique(y)) < MIN_TREND_YEARS:
        return None
    ym, vm = y.mean(), v.mean()
    b = float(((y - ym) * (v - vm)).sum() / ((y - ym) ** 2).sum())
    last = int(y.max())
    future = np.arange(last + 1, int(target_year) + 1)
    if future.size == 0:
        return None
    line = vm + b * (future - ym)
    hit = np.nonzero(_status_arrays(line, direction, t, hi, float(warning)) == BREACHED)[0]
    return int(future[hit[0]]) if hit.size else None


def _targets_by(targets: Iterable[Target], defs: Mapping[str, IndicatorDef]) -> dict[tuple[str, str | None], Target]:
    out: dict[tuple[str, str | None], Target] = {}
    for tg in targets:
        if not isinstance(tg, Target):
            raise bad_input("targets", f"found {type(tg).__name__}; expected Target(indicator, value, year, …)")
        if tg.indicator not in defs:
            raise bad_input("targets", f"unknown indicator {tg.indicator!r}{did_you_mean(tg.indicator, defs)}; "
                                       f"expected one of {sorted(defs)}")
        k = (tg.indicator, None if tg.zone is None else str(tg.zone))
        if k in out:
            raise bad_input("targets", f"two targets for {tg.indicator}"
                                       f"{'' if k[1] is None else f' in zone {k[1]!r}'}; expected one")
        d = tg.direction or defs[tg.indicator].direction
        check_rule(d, tg.value, warning=tg.warning, tolerance=tg.tolerance, key=f"targets.{tg.indicator}")
        out[k] = tg
    return out


def assess(values: pd.DataFrame, targets: Iterable[Target] = (), *,
           definitions: Iterable[IndicatorDef] = ()) -> pd.DataFrame:
    """Indicator rows with their status: adds ``direction, target, target_hi, warning, status, trend,
    trend_year`` (and ``kind`` when absent: every row observed).

    ``values``: rows ``[scenario,] zone, year, indicator, value, unit[, kind]`` (``kind`` observed /
    projected). ``definitions``: user indicators' definitions (built-in ones are known). A row without a
    target keeps status None. The trend warning runs on observed rows only."""
    defs = {**INDICATORS, **{d.id: d for d in definitions}}
    miss = [c for c in ("zone", "year", "indicator", "value") if c not in values.columns]
    if miss:
        raise bad_input("indicators", f"missing columns {miss}; expected [scenario,] zone, year, indicator, value, "
                                      f"unit")
    df = values.copy().reset_index(drop=True)
    unknown = sorted(set(df["indicator"].astype(str)) - set(defs))
    if unknown:
        raise bad_input("indicators", f"unknown indicators {unknown}; expected built-in ones {sorted(INDICATORS)} or "
                                      f"user ones given in definitions=")
    if df["value"].isna().any():
        r = df[df["value"].isna()].iloc[0]
        raise bad_input("indicators", f"{r.indicator} has no value in zone {r.zone!r} {r.year}; expected a number "
                                      f"(leave the row out instead)")
    if "kind" not in df.columns:
        df["kind"] = "observed"
    bad_kind = sorted(set(df["kind"]) - {"observed", "projected"})
    if bad_kind:
        raise bad_input("indicators", f"kind holds {bad_kind}; expected 'observed' or 'projected'")
    by = _targets_by(targets, defs)
    n = len(df)
    direction = np.array([defs[i].direction for i in df["indicator"]], dtype=object)
    target, target_hi, warn = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    status = np.full(n, None, dtype=object)
    trend, trend_year = np.zeros(n, bool), pd.array([pd.NA] * n, dtype="Int64")
    rule_of: dict[int, Target] = {}
    zones = df["zone"].astype(str).to_numpy()
    inds = df["indicator"].astype(str).to_numpy()
    vals = df["value"].astype(float).to_numpy()
    for (ind, zone), tg in sorted(by.items(), key=lambda kv: kv[0][1] is not None):   # zone-wide first
        sel = (inds == ind) if zone is None else ((inds == ind) & (zones == zone))
        if not sel.any():
            continue
        d = tg.direction or defs[ind].direction
        t, hi = check_rule(d, tg.value, warning=tg.warning, tolerance=tg.tolerance)
        direction[sel] = d
        target[sel] = t
        target_hi[sel] = np.nan if hi is None else hi
        warn[sel] = np.nan if d == "zero" else float(tg.warning)
        status[sel] = _status_arrays(vals[sel], d, t, hi, float(tg.warning))
        for i in np.nonzero(sel)[0]:
            rule_of[int(i)] = tg
    # the trend warning, per observed series
    sc = df["scenario"].astype(str).to_numpy() if "scenario" in df.columns else np.full(n, T.OBSERVED, dtype=object)
    obs = (df["kind"] == "observed").to_numpy()
    years = df["year"].astype("int64").to_numpy()
    groups: dict[tuple[str, str, str], list[int]] = {}
    for i in np.nonzero(obs)[0]:
        if int(i) in rule_of and rule_of[int(i)].year is not None:
            groups.setdefault((sc[i], zones[i], inds[i]), []).append(int(i))
    for idx in groups.values():
        idx.sort(key=lambda i: years[i])
        for k, i in enumerate(idx):
            if status[i] != MET or k + 1 < MIN_TREND_YEARS:
                continue
            tg = rule_of[i]
            d = tg.direction or defs[inds[i]].direction
            cross = trend_crossing(years[idx[:k + 1]], vals[idx[:k + 1]], d, tg.value, target_year=tg.year,
                                   warning=tg.warning, tolerance=tg.tolerance)
            if cross is not None:
                status[i], trend[i], trend_year[i] = WARNING, True, cross
    df["direction"] = direction
    df["target"], df["target_hi"], df["warning"] = target, target_hi, warn
    df["status"], df["trend"], df["trend_year"] = status, trend, trend_year
    return df


def status_label(status: str | None, trend: bool = False, lang: str = "en") -> str:
    """The words a report prints: ``warning (trend)`` / ``预警（趋势）`` for a trend warning."""
    if status is None:
        return ""
    zh = {MET: "达标", WARNING: "预警", BREACHED: "未达标"}
    if lang == "zh":
        return zh[status] + ("（趋势）" if trend else "")
    return status + (" (trend)" if trend else "")


def p_met(ensemble: pd.DataFrame, targets: Iterable[Target], *, over: Sequence[str] = ("realization", "draw"),
          definitions: Iterable[IndicatorDef] = ()) -> pd.DataFrame:
    """P_met: the share of realizations (× density draws) whose status is met, per [scenario,] zone, year and
    indicator. ``ensemble``: indicator rows with a ``realization`` column (and ``draw`` for carbon
    indicators). Rows of indicators without a target are left out."""
    present = [c for c in over if c in ensemble.columns]
    if not present:
        raise bad_input("ensemble", f"no column {list(over)}; expected one row per realization (column "
                                    f"'realization', and 'draw' for density draws)")
    a = assess(ensemble.drop(columns=[c for c in ("kind",) if c in ensemble.columns]).assign(kind="projected"),
               targets, definitions=definitions)
    a = a[a["status"].notna()]
    keys = [c for c in ("scenario", "zone", "year", "indicator") if c in a.columns]
    g = a.assign(met=(a["status"] == MET).astype(float)).groupby(keys, sort=True)
    out = g["met"].mean().rename("p_met").to_frame()
    out["n"] = g.size()
    return out.reset_index()


__all__ = ["BREACHED", "DEFAULT_TOLERANCE", "DEFAULT_WARNING", "MET", "MIN_TREND_YEARS", "WARNING", "Target",
           "assess", "check_rule", "p_met", "status_label", "status_of", "trend_crossing"]
