"""双评价 step (``landcarbon evaluate suitability``, methods.md §10): the plan's [suitability] table supplies
factor rasters, thresholds, fill levels and matrices (keys checked; paths relative to the plan)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ...core.errors import LandcarbonError
from ...core.spec import Issue
from ...core.validation import did_you_mean
from ...io.inputs import plan_path
from ...models.evaluate import suitability as su
from ...models.evaluate.suitability_spec import plan_schema
from ..runner import RunContext, run_model
from ..steps import (
    aligned,
    area_ha,
    option_table,
    plan_file_issues,
    raster_issue,
    valid_mask,
    warn_outside,
    write_output_raster,
    zone_issues,
    zones_on,
)


def _suit_cfg(ctx: RunContext) -> tuple[dict, Path | None, list[Issue]]:
    return option_table(ctx, "suitability", lambda d: plan_schema(str(d.get("profile", "2019_cug"))))


def _suit_inputs(ctx: RunContext) -> dict[str, Any]:
    """dem, landuse, zones, zone_field, zone_layer: the command's, else the plan's (relative to the plan)."""
    cfg, base, _ = _suit_cfg(ctx)
    inputs = dict(cfg.get("inputs", {}))
    out = {}
    for k in ("dem", "landuse", "zones", "zone_field", "zone_layer"):
        v = ctx.get(k)
        if v is None and inputs.get(k) is not None:
            v = inputs[k] if k.startswith("zone_") else str(plan_path(inputs[k], base))
        out[k] = v
    return out


def check_suitability(ctx: RunContext) -> list[Issue]:
    cfg, base, issues = _suit_cfg(ctx)
    if issues:
        return issues
    inp = _suit_inputs(ctx)
    plan_given = {k: v for k, v in inp.items() if v is not None and ctx.get(k) is None}
    if plan_given:
        issues += plan_file_issues(ctx, {**{k: ctx.get(k) for k in inp if ctx.get(k) is not None}, **plan_given,
                                    "align": ctx.get("align")}, "[suitability.inputs]")
    issues += zone_issues(ctx, inp["zones"])
    profile = str(cfg.get("profile", "2019_cug"))
    if profile not in su.PROFILES:
        issues.append(Issue("plan", f"[suitability] profile {profile!r} is not shipped"
                                    f"{did_you_mean(profile, su.PROFILES)}; expected one of {', '.join(su.PROFILES)}"))
    evs = list(ctx.get("evaluations") or cfg.get("evaluations") or su.EVALUATIONS)
    bad = [e for e in evs if e not in su.EVALUATIONS]
    if bad:
        issues.append(Issue("plan", f"[suitability] evaluations {bad}: unknown{did_you_mean(bad[0], su.EVALUATIONS)}"
                                    f"; expected some of {', '.join(su.EVALUATIONS)}"))
    factors = dict(cfg.get("factors", {}))
    rasters = {}
    for k, v in factors.items():
        if isinstance(v, bool) or not isinstance(v, int | float | str):
            issues.append(Issue("plan", f"[suitability.factors] {k} = {v!r}; expected a raster path or a number"))
        elif isinstance(v, str):
            bad_r = raster_issue(ctx, "plan", f"[suitability.factors] {k}", plan_path(v, base))
            if bad_r:
                issues.append(bad_r)
            else:
                rasters[k] = plan_path(v, base)
    ref = inp["dem"] if inp["dem"] is not None else next(iter(rasters.values()), None)
    if issues:
        return issues  # a plan's files that do not open: the checks below need them
    if ref is None:
        issues.append(Issue("dem", "is required: 双评价 needs a DEM (here or in [suitability.inputs]) or a factor "
                                   "raster in [suitability.factors] to define the grid"))
    elif not ctx.get("align") and isinstance(ref, str | os.PathLike):
        g = ctx.resolver.grid(ref)
        for k, p in rasters.items():
            if ctx.resolver.grid(p) != g:
                issues.append(Issue("plan", f"[suitability.factors] {k}: {Path(p).name} is on grid "
                                            f"{ctx.resolver.grid(p)}, not the DEM's {g}; expected one grid: resample "
                                            f"it, or set ⟨align⟩"))
    for k, v in dict(cfg.get("matrices", {})).items():
        try:
            su.matrix_from_frame(ctx.resolver.table(plan_path(v, base)), k)
        except (LandcarbonError, ValueError) as err:
            issues.append(Issue("plan", f"[suitability.matrices] {k}: {err}"))
    opts = dict(cfg.get("options", {}))
    ex = opts.get("eco_exclusion_level", 3)
    if isinstance(ex, bool) or ex not in (1, 2, 3):
        issues.append(Issue("plan", f"[suitability.options] eco_exclusion_level = {ex!r}; expected a 3-level class "
                                    f"1, 2 or 3"))
    rw = opts.get("relief_window_cells")
    if rw is not None and (isinstance(rw, bool) or not isinstance(rw, int) or rw < 3 or rw % 2 == 0):
        issues.append(Issue("plan", f"[suitability.options] relief_window_cells = {rw!r}; expected an odd whole "
                                    f"number of cells ≥ 3"))
    issues += _option_issues(ctx, cfg, base, factors, evs, profile)
    has_slope = inp["dem"] is not None or "slope" in factors
    need = [e for e in evs if e in ("agriculture", "urban")]
    if need and not has_slope and not issues:
        issues.append(Issue("dem", f"{' and '.join(need)} suitability needs slope: give the DEM (or a slope factor "
                                   f"raster in [suitability.factors])"))
    explicit = ctx.get("evaluations") or cfg.get("evaluations")  # all three is the default: a warning then
    if explicit and "ecology" in explicit and set(explicit) != set(su.EVALUATIONS) \
            and not _eco_possible(factors, inp["dem"] is not None, profile):
        issues.append(Issue("evaluations", "ecology was asked for, but no ecological layer can be built: give "
                                           "service_<name> levels, fragility_<index> levels or every factor of a "
                                           "fragility index in [suitability.factors] (see missing_factors), or drop "
                                           "ecology"))
    return issues


#: fill step -> (evaluation, factors that make the fill unused)
_FILL_USE = {"water": ("agriculture", su.AGRI_WATER_FACTORS), "climate": ("agriculture", su.AGRI_CLIMATE_FACTORS),
             "urban_water": ("urban", ("urban_water_level",)),
             "geological hazard": ("urban", su.URBAN_HAZARD_FACTORS), "location": ("urban", su.URBAN_LOCATION_FACTORS)}
#: plausible elevations (m): below the Dead Sea shore, above Everest a unit (dm, cm) is suspected
DEM_PLAUSIBLE = (-500.0, 9000.0)
#: factor -> (largest plausible value, the unit it is in, the unit suspected above it) [D]
FACTOR_PLAUSIBLE = {"annual_precipitation": (12_000.0, "mm/a", "0.1 mm"),
                    "accumulated_temp_0c": (11_000.0, "°C·d", "0.1 °C·d"), "slope": (90.0, "degree", "%")}


def _option_issues(ctx: RunContext, cfg: Mapping[str, Any], base: Path | None, factors: Mapping[str, Any],
                   evs: list[str], profile: str) -> list[Issue]:
    """Values of the plan's tables outside their range, and fills or thresholds that would do nothing."""
    issues = []
    for k, v in factors.items():
        if isinstance(v, int | float) and not isinstance(v, bool) and v < 0:
            issues.append(Issue("plan", f"[suitability.factors] {k} = {v!r}; expected a value ≥ 0 (in the unit of "
                                        f"its thresholds)"))
    thr = su.load_thresholds(profile) if profile in su.PROFILES else None
    for key, o in dict(cfg.get("thresholds", {})).items():
        if not isinstance(o, Mapping) or o.get("breaks") is None:
            issues.append(Issue("plan", f"[suitability.thresholds.\"{key}\"] needs breaks (four numbers, best → "
                                        f"worst) and a direction"))
            continue
        ev, _, fk = key.rpartition(".")
        rows = thr[(thr["key"] == fk) & (thr["evaluation"].isin([ev, "both"] if ev else ["agriculture", "urban",
                                                                                       "both"]))] if thr is not None \
            else None
        direction = o.get("direction") or (rows.iloc[0]["direction"] if rows is not None and len(rows) else None)
        problem = su.check_breaks(o["breaks"], str(direction))
        if problem:
            issues.append(Issue("plan", f"[suitability.thresholds.\"{key}\"]: {problem}"))
    for k, v in dict(cfg.get("fill", {})).items():
        if isinstance(v, bool) or v not in (1, 2, 3, 4, 5):
            issues.append(Issue("plan", f"[suitability.fill] {k} = {v!r}; expected a level 1-5"))
            continue
        ev, given = _FILL_USE.get(k, ("", ()))
        used_by = [f for f in given if f in factors]
        if ev and (ev not in evs or used_by):
            why = f"the {ev} evaluation is not run" if ev not in evs else f"{', '.join(used_by)} is given"
            issues.append(Issue("plan", f"[suitability.fill] {k} would do nothing: {why}; drop it"))
    for k, v in dict(cfg.get("matrices", {})).items():
        try:
            m = ctx.resolver.table(plan_path(v, base))
        except LandcarbonError:
            continue
        rows = [str(x).strip() for x in m.iloc[:, 0]] if m.shape[1] else []
        if rows and rows != ["1", "2", "3", "4", "5"]:
            issues.append(Issue("plan", f"[suitability.matrices] {k}: the first column holds levels {rows}; expected "
                                        f"the row levels 1, 2, 3, 4, 5 once each, in order"))
    for k, (hi, unit, suspect) in FACTOR_PLAUSIBLE.items():
        v = factors.get(k)
        if v is None or ctx.get("allow_implausible") or isinstance(v, bool):
            continue
        top = float(v) if isinstance(v, int | float) else float(su.as_float(ctx.resolver.raster(
            plan_path(v, base), name=k)).max(skipna=True))
        if top > hi:
            issues.append(Issue("plan", f"[suitability.factors] {k} reaches {top:g}, above the plausible {hi:g} "
                                        f"{unit}; it looks like {suspect}: convert it to {unit}, or set "
                                        f"⟨allow_implausible⟩ if the values are right"))
    dem = ctx.get("dem")
    if dem is not None and not ctx.get("allow_implausible"):
        d = su.as_float(ctx.raster("dem"))
        lo, hi = float(d.min(skipna=True)), float(d.max(skipna=True))
        if hi > DEM_PLAUSIBLE[1] or lo < DEM_PLAUSIBLE[0]:
            issues.append(Issue("dem", f"elevations range from {lo:g} to {hi:g}; expected metres within "
                                       f"{DEM_PLAUSIBLE[0]:g} to {DEM_PLAUSIBLE[1]:g}: the DEM looks like it is in dm "
                                       f"or cm (or its nodata value is not set): convert it to m, set its nodata, or "
                                       f"set ⟨allow_implausible⟩ if the values are right"))
    return issues


def _eco_possible(factors: Mapping[str, Any], dem: bool, profile: str) -> bool:
    if any(k.startswith(("service_", "fragility_")) for k in factors):
        return True
    if profile not in su.PROFILES:
        return False
    derived = {"slope", "relief", "elevation"} if dem else set()
    eco = su.load_eco_thresholds(profile)
    return any(all(f"{i}.{f}" in factors or f in factors or f in derived for f in g["factor"])
               for i, g in eco.groupby("index"))


def execute_suitability(ctx: RunContext) -> dict:
    cfg, base, _ = _suit_cfg(ctx)
    inp = _suit_inputs(ctx)
    dem = ctx.raster("dem") if ctx.get("dem") is not None else (
        ctx.resolver.raster(inp["dem"], name="dem") if inp["dem"] is not None else None)
    lu = ctx.raster("landuse") if ctx.get("landuse") is not None else (
        ctx.resolver.raster(inp["landuse"], categorical=True, name="landuse") if inp["landuse"] is not None else None)
    if inp["dem"] is not None and ctx.get("dem") is None:
        ctx.run.add_input("plan:dem", inp["dem"])
    if inp["landuse"] is not None and ctx.get("landuse") is None:
        ctx.run.add_input("plan:landuse", inp["landuse"])
    factors: dict[str, Any] = {}
    for k, v in dict(cfg.get("factors", {})).items():
        if isinstance(v, str):
            p = plan_path(v, base)
            ctx.run.add_input(f"plan:factor:{k}", p)
            factors[k] = aligned(ctx, ctx.resolver.raster(p, name=Path(v).stem), dem, categorical=False)
        else:
            factors[k] = float(v)
    grid_like = dem if dem is not None else next(v for v in factors.values() if isinstance(v, xr.DataArray))
    if lu is not None:
        lu = aligned(ctx, lu, grid_like, categorical=True)
    matrices = {k: su.matrix_from_frame(ctx.resolver.table(plan_path(v, base)), k)
                for k, v in dict(cfg.get("matrices", {})).items()}
    opts = dict(cfg.get("options", {}))
    three = opts.get("three_level")
    three = {int(k): int(v) for k, v in three.items()} if three else None
    evaluations = tuple(ctx.get("evaluations") or cfg.get("evaluations") or su.EVALUATIONS)
    with ctx.progress.step("suitability", total=None), ctx.manifest.timed("evaluate"):
        res = su.evaluate_suitability(
            dem, factors=factors, landuse=lu, profile=cfg.get("profile", "2019_cug"), thresholds=cfg.get("thresholds"),
            fill_levels=cfg.get("fill"), matrices=matrices or None, relief_window_cells=opts.get("relief_window_cells"),
            three_level=three, eco_exclusion_level=int(opts.get("eco_exclusion_level", 3)), evaluations=evaluations)
    z, zt = zones_on(ctx, grid_like, inp["zones"], inp["zone_field"], inp["zone_layer"])
    with ctx.manifest.timed("write"):
        files = [write_output_raster(ctx, lv.data, f"{ev}_level{n}.tif", lv, nodata=0, dtype="uint8")
                 for n, d in ((5, res.level5), (3, res.level3)) for ev, lv in d.items()]
        if "slope" in res.factors:
            write_output_raster(ctx, res.factors["slope"].data, "slope_deg.tif", res.factors["slope"], dtype="float32")
        a5 = su.level_areas(res.level5, zones=z, zone_table=zt)
        a3 = su.level_areas(res.level3, zones=z, zone_table=zt, scale="level3")
        ctx.run.write_table(a5, "areas_level5.csv")
        ctx.run.write_table(a3, "areas_level3.csv")
        if lu is not None:
            ctx.run.write_table(su.level_areas(res.level3, zones=z, zone_table=zt, landuse=lu, scale="level3"),
                                "areas_level3_by_landuse.csv")
        ctx.run.write_table(res.missing_frame(), "missing_factors.csv")
        ctx.run.write_table(res.steps_frame(), "steps.csv")
        cs = _carrying(a3)
        if cs is not None:
            ctx.run.write_table(cs, "carrying_scale.csv")
    excluded = {}
    if lu is not None and res.level5:
        valid = valid_mask(lu)
        for ev, lv in res.level5.items():
            gone = valid & (np.asarray(lv.data) == 0)
            excluded[ev] = int(np.count_nonzero(gone))
            if excluded[ev]:
                ctx.warn(f"{ev}: {excluded[ev]} cells with a valid land use have no level (a factor raster is nodata "
                         f"there)", area_ha=area_ha(gone, lu))
        warn_outside(ctx, valid, z, lu)
    for note in res.notes:
        if "not evaluated" in note:
            ctx.warn(note)
    ctx.manifest.parameters.update({"profile": res.profile, "evaluations": list(res.level5), "options": opts,
                                    "thresholds": cfg.get("thresholds") or {}})
    ctx.manifest.notes.extend(n for n in res.notes if n not in ctx.manifest.notes)
    area3 = {ev: {str(r.level_en): float(r.area_ha) for r in a3[a3.evaluation == ev].groupby(
        "level_en", sort=False, as_index=False).area_ha.sum().itertuples()} for ev in res.level3}
    head = [{"label": f"{ev} {k}", "value": v, "unit": "ha"} for ev, d in area3.items() for k, v in d.items()
            if k in ("suitable", "extremely important")]
    return {"headline": [{"label": "evaluated", "value": ", ".join(res.level5), "unit": ""}, *head],
            "main_outputs": [f for f in files if "level5" in f] + ["areas_level3.csv", "missing_factors.csv"],
            "profile": res.profile, "citation": su.PROFILES[res.profile]["citation"], "evaluated": list(res.level5),
            "rasters": files, "missing_factors": res.missing,
            "cells_excluded_valid_landuse_but_factor_nodata": excluded, "area_ha_level3": area3, "notes": res.notes}


def _carrying(a3: pd.DataFrame) -> pd.DataFrame | None:
    """Short-board table per zone and use: land scale = 适宜 + 一般适宜 area; water not evaluated (NaN)."""
    rows = []
    for ev in ("agriculture", "urban"):
        d = a3[(a3.evaluation == ev) & (a3.level.isin([1, 2]))]
        for zone, g in d.groupby("zone", sort=False):
            rows.append({"use": ev, "zone": zone, "land_ha": float(g.area_ha.sum()), "water_ha": np.nan})
    if not rows:
        return None
    df = pd.DataFrame(rows)
    return pd.concat([df, su.carrying_scale(df[["land_ha", "water_ha"]])], axis=1)


def run_suitability(out: str | os.PathLike, *, plan: str | os.PathLike | None = None, dem: Any = None,
                    landuse: Any = None, zones: Any = None, zone_field: str | None = None,
                    evaluations: tuple[str, ...] | None = None, overwrite: bool = True,
                    dem_array: xr.DataArray | None = None, landuse_array: xr.DataArray | None = None) -> dict:
    """双评价 run (``landcarbon evaluate suitability``). Arguments override the plan's ``[suitability]`` table."""
    values = {"plan": plan, "dem": dem_array if dem_array is not None else dem,
              "landuse": landuse_array if landuse_array is not None else landuse, "zones": zones,
              "zone_field": zone_field, "evaluations": list(evaluations) if evaluations else None}
    return run_model("suitability", values, out=out, overwrite=overwrite)
