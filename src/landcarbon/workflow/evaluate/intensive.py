"""节约集约用地评价 step (``landcarbon evaluate intensive``, methods.md §11)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ...core.spec import Issue
from ...core.validation import did_you_mean
from ...models.evaluate import intensive as it
from ..runner import RunContext, run_model
from ..steps import model_keys


def _rows(index: pd.Index, value: Any) -> str:
    return ", ".join(str(i + 2) for i in range(len(index)) if index[i] == value)  # +1 header, +1 one-based


def _sheets_with(path: Any, column: str) -> list[str]:
    p = Path(str(path))
    if p.suffix.lower() not in (".xlsx", ".xlsm", ".xls"):
        return []
    try:
        book = pd.ExcelFile(p)
        return [s for s in book.sheet_names
                if column in [str(c).strip() for c in book.parse(s, nrows=0).columns]]
    except Exception:  # noqa: BLE001 - a workbook that cannot be read offers no sheets
        return []


def _pairs(ctx: RunContext, key: str, what: str) -> tuple[dict[str, float] | None, list[Issue]]:
    """A two-column table (name, number) as a mapping; non-numbers and repeated names are errors."""
    t = ctx.table(key)
    if t is None:
        return None, []
    if t.shape[1] < 2:
        return None, [Issue(key, f"the table has {t.shape[1]} column(s) {list(t.columns)}; expected two: indicator, "
                                 f"{what}")]
    names = t.iloc[:, 0].astype(str).str.strip()
    issues = [Issue(key, f"indicator {n!r} appears in rows {_rows(pd.Index(names), n)}; expected one row per "
                         f"indicator: remove the duplicates") for n in sorted(set(names[names.duplicated()]))]
    out = {}
    for n, v in zip(names, t.iloc[:, 1]):
        try:
            x = float(v)
        except (TypeError, ValueError):
            x = math.nan
        if not math.isfinite(x):
            issues.append(Issue(key, f"{what} of {n!r} is {v!r}; expected a number: correct it"))
        out[n] = x
    return out, issues


def _table(ctx: RunContext) -> pd.DataFrame:
    df = ctx.table("table")
    zc = ctx["zone_column"]
    df = df.dropna(how="all").set_index(zc)
    df.index = df.index.map(lambda v: str(v).strip())
    df.index.name = "zone"
    return df


def check_intensive(ctx: RunContext) -> list[Issue]:
    df = ctx.table("table")
    zc = ctx["zone_column"]
    cols = [str(c) for c in df.columns]
    issues = []
    if zc not in cols:
        other = _sheets_with(ctx["table"], zc) if ctx.get("table_sheet") is None else []
        hint = (f"; sheet(s) {', '.join(other)} hold it: choose the sheet (⟨table_sheet⟩)" if other else
                f"{did_you_mean(zc, cols)}: name the zone column (⟨zone_column⟩)")
        return [Issue("zone_column", f"found {zc!r}, which is not a column of the table (its columns are "
                                     f"{', '.join(cols)}){hint}")]
    z = df.dropna(how="all")[zc].map(lambda v: str(v).strip())
    for n in sorted(set(z[z.duplicated()])):
        issues.append(Issue("table", f"zone {n!r} appears in rows {_rows(pd.Index(z), n)}; expected one row per zone: "
                                     f"remove or merge the duplicates"))
    for key, what in (("weights", "weight"), ("ideals", "ideal value")):
        issues += _pairs(ctx, key, what)[1]
    for key, needs, what in (("force_ahp", "ahp_matrix", "an AHP matrix"),
                             ("normalise_weights", "weights", "user weights")):
        if ctx.get(key) and ctx.get(needs) is None:
            issues.append(Issue(key, f"is set but no {what} (⟨{needs}⟩) is given, so it would do nothing; drop it"))
    return issues


def execute_intensive(ctx: RunContext) -> dict:
    df = _table(ctx)
    weights = _pairs(ctx, "weights", "weight")[0]
    ideals = _pairs(ctx, "ideals", "ideal value")[0]
    mat = ctx.table("ahp_matrix")
    if mat is not None:
        mat = mat.set_index(mat.columns[0])
        mat.index = [str(i) for i in mat.index]
    with model_keys({"zones": "table"}, default="table"):
        res = it.evaluate_intensive(df, weights=weights, ahp_matrix=mat, force_ahp=bool(ctx["force_ahp"]),
                                    ideals=ideals, normalise_weights=bool(ctx["normalise_weights"]),
                                    allow_implausible=bool(ctx["allow_implausible"]))
    for f in res.flags:
        ctx.warn(f)
    ctx.run.write_table(res.indicators.reset_index(), "indicators.csv")
    ctx.run.write_table(res.scores.reset_index(), "scores.csv")
    ctx.run.write_table(res.weights_frame(), "weights.csv")
    ctx.run.write_table(res.composite.reset_index(), "composite.csv")
    ctx.manifest.parameters.update({"scoring": res.scoring, "weighting": res.weighting})
    idx = res.composite["index"]
    best = str(idx.idxmax())
    return {"headline": [{"label": "zones", "value": len(idx), "unit": ""},
                         {"label": "mean index", "value": float(idx.mean()), "unit": "0-100"},
                         {"label": f"highest ({best})", "value": float(idx.max()), "unit": "0-100"},
                         {"label": "scoring / weighting", "value": f"{res.scoring} / {res.weighting}", "unit": ""}],
            "main_outputs": ["composite.csv", "indicators.csv", "weights.csv"],
            "scoring": res.scoring, "weighting": res.weighting, "flags": res.flags,
            "composite": res.composite["index"].round(4).to_dict()}


def _frame(v: Any, what: str) -> Any:
    if v is None or not isinstance(v, Mapping):
        return v
    return pd.DataFrame({"indicator": list(v), what: list(v.values())})


def run_intensive(out: str | os.PathLike, *, table: Any, zone_column: str = "zone", weights: Any = None,
                  ahp: Any = None, ideals: Any = None, force_ahp: bool = False, overwrite: bool = True,
                  normalise_weights: bool = False, allow_implausible: bool = False) -> dict:
    """Intensive land-use run (``landcarbon evaluate intensive``): ``table`` a CSV/XLSX path or a DataFrame;
    ``weights`` / ``ideals`` a two-column table or a mapping indicator → number."""
    values = {"table": table, "zone_column": zone_column, "weights": _frame(weights, "weight"), "ahp_matrix": ahp,
              "ideals": _frame(ideals, "ideal"), "force_ahp": force_ahp, "normalise_weights": normalise_weights,
              "allow_implausible": allow_implausible}
    return run_model("intensive", values, out=out, overwrite=overwrite)
