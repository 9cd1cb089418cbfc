"""Ecosystem service value from Xie Gaodi's equivalent-factor tables (methods.md §12.4).

    E_a      = (1/7) × Σ_g (m_g × p_g × q_g) / M        value of one standard equivalent (CNY/ha)
    VC_{k,f} = E_a × r × e_{k,f}                        value coefficient (CNY/(ha·a)); r = regional factor
    ESV      = Σ_k Σ_f A_k × VC_{k,f}                   (CNY/a)

Tables: ``reference/xie2015_equivalents.csv`` (谢高地, 张彩霞, 张雷明 et al. 2015 自然资源学报 30(8),
14 types × 11 services) and ``reference/xie2003_equivalents.csv`` (谢高地 et al. 2003 自然资源学报 18(2),
6 types × 9 services). The two are never mixed in one comparison.

Default crosswalk from the six national groups [D; every entry a user parameter]:
2015 — cropland = φ × 水田 + (1 − φ) × 旱地 (φ = paddy share, required, no default); forest = 针阔混交;
grassland = mean of 草原 and 草甸; water = 水系; built-up = 0; unused = 裸地.
2003 — cropland = 农田; forest = 森林; grassland = 草地; water = 水体; built-up = 0; unused = 荒漠.
``r`` (NPP or biomass adjustment) is an option [L], default 1.
"""

from __future__ import annotations

import io as _io
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...core.classes import GROUPS
from ...core.errors import InputValidationError
from ...core.spec import Absent, AnyOf, Column, Equals, Input, ModelSpec, NumberIn, Present, TableIn, TableOut
from ..weights import bad_input, did_you_mean, show, unknown_names
from .common import ALIGN, ZONE_INPUTS
from .suitability import _ref_text

TABLES = {"2015": "xie2015_equivalents.csv", "2003": "xie2003_equivalents.csv"}
#: plausible value of one standard equivalent E_a (CNY/ha) [D]: Xie 2015 gives 3 406.50 CNY/ha nationally (2010
#: prices); outside this band a unit (10^4 CNY/ha, CNY/mu, fen) is likelier than the value
UNIT_VALUE_PLAUSIBLE = (100.0, 50_000.0)
CITATIONS = {"2015": "谢高地, 张彩霞, 张雷明 et al. 2015 自然资源学报 30(8):1243–1254",
             "2003": "谢高地 et al. 2003 自然资源学报 18(2):189–196"}

SPEC = ModelSpec(
    id="esv", version="2", title_en="Ecosystem service value (Xie equivalents)", title_zh="生态系统服务价值",
    methods_ref="methods.md §12.4",
    doc="ESV = Σ_k Σ_f A_k × E_a × r × e_kf by zone, national group and service for land-use maps and scenario "
        "demand tables, and its change between consecutive ones (Xie 2015 or 2003 equivalents, never mixed).",
    examples=("landcarbon evaluate esv --landuse lu2010.tif sim2030.tif --years 2010 2030 --scheme national6 \\",
              "    --xie-table 2015 --crops crops.csv --paddy-share 0.6 --price-year 2020 --out esv/"),
    inputs=(
        Input("landuse", kind="landuse", multiple=True, label_zh="土地利用图", metavar="TIF", aliases=("--map",),
              doc="Land-use maps, oldest first, on one grid (or set align); ESV changes between consecutive ones"),
        Input("years", kind="year", multiple=True, order="strictly_increasing", minimum=1800, maximum=2200,
              label_zh="年份", excludes=("labels",),
              doc="Year of each map, oldest first: they label the maps (default: the file names)"),
        Input("labels", kind="text", multiple=True, label_zh="图名", doc="Label of each map (scenario names), when "
              "they are not dated"),
        Input("demand", kind="pair", multiple=True, metavar="LABEL=CSV", label_zh="情景需求表",
              doc="Scenario demand tables LABEL=CSV (code, cells; e.g. optimize's demand.csv), compared after the "
                  "maps on the whole area"),
        NumberIn("cell_area_ha", units="ha", exclusive_minimum=True, minimum=0, label_zh="像元面积",
                 aliases=("--cell-area",), doc="Cell area of the demand tables when no map is given"),
        Input("scheme", kind="scheme", required=True, label_zh="分类体系", metavar="NAME|CSV",
              doc="Class scheme: a built-in name or a CSV/XLSX (code, group): maps codes to national groups"),
        Input("xie_table", kind="choice", choices=tuple(TABLES), default="2015", aliases=("--table",), label_zh="当量因子表", doc="Xie equivalent-factor table: 2015 (14 types x 11 "
                                                           "services) or 2003 (6 types x 9 services)"),
        NumberIn("unit_value_CNY_per_ha", units="CNY/ha", minimum=0, exclusive_minimum=True, flag="--unit-value",
                 excludes=("crops",), label_zh="标准当量价值", required=Absent("crops"),
                 doc="Value E_a of one standard equivalent (e.g. 3406.50 CNY/ha, Xie 2015 at national 2010 prices "
                     "[L]), or give crops"),
        TableIn("crops", label_zh="粮食作物表", metavar="CSV|XLSX",
                doc="Main grain crops for E_a by the 1/7 rule: sown area, price and yield of each",
                columns=(Column("sown_area_ha", "ha"), Column("price_CNY_per_kg", "CNY/kg"),
                         Column("yield_kg_per_ha", "kg/ha"))),
        Input("crops_sheet", kind="text", label_zh="工作表", doc="Sheet of an XLSX crops table (its name)"),
        NumberIn("paddy_share", units="-", minimum=0, maximum=1, label_zh="水田比例",
                 required=Equals("xie_table", "2015"),
                 doc="Paddy share φ of cropland (0-1, from statistics; Xie 2015 only: cropland = φ paddy + (1 - φ) "
                     "dry farmland)"),
        NumberIn("regional_factor", units="-", default=1.0, minimum=0, exclusive_minimum=True, label_zh="区域修正系数",
                 doc="Regional factor r (NPP or biomass adjustment [L]; 1 = none)"),
        Input("price_year", kind="year", minimum=1800, maximum=2200, label_zh="价格年份",
              doc="Price year of E_a (recorded and printed with the values)"),
        Input("allow_implausible", kind="flag", default=False, label_zh="允许异常值",
              doc="Accept a standard-equivalent value E_a outside 100-50 000 CNY/ha (otherwise refused as a unit "
                  "error: 10^4 CNY/ha, CNY/mu or fen)"),
        *ZONE_INPUTS, ALIGN,
    ),
    outputs=(
        TableOut("esv_by_zone_group_service.csv", doc="ESV per map, zone, national group and service",
                 doc_zh="各图、分区、地类、服务的生态系统服务价值",
                 columns=(Column("map"), Column("zone"), Column("group"), Column("area_ha", "ha"), Column("service"),
                          Column("vc_CNY_per_ha_yr", "CNY/(ha·a)"), Column("esv_CNY_per_yr", "CNY/a"))),
        TableOut("value_coefficients_CNY_per_ha_yr.csv", doc="Value coefficients VC per group and service",
                 doc_zh="价值系数", columns=(Column("group"),)),
        TableOut("esv_change.csv", when=AnyOf((Present("demand"), Present("years"))),
                 doc="ESV of consecutive maps/scenarios and the change by zone and group (written for two or more)",
                 doc_zh="生态系统服务价值变化",
                 columns=(Column("from_to"), Column("group"), Column("change_CNY_per_yr", "CNY/a"),
                          Column("change_area_ha", "ha"))),
    ),
)

DEFAULT_CROSSWALK: dict[str, dict[str, dict[str, float]]] = {
    "2015": {"forest": {"mixed forest": 1.0}, "grassland": {"steppe": 0.5, "meadow": 0.5},
             "water": {"water body": 1.0}, "built_up": {}, "unused": {"bare land": 1.0}},
    "2003": {"cropland": {"farmland": 1.0}, "forest": {"forest": 1.0}, "grassland": {"grassland": 1.0},
             "water": {"water": 1.0}, "built_up": {}, "unused": {"desert/unused": 1.0}},
}


def load_equivalents(version: str = "2015") -> pd.DataFrame:
    """Equivalent factors (dimensionless), index = English type name, one column per service, plus ``tag``."""
    v = str(version)
    if v not in TABLES:
        raise bad_input("version", f"Xie equivalent table {version!r} is unknown; expected '2015' or '2003'"
                                   f"{did_you_mean(v, TABLES)}")
    df = pd.read_csv(_io.StringIO(_ref_text(TABLES[v])))
    return df.set_index("type_en")


def services(version: str = "2015") -> list[str]:
    return [c for c in load_equivalents(version).columns if c not in ("type_cn", "tag")]


def unit_value(crops: pd.DataFrame) -> float:
    """E_a = (1/7) Σ m p q / M (CNY/ha) from main grain crops (sown area ha, price CNY/kg, yield kg/ha)."""
    need = ["sown_area_ha", "price_CNY_per_kg", "yield_kg_per_ha"]
    miss = [c for c in need if c not in crops.columns]
    if miss:
        raise InputValidationError(f"crop table lacks columns {miss}; expected {need} (one row per main grain crop)")
    c = crops[need].apply(pd.to_numeric, errors="coerce")
    if len(c) == 0:
        raise bad_input("crops", "the crop table has no data rows; expected one row per main grain crop")
    if (c < 0).any().any() or c.isna().any().any():
        col = next(k for k in need if (c[k] < 0).any() or c[k].isna().any())
        raise bad_input("crops", f"column {col!r} has negative, empty or non-numeric values "
                                 f"{list(crops.loc[(c[col] < 0) | c[col].isna(), col])}; expected numbers ≥ 0: give "
                                 f"sown area (ha), price (CNY/kg) and yield (kg/ha) of every crop")
    m = c["sown_area_ha"].sum()
    if m <= 0:
        raise InputValidationError("crop table: total sown area is 0")
    return float((c["sown_area_ha"] * c["price_CNY_per_kg"] * c["yield_kg_per_ha"]).sum() / m / 7.0)


@dataclass(frozen=True)
class ESVCoefficients:
    """Value coefficients VC (CNY/(ha·a)) per national group (rows) and service (columns)."""

    table: pd.DataFrame
    version: str
    unit_value_CNY_per_ha: float
    regional_factor: float
    crosswalk: dict
    price_year: int | None = None

    @property
    def per_ha(self) -> pd.Series:
        """ESV_k = Σ_f VC_{k,f} (CNY/(ha·a)) per group."""
        return self.table.sum(axis=1).rename("esv_CNY_per_ha_yr")

    def describe(self) -> str:
        py = f", price year {self.price_year}" if self.price_year else ""
        return (f"Xie {self.version} equivalents ({CITATIONS[self.version]}), E_a = {self.unit_value_CNY_per_ha:,.2f} "
                f"CNY/ha{py}, regional factor {self.regional_factor:g}")


def coefficients(version: str = "2015", *, unit_value_CNY_per_ha: float, paddy_share: float | None = None,
                 crosswalk: Mapping[str, Mapping[str, float]] | None = None, regional_factor: float = 1.0,
                 price_year: int | None = None) -> ESVCoefficients:
    """Value coefficients per national group. ``crosswalk`` overrides the default mapping per group
    (``{"forest": {"broadleaf forest": 1.0}}``; weights of the types must sum to 1, {} = no value)."""
    v = str(version)
    eq = load_equivalents(v)
    svc = [c for c in eq.columns if c not in ("type_cn", "tag")]
    if not (_number(unit_value_CNY_per_ha) > 0):
        raise bad_input("unit_value_CNY_per_ha", f"unit value E_a = {unit_value_CNY_per_ha!r}; expected a number > 0 "
                                                 f"CNY/ha (from the crop table, or e.g. 3406.50 CNY/ha for Xie 2015 at "
                                                 f"national 2010 prices [L])")
    if not (_number(regional_factor) > 0):
        raise bad_input("regional_factor", f"regional factor {regional_factor!r}; expected a number > 0 (1 = none)")
    unit_value_CNY_per_ha, regional_factor = float(unit_value_CNY_per_ha), float(regional_factor)
    cw = {g: dict(m) for g, m in DEFAULT_CROSSWALK[v].items()}
    unknown_names("crosswalk", "groups in the ESV crosswalk", list(crosswalk or {}), list(GROUPS))
    if paddy_share is not None and (v != "2015" or (crosswalk and "cropland" in crosswalk)):
        raise bad_input("paddy_share", "is given but not used (it splits Xie 2015 cropland into paddy and dry "
                                       "farmland, and "
                                       + ("the Xie 2003 table has one farmland type" if v != "2015" else
                                          "the crosswalk sets cropland itself") + "): drop it")
    if v == "2015" and not (crosswalk and "cropland" in crosswalk):
        if paddy_share is None:
            raise InputValidationError(
                "Xie 2015 cropland = φ × paddy + (1 − φ) × dry farmland needs the paddy share φ from statistics "
                "(no default, methods.md §12.4); pass paddy_share (0-1) or a cropland crosswalk")
        if not 0 <= _number(paddy_share) <= 1:
            raise bad_input("paddy_share", f"paddy share {paddy_share!r}; expected a fraction 0-1")
        cw["cropland"] = {"paddy": float(paddy_share), "dry farmland": 1.0 - float(paddy_share)}
    for g, m in (crosswalk or {}).items():
        cw[g] = dict(m)
    rows = {}
    for g in GROUPS:
        m = cw.get(g)
        if m is None:
            raise InputValidationError(f"ESV crosswalk has no entry for group {g}")
        unknown_names("crosswalk", f"Xie {v} types in the ESV crosswalk of {g}", list(m), list(eq.index))
        bad = {t: w for t, w in m.items() if not _number(w) >= 0}
        if bad:
            raise bad_input("crosswalk", f"ESV crosswalk {g}: type weights {bad}; expected numbers ≥ 0 summing to 1")
        m = {t: float(w) for t, w in m.items()}
        if m and abs(sum(m.values()) - 1.0) > 1e-6:
            raise bad_input("crosswalk", f"ESV crosswalk {g}: type weights sum to {sum(m.values()):g}; expected 1: "
                                         f"rescale them")
        cw[g] = m
        e = sum((w * eq.loc[t, svc].astype(float) for t, w in m.items()), pd.Series(0.0, index=svc))
        rows[g] = e * unit_value_CNY_per_ha * regional_factor
    table = pd.DataFrame(rows).T.loc[list(GROUPS)]
    table.index.name = "group"
    return ESVCoefficients(table, v, float(unit_value_CNY_per_ha), float(regional_factor), cw, price_year)


def esv(areas: pd.DataFrame, coef: ESVCoefficients) -> pd.DataFrame:
    """ESV by zone × group × service. ``areas``: columns ``group``, ``area_ha`` and optional ``zone``
    (and any extra key columns such as ``scenario`` or ``year``, kept). Returns long rows with
    ``esv_CNY_per_yr``."""
    if "group" not in areas or "area_ha" not in areas:
        raise bad_input("areas", f"ESV areas have columns {list(areas.columns)}; expected 'group' and 'area_ha'")
    unknown_names("areas", "groups in the ESV areas", sorted(set(areas["group"]), key=str), list(GROUPS))
    a = pd.to_numeric(areas["area_ha"], errors="coerce")
    bad_a = ~np.isfinite(a.to_numpy(float)) | (a.to_numpy(float) < 0)
    if bad_a.any():
        r = areas[bad_a].iloc[0]
        raise bad_input("areas", f"area_ha is empty, non-numeric or negative in {int(bad_a.sum())} row(s) (first: "
                                 f"group {r['group']}, {show(r['area_ha'])}); expected ha ≥ 0, empty is not zero: "
                                 f"fix the areas")
    long = coef.table.reset_index().melt(id_vars="group", var_name="service", value_name="vc_CNY_per_ha_yr")
    out = areas.merge(long, on="group", how="left")
    out["esv_CNY_per_yr"] = pd.to_numeric(out["area_ha"]).astype(float) * out["vc_CNY_per_ha_yr"]
    return out


def esv_summary(areas: pd.DataFrame, coef: ESVCoefficients, keys: tuple[str, ...] = ()) -> pd.DataFrame:
    """ESV totals (CNY/a) per key columns (e.g. ``("scenario", "zone")``) and group."""
    det = esv(areas, coef)
    by = [k for k in keys if k in det.columns] + ["group"]
    return det.groupby(by, sort=False, as_index=False).agg(area_ha=("area_ha", "first"),
                                                          esv_CNY_per_yr=("esv_CNY_per_yr", "sum"))


def esv_change(areas_a: pd.DataFrame, areas_b: pd.DataFrame, coef: ESVCoefficients, *,
               label_a: str = "a", label_b: str = "b") -> pd.DataFrame:
    """ESV of two maps or scenarios and the change b − a by zone (if given) and group (CNY/a)."""
    keys = ["zone"] if "zone" in areas_a.columns and "zone" in areas_b.columns else []
    sa = esv_summary(areas_a, coef, tuple(keys))
    sb = esv_summary(areas_b, coef, tuple(keys))
    m = sa.merge(sb, on=keys + ["group"], how="outer", suffixes=(f"_{label_a}", f"_{label_b}")).fillna(0.0)
    m["change_CNY_per_yr"] = m[f"esv_CNY_per_yr_{label_b}"] - m[f"esv_CNY_per_yr_{label_a}"]
    m["change_area_ha"] = m[f"area_ha_{label_b}"] - m[f"area_ha_{label_a}"]
    return m


#: the keys an ESV option set (a plan file's ``[optimize.esv]`` table, a web form) may hold
OPTION_KEYS = ("version", "unit_value_CNY_per_ha", "crops", "paddy_share", "regional_factor", "price_year",
               "crosswalk")


def check_options(options: Mapping[str, object], key: str = "esv") -> None:
    """Refuse unknown keys in an ESV option set with a did-you-mean (a misspelt key is never ignored)."""
    unknown_names(key, "ESV option keys", list(options), OPTION_KEYS)


def _number(x) -> float:
    """``float(x)``, or NaN for anything that is not a number (so every comparison fails)."""
    if isinstance(x, bool):
        return float("nan")
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def group_values(coef: ESVCoefficients) -> dict[str, float]:
    """ESV_k per group (CNY/(ha·a)) for the optimisation objective F4."""
    return {g: float(v) for g, v in coef.per_ha.items()}


def check_not_mixed(*coefs: ESVCoefficients) -> None:
    vs = {c.version for c in coefs}
    if len(vs) > 1:
        raise InputValidationError(f"ESV comparison mixes Xie tables {sorted(vs)}; use one table for every map "
                                   f"and scenario (methods.md §12.4)")

