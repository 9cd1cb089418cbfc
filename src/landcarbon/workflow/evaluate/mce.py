"""Multi-criteria evaluation step (``landcarbon evaluate mce``, methods.md §6.2, §11.2)."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...core.errors import InputValidationError, LandcarbonError
from ...core.spec import Issue
from ...models.evaluate import mce as mce_mod
from ...models.evaluate.ahp import ahp_weights, check_weights
from ...models.weights import unknown_names
from ..runner import RunContext, run_model
from ..steps import area_ha, model_keys, raster_issue, write_output_raster


def _numbers(ctx: RunContext, key: str, what: str, *, allowed: tuple[float, ...] | None = None
             ) -> tuple[dict[str, float], list[Issue]]:
    out, issues = {}, []
    for name, v in ctx.get(key) or []:
        try:
            x = float(v)
        except ValueError:
            x = math.nan
        if not math.isfinite(x) or (allowed is not None and x not in allowed) or (allowed is None and x < 0):
            exp = " or ".join(f"{a:g}" for a in allowed) if allowed else "a number ≥ 0"
            issues.append(Issue(key, f"{what} of {name!r} is {v!r}; expected {exp}: correct it"))
        out[name] = x
    return out, issues


def _ahp_matrix(ctx: RunContext) -> pd.DataFrame | None:
    m = ctx.table("ahp_matrix")
    if m is None:
        return None
    m = m.set_index(m.columns[0])
    m.index = [str(i).strip() for i in m.index]
    if m.shape[0] == m.shape[1]:  # the row names are the criteria (a header may repeat the first column's name)
        m.columns = list(m.index)
    return m


def _method(ctx: RunContext) -> str:
    if ctx.get("method"):
        return ctx["method"]
    return "ahp" if ctx.get("ahp_matrix") is not None else "user" if ctx.get("weights") else "entropy"


def check_mce(ctx: RunContext) -> list[Issue]:
    criteria = dict(ctx["criteria"])
    names = list(criteria)
    issues = [i for n, p in criteria.items() if isinstance(p, str | os.PathLike)
              and (i := raster_issue(ctx, "criteria", n, p)) is not None]
    paths = [p for p in criteria.values() if isinstance(p, str | os.PathLike)]
    if not issues and len(paths) > 1:
        g0 = ctx.resolver.grid(paths[0])
        for n, p in criteria.items():
            if ctx.resolver.grid(p) != g0:
                issues.append(Issue("criteria", f"{n}: {os.path.basename(p)} is on grid {ctx.resolver.grid(p)}, but "
                                                f"{names[0]} is on {g0}; expected one grid: resample it (gdalwarp, "
                                                f"landcarbon.io.align_to)"))
    weights, bad = _numbers(ctx, "weights", "weight")
    directions, bad_d = _numbers(ctx, "directions", "direction", allowed=(1.0, -1.0))
    issues += bad + bad_d
    method = _method(ctx)
    for key, needs in (("weights", "user"), ("ahp_matrix", "ahp")):
        if ctx.get(key) and method != needs:
            issues.append(Issue(key, f"is given but the method is {method!r}, which does not use it; drop it, or "
                                     f"choose the method {needs!r}"))
        if method == needs and not ctx.get(key):
            issues.append(Issue(key, f"is required for the method {method!r} but was not given"))
    for key, needs, what in (("force_ahp", "ahp_matrix", "an AHP matrix"), ("normalise_weights", "weights",
                                                                          "user weights")):
        if ctx.get(key) and not ctx.get(needs):
            issues.append(Issue(key, f"is set but no {what} (⟨{needs}⟩) is given, so it would do nothing; drop it"))
    if ctx.get("directions") and ctx["normalise"] == "none" and method != "entropy":
        issues.append(Issue("directions", "are given but ⟨normalise⟩ is none, which uses the raw values, so they "
                                          "would do nothing; normalise with minmax, or drop them"))
    try:
        with model_keys():
            unknown_names("directions", "criteria in the directions", list(directions), names)
            if weights and not bad and method == "user":
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    check_weights(weights, names, what="criterion weights", normalise=bool(ctx["normalise_weights"]))
            m = _ahp_matrix(ctx) if method == "ahp" else None
            if m is not None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ahp_weights(m, force=bool(ctx["force_ahp"]))
                if sorted(m.index) != sorted(names):
                    issues.append(Issue("ahp_matrix", f"the matrix's criteria {list(m.index)} differ from the "
                                                      f"criteria {names}; expected the same names: rename them"))
    except InputValidationError as err:
        issues += [i if isinstance(i, Issue) else Issue("", str(i)) for i in err.issues]
    except LandcarbonError as err:
        issues.append(Issue("", str(err)))
    return issues


def execute_mce(ctx: RunContext) -> dict:
    criteria = dict(ctx["criteria"])
    layers = {}
    for k, v in criteria.items():
        layers[k] = ctx.resolver.raster(v, name=k) if isinstance(v, str | os.PathLike) else v
        if isinstance(v, str | os.PathLike):
            ctx.run.add_input(f"criteria:{k}", v)
    weights = {k: float(v) for k, v in ctx.get("weights") or []} or None
    directions = {k: int(float(v)) for k, v in ctx.get("directions") or []}
    method = _method(ctx)
    with ctx.progress.step("weighted overlay", total=None), model_keys():
        res = mce_mod.weighted_overlay(layers, weights=weights, ahp_matrix=_ahp_matrix(ctx), method=method,
                                       directions=directions, normalise=ctx["normalise"],
                                       force_ahp=bool(ctx["force_ahp"]), seed=int(ctx["seed"]),
                                       normalise_weights=bool(ctx["normalise_weights"]))
    like = next(iter(layers.values()))
    write_output_raster(ctx, res.score.data, "mce_score.tif", res.score, dtype="float32")
    cls = mce_mod.classify_score(res.score)
    write_output_raster(ctx, cls.data, "mce_class.tif", cls, nodata=0, dtype="uint8")
    ctx.run.write_table(res.weights_frame(), "weights.csv")
    ctx.run.write_table(res.ranges.reset_index(), "criterion_ranges.csv")
    score = np.asarray(res.score.data)
    some = np.zeros(score.shape, bool)
    for v in layers.values():
        some |= np.asarray(v.notnull().data)
    gone = some & np.isnan(score)
    if gone.any():
        ctx.warn(f"{int(gone.sum())} cells valid in some criteria but nodata in another have no score",
                 area_ha=area_ha(gone, like))
    for k, r in res.ranges.iterrows():
        if r["min"] == r["max"] and ctx["normalise"] == "minmax":
            ctx.warn(f"criterion {k} is constant ({r['min']:g}) over the cells valid in every criterion: it scores 0 "
                     f"everywhere, so its weight {float(res.weights[k]):.4g} only lowers every score")
    if method == "entropy":
        ctx.manifest.seeds["entropy_sample"] = int(ctx["seed"])
    elif ctx.given("seed"):
        ctx.warn(f"the seed {ctx['seed']} is not used: only entropy weights sample cells (the method is {method})")
    ctx.manifest.parameters.update({"method": res.method, "directions": directions})
    top = float(area_ha(np.asarray(cls.data) == 1, like))
    return {"headline": [{"label": "weighting", "value": res.method + (f" (CR {res.ahp.cr:.3f})" if res.ahp else ""),
                          "unit": ""},
                         {"label": "mean score", "value": float(np.nanmean(score)) if np.isfinite(score).any()
                          else float("nan"), "unit": "0-1"},
                         {"label": "class 1 (score ≥ 0.8)", "value": top, "unit": "ha"}],
            "main_outputs": ["mce_score.tif", "mce_class.tif", "weights.csv"],
            "method": res.method, "weights": res.weights.to_dict(),
            "ahp": res.ahp.to_dict() if res.ahp is not None else None}


def run_mce(out: str | os.PathLike, *, criteria: Mapping[str, Any], weights: Mapping[str, float] | None = None,
            ahp: Any = None, method: str | None = None, directions: Mapping[str, int] | None = None,
            force_ahp: bool = False, normalise: str = "minmax", seed: int = 0, overwrite: bool = True,
            normalise_weights: bool = False) -> dict:
    """Weighted overlay run (``landcarbon evaluate mce``): ``criteria`` name → raster path."""
    if isinstance(ahp, pd.DataFrame) or ahp is None or isinstance(ahp, str | os.PathLike):
        matrix = ahp
    else:  # a nested list / array with the criteria in order
        matrix = pd.DataFrame(np.asarray(ahp, float), columns=list(criteria)).assign(c=list(criteria))
        matrix = matrix[["c", *criteria]]
    values = {"criteria": [(k, str(v)) for k, v in criteria.items()],
              "weights": [(k, str(v)) for k, v in (weights or {}).items()] or None, "ahp_matrix": matrix,
              "method": method, "directions": [(k, str(v)) for k, v in (directions or {}).items()] or None,
              "force_ahp": force_ahp, "normalise": normalise, "seed": seed, "normalise_weights": normalise_weights}
    return run_model("mce", values, out=out, overwrite=overwrite)
