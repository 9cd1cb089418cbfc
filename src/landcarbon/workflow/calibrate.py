"""``landcarbon calibrate`` run (methods.md §15.2): maps by year, drivers -> search table, chosen
parameters, scores before and after, in a run folder.

Held-out years are checked on the *paths* before anything is opened: a held-out year among the
maps, a period naming one, or a file name naming one stops the run, so a held-out map is never read.

Outputs: ``search_table.csv`` (every candidate: parameters, FoM / Kappa / OA / changed share / J mean
and sd over the realizations, iterations, final gap in cells, wall time in s), ``chosen_params.json``
(the CARS parameters ``simulate`` accepts), ``scores.csv`` (before = defaults, after = chosen, on the
validation year), ``driver_contributions.csv`` (LEAS fitted on t_a → t_b), ``summary.json`` and
``manifest.json``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..io import read_raster
from ..models.simulate import CarsParams, LeasParams
from ..models.simulate import calibrate as _calibrate
from ..models.simulate.calibrate import SEARCH_SPACE, check_held_out
from .common import RunFolder

#: (file, kind, units, description) of every calibration output
CALIBRATION_OUTPUTS: tuple[tuple[str, str, str, str], ...] = (
    ("search_table.csv", "table", "1", "every candidate: phase, parameters, FoM/Kappa/OA/changed share/J mean and sd "
                                       "over the realizations, iterations, final gap (cells), wall time (s)"),
    ("chosen_params.json", "json", "-", "the chosen CARS parameters (CarsParams fields) with the years and seed"),
    ("scores.csv", "table", "1", "FoM, Kappa, OA, changed share and J of the defaults (before) and of the chosen set "
                                 "(after) on the validation year, beside persistence's Kappa and the observed share"),
    ("driver_contributions.csv", "table", "1", "LEAS driver contributions of the t_a -> t_b fit"),
)


def write_calibration(result: Any, run: Any) -> list[str]:
    """Write a :class:`~landcarbon.models.simulate.CalibrationResult` through ``run`` (``run.write_table``,
    ``run.write_json``); returns the relative names written."""
    run.write_table(result.table, "search_table.csv", index=False)
    run.write_json({"cars_params": result.chosen, "years": list(result.years), "held_out": list(result.held_out),
                    "seed": result.info.get("seed"), "chosen_candidate": result.info.get("chosen_candidate")},
                   "chosen_params.json")
    rows = []
    for when, sc in (("before (defaults)", result.before), ("after (chosen)", result.after)):
        rows.append({"run": when, **sc})
    run.write_table(pd.DataFrame(rows), "scores.csv", index=False)
    run.write_table(result.info["leas_contributions"], "driver_contributions.csv", index=False)
    return ["search_table.csv", "chosen_params.json", "scores.csv", "driver_contributions.csv"]


def calibration_summary(result: Any) -> dict[str, Any]:
    """JSON-able headline: years, held-out years, evaluated candidates, chosen parameters, before/after."""
    return {"years": list(result.years), "held_out": list(result.held_out), "chosen": result.chosen,
            "before": result.before, "after": result.after,
            **{k: result.info[k] for k in ("seed", "realizations", "n_random", "refine_rounds", "budget", "evaluated",
                                           "prepare_s", "wall_s", "space", "chosen_candidate")}}


def run_calibrate(*, maps: Mapping[int, str | os.PathLike], years: Sequence[int], drivers: Mapping[str, str | os.PathLike],
                  out: str | os.PathLike, seed: int, held_out: Sequence[int] = (), categorical: Sequence[str] = (),
                  dem: str | None = None, restrict: str | os.PathLike | None = None, budget: int | None = None,
                  n_random: int = 40, realizations: int = 3, refine_rounds: int = 2, workers: int = 1,
                  space: Mapping[str, tuple] | None = None, leas_params: LeasParams | None = None,
                  base_params: CarsParams | None = None, overwrite: bool = True) -> Path:
    """Calibrate from files; returns the run folder. ``maps``: year -> land-use file; only the three
    ``years`` are read, after the held-out check on the paths."""
    years3 = tuple(int(y) for y in years)
    check_held_out({int(y): p for y, p in maps.items()}, years3, held_out)
    with RunFolder(out, "calibrate", overwrite=overwrite) as run:
        run.manifest.model, run.manifest.model_version = "calibrate", "1"
        run.manifest.seeds["calibrate"] = int(seed)
        run.manifest.parameters.update({"years": list(years3), "held_out": [int(y) for y in held_out],
                                        "budget": budget, "n_random": n_random, "realizations": realizations,
                                        "refine_rounds": refine_rounds, "space": {k: list(v[1:]) if v[0] != "choice"
                                                                                 else list(v[1]) for k, v in
                                                                                 (space or SEARCH_SPACE).items()}})
        with run.manifest.timed("read"):
            lu = {}
            for y in years3:
                p = maps[y]
                lu[y] = read_raster(p, chunks=None, categorical=True, name=f"landuse_{y}")
                run.add_input(f"landuse_{y}", p)
            drv = {}
            for name, p in drivers.items():
                drv[name] = read_raster(p, chunks=None, categorical=name in categorical, name=name)
                run.add_input(f"driver_{name}", p)
            rst = None
            if restrict is not None:
                rst = read_raster(restrict, chunks=None, categorical=True, name="restrict")
                run.add_input("restrict", restrict)
        with run.manifest.timed("calibrate"):
            res = _calibrate(lu, years=years3, drivers=drv, seed=seed, held_out=held_out, budget=budget,
                             n_random=n_random, realizations=realizations, refine_rounds=refine_rounds,
                             workers=workers, space=space, base_params=base_params, categorical=categorical,
                             dem=dem, restrict=rst, leas_params=leas_params)
        with run.manifest.timed("write"):
            write_calibration(res, run)
        run.summary = calibration_summary(res)
        return run.out


__all__ = ["CALIBRATION_OUTPUTS", "calibration_summary", "run_calibrate", "write_calibration"]
