"""The pools table: columns, units, codes, zones/years and SDs, validated into Mg C/ha."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...core.errors import InputValidationError, UnitError
from ...core.spec import Issue
from ...core.units import density_factor
from .spec import CODE_NAMES, LOW_PLAUSIBLE_DENSITY, MAX_PLAUSIBLE_DENSITY, NAME_NAMES, POOL_COLUMNS, POOLS

_CODE_NAMES = CODE_NAMES
_NAME_NAMES = NAME_NAMES
_UNIT_WORDS = ("units", "unit", "单位")
_DEFAULT_ZONE_WORDS = ("", "*", "default", "all", "any", "nan", "none")


@dataclass(frozen=True)
class PoolsTable:
    """A validated pools table: densities in Mg C/ha.

    ``frame`` columns: ``code`` (int), ``zone`` (str, "" = any zone), ``year`` (int, −1 = any year),
    ``c_above`` … ``c_dead`` (float, Mg C/ha), ``sd_above`` … ``sd_dead`` (float, Mg C/ha; NaN when
    not given), ``name`` (str).
    """

    frame: pd.DataFrame
    unit: str = "Mg C/ha"
    factor: float = 1.0
    has_zone: bool = False
    has_year: bool = False
    has_sd: bool = False
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()     # assumptions the caller states on the console (a suspiciously low table)

    @property
    def codes(self) -> np.ndarray:
        return np.unique(self.frame["code"].to_numpy(np.int64))

    def class_names(self) -> dict[int, str]:
        out: dict[int, str] = {}
        for code, name in zip(self.frame["code"], self.frame["name"]):
            out.setdefault(int(code), str(name))
        return out


def _colmap(df: pd.DataFrame) -> dict[str, str]:
    return {str(c).strip().lower().replace(" ", "_"): c for c in df.columns}


def _find(cols: dict[str, str], names: Sequence[str]) -> str | None:
    for n in names:
        if n in cols:
            return cols[n]
    return None


def fmt_codes(codes: Sequence[Any], limit: int = 20) -> str:
    codes = list(codes)
    s = ", ".join(str(c) for c in codes[:limit])
    return s + (f" … ({len(codes)} in all)" if len(codes) > limit else "")


def _pools_issue(message: str) -> InputValidationError:
    return InputValidationError([Issue("pools", message)])


def _unit_error(message: str, key: str = "pools") -> UnitError:
    err = UnitError(message)
    err.key = key  # the input the interface names (runner.translate_error)
    return err


def _density_factor(unit: str, key: str) -> float:
    try:
        return density_factor(unit)
    except UnitError as err:
        raise _unit_error(str(err), key) from None


def read_pools(table: pd.DataFrame, *, units: str | None = None, nodata_values: Sequence[float] = (),
               allow_implausible: bool = False) -> PoolsTable:
    """Validate a pools table and convert it to Mg C/ha.

    Columns (case-insensitive): ``lucode`` (or ``code``), ``c_above``, ``c_below``, ``c_soil``,
    ``c_dead``; optional ``zone``, ``year``, ``sd_above`` … ``sd_dead`` or ``cv``, a name column
    (``lulc_name``/``name``). Units: Mg C/ha unless declared by ``units`` (e.g. ``"kg C/m2"``), by a
    ``units`` column, or by a row whose code reads ``units``. A total density above 2000 Mg C/ha is
    refused as a unit error unless ``allow_implausible`` (deep peat soils exceed it); a table whose
    densest class is below 25 Mg C/ha gets a warning (kg C/m² suspected). ``nodata_values``: the maps'
    nodata values, refused as class codes. Raises InputValidationError / UnitError (key ``pools``)
    listing every problem found.
    """
    if not isinstance(table, pd.DataFrame):
        raise _pools_issue(f"expected a table (DataFrame or CSV path), found {type(table).__name__}")
    df = table.copy()
    df.columns = [str(c).strip() for c in df.columns]
    cols = _colmap(df)
    code_col = _find(cols, _CODE_NAMES)
    issues: list[str] = []
    if code_col is None:
        raise _pools_issue(f"no class-code column; found columns {list(df.columns)}; expected 'lucode' (or 'code') "
                           f"holding the land-use codes of the map")
    pool_cols = {}
    for p, c in zip(POOLS, POOL_COLUMNS):
        col = _find(cols, (c, f"c_{p}_mgc_ha", f"{p}", f"c{p}"))
        if col is None:
            issues.append(f"column {c!r} is missing")
        else:
            pool_cols[p] = col
    if issues:
        raise _pools_issue(f"{'; '.join(issues)}; found columns {list(df.columns)}; expected lucode, c_above, "
                           f"c_below, c_soil, c_dead (Mg C/ha; case-insensitive). Enter 0 for a pool without data")

    # units: a row whose code is 'units', a 'units' column, or the ``units`` argument
    declared: dict[str, str] = {}
    code_str = df[code_col].astype(str).str.strip().str.lower()
    unit_rows = code_str.isin(_UNIT_WORDS)
    row_factor = pd.Series(1.0, index=df.index)
    if unit_rows.any():
        urow = df[unit_rows].iloc[0]
        for p, col in pool_cols.items():
            val = str(urow[col]).strip()
            if val and val.lower() != "nan":
                declared[p] = val
        df = df[~unit_rows].copy()
        row_factor = row_factor[~unit_rows]
    unit_col = _find(_colmap(df), _UNIT_WORDS)
    col_units: set[str] = set()
    if unit_col is not None:
        for i, u in df[unit_col].items():
            u = str(u).strip()
            if u and u.lower() != "nan":
                row_factor[i] = _density_factor(u, "pools")
                col_units.add(u)
    pool_factor = {p: _density_factor(declared[p], "pools") if p in declared else 1.0 for p in POOLS}
    table_units = set(declared.values()) | col_units
    if units is not None:
        f_arg = _density_factor(units, "pools_units")
        if table_units and any(density_factor(u) != f_arg for u in table_units):
            raise _unit_error(f"the pools table declares units {sorted(table_units)} but ⟨pools_units⟩ says "
                              f"{units!r}; remove one of the two", "pools_units")
        if not table_units:
            pool_factor = dict.fromkeys(POOLS, f_arg)
    unit_label = units or (", ".join(sorted(table_units)) if table_units else "Mg C/ha")

    # codes
    codes_num = pd.to_numeric(df[code_col], errors="coerce")
    bad = df[code_col][codes_num.isna() | (codes_num != codes_num.round())]
    if len(bad):
        raise _pools_issue(f"class codes must be integers; found {fmt_codes(bad.astype(str).tolist())} in column "
                           f"{code_col!r}; fix or remove those rows")
    out = pd.DataFrame({"code": codes_num.astype(np.int64).to_numpy()}, index=df.index)
    nd = [v for v in nodata_values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    listed_nd = sorted({int(c) for c in out["code"] if any(float(c) == float(v) for v in nd)})
    if listed_nd:
        raise _pools_issue(f"the table lists code(s) {fmt_codes(listed_nd)}, which is the nodata value of a "
                           f"land-use map; nodata is never a class (methods.md §2.2). Remove the row, or give the "
                           f"map a different nodata value if those cells are real land")
    name_col = _find(cols, _NAME_NAMES)
    out["name"] = (df[name_col].astype(object).where(df[name_col].notna(), "").astype(str).to_numpy()
                   if name_col else out["code"].astype(str))

    zone_col = _find(_colmap(df), ("zone", "region", "分区"))
    year_col = _find(_colmap(df), ("year", "年份"))
    if zone_col is not None:
        z = df[zone_col].astype(object).where(df[zone_col].notna(), "").astype(str).str.strip()
        out["zone"] = np.where(z.str.lower().isin(_DEFAULT_ZONE_WORDS), "", z)
    else:
        out["zone"] = ""
    if year_col is not None:
        y = pd.to_numeric(df[year_col], errors="coerce")
        out["year"] = y.fillna(-1).astype(np.int64).to_numpy()
    else:
        out["year"] = -1

    # densities
    for p, col in pool_cols.items():
        raw = df[col]
        vals = pd.to_numeric(raw, errors="coerce")
        empty = vals.isna()
        if empty.any():
            which = out.loc[empty, "code"].tolist()
            issues.append(f"c_{p} is empty or not a number for code(s) {fmt_codes(which)} "
                          f"(enter 0 for a pool without data)")
        neg = vals < 0
        if neg.any():
            issues.append(f"c_{p} is negative for code(s) {fmt_codes(out.loc[neg, 'code'].tolist())} "
                          f"(densities are ≥ 0 Mg C/ha)")
        out[f"c_{p}"] = (vals * row_factor * pool_factor[p]).to_numpy(np.float64)

    # standard deviations
    has_sd = False
    cv_col = _find(_colmap(df), ("cv", "c_cv"))
    for p in POOLS:
        sd_col = _find(_colmap(df), (f"sd_{p}", f"c_{p}_sd", f"sd_c_{p}"))
        if sd_col is not None:
            sd = pd.to_numeric(df[sd_col], errors="coerce")
            out[f"sd_{p}"] = (sd * row_factor * pool_factor[p]).to_numpy(np.float64)
            has_sd = True
        elif cv_col is not None:
            cv = pd.to_numeric(df[cv_col], errors="coerce").to_numpy(np.float64)
            out[f"sd_{p}"] = cv * out[f"c_{p}"].to_numpy()
            has_sd = True
        else:
            out[f"sd_{p}"] = np.nan
        negsd = out[f"sd_{p}"] < 0
        if negsd.any():
            issues.append(f"sd_{p} is negative for code(s) {fmt_codes(out.loc[negsd, 'code'].tolist())}")
    if issues:
        raise InputValidationError([Issue("pools", i) for i in issues])

    dup = out.duplicated(subset=["code", "zone", "year"], keep=False)
    if dup.any():
        rows = [int(i) + 1 for i in np.flatnonzero(dup.to_numpy())]
        raise _pools_issue(
            f"code(s) {fmt_codes(sorted(set(out.loc[dup, 'code'])))} appear more than once for the same zone and "
            f"year (data rows {fmt_codes(rows)}); keep one row per code (per zone/year when those columns are used)")
    total = out[list(POOL_COLUMNS)].sum(axis=1)
    big = total > MAX_PLAUSIBLE_DENSITY
    converted = bool(table_units) or units is not None
    if big.any() and not allow_implausible:
        worst = float(total.max())
        raise _unit_error(
            f"total density of code(s) {fmt_codes(out.loc[big, 'code'].tolist())} is up to {worst:g} "
            f"{'(after conversion) ' if converted else ''}Mg C/ha, above the plausible {MAX_PLAUSIBLE_DENSITY:g} "
            f"Mg C/ha; the table is probably in another unit: g C/m² (100 × the Mg C/ha value) or kg C/ha "
            f"(1000 ×). Declare its unit with a 'units' row or column or with ⟨pools_units⟩ (e.g. 'g C/m2'), or "
            f"convert it to Mg C/ha (= t C/ha = t/hm²); if the densities are right (deep peat soils), set "
            f"⟨allow_implausible⟩")
    warn = []
    if len(total) and float(total.max()) < LOW_PLAUSIBLE_DENSITY:
        warn.append(f"pools: the densest class holds {float(total.max()):g} Mg C/ha"
                    f"{' (after conversion)' if converted else ''}, below {LOW_PLAUSIBLE_DENSITY:g}: if the table "
                    f"is in kg C/m² (1 kg C/m² = 10 Mg C/ha), declare it with pools_units 'kg C/m2'")
    notes = []
    if unit_label != "Mg C/ha" and any(f != 1.0 for f in pool_factor.values()) | (row_factor != 1.0).any():
        notes.append(f"pools table converted from {unit_label} to Mg C/ha")
    return PoolsTable(frame=out.reset_index(drop=True), unit=unit_label,
                      factor=float(next(iter(pool_factor.values()))),
                      has_zone=bool((out["zone"] != "").any()), has_year=bool((out["year"] >= 0).any()),
                      has_sd=has_sd, notes=tuple(notes), warnings=tuple(warn))


__all__ = ["PoolsTable", "fmt_codes", "read_pools"]
