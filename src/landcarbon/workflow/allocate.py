"""The `allocate` step (model ``allocation``): quota allocation among zones and ecological compensation
(methods.md §6).

Outputs (``models.allocation.SPEC``): allocation.csv (shares per principle, composite share, quota),
weights.csv, zsg_dea.csv and zsg_dea_iterations.csv (method zsg-dea), compensation_transfers.csv (with a
balance table). Every check, the initial allocation included, runs before the ZSG-DEA linear programmes.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import pandas as pd

from ..core.spec import Issue
from ..models import allocation as _alloc
from ..models import compensation as _comp
from ..models.allocation import METHODS, QUOTA_UNITS, prepare_indicators, quota_in_tco2e  # noqa: F401 (API)
from ..models.weights import Problems, bad_input, did_you_mean, input_refs
from .runner import RunContext, run_model

PathLike = str | os.PathLike


def _parse_weights(weights: str | dict | None) -> dict[str, float] | str | None:
    """``"population=0.3,efficiency=0.7"`` → a dict of numbers (each principle once); dicts pass through."""
    if weights is None or isinstance(weights, dict) or weights == "entropy":
        return weights
    out = {}
    for part in str(weights).split(","):
        if "=" not in part:
            raise bad_input("weights", f"found {weights!r}; expected name=value pairs, e.g. "
                                       f"population=0.3,efficiency=0.7, or 'entropy'")
        k, v = part.split("=", 1)
        k = k.strip()
        if k in out:
            raise bad_input("weights", f"principle {k!r} has two weights; expected one")
        try:
            out[k] = float(v)
        except ValueError:
            raise bad_input("weights", f"weight of {k!r} is {v.strip()!r}; expected a number ≥ 0, e.g. "
                                       f"population=0.3,efficiency=0.7") from None
    return out


def _names(ctx: RunContext) -> list[str]:
    return [i.name for i in ctx.spec.inputs]


def _given(ctx: RunContext, key: str) -> bool:
    v, d = ctx.values.get(key), ctx.spec.input(key).default
    if isinstance(v, list) and isinstance(d, tuple | list):
        return list(v) != list(d)
    return ctx.given(key)


def _split(ctx: RunContext, key: str) -> list[str]:
    """A multiple text input, the old comma form (``a,b``) included."""
    return [x.strip() for item in ctx.get(key, []) for x in str(item).split(",") if x.strip()]


def _weights(ctx: RunContext) -> dict[str, float] | None:
    pairs = ctx.get("weights", [])
    return _parse_weights(",".join(f"{k}={v}" for k, v in pairs)) if pairs else None


def _composite(ctx: RunContext) -> bool:
    return ctx["method"] == "composite" or (ctx["method"] == "zsg-dea" and ctx["dea_initial"] == "composite")


def _allocate(ctx: RunContext, ind: pd.DataFrame, quota: float, w: dict | None) -> tuple[pd.DataFrame, pd.Series]:
    """The allocation by a principle or a composite, or the initial allocation of ZSG-DEA."""
    method, init = ctx["method"], ctx["dea_initial"]
    principles = list(ctx.get("principles", [])) or None
    opts = dict(normalise_weights=bool(ctx["normalise_weights"]), allow_implausible=bool(ctx["allow_implausible"]))
    if method in _alloc.PRINCIPLES:
        return _alloc.allocate(ind, quota, principles=[method], **opts)
    if method in ("composite", "entropy"):
        return _alloc.allocate(ind, quota, principles=principles, weights="entropy" if method == "entropy" else w,
                               **opts)
    if init == "composite":
        return _alloc.allocate(ind, quota, principles=principles, weights=w, **opts)
    return _alloc.allocate(ind, quota, principles=[init], **opts)


def _transfers(ctx: RunContext) -> tuple[pd.DataFrame, str]:
    bal = ctx.table("balance")
    col = "value_pearl_CNY" if "value_pearl_CNY" in bal.columns else "value_allowance_CNY"
    need = [c for c in ("zone", "year", col) if c not in bal.columns]
    if need:
        raise bad_input("balance", f"the balance table lacks {need}; expected the balance_by_zone.csv of a balance run")
    year = pd.to_numeric(bal["year"], errors="coerce")
    years = sorted(int(y) for y in year.dropna().unique())
    if ctx.given("balance_year"):
        by = int(ctx["balance_year"])
        if by not in years:
            raise bad_input("balance_year", f"year {by} is not in the balance table, whose years are {years}; choose "
                                            f"one of them")
        bal = bal[year == by]
    tr = _comp.transfers_by_year(bal, value_col=col)
    tr["value_form"] = col
    return tr, col


def _check_zsg(ctx: RunContext, ind: pd.DataFrame, first: Any, pr: Problems) -> None:
    """The DEA columns exist and hold numbers; the initial allocation gives every zone a positive quota."""
    for key in ("dea_inputs", "dea_outputs"):
        for c in _split(ctx, key) or (["gdp_1e4CNY"] if key == "dea_outputs" else []):
            if c not in ind.columns:
                cols = [str(x) for x in ind.columns]
                pr.add(key, f"column {c!r} is not in the indicator table{did_you_mean(c, cols)}; its columns are "
                            f"{cols}")
            else:
                pr.run(lambda c=c: _alloc._col(ind, c), "indicators")
    if first is not None:
        q = first[0]["quota_tCO2e"]
        if (q <= 0).any():
            pr.add("dea_initial", f"the initial allocation ({ctx['dea_initial']}) gives zones "
                                  f"{list(q.index[q <= 0].astype(str))[:10]} no quota; ZSG-DEA needs a positive "
                                  f"initial quota for every zone: choose another dea_initial, or give those zones "
                                  f"their indicator")


def check(ctx: RunContext) -> list[Issue]:
    """Options that the method does not use, the indicators (units, duplicates), the quota and its
    plausibility, the weights (sum to 1 or normalise_weights), the initial allocation, the DEA columns and the
    balance table: every problem at once, before any linear programme."""
    pr = Problems(_names(ctx))
    method, zsg = ctx["method"], ctx["method"] == "zsg-dea"
    how = f"method {method!r}" + (f" with dea_initial {ctx['dea_initial']!r}" if zsg else "")
    w = pr.run(lambda: _weights(ctx), "weights")
    if _given(ctx, "weights") and not _composite(ctx):
        pr.add("weights", f"weights are given but {how} does not use them; drop them or choose the composite method")
    if _given(ctx, "principles") and not (_composite(ctx) or method == "entropy"):
        pr.add("principles", f"principles are given but {how} does not use them; drop them or choose the composite "
                             f"method")
    if not zsg:
        for k in ("dea_initial", "dea_inputs", "dea_outputs", "vrs"):
            if _given(ctx, k):
                pr.add(k, f"is given but method {method!r} does not use it (only zsg-dea does); drop it or choose "
                          f"⟨method⟩ zsg-dea")
    if _given(ctx, "normalise_weights") and not _given(ctx, "weights"):
        pr.add("normalise_weights", "is given but no weights are, so there is nothing to normalise; drop it or give "
                                    "⟨weights⟩")
    if _given(ctx, "balance_year") and not _given(ctx, "balance"):
        pr.add("balance_year", "is given but no balance table is; give ⟨balance⟩ too, or leave it out")
    ind = pr.run(lambda: prepare_indicators(ctx.table("indicators")), "indicators")
    quota = pr.run(lambda: quota_in_tco2e(ctx["quota"], ctx["quota_unit"]), "quota")
    if ind is not None and quota is not None and not pr.issues:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # execute states them once
            first = pr.run(lambda: _allocate(ctx, ind, quota, w), "weights")
        if zsg:
            _check_zsg(ctx, ind, first, pr)
    if _given(ctx, "balance"):
        pr.run(lambda: _transfers(ctx), "balance")
    return pr.issues


def execute(ctx: RunContext) -> dict[str, Any]:
    names = _names(ctx)
    method = ctx["method"]
    with input_refs(names):
        ind = prepare_indicators(ctx.table("indicators"))
        quota = quota_in_tco2e(ctx["quota"], ctx["quota_unit"])
        table, wts = _allocate(ctx, ind, quota, _weights(ctx))
    summary: dict[str, Any] = {"methods": "methods.md §6", "quota_tCO2e": quota, "method": method}
    outputs = ["allocation.csv", "weights.csv"]
    headline = [{"label": "quota", "value": quota, "unit": "t CO2e"},
                {"label": "zones", "value": len(ind), "unit": ""}, {"label": "method", "value": method, "unit": ""}]
    if method == "zsg-dea":
        inputs, outs = _split(ctx, "dea_inputs"), _split(ctx, "dea_outputs") or ["gdp_1e4CNY"]
        with input_refs(names), ctx.progress.step("ZSG-DEA", total=None):
            z, log = _alloc.zsg_dea(ind, table["quota_tCO2e"], inputs=inputs, outputs=outs, vrs=bool(ctx["vrs"]))
        ctx.run.write_table(z.reset_index(), "zsg_dea.csv")
        ctx.run.write_table(log, "zsg_dea_iterations.csv")
        outputs += ["zsg_dea.csv", "zsg_dea_iterations.csv"]
        summary["zsg_dea"] = {"converged": bool(z.attrs["converged"]), "iterations": int(z.attrs["iterations"]),
                              "total_before_tCO2e": float(z["initial_quota_tCO2e"].sum()),
                              "total_after_tCO2e": float(z["quota_tCO2e"].sum()),
                              "min_theta_final": float(z["theta_final"].min()),
                              "solver": "HiGHS (scipy.optimize.linprog) or highspy"}
        headline.append({"label": "ZSG-DEA", "value": f"{'converged' if z.attrs['converged'] else 'NOT converged'} "
                         f"in {int(z.attrs['iterations'])} iterations, min θ {float(z['theta_final'].min()):.5f}",
                         "unit": ""})
    ctx.run.write_table(table.reset_index(), "allocation.csv")
    ctx.run.write_table(wts.rename_axis("principle").reset_index(), "weights.csv")
    summary["weights"] = {k: float(v) for k, v in wts.items()}
    summary["weights_normalised_from_sum"] = wts.attrs.get("normalised_from_sum")
    notes = []
    if wts.attrs.get("normalised_from_sum") is not None:
        notes.append(f"composite weights summed to {wts.attrs['normalised_from_sum']:.6g}; normalised to 1 as "
                     f"requested (normalise_weights)")
    headline.append({"label": "weights", "value": ", ".join(f"{k} {v:.4g}" for k, v in wts.items()), "unit": ""})
    if _given(ctx, "balance"):
        with input_refs(names, "balance"):
            tr, col = _transfers(ctx)
        ctx.run.write_table(tr, "compensation_transfers.csv")
        outputs.append("compensation_transfers.csv")
        total = float(tr["amount_CNY"].sum()) if len(tr) else 0.0
        summary["compensation"] = {"value_column": col, "n_transfers": len(tr), "total_CNY": total}
        headline.append({"label": f"compensation transfers ({col})", "value": total, "unit": "CNY/a"})
    summary.update(headline=headline, main_outputs=outputs, notes=notes)
    return summary


def run_allocate(*, out: PathLike, indicators: Any, quota: float, quota_unit: str = "t CO2e",
                 method: str = "composite", principles: list[str] | None = None, weights: str | dict | None = None,
                 dea_inputs: list[str] | None = None, dea_outputs: list[str] | None = None,
                 dea_initial: str = "grandfathering", vrs: bool = False, balance: Any = None,
                 balance_year: int | None = None, overwrite: bool = True, normalise_weights: bool = False,
                 allow_implausible: bool = False) -> dict[str, Any]:
    """Allocate ``quota`` among the zones of ``indicators`` by ``method`` (the model ``allocation`` through the
    runner); with ``balance`` (a balance_by_zone.csv) also write the compensation transfers between zones.

    Composite ``weights`` (``"population=0.3,efficiency=0.7"`` or a dict) must sum to 1;
    ``normalise_weights=True`` divides them by their sum instead, and the summary and manifest say so.
    ``allow_implausible`` accepts a per-capita GDP or a quota / emissions ratio that would otherwise be refused
    as a suspected unit error."""
    if weights == "entropy" and method == "composite":
        method, weights = "entropy", None
    if isinstance(weights, str):
        weights = [p for p in weights.split(",") if p.strip()]
    unit = next((k for k in _alloc.QUOTA_UNIT_NAMES if k.replace(" ", "").lower()
                 == str(quota_unit).replace(" ", "").lower()), quota_unit)
    values = dict(indicators=indicators, quota=quota, quota_unit=unit, method=method, principles=principles,
                  weights=weights, dea_inputs=dea_inputs, dea_outputs=dea_outputs, dea_initial=dea_initial, vrs=vrs,
                  balance=balance, balance_year=balance_year, normalise_weights=normalise_weights,
                  allow_implausible=allow_implausible)
    return run_model("allocation", {k: v for k, v in values.items() if v is not None}, out=out, overwrite=overwrite)
