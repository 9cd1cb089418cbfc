"""``landcarbon validate`` step: start, observed and simulated maps -> accuracy beside persistence (methods.md §9)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..core.classes import ClassScheme
from ..core.errors import InputValidationError
from ..core.grid import grid_of
from ..core.spec import Issue
from ..io import align_to, write_raster
from ..io.inputs import load_scheme, load_zones
from ..models import change as _ch
from ..models import validate as _val
from .runner import RunContext, run_model

_ROLES = ("landuse", "observed", "simulated")
_NAMES = ("start", "observed", "simulated")


def check(ctx: RunContext) -> list[Issue]:
    issues = []
    if ctx.given("seed") and ctx["sample_rate"] >= 1.0:
        issues.append(Issue("seed", "the seed only fixes the cell sample, and ⟨sample_rate⟩ is 1 (every cell), so the "
                                    "seed would do nothing; drop it, or give ⟨sample_rate⟩ below 1"))
    y0, y1 = (_ch.year_from_name(os.path.basename(str(v))) if isinstance(v, str | os.PathLike) else None
              for v in (ctx["landuse"], ctx["observed"]))
    if y0 is not None and y1 is not None and y1 < y0:
        issues.append(Issue("observed", f"the file names say the start map is from {y0} and the observed map from "
                                        f"{y1}; expected the start map (t1) before the observed map (t2): swap "
                                        f"⟨landuse⟩ and ⟨observed⟩"))
    if ctx.get("scheme") is not None:
        issues += _ch.issues_of(load_scheme, ctx["scheme"])
    return issues


def _codes_only_in(res: Any, names: tuple[str, ...]) -> dict[str, list[int]]:
    """Codes found on the common mask in one map only (e.g. 0-based indices in a simulated map)."""
    t = res.counts.sum(axis=0)  # (L1, L2, S)
    marg = {"start": t.sum(axis=(1, 2)), "observed": t.sum(axis=(0, 2)), "simulated": t.sum(axis=(0, 1))}
    out = {}
    for nm in names:
        others = [marg[o] for o in marg if o != nm]
        only = [int(c) for c, a, b, x in zip(res.codes, *others, marg[nm]) if x > 0 and a == 0 and b == 0]
        if only:
            out[nm] = only
    return out


def execute(ctx: RunContext) -> dict[str, Any]:
    sch = load_scheme(ctx["scheme"]) if ctx.get("scheme") is not None else None
    lang, rate = ctx["lang"], float(ctx["sample_rate"])
    seed = int(ctx.get("seed", 0))
    maps = [ctx.raster(k) for k in _ROLES]
    if ctx["align"] and any(grid_of(m) != grid_of(maps[0]) for m in maps[1:]):
        maps = [maps[0], *(m if grid_of(m) == grid_of(maps[0]) else align_to(m, maps[0]) for m in maps[1:])]
        ctx.warn("maps on other grids were resampled onto the grid of the start map (nearest neighbour)")
    zdata = names = None
    if ctx.get("zones") is not None:
        zdata, names = load_zones(ctx["zones"], field=ctx.get("zone_field"), layer=ctx.get("zone_layer"),
                                  like=maps[0], align=ctx["align"])
    if rate < 1.0:
        ctx.manifest.seeds["validate_sample"] = seed
    with ctx.progress.step("validation", total=1) as advance, ctx.manifest.timed("compute"):
        res = _val.compare(*maps, zones=zdata, zone_names=names, sample_rate=rate, seed=seed, scheme=sch)
        advance(1)
    only = _codes_only_in(res, ("simulated",))
    if only:
        raise InputValidationError([Issue("simulated", f"holds class codes {only['simulated']} that neither the start "
                                                       f"nor the observed map holds; expected the same class codes "
                                                       f"(did the simulation write 0-based class indices?): "
                                                       f"reclassify it to the maps' codes")])
    compared = res.n + int(res.excluded.get("left out by sampling", 0))
    cell_ha = _mean_cell_ha(maps[0], compared)
    for nm, n in _ch.left_out(res.excluded, maps[0].size, compared, _NAMES).items():
        ctx.warn(f"{n:,} cells valid in the {nm} map are nodata in another map and were left out of the "
                 f"comparison", area_ha=n * cell_ha if np.isfinite(cell_ha) else None)
    if res.metrics.observed_change_share == 0:
        ctx.warn("the start and observed maps are identical on the common mask: no observed change, so FoM and the "
                 "change metrics are undefined or 0")
    ctx.run.write_table(res.summary(), "metrics.csv")
    ctx.run.write_table(res.by_zone, "metrics_by_zone.csv")
    ctx.run.write_table(res.per_class(lang), "per_class.csv")
    ctx.run.write_table(res.confusion(lang), "confusion_matrix.csv", index=True)
    if ctx["fom_map"]:
        cats = _val.fom_map(*maps, codes=res.codes)
        write_raster(cats, ctx.run.path("fom_categories.tif"), grid_of(maps[0]), nodata=0, dtype="uint8")
    if not res.passed:
        ctx.manifest.notes.append(f"calibration does not pass ({getattr(_val, 'PASS_RULE', 'methods.md §9')})")
    sim, base = res.metrics.as_dict(), res.baseline.as_dict()
    headline = [{"label": f"{label} (persistence {base[k]:.4f})", "value": sim[k], "unit": "", "persistence": base[k]}
                for k, label in (("oa", "OA"), ("kappa", "Kappa"), ("fom", "FoM"))]
    headline.append({"label": "calibration", "value": "passes" if res.passed else "does not pass", "unit": ""})
    out = {"headline": headline, "main_outputs": ["metrics.csv", "per_class.csv", "confusion_matrix.csv"]
           + (["fom_categories.tif"] if ctx["fom_map"] else []),
           "codes": list(res.codes), "cells": res.n, "sample_rate": rate, "simulated": sim, "persistence": base,
           "passed": res.passed, "excluded_cells": res.excluded, "zones": list(res.zone_names)}
    if hasattr(res, "verdict"):
        out["verdict"] = res.verdict()
    return out


def _mean_cell_ha(like: Any, cells: int) -> float:
    rows = _ch.row_weights(grid_of(like), like.shape[0])
    return float(rows.mean()) if rows.size and cells else float("nan")


def run_validate(start: str | os.PathLike, observed: str | os.PathLike, simulated: str | os.PathLike,
                 out: str | os.PathLike, *, zones: str | os.PathLike | None = None, zone_field: str | None = None,
                 scheme: str | ClassScheme | None = None, sample_rate: float = 1.0, seed: int | None = None,
                 align: bool = False, lang: str = "en", write_map: bool = False, overwrite: bool = True,
                 scheduler: str | None = None) -> dict[str, Any]:
    """Validate a simulated map (methods.md §9) into the run folder ``out`` (the ``validate`` model; see
    its spec for the files; ``write_map`` also writes fom_categories.tif)."""
    values = {"landuse": start, "observed": observed, "simulated": simulated, "zones": zones,
              "zone_field": zone_field, "scheme": scheme, "sample_rate": sample_rate, "seed": seed, "align": align,
              "lang": lang, "fom_map": write_map, "scheduler": scheduler}
    return run_model("validate", values, out=out, overwrite=overwrite, scheduler=scheduler)


__all__ = ["check", "execute", "run_validate"]
