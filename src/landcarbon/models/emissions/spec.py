"""The emissions model's spec (methods.md §3): every input of ``landcarbon emissions`` (``run_emissions``, a
plan step) and every file a run writes, with units. Re-exported as ``landcarbon.models.emissions.SPEC``."""

from __future__ import annotations

from ...core.spec import (
    Absent,
    Column,
    Equals,
    Input,
    ModelSpec,
    NumberIn,
    Present,
    RasterIn,
    TableIn,
    TableOut,
)
from .. import coefficients as _coef

YEAR_MIN, YEAR_MAX = 1800, 2200
_C, _CO2, _CO2E = "t C/a", "t CO2/a", "t CO2e/a"

#: column spellings the table readers of ``sources`` accept (``sources._require_columns``)
ZONE = Column("zone", aliases=("区县", "地区", "name", "zone_name"), doc="zone name, exactly as in the zones layer")
YEAR = Column("year", "year", aliases=("年份", "年"))
AMOUNT = Column("amount", "unit column", aliases=("消费量", "用量", "value", "quantity"), doc="≥ 0, in its unit")
UNIT = Column("unit", aliases=("单位",), doc="unit of the amount (万吨, 亿立方米, 亿千瓦时, t, kg, ha …)")


def _sheet(table: str, what: str) -> Input:
    return Input(f"{table}_sheet", kind="text", label_zh=f"{what}工作表",
                 doc=f"Sheet of an XLSX {table.replace('_', '-')} table (default: the first sheet)")


SPEC = ModelSpec(
    id="emissions", version="2", title_en="Land-use carbon emissions", title_zh="土地利用碳排放",
    methods_ref="methods.md §3",
    doc="Direct land-use emissions and sinks (coefficient method), energy emissions of construction land, "
        "agricultural inputs and CH4/N2O, by zone and year, in t C, t CO2 and t CO2e.",
    examples=("landcarbon emissions --landuse landuse_2020.tif --year 2020 --zones districts.gpkg --zone-field name \\",
              "    --energy energy.csv --region 湖北 --hold-landuse --out emissions/"),
    inputs=(
        RasterIn("landuse", required=Absent("energy"), label_zh="土地利用图", metavar="TIF",
                 doc="Land-use map of one year (GeoTIFF, integer class codes) for the direct coefficient method"),
        Input("year", kind="year", required=Present("landuse"), minimum=YEAR_MIN, maximum=YEAR_MAX,
              label_zh="年份", doc="Year of the land-use map"),
        Input("scheme", kind="scheme", default="national6", aliases=("--scheme-table",), label_zh="分类体系",
              metavar="NAME|CSV",
              doc="Class scheme of the map: a built-in name (national6, clcd, globeland30, modis_igbp) or a CSV/XLSX "
                  "with code, group (the six national groups)"),
        Input("coefficients", kind="reference", default="cn_common_A", label_zh="碳排放系数",
              metavar="NAME|CSV",
              doc="Direct coefficient set: cn_common_A, cn_common_B, guangdong_2018, or a CSV/XLSX with group, "
                  "coef_tC_per_ha_yr (+ = source, − = sink) and optionally role",
              columns=(Column("group", doc="national group key or Chinese name"),
                       Column("coef_tC_per_ha_yr", "t C/(ha·a)", doc="+ = source, − = sink"),
                       Column("role", required=False, doc="source | sink, to state a role other than the group's"))),
        _sheet("coefficients", "碳排放系数表"),
        Input("coef", kind="pair", multiple=True, label_zh="系数覆盖", metavar="GROUP=VALUE",
              doc="Override one group's coefficient, t C/(ha·a), + = source, − = sink (e.g. built_up=0.5)"),
        Input("coef_role", kind="pair", multiple=True, label_zh="系数角色", metavar="GROUP=source|sink",
              doc="State the role of an overridden group when its sign differs from the convention (cropland and "
                  "construction land are sources, the other groups sinks)"),
        Input("allow_implausible", kind="flag", default=False, label_zh="允许异常值",
              doc="Accept coefficients beyond ±20 t C/(ha·a) and emission factors beyond their plausible maximum "
                  "(otherwise refused as a suspected unit error)"),
        Input("zones", kind="zones", label_zh="分区",
              doc="Zones (districts, counties…): a vector file (with zone_field) or an integer raster of zone ids on "
                  "the map's grid; their names must match the tables' zone names"),
        Input("zone_field", kind="text", field_of="zones", label_zh="分区名称字段",
              doc="Zone name field of a vector zones file (default: the feature numbers)"),
        Input("zone_layer", kind="text", label_zh="分区图层", doc="Layer of a multi-layer vector zones file"),
        Input("align", kind="flag", default=False, label_zh="重采样对齐",
              doc="Resample a zone raster on another grid onto the map's grid (nearest neighbour)"),
        Input("area_method", kind="choice", choices=("nominal", "geodesic"), default="nominal", label_zh="面积算法",
              doc="Cell areas: nominal (projected grid) or geodesic (per row, geographic grids)"),
        TableIn("energy", label_zh="能源消费表",
                doc="Fuel consumption per zone and year (CSV/XLSX): zone, year, fuel, amount, unit; without a zone "
                    "column a region total, attributed to zones by energy_weight",
                columns=(Column("zone", aliases=ZONE.aliases, required=False, doc=ZONE.doc), YEAR,
                         Column("fuel", aliases=("能源", "燃料", "能源品种"), doc="原煤, 天然气, 电力 … (Chinese or English)"),
                         AMOUNT, UNIT)),
        _sheet("energy", "能源消费表"),
        Input("region", kind="text", label_zh="电网区域",
              doc="Province or regional grid of the electricity factor (e.g. 湖北; default: the national average)"),
        NumberIn("grid_factor", units="kg CO2/kWh", minimum=0.0, excludes=("region",), label_zh="电网排放因子",
                 doc="Explicit electricity emission factor (instead of region)"),
        NumberIn("heat_factor", units="t CO2/GJ", minimum=0.0, label_zh="热力排放因子",
                 doc=f"Heat emission factor (default {_coef.HEAT_TCO2_PER_GJ:g} t CO2/GJ)"),
        Input("fuel_factor", kind="pair", multiple=True, label_zh="燃料排放因子", metavar="FUEL=VALUE",
              doc="Own emission factor of a fuel, t CO2 per kg or m3 of fuel (e.g. raw_coal=0.0019)"),
        Input("scope", kind="choice", choices=("consumption", "territorial"), default="consumption",
              label_zh="核算口径",
              doc="consumption: final fuels + electricity × grid factor + heat; territorial: all fuel burned, no "
                  "electricity or heat rows"),
        Input("convention", kind="choice", choices=_coef.CONVENTIONS, default="B", label_zh="排放因子口径",
              doc="Fuel factors: B provincial inventory, A IPCC per tce, C IPCC default EF (methods.md §3.3)"),
        Input("natural_gas", kind="choice", choices=("gas_field", "oil_field"), default="gas_field",
              label_zh="天然气类型", doc="What plain 天然气 / natural gas means"),
        Input("energy_weight", kind="choice", choices=("construction_area", "gdp"), label_zh="能源分摊依据",
              doc="Attribute a region energy table (no zone column) to zones by this weight (no default)"),
        TableIn("socioeconomic", required=Equals("energy_weight", "gdp"), label_zh="社会经济表",
                doc="GDP per zone and year (gdp_1e4CNY, gdp_1e8CNY or gdp_CNY), for energy_weight gdp",
                columns=(ZONE, YEAR)),
        _sheet("socioeconomic", "社会经济表"),
        TableIn("agri", label_zh="农业投入表",
                doc="Agricultural inputs per zone and year: zone, year, input (化肥, 农药, 农膜, 农用柴油, 灌溉, 翻耕), "
                    "amount, unit; replaces the cropland coefficient",
                columns=(ZONE, YEAR, Column("input", aliases=("item", "投入", "项目")), AMOUNT, UNIT)),
        _sheet("agri", "农业投入表"),
        Input("ploughing_unit", kind="choice", choices=("per_km2", "per_ha_as_printed"), default="per_km2",
              label_zh="翻耕系数单位", doc="Reading of the 312.6 ploughing coefficient (methods.md §13.3)"),
        TableIn("non_co2", label_zh="非二氧化碳排放表",
                doc="CH4 / N2O per zone and year: zone, year, gas, amount, unit (t, kg, 万吨, kt)",
                columns=(ZONE, YEAR, Column("gas", aliases=("气体",), doc="CH4 | N2O"), AMOUNT, UNIT)),
        _sheet("non_co2", "非二氧化碳排放表"),
        Input("gwp", kind="choice", choices=tuple(_coef.GWP_SETS), default="AR5", label_zh="全球增温潜势",
              doc="GWP100 set for CH4 and N2O"),
        Input("hold_landuse", kind="flag", default=False, label_zh="沿用土地利用",
              doc="Apply the map's areas to every year of the tables (an explicit assumption, recorded)"),
        Input("scheduler", kind="text", label_zh="Dask 调度器", advanced=True, metavar="ADDRESS",
              doc="Address of a Dask distributed scheduler (default: local threads)"),
        Input("window", kind="integer", minimum=16, advanced=True, label_zh="窗口边长",
              doc="Window edge of the zonal pass in cells (default: 2048, aligned to the map's tiles)"),
    ),
    outputs=(
        TableOut("emissions_by_zone.csv", doc="Every component and the totals per zone and year",
                 doc_zh="分区逐年碳排放与碳吸收", columns=(
                     Column("zone"), Column("year", "year"), Column("area_ha", "ha", required=False, doc="with a map"),
                     Column("direct_source_tC", _C), Column("direct_sink_tC", _C, doc="≤ 0"), Column("energy_tC", _C),
                     Column("agri_inputs_tC", _C), Column("emission_tC", _C), Column("absorption_tC", _C, doc="≥ 0"),
                     Column("net_tC", _C), Column("emission_tCO2", _CO2), Column("absorption_tCO2", _CO2),
                     Column("net_tCO2", _CO2), Column("non_co2_tCO2e", _CO2E), Column("emission_tCO2e", _CO2E),
                     Column("net_tCO2e", _CO2E), Column("coefficient_set"))),
        TableOut("direct_by_group.csv", when=Present("landuse"), doc="Direct emissions per zone and national group",
                 doc_zh="分区分地类直接碳排放", columns=(
                     Column("zone"), Column("group"), Column("area_ha", "ha"),
                     Column("coef_tC_per_ha_yr", "t C/(ha·a)"), Column("emission_tC", _C), Column("method"))),
        TableOut("coefficients.csv", when=Present("landuse"), doc="The coefficient set used, with its sources",
                 doc_zh="所用碳排放系数及来源", columns=(
                     Column("set_id"), Column("group"), Column("coef_tC_per_ha_yr", "t C/(ha·a)"), Column("method"),
                     Column("source"))),
        TableOut("energy_by_fuel.csv", when=Present("energy"), doc="Energy emissions per row of the energy table",
                 doc_zh="分燃料能源碳排放", columns=(
                     Column("zone"), Column("year", "year"), Column("fuel"), Column("amount_std", "kg | m3 | kWh | GJ"),
                     Column("unit_std"), Column("factor_tCO2_per_unit", "t CO2/unit_std"),
                     Column("emission_tCO2", _CO2), Column("emission_tC", _C), Column("basis"))),
        TableOut("energy_by_zone_year.csv", when=Present("energy"), doc="Energy emissions per zone and year",
                 doc_zh="分区逐年能源碳排放", columns=(
                     Column("zone"), Column("year", "year"), Column("energy_tCO2", _CO2), Column("energy_tC", _C))),
        TableOut("agri_by_input.csv", when=Present("agri"), doc="Agricultural-input emissions per row",
                 doc_zh="农业投入碳排放", columns=(
                     Column("zone"), Column("year", "year"), Column("input"), Column("amount_std", "kg | ha"),
                     Column("coef_kgC_per_unit", "kg C/unit"), Column("emission_tC", _C))),
        TableOut("non_co2.csv", when=Present("non_co2"), doc="CH4 and N2O in t CO2e with the GWP set",
                 doc_zh="甲烷与氧化亚氮排放（CO2 当量）", columns=(
                     Column("zone"), Column("year", "year"), Column("gas"), Column("amount_t", "t"),
                     Column("gwp", "-"), Column("emission_tCO2e", _CO2E))),
    ),
)

__all__ = ["SPEC", "YEAR_MAX", "YEAR_MIN"]
