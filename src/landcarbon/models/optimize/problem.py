"""Land-structure optimisation problem (methods.md §12.1): variables, objectives, constraints,
feasibility pre-check and the demand table the simulation reads.

Decision variables x_k = area (ha) of class k in the target year (the six national groups by
default). Objectives (coefficients per ha of class k):

    carbon     max Σ c_k x_k     c_k total carbon density (Mg C/ha, from a pools table)         → Mg C
    emissions  min Σ δ_k x_k     δ_k land-use coefficient (Mg C/(ha·a), + = source, §3.2); built-up
                                 needs e_c (energy method, §3.3) given explicitly               → Mg C/a
    economy    max Σ b_k x_k     b_k output per ha (CNY/ha, user values)                        → CNY
    esv        max Σ ESV_k x_k   ESV_k (CNY/(ha·a), §12.4)                                       → CNY/a

Constraints: Σ x = S; cropland ≥ protection quota; forest ≥ S × target share (and/or an area);
P_t × per-capita construction land ≤ built-up ≤ boundary capacity; water within ±tol of current
(±1 % [D]); unused ≤ current; |x_k − current_k| ≤ max_change × current_k; user bounds; extra
linear rows (e.g. forest + grassland + water ≥ red-line ecological area).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...core.classes import GROUPS
from ...core.errors import InfeasibleError, InputValidationError
from ...core.spec import Issue
from ..weights import did_you_mean

OBJECTIVES: dict[str, tuple[str, str, str]] = {
    "carbon": ("max", "Mg C", "carbon stock"),
    "emissions": ("min", "Mg C/a", "net land-use emission"),
    "economy": ("max", "CNY", "economic output"),
    "esv": ("max", "CNY/a", "ecosystem service value"),
}

#: the constraint keys (a plan's [optimize.constraints]); PER_VARIABLE ones bound every zone's classes
CONSTRAINT_KEYS = ("cropland_min_ha", "forest_share_min", "forest_min_ha", "built_up_max_ha", "built_up_min_ha",
                   "population", "per_capita_built_m2", "water_tolerance", "unused_max_current", "max_change",
                   "ecological_min_ha", "bounds", "extra")

#: water kept within ±1 % of its current area [D] (methods.md §12.1)
WATER_TOLERANCE = 0.01


@dataclass(frozen=True)
class Objective:
    name: str
    coeffs: np.ndarray
    sense: str  # "max" | "min"
    unit: str
    label: str


@dataclass(frozen=True)
class Constraint:
    """lo ≤ Σ_k a_k x_k ≤ hi, with a readable source (what the user asked for)."""

    name: str
    coeffs: np.ndarray
    lo: float
    hi: float
    source: str


@dataclass
class StructureProblem:
    classes: list[str]
    total: float
    lower: np.ndarray
    upper: np.ndarray
    lower_src: list[str]
    upper_src: list[str]
    objectives: dict[str, Objective]
    constraints: list[Constraint] = field(default_factory=list)
    current: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    #: equality rows Σ_{i in idx} x_i = total: one per zone (name, indices, total); None = one over all
    partitions: list[tuple[str, np.ndarray, float]] | None = None
    #: class (group) of each variable when variables are zone × class; None = ``classes``
    var_class: list[str] | None = None
    var_zone: list[str] | None = None

    @property
    def k(self) -> int:
        return len(self.classes)

    @property
    def parts(self) -> list[tuple[str, np.ndarray, float]]:
        if self.partitions:
            return self.partitions
        return [(f"total area = {self.total:,.1f} ha", np.arange(self.k), float(self.total))]

    def idx(self, name: str) -> int:
        try:
            return self.classes.index(name)
        except ValueError:
            raise InputValidationError(f"class {name!r} is not a decision variable ({self.classes})") from None

    def evaluate(self, x: np.ndarray) -> dict[str, float]:
        return {n: float(o.coeffs @ x) for n, o in self.objectives.items()}

    def bounds_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"class": self.classes, "lower_ha": self.lower, "lower_source": self.lower_src,
                             "upper_ha": self.upper, "upper_source": self.upper_src,
                             "current_ha": self.current if self.current is not None else np.nan})

    def violation(self, x: np.ndarray) -> float:
        v = sum(abs(float(x[idx].sum()) - tot) for _, idx, tot in self.parts)
        v += float(np.clip(self.lower - x, 0, None).sum() + np.clip(x - self.upper, 0, None).sum())
        for c in self.constraints:
            s = float(c.coeffs @ x)
            v += max(0.0, c.lo - s) + max(0.0, s - c.hi)
        return v


def _vec(values: Mapping[str, float] | pd.Series | None, classes: Sequence[str], what: str, *,
         required: bool = True) -> np.ndarray | None:
    if values is None:
        if required:
            raise InputValidationError(f"{what} is required")
        return None
    d = {str(k): v for k, v in dict(values).items()}
    missing = [c for c in classes if c not in d or d[c] is None or (isinstance(d[c], float) and np.isnan(d[c]))]
    if missing:
        raise InputValidationError(f"{what}: no value for classes {missing}; give one for each of {list(classes)} "
                                   f"(empty is not zero)")
    return np.array([float(d[c]) for c in classes])


def build_problem(current: Mapping[str, float] | pd.Series, *, total: float | None = None,
                  carbon_density: Mapping[str, float] | None = None,
                  emission_coef: Mapping[str, float] | None = None,
                  economy: Mapping[str, float] | None = None, esv: Mapping[str, float] | None = None,
                  constraints: Mapping[str, Any] | None = None) -> StructureProblem:
    """Build the §12.1 problem over the classes of ``current`` (ha per class, national group keys
    for the named constraints). ``constraints`` keys (all optional):

    ``cropland_min_ha``, ``forest_share_min`` (0–1), ``forest_min_ha``, ``built_up_max_ha``,
    ``built_up_min_ha`` or (``population`` and ``per_capita_built_m2``), ``water_tolerance`` (fraction,
    default 0.01; ``None`` frees water), ``unused_max_current`` (default true), ``max_change`` (fraction
    of current, one number or per class), ``ecological_min_ha`` (forest + grassland + water),
    ``bounds`` ({class: [lo, hi]}), ``extra`` (list of {name, coeffs: {class: a}, lo, hi}).
    """
    cur = {str(k): float(v) for k, v in dict(current).items()}
    classes = list(cur)
    if len(classes) < 2:
        raise InputValidationError("structure optimisation needs at least two classes")
    cur_v = np.array([cur[c] for c in classes])
    if (cur_v < 0).any():
        raise InputValidationError(f"current areas must be >= 0; found {cur}")
    s = float(total) if total is not None else float(cur_v.sum())
    if s <= 0:
        raise InputValidationError(f"total area {s} ha; expected > 0")
    objs: dict[str, Objective] = {}
    for name, vals in (("carbon", carbon_density), ("emissions", emission_coef), ("economy", economy), ("esv", esv)):
        v = _vec(vals, classes, f"{name} coefficients", required=False)
        if v is not None:
            sense, unit, label = OBJECTIVES[name]
            objs[name] = Objective(name, v, sense, unit, label)
    if not objs:
        raise InputValidationError("no objective: give at least one of carbon density, emission coefficients, "
                                   "economic output or ESV per class")
    c = dict(constraints or {})
    unknown = sorted(set(c) - set(CONSTRAINT_KEYS))
    if unknown:
        raise InputValidationError([Issue("constraints", "unknown constraints " + "; ".join(
            f"{u!r}{did_you_mean(u, CONSTRAINT_KEYS)}" for u in unknown) + f"; expected some of "
            f"{', '.join(CONSTRAINT_KEYS)}: correct the name")])
    lo = np.zeros(len(classes))
    hi = np.full(len(classes), s)
    lo_src = ["non-negativity"] * len(classes)
    hi_src = ["total area"] * len(classes)

    def raise_lo(cls: str, v: float, src: str) -> None:
        if cls not in classes:
            raise InputValidationError(f"constraint '{src}' names class {cls!r}, which is not a decision variable "
                                       f"({classes})")
        i = classes.index(cls)
        if v > lo[i]:
            lo[i], lo_src[i] = v, src

    def lower_hi(cls: str, v: float, src: str) -> None:
        if cls not in classes:
            raise InputValidationError(f"constraint '{src}' names class {cls!r}, which is not a decision variable "
                                       f"({classes})")
        i = classes.index(cls)
        if v < hi[i]:
            hi[i], hi_src[i] = v, src

    if c.get("cropland_min_ha") is not None:
        raise_lo("cropland", float(c["cropland_min_ha"]), f"cropland >= protection quota {float(c['cropland_min_ha']):,.1f} ha")
    if c.get("forest_share_min") is not None:
        sh = float(c["forest_share_min"])
        if not 0 <= sh <= 1:
            raise InputValidationError(f"forest_share_min {sh}; expected a fraction 0-1")
        raise_lo("forest", sh * s, f"forest >= {sh:.2%} of {s:,.1f} ha")
    if c.get("forest_min_ha") is not None:
        raise_lo("forest", float(c["forest_min_ha"]), f"forest >= {float(c['forest_min_ha']):,.1f} ha")
    if c.get("built_up_max_ha") is not None:
        lower_hi("built_up", float(c["built_up_max_ha"]),
                 f"built-up <= development-boundary capacity {float(c['built_up_max_ha']):,.1f} ha")
    need = c.get("built_up_min_ha")
    if need is None and c.get("population") is not None:
        if c.get("per_capita_built_m2") is None:
            raise InputValidationError("population given without per_capita_built_m2 (m2/person)")
        need = float(c["population"]) * float(c["per_capita_built_m2"]) / 10_000.0
        src = (f"built-up >= population {float(c['population']):,.0f} x {float(c['per_capita_built_m2']):g} m2 = "
               f"{need:,.1f} ha")
    else:
        src = f"built-up >= {float(need):,.1f} ha" if need is not None else ""
    if need is not None:
        raise_lo("built_up", float(need), src)
    wt = c.get("water_tolerance", WATER_TOLERANCE)
    if wt is not None and "water" in classes:
        w = cur["water"]
        raise_lo("water", w * (1 - float(wt)), f"water >= current {w:,.1f} ha - {float(wt):.0%}")
        lower_hi("water", w * (1 + float(wt)), f"water <= current {w:,.1f} ha + {float(wt):.0%}")
    if c.get("unused_max_current", True) and "unused" in classes:
        lower_hi("unused", cur["unused"], f"unused <= current {cur['unused']:,.1f} ha")
    mc = c.get("max_change")
    if mc is not None:
        per = mc if isinstance(mc, Mapping) else {k: mc for k in classes}
        for k, f in per.items():
            f = float(f)
            if f < 0:
                raise InputValidationError(f"max_change for {k} is {f}; expected a fraction >= 0")
            raise_lo(k, cur[k] * (1 - f), f"{k} >= current - {f:.0%}")
            lower_hi(k, cur[k] * (1 + f), f"{k} <= current + {f:.0%}")
    for k, (b_lo, b_hi) in dict(c.get("bounds") or {}).items():
        if b_lo is not None:
            raise_lo(str(k), float(b_lo), f"user bound {k} >= {float(b_lo):,.1f} ha")
        if b_hi is not None:
            lower_hi(str(k), float(b_hi), f"user bound {k} <= {float(b_hi):,.1f} ha")
    rows: list[Constraint] = []
    if c.get("ecological_min_ha") is not None:
        eco = [g for g in ("forest", "grassland", "water") if g in classes]
        a = np.array([1.0 if k in eco else 0.0 for k in classes])
        v = float(c["ecological_min_ha"])
        rows.append(Constraint("ecological_land", a, v, np.inf, f"{' + '.join(eco)} >= {v:,.1f} ha"))
    for e in c.get("extra") or []:
        coeffs = _vec({k: e.get("coeffs", {}).get(k, 0.0) for k in classes}, classes, f"constraint {e.get('name')}")
        rows.append(Constraint(str(e.get("name", "extra")), coeffs, float(e.get("lo", -np.inf)),
                               float(e.get("hi", np.inf)), str(e.get("name", "extra"))))
    return StructureProblem(classes, s, lo, hi, lo_src, hi_src, objs, rows, cur_v)


def check_feasibility(p: StructureProblem) -> None:
    """Cheap checks before the solver, each naming the constraints and numbers that conflict:
    a lower bound above an upper bound, two lower bounds whose sum exceeds the (zone) total, all
    lower bounds together above it, all upper bounds together below it."""
    msgs = []
    for i, k in enumerate(p.classes):
        if p.lower[i] > p.upper[i] + 1e-9:
            msgs.append(f"{k}: '{p.lower_src[i]}' ({p.lower[i]:,.1f} ha) exceeds '{p.upper_src[i]}' "
                        f"({p.upper[i]:,.1f} ha)")
    for pname, idx, tot in p.parts:
        what = "total area" if pname.startswith("total area") else pname
        lo = p.lower[idx]
        s_lo = float(lo.sum())
        if not msgs and s_lo > tot + 1e-6:
            order = idx[np.argsort(-lo)]
            pair = None
            for a in range(len(order)):
                for b in range(a + 1, len(order)):
                    i, j = order[a], order[b]
                    if p.lower[i] + p.lower[j] > tot + 1e-6:
                        pair = (i, j)
                        break
                if pair:
                    break
            if pair:
                i, j = pair
                msgs.append(f"'{p.lower_src[i]}' ({p.lower[i]:,.1f} ha) + '{p.lower_src[j]}' ({p.lower[j]:,.1f} ha) "
                            f"= {p.lower[i] + p.lower[j]:,.1f} ha > {what} {tot:,.1f} ha")
            else:
                parts = ", ".join(f"{p.classes[i]} {p.lower[i]:,.1f} ({p.lower_src[i]})" for i in order
                                  if p.lower[i] > 0)
                msgs.append(f"the lower bounds sum to {s_lo:,.1f} ha > {what} {tot:,.1f} ha: {parts}")
        s_hi = float(p.upper[idx].sum())
        if not msgs and s_hi < tot - 1e-6:
            parts = ", ".join(f"{p.classes[i]} {p.upper[i]:,.1f} ({p.upper_src[i]})" for i in idx)
            msgs.append(f"the upper bounds sum to {s_hi:,.1f} ha < {what} {tot:,.1f} ha: {parts}")
    if msgs:
        raise InfeasibleError("the constraints cannot all hold: " + "; ".join(msgs) +
                              ". Relax one of them (quota, share, change bound or capacity)")


#: constraints that act on each variable (zone × class) in a zonal problem; the others act on class totals
PER_VARIABLE = ("water_tolerance", "unused_max_current", "max_change")


def build_problem_by_zone(current: pd.DataFrame, *, carbon_density: Mapping[str, float] | None = None,
                          emission_coef: Mapping[str, float] | None = None,
                          economy: Mapping[str, float] | None = None, esv: Mapping[str, float] | None = None,
                          constraints: Mapping[str, Any] | None = None,
                          zone_constraints: Mapping[str, Mapping[str, Any]] | None = None) -> StructureProblem:
    """Zone × class variables x_{z,k} (ha): each zone keeps its own total area. ``current``: rows =
    zones, columns = classes (ha). ``constraints`` as in :func:`build_problem`: water tolerance, the
    unused cap and ``max_change`` bound every zone's classes; quotas, shares, built-up limits,
    ``ecological_min_ha``, ``bounds`` and ``extra`` act on the class totals over all zones (rows).
    ``zone_constraints``: ``{zone: {cropland_min_ha: …, built_up_max_ha: …}}`` bound one zone's classes.
    Objective coefficients are the same in every zone."""
    if current.shape[0] < 1:
        raise InputValidationError("zonal optimisation needs at least one zone")
    c = dict(constraints or {})
    zc = {str(k): dict(v) for k, v in dict(zone_constraints or {}).items()}
    zones = [str(z) for z in current.index]
    unknown = sorted(set(zc) - set(zones))
    if unknown:
        raise InputValidationError(f"zone constraints for unknown zones {unknown}; zones are {zones}")
    classes = [str(k) for k in current.columns]
    subs = []
    for z, z_orig in zip(zones, current.index):
        local = {k: c[k] for k in PER_VARIABLE if k in c} | zc.get(z, {})
        cur_z = {k: float(current.loc[z_orig, k]) for k in classes}
        try:
            subs.append(build_problem(cur_z, carbon_density=carbon_density, emission_coef=emission_coef,
                                      economy=economy, esv=esv, constraints=local))
        except InputValidationError as err:
            raise InputValidationError(f"zone {z}: {err}") from None
    names = [f"{z}:{k}" for z in zones for k in classes]
    k_n = len(classes)
    lower = np.concatenate([sp.lower for sp in subs])
    upper = np.concatenate([sp.upper for sp in subs])
    lo_src = [f"{z}: {src}" for z, sp in zip(zones, subs) for src in sp.lower_src]
    hi_src = [f"{z}: {src}" for z, sp in zip(zones, subs) for src in sp.upper_src]
    objs = {n: Objective(n, np.concatenate([sp.objectives[n].coeffs for sp in subs]), o.sense, o.unit, o.label)
            for n, o in subs[0].objectives.items()}
    total = float(sum(sp.total for sp in subs))
    var_class = [k for _ in zones for k in classes]
    parts = [(f"zone {z} area", np.arange(i * k_n, (i + 1) * k_n), float(sp.total)) for i, (z, sp) in
             enumerate(zip(zones, subs))]

    def row(cls: Sequence[str]) -> np.ndarray:
        missing = [x for x in cls if x not in classes]
        if len(missing) == len(cls):
            raise InputValidationError(f"constraint on {list(cls)}: no such class among {classes}")
        return np.array([1.0 if vc in cls else 0.0 for vc in var_class])

    rows: list[Constraint] = []
    if c.get("cropland_min_ha") is not None:
        v = float(c["cropland_min_ha"])
        rows.append(Constraint("cropland_quota", row(["cropland"]), v, np.inf, f"cropland >= protection quota {v:,.1f} ha"))
    if c.get("forest_share_min") is not None:
        v = float(c["forest_share_min"]) * total
        rows.append(Constraint("forest_share", row(["forest"]), v, np.inf,
                               f"forest >= {float(c['forest_share_min']):.2%} of {total:,.1f} ha"))
    if c.get("forest_min_ha") is not None:
        v = float(c["forest_min_ha"])
        rows.append(Constraint("forest_min", row(["forest"]), v, np.inf, f"forest >= {v:,.1f} ha"))
    if c.get("built_up_max_ha") is not None:
        v = float(c["built_up_max_ha"])
        rows.append(Constraint("built_up_capacity", row(["built_up"]), -np.inf, v,
                               f"built-up <= development-boundary capacity {v:,.1f} ha"))
    need = c.get("built_up_min_ha")
    if need is None and c.get("population") is not None:
        if c.get("per_capita_built_m2") is None:
            raise InputValidationError("population given without per_capita_built_m2 (m2/person)")
        need = float(c["population"]) * float(c["per_capita_built_m2"]) / 10_000.0
    if need is not None:
        rows.append(Constraint("built_up_need", row(["built_up"]), float(need), np.inf,
                               f"built-up >= {float(need):,.1f} ha"))
    if c.get("ecological_min_ha") is not None:
        v = float(c["ecological_min_ha"])
        rows.append(Constraint("ecological_land", row(["forest", "grassland", "water"]), v, np.inf,
                               f"forest + grassland + water >= {v:,.1f} ha"))
    for k, (b_lo, b_hi) in dict(c.get("bounds") or {}).items():
        rows.append(Constraint(f"bounds_{k}", row([str(k)]), -np.inf if b_lo is None else float(b_lo),
                               np.inf if b_hi is None else float(b_hi), f"user bounds on {k}"))
    for e in c.get("extra") or []:
        coeffs = np.array([float(e.get("coeffs", {}).get(vc, 0.0)) for vc in var_class])
        rows.append(Constraint(str(e.get("name", "extra")), coeffs, float(e.get("lo", -np.inf)),
                               float(e.get("hi", np.inf)), str(e.get("name", "extra"))))
    bad = sorted(set(c) - set(PER_VARIABLE) - {"cropland_min_ha", "forest_share_min", "forest_min_ha",
                                               "built_up_max_ha", "built_up_min_ha", "population",
                                               "per_capita_built_m2", "ecological_min_ha", "bounds", "extra"})
    if bad:
        raise InputValidationError(f"unknown constraints {bad}")
    cur_v = np.concatenate([sp.current for sp in subs])
    return StructureProblem(names, total, lower, upper, lo_src, hi_src, objs, rows, cur_v, [], parts, var_class,
                            [z for z in zones for _ in classes])


# --------------------------------------------------------------------------------------------------
# demand table for the simulation
def demand_table(areas_ha: Mapping[str, float], *, class_groups: Mapping[int, str], current_cells: Mapping[int, int],
                 valid_cells: int, cell_area_ha: float) -> pd.DataFrame:
    """Optimised group areas → integer cells per class code, summing exactly to ``valid_cells``.

    Rounding is done twice by largest remainders: first the groups (so a group held at a whole
    number of cells by a bound keeps it), then each group's cells over its codes in proportion to
    their current cells. Returns ``code, cells, area_ha`` — the table ``landcarbon simulate`` reads.
    """
    from ..demand import largest_remainder

    codes = sorted(int(c) for c in class_groups)
    names = list(areas_ha)
    orphan = [c for c in codes if class_groups[c] not in names]
    if orphan:
        raise InputValidationError(f"class codes {orphan} belong to no optimised class; include their groups")
    members = {g: [c for c in codes if class_groups[c] == g] for g in names}
    for g, m in members.items():
        if not m and areas_ha[g] > 1e-6:
            raise InputValidationError(f"optimised class {g!r} ({areas_ha[g]:,.1f} ha) has no code in the map's "
                                       f"scheme; map it to a class code")
    g_cells = largest_remainder([max(0.0, float(areas_ha[g]) / cell_area_ha) for g in names], int(valid_cells))
    out: dict[int, int] = {}
    for g, n in zip(names, g_cells):
        m = members[g]
        if not m:
            continue
        cur = np.array([float(current_cells.get(c, 0)) for c in m])
        share = cur if cur.sum() > 0 else np.eye(len(m))[0]
        for c, k in zip(m, largest_remainder(share, int(n))):
            out[c] = int(k)
    cells = np.array([out[c] for c in codes], dtype=np.int64)
    return pd.DataFrame({"code": codes, "cells": cells, "area_ha": cells * float(cell_area_ha)})


def demand_by_zone(x: pd.Series, p: StructureProblem, *, class_groups: Mapping[int, str],
                   current_cells: Mapping[str, Mapping[int, int]], valid_cells: Mapping[str, int],
                   cell_area_ha: float) -> pd.DataFrame:
    """``zone, code, cells, area_ha`` from a zonal solution; each zone sums to its valid cells."""
    if p.var_zone is None or p.var_class is None:
        raise InputValidationError("demand_by_zone needs a problem built by build_problem_by_zone")
    frames = []
    for z in dict.fromkeys(p.var_zone):
        areas = {vc: float(v) for vz, vc, v in zip(p.var_zone, p.var_class, x.to_numpy()) if vz == z}
        d = demand_table(areas, class_groups=class_groups, current_cells=current_cells[z],
                         valid_cells=valid_cells[z], cell_area_ha=cell_area_ha)
        d.insert(0, "zone", z)
        frames.append(d)
    return pd.concat(frames, ignore_index=True)


def snap_to_cells(p: StructureProblem, cell_area_ha: float) -> StructureProblem:
    """Round lower bounds up and upper bounds down to whole cells, so that the cell-rounded demand
    still meets every bound (e.g. cropland ≥ quota holds in cells, not only in ha)."""
    eps = 1e-9
    p.lower = np.ceil(p.lower / cell_area_ha - eps) * cell_area_ha
    p.upper = np.floor(p.upper / cell_area_ha + eps) * cell_area_ha
    p.notes.append(f"bounds snapped to whole cells of {cell_area_ha:g} ha")
    return p


GROUP_ORDER = GROUPS
