"""Named, cited coefficient sets read from the package's reference tables (methods.md §3, §4.3, §13).

Every set is loaded from ``landcarbon/data/reference/*.csv`` through :mod:`importlib.resources` (no file
path handling here). The loaders guard against the pitfalls of methods.md §13:

* **Sign** (§13.8): ``guangdong_2018`` rows keep the source's sign (+ = sink); they are re-signed
  by ``role`` so that every set follows the emission convention of §1.2 (+ = source, − = sink).
* **t CO2 vs t C** (§13.1): the ``guangdong_2018`` values were printed in t CO2/(ha·a); the reference table
  holds them × 12/44 in ``coef_tC_per_ha_yr`` (tag C); the tests re-derive each from the printed figure.
* **Empty is not zero** (§13.9): an empty coefficient is never read as 0. It is either the documented
  "energy method" marker of construction land or an error naming the cell.
* **Grid factors** are keyed by (year, scope, region); a missing year falls back to the nearest earlier
  one with a warning, never silently. Carbon prices (with their unit, §13.7) are in :mod:`.prices`.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources

import pandas as pd

from ..core.classes import GROUPS
from ..core.errors import InputValidationError, LandcarbonWarning, UnitError
from ..core.units import CO2_PER_C
from .weights import bad_input, did_you_mean, unknown_names

# --------------------------------------------------------------------------------------------------
# reading the shipped tables


@cache
def _reference_text(name: str) -> str:
    return (resources.files("landcarbon") / "data" / "reference" / name).read_text(encoding="utf-8")


def reference_table(name: str) -> pd.DataFrame:
    """A shipped reference table (a fresh copy; the cache holds only the text)."""
    return pd.read_csv(io.StringIO(_reference_text(name)), dtype=object, keep_default_na=False)


def _num(v, what: str) -> float | None:
    """A number from a reference cell; ``None`` for an empty cell (never 0)."""
    s = str(v).strip()
    if s == "" or s.lower() in ("nan", "none"):
        return None
    try:
        return float(s)
    except ValueError:
        raise InputValidationError(f"{what}: found {s!r}; expected a number") from None


# --------------------------------------------------------------------------------------------------
# land-use coefficient sets (§3.2)

#: reference-table land class (English) → national group
_LAND_CLASS_GROUP = {
    "cultivated": "cropland", "cropland": "cropland", "forest": "forest", "grassland": "grassland",
    "water": "water", "wetland": "water", "unused": "unused", "construction": "built_up",
    "built_up": "built_up", "built-up": "built_up",
}

#: shared rows: set ids that take the ``cn_common`` rows for every class they do not list themselves
_SHARED = {"cn_common_A": "cn_common", "cn_common_B": "cn_common"}

LANDUSE_SETS_NOTE = {
    "cn_common_A": "cropland 蔡祖聪 et al. as used by 孙赫 et al. 2015 中国土地科学; forest and grass 方精云 et al. "
                   "2007 中国科学D; water 段晓男 et al. 2008 生态学报; unused 赖力 2010 (methods.md §3.2, tag L)",
    "cn_common_B": "cropland 李颖, 黄贤金, 甄峰 2008 农业工程学报 24(S2); others as cn_common_A (tag L)",
    "guangdong_2018": "吕国玮, 周建春, 蔡玉梅 et al. 2023 地理学报 78(3) Table 7, printed in t CO2/(ha·a) with "
                      "sink = +; × 12/44 and re-signed (tag C). Guangdong inventory mean: apply only to "
                      "Guangdong-like conditions",
}


#: the role of each national group under the emission convention (+ = source, − = sink; methods.md §1.2, §3.2):
#: cropland and construction land are sources (δ ≥ 0), the others sinks (δ ≤ 0). A user value of the other
#: sign is refused unless the user states the role explicitly (a ``role`` column, or ``roles=``).
GROUP_ROLES: dict[str, str] = {"cropland": "source", "forest": "sink", "grassland": "sink", "water": "sink",
                               "built_up": "source", "unused": "sink"}

#: |δ| above this (Mg C/(ha·a)) suggests a unit mix-up (kg C/ha, t CO2/(ha·a) of a large figure …) [D]; the
#: largest published annual fluxes are a few Mg C/ha (Guangdong forest 1.064). Override: allow_implausible
COEF_PLAUSIBLE_MAX = 20.0


def check_landuse_coefficient(group: str, value: object, *, role: str | None = None, key: str = "coefficients",
                              allow_implausible: bool = False) -> float:
    """A direct land-use coefficient δ (Mg C/(ha·a)) checked against the sign convention of methods.md §3.2:
    a finite number, ≥ 0 for a source and ≤ 0 for a sink (``role`` defaults to :data:`GROUP_ROLES`)."""
    try:
        v = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        v = math.nan
    if not math.isfinite(v):
        raise bad_input(key, f"coefficient of {group} is {value!r}; expected a finite number in Mg C/(ha·a) "
                             f"(+ = source, − = sink), empty is not zero: give a number")
    r = str(role if role is not None else GROUP_ROLES.get(group, "source")).strip().lower()
    if r not in ("source", "sink"):
        raise bad_input(key, f"role of {group} is {role!r}; expected 'source' or 'sink'"
                             f"{did_you_mean(r, ('source', 'sink'))}")
    if r == "sink" and v > 0:
        raise bad_input(key, f"coefficient of {group} is {v:g} Mg C/(ha·a), positive, but {group} is a sink and "
                             f"sinks are negative by convention (+ = source, − = sink, methods.md §3.2); inventory "
                             f"tables print sinks as positive (§13.8): give {-v:g}, or declare the group a source "
                             f"(role)")
    if r == "source" and v < 0:
        raise bad_input(key, f"coefficient of {group} is {v:g} Mg C/(ha·a), negative, but {group} is a source and "
                             f"sources are positive by convention (+ = source, − = sink, methods.md §3.2): give "
                             f"{-v:g}, or declare the group a sink (role) if it really absorbs carbon")
    if abs(v) > COEF_PLAUSIBLE_MAX and not allow_implausible:
        raise bad_input(key, f"coefficient of {group} is {v:g} Mg C/(ha·a), beyond the plausible ±"
                             f"{COEF_PLAUSIBLE_MAX:g}; it looks like kg C/(ha·a) or another unit: convert it to "
                             f"Mg (t) C per ha per year, or pass allow_implausible=True if it is right")
    return v


@dataclass(frozen=True)
class LanduseCoefficients:
    """A named set of direct land-use coefficients δ_k in Mg C/(ha·a), + = source, − = sink.

    ``coefficients`` maps a national group to δ; a group listed in ``energy_method`` has no direct
    coefficient (construction land in the cn_common sets): its emissions come from the energy method.
    """

    set_id: str
    coefficients: dict[str, float]
    citations: dict[str, str] = field(default_factory=dict)
    energy_method: tuple[str, ...] = ()
    sign_convention: str = "+ = source, - = sink (methods.md §1.2)"
    citation: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    def coefficient(self, group: str) -> float | None:
        return self.coefficients.get(group)

    def with_overrides(self, overrides: dict[str, float], *, name: str | None = None,
                       roles: dict[str, str] | None = None, allow_implausible: bool = False,
                       key: str = "coef_overrides") -> LanduseCoefficients:
        """A copy with user values (Mg C/(ha·a), + = source, − = sink) for some groups; the name records it.

        Each value must follow the sign of its group's role (:data:`GROUP_ROLES`, or ``roles`` to state
        another one, e.g. ``{"cropland": "sink"}``)."""
        unknown_names(key, "groups in the coefficient overrides", list(overrides), list(GROUPS))
        unknown_names(key, "groups in the roles", list(roles or {}), list(overrides))
        vals = {g: check_landuse_coefficient(g, v, role=(roles or {}).get(g), key=key,
                                             allow_implausible=allow_implausible) for g, v in overrides.items()}
        coefs = dict(self.coefficients) | vals
        cites = dict(self.citations) | {g: "user value" for g in overrides}
        energy = tuple(g for g in self.energy_method if g not in overrides)
        return LanduseCoefficients(name or f"{self.set_id}+user", coefs, cites, energy, self.sign_convention,
                                   self.citation + "; user overrides: " + ", ".join(
                                       f"{g}={v:g}" for g, v in overrides.items()),
                                   dict(self.tags) | {g: "user" for g in overrides})

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for g in GROUPS:
            v = self.coefficients.get(g)
            rows.append({"set_id": self.set_id, "group": g,
                         "coef_tC_per_ha_yr": v if v is not None else math.nan,
                         "method": "energy method" if g in self.energy_method else (
                             "direct coefficient" if v is not None else "not covered"),
                         "source": self.citations.get(g, ""), "tag": self.tags.get(g, "")})
        return pd.DataFrame(rows)


def landuse_set_ids() -> list[str]:
    df = reference_table("landuse_carbon_coefficients.csv")
    ids = sorted(set(df["set_id"]) - set(_SHARED.values()))
    return ids


def load_landuse_coefficients(set_id: str = "cn_common_A") -> LanduseCoefficients:
    """Load a named direct-coefficient set (methods.md §3.2), re-signed to + = source.

    Sets: ``cn_common_A`` (default), ``cn_common_B``, ``guangdong_2018``.
    """
    df = reference_table("landuse_carbon_coefficients.csv")
    known = landuse_set_ids()
    if set_id not in known:
        raise bad_input(
            "coefficients", f"coefficient set {set_id!r} is unknown{did_you_mean(set_id, known)}; the shipped sets "
                            f"are {known} (methods.md §3.2), or give your own values per group")
    own = df[df["set_id"] == set_id]
    shared = df[df["set_id"] == _SHARED[set_id]] if set_id in _SHARED else df.iloc[0:0]
    rows = pd.concat([own, shared[~shared["land_class_en"].isin(own["land_class_en"])]])
    coefs: dict[str, float] = {}
    cites: dict[str, str] = {}
    tags: dict[str, str] = {}
    energy: list[str] = []
    for _, r in rows.iterrows():
        cls = str(r["land_class_en"]).strip().lower()
        group = _LAND_CLASS_GROUP.get(cls)
        if group is None:
            raise InputValidationError(f"reference row {r['set_id']}/{cls}: land class is not mapped to a group")
        value = _num(r["coef_tC_per_ha_yr"], f"landuse_carbon_coefficients {r['set_id']}/{cls}")
        role = str(r["role"]).strip().lower()
        if role not in ("source", "sink"):
            raise InputValidationError(f"reference row {r['set_id']}/{cls}: role {role!r}; expected source or sink")
        cites[group] = str(r["attributed_source"])
        tags[group] = str(r["tag"])
        if value is None:
            if "energy method" in str(r["attributed_source"]).lower():
                energy.append(group)
                continue
            raise InputValidationError(
                f"coefficient set {set_id}: {cls} has an empty coefficient; empty is not zero (methods.md §13.9): "
                f"give an explicit value for it")
        # re-sign by role: sources positive, sinks negative (§1.2, §13.8). The cn_common rows already
        # follow this; guangdong_2018 prints sinks as positive and its cropland/construction as negative.
        coefs[group] = abs(value) if role == "source" else -abs(value)
    return LanduseCoefficients(set_id, coefs, cites, tuple(energy),
                               citation=LANDUSE_SETS_NOTE.get(set_id, ""), tags=tags)


def coefficients_from_frame(df: pd.DataFrame, name: str = "user", *, allow_implausible: bool = False,
                            key: str = "coefficients") -> LanduseCoefficients:
    """A user coefficient set from a table with ``group`` and ``coef_tC_per_ha_yr`` (+ = source, − = sink).

    ``group`` takes the national group keys or their Chinese names; an empty value is an error, and so is a
    group listed twice. Each value must follow the sign convention of its group's role
    (:data:`GROUP_ROLES`); an optional ``role`` column (source | sink) states another role explicitly.
    """
    cols = {c.strip().lower(): c for c in df.columns}
    if "group" not in cols or "coef_tc_per_ha_yr" not in cols:
        raise bad_input(key,
                        f"coefficient table has columns {list(df.columns)}; expected 'group' and 'coef_tC_per_ha_yr' "
                        f"(Mg C per ha per year, + = source, - = sink)")
    if len(df) == 0:
        raise bad_input(key, "the coefficient table has no data rows; expected one row per group")
    from ..core.classes import GROUP_NAMES_ZH

    zh = {v: k for k, v in GROUP_NAMES_ZH.items()}
    coefs: dict[str, float] = {}
    for _, r in df.iterrows():
        g = str(r[cols["group"]]).strip()
        g = zh.get(g, _LAND_CLASS_GROUP.get(g.lower(), g.lower()))
        if g not in GROUPS:
            raise bad_input(key, f"coefficient table: group {r[cols['group']]!r} is unknown"
                                 f"{did_you_mean(g, GROUPS)}; expected one of {list(GROUPS)}")
        if g in coefs:
            raise bad_input(key, f"coefficient table: group {g} appears more than once; expected one row per "
                                 f"group: remove the duplicate")
        try:
            v = _num(r[cols["coef_tc_per_ha_yr"]], f"coefficient table, group {g}")
        except InputValidationError as err:
            raise bad_input(key, str(err)) from None
        if v is None:
            raise bad_input(key, f"coefficient table: group {g} has an empty value; empty is not zero, "
                                 f"give a number or drop the row")
        role = None
        if "role" in cols and str(r[cols["role"]]).strip() not in ("", "nan", "None"):
            role = str(r[cols["role"]])
        coefs[g] = check_landuse_coefficient(g, v, role=role, key=key, allow_implausible=allow_implausible)
    return LanduseCoefficients(name, coefs, {g: "user table" for g in coefs},
                               tuple(g for g in ("built_up",) if g not in coefs), citation="user table",
                               tags={g: "user" for g in coefs})


# --------------------------------------------------------------------------------------------------
# energy factors (§3.3)

#: canonical fuel key → accepted names (Chinese and English, lower-case)
FUEL_ALIASES: dict[str, tuple[str, ...]] = {
    "raw_coal": ("原煤", "raw coal", "coal", "煤炭", "raw_coal"),
    "coke": ("焦炭", "coke"),
    "crude_oil": ("原油", "crude oil", "crude", "crude_oil"),
    "gasoline": ("汽油", "gasoline", "petrol"),
    "kerosene": ("煤油", "kerosene"),
    "diesel": ("柴油", "diesel", "diesel oil"),
    "fuel_oil": ("燃料油", "fuel oil", "fuel_oil"),
    "lpg": ("液化石油气", "lpg", "liquefied petroleum gas"),
    "refinery_gas": ("炼厂干气", "refinery gas", "refinery_gas"),
    "natural_gas_oilfield": ("油田天然气", "natural gas (oil-field)", "oil-field gas", "natural_gas_oilfield"),
    "natural_gas_gasfield": ("气田天然气", "natural gas (gas-field)", "gas-field gas", "natural_gas_gasfield"),
    "natural_gas": ("天然气", "natural gas", "natural_gas", "gas"),
    "electricity": ("电力", "electricity", "power", "电"),
    "heat": ("热力", "heat"),
}
_ALIAS_TO_KEY = {a: k for k, names in FUEL_ALIASES.items() for a in names}
_FUEL_REF_EN = {
    "raw coal": "raw_coal", "coke": "coke", "crude oil": "crude_oil", "gasoline": "gasoline",
    "kerosene": "kerosene", "diesel": "diesel", "fuel oil": "fuel_oil", "lpg": "lpg",
    "refinery gas": "refinery_gas", "natural gas (oil-field)": "natural_gas_oilfield",
    "natural gas (gas-field)": "natural_gas_gasfield",
}
#: EF_heat, t CO2 per GJ [L: national enterprise accounting guidelines] (methods.md §3.4)
HEAT_TCO2_PER_GJ = 0.11
CONVENTIONS = ("B", "A", "C")


def accepted_fuel_names() -> list[str]:
    return [n for names in FUEL_ALIASES.values() for n in names]


def fuel_key(name: str, *, natural_gas: str = "gas_field") -> str | None:
    """Canonical key of a fuel name (Chinese or English), ``None`` when unknown.

    Plain 天然气 / natural gas resolves to gas-field gas (default [D]) or oil-field gas.
    """
    k = _ALIAS_TO_KEY.get(str(name).strip().lower())
    if k == "natural_gas":
        if natural_gas not in ("gas_field", "oil_field"):
            raise InputValidationError(f"natural_gas={natural_gas!r}; expected 'gas_field' or 'oil_field'")
        return "natural_gas_gasfield" if natural_gas == "gas_field" else "natural_gas_oilfield"
    return k


@dataclass(frozen=True)
class FuelFactors:
    key: str
    fuel_cn: str
    fuel_en: str
    unit: str  # physical unit of fuel: "kg" or "m3"
    ncv_kJ_per_unit: float | None
    sc_kgce_per_unit: float | None
    cf_tC_per_tce: float | None
    ef_kgCO2_per_TJ: float | None
    cc_tC_per_TJ: float | None
    oxidation: float | None
    printed_B_kgCO2_per_unit: float | None
    printed_A_kgCO2_per_unit: float | None

    def tco2_per_unit(self, convention: str = "B") -> float:
        """t CO2 per kg (or m³) of fuel under convention A, B or C of methods.md §3.3."""
        def need(*pairs):
            miss = [n for n, v in pairs if v is None]
            if miss:
                raise InputValidationError(
                    f"fuel {self.fuel_cn} ({self.fuel_en}) has no {', '.join(miss)} in the reference table, so "
                    f"convention {convention} cannot be applied to it (empty is not zero); use another convention "
                    f"or give a factor for it in a user factor table")

        if convention == "A":  # E × SC × CF × 44/12 ; SC in kgce → × 1e-3 tce
            need(("standard-coal factor", self.sc_kgce_per_unit), ("IPCC carbon per tce", self.cf_tC_per_tce))
            return self.sc_kgce_per_unit * 1e-3 * self.cf_tC_per_tce * CO2_PER_C
        if convention == "B":  # E × NCV × CC × OF × 44/12 ; NCV in kJ → × 1e-9 TJ
            need(("net calorific value", self.ncv_kJ_per_unit), ("inventory carbon content", self.cc_tC_per_TJ),
                 ("oxidation fraction", self.oxidation))
            return self.ncv_kJ_per_unit * 1e-9 * self.cc_tC_per_TJ * self.oxidation * CO2_PER_C
        if convention == "C":  # E × NCV × EF ; kg CO2 → × 1e-3 t
            need(("net calorific value", self.ncv_kJ_per_unit), ("IPCC emission factor", self.ef_kgCO2_per_TJ))
            return self.ncv_kJ_per_unit * 1e-9 * self.ef_kgCO2_per_TJ * 1e-3
        raise InputValidationError(f"energy convention {convention!r} is unknown; expected one of {CONVENTIONS} "
                                   f"(B = provincial inventory, default; A = IPCC per tce; C = IPCC default EF)")


@lru_cache(maxsize=1)
def _energy_factors_cached() -> tuple[FuelFactors, ...]:
    df = reference_table("energy_factors.csv")
    out = []
    for _, r in df.iterrows():
        key = _FUEL_REF_EN[str(r["fuel_en"]).strip().lower()]
        w = f"energy_factors {r['fuel_cn']}"
        out.append(FuelFactors(
            key, str(r["fuel_cn"]), str(r["fuel_en"]), str(r["unit"]).strip(),
            _num(r["ncv_kJ_per_unit"], w), _num(r["sc_kgce_per_unit"], w), _num(r["cf_tC_per_tce_ipcc"], w),
            _num(r["ipcc_ef_kgCO2_per_TJ"], w), _num(r["cc_tC_per_TJ_inventory"], w),
            _num(r["oxidation_inventory"], w), _num(r["co2_per_unit_inventory"], w),
            _num(r["co2_per_unit_method_A"], w)))
    return tuple(out)


def check_emission_factor(value: object, *, factor: str, unit: str, key: str,
                          plausible_max: float | None = None, suspect: str = "",
                          allow_implausible: bool = False) -> float:
    """An emission factor given by the user: a finite number ≥ 0 (a negative factor would turn fuel use into a
    sink). Above ``plausible_max`` a unit mix-up (``suspect``) is assumed unless ``allow_implausible``."""
    try:
        v = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        v = math.nan
    if not math.isfinite(v) or v < 0:
        raise bad_input(key, f"{factor} is {value!r} {unit}; expected a number ≥ 0 {unit} (an emission factor "
                             f"cannot be negative: it would turn consumption into a sink): give the factor as a "
                             f"positive number")
    if plausible_max is not None and v > plausible_max and not allow_implausible:
        raise bad_input(key, f"{factor} is {v:g} {unit}, above the plausible {plausible_max:g} {unit}; it looks "
                             f"like {suspect}: convert it to {unit}, or pass allow_implausible=True if it is right")
    return v


#: the largest plausible grid factor, kg CO2/kWh [D]: coal-only generation is ~1.0–1.2 (§13.6); a larger number
#: is most likely g CO2/kWh
GRID_PLAUSIBLE_MAX = 2.0


def user_grid_factor(value: object, year: int | None = None, *, key: str = "grid_factor",
                     allow_implausible: bool = False) -> GridFactor:
    """A user electricity grid factor (kg CO2/kWh), checked (≥ 0, ≤ 2 unless ``allow_implausible``)."""
    v = check_emission_factor(value, factor="grid emission factor", unit="kg CO2/kWh", key=key,
                              plausible_max=GRID_PLAUSIBLE_MAX, suspect="g CO2/kWh (÷ 1000 for kg CO2/kWh)",
                              allow_implausible=allow_implausible)
    return GridFactor(v, int(year) if year is not None else 0, "user", "", "user value",
                      f"user grid factor {v:g} kg CO2/kWh")


def check_heat_factor(value: object, *, key: str = "heat_factor", allow_implausible: bool = False) -> float:
    """EF_heat given by the user (t CO2/GJ; the default is 0.11): ≥ 0, ≤ 1 unless ``allow_implausible``."""
    return check_emission_factor(value, factor="heat emission factor", unit="t CO2/GJ", key=key,
                                 plausible_max=1.0, suspect="kg CO2/GJ (÷ 1000 for t CO2/GJ)",
                                 allow_implausible=allow_implausible)


def check_factor_overrides(overrides: dict[str, object] | None, *, key: str = "factor_overrides",
                           allow_implausible: bool = False) -> dict[str, float]:
    """User fuel factors (t CO2 per kg or m³ of fuel, keyed by fuel name or key): known fuels (did-you-mean),
    numbers ≥ 0, at most 10 t CO2 per unit unless ``allow_implausible`` (the reference factors are 1.9–3.2)."""
    out: dict[str, float] = {}
    known = sorted(FUEL_ALIASES)
    for name, v in (overrides or {}).items():
        k = _ALIAS_TO_KEY.get(str(name).strip().lower(), str(name))
        if k == "natural_gas":
            raise bad_input(key, f"fuel {name!r} is ambiguous; expected natural_gas_gasfield or "
                                 f"natural_gas_oilfield (they differ by 9.5 %, methods.md §3.3)")
        if k not in FUEL_ALIASES or k in ("electricity", "heat"):
            raise bad_input(key, f"fuel {name!r} is not a fuel with a factor{did_you_mean(name, known)}; expected "
                                 f"one of {[f for f in known if f not in ('electricity', 'heat', 'natural_gas')]} "
                                 f"(electricity and heat take grid_factor and heat_factor)")
        out[k] = check_emission_factor(v, factor=f"emission factor of {name}", unit="t CO2 per kg or m3", key=key,
                                       plausible_max=10.0, suspect="kg CO2 per unit, or per t instead of per kg",
                                       allow_implausible=allow_implausible)
    return out


def load_energy_factors() -> dict[str, FuelFactors]:
    """Fuel factors of methods.md §3.3 by canonical fuel key (GB/T 2589 NCV and SC; IPCC CF and EF;
    provincial-inventory CC and OF)."""
    return {f.key: f for f in _energy_factors_cached()}


# --------------------------------------------------------------------------------------------------
# grid emission factors (§3.4)

#: province → regional grid of the MEE/NBS announcements [L: regional division as published with the
#: regional factors; 内蒙古 is split between 华北 (west) and 东北 (east) and is mapped to 华北 here].
PROVINCE_GRID: dict[str, str] = {
    **{p: "华北" for p in ("北京", "天津", "河北", "山西", "山东", "内蒙古")},
    **{p: "东北" for p in ("辽宁", "吉林", "黑龙江")},
    **{p: "华东" for p in ("上海", "江苏", "浙江", "安徽", "福建")},
    **{p: "华中" for p in ("河南", "湖北", "湖南", "江西")},
    **{p: "西北" for p in ("陕西", "甘肃", "青海", "宁夏", "新疆")},
    **{p: "南方" for p in ("广东", "广西", "云南", "贵州", "海南")},
    **{p: "西南" for p in ("四川", "重庆", "西藏")},
}
_PROVINCE_SUFFIX = re.compile(r"(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)$")
_NATIONAL_NAMES = ("全国", "national", "china", "中国", "")


@dataclass(frozen=True)
class GridFactor:
    value_kgCO2_per_kWh: float
    year: int
    scope: str
    region: str
    source: str
    note: str = ""


def load_grid_factors() -> pd.DataFrame:
    df = reference_table("grid_emission_factors.csv")
    df["year"] = df["year"].astype(int)
    df["kgCO2_per_kWh"] = df["kgCO2_per_kWh"].astype(float)
    return df


def grid_factor(region: str | None, year: int, *, warn: bool = True) -> GridFactor:
    """EF_grid for (region, year): province → regional grid → national average, same year; a missing
    year takes the nearest earlier year with a warning (methods.md §3.4). No earlier year is an error."""
    df = load_grid_factors()
    name = _PROVINCE_SUFFIX.sub("", str(region or "").strip())
    chain: list[tuple[str, str]] = []
    if name.lower() not in _NATIONAL_NAMES:
        if name in set(df.loc[df["scope"] == "regional", "region"]):
            chain.append(("regional", name))
        else:
            if name not in PROVINCE_GRID:
                raise InputValidationError(
                    f"grid region {region!r} is not a province or regional grid; expected a province name "
                    f"(e.g. 湖北), a regional grid ({sorted(set(PROVINCE_GRID.values()))}) or 全国")
            chain += [("province", name), ("regional", PROVINCE_GRID[name])]
    chain.append(("national average", "全国"))
    for scope, reg in chain:
        rows = df[(df["scope"] == scope) & (df["region"] == reg)]
        if rows.empty:
            continue
        exact = rows[rows["year"] == year]
        if not exact.empty:
            r = exact.iloc[0]
            note = "" if reg == name or (scope == "national average" and not chain[:-1]) else (
                f"no {region} factor for {year}; used {scope} {reg}")
            return GridFactor(float(r["kgCO2_per_kWh"]), year, scope, reg, str(r["source"]), note)
    # no row for the year on any level: nearest earlier year of the most specific level that has one
    for scope, reg in chain:
        rows = df[(df["scope"] == scope) & (df["region"] == reg) & (df["year"] < year)]
        if rows.empty:
            continue
        r = rows.sort_values("year").iloc[-1]
        note = (f"no grid factor for {year}; used the nearest earlier year {int(r['year'])} ({scope} {reg}, "
                f"{float(r['kgCO2_per_kWh']):g} kg CO2/kWh)")
        if warn:
            warnings.warn(note, LandcarbonWarning, stacklevel=2)
        return GridFactor(float(r["kgCO2_per_kWh"]), int(r["year"]), scope, reg, str(r["source"]), note)
    years = sorted(set(df["year"]))
    raise InputValidationError(
        f"no electricity grid factor for {region or '全国'} in {year} or any earlier year (the table covers "
        f"{years[0]}-{years[-1]}); give an explicit factor (grid_factor, kg CO2/kWh)")


# --------------------------------------------------------------------------------------------------
# agricultural inputs (§3.2, bottom-up cropland)

_AGRI_EN = {"fertilizer": "fertilizer", "pesticide": "pesticide", "agricultural film": "film",
            "agricultural diesel": "diesel", "irrigation": "irrigation", "ploughing": "ploughing"}
AGRI_ALIASES: dict[str, tuple[str, ...]] = {
    "fertilizer": ("化肥", "fertilizer", "fertiliser", "chemical fertilizer"),
    "pesticide": ("农药", "pesticide"),
    "film": ("农膜", "film", "agricultural film", "plastic film"),
    "diesel": ("农用柴油", "柴油", "agricultural diesel", "diesel"),
    "irrigation": ("灌溉", "irrigation", "irrigated area", "有效灌溉面积"),
    "ploughing": ("翻耕", "ploughing", "plowing", "tillage", "sown area", "播种面积"),
}
_AGRI_ALIAS_TO_KEY = {a: k for k, names in AGRI_ALIASES.items() for a in names}
AGRI_ACTIVITY = {"fertilizer": "mass", "pesticide": "mass", "film": "mass", "diesel": "mass",
                 "irrigation": "area", "ploughing": "area"}


def agri_key(name: str) -> str | None:
    return _AGRI_ALIAS_TO_KEY.get(str(name).strip().lower())


def load_agri_coefficients(ploughing_unit: str = "per_km2") -> dict[str, float]:
    """ε_j of methods.md §3.2 in kg C per kg (inputs) or per ha (irrigation, ploughing).

    Ploughing 312.6 is read as kg C/km² → 3.126 kg C/ha by default (§13.3); ``per_ha_as_printed``
    keeps 312.6 kg C/ha as printed by 吴昊玥 et al. 2017.
    """
    df = reference_table("agri_input_carbon_coefficients.csv")
    out: dict[str, float] = {}
    for _, r in df.iterrows():
        key = _AGRI_EN[str(r["source_item_en"]).strip().lower()]
        v = _num(r["value"], f"agri_input_carbon_coefficients {key}")
        if v is None:
            raise InputValidationError(f"agricultural coefficient {key} is empty; give an explicit value")
        unit = str(r["unit"]).lower().replace(" ", "")
        if key == "ploughing":
            if ploughing_unit == "per_km2":
                v = v / 100.0  # kg C/km² → kg C/ha (1 km² = 100 ha)
            elif ploughing_unit != "per_ha_as_printed":
                raise InputValidationError(
                    f"ploughing_unit={ploughing_unit!r}; expected 'per_km2' (default, 3.126 kg C/ha) or "
                    f"'per_ha_as_printed' (312.6 kg C/ha)")
        elif unit.startswith("kgc/hm2") or unit.startswith("kgc/ha"):
            pass
        elif unit != "kgc/kg":
            raise UnitError(f"agricultural coefficient {key}: unit {r['unit']!r} is not understood")
        out[key] = v
    return out


# --------------------------------------------------------------------------------------------------
# GWP sets for CH4 / N2O (100-year) [L]

GWP_SETS: dict[str, dict[str, float]] = {
    "AR5": {"CO2": 1.0, "CH4": 28.0, "N2O": 265.0},
    "AR4": {"CO2": 1.0, "CH4": 25.0, "N2O": 298.0},
    "AR6": {"CO2": 1.0, "CH4": 27.0, "N2O": 273.0},
    "AR6_fossil": {"CO2": 1.0, "CH4": 29.8, "N2O": 273.0},
    "SAR": {"CO2": 1.0, "CH4": 21.0, "N2O": 310.0},
}
GWP_CITATIONS = {
    "AR5": "IPCC AR5 WG1 Table 8.7, GWP100 without climate-carbon feedback [L]",
    "AR4": "IPCC AR4 WG1 Table 2.14, GWP100 [L]",
    "AR6": "IPCC AR6 WG1 Table 7.15, GWP100, CH4 non-fossil [L]",
    "AR6_fossil": "IPCC AR6 WG1 Table 7.15, GWP100, CH4 fossil [L]",
    "SAR": "IPCC SAR (1995), GWP100, used in early national communications [L]",
}


def gwp(set_name: str = "AR5") -> dict[str, float]:
    if set_name not in GWP_SETS:
        raise bad_input("gwp_set", f"GWP set {set_name!r} is unknown{did_you_mean(set_name, GWP_SETS)}; expected "
                                   f"one of {sorted(GWP_SETS)}")
    return dict(GWP_SETS[set_name])



# carbon prices live in models/prices.py; importable from here as before (carbon_price, CarbonPrice …)
from .prices import *  # noqa: E402, F401, F403
