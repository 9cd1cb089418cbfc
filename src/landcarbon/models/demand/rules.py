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
from ...core.spec import Issue
from ...core.validation import did_you_mean
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
    row: int | None = None  # data row of a rules table (user rules)


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
    """Rules from a table with columns ``from``, ``to`` and ``change_pct`` (percent, −70 = −70 %).

    Every bad row is reported at once (an ``InputValidationError`` with one issue per row, key
    ``rules``): a change that is not a number or below −100 %, a selector that is not a class code,
    ``*`` or a group (with a did-you-mean).
    """
    cols = {str(c).strip().lower(): c for c in df.columns}
    miss = [c for c in ("from", "to", "change_pct") if c not in cols]
    if miss:
        raise InputValidationError(f"rules table has columns {list(df.columns)}; missing {miss}. Expected "
                                   f"from, to, change_pct (e.g. cropland, built_up, -70)")
    out, issues = [], []
    for n, (_, r) in enumerate(df.iterrows(), start=1):
        raw = r[cols["change_pct"]]
        try:
            ch = float(raw) / 100.0
        except (TypeError, ValueError):
            issues.append(Issue("rules", f"row {n}: change_pct {raw!r} is not a number; expected percent "
                                         f"(e.g. -70 for −70 %)"))
            continue
        if not math.isfinite(ch) or ch < -1:
            issues.append(Issue("rules", f"row {n}: change_pct {ch * 100:g}; expected a number ≥ −100 (percent: "
                                         f"−100 stops the transition)"))
            continue
        fr, to = str(r[cols["from"]]).strip(), str(r[cols["to"]]).strip()
        for sel in (fr, to):
            msg = selector_problem(sel)
            if msg:
                issues.append(Issue("rules", f"row {n}: {msg}"))
        out.append(Rule(fr, to, ch, str(r[cols["source"]]) if "source" in cols else "user rules", row=n))
    if issues:
        raise InputValidationError(issues)
    return tuple(out)


def looks_like_fractions(rules: Sequence[Rule]) -> bool:
    """True when every non-zero change of user rules is below 1 % in size: the table probably holds
    fractions (−0.7 meant as −70 %) where percent is expected."""
    vals = [abs(r.change * 100) for r in rules if r.change != 0]
    return bool(vals) and all(v < 1 for v in vals)


_SEL_ALIAS = {"built-up": "built_up", "builtup": "built_up", "construction": "built_up", "urban": "built_up",
              "farmland": "cropland", "grass": "grassland", "bare": "unused"}
_ANY = ("*", "any", "all", "全部")


def _parts(sel: str) -> list[str]:
    return [p.strip() for p in str(sel).replace(",", "|").split("|")]


def _group(p: str) -> str | None:
    zh = {v: k for k, v in GROUP_NAMES_ZH.items()}
    g = zh.get(p, _SEL_ALIAS.get(p.lower(), p.lower()))
    return g if g in GROUPS else None


def _is_code(p: str) -> bool:
    try:
        float(p)
    except ValueError:
        return False
    return True


def selector_problem(sel: str) -> str | None:
    """Why a rule selector is not a class code, ``*`` or a group (with a did-you-mean), or None."""
    for p in _parts(sel):
        if p in _ANY or _is_code(p) or _group(p) is not None:
            continue
        near = did_you_mean(p.lower(), [*GROUPS, *_SEL_ALIAS])
        return f"selector {p!r} is not a class code, '*' or a group{near}; the groups are {', '.join(GROUPS)}"
    return None


def names_groups(rules: Iterable[Rule]) -> bool:
    """True when a rule selects classes by group (so a class scheme is needed)."""
    return any(_group(p) is not None for r in rules for sel in (r.from_, r.to) for p in _parts(sel)
               if p not in _ANY and not _is_code(p))


def _select(sel: str, codes: Sequence[int], scheme: ClassScheme | None) -> list[int]:
    out: list[int] = []
    for p in _parts(sel):
        if p in _ANY:
            out.extend(codes)
            continue
        if _is_code(p):
            c = int(float(p))
            if c not in codes:
                raise MissingClassError(f"rule class {c} is not among the map's classes {list(codes)}", [c])
            out.append(c)
            continue
        g = _group(p)
        if g is None:
            raise InputValidationError(f"rule {selector_problem(p)}")
        if scheme is None:
            raise InputValidationError(f"rule selector {p!r} names a land-use group, but no class scheme was "
                                       f"given to say which codes belong to it; give scheme (a built-in name or "
                                       f"a code,group table) or use class codes in the rules")
        uncovered = [c for c in codes if c not in scheme]
        if uncovered:
            raise InputValidationError([Issue("scheme", f"class codes {uncovered} of the maps are not in the class "
                                                        f"scheme {scheme.name!r}, so the rule selector {p!r} cannot "
                                                        f"tell their group; give a scheme that lists every code of "
                                                        f"the maps (code, group), or use class codes in the rules")])
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
    rules = tuple(rules)
    selected = 0
    for r in rules:
        fr = _select(r.from_, codes, scheme)
        to = _select(r.to, codes, scheme)
        selected += sum(j != k for j in fr for k in to)
        if r.row is not None and not any(j != k for j in fr for k in to):
            what = "selects no class of the maps" if not (fr and to) else "selects only the class itself (j = k)"
            raise InputValidationError([Issue("rules", f"row {r.row} ({r.from_} → {r.to}, {r.change * 100:+g} %) "
                                                       f"{what}, so it would change nothing; a rule scales the "
                                                       f"transitions from one class to other classes: fix or "
                                                       f"drop the row")])
        for j in fr:
            for k in to:
                if j != k:
                    factor[codes.index(j), codes.index(k)] *= 1.0 + r.change
    if rules and not selected:
        groups = sorted({scheme[c].group for c in codes if c in scheme}) if scheme is not None else []
        raise InputValidationError([Issue("scenario", f"none of the scenario rules selects a transition between the "
                                                      f"maps' classes {codes}"
                                                      f"{f' (their groups in scheme {scheme.name!r}: ' if groups else ''}"
                                                      f"{', '.join(groups)}{')' if groups else ''}, so the scenario "
                                                      f"would change nothing: check that the class scheme matches "
                                                      f"the maps")])
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


