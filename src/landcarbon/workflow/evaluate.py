"""Runs of the planning evaluations: 双评价, MCE, control lines, intensive use, ESV (methods.md §10–12).

Each ``run_*`` loads its inputs through :mod:`landcarbon.io`, calls the models, and writes one run
folder (rasters as COG, tables as CSV, ``summary.json``, ``manifest.json`` last). Plan files are
TOML (``tomllib``); paths in a plan are relative to the plan file.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..core.classes import ClassScheme, get_scheme
from ..core.errors import InputFileError, InputValidationError
from ..core.grid import ensure_aligned, grid_of, row_areas_ha
from ..io import rasterize_zones, read_raster, read_scheme, read_table, read_vector, write_raster
from ..models.evaluate import control_lines as cl
from ..models.evaluate import esv as esv_mod
from ..models.evaluate import intensive as it
from ..models.evaluate import mce as mce_mod
from ..models.evaluate import suitability as su
from .common import RunFolder

VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".kml")


# --------------------------------------------------------------------------------------------------
# plan and inputs
def load_plan(path: str | os.PathLike | None, section: str) -> tuple[dict[str, Any], Path]:
    """The ``[section]`` table of a TOML plan (empty when no plan), and the folder paths are relative to."""
    if path is None:
        return {}, Path.cwd()
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"plan file {p} does not exist; check the path")
    try:
        with p.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as err:
        raise InputValidationError(f"plan file {p.name} is not valid TOML ({err}); fix the line named") from None
    return dict(data.get(section, {})), p.parent


def _path(v: Any, base: Path | None) -> Path:
    p = Path(str(v))
    return p if p.is_absolute() or base is None else base / p


def load_scheme(arg: str | os.PathLike | ClassScheme | None, base: Path | None = None) -> ClassScheme | None:
    """A class scheme from a built-in name or a CSV/XLSX (code, group, …)."""
    if arg is None or isinstance(arg, ClassScheme):
        return arg
    p = _path(arg, base)
    if p.suffix.lower() in (".csv", ".xlsx", ".xls") or p.exists():
        return read_scheme(p)
    return get_scheme(str(arg))


def load_zones(path: Any, like: xr.DataArray, field: str | None = None, base: Path | None = None):
    """Zones from a vector (reprojected and burnt) or a raster of zone ids on the map's grid."""
    if path is None:
        return None, None
    p = _path(path, base)
    if p.suffix.lower() in VECTOR_SUFFIXES:
        gdf = read_vector(p)
        return rasterize_zones(gdf, grid_of(like), field)
    z = read_raster(p, categorical=True, chunks=None, name="zones")
    ensure_aligned(landuse=like, zones=z)
    arr = np.asarray(z.data).astype(np.int32)
    nd = z.rio.nodata
    if nd is not None:
        arr[np.asarray(z.data) == nd] = 0
    ids = np.unique(arr[arr > 0])
    return arr, pd.DataFrame({"zone_id": ids, "zone": [str(i) for i in ids]})


def load_line(path: Any, like: xr.DataArray, name: str, base: Path | None = None) -> xr.DataArray:
    """A control line as a boolean mask on ``like``'s grid: vectors are reprojected and burnt;
    rasters must share the grid (GridMismatchError with the fix otherwise)."""
    p = _path(path, base)
    if p.suffix.lower() in VECTOR_SUFFIXES:
        gdf = read_vector(p)
        ids, _ = rasterize_zones(gdf, grid_of(like), None)
        m = xr.DataArray(np.asarray(ids) > 0, dims=like.dims, coords=like.coords, name=name)
        return m.rio.write_crs(like.rio.crs).rio.write_transform(like.rio.transform(recalc=False))
    r = read_raster(p, chunks=None, name=name)
    ensure_aligned(landuse=like, **{name: r})
    m = cl.line_mask(r, name)
    return m.rio.write_crs(like.rio.crs).rio.write_transform(like.rio.transform(recalc=False))


def _factor(v: Any, base: Path, like: xr.DataArray | None) -> Any:
    if isinstance(v, int | float):
        return float(v)
    r = read_raster(_path(v, base), chunks=None, name=Path(str(v)).stem)
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
    cfg, base = load_plan(plan, "suitability")
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
            read_raster(_path(dem, base), chunks=None, name="dem") if dem is not None else None)
        if dem is not None and dem_array is None:
            run.add_input("dem", _path(dem, base))
        lu = landuse_array if landuse_array is not None else (
            read_raster(_path(landuse, base), categorical=True, chunks=None, name="landuse")
            if landuse is not None else None)
        if landuse is not None and landuse_array is None:
            run.add_input("landuse", _path(landuse, base))
        factors = {k: _factor(v, base, d) for k, v in dict(cfg.get("factors", {})).items()}
        matrices = {k: su.matrix_from_frame(read_table(_path(v, base)), k)
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
        z, zt = load_zones(zones, like, zone_field, base) if zones is not None else (None, None)
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
        sch = load_scheme(scheme)
        if sch is None:
            raise InputValidationError("control lines need a class scheme to know which codes are cropland and "
                                       "built-up; pass --scheme (built-in name or CSV code,group)")
        masks = dict(line_arrays or {})
        for name, path in lines.items():
            masks[name] = load_line(path, lu, name)
            run.add_input(f"line:{name}", path)
        unknown = [k for k in masks if k not in cl.LINES]
        slope = None
        if dem_array is not None or dem is not None:
            d = dem_array if dem_array is not None else read_raster(dem, chunks=None, name="dem")
            ensure_aligned(landuse=lu, dem=d)
            slope = su.slope_degrees(d)
            if dem is not None:
                run.add_input("dem", dem)
        z, zt = load_zones(zones, lu, zone_field) if zones is not None else (None, None)
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
                       "rules": "rules.csv (line,applies,from,to,action: read by landcarbon simulate --rules)"}
    return run.summary


# --------------------------------------------------------------------------------------------------
# intensive use
def run_intensive(out: str | os.PathLike, *, table: Any, zone_column: str = "zone", weights: Any = None,
                  ahp: Any = None, ideals: Any = None, force_ahp: bool = False, overwrite: bool = True) -> dict:
    df = read_table(table)
    if zone_column not in df.columns:
        raise InputValidationError(f"intensive-use table lacks the zone column {zone_column!r}; columns: "
                                   f"{list(df.columns)}")
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
    sch = load_scheme(scheme)
    if sch is None:
        raise InputValidationError("ESV needs a class scheme (--scheme) to map codes to national groups")
    if unit_value is None and crops is None:
        raise InputValidationError("ESV needs the value of one standard equivalent: --unit-value CNY/ha, or "
                                   "--crops TABLE (sown_area_ha, price_CNY_per_kg, yield_kg_per_ha) for the 1/7 rule")
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
                if zones is not None:
                    z, zt = load_zones(zones, lu, zone_field)
            else:
                ensure_aligned(**{list(maps)[0]: like, label: lu})
            sch.check_codes(np.unique(np.asarray(lu.data)[np.asarray(lu.data) != lu.rio.nodata]), label)
            areas[label] = group_areas(lu, sch, z, zt)
        if demands:
            if cell_area_ha is None:
                if like is None:
                    raise InputValidationError("demand tables need a map or --cell-area to convert cells to ha")
                ra = row_areas_ha(grid_of(like))
                cell_area_ha = float(ra[0])
            if z is not None:
                areas = {k: v.groupby("group", as_index=False, sort=False).area_ha.sum().assign(zone="all")
                         for k, v in areas.items()}
            for label, path in demands.items():
                run.add_input(f"demand:{label}", path)
                areas[label] = demand_group_areas(read_table(path), sch, float(cell_area_ha))
        if not areas:
            raise InputValidationError("ESV needs at least one map (--map) or demand table (--demand)")
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
# demo
def _synthetic_region(n: int = 60, seed: int = 0):
    """A deterministic synthetic county: DEM (hills in the south-east), land use from elevation and
    distance to a town, and three control lines."""
    from ..testing import make_lulc

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:n, 0:n].astype(float)
    dem = 20 + 4.0 * (xx + yy) + 250 * np.exp(-(((xx - 0.8 * n) ** 2 + (yy - 0.8 * n) ** 2) / (0.08 * n * n)))
    dem += rng.normal(0, 2, dem.shape)
    town = np.hypot(xx - 0.25 * n, yy - 0.3 * n)
    lu = np.full((n, n), 1, np.int16)  # cropland
    lu[dem > 200] = 2  # forest on the hills
    lu[(dem > 120) & (dem <= 200)] = 3  # grassland
    lu[town < 0.12 * n] = 5  # built-up town
    lu[np.abs(xx - 0.55 * n) < 1.2] = 4  # a river
    lu[(dem > 330)] = 6  # bare summit
    dem_da = make_lulc(dem.round().astype(np.int16), cell_size=30, nodata=-9999, dtype="int16", name="dem")
    lu_da = make_lulc(lu, cell_size=30, nodata=0, name="landuse")
    red = (dem > 180).astype(np.uint8)
    pbf = ((lu == 1) & (town > 0.1 * n)).astype(np.uint8)
    pbf[(dem > 170) & (dem < 230)] = 1  # some farmland drawn on the hills (conflicts to find)
    ub = (town < 0.2 * n).astype(np.uint8)
    lines = {k: make_lulc(v, cell_size=30, nodata=None, dtype="uint8", name=k)
             for k, v in (("eco_redline", red), ("basic_farmland", pbf), ("urban_boundary", ub))}
    return dem_da, lu_da, lines


def demo_step(out_dir: str | os.PathLike, *, seed: int = 0, landuse: xr.DataArray | None = None,
              dem: xr.DataArray | None = None, lines: Mapping[str, xr.DataArray] | None = None,
              scheme: Any = "national6", pop_size: int = 40, n_gen: int = 40) -> dict[str, Path]:
    """Demo of issue 5: a suitability map, a control-line conflict table and a Pareto front.

    Uses the given maps (national6 codes by default) or a deterministic synthetic county. Writes
    ``<out_dir>/suitability``, ``<out_dir>/control_lines`` and ``<out_dir>/optimize`` run folders and
    returns the key files; render the PNGs with
    ``landcarbon.report.charts_plan.render_demo(paths)``.
    """
    from .optimize import run_optimize

    out = Path(out_dir)
    if landuse is None or dem is None:
        dem_s, lu_s, lines_s = _synthetic_region(seed=seed)
        dem = dem if dem is not None else dem_s
        landuse = landuse if landuse is not None else lu_s
        lines = lines if lines is not None else lines_s
    run_suitability(out / "suitability", dem_array=dem, landuse_array=landuse, evaluations=("agriculture", "urban"))
    cl_sum = run_control_lines(out / "control_lines", landuse=None, landuse_array=landuse, lines={},
                               line_arrays={k: cl.line_mask(v, k) for k, v in (lines or {}).items()},
                               dem_array=dem, scheme=scheme)
    sch = load_scheme(scheme)
    areas = group_areas(landuse, sch).groupby("group").area_ha.sum()
    opt_cfg = {
        # illustrative output values per ha (demo only, not data): built-up land earns most, forest least
        "objectives": ["carbon", "economy"], "method": "nsga2", "seed": seed, "pop_size": pop_size, "n_gen": n_gen,
        "economy": {"cropland": 3.0e4, "forest": 0.5e4, "grassland": 0.8e4, "water": 1.0e4, "built_up": 5.0e5,
                    "unused": 0.0},
        "constraints": {"cropland_min_ha": float(areas.get("cropland", 0)) * 0.95,
                        "forest_min_ha": float(areas.get("forest", 0)), "max_change": 0.3},
    }
    run_optimize(out / "optimize", landuse_array=landuse, scheme=scheme, config=opt_cfg)
    del cl_sum
    return {"suitability_map": out / "suitability" / "agriculture_level5.tif",
            "urban_map": out / "suitability" / "urban_level5.tif",
            "conflict_table": out / "control_lines" / "conflicts.csv",
            "conflict_map": out / "control_lines" / "conflicts.tif",
            "pareto_table": out / "optimize" / "pareto_front.csv",
            "demand_table": out / "optimize" / "demand.csv",
            "suitability_run": out / "suitability", "control_lines_run": out / "control_lines",
            "optimize_run": out / "optimize"}
