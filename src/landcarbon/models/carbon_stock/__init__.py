"""Carbon stock, change and value: InVEST 3.20.2-equivalent, and beyond (methods.md §1.3–1.4, §2).

Four pools per class (above, below, soil, dead; Mg C/ha) from a pools table give, for each
land-use map, the carbon density C(i) (Mg C/ha) and the stock S = Σ C(i)·a_i (Mg C); between
dated maps the change ΔC(i) = C_to(i) − C_from(i) and its net present value NPV(i) = ΔC(i)·K.

Beyond InVEST: densities by zone and/or year (``zone``/``year`` columns in the table, lookup
order (z, t) → (z, any) → (any, t) → default), pools from rasters, any number of dated or
scenario maps, Monte Carlo intervals from pool standard deviations (paired draws), and
geographic grids with ellipsoidal cell areas.

The model works on arrays only, one job per module:

- ``spec``        the frozen SPEC and the pool names
- ``pools``       :func:`read_pools`: the pools table validated into Mg C/ha
- ``valuation``   :func:`valuation_constant` K
- ``plan``        :func:`plan`: densities per (map, zone, class), pairs of maps and K
- ``window``      :func:`stock_window` / :func:`process_block`: every map and account of one window in
                  one numba pass (the kernel the windowed engine of ``landcarbon.workflow`` runs)
- ``accounts``    sums of windows (:class:`Accounts`, :class:`Hist`), :func:`check_accounts`
- ``compute``     :func:`compute` on whole DataArrays (numpy, or lazily on dask)
- ``summary``     :func:`summarize`: accounts → tables and the summary dict
- ``montecarlo``  :func:`monte_carlo` intervals

File handling (window reading, writing, the run folder) lives in ``landcarbon.workflow.stock``.
"""

from __future__ import annotations

from .accounts import Accounts, Hist, add_accounts, check_accounts, to_accounts
from .compute import StockResult, compute
from .montecarlo import monte_carlo
from .plan import SOURCE_LABELS, StockPlan, default_pairs, map_labels, plan
from .pools import PoolsTable, fmt_codes, read_pools
from .spec import MAX_PLAUSIBLE_DENSITY, POOL_COLUMNS, POOLS, SPEC
from .summary import summarize
from .valuation import valuation_constant
from .window import CodeInfo, code_info, density_sum, process_block, slot_dtype, stock_window

#: the in-memory model under its registry name (``landcarbon.carbon_stock``)
carbon_stock = compute

__all__ = [
    "MAX_PLAUSIBLE_DENSITY", "POOLS", "POOL_COLUMNS", "SOURCE_LABELS", "SPEC", "Accounts", "CodeInfo", "Hist",
    "PoolsTable", "StockPlan", "StockResult", "add_accounts", "carbon_stock", "check_accounts", "code_info",
    "compute", "default_pairs", "density_sum", "fmt_codes", "map_labels", "monte_carlo", "plan", "process_block",
    "read_pools", "slot_dtype", "stock_window", "summarize", "to_accounts", "valuation_constant",
]
