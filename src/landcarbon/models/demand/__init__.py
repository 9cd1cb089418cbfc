"""Land-use demand: Markov chain, scenario rules, linear trend, a given table (methods.md §7.3–7.5).

Every generator returns a demand table in cells (and ha) whose total equals the number of valid
cells of the simulation's start map exactly (integer rounding by largest remainders):

    code, cells, area_ha              one target year
    year, code, cells, area_ha        several target years

Class codes are kept as they are in the maps (they need not be consecutive); the simulation maps
them to 0 … K−1 internally (methods.md §8.1).
"""

from __future__ import annotations

from ...core.spec import ModelSpec, NumberIn, RasterIn, TableIn, TableOut
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
    id="demand", version="1", title_en="Land-use demand", title_zh="土地利用需求预测",
    inputs=(
        RasterIn("map1", doc="land-use map at t1"),
        RasterIn("map2", doc="land-use map at t2 (the simulation's start map)"),
        NumberIn("target_year", units="a"),
        TableIn("rules", doc="scenario rules: from, to, change_pct", columns={"change_pct": "%"},
                required=False),
    ),
    outputs=(TableOut("demand", columns={"cells": "cells", "area_ha": "ha"}),),
    methods_ref="methods.md §7.3–7.5",
)

