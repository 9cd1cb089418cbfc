"""The built-in indicators of methods.md §14: id, Chinese and English name, unit, direction, source."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

#: how a value is judged against its target (methods.md §14.4)
DIRECTIONS: tuple[str, ...] = ("higher", "lower", "band", "zero")


@dataclass(frozen=True)
class IndicatorDef:
    """One indicator: ``id`` (the catalog key), names, unit, direction, family and where it comes from.

    ``inputs`` are the catalog variables the formula reads; ``formula`` is the formula of methods.md
    in plain text; ``expression`` is set for user indicators (§14.3)."""

    id: str
    name_zh: str
    name_en: str
    unit: str
    direction: str
    family: str  # land | carbon | user
    formula: str
    source: str
    inputs: tuple[str, ...] = ()
    expression: str = ""

    def to_row(self) -> dict[str, str]:
        return {"indicator": self.id, "name_zh": self.name_zh, "name_en": self.name_en, "unit": self.unit,
                "direction": self.direction, "family": self.family, "expression": self.expression,
                "source": self.source}


_L = "methods.md §14.1"
_C = "methods.md §14.2"

INDICATORS: dict[str, IndicatorDef] = {d.id: d for d in (
    IndicatorDef("FC", "森林覆盖率", "forest coverage", "%", "higher", "land",
                 "A_forest(z,t) / A_total(z) × 100", f"{_L}; land-use maps", ("area_forest_ha", "area_total_ha")),
    IndicatorDef("CR", "耕地保有量完成率", "cropland retention against the 耕地保有量 target", "%", "higher", "land",
                 "A_cropland(z,t) / T_crop(z) × 100", f"{_L}; land-use maps and the plan's T_crop",
                 ("area_cropland_ha", "crop_target_ha")),
    IndicatorDef("BF", "永久基本农田保护率", "permanent basic farmland kept", "%", "higher", "land",
                 "A(basic farmland line ∩ cropland at t) / A(basic farmland line) × 100",
                 f"{_L}; land-use maps and the basic_farmland line",
                 ("area_basic_farmland_cropland_ha", "area_basic_farmland_ha")),
    IndicatorDef("ES", "生态用地占比", "ecological land share", "%", "higher", "land",
                 "(A_forest + A_grassland + A_water)(z,t) / A_total(z) × 100", f"{_L}; land-use maps",
                 ("area_forest_ha", "area_grassland_ha", "area_water_ha", "area_total_ha")),
    IndicatorDef("RE", "生态保护红线侵占", "ecological red-line encroachment", "ha", "zero", "land",
                 "A(red line ∩ {ecological class at t0} ∩ {non-ecological class at t})",
                 f"{_L}; land-use maps and the eco_redline line", ("area_redline_encroached_ha",)),
    IndicatorDef("UB", "城镇开发边界外新增建设用地", "new built-up land outside the urban development boundary",
                 "ha", "zero", "land", "A(outside urban boundary ∩ {not built-up at t0} ∩ {built-up at t})",
                 f"{_L}; land-use maps and the urban_boundary line", ("area_new_builtup_outside_boundary_ha",)),
    IndicatorDef("UX", "城镇开发边界扩展倍数", "urban development boundary expansion multiple", "-", "lower",
                 "land", "A(urban boundary) / A(urban boundary ∩ built-up at t0)",
                 f"{_L}; land-use maps and the urban_boundary line",
                 ("area_urban_boundary_ha", "area_urban_boundary_builtup_base_ha")),
    IndicatorDef("BLG", "单位GDP建设用地", "built-up land per unit GDP", "m² per 10^4 CNY", "lower", "land",
                 "A_builtup(z,t) / GDP(z,t)", f"{_L}; land-use maps and the socio-economic table",
                 ("area_built_up_ha", "gdp_1e4CNY")),
    IndicatorDef("PCB", "人均建设用地", "per-capita built-up land", "m²/person", "band", "land",
                 "A_builtup(z,t) / P(z,t)", f"{_L}; land-use maps and the socio-economic table",
                 ("area_built_up_ha", "population")),
    IndicatorDef("S", "碳储量", "carbon stock", "Mg C", "higher", "carbon", "S(z,t)",
                 f"{_C}; carbon stock (§2)", ("stock_MgC",)),
    IndicatorDef("K", "年碳汇", "annual carbon sink", "Mg C/a", "higher", "carbon",
                 "(S(z,t) − S(z,t_prev)) / (t − t_prev)", f"{_C}; carbon stock (§2)", ("stock_MgC",)),
    IndicatorDef("NCE", "净碳排放", "net carbon emission", "t CO2/a", "lower", "carbon",
                 "CE(z,t) − CA(z,t)", f"{_C}; emissions (§3) and balance (§4.1)",
                 ("emission_tCO2", "absorption_tCO2")),
    IndicatorDef("CI", "碳排放强度", "carbon emission intensity", "t CO2 per 10^4 CNY", "lower", "carbon",
                 "CE(z,t) / GDP(z,t)", f"{_C}; emissions (§3) and the socio-economic table",
                 ("emission_tCO2", "gdp_1e4CNY")),
    IndicatorDef("CIR", "碳排放强度下降率", "decline of carbon emission intensity against the base year", "%",
                 "higher", "carbon", "(1 − CI(z,t) / CI(z,base)) × 100",
                 f"{_C}; emissions (§3) and the socio-economic table", ("emission_tCO2", "gdp_1e4CNY")),
    IndicatorDef("PCE", "人均碳排放", "per-capita carbon emission", "t CO2/person", "lower", "carbon",
                 "CE(z,t) / P(z,t)", f"{_C}; emissions (§3) and the socio-economic table",
                 ("emission_tCO2", "population")),
    IndicatorDef("GB", "绿色建筑占比", "green-building share of new urban buildings", "%", "higher", "carbon",
                 "an input series", f"{_C}; an input series", ("green_building_pct",)),
)}

LAND = tuple(k for k, d in INDICATORS.items() if d.family == "land")
CARBON = tuple(k for k, d in INDICATORS.items() if d.family == "carbon")


def definitions_frame(extra: tuple[IndicatorDef, ...] | list[IndicatorDef] = ()) -> pd.DataFrame:
    """The definitions as a table (columns of the catalog's ``indicator_defs``), built-in ones first."""
    return pd.DataFrame([d.to_row() for d in (*INDICATORS.values(), *extra)])


__all__ = ["CARBON", "DIRECTIONS", "INDICATORS", "LAND", "IndicatorDef", "definitions_frame"]
