"""Land-use demand: Markov chain, scenario rules, linear trend, a given table (methods.md §7.3–7.5).

Every generator returns a demand table in cells (and ha) whose total equals the number of valid
cells of the simulation's start map exactly (integer rounding by largest remainders):

    code, cells, area_ha              one target year
    year, code, cells, area_ha        several target years

Class codes are kept as they are in the maps (they need not be consecutive); the simulation maps
them to 0 … K−1 internally (methods.md §8.1).
"""

from __future__ import annotations

from ...core.spec import Column, Equals, Input, ModelSpec, Output, RasterIn, TableIn, TableOut
from .. import change as _ch
from .markov import EIGEN_TOL, PowerResult, largest_remainder, matrix_power, project, transition_probabilities
from .projection import markov, trend
from .rules import SCENARIOS, Rule, Scenario, apply_rules, get_scenario, resolve_rules, rules_from_frame
from .table import check_total, from_table

__all__ = [
    "EIGEN_TOL", "SCENARIOS", "SPEC", "PowerResult", "Rule", "Scenario", "apply_rules", "check_total",
    "from_table", "get_scenario", "largest_remainder", "markov", "matrix_power", "project", "resolve_rules",
    "rules_from_frame", "transition_probabilities", "trend",
]

SPEC = ModelSpec(
    id="demand", version="2", title_en="Land-use demand", title_zh="土地利用需求预测",
    methods_ref="methods.md §7.3–7.5",
    doc="Cells per class for the simulation, by Markov chain (any target year: fractional "
        "horizons by the eigen root or interpolation, methods.md §7.3), scenario rules, a linear trend, or a "
        "given table; each year's cells add up to the start map's valid cells exactly.",
    examples=("landcarbon demand --landuse lu2005.tif lu2010.tif --years 2005 2010 --target 2020 2030 \\",
              "    --scenario cropland_protection --scheme classes.csv --out demand_2030/",
              "landcarbon demand --method trend --landuse a.tif b.tif c.tif --target 2030 --out trend/",
              "landcarbon demand --method table --table my_demand.csv --landuse lu2020.tif --out given/"),
    inputs=(
        RasterIn("landuse", required=True, multiple=True, label_zh="土地利用图", metavar="TIF", aliases=("--map",),
                 doc="Land-use maps in time order, oldest first; the last one is the simulation's start map "
                     "(markov: two maps; trend: two or more; table: the start map only)"),
        _ch.years_input("Year of each map, oldest first (default: the 4-digit year in each file name)"),
        _ch.years_input("Target year(s), increasing (any year ≥ the last map's; not only whole steps)",
                        name="target", required=Equals("method", ("markov", "trend"))),
        Input("method", kind="choice", choices=("markov", "trend", "table"), default="markov", label_zh="方法",
              doc="markov: Markov chain of two maps; trend: linear trend per class over 2+ maps; table: check "
                  "and use a given demand table"),
        Input("scenario", kind="choice", choices=tuple(SCENARIOS), label_zh="情景",
              doc="Built-in scenario rules for the Markov chain (methods.md §7.4); groups need the scheme"),
        TableIn("rules", label_zh="情景规则表", doc="Your own scenario rules (applied after the scenario's): "
                "from, to, change_pct; from/to = a group, a class code, * or several joined with |",
                columns=(Column("from"), Column("to"), Column("change_pct", "%"),
                         Column("source", required=False))),
        Input("rules_sheet", kind="text", label_zh="规则表工作表", doc="Sheet of an XLSX rules table"),
        TableIn("table", required=Equals("method", "table"), label_zh="需求表",
                doc="A demand table for method table: code and cells (or area_ha), optionally year",
                columns=(Column("code"), Column("cells", "cells", required=False),
                         Column("area_ha", "ha", required=False), Column("year", required=False))),
        Input("table_sheet", kind="text", label_zh="需求表工作表", doc="Sheet of an XLSX demand table"),
        _ch.SCHEME,
        Input("fractional", kind="choice", choices=("eigen", "interpolate"), default="eigen",
              label_zh="非整数步长", doc="Markov horizons that are not whole steps: the matrix root P^h (falls "
              "back to interpolation when P has none) or interpolation between whole steps"),
        Input("markov_origin", kind="choice", choices=("landcarbon", "flus"), default="landcarbon",
              label_zh="马尔可夫起点", doc="flus: start from the first map and apply P (target − t2)//Δ + 1 times, "
              "as GeoSOS-FLUS does"),
        Input("start_mask", kind="choice", choices=("map2", "common"), default="map2", aliases=("--start",),
              label_zh="起始向量范围", doc="Markov start vector: every valid cell of the last map (the simulation's "
              "start), or the two maps' common valid mask"),
        Input("rescale", kind="flag", default=False, label_zh="按比例缩放",
              doc="Scale classes proportionally when a trend goes below 0 or a table's total differs from the "
                  "start map's valid cells"),
        Input("fixed", kind="integer", multiple=True, label_zh="固定地类", metavar="CODE",
              doc="Class codes of the table kept as given when rescaling"),
        Input("allow_implausible", kind="flag", default=False, label_zh="允许异常值",
              doc="Accept rule changes that all look like fractions (|change_pct| < 1, e.g. -0.7 for -70 %)"),
        _ch.ALIGN,
    ),
    outputs=(
        TableOut("demand.csv", doc="Demand per class (and year with several targets); each year's cells add up to "
                 "the start map's valid cells", doc_zh="各地类需求（像元数、面积）",
                 columns=(Column("year", required=False), Column("code"), Column("cells", "cells"),
                          Column("area_ha", "ha"))),
        Output("demand_details.json", kind="json", doc="Transition probabilities (as observed, as used, annual), "
               "rules, trend shares and how each year was projected (power, eigen, interpolate)",
               doc_zh="转移概率矩阵、情景规则与各目标年的推算方法"),
    ),
)
