"""Land-use simulation run: read maps, drivers, demand, rules → simulate → write maps, tables, manifest.

Outputs (in the run folder): ``sim_<year>.tif`` (or the ``out`` files), ``potential_<code>.tif``
(development potential, 0–1), ``demand_gap.csv`` (gap per iteration and class, pixels),
``summary.csv`` (demand vs simulated pixels), ``driver_contributions.csv``, ``leas_accuracy.csv``,
``scenario_carbon.csv`` when a carbon-pool table is given, ``summary.json`` and ``manifest.json``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import InputValidationError
from ..core.grid import grid_of
from ..core.spec import Issue
from ..io import align_to, read_raster, read_table, write_raster
from ..io.inputs import load_lines, load_scheme, load_zones
from ..models.simulate import SPEC, CarsParams, LeasParams, simulate
from .common import RunFolder, dask_client

_DRIVER_FLAGS = ("categorical", "dem", "continuous")


def parse_driver(spec: str) -> tuple[str, Path, set[str]]:
    """``PATH[:categorical][:dem]`` -> (name, path, flags); the name is the file stem."""
    flags: set[str] = set()
    rest = spec
    while True:
        head, sep, tail = rest.rpartition(":")
        if sep and tail.lower() in _DRIVER_FLAGS and head:
            flags.add(tail.lower())
            rest = head
        else:
            break
    p = Path(rest)
    return p.stem, p, flags


def dem_driver(specs: Sequence[tuple[str, Path, set[str]]]) -> str | None:
    """The DEM among the drivers: the first with ``:dem``; else the first whose file name has the
    word ``dem`` (split at non-letters: ``wh_df_dem.tif``, ``dem.tif``, ``DEM_30m.tif``)."""
    for name, _, flags in specs:
        if "dem" in flags:
            return name
    for name, _, flags in specs:
        if "categorical" not in flags and "dem" in re.split(r"[^a-z]+", name.lower()):
            return name
    return None


def _zone_ids(zones, names: list[str], dem_table: pd.DataFrame):
    """The zones raster with its own zone ids (what the demand table's ``zone`` column names), and the
    demand table with zone names (of a vector's field) replaced by those ids."""
    ids = np.asarray([0, *zones.attrs["zone_ids"]], dtype=np.int64)
    raw = zones.copy(data=ids[np.asarray(zones.values)])
    if "zone" in dem_table.columns:
        lookup = dict(zip(names, zones.attrs["zone_ids"]))
        z = dem_table["zone"].astype(str).str.strip()
        if z.isin(lookup).all():
            dem_table = dem_table.assign(zone=z.map(lookup))
    return raw, dem_table


def _scenario_carbon(maps: dict, start, pools_path: str, zones=None, zone_names=()) -> pd.DataFrame | None:
    """Carbon stock of the start map and every simulated map (landcarbon.models.carbon_stock), by
    zone: stock (Mg C) and change from the start map (Mg C). None when that model is not installed."""
    try:
        from ..models import carbon_stock as cs
    except ImportError:
        return None
    pools = read_table(pools_path)
    stages = list(maps)
    labels = ["start"] + [f"sim_{s}" if s != 0 else "sim" for s in stages]
    res = cs.compute([start, *maps.values()], pools, labels=labels, zones=zones, zone_names=zone_names)
    acc = [np.asarray(a) for a in res.accounts]
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


def resolve_outputs(out: Sequence[str]) -> tuple[list[Path], bool, Path]:
    """``out`` as one folder, or one .tif per target year (tables then go to ``<first>_run/``)."""
    outs = [Path(o) for o in out]
    if not outs:
        raise InputValidationError([Issue("out", "no output was given; expected a folder, or one .tif per target "
                                                 "year")])
    tif_out = all(o.suffix.lower() in (".tif", ".tiff") for o in outs)
    if not tif_out and len(outs) > 1:
        raise InputValidationError([Issue("out", f"found {len(outs)} outputs that are not all .tif files; expected "
                                                 f"one output folder, or one .tif per target year")])
    return outs, tif_out, (outs[0].parent / f"{outs[0].stem}_run") if tif_out else outs[0]


def run_simulate(*, start: str, calibrate_from: str, calibrate_to: str, drivers: Sequence[str],
                 demand: str, out: Sequence[str], seed: int, restrict: str | None = None,
                 develop_class: int | None = None, rules: str | None = "default",
                 lines: Sequence[str] = (), classes: str | None = None, transition: str | None = None,
                 transition_orientation: str = "from_to", zones: str | None = None, zone_field: str | None = None,
                 align: bool = False,
                 no_slope: bool = False, pools: str | None = None, scheduler: str | None = None,
                 write_potential: bool = True, overwrite: bool = True,
                 leas_params: LeasParams | None = None, cars_params: CarsParams | None = None) -> Path:
    """Run one simulation from files; returns the run folder.

    ``zones``: a raster of zone ids on the start map's grid, or a vector layer (``zone_field`` names its
    zone column); the demand table's ``zone`` column holds the raster's ids or the field's names.
    ``lines``: ``NAME=PATH`` control lines, each a vector layer or a raster."""
    if seed is None:
        raise InputValidationError([Issue("seed", "a simulation needs a seed (an integer, recorded in the "
                                                  "manifest)")])
    outs, tif_out, run_dir = resolve_outputs(out)

    start_da = read_raster(start, chunks=None, categorical=True, name="start")
    cal_from = read_raster(calibrate_from, chunks=None, categorical=True, name="calibrate_from")
    cal_to = read_raster(calibrate_to, chunks=None, categorical=True, name="calibrate_to")
    specs = [parse_driver(d) for d in drivers]
    names = [n for n, _, _ in specs]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise InputValidationError(f"driver names {dups} repeat (names come from the file stems); rename a file")
    drv = {}
    for name, p, flags in specs:
        da = read_raster(p, chunks=None, categorical="categorical" in flags, name=name)
        drv[name] = align_to(da, start_da, categorical="categorical" in flags) if align else da
    if align:
        cal_from = align_to(cal_from, start_da)
        cal_to = align_to(cal_to, start_da)
    dem = dem_driver(specs)
    dem_table = read_table(demand)
    r_da = None
    if restrict:
        r_da = read_raster(restrict, chunks=None, categorical=True, name="restrict")
        r_da = align_to(r_da, start_da) if align else r_da
    line_paths = {}
    for spec in lines:
        if "=" not in spec:
            raise InputValidationError([Issue("lines", f"found {spec!r}; expected NAME=PATH, e.g. "
                                                       f"eco_redline=redline.gpkg")])
        lname, lpath = spec.split("=", 1)
        line_paths[lname.strip()] = lpath
    line_das = load_lines(line_paths, like=start_da, align=align)
    scheme = load_scheme(classes) if classes else None
    if rules is None or str(rules).lower() == "none":
        rule_arg: Any = None
    elif str(rules).lower() in ("default", "soft-redline"):
        rule_arg = str(rules).lower()
    else:
        rule_arg = read_table(rules)
    tm = None
    if transition:
        tm = read_table(transition, index_col=0)
    z_da = z_ids = None
    z_names: list[str] = []
    if zones or zone_field:
        z_da, z_names = load_zones(zones, field=zone_field, like=start_da, align=align)
        z_ids, dem_table = _zone_ids(z_da, z_names, dem_table)

    with RunFolder(run_dir, "simulate", overwrite=overwrite) as run:
        m = run.manifest
        m.model, m.model_version = SPEC.id, SPEC.version
        for role, p in (("start", start), ("calibrate_from", calibrate_from), ("calibrate_to", calibrate_to),
                        ("demand", demand), ("restrict", restrict), ("classes", classes),
                        ("transition", transition), ("pools", pools)):
            run.add_input(role, p)
        if zones:
            run.add_input("zones", zones, field=zone_field)
        if rule_arg is not None and not isinstance(rule_arg, str):
            run.add_input("rules", rules)
        for name, p, flags in specs:
            run.add_input(f"driver:{name}", p, kind="categorical" if "categorical" in flags else "continuous")
        for spec in lines:
            lname, lpath = spec.split("=", 1)
            run.add_input(f"line:{lname}", lpath)
        m.seeds["simulate"] = int(seed)
        lp = leas_params or LeasParams()
        cp = cars_params or CarsParams()
        with m.timed("simulate"), dask_client(scheduler) as client:
            res = simulate(start_da, dem_table, calibrate_from=cal_from, calibrate_to=cal_to, drivers=drv,
                           seed=int(seed), categorical=[n for n, _, f in specs if "categorical" in f],
                           dem=dem, add_slope=not no_slope, restrict=r_da, k_dev=develop_class,
                           lines=line_das, rules=rule_arg, scheme=scheme, transition=tm,
                           transition_orientation=transition_orientation, zones=z_ids, leas_params=lp,
                           cars_params=cp, client=client, return_potential=write_potential)
        m.parameters = {"leas": res.info["leas_params"], "cars": res.info["cars"], "dem_driver": dem,
                        "slope_added": bool(dem and not no_slope), "rules": rules, "align": align,
                        "transition_orientation": transition_orientation, "develop_class": develop_class}
        stages = list(res.maps)
        if tif_out and len(outs) != len(stages):
            raise InputValidationError([Issue("out", f"found {len(outs)} .tif outputs for {len(stages)} target "
                                                     f"years {stages}; expected one .tif per year, or an output "
                                                     f"folder")])
        nodata = start_da.rio.nodata
        dtype = str(start_da.dtype)
        grid = grid_of(start_da)
        written = []
        with m.timed("write"):
            for i, s in enumerate(stages):
                if tif_out:
                    write_raster(res.maps[s], outs[i], grid, nodata=nodata, dtype=dtype)
                    written.append(str(outs[i]))
                else:
                    rel = "sim.tif" if len(stages) == 1 and s == 0 else f"sim_{s}.tif"
                    write_raster(res.maps[s], run.path(rel), grid, nodata=nodata, dtype=dtype)
                    written.append(rel)
            if res.potential is not None:
                for k, code in enumerate(res.info["codes"]):
                    write_raster(res.potential.values[k], run.path(f"potential_{code}.tif"), grid)
            run.write_table(res.gaps, "demand_gap.csv")
            run.write_table(res.summary, "summary.csv")
            run.write_table(res.leas.contributions, "driver_contributions.csv")
            acc = pd.DataFrame({"code": res.info["codes"], "positives": res.leas.positives,
                                "rmse": res.leas.rmse, "oob_rmse": res.leas.oob_rmse})
            run.write_table(acc, "leas_accuracy.csv")
        if pools:
            with m.timed("carbon"):
                carbon = _scenario_carbon(res.maps, start_da, pools, z_da, z_names)
            if carbon is None:
                m.notes.append("pools given but landcarbon.models.carbon_stock is not available; "
                               "no scenario carbon table was written")
            else:
                run.write_table(carbon, "scenario_carbon.csv")
        info = res.info
        run.summary = {
            "maps": written, "stages": [str(s) for s in stages], "codes": info["codes"],
            "changed_share": {str(k): v for k, v in info["changed_share"].items()},
            "final_gap_cells": {str(s): {str(c): int(g) for c, g in
                                         res.summary[res.summary.stage == s].groupby("code").gap_cells.sum().items()}
                                for s in stages},
            "iterations": {str(s): int(res.summary[res.summary.stage == s].iterations.max()) for s in stages},
            "driver_holes": info["driver_holes"],
            "excluded_cells": {k: v for k, v in info.items() if k.startswith("excluded_")},
            "n_valid": info["n_valid"], "n_candidates": info["n_candidates"],
            "neighbourhood_weights": dict(zip(map(str, info["codes"]), info["weights"])),
        }
        if tif_out:
            m.notes.append("maps written outside the run folder: " + ", ".join(written))
    return run_dir


def default_jobs() -> int:
    return max(1, min(2, os.cpu_count() or 1))
