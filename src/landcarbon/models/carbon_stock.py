"""Carbon stock, change and value: InVEST 3.20.2-equivalent, and beyond (methods.md §1.3–1.4, §2).

Four pools per class (above, below, soil, dead; Mg C/ha) from a pools table give, for each
land-use map, the carbon density C(i) (Mg C/ha) and the stock S = Σ C(i)·a_i (Mg C); between
dated maps the change ΔC(i) = C_to(i) − C_from(i) and its net present value NPV(i) = ΔC(i)·K.

Beyond InVEST: densities by zone and/or year (``zone``/``year`` columns in the table, lookup
order (z, t) → (z, any) → (any, t) → default), pools from rasters, any number of dated or
scenario maps, Monte Carlo intervals from pool standard deviations (paired draws), and
geographic grids with ellipsoidal cell areas.

The model works on arrays only: :func:`plan` prepares lookup tables from the pools table,
:func:`process_block` computes every map and every account of one chunk in a single pass (numba),
:func:`compute` builds the same on whole DataArrays (lazy with dask), and :func:`summarize` turns
the accounts into tables and the summary dict. File handling lives in ``landcarbon.workflow.stock``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import (
    EmptyInputError,
    InputValidationError,
    MissingClassError,
    UnitError,
)
from ..core.spec import ModelSpec, NumberIn, Present, RasterIn, RasterOut, TableIn, TableOut, VectorIn
from ..core.units import CO2_PER_C, density_factor
from ..kernels import stock as _k

POOLS: tuple[str, ...] = ("above", "below", "soil", "dead")
POOL_COLUMNS: tuple[str, ...] = tuple(f"c_{p}" for p in POOLS)
#: total density above which a table is taken to be in the wrong unit (Mg C/ha) [D]
MAX_PLAUSIBLE_DENSITY = 2000.0

SPEC = ModelSpec(
    id="carbon_stock",
    version="1",
    title_en="Carbon storage, sequestration and value (InVEST-equivalent)",
    title_zh="碳储量、碳汇与价值（InVEST 等效）",
    methods_ref="methods.md §1.3-1.4, §2",
    inputs=(
        RasterIn("landuse", doc="integer land-use maps on one grid, one per year or scenario"),
        TableIn("pools", doc="carbon pools per class (lucode, c_above, c_below, c_soil, c_dead); optional "
                "zone, year, sd_* or cv columns", index="lucode",
                units="Mg C/ha", columns={c: "Mg C/ha" for c in POOL_COLUMNS}),
        VectorIn("zones", doc="zones for the zone x class table", required=False),
        NumberIn("price", doc="carbon price per tonne of carbon", units="CNY/t C", required=False,
                 minimum=0.0),
        NumberIn("discount_rate", doc="annual discount rate", units="%/a", required=Present("price"),
                 minimum=-99.0, default=0.0),
        NumberIn("price_change", doc="annual price change (InVEST: acts as a second discount rate)",
                 units="%/a", required=False, minimum=-99.0, default=0.0),
        NumberIn("mc_draws", doc="Monte Carlo draws (0 = none)", required=False, minimum=0, default=0),
    ),
    outputs=(
        RasterOut("c_storage", doc="carbon density, sum of the four pools", units="Mg C/ha"),
        RasterOut("c_change", doc="change in carbon density, to minus from", units="Mg C/ha"),
        RasterOut("npv", doc="net present value of the change", units="CNY/ha"),
        RasterOut("c_pool", doc="density of one pool (optional)", units="Mg C/ha"),
        TableOut("zone_class", doc="zone x class x map accounts", columns={
            "area_ha": "ha", "stock_MgC": "Mg C", "stock_tCO2": "t CO2", "change_MgC": "Mg C",
            "npv_CNY": "CNY", "price_year": "year"}),
    ),
)

_CODE_NAMES = ("lucode", "code", "class", "class_code", "value", "lulc")
_NAME_NAMES = ("lulc_name", "name", "class_name", "description", "desc", "lulc_desc", "名称")
_UNIT_WORDS = ("units", "unit", "单位")
_DEFAULT_ZONE_WORDS = ("", "*", "default", "all", "any", "nan", "none")


# ------------------------------------------------------------------------------------------------
# pools table
# ------------------------------------------------------------------------------------------------
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


def _fmt_codes(codes: Sequence[Any], limit: int = 20) -> str:
    codes = list(codes)
    s = ", ".join(str(c) for c in codes[:limit])
    return s + (f" … ({len(codes)} in all)" if len(codes) > limit else "")


def read_pools(table: pd.DataFrame, *, units: str | None = None,
               nodata_values: Sequence[float] = ()) -> PoolsTable:
    """Validate a pools table and convert it to Mg C/ha.

    Columns (case-insensitive): ``lucode`` (or ``code``), ``c_above``, ``c_below``, ``c_soil``,
    ``c_dead``; optional ``zone``, ``year``, ``sd_above`` … ``sd_dead`` or ``cv``, a name column
    (``lulc_name``/``name``). Units: Mg C/ha unless declared by ``units`` (e.g. ``"kg C/m2"``), by a
    ``units`` column, or by a row whose code reads ``units``. A total density above 2000 Mg C/ha is
    refused as a unit error. ``nodata_values``: the maps' nodata values, refused as class codes.
    Raises InputValidationError / UnitError listing every problem found.
    """
    if not isinstance(table, pd.DataFrame):
        raise InputValidationError(f"pools: expected a table (DataFrame or CSV path), found {type(table).__name__}")
    df = table.copy()
    df.columns = [str(c).strip() for c in df.columns]
    cols = _colmap(df)
    code_col = _find(cols, _CODE_NAMES)
    issues: list[str] = []
    if code_col is None:
        raise InputValidationError(
            f"pools: no class-code column; found columns {list(df.columns)}; expected 'lucode' (or 'code') "
            f"holding the land-use codes of the map")
    pool_cols = {}
    for p, c in zip(POOLS, POOL_COLUMNS):
        col = _find(cols, (c, f"c_{p}_mgc_ha", f"{p}", f"c{p}"))
        if col is None:
            issues.append(f"column {c!r} is missing")
        else:
            pool_cols[p] = col
    if issues:
        raise InputValidationError(
            f"pools: {'; '.join(issues)}; found columns {list(df.columns)}; expected lucode, c_above, c_below, "
            f"c_soil, c_dead (Mg C/ha; case-insensitive). Enter 0 for a pool without data")

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
                row_factor[i] = density_factor(u)
                col_units.add(u)
    pool_factor = {p: density_factor(declared[p]) if p in declared else 1.0 for p in POOLS}
    table_units = set(declared.values()) | col_units
    if units is not None:
        f_arg = density_factor(units)
        if table_units and any(density_factor(u) != f_arg for u in table_units):
            raise UnitError(f"pools: the table declares units {sorted(table_units)} but the units option says "
                            f"{units!r}; remove one of the two")
        if not table_units:
            pool_factor = dict.fromkeys(POOLS, f_arg)
    unit_label = units or (", ".join(sorted(table_units)) if table_units else "Mg C/ha")

    # codes
    codes_num = pd.to_numeric(df[code_col], errors="coerce")
    bad = df[code_col][codes_num.isna() | (codes_num != codes_num.round())]
    if len(bad):
        raise InputValidationError(
            f"pools: class codes must be integers; found {_fmt_codes(bad.astype(str).tolist())} in column "
            f"{code_col!r}; fix or remove those rows")
    out = pd.DataFrame({"code": codes_num.astype(np.int64).to_numpy()}, index=df.index)
    nd = [v for v in nodata_values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    listed_nd = sorted({int(c) for c in out["code"] if any(float(c) == float(v) for v in nd)})
    if listed_nd:
        raise InputValidationError(
            f"pools: the table lists code(s) {_fmt_codes(listed_nd)}, which is the nodata value of a land-use "
            f"map; nodata is never a class (methods.md §2.2). Remove the row, or give the map a different "
            f"nodata value if those cells are real land")
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
            issues.append(f"c_{p} is empty or not a number for code(s) {_fmt_codes(which)} "
                          f"(enter 0 for a pool without data)")
        neg = vals < 0
        if neg.any():
            issues.append(f"c_{p} is negative for code(s) {_fmt_codes(out.loc[neg, 'code'].tolist())} "
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
            issues.append(f"sd_{p} is negative for code(s) {_fmt_codes(out.loc[negsd, 'code'].tolist())}")
    if issues:
        raise InputValidationError(["pools: " + i for i in issues])

    dup = out.duplicated(subset=["code", "zone", "year"], keep=False)
    if dup.any():
        raise InputValidationError(
            f"pools: code(s) {_fmt_codes(sorted(set(out.loc[dup, 'code'])))} appear more than once for the same "
            f"zone and year; keep one row per code (per zone/year when those columns are used)")
    total = out[list(POOL_COLUMNS)].sum(axis=1)
    big = total > MAX_PLAUSIBLE_DENSITY
    if big.any():
        worst = float(total.max())
        raise UnitError(
            f"pools: total density of code(s) {_fmt_codes(out.loc[big, 'code'].tolist())} is up to {worst:g} "
            f"{'Mg C/ha' if not table_units and units is None else '(after conversion) Mg C/ha'}, above the "
            f"{MAX_PLAUSIBLE_DENSITY:g} Mg C/ha no ecosystem reaches; the table is probably in another unit "
            f"(g C/m² is 100× Mg C/ha, kg C/ha 1000×). Declare it with a 'units' row or column, or "
            f"--pools-units (e.g. 'g C/m2'), or convert it to Mg C/ha (= t C/ha = t/hm²)")
    notes = []
    if unit_label != "Mg C/ha" and any(f != 1.0 for f in pool_factor.values()) | (row_factor != 1.0).any():
        notes.append(f"pools table converted from {unit_label} to Mg C/ha")
    return PoolsTable(frame=out.reset_index(drop=True), unit=unit_label,
                      factor=float(next(iter(pool_factor.values()))),
                      has_zone=bool((out["zone"] != "").any()), has_year=bool((out["year"] >= 0).any()),
                      has_sd=has_sd, notes=tuple(notes))


# ------------------------------------------------------------------------------------------------
# valuation
# ------------------------------------------------------------------------------------------------
def valuation_constant(price: float, year_from: int, year_to: int, *, discount_rate: float = 0.0,
                       price_change: float = 0.0, price_growth: float | None = None) -> float:
    """K (CNY per Mg C of change): NPV(i) = ΔC(i) × K (methods.md §2.1).

    InVEST mode (``price_growth`` None): ρ = 1/((1 + r/100)(1 + c/100)), K = (V/n) Σ_{t<n} ρ^t, so the
    annual price change c acts as a second discount rate. With ``price_growth=g`` the price rises by
    g %/a instead: ρ = (1 + g/100)/(1 + r/100).
    """
    n = int(year_to) - int(year_from)
    if n < 1:
        raise InputValidationError(
            f"valuation: years {year_from} → {year_to} do not increase; the later map must have a later year")
    r = float(discount_rate)
    if price_growth is None:
        ratio = 1 / ((1 + r / 100) * (1 + float(price_change) / 100))
    else:
        ratio = (1 + float(price_growth) / 100) / (1 + r / 100)
    k = float(price) / n
    if ratio == 1:
        return k * n
    return k * (1 - ratio ** n) / (1 - ratio)


# ------------------------------------------------------------------------------------------------
# plan: lookup tables for one run
# ------------------------------------------------------------------------------------------------
SOURCE_LABELS = ("zone+year", "zone", "year", "default")


@dataclass
class StockPlan:
    """Everything a chunk needs: class index, densities per (map, zone, class), pairs and K."""

    codes: np.ndarray                    # (nc,) class codes of the table
    labels: list[str]                    # one per map
    years: list[int | None]              # one per map
    zone_names: list[str]                # index 1..nz; index 0 = outside every zone
    dens: np.ndarray                     # (M, Z, nc) float32 total of the table pools
    pool_dens: np.ndarray                # (M, 4, Z, nc) float32
    row_idx: np.ndarray                  # (M, Z, nc) int64 table row used (−1 none)
    source: np.ndarray                   # (M, Z, nc) int8 index into SOURCE_LABELS (−1 none)
    pairs: np.ndarray                    # (P, 2) int64
    k: np.ndarray                        # (P,) float64 valuation constant (NaN without price)
    raster_pools: tuple[str, ...] = ()
    pools: PoolsTable | None = None
    price: float | None = None
    class_names: dict[int, str] = field(default_factory=dict)
    pair_kind: list[str] = field(default_factory=list)

    @property
    def n_maps(self) -> int:
        return len(self.labels)

    @property
    def n_classes(self) -> int:
        return int(self.codes.size)

    @property
    def n_zones(self) -> int:
        return len(self.zone_names) + 1

    @property
    def kf(self) -> np.ndarray:
        return np.where(np.isnan(self.k), 0.0, self.k).astype(np.float32)

    @property
    def n_slots(self) -> int:
        return self.n_classes + _k.N_EXTRA

    @property
    def map_hist(self) -> np.ndarray:
        """Maps that need their own histogram on the fast path (those in no pair)."""
        need = np.ones(self.n_maps, dtype=np.bool_)
        for a, b in self.pairs:
            need[a] = need[b] = False
        return need

    def tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Float32 look-up tables of the fast path (cached): storage (M, Z·E), change and NPV (P, Z·E·E).

        Values are computed exactly as the per-cell kernel does (float32 pools summed in float32,
        float32 difference, float32 × float32 K), so both paths give identical maps and sums.
        """
        cached = getattr(self, "_tables", None)
        if cached is not None:
            return cached
        m, nz, nc, e = self.n_maps, self.n_zones, self.n_classes, self.n_slots
        st = np.full((m, nz, e), np.nan, dtype=np.float32)
        st[:, :, :nc] = self.dens
        n_pairs = len(self.pairs)
        ch = np.full((n_pairs, nz, e, e), np.nan, dtype=np.float32)
        nv = np.full((n_pairs, nz, e, e), np.nan, dtype=np.float32)
        kf = self.kf
        for pi, (a, b) in enumerate(self.pairs):
            d = (self.dens[b][:, None, :] - self.dens[a][:, :, None]).astype(np.float32)   # (Z, from, to)
            ch[pi, :, :nc, :nc] = d
            nv[pi, :, :nc, :nc] = (d * kf[pi]).astype(np.float32)
        out = (st.reshape(m, nz * e), ch.reshape(n_pairs, nz * e * e), nv.reshape(n_pairs, nz * e * e))
        object.__setattr__(self, "_tables", out)
        return out


def map_labels(years: Sequence[int | None], names: Sequence[str] | None = None) -> list[str]:
    """A unique label per map: the year, or year_name when several maps share a year."""
    names = list(names) if names is not None else [f"map{i + 1}" for i in range(len(years))]
    out = []
    for i, y in enumerate(years):
        if y is None:
            out.append(_safe(names[i]))
        elif sum(1 for v in years if v == y) > 1:
            out.append(f"{y}_{_safe(names[i])}")
        else:
            out.append(str(y))
    if len(set(out)) != len(out):
        out = [f"{lab}_{i + 1}" for i, lab in enumerate(out)]
    return out


def _safe(s: str) -> str:
    return re.sub(r"[^\w.-]+", "_", str(s)).strip("_") or "map"


def default_pairs(years: Sequence[int | None]) -> tuple[list[tuple[int, int]], list[str]]:
    """Consecutive changes (and first → last when there are more than two dated steps).

    Maps sharing a year are scenarios: each is compared with the first map of the previous year.
    """
    m = len(years)
    if m < 2:
        return [], []
    if any(y is None for y in years):
        pairs = [(i, i + 1) for i in range(m - 1)]
        return pairs, ["consecutive"] * len(pairs)
    distinct = sorted(set(years))
    first_of = {y: years.index(y) for y in distinct}
    pairs: list[tuple[int, int]] = []
    kinds: list[str] = []
    for j in range(1, len(distinct)):
        a = first_of[distinct[j - 1]]
        for b in [i for i, y in enumerate(years) if y == distinct[j]]:
            pairs.append((a, b))
            kinds.append("consecutive")
    if len(distinct) > 2:
        a = first_of[distinct[0]]
        for b in [i for i, y in enumerate(years) if y == distinct[-1]]:
            pairs.append((a, b))
            kinds.append("first_to_last")
    return pairs, kinds


def plan(pools: PoolsTable, *, years: Sequence[int | None], labels: Sequence[str] | None = None,
         zone_names: Sequence[str] = (), pairs: Sequence[tuple[int, int]] | None = None,
         price: float | None = None, discount_rate: float = 0.0, price_change: float = 0.0,
         price_growth: float | None = None, raster_pools: Sequence[str] = ()) -> StockPlan:
    """Lookup tables for a run: densities of each (map, zone, class), pairs of maps and K.

    Pools named in ``raster_pools`` come from rasters and are left out of the table densities.
    """
    years = [None if y is None else int(y) for y in years]
    labels = list(labels) if labels is not None else map_labels(years)
    kinds: list[str]
    if pairs is None:
        pairs, kinds = default_pairs(years)
    else:
        pairs = [tuple(p) for p in pairs]
        kinds = ["requested"] * len(pairs)
    bad_rp = set(raster_pools) - set(POOLS)
    if bad_rp:
        raise InputValidationError(f"density rasters: unknown pool(s) {sorted(bad_rp)}; expected {POOLS}")
    fr = pools.frame
    codes = pools.codes
    nc = codes.size
    zone_names = [str(z) for z in zone_names]
    nz1 = len(zone_names) + 1
    m = len(years)
    # (zone, year) → {code: row}
    index: dict[tuple[str, int], dict[int, int]] = {}
    for i, (c, z, y) in enumerate(zip(fr["code"], fr["zone"], fr["year"])):
        index.setdefault((str(z), int(y)), {})[int(c)] = i
    unknown_zones = sorted({z for z, _ in index if z and z not in zone_names})
    if pools.has_zone and not zone_names:
        raise InputValidationError(
            "pools: the table has a zone column but no zones were given; pass --zones and --zone-field "
            "whose values match the table's zone column")
    if unknown_zones and zone_names:
        raise InputValidationError(
            f"pools: zone(s) {_fmt_codes(unknown_zones)} of the table are not among the zones of the zone layer "
            f"({_fmt_codes(zone_names)}); check the spelling or the --zone-field")
    vals = fr[list(POOL_COLUMNS)].to_numpy(np.float64).astype(np.float32)
    row_idx = np.full((m, nz1, nc), -1, dtype=np.int64)
    source = np.full((m, nz1, nc), -1, dtype=np.int8)
    for mi, y in enumerate(years):
        yk = -1 if y is None else y
        for zi in range(nz1):
            zn = zone_names[zi - 1] if zi > 0 else None
            order = []
            if zn is not None:
                order += [((zn, yk), 0), ((zn, -1), 1)]
            order += [(("", yk), 2), (("", -1), 3)]
            for key, src in order:
                if key[1] == -1 and src in (0, 2) and yk == -1:
                    continue
                rows = index.get(key)
                if not rows:
                    continue
                for ci, code in enumerate(codes):
                    if row_idx[mi, zi, ci] < 0 and int(code) in rows:
                        row_idx[mi, zi, ci] = rows[int(code)]
                        source[mi, zi, ci] = src
    pool_dens = np.full((m, 4, nz1, nc), np.nan, dtype=np.float32)
    ok = row_idx >= 0
    for pi, p in enumerate(POOLS):
        if p in raster_pools:
            pool_dens[:, pi][ok] = np.float32(0.0)
            continue
        pool_dens[:, pi][ok] = vals[row_idx[ok], pi]
    # InVEST: float32 pool rasters summed in float32, above + below + soil + dead in that order
    dens = np.full((m, nz1, nc), np.nan, dtype=np.float32)
    acc = pool_dens[:, 0].copy()
    for pi in range(1, 4):
        acc = (acc + pool_dens[:, pi]).astype(np.float32)
    dens[ok] = acc[ok]
    k = np.full(len(pairs), np.nan)
    if price is not None:
        for pi, (a, b) in enumerate(pairs):
            if years[a] is None or years[b] is None:
                raise InputValidationError("valuation needs a year for every map; pass --years (one per map)")
            k[pi] = valuation_constant(price, years[a], years[b], discount_rate=discount_rate,
                                       price_change=price_change, price_growth=price_growth)
    return StockPlan(codes=codes, labels=labels, years=list(years), zone_names=zone_names, dens=dens,
                     pool_dens=pool_dens, row_idx=row_idx, source=source,
                     pairs=np.asarray(pairs, dtype=np.int64).reshape(-1, 2), k=k,
                     raster_pools=tuple(raster_pools), pools=pools, price=price,
                     class_names=pools.class_names(), pair_kind=kinds)


# ------------------------------------------------------------------------------------------------
# one chunk
# ------------------------------------------------------------------------------------------------
@dataclass
class Accounts:
    """Sums over cells (see kernels.stock for the class-axis layout). Add chunk results with ``+=``."""

    acc_w: np.ndarray
    acc_v: np.ndarray
    miss: np.ndarray
    pair_w: np.ndarray
    pair_v: np.ndarray
    pair_n: np.ndarray

    @classmethod
    def zeros(cls, p: StockPlan) -> Accounts:
        m, nz, nc, np_ = p.n_maps, p.n_zones, p.n_classes, len(p.pairs)
        e = nc + _k.N_EXTRA
        return cls(np.zeros((m, nz, e)), np.zeros((m, nz, e)), np.zeros((m, nz, nc), np.int64),
                   np.zeros((np_, nz, e, e)), np.zeros((np_, nz, nc, nc)), np.zeros((np_, nz, nc, nc)))

    def __iadd__(self, other: Accounts) -> Accounts:
        for f in ("acc_w", "acc_v", "miss", "pair_w", "pair_v", "pair_n"):
            getattr(self, f).__iadd__(getattr(other, f))
        return self

    def as_tuple(self) -> tuple[np.ndarray, ...]:
        return (self.acc_w, self.acc_v, self.miss, self.pair_w, self.pair_v, self.pair_n)


@dataclass
class Hist:
    """Fast-path sums of one or more chunks: Σ w per (map, zone, slot) and per (pair, zone, from, to)."""

    hist_m: np.ndarray
    hist_p: np.ndarray

    def __iadd__(self, other: Hist) -> Hist:
        self.hist_m += other.hist_m
        self.hist_p += other.hist_p
        return self

    def copy(self) -> Hist:
        return Hist(self.hist_m.copy(), self.hist_p.copy())

    def to_accounts(self, p: StockPlan) -> Accounts:
        """The equivalent Accounts: count × float32 value is exact in float64 (count < 2**29)."""
        m, nz, nc, e = p.n_maps, p.n_zones, p.n_classes, p.n_slots
        n_pairs = len(p.pairs)
        hm = self.hist_m.reshape(m, nz, e).copy()
        hp = self.hist_p.reshape(n_pairs, nz, e, e).copy()
        filled = p.map_hist.copy()
        for pi, (a, b) in enumerate(p.pairs):       # maps in a pair: marginals of the pair histogram
            if not filled[a]:
                hm[a] = hp[pi].sum(axis=2)
                filled[a] = True
            if not filled[b]:
                hm[b] = hp[pi].sum(axis=1)
                filled[b] = True
        acc = Accounts.zeros(p)
        nan_d = np.isnan(p.dens)                                        # (M, Z, nc)
        acc.miss[:] = np.where(nan_d, np.rint(hm[:, :, :nc]), 0).astype(np.int64)
        moved = np.where(nan_d, hm[:, :, :nc], 0.0)
        hm[:, :, :nc] -= moved
        hm[:, :, nc + _k.NO_DENSITY] += moved.sum(axis=2)
        acc.acc_w[:] = hm
        acc.acc_v[:, :, :nc] = hm[:, :, :nc] * np.nan_to_num(p.dens.astype(np.float64))
        st, ch, nv = p.tables()
        for pi, (a, b) in enumerate(p.pairs):
            h = hp[pi]
            for side, mi in ((1, a), (2, b)):
                bad = nan_d[mi]                                         # (Z, nc)
                if bad.any():
                    if side == 1:
                        mv = np.where(bad[:, :, None], h[:, :nc, :], 0.0)
                        h[:, :nc, :] -= mv
                        h[:, nc + _k.NO_DENSITY, :] += mv.sum(axis=1)
                    else:
                        mv = np.where(bad[:, None, :], h[:, :, :nc], 0.0)
                        h[:, :, :nc] -= mv
                        h[:, :, nc + _k.NO_DENSITY] += mv.sum(axis=2)
            acc.pair_w[pi] = h
            c = ch[pi].reshape(nz, e, e)[:, :nc, :nc].astype(np.float64)
            v = nv[pi].reshape(nz, e, e)[:, :nc, :nc].astype(np.float64)
            hv = h[:, :nc, :nc]
            acc.pair_v[pi] = np.where(hv > 0, hv * np.nan_to_num(c), 0.0)
            acc.pair_n[pi] = np.where(hv > 0, hv * np.nan_to_num(v), 0.0)
        return acc


def to_accounts(p: StockPlan, acc: Accounts | Hist | Sequence[np.ndarray]) -> Accounts:
    """Accounts from whatever a chunk pass returned (Accounts, Hist, or a tuple of arrays)."""
    if isinstance(acc, Accounts):
        return acc
    if isinstance(acc, Hist):
        return acc.to_accounts(p)
    arrs = [np.asarray(x) for x in acc]
    if len(arrs) == 2:
        return Hist(*arrs).to_accounts(p)
    return Accounts(*arrs)


@dataclass(frozen=True)
class CodeInfo:
    """How to read one map's codes: dense code → class index table, and the map's nodata.

    For 8- and 16-bit maps ``full`` maps every value of the dtype (``full_base`` = dtype minimum) straight
    to its slot, nodata and unknown codes included, so the class index is a branch-free gather.
    """

    lut: np.ndarray
    offset: int
    nodata: Any
    has_nodata: bool
    full: np.ndarray | None = None
    full_base: int = 0


def _slot_dtype(n_slots: int) -> Any:
    return np.uint8 if n_slots <= 256 else (np.int16 if n_slots <= 32767 else np.int32)


def code_info(p: StockPlan, nodata: Any, dtype: Any) -> CodeInfo:
    codes = p.codes
    lo, hi = int(codes.min()), int(codes.max())
    lut = np.full(hi - lo + 1, -1, dtype=np.int32)
    lut[codes - lo] = np.arange(codes.size, dtype=np.int32)
    has = nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata))
    dt = np.dtype(dtype)
    nd = np.array(nodata if has else 0).astype(dt)[()]
    full, base = None, 0
    if dt.kind in "iu" and dt.itemsize <= 2:
        info = np.iinfo(dt)
        base = int(info.min)
        values = np.arange(info.min, int(info.max) + 1, dtype=np.int64)
        nc = p.n_classes
        full = np.full(values.size, nc + _k.UNKNOWN, dtype=_slot_dtype(p.n_slots))
        inside = (values >= lo) & (values <= hi)
        idx = np.full(values.size, -1, dtype=np.int64)
        idx[inside] = lut[values[inside] - lo]
        full[idx >= 0] = idx[idx >= 0]
        if has:
            full[int(nd) - base] = nc + _k.NODATA
    return CodeInfo(lut, lo, nd, has, full, base)


def process_block(p: StockPlan, blocks: Sequence[np.ndarray], infos: Sequence[CodeInfo], *,
                  zone: np.ndarray | None = None, extra: np.ndarray | None = None,
                  row_w: np.ndarray, write_storage: bool = True, write_change: bool = True,
                  write_npv: bool = True, pool_maps: bool = False,
                  buffers: Mapping[str, np.ndarray] | None = None
                  ) -> tuple[dict[str, np.ndarray], Accounts | Hist]:
    """Every map and account of one chunk, in one pass.

    ``blocks``: one 2-D integer array per map (same shape); ``zone``: int32 zone index (0 = outside);
    ``extra``: float32 sum of the density rasters (NaN = nodata); ``row_w``: weight of each row (1 on
    projected grids; cell area in ha on geographic grids). Returns float32 maps (NaN = nodata) keyed
    ``storage`` (M, h, w), ``change`` (P, h, w), ``npv`` (P, h, w) and optionally ``pools``
    (M, 4, h, w), and the chunk's sums (:class:`Hist` on the fast path when every density comes from
    the table, else :class:`Accounts`; :func:`to_accounts` converts either).
    ``buffers``: optional reusable arrays keyed ``cls``, ``storage``, ``change``, ``npv`` (at least the
    block's shape); the returned maps are then views of them (fresh arrays cost page faults).
    """
    m = len(blocks)
    h, w = blocks[0].shape
    nc = p.n_classes
    has_extra = extra is not None
    fast = not has_extra

    def buf(name: str, n: int, dtype: Any) -> np.ndarray:
        b = None if buffers is None else buffers.get(name)
        if b is not None and b.dtype == dtype and b.shape[0] >= n and b.shape[1] >= h and b.shape[2] >= w:
            return b[:n, :h, :w]
        return np.empty((n, h, w), dtype=dtype)

    cls = buf("cls", m, np.dtype(_slot_dtype(p.n_slots) if fast else np.int32))
    for i, (b, info) in enumerate(zip(blocks, infos)):
        b = np.ascontiguousarray(b)
        if info.full is not None and fast:
            _k.gather(b, info.full, info.full_base, cls[i])
        else:
            _k.class_index(b, info.lut, info.offset, info.nodata, info.has_nodata,
                           nc + _k.NODATA, nc + _k.UNKNOWN, cls[i])
    n_pairs = len(p.pairs)
    empty = np.empty((0, 0, 0), dtype=np.float32)
    f32 = np.dtype(np.float32)
    st = buf("storage", m, f32) if write_storage else empty
    ch = buf("change", n_pairs, f32) if write_change and n_pairs else empty
    nv = buf("npv", n_pairs, f32) if write_npv and n_pairs else empty
    has_zone = zone is not None
    zb = np.ascontiguousarray(zone, dtype=np.int32) if has_zone else np.zeros((1, 1), np.int32)
    rw = np.ascontiguousarray(row_w, dtype=np.float64)
    acc: Accounts | Hist
    if fast:
        e = p.n_slots
        acc = Hist(np.zeros((m, p.n_zones * e)), np.zeros((n_pairs, p.n_zones * e * e)))
        st_tab, ch_tab, nv_tab = p.tables()
        _k.table_block(cls, zb, has_zone, e, p.pairs, p.map_hist, rw, st_tab, ch_tab, nv_tab,
                       st, write_storage, ch, bool(write_change and n_pairs), nv, bool(write_npv and n_pairs),
                       acc.hist_m, acc.hist_p)
    else:
        acc = Accounts.zeros(p)
        eb = np.ascontiguousarray(extra, dtype=np.float32)
        _k.stock_block(cls, zb, has_zone, p.dens, eb, has_extra, p.pairs, p.kf, rw,
                       st, write_storage, ch, bool(write_change and n_pairs), nv, bool(write_npv and n_pairs),
                       *acc.as_tuple())
    out: dict[str, np.ndarray] = {}
    if write_storage:
        out["storage"] = st
    if write_change and n_pairs:
        out["change"] = ch
    if write_npv and n_pairs:
        out["npv"] = nv
    if pool_maps:
        pools = np.empty((m, 4, h, w), dtype=np.float32)
        zi = zb if has_zone else np.zeros((h, w), np.int32)
        for i in range(m):
            valid = cls[i] < nc
            ci = np.where(valid, cls[i], 0)
            for pi, pool in enumerate(POOLS):
                if pool in p.raster_pools and has_extra:
                    # a raster pool's own values are not kept per pool; only their sum is known
                    pools[i, pi] = np.nan
                    continue
                v = p.pool_dens[i, pi][zi, ci]
                pools[i, pi] = np.where(valid, v, np.float32(np.nan))
        out["pools"] = pools
    return out, acc


# ------------------------------------------------------------------------------------------------
# whole arrays (numpy or dask), lazily
# ------------------------------------------------------------------------------------------------
@dataclass
class StockResult:
    """Lazy result of :func:`compute`: float32 maps (DataArrays) and the accounts (numpy or dask)."""

    plan: StockPlan
    storage: list[Any]
    change: list[Any]
    npv: list[Any]
    accounts: Any                         # tuple of 6 arrays (numpy or dask)
    cell_area_ha: float
    geographic: bool


def compute(landuse: Sequence[Any], pools: pd.DataFrame | PoolsTable, *, years: Sequence[int | None] | None = None,
            labels: Sequence[str] | None = None, zones: Any = None, zone_names: Sequence[str] = (),
            density_rasters: Mapping[str, Any] | None = None, price: float | None = None,
            discount_rate: float = 0.0, price_change: float = 0.0, price_growth: float | None = None,
            pools_units: str | None = None) -> StockResult:
    """Carbon stock, change and NPV of land-use DataArrays (numpy- or dask-backed; lazy on dask).

    ``landuse``: integer DataArrays on one grid (rioxarray CRS/transform; nodata in ``.rio.nodata``).
    ``zones``: int DataArray/array of 1-based zone ids (0 = outside) with ``zone_names``.
    ``density_rasters``: pool name → float DataArray (Mg C/ha) used instead of the table for that
    pool (NaN or its nodata = no data). Returns a :class:`StockResult`; pass it to :func:`summarize`
    after computing its ``accounts``.
    """
    import xarray as xr

    from ..core.grid import ensure_aligned, row_areas_ha

    if not landuse:
        raise InputValidationError("landuse: no map given; pass at least one land-use map")
    named = {f"map {i + 1}": da for i, da in enumerate(landuse)}
    if zones is not None and isinstance(zones, xr.DataArray):
        named["zones"] = zones
    for pool, da in (density_rasters or {}).items():
        named[f"density raster {pool}"] = da
    grid = ensure_aligned(**named)
    for i, da in enumerate(landuse):
        if not np.issubdtype(da.dtype, np.integer):
            raise InputValidationError(
                f"landuse map {i + 1} has data type {da.dtype}; expected integer class codes; convert it to an "
                f"integer raster first")
    years = list(years) if years is not None else [None] * len(landuse)
    if len(years) != len(landuse):
        raise InputValidationError(f"years: {len(years)} given for {len(landuse)} maps; give one per map")
    nodatas = [da.rio.nodata for da in landuse]
    table = pools if isinstance(pools, PoolsTable) else read_pools(pools, units=pools_units, nodata_values=nodatas)
    p = plan(table, years=years, labels=labels, zone_names=zone_names, price=price, discount_rate=discount_rate,
             price_change=price_change, price_growth=price_growth,
             raster_pools=tuple((density_rasters or {}).keys()))
    rows = row_areas_ha(grid)
    geographic = grid.is_geographic
    a = 1.0 if geographic else float(rows[0])
    row_w = rows if geographic else np.ones_like(rows)
    infos = [code_info(p, nd, da.dtype) for nd, da in zip(nodatas, landuse)]
    extra = None
    for da in (density_rasters or {}).values():
        d = da.data.astype(np.float32)
        nd = da.rio.nodata
        if nd is not None and not (isinstance(nd, float) and math.isnan(nd)):
            d = _where(d == nd, np.float32(np.nan), d)
        extra = d if extra is None else (extra + d)
    data = [da.data for da in landuse]
    zdata = None if zones is None else (zones.data if isinstance(zones, xr.DataArray) else zones)
    is_dask = any(hasattr(x, "dask") for x in [*data, zdata, extra] if x is not None)
    coords = {"y": landuse[0].y, "x": landuse[0].x}
    n_pairs = len(p.pairs)

    if not is_dask:
        maps, acc = process_block(p, [np.asarray(d) for d in data], infos,
                                  zone=None if zdata is None else np.asarray(zdata),
                                  extra=None if extra is None else np.asarray(extra), row_w=row_w)
        storage = [maps["storage"][i] for i in range(p.n_maps)]
        change = [maps["change"][i] for i in range(n_pairs)] if n_pairs else []
        npv = [maps["npv"][i] for i in range(n_pairs)] if n_pairs else []
        accounts = to_accounts(p, acc).as_tuple()
    else:
        import dask.array as dsa

        chunks = dsa.asarray(data[0]).chunks
        darrs = [dsa.asarray(d).rechunk(chunks) for d in data]
        rows_d = dsa.from_array(row_w.reshape(-1, 1), chunks=(chunks[0], 1))
        args: list[Any] = []
        for d in darrs:
            args += [d, "ij"]
        args += [rows_d, "iq"]
        has_z, has_e = zdata is not None, extra is not None
        if has_z:
            args += [dsa.asarray(zdata).rechunk(chunks), "ij"]
        if has_e:
            args += [dsa.asarray(extra).rechunk(chunks), "ij"]
        nm = len(darrs)

        def fused(*blocks):
            maps_, acc_ = process_block(
                p, blocks[:nm], infos, row_w=blocks[nm].ravel(),
                zone=blocks[nm + 1] if has_z else None, extra=blocks[nm + 1 + has_z] if has_e else None)
            stack = [maps_["storage"]] + ([maps_["change"], maps_["npv"]] if n_pairs else [])
            return np.concatenate(stack, axis=0), acc_

        n_layers = p.n_maps + 2 * n_pairs
        fused_arr = dsa.blockwise(fused, "ij", *args, dtype=object, concatenate=True,
                                  meta=np.empty((0, 0), dtype=object))
        layers = fused_arr.map_blocks(lambda t: t[0], dtype=np.float32, new_axis=0,
                                      chunks=((n_layers,),) + chunks, meta=np.empty((0, 0, 0), np.float32))
        storage = [layers[i] for i in range(p.n_maps)]
        change = [layers[p.n_maps + i] for i in range(n_pairs)]
        npv = [layers[p.n_maps + n_pairs + i] for i in range(n_pairs)]
        accounts = _reduce_accounts(fused_arr, p)

    def wrap(arr, name, units):
        da = xr.DataArray(arr, dims=("y", "x"), coords=coords, name=name, attrs={"units": units})
        da = da.rio.write_crs(grid.crs) if grid.crs is not None else da
        return da.rio.write_transform(grid.transform).rio.write_nodata(np.nan, encoded=False)

    st = [wrap(s, f"c_storage_{lab}", "Mg C/ha") for s, lab in zip(storage, p.labels)]
    pl = [f"{p.labels[a]}_{p.labels[b]}" for a, b in p.pairs]
    chg = [wrap(c, f"c_change_{lab}", "Mg C/ha") for c, lab in zip(change, pl)]
    nv = [wrap(v, f"npv_{lab}", "CNY/ha") for v, lab in zip(npv, pl)]
    return StockResult(plan=p, storage=st, change=chg, npv=nv, accounts=accounts, cell_area_ha=a,
                       geographic=geographic)


def _where(cond, a, b):
    if hasattr(b, "dask"):
        import dask.array as dsa

        return dsa.where(cond, a, b)
    return np.where(cond, a, b)


def _reduce_accounts(fused_arr: Any, p: StockPlan) -> Any:
    """A dask Delayed summing the chunk accounts in block order (deterministic)."""
    import dask

    keys = fused_arr.to_delayed().ravel().tolist()

    def total(*parts):
        acc = None
        for part in parts:
            a = part[1]
            if acc is None:
                acc = a.copy() if isinstance(a, Hist) else Accounts(*[x.copy() for x in a.as_tuple()])
            else:
                acc += a
        return to_accounts(p, acc).as_tuple()

    return dask.delayed(total)(*keys)


# ------------------------------------------------------------------------------------------------
# accounts → errors, tables, summary
# ------------------------------------------------------------------------------------------------
def check_accounts(p: StockPlan, acc: Accounts | Sequence[np.ndarray], *, map_names: Sequence[str] | None = None) -> None:
    """Raise the errors only visible after the pass: unknown codes, densities missing for a zone or
    year, an empty map. (Unknown codes are listed by the caller, which can read the data again.)"""
    acc = to_accounts(p, acc)
    nc = p.n_classes
    names = list(map_names) if map_names is not None else p.labels
    for m in range(p.n_maps):
        if acc.acc_w[m, :, nc + _k.UNKNOWN].sum() > 0:
            raise MissingClassError(
                f"landuse map {names[m]} has class codes that are not in the pools table "
                f"(table codes: {_fmt_codes(p.codes.tolist())}); add rows for them", ())
    miss = np.argwhere(acc.miss > 0)
    if miss.size:
        pairs = sorted({(p.labels[m], (p.zone_names[z - 1] if z > 0 else "outside zones"),
                         int(p.codes[k])) for m, z, k in miss})
        desc = "; ".join(f"map {lab}, zone {zn}: code {c}" for lab, zn, c in pairs[:12])
        raise MissingClassError(
            f"pools: no density row applies to {len(pairs)} (map, zone, class) combination(s) present in the maps "
            f"({desc}); add default rows (empty zone/year) or rows for those zones/years",
            [c for _, _, c in pairs])
    for m in range(p.n_maps):
        if acc.acc_w[m, :, :nc].sum() == 0:
            raise EmptyInputError(
                f"landuse map {names[m]} has no valid cell (every cell is nodata, or has no density); check the "
                f"map's nodata value and extent")


def summarize(result_or_plan: StockResult | StockPlan, accounts: Sequence[np.ndarray], *,
              cell_area_ha: float | None = None, price_year: Sequence[int | None] | None = None
              ) -> dict[str, Any]:
    """Tables and the summary dict from computed accounts (numpy).

    Returns a dict with ``summary`` (JSON-ready: maps, changes), and DataFrames ``zone_class``
    (zone × class × map: area_ha, stock_MgC, stock_tCO2, change_MgC, npv_CNY, price_year),
    ``by_class``, ``by_zone`` and ``transitions`` (zone × from-class × to-class per change).
    """
    if isinstance(result_or_plan, StockResult):
        p = result_or_plan.plan
        a = result_or_plan.cell_area_ha if cell_area_ha is None else cell_area_ha
    else:
        p = result_or_plan
        if cell_area_ha is None:
            raise ValueError("cell_area_ha is required with a plan")
        a = cell_area_ha
    acc = to_accounts(p, accounts)
    nc = p.n_classes
    codes = p.codes.tolist()
    cnames = [p.class_names.get(c, str(c)) for c in codes]
    zn = ["(outside zones)"] + p.zone_names if p.zone_names else ["(all)"]
    has_zones = bool(p.zone_names)
    area = acc.acc_w * a                      # (M, Z, nc+3) ha
    stock = acc.acc_v * a                     # (M, Z, nc+3) Mg C
    maps_out = []
    for m in range(p.n_maps):
        total = float(stock[m, :, :nc].sum())
        maps_out.append({
            "year": p.years[m], "label": p.labels[m], "total_MgC": total, "total_tCO2": total * CO2_PER_C,
            "area_valid_ha": float(area[m, :, :nc].sum()),
            "area_nodata_ha": float(area[m, :, nc + _k.NODATA].sum()),
            "area_no_density_ha": float(area[m, :, nc + _k.NO_DENSITY].sum()),
            "mean_density_MgC_ha": total / max(float(area[m, :, :nc].sum()), 1e-300),
        })
        if has_zones:
            maps_out[-1]["area_outside_zones_ha"] = float(area[m, 0, :].sum())
    changes = []
    pw = acc.pair_w * a
    for pi, (fa, fb) in enumerate(p.pairs):
        dS = float(acc.pair_v[pi].sum() * a)
        npv = float(acc.pair_n[pi].sum() * a) if p.price is not None else None
        both = float(pw[pi, :, :nc, :nc].sum())
        only_from = float(pw[pi, :, :nc, nc:].sum())
        only_to = float(pw[pi, :, nc:, :nc].sum())
        n_years = (p.years[fb] - p.years[fa]) if p.years[fa] is not None and p.years[fb] is not None else None
        changes.append({
            "from": p.years[fa], "to": p.years[fb], "from_label": p.labels[fa], "to_label": p.labels[fb],
            "kind": p.pair_kind[pi] if pi < len(p.pair_kind) else "requested",
            "change_MgC": dS, "change_tCO2": dS * CO2_PER_C,
            "stock_difference_MgC": maps_out[fb]["total_MgC"] - maps_out[fa]["total_MgC"],
            "annual_change_MgC": dS / n_years if n_years else None,
            "npv": npv, "valuation_constant_K": None if math.isnan(p.k[pi]) else float(p.k[pi]),
            "price_year": _price_year(p, pi, price_year),
            "area_valid_both_ha": both, "area_valid_from_only_ha": only_from, "area_valid_to_only_ha": only_to,
        })

    # zone x class x map
    prev_of: dict[int, int] = {}
    k_of: dict[int, float] = {}
    for pi, (fa, fb) in enumerate(p.pairs):
        if p.pair_kind[pi] != "first_to_last" and fb not in prev_of:
            prev_of[fb] = fa
            k_of[fb] = p.k[pi]
    rows = []
    z_range = range(1, p.n_zones) if has_zones else range(0, 1)
    for m in range(p.n_maps):
        for z in z_range:
            for ci in range(nc):
                ar = float(area[m, z, ci])
                prev = prev_of.get(m)
                if ar == 0 and (prev is None or float(area[prev, z, ci]) == 0):
                    continue
                st = float(stock[m, z, ci])
                chg = None if prev is None else st - float(stock[prev, z, ci])
                kk = k_of.get(m, np.nan)
                rows.append({
                    "zone": zn[z] if has_zones else "", "code": codes[ci], "class": cnames[ci],
                    "year": p.years[m], "label": p.labels[m], "area_ha": ar, "stock_MgC": st,
                    "stock_tCO2": st * CO2_PER_C,
                    "density_MgC_ha": float(p.dens[m, z, ci]) if not p.raster_pools else (st / ar if ar else None),
                    "density_source": SOURCE_LABELS[p.source[m, z, ci]] if p.source[m, z, ci] >= 0 else "",
                    "change_MgC": chg,
                    "npv_CNY": None if chg is None or math.isnan(kk) or p.price is None else chg * kk,
                    "price_year": (p.years[prev] if prev is not None and p.price is not None else None),
                })
    zone_class = pd.DataFrame(rows, columns=["zone", "code", "class", "year", "label", "area_ha", "stock_MgC",
                                             "stock_tCO2", "density_MgC_ha", "density_source", "change_MgC",
                                             "npv_CNY", "price_year"])
    if not has_zones:
        zone_class = zone_class.drop(columns=["zone"])
    # per class (all zones, incl. outside)
    crow = []
    for m in range(p.n_maps):
        for ci in range(nc):
            ar = float(area[m, :, ci].sum())
            if ar == 0:
                continue
            st = float(stock[m, :, ci].sum())
            crow.append({"code": codes[ci], "class": cnames[ci], "year": p.years[m], "label": p.labels[m],
                         "area_ha": ar, "stock_MgC": st, "stock_tCO2": st * CO2_PER_C})
    by_class = pd.DataFrame(crow, columns=["code", "class", "year", "label", "area_ha", "stock_MgC", "stock_tCO2"])
    # per zone
    zrow = []
    if has_zones:
        for m in range(p.n_maps):
            for z in range(1, p.n_zones):
                st = float(stock[m, z, :nc].sum())
                zrow.append({"zone": zn[z], "year": p.years[m], "label": p.labels[m],
                             "area_ha": float(area[m, z, :nc].sum()), "stock_MgC": st,
                             "stock_tCO2": st * CO2_PER_C})
    by_zone = pd.DataFrame(zrow, columns=["zone", "year", "label", "area_ha", "stock_MgC", "stock_tCO2"])
    zchg = []
    for pi, (fa, fb) in enumerate(p.pairs):
        for z in (range(1, p.n_zones) if has_zones else range(0, 1)):
            d = float(acc.pair_v[pi, z].sum() * a)
            zchg.append({"zone": zn[z] if has_zones else "", "from": p.years[fa], "to": p.years[fb],
                         "from_label": p.labels[fa], "to_label": p.labels[fb], "change_MgC": d,
                         "change_tCO2": d * CO2_PER_C,
                         "npv_CNY": float(acc.pair_n[pi, z].sum() * a) if p.price is not None else None,
                         "price_year": _price_year(p, pi, price_year)})
    zone_change = pd.DataFrame(zchg)
    if not has_zones and len(zone_change):
        zone_change = zone_change.drop(columns=["zone"])
    trow = []
    for pi, (fa, fb) in enumerate(p.pairs):
        for z in (range(1, p.n_zones) if has_zones else range(0, 1)):
            nzi = np.argwhere(pw[pi, z, :nc, :nc] > 0)
            for c1, c2 in nzi:
                trow.append({"zone": zn[z] if has_zones else "", "from": p.years[fa], "to": p.years[fb],
                             "from_label": p.labels[fa], "to_label": p.labels[fb],
                             "code_from": codes[c1], "code_to": codes[c2],
                             "area_ha": float(pw[pi, z, c1, c2]), "change_MgC": float(acc.pair_v[pi, z, c1, c2] * a),
                             "npv_CNY": float(acc.pair_n[pi, z, c1, c2] * a) if p.price is not None else None})
    transitions = pd.DataFrame(trow)
    if not has_zones and len(transitions):
        transitions = transitions.drop(columns=["zone"])
    summary = {"maps": maps_out, "changes": changes, "units": {
        "total_MgC": "Mg C", "change_MgC": "Mg C", "npv": "CNY (price year = price_year)",
        "area": "ha"}}
    return {"summary": summary, "zone_class": zone_class, "by_class": by_class, "by_zone": by_zone,
            "zone_change": zone_change, "transitions": transitions}


def _price_year(p: StockPlan, pi: int, price_year: Sequence[int | None] | None) -> int | None:
    if p.price is None:
        return None
    if price_year is not None:
        return price_year[pi]
    return p.years[p.pairs[pi][0]]


# ------------------------------------------------------------------------------------------------
# Monte Carlo (methods.md §2.4): draws per table row and pool, paired across maps
# ------------------------------------------------------------------------------------------------
def monte_carlo(p: StockPlan, accounts: Sequence[np.ndarray], *, draws: int, seed: int,
                cell_area_ha: float, distribution: str = "normal", cv: float | None = None
                ) -> dict[str, Any]:
    """Percentiles of S (each map), ΔS and NPV (each change), total and per zone.

    One draw per (table row, pool): every cell of a class (and zone/year row) shares it, so density
    error is systematic; the same draw serves both maps of a change (paired). ``distribution``:
    ``normal`` (truncated at 0 by redrawing) or ``lognormal`` (same mean and SD). ``cv`` applies one
    coefficient of variation where the table gives no SD (assumption-driven; say so in reports).
    """
    if draws <= 0:
        return {}
    if seed is None:
        raise InputValidationError("Monte Carlo needs a seed (--seed); it is recorded in the manifest")
    fr = p.pools.frame if p.pools is not None else None
    if fr is None:
        raise InputValidationError("Monte Carlo needs the pools table")
    mean = fr[list(POOL_COLUMNS)].to_numpy(np.float64)
    sd = fr[[f"sd_{q}" for q in POOLS]].to_numpy(np.float64)
    if cv is not None:
        sd = np.where(np.isnan(sd), mean * float(cv), sd)
    if np.all(np.isnan(sd) | (sd == 0)):
        raise InputValidationError(
            "Monte Carlo: the pools table has no sd_above … sd_dead or cv column (or all are 0); add standard "
            "deviations or pass a CV for all cells")
    sd = np.nan_to_num(sd)
    for qi, q in enumerate(POOLS):
        if q in p.raster_pools:
            mean[:, qi] = 0.0
            sd[:, qi] = 0.0
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    n_rows = mean.shape[0]
    shape = (draws, n_rows, 4)
    if distribution == "normal":
        x = rng.normal(mean, sd, size=shape)
        bad = x < 0
        for _ in range(100):
            if not bad.any():
                break
            x[bad] = rng.normal(np.broadcast_to(mean, shape)[bad], np.broadcast_to(sd, shape)[bad])
            bad = x < 0
        x = np.maximum(x, 0.0)
    elif distribution == "lognormal":
        with np.errstate(divide="ignore", invalid="ignore"):
            s2 = np.log1p(np.where(mean > 0, (sd / mean) ** 2, 0.0))
            mu = np.log(np.where(mean > 0, mean, 1.0)) - s2 / 2
        x = np.where(mean > 0, rng.lognormal(mu, np.sqrt(s2), size=shape), 0.0)
    else:
        raise InputValidationError(f"Monte Carlo distribution {distribution!r} is unknown; use normal or lognormal")
    row_total = x.sum(axis=2)                       # (draws, rows)
    acc = to_accounts(p, accounts)
    nc = p.n_classes
    a = cell_area_ha
    has_zones = bool(p.zone_names)
    zn = p.zone_names

    def density_draws(m: int) -> np.ndarray:     # (draws, Z, nc)
        ri = p.row_idx[m]
        d = np.where(ri >= 0, row_total[:, np.maximum(ri, 0)], np.nan)
        return d

    q = (2.5, 5, 50, 95, 97.5)

    def stats(v: np.ndarray) -> dict[str, float]:
        pc = np.percentile(v, q)
        return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if v.size > 1 else 0.0,
                "p2_5": float(pc[0]), "p5": float(pc[1]), "p50": float(pc[2]), "p95": float(pc[3]),
                "p97_5": float(pc[4])}

    extra_stock = acc.acc_v[:, :, :nc] - acc.acc_w[:, :, :nc] * np.nan_to_num(p.dens.astype(np.float64))
    out_maps = []
    dd = [density_draws(m) for m in range(p.n_maps)]
    for m in range(p.n_maps):
        w = acc.acc_w[m, :, :nc]
        per_zone = np.nansum(dd[m] * w[None], axis=2) + extra_stock[m].sum(axis=1)[None]   # (draws, Z)
        entry = {"year": p.years[m], "label": p.labels[m], "total_MgC": stats(per_zone.sum(axis=1) * a)}
        if has_zones:
            entry["zones"] = {zn[z - 1]: stats(per_zone[:, z] * a) for z in range(1, p.n_zones)}
        out_maps.append(entry)
    out_changes = []
    for pi, (fa, fb) in enumerate(p.pairs):
        pw = acc.pair_w[pi, :, :nc, :nc]
        w_from = pw.sum(axis=2)                      # area valid in both, by from-class
        w_to = pw.sum(axis=1)                        # by to-class
        per_zone = (np.nansum(dd[fb] * w_to[None], axis=2) - np.nansum(dd[fa] * w_from[None], axis=2))
        # density-raster pools do not vary between draws: add their exact change
        fixed = acc.pair_v[pi].sum(axis=(1, 2)) - (
            (w_to * np.nan_to_num(p.dens[fb].astype(np.float64))).sum(axis=1)
            - (w_from * np.nan_to_num(p.dens[fa].astype(np.float64))).sum(axis=1))
        per_zone = per_zone + (fixed[None] if p.raster_pools else 0.0)
        tot = per_zone.sum(axis=1) * a
        entry = {"from": p.years[fa], "to": p.years[fb], "from_label": p.labels[fa], "to_label": p.labels[fb],
                 "change_MgC": stats(tot)}
        if p.price is not None and not math.isnan(p.k[pi]):
            entry["npv"] = stats(tot * p.k[pi])
        if has_zones:
            entry["zones"] = {zn[z - 1]: stats(per_zone[:, z] * a) for z in range(1, p.n_zones)}
        out_changes.append(entry)
    return {"draws": int(draws), "seed": int(seed), "distribution": distribution,
            "cv_assumed": cv, "maps": out_maps, "changes": out_changes,
            "note": "one draw per (table row, pool), shared by every cell and by both maps of a change"}


__all__ = [
    "MAX_PLAUSIBLE_DENSITY", "POOLS", "POOL_COLUMNS", "SPEC", "Accounts", "CodeInfo", "PoolsTable", "StockPlan",
    "Hist", "StockResult", "check_accounts", "to_accounts", "code_info", "compute", "default_pairs", "map_labels", "monte_carlo", "plan",
    "process_block", "read_pools", "summarize", "valuation_constant",
]
