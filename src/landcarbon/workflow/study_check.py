"""Preflight of a study (``landcarbon check plan.toml``): every check of the run without running it, plus
what a planner needs to know before a long run.

- the plan and every step's values through the model specs, files through the resolver, the models'
  own checks (the same ``study.check_steps`` the run does first);
- the grid and CRS of every raster (and the CRS of every vector file) against the study grid, and which
  need alignment;
- the class codes present in each map, and those without a row in the scheme, the carbon pools or the
  crosswalk;
- the cells each scenario must move: the demand of every scenario (the cheap demand and optimisation
  steps are run into a temporary folder) against the base map's class counts;
- an estimate of memory and time per simulation step and for the whole study.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import InputValidationError, LandcarbonError
from ..core.grid import GridSpec
from ..io import read_table
from ..io.resolve import Resolver, is_raster_path
from .graph import Graph, step_dir
from .study import check_steps
from .study_plan import StudyPlan, load_study
from .study_steps import build_steps

# fitted to measured study runs on 2 shared cores (docs/benchmarks.md): Wuhan (2931 x 2931 cells, 5.33 M valid,
# 6 classes after the crosswalk, 2 drivers + soil + slope) 47-121 s per two-stage simulation, 1.2-1.4 GB each;
# the synthetic county (38 416 cells) 2-6 s
SIM_FIXED_S = 5.0
SIM_S_PER_CELL_STAGE = 5.5e-6
SIM_S_PER_CELL_FIT = 3.0e-6
MEM_FIXED_GB = 0.35
MEM_BYTES_PER_CELL = 24.0
MEM_BYTES_PER_CELL_LAYER = 12.0


def _raster_grid(r: Resolver, p: Path) -> GridSpec | None:
    try:
        return r.grid(p)
    except Exception:  # noqa: BLE001 - a file that does not open is reported by the step checks
        return None


def _differences(g: GridSpec, ref: GridSpec) -> list[str]:
    out = []
    if (g.crs or "") != (ref.crs or ""):
        out.append("CRS")
    if tuple(g.shape) != tuple(ref.shape):
        out.append(f"shape {g.shape[0]}x{g.shape[1]} vs {ref.shape[0]}x{ref.shape[1]}")
    ta, tb = g.transform, ref.transform
    if not np.allclose([ta.a, ta.e], [tb.a, tb.e]):
        out.append(f"cell size {abs(ta.a):g} vs {abs(tb.a):g}")
    elif not np.allclose([ta.c, ta.f], [tb.c, tb.f]):
        out.append("origin")
    return out


def _crs_name(crs: Any) -> str:
    if not crs:
        return "(none)"
    try:
        from pyproj import CRS

        c = CRS.from_user_input(crs)
        epsg = c.to_epsg()
        return f"EPSG:{epsg}" if epsg else c.name
    except Exception:  # noqa: BLE001
        return str(crs)[:40]


def grids(sp: StudyPlan) -> list[dict[str, Any]]:
    """Every raster's grid against the study grid (the reference map), every vector's CRS."""
    r = Resolver()
    ref_year = sp.reference_year or sp.base
    ref = _raster_grid(r, sp.maps[ref_year]) if ref_year in sp.maps else None
    files: list[tuple[str, Path]] = [(f"maps.{y}", p) for y, p in sp.maps.items()]
    files += [(f"drivers.continuous[{i}]", p) for i, p in enumerate(sp.drivers)]
    files += [(f"drivers.categorical[{i}]", p) for i, p in enumerate(sp.categorical)]
    files += [(f"drivers.{k}", getattr(sp, k)) for k in ("dem", "restrict") if getattr(sp, k) is not None]
    files += [(f"lines.{k}", p) for k, p in sp.lines.items()]
    if sp.zones.get("file") is not None:
        files.append(("zones.file", Path(sp.zones["file"])))
    rows = []
    for role, p in files:
        if is_raster_path(p):
            g = _raster_grid(r, p)
            if g is None or ref is None:
                rows.append({"input": role, "file": p.name, "kind": "raster", "status": "does not open"})
                continue
            diff = _differences(g, ref)
            rows.append({"input": role, "file": p.name, "kind": "raster", "crs": _crs_name(g.crs),
                         "shape": f"{g.shape[0]}x{g.shape[1]}", "cell": f"{abs(g.transform.a):g}",
                         "status": "on the study grid" if not diff else
                         "needs alignment (" + ", ".join(diff) + ("; [grid] align = true resamples it)"
                                                                  if not sp.align else "; resampled: align is on)")})
        else:
            try:
                import pyogrio

                info = pyogrio.read_info(p, layer=sp.zones.get("layer") if role == "zones.file" else None)
                crs = info.get("crs")
                rows.append({"input": role, "file": p.name, "kind": "vector", "crs": _crs_name(crs),
                             "features": int(info.get("features", 0)),
                             "status": "burnt onto the study grid" + ("" if ref is None or _crs_name(crs) ==
                                                                      _crs_name(ref.crs) else " (reprojected)")})
            except Exception as err:  # noqa: BLE001
                rows.append({"input": role, "file": p.name, "kind": "vector", "status": f"does not open ({err})"})
    return rows


def _codes(p: Path) -> tuple[dict[int, int], int]:
    import rasterio

    with rasterio.open(p) as src:
        a = src.read(1)
        nd = src.nodata
    valid = a != nd if nd is not None else np.ones(a.shape, bool)
    c, n = np.unique(a[valid], return_counts=True)
    return {int(k): int(v) for k, v in zip(c, n, strict=True)}, int(a.size)


def classes(sp: StudyPlan, b: Any) -> tuple[list[dict[str, Any]], dict[int, dict[int, int]], dict[str, int]]:
    """Codes present in each map and those without a row in the scheme, the pools or the crosswalk."""
    from ..io.inputs import load_scheme

    tables: dict[str, set[int]] = {}
    pool_codes: set[int] | None = None
    lut: dict[int, int] = {}
    if "pools" in sp.tables:
        df = read_table(b.pools())
        col = next((c for c in df.columns if str(c).lower() in ("lucode", "code")), None)
        pool_codes = {int(x) for x in df[col].dropna()} if col is not None else None
    if sp.crosswalk is not None:
        df = read_table(b.crosswalk())
        lut = dict(zip(df["from"].astype(int), df["to"].astype(int), strict=True))
        tables["crosswalk"] = set(lut)
        if pool_codes is not None:  # the pools are read on the recoded maps
            tables["pools (after the crosswalk)"] = {a for a, c in lut.items() if c in pool_codes}
    else:
        try:
            tables[f"scheme {Path(str(sp.scheme)).name}"] = {int(c) for c in load_scheme(sp.scheme).group_of()}
        except LandcarbonError:
            pass
        if pool_codes is not None:
            tables["pools"] = pool_codes
    rows, counts = [], {}
    size = {}
    for y, p in sp.maps.items():
        try:
            cnt, total = _codes(p)
        except Exception as err:  # noqa: BLE001
            rows.append({"map": y, "file": p.name, "codes": f"does not open ({err})"})
            continue
        if sp.crosswalk is not None:  # the models see the recoded maps
            rec: dict[int, int] = {}
            for c, n in cnt.items():
                if c in lut:
                    rec[lut[c]] = rec.get(lut[c], 0) + n
            counts[y] = rec
        else:
            counts[y] = cnt
        size[str(y)] = total
        row = {"map": y, "file": p.name, "valid_cells": sum(cnt.values()), "codes": sorted(cnt)}
        for t, have in tables.items():
            miss = sorted(set(cnt) - have)
            row[f"without a row in {t}"] = miss
        rows.append(row)
    return rows, counts, size


def moves(sp: StudyPlan, b: Any, counts: dict[int, dict[int, int]], tmp: Path) -> list[dict[str, Any]]:
    """Cells each scenario must move to meet its demand in each target year (a lower bound: net change)."""
    keep = [s for s in b.steps if s.id == "classes" or s.id.startswith(("optimize/", "demand/"))]
    if not keep:
        return []
    g = Graph(keep, tmp, jobs=1, echo=lambda s: None)
    out = []
    try:
        g.run()
    except LandcarbonError as err:
        return [{"scenario": "(all)", "problem": f"the demand could not be computed: {err}"}]
    base = counts.get(sp.base, {})
    for sid in sp.scenarios:
        f = step_dir(tmp, f"demand/{sid}") / "demand.csv"
        if not f.is_file():
            continue
        d = read_table(f)
        if "year" not in d.columns:
            d = d.assign(year=sp.targets[-1])
        for y, part in d.groupby("year"):
            want = dict(zip(part["code"].astype(int), part["cells"].astype(int), strict=True))
            codes = sorted(set(want) | set(base))
            gain = {c: want.get(c, 0) - base.get(c, 0) for c in codes}
            out.append({"scenario": sid, "year": int(y), "cells_to_move": int(sum(v for v in gain.values() if v > 0)),
                        "by_class": {str(c): int(v) for c, v in gain.items() if v}})
    return out


def estimate(sp: StudyPlan, counts: dict[int, dict[int, int]], size: dict[str, int], jobs: int) -> dict[str, Any]:
    """Memory and time of each simulation and of the study (a model fitted to measured runs, ±50 %)."""
    valid = sum(counts.get(sp.base, {}).values())
    total = size.get(str(sp.base), valid)
    layers = len(sp.drivers) + len(sp.categorical) + (1 if sp.dem is not None else 0) + len(counts.get(sp.base, {}))
    stages = len(sp.targets)
    sim_s = SIM_FIXED_S + valid * (SIM_S_PER_CELL_FIT + SIM_S_PER_CELL_STAGE * stages)
    sim_gb = MEM_FIXED_GB + total * (MEM_BYTES_PER_CELL + MEM_BYTES_PER_CELL_LAYER * layers) / 1e9
    n_sim = len(sp.scenarios) + (1 if sp.validation else 0)
    par = max(1, min(jobs, n_sim))
    other_s = 2.0 * len(sp.maps) + 1.5 * len(sp.scenarios) * (1 + total / 4e6)
    return {"valid_cells": int(valid), "grid_cells": int(total), "layers": int(layers), "stages": stages,
            "simulation_s_each": round(sim_s, 1), "simulation_GB_each": round(sim_gb, 2), "simulations": n_sim,
            "jobs": jobs, "study_s": round(sim_s * -(-n_sim // par) + other_s, 0),
            "peak_GB": round(MEM_FIXED_GB + par * (sim_gb - MEM_FIXED_GB) + 0.2, 2),
            "note": "a model fitted to measured runs (docs/benchmarks.md); expect ±50 %"}


def preflight(plan: str | os.PathLike, *, jobs: int = 1) -> dict[str, Any]:
    """The preflight report; raises ``InputValidationError`` with every problem of the plan first."""
    t0 = time.perf_counter()
    sp = load_study(plan)
    with tempfile.TemporaryDirectory(prefix="landcarbon-check-") as tmp:
        b = build_steps(sp, Path(tmp) / "inputs")
        issues = list(b.issues)
        if not issues:
            issues += check_steps(b)
        if issues:
            raise InputValidationError(issues)
        cls, counts, size = classes(sp, b)
        rep = {"study": sp.id, "plan": str(sp.path), "steps": [s.id for s in b.steps], "grids": grids(sp),
               "classes": cls, "moves": moves(sp, b, counts, Path(tmp) / "run"),
               "estimate": estimate(sp, counts, size, jobs), "notes": list(getattr(b, "notes", []))}
    rep["seconds"] = round(time.perf_counter() - t0, 2)
    return rep


def report_lines(rep: dict[str, Any]) -> list[str]:
    lines = [f"study {rep['study']}: the plan is valid; {len(rep['steps'])} steps"]
    lines.append("grids and CRS:")
    for g in rep["grids"]:
        extra = f"{g.get('crs', '')} {g.get('shape', '')}".strip()
        lines.append(f"  {g['input']:<24} {g['file']:<28} {extra:<24} {g['status']}")
    lines.append("class codes:")
    for c in rep["classes"]:
        miss = "; ".join(f"{k}: {v}" for k, v in c.items() if k.startswith("without") and v)
        lines.append(f"  {c['map']} {c['file']}: codes {c.get('codes')}" + (f" — {miss}" if miss else ""))
    if rep["moves"]:
        lines.append("cells each scenario must move (net, from the base map):")
        for m in rep["moves"]:
            if "problem" in m:
                lines.append(f"  {m['problem']}")
            else:
                lines.append(f"  {m['scenario']:<24} {m['year']}: {m['cells_to_move']:,} cells  {m['by_class']}")
    e = rep["estimate"]
    lines.append(f"estimate: each simulation ~{e['simulation_s_each']:g} s and ~{e['simulation_GB_each']:g} GB "
                 f"({e['valid_cells']:,} valid cells, {e['stages']} stage(s)); the study ~{e['study_s']:g} s and "
                 f"~{e['peak_GB']:g} GB peak with {e['jobs']} job(s) ({e['note']})")
    for n in rep["notes"]:
        lines.append(f"note: {n}")
    return lines


__all__ = ["classes", "estimate", "grids", "moves", "preflight", "report_lines"]
