"""Demo of the planning models (issue 5): suitability, control-line conflicts and a Pareto front of
land structures on a deterministic synthetic county (or the maps given).

Shared demo infrastructure (like :mod:`landcarbon.workflow.demo`), so it may call several commands'
run functions; ``landcarbon.workflow.evaluate.demo_step`` is the same function.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..io.inputs import load_scheme
from ..models.evaluate import control_lines as cl
from .evaluate import group_areas, run_control_lines, run_suitability
from .optimize import run_optimize


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
