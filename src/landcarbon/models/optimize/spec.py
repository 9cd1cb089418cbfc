"""The land-structure optimisation model's spec and the schema of its option file (``[optimize]``)."""

from __future__ import annotations

from ...core.classes import GROUPS
from ...core.spec import Column, Equals, Input, ModelSpec, Output, Present, TableIn, TableOut
from ..evaluate.common import ALIGN, CHARTS, LANG, SCHEME_DOC, ZONE_INPUTS, Named, plan_input, scheme_input
from ..evaluate.esv import OPTION_KEYS as ESV_KEYS
from .nsga import COMPROMISE_METHODS
from .problem import CONSTRAINT_KEYS, OBJECTIVES

#: solvers
METHODS = ("lp", "weighted", "nsga2")
#: objectives when neither the command line nor the plan names any
DEFAULT_OBJECTIVES = ("carbon", "esv")

SPEC = ModelSpec(
    id="optimize", version="2", title_en="Land-structure optimisation", title_zh="土地利用结构优化",
    methods_ref="methods.md §12",
    doc="Class areas maximising carbon stock, economic output or ESV, or minimising land-use emissions, under "
        "planning constraints (HiGHS LP, weighted sum, or NSGA-II with a compromise); writes demand.csv, the "
        "simulation's demand input. Coefficients and constraints come from the plan's [optimize] table.",
    examples=("landcarbon optimize --plan plan.toml --out optimize/",
              "landcarbon optimize --landuse lu2010.tif --scheme national6 --plan plan.toml --method nsga2 \\",
              "    --seed 1 --objectives carbon esv --compromise topsis --out optimize/"),
    inputs=(
        plan_input("optimize"),
        Input("landuse", kind="landuse", label_zh="起始土地利用图", metavar="TIF",
              doc="Start land-use map on equal-area cells (its valid cells are the demand total); or the plan's "
                  "landuse"),
        scheme_input(False, SCHEME_DOC + "; or the plan's scheme"),
        Input("objectives", kind="choice", choices=tuple(OBJECTIVES), multiple=True, label_zh="优化目标",
              aliases=("--objective",),
              doc="Objectives: carbon (max, Mg C), emissions (min, Mg C/a), economy (max, CNY), esv (max, CNY/a); "
                  "default: the plan's objectives, else " + " and ".join(DEFAULT_OBJECTIVES)),
        Input("method", kind="choice", choices=METHODS, label_zh="求解方法",
              doc="lp (HiGHS, one objective), weighted (payoff-normalised weighted sum) or nsga2 (Pareto front); "
                  "default: the plan's method, else nsga2 for several objectives and lp for one"),
        Input("lp_objective", kind="choice", choices=tuple(OBJECTIVES), label_zh="线性规划目标",
              doc="Objective of the lp method (default: the first objective)"),
        Input("compromise", kind="choice", choices=COMPROMISE_METHODS, label_zh="折中解方法",
              doc="Compromise on the Pareto front (nsga2): ideal (closest to the ideal point, the default), topsis "
                  "or knee"),
        Input("pop_size", kind="integer", minimum=4, label_zh="种群规模",
              doc="NSGA-II population size (default: the plan's, else 100)"),
        Input("n_gen", kind="integer", minimum=1, flag="--generations", label_zh="迭代代数",
              doc="NSGA-II generations (default: the plan's n_gen, else 200)"),
        Input("seed", kind="integer", minimum=0, label_zh="随机种子",
              doc="Seed of NSGA-II (required for nsga2; same seed, same front; recorded)"),
        *ZONE_INPUTS,
        TableIn("pools", label_zh="碳密度表", metavar="CSV|XLSX",
                doc="Code-level carbon pools for the carbon objective (area-weighted within groups); default: the "
                    "shipped set demo_national6_mata2021 (L-tagged, override it)",
                columns=(Column("code", aliases=("lucode",)),
                         *(Column(f"c_{p}", "Mg C/ha", aliases=(f"c_{p}_mgc_ha", p))
                           for p in ("above", "below", "soil", "dead")))),
        Input("pools_sheet", kind="text", label_zh="工作表", doc="Sheet of an XLSX pools table (its name)"),
        TableIn("compare", label_zh="对比需求表", metavar="CSV",
                doc="A demand table (code, cells; e.g. a Markov trend) whose objective values are reported beside "
                    "the optimum", columns=(Column("code"), Column("cells", "cells"))),
        ALIGN, CHARTS, LANG,
    ),
    outputs=(
        TableOut("demand.csv", doc="The simulation's demand: integer cells per code summing to the start map's valid "
                 "cells", doc_zh="模拟用需求表（各地类像元数）",
                 columns=(Column("code"), Column("cells", "cells"), Column("area_ha", "ha"))),
        TableOut("structure.csv", doc="Area per group now and optimised, with the change and bounds",
                 doc_zh="优化前后土地利用结构",
                 columns=(Column("group"), Column("current_ha", "ha"), Column("optimised_ha", "ha"),
                          Column("change_ha", "ha"))),
        TableOut("problem_bounds.csv", doc="Lower and upper bound of each variable and where it comes from",
                 doc_zh="变量上下限及来源",
                 columns=(Column("class"), Column("lower_ha", "ha"), Column("upper_ha", "ha"),
                          Column("current_ha", "ha"))),
        TableOut("pareto_front.csv", when=Equals("method", "nsga2"),
                 doc="NSGA-II Pareto solutions: objective values, areas and the chosen compromise",
                 doc_zh="帕累托前沿", columns=(Column("solution"), Column("chosen"), Column("compromise_method"))),
        TableOut("payoff_table.csv", when=Equals("method", "weighted"),
                 doc="Payoff table of the single-objective optima (normalises the weighted sum)",
                 doc_zh="支付表", columns=(Column("optimum_of"),)),
        TableOut("demand_by_zone.csv", when=Present("zones"), doc="Demand per zone and code",
                 doc_zh="分区需求表", columns=(Column("zone"), Column("code"), Column("cells", "cells"),
                                          Column("area_ha", "ha"))),
        TableOut("structure_by_zone.csv", when=Present("zones"), doc="Area per zone and group, now and optimised",
                 doc_zh="分区土地利用结构", columns=(Column("zone"), Column("group"), Column("current_ha", "ha"),
                                              Column("optimised_ha", "ha"))),
        Output("pareto_front.png", kind="figure", when=Present("charts"), doc="Pareto front chart (PNG)",
               doc_zh="帕累托前沿图（PNG）"),
        Output("pareto_front.svg", kind="figure", when=Present("charts"), doc="Pareto front chart (SVG)",
               doc_zh="帕累托前沿图（SVG）"),
    ),
)

#: the keys of the plan's [optimize] table (checked with a did-you-mean; a misspelt key is never ignored)
_CONSTRAINTS = {k: (Named(GROUPS, what="class group") if k == "bounds" else None) for k in CONSTRAINT_KEYS}
PLAN_SCHEMA = {
    "landuse": None, "scheme": None, "objectives": None, "method": None, "lp_objective": None,
    "weights": Named(tuple(OBJECTIVES), what="objective"), "seed": None, "pop_size": None, "n_gen": None,
    "compromise": None, "pools": None, "pools_set": None, "emission_set": None,
    "built_up_emission_tC_per_ha_yr": None, "economy": Named(GROUPS, what="class group"),
    "esv": {**{k: None for k in ESV_KEYS}, "crosswalk": Named(GROUPS, what="class group")},
    "constraints": _CONSTRAINTS, "zone_constraints": Named(None, value=_CONSTRAINTS, what="zone"),
    "compare": None, "zones": None, "zone_field": None, "zone_layer": None,
}

__all__ = ["DEFAULT_OBJECTIVES", "METHODS", "PLAN_SCHEMA", "SPEC"]
