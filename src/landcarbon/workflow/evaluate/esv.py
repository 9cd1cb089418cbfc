"""Ecosystem service value step (``landcarbon evaluate esv``, methods.md §12.4): maps and scenario demand
tables, in that order, and the change between consecutive ones."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ...core.classes import ClassScheme
from ...core.errors import InputValidationError, LandcarbonError
from ...core.grid import grid_of, row_areas_ha
from ...core.spec import Issue
from ...models.evaluate import esv as esv_mod
from ..runner import RunContext, run_model
from ..steps import (
    aligned,
    model_keys,
    scheme_issues,
    scheme_of,
    valid_mask,
    warn_outside,
    zone_issues,
    zones_on,
)


def group_areas(lu: xr.DataArray, scheme: ClassScheme, zones: np.ndarray | None = None,
                zone_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Area (ha) per zone and national group of a land-use map."""
    from ...ops.zonal import zone_class_sums

    groups = scheme.group_of()
    codes = list(groups)
    nz = int(zone_table["zone_id"].max()) if zone_table is not None else 1
    res = np.asarray(zone_class_sums(lu.data, codes, row_areas_ha(grid_of(lu)), nodata=lu.rio.nodata,
                                     zones=zones, n_zones=nz))
    rows = []
    names = zone_table.set_index("zone_id")["zone"] if zone_table is not None else None
    for zi in range(nz):
        zname = names.loc[zi + 1] if names is not None else "all"
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


def _labels(ctx: RunContext) -> list[str]:
    years = ctx.get("years") or []
    maps = ctx.get("landuse") or []
    if years or ctx.get("labels"):
        return [str(y) for y in (years or ctx["labels"])]
    stems = [Path(str(m)).stem if isinstance(m, str | os.PathLike) else f"map{i + 1}" for i, m in enumerate(maps)]
    return [s if stems.count(s) == 1 else f"{s}_{i + 1}" for i, s in enumerate(stems)]


def _demand_issues(ctx: RunContext, sch: ClassScheme | None) -> list[Issue]:
    issues = []
    for label, path in ctx.get("demand") or []:
        p = Path(path)
        if not p.is_file():
            issues.append(Issue("demand", f"{label}: file {p} does not exist; check the path"))
            continue
        try:
            t = ctx.resolver.table(p)
        except LandcarbonError as err:
            issues.append(Issue("demand", f"{label}: {err}"))
            continue
        miss = [c for c in ("code", "cells") if c not in t.columns]
        if miss or t.dropna(how="all").empty:
            issues.append(Issue("demand", f"{label}: {p.name} has columns {list(t.columns)} and {len(t)} rows; "
                                          f"expected code, cells and one row per class"))
            continue
        cells = pd.to_numeric(t["cells"], errors="coerce")
        if cells.isna().any() or (cells < 0).any():
            bad = t.loc[cells.isna() | (cells < 0), "cells"].tolist()
            issues.append(Issue("demand", f"{label}: cells {bad[:5]} are empty, not numbers or negative; expected "
                                          f"cell counts ≥ 0"))
        dup = t["code"][t["code"].duplicated()].tolist()
        for c in sorted(set(dup)):
            rows = [str(i + 2) for i, v in enumerate(t["code"]) if v == c]
            issues.append(Issue("demand", f"{label}: code {c} appears in rows {', '.join(rows)}; expected one row "
                                          f"per code"))
        if sch is not None and not miss:
            unknown = sorted(set(pd.to_numeric(t["code"], errors="coerce").dropna().astype(int)) - set(sch.codes))
            if unknown:
                issues.append(Issue("demand", f"{label}: codes {unknown} are not in the class scheme {sch.name!r}; "
                                              f"expected the map's codes"))
    return issues


def check_esv(ctx: RunContext) -> list[Issue]:
    maps = ctx.get("landuse") or []
    years = ctx.get("years") or []
    issues = zone_issues(ctx)
    if not maps and not ctx.get("demand"):
        issues.append(Issue("landuse", "is required (or ⟨demand⟩): ESV needs at least one map or demand table"))
    if years and len(years) != len(maps):
        issues.append(Issue("years", f"found {len(years)} years for {len(maps)} maps; expected one year per map, "
                                     f"oldest first"))
    if ctx.get("xie_table") != "2015" and ctx.get("paddy_share") is not None:
        issues.append(Issue("paddy_share", "is given but the Xie 2003 table has one farmland type, so it would do "
                                           "nothing; drop it or use the 2015 table (⟨xie_table⟩)"))
    issues += scheme_issues(ctx, [("landuse", ctx.raster("landuse", index=i)) for i in range(len(maps))])
    if ctx.get("labels") and len(ctx["labels"]) != len(maps):
        issues.append(Issue("labels", f"found {len(ctx['labels'])} labels for {len(maps)} maps; expected one per map"))
    try:
        sch = scheme_of(ctx)
    except LandcarbonError:
        sch = None
    issues += _demand_issues(ctx, sch)
    issues += _unit_value_issues(ctx)
    cell = ctx.get("cell_area_ha")
    if cell is not None and not ctx.get("demand"):
        issues.append(Issue("cell_area_ha", "is given but no demand table is, so it would do nothing; drop it"))
    elif ctx.get("demand") and maps:
        ra = row_areas_ha(grid_of(ctx.raster("landuse", index=0)))
        if cell is not None and not math.isclose(cell, float(ra.mean()), rel_tol=1e-3):
            issues.append(Issue("cell_area_ha", f"found {cell:g} ha, but the maps' cells are {float(ra.mean()):g} "
                                                f"ha; expected the demand tables' cells to be the maps': drop it"))
        elif not np.allclose(ra, ra[0], rtol=1e-6):
            issues.append(Issue("demand", "demand tables count cells, but the map's cells differ in area "
                                          "(geographic coordinates); expected an equal-area map: reproject it"))
    elif ctx.get("demand") and cell is None:
        issues.append(Issue("cell_area_ha", "is required when demand tables are given without a map: the area "
                                            "(ha) of one cell of the demand tables"))
    return issues


def _unit_value(ctx: RunContext) -> float:
    ea = ctx.get("unit_value_CNY_per_ha")
    return float(ea) if ea is not None else esv_mod.unit_value(ctx.table("crops"))


def _unit_value_issues(ctx: RunContext) -> list[Issue]:
    try:
        with model_keys(default="crops"):
            ea = _unit_value(ctx)
    except InputValidationError as err:
        return list(err.issues)
    lo, hi = esv_mod.UNIT_VALUE_PLAUSIBLE
    if ctx.get("allow_implausible") or lo <= ea <= hi:
        return []
    key = "unit_value_CNY_per_ha" if ctx.get("unit_value_CNY_per_ha") is not None else "crops"
    unit = "10^4 CNY/ha (or 10^3)" if ea < lo else "fen (0.01 CNY) per ha, or the value of a km²"
    return [Issue(key, f"E_a = {ea:,.6g} CNY/ha, outside the plausible {lo:g}-{hi:,.0f} CNY/ha (Xie 2015: 3 406.50 "
                       f"CNY/ha nationally); it looks like {unit}: give CNY per ha, or set ⟨allow_implausible⟩ if "
                       f"the value is right")]


def execute_esv(ctx: RunContext) -> dict:
    sch = scheme_of(ctx)
    ea = _unit_value(ctx)
    coef = esv_mod.coefficients(ctx["xie_table"], unit_value_CNY_per_ha=ea, paddy_share=ctx.get("paddy_share"),
                                regional_factor=ctx["regional_factor"], price_year=ctx.get("price_year"))
    labels = _labels(ctx)
    areas: dict[str, pd.DataFrame] = {}
    like = z = zt = None
    for i, label in enumerate(labels):
        lu = ctx.raster("landuse", index=i)
        if like is None:
            like = lu
            z, zt = zones_on(ctx, lu)
            warn_outside(ctx, valid_mask(lu), z, lu)
        else:
            lu = aligned(ctx, lu, like, categorical=True)
        areas[label] = group_areas(lu, sch, z, zt)
    if ctx.get("demand"):
        cell = ctx.get("cell_area_ha") or float(row_areas_ha(grid_of(like))[0])
        if z is not None:
            areas = {k: v.groupby("group", as_index=False, sort=False).area_ha.sum().assign(zone="all")
                     for k, v in areas.items()}
        total = int(valid_mask(like).sum()) if like is not None else None
        for label, path in ctx["demand"]:
            ctx.run.add_input(f"demand:{label}", path)
            t = ctx.resolver.table(path)
            n = float(pd.to_numeric(t["cells"]).sum())
            if total is not None and abs(n - total) > 0.005 * total:
                ctx.warn(f"demand table {label} holds {n:,.0f} cells but the first map {total:,} valid cells: the "
                         f"ESV compared is not of the same area (a table of another region or grid?)",
                         area_ha=abs(n - total) * float(cell))
            areas[label] = demand_group_areas(t, sch, float(cell))
    frames = []
    for label, a in areas.items():
        d = esv_mod.esv(a, coef)
        d.insert(0, "map", label)
        frames.append(d)
    ctx.run.write_table(pd.concat(frames), "esv_by_zone_group_service.csv")
    ctx.run.write_table(coef.table.reset_index(), "value_coefficients_CNY_per_ha_yr.csv")
    names = list(areas)
    changes = []
    for a, b in zip(names[:-1], names[1:]):
        ch = esv_mod.esv_change(areas[a], areas[b], coef, label_a=a, label_b=b)
        ch.insert(0, "from_to", f"{a}->{b}")
        changes.append(ch)
    if changes:
        ctx.run.write_table(pd.concat(changes), "esv_change.csv")
    totals = {lab: float(f["esv_CNY_per_yr"].sum()) for lab, f in zip(names, frames)}
    ctx.manifest.parameters.update({"unit_value_CNY_per_ha": float(ea), "coefficients": coef.describe()})
    head = [{"label": f"ESV {k}", "value": v, "unit": "CNY/a"} for k, v in totals.items()]
    head += [{"label": f"change {a} -> {b}", "value": totals[b] - totals[a], "unit": "CNY/a"}
             for a, b in zip(names[:-1], names[1:])]
    return {"headline": head, "main_outputs": ["esv_by_zone_group_service.csv"] + (["esv_change.csv"] if changes
                                                                                   else []),
            "coefficients": coef.describe(), "esv_CNY_per_yr": totals}


def run_esv(out: str | os.PathLike, *, maps: Mapping[str, Any], scheme: Any, version: str = "2015",
            unit_value: float | None = None, crops: Any = None, paddy_share: float | None = None,
            regional_factor: float = 1.0, price_year: int | None = None, zones: Any = None,
            zone_field: str | None = None, overwrite: bool = True,
            demands: Mapping[str, Any] | None = None, cell_area_ha: float | None = None) -> dict:
    """ESV run (``landcarbon evaluate esv``): ``maps`` label → land-use map (oldest first; labels that are
    years become the years), ``demands`` label → ``code, cells`` table."""
    labels = [str(k) for k in maps]
    years = labels if labels and all(k.isdigit() for k in labels) else None
    values = {"landuse": [m if isinstance(m, xr.DataArray) else str(m) for m in maps.values()] or None,
              "years": years, "labels": None if years else labels or None, "demand": [(k, str(v)) for k, v in (demands or {}).items()] or None,
              "cell_area_ha": cell_area_ha, "scheme": scheme, "xie_table": str(version),
              "unit_value_CNY_per_ha": unit_value, "crops": crops, "paddy_share": paddy_share,
              "regional_factor": regional_factor, "price_year": price_year, "zones": zones, "zone_field": zone_field}
    return run_model("esv", values, out=out, overwrite=overwrite)
