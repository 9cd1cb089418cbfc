"""The demo's accounts step: emissions, balance zoning and peak projection on the synthetic districts.

Shared infrastructure (outside the independence contract of the per-command workflow modules, like
``workflow.demo`` and ``workflow.demo_planning``): it runs three steps one after another. Also importable
as ``landcarbon.workflow.emissions.demo_step``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["demo_step"]


def demo_step(out_dir: str | os.PathLike, *, lang: str = "en") -> dict[str, Any]:
    """Emissions, balance and peak on the synthetic districts dataset, for `landcarbon demo`.

    Writes ``out_dir/inputs`` (synthetic inputs), ``out_dir/emissions``, ``out_dir/balance`` (with
    zoning.gpkg) and ``out_dir/peak``. Charts are rendered from these folders by
    ``landcarbon.report.charts_carbon.render_carbon_charts(out_dir)`` (report sits above workflow).
    Returns the three summaries and the folder paths.
    """
    from ..datasets import districts
    from .balance import run_balance
    from .emissions import run_emissions
    from .peak import run_peak

    base = Path(out_dir)
    paths = districts.write_districts(base / "inputs")
    s_em = run_emissions(out=base / "emissions", landuse=paths["landuse"], year=2022, zones=paths["zones"],
                         zone_field="name", energy=paths["energy"], region=districts.REGION, hold_landuse=True)
    s_bal = run_balance(out=base / "balance", emissions=base / "emissions" / "emissions_by_zone.csv",
                        socioeconomic=paths["socioeconomic"], zones=paths["zones"], zone_field="name", pearl=True)
    s_peak = run_peak(out=base / "peak", history=paths["history"], scenarios=paths["scenarios"], n_boot=200, seed=1)
    return {"emissions": s_em, "balance": s_bal, "peak": s_peak,
            "folders": {k: str(base / k) for k in ("inputs", "emissions", "balance", "peak")},
            "note": districts.SYNTHETIC_NOTE}
