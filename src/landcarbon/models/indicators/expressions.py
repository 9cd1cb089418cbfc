"""User indicators (methods.md §14.3): arithmetic expressions over named catalog variables.

An expression is parsed with :mod:`ast` and checked node by node; it is never handed to ``eval``.
Allowed: numbers, variable names, ``+ - * /`` (also written ``× ÷ −``), unary minus, parentheses, and
the functions ``min(a, b, …)``, ``max(a, b, …)`` and ``abs(a)``. Anything else (attribute access,
subscripts, calls of other functions, comparisons, powers, strings, lambdas …) is refused with the
construct named. An unknown variable is an error naming the known ones, with a did-you-mean.

    e = parse_expression("area_forest_ha / area_total_ha * 100")
    e.names                     # ('area_forest_ha', 'area_total_ha')
    e.evaluate({"area_forest_ha": 30.0, "area_total_ha": 120.0})   # 25.0
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..weights import bad_input
from . import _tables as T
from .definitions import DIRECTIONS, INDICATORS, IndicatorDef

MAX_LENGTH = 2000
MAX_DEPTH = 60
FUNCTIONS = ("min", "max", "abs")
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_TRANSLATE = str.maketrans({"×": "*", "÷": "/", "−": "-", "（": "(", "）": ")", "，": ","})

_NAMES = {
    ast.Attribute: "attribute access (a.b)", ast.Subscript: "subscripts (a[b])", ast.Compare: "comparisons",
    ast.BoolOp: "and / or", ast.IfExp: "if … else", ast.Lambda: "lambda", ast.Pow: "powers (**)",
    ast.FloorDiv: "floor division (//)", ast.Mod: "remainders (%)", ast.MatMult: "@", ast.Starred: "*args",
    ast.List: "lists", ast.Tuple: "tuples", ast.Dict: "dicts", ast.Set: "sets", ast.JoinedStr: "f-strings",
    ast.NamedExpr: ":=", ast.Not: "not", ast.Invert: "~", ast.ListComp: "comprehensions",
    ast.GeneratorExp: "comprehensions", ast.Await: "await",
}
_ALLOWED = "numbers, variable names, + - * / (× ÷), unary minus, parentheses and min() / max() / abs()"


def _refuse(text: str, what: str, node: ast.AST | None = None) -> None:
    where = f" at column {node.col_offset + 1}" if node is not None and hasattr(node, "col_offset") else ""
    raise bad_input("expression", f"{text!r}: {what}{where} is not allowed; expected {_ALLOWED}")


@dataclass(frozen=True)
class Expression:
    """A checked arithmetic expression; :attr:`names` are the variables it reads (in order of appearance)."""

    text: str
    tree: ast.Expression
    names: tuple[str, ...]

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """The value for ``values`` (numbers, numpy arrays or pandas Series, aligned). A division by zero
        is an error, never an inf or NaN."""
        miss = [n for n in self.names if n not in values]
        if miss:
            raise bad_input("expression", unknown_variable_message(self.text, miss[0], list(values)))
        return _eval(self.tree.body, values, self.text)


def unknown_variable_message(text: str, name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, [str(k) for k in known], n=3, cutoff=0.6)
    hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
    shown = sorted(map(str, known))
    more = f" … ({len(shown)} in all)" if len(shown) > 40 else ""
    return (f"{text!r} reads variable {name!r}, which is not in the catalog{hint}; known variables: "
            f"{', '.join(shown[:40])}{more}")


def parse_expression(text: str, known: Sequence[str] | None = None) -> Expression:
    """Parse and check an expression. With ``known``, every variable must be one of them."""
    if not isinstance(text, str) or not text.strip():
        raise bad_input("expression", f"found {text!r}; expected an arithmetic expression such as "
                                      f"'area_forest_ha / area_total_ha * 100'")
    if len(text) > MAX_LENGTH:
        raise bad_input("expression", f"the expression has {len(text)} characters; expected at most {MAX_LENGTH}")
    src = text.translate(_TRANSLATE).strip()
    depth = 0
    for ch in src:
        depth += ch == "("
        depth -= ch == ")"
        if depth > MAX_DEPTH:
            raise bad_input("expression", f"{text!r} nests parentheses deeper than {MAX_DEPTH}; simplify it")
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as err:
        col = f" at column {err.offset}" if err.offset else ""
        raise bad_input("expression", f"{text!r} is not a valid expression{col} ({err.msg}); expected "
                                      f"{_ALLOWED}") from None
    names: list[str] = []
    _check(tree.body, text, names, 0)
    if known is not None:
        for n in names:
            if n not in known:
                raise bad_input("expression", unknown_variable_message(text, n, known))
    return Expression(text, tree, tuple(dict.fromkeys(names)))


def _check(node: ast.AST, text: str, names: list[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise bad_input("expression", f"{text!r} is nested deeper than {MAX_DEPTH}; simplify it")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            _refuse(text, f"the constant {node.value!r}", node)
        return
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            _refuse(text, f"{node.id} without a call", node)
        names.append(node.id)
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _OPS:
            _refuse(text, _NAMES.get(type(node.op), type(node.op).__name__), node)
        _check(node.left, text, names, depth + 1)
        _check(node.right, text, names, depth + 1)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            _refuse(text, _NAMES.get(type(node.op), type(node.op).__name__), node)
        _check(node.operand, text, names, depth + 1)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            _refuse(text, "calling " + (_NAMES.get(type(node.func), "an expression")), node)
        fname = node.func.id
        if fname not in FUNCTIONS:
            close = difflib.get_close_matches(fname, FUNCTIONS, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            _refuse(text, f"calling the unknown function {fname}(){hint}", node)
        if node.keywords:
            _refuse(text, f"keyword arguments to {fname}()", node)
        n = len(node.args)
        if (fname == "abs" and n != 1) or (fname != "abs" and n < 2):
            want = "one argument" if fname == "abs" else "two or more arguments"
            raise bad_input("expression", f"{text!r}: {fname}() takes {want}; found {n}")
        for a in node.args:
            _check(a, text, names, depth + 1)
        return
    _refuse(text, _NAMES.get(type(node), type(node).__name__), node)


def _eval(node: ast.AST, values: Mapping[str, Any], text: str) -> Any:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, values, text)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, values, text), _eval(node.right, values, text)
        op = type(node.op)
        if op is ast.Add:
            return a + b
        if op is ast.Sub:
            return a - b
        if op is ast.Mult:
            return a * b
        zero = np.asarray(b == 0)
        if zero.any():
            raise bad_input("expression", f"{text!r} divides by zero ({ast.unparse(node.right)} = 0"
                                          f"{_where_zero(b)}); expected a non-zero divisor: correct the variables "
                                          f"or the expression")
        return a / b
    if isinstance(node, ast.Call):
        args = [_eval(a, values, text) for a in node.args]
        if node.func.id == "abs":
            return abs(args[0])
        f = np.minimum if node.func.id == "min" else np.maximum
        out = args[0]
        for a in args[1:]:
            out = f(out, a)
        return out
    raise AssertionError(type(node))  # pragma: no cover - _check refused it


def _where_zero(b: Any) -> str:
    if isinstance(b, pd.Series) and isinstance(b.index, pd.MultiIndex):
        s, z, y = b.index[np.asarray(b == 0)][0]
        return f" in zone {z!r} {y}" + (f" ({s})" if s else "")
    return ""


@dataclass(frozen=True)
class UserIndicator:
    """A plan's own indicator: ``id``, the expression, its unit and direction (methods.md §14.3)."""

    id: str
    expression: str
    unit: str
    direction: str
    name_zh: str = ""
    name_en: str = ""

    def definition(self) -> IndicatorDef:
        return IndicatorDef(self.id, self.name_zh or self.id, self.name_en or self.id, self.unit, self.direction,
                            "user", self.expression, "methods.md §14.3; user expression",
                            parse_expression(self.expression).names, self.expression)


def user_indicators(variables: pd.DataFrame, definitions: Sequence[UserIndicator]) -> pd.DataFrame:
    """User indicator rows (``[scenario,] zone, year, indicator, value, unit``).

    The expression reads the variables as they are stored (their own units). A row is computed where
    every variable it reads has a value in that zone and year."""
    w, has_sc = T.wide(variables, "variables", convert=False)
    known = [str(c) for c in w.columns]
    ids = [d.id for d in definitions]
    clash = sorted({i for i in ids if ids.count(i) > 1} | {i for i in ids if i in INDICATORS})
    if clash:
        raise bad_input("indicators", f"user indicator ids {clash} repeat or shadow a built-in indicator; "
                                      f"expected new ids (built-in: {sorted(INDICATORS)})")
    parts = []
    for d in definitions:
        if d.direction not in DIRECTIONS:
            raise bad_input("direction", f"indicator {d.id!r} has direction {d.direction!r}; expected one of "
                                         f"{list(DIRECTIONS)}")
        e = parse_expression(d.expression, known)
        cols = {n: pd.to_numeric(w[n], errors="coerce") for n in e.names}
        ok = pd.Series(True, index=w.index)
        for c in cols.values():
            ok &= c.notna()
        v = e.evaluate({n: c[ok] for n, c in cols.items()}) if ok.any() else pd.Series(dtype=float)
        if not isinstance(v, pd.Series):   # a constant expression
            v = pd.Series(float(v), index=w.index[ok] if ok.any() else w.index)
        parts.append(T.rows(w, v.astype(float), d.id, d.unit))
    return T.finish(parts, has_sc)


__all__ = ["FUNCTIONS", "Expression", "UserIndicator", "parse_expression", "unknown_variable_message",
           "user_indicators"]
