"""Land-structure optimisation step (``landcarbon optimize``, methods.md §12): inputs → problem → LP /
NSGA-II → the demand table ``demand.csv`` (``code, cells, area_ha``; integer cells summing exactly to the
start map's valid cells), which the simulation reads as its demand input, as is.

Options on the command line override the plan's ``[optimize]`` table; paths given directly are relative
to the working folder, paths in the plan to the plan's folder.
"""

from __future__ import annotations

import io as _io
import math
import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..core.classes import GROUPS
from ..core.errors import InputValidationError
from ..core.grid import grid_of, row_areas_ha
from ..core.spec import Issue
from ..core.validation import did_you_mean
from ..io.inputs import plan_path
from ..kernels.lookup import unique_codes
from ..models import coefficients as coef_mod
from ..models.evaluate import esv as esv_mod
from ..models.optimize import build_problem, demand_table, solve_lp, solve_nsga2
from ..models.optimize.lp import payoff_table
from ..models.optimize.problem import OBJECTIVES, build_problem_by_zone, demand_by_zone, snap_to_cells
from ..models.optimize.spec import DEFAULT_OBJECTIVES, METHODS, PLAN_SCHEMA
from .runner import RunContext, run_model
from .steps import (
    PlanTable,
    area_ha,
    memo,
    option_table,
    plan_file_issues,
    scheme_issues,
    scheme_of,
    zone_issues,
    zones_on,
)

#: default density set (group level, tag L/V+D): the shipped demo set built from 刘冠 et al. (Mata catchment)
DEFAULT_POOLS_SET = "demo_national6_mata2021"
#: inputs a plan may give instead of the command line (file inputs relative to the plan's folder)
_PLAN_INPUTS = ("landuse", "scheme", "objectives", "method", "lp_objective", "compromise", "pop_size", "n_gen", "seed",
                "zones", "zone_field", "zone_layer", "pools", "compare")
_FILES = ("landuse", "zones", "pools", "compare")


def group_densities_from_set(set_id: str = DEFAULT_POOLS_SET) -> tuple[dict[str, float], str]:
    """Total density (Mg C/ha) per national group from the shipped national6 density set."""
    txt = (resources.files("landcarbon") / "data" / "carbon_density_demo_national6.csv").read_text(encoding="utf-8")
    df = pd.read_csv(_io.StringIO(txt))
    df = df[df["set_id"] == set_id]
    if df.empty:
        raise InputValidationError([Issue("plan", f"[optimize] pools_set {set_id!r} is not shipped; expected "
                                                  f"{DEFAULT_POOLS_SET!r}, or give a pools table (⟨pools⟩)")])
    tot = df[["c_above", "c_below", "c_soil", "c_dead"]].astype(float).sum(axis=1)
    return dict(zip(df["group"], tot)), str(df["citation"].iloc[0])


def group_densities_from_pools(pools: pd.DataFrame, groups: Mapping[int, str],
                               counts: Mapping[int, int]) -> dict[str, float]:
    """Area-weighted mean total density (Mg C/ha) per group from a code-level pools table."""
    from ..models.carbon_stock import read_pools

    pt = read_pools(pools)
    fr = pt.frame
    fr = fr[(fr["zone"] == "") & (fr["year"] == -1)] if "zone" in fr else fr
    tot = fr.set_index("code")[["c_above", "c_below", "c_soil", "c_dead"]].sum(axis=1)
    missing = sorted(set(groups) - set(tot.index))
    if missing:
        raise InputValidationError([Issue("pools", f"the pools table has no rows for the map's codes {missing}; "
                                                   f"expected a row for every code: add them")])
    out: dict[str, float] = {}
    for g in dict.fromkeys(groups.values()):
        codes = [c for c, gg in groups.items() if gg == g]
        w = np.array([counts.get(c, 0) for c in codes], float)
        d = np.array([tot[c] for c in codes], float)
        out[g] = float((w * d).sum() / w.sum()) if w.sum() > 0 else float(d.mean())
    return out


def map_counts(lu: xr.DataArray) -> tuple[dict[int, int], int, float]:
    a = np.asarray(lu.data)
    nd = lu.rio.nodata
    codes = unique_codes(a, nd)
    cnt = np.bincount((a[a != nd] if nd is not None else a.ravel()).astype(np.int64) - int(codes.min()))
    counts = {int(c): int(cnt[int(c) - int(codes.min())]) for c in codes}
    ra = row_areas_ha(grid_of(lu))
    if not np.allclose(ra, ra[0]):
        raise InputValidationError([Issue("landuse", "structure optimisation needs equal-area cells (a projected "
                                                     "map); reproject the map to an equal-area or UTM CRS")])
    return counts, int(sum(counts.values())), float(ra[0])


# --------------------------------------------------------------------------------------------------
# the options: the command line over the plan
def _cfg(ctx: RunContext) -> tuple[dict, Path | None, list[Issue]]:
    return option_table(ctx, "optimize", lambda d: PLAN_SCHEMA)


def _opts(ctx: RunContext) -> dict[str, Any]:
    """The [optimize] table with the command line's values over it; file inputs as paths (plan ones resolved)."""
    def f() -> dict[str, Any]:
        cfg, base, _ = _cfg(ctx)
        out = dict(cfg)
        for k in _PLAN_INPUTS:
            if _set(ctx.get(k)):
                out[k] = ctx.get(k)
            elif k in _FILES and cfg.get(k) is not None:
                out[k] = str(plan_path(cfg[k], base))
        out["plan_objectives"] = list(cfg.get("objectives") or ())
        out["objectives"] = list(out.get("objectives") or DEFAULT_OBJECTIVES)
        out.setdefault("method", "nsga2" if len(out["objectives"]) > 1 else "lp")
        esv = dict(out.get("esv") or {})
        if esv.get("crops") is not None:
            esv["crops"] = str(plan_path(esv["crops"], base))
        out["esv"] = esv
        return out

    return memo(ctx, "optimize_opts", f)


def _set(v: Any) -> bool:
    return v is not None and not (isinstance(v, list | dict) and not v)


def _from_plan(ctx: RunContext, key: str) -> bool:
    return not _set(ctx.get(key)) and _cfg(ctx)[0].get(key) is not None


def _landuse(ctx: RunContext) -> xr.DataArray:
    if ctx.get("landuse") is not None:
        return ctx.raster("landuse")
    return ctx.resolver.raster(_opts(ctx)["landuse"], categorical=True, name="landuse")


def check_optimize(ctx: RunContext) -> list[Issue]:
    cfg, _, issues = _cfg(ctx)
    if issues:
        return issues
    o = _opts(ctx)
    plan_vals = {k: o[k] for k in _FILES if _from_plan(ctx, k)}
    if plan_vals:
        issues += plan_file_issues(ctx, {**plan_vals, "zone_field": o.get("zone_field"), "align": ctx.get("align")},
                                   "[optimize]")
    issues += zone_issues(ctx, o.get("zones"))
    for key in ("landuse", "scheme"):
        if o.get(key) is None:
            issues.append(Issue(key, "is required (here or in the plan's [optimize] table) but was not given"))
    bad = [x for x in o["objectives"] if x not in OBJECTIVES]
    for x in bad:
        issues.append(Issue("plan", f"[optimize] objectives: {x!r} is not an objective{did_you_mean(x, OBJECTIVES)}; "
                                    f"expected some of {', '.join(OBJECTIVES)}"))
    method = o["method"]
    if method not in METHODS:
        issues.append(Issue("plan", f"[optimize] method {method!r} is unknown{did_you_mean(str(method), METHODS)}; "
                                    f"expected one of {', '.join(METHODS)}"))
    issues += _method_issues(ctx, o)
    if not bad:
        issues += _coefficient_issues(o)
    if issues:
        return issues
    if o.get("scheme") is not None and o.get("landuse") is not None:
        issues += scheme_issues(ctx, {"landuse" if ctx.get("landuse") is not None else "plan": _landuse(ctx)},
                                o["scheme"])
    return issues


def _method_issues(ctx: RunContext, o: Mapping[str, Any]) -> list[Issue]:
    """Options the chosen method does not use (they would do nothing), and what it needs."""
    method, objs, issues = o["method"], o["objectives"], []
    where = {k: ("plan" if _from_plan(ctx, k) else k) for k in ("lp_objective", "pop_size", "n_gen", "compromise",
                                                                 "seed", "weights")}
    unused = {"lp": ("pop_size", "n_gen", "compromise", "weights"), "weighted": (
        "lp_objective", "pop_size", "n_gen", "compromise"), "nsga2": ("lp_objective", "weights")}
    for k in unused.get(method, ()):
        if _set(o.get(k)):
            pre = "[optimize] " if where[k] == "plan" else ""
            issues.append(Issue(where[k], f"{pre}{k} is given but the method is {method!r}, which does not use it, "
                                          f"so it would do nothing; drop it or choose the method that uses it"))
    if method == "nsga2":
        if len(objs) < 2:
            issues.append(Issue("objectives", f"found {objs}; NSGA-II needs at least two objectives: add one, or use "
                                              f"the lp method for one"))
        if o.get("seed") is None:
            issues.append(Issue("seed", "is required for the nsga2 method (same seed, same front) but was not given"))
    if method == "lp" and o.get("lp_objective") is not None and o["lp_objective"] not in objs:
        issues.append(Issue(where["lp_objective"], f"lp_objective {o['lp_objective']!r} is not one of the "
                                                   f"objectives {objs}; expected one of them"))
    if method == "weighted":
        w = dict(o.get("weights") or {})
        extra = [k for k in w if k not in objs]
        if extra:
            issues.append(Issue(where["weights"], f"[optimize.weights] {extra} are not among the objectives {objs}; "
                                                  f"expected weights of the objectives only"))
        nonnum = [k for k, v in w.items() if isinstance(v, bool) or not isinstance(v, int | float)
                  or not math.isfinite(v) or v < 0]
        if nonnum:
            issues.append(Issue(where["weights"], f"[optimize.weights] {nonnum}: expected numbers ≥ 0"))
        elif w and abs(sum(w.values()) - 1.0) > 1e-6:
            issues.append(Issue(where["weights"], f"[optimize.weights] sum to {sum(w.values()):.6g}; expected 1: "
                                                  f"rescale them (divide each by {sum(w.values()):.6g})"))
    for k in ("pop_size", "n_gen", "seed"):
        v = o.get(k)
        if where[k] == "plan" and v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
            issues.append(Issue("plan", f"[optimize] {k} = {v!r}; expected a whole number ≥ 0"))
    return issues


#: constraint values: fractions (0-1) and the rest ≥ 0 (ha, persons, m²/person)
_FRACTIONS = ("forest_share_min", "water_tolerance")
#: a max_change above this (a fraction of the current area) is read as a percent given by mistake [D]
MAX_CHANGE_PLAUSIBLE = 10.0


def _constraint_issues(c: Any, where: str) -> list[Issue]:
    issues = []
    for k, v in dict(c or {}).items():
        if k in ("bounds", "extra", "unused_max_current"):
            continue
        vals = dict(v).items() if isinstance(v, Mapping) else [("", v)]
        for g, x in vals:
            name = f"{k}.{g}" if g else k
            if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
                issues.append(Issue("plan", f"[{where}] {name} = {x!r}; expected a number"))
            elif x < 0 or (k in _FRACTIONS and x > 1):
                rng = "a fraction 0-1" if k in _FRACTIONS else "a value ≥ 0"
                issues.append(Issue("plan", f"[{where}] {name} = {x!r}; expected {rng}"))
            elif k == "max_change" and x > MAX_CHANGE_PLAUSIBLE:
                issues.append(Issue("plan", f"[{where}] {name} = {x!r} allows a change of ±{x:.0%} of the current "
                                            f"area; it looks like a percent: give the fraction ({x / 100:g})"))
    for g, b in dict(dict(c or {}).get("bounds") or {}).items():
        ok = isinstance(b, list | tuple) and len(b) == 2 and all(isinstance(x, int | float) and not isinstance(
            x, bool) for x in b)
        if not ok or b[0] < 0 or b[0] > b[1]:
            issues.append(Issue("plan", f"[{where}.bounds] {g} = {b!r}; expected [lower, upper] in ha, 0 ≤ lower ≤ "
                                        f"upper"))
    return issues


def _coefficient_issues(o: Mapping[str, Any]) -> list[Issue]:
    """What each objective needs from the plan, checked before the map is read."""
    issues, objs = [], o["objectives"]
    issues += _constraint_issues(o.get("constraints"), "optimize.constraints")
    for z, zc in dict(o.get("zone_constraints") or {}).items():
        issues += _constraint_issues(zc, f"optimize.zone_constraints.{z}")
    if "economy" in objs:
        econ = dict(o.get("economy") or {})
        if not econ:
            issues.append(Issue("plan", "the economy objective needs [optimize.economy]: output per ha (CNY/ha) of "
                                        "every class group (cropland = …); there are no defaults"))
        bad = {k: v for k, v in econ.items() if isinstance(v, bool) or not isinstance(v, int | float)}
        if bad:
            issues.append(Issue("plan", f"[optimize.economy] {bad}: expected numbers (CNY/ha)"))
    elif o.get("economy") and "economy" not in (o.get("plan_objectives") or ()):
        issues.append(Issue("plan", "[optimize.economy] is given but economy is not an objective, so it would do "
                                    "nothing; add the objective or drop the table"))
    e = dict(o.get("esv") or {})
    if "esv" in objs:
        if e.get("unit_value_CNY_per_ha") is None and e.get("crops") is None:
            issues.append(Issue("plan", "the esv objective needs [optimize.esv] unit_value_CNY_per_ha (CNY/ha), or "
                                        "crops = a crop table for the 1/7 rule"))
        if str(e.get("version", "2015")) == "2015" and e.get("paddy_share") is None and "cropland" not in dict(
                e.get("crosswalk") or {}):
            issues.append(Issue("plan", "the esv objective with the Xie 2015 table needs [optimize.esv] paddy_share "
                                        "(0-1, from statistics), or version = \"2003\""))
        if e.get("crops") is not None and not Path(e["crops"]).is_file():
            issues.append(Issue("plan", f"[optimize.esv] crops: file {e['crops']} does not exist; check the path"))
    elif e and "esv" not in (o.get("plan_objectives") or ()):
        issues.append(Issue("plan", "[optimize.esv] is given but esv is not an objective, so it would do nothing; "
                                    "add the objective or drop the table"))
    if "carbon" not in objs and (o.get("pools") is not None or o.get("pools_set") is not None):
        issues.append(Issue("pools", "is given but carbon is not an objective, so it would do nothing; drop it"))
    return issues


# --------------------------------------------------------------------------------------------------
# the run
def _coefficients(ctx: RunContext, o: Mapping[str, Any], groups: Mapping[int, str], counts: Mapping[int, int],
                  present: list[str], notes: list[str]) -> tuple[dict[str, Any], Any]:
    coeffs: dict[str, Any] = {"carbon": None, "emissions": None, "economy": None, "esv": None}
    objectives = o["objectives"]
    if "carbon" in objectives:
        if o.get("pools") is not None:
            pools = ctx.table("pools") if ctx.get("pools") is not None else ctx.resolver.table(o["pools"])
            coeffs["carbon"] = group_densities_from_pools(pools, groups, counts)
            if _from_plan(ctx, "pools"):
                ctx.run.add_input("plan:pools", o["pools"])
            notes.append("carbon densities: user pools table, area-weighted within groups")
        else:
            set_id = o.get("pools_set", DEFAULT_POOLS_SET)
            dens, cite = group_densities_from_set(set_id)
            coeffs["carbon"] = {g: dens[g] for g in present}
            notes.append(f"carbon densities: shipped set {set_id} (tag L/V+D; {cite})")
    if "emissions" in objectives:
        cs = coef_mod.load_landuse_coefficients(o.get("emission_set", "cn_common_A"))
        em = {g: cs.coefficient(g) for g in present}
        if em.get("built_up") is None and "built_up" in present:
            e_c = o.get("built_up_emission_tC_per_ha_yr")
            if e_c is None:
                raise InputValidationError([Issue("plan", f"the emission objective needs built-up land's coefficient "
                                                          f"e_c (Mg C/(ha·a)); set {cs.set_id} takes it from the "
                                                          f"energy method (methods.md §3.3): give [optimize] "
                                                          f"built_up_emission_tC_per_ha_yr")])
            em["built_up"] = float(e_c)
        coeffs["emissions"] = em
        notes.append(f"emission coefficients: set {cs.set_id} ({cs.citation})")
    if "economy" in objectives:
        econ = {str(k): float(v) for k, v in dict(o["economy"]).items()}
        miss = [g for g in present if g not in econ]
        if miss:
            raise InputValidationError([Issue("plan", f"[optimize.economy] has no output per ha for {miss}, which the "
                                                      f"map holds; expected a value (CNY/ha) for each of {present}")])
        coeffs["economy"] = econ
    esv_coef = None
    if "esv" in objectives:
        e = dict(o["esv"])
        esv_mod.check_options(e)
        ea = float(e["unit_value_CNY_per_ha"]) if e.get("unit_value_CNY_per_ha") is not None else \
            esv_mod.unit_value(ctx.resolver.table(e["crops"]))
        esv_coef = esv_mod.coefficients(str(e.get("version", "2015")), unit_value_CNY_per_ha=ea,
                                        paddy_share=e.get("paddy_share"), crosswalk=e.get("crosswalk"),
                                        regional_factor=float(e.get("regional_factor", 1.0)),
                                        price_year=e.get("price_year"))
        vals = esv_mod.group_values(esv_coef)
        coeffs["esv"] = {g: vals[g] for g in present}
        notes.append("ESV: " + esv_coef.describe())
    return coeffs, esv_coef


def _zonal_inputs(ctx: RunContext, lu: xr.DataArray, o: Mapping[str, Any], groups: Mapping[int, str],
                  present: list[str], cell_ha: float) -> dict[str, Any]:
    """Cells per zone and code, current areas per zone and group, and the valid cells outside every zone."""
    zz, zt = zones_on(ctx, lu, o["zones"], o.get("zone_field"), o.get("zone_layer"))
    a = np.asarray(lu.data)
    nd = lu.rio.nodata
    valid = a != nd if nd is not None else np.ones(a.shape, bool)
    cells: dict[str, dict[int, int]] = {}
    vz: dict[str, int] = {}
    rows = {}
    for zid, zname in zip(zt["zone_id"], zt["zone"]):
        codes, n = np.unique(a[valid & (zz == zid)], return_counts=True)
        if n.sum() == 0:
            continue
        cells[zname] = {int(c): int(k) for c, k in zip(codes, n)}
        vz[zname] = int(n.sum())
        rows[zname] = {g: sum(k for c, k in cells[zname].items() if groups[c] == g) * cell_ha for g in present}
    outside = valid & (zz == 0)
    if outside.any():
        ctx.warn(f"{int(outside.sum())} valid cells lie outside every zone: they keep their class in demand.csv",
                 area_ha=area_ha(outside, lu))
    out_codes, out_n = np.unique(a[outside], return_counts=True)
    return {"current": pd.DataFrame(rows).T[present], "cells": cells, "valid": vz,
            "outside": {int(c): int(k) for c, k in zip(out_codes, out_n)}, "outside_cells": int(out_n.sum())}


def execute_optimize(ctx: RunContext) -> dict:
    o = _opts(ctx)
    lu = _landuse(ctx)
    if _from_plan(ctx, "landuse"):
        ctx.run.add_input("plan:landuse", o["landuse"])
    sch = scheme_of(ctx, o["scheme"])
    counts, valid, cell_ha = map_counts(lu)
    groups = {c: sch[c].group for c in counts}
    present = [g for g in GROUPS if g in groups.values()]
    current = {g: sum(n for c, n in counts.items() if groups[c] == g) * cell_ha for g in present}
    notes: list[str] = []
    objectives = o["objectives"]
    coeffs, _ = _coefficients(ctx, o, groups, counts, present, notes)
    kw = dict(carbon_density=coeffs["carbon"], emission_coef=coeffs["emissions"], economy=coeffs["economy"],
              esv=coeffs["esv"])
    # the whole-map problem: solved directly, and used to evaluate any structure by group
    flat = build_problem(current, **kw, constraints=o.get("constraints"), total=valid * cell_ha)
    zonal = None
    if o.get("zones") is not None:
        zonal = _zonal_inputs(ctx, lu, o, groups, present, cell_ha)
        if _from_plan(ctx, "zones"):
            ctx.run.add_input("plan:zones", o["zones"])
        prob = build_problem_by_zone(zonal["current"], **kw, constraints=o.get("constraints"),
                                     zone_constraints=o.get("zone_constraints"))
        notes.append(f"variables by zone: {len(zonal['current'])} zones x {len(present)} classes; "
                     f"{zonal['outside_cells']} valid cells outside every zone keep their class")
    else:
        prob = flat
    snap_to_cells(prob, cell_ha)
    ctx.run.write_table(prob.bounds_frame(), "problem_bounds.csv")
    method = o["method"]
    if method != "nsga2" and o.get("seed") is not None:
        ctx.warn(f"the seed {o['seed']} is not used: the {method} method draws no random numbers")
    with ctx.manifest.timed("solve"), ctx.progress.step(f"optimise ({method})", total=None):
        if method == "lp":
            obj = o.get("lp_objective") or objectives[0]
            x = solve_lp(prob, obj).x
            chosen_how = f"LP optimum of {obj} (HiGHS)"
        elif method == "weighted":
            w = o.get("weights") or {k: 1.0 / len(objectives) for k in objectives}
            ctx.run.write_table(payoff_table(prob, list(w)).reset_index(names="optimum_of"), "payoff_table.csv")
            x = solve_lp(prob, w).x
            chosen_how = f"weighted sum of payoff-normalised objectives {w} (HiGHS)"
        else:
            nkw = {k: int(o[k]) for k in ("pop_size", "n_gen") if o.get(k) is not None}
            pr = solve_nsga2(prob, objectives, seed=int(o["seed"]), compromise=o.get("compromise") or "ideal", **nkw)
            ctx.run.write_table(pr.front(), "pareto_front.csv")
            ctx.manifest.seeds["nsga2"] = int(o["seed"])
            x = pr.compromise
            chosen_how = f"NSGA-II front ({len(pr.f)} solutions), compromise by {pr.method}"
    if zonal is None:
        dem = demand_table(x.to_dict(), class_groups=groups, current_cells=counts, valid_cells=valid,
                           cell_area_ha=cell_ha)
        x_group = x
    else:
        dz = demand_by_zone(x, prob, class_groups=groups, current_cells=zonal["cells"], valid_cells=zonal["valid"],
                            cell_area_ha=cell_ha)
        ctx.run.write_table(dz, "demand_by_zone.csv")
        agg = dz.groupby("code").cells.sum().reindex(sorted(counts), fill_value=0)
        agg = agg + pd.Series(zonal["outside"]).reindex(agg.index, fill_value=0)
        dem = pd.DataFrame({"code": agg.index.astype(int), "cells": agg.to_numpy().astype(np.int64)})
        dem["area_ha"] = dem["cells"] * cell_ha
        x_group = x.groupby(np.array(prob.var_class)).sum().reindex(flat.classes)
        zs = pd.DataFrame({"zone": prob.var_zone, "group": prob.var_class, "current_ha": prob.current,
                           "optimised_ha": x.to_numpy(), "lower_ha": prob.lower, "upper_ha": prob.upper})
        ctx.run.write_table(zs, "structure_by_zone.csv")
    ctx.run.write_table(dem, "demand.csv")
    cur_v = np.array([current[g] for g in flat.classes])
    xg = np.array([float(x_group[g]) for g in flat.classes])
    struct = pd.DataFrame({"group": flat.classes, "current_ha": cur_v, "optimised_ha": xg, "change_ha": xg - cur_v})
    if zonal is None:
        struct["lower_ha"], struct["upper_ha"] = prob.lower, prob.upper
    ctx.run.write_table(struct, "structure.csv")
    vals_cur, vals_opt = flat.evaluate(cur_v), flat.evaluate(xg)
    # the demand table, rounded to cells, is what the simulation gets: report its objectives too
    dem_groups = {g: float(dem.loc[dem.code.map(groups) == g, "area_ha"].sum()) for g in flat.classes}
    vals_dem = flat.evaluate(np.array([dem_groups[g] for g in flat.classes]))
    cmp = {}
    if o.get("compare") is not None:
        tbl = ctx.resolver.table(o["compare"])
        if _from_plan(ctx, "compare"):
            ctx.run.add_input("plan:compare", o["compare"])
        ga = {g: float(tbl.loc[tbl["code"].map(groups) == g, "cells"].sum()) * cell_ha for g in flat.classes}
        cmp = flat.evaluate(np.array([ga[g] for g in flat.classes]))
    ctx.manifest.parameters.update({k: v for k, v in o.items() if k not in ("landuse", "scheme", "plan_objectives")
                                    and not isinstance(v, xr.DataArray)})
    ctx.manifest.notes.extend(notes)
    units = {n: ob.unit for n, ob in flat.objectives.items()}
    head = [{"label": f"{n} now -> demand table", "value": f"{vals_cur[n]:,.6g} -> {vals_dem[n]:,.6g}",
             "unit": units[n]} for n in objectives if n in vals_cur]
    return {"headline": [{"label": "method", "value": chosen_how, "unit": ""}, *head],
            "main_outputs": ["demand.csv", "structure.csv"] + (["pareto_front.csv"] if method == "nsga2" else []),
            "method": method, "chosen": chosen_how, "units": units, "objectives": objectives,
            "objectives_current": vals_cur, "objectives_optimised": vals_opt, "objectives_demand_table": vals_dem,
            "objectives_compare": cmp, "valid_cells": valid, "cell_area_ha": cell_ha,
            "demand": "demand.csv (code,cells,area_ha; the simulation's demand input)", "notes": notes}


def run_optimize(out: str | os.PathLike, *, plan: str | os.PathLike | None = None, landuse: Any = None,
                 scheme: Any = None, config: Mapping[str, Any] | None = None, overwrite: bool = True,
                 landuse_array: xr.DataArray | None = None) -> dict:
    """Optimise the class structure and write the demand table (``landcarbon optimize``). ``config``: keys of
    the plan's ``[optimize]`` table (objectives, method lp|weighted|nsga2, lp_objective, weights, seed, pop_size,
    n_gen, compromise, pools, pools_set, emission_set, built_up_emission_tC_per_ha_yr, economy, esv,
    constraints, zone_constraints, zones, zone_field, compare) over the plan's; its paths are relative to the
    working folder."""
    cfg = dict(config or {})
    values: dict[str, Any] = {"landuse": landuse_array if landuse_array is not None else landuse, "scheme": scheme}
    for k in _PLAN_INPUTS:
        if k in cfg and values.get(k) is None:
            values[k] = cfg.pop(k)
    for k in ("objectives",):
        if isinstance(values.get(k), str):
            values[k] = [values[k]]
    if isinstance(cfg.get("esv"), Mapping) and cfg["esv"].get("crops") is not None:
        cfg["esv"] = {**cfg["esv"], "crops": str(Path(cfg["esv"]["crops"]).resolve())}
    if cfg or plan is not None:
        values["plan"] = PlanTable(cfg, plan) if cfg else plan
    return run_model("optimize", values, out=out, overwrite=overwrite)
