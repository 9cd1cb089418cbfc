"""``landcarbon demand`` run: maps (and rules or a table) -> one demand CSV for the simulation.

The CSV (UTF-8 with BOM) has columns ``code,cells,area_ha`` for one target year or
``year,code,cells,area_ha`` for several; each year's cells add up to the valid cells of the start
map (the last map) exactly. Beside it, ``<name>.manifest.json`` records inputs (with hashes),
parameters, the transition probabilities used and how each year was projected.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.classes import ClassScheme
from ..core.errors import InputValidationError
from ..core.provenance import RunManifest
from ..core.spec import Issue
from ..io import read_table, write_csv, write_json
from ..io.atomic import sha256_file
from ..io.inputs import load_maps, load_scheme
from ..models import change as _ch
from ..models import demand as _dm

METHODS = ("markov", "trend", "table")


def year_from_name(name: str) -> int | None:
    """The last 4-digit year (1800–2199) in a file name, e.g. wh2010_refy.tif -> 2010."""
    m = re.findall(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)", name)
    return int(m[-1]) if m else None


def _years(paths: Sequence[str | os.PathLike], years: Sequence[int] | None) -> list[int]:
    if years:
        if len(years) != len(paths):
            raise InputValidationError([Issue("years", f"found {len(years)} years for {len(paths)} maps; expected "
                                                       f"one year per map (e.g. 2005, 2010)")])
        return [int(y) for y in years]
    out = [year_from_name(Path(p).name) for p in paths]
    if any(y is None for y in out):
        raise InputValidationError([Issue("years", "the map years are not in the file names; give them (one per "
                                                   "map, e.g. 2005, 2010)")])
    return [int(y) for y in out if y is not None]


def _valid_cells(da: Any) -> tuple[int, list[int], float]:
    """Valid cells of a map, its codes and its mean cell area (ha)."""
    m = _ch.as_map(da, "start map")
    codes = _ch.find_codes([m])
    tt = _ch.transition_matrix(da, da, codes=codes)
    n = tt.total_cells
    return n, list(codes), float(tt.area_ha.sum() / n) if n else float("nan")


def run_demand(maps: Sequence[str | os.PathLike], out: str | os.PathLike, *, years: Sequence[int] | None = None,
               targets: Sequence[int] = (), method: str = "markov", scenario: str | None = None,
               rules: str | os.PathLike | None = None, table: str | os.PathLike | None = None,
               scheme: str | ClassScheme | None = None, fractional: str = "eigen",
               markov_origin: str = "landcarbon", start: str = "map2", rescale: bool = False,
               fixed: Sequence[int] = (), align: bool = False) -> dict[str, Any]:
    """Compute a demand table and write it to the CSV file ``out`` (atomically) with its manifest."""
    outp = Path(out)
    if outp.suffix.lower() != ".csv":
        raise InputValidationError([Issue("out", f"found {outp}; expected a .csv file name for the demand "
                                                 f"table")])
    if method not in METHODS:
        raise InputValidationError([Issue("method", f"found {method!r}; expected one of {METHODS}")])
    if not maps:
        raise InputValidationError([Issue("maps", "no land-use maps were given; expected one or more (the last "
                                                  "one is the simulation's start)")])
    sch = None if scheme is None else load_scheme(scheme)
    man = RunManifest(command="demand", model=_dm.SPEC.id, model_version=_dm.SPEC.version)
    tg = sorted({int(t) for t in targets})
    if method != "table" and not tg:
        raise InputValidationError([Issue("targets", "no target year was given; expected at least one (e.g. "
                                                     "2030)")])
    if (scenario or rules) and method != "markov":
        raise InputValidationError([Issue("scenario" if scenario else "rules",
                                          f"scenario and rules adjust Markov transition probabilities, but method is "
                                          f"{method!r}; use them with method 'markov'")])
    with man.timed("read"):
        das = load_maps(list(maps), align=align, roles=[f"map{i + 1}" for i in range(len(maps))])
        for i, (p, d) in enumerate(zip(maps, das)):
            man.add_input(f"map{i + 1}", str(p), sha256_file(p), nodata=d.rio.nodata, dtype=str(d.dtype))
        rules_df = None
        if rules is not None:
            rules_df = read_table(rules)
            man.add_input("rules", str(rules), sha256_file(rules))
        table_df = None
        if table is not None:
            table_df = read_table(table)
            man.add_input("table", str(table), sha256_file(table))
    with man.timed("compute"):
        if method == "markov":
            if len(das) != 2:
                raise InputValidationError([Issue("maps", f"found {len(das)} maps; method 'markov' uses exactly "
                                                          f"two: give two maps, or use method 'trend' for three or "
                                                          f"more")])
            ys = _years(maps, years)
            df = _dm.markov(das[0], das[1], (ys[0], ys[1]), tg if len(tg) > 1 else tg[0], scenario=scenario,
                            rules=rules_df, scheme=sch, fractional=fractional, markov_origin=markov_origin,
                            start=start)
        elif method == "trend":
            ys = _years(maps, years)
            df = _dm.trend(das, ys, tg if len(tg) > 1 else tg[0], rescale=rescale)
        else:
            if table_df is None:
                raise InputValidationError([Issue("table", "method 'table' needs a demand table (columns code, "
                                                           "cells or area_ha, optionally year)")])
            n, codes, cell_ha = _valid_cells(das[-1])
            df = _dm.from_table(table_df, total_cells=n, codes=codes, cell_area_ha=cell_ha, rescale=rescale,
                                fixed=fixed)
            ys = [int(y) for y in years] if years else []
    total = int(df.attrs["start_cells"])
    _dm.check_total(df, total)
    attrs = dict(df.attrs)
    man.parameters.update({"method": method, "years": ys, "targets": tg, "scenario": scenario,
                           "scheme": None if sch is None else sch.name, "fractional": fractional,
                           "markov_origin": markov_origin, "start": start, "rescale": rescale,
                           "fixed": list(fixed), "start_cells": total})
    extra: dict[str, Any] = {}
    for key in ("P", "P_observed", "P_annual", "shares"):
        if attrs.get(key) is not None:
            v = attrs[key]
            extra[key] = {"index": [int(i) for i in v.index], "columns": [int(c) for c in v.columns],
                          "values": np.asarray(v.to_numpy(), dtype=float).tolist()}
    for key in ("projection", "rules", "slope_per_year", "scenario", "start_vector", "cell_area_ha",
                "P_annual_note"):
        if key in attrs:
            extra[key] = attrs[key]
    out_df = pd.DataFrame(df)
    out_df.attrs = {}
    with man.timed("write"):
        write_csv(out_df, outp)
    man.outputs.append(outp.name)
    manifest = man.finish()
    manifest["demand"] = extra
    mpath = outp.with_name(outp.stem + ".manifest.json")
    write_json(manifest, mpath)
    return {"out": str(outp), "manifest": str(mpath), "method": method, "start_cells": total,
            "targets": tg, "rows": len(out_df), "projection": attrs.get("projection"),
            "scenario": attrs.get("scenario"), "table": out_df}
