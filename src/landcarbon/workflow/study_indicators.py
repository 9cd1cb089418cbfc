"""Variables and indicators of a study (methods.md §14): the steps that read the other steps' outputs.

``variables/observed`` gathers, per zone and year, the numbers the indicators read (docs/indicators.md):
class-group and control-line areas of the observed maps (``indicators.land_areas``), the carbon stock
(stock step), emissions and absorption (balance / emissions step) and GDP, population and the
green-building share (the socio-economic table). ``variables/<s>`` does the same for the simulated maps
of scenario ``s`` (areas against the base map t0, stock) and, when the scenario names an emission path
of the STIRPAT projection (``peak``), the region's emissions, GDP and population in its target years:
the observed value of the last year both series share times the projection's change since that year
(driver_population × driver_pcgdp for GDP) — a ratio, so the history's units never enter [D]. The
observed rows are copied into the scenario's table so that K and CIR see the series' start.

``indicators/observed`` and ``indicators/<s>`` are runs of the registered ``indicators`` model
(workflow.indicators) with the plan's targets, user indicators and 耕地保有量 targets as tables.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import InputValidationError, LandcarbonError
from ..core.spec import Issue
from ..io import read_raster, read_table
from ..io.inputs import load_lines, load_scheme, load_zones
from ..models import indicators as ind
from .common import RunFolder
from .graph import Ref, Step

LAND_LINES = ("eco_redline", "basic_farmland", "urban_boundary")
VAR_COLUMNS = ["scenario", "zone", "year", "variable", "value", "unit"]
_GDP = {"gdp_1e4cny": 1.0, "gdp_万元": 1.0, "gdp_1e8cny": 1e4, "gdp_亿元": 1e4, "gdp_cny": 1e-4, "gdp_yuan": 1e-4}
_POP = {"population": 1.0, "population_persons": 1.0, "pop": 1.0, "population_1e4": 1e4, "population_万人": 1e4}


# --------------------------------------------------------------------------------------------------
# tasks


def _land(values: dict[str, Any], maps: dict[int, str], base: int) -> pd.DataFrame:
    das = {int(y): read_raster(p, chunks=None, categorical=True, name=f"landuse_{y}") for y, p in maps.items()}
    like = das[base]
    groups = load_scheme(values["scheme"]).group_of()
    zones, names = None, None
    if values.get("zones"):
        zr, zn = load_zones(values["zones"], field=values.get("zone_field"), layer=values.get("zone_layer"),
                            like=like, align=bool(values.get("align")))
        zones, names = np.asarray(zr.values), {i + 1: n for i, n in enumerate(zn)}
    lines = {k: v for k, v in (values.get("lines") or {}).items() if k in LAND_LINES}
    masks = {k: np.asarray(m.values) for k, m in load_lines(lines, like=like, align=bool(values.get("align"))).items()}
    present = {c: g for c, g in groups.items()}
    df = ind.land_areas(das, present, base_year=base, zones=zones, zone_names=names, lines=masks)
    return df


def _sum_region(df: pd.DataFrame, variables: list[str]) -> pd.DataFrame:
    """Rows of the whole region (zone "") as the sum over zones, where the table has none."""
    part = df[df["variable"].isin(variables) & (df["zone"] != ind.REGION)]
    if part.empty:
        return df
    have = set(map(tuple, df.loc[df["zone"] == ind.REGION, ["year", "variable"]].to_numpy().tolist()))
    reg = part.groupby(["year", "variable", "unit"], as_index=False)["value"].sum()
    reg = reg[[(int(y), v) not in have for y, v in zip(reg["year"], reg["variable"], strict=True)]]
    return pd.concat([df, reg.assign(zone=ind.REGION)], ignore_index=True)


def _long(df: pd.DataFrame, cols: dict[str, tuple[str, str, float]]) -> pd.DataFrame:
    """Long variables from a wide table (zone, year, columns) → variable, unit, factor."""
    out = []
    lower = {str(c).strip().lower(): c for c in df.columns}
    for key, (var, unit, f) in cols.items():
        if key in lower:
            c = lower[key]
            part = df[["zone", "year", c]].dropna()
            out.append(pd.DataFrame({"zone": part["zone"].astype(str), "year": part["year"].astype(int),
                                     "variable": var, "value": part[c].astype(float) * f, "unit": unit}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=VAR_COLUMNS[1:])


def _socio(path: str) -> pd.DataFrame:
    df = read_table(path)
    low = {str(c).strip().lower(): c for c in df.columns}
    if "zone" not in low or "year" not in low:
        raise InputValidationError([Issue("socioeconomic", "the socio-economic table needs columns zone and year")])
    df = df.rename(columns={low["zone"]: "zone", low["year"]: "year"})
    cols: dict[str, tuple[str, str, float]] = {}
    for k, f in _GDP.items():
        if k in low and not any(v[0] == "gdp_1e4CNY" for v in cols.values()):
            cols[k] = ("gdp_1e4CNY", "10^4 CNY", f)
    for k, f in _POP.items():
        if k in low and not any(v[0] == "population" for v in cols.values()):
            cols[k] = ("population", "persons", f)
    cols["green_building_pct"] = ("green_building_pct", "%", 1.0)
    out = _long(df, cols)
    return _sum_region(out, ["gdp_1e4CNY", "population"])


def _stock(path: str) -> pd.DataFrame:
    df = read_table(path, dtype={"zone": str})
    df = df[df["year"].notna()]
    out = pd.DataFrame({"zone": df["zone"].astype(str), "year": df["year"].astype(int), "variable": "stock_MgC",
                        "value": df["stock_MgC"].astype(float), "unit": "Mg C"})
    out = out[~out["zone"].isin(["(all)", "(outside zones)"])]
    return _sum_region(out, ["stock_MgC"])


def _emissions(values: dict[str, Any]) -> pd.DataFrame:
    parts = []
    src = values.get("balance") or values.get("emissions")
    if not src:
        return pd.DataFrame(columns=VAR_COLUMNS[1:])
    df = read_table(src, dtype={"zone": str})
    low = {str(c).lower(): c for c in df.columns}
    for names, var in ((("emission_tco2e", "emission_tco2"), "emission_tCO2"),
                       (("absorption_tco2",), "absorption_tCO2")):
        c = next((low[n] for n in names if n in low), None)
        if c is None:
            continue
        part = df[["zone", "year", c]].dropna()
        parts.append(pd.DataFrame({"zone": part["zone"].astype(str), "year": part["year"].astype(int),
                                   "variable": var, "value": part[c].astype(float), "unit": "t CO2/a"}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=VAR_COLUMNS[1:])
    return _sum_region(out, ["emission_tCO2", "absorption_tCO2"])


def _given(path: str | None, scenario: str) -> pd.DataFrame:
    """The plan's own variables ([tables] variables: zone, year, variable, value, unit[, scenario]) of one
    scenario ("" = observed): statistics the models do not compute (yearbook emissions, a target series)."""
    if not path:
        return pd.DataFrame(columns=VAR_COLUMNS[1:])
    df = read_table(path, dtype={"zone": str, "scenario": str, "variable": str, "unit": str}, keep_default_na=False)
    miss = [c for c in ("zone", "year", "variable", "value") if c not in df.columns]
    if miss:
        raise InputValidationError([Issue("variables", f"the variables table lacks columns {miss}; expected zone, "
                                                       f"year, variable, value, unit[, scenario]")])
    if "scenario" not in df.columns:
        df["scenario"] = ""
    if "unit" not in df.columns:
        df["unit"] = ""
    df = df[df["scenario"] == scenario]
    return pd.DataFrame({"zone": df["zone"], "year": df["year"].astype(int), "variable": df["variable"],
                         "value": pd.to_numeric(df["value"]), "unit": df["unit"]})


def _merge(parts: list[pd.DataFrame], given: pd.DataFrame) -> pd.DataFrame:
    """Computed variables, with the given ones replacing a computed row of the same key."""
    df = pd.concat([p for p in parts if len(p)], ignore_index=True)
    if len(given):
        key = ["zone", "year", "variable"]
        idx = pd.MultiIndex.from_frame(df[key])
        gidx = pd.MultiIndex.from_frame(given[key])
        df = pd.concat([df[~idx.isin(gidx)], given], ignore_index=True)
    return df


def _write_variables(out: str | os.PathLike, df: pd.DataFrame, command: str, notes: list[str]) -> dict[str, Any]:
    df = df[VAR_COLUMNS].sort_values(["scenario", "variable", "zone", "year"], kind="stable").reset_index(drop=True)
    with RunFolder(out, command, overwrite=True) as run:
        run.write_table(df, "variables.csv")
        run.manifest.notes.extend(notes)
        run.summary = {"rows": int(len(df)), "variables": sorted(set(df["variable"]))}
    return run.summary


def variables_observed(*, values: dict[str, Any], out: str | os.PathLike, root: Path) -> dict[str, Any]:
    maps = {int(y): p for y, p in values["maps"].items()}
    base = int(values["base"])
    parts = [_land(values, maps, base)]
    if values.get("stock"):
        parts.append(_stock(values["stock"]))
    if values.get("socioeconomic"):
        parts.append(_socio(values["socioeconomic"]))
    parts.append(_emissions(values))
    df = _merge(parts, _given(values.get("given"), ind.OBSERVED)).assign(scenario=ind.OBSERVED)
    return _write_variables(out, df, "study.variables", [])


def _projected(values: dict[str, Any], obs: pd.DataFrame, targets: list[int]) -> tuple[pd.DataFrame, list[str]]:
    """Region emissions, GDP and population of the target years along the scenario's STIRPAT path."""
    proj = read_table(values["projection"])
    proj = proj[proj["scenario"].astype(str) == str(values["peak"])]
    if proj.empty:
        raise InputValidationError([Issue("peak", f"the STIRPAT projection has no scenario {values['peak']!r}")])
    hist = read_table(values["history"])
    hl = {str(c).lower(): c for c in hist.columns}
    e_col = next(c for c in proj.columns if str(c).startswith("emissions_") and not str(c).startswith("emissions_p"))
    h_e = next(hl[k] for k in hl if k.startswith("emissions_"))
    series = {"emission_tCO2": (proj[e_col], hist[h_e], "t CO2/a")}
    if "driver_population" in proj.columns and "population" in hl:
        series["population"] = (proj["driver_population"], hist[hl["population"]], "persons")
        if "driver_pcgdp" in proj.columns and "pcgdp" in hl:
            series["gdp_1e4CNY"] = (proj["driver_population"] * proj["driver_pcgdp"],
                                    hist[hl["population"]] * hist[hl["pcgdp"]], "10^4 CNY")
    region = obs[obs["zone"] == ind.REGION]
    rows, notes = [], []
    for var, (p, h, unit) in series.items():
        ob = region[region["variable"] == var].set_index("year")["value"]
        hy = dict(zip(hist[hl["year"]].astype(int), h.astype(float), strict=True))
        common = sorted(set(ob.index.astype(int)) & set(hy))
        if not common:
            notes.append(f"{var}: no year shared by the observed table and the STIRPAT history; not projected")
            continue
        ref = common[-1]
        py = dict(zip(proj["year"].astype(int), p.astype(float), strict=True))
        for t in targets:
            if t in py and hy[ref] > 0:
                rows.append({"zone": ind.REGION, "year": t, "variable": var, "unit": unit,
                             "value": float(ob.loc[ref]) * py[t] / hy[ref]})
        notes.append(f"{var} of the target years: observed {ref} × STIRPAT path {values['peak']!r} relative to "
                     f"its history in {ref} [D]")
    return pd.DataFrame(rows, columns=VAR_COLUMNS[1:]), notes


def variables_scenario(*, values: dict[str, Any], out: str | os.PathLike, root: Path) -> dict[str, Any]:
    base = int(values["base"])
    targets = [int(t) for t in values["targets"]]
    maps = {base: values["base_map"], **{int(y): p for y, p in values["maps"].items()}}
    land = _land(values, maps, base)
    parts = [land[land["year"] != base]]
    if values.get("stock"):
        st = _stock(values["stock"])
        parts.append(st[st["year"].isin(targets)])
    obs = read_table(values["observed"], dtype={"zone": str, "scenario": str}, keep_default_na=False)
    obs = obs.assign(value=pd.to_numeric(obs["value"]), year=obs["year"].astype(int))
    notes: list[str] = []
    if values.get("peak"):
        pr, notes = _projected(values, obs, targets)
        parts.append(pr)
    new = _merge(parts, _given(values.get("given"), values["scenario"]))
    df = pd.concat([obs.drop(columns=["scenario"]), new], ignore_index=True).assign(scenario=values["scenario"])
    return _write_variables(out, df, "study.variables", notes)


# --------------------------------------------------------------------------------------------------
# builders


def _shared(b: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    sp = b.sp
    zv, zo = b.zone_values()
    vals = {"scheme": b.scheme, **zv, "lines": {k: str(v) for k, v in sp.lines.items()}, "base": sp.base}
    org = {"scheme": ("classes", "scheme"), "lines": ("lines",), "base": ("years", "base"), **zo}
    if sp.align:
        vals["align"] = True
    return vals, org


def _ids(b: Any) -> set[str]:
    return {s.id for s in b.steps}


def _indicator_inputs(b: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Targets, user indicators and crop targets of [indicators] as tables (inputs of the indicators model)."""
    sp = b.sp
    cfg = sp.indicators
    vals: dict[str, Any] = {}
    org: dict[str, Any] = {}
    if cfg.get("targets"):
        rows = []
        for where, t in cfg["targets"]:
            tv = t.get("target")
            r = {"indicator": t["indicator"], "target": tv, "target_hi": None, "year": t.get("year"),
                 "zone": t.get("zone"), "warning": t.get("warning"), "tolerance": t.get("tolerance"),
                 "direction": t.get("direction")}
            if isinstance(tv, list):
                if len(tv) != 2:
                    b.issues.append(sp.plan.issue((*where, "target"), f"found {tv!r}; a band is two numbers [lo, hi]"))
                    continue
                r["target"], r["target_hi"] = tv
            if t["indicator"] not in ind.INDICATORS and t["indicator"] not in {u["id"] for _, u in cfg.get("user", [])}:
                known = [*ind.INDICATORS, *[u["id"] for _, u in cfg.get("user", [])]]
                from ..core.validation import did_you_mean

                b.issues.append(sp.plan.issue((*where, "indicator"), f"unknown indicator {t['indicator']!r}"
                                                                     f"{did_you_mean(t['indicator'], known)}; expected "
                                                                     f"one of {', '.join(known)}"))
                continue
            rows.append(r)
        vals["targets"] = b.write_table("indicator_targets.csv", pd.DataFrame(rows, columns=[
            "indicator", "target", "target_hi", "year", "zone", "warning", "tolerance", "direction"]))
        org["targets"] = ("indicators", "targets")
    if cfg.get("user"):
        rows = [{"indicator": u["id"], "expression": u["expression"], "unit": u["unit"], "direction": u["direction"],
                 "name_zh": u.get("name_zh", ""), "name_en": u.get("name_en", "")} for _, u in cfg["user"]]
        vals["user_indicators"] = b.write_table("user_indicators.csv", pd.DataFrame(rows))
        org["user_indicators"] = ("indicators", "user")
    ct = cfg.get("crop_target")
    if ct is not None:
        if isinstance(ct, Path):
            vals["crop_target"] = str(ct)
        else:
            d = {"": ct} if isinstance(ct, int | float) else {str(k): v for k, v in ct.items()}
            vals["crop_target"] = b.write_table("crop_target.csv", pd.DataFrame(
                {"zone": list(d), "crop_target_ha": [float(v) for v in d.values()]}))
        org["crop_target"] = ("indicators", "crop_target")
    for k in ("warning", "tolerance"):
        if k in cfg:
            vals[k], org[k] = cfg[k], ("indicators", k)
    vals["base_year"] = cfg.get("base_year", sp.base)
    org["base_year"] = ("indicators", "base_year") if "base_year" in cfg else ("years", "base")
    return vals, org


def _needs(b: Any) -> None:
    """A target naming an indicator whose variables no step produces is an error at its line."""
    sp = b.sp
    ids = _ids(b)
    produced = {"area_total_ha", *[f"area_{g}_ha" for g in ("cropland", "forest", "grassland", "water", "built_up",
                                                              "unused")]}
    if sp.lines.get("basic_farmland"):
        produced |= {"area_basic_farmland_ha", "area_basic_farmland_cropland_ha"}
    if sp.lines.get("eco_redline"):
        produced |= {"area_eco_redline_ha", "area_redline_encroached_ha"}
    if sp.lines.get("urban_boundary"):
        produced |= {"area_urban_boundary_ha", "area_urban_boundary_builtup_base_ha",
                     "area_new_builtup_outside_boundary_ha"}
    if "stock/observed" in ids:
        produced.add("stock_MgC")
    if "emissions/observed" in ids:
        produced |= {"emission_tCO2", "absorption_tCO2"}
    if "socioeconomic" in sp.tables:
        produced |= {"gdp_1e4CNY", "population", "green_building_pct"}
    if sp.indicators.get("crop_target") is not None:
        produced.add("crop_target_ha")
    if "variables" in sp.tables:
        try:
            produced |= set(read_table(sp.tables["variables"])["variable"].astype(str))
        except (LandcarbonError, KeyError):
            pass  # the variables step names the problem
    for where, t in sp.indicators.get("targets", []):
        d = ind.INDICATORS.get(t["indicator"])
        if d is None:
            continue
        miss = [v for v in d.inputs if v not in produced]
        if miss:
            b.issues.append(sp.plan.issue((*where, "indicator"), f"{d.id} ({d.name_en}) reads {', '.join(miss)}, which "
                                                                 f"no step of the plan produces; add its inputs "
                                                                 f"({d.source}) or drop the target"))


def add_indicator_steps(b: Any) -> None:
    sp = b.sp
    ids = _ids(b)
    shared, sorg = _shared(b)
    obs_years = list(sp.maps)
    vals = {**shared, "maps": {str(y): b.map(y) for y in obs_years}}
    org = {**sorg, "maps": ("maps",)}
    for k in ("socioeconomic",):
        if k in sp.tables:
            vals[k], org[k] = str(sp.tables[k]), ("tables", k)
    if "variables" in sp.tables:
        shared["given"], sorg["given"] = str(sp.tables["variables"]), ("tables", "variables")
        vals["given"], org["given"] = shared["given"], sorg["given"]
    if "stock/observed" in ids:
        vals["stock"], org["stock"] = Ref("stock/observed", "by_zone.csv"), ("tables", "pools")
    if "balance/observed" in ids:
        vals["balance"], org["balance"] = Ref("balance/observed", "balance_by_zone.csv"), ("tables", "energy")
    elif "emissions/observed" in ids:
        vals["emissions"], org["emissions"] = Ref("emissions/observed", "emissions_by_zone.csv"), ("tables", "energy")
    b.add(Step("variables/observed", "study.variables", vals, run=variables_observed), org)
    _needs(b)
    ivals, iorg = _indicator_inputs(b)
    b.add(Step("indicators/observed", "indicators", {"variables": Ref("variables/observed", "variables.csv"),
                                                     **ivals}),
          {"variables": ("indicators",), **iorg})
    for sid, sc in sp.scenarios.items():
        v = {**shared, "maps": {str(t): Ref(f"simulate/{sid}", b.sim_file(t)) for t in sp.targets},
             "base_map": b.map(sp.base), "targets": list(sp.targets), "scenario": sid,
             "observed": Ref("variables/observed", "variables.csv")}
        o = {**sorg, "maps": ("scenarios", sid), "base_map": ("years", "base"), "targets": ("years", "targets"),
             "scenario": ("scenarios", sid), "observed": ("scenarios", sid)}
        if f"stock/{sid}" in ids:
            v["stock"], o["stock"] = Ref(f"stock/{sid}", "by_zone.csv"), ("tables", "pools")
        if sc.peak is not None and "peak" in ids:
            v.update(peak=sc.peak, projection=Ref("peak", "projection.csv"), history=str(sp.tables["history"]))
            o.update(peak=("scenarios", sid, "peak"), projection=("scenarios", sid, "peak"),
                     history=("tables", "history"))
        b.add(Step(f"variables/{sid}", "study.variables", v, scenario=sid, run=variables_scenario), o)
        b.add(Step(f"indicators/{sid}", "indicators", {"variables": Ref(f"variables/{sid}", "variables.csv"),
                                                       **ivals}, scenario=sid),
              {"variables": ("scenarios", sid), **iorg})


__all__ = ["add_indicator_steps", "variables_observed", "variables_scenario"]
