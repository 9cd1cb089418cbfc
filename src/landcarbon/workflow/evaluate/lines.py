"""三区三线 step (``landcarbon evaluate control-lines``, methods.md §10.6, §8.5): areas by line, conflict
checks and the simulation's rule table."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import xarray as xr

from ...core.spec import Issue
from ...core.validation import did_you_mean
from ...io.inputs import load_lines
from ...models.evaluate import control_lines as cl
from ...models.evaluate import suitability as su
from ..runner import RunContext, run_model
from ..steps import (
    aligned,
    area_ha,
    scheme_issues,
    scheme_of,
    valid_mask,
    warn_outside,
    write_output_raster,
    zone_issues,
    zones_on,
)


def check_control_lines(ctx: RunContext) -> list[Issue]:
    names = [n for n, _ in ctx["lines"]]
    issues = []
    for n in names:
        if n not in cl.LINES and did_you_mean(n, cl.LINES):
            issues.append(Issue("lines", f"found the line name {n!r}, which is not a control line"
                                         f"{did_you_mean(n, cl.LINES)}; expected {', '.join(cl.LINES)} (another "
                                         f"name is counted as an extra line): correct the name"))
    for key, needs, what in (("steep_slope_deg", "dem", "the DEM (the slope check)"),):
        if ctx.given(key) and ctx.get(needs) is None:
            issues.append(Issue(key, f"is given but {what} is not (⟨{needs}⟩), so it would do nothing; give "
                                     f"⟨{needs}⟩ or drop it"))
    if ctx.get("freeze_pbf") and "basic_farmland" not in names:
        issues.append(Issue("freeze_pbf", "is set but no basic_farmland line is given, so it would do nothing; give "
                                          "⟨lines⟩ basic_farmland=PATH or drop it"))
    if ctx.given("redline") and "eco_redline" not in names:
        issues.append(Issue("redline", "is given but no eco_redline line is given, so it would do nothing; give "
                                       "⟨lines⟩ eco_redline=PATH or drop it"))
    issues += zone_issues(ctx)
    return issues + scheme_issues(ctx, {"landuse": ctx.raster("landuse")})


def execute_control_lines(ctx: RunContext) -> dict:
    lu = ctx.raster("landuse")
    sch = scheme_of(ctx)
    given = {n: v for n, v in ctx["lines"] if not isinstance(v, xr.DataArray) or v.dtype != bool}
    masks = {n: v for n, v in ctx["lines"] if isinstance(v, xr.DataArray) and v.dtype == bool}
    masks.update(load_lines(given, like=lu, align=bool(ctx["align"])))
    slope = None
    if ctx.get("dem") is not None:
        slope = su.slope_degrees(aligned(ctx, ctx.raster("dem"), lu, categorical=False))
    z, zt = zones_on(ctx, lu)
    groups = sch.group_of()
    with ctx.progress.step("control lines", total=None):
        stats = cl.line_stats(lu, masks, groups, zones=z, zone_table=zt)
        conf = cl.conflicts(lu, masks, groups, slope=slope, steep_slope_deg=ctx["steep_slope_deg"], zones=z,
                            zone_table=zt)
    rules = cl.rule_table(redline=ctx["redline"], freeze_pbf=bool(ctx["freeze_pbf"]), lines=tuple(masks))
    ctx.run.write_table(stats, "line_stats.csv")
    ctx.run.write_table(conf.table, "conflicts.csv")
    write_output_raster(ctx, conf.raster.data, "conflicts.tif", conf.raster, nodata=None, dtype="uint16")
    ctx.run.write_table(rules, "rules.csv")
    warn_outside(ctx, valid_mask(lu), z, lu)
    areas = cl.line_areas(masks, lu)
    ctx.manifest.parameters.update({"scheme": sch.name})
    tot = conf.table.groupby("check", sort=False)[["cells", "area_ha"]].sum()
    conflicts = {k: {"cells": int(r.cells), "area_ha": float(r.area_ha)} for k, r in tot.iterrows()}
    bits = {k: b for b, k, _ in cl.CONFLICTS}
    head = [{"label": f"{k} area", "value": v, "unit": "ha"} for k, v in areas.items()]
    head += [{"label": f"conflict {k}", "value": v["area_ha"], "unit": "ha"} for k, v in conflicts.items()]
    return {"headline": head, "main_outputs": ["conflicts.csv", "conflicts.tif", "rules.csv"],
            "line_area_ha": areas, "conflicts": conflicts, "conflict_bits": bits, "skipped_checks": conf.skipped,
            "other_lines": [k for k in masks if k not in cl.LINES],
            "rules": "rules.csv (line,applies,from,to,action: the simulation's rules input)",
            "conflict_area_by_check_ha": {k: v["area_ha"] for k, v in conflicts.items()},
            "valid_area_ha": area_ha(valid_mask(lu), lu)}


def run_control_lines(out: str | os.PathLike, *, landuse: Any, lines: Mapping[str, Any], scheme: Any = None,
                      dem: Any = None, zones: Any = None, zone_field: str | None = None,
                      steep_slope_deg: float = cl.STEEP_SLOPE_DEG, redline: str = "strict", freeze_pbf: bool = False,
                      overwrite: bool = True, landuse_array: xr.DataArray | None = None,
                      line_arrays: Mapping[str, xr.DataArray] | None = None,
                      dem_array: xr.DataArray | None = None) -> dict:
    """三区三线 run (``landcarbon evaluate control-lines``): ``lines`` name → vector file or raster (path or
    DataArray); ``line_arrays`` name → boolean mask on the map's grid."""
    items = [(k, v if isinstance(v, xr.DataArray) else str(v)) for k, v in dict(lines).items()]
    items += [(k, v.astype(bool)) for k, v in dict(line_arrays or {}).items()]
    values = {"landuse": landuse_array if landuse_array is not None else landuse, "lines": items, "scheme": scheme,
              "dem": dem_array if dem_array is not None else dem, "zones": zones, "zone_field": zone_field,
              "steep_slope_deg": steep_slope_deg, "redline": redline, "freeze_pbf": freeze_pbf}
    return run_model("control_lines", values, out=out, overwrite=overwrite)
