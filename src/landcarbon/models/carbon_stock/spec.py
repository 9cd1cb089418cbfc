"""The carbon stock model's spec and pool names (methods.md §1.3–1.4, §2): every input of
``landcarbon stock`` (and of ``run_stock`` and a plan step) and every file a run writes, with units."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...core.spec import (
    AllOf,
    AnyOf,
    Column,
    Input,
    ModelSpec,
    NumberIn,
    Predicate,
    Present,
    RasterIn,
    RasterOut,
    TableIn,
    TableOut,
)
from ..prices import PRICE_UNITS, price_bases

POOLS: tuple[str, ...] = ("above", "below", "soil", "dead")
POOL_COLUMNS: tuple[str, ...] = tuple(f"c_{p}" for p in POOLS)
#: total density above which a table is taken to be in the wrong unit (Mg C/ha) [D]; deep peat soils exceed it
#: (override: allow_implausible)
MAX_PLAUSIBLE_DENSITY = 2000.0
#: a table whose densest class holds less than this (Mg C/ha) is probably in kg C/m² (× 10) [D]: a warning only
LOW_PLAUSIBLE_DENSITY = 25.0
#: plausible calendar years of a map (a typo such as 20300 is refused)
YEAR_MIN, YEAR_MAX = 1800, 2200

#: column-name spellings read_pools accepts (case-insensitive; spaces read as underscores)
CODE_NAMES = ("lucode", "code", "class", "class_code", "value", "lulc")
NAME_NAMES = ("lulc_name", "name", "class_name", "description", "desc", "lulc_desc", "名称")


@dataclass(frozen=True)
class MinCount(Predicate):
    """True when the (multiple) input ``name`` holds at least ``n`` values (e.g. two maps for a change)."""

    name: str
    n: int

    def __call__(self, values: dict[str, Any]) -> bool:
        v = values.get(self.name)
        return isinstance(v, list | tuple) and len(v) >= self.n

    def to_json(self) -> dict[str, Any]:
        return {"min_count": [self.name, self.n]}

    def describe(self) -> str:
        return f"{self.name} has at least {self.n} values"


_MAPS = Present("write_maps")
_CHANGE = MinCount("landuse", 2)
_PRICED = AnyOf((Present("price"), Present("price_basis")))
_PCT = "%/a"


def _pool_columns() -> tuple[Column, ...]:
    cols = [Column("lucode", aliases=CODE_NAMES[1:], doc="land-use class code of the maps")]
    for p, c in zip(POOLS, POOL_COLUMNS):
        cols.append(Column(c, "Mg C/ha", aliases=(f"c_{p}_mgc_ha", p, f"c{p}"),
                           doc=f"{p}-ground carbon density" if p in ("above", "below") else f"{p} carbon density"))
    cols += [Column("lulc_name", aliases=NAME_NAMES[1:], required=False, doc="class name"),
             Column("zone", aliases=("region", "分区"), required=False,
                    doc="zone of the row (a zone name of the zones layer; empty = any zone)"),
             Column("year", "year", aliases=("年份",), required=False, doc="year of the row (empty = any year)"),
             *(Column(f"sd_{p}", "Mg C/ha", aliases=(f"c_{p}_sd", f"sd_c_{p}"), required=False,
                      doc=f"standard deviation of c_{p} (Monte Carlo)") for p in POOLS),
             Column("cv", "-", aliases=("c_cv",), required=False, doc="coefficient of variation of every pool"),
             Column("units", aliases=("unit", "单位"), required=False,
                    doc="unit of the row's densities (else a row whose lucode reads 'units', or pools_units)")]
    return tuple(cols)


_ACCOUNT_KEYS = (Column("year", "year"), Column("label"), Column("area_ha", "ha"), Column("stock_MgC", "Mg C"),
                 Column("stock_tCO2", "t CO2"))
_CHANGE_KEYS = (Column("zone", required=False, doc="with zones"), Column("from", "year"), Column("to", "year"),
                Column("from_label"), Column("to_label"))

SPEC = ModelSpec(
    id="carbon_stock",
    version="2",
    title_en="Carbon storage, sequestration and value (InVEST-equivalent)",
    title_zh="碳储量、碳汇与价值（InVEST 等效）",
    methods_ref="methods.md §1.3-1.4, §2",
    doc="Carbon storage of four pools per land-use map, the change between dated maps and its net present "
        "value, as InVEST 3.20 Carbon, and beyond: densities by zone or year, pools from rasters, scenario maps, "
        "Monte Carlo intervals, geographic grids.",
    examples=("landcarbon stock --landuse landuse_2010.tif landuse_2020.tif --years 2010 2020 --pools pools.csv \\",
              "    --zones districts.gpkg --zone-field name --price 43 --price-unit 'CNY/t C' --discount-rate 7 \\",
              "    --price-change 0 --out stock_2010_2020/"),
    inputs=(
        RasterIn("landuse", required=True, multiple=True, label_zh="土地利用图", metavar="TIF",
                 doc="Land-use GeoTIFFs (integer class codes) on one grid, one per year or scenario, oldest first"),
        Input("years", kind="year", multiple=True, order="increasing", minimum=YEAR_MIN, maximum=YEAR_MAX,
              label_zh="年份",
              doc="Year of each map, in the order of landuse, oldest first (default: a 4-digit year in each file "
                  "name); maps that share a year are scenarios and need names"),
        Input("names", kind="text", multiple=True, flag="--name", label_zh="图名",
              doc="Label of each map, in the order of landuse (scenario names; default: the file names)"),
        TableIn("pools", required=True, label_zh="碳密度表", index="lucode", units="Mg C/ha",
                doc="Carbon pools per class (CSV/XLSX): lucode, c_above, c_below, c_soil, c_dead in Mg C/ha "
                    "(case-insensitive, InVEST's C_above works); optional zone, year, sd_* or cv, units columns",
                columns=_pool_columns()),
        Input("pools_sheet", kind="text", label_zh="碳密度表工作表",
              doc="Sheet of an XLSX pools table (default: the first sheet)"),
        Input("pools_units", kind="text", label_zh="碳密度单位", metavar="UNIT",
              doc="Unit of the pools table when not Mg C/ha: kg C/m2 (× 10) or g C/m2 (× 0.01); a units row or "
                  "column in the table works too"),
        Input("allow_implausible", kind="flag", default=False, label_zh="允许异常值",
              doc="Accept a total density above 2000 Mg C/ha (deep peat soils; otherwise refused as a suspected "
                  "g C/m² or kg C/ha table)"),
        Input("zones", kind="zones", label_zh="分区",
              doc="Zones for the zone tables: a vector file (GeoPackage, Shapefile; with zone_field) or an integer "
                  "raster of zone ids on the maps' grid (0 or nodata = outside)"),
        Input("zone_field", kind="text", field_of="zones", label_zh="分区名称字段",
              doc="Zone name field of a vector zones file (default: the feature numbers)"),
        Input("zone_layer", kind="text", label_zh="分区图层", doc="Layer of a multi-layer vector zones file"),
        NumberIn("price", units="CNY/t C | CNY/t CO2", minimum=0.0, excludes=("price_basis",), label_zh="碳价",
                 doc="Carbon price for valuing the change, in the unit price_unit gives (a price per t CO2 is "
                     "multiplied by 44/12)"),
        Input("price_unit", kind="choice", choices=PRICE_UNITS, required=Present("price"), label_zh="碳价单位",
              doc="Unit of price; no default (InVEST prices are per t C, market prices per t CO2)"),
        Input("price_basis", kind="choice", choices=price_bases(), label_zh="碳价基准",
              doc="A named price of reference/carbon_prices.csv instead of price (it carries its own unit)"),
        NumberIn("discount_rate", units=_PCT, minimum=-100.0, exclusive_minimum=True, label_zh="折现率",
                 doc="Annual discount rate r of the valuation (InVEST requires it; when not given 0 is used, "
                     "said on the console and recorded)"),
        NumberIn("price_change", units=_PCT, minimum=-100.0, exclusive_minimum=True, excludes=("price_growth",),
                 label_zh="碳价年变化率",
                 doc="Annual price change c, InVEST meaning: it acts as a second discount rate (when not given 0 "
                     "is used, said on the console and recorded)"),
        NumberIn("price_growth", units=_PCT, minimum=-100.0, exclusive_minimum=True, label_zh="碳价实际增长率",
                 doc="Alternative to price_change (not InVEST): a real annual price increase g"),
        Input("price_year", kind="year", minimum=YEAR_MIN, maximum=YEAR_MAX, label_zh="价格基准年",
              doc="Price year reported with the NPV values (default: the from-year of each change)"),
        Input("write_maps", kind="flag", default=True, flag="--maps", label_zh="输出栅格",
              doc="Write the storage, change and NPV rasters (off: totals and tables only)"),
        Input("pool_maps", kind="flag", default=False, label_zh="输出分库栅格",
              doc="Also write one density map per pool and map (intermediate/)"),
        Input("density_raster", kind="pair", multiple=True, label_zh="碳密度栅格", metavar="POOL=TIF",
              doc="A pool's density (Mg C/ha) from a raster instead of the table, e.g. soil=soc.tif; pools "
                  "above, below, soil, dead; its nodata cells are left out (with a warning and their area)"),
        Input("align", kind="flag", default=False, label_zh="重采样对齐",
              doc="Resample maps and rasters on other grids onto the grid of the first map (nearest neighbour "
                  "for maps and zones, bilinear for density rasters)"),
        Input("mc_draws", kind="integer", minimum=0, default=0, label_zh="蒙特卡洛次数",
              doc="Monte Carlo draws from the table's standard deviations (0 = none; needs seed)"),
        NumberIn("mc_cv", units="-", minimum=0.0, label_zh="变异系数",
                 doc="Coefficient of variation used where the table gives no standard deviation (Monte Carlo)"),
        Input("mc_distribution", kind="choice", choices=("normal", "lognormal"), default="normal",
              label_zh="抽样分布", doc="Distribution of the Monte Carlo draws (normal truncated at 0, or lognormal)"),
        Input("seed", kind="integer", minimum=0, label_zh="随机种子",
              doc="Seed of the Monte Carlo draws (recorded in the manifest)"),
        Input("scheduler", kind="text", label_zh="Dask 调度器", advanced=True, metavar="ADDRESS",
              doc="Address of a Dask distributed scheduler (default: local threads)"),
        Input("window", kind="integer", minimum=16, advanced=True, label_zh="窗口边长",
              doc="Window edge in cells (default: aligned to the input tiles, 512)"),
        Input("threads", kind="integer", minimum=1, advanced=True, label_zh="线程数",
              doc="Worker threads (default: all cores)"),
    ),
    outputs=(
        RasterOut("c_storage_*.tif", units="Mg C/ha", when=_MAPS, doc_zh="碳密度（四库之和），每幅图一个",
                  doc="Carbon density C(i), the sum of the four pools, one per map (c_storage_<label>.tif)"),
        RasterOut("c_change_*.tif", units="Mg C/ha", when=AllOf((_MAPS, _CHANGE)), doc_zh="碳密度变化（后期减前期）",
                  doc="Change in carbon density, to minus from, where both maps are valid (c_change_<a>_<b>.tif)"),
        RasterOut("npv_*.tif", units="CNY/ha", when=AllOf((_MAPS, _CHANGE, _PRICED)), doc_zh="碳储量变化的净现值",
                  doc="Net present value of the change, ΔC × K (npv_<a>_<b>.tif)"),
        RasterOut("intermediate/c_*_*.tif", units="Mg C/ha", when=AllOf((_MAPS, Present("pool_maps"))),
                  doc_zh="各碳库密度", doc="Density of one pool of one map (intermediate/c_<pool>_<label>.tif)"),
        TableOut("zone_class.csv", doc="Zone × class × map accounts: area, stock, density and its source, change "
                 "from the previous map and its NPV", doc_zh="分区 × 地类 × 年份碳储量账户",
                 columns=(Column("zone", required=False, doc="with zones"), Column("code"), Column("class"),
                          *_ACCOUNT_KEYS, Column("density_MgC_ha", "Mg C/ha"), Column("density_source"),
                          Column("change_MgC", "Mg C"), Column("npv_CNY", "CNY"), Column("price_year", "year"))),
        TableOut("by_class.csv", doc="Stock per class and map (all zones)", doc_zh="分地类碳储量",
                 columns=(Column("code"), Column("class"), *_ACCOUNT_KEYS)),
        TableOut("by_zone.csv", when=Present("zones"), doc="Stock per zone and map", doc_zh="分区碳储量",
                 columns=(Column("zone"), *_ACCOUNT_KEYS)),
        TableOut("changes_by_zone.csv", when=_CHANGE, doc="Change and its NPV per change and zone (cells valid in "
                 "both maps)", doc_zh="分区碳储量变化及净现值",
                 columns=(*_CHANGE_KEYS, Column("change_MgC", "Mg C"), Column("change_tCO2", "t CO2"),
                          Column("npv_CNY", "CNY"), Column("price_year", "year"))),
        TableOut("transitions.csv", when=_CHANGE, doc="Area, carbon change and NPV per change, zone and "
                 "(from-class, to-class)", doc_zh="地类转移的面积、碳储量变化与净现值",
                 columns=(*_CHANGE_KEYS, Column("code_from"), Column("code_to"), Column("area_ha", "ha"),
                          Column("change_MgC", "Mg C"), Column("npv_CNY", "CNY"))),
    ),
)


__all__ = ["CODE_NAMES", "LOW_PLAUSIBLE_DENSITY", "MAX_PLAUSIBLE_DENSITY", "NAME_NAMES", "POOLS", "POOL_COLUMNS",
           "SPEC", "YEAR_MAX", "YEAR_MIN", "MinCount"]
