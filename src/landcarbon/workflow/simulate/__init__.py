"""Workflow step of the land-use simulation (model ``simulate``; spec in ``models.simulate.spec``).

``check(ctx)`` (:mod:`.inputs`) runs every cheap check before the random forests are fitted;
``execute(ctx)`` (:mod:`.run`) simulates in memory or out of core and writes, in the run folder:
``sim.tif`` / ``sim_<year>.tif``, ``potential_<code>.tif`` (development potential, 0–1),
``demand_gap.csv`` (gap per iteration and class, pixels), ``summary.csv`` (demand vs simulated
pixels), ``driver_contributions.csv``, ``leas_accuracy.csv``, ``scenario_carbon.csv`` when a
carbon-pool table is given, ``zone_demand.csv`` (out of core), ``summary.json`` and ``manifest.json``.

:func:`run_simulate` is the Python API: a thin wrapper over ``runner.run_model("simulate", ...)``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from ...core.errors import InputValidationError
from ...core.spec import Issue
from ...models.simulate import CarsParams, LeasParams
from ..runner import run_model
from .inputs import check_inputs as check
from .inputs import default_jobs, dem_driver, parse_driver, resolve_outputs
from .run import execute

__all__ = ["check", "default_jobs", "dem_driver", "execute", "parse_driver", "resolve_outputs", "run_simulate"]

#: LeasParams / CarsParams fields -> spec inputs
_LEAS = {"sample_rate": "sample_rate", "balanced": "balanced", "n_trees": "trees", "max_depth": "max_depth",
         "min_samples_leaf": "min_leaf", "n_jobs": "jobs", "encoding": "encoding", "driver_nodata": "driver_nodata"}
_CARS = {"neighbourhood": "neighbourhood", "mu": "mu", "seed_share": "seed_share", "delta": "delta",
         "max_iter": "max_iter", "control": "control"}


def _param_values(obj: Any, keys: dict[str, str], key: str) -> dict[str, Any]:
    if obj is None:
        return {}
    default = type(obj)()
    values, other = {}, []
    for f in fields(obj):
        v = getattr(obj, f.name)
        if f.name in keys:
            values[keys[f.name]] = v
        elif v != getattr(default, f.name):
            other.append(f.name)
    if other:
        raise InputValidationError([Issue(key, f"{type(obj).__name__} fields {other} are not inputs of the simulate "
                                               f"step; leave them at their defaults, or call "
                                               f"landcarbon.models.simulate.simulate() directly")])
    return values


def run_simulate(*, start: Any, calibrate_from: Any, calibrate_to: Any, drivers: Sequence[Any], demand: Any,
                 out: str | os.PathLike | Sequence[str | os.PathLike], seed: int | None, restrict: Any = None,
                 develop_class: int | None = None, rules: Any = "default", lines: Sequence[str] = (),
                 classes: Any = None, transition: Any = None, transition_orientation: str = "from_to",
                 zones: Any = None, zone_field: str | None = None, align: bool = False, no_slope: bool = False,
                 pools: Any = None, scheduler: str | None = None, write_potential: bool = True,
                 overwrite: bool = True, leas_params: LeasParams | None = None,
                 cars_params: CarsParams | None = None) -> Path:
    """Run one in-memory simulation from files into the run folder ``out``; returns the run folder.

    ``drivers``: paths, ``PATH:categorical`` for a categorical driver, ``PATH:dem`` for the DEM (slope is
    added from it). ``zones``: a raster of zone ids on the start map's grid, or a vector layer
    (``zone_field`` names its zone column); the demand table's ``zone`` column holds the raster's ids or
    the field's names. ``lines``: ``NAME=PATH`` control lines, each a vector layer or a raster.
    ``classes``: the class scheme (a built-in name or a table; default national6). ``rules=None`` is
    no rules. In-memory DataFrames / DataArrays may be passed for the tables and maps."""
    outs = [out] if isinstance(out, str | os.PathLike) else list(out)
    if len(outs) != 1:
        raise InputValidationError([Issue("out", f"found {len(outs)} outputs; expected one run folder (the maps go "
                                                 f"to sim.tif / sim_<year>.tif inside it)")])
    plain, categorical, dem = [], [], None
    for d in drivers:
        if not isinstance(d, str | os.PathLike):
            plain.append(d)
            continue
        _, p, flags = parse_driver(str(d))
        (categorical if "categorical" in flags else plain).append(str(p))
        if "dem" in flags:
            dem = str(p)
    pairs = []
    for spec in lines:                       # NAME=PATH text, or (name, value) pairs
        if not isinstance(spec, str):
            pairs.append(tuple(spec))
            continue
        name, sep, path = spec.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise InputValidationError([Issue("lines", f"found {spec!r}; expected NAME=PATH, e.g. "
                                                       f"eco_redline=redline.gpkg")])
        pairs.append((name.strip(), path.strip()))
    values = {"landuse": start, "calibrate_from": calibrate_from, "calibrate_to": calibrate_to, "drivers": plain,
              "categorical_drivers": categorical, "dem": dem, "demand": demand, "seed": seed, "restrict": restrict,
              "develop_class": develop_class, "rules": "none" if rules is None else rules, "lines": pairs,
              "scheme": classes, "transition": transition, "transition_orientation": transition_orientation,
              "zones": zones, "zone_field": zone_field, "align": align, "slope": not no_slope, "pools": pools,
              "scheduler": scheduler, "potential": write_potential,
              **_param_values(leas_params, _LEAS, "leas_params"), **_param_values(cars_params, _CARS, "cars_params")}
    values = {k: v for k, v in values.items() if v is not None and not (isinstance(v, list) and not v)}
    run_model("simulate", values, out=outs[0], overwrite=overwrite, scheduler=scheduler)
    return Path(outs[0])
