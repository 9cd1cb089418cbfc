"""``landcarbon validate`` run: start, observed and simulated maps -> accuracy beside persistence."""

from __future__ import annotations

import os
from typing import Any

from ..core.classes import ClassScheme
from ..core.grid import grid_of
from ..io import write_raster
from ..io.inputs import load_maps, load_scheme, load_zones
from ..models import validate as _val
from .common import RunFolder, dask_client


def run_validate(start: str | os.PathLike, observed: str | os.PathLike, simulated: str | os.PathLike,
                 out: str | os.PathLike, *, zones: str | os.PathLike | None = None, zone_field: str | None = None,
                 scheme: str | ClassScheme | None = None, sample_rate: float = 1.0, seed: int | None = None,
                 align: bool = False, lang: str = "en", write_map: bool = False, overwrite: bool = True,
                 scheduler: str | None = None) -> dict[str, Any]:
    """Validate a simulated map (methods.md §9); writes into the folder ``out``:

    metrics.csv (metric, simulated, persistence, better), metrics_by_zone.csv, per_class.csv
    (PA, UA, per-class FoM), confusion_matrix.csv (cells; rows observed, columns simulated),
    summary.json (headline metrics, baseline, pass flag, excluded cells) and manifest.json; with
    ``write_map`` also fom_categories.tif (uint8: 1 correct persistence, 2 hit, 3 miss, 4 wrong hit,
    5 false alarm, 0 = not compared).
    """
    sch = None if scheme is None else load_scheme(scheme)
    if sample_rate < 1.0 and seed is None:
        seed = 0
    with RunFolder(out, "validate", overwrite=overwrite) as run, dask_client(scheduler):
        run.manifest.model, run.manifest.model_version = _val.SPEC.id, _val.SPEC.version
        run.manifest.parameters.update({"zone_field": zone_field, "scheme": None if sch is None else sch.name,
                                        "sample_rate": sample_rate, "align": align})
        if seed is not None:
            run.manifest.seeds["validate_sample"] = int(seed)
        with run.manifest.timed("read"):
            maps = load_maps([start, observed, simulated], align=align, roles=["start", "observed", "simulated"])
            for role, p, m in zip(("start", "observed", "simulated"), (start, observed, simulated), maps):
                run.add_input(role, p, nodata=m.rio.nodata, dtype=str(m.dtype))
            zdata, ztable = (None, None) if zones is None and zone_field is None else \
                load_zones(zones, field=zone_field, like=maps[0])
            if zones is not None:
                run.add_input("zones", zones, field=zone_field)
        with run.manifest.timed("compute"):
            res = _val.compare(*maps, zones=zdata, zone_names=ztable, sample_rate=sample_rate,
                               seed=seed or 0, scheme=sch)
        with run.manifest.timed("write"):
            run.write_table(res.summary(), "metrics.csv")
            run.write_table(res.by_zone, "metrics_by_zone.csv")
            run.write_table(res.per_class(lang), "per_class.csv")
            run.write_table(res.confusion(lang), "confusion_matrix.csv", index=True)
            if write_map:
                cats = _val.fom_map(*maps, codes=res.codes)
                write_raster(cats, run.path("fom_categories.tif"), grid_of(maps[0]), nodata=0, dtype="uint8")
        if not res.passed:
            run.manifest.notes.append("calibration does not pass (methods.md §9): needs FoM > 0 and an allocation "
                                      "disagreement below the persistence baseline's")
        run.summary = {"codes": list(res.codes), "cells": res.n, "sample_rate": sample_rate,
                       "simulated": res.metrics.as_dict(), "persistence": res.baseline.as_dict(),
                       "passed": res.passed, "excluded_cells": res.excluded, "zones": list(res.zone_names)}
        return run.summary
