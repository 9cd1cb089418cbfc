"""Carbon indicators (methods.md §14.2): S, K, NCE, CI, CIR, PCE, GB.

They read variables per zone and year (long or wide, see ``_tables``): ``stock_MgC`` (Mg C; a stock
given in t CO2 is converted through ``core.units``), ``emission_tCO2`` CE and ``absorption_tCO2``
CA (t CO2/a, both ≥ 0: CA is the magnitude of the sink, §4.1), ``gdp_1e4CNY`` (10^4 CNY, constant
prices), ``population`` (persons) and ``green_building_pct`` (%).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..weights import bad_input
from . import _tables as T
from .definitions import CARBON, INDICATORS
from .land import _which


def carbon_indicators(variables: pd.DataFrame, *, base_year: int | None = None,
                      indicators: Sequence[str] | None = None) -> pd.DataFrame:
    """Carbon indicator rows (``[scenario,] zone, year, indicator, value, unit``).

    K uses the previous year of the same zone and scenario that has a stock. CIR compares with CI in
    ``base_year`` of the same zone and scenario, or of the observed rows (scenario ``""``) when the
    scenario has no base-year row. ``indicators``: which to compute; default all whose inputs are
    present (CIR only with a ``base_year``)."""
    w, has_sc = T.wide(variables, "variables")
    for name in ("stock_MgC", "emission_tCO2", "absorption_tCO2"):
        if name in w and (w[name] < 0).any():
            r = w[w[name] < 0].index[0]
            what = "the magnitude of the sink (≥ 0; §4.1)" if name == "absorption_tCO2" else "a value ≥ 0"
            raise bad_input("variables", f"{name} is {w.loc[r, name]:g} in zone {r[1]!r} {r[2]}; expected {what}")
    if "green_building_pct" in w:
        g = w["green_building_pct"]
        bad = g[(g < 0) | (g > 100)]
        if len(bad):
            raise bad_input("variables", f"green_building_pct is {bad.iloc[0]:g} in zone {bad.index[0][1]!r} "
                                         f"{bad.index[0][2]}; expected a share in % (0–100)")
    if indicators is None:
        wanted = [i for i in _which(None, CARBON, w) if i != "CIR" or base_year is not None]
    else:
        wanted = _which(indicators, CARBON, w)
        if "CIR" in wanted and base_year is None:
            raise bad_input("base_year", "CIR (碳排放强度下降率) compares with a base year; give base_year "
                                         "(e.g. 2005 or the first observed year)")
    parts = []
    for ind in wanted:
        v = _FORMULAS[ind](w, base_year)
        parts.append(T.rows(w, v, ind, INDICATORS[ind].unit))
    return T.finish(parts, has_sc)


def _s(w, _):
    return w["stock_MgC"].astype(float)


def _k(w, _):
    s = w["stock_MgC"].dropna()
    df = s.rename("s").reset_index().sort_values(["scenario", "zone", "year"])
    g = df.groupby(["scenario", "zone"], sort=False)
    prev_s, prev_t = g["s"].shift(), g["year"].shift()
    df["k"] = (df["s"] - prev_s) / (df["year"] - prev_t)
    return df.set_index(list(T.KEYS))["k"].reindex(w.index)


def _nce(w, _):
    return w["emission_tCO2"] - w["absorption_tCO2"]


def _ci(w, _):
    gdp = T.positive_divisor(w, "gdp_1e4CNY", "CI", "variables", "GDP")
    return w["emission_tCO2"] / gdp


def _cir(w, base_year):
    ci = _ci(w, None).dropna()
    base_year = int(base_year)
    at_base = ci[ci.index.get_level_values("year") == base_year]
    base = {(s, z): v for (s, z, _y), v in at_base.items()}
    out = {}
    missing = []
    for (s, z, y), v in ci.items():
        b = base.get((s, z), base.get((T.OBSERVED, z)))
        if b is None:
            missing.append((s, z))
            continue
        if b <= 0:
            raise bad_input("variables", f"CIR divides by CI in {base_year}, which is {b:g} in zone {z!r}; "
                                         f"expected emissions > 0 in the base year")
        out[(s, z, y)] = (1.0 - v / b) * 100.0
    if missing:
        s, z = missing[0]
        raise bad_input("base_year", f"CIR needs CI in the base year {base_year} for zone {z!r}"
                                     f"{f' (scenario {s!r})' if s else ''}, which has no emission or GDP value "
                                     f"there; expected a row for {base_year}: add it or choose another base year")
    if not out:
        return pd.Series(np.nan, index=w.index)
    idx = pd.MultiIndex.from_tuples(list(out), names=list(T.KEYS))
    return pd.Series(list(out.values()), index=idx, dtype=float).reindex(w.index)


def _pce(w, _):
    pop = T.positive_divisor(w, "population", "PCE", "variables", "population")
    return w["emission_tCO2"] / pop


def _gb(w, _):
    return w["green_building_pct"].astype(float)


_FORMULAS = {"S": _s, "K": _k, "NCE": _nce, "CI": _ci, "CIR": _cir, "PCE": _pce, "GB": _gb}

__all__ = ["carbon_indicators"]
