"""Land-structure optimisation (methods.md §12): LP with HiGHS, NSGA-II with pymoo (both optional extras)."""

from .lp import LPResult, payoff_table, solve_lp
from .nsga import ParetoResult, choose, knee_point, solve_nsga2, topsis
from .problem import (
    StructureProblem,
    build_problem,
    build_problem_by_zone,
    check_feasibility,
    demand_by_zone,
    demand_table,
)

__all__ = [
    "LPResult", "ParetoResult", "StructureProblem", "build_problem", "build_problem_by_zone", "check_feasibility",
    "choose", "demand_by_zone", "demand_table",
    "knee_point", "payoff_table", "solve_lp", "solve_nsga2", "topsis",
]
