"""Land-use carbon emissions by zone and year (methods.md §3).

    E_total  = E_direct + E_indirect                                 (Mg C/a)
    E_direct = Σ_k A_k × δ_k      (named coefficient set, + = source, − = sink)
    E_indirect = energy emissions of construction land (§3.3–3.4)

Everything here works on xarray/pandas objects in memory; files are read in ``workflow.emissions``.
Areas come from :func:`landcarbon.ops.zonal.zone_class_sums` (one weighted bincount per chunk,
lazy on dask), so a map larger than memory is summed in bounded memory.

Units: carbon in t C (= Mg C), CO2 in t CO2, non-CO2 gases in t CO2e with a named GWP set.
Column names carry the unit. ``absorption_*`` is the magnitude of the sink terms (CA ≥ 0, §4.1);
``direct_sink_tC`` keeps the emission sign (≤ 0).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.classes import GROUPS, ClassScheme, get_scheme
from ..core.errors import (
    EmptyInputError,
    InputValidationError,
    LandcarbonWarning,
    MissingClassError,
    UnitError,
)
from ..core.grid import grid_of, row_areas_ha
from ..core.spec import ModelSpec, NumberIn, RasterIn, TableIn, TableOut, VectorIn
from ..core.units import c_to_co2, co2_to_c
from ..kernels import lookup as _lookup
from . import coefficients as _coef

SPEC = ModelSpec(
    id="emissions", version="1", title_en="Land-use carbon emissions", title_zh="土地利用碳排放",
    inputs=(
        RasterIn("landuse", doc="land-use map (class codes) of one year", kind="categorical"),
        VectorIn("zones", doc="zones (districts, counties…) with a name field", required=False),
        TableIn("coefficients", doc="named direct coefficient set", columns={"coef_tC_per_ha_yr": "t C/(ha·a)"},
                required=False),
        TableIn("energy", doc="fuel consumption per zone and year", index="zone",
                columns={"zone": "", "year": "", "fuel": "", "amount": "unit column", "unit": ""}, required=False),
        TableIn("agri_inputs", doc="agricultural inputs per zone and year",
                columns={"zone": "", "year": "", "input": "", "amount": "unit column", "unit": ""}, required=False),
        TableIn("non_co2", doc="CH4 / N2O emissions per zone and year",
                columns={"zone": "", "year": "", "gas": "CH4|N2O", "amount": "unit column", "unit": ""},
                required=False),
        NumberIn("grid_factor", units="kg CO2/kWh", minimum=0, required=False),
    ),
    outputs=(
        TableOut("emissions_by_zone", columns={
            "area_ha": "ha", "direct_source_tC": "t C/a", "direct_sink_tC": "t C/a", "energy_tC": "t C/a",
            "agri_inputs_tC": "t C/a", "emission_tC": "t C/a", "absorption_tC": "t C/a", "net_tC": "t C/a",
            "emission_tCO2": "t CO2/a", "absorption_tCO2": "t CO2/a", "net_tCO2": "t CO2/a",
            "non_co2_tCO2e": "t CO2e/a", "emission_tCO2e": "t CO2e/a", "net_tCO2e": "t CO2e/a"}),
        TableOut("energy_by_fuel", columns={"amount_std": "kg | m3 | kWh | GJ", "emission_tCO2": "t CO2/a"}),
    ),
    methods_ref="methods.md §3",
)

# --------------------------------------------------------------------------------------------------
# activity units → canonical physical unit (kg for solids/liquids, m³ for gases, kWh, GJ, ha)

_MASS = {"kg": 1.0, "千克": 1.0, "公斤": 1.0, "t": 1e3, "吨": 1e3, "tonne": 1e3, "tonnes": 1e3, "ton": 1e3,
         "万吨": 1e7, "10^4t": 1e7, "1e4t": 1e7, "10⁴t": 1e7, "万t": 1e7, "亿吨": 1e11, "kt": 1e6, "千吨": 1e6,
         "mt": 1e9, "百万吨": 1e9}
_VOLUME = {"m3": 1.0, "m³": 1.0, "立方米": 1.0, "方": 1.0, "万立方米": 1e4, "10^4m3": 1e4, "1e4m3": 1e4,
           "万m3": 1e4, "万m³": 1e4, "10⁴m³": 1e4, "亿立方米": 1e8, "10^8m3": 1e8, "1e8m3": 1e8, "亿m3": 1e8,
           "亿m³": 1e8, "10⁸m³": 1e8}
_ELEC = {"kwh": 1.0, "千瓦时": 1.0, "度": 1.0, "万千瓦时": 1e4, "10^4kwh": 1e4, "1e4kwh": 1e4, "万kwh": 1e4,
         "亿千瓦时": 1e8, "10^8kwh": 1e8, "1e8kwh": 1e8, "亿kwh": 1e8, "mwh": 1e3, "gwh": 1e6, "twh": 1e9}
_HEAT = {"gj": 1.0, "百万千焦": 1.0, "tj": 1e3, "mj": 1e-3, "万百万千焦": 1e4, "10^4gj": 1e4, "万gj": 1e4}
_AREA = {"ha": 1.0, "hm2": 1.0, "hm²": 1.0, "公顷": 1.0, "千公顷": 1e3, "khm2": 1e3, "10^3ha": 1e3,
         "km2": 100.0, "km²": 100.0, "平方公里": 100.0, "亩": 1.0 / 15.0, "mu": 1.0 / 15.0, "万亩": 1e4 / 15.0}
_UNIT_KIND = {"kg": _MASS, "m3": _VOLUME, "kWh": _ELEC, "GJ": _HEAT, "ha": _AREA}


def _norm_unit(u: str) -> str:
    return str(u).strip().lower().replace(" ", "").replace("（", "(").replace("）", ")")


def unit_factor(unit: str, canonical: str, *, what: str = "amount") -> float:
    """Factor converting ``unit`` to the canonical physical unit (kg, m3, kWh, GJ or ha).

    Accepts Chinese statistical units (万吨, 亿立方米, 亿千瓦时, 万亩 …). UnitError names the accepted ones.
    """
    table = _UNIT_KIND[canonical]
    key = _norm_unit(unit)
    if key in table:
        return table[key]
    raise UnitError(f"{what}: unit {unit!r} is not understood; expected a unit of {canonical}: "
                    f"{', '.join(sorted(table))}")


# --------------------------------------------------------------------------------------------------
# land-use areas by zone and group


@dataclass
class LanduseAreas:
    """Area per zone and national group (ha) plus what was left out, as plain tables."""

    areas: pd.DataFrame           # index zone, columns GROUPS (ha)
    by_class: pd.DataFrame        # index zone, columns class codes (ha)
    scheme: str
    excluded_cells: dict[str, float]  # valid and nodata cell counts, area inside the zones (ha)


def landuse_areas_lazy(lulc, scheme: ClassScheme | str = "national6", *, zones=None, n_zones: int = 1,
                       area_method: str = "nominal"):
    """Lazy zonal areas of a land-use map: returns (sums, code_counts) where ``sums`` is
    ``zone_class_sums(...)`` of shape (2, n_zones, n_classes) and ``code_counts`` counts every code of the
    map (for the missing-class check). Both are dask arrays when the map is; nothing is computed here.
    """
    from ..ops.zonal import zone_class_sums

    scheme = get_scheme(scheme)
    grid = grid_of(lulc)
    row = row_areas_ha(grid, area_method=area_method)
    nodata = lulc.rio.nodata if hasattr(lulc, "rio") else None
    data = lulc.data if hasattr(lulc, "data") else lulc
    sums = zone_class_sums(data, scheme.codes, row, nodata=nodata, zones=zones, n_zones=n_zones)
    counts = _code_counts(data, nodata)
    return sums, counts


def _code_range(dtype) -> tuple[int, int] | None:
    dt = np.dtype(dtype)
    if not np.issubdtype(dt, np.integer):
        raise InputValidationError(f"land-use map has data type {dt}; expected integer class codes")
    info = np.iinfo(dt)
    if info.max - info.min > 65535:
        return None
    return int(info.min), int(info.max)


def _block_counts(block, nodata, lo, hi):
    has = nodata is not None
    c, outside, nd = _lookup.code_counts(block, nodata if has else 0, has, lo, hi)
    out = np.zeros(hi - lo + 3, dtype=np.int64)
    out[: hi - lo + 1] = c
    out[-2] = outside
    out[-1] = nd
    return out[None, None]


def _code_counts(data, nodata):
    rng = _code_range(data.dtype)
    if rng is None:  # wide integer types: count the distinct codes exactly
        if hasattr(data, "dask"):
            import dask.array as dsa

            return ("unique", dsa.unique(data))
        return ("unique", np.unique(np.asarray(data)))
    lo, hi = rng
    if hasattr(data, "dask"):
        import dask.array as dsa

        parts = dsa.map_blocks(_block_counts, data, nodata, lo, hi, dtype=np.int64,
                               chunks=((1,) * data.numblocks[0], (1,) * data.numblocks[1], (hi - lo + 3,)),
                               new_axis=2)
        return ("counts", lo, parts.sum(axis=(0, 1)))
    return ("counts", lo, _block_counts(np.asarray(data), nodata, lo, hi)[0, 0])


def _present_codes(counts_spec, nodata) -> np.ndarray:
    if counts_spec[0] == "unique":
        u = np.asarray(counts_spec[1])
        return u[u != nodata] if nodata is not None else u
    _, lo, counts = counts_spec
    counts = np.asarray(counts)
    return np.nonzero(counts[:-2])[0] + lo


def finish_areas(sums, counts_spec, scheme: ClassScheme | str, zone_names: Sequence[str] | None,
                 nodata=None) -> LanduseAreas:
    """Turn computed zonal sums into area tables; refuses map codes missing from the scheme (§1.4)."""
    scheme = get_scheme(scheme)
    present = _present_codes(counts_spec, nodata)
    missing = sorted(set(int(c) for c in present) - set(scheme.codes))
    if missing:
        raise MissingClassError(
            f"land-use map: class codes {missing} are not in the class scheme {scheme.name!r} (codes "
            f"{scheme.codes}); choose the matching --scheme or give a scheme CSV that maps them to groups", missing)
    sums = np.asarray(sums)
    area = sums[1]  # (n_zones, n_classes) ha
    names = list(zone_names) if zone_names is not None else ["all"]
    by_class = pd.DataFrame(area, index=pd.Index(names, name="zone"), columns=scheme.codes)
    groups = scheme.group_of()
    areas = pd.DataFrame(0.0, index=by_class.index, columns=list(GROUPS))
    for code in scheme.codes:
        areas[groups[code]] += by_class[code]
    excluded: dict[str, float] = {"area_in_zones_ha": float(area.sum())}
    if counts_spec[0] == "counts":
        c = np.asarray(counts_spec[2])
        excluded |= {"valid_cells": int(c[:-2].sum()), "nodata_cells": int(c[-1])}
    if float(area.sum()) <= 0:
        raise EmptyInputError("no land-use cell falls inside the zones (or every cell is nodata); check that the "
                              "map and the zones cover the same region")
    return LanduseAreas(areas, by_class, scheme.name, excluded)


def landuse_areas(lulc, scheme: ClassScheme | str = "national6", *, zones=None,
                  zone_names: Sequence[str] | None = None, area_method: str = "nominal") -> LanduseAreas:
    """Area (ha) per zone and national group of a land-use DataArray (computes; dask-aware)."""
    n = len(zone_names) if zone_names is not None else 1
    sums, counts = landuse_areas_lazy(lulc, scheme, zones=zones, n_zones=n, area_method=area_method)
    if hasattr(sums, "dask") or (counts[0] == "counts" and hasattr(counts[2], "dask")) or hasattr(counts[-1], "dask"):
        import dask

        sums, c_last = dask.compute(sums, counts[-1])
        counts = (*counts[:-1], c_last)
    nodata = lulc.rio.nodata if hasattr(lulc, "rio") else None
    return finish_areas(sums, counts, scheme, zone_names, nodata)


# --------------------------------------------------------------------------------------------------
# direct coefficient method (§3.2)


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
            f"(--coef GROUP=VALUE, t C/ha/yr) or choose another set")
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
                     factor_overrides: dict[str, float] | None = None) -> pd.DataFrame:
    """CO2 of fuel use per row (t CO2), methods.md §3.3–3.4.

    ``energy`` columns: zone, year, fuel (Chinese or English name), amount, unit. Fuels: 原煤 焦炭 原油
    汽油 煤油 柴油 燃料油 液化石油气 炼厂干气 天然气 (gas-field by default) 油田天然气 气田天然气 电力 热力.
    Units are converted explicitly to kg / m³ / kWh / GJ (万吨, 亿立方米, 亿千瓦时 … accepted).

    ``scope``: ``territorial`` counts all fossil fuel burned in the region (electricity and heat rows are
    refused: adding them would double count the power-plant coal); ``consumption`` counts final fuel use
    plus purchased electricity (grid factor of ``region`` and year, or ``grid_factor_kgCO2_per_kWh``) and heat.
    ``factor_overrides``: t CO2 per canonical unit for fuel keys, replacing the reference factor.
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
                f"or use --scope consumption with final-consumption fuels")
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


# --------------------------------------------------------------------------------------------------
# zone matching and assembly


def check_zones(table_zones: Sequence[str], layer_zones: Sequence[str], what: str, *,
                require_all: bool = True) -> None:
    """Zones of a table must all be in the zones layer, and (``require_all``) every layer zone in the table."""
    t, z = set(map(str, table_zones)), set(map(str, layer_zones))
    extra = sorted(t - z)
    missing = sorted(z - t) if require_all else []
    msgs = []
    if extra:
        msgs.append(f"{what} has zones {extra[:20]}{' …' if len(extra) > 20 else ''} that are not in the zones layer")
    if missing:
        msgs.append(f"zones {missing[:20]}{' …' if len(missing) > 20 else ''} of the zones layer have no rows in {what}")
    if msgs:
        raise InputValidationError(
            "; ".join(msgs) + f". Zone names must match exactly (layer zones: {sorted(z)[:20]}); fix the names, "
            f"add the missing rows, or choose the matching --zone-field")


def attribute_energy(energy: pd.DataFrame, weights: pd.Series, *, weight_name: str) -> pd.DataFrame:
    """Down-scale region totals to zones: E_z = E_R × w_z / Σ w (methods.md §3.3). ``energy`` has no zone
    column (or one region); ``weights`` is indexed by zone (GDP, construction area …, no default)."""
    w = weights.astype(float)
    if (w < 0).any() or w.sum() <= 0:
        raise InputValidationError(f"attribution weights {weight_name} must be non-negative with a positive sum")
    share = w / w.sum()
    parts = []
    for z, s in share.items():
        d = energy.copy()
        d["zone"] = z
        d["amount"] = pd.to_numeric(d["amount"], errors="coerce") * s
        parts.append(d)
    return pd.concat(parts, ignore_index=True)


def assemble(direct_by_zone: pd.DataFrame | None, areas: pd.DataFrame | None, years: Sequence[int],
             *, energy: pd.DataFrame | None = None, agri: pd.DataFrame | None = None,
             non_co2: pd.DataFrame | None = None, coefficient_set: str = "") -> pd.DataFrame:
    """One row per zone × year with every component and the totals in t C, t CO2 and t CO2e.

    ``direct_by_zone`` (index zone; direct_source_tC, direct_sink_tC) is applied to every year given.
    """
    zones = list(direct_by_zone.index) if direct_by_zone is not None else sorted(
        set().union(*[set(t["zone"]) for t in (energy, agri, non_co2) if t is not None]))
    idx = pd.MultiIndex.from_product([zones, list(years)], names=["zone", "year"])
    out = pd.DataFrame(index=idx)
    if areas is not None:
        a = areas.reindex(zones)
        out["area_ha"] = np.repeat(a.sum(axis=1).to_numpy(), len(years))
        for g in GROUPS:
            out[f"{g}_ha"] = np.repeat(a[g].to_numpy(), len(years))
    if direct_by_zone is not None:
        d = direct_by_zone.reindex(zones)
        out["direct_source_tC"] = np.repeat(d["direct_source_tC"].to_numpy(), len(years))
        out["direct_sink_tC"] = np.repeat(d["direct_sink_tC"].to_numpy(), len(years))
    else:
        out["direct_source_tC"] = 0.0
        out["direct_sink_tC"] = 0.0

    def per_zy(t, col):
        if t is None:
            return pd.Series(0.0, index=idx)
        s = t.groupby(["zone", "year"])[col].sum()
        return s.reindex(idx, fill_value=0.0)

    out["energy_tC"] = per_zy(energy, "emission_tC")
    out["agri_inputs_tC"] = per_zy(agri, "emission_tC")
    out["emission_tC"] = out["direct_source_tC"] + out["energy_tC"] + out["agri_inputs_tC"]
    out["absorption_tC"] = -out["direct_sink_tC"]
    out["net_tC"] = out["emission_tC"] - out["absorption_tC"]
    out["emission_tCO2"] = c_to_co2(out["emission_tC"])
    out["absorption_tCO2"] = c_to_co2(out["absorption_tC"])
    out["net_tCO2"] = c_to_co2(out["net_tC"])
    out["non_co2_tCO2e"] = per_zy(non_co2, "emission_tCO2e")
    out["emission_tCO2e"] = out["emission_tCO2"] + out["non_co2_tCO2e"]
    out["net_tCO2e"] = out["emission_tCO2e"] - out["absorption_tCO2"]
    out["coefficient_set"] = coefficient_set
    return out.reset_index()


def emissions_by_zone(areas: pd.DataFrame | None, coefs: _coef.LanduseCoefficients | None, *, year: int | None = None,
                      energy: pd.DataFrame | None = None, energy_options: dict | None = None,
                      agri: pd.DataFrame | None = None, ploughing_unit: str = "per_km2",
                      non_co2: pd.DataFrame | None = None, gwp_set: str = "AR5",
                      hold_landuse: bool = False) -> dict[str, pd.DataFrame]:
    """The whole §3 account from in-memory inputs.

    ``areas``: index zone, columns national groups (ha), from :func:`landuse_areas` for the map ``year``.
    Energy, agricultural-input and non-CO2 tables are per zone and year; their zones must match the areas'.
    Output rows: the map year (or, with ``hold_landuse``, every year of the tables, the map's areas held
    constant — an explicit assumption). Returns ``emissions_by_zone``, ``direct_by_group``, and when given
    ``energy_by_fuel``, ``agri_by_input``, ``non_co2``.
    """
    res: dict[str, pd.DataFrame] = {}
    en = ag = nc = None
    layer = list(areas.index) if areas is not None else None
    if energy is not None:
        en = energy_emissions(energy, **(energy_options or {}))
        res["energy_by_fuel"] = en
    if agri is not None:
        ag = agri_input_emissions(agri, ploughing_unit=ploughing_unit)
        res["agri_by_input"] = ag
    if non_co2 is not None:
        nc = non_co2_emissions(non_co2, gwp_set=gwp_set)
        res["non_co2"] = nc
    if layer is not None:
        for t, what in ((en, "the energy table"), (ag, "the agricultural-input table"), (nc, "the non-CO2 table")):
            if t is not None:
                check_zones(t["zone"].unique(), layer, what)
    table_years = sorted(set().union(*[set(t["year"]) for t in (en, ag, nc) if t is not None]))
    direct = None
    if areas is not None:
        if coefs is None:
            raise InputValidationError("a land-use map needs a coefficient set (e.g. cn_common_A)")
        built = float(areas["built_up"].sum()) if "built_up" in areas else 0.0
        if "built_up" in coefs.energy_method and built > 0 and en is None:
            raise InputValidationError(
                f"construction land covers {built:.1f} ha but coefficient set {coefs.set_id} gives no direct "
                f"coefficient for it (energy method); empty is not zero: pass an energy table (--energy), or give an "
                f"explicit value with --coef built_up=VALUE (t C/ha/yr)")
        dl = direct_emissions(areas, coefs, cropland_from_inputs=ag is not None)
        res["direct_by_group"] = dl
        direct = summarise_direct(dl)
        if year is None:
            raise InputValidationError("the year of the land-use map is needed (--year)")
        if hold_landuse:
            years = sorted(set(table_years) | {int(year)})
        else:
            years = [int(year)]
            for t, what in ((en, "energy"), (ag, "agricultural-input"), (nc, "non-CO2")):
                if t is not None and int(year) not in set(t["year"]):
                    raise InputValidationError(
                        f"the {what} table has years {sorted(set(t['year']))} but not the map year {year}; give "
                        f"the map year's data, or pass --hold-landuse to apply the map's areas to every table year")
        if not hold_landuse:  # the full tables stay in res; the account uses the map year
            en, ag, nc = (None if t is None else t[t["year"] == int(year)] for t in (en, ag, nc))
    else:
        years = table_years
        if not years:
            raise InputValidationError("nothing to account: give a land-use map or an energy table")
    res["emissions_by_zone"] = assemble(direct, areas, years, energy=en, agri=ag, non_co2=nc,
                                        coefficient_set=coefs.set_id if coefs is not None else "")
    return res
