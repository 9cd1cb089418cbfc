"""Transition matrix and class-specific control-line rules (methods.md §8.4–8.5).

    allowed(i, j, c) = TM[j, c] × 1(R(i) ≠ 0) × Π_rules [1 − forbid_ρ(i, j, c)]

TM is stored **from (rows) → to (columns)**, as in the transition matrix of §7.1. PLUS puts the
current class in columns and the future class in rows: use ``orientation="plus"`` on import.

A rule table has columns ``line, applies, from, to, action``:

- ``line``: name of a control-line mask (``eco_redline``, ``basic_farmland``, ``urban_boundary`` …);
- ``applies``: ``inside`` or ``outside`` the line;
- ``from`` / ``to``: class selectors — ``any``, a national group (``cropland``, ``forest``,
  ``grassland``, ``water``, ``built_up``, ``unused``), a class code, several joined by ``|``,
  or a selector prefixed with ``!`` for "all but";
- ``action``: ``forbid`` (transitions from → to are not allowed), ``freeze`` (cells whose start
  class matches ``from`` do not change at all, like R = 0) or ``develop`` (cells are a planned
  development zone for the single class in ``to``, PLUS's R = 2 rule).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ...core.classes import GROUPS
from ...core.errors import InputValidationError

RULE_COLUMNS = ("line", "applies", "from", "to", "action")

#: methods.md §8.5 default rule table
DEFAULT_RULES = pd.DataFrame(
    [
        ("eco_redline", "inside", "any", "any", "forbid"),
        ("basic_farmland", "inside", "cropland", "any", "forbid"),
        ("urban_boundary", "outside", "any", "built_up", "forbid"),
        ("urban_boundary", "inside", "any", "built_up", "develop"),
    ],
    columns=list(RULE_COLUMNS),
)

#: option "red line forbids only → built-up and → cropland"
REDLINE_SOFT = pd.DataFrame(
    [
        ("eco_redline", "inside", "any", "built_up|cropland", "forbid"),
        ("basic_farmland", "inside", "cropland", "any", "forbid"),
        ("urban_boundary", "outside", "any", "built_up", "forbid"),
        ("urban_boundary", "inside", "any", "built_up", "develop"),
    ],
    columns=list(RULE_COLUMNS),
)


def _select(sel: str, codes: list[int], groups: Mapping[int, str] | None, where: str) -> np.ndarray:
    """Boolean vector over class indices for one selector string."""
    sel = str(sel).strip()
    out = np.zeros(len(codes), dtype=bool)
    if sel == "" or sel.lower() == "nan":
        return out
    neg = sel.startswith("!")
    body = sel[1:] if neg else sel
    for part in body.split("|"):
        part = part.strip()
        low = part.lower()
        if low in ("any", "all", "*"):
            out[:] = True
        elif low in GROUPS or low in ("built-up", "builtup"):
            g = "built_up" if low in ("built-up", "builtup") else low
            if groups is None:
                raise InputValidationError(
                    f"{where}: selector {part!r} names a land-use group but the classes have no group "
                    f"mapping; pass a class scheme (CSV with columns code,group) or use class codes")
            hit = np.array([groups.get(c) == g for c in codes])
            out |= hit
        else:
            try:
                code = int(float(part))
            except ValueError:
                raise InputValidationError(
                    f"{where}: selector {part!r} is neither 'any', a group ({', '.join(GROUPS)}) nor a "
                    f"class code") from None
            if code not in codes:
                raise InputValidationError(f"{where}: class code {code} is not a class of the map "
                                           f"(codes: {codes})")
            out[codes.index(code)] = True
    return ~out if neg else out


def check_rules(rules: pd.DataFrame) -> pd.DataFrame:
    df = rules.copy()
    df.columns = [str(c).strip().lower() for c in df.columns]
    missing = [c for c in RULE_COLUMNS if c not in df.columns]
    if missing:
        raise InputValidationError(f"rule table lacks columns {missing}; expected columns "
                                   f"{', '.join(RULE_COLUMNS)} (e.g. eco_redline,inside,any,any,forbid)")
    for c in RULE_COLUMNS:
        df[c] = df[c].fillna("").astype(str).str.strip()
    bad = df[~df["applies"].str.lower().isin(["inside", "outside"])]
    if len(bad):
        raise InputValidationError(f"rule table: 'applies' must be inside or outside; found "
                                   f"{sorted(set(bad['applies']))}")
    bad = df[~df["action"].str.lower().isin(["forbid", "freeze", "develop"])]
    if len(bad):
        raise InputValidationError(f"rule table: 'action' must be forbid, freeze or develop; found "
                                   f"{sorted(set(bad['action']))}")
    df["applies"] = df["applies"].str.lower()
    df["action"] = df["action"].str.lower()
    return df


def transition_matrix(table: pd.DataFrame | np.ndarray | None, codes: list[int], *,
                      orientation: str = "from_to") -> np.ndarray:
    """TM[from, to] (uint8, 1 allowed) over ``codes``.

    ``table``: a square 0/1 DataFrame indexed by class code (index and columns), or an array in
    ``codes`` order; None allows every transition. ``orientation="plus"`` reads a PLUS matrix
    (rows = future class, columns = current class) and transposes it.
    """
    k = len(codes)
    if table is None:
        return np.ones((k, k), dtype=np.uint8)
    if orientation not in ("from_to", "plus"):
        raise InputValidationError(f"transition-matrix orientation {orientation!r} is unknown; use "
                                   f"'from_to' (rows = from, columns = to) or 'plus' (rows = to)")
    if isinstance(table, pd.DataFrame):
        df = table.copy()
        try:
            df.index = [int(float(i)) for i in df.index]
            df.columns = [int(float(c)) for c in df.columns]
        except ValueError:
            raise InputValidationError("transition matrix: index and column labels must be class codes") from None
        missing = sorted(set(codes) - set(df.index) | set(codes) - set(df.columns))
        if missing:
            raise InputValidationError(f"transition matrix lacks rows or columns for class codes {missing}; "
                                       f"give a square 0/1 table over codes {codes}")
        arr = df.loc[codes, codes].to_numpy()
    else:
        arr = np.asarray(table)
        if arr.shape != (k, k):
            raise InputValidationError(f"transition matrix has shape {arr.shape}; expected ({k}, {k}) "
                                       f"over codes {codes}")
    if not np.isin(arr, (0, 1)).all():
        raise InputValidationError("transition matrix entries must be 0 (forbidden) or 1 (allowed)")
    tm = arr.astype(np.uint8)
    if orientation == "plus":
        tm = tm.T.copy()
    np.fill_diagonal(tm, 1)
    return tm


class CompiledRules:
    """Rules compiled for a set of candidate cells.

    ``combo[i]``: row of ``allow`` (n_combo, K, K) for candidate i; ``frozen[i]``: a freeze rule
    holds; ``develop[i]``: cell lies in a develop zone; ``k_dev``: the develop class index or −1;
    ``binding``: per combo, the line names that apply (for feasibility messages).
    """

    def __init__(self, combo, allow, frozen, develop, k_dev, combo_lines):
        self.combo = combo
        self.allow = allow
        self.frozen = frozen
        self.develop = develop
        self.k_dev = k_dev
        self.combo_lines = combo_lines


def compile_rules(rules: pd.DataFrame | None, lines: Mapping[str, np.ndarray] | None, codes: list[int],
                  start_idx: np.ndarray, tm: np.ndarray, *, groups: Mapping[int, str] | None = None,
                  strict: bool = True) -> CompiledRules:
    """Compile a rule table over candidate cells.

    ``lines``: name -> boolean mask over the candidate cells (already flattened). ``start_idx``:
    start class index of each candidate. With ``strict`` a rule naming a line that was not given is
    an error; the default table (``strict=False``) skips it.
    """
    lines = dict(lines or {})
    n = start_idx.size
    k_n = len(codes)
    if rules is None or len(rules) == 0:
        return CompiledRules(np.zeros(n, np.uint8), tm[None].copy(), np.zeros(n, bool), np.zeros(n, bool),
                             -1, [()])
    df = check_rules(rules)
    used = [ln for ln in dict.fromkeys(df["line"]) if ln]
    absent = [ln for ln in used if ln not in lines]
    if absent and strict:
        raise InputValidationError(f"rule table names control lines {absent} but no such mask was given "
                                   f"(given: {sorted(lines)}); pass them (e.g. --line {absent[0]}=mask.tif)")
    df = df[df["line"].isin(lines)].rename(columns={"from": "frm"})
    names = [ln for ln in used if ln in lines]
    if len(names) > 8:
        raise InputValidationError("at most 8 control lines are supported in one rule table")
    bits = np.zeros(n, dtype=np.uint16)
    for b, ln in enumerate(names):
        m = np.asarray(lines[ln], dtype=bool)
        if m.shape != (n,):
            raise InputValidationError(f"control line {ln!r} mask does not match the candidate cells")
        bits |= m.astype(np.uint16) << b
    uniq, combo = np.unique(bits, return_inverse=True)
    allow = np.repeat(tm[None], uniq.size, axis=0)
    frozen = np.zeros(n, dtype=bool)
    develop = np.zeros(n, dtype=bool)
    k_dev = -1
    combo_lines: list[tuple[str, ...]] = []
    for u, b in enumerate(uniq):
        inside = {ln: bool(b >> i & 1) for i, ln in enumerate(names)}
        active = []
        for r in df.itertuples(index=False):
            applies = inside[r.line] if r.applies == "inside" else not inside[r.line]
            if not applies or r.action != "forbid":
                continue
            where = f"rule {r.line}/{r.applies}/{r.action}"
            fr = _select(r.frm, codes, groups, where)
            to = _select(r.to, codes, groups, where)
            block = np.outer(fr, to)
            np.fill_diagonal(block, False)
            allow[u][block] = 0
            active.append(r.line)
        combo_lines.append(tuple(dict.fromkeys(active)))
    for r in df.itertuples(index=False):
        if r.action not in ("freeze", "develop"):
            continue
        m = np.asarray(lines[r.line], dtype=bool)
        where_cells = m if r.applies == "inside" else ~m
        where = f"rule {r.line}/{r.applies}/{r.action}"
        if r.action == "freeze":
            fr = _select(r.frm or "any", codes, groups, where)
            frozen |= where_cells & fr[start_idx]
        else:
            to = _select(r.to, codes, groups, where)
            ks = np.flatnonzero(to)
            if ks.size != 1:
                raise InputValidationError(f"{where}: a develop rule needs exactly one target class in 'to'; "
                                           f"found {[codes[k] for k in ks]}")
            if k_dev not in (-1, int(ks[0])):
                raise InputValidationError("develop rules name different classes; PLUS's planned development "
                                           "zone (R = 2) takes one class per run")
            k_dev = int(ks[0])
            develop |= where_cells
    del k_n
    return CompiledRules(combo.astype(np.uint8), allow.astype(np.uint8), frozen, develop, k_dev, combo_lines)
