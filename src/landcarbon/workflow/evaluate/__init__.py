"""Workflow steps of the planning evaluations (methods.md §10–12): 双评价 suitability, MCE, control lines,
intensive use and ESV, one module each, registered as the models ``suitability``, ``mce``,
``control_lines``, ``intensive`` and ``esv`` (``check_<id>`` / ``execute_<id>``). The runner validates the
values against each spec, opens and hashes the inputs once, stages the run folder and writes the manifest;
the ``run_*`` functions are the Python API over it.
"""

from __future__ import annotations

from typing import Any

import xarray as xr

from ...io.inputs import load_lines, read_plan
from .esv import check_esv, demand_group_areas, execute_esv, group_areas, run_esv
from .intensive import check_intensive, execute_intensive, run_intensive
from .lines import check_control_lines, execute_control_lines, run_control_lines
from .mce import check_mce, execute_mce, run_mce
from .suitability import check_suitability, execute_suitability, run_suitability

load_plan = read_plan  # kept for callers of the old name


def load_line(path: Any, like: xr.DataArray, name: str, base: Any = None) -> xr.DataArray:
    """A control line as a boolean mask on ``like``'s grid (vectors burnt; rasters must share the grid)."""
    return load_lines({name: path}, like=like, base=base)[name]


def __getattr__(name: str) -> Any:
    # the demo lives in workflow.demo_planning (it runs optimize too); the old name keeps working
    if name == "demo_step":
        import importlib

        return importlib.import_module("landcarbon.workflow.demo_planning").demo_step
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["check_control_lines", "check_esv", "check_intensive", "check_mce", "check_suitability",
           "demand_group_areas", "execute_control_lines", "execute_esv", "execute_intensive", "execute_mce",
           "execute_suitability", "group_areas", "load_line", "load_plan", "run_control_lines", "run_esv",
           "run_intensive", "run_mce", "run_suitability"]
