"""Land-use demand: Markov chain, scenario rules, linear trend, a given table (methods.md §7.3–7.5).

Every generator returns a demand table in cells (and ha) whose total equals the number of valid
cells of the simulation's start map exactly (integer rounding by largest remainders):

    code, cells, area_ha              one target year
    year, code, cells, area_ha        several target years

Class codes are kept as they are in the maps (they need not be consecutive); the simulation maps
them to 0 … K−1 internally (methods.md §8.1).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.classes import GROUP_NAMES_ZH, GROUPS, ClassScheme
from ..core.errors import InputValidationError, LandcarbonWarning, MissingClassError
from ..core.spec import ModelSpec, NumberIn, RasterIn, TableIn, TableOut
from ..ops import transitions as _tr
from . import change as _ch

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

#: tolerances of the eigen method for non-integer powers (methods.md §7.3) [D]
EIGEN_TOL = 1e-9


# --------------------------------------------------------------------------------------------
# integer rounding
# --------------------------------------------------------------------------------------------
def largest_remainder(values: Sequence[float], total: int) -> np.ndarray:
    """Round non-negative ``values`` to integers summing to ``total`` exactly (Hamilton method).

    Each value is floored; the cells still missing go to the largest fractional parts (ties to the
    lower index). ``values`` are first scaled to sum to ``total``.
    """
    v = np.asarray(values, dtype=np.float64)
    total = int(total)
    if v.size == 0:
        return np.zeros(0, dtype=np.int64)
    if (v < 0).any() or not np.isfinite(v).all():
        raise InputValidationError(f"demand values {v.tolist()} contain negative or non-finite numbers")
    s = v.sum()
    if s <= 0:
        if total == 0:
            return np.zeros(v.size, dtype=np.int64)
        raise InputValidationError("demand values are all zero; cannot spread the valid cells over them")
    x = v * (total / s)
    fl = np.floor(x).astype(np.int64)
    rest = total - int(fl.sum())
    if rest > 0:
        order = np.lexsort((np.arange(v.size), -(x - fl)))
        fl[order[:rest]] += 1
    elif rest < 0:  # only through float noise
        order = np.lexsort((np.arange(v.size), x - fl))
        fl[order[:-rest]] -= 1
    return fl


# --------------------------------------------------------------------------------------------
# Markov chain
# --------------------------------------------------------------------------------------------
def transition_probabilities(counts: np.ndarray) -> np.ndarray:
    """Row-stochastic P_jk = N_jk / Σ_k N_jk. A class absent at t1 gets P_jj = 1 (it persists)."""
    n = np.asarray(counts, dtype=np.float64)
    rs = n.sum(axis=1, keepdims=True)
    p = np.divide(n, rs, out=np.zeros_like(n), where=rs > 0)
    empty = rs.ravel() == 0
    p[empty, :] = 0.0
    p[empty, np.nonzero(empty)[0]] = 1.0
    return p


@dataclass(frozen=True)
class PowerResult:
    matrix: np.ndarray | None
    ok: bool
    reason: str = ""


def matrix_power(p: np.ndarray, h: float) -> PowerResult:
    """P^h. Integer h: repeated multiplication. Otherwise the eigen method of methods.md §7.3:
    P^h = V diag(λ^h) V⁻¹, accepted only if imaginary parts < 1e-9, entries ≥ −1e-9 (then clipped
    to 0) and rows sum to 1 ± 1e-9; ``ok=False`` with the reason otherwise."""
    p = np.asarray(p, dtype=np.float64)
    if h < 0:
        raise InputValidationError(f"matrix power {h}: expected a horizon ≥ 0")
    if float(h).is_integer():
        return PowerResult(np.linalg.matrix_power(p, int(h)), True)
    lam, vec = np.linalg.eig(p)
    try:
        inv = np.linalg.inv(vec)
    except np.linalg.LinAlgError:
        return PowerResult(None, False, "P is not diagonalisable (singular eigenvector matrix)")
    if np.linalg.cond(vec) > 1e12:
        return PowerResult(None, False, "P is (nearly) not diagonalisable")
    lam_h = np.power(lam.astype(np.complex128), h)
    ph = (vec * lam_h) @ inv
    imag = float(np.max(np.abs(ph.imag)))
    if imag >= EIGEN_TOL:
        return PowerResult(None, False, f"P^{h:g} has imaginary parts up to {imag:.2g}")
    real = ph.real
    lo = float(real.min())
    if lo < -EIGEN_TOL:
        return PowerResult(None, False, f"P^{h:g} has a negative entry ({lo:.4f}): P has no valid "
                                        f"stochastic root (the embedding problem)")
    real = np.clip(real, 0.0, None)
    dev = float(np.max(np.abs(real.sum(axis=1) - 1.0)))
    if dev > EIGEN_TOL:
        return PowerResult(None, False, f"rows of P^{h:g} sum to 1 ± {dev:.2g}")
    return PowerResult(real, True)


def project(s: Sequence[float], p: np.ndarray, h: float, *, fractional: str = "eigen") -> tuple[np.ndarray, str]:
    """S · P^h (float), and the method used: 'power', 'eigen' or 'interpolate'.

    For non-integer h, ``fractional="eigen"`` tries the eigen root and falls back, with a
    LandcarbonWarning, to interpolation between the neighbouring whole steps:
    S(t) = (1 − f) S P^⌊h⌋ + f S P^⌈h⌉, f = h − ⌊h⌋. ``fractional="interpolate"`` uses it directly.
    """
    s = np.asarray(s, dtype=np.float64)
    if fractional not in ("eigen", "interpolate"):
        raise InputValidationError(f"fractional {fractional!r}; expected 'eigen' or 'interpolate'")
    if float(h).is_integer():
        return s @ np.linalg.matrix_power(p, int(h)), "power"
    if fractional == "eigen":
        r = matrix_power(p, h)
        if r.ok:
            return s @ r.matrix, "eigen"
        warnings.warn(f"Markov: {r.reason}; interpolating between whole steps instead (methods.md §7.3)",
                      LandcarbonWarning, stacklevel=3)
    lo = math.floor(h)
    f = h - lo
    s_lo = s @ np.linalg.matrix_power(p, lo)
    s_hi = s_lo @ p
    return (1 - f) * s_lo + f * s_hi, "interpolate"


# --------------------------------------------------------------------------------------------
# scenario rules (methods.md §7.4)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """Scale P_jk by (1 + change) for every j in ``from_`` and k in ``to`` (j ≠ k).

    Selectors: a national group key (``cropland``, ``forest``, ``grassland``, ``water``,
    ``built_up``, ``unused``) or its Chinese name, a class code, ``*`` (every class), or several
    joined with ``|``. ``change`` is a fraction (−0.7 = −70 %).
    """

    from_: str
    to: str
    change: float
    source: str = ""


@dataclass(frozen=True)
class Scenario:
    name: str
    title_zh: str
    rules: tuple[Rule, ...]
    source: str
    tag: str


_L_ANHUI = "Sustainability 2025, 17(9):4185 (Northern Anhui), read from the publisher's page"
_L_NANJING = "J. Geogr. Sci. 2024, 34(7):1415 (Nanjing metropolitan area), read from the publisher's page"

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("natural_trend", "自然发展", (), "no adjustment: the observed transition probabilities", "-"),
    Scenario("cropland_protection", "耕地保护", (
        Rule("cropland", "built_up", -0.70, _L_ANHUI),
        Rule("cropland", "grassland", -0.40, _L_ANHUI),
        Rule("cropland", "water", -0.40, _L_ANHUI),
        Rule("unused", "*", +0.50, _L_ANHUI),
    ), _L_ANHUI, "L"),
    Scenario("ecological_protection", "生态保护", (
        Rule("forest|grassland|water", "built_up", -0.50, "common setting"),
        Rule("cropland", "built_up", -0.30, "common setting"),
        Rule("cropland", "forest", +0.30, "common setting"),
    ), "common setting in Chinese applications (methods.md §7.4, 'Ecological protection, common')", "L"),
    Scenario("economic_development", "经济发展", (
        Rule("cropland", "built_up", +0.20, _L_NANJING),
        Rule("forest|grassland|water", "built_up", +0.10, _L_NANJING),
    ), _L_NANJING, "L"),
    Scenario("low_carbon", "低碳发展", (
        Rule("forest|grassland|water", "built_up", -0.50, "landcarbon design default"),
        Rule("cropland", "built_up", -0.30, "landcarbon design default"),
        Rule("forest", "cropland|grassland|unused", -0.30, "landcarbon design default"),
        Rule("cropland|grassland|unused", "forest", +0.30, "landcarbon design default"),
    ), "landcarbon design default [D]: protect high-carbon classes, favour afforestation. A low-carbon "
       "structure proper comes from optimisation (methods.md §12); pass its demand with --table", "D"),
)}


def get_scenario(name: str) -> Scenario:
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    aliases = {"natural": "natural_trend", "natural_development": "natural_trend", "trend": "natural_trend",
               "farmland_protection": "cropland_protection", "ecological": "ecological_protection",
               "eco_protection": "ecological_protection", "lowcarbon": "low_carbon",
               "economic": "economic_development"}
    key = aliases.get(key, key)
    if key not in SCENARIOS:
        raise InputValidationError(f"scenario {name!r} is unknown; built-in scenarios are {sorted(SCENARIOS)} "
                                   f"(or give your own rules in a CSV with columns from, to, change_pct)")
    return SCENARIOS[key]


def rules_from_frame(df: pd.DataFrame) -> tuple[Rule, ...]:
    """Rules from a table with columns ``from``, ``to`` and ``change_pct`` (percent, −70 = −70 %)."""
    cols = {str(c).strip().lower(): c for c in df.columns}
    miss = [c for c in ("from", "to", "change_pct") if c not in cols]
    if miss:
        raise InputValidationError(f"rules table has columns {list(df.columns)}; missing {miss}. Expected "
                                   f"from, to, change_pct (e.g. cropland, built_up, -70)")
    out = []
    for i, r in df.iterrows():
        try:
            ch = float(r[cols["change_pct"]]) / 100.0
        except (TypeError, ValueError):
            raise InputValidationError(f"rules row {i + 1}: change_pct {r[cols['change_pct']]!r} is not a "
                                       f"number") from None
        if not math.isfinite(ch) or ch < -1:
            raise InputValidationError(f"rules row {i + 1}: change_pct {ch * 100:g}; expected a number ≥ −100")
        out.append(Rule(str(r[cols["from"]]).strip(), str(r[cols["to"]]).strip(), ch,
                        str(r[cols["source"]]) if "source" in cols else "user rules"))
    return tuple(out)


def _select(sel: str, codes: Sequence[int], scheme: ClassScheme | None) -> list[int]:
    out: list[int] = []
    zh = {v: k for k, v in GROUP_NAMES_ZH.items()}
    alias = {"built-up": "built_up", "builtup": "built_up", "construction": "built_up", "urban": "built_up",
             "farmland": "cropland", "grass": "grassland", "bare": "unused"}
    for part in str(sel).replace(",", "|").split("|"):
        p = part.strip()
        if p in ("*", "any", "all", "全部"):
            out.extend(codes)
            continue
        try:
            c = int(float(p))
            if c not in codes:
                raise MissingClassError(f"rule class {c} is not among the map's classes {list(codes)}", [c])
            out.append(c)
            continue
        except ValueError:
            pass
        g = zh.get(p, alias.get(p.lower(), p.lower()))
        if g not in GROUPS:
            raise InputValidationError(f"rule selector {p!r}: expected a class code, '*' or a group "
                                       f"({', '.join(GROUPS)})")
        if scheme is None:
            raise InputValidationError(f"rule selector {p!r} names a land-use group, but no class scheme was "
                                       f"given to say which codes belong to it; pass scheme= (--scheme) or "
                                       f"use class codes in the rules")
        out.extend(c for c in codes if c in scheme and scheme[c].group == g)
    return sorted(set(out))


def apply_rules(p: np.ndarray, codes: Sequence[int], rules: Iterable[Rule], *,
                scheme: ClassScheme | None = None) -> np.ndarray:
    """P'_jk = P_jk (1 + x_jk) for the selected j ≠ k; P'_jj = 1 − Σ_{k≠j} P'_jk (methods.md §7.4).

    Several rules hitting the same (j, k) multiply their factors. A row whose P'_jj would fall
    below 0 is an error naming the row and the total requested increase.
    """
    p = np.asarray(p, dtype=np.float64)
    codes = [int(c) for c in codes]
    factor = np.ones_like(p)
    for r in rules:
        fr = _select(r.from_, codes, scheme)
        to = _select(r.to, codes, scheme)
        for j in fr:
            for k in to:
                if j != k:
                    factor[codes.index(j), codes.index(k)] *= 1.0 + r.change
    out = p * factor
    np.fill_diagonal(out, 0.0)
    off = out.sum(axis=1)
    bad = np.nonzero(off > 1.0 + 1e-12)[0]
    if bad.size:
        j = int(bad[0])
        before = p[j].sum() - p[j, j]
        raise InputValidationError(
            f"scenario rules make row {codes[j]} (from class {_ch.class_label(codes[j], scheme)}) leave with "
            f"probability {off[j]:.4f} > 1: its transitions to other classes rise from {before:.4f} by "
            f"{off[j] - before:+.4f}, so P_jj would be {1 - off[j]:.4f} < 0; lower the increases for that row")
    out[np.diag_indices_from(out)] = 1.0 - off
    return out


def resolve_rules(scenario: str | Scenario | None = None, rules: Iterable[Rule] | pd.DataFrame | None = None
                  ) -> tuple[str, tuple[Rule, ...]]:
    name = "natural_trend"
    out: list[Rule] = []
    if scenario is not None:
        sc = scenario if isinstance(scenario, Scenario) else get_scenario(scenario)
        name = sc.name
        out.extend(sc.rules)
    if rules is not None:
        extra = rules_from_frame(rules) if isinstance(rules, pd.DataFrame) else tuple(rules)
        out.extend(extra)
        name = f"{name}+rules" if scenario is not None else "custom_rules"
    return name, tuple(out)


# --------------------------------------------------------------------------------------------
# demand from maps
# --------------------------------------------------------------------------------------------
def _targets(target_year: int | Sequence[int]) -> tuple[list[int], bool]:
    if isinstance(target_year, Iterable) and not isinstance(target_year, str | bytes):
        ys = [int(y) for y in target_year]
        return ys, True
    return [int(target_year)], False


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


def _class_counts(m: _ch.MapIn, codes: Sequence[int], grid) -> tuple[np.ndarray, float]:
    """Valid cells per class of one map on its own mask, and the mean valid-cell area (ha)."""
    import dask

    rows = _ch.row_weights(grid, m.data.shape[0])
    r = _tr.cross_tab(m.data, m.data, codes, rows, nodata_a=m.nodata, nodata_b=m.nodata)
    c, a, ex = dask.compute(r["counts"], r["area_ha"], r["excluded"])
    _ch.check_unknown(ex, codes, [m.name])
    cnt = np.diag(c[0]).astype(np.int64)
    area = float(np.trace(a[0]))
    return cnt, (area / cnt.sum() if cnt.sum() else float("nan"))


def markov(map1: Any, map2: Any, years: tuple[int, int], target_year: int | Sequence[int], *,
           codes: Sequence[int] | None = None, nodata: Any = "auto", scenario: str | Scenario | None = None,
           rules: Iterable[Rule] | pd.DataFrame | None = None, scheme: ClassScheme | None = None,
           fractional: str = "eigen", markov_origin: str = "landcarbon", start: str = "map2") -> pd.DataFrame:
    """Markov-chain demand for ``target_year`` (one year or several), methods.md §7.3–7.4.

    P is estimated from the transition counts of ``map1`` (t1 = years[0]) → ``map2`` (t2 = years[1])
    on their common valid mask, optionally adjusted by scenario rules, then
    S(target) = S(t2) · P^h with h = (target − t2)/Δ (non-integer h: eigen root, or interpolation
    if P has no valid root). ``start="map2"`` takes S(t2) over every valid cell of map2 (the
    simulation's start), ``"common"`` over the common mask. ``markov_origin="flus"`` reproduces
    GeoSOS-FLUS: S(t1) · P^n, n = (target − t2)//Δ + 1.

    Returns a DataFrame ``code, cells, area_ha`` (``year`` first when several targets) whose cells
    sum to the valid cells of the start vector exactly. ``.attrs`` holds ``P`` (as used),
    ``P_observed``, ``method`` per year, ``scenario`` and ``rules``.
    """
    t1, t2 = int(years[0]), int(years[1])
    if t2 <= t1:
        raise InputValidationError(f"years ({t1}, {t2}): the second map must be later than the first")
    delta = t2 - t1
    targets, multi = _targets(target_year)
    for y in targets:
        if y < t2:
            raise InputValidationError(f"target year {y} is before the last map ({t2}); expected a target ≥ {t2}")
    if markov_origin not in ("landcarbon", "flus"):
        raise InputValidationError(f"markov_origin {markov_origin!r}; expected 'landcarbon' or 'flus'")
    if start not in ("map2", "common"):
        raise InputValidationError(f"start {start!r}; expected 'map2' or 'common'")
    tt = _ch.transition_matrix(map1, map2, codes=codes, nodata=nodata)
    codes_t = tt.codes
    n = tt.counts.sum(axis=0)
    p_obs = transition_probabilities(n)
    scen_name, rule_t = resolve_rules(scenario, rules)
    p = apply_rules(p_obs, codes_t, rule_t, scheme=scheme) if rule_t else p_obs
    cell_ha = float(tt.area_ha.sum() / n.sum())
    if markov_origin == "flus":
        s0 = n.sum(axis=1).astype(np.float64)
        total = int(n.sum())
    elif start == "common":
        s0 = n.sum(axis=0).astype(np.float64)
        total = int(n.sum())
    else:
        nd2 = _ch._pair(nodata, 2)[1]
        m2 = _ch.as_map(map2, "map2", nd2)
        s0_int, cell_ha2 = _class_counts(m2, codes_t, m2.grid)
        s0 = s0_int.astype(np.float64)
        total = int(s0_int.sum())
        if math.isfinite(cell_ha2):
            cell_ha = cell_ha2
    cells, methods = [], {}
    for y in targets:
        if markov_origin == "flus":
            steps = (y - t2) // delta + 1
            v, how = s0 @ np.linalg.matrix_power(p, steps), f"flus ({steps} steps from {t1})"
        else:
            v, how = project(s0, p, (y - t2) / delta, fractional=fractional)
        cells.append(largest_remainder(np.clip(v, 0.0, None), total))
        methods[y] = how
    df = _frame(targets, multi, codes_t, cells, cell_ha)
    annual = matrix_power(p, 1.0 / delta)  # P₁ = P^(1/Δ), same checks (methods.md §7.3)
    df.attrs.update({
        "P_annual": None if not annual.ok else pd.DataFrame(annual.matrix, index=list(codes_t),
                                                            columns=list(codes_t)),
        "P_annual_note": "" if annual.ok else annual.reason,
        "method": "markov", "years": (t1, t2), "targets": targets, "projection": methods,
        "P": pd.DataFrame(p, index=list(codes_t), columns=list(codes_t)),
        "P_observed": pd.DataFrame(p_obs, index=list(codes_t), columns=list(codes_t)),
        "scenario": scen_name, "rules": [r.__dict__ for r in rule_t], "start_cells": total,
        "start_vector": s0.astype(np.int64).tolist(), "markov_origin": markov_origin, "start": start,
        "cell_area_ha": cell_ha})
    return df


def trend(maps: Sequence[Any], years: Sequence[int], target_year: int | Sequence[int], *,
          codes: Sequence[int] | None = None, nodata: Any = "auto", rescale: bool = False) -> pd.DataFrame:
    """Linear trend per class (the PLUS demand tool, methods.md §7.5) from two or more maps.

    Class shares are taken on the common valid mask of all maps, fitted by least squares against
    the year and extrapolated; shares of a linear fit sum to 1 by construction, so the demand
    (shares × valid cells of the last map, largest-remainder rounding) conserves the total. A class
    whose trend falls below 0 stops the run unless ``rescale=True`` (then it is set to 0 and the
    other classes are scaled proportionally).
    """
    if len(maps) != len(years):
        raise InputValidationError(f"{len(maps)} maps but {len(years)} years; give one year per map")
    if len(maps) < 2:
        raise InputValidationError("the linear trend needs at least two maps (three or more recommended)")
    ys = [int(y) for y in years]
    if sorted(ys) != ys or len(set(ys)) != len(ys):
        raise InputValidationError(f"years {ys}: expected strictly increasing years, one per map")
    targets, multi = _targets(target_year)
    nds = _ch._pair(nodata, len(maps))
    ms = [_ch.as_map(m, f"map{i + 1}", nd) for i, (m, nd) in enumerate(zip(maps, nds))]
    grid = _ch.check_grids(ms)
    codes_t = _ch.find_codes(ms, codes)
    valid = None
    for m in ms:
        nd, has = _tr._nd(m.nodata, m.data)
        v = (m.data != nd) if has else None
        if v is not None:
            valid = v if valid is None else (valid & v)
    counts = []
    for m in ms:
        nd, has = _tr._nd(m.nodata, m.data)
        data = m.data
        if valid is not None:
            fill = nd if has else _fill_value(m.data)
            data = _where(valid, m.data, fill)
            m = _ch.MapIn(m.name, data, fill, m.grid)
        c, _ = _class_counts(m, codes_t, grid)
        counts.append(c)
    counts_a = np.asarray(counts, dtype=np.float64)
    tot = counts_a.sum(axis=1, keepdims=True)
    shares = counts_a / tot
    x = np.asarray(ys, dtype=np.float64)
    xm = x.mean()
    slope = ((x - xm)[:, None] * (shares - shares.mean(axis=0))).sum(axis=0) / ((x - xm) ** 2).sum()
    last_n, cell_ha = _class_counts(ms[-1], codes_t, grid)
    total = int(last_n.sum())
    cells = []
    for y in targets:
        s = shares.mean(axis=0) + slope * (y - xm)
        if (s < 0).any():
            neg = [c for c, v in zip(codes_t, s) if v < 0]
            if not rescale:
                raise InputValidationError(
                    f"the linear trend of classes {neg} falls below 0 by {y}; the demand would not conserve the "
                    f"total. Choose an earlier target, another method, or pass rescale=True (--rescale) to set "
                    f"them to 0 and scale the other classes proportionally")
            s = np.clip(s, 0.0, None)
        cells.append(largest_remainder(s, total))
    df = _frame(targets, multi, codes_t, cells, cell_ha)
    df.attrs.update({"method": "trend", "years": ys, "targets": targets,
                     "shares": pd.DataFrame(shares, index=ys, columns=list(codes_t)),
                     "slope_per_year": dict(zip(codes_t, slope.tolist())), "start_cells": total})
    return df


def _fill_value(data: Any) -> int:
    dt = np.dtype(data.dtype)
    return int(np.iinfo(dt).min) if np.issubdtype(dt, np.integer) else -1


def _where(mask: Any, a: Any, fill: int) -> Any:
    if hasattr(mask, "dask") or hasattr(a, "dask"):
        import dask.array as dsa

        return dsa.where(mask, a, np.asarray(fill, dtype=a.dtype))
    return np.where(mask, a, np.asarray(fill, dtype=a.dtype))


# --------------------------------------------------------------------------------------------
# a demand table given directly
# --------------------------------------------------------------------------------------------
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
    if "code" not in cols or not ({"cells", "area_ha"} & set(cols)):
        raise InputValidationError(f"demand table has columns {list(table.columns)}; expected code and cells "
                                   f"(or area_ha), optionally year")
    df = pd.DataFrame({"code": pd.to_numeric(table[cols["code"]], errors="coerce")})
    if "year" in cols:
        df.insert(0, "year", pd.to_numeric(table[cols["year"]], errors="coerce"))
    if "cells" in cols:
        vals = pd.to_numeric(table[cols["cells"]], errors="coerce")
    else:
        if not cell_area_ha:
            raise InputValidationError("demand table gives area_ha but the cell area is unknown; give cells")
        vals = pd.to_numeric(table[cols["area_ha"]], errors="coerce") / float(cell_area_ha)
    df["value"] = vals
    if df.isna().any().any():
        bad = df[df.isna().any(axis=1)].index[0] + 1
        raise InputValidationError(f"demand table row {bad} holds a missing or non-numeric value")
    if (df["value"] < 0).any():
        raise InputValidationError("demand table holds negative cells; expected counts ≥ 0")
    df["code"] = df["code"].astype(np.int64)
    multi = "year" in df.columns
    groups = df.groupby("year", sort=True) if multi else [(None, df)]
    out_years, out_cells, out_codes = [], [], None
    for y, g in groups:
        if g["code"].duplicated().any():
            raise InputValidationError(f"demand table{'' if y is None else f' ({int(y)})'} lists code "
                                       f"{int(g['code'][g['code'].duplicated()].iloc[0])} twice")
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
                    f"to the valid cells, or rescale the non-fixed classes proportionally (rescale=True, --rescale)")
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
                f"for this map or rescale it (landcarbon demand --table … --rescale)")
