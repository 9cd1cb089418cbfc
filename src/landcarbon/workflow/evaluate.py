"""Runs of the planning evaluations: 双评价, MCE, control lines, intensive use, ESV (methods.md §10–12).

Each ``run_*`` loads its inputs through :mod:`landcarbon.io`, calls the models, and writes one run
folder (rasters as COG, tables as CSV, ``summary.json``, ``manifest.json`` last). Plan files are
TOML (``tomllib``); paths in a plan are relative to the plan file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..core.classes import ClassScheme
from ..core.errors import InputValidationError
from ..core.grid import ensure_aligned, grid_of, row_areas_ha
from ..core.spec import Issue
from ..io import read_raster, read_table, write_raster
from ..io.inputs import load_lines, plan_path, read_plan
from ..io.inputs import load_scheme as _load_scheme
from ..io.inputs import load_zones as _load_zones
from ..models.evaluate import control_lines as cl
from ..models.evaluate import esv as esv_mod
from ..models.evaluate import intensive as it
from ..models.evaluate import mce as mce_mod
from ..models.evaluate import suitability as su
from .common import RunFolder

# --------------------------------------------------------------------------------------------------
# plan and inputs: resolved by landcarbon.io.inputs (shared with optimize and the runner)
load_plan = read_plan  # kept for callers of the old name


def _zone_table(names: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"zone_id": np.arange(1, len(names) + 1), "zone": names})


def load_scheme(arg: str | os.PathLike | ClassScheme | None, base: Path | None = None) -> ClassScheme | None:
    """A class scheme from a built-in name or a CSV/XLSX (code, group, …); None stays None."""
    return None if arg is None else _load_scheme(arg, base=base)


def load_zones(path: Any, like: xr.DataArray, field: str | None = None, base: Path | None = None):
    """Zones (vector or raster of zone ids) on ``like``'s grid: (int32 ids 1..n, zone table) or (None, None)."""
    if path is None and field is None:
        return None, None
    z, names = _load_zones(path, field=field, like=like, base=base)
    return np.asarray(z.data), _zone_table(names)


def load_line(path: Any, like: xr.DataArray, name: str, base: Path | None = None) -> xr.DataArray:
    """A control line as a boolean mask on ``like``'s grid: vectors are reprojected and burnt;
    rasters must share the grid (GridMismatchError with the fix otherwise)."""
    return load_lines({name: path}, like=like, base=base)[name]


def _factor(v: Any, base: Path, like: xr.DataArray | None) -> Any:
    if isinstance(v, int | float):
        return float(v)
    r = read_raster(plan_path(v, base), chunks=None, name=Path(str(v)).stem)
    if like is not None:
        ensure_aligned(dem=like, **{Path(str(v)).stem: r})
    return r


def _write_levels(run: RunFolder, levels: Mapping[str, xr.DataArray], suffix: str) -> list[str]:
    out = []
    for ev, lv in levels.items():
        rel = f"{ev}_{suffix}.tif"
        write_raster(lv.data, run.path(rel), grid_of(lv), nodata=0, dtype="uint8")
        out.append(rel)
    return out


# --------------------------------------------------------------------------------------------------
# 双评价
def run_suitability(out: str | os.PathLike, *, plan: str | os.PathLike | None = None, dem: Any = None,
                    landuse: Any = None, zones: Any = None, zone_field: str | None = None,
                    evaluations: tuple[str, ...] | None = None, overwrite: bool = True,
                    dem_array: xr.DataArray | None = None, landuse_array: xr.DataArray | None = None) -> dict:
    """双评价 run. Command-line arguments override the plan's ``[suitability]`` table."""
    cfg, base = read_plan(plan, "suitability")
    inputs = dict(cfg.get("inputs", {}))
    dem = dem or inputs.get("dem")
    landuse = landuse or inputs.get("landuse")
    zones = zones or inputs.get("zones")
    zone_field = zone_field or inputs.get("zone_field")
    opts = dict(cfg.get("options", {}))
    with RunFolder(out, "evaluate suitability", overwrite=overwrite) as run:
        if plan is not None:
            run.add_input("plan", plan)
        d = dem_array if dem_array is not None else (
            read_raster(plan_path(dem, base), chunks=None, name="dem") if dem is not None else None)
        if dem is not None and dem_array is None:
            run.add_input("dem", plan_path(dem, base))
        lu = landuse_array if landuse_array is not None else (
            read_raster(plan_path(landuse, base), categorical=True, chunks=None, name="landuse")
            if landuse is not None else None)
        if landuse is not None and landuse_array is None:
            run.add_input("landuse", plan_path(landuse, base))
        factors = {k: _factor(v, base, d) for k, v in dict(cfg.get("factors", {})).items()}
        matrices = {k: su.matrix_from_frame(read_table(plan_path(v, base)), k)
                    for k, v in dict(cfg.get("matrices", {})).items()}
        three = opts.get("three_level")
        three = {int(k): int(v) for k, v in three.items()} if three else None
        with run.manifest.timed("evaluate"):
            res = su.evaluate_suitability(
                d, factors=factors, landuse=lu, profile=cfg.get("profile", "2019_cug"),
                thresholds=cfg.get("thresholds"), fill_levels=cfg.get("fill"), matrices=matrices or None,
                relief_window_cells=opts.get("relief_window_cells"), three_level=three,
                eco_exclusion_level=int(opts.get("eco_exclusion_level", 3)),
                evaluations=tuple(evaluations or cfg.get("evaluations", su.EVALUATIONS)))
        like = d if d is not None else lu
        z, zt = load_zones(zones, like, zone_field, base) if like is not None else (None, None)
        with run.manifest.timed("write"):
            files = _write_levels(run, res.level5, "level5") + _write_levels(run, res.level3, "level3")
            if "slope" in res.factors:
                write_raster(res.factors["slope"].data, run.path("slope_deg.tif"), grid_of(res.factors["slope"]),
                             dtype="float32")
            a5 = su.level_areas(res.level5, zones=z, zone_table=zt)
            a3 = su.level_areas(res.level3, zones=z, zone_table=zt, scale="level3")
            run.write_table(a5, "areas_level5.csv")
            run.write_table(a3, "areas_level3.csv")
            if lu is not None:
                run.write_table(su.level_areas(res.level3, zones=z, zone_table=zt, landuse=lu, scale="level3"),
                                "areas_level3_by_landuse.csv")
            run.write_table(res.missing_frame(), "missing_factors.csv")
            run.write_table(res.steps_frame(), "steps.csv")
            cs = _carrying(a3)
            if cs is not None:
                run.write_table(cs, "carrying_scale.csv")
        excluded = {}
        if lu is not None and res.level5:
            nd = lu.rio.nodata
            luv = np.asarray(lu.data) != nd if nd is not None else np.ones(lu.shape, bool)
            for ev, lv in res.level5.items():
                excluded[ev] = int(np.count_nonzero(luv & (np.asarray(lv.data) == 0)))
        run.manifest.parameters.update({"profile": res.profile, "evaluations": list(res.level5),
                                        "options": opts, "thresholds": cfg.get("thresholds") or {}})
        run.manifest.notes.extend(res.notes)
        run.summary = {
            "profile": res.profile, "citation": su.PROFILES[res.profile]["citation"],
            "evaluated": list(res.level5), "rasters": files,
            "missing_factors": res.missing,
            "cells_excluded_valid_landuse_but_factor_nodata": excluded,
            "area_ha_level3": {ev: {str(r.level_en): float(r.area_ha) for r in
                                    a3[a3.evaluation == ev].groupby("level_en", sort=False, as_index=False)
                                    .area_ha.sum().itertuples()} for ev in res.level3},
            "notes": res.notes,
        }
    return run.summary


def _carrying(a3: pd.DataFrame) -> pd.DataFrame | None:
    """Short-board table per zone and use: land scale = 适宜 + 一般适宜 area; water not evaluated (NaN)."""
    rows = []
    for ev in ("agriculture", "urban"):
        d = a3[(a3.evaluation == ev) & (a3.level.isin([1, 2]))]
        if d.empty:
            continue
        for zone, g in d.groupby("zone", sort=False):
            rows.append({"use": ev, "zone": zone, "land_ha": float(g.area_ha.sum()), "water_ha": np.nan})
    if not rows:
        return None
    df = pd.DataFrame(rows)
    cs = su.carrying_scale(df[["land_ha", "water_ha"]])
    return pd.concat([df, cs], axis=1)


# --------------------------------------------------------------------------------------------------
# MCE
def run_mce(out: str | os.PathLike, *, criteria: Mapping[str, Any], weights: Mapping[str, float] | None = None,
            ahp: Any = None, method: str | None = None, directions: Mapping[str, int] | None = None,
            force_ahp: bool = False, normalise: str = "minmax", seed: int = 0, overwrite: bool = True) -> dict:
    layers = {}
    with RunFolder(out, "evaluate mce", overwrite=overwrite) as run:
        for k, v in criteria.items():
            layers[k] = read_raster(v, chunks=None, name=k)
            run.add_input(f"criterion:{k}", v)
        mat = None
        if ahp is not None:
            mat = ahp if not isinstance(ahp, str | os.PathLike) else read_table(ahp)
            if isinstance(mat, pd.DataFrame):
                mat = mat.set_index(mat.columns[0])
                mat.index = [str(i) for i in mat.index]
            if isinstance(ahp, str | os.PathLike):
                run.add_input("ahp_matrix", ahp)
        res = mce_mod.weighted_overlay(layers, weights=weights, ahp_matrix=mat, method=method, directions=directions,
                                       normalise=normalise, force_ahp=force_ahp, seed=seed)
        write_raster(res.score.data, run.path("mce_score.tif"), grid_of(res.score), dtype="float32")
        cls = mce_mod.classify_score(res.score)
        write_raster(cls.data, run.path("mce_class.tif"), grid_of(cls), nodata=0, dtype="uint8")
        run.write_table(res.weights_frame(), "weights.csv")
        run.write_table(res.ranges.reset_index(), "criterion_ranges.csv")
        run.manifest.seeds["entropy_sample"] = seed
        run.manifest.parameters.update({"method": res.method, "normalise": normalise,
                                        "directions": dict(directions or {})})
        run.summary = {"method": res.method, "weights": res.weights.to_dict(),
                       "ahp": res.ahp.to_dict() if res.ahp is not None else None}
    return run.summary


# --------------------------------------------------------------------------------------------------
# control lines
def run_control_lines(out: str | os.PathLike, *, landuse: Any, lines: Mapping[str, Any], scheme: Any = None,
                      dem: Any = None, zones: Any = None, zone_field: str | None = None,
                      steep_slope_deg: float = cl.STEEP_SLOPE_DEG, redline: str = "strict", freeze_pbf: bool = False,
                      overwrite: bool = True, landuse_array: xr.DataArray | None = None,
                      line_arrays: Mapping[str, xr.DataArray] | None = None,
                      dem_array: xr.DataArray | None = None) -> dict:
    """三区三线 statistics, conflict checks (table + bit-flag raster) and the simulation rule table."""
    with RunFolder(out, "evaluate control-lines", overwrite=overwrite) as run:
        lu = landuse_array if landuse_array is not None else read_raster(landuse, categorical=True, chunks=None,
                                                                          name="landuse")
        if landuse is not None:
            run.add_input("landuse", landuse)
        if scheme is None:
            raise InputValidationError([Issue("scheme", "control lines need a class scheme to know which codes are "
                                                        "cropland and built-up; give a built-in name or a CSV "
                                                        "table (code, group)")])
        sch = _load_scheme(scheme)
        masks = dict(line_arrays or {})
        masks.update(load_lines(lines, like=lu))
        for name, path in lines.items():
            run.add_input(f"line:{name}", path)
        unknown = [k for k in masks if k not in cl.LINES]
        slope = None
        if dem_array is not None or dem is not None:
            d = dem_array if dem_array is not None else read_raster(dem, chunks=None, name="dem")
            ensure_aligned(landuse=lu, dem=d)
            slope = su.slope_degrees(d)
            if dem is not None:
                run.add_input("dem", dem)
        z, zt = load_zones(zones, lu, zone_field)
        groups = sch.group_of()
        stats = cl.line_stats(lu, masks, groups, zones=z, zone_table=zt)
        conf = cl.conflicts(lu, masks, groups, slope=slope, steep_slope_deg=steep_slope_deg, zones=z, zone_table=zt)
        rules = cl.rule_table(redline=redline, freeze_pbf=freeze_pbf, lines=tuple(masks))
        run.write_table(stats, "line_stats.csv")
        run.write_table(conf.table, "conflicts.csv")
        write_raster(conf.raster.data, run.path("conflicts.tif"), grid_of(conf.raster), nodata=None, dtype="uint16")
        run.write_table(rules, "rules.csv")
        areas = cl.line_areas(masks, lu)
        run.manifest.parameters.update({"steep_slope_deg": steep_slope_deg, "redline": redline,
                                        "freeze_pbf": freeze_pbf, "scheme": sch.name})
        tot = conf.table.groupby("check", sort=False)[["cells", "area_ha"]].sum()
        run.summary = {"line_area_ha": areas, "conflicts": {k: {"cells": int(r.cells), "area_ha": float(r.area_ha)}
                                                           for k, r in tot.iterrows()},
                       "skipped_checks": conf.skipped, "other_lines": unknown,
                       "rules": "rules.csv (line,applies,from,to,action: the simulation's rules input)"}
    return run.summary


# --------------------------------------------------------------------------------------------------
# intensive use
def run_intensive(out: str | os.PathLike, *, table: Any, zone_column: str = "zone", weights: Any = None,
                  ahp: Any = None, ideals: Any = None, force_ahp: bool = False, overwrite: bool = True) -> dict:
    df = read_table(table)
    if zone_column not in df.columns:
        raise InputValidationError([Issue("zone_column", f"found {zone_column!r}, which is not a column of the "
                                                         f"intensive-use table; expected one of {list(df.columns)}")])
    df = df.set_index(zone_column)

    def _mapping(v):
        if v is None or isinstance(v, Mapping):
            return v
        t = read_table(v)
        return dict(zip(t.iloc[:, 0].astype(str), t.iloc[:, 1].astype(float)))

    mat = None
    if ahp is not None:
        mat = read_table(ahp)
        mat = mat.set_index(mat.columns[0])
    with RunFolder(out, "evaluate intensive", overwrite=overwrite) as run:
        run.add_input("table", table)
        res = it.evaluate_intensive(df, weights=_mapping(weights), ahp_matrix=mat, force_ahp=force_ahp,
                                    ideals=_mapping(ideals))
        run.write_table(res.indicators.reset_index(), "indicators.csv")
        run.write_table(res.scores.reset_index(), "scores.csv")
        run.write_table(res.weights_frame(), "weights.csv")
        run.write_table(res.composite.reset_index(), "composite.csv")
        run.manifest.parameters.update({"scoring": res.scoring, "weighting": res.weighting})
        run.summary = {"scoring": res.scoring, "weighting": res.weighting, "flags": res.flags,
                       "composite": res.composite["index"].round(4).to_dict()}
    return run.summary


# --------------------------------------------------------------------------------------------------
# ESV
def group_areas(lu: xr.DataArray, scheme: ClassScheme, zones: np.ndarray | None = None,
                zone_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Area (ha) per zone and national group of a land-use map."""
    from ..ops.zonal import zone_class_sums

    groups = scheme.group_of()
    codes = list(groups)
    nz = int(zone_table["zone_id"].max()) if zone_table is not None else 1
    res = np.asarray(zone_class_sums(lu.data, codes, row_areas_ha(grid_of(lu)), nodata=lu.rio.nodata,
                                     zones=zones, n_zones=nz))
    rows = []
    for zi in range(nz):
        zname = zone_table.set_index("zone_id").loc[zi + 1, "zone"] if zone_table is not None else "all"
        for ci, c in enumerate(codes):
            rows.append({"zone": zname, "group": groups[c], "area_ha": float(res[1, zi, ci])})
    return pd.DataFrame(rows).groupby(["zone", "group"], as_index=False, sort=False).area_ha.sum()


def demand_group_areas(demand: pd.DataFrame, scheme: ClassScheme, cell_area_ha: float) -> pd.DataFrame:
    """Area (ha) per national group of a demand table (``code, cells``), zone 'all'."""
    if "code" not in demand.columns or "cells" not in demand.columns:
        raise InputValidationError(f"demand table has columns {list(demand.columns)}; expected code, cells")
    scheme.check_codes(demand["code"].astype(int), "demand table")
    g = demand["code"].astype(int).map(scheme.group_of())
    a = (demand["cells"].astype(float) * cell_area_ha).groupby(g).sum()
    return pd.DataFrame({"zone": "all", "group": a.index, "area_ha": a.to_numpy()})


def run_esv(out: str | os.PathLike, *, maps: Mapping[str, Any], scheme: Any, version: str = "2015",
            unit_value: float | None = None, crops: Any = None, paddy_share: float | None = None,
            regional_factor: float = 1.0, price_year: int | None = None, zones: Any = None,
            zone_field: str | None = None, overwrite: bool = True,
            demands: Mapping[str, Any] | None = None, cell_area_ha: float | None = None) -> dict:
    """ESV of one or more maps (label → path) and scenario demand tables (label → ``code, cells`` CSV),
    in that order, and the change between consecutive ones. Demand tables need the cell area (taken
    from the first map, or ``cell_area_ha``); with zones they are compared on the whole area."""
    if scheme is None:
        raise InputValidationError([Issue("scheme", "ESV needs a class scheme to map codes to national groups; give "
                                                    "a built-in name or a CSV table (code, group)")])
    sch = _load_scheme(scheme)
    if unit_value is None and crops is None:
        raise InputValidationError([Issue("unit_value", "ESV needs the value of one standard equivalent: give "
                                                        "unit_value (CNY/ha), or crops, a table (sown_area_ha, "
                                                        "price_CNY_per_kg, yield_kg_per_ha) for the 1/7 rule")])
    with RunFolder(out, "evaluate esv", overwrite=overwrite) as run:
        ea = float(unit_value) if unit_value is not None else esv_mod.unit_value(read_table(crops))
        if crops is not None:
            run.add_input("crops", crops)
        coef = esv_mod.coefficients(version, unit_value_CNY_per_ha=ea, paddy_share=paddy_share,
                                    regional_factor=regional_factor, price_year=price_year)
        areas = {}
        like = None
        z = zt = None
        for label, path in maps.items():
            lu = read_raster(path, categorical=True, chunks=None, name=label)
            run.add_input(f"map:{label}", path)
            if like is None:
                like = lu
                z, zt = load_zones(zones, lu, zone_field)
            else:
                ensure_aligned(**{list(maps)[0]: like, label: lu})
            sch.check_codes(np.unique(np.asarray(lu.data)[np.asarray(lu.data) != lu.rio.nodata]), label)
            areas[label] = group_areas(lu, sch, z, zt)
        if demands:
            if cell_area_ha is None:
                if like is None:
                    raise InputValidationError([Issue("cell_area_ha", "demand tables need a map or cell_area_ha "
                                                                      "to convert cells to ha")])
                ra = row_areas_ha(grid_of(like))
                cell_area_ha = float(ra[0])
            if z is not None:
                areas = {k: v.groupby("group", as_index=False, sort=False).area_ha.sum().assign(zone="all")
                         for k, v in areas.items()}
            for label, path in demands.items():
                run.add_input(f"demand:{label}", path)
                areas[label] = demand_group_areas(read_table(path), sch, float(cell_area_ha))
        if not areas:
            raise InputValidationError([Issue("maps", "ESV needs at least one map (maps) or demand table "
                                                      "(demands)")])
        frames = []
        for label, a in areas.items():
            d = esv_mod.esv(a, coef)
            d.insert(0, "map", label)
            frames.append(d)
        run.write_table(pd.concat(frames), "esv_by_zone_group_service.csv")
        run.write_table(coef.table.reset_index(), "value_coefficients_CNY_per_ha_yr.csv")
        labels = list(areas)
        changes = []
        for a, b in zip(labels[:-1], labels[1:]):
            ch = esv_mod.esv_change(areas[a], areas[b], coef, label_a=a, label_b=b)
            ch.insert(0, "from_to", f"{a}->{b}")
            changes.append(ch)
        if changes:
            run.write_table(pd.concat(changes), "esv_change.csv")
        totals = {lab: float(pd.concat([f for f in frames if f["map"].iloc[0] == lab])["esv_CNY_per_yr"].sum())
                  for lab in labels}
        run.manifest.parameters.update({"version": coef.version, "unit_value_CNY_per_ha": ea,
                                        "paddy_share": paddy_share, "regional_factor": regional_factor,
                                        "price_year": price_year})
        run.summary = {"coefficients": coef.describe(), "esv_CNY_per_yr": totals}
    return run.summary


# --------------------------------------------------------------------------------------------------
# demo: lives in workflow.demo_planning (it runs optimize too, and per-command workflow modules do not
# import one another); the old name keeps working
def __getattr__(name: str) -> Any:
    if name == "demo_step":
        import importlib

        return importlib.import_module(f"{__package__}.demo_planning").demo_step
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
