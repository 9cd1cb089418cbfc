"""Accounts → tables and the summary dict."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...core.units import CO2_PER_C
from ...kernels import stock as _k
from .accounts import to_accounts
from .compute import StockResult
from .plan import SOURCE_LABELS, StockPlan


def summarize(result_or_plan: StockResult | StockPlan, accounts: Sequence[np.ndarray], *,
              cell_area_ha: float | None = None, price_year: Sequence[int | None] | None = None
              ) -> dict[str, Any]:
    """Tables and the summary dict from computed accounts (numpy).

    Returns a dict with ``summary`` (JSON-ready: maps, changes), and DataFrames ``zone_class``
    (zone × class × map: area_ha, stock_MgC, stock_tCO2, change_MgC, npv_CNY, price_year),
    ``by_class``, ``by_zone`` and ``transitions`` (zone × from-class × to-class per change).
    """
    if isinstance(result_or_plan, StockResult):
        p = result_or_plan.plan
        a = result_or_plan.cell_area_ha if cell_area_ha is None else cell_area_ha
    else:
        p = result_or_plan
        if cell_area_ha is None:
            raise ValueError("cell_area_ha is required with a plan")
        a = cell_area_ha
    acc = to_accounts(p, accounts)
    nc = p.n_classes
    codes = p.codes.tolist()
    cnames = [p.class_names.get(c, str(c)) for c in codes]
    zn = ["(outside zones)"] + p.zone_names if p.zone_names else ["(all)"]
    has_zones = bool(p.zone_names)
    area = acc.acc_w * a                      # (M, Z, nc+3) ha
    stock = acc.acc_v * a                     # (M, Z, nc+3) Mg C
    maps_out = []
    for m in range(p.n_maps):
        total = float(stock[m, :, :nc].sum())
        maps_out.append({
            "year": p.years[m], "label": p.labels[m], "total_MgC": total, "total_tCO2": total * CO2_PER_C,
            "area_valid_ha": float(area[m, :, :nc].sum()),
            "area_nodata_ha": float(area[m, :, nc + _k.NODATA].sum()),
            "area_no_density_ha": float(area[m, :, nc + _k.NO_DENSITY].sum()),
            "mean_density_MgC_ha": total / max(float(area[m, :, :nc].sum()), 1e-300),
        })
        if has_zones:
            maps_out[-1]["area_outside_zones_ha"] = float(area[m, 0, :].sum())
    changes = []
    pw = acc.pair_w * a
    for pi, (fa, fb) in enumerate(p.pairs):
        dS = float(acc.pair_v[pi].sum() * a)
        npv = float(acc.pair_n[pi].sum() * a) if p.price is not None else None
        both = float(pw[pi, :, :nc, :nc].sum())
        only_from = float(pw[pi, :, :nc, nc:].sum())
        only_to = float(pw[pi, :, nc:, :nc].sum())
        n_years = (p.years[fb] - p.years[fa]) if p.years[fa] is not None and p.years[fb] is not None else None
        changes.append({
            "from": p.years[fa], "to": p.years[fb], "from_label": p.labels[fa], "to_label": p.labels[fb],
            "kind": p.pair_kind[pi] if pi < len(p.pair_kind) else "requested",
            "change_MgC": dS, "change_tCO2": dS * CO2_PER_C,
            "stock_difference_MgC": maps_out[fb]["total_MgC"] - maps_out[fa]["total_MgC"],
            "annual_change_MgC": dS / n_years if n_years else None,
            "npv": npv, "valuation_constant_K": None if math.isnan(p.k[pi]) else float(p.k[pi]),
            "price_year": _price_year(p, pi, price_year),
            "area_valid_both_ha": both, "area_valid_from_only_ha": only_from, "area_valid_to_only_ha": only_to,
        })

    # zone x class x map
    prev_of: dict[int, int] = {}
    k_of: dict[int, float] = {}
    for pi, (fa, fb) in enumerate(p.pairs):
        if p.pair_kind[pi] != "first_to_last" and fb not in prev_of:
            prev_of[fb] = fa
            k_of[fb] = p.k[pi]
    rows = []
    z_range = range(1, p.n_zones) if has_zones else range(0, 1)
    for m in range(p.n_maps):
        for z in z_range:
            for ci in range(nc):
                ar = float(area[m, z, ci])
                prev = prev_of.get(m)
                if ar == 0 and (prev is None or float(area[prev, z, ci]) == 0):
                    continue
                st = float(stock[m, z, ci])
                chg = None if prev is None else st - float(stock[prev, z, ci])
                kk = k_of.get(m, np.nan)
                rows.append({
                    "zone": zn[z] if has_zones else "", "code": codes[ci], "class": cnames[ci],
                    "year": p.years[m], "label": p.labels[m], "area_ha": ar, "stock_MgC": st,
                    "stock_tCO2": st * CO2_PER_C,
                    "density_MgC_ha": float(p.dens[m, z, ci]) if not p.raster_pools else (st / ar if ar else None),
                    "density_source": SOURCE_LABELS[p.source[m, z, ci]] if p.source[m, z, ci] >= 0 else "",
                    "change_MgC": chg,
                    "npv_CNY": None if chg is None or math.isnan(kk) or p.price is None else chg * kk,
                    "price_year": (p.years[prev] if prev is not None and p.price is not None else None),
                })
    zone_class = pd.DataFrame(rows, columns=["zone", "code", "class", "year", "label", "area_ha", "stock_MgC",
                                             "stock_tCO2", "density_MgC_ha", "density_source", "change_MgC",
                                             "npv_CNY", "price_year"])
    if not has_zones:
        zone_class = zone_class.drop(columns=["zone"])
    # per class (all zones, incl. outside)
    crow = []
    for m in range(p.n_maps):
        for ci in range(nc):
            ar = float(area[m, :, ci].sum())
            if ar == 0:
                continue
            st = float(stock[m, :, ci].sum())
            crow.append({"code": codes[ci], "class": cnames[ci], "year": p.years[m], "label": p.labels[m],
                         "area_ha": ar, "stock_MgC": st, "stock_tCO2": st * CO2_PER_C})
    by_class = pd.DataFrame(crow, columns=["code", "class", "year", "label", "area_ha", "stock_MgC", "stock_tCO2"])
    # per zone
    zrow = []
    if has_zones:
        for m in range(p.n_maps):
            for z in range(1, p.n_zones):
                st = float(stock[m, z, :nc].sum())
                zrow.append({"zone": zn[z], "year": p.years[m], "label": p.labels[m],
                             "area_ha": float(area[m, z, :nc].sum()), "stock_MgC": st,
                             "stock_tCO2": st * CO2_PER_C})
    by_zone = pd.DataFrame(zrow, columns=["zone", "year", "label", "area_ha", "stock_MgC", "stock_tCO2"])
    zchg = []
    for pi, (fa, fb) in enumerate(p.pairs):
        for z in (range(1, p.n_zones) if has_zones else range(0, 1)):
            d = float(acc.pair_v[pi, z].sum() * a)
            zchg.append({"zone": zn[z] if has_zones else "", "from": p.years[fa], "to": p.years[fb],
                         "from_label": p.labels[fa], "to_label": p.labels[fb], "change_MgC": d,
                         "change_tCO2": d * CO2_PER_C,
                         "npv_CNY": float(acc.pair_n[pi, z].sum() * a) if p.price is not None else None,
                         "price_year": _price_year(p, pi, price_year)})
    zone_change = pd.DataFrame(zchg)
    if not has_zones and len(zone_change):
        zone_change = zone_change.drop(columns=["zone"])
    trow = []
    for pi, (fa, fb) in enumerate(p.pairs):
        for z in (range(1, p.n_zones) if has_zones else range(0, 1)):
            nzi = np.argwhere(pw[pi, z, :nc, :nc] > 0)
            for c1, c2 in nzi:
                trow.append({"zone": zn[z] if has_zones else "", "from": p.years[fa], "to": p.years[fb],
                             "from_label": p.labels[fa], "to_label": p.labels[fb],
                             "code_from": codes[c1], "code_to": codes[c2],
                             "area_ha": float(pw[pi, z, c1, c2]), "change_MgC": float(acc.pair_v[pi, z, c1, c2] * a),
                             "npv_CNY": float(acc.pair_n[pi, z, c1, c2] * a) if p.price is not None else None})
    transitions = pd.DataFrame(trow)
    if not has_zones and len(transitions):
        transitions = transitions.drop(columns=["zone"])
    summary = {"maps": maps_out, "changes": changes, "units": {
        "total_MgC": "Mg C", "change_MgC": "Mg C", "npv": "CNY (price year = price_year)",
        "area": "ha"}}
    return {"summary": summary, "zone_class": zone_class, "by_class": by_class, "by_zone": by_zone,
            "zone_change": zone_change, "transitions": transitions}


def _price_year(p: StockPlan, pi: int, price_year: Sequence[int | None] | None) -> int | None:
    if p.price is None:
        return None
    if price_year is not None:
        return price_year[pi]
    return p.years[p.pairs[pi][0]]



__all__ = ["summarize"]
