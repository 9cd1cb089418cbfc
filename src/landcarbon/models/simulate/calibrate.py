"""Calibration of the allocation parameters on history only (methods.md §15.2).

The forests are fitted on t_a → t_b; each candidate parameter set simulates t_b → t_c with the
observed class counts of t_c as demand and is scored against the observed map of t_c:

    J = FoM − 0.1 · max(0, s_sim / s_obs − 1) − 1 · max(0, κ_pers − κ)

(s = changed share of valid cells, κ_pers = Kappa of persistence on the same maps), averaged over
R_cal = 3 realizations with the child seeds ``SeedSequence(seed).spawn(3)`` — the same seeds for every
candidate (common random numbers), so that a set is not chosen for one lucky seed. Search: the
defaults first, then a seeded random search of B = 40 points over :data:`SEARCH_SPACE` (the §15.2 parameters, plus the relay trigger
of the net demand control, which sets how fast the last cells are allocated), then a
local refinement (coordinate moves around the best point, steps halved each round), within
``budget`` candidates. The chosen set is the one with the highest mean J.

Years marked ``held_out`` are never read: a map of such a year, or a period naming it, stops the
call before anything is computed, with an error naming the year.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ...core.errors import InputValidationError
from ...core.spec import Issue
from .. import validate as _val
from .cars import CarsParams

#: the documented search ranges [D]: ("choice", values) | ("uniform", lo, hi) | ("log", lo, hi)
SEARCH_SPACE: dict[str, tuple] = {
    "neighbourhood": ("choice", (3, 5, 7)),          # n × n Moore window (PLUS: 3) [V]
    "weight_exponent": ("uniform", 0.0, 1.5),        # w_k ∝ expansion share^γ (PLUS: γ = 1) [D]
    "mu": ("log", 0.01, 1.0),                        # patch-seed expansion coefficient μ (PLUS: 0.1) [V]
    "seed_share": ("log", 1e-5, 1e-2),               # patch-seed cap σ per iteration (PLUS example 1e-4) [V]
    "delta": ("uniform", 0.1, 0.95),                 # threshold decay δ (PLUS files 0.01 … 0.9) [V]
    "inertia": ("log", 1.0, 10.0),                   # factor on the current class's OP (1 = PLUS) [D]
    "relay_slow": ("choice", (0.0, 0.001, 0.01)),     # relay opens after slow iterations too (0 = off) [D]
}
#: refinement steps of round 1 (halved — or square-rooted for factors — each round)
REFINE_STEPS: dict[str, tuple[str, float]] = {
    "neighbourhood": ("choice", 1), "weight_exponent": ("add", 0.25), "mu": ("mul", 2.0),
    "seed_share": ("mul", 3.0), "delta": ("add", 0.1), "inertia": ("mul", 1.5), "relay_slow": ("choice", 1),
}
N_RANDOM = 40
R_CAL = 3
REFINE_ROUNDS = 2

_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)")


def check_held_out(maps: Mapping[int, Any], years: Sequence[int], held_out: Sequence[int]) -> None:
    """Refuse any use of a held-out year: as one of the calibration years, as a key of ``maps``, or as
    a year in the file name a map was read from (``encoding['source']``). Raises
    InputValidationError naming the year."""
    held = {int(y) for y in held_out}
    issues = []
    for y in years:
        if int(y) in held:
            issues.append(Issue("years", f"year {y} is held out; calibration never reads a held-out map — choose "
                                         f"calibration and validation years outside {sorted(held)}"))
    for y, m in maps.items():
        if int(y) in held:
            issues.append(Issue("maps", f"a map of the held-out year {y} was given; calibration refuses held-out "
                                        f"maps — leave it out"))
            continue
        src = None
        if isinstance(m, xr.DataArray):
            src = m.encoding.get("source") or m.attrs.get("source_path")
        elif isinstance(m, (str, bytes)) or hasattr(m, "__fspath__"):
            src = str(m)
        if src:
            name = re.split(r"[\\/]", str(src))[-1]
            for tok in _YEAR.findall(name):
                if int(tok) in held:
                    issues.append(Issue("maps", f"the map given for {y} was read from {name}, which names the "
                                                f"held-out year {tok}; calibration refuses held-out maps"))
    if issues:
        raise InputValidationError(issues)


def observed_demand(start: xr.DataArray, observed: xr.DataArray, codes: Sequence[int]) -> pd.DataFrame:
    """Demand ``code, cells``: the observed classes counted on the start map's valid cells (cells that
    are nodata in the observed map keep their start class), so the total equals the valid start cells."""
    from .drivers import valid_mask

    a0, a1 = np.asarray(start.values), np.asarray(observed.values)
    v0, v1 = valid_mask(start, a0), valid_mask(observed, a1)
    target = np.where(v1, a1, a0)[v0].astype(np.int64)
    return pd.DataFrame({"code": [int(c) for c in codes], "cells": [int(np.count_nonzero(target == c)) for c in codes]})


def sample_point(rng: np.random.Generator, space: Mapping[str, tuple]) -> dict[str, Any]:
    """One point of the search space (keys in the space's order)."""
    out: dict[str, Any] = {}
    for name, spec in space.items():
        kind = spec[0]
        if kind == "choice":
            vals = spec[1]
            out[name] = vals[int(rng.integers(len(vals)))]
        elif kind == "uniform":
            out[name] = float(rng.uniform(spec[1], spec[2]))
        elif kind == "log":
            out[name] = float(math.exp(rng.uniform(math.log(spec[1]), math.log(spec[2]))))
        else:
            raise InputValidationError(f"search space entry {name!r}: kind {kind!r} is unknown (choice, uniform, log)")
    return out


def _clip(name: str, value: Any, space: Mapping[str, tuple]) -> Any:
    spec = space[name]
    if spec[0] == "choice":
        return value
    return float(min(max(value, spec[1]), spec[2]))


def refine_moves(point: Mapping[str, Any], space: Mapping[str, tuple], round_: int) -> list[dict[str, Any]]:
    """Coordinate moves around ``point`` (one parameter at a time, down then up), steps of
    :data:`REFINE_STEPS` halved (factors square-rooted) ``round_`` times; clipped to the space;
    moves equal to ``point`` are left out."""
    moves = []
    for name in space:
        kind, step = REFINE_STEPS.get(name, ("add", 0.0))
        cur = point[name]
        if space[name][0] == "choice":
            vals = list(space[name][1])
            i = vals.index(cur) if cur in vals else 0
            cands = [vals[j] for j in (i - 1, i + 1) if 0 <= j < len(vals)]
        elif kind == "mul":
            f = step ** (0.5 ** round_)
            cands = [_clip(name, cur / f, space), _clip(name, cur * f, space)]
        else:
            d = step * (0.5 ** round_)
            cands = [_clip(name, cur - d, space), _clip(name, cur + d, space)]
        for c in cands:
            if c != cur:
                moves.append({**point, name: c})
    return moves


def _score(table: np.ndarray) -> dict[str, float]:
    m = _val.metrics_from_counts(table)
    kp = _val.metrics_from_counts(_val.persistence_counts(table)).kappa
    ob = _val.objective(m, kp)
    return {"fom": m.fom, "kappa": m.kappa, "oa": m.oa, "changed_share": m.simulated_change_share, "j": ob.j,
            "kappa_persistence": kp, "observed_change_share": m.observed_change_share,
            "churn_penalty": ob.churn_penalty, "kappa_penalty": ob.kappa_penalty}


@dataclass
class CalibrationResult:
    """table: one row per candidate (candidate, phase 'default' | 'random' | 'refine-<round>', the
    parameters, fom/kappa/oa/changed_share/j mean and sd over the realizations, iterations_mean,
    final_gap_mean (cells), wall_s); chosen: CARS parameters (``CarsParams(**chosen)``; 1 for
    shares, cells as pixels); before / after: scores of the defaults and of the chosen set on the
    validation year (means and sds over the realizations, with the persistence Kappa and the
    observed changed share); years: (t_a, t_b, t_c)."""

    table: pd.DataFrame
    chosen: dict[str, Any]
    before: dict[str, float]
    after: dict[str, float]
    years: tuple[int, int, int]
    held_out: tuple[int, ...]
    info: dict = field(default_factory=dict)

    def cars_params(self, base: CarsParams | None = None) -> CarsParams:
        """The chosen parameters as :class:`CarsParams` (other fields from ``base``)."""
        return replace(base or CarsParams(), **self.chosen)


def calibrate(maps: Mapping[int, xr.DataArray], *, years: tuple[int, int, int], drivers: Mapping[str, xr.DataArray],
              seed: int, held_out: Sequence[int] = (), budget: int | None = None, n_random: int = N_RANDOM,
              realizations: int = R_CAL, refine_rounds: int = REFINE_ROUNDS, workers: int = 1,
              space: Mapping[str, tuple] | None = None, base_params: CarsParams | None = None,
              progress: Callable[[dict], None] | None = None, **simulate_kwargs: Any) -> CalibrationResult:
    """Calibrate the CARS parameters on history (methods.md §15.2).

    maps: year -> land-use map (at least t_a, t_b, t_c of ``years``; a held-out year is refused).
    years: (t_a, t_b, t_c): forests fitted on t_a → t_b, candidates simulate t_b → t_c with the
    observed class counts of t_c as demand, scored on t_c. drivers, ``categorical``, ``dem``,
    ``restrict``, ``lines``, ``leas_params`` … pass to the simulation. seed: LEAS fit, realization
    seeds and the search. budget: the most candidates evaluated, defaults included (default: all of
    1 + ``n_random`` + the refinement). realizations: R_cal per candidate. workers: threads allocating
    a candidate's realizations at once (same result for any number). space: search ranges
    (default :data:`SEARCH_SPACE`; a subset or other ranges). base_params: the other CARS
    parameters (default ``CarsParams()``); its values of the searched names are the "before" run.
    progress: called with each finished table row.
    """
    from . import _allocate_window, _index_map, prepare_simulation
    from .drivers import valid_mask

    if len(years) != 3 or not (years[0] < years[1] < years[2]):
        raise InputValidationError([Issue("years", f"years {tuple(years)}: expected three increasing years "
                                                   f"(t_a, t_b, t_c)")])
    check_held_out(maps, years, held_out)
    ta, tb, tc = (int(y) for y in years)
    missing = [y for y in (ta, tb, tc) if y not in maps]
    if missing:
        raise InputValidationError([Issue("maps", f"no map for years {missing}; give maps of {ta}, {tb} and {tc}")])
    sp = dict(SEARCH_SPACE if space is None else space)
    unknown = sorted(set(sp) - set(CarsParams.__dataclass_fields__))
    if unknown:
        raise InputValidationError(f"search space names {unknown}, which are not CARS parameters")
    base = base_params or CarsParams()
    if int(realizations) < 1 or int(n_random) < 0:
        raise InputValidationError("realizations must be >= 1 and n_random >= 0")
    for k in ("zone_seeds", "calibrate_from", "calibrate_to", "cars_params"):
        if k in simulate_kwargs:
            raise InputValidationError(f"{k} cannot be given to calibrate (it is set by the calibration)")
    start, obs = maps[tb], maps[tc]
    seen = []
    for y in (ta, tb, tc):
        a = np.asarray(maps[y].values)
        seen.append(np.unique(a[valid_mask(maps[y], a)]))
    codes = np.unique(np.concatenate(seen)).astype(np.int64)
    demand = observed_demand(start, obs, codes)
    max_n = max([base.neighbourhood, *([int(v) for v in sp["neighbourhood"][1]] if "neighbourhood" in sp else [])])
    simulate_kwargs.setdefault("return_potential", False)
    t0 = time.perf_counter()
    prep = prepare_simulation(start, demand, calibrate_from=maps[ta], calibrate_to=maps[tb], drivers=drivers, seed=seed,
                              cars_params=base, codes=codes.tolist(), halo=max_n // 2, **simulate_kwargs)
    probs = prep.predict()
    for p in prep.payloads:             # the normalised drivers are not needed once the potential is known
        p.pop("stack", None)
    t_prep = time.perf_counter() - t0
    obs_idx = _index_map(np.asarray(obs.values), valid_mask(obs, np.asarray(obs.values)), prep.codes).ravel()
    s_idx = prep.start_idx.ravel()
    ok = (s_idx >= 0) & (obs_idx >= 0)
    k = prep.n_classes
    base_key = (s_idx[ok].astype(np.int64) * k + obs_idx[ok]) * k
    children = np.random.SeedSequence(seed).spawn(int(realizations))
    stage = prep.stages[0]
    if len(prep.stages) != 1:
        raise InputValidationError("calibration simulates one stage (t_b -> t_c)")

    def run_one(params: CarsParams, r: int) -> dict[str, float]:
        weights = prep.weights_for(params)
        wins = [_allocate_window(p, pr, zs, params, weights)
                for p, pr, zs in zip(prep.payloads, probs, prep.zone_seeds(children[r]))]
        state = prep.stage_states(wins)[stage].ravel()
        tab = np.bincount(base_key + state[ok], minlength=k ** 3)[: k ** 3].reshape(k, k, k)
        sc = _score(tab)
        sc["iterations"] = max(int(zr.gaps.shape[0] - 1) for w in wins for _, zr in w)
        sc["final_gap"] = sum(int(np.abs(zr.gaps[-1]).sum()) for w in wins for _, zr in w)
        return sc

    rows: list[dict[str, Any]] = []
    seen: dict[tuple, dict] = {}

    def evaluate(point: dict[str, Any], phase: str) -> dict[str, Any] | None:
        key = tuple(round(float(point[n]), 12) for n in sp)
        if key in seen:
            return seen[key]
        if budget is not None and len(rows) >= int(budget):
            return None
        params = replace(base, **point)
        params.check()
        t1 = time.perf_counter()
        if workers > 1 and realizations > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=int(workers)) as ex:
                scores = list(ex.map(lambda r: run_one(params, r), range(int(realizations))))
        else:
            scores = [run_one(params, r) for r in range(int(realizations))]
        row: dict[str, Any] = {"candidate": len(rows), "phase": phase, **point}
        for name in ("fom", "kappa", "oa", "changed_share", "j"):
            v = np.asarray([s[name] for s in scores], dtype=np.float64)
            row[f"{name}_mean"] = float(v.mean())
            row[f"{name}_sd"] = float(v.std(ddof=1)) if v.size > 1 else 0.0
        row["kappa_persistence"] = scores[0]["kappa_persistence"]
        row["observed_change_share"] = scores[0]["observed_change_share"]
        row["iterations_mean"] = float(np.mean([s["iterations"] for s in scores]))
        row["final_gap_mean"] = float(np.mean([s["final_gap"] for s in scores]))
        row["wall_s"] = round(time.perf_counter() - t1, 2)
        rows.append(row)
        seen[key] = row
        if progress is not None:
            progress(row)
        return row

    default_point = {n: getattr(base, n) for n in sp}
    evaluate(default_point, "default")
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(152, 0)))
    for _ in range(int(n_random)):
        pt = sample_point(rng, sp)       # drawn even past the budget: the sequence does not depend on it
        evaluate(pt, "random")

    def best_row() -> dict[str, Any]:
        return max(rows, key=lambda r: (r["j_mean"] if np.isfinite(r["j_mean"]) else -np.inf, -r["candidate"]))

    for rnd in range(int(refine_rounds)):
        centre = best_row()
        point = {n: centre[n] for n in sp}
        for mv in refine_moves(point, sp, rnd):
            evaluate(mv, f"refine-{rnd + 1}")
    best = best_row()
    table = pd.DataFrame(rows)
    chosen = {n: (int(best[n]) if n == "neighbourhood" else float(best[n])) for n in sp}

    def scores_of(row: dict[str, Any]) -> dict[str, float]:
        return {k2: row[k2] for k2 in ("fom_mean", "fom_sd", "kappa_mean", "kappa_sd", "oa_mean", "changed_share_mean",
                                       "changed_share_sd", "j_mean", "j_sd", "kappa_persistence",
                                       "observed_change_share", "iterations_mean", "final_gap_mean")}

    info = {"seed": int(seed), "realizations": int(realizations), "n_random": int(n_random),
            "refine_rounds": int(refine_rounds), "budget": budget, "evaluated": len(rows),
            "space": {n: list(v[1]) if v[0] == "choice" else [v[0], v[1], v[2]] for n, v in sp.items()},
            "prepare_s": round(t_prep, 2), "wall_s": round(time.perf_counter() - t0, 2),
            "leas_contributions": prep.leas.contributions, "codes": prep.code_list,
            "demand": demand, "lambda_churn": _val.LAMBDA_CHURN, "lambda_kappa": _val.LAMBDA_KAPPA,
            "chosen_candidate": int(best["candidate"]), "base_params": base.to_dict()}
    return CalibrationResult(table, chosen, scores_of(rows[0]), scores_of(best), (ta, tb, tc),
                             tuple(int(y) for y in held_out), info)


__all__ = ["N_RANDOM", "REFINE_ROUNDS", "R_CAL", "SEARCH_SPACE", "CalibrationResult", "calibrate", "check_held_out",
           "observed_demand", "refine_moves", "sample_point"]
