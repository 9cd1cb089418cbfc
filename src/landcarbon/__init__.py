"""landcarbon: carbon accounting, land-use simulation and planning evaluation for 国土空间规划 under 双碳.

The model functions are plain functions on xarray / pandas objects, documented with units. They are
re-exported here lazily (PEP 562), so ``import landcarbon`` and the CLI start fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from .core.classes import CLCD, GLOBELAND30, MODIS_IGBP, NATIONAL6, ClassScheme, Crosswalk
from .core.errors import (
    EmptyInputError,
    GridMismatchError,
    InfeasibleError,
    InputFileError,
    InputValidationError,
    LandcarbonError,
    MissingClassError,
    UnitError,
)
from .core.grid import GridSpec, ensure_aligned, grid_of

__version__ = "0.1.0"

#: public name -> (module, attribute), imported on first use
_LAZY: dict[str, tuple[str, str]] = {
    "carbon_stock": ("landcarbon.models.carbon_stock", "compute"),
    "read_pools": ("landcarbon.models.carbon_stock", "read_pools"),
    "simulate": ("landcarbon.models.simulate", "simulate"),
    "transition_matrix": ("landcarbon.models.change", "transition_matrix"),
    "dynamic_degree": ("landcarbon.models.change", "dynamic_degree"),
    "markov_demand": ("landcarbon.models.demand", "markov"),
    "trend_demand": ("landcarbon.models.demand", "trend"),
    "validate_simulation": ("landcarbon.models.validate", "compare"),
    "emissions_by_zone": ("landcarbon.models.emissions", "emissions_by_zone"),
    "carbon_balance": ("landcarbon.models.balance", "carbon_balance"),
    "fit_stirpat": ("landcarbon.models.peak", "fit_stirpat"),
    "project_emissions": ("landcarbon.models.peak", "project"),
    "detect_peak": ("landcarbon.models.peak", "detect_peak"),
    "allocate_quotas": ("landcarbon.models.allocation", "allocate"),
    "zsg_dea": ("landcarbon.models.allocation", "zsg_dea"),
    "entropy_weights": ("landcarbon.models.weights", "entropy_weights"),
    "ahp_weights": ("landcarbon.models.evaluate", "ahp_weights"),
    "evaluate_suitability": ("landcarbon.models.evaluate", "evaluate_suitability"),
    "evaluate_intensive": ("landcarbon.models.evaluate", "evaluate_intensive"),
    "control_line_conflicts": ("landcarbon.models.evaluate", "conflicts"),
    "solve_lp": ("landcarbon.models.optimize", "solve_lp"),
    "solve_nsga2": ("landcarbon.models.optimize", "solve_nsga2"),
    "run_stock": ("landcarbon.workflow.stock", "run_stock"),
    "read_raster": ("landcarbon.io", "read_raster"),
    "read_vector": ("landcarbon.io", "read_vector"),
    "read_table": ("landcarbon.io", "read_table"),
}

__all__ = [
    "CLCD", "GLOBELAND30", "MODIS_IGBP", "NATIONAL6", "ClassScheme", "Crosswalk", "EmptyInputError",
    "GridMismatchError", "GridSpec", "InfeasibleError", "InputFileError", "InputValidationError",
    "LandcarbonError", "MissingClassError", "UnitError", "__version__", "ahp_weights", "allocate_quotas",
    "carbon_balance", "carbon_stock", "control_line_conflicts", "detect_peak", "dynamic_degree",
    "emissions_by_zone", "ensure_aligned", "entropy_weights", "evaluate_intensive", "evaluate_suitability",
    "fit_stirpat", "grid_of", "markov_demand", "project_emissions", "read_pools", "read_raster", "read_table",
    "read_vector", "run_stock", "simulate", "solve_lp", "solve_nsga2", "transition_matrix", "trend_demand",
    "validate_simulation", "zsg_dea",
]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'landcarbon' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
