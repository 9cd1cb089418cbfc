"""Execution of the simulation step: in memory (``models.simulate.simulate``) or out of core
(``workflow.simulate_zoned.run_simulate_zoned``), writing the spec's outputs into the staged run
folder; the inputs are those :mod:`.inputs` read and checked (each opened once per run)."""

from __future__ import annotations

import inspect
import json
import os
import shutil
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import numpy as np
import pandas as pd

from ...core.errors import InputValidationError, LandcarbonError
from ...core.grid import grid_of, row_areas_ha
from ...core.spec import Issue
from ...io import align_to, write_raster
from ...io.inputs import load_scheme
from ...models.simulate import CarsParams, LeasParams, simulate
from .inputs import (
    dem_name,
    demand_table,
    driver_list,
    is_ooc,
    layer,
    line_masks,
    restrict_layer,
    rule_table,
    run_memo,
    same_file,
    start_maps,
    zone_layers,
    zoned_demand,
)

_MAP = "sim*.tif"
_POTENTIAL = "potential_*.tif"


def execute(ctx) -> dict:
    out = ctx.run.out
    if out.suffix.lower() in (".tif", ".tiff", ".csv", ".xlsx", ".json", ".gpkg"):
        raise InputValidationError([Issue("out", f"found {out.name}; ⟨out⟩ is a run folder (the maps go to "
                                                 f"sim.tif / sim_<year>.tif inside it): give a folder name")])
    ctx.manifest.seeds["simulate"] = int(ctx["seed"])
    return _execute_zoned(ctx) if is_ooc(ctx) else _execute_memory(ctx)


def _params(ctx) -> tuple[LeasParams, CarsParams]:
    lp = LeasParams(sample_rate=ctx["sample_rate"], balanced=bool(ctx["balanced"]), n_trees=ctx["trees"],
                    max_depth=ctx.get("max_depth"), min_samples_leaf=ctx["min_leaf"], n_jobs=ctx["jobs"],
                    encoding=ctx["encoding"], driver_nodata=ctx["driver_nodata"])
    cp = CarsParams(neighbourhood=ctx["neighbourhood"], mu=ctx["mu"], seed_share=ctx["seed_share"],
                    delta=ctx["delta"], max_iter=ctx["max_iter"], control=ctx["control"])
    return lp, cp


def _write_map(ctx, data: Any, rel: str, grid: Any, pattern: str, **kw: Any) -> None:
    """Write a raster output with the band unit its spec output declares."""
    units = ctx.spec.output(pattern).units
    if "units" in inspect.signature(write_raster).parameters:
        write_raster(data, ctx.run.path(rel), grid, units=units, **kw)
    else:  # until io.rasters.write_raster takes units: set the band unit in place (the file stays a valid GeoTIFF)
        _set_units(write_raster(data, ctx.run.path(rel), grid, **kw), units)


class _SerialClient:
    """The two calls of the Dask client protocol ``simulate()`` makes (``map``, ``gather``), run serially in
    zone order, one progress step per zone window: the same map as without a client."""

    def __init__(self, advance: Callable[[int], None]):
        self.advance = advance

    def map(self, fn: Callable, items: list, pure: bool = False) -> list:
        out = []
        for it in items:
            out.append(fn(it))
            self.advance(1)
        return out

    def gather(self, results: list) -> list:
        return results


def _client(ctx, advance: Callable[[int], None]) -> Any:
    if ctx.scheduler:
        from distributed import get_client

        return get_client()  # the runner's client, connected to the scheduler for this run
    return _SerialClient(advance)


def _cell_ha(grid: Any) -> float | None:
    try:
        return float(np.mean(row_areas_ha(grid)))
    except LandcarbonError:  # pragma: no cover - a grid whose cell area is refused (e.g. Web Mercator)
        return None


def _warn_cells(ctx, n: int, what: str, cell_ha: float | None) -> None:
    if n:
        ctx.warn(f"{n} {what}", area_ha=None if cell_ha is None else n * cell_ha)


def _execute_memory(ctx) -> dict:
    mp = start_maps(ctx)
    start = mp["landuse"]
    align = bool(ctx.get("align"))
    drivers, categorical = {}, []
    for name, value, cat in driver_list(ctx):
        da = layer(ctx, value, name, cat)
        drivers[name] = align_to(da, start, categorical=cat) if align else da
        if cat:
            categorical.append(name)
    line_das = line_masks(ctx)
    z, zraw, znames = zone_layers(ctx)
    demand, zone_ids = zoned_demand(ctx)
    label, table = rule_table(ctx)
    rules: Any = None if label == "none" else (label if label != "table" else table)
    memo = run_memo(ctx)
    scheme = memo.get("scheme")
    if scheme is not None and not ctx.given("scheme"):
        ctx.warn(f"the control-line rules name land-use groups: the class codes were read as {scheme.name} ("
                 f"{', '.join(f'{c.code} {c.group}' for c in scheme.classes)}); give {ctx.namer('scheme')} if the "
                 f"maps use other codes")
    lp, cp = _params(ctx)
    dem = dem_name(ctx)
    slope = bool(ctx["slope"])
    with ctx.manifest.timed("simulate"), \
            ctx.progress.step("simulate (fit LEAS, then predict and allocate zone by zone)",
                              total=len(zone_ids or [0])) as advance:
        res = simulate(start, demand, calibrate_from=mp["calibrate_from"], calibrate_to=mp["calibrate_to"],
                       drivers=drivers, seed=int(ctx["seed"]), categorical=categorical, dem=dem, add_slope=slope,
                       restrict=restrict_layer(ctx), k_dev=ctx.get("develop_class"), lines=line_das, rules=rules,
                       scheme=scheme, transition=memo.get("transition"),
                       transition_orientation=ctx["transition_orientation"], zones=zraw, leas_params=lp,
                       cars_params=cp, client=_client(ctx, advance), return_potential=bool(ctx["potential"]))
    info = res.info
    ctx.manifest.parameters.update({
        "leas": info["leas_params"], "cars": info["cars"], "dem_driver": dem, "slope_added": bool(dem and slope),
        "rules": label if label != "table" else str(ctx["rules"]), "align": align,
        "transition_orientation": ctx["transition_orientation"], "develop_class": ctx.get("develop_class")})
    grid = grid_of(start)
    stages = list(res.maps)
    written = []
    with ctx.manifest.timed("write"), ctx.progress.step("write maps", total=len(stages)) as advance:
        for s in stages:
            rel = "sim.tif" if len(stages) == 1 and s == 0 else f"sim_{s}.tif"
            _write_map(ctx, res.maps[s], rel, grid, _MAP, nodata=start.rio.nodata, dtype=str(start.dtype))
            written.append(rel)
            advance(1)
        if res.potential is not None:
            for k, code in enumerate(info["codes"]):
                _write_map(ctx, res.potential.values[k], f"potential_{code}.tif", grid, _POTENTIAL)
        _write_tables(ctx, res.gaps, res.summary, res.leas, info["codes"])
    cell_ha = _cell_ha(grid)
    _warn_cells(ctx, info.get("excluded_driver_nodata", 0), "valid cells where a driver is nodata were not "
                "simulated (they keep their start class; see driver_holes)", cell_ha)
    _warn_cells(ctx, info.get("excluded_restrict_nodata", 0), "valid cells where the restriction raster is nodata "
                "were not simulated (they keep their start class)", cell_ha)
    if zraw is not None:
        outside = int(np.count_nonzero(mp["valid"] & (np.asarray(zraw.values) == 0)))
        _warn_cells(ctx, outside, "valid cells of the start map lie outside every zone: they keep their start class "
                    "and are not in the per-zone tables", cell_ha)
    carbon = None
    if ctx.get("pools") is not None:
        with ctx.manifest.timed("carbon"):
            carbon = _scenario_carbon(ctx, res.maps, start, z, znames)
        ctx.run.write_table(carbon, "scenario_carbon.csv")
    summ = res.summary
    summary = {
        "maps": written, "stages": [str(s) for s in stages], "codes": info["codes"],
        "changed_share": {str(k): v for k, v in info["changed_share"].items()},
        "final_gap_cells": {str(s): {str(c): int(g) for c, g in summ[summ.stage == s].groupby("code").gap_cells.sum()
                                     .items()} for s in stages},
        "iterations": {str(s): int(summ[summ.stage == s].iterations.max()) for s in stages},
        "driver_holes": info["driver_holes"],
        "excluded_cells": {k: v for k, v in info.items() if k.startswith("excluded_")},
        "n_valid": info["n_valid"], "n_candidates": info["n_candidates"],
        "neighbourhood_weights": dict(zip(map(str, info["codes"]), info["weights"])),
    }
    headline = [{"label": "changed share" + ("" if s == 0 else f" {s}"), "value": round(100 * v, 3), "unit": "%"}
                for s, v in info["changed_share"].items()]
    headline += [{"label": "demand gap left", "value": int(summ.gap_cells.abs().sum()), "unit": "pixels"},
                 {"label": "iterations", "value": max(summary["iterations"].values()), "unit": ""}]
    if carbon is not None:
        last = carbon[carbon.label == carbon.label.iloc[-1]]
        headline.append({"label": f"carbon stock change to {last.label.iloc[0]}",
                         "value": float(last.change_from_start_MgC.sum()), "unit": "Mg C"})
    return {"headline": headline, "main_outputs": written + ["summary.csv"] + (["scenario_carbon.csv"] if carbon
                                                                                is not None else []), **summary}


def _write_tables(ctx, gaps: pd.DataFrame, summary: pd.DataFrame, leas: Any, codes: list) -> None:
    ctx.run.write_table(gaps, "demand_gap.csv")
    ctx.run.write_table(summary, "summary.csv")
    ctx.run.write_table(leas.contributions, "driver_contributions.csv")
    ctx.run.write_table(pd.DataFrame({"code": codes, "positives": leas.positives, "rmse": leas.rmse,
                                      "oob_rmse": leas.oob_rmse}), "leas_accuracy.csv")


def _scenario_carbon(ctx, maps: dict, start: Any, zones: Any, zone_names: list[str]) -> pd.DataFrame:
    """Carbon stock of the start map and every simulated map (``models.carbon_stock``), by zone: stock (Mg C) and
    change from the start map (Mg C). The maps and the pools table are those the simulation checked: no second
    read; every class of the maps has a row (checked before the run, and again on the accounts)."""
    from ...models import carbon_stock as cs

    stages = list(maps)
    labels = ["start"] + [f"sim_{s}" if s != 0 else "sim" for s in stages]
    res = cs.compute([start, *maps.values()], run_memo(ctx)["pools"], labels=labels, zones=zones,
                     zone_names=zone_names)
    acc = [np.asarray(a) for a in res.accounts]
    cs.check_accounts(res.plan, acc, map_names=labels)
    out = cs.summarize(res, acc)
    if zones is None or out["by_zone"].empty:
        by_zone = pd.DataFrame([{"zone": "(all)", "label": mm["label"], "area_ha": mm["area_valid_ha"],
                                 "stock_MgC": mm["total_MgC"], "stock_tCO2": mm["total_tCO2"]}
                                for mm in out["summary"]["maps"]])
    else:
        by_zone = out["by_zone"].copy()
    base = by_zone[by_zone.label == "start"].set_index("zone")["stock_MgC"]
    by_zone["change_from_start_MgC"] = by_zone["stock_MgC"] - by_zone["zone"].map(base)
    by_zone["year"] = by_zone["label"].map(dict(zip(labels, [None, *stages])))
    return by_zone


# -- out of core -----------------------------------------------------------------------------------------------------
class _Phases:
    """``progress(done, total)`` of the out-of-core run (scan windows, zones, assembly windows) as one progress step
    per phase."""

    LABELS = ("scan the region", "simulate zones", "write maps")

    def __init__(self, progress: Any):
        self.progress = progress
        self.stack = ExitStack()
        self.phase, self.total, self.done = -1, None, 0
        self.advance: Callable[[int], None] = lambda n=1: None

    def __call__(self, done: int, total: int) -> None:
        if total != self.total or done < self.done:
            self.stack.close()
            self.phase += 1
            label = self.LABELS[min(self.phase, len(self.LABELS) - 1)]
            self.advance = self.stack.enter_context(self.progress.step(label, total=total))
            self.total, self.done = total, 0
        self.advance(done - self.done)
        self.done = done


def _execute_zoned(ctx) -> dict:
    from ..simulate_zoned import run_simulate_zoned

    staged = ctx.run.staged
    tmp = staged / ".inputs"
    tmp.mkdir()
    sub = staged / ".zoned"
    try:
        demand = tmp / "demand.csv"
        demand_table(ctx).to_csv(demand, index=False)            # the chosen sheet, canonical column names
        label, table = rule_table(ctx)
        rules = label
        if label == "table":
            rules = str(tmp / "rules.csv")
            table.to_csv(rules, index=False)
        transition = None
        if ctx.get("transition") is not None:
            transition = str(tmp / "transition.csv")
            ctx.table("transition").to_csv(transition, index=False)
        classes = None
        if ctx.get("lines"):
            classes = str(tmp / "scheme.csv")
            load_scheme(ctx.get("scheme"), default="national6").to_frame().to_csv(classes, index=False)
        dem = ctx.get("dem")
        drivers = [str(v) + (":categorical" if cat else "") + (":dem" if dem is not None and same_file(v, dem) else "")
                   for _, v, cat in driver_list(ctx)]
        lp, cp = _params(ctx)
        mzm = ctx.get("max_zone_memory")
        phases = _Phases(ctx.progress)
        try:
            run_dir = run_simulate_zoned(
                start=str(ctx["landuse"]), calibrate_from=str(ctx["calibrate_from"]),
                calibrate_to=str(ctx["calibrate_to"]), drivers=drivers, demand=str(demand), out=[str(sub)],
                seed=int(ctx["seed"]), tiles=ctx.get("tiles"), zone_size=ctx.get("zone_size"),
                zones=None if ctx.get("zones") is None else str(ctx["zones"]),
                restrict=None if ctx.get("restrict") is None else str(ctx["restrict"]),
                develop_class=ctx.get("develop_class"), rules=rules,
                lines=[f"{n}={p}" for n, p in ctx.get("lines", [])], classes=classes, transition=transition,
                transition_orientation=ctx["transition_orientation"], no_slope=not ctx["slope"],
                scheduler=ctx.scheduler, overwrite=True, block=ctx["block"],
                max_zone_bytes=None if mzm is None else mzm * 1e9, zone_workers=ctx["zone_workers"],
                leas_params=lp, cars_params=cp, progress=phases)
        finally:
            phases.stack.close()
        summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
        man = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
        units = ctx.spec.output(_MAP).units
        for f in sorted(run_dir.rglob("*")):
            if f.is_file() and f.name not in ("manifest.json", "summary.json"):
                rel = f.relative_to(run_dir).as_posix()
                dst = ctx.run.path(rel)
                os.replace(f, dst)
                if rel.startswith("sim") and rel.endswith(".tif"):
                    _set_units(dst, units)
        m = ctx.manifest
        m.parameters.update(man.get("parameters", {}))
        m.parameters["out_of_core_notes"] = man.get("notes", [])
        m.timings_s.update(man.get("timings_s", {}))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(sub, ignore_errors=True)
    gaps = sum(int(abs(g)) for per in summary["final_gap_cells"].values() for g in per.values())
    headline = [{"label": "zones", "value": summary["zones"], "unit": ""},
                {"label": "demand gap left", "value": gaps, "unit": "pixels"},
                {"label": "iterations", "value": max(summary["iterations"].values()), "unit": ""}]
    return {"headline": headline, "main_outputs": list(summary["maps"]) + ["summary.csv", "zone_demand.csv"],
            **summary}


def _set_units(path: Any, units: str | None) -> None:
    """The band unit of a map the out-of-core run assembled (a tiled GeoTIFF, updated in place)."""
    import rasterio

    if units:
        with rasterio.open(path, "r+", IGNORE_COG_LAYOUT_BREAK="YES") as dst:
            dst.units = (units,)
