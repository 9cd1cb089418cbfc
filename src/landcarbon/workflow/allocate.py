"""`landcarbon allocate`: quota allocation among zones and ecological compensation (methods.md §6).

Outputs: allocation.csv (shares per principle, composite share, quota), weights.csv, zsg_dea.csv and
zsg_dea_iterations.csv (method zsg-dea), compensation_transfers.csv (with a balance table), summary.json.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import pandas as pd

from ..core.errors import UnitError
from ..io import read_table
from ..models import allocation as _alloc
from ..models import compensation as _comp
from ..models.weights import bad_input, did_you_mean
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
        raise UnitError(f"quota_unit: quota unit {unit!r} is not understood{did_you_mean(u, QUOTA_UNITS)}; expected "
                        f"one of t CO2, t CO2e, 1e4 t CO2, Mt CO2")
    try:
        v = float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError):
        v = float("nan")
    if not (v >= 0 and v < float("inf")):
        raise bad_input("quota", f"found {value!r}; expected a number ≥ 0 (in quota_unit, here {unit})")
    return v * QUOTA_UNITS[u]


def prepare_indicators(df: pd.DataFrame) -> pd.DataFrame:
    """Index zone; columns in canonical units: population (persons), gdp_1e4CNY, emission_tCO2e, plus others."""
    cols = {str(c).strip(): c for c in df.columns}
    if "zone" not in cols:
        raise bad_input("indicators", f"indicator table has columns {list(df.columns)}; it lacks 'zone'")
    if len(df) == 0:
        raise bad_input("indicators", "the indicator table has no data rows; expected one row per zone")
    out = df.copy()
    out.columns = [str(c).strip() for c in out.columns]
    for c in list(out.columns):
        key = c.lower()
        if key in _IND_UNITS:
            name, f = _IND_UNITS[key]
            if name in out.columns and name != c:
                raise bad_input("indicators", f"columns {name!r} and {c!r} both give {name.split('_')[0]}; expected "
                                              f"one of them: drop the other")
            v = pd.to_numeric(out[c], errors="coerce")
            if v.isna().any():
                raise bad_input("indicators", f"column {c!r} is empty or not a number for zone "
                                              f"{out.loc[v.isna(), 'zone'].iloc[0]}; empty is not zero: fill it")
            out[name] = v * f
    if "gdp" in [c.lower() for c in out.columns] and "gdp_1e4CNY" not in out.columns:
        raise bad_input("indicators", "indicator column 'gdp' has no unit; rename it gdp_1e4CNY, gdp_1e8CNY or "
                                      "gdp_CNY")
    out["zone"] = out["zone"].astype(str).str.strip()
    if out["zone"].duplicated().any():
        raise bad_input("indicators", f"zones {sorted(set(out['zone'][out['zone'].duplicated()]))} appear more than "
                                      f"once; expected one row per zone: filter the year first")
    return out.set_index("zone")


def _parse_weights(weights: str | dict | None) -> dict[str, float] | str | None:
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


def run_allocate(*, out: PathLike, indicators: PathLike, quota: float, quota_unit: str = "t CO2e",
                 method: str = "composite", principles: list[str] | None = None, weights: str | dict | None = None,
                 dea_inputs: list[str] | None = None, dea_outputs: list[str] | None = None,
                 dea_initial: str = "grandfathering", vrs: bool = False, balance: PathLike | None = None,
                 balance_year: int | None = None, overwrite: bool = True, normalise_weights: bool = False,
                 allow_implausible: bool = False) -> dict[str, Any]:
    """Allocate ``quota`` among the zones of ``indicators`` by ``method``; with ``balance`` (a balance_by_zone.csv)
    also write the compensation transfers between zones.

    Composite ``weights`` must sum to 1; ``normalise_weights=True`` divides them by their sum instead, and the
    summary and manifest say so. ``allow_implausible`` accepts a per-capita GDP or a quota / emissions ratio that
    would otherwise be refused as a suspected unit error."""
    if method not in METHODS:
        raise bad_input("method", f"found {method!r}{did_you_mean(method, METHODS)}; expected one of {list(METHODS)}")
    if dea_initial not in (*_alloc.PRINCIPLES, "composite"):
        raise bad_input("dea_initial", f"found {dea_initial!r}"
                                       f"{did_you_mean(dea_initial, (*_alloc.PRINCIPLES, 'composite'))}; expected a "
                                       f"principle or 'composite'")
    w = _parse_weights(weights)
    composite = method == "composite" or (method == "zsg-dea" and dea_initial == "composite")
    if w is not None and not composite:
        raise bad_input("weights", f"weights are given but method {method!r}"
                                   + (f" with dea_initial {dea_initial!r}" if method == "zsg-dea" else "")
                                   + " does not use them; drop them or choose the composite method")
    if principles and not (composite or method == "entropy"):
        raise bad_input("principles", f"principles are given but method {method!r}"
                                      + (f" with dea_initial {dea_initial!r}" if method == "zsg-dea" else "")
                                      + " does not use them; drop them or choose the composite method")
    with RunFolder(out, "allocate", overwrite=overwrite) as run:
        m = run.manifest
        m.model, m.model_version = _alloc.SPEC.id, _alloc.SPEC.version
        run.add_input("indicators", indicators)
        run.add_input("balance", balance)
        Q = quota_in_tco2e(quota, quota_unit)
        ind = prepare_indicators(read_table(indicators))
        m.parameters.update(dict(quota_tCO2e=Q, method=method, principles=principles, weights=weights,
                                 dea_inputs=dea_inputs, dea_outputs=dea_outputs, dea_initial=dea_initial, vrs=vrs,
                                 normalise_weights=normalise_weights, allow_implausible=allow_implausible))
        opts = dict(normalise_weights=normalise_weights, allow_implausible=allow_implausible)
        summary: dict[str, Any] = {"command": "allocate", "methods": "methods.md §6", "quota_tCO2e": Q,
                                   "method": method}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if method in _alloc.PRINCIPLES:
                table, wts = _alloc.allocate(ind, Q, principles=[method], **opts)
            elif method in ("composite", "entropy"):
                table, wts = _alloc.allocate(ind, Q, principles=principles,
                                             weights="entropy" if method == "entropy" else w, **opts)
            else:  # zsg-dea: initial allocation by a principle (or composite), then redistribution
                init_w = w if dea_initial == "composite" else None
                table, wts = _alloc.allocate(ind, Q, principles=principles if dea_initial == "composite"
                                             else [dea_initial], weights=init_w, **opts)
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
        summary["weights_normalised_from_sum"] = wts.attrs.get("normalised_from_sum")
        if balance is not None:
            bal = read_table(balance)
            col = "value_pearl_CNY" if "value_pearl_CNY" in bal.columns else "value_allowance_CNY"
            need = [c for c in ("zone", "year", col) if c not in bal.columns]
            if need:
                raise bad_input("balance", f"the balance table lacks {need}; expected the balance_by_zone.csv of a "
                                           f"balance run")
            years = sorted(int(y) for y in pd.to_numeric(bal["year"], errors="coerce").dropna().unique())
            if balance_year is not None:
                if balance_year not in years:
                    raise bad_input("balance_year", f"year {balance_year!r} is not in the balance table, whose years "
                                                    f"are {years}; choose one of them")
                bal = bal[pd.to_numeric(bal["year"], errors="coerce") == balance_year]
            tr = _comp.transfers_by_year(bal, value_col=col)
            run.write_table(tr, "compensation_transfers.csv")
            summary["compensation"] = {"value_column": col, "n_transfers": len(tr),
                                       "total_CNY": float(tr["amount_CNY"].sum()) if len(tr) else 0.0}
        summary["notes"] = list(m.notes)
        run.summary = summary
        return summary
