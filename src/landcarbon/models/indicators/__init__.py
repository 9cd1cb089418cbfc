"""Indicator monitoring (监测预警, methods.md §14): land, carbon and user indicators with status rules.

Pure functions on pandas / xarray; no file I/O (the study runner reads and writes, the catalog stores).

- ``definitions``  the built-in indicators (id, 中文/English name, unit, direction, source): ``INDICATORS``
- ``land``         :func:`land_areas` (maps, zones, control lines → area variables) and
                   :func:`land_indicators` (FC, CR, BF, ES, RE, UB, UX, BLG, PCB)
- ``carbon``       :func:`carbon_indicators` (S, K, NCE, CI, CIR, PCE, GB)
- ``expressions``  :func:`parse_expression` (ast, never eval) and :func:`user_indicators`
- ``status``       :func:`status_of`, :func:`trend_crossing`, :func:`assess` (targets → status, trend
                   warning) and :func:`p_met` (ensembles)
- ``spec``         the frozen ``SPEC`` (not yet in ``models.registry``)

Tables follow the catalog: variables ``[scenario,] zone, year, variable, value, unit`` and indicator rows
``[scenario,] zone, year, indicator, value, unit``; zone ``""`` is the whole region, scenario ``""``
the observed years.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from . import _tables
from .carbon import carbon_indicators
from .definitions import CARBON, DIRECTIONS, INDICATORS, LAND, IndicatorDef, definitions_frame
from .expressions import FUNCTIONS, Expression, UserIndicator, parse_expression, user_indicators
from .land import ECOLOGICAL, land_areas, land_indicators
from .spec import SPEC
from .status import (
    BREACHED,
    DEFAULT_TOLERANCE,
    DEFAULT_WARNING,
    MET,
    WARNING,
    Target,
    assess,
    check_rule,
    p_met,
    status_label,
    status_of,
    trend_crossing,
)

OBSERVED = _tables.OBSERVED
REGION = _tables.REGION


@dataclass(frozen=True)
class IndicatorResult:
    """``indicators``: assessed rows (the catalog's ``indicators`` columns); ``definitions``: one row per
    indicator present (the catalog's ``indicator_defs``)."""

    indicators: pd.DataFrame
    definitions: pd.DataFrame


def compute(variables: pd.DataFrame, *, targets: Iterable[Target] = (), user: Sequence[UserIndicator] = (),
            base_year: int | None = None, crop_target: object = None,
            observed_years: Sequence[int] | None = None) -> IndicatorResult:
    """Every indicator whose inputs are present, assessed against ``targets``.

    A row is ``observed`` when its year is in ``observed_years`` (default: when its scenario is ``""``
    or the table has no scenario column), else ``projected``."""
    parts = [land_indicators(variables, crop_target=crop_target),
             carbon_indicators(variables, base_year=base_year)]
    if user:
        parts.append(user_indicators(variables, user))
    rows = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) \
        else parts[0]
    if observed_years is not None:
        obs = rows["year"].isin([int(y) for y in observed_years])
    elif "scenario" in rows.columns:
        obs = rows["scenario"] == OBSERVED
    else:
        obs = pd.Series(True, index=rows.index)
    rows = rows.assign(kind=obs.map({True: "observed", False: "projected"}))
    udefs = [u.definition() for u in user]
    out = assess(rows, targets, definitions=udefs)
    present = set(out["indicator"])
    defs = definitions_frame(udefs)
    return IndicatorResult(out, defs[defs["indicator"].isin(present)].reset_index(drop=True))


__all__ = [
    "BREACHED", "CARBON", "DEFAULT_TOLERANCE", "DEFAULT_WARNING", "DIRECTIONS", "ECOLOGICAL", "FUNCTIONS", "INDICATORS",
    "LAND", "MET", "OBSERVED", "REGION", "SPEC", "WARNING", "Expression", "IndicatorDef", "IndicatorResult", "Target",
    "UserIndicator", "assess", "carbon_indicators", "check_rule", "compute", "definitions_frame", "land_areas",
    "land_indicators", "p_met", "parse_expression", "status_label", "status_of", "trend_crossing", "user_indicators",
]
