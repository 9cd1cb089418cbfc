"""Variables in and indicator rows out: the long catalog shape ↔ one wide row per (scenario, zone, year).

Every indicator function reads *variables*: numbers per zone, year and (optionally) scenario, in the
long shape of the catalog (``zone, year, variable, value, unit[, scenario]``) or wide (``zone, year
[, scenario]`` plus one column per variable, values in the canonical unit of the name). Known variables
given in another unit are converted here, explicitly (a t C vs t CO2 mix-up is converted through
``core.units``, never by a literal ratio); an unknown unit is an error.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ...core.units import HA_PER_KM2, HA_PER_MU, M2_PER_HA, c_to_co2, co2_to_c
from ..weights import bad_input

#: zone id of the whole region, scenario id of observed rows (the catalog's conventions)
REGION = ""
OBSERVED = ""
KEYS = ("scenario", "zone", "year")

_AREA = {"ha": 1.0, "hm2": 1.0, "hm²": 1.0, "公顷": 1.0, "km2": HA_PER_KM2, "km²": HA_PER_KM2,
         "m2": 1.0 / M2_PER_HA, "m²": 1.0 / M2_PER_HA, "mu": HA_PER_MU, "亩": HA_PER_MU}
_CO2 = {"tco2/a": 1.0, "tco2": 1.0, "tco2e/a": 1.0, "tco2e": 1.0, "tco2/yr": 1.0, "10^4tco2/a": 1e4,
        "10^4tco2": 1e4, "万吨co2": 1e4, "tc/a": c_to_co2(1.0), "tc": c_to_co2(1.0), "mgc/a": c_to_co2(1.0)}

#: accepted units of the variables the built-in indicators read, as a factor to the canonical unit
UNITS: dict[str, tuple[str, dict[str, float]]] = {
    "stock_MgC": ("Mg C", {"mgc": 1.0, "tc": 1.0, "tco2": co2_to_c(1.0), "10^4tc": 1e4}),
    "emission_tCO2": ("t CO2/a", _CO2),
    "absorption_tCO2": ("t CO2/a", _CO2),
    "gdp_1e4CNY": ("10^4 CNY", {"10^4cny": 1.0, "万元": 1.0, "cny": 1e-4, "元": 1e-4, "10^8cny": 1e4, "亿元": 1e4}),
    "population": ("persons", {"persons": 1.0, "person": 1.0, "人": 1.0, "10^4persons": 1e4, "万人": 1e4}),
    "green_building_pct": ("%", {"%": 1.0, "percent": 1.0}),
}
#: other spellings of known variables
ALIASES = {"emission_tCO2e": "emission_tCO2", "absorption_tCO2e": "absorption_tCO2", "gdp_1e4cny": "gdp_1e4CNY",
           "population_persons": "population"}


def canonical_unit(variable: str) -> tuple[str, dict[str, float]] | None:
    if variable in UNITS:
        return UNITS[variable]
    if (variable.startswith("area_") or variable.startswith("crop_target")) and variable.endswith("_ha"):
        return "ha", _AREA
    return None


def _norm_unit(u: object) -> str:
    return "".join(str(u).split()).lower().replace("×", "").replace("（", "(").replace("）", ")")


def _keys_of(df: pd.DataFrame, key: str) -> pd.DataFrame:
    miss = [c for c in ("zone", "year") if c not in df.columns]
    if miss:
        raise bad_input(key, f"missing columns {miss}; found {list(map(str, df.columns))}; expected zone, year "
                             f"[, scenario] (zone {REGION!r} = whole region)")
    out = pd.DataFrame(index=df.index)
    out["scenario"] = df["scenario"].fillna(OBSERVED).astype(str) if "scenario" in df.columns else OBSERVED
    out["zone"] = df["zone"].fillna(REGION).astype(str)
    yr = pd.to_numeric(df["year"], errors="coerce")
    if yr.isna().any() or (yr != yr.round()).any():
        bad = df.loc[yr.isna() | (yr != yr.round()), "year"].tolist()[:5]
        raise bad_input(key, f"year holds {bad}; expected whole calendar years (e.g. 2020)")
    out["year"] = yr.astype("int64")
    return out


def wide(variables: pd.DataFrame, key: str = "variables", *, convert: bool = True) -> tuple[pd.DataFrame, bool]:
    """One row per (scenario, zone, year), one column per variable; ``True`` when a scenario column was given.

    ``convert``: known variables (``UNITS``, ``area_*_ha``) in another unit are converted to the canonical
    one; an unknown unit is an error naming the accepted ones."""
    if not isinstance(variables, pd.DataFrame):
        raise bad_input(key, f"found {type(variables).__name__}; expected a pandas DataFrame of variables")
    has_sc = "scenario" in variables.columns
    keys = _keys_of(variables, key)
    if "variable" in variables.columns:
        if "value" not in variables.columns:
            raise bad_input(key, "a long variables table needs a 'value' column (and 'unit'); found "
                                 f"{list(map(str, variables.columns))}")
        long = keys.copy()
        long["variable"] = variables["variable"].astype(str).map(lambda v: ALIASES.get(v, v))
        long["value"] = _numbers(variables["value"], key)
        units = variables["unit"].fillna("").astype(str) if "unit" in variables.columns else pd.Series("", index=keys.index)
        if convert:
            long["value"] = long["value"] * _factors(long["variable"], units, key)
        dup = long.duplicated(["scenario", "zone", "year", "variable"], keep=False)
        if dup.any():
            r = long[dup].iloc[0]
            raise bad_input(key, f"variable {r.variable!r} appears {int(dup.sum())} times for zone {r.zone!r}, year "
                                 f"{r.year}, scenario {r.scenario!r}; expected one value: drop the duplicates")
        w = long.pivot(index=list(KEYS), columns="variable", values="value")
        w.columns.name = None
        return w.sort_index(), has_sc
    w = pd.concat([keys, variables.drop(columns=[c for c in ("scenario", "zone", "year") if c in variables.columns])],
                  axis=1)
    w = w.rename(columns={c: ALIASES.get(c, c) for c in w.columns})
    dup = w.duplicated(list(KEYS), keep=False)
    if dup.any():
        r = w[dup].iloc[0]
        raise bad_input(key, f"zone {r.zone!r}, year {r.year}, scenario {r.scenario!r} appears {int(dup.sum())} "
                             f"times; expected one row per zone and year")
    w = w.set_index(list(KEYS))
    for c in w.columns:
        if canonical_unit(str(c)) is not None:
            w[c] = _numbers(w[c], key)
    return w.sort_index(), has_sc


def _numbers(s: pd.Series, key: str) -> pd.Series:
    v = pd.to_numeric(s, errors="coerce")
    bad = s[v.isna() & s.notna()]
    if len(bad):
        raise bad_input(key, f"values {bad.tolist()[:5]} are not numbers; expected numbers in the declared units")
    return v.astype("float64")


def _factors(names: pd.Series, units: pd.Series, key: str) -> np.ndarray:
    out = np.ones(len(names))
    for i, (n, u) in enumerate(zip(names.tolist(), units.tolist(), strict=True)):
        cu = canonical_unit(n)
        if cu is None or u == "":
            continue
        canon, accepted = cu
        f = accepted.get(_norm_unit(u))
        if f is None:
            raise bad_input(key, f"variable {n!r} is given in {u!r}; expected {canon!r} or one of "
                                 f"{sorted(accepted)}: convert it or state its unit")
        out[i] = f
    return out


def need(w: pd.DataFrame, names: tuple[str, ...]) -> list[str]:
    """The variables of ``names`` that are absent (or have no value at all)."""
    return [n for n in names if n not in w.columns or w[n].isna().all()]


def rows(w: pd.DataFrame, values: pd.Series, indicator: str, unit: str) -> pd.DataFrame:
    """Indicator rows (long) from a Series on the (scenario, zone, year) index; NaN rows (an input missing
    in that zone and year) are left out, never written as NaN."""
    v = values.dropna()
    df = v.rename("value").reset_index()
    df.insert(3, "indicator", indicator)
    df["unit"] = unit
    return df


def finish(parts: list[pd.DataFrame], has_scenario: bool) -> pd.DataFrame:
    cols = ["scenario", "zone", "year", "indicator", "value", "unit"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    out = out[cols].sort_values(["indicator", "scenario", "zone", "year"], kind="stable").reset_index(drop=True)
    out["year"] = out["year"].astype("int64")
    out["value"] = out["value"].astype("float64")
    return out if has_scenario else out.drop(columns="scenario")


def positive_divisor(w: pd.DataFrame, name: str, indicator: str, key: str, what: str,
                     mask: pd.Series | None = None) -> pd.Series:
    """``w[name]`` where it divides: a zero or negative divisor is an error naming the rows."""
    d = w[name]
    sel = d.notna() if mask is None else (d.notna() & mask)
    bad = d[sel & (d <= 0)]
    if len(bad):
        where = ", ".join(f"zone {z!r} {y}" + (f" ({s})" if s else "") for s, z, y in bad.index[:5])
        raise bad_input(key, f"{indicator} divides by {what} ({name}), which is {bad.iloc[0]:g} in {where}"
                             f"{' …' if len(bad) > 5 else ''}; expected a positive number: correct the input or "
                             f"leave that zone and year out")
    return d


def as_mapping(obj: object, key: str, column: str) -> dict[str, float]:
    """A zone → number mapping from a dict, a Series or a (zone, column) table."""
    if obj is None:
        return {}
    if isinstance(obj, pd.DataFrame):
        if "zone" not in obj.columns or column not in obj.columns:
            raise bad_input(key, f"expected columns zone, {column}; found {list(map(str, obj.columns))}")
        obj = dict(zip(obj["zone"].astype(str), obj[column], strict=True))
    elif isinstance(obj, pd.Series):
        obj = {str(k): v for k, v in obj.items()}
    if not isinstance(obj, Mapping):
        raise bad_input(key, f"found {type(obj).__name__}; expected a mapping zone → {column}")
    out = {}
    for z, v in obj.items():
        try:
            out[str(z)] = float(v)
        except (TypeError, ValueError):
            raise bad_input(key, f"zone {z!r} has {v!r}; expected a number") from None
    return out
