"""A demand table given directly (from optimisation or a plan), checked and rescaled to the start
map's valid cells."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...core.errors import InputValidationError, MissingClassError
from ...core.spec import Issue
from .markov import largest_remainder


# --------------------------------------------------------------------------------------------
# a demand table given directly
# --------------------------------------------------------------------------------------------
def _frame(years: list[int], multi: bool, codes: Sequence[int], cells: list[np.ndarray],
           cell_ha: float) -> pd.DataFrame:
    parts = []
    for y, c in zip(years, cells):
        d = pd.DataFrame({"code": list(codes), "cells": c.astype(np.int64)})
        d["area_ha"] = np.round(d["cells"].to_numpy() * cell_ha, 6)
        if multi:
            d.insert(0, "year", y)
        parts.append(d)
    return pd.concat(parts, ignore_index=True)


def _rows(rows: list[int]) -> str:
    return f"row {rows[0]} holds" if len(rows) == 1 else f"rows {', '.join(map(str, rows))} hold"


def parse_table(table: pd.DataFrame, *, cell_area_ha: float | None = None) -> pd.DataFrame:
    """The demand table as ``[year,] code, value`` (value in cells), or an ``InputValidationError`` with
    every problem at once (key ``table``): columns missing, missing or non-numeric cells, negative
    values, a code listed twice for one year (naming both rows). Row numbers count data rows from 1.
    With only ``area_ha``, ``cell_area_ha`` converts it to cells (None: the values are not converted)."""
    cols = {str(c).strip().lower(): c for c in table.columns}
    if "code" not in cols or not ({"cells", "area_ha"} & set(cols)):
        raise InputValidationError([Issue("table", f"demand table has columns {list(table.columns)}; expected code "
                                                   f"and cells (or area_ha), optionally year")])
    df = pd.DataFrame({"code": pd.to_numeric(table[cols["code"]], errors="coerce")})
    if "year" in cols:
        df.insert(0, "year", pd.to_numeric(table[cols["year"]], errors="coerce"))
    if "cells" in cols:
        vals = pd.to_numeric(table[cols["cells"]], errors="coerce")
    else:
        if cell_area_ha is not None and not (cell_area_ha > 0):
            raise InputValidationError([Issue("table", "demand table gives area_ha but the start map's cell area "
                                                       "is unknown (no georeferencing); give cells")])
        vals = pd.to_numeric(table[cols["area_ha"]], errors="coerce") / float(cell_area_ha or 1.0)
    df["value"] = vals
    df.index = pd.RangeIndex(1, len(df) + 1)
    issues = []
    for row in df.index[df.isna().any(axis=1)]:
        issues.append(Issue("table", f"row {row} holds a missing or non-numeric value; expected numbers in every "
                                     f"column"))
    neg = [int(r) for r in df.index[df["value"] < 0]]
    if neg:
        issues.append(Issue("table", f"{_rows(neg)} negative demand; expected cells ≥ 0"))
    if not issues:
        frac = [int(r) for r in df.index[(df["code"] != df["code"].round())]]
        if frac:
            issues.append(Issue("table", f"{_rows(frac)} a class code that is not a whole number; expected "
                                         f"integer codes"))
    if not issues:
        keys = ["year", "code"] if "year" in df.columns else ["code"]
        dup = df[df.duplicated(keys, keep=False)]
        for key, g in dup.groupby(keys, sort=True):
            key = key if isinstance(key, tuple) else (key,)
            what = ", ".join(f"{k} {int(v)}" for k, v in zip(keys, key))
            issues.append(Issue("table", f"rows {' and '.join(map(str, g.index))} both give {what}; expected one row "
                                         f"per {' and '.join(keys)}: drop or merge the duplicates"))
    if issues:
        raise InputValidationError(issues)
    df["code"] = df["code"].astype(np.int64)
    return df


def from_table(table: pd.DataFrame, *, total_cells: int, codes: Sequence[int] | None = None,
               cell_area_ha: float | None = None, rescale: bool = False,
               fixed: Sequence[int] = ()) -> pd.DataFrame:
    """Check and normalise a demand table given by the user.

    Columns: ``code`` and ``cells`` (or ``area_ha`` with ``cell_area_ha``), optional ``year``.
    Each year's cells must add up to ``total_cells`` (the start map's valid cells) exactly; otherwise
    an error names both numbers, unless ``rescale=True``: then the classes not in ``fixed`` are scaled
    proportionally and rounded by largest remainders. ``codes``: the map's classes; each must
    have a row (codes not in the map are allowed).
    """
    cols = {str(c).strip().lower(): c for c in table.columns}
    if "cells" not in cols and "area_ha" in cols and not cell_area_ha:
        raise InputValidationError("demand table gives area_ha but the cell area is unknown; give cells")
    df = parse_table(table, cell_area_ha=cell_area_ha)
    multi = "year" in df.columns
    groups = df.groupby("year", sort=True) if multi else [(None, df)]
    out_years, out_cells, out_codes = [], [], None
    for y, g in groups:
        g = g.sort_values("code")
        gc = [int(c) for c in g["code"]]
        if codes is not None:
            miss = sorted(set(int(c) for c in codes) - set(gc))
            if miss:
                raise MissingClassError(f"demand table{'' if y is None else f' ({int(y)})'} has no row for "
                                        f"classes {miss} present in the map; add them (cells may be 0)", miss)
        v = g["value"].to_numpy(dtype=np.float64)
        s = v.sum()
        if abs(s - total_cells) > 1e-6:
            if not rescale:
                raise InputValidationError(
                    f"demand{'' if y is None else f' for {int(y)}'} totals {s:,.0f} cells but the start map has "
                    f"{total_cells:,} valid cells (difference {s - total_cells:+,.0f}); make the demand add up "
                    f"to the valid cells, or rescale the non-fixed classes proportionally (rescale=True)")
            fix = np.isin(gc, list(fixed))
            free_total = total_cells - v[fix].sum()
            if free_total < 0 or v[~fix].sum() <= 0:
                raise InputValidationError(f"fixed classes {list(fixed)} already take {v[fix].sum():,.0f} of "
                                           f"{total_cells:,} cells; nothing left to rescale")
            vi = np.zeros(v.size, dtype=np.int64)
            vi[fix] = np.round(v[fix]).astype(np.int64)
            vi[~fix] = largest_remainder(v[~fix], total_cells - int(vi[fix].sum()))
        else:
            if not np.allclose(v, np.round(v)):
                vi = largest_remainder(v, total_cells)
            else:
                vi = np.round(v).astype(np.int64)
        out_years.append(None if y is None else int(y))
        out_cells.append(vi)
        if out_codes is not None and out_codes != gc:
            raise InputValidationError("demand table: every year must list the same classes")
        out_codes = gc
    assert out_codes is not None
    res = _frame(out_years, multi, out_codes, out_cells, cell_area_ha if cell_area_ha else float("nan"))
    res.attrs.update({"method": "table", "start_cells": int(total_cells), "rescaled": bool(rescale)})
    return res


def check_total(demand: pd.DataFrame, total_cells: int) -> None:
    """Raise unless every year's cells add up to ``total_cells`` exactly (for the simulation)."""
    groups = demand.groupby("year") if "year" in demand.columns else [(None, demand)]
    for y, g in groups:
        s = int(g["cells"].sum())
        if s != int(total_cells):
            raise InputValidationError(
                f"demand{'' if y is None else f' for {int(y)}'} totals {s:,} cells but the start map has "
                f"{int(total_cells):,} valid cells (difference {s - int(total_cells):+,}); regenerate the demand "
                f"for this map or rescale it (method 'table' with rescale=True)")
