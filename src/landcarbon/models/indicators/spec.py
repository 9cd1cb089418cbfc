"""The indicator model's spec (methods.md §14, §15.1). Not registered here: see docs/indicators.md."""

from __future__ import annotations

from ...core.spec import Column, Input, ModelSpec, NumberIn, RasterIn, TableIn, TableOut

_KEYS = (Column("zone", doc="zone id; '' = the whole region"), Column("year", "year"),
         Column("scenario", required=False, doc="scenario id; '' = observed"))

SPEC = ModelSpec(
    id="indicators", version="1", title_en="Indicator monitoring", title_zh="监测预警指标",
    methods_ref="methods.md §14, §15.1",
    doc="Land, carbon and user indicators per zone, year and scenario, with status met / warning / breached "
        "against the plan's targets, the trend warning and P_met under an ensemble.",
    inputs=(
        TableIn("variables", required=True, label_en="variables", label_zh="指标变量表",
                doc="numbers per zone and year (long: zone, year, variable, value, unit[, scenario]): class-group "
                    "areas (ha), control-line areas (ha), stock_MgC, emission_tCO2, absorption_tCO2, gdp_1e4CNY, "
                    "population, green_building_pct",
                columns=(*_KEYS, Column("variable"), Column("value"), Column("unit", required=False))),
        RasterIn("landuse", required=False, multiple=True, label_zh="土地利用图",
                 doc="land-use maps by year on one grid; their class-group and control-line areas become variables"),
        Input("zones", kind="zones", label_zh="分区", doc="zones (rasterised onto the land-use grid)"),
        Input("lines", kind="lines", multiple=True, label_zh="控制线",
              doc="control lines NAME=PATH: eco_redline, basic_farmland, urban_boundary"),
        Input("scheme", kind="scheme", label_zh="分类体系", doc="class scheme of the land-use maps (code → group)"),
        Input("base_year", kind="year", label_zh="基准年",
              doc="base year t0: the base map of RE, UB and UX, and the base of CIR"),
        Input("observed_years", kind="year", multiple=True, order="strictly_increasing", label_zh="观测年份",
              doc="years of observed maps (the trend warning reads them); default: the rows of scenario ''"),
        TableIn("crop_target", label_zh="耕地保有量目标", doc="耕地保有量 target per zone (ha)",
                columns=(Column("zone"), Column("crop_target_ha", "ha"))),
        TableIn("targets", label_zh="指标目标",
                doc="targets: indicator, target (T, or lo of a band), target_hi, year (target year), zone "
                    "(empty = every zone), warning, tolerance, direction",
                columns=(Column("indicator"), Column("target", required=False), Column("target_hi", required=False),
                         Column("year", "year", required=False), Column("zone", required=False),
                         Column("warning", "-", required=False), Column("tolerance", required=False),
                         Column("direction", required=False))),
        TableIn("user_indicators", label_zh="自定义指标",
                doc="user indicators: indicator, expression (over variable names), unit, direction, name_zh, name_en",
                columns=(Column("indicator"), Column("expression"), Column("unit"), Column("direction"),
                         Column("name_zh", required=False), Column("name_en", required=False))),
        NumberIn("warning", units="-", default=0.05, minimum=0.0, maximum=1.0, exclusive_maximum=True,
                 label_zh="预警带", doc="warning band w as a share of the target, for targets without their own"),
        NumberIn("tolerance", units="indicator unit", default=0.0, minimum=0.0, label_zh="容差",
                 doc="tolerance ε of 'zero' indicators (ha for RE and UB), for targets without their own"),
    ),
    outputs=(
        TableOut("indicators.csv", doc="indicator values with status, one row per scenario, zone, year and "
                                       "indicator", doc_zh="指标值及达标状态（按情景、分区、年份）",
                 columns=(Column("scenario"), Column("zone"), Column("year", "year"), Column("indicator"),
                          Column("value", doc="in the row's unit"), Column("unit"), Column("direction"),
                          Column("target"), Column("target_hi"), Column("warning", "-"), Column("status"),
                          Column("trend"), Column("trend_year", "year"), Column("kind"),
                          Column("p_met", "-", required=False))),
        TableOut("variables.csv", doc="the variables the indicators read (areas, stock, emissions, GDP, "
                                      "population)", doc_zh="指标所用变量（面积、碳储量、排放、GDP、人口）",
                 columns=(Column("scenario"), Column("zone"), Column("year", "year"), Column("variable"),
                          Column("value"), Column("unit"))),
        TableOut("indicator_defs.csv", doc="indicator definitions: names, unit, direction, family, source",
                 doc_zh="指标定义：名称、单位、方向、来源",
                 columns=(Column("indicator"), Column("name_zh"), Column("name_en"), Column("unit"),
                          Column("direction"), Column("family"), Column("expression"), Column("source"))),
    ),
)

__all__ = ["SPEC"]
