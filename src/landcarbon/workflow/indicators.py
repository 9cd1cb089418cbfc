"""The workflow step of the ``indicators`` model (methods.md §14): variables in, assessed indicators out.

Reads the variables table (``[scenario,] zone, year, variable, value, unit``; zone ``""`` is the whole
region, scenario ``""`` the observed years) and, when land-use maps are given, adds their class-group
and control-line areas (the year of each map is the 4-digit year in its file name); reads the targets,
user indicators and 耕地保有量 targets as tables; calls ``models.indicators.compute`` and writes
``indicators.csv``, ``variables.csv`` and ``indicator_defs.csv``. The study runner runs it once for the
observed years and once per scenario; ``landcarbon indicators`` runs it on any variables table.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import InputValidationError
from ..core.spec import Issue
from ..io import read_table
from ..io.inputs import load_lines, load_scheme, load_zones
from ..models import indicators as ind
from .runner import RunContext

_TEXT = {"zone": str, "scenario": str, "variable": str, "unit": str, "indicator": str}


def _read(ctx: RunContext, key: str) -> pd.DataFrame | None:
    v = ctx.get(key)
    if v is None:
        return None
    if isinstance(v, pd.DataFrame):
        return v.copy()
    df = read_table(v, dtype=_TEXT, keep_default_na=False, na_values=[])
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.replace("", np.nan), errors="coerce")


def _year_of(path: Any, i: int) -> int:
    m = re.findall(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)", Path(str(path)).stem)
    if len(m) != 1:
        raise InputValidationError([Issue("landuse", f"the year of map {i + 1} ({Path(str(path)).name}) is not clear "
                                                     f"from its file name; expected one 4-digit year in it, e.g. "
                                                     f"landuse_2020.tif")])
    return int(m[0])


def _variables(ctx: RunContext) -> pd.DataFrame:
    df = _read(ctx, "variables")
    assert df is not None
    miss = [c for c in ("zone", "year", "variable", "value") if c not in df.columns]
    if miss:
        raise InputValidationError([Issue("variables", f"lacks columns {miss}; expected zone, year, variable, value, "
                                                       f"unit[, scenario]")])
    df["value"] = _num(df["value"])
    df["year"] = _num(df["year"]).astype("int64")
    if "unit" not in df.columns:
        df["unit"] = ""
    paths = ctx.get("landuse") or []
    if not paths:
        return df
    maps = {_year_of(p, i): ctx.raster("landuse", index=i) for i, p in enumerate(paths)}
    like = maps[min(maps)]
    groups = load_scheme(ctx.get("scheme") or "national6").group_of()
    zones, names = None, None
    if ctx.get("zones") is not None:
        zr, zn = load_zones(ctx.get("zones"), like=like)
        zones, names = np.asarray(zr.values), {i + 1: n for i, n in enumerate(zn)}
    lines = {k: np.asarray(m.values) for k, m in load_lines(dict(ctx.get("lines") or []), like=like).items()}
    land = ind.land_areas(maps, groups, base_year=ctx.get("base_year") if ctx.get("base_year") in maps else None,
                          zones=zones, zone_names=names, lines=lines)
    if "scenario" in df.columns:
        land = land.assign(scenario=ind.OBSERVED)
    return pd.concat([df, land], ignore_index=True)


def _targets(ctx: RunContext) -> list[ind.Target]:
    df = _read(ctx, "targets")
    if df is None:
        return []
    w0, e0 = float(ctx.get("warning", ind.DEFAULT_WARNING)), float(ctx.get("tolerance", ind.DEFAULT_TOLERANCE))
    out = []
    for r in df.to_dict("records"):
        def get(k: str, r: dict[str, Any] = r) -> Any:
            v = r.get(k, "")
            return None if v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == "" else v

        t, hi = get("target"), get("target_hi")
        value = (float(t), float(hi)) if hi is not None and t is not None else (None if t is None else float(t))
        year = get("year")
        out.append(ind.Target(str(r["indicator"]).strip(), value, year=None if year is None else int(float(year)),
                              zone=None if get("zone") is None else str(get("zone")),
                              warning=w0 if get("warning") is None else float(get("warning")),
                              tolerance=e0 if get("tolerance") is None else float(get("tolerance")),
                              direction=None if get("direction") is None else str(get("direction"))))
    return out


def _user(ctx: RunContext) -> list[ind.UserIndicator]:
    df = _read(ctx, "user_indicators")
    if df is None:
        return []
    return [ind.UserIndicator(str(r["indicator"]), str(r["expression"]), str(r["unit"]), str(r["direction"]),
                              str(r.get("name_zh", "") or ""), str(r.get("name_en", "") or ""))
            for r in df.to_dict("records")]


def _crop(ctx: RunContext) -> dict[str, float] | None:
    df = _read(ctx, "crop_target")
    if df is None:
        return None
    return {str(z): float(v) for z, v in zip(df["zone"], _num(df["crop_target_ha"]), strict=True)}


def check(ctx: RunContext) -> list[Issue]:
    issues: list[Issue] = []
    for key in ("user_indicators",):
        try:
            for u in _user(ctx):
                ind.parse_expression(u.expression)
        except InputValidationError as err:
            issues += [Issue(key, getattr(i, "message", str(i))) for i in err.issues]
    try:
        _targets(ctx)
    except (ValueError, KeyError) as err:
        issues.append(Issue("targets", f"cannot read the targets ({err}); expected indicator, target, target_hi, "
                                       f"year, zone, warning, tolerance, direction"))
    return issues


def execute(ctx: RunContext) -> dict[str, Any]:
    variables = _variables(ctx)
    obs = ctx.get("observed_years") or None
    res = ind.compute(variables, targets=_targets(ctx), user=_user(ctx), base_year=ctx.get("base_year"),
                      crop_target=_crop(ctx), observed_years=obs)
    rows = res.indicators
    if "scenario" not in rows.columns:
        rows = rows.assign(scenario=ind.OBSERVED)
    cols = ["scenario", "zone", "year", "indicator", "value", "unit", "direction", "target", "target_hi", "warning",
            "status", "trend", "trend_year", "kind"]
    rows = rows[cols].sort_values(["indicator", "scenario", "zone", "year"], kind="stable").reset_index(drop=True)
    var = variables if "scenario" in variables.columns else variables.assign(scenario=ind.OBSERVED)
    var = var[["scenario", "zone", "year", "variable", "value", "unit"]].sort_values(
        ["variable", "scenario", "zone", "year"], kind="stable").reset_index(drop=True)
    ctx.run.write_table(rows, "indicators.csv")
    ctx.run.write_table(var, "variables.csv")
    ctx.run.write_table(res.definitions, "indicator_defs.csv")
    counts = rows["status"].value_counts().to_dict()
    return {"headline": [{"label": "indicator values", "value": int(len(rows)), "unit": ""},
                         *[{"label": s, "value": int(counts.get(s, 0)), "unit": ""}
                           for s in (ind.MET, ind.WARNING, ind.BREACHED)]],
            "main_outputs": ["indicators.csv", "variables.csv", "indicator_defs.csv"],
            "indicators": sorted(set(rows["indicator"]))}


def run_indicators(out: str | os.PathLike, *, overwrite: bool = False, **values: Any) -> dict[str, Any]:
    """Python entry: ``run_indicators(out, variables=..., targets=...)`` (values are the spec's keys)."""
    from .runner import run_model

    return run_model("indicators", values, out=out, overwrite=overwrite)


__all__ = ["check", "execute", "run_indicators"]
