"""The emission sources of methods.md §3: direct coefficients (§3.2), fuel use (§3.3–3.4),
agricultural inputs and non-CO2 gases, each from an in-memory table."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...core.classes import GROUPS
from ...core.errors import InputValidationError, LandcarbonWarning, UnitError
from ...core.units import co2_to_c
from .. import coefficients as _coef
from .units import _norm_unit, unit_factor


def direct_emissions(areas: pd.DataFrame, coefs: _coef.LanduseCoefficients, *,
                     cropland_from_inputs: bool = False) -> pd.DataFrame:
    """E_direct per zone: Σ_k A_k × δ_k (t C/a), split into sources (≥ 0) and sinks (≤ 0).

    ``areas``: index zone, columns national groups (ha). Groups marked ``energy method`` in the set
    contribute nothing here (their emissions come from :func:`energy_emissions`). With
    ``cropland_from_inputs`` the cropland coefficient is replaced by the agricultural-input method.
    Returns a long table zone × group with area_ha, coef_tC_per_ha_yr, emission_tC and the method.
    """
    rows = []
    for g in GROUPS:
        a = areas[g] if g in areas else pd.Series(0.0, index=areas.index)
        if g == "cropland" and cropland_from_inputs:
            method, d = "agricultural inputs", np.nan
        elif g in coefs.energy_method:
            method, d = "energy method", np.nan
        elif coefs.coefficient(g) is None:
            method, d = "not covered", np.nan
        else:
            method, d = "direct coefficient", float(coefs.coefficient(g))
        rows.append(pd.DataFrame({"zone": areas.index, "group": g, "area_ha": a.to_numpy(),
                                  "coef_tC_per_ha_yr": d, "emission_tC": a.to_numpy() * d if np.isfinite(d) else 0.0,
                                  "method": method, "coefficient_set": coefs.set_id}))
    out = pd.concat(rows, ignore_index=True)
    uncovered = out[(out["method"] == "not covered") & (out["area_ha"] > 0)]
    if not uncovered.empty:
        gs = sorted(set(uncovered["group"]))
        raise InputValidationError(
            f"coefficient set {coefs.set_id} has no coefficient for {gs}, which cover "
            f"{uncovered['area_ha'].sum():.1f} ha of the map; empty is not zero: give explicit values "
            f"(coef GROUP=VALUE, t C/ha/yr) or choose another set")
    return out


def summarise_direct(direct: pd.DataFrame) -> pd.DataFrame:
    e = direct["emission_tC"]
    src = direct.assign(v=e.where(e > 0, 0.0)).groupby("zone", sort=False)["v"].sum()
    snk = direct.assign(v=e.where(e < 0, 0.0)).groupby("zone", sort=False)["v"].sum()
    return pd.DataFrame({"direct_source_tC": src, "direct_sink_tC": snk})


# --------------------------------------------------------------------------------------------------
# energy method (§3.3–3.4)


def _require_columns(df: pd.DataFrame, need: Sequence[str], what: str) -> dict[str, str]:
    cols = {str(c).strip().lower(): c for c in df.columns}
    alias = {"zone": ("zone", "区县", "地区", "name", "zone_name"), "year": ("year", "年份", "年"),
             "fuel": ("fuel", "能源", "燃料", "能源品种"), "amount": ("amount", "消费量", "用量", "value", "quantity"),
             "unit": ("unit", "单位"), "input": ("input", "item", "投入", "项目"), "gas": ("gas", "气体")}
    found: dict[str, str] = {}
    miss = []
    for n in need:
        hit = next((cols[a] for a in alias.get(n, (n,)) if a in cols), None)
        if hit is None:
            miss.append(n)
        else:
            found[n] = hit
    if miss:
        raise InputValidationError(
            f"{what} table has columns {list(df.columns)}; it lacks {miss}. Expected columns: "
            f"{', '.join(need)} (see docs/emissions_balance.md)")
    return found


def _clean_amounts(df: pd.DataFrame, col: str, what: str) -> pd.Series:
    amt = pd.to_numeric(df[col], errors="coerce")
    bad = df[amt.isna()]
    if not bad.empty:
        raise InputValidationError(
            f"{what}: {len(bad)} rows have no numeric amount (first: row {bad.index[0] + 2} = "
            f"{df.loc[bad.index[0], col]!r}); empty is not zero: give a number (0 if truly none)")
    neg = df[amt < 0]
    if not neg.empty:
        raise InputValidationError(
            f"{what}: {len(neg)} rows have a negative amount (first: row {neg.index[0] + 2}, {amt[neg.index[0]]:g}); "
            f"consumption cannot be negative: correct the table (net exports belong in a separate balance)")
    return amt.astype(float)


def _years(df: pd.DataFrame, col: str, what: str) -> pd.Series:
    y = pd.to_numeric(df[col], errors="coerce")
    if y.isna().any() or (y != y.round()).any():
        i = y.index[y.isna() | (y != y.round())][0]
        raise InputValidationError(f"{what}: year {df.loc[i, col]!r} in row {i + 2} is not an integer year")
    return y.astype(int)


def energy_emissions(energy: pd.DataFrame, *, convention: str = "B", scope: str = "consumption",
                     region: str | None = None, grid_factor_kgCO2_per_kWh: float | None = None,
                     natural_gas: str = "gas_field", heat_tCO2_per_GJ: float = _coef.HEAT_TCO2_PER_GJ,
                     factor_overrides: dict[str, float] | None = None, allow_implausible: bool = False
                     ) -> pd.DataFrame:
    """CO2 of fuel use per row (t CO2), methods.md §3.3–3.4.

    ``energy`` columns: zone, year, fuel (Chinese or English name), amount, unit. Fuels: 原煤 焦炭 原油
    汽油 煤油 柴油 燃料油 液化石油气 炼厂干气 天然气 (gas-field by default) 油田天然气 气田天然气 电力 热力.
    Units are converted explicitly to kg / m³ / kWh / GJ (万吨, 亿立方米, 亿千瓦时 … accepted).

    ``scope``: ``territorial`` counts all fossil fuel burned in the region (electricity and heat rows are
    refused: adding them would double count the power-plant coal); ``consumption`` counts final fuel use
    plus purchased electricity (grid factor of ``region`` and year, or ``grid_factor_kgCO2_per_kWh``) and heat.
    ``factor_overrides``: t CO2 per canonical unit for fuel keys (or names), replacing the reference factor.
    User factors (grid, heat, fuels) are checked: ≥ 0 (a negative factor would turn consumption into a sink)
    and within their plausible maximum unless ``allow_implausible`` (a suspected unit mix-up).
    """
    if scope not in ("consumption", "territorial"):
        raise InputValidationError(f"scope {scope!r}; expected 'territorial' or 'consumption' (methods.md §3.3)")
    c = _require_columns(energy, ["zone", "year", "fuel", "amount", "unit"], "energy")
    df = pd.DataFrame({"zone": energy[c["zone"]].astype(str).str.strip(),
                       "year": _years(energy, c["year"], "energy"),
                       "fuel": energy[c["fuel"]].astype(str).str.strip(),
                       "amount": _clean_amounts(energy, c["amount"], "energy"),
                       "unit": energy[c["unit"]].astype(str).str.strip()})
    keys = df["fuel"].map(lambda f: _coef.fuel_key(f, natural_gas=natural_gas))
    unknown = sorted(set(df.loc[keys.isna(), "fuel"]))
    if unknown:
        raise InputValidationError(
            f"energy table: unknown fuel names {unknown}; accepted names are "
            f"{', '.join(_coef.accepted_fuel_names())}")
    df["fuel_key"] = keys
    if scope == "territorial":
        bad = sorted(set(df.loc[df["fuel_key"].isin(["electricity", "heat"]), "fuel"]))
        if bad:
            raise InputValidationError(
                f"energy table has {bad} rows but scope is 'territorial', which already counts the fuel burned in "
                f"power and heat plants; adding electricity would double count (methods.md §3.3). Remove those rows, "
                f"or use scope 'consumption' with final-consumption fuels")
    if grid_factor_kgCO2_per_kWh is not None:
        grid_factor_kgCO2_per_kWh = _coef.user_grid_factor(grid_factor_kgCO2_per_kWh,
                                                           allow_implausible=allow_implausible).value_kgCO2_per_kWh
    if heat_tCO2_per_GJ != _coef.HEAT_TCO2_PER_GJ:
        heat_tCO2_per_GJ = _coef.check_heat_factor(heat_tCO2_per_GJ, allow_implausible=allow_implausible)
    factor_overrides = _coef.check_factor_overrides(factor_overrides, key="fuel_factor",
                                                    allow_implausible=allow_implausible)
    factors = load_energy_factors_with(convention, factor_overrides)
    amount_std = np.empty(len(df))
    std_unit = np.empty(len(df), dtype=object)
    fac = np.empty(len(df))
    basis = np.empty(len(df), dtype=object)
    grid_notes: dict[int, str] = {}
    for i, (k, u, y) in enumerate(zip(df["fuel_key"], df["unit"], df["year"])):
        if k == "electricity":
            canon = "kWh"
        elif k == "heat":
            canon = "GJ"
        else:
            canon = factors[k][1]
        try:
            f = unit_factor(u, canon, what=f"energy row {i + 2} ({df['fuel'].iat[i]})")
        except UnitError as err:
            raise UnitError(f"{err}; {df['fuel'].iat[i]} is measured in {canon}") from None
        amount_std[i] = df["amount"].iat[i] * f
        std_unit[i] = canon
        if k == "electricity":
            if grid_factor_kgCO2_per_kWh is not None:
                fac[i] = grid_factor_kgCO2_per_kWh / 1000.0
                basis[i] = f"user grid factor {grid_factor_kgCO2_per_kWh:g} kg CO2/kWh"
            else:
                if y not in grid_notes:
                    with warnings.catch_warnings(record=True) as w:
                        warnings.simplefilter("always")
                        gf = _coef.grid_factor(region, int(y))
                    for wi in w:
                        warnings.warn(str(wi.message), LandcarbonWarning, stacklevel=2)
                    grid_notes[y] = (gf.value_kgCO2_per_kWh,
                                     f"grid factor {gf.scope} {gf.region} {gf.year}: {gf.value_kgCO2_per_kWh:g} "
                                     f"kg CO2/kWh ({gf.source})" + (f"; {gf.note}" if gf.note else ""))
                fac[i] = grid_notes[y][0] / 1000.0
                basis[i] = grid_notes[y][1]
        elif k == "heat":
            fac[i] = heat_tCO2_per_GJ
            basis[i] = f"EF_heat {heat_tCO2_per_GJ:g} t CO2/GJ"
        else:
            fac[i] = factors[k][0]
            basis[i] = factors[k][2]
    df["amount_std"] = amount_std
    df["unit_std"] = std_unit
    df["factor_tCO2_per_unit"] = fac
    df["emission_tCO2"] = amount_std * fac
    df["emission_tC"] = co2_to_c(df["emission_tCO2"])
    df["basis"] = basis
    return df


def load_energy_factors_with(convention: str, overrides: dict[str, float] | None = None) -> _Factors:
    """fuel key → (t CO2 per unit or None when not computable, unit, basis text). Errors surface on use."""
    ff = _coef.load_energy_factors()
    if convention not in _CONV_NAME:
        raise InputValidationError(f"energy convention {convention!r} is unknown; expected B (provincial inventory, "
                                   f"default), A (IPCC per tce) or C (IPCC default EF)")
    out: dict[str, tuple] = {}
    for k, f in ff.items():
        if overrides and k in overrides:
            out[k] = (float(overrides[k]), f.unit, f"user factor {overrides[k]:g} t CO2/{f.unit}")
            continue
        out[k] = (_LazyFactor(f, convention), f.unit, f"convention {convention} ({_CONV_NAME[convention]})")
    return _Factors(out)


_CONV_NAME = {"A": "IPCC carbon per tce", "B": "provincial inventory NCV×CC×OF", "C": "IPCC default EF"}


class _LazyFactor:
    def __init__(self, f, conv):
        self.f, self.conv = f, conv


class _Factors(dict):
    """Factors computed on first use, so a fuel that lacks a value fails only if the table uses it."""

    def __getitem__(self, k):
        v, unit, basis = super().__getitem__(k)
        if isinstance(v, _LazyFactor):
            v = v.f.tco2_per_unit(v.conv)
        return (v, unit, basis)


# --------------------------------------------------------------------------------------------------
# agricultural inputs and non-CO2 gases


def agri_input_emissions(agri: pd.DataFrame, *, ploughing_unit: str = "per_km2") -> pd.DataFrame:
    """E_agri = Σ_j Q_j × ε_j (kg C → t C) per row; methods.md §3.2. Columns: zone, year, input, amount, unit.

    Inputs: 化肥 fertilizer (pure nutrient), 农药 pesticide, 农膜 film, 农用柴油 diesel (mass units);
    灌溉 irrigation (irrigated area), 翻耕 ploughing (sown area) (area units: ha, 千公顷, km², 亩 …).
    """
    c = _require_columns(agri, ["zone", "year", "input", "amount", "unit"], "agricultural inputs")
    eps = _coef.load_agri_coefficients(ploughing_unit)
    df = pd.DataFrame({"zone": agri[c["zone"]].astype(str).str.strip(),
                       "year": _years(agri, c["year"], "agricultural inputs"),
                       "input": agri[c["input"]].astype(str).str.strip(),
                       "amount": _clean_amounts(agri, c["amount"], "agricultural inputs"),
                       "unit": agri[c["unit"]].astype(str).str.strip()})
    keys = df["input"].map(_coef.agri_key)
    unknown = sorted(set(df.loc[keys.isna(), "input"]))
    if unknown:
        raise InputValidationError(
            f"agricultural inputs: unknown items {unknown}; accepted: "
            f"{', '.join(a for names in _coef.AGRI_ALIASES.values() for a in names)}")
    df["input_key"] = keys
    std = []
    for i, (k, u) in enumerate(zip(keys, df["unit"])):
        canon = "kg" if _coef.AGRI_ACTIVITY[k] == "mass" else "ha"
        std.append(df["amount"].iat[i] * unit_factor(u, canon, what=f"agricultural input row {i + 2} ({k})"))
    df["amount_std"] = std
    df["coef_kgC_per_unit"] = keys.map(eps)
    df["emission_tC"] = df["amount_std"] * df["coef_kgC_per_unit"] / 1000.0
    return df


_GAS_MASS = {"t": 1.0, "吨": 1.0, "kg": 1e-3, "万吨": 1e4, "10^4t": 1e4, "kt": 1e3, "gg": 1e3}


def non_co2_emissions(gases: pd.DataFrame, *, gwp_set: str = "AR5") -> pd.DataFrame:
    """CH4 / N2O masses (t, kg, 万吨 …) → t CO2e with a named GWP100 set (AR5 default [L])."""
    c = _require_columns(gases, ["zone", "year", "gas", "amount", "unit"], "non-CO2")
    g = _coef.gwp(gwp_set)
    df = pd.DataFrame({"zone": gases[c["zone"]].astype(str).str.strip(),
                       "year": _years(gases, c["year"], "non-CO2"),
                       "gas": gases[c["gas"]].astype(str).str.strip().str.upper().str.replace("₄", "4")
                       .str.replace("₂", "2"),
                       "amount": _clean_amounts(gases, c["amount"], "non-CO2"),
                       "unit": gases[c["unit"]].astype(str).str.strip()})
    bad = sorted(set(df["gas"]) - {"CH4", "N2O"})
    if bad:
        raise InputValidationError(f"non-CO2 table: gases {bad} are not supported; expected CH4 or N2O "
                                   f"(CO2 belongs in the energy table)")
    f = []
    for i, u in enumerate(df["unit"]):
        k = _norm_unit(u)
        if k not in _GAS_MASS:
            raise UnitError(f"non-CO2 row {i + 2}: unit {u!r} is not understood; expected one of {sorted(_GAS_MASS)}")
        f.append(_GAS_MASS[k])
    df["amount_t"] = df["amount"] * np.asarray(f)
    df["gwp"] = df["gas"].map(g)
    df["gwp_set"] = gwp_set
    df["emission_tCO2e"] = df["amount_t"] * df["gwp"]
    return df


