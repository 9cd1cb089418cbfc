"""``landcarbon demand`` step: maps (and rules or a table) -> demand.csv for the simulation.

demand.csv (UTF-8 with BOM) has columns ``code,cells,area_ha`` for one target year or
``year,code,cells,area_ha`` for several; each year's cells add up to the valid cells of the start
map (the last map) exactly. demand_details.json beside it records the transition probabilities
used, the rules and how each year was projected; the runner writes the manifest (inputs with
hashes, parameters).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.classes import ClassScheme
from ..core.errors import InputValidationError
from ..core.grid import grid_of
from ..core.spec import Issue
from ..io import align_to
from ..io.inputs import load_scheme
from ..models import change as _ch
from ..models import demand as _dm
from ..models.change import year_from_name
from ..models.demand.rules import looks_like_fractions, names_groups
from ..models.demand.table import parse_table
from .runner import RunContext, run_model

#: file suffixes that mark ``out`` as a file name (the run folder holds demand.csv)
_FILE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls", ".json")


def _map_years(ctx: RunContext) -> tuple[list[int] | None, list[Issue], bool]:
    """(years of the maps, problems, taken from the file names)."""
    maps, years = ctx["landuse"], ctx["years"]
    names = [Path(str(p)).name if isinstance(p, str | os.PathLike) else None for p in maps]
    if years:
        if len(years) != len(maps):
            return None, [Issue("years", f"found {len(years)} year(s) for {len(maps)} maps; expected one year per "
                                         f"map, oldest first (e.g. 2005 2010)")], False
        order, _ = _ch.name_order_issue("landuse", names, years)
        return list(years), [order] if order else [], False
    guessed = [year_from_name(n) if n else None for n in names]
    if any(y is None for y in guessed):
        return None, [Issue("years", "the map years are not in the file names; give ⟨years⟩ (one per map, oldest "
                                     "first, e.g. 2005 2010)")], True
    ys = [int(y) for y in guessed if y is not None]
    if any(b <= a for a, b in zip(ys[:-1], ys[1:])):
        return None, [Issue("landuse", f"the years in the file names are {', '.join(map(str, ys))} "
                                       f"({', '.join(n for n in names if n)}); expected the maps in increasing "
                                       f"order, oldest first: give them in that order, or give ⟨years⟩")], True
    return ys, [], True


def _does_nothing(key: str, why: str) -> Issue:
    return Issue(key, f"{why}, so ⟨{key}⟩ would do nothing; drop it")


def _rules(ctx: RunContext) -> tuple[tuple[Any, ...], list[Issue]]:
    df = ctx.table("rules")
    if df is None:
        return (), []
    try:
        return _dm.rules_from_frame(df), []
    except InputValidationError as err:
        return (), [i if isinstance(i, Issue) else Issue("rules", str(i)) for i in err.issues]


def check(ctx: RunContext) -> list[Issue]:  # noqa: C901 - one flat list of cheap checks
    method, n = ctx["method"], len(ctx["landuse"])
    issues: list[Issue] = []
    if method == "markov" and n != 2:
        issues.append(Issue("landuse", f"found {n} map(s); method markov uses exactly two (t1, t2): give two maps, "
                                       f"or use method trend for three or more"))
    if method == "trend" and n < 2:
        issues.append(Issue("landuse", f"found {n} map; method trend needs two or more (three or more recommended)"))
    if method == "table" and n != 1:
        issues.append(Issue("landuse", f"found {n} maps; method table uses one, the simulation's start map: give "
                                       f"only that map"))
    if method == "table":
        for key in ("years", "target"):
            if ctx.get(key):
                issues.append(_does_nothing(key, "method table takes its years from the table"))
    elif not any(i.key == "landuse" for i in issues):
        years, probs, _ = _map_years(ctx)
        issues += probs
        if years and ctx["target"]:
            early = [t for t in ctx["target"] if t < years[-1]]
            if early:
                issues.append(Issue("target", f"found {', '.join(map(str, early))}, before the last map "
                                              f"({years[-1]}); expected target years ≥ {years[-1]}"))
    markov, flus = method == "markov", ctx["markov_origin"] == "flus"
    for key in ("scenario", "rules"):
        if ctx.given(key) and not markov:
            issues.append(Issue(key, f"scenarios and rules adjust Markov transition probabilities, but method is "
                                     f"{method}; use them with method markov, or drop ⟨{key}⟩"))
    if ctx.given("table") and method != "table":
        issues.append(_does_nothing("table", f"a demand table is used by method table, and method is {method}"))
    if ctx.given("markov_origin") and not markov:
        issues.append(_does_nothing("markov_origin", f"method is {method}, not markov"))
    if ctx.given("fractional") and (not markov or flus):
        issues.append(_does_nothing("fractional", "only the Markov projection from t2 has fractional horizons"))
    if ctx.given("start_mask") and (not markov or flus):
        issues.append(_does_nothing("start_mask", "only the Markov projection from t2 has a start vector"))
    if ctx.given("rescale") and method == "markov":
        issues.append(_does_nothing("rescale", "a Markov demand always adds up to the start map's valid cells"))
    if ctx.given("fixed") and not (method == "table" and ctx["rescale"]):
        issues.append(_does_nothing("fixed", "fixed classes are kept only when a demand table is rescaled "
                                             "(method table with ⟨rescale⟩)"))
    rules, probs = _rules(ctx)
    issues += probs
    scenario = _dm.get_scenario(ctx["scenario"]) if ctx.get("scenario") else None
    all_rules = (*(scenario.rules if scenario else ()), *rules)
    if ctx.given("scheme") and not names_groups(all_rules):
        issues.append(_does_nothing("scheme", "the class scheme only says which codes belong to the groups named "
                                              "by scenario rules, and no rule names a group"))
    elif markov and names_groups(all_rules) and not ctx.given("scheme"):
        issues.append(Issue("scheme", "the scenario rules name land-use groups (cropland, built_up …), but no class "
                                      "scheme was given to say which codes belong to them; give ⟨scheme⟩ (a "
                                      "built-in name or a code,group table) or use class codes in the rules"))
    if ctx.get("scheme") is not None:
        issues += _ch.issues_of(load_scheme, ctx["scheme"])
    if rules and looks_like_fractions(rules) and not ctx["allow_implausible"]:
        vals = ", ".join(f"{r.change * 100:g}" for r in rules[:4])
        issues.append(Issue("rules", f"every change_pct is below 1 in size ({vals}); change_pct is in percent, so "
                                     f"these look like fractions (−0.7 for −70 %?): multiply them by 100, or set "
                                     f"⟨allow_implausible⟩ if you mean changes below 1 %"))
    elif ctx.given("allow_implausible") and not rules:
        issues.append(_does_nothing("allow_implausible", "it only accepts rules tables whose changes look like "
                                                         "fractions, and no rules were given"))
    table = ctx.table("table") if method == "table" else None
    if table is not None:
        try:
            df = parse_table(table)
        except InputValidationError as err:
            issues += [i if isinstance(i, Issue) else Issue("table", str(i)) for i in err.issues]
        else:
            codes = set(int(c) for c in df["code"])
            unknown = [c for c in ctx["fixed"] if c not in codes]
            if unknown:
                issues.append(Issue("fixed", f"codes {unknown} are not in the demand table (its codes are "
                                             f"{sorted(codes)}); expected codes of the table"))
    return issues


def _maps(ctx: RunContext) -> list[Any]:
    das = [ctx.raster("landuse", index=i) for i in range(len(ctx["landuse"]))]
    if ctx["align"] and any(grid_of(d) != grid_of(das[0]) for d in das[1:]):
        das = [das[0], *(d if grid_of(d) == grid_of(das[0]) else align_to(d, das[0]) for d in das[1:])]
        ctx.warn("maps on other grids were resampled onto the grid of the first map (nearest neighbour)")
    return das


def _start_cells(da: Any) -> tuple[int, list[int], float]:
    """Valid cells of the start map, its codes and its mean cell area (ha)."""
    m = _ch.as_map(da, "start map")
    codes = _ch.find_codes([m])
    tt = _ch.transition_matrix(da, da, codes=codes)
    n = tt.total_cells
    return n, list(codes), float(tt.area_ha.sum() / n) if n else float("nan")


def _matrix(v: pd.DataFrame) -> dict[str, Any]:
    return {"index": [int(i) for i in v.index], "columns": [int(c) for c in v.columns],
            "values": np.asarray(v.to_numpy(), dtype=float).tolist()}


def execute(ctx: RunContext) -> dict[str, Any]:
    out = Path(ctx.run.out)
    if out.suffix.lower() in _FILE_SUFFIXES:
        raise InputValidationError([Issue("out", f"found {out.name}, a file name; ⟨out⟩ is the run folder (demand.csv "
                                                 f"is written inside it): give a folder, e.g. {out.stem}/")])
    method = ctx["method"]
    sch = load_scheme(ctx["scheme"]) if ctx.get("scheme") is not None else None
    das = _maps(ctx)
    targets = list(ctx["target"])
    target = targets if len(targets) > 1 else (targets[0] if targets else None)
    ys: list[int] = []
    if method != "table":
        ys, _, from_names = _map_years(ctx)
        _, differ = _ch.name_order_issue("landuse", [Path(str(p)).name for p in ctx["landuse"]], ys)
        if differ:
            ctx.warn(differ)
        if from_names:
            ctx.warn("map years taken from the file names: " + ", ".join(
                f"{Path(str(p)).name} → {y}" for p, y in zip(ctx["landuse"], ys)))
    with ctx.progress.step(f"demand ({method})", total=1) as advance, ctx.manifest.timed("compute"):
        if method == "markov":
            rules, _ = _rules(ctx)
            df = _dm.markov(das[0], das[1], (ys[0], ys[1]), target, scenario=ctx.get("scenario"),
                            rules=rules or None, scheme=sch, fractional=ctx["fractional"],
                            markov_origin=ctx["markov_origin"], start=ctx["start_mask"])
        elif method == "trend":
            df = _dm.trend(das, ys, target, rescale=ctx["rescale"])
        else:
            n, codes, cell_ha = _start_cells(das[-1])
            df = _dm.from_table(ctx.table("table"), total_cells=n, codes=codes, cell_area_ha=cell_ha,
                                rescale=ctx["rescale"], fixed=list(ctx["fixed"]))
        advance(1)
    total = int(df.attrs["start_cells"])
    _dm.check_total(df, total)
    attrs = dict(df.attrs)
    if method == "markov" and ctx["start_mask"] == "map2" and ctx["markov_origin"] == "landcarbon":
        left = total - int(attrs.get("common_cells", total))
        if left > 0:
            ctx.warn(f"{left:,} valid cells of the last map are nodata in the first map and were left out of the "
                     f"transition probabilities (they count in the start vector)",
                     area_ha=left * float(attrs["cell_area_ha"]) if np.isfinite(attrs["cell_area_ha"]) else None)
    ctx.manifest.parameters.update({"years": ys, "target": targets, "start_cells": total})
    details: dict[str, Any] = {"method": method, "years": ys, "targets": targets, "start_cells": total}
    for key in ("P", "P_observed", "P_annual", "shares"):
        if attrs.get(key) is not None:
            details[key] = _matrix(attrs[key])
    for key in ("projection", "rules", "slope_per_year", "scenario", "start_vector", "cell_area_ha",
                "P_annual_note", "rescaled"):
        if key in attrs:
            details[key] = attrs[key]
    out_df = pd.DataFrame(df)
    out_df.attrs = {}
    ctx.run.write_table(out_df, "demand.csv")
    ctx.run.write_json(details, "demand_details.json")
    projection = {str(k): v for k, v in (attrs.get("projection") or {}).items()}
    return {
        "headline": [{"label": "start map valid cells (each year's total)", "value": total, "unit": "cells"},
                     {"label": "method", "value": method if method != "markov" else
                      f"markov ({attrs.get('scenario') or 'natural_trend'})", "unit": ""},
                     *([{"label": "target years", "value": ", ".join(map(str, targets)), "unit": ""}]
                       if targets else [])],
        "main_outputs": ["demand.csv", "demand_details.json"],
        "method": method, "start_cells": total, "targets": targets, "rows": len(out_df),
        "projection": projection or None, "scenario": attrs.get("scenario"),
        "demand": out_df.to_dict(orient="records"),
    }


def run_demand(maps: Sequence[str | os.PathLike], out: str | os.PathLike, *, years: Sequence[int] | None = None,
               targets: Sequence[int] = (), method: str = "markov", scenario: str | None = None,
               rules: str | os.PathLike | None = None, table: str | os.PathLike | None = None,
               scheme: str | ClassScheme | None = None, fractional: str = "eigen",
               markov_origin: str = "landcarbon", start: str = "map2", rescale: bool = False,
               fixed: Sequence[int] = (), align: bool = False, overwrite: bool = True) -> dict[str, Any]:
    """Compute a demand table into the run folder ``out`` (demand.csv, demand_details.json, manifest)."""
    values = {"landuse": list(maps), "years": list(years) if years else None, "target": list(targets) or None,
              "method": method, "scenario": scenario, "rules": rules, "table": table, "scheme": scheme,
              "fractional": fractional, "markov_origin": markov_origin, "start_mask": start, "rescale": rescale,
              "fixed": list(fixed) or None, "align": align}
    return run_model("demand", values, out=out, overwrite=overwrite)


__all__ = ["check", "execute", "run_demand", "year_from_name"]
