"""Validation of a model's values against its spec: every problem at once, no file opened.

``validate(spec, values)`` coerces each value to its kind (numbers, integers, years, flags,
choices, KEY=VALUE pairs), fills defaults, and returns ``(values, issues)``. File checks (exists,
opens, table columns, grid alignment) are done by ``io.resolve`` on top of this; model-specific
checks by each model's ``check``. Messages say what was found, what was expected and how to fix
it, and name the input by its key only: the interface (CLI, plan file, web form) adds its own name.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Iterable
from typing import Any

from .spec import Input, Issue, ModelSpec

_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off"}
_NUMBER_KINDS = ("number", "integer", "year")


def did_you_mean(word: str, candidates: Iterable[str], n: int = 1) -> str:
    """`` (did you mean 'x'?)`` or an empty string."""
    close = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=n, cutoff=0.6)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def _fmt(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _unit(inp: Input) -> str:
    return f" {inp.units}" if inp.units and inp.units not in ("-", "") else ""


def coerce_one(inp: Input, v: Any) -> Any:
    """Coerce one (scalar) value; raises ValueError with the message on failure."""
    k = inp.kind
    if k == "number":
        if isinstance(v, bool):
            raise ValueError(f"found {v!r}; expected a number{_unit(inp)}")
        try:
            x = float(str(v).strip()) if isinstance(v, str) else float(v)
        except (TypeError, ValueError):
            raise ValueError(f"found {v!r}; expected a number{_unit(inp)}") from None
        if not math.isfinite(x):
            raise ValueError(f"found {v!r}; expected a finite number{_unit(inp)}")
        return x
    if k in ("integer", "year"):
        what = "a year (e.g. 2020)" if k == "year" else "a whole number"
        if isinstance(v, bool):
            raise ValueError(f"found {v!r}; expected {what}")
        try:
            x = float(str(v).strip()) if isinstance(v, str) else float(v)
        except (TypeError, ValueError):
            raise ValueError(f"found {v!r}; expected {what}") from None
        if not math.isfinite(x) or x != int(x):
            raise ValueError(f"found {v!r}; expected {what}")
        return int(x)
    if k == "flag":
        if isinstance(v, bool):
            return v
        s = str(v).strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
        raise ValueError(f"found {v!r}; expected true or false")
    if k == "choice":
        choices = tuple(inp.choices or ())
        if v in choices:
            return v
        s = str(v)
        for c in choices:
            if str(c).lower() == s.lower():
                return c
        raise ValueError(f"found {v!r}; expected one of {', '.join(map(str, choices))}"
                         f"{did_you_mean(s, map(str, choices))}")
    if k == "pair":
        if isinstance(v, tuple) and len(v) == 2:
            return (str(v[0]), str(v[1]))
        s = str(v)
        key, sep, val = s.partition("=")
        if not sep or not key.strip() or not val.strip():
            raise ValueError(f"found {s!r}; expected NAME=VALUE{(' (' + inp.metavar + ')') if inp.metavar else ''}")
        return (key.strip(), val.strip())
    if k in ("landuse", "raster", "zones", "vector", "table", "path", "scheme", "reference", "text", "lines"):
        if k != "text" and not isinstance(v, str | os.PathLike | dict | list | tuple):
            return v  # an in-memory object from the Python API (DataArray, DataFrame, GeoDataFrame, scheme)
        if isinstance(v, dict | list | tuple):
            raise ValueError(f"found {v!r}; expected one {'path' if k != 'text' else 'text value'}")
        s = str(v)
        if not s.strip():
            raise ValueError("is empty; give a value or leave it out")
        return s
    return v


def _check_bounds(inp: Input, x: Any) -> str | None:
    if not isinstance(x, int | float) or isinstance(x, bool):
        return None
    lo, hi = inp.minimum, inp.maximum
    if lo is not None and (x <= lo if inp.exclusive_minimum else x < lo):
        rel = "greater than" if inp.exclusive_minimum else "at least"
        return f"found {_fmt(x)}{_unit(inp)}; expected {rel} {_fmt(lo)}{_unit(inp)}"
    if hi is not None and (x >= hi if inp.exclusive_maximum else x > hi):
        rel = "less than" if inp.exclusive_maximum else "at most"
        return f"found {_fmt(x)}{_unit(inp)}; expected {rel} {_fmt(hi)}{_unit(inp)}"
    return None


def _split_multiple(inp: Input, v: Any) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, dict) and inp.kind in ("pair", "lines"):
        return [(str(k), str(x)) for k, x in v.items()]
    if isinstance(v, list | tuple):
        items = list(v)
    else:
        items = [v]
    if inp.kind in _NUMBER_KINDS:  # "2020,2050" or "2020 2050" is a list too
        out: list[Any] = []
        for it in items:
            if isinstance(it, str) and ("," in it or " " in it.strip()):
                out += [p for p in it.replace(",", " ").split() if p]
            else:
                out.append(it)
        return out
    return items


def validate(spec: ModelSpec, values: dict[str, Any], *, unknown: bool = True) -> tuple[dict[str, Any], list[Issue]]:
    """Coerce ``values`` to the spec, fill defaults, and return ``(values, issues)``."""
    issues: list[Issue] = []
    names = [i.name for i in spec.inputs]
    if unknown:
        for k in values:
            if k not in names:
                issues.append(Issue(k, f"is not an input of {spec.id}{did_you_mean(k, names)}; its inputs are "
                                       f"{', '.join(names)}"))
    out: dict[str, Any] = {}
    for inp in spec.inputs:
        raw = values.get(inp.name)
        if inp.multiple:
            items = _split_multiple(inp, raw)
            good: list[Any] = []
            bad = False
            if inp.kind == "lines":
                pairs = []
                for it in items:
                    try:
                        pairs.append(coerce_one(Input(inp.name, kind="pair", metavar="NAME=PATH"), it)
                                     if not isinstance(it, tuple) else it)
                    except ValueError as err:
                        issues.append(Issue(inp.name, str(err)))
                        bad = True
                items = pairs
            for it in items:
                try:
                    x = coerce_one(inp, it) if inp.kind != "lines" else it
                except ValueError as err:
                    issues.append(Issue(inp.name, str(err)))
                    bad = True
                    continue
                msg = _check_bounds(inp, x)
                if msg:
                    issues.append(Issue(inp.name, msg))
                    bad = True
                good.append(x)
            if not bad and inp.order and len(good) > 1:
                strict = inp.order == "strictly_increasing"
                pairs = list(zip(good[:-1], good[1:], strict=False))
                wrong = [(a, b) for a, b in pairs if (a >= b if strict else a > b)]
                if wrong:
                    a, b = wrong[0]
                    what = "repeated" if a == b else "out of order"
                    issues.append(Issue(inp.name, f"found {', '.join(map(str, good))} ({_fmt(a)} then {_fmt(b)} is "
                                                  f"{what}); expected {'strictly ' if strict else ''}increasing "
                                                  f"order, oldest first: give them in that order"))
            if inp.kind in ("pair", "lines"):
                keys = [g[0] for g in good]
                dup = sorted({k for k in keys if keys.count(k) > 1})
                if dup:
                    issues.append(Issue(inp.name, f"names {', '.join(dup)} are given more than once; give each once"))
            if items:
                out[inp.name] = good
            else:
                out[inp.name] = list(inp.default) if isinstance(inp.default, list | tuple) else (
                    [] if inp.default is None else [inp.default])
        else:
            if raw is None or (isinstance(raw, str) and raw == "" and inp.kind not in ("text",)):
                out[inp.name] = inp.default
                continue
            if isinstance(raw, list | tuple) and inp.kind != "pair":
                if len(raw) == 1:
                    raw = raw[0]
                else:
                    issues.append(Issue(inp.name, f"found {len(raw)} values; expected one"))
                    out[inp.name] = inp.default
                    continue
            try:
                x = coerce_one(inp, raw)
            except ValueError as err:
                issues.append(Issue(inp.name, str(err)))
                out[inp.name] = inp.default
                continue
            msg = _check_bounds(inp, x)
            if msg:
                issues.append(Issue(inp.name, msg))
            out[inp.name] = x
    # presence, conditional requirements and exclusions, on the coerced values
    bad_keys = {i.key for i in issues}
    for inp in spec.inputs:
        given = _present(out.get(inp.name), inp)
        if not given and inp.name not in bad_keys and inp.is_required(out):
            r = inp.required
            cond = f" when {r.describe()}" if not isinstance(r, bool) else ""
            issues.append(Issue(inp.name, f"is required{cond} but was not given"))
        if given:
            for other in inp.excludes:
                if other in out and _present(out.get(other), spec.input(other)) and inp.name < other:
                    issues.append(Issue(inp.name, f"and {other} exclude each other; give only one"))
    return out, issues


def _present(v: Any, inp: Input) -> bool:
    if v is None:
        return False
    if inp.kind == "flag":
        return bool(v) != bool(inp.default)
    if isinstance(v, list | tuple | dict) and len(v) == 0:
        return False
    d = inp.default
    if isinstance(d, list | tuple) and isinstance(v, list | tuple):
        if list(v) == list(d) and not inp.required:
            return False
    elif d is not None and v == d and not inp.required:
        return False
    return True


def given(spec: ModelSpec, values: dict[str, Any], name: str) -> bool:
    """True when input ``name`` was given a value other than its default."""
    return _present(values.get(name), spec.input(name))


__all__ = ["coerce_one", "did_you_mean", "given", "validate"]
