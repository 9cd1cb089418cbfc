"""Scenario rules (methods.md §7.4): named scenarios and user rules that scale transition
probabilities between classes or national groups."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...core.classes import GROUP_NAMES_ZH, GROUPS, ClassScheme
from ...core.errors import InputValidationError, MissingClassError
from .. import change as _ch


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
       "structure proper comes from optimisation (methods.md §12); give its demand as a table (method 'table')",
       "D"),
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
                                       f"given to say which codes belong to it; give scheme (a built-in name or "
                                       f"a code,group table) or use class codes in the rules")
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


