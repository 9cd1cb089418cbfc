"""`landcarbon allocate`: quota allocation among zones and ecological compensation (methods.md §6).

Outputs: allocation.csv (shares per principle, composite share, quota), weights.csv, zsg_dea.csv and
zsg_dea_iterations.csv (with --method zsg-dea), compensation_transfers.csv (with --balance), summary.json.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import pandas as pd

from ..core.errors import InputValidationError, UnitError
from ..io import read_table
from ..models import allocation as _alloc
from ..models import compensation as _comp
from .common import RunFolder

PathLike = str | os.PathLike

QUOTA_UNITS = {"tco2": 1.0, "tco2e": 1.0, "1e4tco2": 1e4, "1e4tco2e": 1e4, "万吨": 1e4, "万吨co2": 1e4,
               "mtco2": 1e6, "mtco2e": 1e6}
_IND_UNITS = {"population_1e4": ("population", 1e4), "gdp_1e8cny": ("gdp_1e4CNY", 1e4),
              "gdp_cny": ("gdp_1e4CNY", 1e-4), "emission_1e4tco2e": ("emission_tCO2e", 1e4),
              "emission_1e4tco2": ("emission_tCO2e", 1e4), "emission_tco2": ("emission_tCO2e", 1.0)}
METHODS = ("population", "grandfathering", "ability_to_pay", "efficiency", "productivity", "composite",
           "entropy", "zsg-dea")


def quota_in_tco2e(value: float, unit: str) -> float:
    u = str(unit).strip().lower().replace(" ", "")
    if u not in QUOTA_UNITS:
        raise UnitError(f"quota unit {unit!r} is not understood; expected one of t CO2, t CO2e, 1e4 t CO2, Mt CO2")
    return float(value) * QUOTA_UNITS[u]


def prepare_indicators(df: pd.DataFrame) -> pd.DataFrame:
    """Index zone; columns in canonical units: population (persons), gdp_1e4CNY, emission_tCO2e, plus others."""
    cols = {str(c).strip(): c for c in df.columns}
    if "zone" not in cols:
        raise InputValidationError(f"indicator table has columns {list(df.columns)}; it lacks 'zone'")
    out = df.copy()
    out.columns = [str(c).strip() for c in out.columns]
    for c in list(out.columns):
        key = c.lower()
        if key in _IND_UNITS:
            name, f = _IND_UNITS[key]
            out[name] = pd.to_numeric(out[c], errors="coerce") * f
    if "gdp" in [c.lower() for c in out.columns] and "gdp_1e4CNY" not in out.columns:
        raise InputValidationError("indicator column 'gdp' has no unit; rename it gdp_1e4CNY, gdp_1e8CNY or gdp_CNY")
    out["zone"] = out["zone"].astype(str).str.strip()
    if out["zone"].duplicated().any():
        raise InputValidationError(f"indicator table: zones {sorted(set(out['zone'][out['zone'].duplicated()]))} "
                                   f"appear twice; give one row per zone (filter the year first)")
    return out.set_index("zone")


def _parse_weights(weights: str | dict | None) -> dict[str, float] | str | None:
    if weights is None or isinstance(weights, dict) or weights == "entropy":
        return weights
    out = {}
    for part in str(weights).split(","):
        if "=" not in part:
            raise InputValidationError(f"--weights {weights!r}; expected name=value pairs, e.g. "
                                       f"population=0.3,efficiency=0.7, or 'entropy'")
        k, v = part.split("=", 1)
        out[k.strip()] = float(v)
    return out


def run_allocate(*, out: PathLike, indicators: PathLike, quota: float, quota_unit: str = "t CO2e",
                 method: str = "composite", principles: list[str] | None = None, weights: str | dict | None = None,
                 dea_inputs: list[str] | None = None, dea_outputs: list[str] | None = None,
                 dea_initial: str = "grandfathering", vrs: bool = False, balance: PathLike | None = None,
                 balance_year: int | None = None, overwrite: bool = True) -> dict[str, Any]:
    """Allocate ``quota`` among the zones of ``indicators`` by ``method``; with ``balance`` (a balance_by_zone.csv)
    also write the compensation transfers between zones."""
    if method not in METHODS:
        raise InputValidationError(f"--method {method!r}; expected one of {METHODS}")
    with RunFolder(out, "allocate", overwrite=overwrite) as run:
        m = run.manifest
        m.model, m.model_version = _alloc.SPEC.id, _alloc.SPEC.version
        run.add_input("indicators", indicators)
        run.add_input("balance", balance)
        Q = quota_in_tco2e(quota, quota_unit)
        ind = prepare_indicators(read_table(indicators))
        w = _parse_weights(weights)
        m.parameters.update(dict(quota_tCO2e=Q, method=method, principles=principles, weights=weights,
                                 dea_inputs=dea_inputs, dea_outputs=dea_outputs, dea_initial=dea_initial, vrs=vrs))
        summary: dict[str, Any] = {"command": "allocate", "methods": "methods.md §6", "quota_tCO2e": Q,
                                   "method": method}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if method in _alloc.PRINCIPLES:
                table, wts = _alloc.allocate(ind, Q, principles=[method])
            elif method in ("composite", "entropy"):
                table, wts = _alloc.allocate(ind, Q, principles=principles,
                                             weights="entropy" if method == "entropy" else w)
            else:  # zsg-dea: initial allocation by a principle (or composite), then redistribution
                init_w = w if dea_initial == "composite" else None
                table, wts = _alloc.allocate(ind, Q, principles=principles if dea_initial == "composite"
                                             else [dea_initial], weights=init_w)
                with m.timed("zsg_dea"):
                    z, log = _alloc.zsg_dea(ind, table["quota_tCO2e"], inputs=dea_inputs or [],
                                            outputs=dea_outputs or ["gdp_1e4CNY"], vrs=vrs)
                run.write_table(z.reset_index(), "zsg_dea.csv")
                run.write_table(log, "zsg_dea_iterations.csv")
                summary["zsg_dea"] = {"converged": bool(z.attrs["converged"]), "iterations": int(z.attrs["iterations"]),
                                      "total_before_tCO2e": float(z["initial_quota_tCO2e"].sum()),
                                      "total_after_tCO2e": float(z["quota_tCO2e"].sum()),
                                      "min_theta_final": float(z["theta_final"].min()),
                                      "solver": "HiGHS (scipy.optimize.linprog) or highspy"}
        for wmsg in caught:
            m.notes.append(str(wmsg.message))
            warnings.warn(wmsg.message, stacklevel=2)
        run.write_table(table.reset_index(), "allocation.csv")
        run.write_table(wts.rename_axis("principle").reset_index(), "weights.csv")
        summary["weights"] = {k: float(v) for k, v in wts.items()}
        if balance is not None:
            bal = read_table(balance)
            col = "value_pearl_CNY" if "value_pearl_CNY" in bal.columns else "value_allowance_CNY"
            if balance_year is not None:
                bal = bal[bal["year"] == balance_year]
            tr = _comp.transfers_by_year(bal, value_col=col)
            run.write_table(tr, "compensation_transfers.csv")
            summary["compensation"] = {"value_column": col, "n_transfers": len(tr),
                                       "total_CNY": float(tr["amount_CNY"].sum()) if len(tr) else 0.0}
        summary["notes"] = list(m.notes)
        run.summary = summary
        return summary
