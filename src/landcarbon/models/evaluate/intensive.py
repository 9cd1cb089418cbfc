"""节约集约用地评价: regional intensive land-use evaluation (methods.md §11, TD/T 1018-2008 structure [L]).

Input: one row per zone with any of (units in the names)

    pop_t1, pop_t2                         urban + rural residents (persons)
    gdp_t1, gdp_t2                         GDP or 2nd + 3rd industry value added (10⁴ CNY, constant prices)
    land_t1_ha, land_t2_ha                 construction land (ha) — e.g. built-up area from the maps
    land_ur_t1_ha, land_ur_t2_ha           urban–rural construction land (ha; default: construction land)
    stock_supply_ha, total_supply_ha       land supplied from the stock (存量) and in all (ha)
    supplied_ha, approved_ha               land supplied and land approved (ha)

Indicators (direction + larger is better, − smaller is better):

    pop_density_person_per_km2          = pop_t2 / land_ur_t2                      +
    econ_intensity_1e4CNY_per_km2       = gdp_t2 / land_t2                         +
    land_per_new_resident_m2_per_person = ΔL_UR / ΔP                               −
    land_per_gdp_growth_m2_per_1e4CNY   = ΔL / ΔGDP                                −
    land_per_gdp_decline_pct            = 100 × [1 − (L_t2/GDP_t2)/(L_t1/GDP_t1)]  +
    pei                                 = land growth rate / population growth rate   −
    eei                                 = land growth rate / GDP growth rate          −
    stock_supply_ratio_pct              = 100 × stock supply / total supply        +
    supply_approval_ratio_pct           = 100 × supplied / approved                +

Growth rates are (x_t2 − x_t1)/x_t1. A ratio whose denominator growth is ≤ 0 is undefined: it is
flagged, and the indicator is left out of the composite (reported), never read as 0.

Scores: ideal-value S = min(100, 100 x/x*) (+) or min(100, 100 x*/x) (−; x ≤ 0 scores 100) when
the user gives ideal values x*, else min–max over the compared zones (the report says so). Index
I = Σ w_j S_j, weights entropy (§6.2, default), user (Σ = 1) or AHP. Grades [D]: I ≥ 80 高度集约,
60–80 中度集约, 40–60 低度集约, < 40 粗放.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...core.errors import InputValidationError
from ...core.spec import Column, Input, ModelSpec, TableIn, TableOut
from ..weights import bad_input, entropy_weights, show, unknown_names
from .ahp import ahp_weights, check_weights

INDICATORS: dict[str, tuple[int, str, str]] = {
    "pop_density_person_per_km2": (1, "use intensity 利用强度", "person/km2"),
    "econ_intensity_1e4CNY_per_km2": (1, "use intensity 利用强度", "1e4 CNY/km2"),
    "land_per_new_resident_m2_per_person": (-1, "growth consumption 增长耗地", "m2/person"),
    "land_per_gdp_growth_m2_per_1e4CNY": (-1, "growth consumption 增长耗地", "m2/1e4 CNY"),
    "land_per_gdp_decline_pct": (1, "growth consumption 增长耗地", "%"),
    "pei": (-1, "elasticity 用地弹性", "-"),
    "eei": (-1, "elasticity 用地弹性", "-"),
    "stock_supply_ratio_pct": (1, "management 管理绩效", "%"),
    "supply_approval_ratio_pct": (1, "management 管理绩效", "%"),
}

_IN_COLUMNS = (("pop_t1", "persons", "residents (urban + rural) at t1"), ("pop_t2", "persons", "residents at t2"),
               ("gdp_t1", "1e4 CNY", "GDP (or 2nd + 3rd industry value added) at t1, constant prices"),
               ("gdp_t2", "1e4 CNY", "GDP at t2"), ("land_t1_ha", "ha", "construction land at t1"),
               ("land_t2_ha", "ha", "construction land at t2"),
               ("land_ur_t1_ha", "ha", "urban-rural construction land at t1 (default: construction land)"),
               ("land_ur_t2_ha", "ha", "urban-rural construction land at t2"),
               ("stock_supply_ha", "ha", "land supplied from the stock (存量)"),
               ("total_supply_ha", "ha", "land supplied in all"), ("supplied_ha", "ha", "land supplied"),
               ("approved_ha", "ha", "land approved"))

SPEC = ModelSpec(
    id="intensive", version="2", title_en="Intensive land-use evaluation", title_zh="节约集约用地评价",
    methods_ref="methods.md §11",
    doc="Indicators of use intensity, growth consumption, elasticity and management per zone, 0-100 scores "
        "(ideal values or min-max), weights (entropy by default, user or AHP), composite index and grade.",
    examples=("landcarbon evaluate intensive --table zones.csv --out intensive/",),
    inputs=(
        TableIn("table", required=True, label_zh="分区统计表", metavar="CSV|XLSX",
                doc="One row per zone: a zone column and any of the columns below (units as named)",
                columns=tuple(Column(c, u, required=False, doc=d) for c, u, d in _IN_COLUMNS)),
        Input("table_sheet", kind="text", label_zh="工作表", doc="Sheet of an XLSX table (its name)"),
        Input("zone_column", kind="text", default="zone", label_zh="分区列", doc="Column of the table naming the zones"),
        TableIn("weights", label_zh="指标权重", excludes=("ahp_matrix",),
                doc="User weights: indicator, weight (one per usable indicator, summing to 1, or set "
                    "normalise_weights)", columns=(Column("indicator", required=False),
                                                   Column("weight", "-", required=False))),
        TableIn("ahp_matrix", label_zh="AHP 判断矩阵", aliases=("--ahp",),
                doc="AHP pairwise-comparison matrix over the indicators (first column and header = names)"),
        TableIn("ideals", label_zh="理想值", doc="Ideal values: indicator, ideal (one per indicator, no defaults; "
                                              "ideal-value scoring instead of min-max)",
                columns=(Column("indicator", required=False), Column("ideal", "indicator unit", required=False))),
        Input("normalise_weights", kind="flag", default=False, label_zh="权重归一化",
              doc="Divide user weights by their sum instead of refusing weights that do not sum to 1"),
        Input("force_ahp", kind="flag", default=False, label_zh="强制使用 AHP",
              doc="Use an AHP matrix even when its consistency ratio CR ≥ 0.1 (recorded as a warning)"),
        Input("allow_implausible", kind="flag", default=False, label_zh="允许异常值",
              doc="Accept a population density of construction land outside 50-200 000 persons/km² (otherwise "
                  "refused as a suspected unit error: 10^4 persons, or land in km² or m²)"),
    ),
    outputs=(
        TableOut("indicators.csv", doc="The indicators per zone (units in the column names)", doc_zh="评价指标值",
                 columns=(Column("zone"),)),
        TableOut("scores.csv", doc="0-100 score of each indicator per zone", doc_zh="指标得分（0-100）",
                 columns=(Column("zone"),)),
        TableOut("weights.csv", doc="Indicator weights, direction, target layer and method", doc_zh="指标权重",
                 columns=(Column("indicator"), Column("weight", "-"), Column("direction"), Column("method"))),
        TableOut("composite.csv", doc="Composite index (0-100), grade and rank per zone",
                 doc_zh="节约集约综合指数与等级",
                 columns=(Column("zone"), Column("index", "score 0-100"), Column("grade_zh"), Column("grade_en"),
                          Column("rank"))),
    ),
)

#: elasticity convention (熊柴 & 蔡继明 2014 document it and argue it has no sound basis) [V]
ELASTICITY_CONVENTION = 1.12

#: grade bands of the composite index [D]
GRADES: tuple[tuple[float, str, str], ...] = ((80.0, "高度集约", "highly intensive"),
                                              (60.0, "中度集约", "moderately intensive"),
                                              (40.0, "低度集约", "slightly intensive"),
                                              (-np.inf, "粗放", "extensive"))


#: plausible population density of (urban–rural) construction land, person/km² [D]: 50–200 000, i.e. 20 to
#: 20 000 m² of construction land per resident. Outside it a unit is suspected (override: allow_implausible)
DENSITY_PLAUSIBLE = (50.0, 200_000.0)

#: the input columns that are numbers (units in the names)
NUMERIC_COLUMNS = ("pop_t1", "pop_t2", "gdp_t1", "gdp_t2", "land_t1_ha", "land_t2_ha", "land_ur_t1_ha",
                   "land_ur_t2_ha", "stock_supply_ha", "total_supply_ha", "supplied_ha", "approved_ha")


@dataclass
class IntensiveResult:
    indicators: pd.DataFrame
    scores: pd.DataFrame
    weights: pd.Series
    composite: pd.DataFrame
    flags: list[str] = field(default_factory=list)
    scoring: str = "minmax"
    weighting: str = "entropy"
    #: the sum of the user weights when they were normalised on request (normalise_weights=True), else None
    weights_normalised_from: float | None = None

    def weights_frame(self) -> pd.DataFrame:
        df = self.weights.rename("weight").rename_axis("indicator").reset_index()
        df["direction"] = [INDICATORS[i][0] for i in df["indicator"]]
        df["target"] = [INDICATORS[i][1] for i in df["indicator"]]
        df["method"] = self.weighting
        if self.weights_normalised_from is not None:
            df["normalised_from_sum"] = self.weights_normalised_from
        return df


def _col(df: pd.DataFrame, name: str) -> pd.Series | None:
    if name not in df.columns:
        return None
    v = pd.to_numeric(df[name], errors="coerce")
    bad = v.isna()
    if bad.any():
        z = df.index[bad][0]
        raise bad_input("zones", f"column {name!r} is empty or not a number for zone {z} ({show(df.loc[z, name])}); "
                                 f"empty is not zero: fill it, or drop the column to leave its indicators out")
    return v.astype(float)


def check_plausible(ind: pd.DataFrame, *, allow_implausible: bool = False) -> None:
    """Refuse a population density of construction land outside :data:`DENSITY_PLAUSIBLE`: a unit mix-up
    (population in 10^4 persons, land in km² or m²) is far likelier than such a density."""
    if allow_implausible or "pop_density_person_per_km2" not in ind:
        return
    d = ind["pop_density_person_per_km2"]
    lo, hi = DENSITY_PLAUSIBLE
    low, high = d[d < lo], d[d > hi]
    if len(low):
        raise bad_input("zones", f"zone {low.index[0]} has {low.iloc[0]:.4g} persons per km² of construction land, "
                                 f"below the plausible {lo:g}; population looks like 10^4 persons (万人) or land like "
                                 f"m²: give population in persons and land in ha, or pass allow_implausible=True if "
                                 f"the value is right")
    if len(high):
        raise bad_input("zones", f"zone {high.index[0]} has {high.iloc[0]:.4g} persons per km² of construction "
                                 f"land, above the plausible {hi:g}; land looks like km² (or 10^4 m²) rather than ha: "
                                 f"give land in ha, or pass allow_implausible=True if the value is right")


def _growth(a: pd.Series, b: pd.Series) -> pd.Series:
    return (b - a) / a.where(a != 0)


def compute_indicators(zones: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The §11.1 indicators that the given columns allow; returns (indicators, flags)."""
    z = zones
    flags: list[str] = []
    out = pd.DataFrame(index=z.index)
    p1, p2 = _col(z, "pop_t1"), _col(z, "pop_t2")
    g1, g2 = _col(z, "gdp_t1"), _col(z, "gdp_t2")
    l1, l2 = _col(z, "land_t1_ha"), _col(z, "land_t2_ha")
    u1 = _col(z, "land_ur_t1_ha") if "land_ur_t1_ha" in z else l1
    u2 = _col(z, "land_ur_t2_ha") if "land_ur_t2_ha" in z else l2
    for s, name in ((p1, "pop_t1"), (p2, "pop_t2"), (g1, "gdp_t1"), (g2, "gdp_t2"), (l1, "land_t1_ha"),
                    (l2, "land_t2_ha")):
        if s is not None and (s < 0).any():
            raise InputValidationError(f"{name} has negative values {s[s < 0].to_dict()}; expected >= 0")
    if p2 is not None and u2 is not None:
        out["pop_density_person_per_km2"] = p2 / (u2 / 100.0).where(u2 > 0)
    if g2 is not None and l2 is not None:
        out["econ_intensity_1e4CNY_per_km2"] = g2 / (l2 / 100.0).where(l2 > 0)
    if p1 is not None and p2 is not None and u1 is not None and u2 is not None:
        dp = p2 - p1
        out["land_per_new_resident_m2_per_person"] = (u2 - u1) * 10_000.0 / dp.where(dp > 0)
    if g1 is not None and g2 is not None and l1 is not None and l2 is not None:
        dg = g2 - g1
        out["land_per_gdp_growth_m2_per_1e4CNY"] = (l2 - l1) * 10_000.0 / dg.where(dg > 0)
        out["land_per_gdp_decline_pct"] = 100.0 * (1.0 - (l2 / g2) / (l1 / g1).where((l1 > 0) & (g1 > 0)))
        rg = _growth(g1, g2)
        out["eei"] = _growth(l1, l2) / rg.where(rg > 0)
    if p1 is not None and p2 is not None and l1 is not None and l2 is not None:
        rp = _growth(p1, p2)
        out["pei"] = _growth(u1, u2) / rp.where(rp > 0)
        over = out["pei"] > ELASTICITY_CONVENTION
        for zname in out.index[over.fillna(False)]:
            flags.append(f"{zname}: population-land elasticity {out.loc[zname, 'pei']:.3f} > "
                         f"{ELASTICITY_CONVENTION} (a convention only; 熊柴 & 蔡继明 2014 argue it has no sound basis)")
    if "stock_supply_ha" in z and "total_supply_ha" in z:
        t = _col(z, "total_supply_ha")
        out["stock_supply_ratio_pct"] = 100.0 * _col(z, "stock_supply_ha") / t.where(t > 0)
    if "supplied_ha" in z and "approved_ha" in z:
        a = _col(z, "approved_ha")
        out["supply_approval_ratio_pct"] = 100.0 * _col(z, "supplied_ha") / a.where(a > 0)
    for c in out.columns:
        bad = out.index[out[c].isna()]
        if len(bad):
            flags.append(f"{c} is undefined for {list(map(str, bad))} (zero or negative denominator growth, or "
                         f"a zero base); left out of the composite")
    if out.shape[1] == 0:
        raise InputValidationError(
            f"no intensive-use indicator can be computed from columns {list(zones.columns)}; give at least "
            f"pop_t2 and land_t2_ha, or gdp_t2 and land_t2_ha (methods.md §11.1)")
    return out, flags


def score_indicators(ind: pd.DataFrame, *, ideals: Mapping[str, float] | None = None) -> tuple[pd.DataFrame, str]:
    """0–100 scores: ideal-value (when ``ideals`` cover every indicator) or min–max across the zones."""
    if ideals:
        unknown_names("ideals", "indicators in the ideal values", list(ideals), list(INDICATORS))
        missing = [c for c in ind.columns if c not in ideals]
        if missing:
            raise bad_input("ideals", f"ideal values missing for indicators {missing}; give one per indicator "
                                      f"(they have no defaults, methods.md §11.2) or use min-max scoring")
        s = pd.DataFrame(index=ind.index)
        for c in ind.columns:
            x = ind[c]
            try:
                xs = float(ideals[c])
            except (TypeError, ValueError):
                xs = np.nan
            if not xs > 0 or not np.isfinite(xs):
                raise bad_input("ideals", f"ideal value of {c} is {ideals[c]!r}; expected a number > 0")
            if INDICATORS[c][0] > 0:
                s[c] = np.minimum(100.0, 100.0 * x / xs)
            else:
                s[c] = np.where(x <= 0, 100.0, np.minimum(100.0, 100.0 * xs / x.where(x > 0)))
        return s, "ideal"
    lo, hi = ind.min(), ind.max()
    span = (hi - lo).replace(0, np.nan)
    s = pd.DataFrame(index=ind.index)
    for c in ind.columns:
        if np.isnan(span[c]):
            s[c] = 100.0
        elif INDICATORS[c][0] > 0:
            s[c] = 100.0 * (ind[c] - lo[c]) / span[c]
        else:
            s[c] = 100.0 * (hi[c] - ind[c]) / span[c]
    return s, "minmax"


def grade(index: float) -> tuple[str, str]:
    for lo, zh, en in GRADES:
        if index >= lo:
            return zh, en
    return GRADES[-1][1], GRADES[-1][2]  # pragma: no cover


def evaluate_intensive(zones: pd.DataFrame, *, weights: Mapping[str, float] | None = None,
                       ahp_matrix: Any = None, force_ahp: bool = False, ideals: Mapping[str, float] | None = None,
                       indicators: Sequence[str] | None = None, normalise_weights: bool = False,
                       allow_implausible: bool = False) -> IntensiveResult:
    """Indicators, scores, weights, composite index and grade by zone (rows of ``zones``).

    User ``weights`` must sum to 1; ``normalise_weights=True`` divides them by their sum instead (recorded in
    ``weights_normalised_from``). A population density outside :data:`DENSITY_PLAUSIBLE` is refused as a
    suspected unit error unless ``allow_implausible=True``.
    """
    if len(zones) == 0:
        raise bad_input("zones", "the zone table has no data rows; expected one row per zone: give the zones")
    if zones.index.duplicated().any():
        dup = sorted(set(map(str, zones.index[zones.index.duplicated()])))
        raise bad_input("zones", f"zones {dup} appear more than once; expected one row per zone: remove the "
                                 f"duplicates")
    if weights is not None and ahp_matrix is not None:
        raise bad_input("weights", "both user weights and an AHP matrix were given, and only one can be used; "
                                   "give one of them")
    ind, flags = compute_indicators(zones)
    check_plausible(ind, allow_implausible=allow_implausible)
    if indicators is not None:
        unknown_names("indicators", "indicators", list(indicators), list(INDICATORS))
        absent = [i for i in indicators if i not in ind.columns]
        if absent:
            raise InputValidationError(f"indicators {absent} cannot be computed from the given columns")
        ind = ind[list(indicators)]
    usable = [c for c in ind.columns if ind[c].notna().all()]
    if not usable:
        raise InputValidationError("every indicator is undefined for some zone; nothing to aggregate (see flags)")
    scores, scoring = score_indicators(ind[usable], ideals=ideals)
    normalised_from = None
    if weights is not None:
        left_out = [k for k in weights if k in INDICATORS and k not in usable]
        if left_out:
            raise bad_input("weights", f"indicators {left_out} have weights but cannot be used (not computable from "
                                       f"the columns, or undefined for some zone: {'; '.join(flags) or 'no flags'}); "
                                       f"drop their weights and give weights for {usable}")
        w = check_weights(weights, usable, what="indicator weights", normalise=normalise_weights)
        normalised_from = w.attrs.get("normalised_from_sum")
        how = "user" if normalised_from is None else f"user (normalised from a sum of {normalised_from:g})"
    elif ahp_matrix is not None:
        res = ahp_weights(ahp_matrix, usable if not isinstance(ahp_matrix, pd.DataFrame) else None, force=force_ahp)
        w = res.weights.reindex(usable)
        if w.isna().any():
            raise InputValidationError(f"AHP matrix criteria {list(res.weights.index)} differ from the usable "
                                       f"indicators {usable}")
        how = f"ahp (CR = {res.cr:.4f})"
    else:
        if len(ind) < 2:
            raise InputValidationError("entropy weights need at least 2 zones; give user weights for one zone")
        w = entropy_weights(ind[usable], [INDICATORS[c][0] for c in usable])
        how = "entropy"
    idx = (scores[usable] * w).sum(axis=1)
    comp = pd.DataFrame({"index": idx})
    comp["grade_zh"] = [grade(v)[0] for v in idx]
    comp["grade_en"] = [grade(v)[1] for v in idx]
    comp["rank"] = idx.rank(ascending=False, method="min").astype(int)
    return IntensiveResult(ind, scores, w, comp, flags, scoring, how, normalised_from)
