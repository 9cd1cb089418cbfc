"""Carbon balance, compensation zoning and compensation value (methods.md §4).

Per unit i and year (totals over all units of that year without index):

    NCE_i = CE_i − CA_i                      net emission (t CO2e/a)
    CCR_i = CA_i / CE_i                      carbon compensation rate (–)
    ECC_i = (G_i / G) / (CE_i / CE)          economic contribution coefficient (–)
    ESC_i = (CA_i / CA) / (CE_i / CE)        ecological support coefficient (–)
    V_i   = NCE_i × P_C                      compensation value (CNY/a), P_C in CNY/t CO2
    V_i^θ = (NCE_i − θ_i) × P_C, θ_i = NCE × s_i          allowance form (Σ_i V_i^θ = 0)
    L_i   = 1 / (1 + a e^(−b t_i)), t_i = 1/En_i − 3       Pearl willingness-to-pay factor (optional)

Zoning: ``balance3`` (r_i = CCR_i / CCR_R; payment if r < 1 − b, receiving if r > 1 + b, b = 0.2 [D]),
``balance3_value`` (z-score of V_i, ±0.5 [D]) and ``quadrant`` (ECC × ESC, four zones).

All of it is vectorised over zone × year rows (no Python loop over zones), so 3 000 zones × 30 years
is one pass of grouped sums.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.spec import Column, Input, ModelSpec, NumberIn, Output, Present, TableIn, TableOut
from ..core.units import c_to_co2
from .prices import DEFAULT_PRICE_KEY, PRICE_UNITS, price_bases
from .weights import bad_input, did_you_mean, show

ZONES_BALANCE3 = {"payment": "支付区", "balance": "平衡区", "receiving": "受偿区", "no_emission": "无排放"}
ZONES_QUADRANT = {"low_carbon_maintenance": "低碳保持区", "economic_development": "经济发展区",
                  "carbon_sink_function": "碳汇功能区", "high_carbon_optimisation": "高碳优化区",
                  "no_emission": "无排放"}
ZONE_COLOURS = {"payment": "#d7301f", "balance": "#fdd49e", "receiving": "#2b8cbe",
                "low_carbon_maintenance": "#1a9850", "economic_development": "#fee08b",
                "carbon_sink_function": "#66bd63", "high_carbon_optimisation": "#d73027", "no_emission": "#cccccc"}

# --------------------------------------------------------------------------------------------------
# inputs: explicit units

#: accepted column names (case-insensitive) → factor to persons / 10^4 CNY; None = no unit (refused)
_POP = {"population": 1.0, "population_persons": 1.0, "pop": 1.0, "population_1e4": 1e4, "population_万人": 1e4,
        "人口_万人": 1e4, "常住人口_万人": 1e4, "人口": None}
_GDP = {"gdp_1e4CNY": 1.0, "gdp_万元": 1.0, "gdp_CNY": 1e-4, "gdp_yuan": 1e-4, "gdp_1e8CNY": 1e4,
        "gdp_亿元": 1e4, "地区生产总值_亿元": 1e4, "地区生产总值_万元": 1.0, "gdp": None}


#: plausible per-capita GDP, CNY/person [D]. China's poorest counties in the 1980s and its richest industrial
#: districts stay within it; a population in 10^4 persons read as persons (× 10^4) or a GDP in 10^8 CNY read as
#: 10^4 CNY (÷ 10^4) lands outside. Override: allow_implausible
PCGDP_PLAUSIBLE = (100.0, 1e7)


def _rows(mask) -> str:
    pos = np.flatnonzero(np.asarray(mask)) + 1
    head = ", ".join(map(str, pos[:10])) + (" …" if len(pos) > 10 else "")
    return f"data row{'s' if len(pos) > 1 else ''} {head}"


def _years(v: pd.Series, key: str) -> pd.Series:
    y = pd.to_numeric(v, errors="coerce")
    bad = y.isna() | (y != y.round())
    if bad.any():
        raise bad_input(key, f"year {show(v[bad].iloc[0])} ({_rows(bad)}) is empty or not an integer year; expected "
                             f"years such as 2020: fix the year column")
    return y.astype(int)


def check_unique_zone_years(df: pd.DataFrame, key: str) -> None:
    """One row per (zone, year): duplicates are an error naming them (never merged or summed silently)."""
    dup = df.duplicated(["zone", "year"], keep=False).to_numpy()
    if dup.any():
        pairs = sorted(set(zip(df.loc[dup, "zone"], df.loc[dup, "year"])), key=str)
        shown = ", ".join(f"({z}, {int(y)})" for z, y in pairs[:10]) + (" …" if len(pairs) > 10 else "")
        raise bad_input(key, f"{len(pairs)} zone-year pair{'s appear' if len(pairs) > 1 else ' appears'} more than "
                             f"once: (zone, year) {shown} in {_rows(dup)}; expected one row per zone and year: remove "
                             f"the duplicates (or sum them yourself if they are parts of one zone)")


def check_every_zone_every_year(df: pd.DataFrame, key: str) -> None:
    """Every zone has a row in every year: the per-year totals (CE, CA, G) and shares of methods.md §4 are taken
    over all zones, so a missing zone-year would silently change every other zone's ECC, ESC and CCR_R."""
    zones, years = df["zone"].unique(), df["year"].unique()
    if len(df) == len(zones) * len(years):
        return
    have = set(zip(df["zone"], df["year"]))
    missing = [(z, int(y)) for y in sorted(years) for z in zones if (z, y) not in have]
    shown = ", ".join(f"({z}, {y})" for z, y in missing[:10]) + (" …" if len(missing) > 10 else "")
    raise bad_input(key, f"{len(missing)} zone-year{'s are' if len(missing) > 1 else ' is'} missing: (zone, year) "
                         f"{shown}; expected a row for every zone in every year, because the regional totals and "
                         f"shares of each year are taken over all zones: add the rows (0 where a zone has no "
                         f"emission) or leave the year out")


def check_positive(values, zones, years, *, column: str, key: str, why: str) -> None:
    """Every value > 0 (a ratio divides by it): the first zero or negative one is named with zone and year."""
    v = np.asarray(values, dtype=float)
    bad = ~(v > 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        yr = "" if years is None else f", year {int(np.asarray(years)[i])}"
        n = int(bad.sum())
        raise bad_input(key, f"{column} is {v[i]:g} for zone {np.asarray(zones)[i]}{yr}"
                             + (f" (and {n - 1} more rows)" if n > 1 else "")
                             + f"; expected > 0 because {why}: give the real value or leave the zone out")


def check_per_capita_gdp(gdp_1e4cny, population, zones, years, *, key: str, allow_implausible: bool = False
                         ) -> None:
    """Refuse a per-capita GDP outside :data:`PCGDP_PLAUSIBLE` (CNY/person) as a suspected unit error."""
    if allow_implausible:
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        pc = np.asarray(gdp_1e4cny, float) * 1e4 / np.asarray(population, float)
    lo, hi = PCGDP_PLAUSIBLE
    for mask, side, suspect in ((pc > hi, "above", "population in 10^4 persons (万人) given as persons, or GDP in "
                                                   "CNY given as 10^4 CNY"),
                                (pc < lo, "below", "GDP in 10^8 CNY (亿元) given as 10^4 CNY, or population in "
                                                   "persons given as 10^4 persons")):
        if mask.any():
            i = int(np.flatnonzero(mask)[0])
            yr = "" if years is None else f", year {int(np.asarray(years)[i])}"
            raise bad_input(key, f"per-capita GDP is {pc[i]:.4g} CNY/person for zone {np.asarray(zones)[i]}{yr}, "
                                 f"{side} the plausible {lo:g}-{hi:g}; this suggests {suspect}: name the columns "
                                 f"with their units (gdp_1e4CNY | gdp_1e8CNY | gdp_CNY, population | population_1e4), "
                                 f"or pass allow_implausible=True if the values are right")


def _pick(df: pd.DataFrame, table: dict[str, float | None], what: str, expected: str
          ) -> tuple[pd.Series, str] | tuple[None, None]:
    cols = {str(c).strip().lower(): c for c in df.columns}
    hits = [(cols[name.lower()], f) for name, f in table.items() if name.lower() in cols]
    if len(hits) > 1:
        raise bad_input("socioeconomic", f"socio-economic columns {[str(c) for c, _ in hits]} all give {what}; "
                                         f"expected one {what} column (which one is meant is not known): drop the "
                                         f"others")
    for col, f in hits:
        if f is None:
            raise bad_input("socioeconomic",
                            f"socio-economic column {col!r} has no unit; rename it to one of {expected} so "
                            f"the unit is explicit")
        v = pd.to_numeric(df[col], errors="coerce")
        if v.isna().any():
            raise bad_input("socioeconomic", f"{what} column {col!r} has empty or non-numeric values "
                                             f"({_rows(v.isna())}); empty is not zero: fill them")
        return v * f, str(col)
    return None, None


def prepare_socioeconomic(se: pd.DataFrame) -> pd.DataFrame:
    """zone, year, gdp_1e4CNY, population (persons), optional engel and area_ha, with units converted.

    GDP columns: gdp_1e4CNY (万元), gdp_1e8CNY (亿元) or gdp_CNY; population: population (persons) or
    population_1e4 (万人). A bare ``gdp`` column is refused (unit unknown). GDP and population must be > 0
    (ECC, intensities and shares divide by them), and each (zone, year) may appear once.
    """
    key = "socioeconomic"
    cols = {str(c).strip().lower(): c for c in se.columns}
    for need in ("zone", "year"):
        if need not in cols:
            raise bad_input(key, f"socio-economic table has columns {list(se.columns)}; it lacks {need!r}")
    if len(se) == 0:
        raise bad_input(key, "the socio-economic table has no data rows; expected one row per zone and year")
    gdp, gcol = _pick(se, _GDP, "GDP", "gdp_1e4CNY (万元), gdp_1e8CNY (亿元), gdp_CNY")
    pop, pcol = _pick(se, _POP, "population", "population (persons), population_1e4 (万人)")
    if gdp is None or pop is None:
        raise bad_input(key,
                        f"socio-economic table has columns {list(se.columns)}; expected GDP (gdp_1e4CNY | gdp_1e8CNY | "
                        f"gdp_CNY) and population (population | population_1e4)")
    out = pd.DataFrame({"zone": se[cols["zone"]].astype(str).str.strip(),
                        "year": _years(se[cols["year"]], key),
                        "gdp_1e4CNY": gdp.astype(float), "population": pop.astype(float)})
    check_positive(pd.to_numeric(se[gcol]), out["zone"], out["year"], column=f"GDP ({gcol})", key=key,
                   why="ECC, carbon intensity and the GDP allowance share divide by it (a zero GDP would flip the "
                       "zone's compensation zoning)")
    check_positive(pd.to_numeric(se[pcol]), out["zone"], out["year"], column=f"population ({pcol})", key=key,
                   why="the per-capita indicators divide by it")
    if "engel" in cols:
        en = pd.to_numeric(se[cols["engel"]], errors="coerce")
        bad = en.isna() | (en <= 0) | (en >= 1)
        if bad.any():
            raise bad_input(key, f"engel (share of food in consumption) is {show(se[cols['engel']][bad].iloc[0])} in "
                                 f"{_rows(bad)}; expected a fraction strictly between 0 and 1 (e.g. 0.30): give it "
                                 f"for every row")
        out["engel"] = en.astype(float)
    check_unique_zone_years(out, key)
    return out


def prepare_emissions(em: pd.DataFrame) -> pd.DataFrame:
    """zone, year, emission_tCO2e (CE ≥ 0), absorption_tCO2 (CA ≥ 0), optional area_ha. Accepts t C columns
    (emission_tC, absorption_tC), converted explicitly. Each (zone, year) may appear once."""
    key = "emissions"
    cols = {str(c).strip(): c for c in em.columns}
    for need in ("zone", "year"):
        if need not in cols:
            raise bad_input(key, f"emissions table has columns {list(em.columns)}; it lacks {need!r}")
    if len(em) == 0:
        raise bad_input(key, "the emissions table has no data rows; expected one row per zone and year")
    out = pd.DataFrame({"zone": em[cols["zone"]].astype(str).str.strip(), "year": _years(em[cols["year"]], key)})
    if "emission_tCO2e" in cols:
        ce = pd.to_numeric(em[cols["emission_tCO2e"]], errors="coerce")
    elif "emission_tCO2" in cols:
        ce = pd.to_numeric(em[cols["emission_tCO2"]], errors="coerce")
    elif "emission_tC" in cols:
        ce = c_to_co2(pd.to_numeric(em[cols["emission_tC"]], errors="coerce"))
    else:
        raise bad_input(key,
                        f"emissions table has columns {list(em.columns)}; expected emission_tCO2e (or emission_tCO2 / "
                        f"emission_tC) and absorption_tCO2 (or absorption_tC), as written by the emissions model")
    if "absorption_tCO2" in cols:
        ca = pd.to_numeric(em[cols["absorption_tCO2"]], errors="coerce")
    elif "absorption_tC" in cols:
        ca = c_to_co2(pd.to_numeric(em[cols["absorption_tC"]], errors="coerce"))
    else:
        raise bad_input(key,
                        f"emissions table has columns {list(em.columns)}; expected absorption_tCO2 (or absorption_tC), "
                        f"the magnitude of the sinks (CA ≥ 0)")
    if ce.isna().any() or ca.isna().any():
        raise bad_input(key, f"empty or non-numeric emission or absorption values in {_rows(ce.isna() | ca.isna())}; "
                             f"empty is not zero: fill them")
    if (ce < 0).any() or (ca < 0).any():
        raise bad_input(key,
                        f"emission and absorption must be magnitudes ≥ 0 (CE, CA of methods.md §4.1); found negative "
                        f"values in {_rows((ce < 0) | (ca < 0))}: give sinks as positive absorption")
    out["emission_tCO2e"] = ce.astype(float)
    out["absorption_tCO2"] = ca.astype(float)
    if "area_ha" in cols:
        a = pd.to_numeric(em[cols["area_ha"]], errors="coerce")
        if a.isna().any() or (a < 0).any():
            raise bad_input(key, f"area_ha is empty, non-numeric or negative in {_rows(a.isna() | (a < 0))}; "
                                 f"expected ha ≥ 0")
        out["area_ha"] = a.astype(float)
    check_unique_zone_years(out, key)
    return out


def sinks_from_stock_change(stock: pd.DataFrame) -> pd.DataFrame:
    """Annual sink from a stock change (§1.2): E = −ΔC × (t CO2 per t C) / (t2 − t1). Columns: zone,
    delta_MgC (C(t2) − C(t1)), t1, t2. Returns zone, absorption_tCO2 (gain) and stock_loss_tCO2 (loss, a source)."""
    key = "stock_change"
    need = {"zone", "delta_MgC", "t1", "t2"}
    if not need <= set(stock.columns):
        raise bad_input(key, f"stock-change table has columns {list(stock.columns)}; expected {sorted(need)}")
    if len(stock) == 0:
        raise bad_input(key, "the stock-change table has no data rows; expected one row per zone")
    num = {c: pd.to_numeric(stock[c], errors="coerce") for c in ("delta_MgC", "t1", "t2")}
    for c, v in num.items():
        if v.isna().any():
            raise bad_input(key, f"column {c!r} is empty or not a number in {_rows(v.isna())}; empty is not zero")
    zones = stock["zone"].astype(str).str.strip()
    dup = zones.duplicated(keep=False)
    if dup.any():
        raise bad_input(key, f"zones {sorted(set(zones[dup]))} appear more than once ({_rows(dup)}); expected one "
                             f"stock change per zone: remove the duplicates")
    T = num["t2"].astype(float) - num["t1"].astype(float)
    if (T <= 0).any():
        raise bad_input(key, f"t2 is not later than t1 in {_rows(T <= 0)}; expected t1 < t2 (the change is "
                             f"annualised over t2 − t1)")
    e = -c_to_co2(num["delta_MgC"].astype(float)) / T  # t CO2/a, + = release
    return pd.DataFrame({"zone": zones, "absorption_tCO2": (-e).clip(lower=0.0),
                         "stock_loss_tCO2": e.clip(lower=0.0)})


# --------------------------------------------------------------------------------------------------
# the balance


def pearl_factor(engel, a: float = 1.0, b: float = 1.0):
    """L = 1 / (1 + a exp(−b t)), t = 1/En − 3 (methods.md §4.3)."""
    t = 1.0 / np.asarray(engel, dtype=float) - 3.0
    return 1.0 / (1.0 + a * np.exp(-b * t))


ALLOWANCE_SHARES = ("gdp", "population", "area")


def merge_balance_inputs(emissions: pd.DataFrame, socioeconomic: pd.DataFrame, *, allowance_share: str = "gdp",
                         pearl: bool = False, check_zones: bool = True, allow_implausible: bool = False
                         ) -> pd.DataFrame:
    """The checked (zone, year) rows of the balance: emissions joined with the socio-economic table.

    Refuses tables whose zones differ, duplicate or missing zone-years, zone-years without socio-economic data,
    GDP or population ≤ 0, a per-capita GDP outside :data:`PCGDP_PLAUSIBLE` (unless ``allow_implausible``), and
    the area share or the Pearl factor without their column. Cheap: it runs before anything is computed.
    """
    em, se = emissions, socioeconomic
    if len(em) == 0:
        raise bad_input("emissions", "the emissions table has no data rows; expected one row per zone and year")
    if check_zones:
        ez = set(em["zone"]) if len(em) else set()
        sz = set(se["zone"])
        extra, miss = sorted(ez - sz), sorted(sz - ez)
        if extra or miss:
            raise bad_input("socioeconomic",
                            f"zones differ between the emissions table and the socio-economic table: only in "
                            f"emissions {extra[:20]}, only in socio-economic {miss[:20]}; make the zone names match")
    check_unique_zone_years(em, "emissions")
    check_unique_zone_years(se, "socioeconomic")
    check_every_zone_every_year(em, "emissions")
    df = em.merge(se, on=["zone", "year"], how="left", validate="one_to_one", indicator=True)
    nomatch = df[df["_merge"] != "both"]
    if not nomatch.empty:
        yrs = sorted(set(nomatch["year"]))
        raise bad_input("socioeconomic",
                        f"{len(nomatch)} zone-years of the emissions table have no socio-economic row (years "
                        f"{yrs[:10]}; first zone {nomatch['zone'].iloc[0]}); add GDP and population for them")
    df = df.drop(columns="_merge")
    ce = df["emission_tCO2e"].to_numpy(float)
    ca = df["absorption_tCO2"].to_numpy(float)
    g = df["gdp_1e4CNY"].to_numpy(float)
    p = df["population"].to_numpy(float)
    yr = df["year"].to_numpy()
    if not (np.all(np.isfinite(ce)) and np.all(np.isfinite(ca)) and np.all(ce >= 0) and np.all(ca >= 0)):
        raise bad_input("emissions", "emission and absorption must be finite magnitudes ≥ 0 (prepare the table with "
                                     "prepare_emissions); empty is not zero")
    check_positive(g, df["zone"], yr, column="GDP (gdp_1e4CNY)", key="socioeconomic",
                   why="ECC, carbon intensity and the GDP allowance share divide by it (a zero GDP would flip the "
                       "zone's compensation zoning)")
    check_positive(p, df["zone"], yr, column="population", key="socioeconomic",
                   why="the per-capita indicators divide by it")
    check_per_capita_gdp(g, p, df["zone"], yr, key="socioeconomic", allow_implausible=allow_implausible)
    if allowance_share == "area" and "area_ha" not in df:
        raise bad_input("emissions", "allowance_share='area' needs an area_ha column in the emissions table; add "
                                     "it, or share by gdp or population")
    if pearl and "engel" not in df:
        raise bad_input("socioeconomic", "the Pearl factor needs an 'engel' column (share of food in consumption, "
                                         "0-1); add it, or do without the Pearl factor")
    return df


def carbon_balance(emissions: pd.DataFrame, socioeconomic: pd.DataFrame, *, price_cny_per_tco2: float = 79.42,
                   band: float = 0.2, allowance_share: str = "gdp", pearl: bool = False,
                   value_z: float = 0.5, check_zones: bool = True, allow_implausible: bool = False) -> pd.DataFrame:
    """Balance indicators, zoning and compensation value per zone and year (methods.md §4).

    ``emissions``: zone, year, emission_tCO2e, absorption_tCO2 (magnitudes). ``socioeconomic``: the output of
    :func:`prepare_socioeconomic` (gdp_1e4CNY, population, optional engel). ``price_cny_per_tco2``: carbon price
    per t CO2 (resolve units with :func:`landcarbon.models.coefficients.carbon_price` first).
    ``allowance_share``: how θ_i = NCE × s_i is shared: ``gdp`` (default), ``population`` or ``area`` (needs area_ha).
    GDP and population must be > 0 in every zone-year (ECC, CI and per-capita values divide by them); a
    per-capita GDP outside :data:`PCGDP_PLAUSIBLE` is refused as a unit error unless ``allow_implausible``.
    """
    try:
        band = float(band)
        price = float(price_cny_per_tco2)
        value_z = float(value_z)
    except (TypeError, ValueError):
        raise bad_input("price", f"band {band!r}, price {price_cny_per_tco2!r} and value_z {value_z!r} must be "
                                 f"numbers") from None
    if not 0 <= band < 1:
        raise bad_input("band", f"band b = {band:g}; expected 0 ≤ b < 1 (default 0.2)")
    if not (np.isfinite(price) and price >= 0):
        raise bad_input("price", f"carbon price {show(price_cny_per_tco2)} CNY/t CO2; expected a number ≥ 0")
    if not (np.isfinite(value_z) and value_z > 0):
        raise bad_input("value_z", f"z-score threshold {value_z:g}; expected a number > 0 (default 0.5)")
    if allowance_share not in ALLOWANCE_SHARES:
        raise bad_input("allowance_share", f"found {allowance_share!r}"
                                           f"{did_you_mean(allowance_share, ALLOWANCE_SHARES)}; expected one of "
                                           f"{list(ALLOWANCE_SHARES)}")
    df = merge_balance_inputs(emissions, socioeconomic, allowance_share=allowance_share, pearl=pearl,
                              check_zones=check_zones, allow_implausible=allow_implausible)
    ce = df["emission_tCO2e"].to_numpy(float)
    ca = df["absorption_tCO2"].to_numpy(float)
    g = df["gdp_1e4CNY"].to_numpy(float)
    p = df["population"].to_numpy(float)
    yr = df["year"].to_numpy()
    # per-year totals, broadcast back to rows (one grouped sum each)
    codes, uniq = pd.factorize(yr)
    CE = np.bincount(codes, ce)[codes]
    CA = np.bincount(codes, ca)[codes]
    G = np.bincount(codes, g)[codes]
    P = np.bincount(codes, p)[codes]
    nce = ce - ca
    NCE = CE - CA
    with np.errstate(divide="ignore", invalid="ignore"):
        ccr = np.where(ce > 0, ca / ce, np.nan)
        ce_share = np.where(CE > 0, ce / CE, np.nan)
        ecc = np.where(ce > 0, (g / G) / ce_share, np.nan)
        esc = np.where((ce > 0) & (CA > 0), (ca / CA) / ce_share, np.nan)
        ccr_r = np.where(CE > 0, CA / CE, np.nan)
        r = ccr / ccr_r
        ci = np.where(g > 0, ce / g, np.nan)
        pc = np.where(p > 0, ce / p, np.nan)
        prod = np.where(ce > 0, g / ce, np.nan)
    out = df.copy()
    out["NCE_tCO2e"] = nce
    out["CCR"] = ccr
    out["CCR_pct"] = ccr * 100.0
    out["CCR_region"] = ccr_r
    out["CCR_relative"] = r
    out["ECC"] = ecc
    out["ESC"] = esc
    out["CI_tCO2e_per_1e4CNY"] = ci
    out["per_capita_tCO2e"] = pc
    out["carbon_productivity_1e4CNY_per_tCO2e"] = prod
    no_em = ce <= 0
    # balance3
    z3 = np.where(r < 1 - band, "payment", np.where(r > 1 + band, "receiving", "balance")).astype(object)
    z3[no_em] = "no_emission"
    out["zone_balance3"] = z3
    out["zone_balance3_zh"] = pd.Series(z3).map(ZONES_BALANCE3).to_numpy()
    # quadrant
    q = np.where(ecc >= 1, np.where(esc >= 1, "low_carbon_maintenance", "economic_development"),
                 np.where(esc >= 1, "carbon_sink_function", "high_carbon_optimisation")).astype(object)
    q[no_em] = "no_emission"
    out["zone_quadrant"] = q
    out["zone_quadrant_zh"] = pd.Series(q).map(ZONES_QUADRANT).to_numpy()
    # compensation value
    out["price_CNY_per_tCO2"] = price
    v = nce * price
    out["value_CNY"] = v
    if allowance_share == "gdp":
        s = np.where(G > 0, g / G, np.nan)
    elif allowance_share == "population":
        s = np.where(P > 0, p / P, np.nan)
    else:  # area
        a = df["area_ha"].to_numpy(float)
        A = np.bincount(codes, a)[codes]
        if np.any(A <= 0):
            raise bad_input("emissions", f"area_ha sums to 0 in year {int(yr[np.flatnonzero(A <= 0)[0]])}; the area "
                                         f"share divides by it: give the zone areas")
        s = a / A
    theta = NCE * s
    out["allowance_tCO2e"] = theta
    va = (nce - theta) * price
    out["value_allowance_CNY"] = va
    if pearl:
        L = pearl_factor(df["engel"].to_numpy(float))
        out["pearl_L"] = L
        out["value_pearl_CNY"] = va * L
    # balance3_value: z-score of V within each year (sample sd) [D]
    vs = pd.Series(v)
    grp = vs.groupby(codes)
    zsc = (vs - grp.transform("mean")) / grp.transform("std")
    zv = np.where(zsc > value_z, "payment", np.where(zsc < -value_z, "receiving", "balance")).astype(object)
    zv[~np.isfinite(zsc.to_numpy())] = "balance"
    out["zone_balance3_value"] = zv
    out["zone_balance3_value_zh"] = pd.Series(zv).map(ZONES_BALANCE3).to_numpy()
    out["status"] = np.where(no_em, "no emission", "")
    return out


def balance_totals(bal: pd.DataFrame) -> pd.DataFrame:
    """Per-year totals: CE, CA, NCE, regional CCR, Σ payments and Σ receipts of each value form."""
    agg = {"emission_tCO2e": "sum", "absorption_tCO2": "sum", "NCE_tCO2e": "sum", "gdp_1e4CNY": "sum",
           "population": "sum"}
    t = bal.groupby("year").agg(agg)
    t["CCR_region"] = t["absorption_tCO2"] / t["emission_tCO2e"]
    for col in ("value_CNY", "value_allowance_CNY", "value_pearl_CNY"):
        if col in bal:
            v = bal[col]
            t[col.replace("value", "payments")] = v.where(v > 0, 0.0).groupby(bal["year"]).sum()
            t[col.replace("value", "receipts")] = (-v.where(v < 0, 0.0)).groupby(bal["year"]).sum()
    for scheme in ("zone_balance3", "zone_quadrant"):
        counts = bal.groupby(["year", scheme]).size().unstack(fill_value=0)
        counts.columns = [f"n_{c}" for c in counts.columns]
        t = t.join(counts)
    return t.reset_index()


# --------------------------------------------------------------------------------------------------
# the spec


def _aliases(table: dict[str, float | None], canonical: str) -> tuple[str, ...]:
    return tuple(k for k, f in table.items() if f is not None and k != canonical)


_T = "t CO2/a"
SPEC = ModelSpec(
    id="balance", version="2", title_en="Carbon balance and compensation zoning", title_zh="碳收支与碳补偿分区",
    methods_ref="methods.md §4",
    doc="Net emission, compensation rate (CCR), economic contribution (ECC) and ecological support (ESC) "
        "coefficients, compensation zoning and compensation value per zone and year.",
    examples=("landcarbon balance --emissions em/emissions_by_zone.csv --socioeconomic se.csv --zones districts.gpkg "
              "--zone-field name --price 79.42 --price-unit 'CNY/t CO2' --out bal",),
    inputs=(
        TableIn("emissions", required=True, label_zh="碳排放表",
                doc="Emissions and sinks per zone and year: the emissions_by_zone.csv of `landcarbon emissions`, or "
                    "a table with zone, year, emission_tCO2e and absorption_tCO2 (t C columns are converted × 44/12)",
                columns=(Column("zone", doc="zone name, as in the zones layer"), Column("year"),
                         Column("emission_tCO2e", "t CO2e/a", aliases=("emission_tCO2", "emission_tC"),
                                doc="CE ≥ 0; emission_tC (t C/a) is converted × 44/12"),
                         Column("absorption_tCO2", _T, aliases=("absorption_tC",),
                                doc="CA ≥ 0, the magnitude of the sinks; absorption_tC is converted × 44/12"),
                         Column("area_ha", "ha", required=False, doc="zone area, for allowance_share area"))),
        Input("emissions_sheet", kind="text", label_zh="碳排放表工作表",
              doc="Sheet of an XLSX emissions table (default: the first sheet)"),
        TableIn("socioeconomic", required=True, label_zh="社会经济表",
                doc="GDP and population per zone and year (units in the column names), optional engel for the "
                    "Pearl factor",
                columns=(Column("zone"), Column("year"),
                         Column("gdp_1e4CNY", "10^4 CNY", aliases=_aliases(_GDP, "gdp_1e4CNY"),
                                doc="GDP > 0: gdp_1e4CNY (万元), gdp_1e8CNY (亿元) or gdp_CNY; a bare gdp is refused"),
                         Column("population", "persons", aliases=_aliases(_POP, "population"),
                                doc="population > 0: population (persons) or population_1e4 (万人)"),
                         Column("engel", "-", required=False, doc="share of food in consumption, 0-1 (Pearl)"))),
        Input("socioeconomic_sheet", kind="text", label_zh="社会经济表工作表",
              doc="Sheet of an XLSX socio-economic table (default: the first sheet)"),
        Input("zones", kind="zones", label_zh="分区",
              doc="Zones for zoning.gpkg and the maps: a vector file (with zone_field) or an integer zone raster "
                  "(zone ids as the table's zone names)"),
        Input("zone_field", kind="text", field_of="zones", label_zh="分区名称字段",
              doc="Field of the zones layer holding the zone names of the emissions table"),
        Input("zone_layer", kind="text", label_zh="分区图层", doc="Layer of a multi-layer zones file"),
        NumberIn("price", units="CNY/t CO2 | CNY/t C", minimum=0, excludes=("price_basis",), label_zh="碳价",
                 doc="Carbon price as a number, in the unit that price_unit gives (a price per t C is converted "
                     "÷ 44/12)"),
        Input("price_unit", kind="choice", choices=PRICE_UNITS, required=Present("price"), label_zh="碳价单位",
              doc="Unit of price; no default: market (ETS) prices are per t CO2"),
        Input("price_basis", kind="choice", choices=price_bases(), default=DEFAULT_PRICE_KEY, label_zh="碳价基准",
              doc="A named price of reference/carbon_prices.csv (with its own unit), used when no price is given"),
        NumberIn("band", units="-", minimum=0, maximum=1, exclusive_maximum=True, default=0.2, label_zh="平衡区带宽",
                 doc="Band b of the balance3 zoning around CCR_R: payment r < 1 − b, receiving r > 1 + b"),
        NumberIn("value_z", units="-", minimum=0, exclusive_minimum=True, default=0.5, advanced=True,
                 label_zh="价值分区阈值", doc="z-score threshold of the balance3_value zoning"),
        Input("allowance_share", kind="choice", choices=ALLOWANCE_SHARES, default="gdp", label_zh="配额分摊依据",
              doc="How the regional net emission is shared in the allowance form of the value (area needs area_ha "
                  "in the emissions table)"),
        Input("pearl", kind="flag", default=False, label_zh="皮尔支付意愿修正",
              doc="Apply the Pearl willingness-to-pay factor (needs engel in the socio-economic table)"),
        TableIn("stock_change", label_zh="碳储量变化表",
                doc="Sinks from the carbon-stock change instead of the coefficient sinks (never both): zone, "
                    "delta_MgC, t1, t2; losses are added to the emissions",
                columns=(Column("zone"), Column("delta_MgC", "Mg C", doc="C(t2) − C(t1)"), Column("t1", "year"),
                         Column("t2", "year"))),
        Input("stock_change_sheet", kind="text", label_zh="碳储量变化表工作表",
              doc="Sheet of an XLSX stock-change table (default: the first sheet)"),
        Input("map_year", kind="year", label_zh="制图年份",
              doc="Year of zoning.gpkg and the maps, one of the emissions table's years (default: the latest)"),
        Input("allow_implausible", kind="flag", default=False, label_zh="允许异常值",
              doc="Accept a per-capita GDP outside 100-10^7 CNY/person (otherwise refused as a suspected unit "
                  "error)"),
        Input("lang", kind="choice", choices=("en", "zh"), default="en", label_zh="图表语言",
              doc="Language of the zoning maps"),
    ),
    outputs=(
        TableOut("balance_by_zone.csv", doc="Balance indicators, zoning and compensation value per zone and year",
                 doc_zh="分区逐年碳收支指标、补偿分区与补偿价值", columns=(
                     Column("zone"), Column("year"), Column("emission_tCO2e", "t CO2e/a"),
                     Column("absorption_tCO2", _T), Column("gdp_1e4CNY", "10^4 CNY"), Column("population", "persons"),
                     Column("NCE_tCO2e", "t CO2e/a"), Column("CCR", "-"), Column("CCR_pct", "%"),
                     Column("CCR_region", "-"), Column("CCR_relative", "-"), Column("ECC", "-"), Column("ESC", "-"),
                     Column("CI_tCO2e_per_1e4CNY", "t CO2e/10^4 CNY"), Column("per_capita_tCO2e", "t CO2e/person"),
                     Column("carbon_productivity_1e4CNY_per_tCO2e", "10^4 CNY/t CO2e"), Column("zone_balance3"),
                     Column("zone_quadrant"), Column("zone_balance3_value"),
                     Column("price_CNY_per_tCO2", "CNY/t CO2"), Column("value_CNY", "CNY/a"),
                     Column("allowance_tCO2e", "t CO2e/a"), Column("value_allowance_CNY", "CNY/a"),
                     Column("value_pearl_CNY", "CNY/a", required=False, doc="with pearl"))),
        TableOut("balance_totals.csv", doc="Per-year totals, regional CCR, payments and receipts, the value basis",
                 doc_zh="逐年合计、区域碳补偿率、支付与受偿总额及价值依据", columns=(
                     Column("year"), Column("emission_tCO2e", "t CO2e/a"), Column("absorption_tCO2", _T),
                     Column("NCE_tCO2e", "t CO2e/a"), Column("CCR_region", "-"),
                     Column("payments_allowance_CNY", "CNY/a"), Column("receipts_allowance_CNY", "CNY/a"),
                     Column("price_CNY_per_tCO2", "CNY/t CO2"), Column("value_basis"))),
        TableOut("compensation_transfers.csv", doc="Transfers payer → receiver per year (proportional rule)",
                 doc_zh="逐年补偿转移（支付方 → 受偿方）", columns=(
                     Column("year"), Column("payer"), Column("receiver"), Column("amount_CNY", "CNY/a"),
                     Column("value_form"))),
        Output("zoning.gpkg", kind="vector", when=Present("zones"),
               doc="The zones with the indicators and zoning of map_year", doc_zh="制图年份的分区指标与补偿分区图层"),
        Output("zoning_*.png", kind="figure", when=Present("zones"), doc="Choropleths of the balance3 and quadrant "
               "zoning (drawn by the command)", doc_zh="补偿分区专题图"),
        Output("zoning_*.svg", kind="figure", when=Present("zones"), doc="The choropleths as SVG",
               doc_zh="补偿分区专题图（SVG）"),
    ),
)
