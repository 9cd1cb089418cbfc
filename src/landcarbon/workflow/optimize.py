"""Land-structure optimisation run (methods.md §12): inputs → problem → LP / NSGA-II → demand table.

The demand table ``demand.csv`` (``code, cells, area_ha``; integer cells summing exactly to the
start map's valid cells) is what the simulation reads as its demand input, as is.
"""

from __future__ import annotations

import io as _io
import os
from collections.abc import Mapping
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..core.classes import GROUPS
from ..core.errors import InputValidationError
from ..core.grid import grid_of, row_areas_ha
from ..core.spec import Issue
from ..io import read_raster, read_table
from ..io.inputs import load_scheme, load_zones, plan_path, read_plan
from ..kernels.lookup import unique_codes
from ..models import coefficients as coef_mod
from ..models.evaluate import esv as esv_mod
from ..models.optimize import build_problem, demand_table, solve_lp, solve_nsga2
from ..models.optimize.lp import payoff_table
from ..models.optimize.problem import build_problem_by_zone, demand_by_zone, snap_to_cells
from .common import RunFolder

#: default density set (group level, tag L/V+D): the shipped demo set built from 刘冠 et al. (Mata catchment)
DEFAULT_POOLS_SET = "demo_national6_mata2021"


def group_densities_from_set(set_id: str = DEFAULT_POOLS_SET) -> tuple[dict[str, float], str]:
    """Total density (Mg C/ha) per national group from the shipped national6 density set."""
    txt = (resources.files("landcarbon") / "data" / "carbon_density_demo_national6.csv").read_text(encoding="utf-8")
    df = pd.read_csv(_io.StringIO(txt))
    df = df[df["set_id"] == set_id]
    if df.empty:
        raise InputValidationError(f"carbon density set {set_id!r} is not shipped; give a pools table instead")
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
        from ..core.errors import MissingClassError

        raise MissingClassError(f"pools table has no rows for map codes {missing}; add them", missing)
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
        raise InputValidationError("structure optimisation needs equal-area cells (a projected map); reproject "
                                   "the map to an equal-area or UTM CRS")
    return counts, int(sum(counts.values())), float(ra[0])


def _zonal_inputs(lu: xr.DataArray, cfg: Mapping[str, Any], base, groups: Mapping[int, str], present: list[str],
                  cell_ha: float) -> dict[str, Any]:
    """Cells per zone and code, current areas per zone and group, and the valid cells outside every zone."""
    zr, zone_names = load_zones(cfg["zones"], field=cfg.get("zone_field"), like=lu, base=base)
    a = np.asarray(lu.data)
    nd = lu.rio.nodata
    valid = a != nd if nd is not None else np.ones(a.shape, bool)
    zz = np.asarray(zr.data)
    names = dict(enumerate(zone_names, start=1))
    cells: dict[str, dict[int, int]] = {}
    vz: dict[str, int] = {}
    rows = {}
    for zid, zname in names.items():
        sel = valid & (zz == zid)
        codes, n = np.unique(a[sel], return_counts=True)
        if n.sum() == 0:
            continue
        cells[zname] = {int(c): int(k) for c, k in zip(codes, n)}
        vz[zname] = int(n.sum())
        rows[zname] = {g: sum(k for c, k in cells[zname].items() if groups[c] == g) * cell_ha for g in present}
    out_codes, out_n = np.unique(a[valid & (zz == 0)], return_counts=True)
    return {"current": pd.DataFrame(rows).T[present], "cells": cells, "valid": vz,
            "outside": {int(c): int(k) for c, k in zip(out_codes, out_n)}, "outside_cells": int(out_n.sum())}


def run_optimize(out: str | os.PathLike, *, plan: str | os.PathLike | None = None, landuse: Any = None,
                 scheme: Any = None, config: Mapping[str, Any] | None = None, overwrite: bool = True,
                 landuse_array: xr.DataArray | None = None) -> dict:
    """Optimise the class structure and write the demand table. ``config`` = the plan's ``[optimize]``
    table (keys: objectives, method lp|weighted|nsga2, lp_objective, weights, seed, pop_size, n_gen,
    compromise, pools, pools_set, emission_set, built_up_emission_tC_per_ha_yr, economy, esv,
    constraints, compare)."""
    cfg, base = read_plan(plan, "optimize")
    cfg = {**cfg, **dict(config or {})}
    landuse = landuse or cfg.get("landuse")
    scheme = scheme or cfg.get("scheme")
    with RunFolder(out, "optimize", overwrite=overwrite) as run:
        if plan is not None:
            run.add_input("plan", plan)
        if landuse_array is not None:
            lu = landuse_array
        else:
            if landuse is None:
                raise InputValidationError([Issue("landuse", "optimize needs the start land-use map; give landuse "
                                                             "(a GeoTIFF of class codes)")])
            lu = read_raster(plan_path(landuse, base), categorical=True, chunks=None, name="landuse")
            run.add_input("landuse", plan_path(landuse, base))
        if scheme is None:
            raise InputValidationError([Issue("scheme", "optimize needs a class scheme mapping codes to national "
                                                        "groups; give a built-in name or a CSV table (code, group)")])
        sch = load_scheme(scheme, base=base)
        counts, valid, cell_ha = map_counts(lu)
        sch.check_codes(counts, "start map")
        groups = {c: sch[c].group for c in counts}
        present = [g for g in GROUPS if g in groups.values()]
        current = {g: sum(n for c, n in counts.items() if groups[c] == g) * cell_ha for g in present}
        notes: list[str] = []
        objectives = list(cfg.get("objectives", ["carbon", "esv"]))
        coeffs: dict[str, dict[str, float] | None] = {"carbon": None, "emissions": None, "economy": None, "esv": None}
        if "carbon" in objectives:
            if cfg.get("pools"):
                pools = read_table(plan_path(cfg["pools"], base))
                run.add_input("pools", plan_path(cfg["pools"], base))
                coeffs["carbon"] = group_densities_from_pools(pools, groups, counts)
                notes.append("carbon densities: user pools table, area-weighted within groups")
            else:
                dens, cite = group_densities_from_set(cfg.get("pools_set", DEFAULT_POOLS_SET))
                coeffs["carbon"] = {g: dens[g] for g in present}
                notes.append(f"carbon densities: shipped set {cfg.get('pools_set', DEFAULT_POOLS_SET)} (tag L/V+D; "
                             f"{cite})")
        if "emissions" in objectives:
            cs = coef_mod.load_landuse_coefficients(cfg.get("emission_set", "cn_common_A"))
            em = {g: cs.coefficient(g) for g in present}
            if em.get("built_up") is None and "built_up" in present:
                e_c = cfg.get("built_up_emission_tC_per_ha_yr")
                if e_c is None:
                    raise InputValidationError(
                        f"the emission objective needs built-up land's coefficient e_c (Mg C/(ha·a)); set "
                        f"{cs.set_id} takes it from the energy method (methods.md §3.3): give "
                        f"built_up_emission_tC_per_ha_yr in the plan")
                em["built_up"] = float(e_c)
            coeffs["emissions"] = em
            notes.append(f"emission coefficients: set {cs.set_id} ({cs.citation})")
        if "economy" in objectives:
            econ = cfg.get("economy")
            if not econ:
                raise InputValidationError("the economy objective needs output per ha for every class "
                                           "([optimize.economy] cropland = CNY/ha, …); there are no defaults")
            coeffs["economy"] = {str(k): float(v) for k, v in econ.items()}
        esv_coef = None
        if "esv" in objectives:
            e = dict(cfg.get("esv", {}))
            if e.get("unit_value_CNY_per_ha") is None and e.get("crops") is None:
                raise InputValidationError("the esv objective needs [optimize.esv] unit_value_CNY_per_ha (or crops = "
                                           "table for the 1/7 rule), and paddy_share for the 2015 table")
            ea = float(e["unit_value_CNY_per_ha"]) if e.get("unit_value_CNY_per_ha") is not None else \
                esv_mod.unit_value(read_table(plan_path(e["crops"], base)))
            esv_coef = esv_mod.coefficients(str(e.get("version", "2015")), unit_value_CNY_per_ha=ea,
                                            paddy_share=e.get("paddy_share"),
                                            regional_factor=float(e.get("regional_factor", 1.0)),
                                            price_year=e.get("price_year"))
            vals = esv_mod.group_values(esv_coef)
            coeffs["esv"] = {g: vals[g] for g in present}
            notes.append("ESV: " + esv_coef.describe())
        unknown = [o for o in objectives if o not in coeffs]
        if unknown:
            raise InputValidationError(f"unknown objectives {unknown}; expected carbon, emissions, economy, esv")
        kw = dict(carbon_density=coeffs["carbon"], emission_coef=coeffs["emissions"], economy=coeffs["economy"],
                  esv=coeffs["esv"])
        # the whole-map problem: solved directly, and used to evaluate any structure by group
        flat = build_problem(current, **kw, constraints=cfg.get("constraints"), total=valid * cell_ha)
        zonal = None
        if cfg.get("zones"):
            zonal = _zonal_inputs(lu, cfg, base, groups, present, cell_ha)
            run.add_input("zones", plan_path(cfg["zones"], base))
            prob = build_problem_by_zone(zonal["current"], **kw, constraints=cfg.get("constraints"),
                                         zone_constraints=cfg.get("zone_constraints"))
            notes.append(f"variables by zone: {len(zonal['current'])} zones x {len(present)} classes; "
                         f"{zonal['outside_cells']} valid cells outside every zone keep their class")
        else:
            prob = flat
        snap_to_cells(prob, cell_ha)
        run.write_table(prob.bounds_frame(), "problem_bounds.csv")
        method = cfg.get("method", "nsga2" if len(objectives) > 1 else "lp")
        seed = cfg.get("seed")
        with run.manifest.timed("solve"):
            if method == "lp":
                obj = cfg.get("lp_objective", objectives[0])
                res = solve_lp(prob, obj)
                x = res.x
                chosen_how = f"LP optimum of {obj} (HiGHS)"
            elif method == "weighted":
                w = cfg.get("weights") or {o: 1.0 / len(objectives) for o in objectives}
                run.write_table(payoff_table(prob, list(w)).reset_index(names="optimum_of"), "payoff_table.csv")
                res = solve_lp(prob, w)
                x = res.x
                chosen_how = f"weighted sum of payoff-normalised objectives {w} (HiGHS)"
            elif method == "nsga2":
                if seed is None:
                    raise InputValidationError([Issue("seed", "NSGA-II needs a seed (an integer, recorded in the "
                                                              "manifest)")])
                pr = solve_nsga2(prob, objectives, seed=int(seed), pop_size=int(cfg.get("pop_size", 100)),
                                 n_gen=int(cfg.get("n_gen", 200)), compromise=cfg.get("compromise", "ideal"))
                run.write_table(pr.front(), "pareto_front.csv")
                run.manifest.seeds["nsga2"] = int(seed)
                x = pr.compromise
                chosen_how = f"NSGA-II front ({len(pr.f)} solutions), compromise by {pr.method}"
            else:
                raise InputValidationError(f"method {method!r}; expected lp, weighted or nsga2")
        if zonal is None:
            dem = demand_table(x.to_dict(), class_groups=groups, current_cells=counts, valid_cells=valid,
                               cell_area_ha=cell_ha)
            x_group = x
        else:
            dz = demand_by_zone(x, prob, class_groups=groups, current_cells=zonal["cells"],
                                valid_cells=zonal["valid"], cell_area_ha=cell_ha)
            run.write_table(dz, "demand_by_zone.csv")
            agg = dz.groupby("code").cells.sum().reindex(sorted(counts), fill_value=0)
            agg = agg + pd.Series(zonal["outside"]).reindex(agg.index, fill_value=0)
            dem = pd.DataFrame({"code": agg.index.astype(int), "cells": agg.to_numpy().astype(np.int64)})
            dem["area_ha"] = dem["cells"] * cell_ha
            x_group = x.groupby(np.array(prob.var_class)).sum().reindex(flat.classes)
            zs = pd.DataFrame({"zone": prob.var_zone, "group": prob.var_class, "current_ha": prob.current,
                               "optimised_ha": x.to_numpy(), "lower_ha": prob.lower, "upper_ha": prob.upper})
            run.write_table(zs, "structure_by_zone.csv")
        run.write_table(dem, "demand.csv")
        cur_v = np.array([current[g] for g in flat.classes])
        xg = np.array([float(x_group[g]) for g in flat.classes])
        struct = pd.DataFrame({"group": flat.classes, "current_ha": cur_v, "optimised_ha": xg, "change_ha": xg - cur_v})
        if zonal is None:
            struct["lower_ha"], struct["upper_ha"] = prob.lower, prob.upper
        run.write_table(struct, "structure.csv")
        vals_cur = flat.evaluate(cur_v)
        vals_opt = flat.evaluate(xg)
        # the demand table, rounded to cells, is what the simulation gets: report its objectives too
        dem_groups = {g: float(dem.loc[dem.code.map(groups) == g, "area_ha"].sum()) for g in flat.classes}
        vals_dem = flat.evaluate(np.array([dem_groups[g] for g in flat.classes]))
        cmp = {}
        if cfg.get("compare"):
            tbl = read_table(plan_path(cfg["compare"], base))
            run.add_input("compare", plan_path(cfg["compare"], base))
            ga = {g: float(tbl.loc[tbl["code"].map(groups) == g, "cells"].sum()) * cell_ha for g in flat.classes}
            cmp = flat.evaluate(np.array([ga[g] for g in flat.classes]))
        run.manifest.parameters.update({k: v for k, v in cfg.items() if k not in ("landuse",)})
        run.manifest.notes.extend(notes)
        units = {n: o.unit for n, o in flat.objectives.items()}
        run.summary = {
            "method": method, "chosen": chosen_how, "units": units,
            "objectives_current": vals_cur, "objectives_optimised": vals_opt, "objectives_demand_table": vals_dem,
            "objectives_compare": cmp, "valid_cells": valid, "cell_area_ha": cell_ha,
            "demand": "demand.csv (code,cells,area_ha; the simulation's demand input)", "notes": notes,
        }
    return run.summary
